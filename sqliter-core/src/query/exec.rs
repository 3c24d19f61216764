//! Running a [`QuerySpec`] on a [`Session`]: the terminal methods of both
//! doors call these.

use super::aggregate::DictRow;
use super::chain::user_updatable;
use super::filter::{Assignment, Condition};
use super::param::Param;
use super::spec::QuerySpec;
use super::spec::{OrderTarget, Terminal};
use super::sql::{build, Mode};
use crate::cache::{CacheKey, Cacheable};
use crate::db::Settings;
use crate::error::{classify, Error, Operation, Result};
use crate::model::{ColumnKind, DbModel, RowLayout};
use crate::record::Record;
use crate::relation::joined::RelatedPlan;
pub use crate::relation::prefetch::{fetch_one_related, fetch_related};
use crate::session::{unix_now, Session};
use crate::value::Value;
use std::sync::Arc;
use std::time::Duration;

/// Check, before any SQL runs, that `terminal` fits the query: the error a
/// chain method recorded; row terminals refused in projection mode and
/// `fetch_dicts` outside it (as upstream); order keys and `having` targets
/// naming a grouped field or an alias.
pub fn check(spec: &QuerySpec, terminal: Terminal) -> Result<()> {
    if let Some(error) = &spec.error {
        return Err(error.clone());
    }
    let projecting = spec.aggregation.is_some();
    if terminal == Terminal::Dicts && !projecting {
        return Err(Error::InvalidProjection(
            "fetch_dicts() requires projection mode (group_by or annotate)".into(),
        ));
    }
    let row_terminal = matches!(
        terminal,
        Terminal::All | Terminal::First | Terminal::Last | Terminal::Dicts
    );
    if row_terminal && !spec.prefetch.is_empty() {
        return Err(Error::InvalidPrefetch {
            path: String::new(),
            reason: format!(
                "{} cannot return prefetched relations; use fetch_related() or fetch_one_related()",
                terminal_name(terminal)
            ),
        });
    }
    if terminal == Terminal::Related && (projecting || spec.projection.is_some()) {
        return Err(Error::InvalidProjection(
            "fetch_related() needs whole records: no fields(), group_by or annotate".into(),
        ));
    }
    if terminal != Terminal::Dicts && projecting {
        return Err(Error::InvalidProjection(format!(
            "{} is not available on a projection query; use fetch_dicts()",
            terminal_name(terminal)
        )));
    }
    for order in &spec.order {
        if let OrderTarget::Name(name) = &order.target {
            match &spec.aggregation {
                Some(a) if a.resolve(spec.table, name).is_some() => {}
                Some(_) => {
                    return Err(Error::InvalidProjection(format!(
                        "ORDER BY field '{name}' is invalid for a projection query: \
                         it is neither a field of {} nor an aggregate alias",
                        spec.table.model_name
                    )))
                }
                None => {
                    return Err(Error::InvalidOrder {
                        model: spec.table.model_name.to_owned(),
                        field: name.clone(),
                    })
                }
            }
        }
    }
    if projecting && !spec.related.is_empty() {
        return Err(Error::InvalidProjection(
            "projection queries do not support select_related".into(),
        ));
    }
    if let Some(aggregation) = spec.aggregation.as_ref().filter(|a| a.counts_relations()) {
        let mixed = !aggregation.group_by.is_empty()
            || aggregation.annotations.iter().any(|a| a.relation.is_none());
        if mixed {
            return Err(Error::InvalidProjection(
                "with_count() cannot be combined with group_by or annotate (having on its alias works)".into(),
            ));
        }
    }
    if let Some(aggregation) = &spec.aggregation {
        for h in &aggregation.having {
            if aggregation.resolve(spec.table, &h.name).is_none() {
                return Err(Error::InvalidProjection(format!(
                    "having on '{}': only grouped fields and aggregate aliases can be used",
                    h.name
                )));
            }
        }
    }
    Ok(())
}

fn terminal_name(terminal: Terminal) -> &'static str {
    match terminal {
        Terminal::All => "fetch_all()",
        Terminal::First => "fetch_one()/fetch_first()",
        Terminal::Last => "fetch_last()",
        Terminal::Count => "count()",
        Terminal::Exists => "exists()",
        Terminal::Dicts => "fetch_dicts()",
        Terminal::Related => "fetch_related()",
    }
}

