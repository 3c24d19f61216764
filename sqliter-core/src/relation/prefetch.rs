//! `prefetch_related`: the records of to-many relations (reverse foreign
//! keys and many-to-many, either side), loaded for every fetched record by
//! one extra query per level, and kept in [`Related`].
//!
//! A reverse relation is declared by the child (`author: ForeignKey<Author>`
//! with `related_name = "books"`), so the parent's metadata cannot list it;
//! the derive registers each one in a link-time registry instead, and each
//! side of a many-to-many field too, so one lookup serves every kind.

use std::any::Any;
use std::collections::HashMap;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use rusqlite::types::ValueRef;

use super::junction::Side;
use super::link::SelectDb;
use crate::error::{classify, Error, Operation, Result};
use crate::model::{DbModel, TableMeta};
use crate::query::{Condition, QuerySpec};
use crate::session::Session;

/// Bound parameters per `IN (...)` list (SQLite allows 32,766).
const CHUNK: usize = 10_000;

/// The related records of one parent: a `Vec<Related<C>>`, shared by the
/// parents a many-to-many level reaches more than once.
type Set = Arc<dyn Any + Send + Sync>;

/// One prefetched relation of one record: the relation, its set, and for
/// a many-to-many relation, its junction table's write count when loaded
/// (a later write from either side makes the set stale).
type Loaded1 = (
    &'static ToManyRelation,
    Set,
    Option<super::junction::Version>,
);

/// The sets of the parents given to a loader, in their order.
type Loaded = Vec<Set>;

/// A to-many relation, registered by the derive of the model declaring the
/// foreign key or the many-to-many field.
pub struct ToManyRelation {
    /// The model the relation starts from.
    pub parent: fn() -> &'static TableMeta,
    /// Its name there: a `related_name`, or a many-to-many field's name.
    pub name: &'static str,
    /// The model of the related records.
    pub child: fn() -> &'static TableMeta,
    /// How the related records are reached.
    pub via: Via,
    /// Loads the children of some parents (monomorphised for the child).
    pub load: fn(&Session<'_>, &ToManyRelation, &[i64], &[PrefetchNode]) -> Result<Loaded>,
}

inventory::collect!(ToManyRelation);

/// How a to-many relation reaches its records.
#[derive(Debug, Clone, Copy)]
pub enum Via {
    /// The child's foreign-key column (a reverse relation).
    Key(usize),
    /// A junction table (many-to-many).
    Junction(Side),
}

impl Via {
    /// The condition on the child's table selecting the records related to
    /// the parent with pk `parent`.
    pub(crate) fn condition(self, parent: i64) -> Condition {
        match self {
            Self::Key(column) => Condition::equals(column, parent),
            Self::Junction(side) => Condition::related(side, parent),
        }
    }
}

impl std::fmt::Debug for ToManyRelation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}.{} -> {}",
            (self.parent)().model_name,
            self.name,
            (self.child)().model_name
        )
    }
}

