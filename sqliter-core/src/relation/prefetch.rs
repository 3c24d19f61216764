//! `prefetch_related`: the records of reverse relations, loaded for every
//! fetched record by one extra query per level, and kept in [`Related`].
//!
//! A reverse relation is declared by the child (`author: ForeignKey<Author>`
//! with `related_name = "books"`), so the parent's metadata cannot list it;
//! the derive registers each one in a link-time registry instead.

use std::any::Any;
use std::collections::HashMap;
use std::ops::{Deref, DerefMut};

use rusqlite::types::ValueRef;

use super::link::{reverse_query, SelectDb};
use crate::error::{classify, Error, Operation, Result};
use crate::model::{DbModel, TableMeta};
use crate::query::{Condition, QuerySpec};
use crate::session::Session;

/// Bound parameters per `IN (...)` list (SQLite allows 32,766).
const CHUNK: usize = 10_000;

/// The loaded children of each parent, in the parents' order; each box is
/// a `Vec<Related<C>>`.
type Loaded = Vec<Box<dyn Any + Send + Sync>>;

/// A reverse relation, registered by the derive of the model declaring the
/// foreign key.
pub struct ReverseRelation {
    /// The model pointed at.
    pub parent: fn() -> &'static TableMeta,
    /// Its `related_name`.
    pub name: &'static str,
    /// The model declaring the foreign key.
    pub child: fn() -> &'static TableMeta,
    /// The foreign-key column in the child's table.
    pub column: usize,
    /// Loads the children of some parents (monomorphised for the child).
    pub load: fn(&Session<'_>, &ReverseRelation, &[i64], &[PrefetchNode]) -> Result<Loaded>,
}

inventory::collect!(ReverseRelation);

impl std::fmt::Debug for ReverseRelation {
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

impl ReverseRelation {
    /// The reverse relation `name` of the model described by `parent`.
    pub fn find(parent: &'static TableMeta, name: &str) -> Option<&'static Self> {
        inventory::iter::<ReverseRelation>
            .into_iter()
            .find(|r| std::ptr::eq((r.parent)(), parent) && r.name == name)
    }
}

/// One level of a prefetch: a reverse relation and what to prefetch on
/// its records in turn.
#[derive(Debug, Clone)]
pub struct PrefetchNode {
    relation: &'static ReverseRelation,
    children: Vec<PrefetchNode>,
}

/// Add `prefetch_related(path)` (`"books"`, `"books__reviews"`) to `spec`.
pub(crate) fn add_path(spec: &mut QuerySpec, path: &str) -> Result<()> {
    let mut table = spec.table;
    let mut level = &mut spec.prefetch;
    for hop in path.split("__") {
        let relation = ReverseRelation::find(table, hop).ok_or_else(|| {
            let what = match table.column_by_field(hop) {
                Some(c) if c.foreign_key.is_some() => "a foreign key (load it with select_related)",
                Some(_) => "a plain field",
                None => "not a field",
            };
            Error::InvalidPrefetch {
                path: path.to_owned(),
                reason: format!(
                    "'{hop}' is {what}, not a reverse relation of model {}",
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

/// Add `with_count(path, alias)`: forward keys (`"author__"`), then a
/// reverse relation (`"books"`), counted per record.
pub(crate) fn with_count(
    spec: &mut QuerySpec,
    path: &str,
    alias: &str,
    distinct: bool,
) -> Result<()> {
    let (hops, last) = match path.rsplit_once("__") {
        Some((hops, last)) => (Some(hops), last),
        None => (None, path),
    };
    let hops = hops.into_iter().flat_map(|h| h.split("__"));
    let (on, table) = super::joined::follow_keys(spec, path, hops, |_, _, _| Ok(()))?;
    let Some(relation) = ReverseRelation::find(table, last) else {
        return Err(match table.column_by_field(last) {
            Some(c) if c.foreign_key.is_some() => Error::InvalidProjection(format!(
                "with_count('{path}'): the terminal relationship must be to-many (a reverse relation); '{last}' is a foreign key"
            )),
            _ => Error::InvalidRelationship {
                path: path.to_owned(),
                reason: format!("'{last}' is not a reverse relation of model {}", table.model_name),
            },
        });
    };
    let aggregation = spec.aggregation.get_or_insert_with(Default::default);
    let mut count = crate::query::count_annotation(spec.table, aggregation, alias, distinct)?;
    count.relation = Some(crate::query::RelationCount { on, relation });
    aggregation.annotations.push(count);
    Ok(())
}

/// A record with the reverse relations `prefetch_related` loaded for it.
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
    sets: Vec<(&'static ReverseRelation, Box<dyn Any + Send + Sync>)>,
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

    /// The records of reverse relation `name` loaded for this one, with no
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
        let (relation, set) = self
            .sets
            .iter()
            .find(|(r, _)| r.name == name)
            .ok_or_else(|| error(format!("'{name}' was not prefetched on this query")))?;
        let items = set.downcast_ref::<Vec<Related<C>>>().ok_or_else(|| {
            error(format!(
                "'{name}' holds {} records, not {}",
                (relation.child)().model_name,
                C::META.model_name
            ))
        })?;
        Ok(Prefetched {
            items,
            column: relation.column,
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
                &self.sets.iter().map(|(r, _)| r.name).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// The prefetched records of one reverse relation of one record: the
/// read operations of a reverse query, answered from memory.
#[derive(Debug)]
pub struct Prefetched<'a, C> {
    items: &'a [Related<C>],
    column: usize,
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
        reverse_query::<C, D>(db, self.column, self.parent_pk)
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

/// Load `nodes` for `records` and keep each record's share.
fn attach<M: DbModel>(
    session: &Session<'_>,
    records: &mut [Related<M>],
    nodes: &[PrefetchNode],
) -> Result<()> {
    if records.is_empty() {
        return Ok(());
    }
    let pks: Vec<i64> = records.iter().map(|r| r.record.pk()).collect();
    for node in nodes {
        let loaded = (node.relation.load)(session, node.relation, &pks, &node.children)?;
        for (record, set) in records.iter_mut().zip(loaded) {
            record.sets.push((node.relation, set));
        }
    }
    Ok(())
}

/// The loader the derive registers for child model `C`: every `C` whose
/// foreign key points at one of `parents`, one query per chunk of
/// parents, with `nodes` prefetched on them in turn.
pub fn load_children<C: DbModel + Sync>(
    session: &Session<'_>,
    relation: &ReverseRelation,
    parents: &[i64],
    nodes: &[PrefetchNode],
) -> Result<Loaded> {
    let mut children: Vec<Related<C>> = Vec::new();
    let mut owners: Vec<i64> = Vec::new();
    for chunk in parents.chunks(CHUNK) {
        let mut spec = QuerySpec::new(C::META);
        spec.conditions
            .push(Condition::one_of(relation.column, chunk));
        crate::query::exec::for_each_row::<C>(session, &spec, |record, row| {
            let owner = match row.get_ref(relation.column) {
                Ok(ValueRef::Integer(id)) => id,
                Ok(_) => return Ok(()),
                Err(e) => return Err(classify(Operation::Fetch, C::META.table_name, e)),
            };
            owners.push(owner);
            children.push(Related::new(record));
            Ok(())
        })?;
    }
    attach(session, &mut children, nodes)?;
    let mut groups: HashMap<i64, Vec<Related<C>>> = HashMap::with_capacity(parents.len());
    for (owner, child) in owners.into_iter().zip(children) {
        groups.entry(owner).or_default().push(child);
    }
    Ok(parents
        .iter()
        .map(|pk| Box::new(groups.remove(pk).unwrap_or_default()) as Box<dyn Any + Send + Sync>)
        .collect())
}
