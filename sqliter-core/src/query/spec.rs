//! [`QuerySpec`]: a query as plain data, built by the chain and turned into
//! SQL by the engine. Both doors carry one; neither writes SQL.

use super::filter::Condition;
use crate::error::Error;
use crate::model::TableMeta;

/// One `ORDER BY` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Order {
    /// Column position in the table.
    pub column: usize,
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
        }
    }

    /// Record the first error met while building.
    pub(crate) fn fail(&mut self, error: Error) {
        if self.error.is_none() {
            self.error = Some(error);
        }
    }

    /// Split off the deferred error, if any: a terminal reports it.
    pub fn take_error(&mut self) -> Option<Error> {
        self.error.take()
    }

    /// The error a chain method recorded, if any.
    pub fn error(&self) -> Option<&Error> {
        self.error.as_ref()
    }

    /// The table queried.
    pub fn table(&self) -> &'static TableMeta {
        self.table
    }
}
