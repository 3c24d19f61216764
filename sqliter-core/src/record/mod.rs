//! Single-record operations: insert, bulk insert, get, update, delete.
//!
//! Each is a function on a [`Session`], so the sync door calls it directly
//! and the async door sends the very same call to its database thread.

mod decode;
mod partial;
mod sql;

pub use decode::I64;
pub use decode::{
    bind_field, check_field, decode_field, decode_pk, decode_timestamp, encode_field,
    not_a_data_column, unselected, Probe, ViaClone, ViaDefault, ViaHeapSize, ViaNoClone,
    ViaNoDefault, ViaNoHeapSize,
};
pub use partial::{Partial, Record};
pub use sql::ModelSql;

use rusqlite::CachedStatement;

use crate::error::{classify, Error, Operation, Result};
use crate::model::DbModel;
use crate::session::{unix_now, Session};

/// Options of `get`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GetOptions {
    /// Neither read the answer from the cache nor store it.
    pub bypass_cache: bool,
    /// Keep the cached answer this long (instead of the default TTL).
    pub cache_ttl: Option<std::time::Duration>,
}

/// The cache key of `get(pk)`, if the answer may be cached.
pub fn pk_key(
    settings: &crate::db::Settings,
    pk: i64,
    options: GetOptions,
) -> Option<crate::cache::CacheKey> {
    (!options.bypass_cache && settings.cache.enabled()).then(|| crate::cache::CacheKey::pk(pk))
}

/// Options of an insert.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InsertOptions {
    /// Keep non-zero `created_at` / `updated_at` set by the caller; zeros
    /// are still replaced by the current time.
    pub timestamp_override: bool,
}

fn stamps<M: DbModel>(record: &M, now: i64, options: InsertOptions) -> (i64, i64) {
    let keep = |value: Option<i64>| match value {
        Some(v) if options.timestamp_override && v != 0 => v,
        _ => now,
    };
    (keep(record.created_at()), keep(record.updated_at()))
}

/// The two prepared INSERT statements of a model (with and without an
/// explicit pk), each prepared on first use: a bulk insert prepares once,
/// not once per row.
struct Inserter<'s, M> {
    session: &'s Session<'s>,
    auto_pk: Option<CachedStatement<'s>>,
    explicit_pk: Option<CachedStatement<'s>>,
    _model: std::marker::PhantomData<M>,
}

impl<'s, M: DbModel> Inserter<'s, M> {
    fn new(session: &'s Session<'s>) -> Self {
        Self {
            session,
            auto_pk: None,
            explicit_pk: None,
            _model: std::marker::PhantomData,
        }
    }

    /// Insert one row and return its pk.
    fn insert(&mut self, record: &M, created: i64, updated: i64) -> Result<i64> {
        let table = M::META.table_name;
        let sql = M::model_sql();
        let with_pk = record.pk() != 0;
        let (slot, text) = if with_pk {
            (&mut self.explicit_pk, &sql.insert_with_pk)
        } else {
            (&mut self.auto_pk, &sql.insert)
        };
        if slot.is_none() {
            crate::schema::ensure_shape(self.session, M::META)?;
            let stmt = self
                .session
                .conn
                .prepare_cached(text)
                .map_err(|e| classify(Operation::Insert, table, e))?;
            *slot = Some(stmt);
        }
        let Some(stmt) = slot.as_mut() else {
            unreachable!("prepared just above")
        };
        let mut next = 1;
        if with_pk {
            bind_field(stmt, next, &record.pk(), &I64, M::META, 0)?;
            next += 1;
        }
        bind_field(stmt, next, &created, &I64, M::META, 1)?;
        bind_field(stmt, next + 1, &updated, &I64, M::META, 2)?;
        record.bind_data(stmt, next + 2)?;
        self.session.log_statement(stmt);
        stmt.raw_execute()
            .map_err(|e| classify(Operation::Insert, table, e))?;
        Ok(self.session.conn.last_insert_rowid())
    }
}

/// Insert `record`, then set its pk and timestamps.
pub fn insert<M: DbModel>(
    session: &Session<'_>,
    record: &mut M,
    options: InsertOptions,
) -> Result<()> {
    session.begin_implicit()?;
    let (created, updated) = stamps(record, unix_now(), options);
    let pk = Inserter::new(session).insert(record, created, updated)?;
    session.invalidate(M::META.table_name, false);
    record.set_pk(pk);
    record.set_created_at(created);
    record.set_updated_at(updated);
    record.bind_relations(session.link, false);
    Ok(())
}

