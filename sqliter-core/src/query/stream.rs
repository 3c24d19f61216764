//! Streaming a query: its rows handed over in batches, each batch one
//! statement (one round trip on the async door) that starts after the
//! last row of the one before, by the query's own sort key. Memory stays
//! one batch, whatever the number of rows; writes between batches are
//! seen as any later query would see them, and no row is handed over
//! twice.
//!
//! Keyset pagination rather than one long-lived statement: a statement
//! held open across awaits would hold the connection, and any other call
//! on the same database in the loop body would wait for it forever.

use std::collections::VecDeque;

use super::spec::{Order, OrderTarget, QuerySpec};
use std::sync::Arc;

use crate::error::{classify, Error, Operation, Result};
use crate::record::Record;
use crate::session::Session;
use crate::value::Value;

/// Rows per batch unless the caller says otherwise.
pub const DEFAULT_BATCH: usize = 1000;

/// Where a stream stands: the query of the next batch and how many rows
/// it may still hand over. Plain data, so the async door moves it to the
/// database thread and back.
#[derive(Debug, Clone)]
pub struct Cursor {
    spec: QuerySpec,
    /// The sort key: `(column, descending)` per order key, the pk last.
    keys: Vec<(usize, bool)>,
    /// The query's own limit, minus the rows handed over.
    remaining: Option<u64>,
    batch: usize,
    done: bool,
}

impl Cursor {
    /// A cursor over `spec`'s rows, `batch` at a time. Projections of
    /// aggregates and prefetching queries are refused: they do not stream
    /// row by row.
    pub fn new(spec: &QuerySpec, batch: usize) -> Result<Self> {
        if let Some(error) = &spec.error {
            return Err(error.clone());
        }
        if spec.aggregation.is_some() {
            return Err(Error::InvalidProjection(
                "a group_by / annotate / with_count query is read with fetch_dicts(), not streamed"
                    .into(),
            ));
        }
        if !spec.prefetch.is_empty() {
            return Err(Error::InvalidPrefetch {
                path: String::new(),
                reason: "a stream cannot prefetch relations; use fetch_related(), or select_related for keys".into(),
            });
        }
        if batch == 0 {
            return Err(Error::InvalidFilter {
                field: "batch_size".into(),
                reason: "a stream's batch size must be at least 1".into(),
            });
        }
        let mut keys: Vec<(usize, bool)> = Vec::with_capacity(spec.order.len() + 1);
        for order in &spec.order {
            match &order.target {
                OrderTarget::Column(c) => keys.push((*c, order.descending)),
                OrderTarget::Name(name) => {
                    return Err(Error::InvalidOrder {
                        model: spec.table.model_name.to_owned(),
                        field: name.clone(),
                    })
                }
            }
        }
        // The pk breaks ties, so "after the last row" is exact.
        if !keys.iter().any(|(c, _)| *c == 0) {
            keys.push((0, false));
        }
        let mut spec = spec.clone();
        spec.bypass_cache = true;
        spec.order = keys
            .iter()
            .map(|&(c, descending)| Order {
                target: OrderTarget::Column(c),
                descending,
            })
            .collect();
        // A partial read loads its sort key too (to resume after it).
        if let Some(selected) = &mut spec.projection {
            for (c, _) in &keys {
                if let Err(at) = selected.binary_search(c) {
                    selected.insert(at, *c);
                }
            }
        }
        let remaining = spec.limit.and_then(|n| u64::try_from(n).ok());
        spec.limit = None;
        Ok(Self {
            // The related records of a record not stored: none, no query.
            done: spec.nothing,
            spec,
            keys,
            remaining,
            batch,
        })
    }

    /// Whether every row has been handed over.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The next batch of rows (none once done), appended to `rows`. The
    /// caller hands back the buffer it drained: one allocation for the
    /// whole stream rather than one per batch, which also keeps the
    /// allocator's small free chunks in place for the next batch's rows.
    pub fn next_batch<R: Record>(
        &mut self,
        session: &Session<'_>,
        rows: &mut VecDeque<R>,
    ) -> Result<()> {
        if self.done {
            return Ok(());
        }
        let want = self.remaining.map_or(self.batch, |n| {
            self.batch.min(usize::try_from(n).unwrap_or(usize::MAX))
        });
        if want == 0 {
            self.done = true;
            return Ok(());
        }
        self.spec.limit = Some(i64::try_from(want).unwrap_or(i64::MAX));
        // The sort key of a full batch's last row, read from the row (a
        // model need not declare every column it is sorted on).
        let positions: Vec<usize> = self
            .keys
            .iter()
            .map(|(c, _)| match &self.spec.projection {
                Some(selected) => selected.binary_search(c).unwrap_or(*c),
                None => *c,
            })
            .collect();
        let loaded: Option<Arc<[usize]>> = self.spec.projection.as_deref().map(Arc::from);
        let table = self.spec.table.table_name;
        rows.reserve(want);
        let mut read = 0;
        let mut last = None;
        super::exec::for_each_row::<R::Model>(session, &self.spec, |record, row| {
            rows.push_back(R::from_query(record, loaded.as_ref())?);
            read += 1;
            if read == want {
                let values = positions
                    .iter()
                    .map(|&at| row.get_ref(at).map(Value::from_ref))
                    .collect::<rusqlite::Result<Vec<Value>>>()
                    .map_err(|e| classify(Operation::Fetch, table, e))?;
                last = Some(values);
            }
            Ok(())
        })?;
        // The offset applies once, before the first row.
        self.spec.offset = None;
        if let Some(n) = &mut self.remaining {
            *n = n.saturating_sub(read as u64);
        }
        match last {
            Some(values) => {
                let after = self
                    .keys
                    .iter()
                    .zip(values)
                    .map(|(&(c, descending), v)| (c, descending, v))
                    .collect();
                self.spec.after = Some(after);
            }
            None => self.done = true,
        }
        Ok(())
    }
}

/// The sync door's stream: an iterator of rows, reading a batch whenever
/// the last one is used up. Made by `QueryBuilder::iter`.
pub struct Rows<'db, R> {
    db: &'db crate::db::SqliterDB,
    /// The cursor, or the error that ended (or prevented) the stream,
    /// handed over once.
    cursor: std::result::Result<Cursor, Option<Error>>,
    buffer: VecDeque<R>,
}

impl<'db, R: Record> Rows<'db, R> {
    pub(crate) fn new(db: &'db crate::db::SqliterDB, cursor: Result<Cursor>) -> Self {
        Self {
            db,
            cursor: cursor.map_err(Some),
            buffer: VecDeque::new(),
        }
    }
}

impl<R: Record> Iterator for Rows<'_, R> {
    type Item = Result<R>;

    fn next(&mut self) -> Option<Result<R>> {
        if let Some(row) = self.buffer.pop_front() {
            return Some(Ok(row));
        }
        let cursor = match &mut self.cursor {
            Ok(cursor) if !cursor.is_done() => cursor,
            Ok(_) => return None,
            Err(error) => return error.take().map(Err),
        };
        let buffer = &mut self.buffer;
        match self.db.with_session(|s| cursor.next_batch::<R>(s, buffer)) {
            Ok(()) => self.buffer.pop_front().map(Ok),
            // One error, then the end: the caller decides whether to
            // start again.
            Err(e) => {
                self.buffer.clear();
                self.cursor = Err(None);
                Some(Err(e))
            }
        }
    }
}

impl<R> std::fmt::Debug for Rows<'_, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rows")
            .field("buffered", &self.buffer.len())
            .field("cursor", &self.cursor)
            .finish_non_exhaustive()
    }
}