/// The rows of a projection query, keyed by grouped field and alias.
pub fn fetch_dicts(session: &Session<'_>, spec: &QuerySpec) -> Result<Vec<DictRow>> {
    let table = spec.table.table_name;
    let names: Arc<[String]> = spec
        .aggregation
        .as_ref()
        .map(|a| a.names(spec.table))
        .unwrap_or_default()
        .into();
    let mut stmt = statement(session, spec, Mode::Dicts, &[], Operation::Fetch)?;
    let mut rows = stmt.raw_query();
    let mut out = Vec::new();
    while let Some(row) = rows
        .next()
        .map_err(|e| classify(Operation::Fetch, table, e))?
    {
        let values = (0..names.len())
            .map(|i| row.get_ref(i).map(Value::from_ref))
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| classify(Operation::Fetch, table, e))?;
        out.push(DictRow::new(Arc::clone(&names), values));
    }
    Ok(out)
}

/// The outcome of looking an answer up, before any round trip.
#[derive(Debug)]
pub enum Lookup<T> {
    /// Answered from the cache.
    Hit(T),
    /// Not cached: compute it with [`answer`], passing the key on.
    Miss(Option<CacheKey>),
}

/// Look `key`'s answer up (counting a hit or miss); `None` when the cache
/// is off or the caller bypasses it.
pub fn lookup<T: Cacheable>(settings: &Settings, table: &str, key: Option<CacheKey>) -> Lookup<T> {
    match key {
        Some(key) => match settings.cache.lock().get(table, &key) {
            Some(hit) => Lookup::Hit(hit),
            None => Lookup::Miss(Some(key)),
        },
        None => Lookup::Miss(None),
    }
}

/// The cached answer of `spec` as query terminal `terminal`, or the key a
/// computed one is kept under (both doors' terminals start here).
pub fn lookup_query<T: Cacheable>(
    settings: &Settings,
    spec: &QuerySpec,
    terminal: Terminal,
) -> Result<Lookup<T>> {
    check(spec, terminal)?;
    if spec.nothing {
        if let Some(empty) = T::nothing() {
            return Ok(Lookup::Hit(empty));
        }
    }
    let key = query_key(settings, spec, terminal);
    Ok(lookup(settings, spec.table.table_name, key))
}

/// The key of `spec` answered by `terminal`, if the answer may be cached.
pub fn query_key(settings: &Settings, spec: &QuerySpec, terminal: Terminal) -> Option<CacheKey> {
    (!spec.bypass_cache && settings.cache.enabled()).then(|| CacheKey::query(spec, terminal))
}

/// Compute an answer on the connection's thread and keep it under `key`
/// right away, before any other statement can change the table. Nothing is
/// kept while a transaction is open: the answer may hold uncommitted rows.
pub fn answer<T: Cacheable>(
    session: &Session<'_>,
    table: &str,
    key: Option<CacheKey>,
    ttl: Option<Duration>,
    compute: impl FnOnce() -> Result<T>,
) -> Result<T> {
    answer_joined(session, table, &[], key, ttl, compute)
}

/// [`answer`] for an answer that also read the `joined` tables: a write to
/// any of them drops it too.
pub fn answer_joined<T: Cacheable>(
    session: &Session<'_>,
    table: &str,
    joined: &[&str],
    key: Option<CacheKey>,
    ttl: Option<Duration>,
    compute: impl FnOnce() -> Result<T>,
) -> Result<T> {
    let value = compute()?;
    if let Some(key) = key {
        if session.conn.is_autocommit() {
            let mut cache = session.settings.cache.lock();
            cache.note_joins(table, joined);
            cache.set(table, key, &value, ttl);
        }
    }
    Ok(value)
}

/// Run a query terminal through the cache: the answer is stored under the
/// queried table and noted against every table the query joined.
pub fn answer_query<T: Cacheable>(
    session: &Session<'_>,
    spec: &QuerySpec,
    key: Option<CacheKey>,
    compute: fn(&Session<'_>, &QuerySpec) -> Result<T>,
) -> Result<T> {
    let joined: Vec<&str> = spec
        .joins
        .iter()
        .map(|j| j.table.table_name)
        .chain(spec.conditions.iter().filter_map(Condition::junction_table))
        .collect();
    answer_joined(
        session,
        spec.table.table_name,
        &joined,
        key,
        spec.cache_ttl,
        || compute(session, spec),
    )
}

/// The prepared (cached) statement of `spec` in `mode`, parameters bound
/// and logged: every terminal starts here.
fn statement<'s>(
    session: &'s Session<'_>,
    spec: &QuerySpec,
    mode: Mode,
    updates: &[(usize, Value)],
    op: Operation,
) -> Result<rusqlite::CachedStatement<'s>> {
    let table = spec.table.table_name;
    let root = crate::schema::ensure_shape(session, spec.table)?;
    let mut joined = Vec::new();
    for join in &spec.joins {
        joined.push(crate::schema::ensure_shape(session, join.table)?);
    }
    // Only a file with numbers in TEXT columns changes the text (and
    // allocates here).
    let numbers: Vec<_> = if root.is_none() && joined.iter().all(Option::is_none) {
        Vec::new()
    } else {
        std::iter::once(root).chain(joined).collect()
    };
    let built = build(spec, mode, updates, &numbers);
    let mut stmt = session
        .conn
        .prepare_cached(&built.sql)
        .map_err(|e| classify(op, table, e))?;
    for (i, value) in built.params.iter().enumerate() {
        stmt.raw_bind_parameter(i + 1, rusqlite::types::ToSqlOutput::Borrowed(*value))
            .map_err(|e| classify(op, table, e))?;
    }
    session.log_statement(&stmt);
    Ok(stmt)
}