/// Insert every record in one transaction (a savepoint inside an open
/// one). The records get their pks and timestamps only once all rows are
/// in; on error they are left exactly as they were.
pub fn bulk_insert<M: DbModel>(
    session: &Session<'_>,
    records: &mut [M],
    options: InsertOptions,
) -> Result<()> {
    if records.is_empty() {
        return Ok(());
    }
    session.begin_implicit()?;
    let now = unix_now();
    let table = M::META.table_name;
    let failed = |_: &str, e| classify(Operation::Insert, table, e);
    let assigned = session.atomic(failed, || {
        let mut inserter = Inserter::new(session);
        records
            .iter()
            .map(|record| {
                let (created, updated) = stamps(record, now, options);
                inserter
                    .insert(record, created, updated)
                    .map(|pk| (pk, created, updated))
            })
            .collect::<Result<Vec<_>>>()
    })?;
    session.invalidate(M::META.table_name, false);
    for (record, (pk, created, updated)) in records.iter_mut().zip(assigned) {
        record.set_pk(pk);
        record.set_created_at(created);
        record.set_updated_at(updated);
        record.bind_relations(session.link, false);
    }
    Ok(())
}

/// The record with primary key `pk`, or `None`.
pub fn get<M: DbModel>(session: &Session<'_>, pk: i64) -> Result<Option<M>> {
    let table = M::META.table_name;
    let fetch_err = |e| classify(Operation::Fetch, table, e);
    crate::schema::ensure_shape(session, M::META)?;
    let mut stmt = session
        .conn
        .prepare_cached(&M::model_sql().select_by_pk)
        .map_err(fetch_err)?;
    stmt.raw_bind_parameter(1, pk).map_err(fetch_err)?;
    session.log_statement(&stmt);
    let mut rows = stmt.raw_query();
    match rows.next().map_err(fetch_err)? {
        Some(row) => {
            M::from_row(row, &M::model_sql().full_layout, &session.decode_context()).map(Some)
        }
        None => Ok(None),
    }
}

/// `get(pk)` on a cache miss: read the row and keep the answer under `key`.
/// A miss (`None`) is kept only when the caller gave a TTL (as upstream):
/// a row another connection inserts later must not stay invisible.
pub fn get_and_cache<M: DbModel>(
    session: &Session<'_>,
    pk: i64,
    key: Option<crate::cache::CacheKey>,
    ttl: Option<std::time::Duration>,
) -> Result<Option<M>> {
    let found = get::<M>(session, pk)?;
    let key = key.filter(|_| found.is_some() || ttl.is_some());
    crate::query::exec::answer(session, M::META.table_name, key, ttl, || Ok(found))
}

/// Save `record`: afterwards the stored row equals the record (but for
/// `created_at`, which is never rewritten), and `updated_at` is bumped.
///
/// One statement does it when no indexed column (unique, foreign key, in
/// an index) changed: it writes the other data columns and only compares
/// the indexed ones, so their indexes and foreign key checks are left
/// alone. When one did change, that statement writes nothing, and the
/// columns that differ from the stored row (read now) are written, so the
/// index is touched only for a value that moved.
pub fn update<M: DbModel>(session: &Session<'_>, record: &mut M) -> Result<()> {
    let (written, now) = run_save(session, record, &M::model_sql().save, |stmt| {
        record.bind_data(stmt, 2)?;
        Ok(M::model_sql().data_len)
    })?;
    if written == 0 {
        let changed = changed_columns(session, record)?;
        return update_columns(session, record, &changed);
    }
    saved(session, record, now);
    Ok(())
}

/// `update` of the named fields only, with no read (`update_fields`):
/// each must be a data field of `M`.
pub fn update_fields<M: DbModel>(
    session: &Session<'_>,
    record: &mut M,
    fields: &[&str],
) -> Result<()> {
    let meta = M::META;
    let mut columns = Vec::with_capacity(fields.len());
    for field in fields {
        let i = meta.column_index(field).ok_or_else(|| {
            Error::InvalidUpdate(format!("{} has no field '{field}'", meta.model_name))
        })?;
        if meta.columns[i].kind != crate::model::ColumnKind::Data {
            return Err(Error::InvalidUpdate(format!(
                "{}.{field} is not written by update_fields: pk and created_at never are, updated_at always is",
                meta.model_name
            )));
        }
        if !columns.iter().any(|(c, _)| *c == i) {
            columns.push((i, record.column_value(i)?));
        }
    }
    columns.sort_unstable_by_key(|(i, _)| *i);
    update_columns(session, record, &columns)
}