impl ToManyRelation {
    /// The to-many relation `name` of the model described by `parent`.
    pub fn find(parent: &'static TableMeta, name: &str) -> Option<&'static Self> {
        inventory::iter::<ToManyRelation>
            .into_iter()
            .find(|r| std::ptr::eq((r.parent)(), parent) && r.name == name)
    }
}

/// One level of a prefetch: a to-many relation and what to prefetch on
/// its records in turn.
#[derive(Debug, Clone)]
pub struct PrefetchNode {
    relation: &'static ToManyRelation,
    children: Vec<PrefetchNode>,
}

/// Add `prefetch_related(path)` (`"books"`, `"books__reviews"`) to `spec`.
pub(crate) fn add_path(spec: &mut QuerySpec, path: &str) -> Result<()> {
    let mut table = spec.table;
    let mut level = &mut spec.prefetch;
    for hop in path.split("__") {
        let relation = ToManyRelation::find(table, hop).ok_or_else(|| {
            let what = match table.column_by_field(hop) {
                Some(c) if c.foreign_key.is_some() => "a foreign key (load it with select_related)",
                Some(_) if table.many_to_many(hop).is_some() => "a many-to-many field of another door",
                Some(_) => "a plain field",
                None => "not a field",
            };
            Error::InvalidPrefetch {
                path: path.to_owned(),
                reason: format!(
                    "'{hop}' is {what}, not a reverse foreign key or many-to-many relation of model {}",
                    table.model_name
                ),
            }
        })?;
        let at = match level
            .iter()
            .position(|n| std::ptr::eq(n.relation, relation))
        {
            Some(at) => at,
            None => {
                level.push(PrefetchNode {
                    relation,
                    children: Vec::new(),
                });
                level.len() - 1
            }
        };
        level = &mut level[at].children;
        table = (relation.child)();
    }
    Ok(())
}

/// Add `with_count(path, alias)`: forward keys (`"author__"`), then one
/// or more to-many relations (`"books"`, `"articles__tags"`), counted per
/// record.
pub(crate) fn with_count(
    spec: &mut QuerySpec,
    path: &str,
    alias: &str,
    distinct: bool,
) -> Result<()> {
    let segments: Vec<&str> = path.split("__").collect();
    // The forward keys: every segment before the last that is a foreign
    // key, followed from the queried table.
    let mut table = spec.table;
    let mut keys = 0;
    for hop in &segments[..segments.len() - 1] {
        match table
            .column_by_field(hop)
            .and_then(|c| c.foreign_key.as_ref())
        {
            Some(fk) => table = (fk.target)(),
            None => break,
        }
        keys += 1;
    }
    let (on, mut table) =
        super::joined::follow_keys(spec, path, segments[..keys].iter().copied(), |_, _, _| {
            Ok(())
        })?;
    let mut relations = Vec::new();
    for (i, hop) in segments[keys..].iter().enumerate() {
        let last = keys + i == segments.len() - 1;
        let relation = ToManyRelation::find(table, hop)
            .ok_or_else(|| bad_count_step(path, table, hop, last))?;
        relations.push(relation);
        table = (relation.child)();
    }
    let aggregation = spec.aggregation.get_or_insert_with(Default::default);
    let mut count = crate::query::count_annotation(spec.table, aggregation, alias, distinct)?;
    count.relation = Some(crate::query::RelationCount { on, relations });
    aggregation.annotations.push(count);
    Ok(())
}

/// Why `hop` of `with_count(path)` is no to-many step of `table`.
fn bad_count_step(path: &str, table: &TableMeta, hop: &str, last: bool) -> Error {
    let key = table
        .column_by_field(hop)
        .is_some_and(|c| c.foreign_key.is_some());
    if key && last {
        return Error::InvalidProjection(format!(
            "with_count('{path}'): the terminal relationship must be to-many (a reverse foreign key or many-to-many); '{hop}' is a foreign key of model {}",
            table.model_name
        ));
    }
    let reason = match (key, table.column_by_field(hop)) {
        (true, _) => format!(
            "'{hop}' is a foreign key of model {}, reached after a to-many step; with_count follows forward keys first, then to-many relations",
            table.model_name
        ),
        (false, Some(_)) => format!(
            "'{hop}' is a plain field of model {}, not a reverse foreign key or many-to-many relation",
            table.model_name
        ),
        (false, None) if hop.is_empty() => "the path is empty, or has an empty segment".to_owned(),
        (false, None) => format!(
            "'{hop}' is not a reverse foreign key or many-to-many relation of model {}",
            table.model_name
        ),
    };
    Error::InvalidRelationship {
        path: path.to_owned(),
        reason,
    }
}

/// A record with the to-many relations `prefetch_related` loaded for it.
/// It derefs to the record.
///
/// ```
/// use sqliter_core::{DbModel, ForeignKey, SqliterDB, prelude::*};
///
/// #[derive(DbModel, Debug, Clone, Default)]
/// struct Author { pk: i64, name: String }
///
/// #[derive(DbModel, Debug, Clone, Default)]
/// struct Book { pk: i64, title: String, #[sqliter(related_name = "books")] author: ForeignKey<Author> }
///
/// # fn main() -> sqliter_core::Result<()> {
/// let db = SqliterDB::open_in_memory()?;
/// db.create_table::<Author>()?;
/// db.create_table::<Book>()?;
/// let ann = db.insert(Author { name: "Ann".into(), ..Default::default() })?;
/// for title in ["A", "B"] {
///     db.insert(Book { title: title.into(), author: ForeignKey::to(&ann), ..Default::default() })?;
/// }
/// // Two queries in all, however many authors.
/// let authors = db.select::<Author>().prefetch_related("books").fetch_related()?;
/// let books = authors[0].prefetched::<Book>("books")?;
/// assert_eq!(books.count(), 2);
/// assert_eq!(books.fetch_one().unwrap().title, "A");
/// # Ok(()) }
/// ```
pub struct Related<M> {
    record: M,
    sets: Vec<Loaded1>,
}

impl<M> Related<M> {
    fn new(record: M) -> Self {
        Self {
            record,
            sets: Vec::new(),
        }
    }

    /// The record, without its prefetched relations.
    pub fn into_inner(self) -> M {
        self.record
    }

