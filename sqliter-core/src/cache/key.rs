//! Cache keys: everything that changes an answer, in a canonical byte form
//! (so values of any type, mixed in one query, make valid keys).

use std::fmt;

use crate::query::{QuerySpec, Terminal};
use crate::value::Value;

/// A cache key.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct CacheKey(Vec<u8>);

impl fmt::Debug for CacheKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CacheKey({})", String::from_utf8_lossy(&self.0))
    }
}

impl CacheKey {
    /// A user key for `cache_get` / `cache_set`.
    pub fn user(key: &str) -> Self {
        let mut bytes = b"user:".to_vec();
        bytes.extend_from_slice(key.as_bytes());
        Self(bytes)
    }

    /// The key of `get` by primary key (upstream's `"pk:<value>"`).
    pub fn pk(pk: i64) -> Self {
        Self(format!("pk:{pk}").into_bytes())
    }

    /// The key of a query answered by `terminal`.
    pub fn query(spec: &QuerySpec, terminal: Terminal) -> Self {
        let mut w = Writer(b"query:".to_vec());
        w.byte(terminal as u8);
        w.list(
            spec.projection
                .as_deref()
                .unwrap_or(&[])
                .iter()
                .map(|&c| c as u64),
            spec.projection.is_some(),
        );
        w.num(spec.conditions.len() as u64);
        w.num(spec.joins.len() as u64);
        for j in &spec.joins {
            let (parent, column, table) = j.key();
            w.num(parent as u64);
            w.num(column as u64);
            w.num(table as u64);
        }
        w.list(spec.related.iter().map(|&a| a as u64), true);
        for c in &spec.conditions {
            w.num(c.on as u64);
            w.num(c.column as u64);
            w.byte(c.op as u8);
            w.operand(&c.operand);
        }
        w.num(spec.order.len() as u64);
        for o in &spec.order {
            match &o.target {
                crate::query::OrderTarget::Column(c) => w.num(*c as u64),
                crate::query::OrderTarget::Name(name) => w.value(&Value::Text(name.clone())),
            }
            w.byte(u8::from(o.descending));
        }
        w.opt(spec.limit);
        w.opt(spec.offset);
        if let Some(a) = &spec.aggregation {
            w.byte(b'G');
            w.list(a.group_by.iter().map(|&c| c as u64), true);
            for an in &a.annotations {
                w.value(&Value::Text(an.alias.clone()));
                w.byte(an.func as u8);
                w.opt(an.column.map(|c| i64::try_from(c).unwrap_or(i64::MAX)));
                w.byte(u8::from(an.distinct));
                if let Some(r) = &an.relation {
                    w.num(r.on as u64);
                    w.list(
                        r.relations.iter().map(|r| std::ptr::from_ref(*r) as u64),
                        true,
                    );
                }
            }
            for h in &a.having {
                w.value(&Value::Text(h.name.clone()));
                w.byte(h.op as u8);
                w.operand(&h.operand);
            }
        }
        Self(w.0)
    }
}

struct Writer(Vec<u8>);

impl Writer {
    fn byte(&mut self, b: u8) {
        self.0.push(b);
    }
    fn num(&mut self, n: u64) {
        self.0.extend_from_slice(&n.to_le_bytes());
    }
    fn opt(&mut self, n: Option<i64>) {
        match n {
            Some(n) => {
                self.byte(1);
                self.0.extend_from_slice(&n.to_le_bytes());
            }
            None => self.byte(0),
        }
    }
    fn list(&mut self, items: impl ExactSizeIterator<Item = u64>, present: bool) {
        self.byte(u8::from(present));
        self.num(items.len() as u64);
        for i in items {
            self.num(i);
        }
    }
    fn operand(&mut self, operand: &crate::query::Operand) {
        match operand {
            crate::query::Operand::One(v) => {
                self.byte(b'1');
                self.value(v);
            }
            crate::query::Operand::List(items) => {
                self.byte(b'L');
                self.num(items.len() as u64);
                for v in items {
                    self.value(v);
                }
            }
            crate::query::Operand::Flag(f) => {
                self.byte(b'F');
                self.byte(u8::from(*f));
            }
            crate::query::Operand::Related(side, source) => {
                self.byte(b'J');
                self.num(std::ptr::from_ref(side.relation) as u64);
                self.byte(u8::from(side.forward));
                self.value(source);
            }
        }
    }

    fn value(&mut self, v: &Value) {
        match v {
            Value::Null => self.byte(b'N'),
            Value::Integer(i) => {
                self.byte(b'I');
                self.0.extend_from_slice(&i.to_le_bytes());
            }
            Value::Real(f) => {
                self.byte(b'R');
                self.0.extend_from_slice(&f.to_bits().to_le_bytes());
            }
            Value::Text(s) => {
                self.byte(b'T');
                self.num(s.len() as u64);
                self.0.extend_from_slice(s.as_bytes());
            }
            Value::Blob(b) => {
                self.byte(b'B');
                self.num(b.len() as u64);
                self.0.extend_from_slice(b);
            }
        }
    }
}