/// The data columns of `record` whose value differs from the stored
/// row's, with the values to write; `RecordNotFound` if there is no row.
fn changed_columns<M: DbModel>(
    session: &Session<'_>,
    record: &M,
) -> Result<Vec<(usize, crate::value::Value)>> {
    let table = M::META.table_name;
    let fetch_err = |e| classify(Operation::Update, table, e);
    crate::schema::ensure_shape(session, M::META)?;
    let mut stmt = session
        .conn
        .prepare_cached(&M::model_sql().select_by_pk)
        .map_err(fetch_err)?;
    stmt.raw_bind_parameter(1, record.pk()).map_err(fetch_err)?;
    session.log_statement(&stmt);
    let mut rows = stmt.raw_query();
    let Some(row) = rows.next().map_err(fetch_err)? else {
        return Err(Error::RecordNotFound {
            table: table.to_owned(),
            key: record.pk(),
        });
    };
    let mut changed = Vec::new();
    for (i, column) in M::META.columns.iter().enumerate() {
        if column.kind != crate::model::ColumnKind::Data {
            continue;
        }
        let mine = record.column_value(i)?;
        if row.get_ref(i).map_err(fetch_err)? != mine.as_ref() {
            changed.push((i, mine));
        }
    }
    Ok(changed)
}

/// Write `columns` (table positions and their values) of `record` and
/// bump its `updated_at`: what every save runs, whole record or partial,
/// as `UPDATE t SET "updated_at" = ?, <columns> WHERE "pk" = ?` (text
/// cached per column set).
pub(crate) fn update_columns<M: DbModel>(
    session: &Session<'_>,
    record: &mut M,
    columns: &[(usize, crate::value::Value)],
) -> Result<()> {
    let table = M::META.table_name;
    let sql = M::model_sql().update_of(M::META, columns);
    let (written, now) = run_save(session, record, &sql, |stmt| {
        for (n, (_, value)) in columns.iter().enumerate() {
            stmt.raw_bind_parameter(
                n + 2,
                rusqlite::types::ToSqlOutput::Borrowed(value.as_ref()),
            )
            .map_err(|e| classify(Operation::Update, table, e))?;
        }
        Ok(columns.len())
    })?;
    if written == 0 {
        return Err(Error::RecordNotFound {
            table: table.to_owned(),
            key: record.pk(),
        });
    }
    saved(session, record, now);
    Ok(())
}

/// Run one save statement `sql` of `record`: `?1` is the new `updated_at`,
/// `bind` binds the written values from `?2` and says how many, and the
/// pk comes last. Returns the rows it changed and the timestamp it wrote.
fn run_save<M: DbModel>(
    session: &Session<'_>,
    record: &M,
    sql: &str,
    bind: impl FnOnce(&mut rusqlite::Statement<'_>) -> Result<usize>,
) -> Result<(usize, i64)> {
    let update_err = |e| classify(Operation::Update, M::META.table_name, e);
    crate::schema::ensure_shape(session, M::META)?;
    session.begin_implicit()?;
    let now = unix_now();
    let mut stmt = session.conn.prepare_cached(sql).map_err(update_err)?;
    stmt.raw_bind_parameter(1, now).map_err(update_err)?;
    let values = bind(&mut stmt)?;
    stmt.raw_bind_parameter(values + 2, record.pk())
        .map_err(update_err)?;
    session.log_statement(&stmt);
    Ok((stmt.raw_execute().map_err(update_err)?, now))
}

/// After a save wrote the row: the cache forgets the table, the record
/// gets its `updated_at`, and a key replaced by hand (`book.author =
/// ForeignKey::to(&other)`), which has no link, gets this database.
fn saved<M: DbModel>(session: &Session<'_>, record: &mut M, now: i64) {
    session.invalidate(M::META.table_name, false);
    record.set_updated_at(now);
    record.bind_relations(session.link, false);
}

/// Delete the row with primary key `pk`; `RecordNotFound` if there is none.
pub fn delete<M: DbModel>(session: &Session<'_>, pk: i64) -> Result<()> {
    let table = M::META.table_name;
    let delete_err = |e| classify(Operation::Delete, table, e);
    crate::schema::ensure_shape(session, M::META)?;
    session.begin_implicit()?;
    let mut stmt = session
        .conn
        .prepare_cached(&M::model_sql().delete_by_pk)
        .map_err(delete_err)?;
    stmt.raw_bind_parameter(1, pk).map_err(delete_err)?;
    session.log_statement(&stmt);
    if stmt.raw_execute().map_err(delete_err)? == 0 {
        return Err(Error::RecordNotFound {
            table: table.to_owned(),
            key: pk,
        });
    }
    session.invalidate(table, true);
    Ok(())
}