    /// The records of to-many relation `name` loaded for this one, with no
    /// query. An error if `name` was not prefetched, or its records are
    /// not `C`s.
    pub fn prefetched<C: DbModel>(&self, name: &str) -> Result<Prefetched<'_, C>>
    where
        M: DbModel,
    {
        let error = |reason: String| Error::InvalidPrefetch {
            path: name.to_owned(),
            reason,
        };
        let (relation, set, version) = self
            .sets
            .iter()
            .find(|(r, _, _)| r.name == name)
            .ok_or_else(|| error(format!("'{name}' was not prefetched on this query")))?;
        if let Some(version) = version {
            if version.is_stale(self.record.pk()) {
                // As upstream (and Django) drop a prefetched set on a write:
                // answering from it would be stale.
                return Err(error(format!(
                    "the relation behind '{name}' was written since it was prefetched (from either side); read it again (`{name}.fetch_all()`, or the reverse accessor) or prefetch again"
                )));
            }
        }
        let items = set.downcast_ref::<Vec<Related<C>>>().ok_or_else(|| {
            error(format!(
                "'{name}' holds {} records, not {}",
                (relation.child)().model_name,
                C::META.model_name
            ))
        })?;
        Ok(Prefetched {
            items,
            via: relation.via,
            parent_pk: self.record.pk(),
        })
    }
}

impl<M: DbModel> Related<M> {
    /// [`prefetched`](Self::prefetched) by a typed path (`Author::BOOKS`),
    /// whose type fixes the records' type.
    pub fn related<C: DbModel>(
        &self,
        path: &super::RelationPath<M, C>,
    ) -> Result<Prefetched<'_, C>> {
        self.prefetched::<C>(path.as_str())
    }
}

impl<M> Deref for Related<M> {
    type Target = M;
    fn deref(&self) -> &M {
        &self.record
    }
}

impl<M> DerefMut for Related<M> {
    fn deref_mut(&mut self) -> &mut M {
        &mut self.record
    }
}

impl<M: std::fmt::Debug> std::fmt::Debug for Related<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Related")
            .field("record", &self.record)
            .field(
                "prefetched",
                &self.sets.iter().map(|(r, _, _)| r.name).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// The prefetched records of one to-many relation of one record: the
/// read operations of a reverse query, answered from memory.
#[derive(Debug)]
pub struct Prefetched<'a, C> {
    items: &'a [Related<C>],
    via: Via,
    parent_pk: i64,
}

impl<'a, C: DbModel> Prefetched<'a, C> {
    /// Every related record, in pk order.
    pub fn fetch_all(&self) -> &'a [Related<C>] {
        self.items
    }

    /// The first related record.
    pub fn fetch_one(&self) -> Option<&'a Related<C>> {
        self.items.first()
    }

    /// How many related records there are.
    pub fn count(&self) -> usize {
        self.items.len()
    }

    /// Whether there is any.
    pub fn exists(&self) -> bool {
        !self.items.is_empty()
    }

    /// A real query on the relation, for what memory cannot answer
    /// (filters, order, aggregates).
    pub fn query<'db, D: SelectDb>(&self, db: &'db D) -> D::Query<'db, C> {
        super::link::related_query::<C, D>(db, self.via, self.parent_pk)
    }
}

/// The records of `spec` with its prefetched relations.
pub fn fetch_related<M: DbModel>(
    session: &Session<'_>,
    spec: &QuerySpec,
) -> Result<Vec<Related<M>>> {
    let records = crate::query::exec::fetch_all::<M>(session, spec)?;
    let mut out: Vec<Related<M>> = records.into_iter().map(Related::new).collect();
    attach(session, &mut out, &spec.prefetch)?;
    Ok(out)
}

/// The first record of `spec` in its order (as `fetch_one`), with its
/// prefetched relations: the same one query per level as `fetch_related`.
pub fn fetch_one_related<M: DbModel>(
    session: &Session<'_>,
    spec: &QuerySpec,
) -> Result<Option<Related<M>>> {
    let Some(record) = crate::query::exec::fetch_first::<M>(session, spec)? else {
        return Ok(None);
    };
    let mut out = vec![Related::new(record)];
    attach(session, &mut out, &spec.prefetch)?;
    Ok(out.pop())
}

/// Where the writes to a many-to-many `relation` stand before a load.
fn junction_version(
    session: &Session<'_>,
    relation: &ToManyRelation,
) -> Option<super::junction::Version> {
    match relation.via {
        Via::Junction(side) => Some(session.settings.junction_versions.current(side)),
        Via::Key(_) => None,
    }
}

