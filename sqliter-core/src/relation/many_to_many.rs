//! [`ManyToManyOf`]: a many-to-many field, and the manager of the related
//! records of one stored record (the field itself, or what a generated
//! reverse accessor such as `tag.articles(&db)` returns).

use std::marker::PhantomData;

use super::junction::{ManyToManyMeta, Side, SqlMetadata};
use super::link::{related_query, AsyncRelationDb, Link, LinkedDb, SelectDb};
use super::prefetch::Via;
use crate::db::SqliterDB;
use crate::error::{Error, Result};
use crate::model::DbModel;
use crate::query::{exec, Condition, Order, OrderTarget, QueryChain, QuerySpec, Terminal};

/// A many-to-many field of the sync door: the `T` records related to this
/// one through a junction table that `create_table` makes.
///
/// The field holds no data of its own; a record inserted into or read
/// from the database knows its relation, so the manager methods need no
/// argument (the query-building [`query`](Self::query) takes the database
/// as reverse accessors do).
///
/// ```
/// use sqliter_core::{DbModel, ManyToMany, SqliterDB, prelude::*};
///
/// #[derive(DbModel, Debug, Clone, Default)]
/// struct Tag { pk: i64, name: String }
///
/// #[derive(DbModel, Debug, Clone, Default)]
/// struct Article {
///     pk: i64,
///     title: String,
///     #[sqliter(related_name = "articles")]
///     tags: ManyToMany<Tag>,
/// }
///
/// # fn main() -> sqliter_core::Result<()> {
/// let db = SqliterDB::open_in_memory()?;
/// db.create_table::<Tag>()?;
/// db.create_table::<Article>()?; // and its junction table `articles_tags`
/// let rust = db.insert(Tag { name: "rust".into(), ..Default::default() })?;
/// let sql = db.insert(Tag { name: "sql".into(), ..Default::default() })?;
/// let article = db.insert(Article { title: "ORMs".into(), ..Default::default() })?;
///
/// article.tags.add([&rust, &sql])?;
/// article.tags.add([&rust])?; // already there: no-op
/// assert_eq!(article.tags.count()?, 2);
/// assert_eq!(rust.articles(&db).fetch_all()?[0].title, "ORMs");
///
/// let found = article.tags.query(&db).filter(Tag::name().eq("sql")).fetch_all()?;
/// assert_eq!(found.len(), 1);
/// article.tags.set([&sql])?; // replace the whole set, atomically
/// assert_eq!(article.tags.fetch_all()?[0].name, "sql");
/// # Ok(()) }
/// ```
pub type ManyToMany<T> = ManyToManyOf<T, SqliterDB>;

/// The related `T` records of one record, through database `D`. Use the
/// aliases: [`ManyToMany<T>`] for `SqliterDB`, `AsyncManyToMany<T>` for
/// `AsyncSqliterDB`.
pub struct ManyToManyOf<T, D> {
    bound: Option<Bound>,
    _types: PhantomData<fn() -> (T, D)>,
}

/// What a junction write needs: the side, the source pk, the database and
/// the related pks.
type Write<D> = (Side, i64, D, Vec<i64>);

/// What a stored record's relation knows.
#[derive(Clone)]
struct Bound {
    side: Side,
    /// The pk of the record the relation belongs to.
    source: i64,
    link: Option<Link>,
}

impl<T, D> ManyToManyOf<T, D> {
    /// A field not yet stored: [`Default`] does the same.
    pub fn new() -> Self {
        Self {
            bound: None,
            _types: PhantomData,
        }
    }

    #[doc(hidden)]
    /// The relation of the record with pk `source` (used by the derive and
    /// the reverse accessors).
    pub fn bound(
        relation: &'static ManyToManyMeta,
        forward: bool,
        source: i64,
        link: Option<Link>,
    ) -> Self {
        Self {
            bound: Some(Bound {
                side: Side { relation, forward },
                source,
                link,
            }),
            _types: PhantomData,
        }
    }

