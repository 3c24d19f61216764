//! Projection queries: `group_by`, `annotate`, `having`, and the rows they
//! return (`fetch_dicts`, or typed with `fetch_as`).

use std::sync::Arc;

use serde::de::DeserializeOwned;

use super::filter::{Op, Operand};
use super::param::Param;
use crate::error::{Error, Result};
use crate::model::TableMeta;
use crate::value::Value;

/// An aggregate function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AggregateFunc {
    /// `COUNT(*)` or `COUNT(field)`.
    Count,
    /// `SUM(field)`.
    Sum,
    /// `AVG(field)`.
    Avg,
    /// `MIN(field)`.
    Min,
    /// `MAX(field)`.
    Max,
}

impl AggregateFunc {
    pub(crate) fn sql(self) -> &'static str {
        match self {
            Self::Count => "COUNT",
            Self::Sum => "SUM",
            Self::Avg => "AVG",
            Self::Min => "MIN",
            Self::Max => "MAX",
        }
    }
}

/// One aggregate for [`annotate`](super::QueryChain::annotate).
///
/// ```
/// use sqliter_core::query::Aggregate;
/// let books = Aggregate::count();
/// let authors = Aggregate::count_of("author_id").distinct();
/// let mean = Aggregate::avg("price");
/// # let _ = (books, authors, mean);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Aggregate {
    pub(crate) func: AggregateFunc,
    pub(crate) field: Option<String>,
    pub(crate) distinct: bool,
}

impl Aggregate {
    fn of(func: AggregateFunc, field: &str) -> Self {
        Self {
            func,
            field: Some(field.to_owned()),
            distinct: false,
        }
    }

    /// `COUNT(*)`: the rows of each group.
    pub fn count() -> Self {
        Self {
            func: AggregateFunc::Count,
            field: None,
            distinct: false,
        }
    }
    /// `COUNT(field)`: the non-NULL values of `field`.
    pub fn count_of(field: &str) -> Self {
        Self::of(AggregateFunc::Count, field)
    }
    /// `SUM(field)`.
    pub fn sum(field: &str) -> Self {
        Self::of(AggregateFunc::Sum, field)
    }
    /// `AVG(field)`.
    pub fn avg(field: &str) -> Self {
        Self::of(AggregateFunc::Avg, field)
    }
    /// `MIN(field)`.
    pub fn min(field: &str) -> Self {
        Self::of(AggregateFunc::Min, field)
    }
    /// `MAX(field)`.
    pub fn max(field: &str) -> Self {
        Self::of(AggregateFunc::Max, field)
    }
    /// Over distinct values only (`COUNT(DISTINCT field)`, ...).
    pub fn distinct(mut self) -> Self {
        self.distinct = true;
        self
    }
}

/// An `annotate(alias, aggregate)` entry, its field resolved.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Annotation {
    pub alias: String,
    pub func: AggregateFunc,
    /// Column position, `None` for `COUNT(*)`.
    pub column: Option<usize>,
    pub distinct: bool,
    /// `with_count`: count the records of a to-many relation instead.
    pub relation: Option<RelationCount>,
}

/// `with_count(path)`: the to-many relations counted, one after the
/// other (`articles__tags`), reached from the table at alias `on` (0, or
/// the join the path's forward keys lead to).
#[derive(Debug, Clone)]
pub(crate) struct RelationCount {
    pub on: usize,
    pub relations: Vec<&'static crate::relation::ToManyRelation>,
}

impl PartialEq for RelationCount {
    fn eq(&self, other: &Self) -> bool {
        self.on == other.on
            && self.relations.len() == other.relations.len()
            && self
                .relations
                .iter()
                .zip(&other.relations)
                .all(|(a, b)| std::ptr::eq(*a, *b))
    }
}

impl Eq for RelationCount {}

impl std::hash::Hash for RelationCount {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.on.hash(state);
        for r in &self.relations {
            std::ptr::from_ref(*r).hash(state);
        }
    }
}

/// A `having` condition on a grouped field or an alias.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Having {
    /// Grouped field name or alias, as written.
    pub name: String,
    pub op: Op,
    pub operand: Operand,
}

/// The aggregation part of a query (projection mode).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Aggregation {
    pub group_by: Vec<usize>,
    pub annotations: Vec<Annotation>,
    pub having: Vec<Having>,
}

impl Aggregation {
    /// The names of the result columns: grouped fields (with `with_count`,
    /// every field), then aliases.
    pub fn names(&self, table: &TableMeta) -> Vec<String> {
        let fields: Vec<&str> = if self.counts_relations() {
            table.columns.iter().map(|c| c.field).collect()
        } else {
            self.group_by
                .iter()
                .map(|&c| table.columns[c].field)
                .collect()
        };
        fields
            .into_iter()
            .map(str::to_owned)
            .chain(self.annotations.iter().map(|a| a.alias.clone()))
            .collect()
    }

    /// `with_count` mode: every column of the queried table, then a count
    /// per relation, no grouping.
    pub fn counts_relations(&self) -> bool {
        self.annotations.iter().any(|a| a.relation.is_some())
    }