/// Load `nodes` for `records` and keep each record's share.
fn attach<M: DbModel>(
    session: &Session<'_>,
    records: &mut [Related<M>],
    nodes: &[PrefetchNode],
) -> Result<()> {
    if records.is_empty() {
        return Ok(());
    }
    // A record reached twice through a many-to-many level (a tag of two
    // articles) is loaded once and shares its sets.
    let mut pks: Vec<i64> = records.iter().map(|r| r.record.pk()).collect();
    pks.sort_unstable();
    pks.dedup();
    for node in nodes {
        // Read before loading: a write racing the load makes the set stale.
        let version = junction_version(session, node.relation);
        let loaded = (node.relation.load)(session, node.relation, &pks, &node.children)?;
        let by_pk: HashMap<i64, Set> = pks.iter().copied().zip(loaded).collect();
        for record in records.iter_mut() {
            if let Some(set) = by_pk.get(&record.record.pk()) {
                record
                    .sets
                    .push((node.relation, Arc::clone(set), version.clone()));
            }
        }
    }
    Ok(())
}

/// The loader the derive registers for child model `C`: every `C` whose
/// foreign key points at one of `parents`, one query per chunk of
/// parents, with `nodes` prefetched on them in turn.
pub fn load_children<C: DbModel + Sync>(
    session: &Session<'_>,
    relation: &ToManyRelation,
    parents: &[i64],
    nodes: &[PrefetchNode],
) -> Result<Loaded> {
    let Via::Key(column) = relation.via else {
        return Err(Error::Internal(format!(
            "{relation:?} is not a foreign key"
        )));
    };
    let mut children: Vec<Related<C>> = Vec::new();
    let mut owners: Vec<i64> = Vec::new();
    for chunk in parents.chunks(CHUNK) {
        let mut spec = QuerySpec::new(C::META);
        spec.conditions.push(Condition::one_of(column, chunk));
        crate::query::exec::for_each_row::<C>(session, &spec, |record, row| {
            let owner = match row.get_ref(column) {
                Ok(ValueRef::Integer(id)) => id,
                Ok(_) => return Ok(()),
                Err(e) => return Err(classify(Operation::Fetch, C::META.table_name, e)),
            };
            owners.push(owner);
            children.push(Related::new(record));
            Ok(())
        })?;
    }
    group(session, parents, owners, children, nodes)
}

/// Prefetch `nodes` on `children`, then hand each parent its own.
fn group<C: DbModel + Sync>(
    session: &Session<'_>,
    parents: &[i64],
    owners: Vec<i64>,
    mut children: Vec<Related<C>>,
    nodes: &[PrefetchNode],
) -> Result<Loaded> {
    attach(session, &mut children, nodes)?;
    let mut groups: HashMap<i64, Vec<Related<C>>> = HashMap::with_capacity(parents.len());
    for (owner, child) in owners.into_iter().zip(children) {
        groups.entry(owner).or_default().push(child);
    }
    Ok(parents
        .iter()
        .map(|pk| Arc::new(groups.remove(pk).unwrap_or_default()) as Set)
        .collect())
}

/// The loader the derive registers for each side of a many-to-many field
/// whose related model is `C`: one query per chunk of parents, the
/// junction joined to `C`'s table, each row carrying its parent's pk.
pub fn load_related<C: DbModel + Sync>(
    session: &Session<'_>,
    relation: &ToManyRelation,
    parents: &[i64],
    nodes: &[PrefetchNode],
) -> Result<Loaded> {
    let Via::Junction(side) = relation.via else {
        return Err(Error::Internal(format!("{relation:?} is not many-to-many")));
    };
    let table = C::META.table_name;
    let fetch_err = |e| classify(Operation::Fetch, table, e);
    crate::schema::ensure_shape(session, C::META)?;
    let layout = crate::model::RowLayout::full_at(1, C::META.columns.len());
    let ctx = session.decode_context();
    let mut children: Vec<Related<C>> = Vec::new();
    let mut owners: Vec<i64> = Vec::new();
    for chunk in parents.chunks(CHUNK / 2) {
        let sql = side.prefetch_sql(C::META, chunk.len());
        let mut stmt = session.conn.prepare_cached(&sql).map_err(fetch_err)?;
        for (i, pk) in chunk
            .iter()
            .chain(chunk)
            .take(chunk.len() * side.binds())
            .enumerate()
        {
            stmt.raw_bind_parameter(i + 1, *pk).map_err(fetch_err)?;
        }
        session.log_statement(&stmt);
        let mut rows = stmt.raw_query();
        while let Some(row) = rows.next().map_err(fetch_err)? {
            let owner: i64 = row.get(0).map_err(fetch_err)?;
            owners.push(owner);
            children.push(Related::new(C::from_row(row, &layout, &ctx)?));
        }
    }
    group(session, parents, owners, children, nodes)
}