    /// Let the relation read and write through `db`, like
    /// [`ForeignKeyOf::attach`](crate::ForeignKeyOf::attach): for a field of
    /// a record read from or inserted into a database (say, one whose
    /// database was dropped and reopened). The field of a record built by
    /// hand knows neither the record's pk nor which relation it is, so it
    /// is `Error::NotAttached`, saying to attach the record instead
    /// (`record.attach(&db)`, which attaches every relation field).
    pub fn attach(&mut self, db: &D) -> Result<()>
    where
        T: DbModel,
        D: LinkedDb,
    {
        match &mut self.bound {
            Some(bound) => {
                bound.link = Some(db.link());
                Ok(())
            }
            None => Err(Error::NotAttached {
                model: T::META.model_name,
                reason: "a many-to-many field of a record built by hand does not know its relation; attach the record: `record.attach(&db)`".to_owned(),
            }),
        }
    }

    /// Whether the field belongs to a record read from or inserted into a
    /// database (only then can it answer).
    pub fn is_attached(&self) -> bool {
        self.bound.as_ref().is_some_and(|b| b.link.is_some())
    }

    /// The junction table and column names, for raw SQL; `None` before the
    /// record is stored. The same names are on the model's metadata
    /// (`TableMeta::many_to_many`).
    pub fn sql_metadata(&self) -> Option<SqlMetadata> {
        self.bound.as_ref().map(|b| b.side.sql_metadata())
    }

    /// The relation of a stored record; `None` while the record holding
    /// the field was never inserted or read (or has pk 0): it has no
    /// related records yet, and reads answer so without a query.
    fn stored(&self) -> Option<&Bound> {
        self.bound.as_ref().filter(|b| b.source != 0)
    }

    /// The database a stored relation reads and writes through.
    fn db_of(bound: &Bound) -> Result<D>
    where
        T: DbModel,
        D: LinkedDb,
    {
        super::link::door_of(
            bound.link.as_ref(),
            T::META.model_name,
            "the relation was built without a database; read the record from one or call `record.attach(&db)`",
            "ManyToMany belongs to SqliterDB, AsyncManyToMany to AsyncSqliterDB",
        )
    }

    /// The database and spec of a manager read: the related records in pk
    /// order; `None` for a record not stored (it has none, as upstream).
    fn read_parts(&self) -> Result<Option<(D, QuerySpec)>>
    where
        T: DbModel,
        D: LinkedDb,
    {
        let Some(bound) = self.stored() else {
            return Ok(None);
        };
        let db = Self::db_of(bound)?;
        let mut spec = QuerySpec::new(T::META);
        spec.conditions
            .push(Condition::related(bound.side, bound.source));
        spec.order.push(Order {
            target: OrderTarget::Column(0),
            descending: false,
        });
        Ok(Some((db, spec)))
    }

