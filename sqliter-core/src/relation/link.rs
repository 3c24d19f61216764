//! How a record finds its database again: a weak, type-erased handle that
//! each door knows how to turn back into itself.

use std::any::Any;
use std::future::Future;
use std::sync::{Arc, Weak};

use rusqlite::Row;

use crate::cache::Cacheable;
use crate::error::Result;
use crate::model::DbModel;
use crate::query::{QuerySpec, Terminal};
use crate::session::Session;
use crate::value::DecodeContext;

/// The handle records returned by a database keep in their relation fields.
///
/// It is weak: a record does not keep the database open (records also live
/// in the database's own query cache). Once every clone of the database is
/// dropped, relation calls report [`Error::NotAttached`](crate::Error::NotAttached).
#[derive(Clone)]
pub struct Link(Weak<dyn Any + Send + Sync>);

impl Link {
    /// A link to the shared state a door keeps behind an `Arc`.
    pub fn new<T: Any + Send + Sync>(state: Weak<T>) -> Self {
        Self(state)
    }

    /// The shared state, if it is still alive and of type `T`.
    pub fn upgrade<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        self.0.upgrade()?.downcast().ok()
    }
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.strong_count() > 0 {
            "Link(alive)"
        } else {
            "Link(dropped)"
        })
    }
}

/// The door behind a relation field's `link`, or why there is none:
/// `missing` says how the field came to have no link, `fields` names the
/// field types of both doors.
pub(crate) fn door_of<D: LinkedDb>(
    link: Option<&Link>,
    model: &'static str,
    missing: &str,
    fields: &str,
) -> Result<D> {
    let not_attached = |reason: String| crate::Error::NotAttached { model, reason };
    let link = link.ok_or_else(|| not_attached(missing.to_owned()))?;
    D::from_link(link).ok_or_else(|| {
        not_attached(format!(
            "its database was dropped, or is the other door's ({fields})"
        ))
    })
}

/// A database handle that relation fields can carry: `SqliterDB` or
/// `AsyncSqliterDB`.
pub trait LinkedDb: Clone + Send + Sync + 'static {
    /// The database behind `link`, if `link` was made by this kind of
    /// database and it is still open.
    fn from_link(link: &Link) -> Option<Self>;
    /// The link records of this database carry.
    fn link(&self) -> Link;
}

/// What async relation fields need from their database.
pub trait AsyncRelationDb: LinkedDb {
    /// The `M` with primary key `pk`, through the query cache.
    fn get_related<M: DbModel>(&self, pk: i64) -> impl Future<Output = Result<Option<M>>> + Send;

    /// Run `f` on the database's connection (inside the current task's
    /// transaction, if one is open).
    fn run_session<T, F>(&self, f: F) -> impl Future<Output = Result<T>> + Send
    where
        T: Send + 'static,
        F: FnOnce(&Session<'_>) -> Result<T> + Send + 'static;

    /// Answer `spec` as a query terminal does: from the cache when it can,
    /// else by `f`, keeping the answer.
    fn cached<T: Cacheable>(
        &self,
        spec: QuerySpec,
        terminal: Terminal,
        f: fn(&Session<'_>, &QuerySpec) -> Result<T>,
    ) -> impl Future<Output = Result<T>> + Send;
}

/// A relation field that `select_related` fills from the joined columns of
/// the same row. Implemented by the foreign-key field types.
pub trait RelationSlot {
    /// Decode the related record from `row` as `plan` places it (alias
    /// `alias`), fill its own nested relations, and keep it.
    fn fill(
        &self,
        row: &Row<'_>,
        plan: &super::joined::RelatedPlan,
        alias: usize,
        ctx: &DecodeContext,
    ) -> Result<()>;
}

/// A database whose queries the generated reverse accessors
/// (`author.books(&db)`) start: `SqliterDB` or `AsyncSqliterDB`.
pub trait SelectDb: LinkedDb {
    /// The door's query builder.
    type Query<'a, M: DbModel>: crate::query::QueryChain<Model = M>
    where
        Self: 'a;
    /// A query on every `M` (the door's `select::<M>()`).
    fn query<M: DbModel>(&self) -> Self::Query<'_, M>;
}

/// The query of the `C` records related to the record with pk `pk`
/// through `via`: what reverse accessors, many-to-many managers and
/// prefetched sets hand out for the full chain. A record not stored
/// (pk 0) has none: the query answers with no round trip.
pub fn related_query<C: DbModel, D: SelectDb>(
    db: &D,
    via: super::prefetch::Via,
    pk: i64,
) -> D::Query<'_, C> {
    let mut query = db.query::<C>();
    let spec = crate::query::QueryChain::spec_mut(&mut query);
    if pk == 0 {
        spec.match_nothing();
    } else {
        spec.conditions.push(via.condition(pk));
    }
    query
}