fn layout_of(spec: &QuerySpec) -> Option<RowLayout> {
    spec.projection
        .as_ref()
        .map(|selected| RowLayout::projection(spec.table.columns.len(), selected))
}

/// Decode every row of `spec` (`select_related` records filled in) and
/// hand each record to `f` with its row.
pub(crate) fn for_each_row<M: DbModel>(
    session: &Session<'_>,
    spec: &QuerySpec,
    mut f: impl FnMut(M, &rusqlite::Row<'_>) -> Result<()>,
) -> Result<()> {
    for_each_row_in(session, spec, Mode::Rows, &mut f)
}

fn for_each_row_in<M: DbModel>(
    session: &Session<'_>,
    spec: &QuerySpec,
    mode: Mode,
    f: &mut impl FnMut(M, &rusqlite::Row<'_>) -> Result<()>,
) -> Result<()> {
    let table = spec.table.table_name;
    let mut stmt = statement(session, spec, mode, &[], Operation::Fetch)?;
    let projected = layout_of(spec);
    let layout = projected.as_ref().unwrap_or(&M::model_sql().full_layout);
    let base_width = spec
        .projection
        .as_ref()
        .map_or(M::META.columns.len(), Vec::len);
    let related = RelatedPlan::of(spec, base_width);
    let ctx = session.decode_context();
    let mut rows = stmt.raw_query();
    while let Some(row) = rows
        .next()
        .map_err(|e| classify(Operation::Fetch, table, e))?
    {
        let record = M::from_row(row, layout, &ctx)?;
        if let Some(plan) = &related {
            plan.fill_children(&record, 0, row, &ctx)?;
        }
        f(record, row)?;
    }
    Ok(())
}

/// The rows of `spec` as `R`s: whole records, or partial ones knowing the
/// columns the projection loaded.
fn rows<R: Record>(session: &Session<'_>, spec: &QuerySpec, mode: Mode) -> Result<Vec<R>> {
    let loaded: Option<Arc<[usize]>> = spec.projection.as_deref().map(Arc::from);
    let mut out = Vec::new();
    for_each_row_in::<R::Model>(session, spec, mode, &mut |record, _| {
        out.push(R::from_query(record, loaded.as_ref())?);
        Ok(())
    })?;
    Ok(out)
}

/// Every matching row.
pub fn fetch_all<R: Record>(session: &Session<'_>, spec: &QuerySpec) -> Result<Vec<R>> {
    rows(session, spec, Mode::Rows)
}

/// The first matching row in the query's order (`fetch_one` and
/// `fetch_first` alike), or `None`.
pub fn fetch_first<R: Record>(session: &Session<'_>, spec: &QuerySpec) -> Result<Option<R>> {
    Ok(rows(session, spec, Mode::First)?.pop())
}

/// The last matching row in the query's order, or `None`.
pub fn fetch_last<R: Record>(session: &Session<'_>, spec: &QuerySpec) -> Result<Option<R>> {
    Ok(rows(session, spec, Mode::Last)?.pop())
}

fn scalar(session: &Session<'_>, spec: &QuerySpec, mode: Mode) -> Result<i64> {
    let table = spec.table.table_name;
    let mut stmt = statement(session, spec, mode, &[], Operation::Fetch)?;
    let mut rows = stmt.raw_query();
    let row = rows
        .next()
        .map_err(|e| classify(Operation::Fetch, table, e))?
        .ok_or_else(|| Error::Transaction("an aggregate returned no row".into()))?;
    row.get::<_, i64>(0)
        .map_err(|e| classify(Operation::Fetch, table, e))
}

/// How many rows `fetch_all` would return.
pub fn count(session: &Session<'_>, spec: &QuerySpec) -> Result<u64> {
    scalar(session, spec, Mode::Count).map(|n| u64::try_from(n).unwrap_or(0))
}

/// Whether `fetch_all` would return any row.
pub fn exists(session: &Session<'_>, spec: &QuerySpec) -> Result<bool> {
    scalar(session, spec, Mode::Exists).map(|n| n != 0)
}

/// Refuse a bulk write the query cannot express without changing what it
/// touches: a projection (`group_by`, `annotate`, `having`, `with_count`)
/// describes groups, not rows, so deleting or updating "its" rows would hit
/// every row the filters match (upstream refuses it too).
fn check_bulk_write(spec: &QuerySpec, method: &str) -> Result<()> {
    if let Some(error) = &spec.error {
        return Err(error.clone());
    }
    if spec.aggregation.is_some() {
        return Err(Error::InvalidProjection(format!(
            "{method}() is unavailable for projection queries (group_by, annotate, \
             having, with_count); remove them to {method} the rows the filters match"
        )));
    }
    Ok(())
}

/// Delete the rows the filters match (order, limit and offset do not
/// apply, as upstream); returns how many. Refused on projection queries.
pub fn delete(session: &Session<'_>, spec: &QuerySpec) -> Result<u64> {
    check_bulk_write(spec, "delete")?;
    let table = spec.table.table_name;
    session.begin_implicit()?;
    let mut stmt = statement(session, spec, Mode::Delete, &[], Operation::Delete)?;
    let n = stmt
        .raw_execute()
        .map_err(|e| classify(Operation::Delete, table, e))?;
    session.invalidate(table, true);
    Ok(n as u64)
}

/// Check assignments against the model: known, user-updatable fields, and
/// values that the field can read back.
pub(crate) fn resolve_assignments(
    spec: &QuerySpec,
    assignments: Vec<Assignment>,
) -> Result<Vec<(usize, Value)>> {
    let table = spec.table;
    let mut unknown: Vec<String> = Vec::new();
    let mut resolved = Vec::with_capacity(assignments.len() + 1);
    for Assignment { field, value } in assignments {
        let Some(index) = table.column_index(&field) else {
            unknown.push(field.into_owned());
            continue;
        };
        let column = &table.columns[index];
        // An explicit `updated_at` is allowed, as upstream; the pk and
        // `created_at` never change in bulk.
        if !user_updatable(column.kind) && column.kind != ColumnKind::UpdatedAt {
            let what = if column.kind == ColumnKind::PrimaryKey {
                "the primary key"
            } else {
                "a timestamp"
            };
            return Err(Error::InvalidUpdate(format!(
                "'{field}' is {what} and cannot be updated in bulk"
            )));
        }
        let value = match value {
            Param::One(Value::Real(f)) if f.is_nan() => {
                return Err(Error::InvalidUpdate(format!(
                    "'{field}': NaN cannot be stored"
                )));
            }
            Param::One(v) => v,
            Param::List(_) => {
                return Err(Error::InvalidUpdate(format!(
                    "'{field}' takes one value, not a list"
                )))
            }
            Param::Invalid(reason) => {
                return Err(Error::InvalidUpdate(format!("'{field}': {reason}")))
            }
        };
        (column.check)(value.as_ref()).map_err(|reason| {
            Error::InvalidUpdate(format!(
                "'{field}' cannot hold {}: {reason}",
                value.storage_class()
            ))
        })?;
        resolved.push((index, value));
    }
    if !unknown.is_empty() {
        unknown.sort();
        return Err(Error::InvalidUpdate(format!(
            "unknown fields: {}",
            unknown.join(", ")
        )));
    }
    Ok(resolved)
}

/// Set fields on every row the filters match and bump `updated_at`;
/// returns how many rows changed. No values: nothing runs. Refused on
/// projection queries.
pub fn update(
    session: &Session<'_>,
    spec: &QuerySpec,
    assignments: Vec<Assignment>,
) -> Result<u64> {
    check_bulk_write(spec, "update")?;
    let table = spec.table.table_name;
    let mut values = resolve_assignments(spec, assignments)?;
    if values.is_empty() {
        return Ok(0);
    }
    let updated_at = spec
        .table
        .columns
        .iter()
        .position(|c| c.kind == ColumnKind::UpdatedAt)
        .unwrap_or(2);
    // Bump `updated_at` unless the caller set it.
    if !values.iter().any(|(column, _)| *column == updated_at) {
        values.insert(0, (updated_at, Value::Integer(unix_now())));
    }
    session.begin_implicit()?;
    let mut stmt = statement(session, spec, Mode::Update, &values, Operation::Update)?;
    let n = stmt
        .raw_execute()
        .map_err(|e| classify(Operation::Update, table, e))?;
    session.invalidate(table, false);
    Ok(n as u64)
}