    /// What `name` refers to in `having` / `order`: a grouped field's column
    /// or an alias.
    pub fn resolve(&self, table: &TableMeta, name: &str) -> Option<String> {
        if self.annotations.iter().any(|a| a.alias == name) {
            return Some(name.to_owned());
        }
        let column = table.column_index(name)?;
        (self.counts_relations() || self.group_by.contains(&column))
            .then(|| table.columns[column].column.to_owned())
    }
}

/// Check an `annotate` call: [`annotation`]'s rules, and no
/// `COUNT(DISTINCT *)` (not SQL; `with_count` counts distinct records its
/// own way).
pub(crate) fn user_annotation(
    table: &TableMeta,
    aggregation: &Aggregation,
    alias: &str,
    agg: Aggregate,
) -> Result<Annotation> {
    if agg.func == AggregateFunc::Count && agg.field.is_none() && agg.distinct {
        return Err(Error::InvalidProjection(format!(
            "aggregate alias '{}' uses DISTINCT with COUNT(*), which is not supported; \
             count the distinct values of a field with Aggregate::count_of(\"field\").distinct()",
            alias.trim()
        )));
    }
    annotation(table, aggregation, alias, agg)
}

/// Check an aggregate alias against the model and the earlier aliases; the
/// alias is kept trimmed, so `" n "` and `"n"` are the same alias.
pub(crate) fn annotation(
    table: &TableMeta,
    aggregation: &Aggregation,
    alias: &str,
    agg: Aggregate,
) -> Result<Annotation> {
    let invalid = |why: String| Error::InvalidProjection(why);
    let alias = alias.trim();
    if alias.is_empty() {
        return Err(invalid(
            "an aggregate alias must not be empty or whitespace".into(),
        ));
    }
    if table.column_index(alias).is_some() {
        return Err(invalid(format!(
            "alias '{alias}' shadows a field of {}",
            table.model_name
        )));
    }
    if aggregation.annotations.iter().any(|a| a.alias == alias) {
        return Err(invalid(format!("alias '{alias}' is used twice")));
    }
    let column = match agg.field {
        Some(field) => match table.column_index(&field) {
            Some(column) => Some(column),
            None => {
                return Err(invalid(format!(
                    "aggregate field '{field}' of alias '{alias}' is not a field of model {}",
                    table.model_name
                )))
            }
        },
        None => None,
    };
    Ok(Annotation {
        alias: alias.to_owned(),
        func: agg.func,
        column,
        distinct: agg.distinct,
        relation: None,
    })
}

/// Parse a `having` lookup (`"total__gt"`); the target is checked when the
/// query runs, once every alias is known.
pub(crate) fn having(key: &str, param: Param) -> Result<Having> {
    let (name, op) = match key
        .rsplit_once("__")
        .and_then(|(n, s)| Op::from_suffix(s).map(|op| (n, op)))
    {
        Some((name, op)) => (name, op),
        None => (key, Op::Eq),
    };
    let condition = super::filter::parse_operand(name, op, param)?;
    Ok(Having {
        name: name.to_owned(),
        op,
        operand: condition,
    })
}

/// One row of a projection query: values keyed by grouped field or alias,
/// in select order.
#[derive(Debug, Clone, PartialEq)]
pub struct DictRow {
    names: Arc<[String]>,
    values: Vec<Value>,
}

impl DictRow {
    pub(crate) fn new(names: Arc<[String]>, values: Vec<Value>) -> Self {
        Self { names, values }
    }

    /// The value of a grouped field or an alias.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|i| &self.values[i])
    }

    /// `(name, value)` pairs in select order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.names.iter().map(String::as_str).zip(&self.values)
    }

    pub(crate) fn size_estimate(&self) -> usize {
        self.values
            .iter()
            .map(|v| {
                std::mem::size_of::<Value>()
                    + match v {
                        Value::Text(s) => s.capacity(),
                        Value::Blob(b) => b.capacity(),
                        _ => 0,
                    }
            })
            .sum()
    }

    /// Decode the row into `T` by name (serde), e.g. a struct with one field
    /// per grouped field and alias.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T> {
        let map: serde_json::Map<String, serde_json::Value> = self
            .iter()
            .map(|(name, value)| (name.to_owned(), json_of(value)))
            .collect();
        serde_json::from_value(serde_json::Value::Object(map))
            .map_err(|e| Error::InvalidProjection(format!("cannot decode a row: {e}")))
    }
}

fn json_of(value: &Value) -> serde_json::Value {
    match value {
        Value::Null => serde_json::Value::Null,
        Value::Integer(i) => (*i).into(),
        Value::Real(f) => serde_json::Number::from_f64(*f)
            .map_or(serde_json::Value::Null, serde_json::Value::Number),
        Value::Text(s) => s.clone().into(),
        Value::Blob(b) => b.clone().into(),
    }
}

/// `name=value, ...` with values in SQL-literal style.
impl std::fmt::Display for DictRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, (name, value)) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{name}={value}")?;
        }
        Ok(())
    }
}