    /// The parts of a write (`add`, `set`, `clear`): the record holding the
    /// relation must be stored, and so must every record given (checked
    /// before any SQL runs).
    fn write_parts<'a>(&self, records: impl IntoIterator<Item = &'a T>) -> Result<Write<D>>
    where
        T: DbModel,
        D: LinkedDb,
    {
        let bound = self.stored().ok_or_else(|| {
            let (relation, owner) = match &self.bound {
                Some(b) => (
                    format!("{}.{}", b.side.source().model_name, b.side.name()),
                    b.side.source().model_name,
                ),
                None => (format!("ManyToMany<{}>", T::META.model_name), "record"),
            };
            Error::ManyToManyIntegrity {
                relation,
                reason: format!(
                    "the {owner} holding this relation is not stored yet; insert it before changing its relations (a record built by hand with a known pk: `record.attach(&db)` first)"
                ),
            }
        })?;
        let (side, source) = (bound.side, bound.source);
        let db = Self::db_of(bound)?;
        let relation = || format!("{}.{}", side.source().model_name, side.name());
        let pks = records
            .into_iter()
            .map(|record| match record.pk() {
                0 => Err(Error::ManyToManyIntegrity {
                    relation: relation(),
                    reason: format!(
                        "a related {} has no primary key; insert it before adding it to a relationship",
                        T::META.model_name
                    ),
                }),
                pk => Ok(pk),
            })
            .collect::<Result<Vec<i64>>>()?;
        Ok((side, source, db, pks))
    }

    /// The parts of a `remove`: `None` when there is nothing to remove (the
    /// record holding the relation, or every record given, never stored).
    fn remove_parts<'a>(&self, records: impl IntoIterator<Item = &'a T>) -> Result<Option<Write<D>>>
    where
        T: DbModel,
        D: LinkedDb,
    {
        let Some(bound) = self.stored() else {
            return Ok(None);
        };
        let pks: Vec<i64> = records
            .into_iter()
            .map(DbModel::pk)
            .filter(|&pk| pk != 0)
            .collect();
        if pks.is_empty() {
            return Ok(None);
        }
        Ok(Some((bound.side, bound.source, Self::db_of(bound)?, pks)))
    }

    /// The query of the related records: the door's query builder, so the
    /// whole chain is available (filters, order, limits, aggregates).
    pub fn query<'db>(&self, db: &'db D) -> D::Query<'db, T>
    where
        T: DbModel,
        D: SelectDb,
    {
        match self.stored() {
            Some(bound) => related_query::<T, D>(db, Via::Junction(bound.side), bound.source),
            // A record not stored has no related records.
            None => {
                let mut query = db.query::<T>();
                query.spec_mut().match_nothing();
                query
            }
        }
    }

    /// [`query`](Self::query) with one filter: upstream's `filter`.
    pub fn filter<'db>(&self, db: &'db D, filter: crate::query::Filter<T>) -> D::Query<'db, T>
    where
        T: DbModel,
        D: SelectDb,
    {
        self.query(db).filter(filter)
    }
}

impl<T: DbModel> ManyToManyOf<T, SqliterDB> {
    /// Relate `records` (each must be stored); pairs already related are
    /// left as they are. All or nothing.
    pub fn add<'a>(&self, records: impl IntoIterator<Item = &'a T>) -> Result<()> {
        let (side, source, db, pks) = self.write_parts(records)?;
        db.with_session(|s| side.add(s, source, &pks))
    }

    /// Unrelate `records`; records not related (or never stored) are
    /// ignored.
    pub fn remove<'a>(&self, records: impl IntoIterator<Item = &'a T>) -> Result<()> {
        match self.remove_parts(records)? {
            Some((side, source, db, pks)) => db.with_session(|s| side.remove(s, source, &pks)),
            None => Ok(()),
        }
    }

    /// Unrelate every record.
    pub fn clear(&self) -> Result<()> {
        let (side, source, db, _) = self.write_parts([])?;
        db.with_session(|s| side.clear(s, source))
    }

    /// Make `records` the whole set, atomically: on any error the relation
    /// is left as it was.
    pub fn set<'a>(&self, records: impl IntoIterator<Item = &'a T>) -> Result<()> {
        let (side, source, db, pks) = self.write_parts(records)?;
        db.with_session(|s| side.set(s, source, &pks))
    }

    /// Every related record, in pk order (none for a record not stored).
    pub fn fetch_all(&self) -> Result<Vec<T>> {
        self.read(Terminal::All, exec::fetch_all, Vec::new)
    }

    /// The related record with the smallest pk.
    pub fn fetch_one(&self) -> Result<Option<T>> {
        self.read(Terminal::First, exec::fetch_first, || None)
    }

    /// How many records are related.
    pub fn count(&self) -> Result<u64> {
        self.read(Terminal::Count, exec::count, || 0)
    }

    /// Whether any record is related.
    pub fn exists(&self) -> Result<bool> {
        self.read(Terminal::Exists, exec::exists, || false)
    }

    fn read<R: crate::cache::Cacheable>(
        &self,
        terminal: Terminal,
        f: fn(&crate::Session<'_>, &QuerySpec) -> Result<R>,
        unsaved: fn() -> R,
    ) -> Result<R> {
        match self.read_parts()? {
            Some((db, spec)) => db.cached(&spec, terminal, f),
            None => Ok(unsaved()),
        }
    }
}

