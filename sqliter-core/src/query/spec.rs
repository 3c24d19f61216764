//! [`QuerySpec`]: a query as plain data, built by the chain and turned into
//! SQL by the engine. Both doors carry one; neither writes SQL.

use super::filter::Condition;
use crate::error::Error;
use crate::model::TableMeta;

/// A `LEFT JOIN` followed by a traversal filter (`author_id__name`): the
/// table reached through foreign-key column `column` of the table at alias
/// `parent` (0 is the queried table, k is `joins[k - 1]`).
#[derive(Debug, Clone, Copy)]
pub struct Join {
    pub(crate) parent: usize,
    pub(crate) column: usize,
    pub(crate) table: &'static TableMeta,
}

impl Join {
    /// Identity of the join: the table's metadata is compared by address.
    pub(crate) fn key(&self) -> (usize, usize, usize) {
        (
            self.parent,
            self.column,
            std::ptr::from_ref(self.table) as usize,
        )
    }
}

impl Join {
    /// The alias of the join from alias `parent` through its column
    /// `column` to `table`, added to `joins` unless already there.
    pub(crate) fn add(
        joins: &mut Vec<Join>,
        parent: usize,
        column: usize,
        table: &'static TableMeta,
    ) -> usize {
        let join = Join {
            parent,
            column,
            table,
        };
        match joins.iter().position(|j| *j == join) {
            Some(existing) => existing + 1,
            None => {
                joins.push(join);
                joins.len()
            }
        }
    }
}

/// One foreign key followed (and joined) by a path.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Hop {
    /// The alias of the table reached.
    pub alias: usize,
    /// The table reached.
    pub table: &'static TableMeta,
    /// The table the key belongs to.
    pub from: &'static TableMeta,
    /// Declared as a `ForeignKey<T>` field.
    pub orm: bool,
}

/// Why a path segment could not be followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BadHop {
    /// The model has no such field.
    NoField,
    /// The field is not a foreign key.
    NotAKey,
}

impl Join {
    /// Follow foreign key `hop` of `from` (at alias `on`): the one step
    /// every path takes (filters, `select_related`, `with_count`); callers
    /// word the errors.
    pub(crate) fn follow(
        joins: &mut Vec<Join>,
        on: usize,
        from: &'static TableMeta,
        hop: &str,
    ) -> Result<Hop, BadHop> {
        let column = from.column_index(hop).ok_or(BadHop::NoField)?;
        let fk = from.columns[column]
            .foreign_key
            .as_ref()
            .ok_or(BadHop::NotAKey)?;
        let table = (fk.target)();
        Ok(Hop {
            alias: Self::add(joins, on, column, table),
            table,
            from,
            orm: fk.orm,
        })
    }
}

impl PartialEq for Join {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

/// What an `ORDER BY` key sorts on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum OrderTarget {
    /// A column, by position in the table.
    Column(usize),
    /// A field or alias named in `order()`, resolved when the query runs
    /// (aggregate aliases may be declared after `order`).
    Name(String),
}

/// One `ORDER BY` key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Order {
    /// What is sorted on.
    pub target: OrderTarget,
    /// `DESC`.
    pub descending: bool,
}

/// Everything a query says. Chain methods record their first error here;
/// the terminal method reports it instead of running SQL.
#[derive(Debug, Clone)]
pub struct QuerySpec {
    pub(crate) table: &'static TableMeta,
    pub(crate) conditions: Vec<Condition>,
    pub(crate) order: Vec<Order>,
    pub(crate) limit: Option<i64>,
    pub(crate) offset: Option<i64>,
    /// Selected columns in table order, pk first; `None` selects all.
    pub(crate) projection: Option<Vec<usize>>,
    pub(crate) error: Option<Error>,
    /// Skip the cache for lookup and store.
    pub(crate) bypass_cache: bool,
    /// Time to live of entries this query stores.
    pub(crate) cache_ttl: Option<std::time::Duration>,
    /// `group_by` / `annotate` / `having`: projection mode.
    pub(crate) aggregation: Option<super::aggregate::Aggregation>,
    /// Tables joined by traversal filters and `select_related`.
    pub(crate) joins: Vec<Join>,
    /// The join aliases whose records `select_related` loads, ascending
    /// (a join's parent comes before it).
    pub(crate) related: Vec<usize>,
    /// `prefetch_related` paths: to-many relations loaded by one extra
    /// query per level.
    pub(crate) prefetch: Vec<crate::relation::prefetch::PrefetchNode>,
    /// Known to match no row (the related records of a record not
    /// stored): record terminals answer with no query.
    pub(crate) nothing: bool,
    /// A stream's position: only rows after this sort key, `(column,
    /// descending, value)` per order key (the pk last).
    pub(crate) after: Option<Vec<(usize, bool, crate::value::Value)>>,
}

/// The terminal method a cached answer belongs to (part of its key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Terminal {
    /// `fetch_all`.
    All,
    /// `fetch_one` / `fetch_first`.
    First,
    /// `fetch_last`.
    Last,
    /// `count`.
    Count,
    /// `exists`.
    Exists,
    /// `fetch_dicts` / `fetch_as`.
    Dicts,
    /// `fetch_related`.
    Related,
}

impl QuerySpec {
    /// A query on every row of `table`.
    pub fn new(table: &'static TableMeta) -> Self {
        Self {
            table,
            conditions: Vec::new(),
            order: Vec::new(),
            limit: None,
            offset: None,
            projection: None,
            error: None,
            bypass_cache: false,
            cache_ttl: None,
            aggregation: None,
            joins: Vec::new(),
            related: Vec::new(),
            prefetch: Vec::new(),
            nothing: false,
            after: None,
        }
    }

    /// Match no row: record terminals then answer empty with no query;
    /// what still runs SQL (projections, bulk writes) finds no row.
    pub(crate) fn match_nothing(&mut self) {
        self.nothing = true;
        self.conditions.push(super::Condition::one_of(0, &[]));
    }

    /// Record the first error met while building.
    pub(crate) fn fail(&mut self, error: Error) {
        if self.error.is_none() {
            self.error = Some(error);
        }
    }

    /// The error a chain method recorded, if any.
    pub fn error(&self) -> Option<&Error> {
        self.error.as_ref()
    }

    /// The time to live this query gives the answers it caches.
    pub fn cache_ttl(&self) -> Option<std::time::Duration> {
        self.cache_ttl
    }

    /// The table queried.
    pub fn table(&self) -> &'static TableMeta {
        self.table
    }
}