impl<T: DbModel + Sync, D: AsyncRelationDb> ManyToManyOf<T, D> {
    /// Relate `records` (each must be stored); pairs already related are
    /// left as they are. All or nothing.
    pub async fn add<'a>(&self, records: impl IntoIterator<Item = &'a T>) -> Result<()> {
        let (side, source, db, pks) = self.write_parts(records)?;
        db.run_session(move |s| side.add(s, source, &pks)).await
    }

    /// Unrelate `records`; records not related (or never stored) are
    /// ignored.
    pub async fn remove<'a>(&self, records: impl IntoIterator<Item = &'a T>) -> Result<()> {
        match self.remove_parts(records)? {
            Some((side, source, db, pks)) => {
                db.run_session(move |s| side.remove(s, source, &pks)).await
            }
            None => Ok(()),
        }
    }

    /// Unrelate every record.
    pub async fn clear(&self) -> Result<()> {
        let (side, source, db, _) = self.write_parts([])?;
        db.run_session(move |s| side.clear(s, source)).await
    }

    /// Make `records` the whole set, atomically: on any error the relation
    /// is left as it was.
    pub async fn set<'a>(&self, records: impl IntoIterator<Item = &'a T>) -> Result<()> {
        let (side, source, db, pks) = self.write_parts(records)?;
        db.run_session(move |s| side.set(s, source, &pks)).await
    }

    /// Every related record, in pk order (none for a record not stored).
    pub async fn fetch_all(&self) -> Result<Vec<T>> {
        self.read(Terminal::All, exec::fetch_all, Vec::new).await
    }

    /// The related record with the smallest pk.
    pub async fn fetch_one(&self) -> Result<Option<T>> {
        self.read(Terminal::First, exec::fetch_first, || None).await
    }

    /// How many records are related.
    pub async fn count(&self) -> Result<u64> {
        self.read(Terminal::Count, exec::count, || 0).await
    }

    /// Whether any record is related.
    pub async fn exists(&self) -> Result<bool> {
        self.read(Terminal::Exists, exec::exists, || false).await
    }

    async fn read<R: crate::cache::Cacheable>(
        &self,
        terminal: Terminal,
        f: fn(&crate::Session<'_>, &QuerySpec) -> Result<R>,
        unsaved: fn() -> R,
    ) -> Result<R> {
        match self.read_parts()? {
            Some((db, spec)) => db.cached(spec, terminal, f).await,
            None => Ok(unsaved()),
        }
    }
}

impl<T, D> Default for ManyToManyOf<T, D> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T, D> Clone for ManyToManyOf<T, D> {
    fn clone(&self) -> Self {
        Self {
            bound: self.bound.clone(),
            _types: PhantomData,
        }
    }
}

impl<T, D> PartialEq for ManyToManyOf<T, D> {
    /// The related records live in the database, not in the field: any
    /// two fields compare equal, so records compare by their own data.
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl<T, D> Eq for ManyToManyOf<T, D> {}

impl<T: DbModel, D> std::fmt::Debug for ManyToManyOf<T, D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.bound {
            Some(b) => write!(
                f,
                "ManyToMany<{}>({}.{} of pk {})",
                T::META.model_name,
                b.side.source().model_name,
                b.side.name(),
                b.source
            ),
            None => write!(f, "ManyToMany<{}>(not stored)", T::META.model_name),
        }
    }
}
