//! [`ForeignKeyOf`]: a foreign-key field that knows the record it points at.

use std::marker::PhantomData;
use std::sync::{Arc, OnceLock};

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::Row;

use super::joined::RelatedPlan;
use super::link::{AsyncRelationDb, Link, LinkedDb, RelationSlot};
use crate::db::SqliterDB;
use crate::error::{DecodeError, Result, ValueError};
use crate::model::DbModel;
use crate::value::{DecodeContext, SqlField, SqlType};

/// A foreign key of the sync door: the column `<field>_id` holding the pk of
/// a `T`, plus the `T` itself once loaded.
///
/// ```
/// use sqliter_core::{DbModel, ForeignKey, SqliterDB};
///
/// #[derive(DbModel, Debug, Clone, Default)]
/// struct Author { pk: i64, name: String }
///
/// #[derive(DbModel, Debug, Clone, Default)]
/// struct Book {
///     pk: i64,
///     title: String,
///     #[sqliter(on_delete = "CASCADE")]
///     author: ForeignKey<Author>,
/// }
///
/// # fn main() -> sqliter_core::Result<()> {
/// let db = SqliterDB::open_in_memory()?;
/// db.create_table::<Author>()?;
/// db.create_table::<Book>()?;
/// let ann = db.insert(Author { name: "Ann".into(), ..Default::default() })?;
/// let book = db.insert(Book { title: "Dune".into(), author: ForeignKey::to(&ann), ..Default::default() })?;
///
/// let book: Book = db.get(book.pk)?.unwrap();
/// assert_eq!(book.author.fetch()?.unwrap().name, "Ann"); // one query, then kept
/// assert_eq!(ann.books(&db).count()?, 1);                // the reverse side
/// # Ok(()) }
/// ```
pub type ForeignKey<T> = ForeignKeyOf<T, SqliterDB>;

/// A foreign key to a `T` whose lazy loading goes through database `D`.
/// Use the aliases: [`ForeignKey<T>`] for `SqliterDB`, `AsyncForeignKey<T>`
/// for `AsyncSqliterDB`.
///
/// Set it from a record ([`to`](Self::to)), a pk ([`from_pk`](Self::from_pk))
/// or nothing ([`null`](Self::null), for a `#[sqliter(null)]` field).
/// Records returned by the database carry a link to it, so
/// [`fetch`](Self::fetch) needs no argument; a record built by hand can be
/// given one with [`attach`](Self::attach).
pub struct ForeignKeyOf<T, D> {
    id: Option<i64>,
    link: Option<Link>,
    /// The answer of `fetch` once known (`None`: no row has the pk), set
    /// by `fetch`, `select_related`, a traversal filter or `to`; shared by
    /// clones.
    loaded: OnceLock<Option<Arc<T>>>,
    _door: PhantomData<fn() -> D>,
}

impl<T, D> ForeignKeyOf<T, D> {
    /// Points at `record`, and holds a copy of it (when the model is
    /// `Clone`), so [`fetch`](Self::fetch) answers with no query and
    /// needs no database: what upstream's `book.author = author` does.
    ///
    /// A record not stored yet has pk 0, which no row has: the key then
    /// means "no relation" (`fetch()` is `Ok(None)`), and inserting it
    /// fails with a foreign-key error. It is not refused here so that a
    /// record can be built before its parent is inserted and given the
    /// key later ([`set`](Self::set)).
    pub fn to(record: &T) -> Self
    where
        T: DbModel,
    {
        let key = Self::from_pk(record.pk());
        if record.pk() != 0 {
            if let Some(copy) = record.cache_clone() {
                let _ = key.loaded.set(Some(Arc::new(copy)));
            }
        }
        key
    }

    /// Points at the row with primary key `pk`.
    pub fn from_pk(pk: i64) -> Self {
        Self::with_id(Some(pk))
    }

    /// Points at nothing: SQL `NULL` (the field must be `#[sqliter(null)]`).
    pub fn null() -> Self {
        Self::with_id(None)
    }

    fn with_id(id: Option<i64>) -> Self {
        Self {
            id,
            link: None,
            loaded: OnceLock::new(),
            _door: PhantomData,
        }
    }

    /// The pk pointed at (upstream's `<field>_id`), `None` for `NULL`.
    pub fn id(&self) -> Option<i64> {
        self.id
    }

    /// Whether the key is `NULL`.
    pub fn is_null(&self) -> bool {
        self.id.is_none()
    }

    /// Point at `record` instead, keeping this key's database; the
    /// record is held as by [`to`](Self::to).
    pub fn set(&mut self, record: &T)
    where
        T: DbModel,
    {
        let link = self.link.take();
        *self = Self::to(record);
        self.link = link;
    }

    /// Point at `id` (`None`: `NULL`) instead; the loaded record is forgotten.
    pub fn set_id(&mut self, id: Option<i64>) {
        self.id = id;
        self.loaded = OnceLock::new();
    }

    /// The related record if it is already loaded (by `fetch`,
    /// `select_related`, a traversal filter or [`to`](Self::to)), without
    /// a query.
    pub fn get(&self) -> Option<&T> {
        self.loaded.get().and_then(Option::as_deref)
    }

    /// Whether `fetch` would answer without a query: the related record
    /// is loaded, or a `fetch` found no row with the pk.
    pub fn is_loaded(&self) -> bool {
        self.loaded.get().is_some()
    }

    /// Let this key load through `db` (records returned by a database
    /// already are).
    pub fn attach(&mut self, db: &D)
    where
        D: LinkedDb,
    {
        self.link = Some(db.link());
    }

    #[doc(hidden)]
    /// Give the key the link of the database its record was just stored
    /// in (on insert and update: a key replaced by hand has none), or, with
    /// `replace`, was attached to (`DbModel::attach`).
    pub fn bind_link(&mut self, link: Option<&Link>, replace: bool) {
        if replace || self.link.is_none() {
            self.link = link.cloned();
        }
    }

    /// The answer `fetch` can give with no query: kept from an earlier
    /// load, or `None` for a `NULL` key or pk 0 (never a row's); else the
    /// pk to load.
    fn known(&self) -> Result<Option<&T>, i64> {
        if let Some(answer) = self.loaded.get() {
            return Ok(answer.as_deref());
        }
        match self.id {
            None | Some(0) => Ok(None),
            Some(id) => Err(id),
        }
    }

    /// The database to load through.
    fn db(&self) -> Result<D>
    where
        T: DbModel,
        D: LinkedDb,
    {
        super::link::door_of(
            self.link.as_ref(),
            T::META.model_name,
            "the record was not read from a database; call `attach(&db)` first",
            "ForeignKey belongs to SqliterDB, AsyncForeignKey to AsyncSqliterDB",
        )
    }

    /// Keep `record` (or that no row has the pk) as the answer, unless one
    /// was kept meanwhile (then `record` is an equal copy and is dropped);
    /// returns what is kept.
    fn keep(&self, record: Option<T>) -> Option<&T> {
        self.loaded.get_or_init(|| record.map(Arc::new)).as_deref()
    }
}

impl<T: DbModel> ForeignKeyOf<T, SqliterDB> {
    /// The related record: loaded by one query the first time and kept,
    /// so later calls run none (a `select_related` query loads it already).
    /// `Ok(None)` with no query when the key is `NULL` or 0; `Ok(None)`
    /// when no row has the pk (a row deleted since, as upstream), kept like
    /// a found record.
    pub fn fetch(&self) -> Result<Option<&T>> {
        match self.known() {
            Ok(answer) => Ok(answer),
            Err(id) => Ok(self.keep(self.db()?.get::<T>(id)?)),
        }
    }
}

impl<T: DbModel + Sync, D: AsyncRelationDb> ForeignKeyOf<T, D> {
    /// The related record: loaded by one query the first time and kept,
    /// so later calls run none (a `select_related` query loads it already).
    /// `Ok(None)` with no query when the key is `NULL` or 0; `Ok(None)`
    /// when no row has the pk (a row deleted since, as upstream), kept like
    /// a found record.
    pub async fn fetch(&self) -> Result<Option<&T>> {
        match self.known() {
            Ok(answer) => Ok(answer),
            Err(id) => {
                let db = self.db()?;
                Ok(self.keep(db.get_related::<T>(id).await?))
            }
        }
    }
}

impl<T, D> Default for ForeignKeyOf<T, D> {
    /// `NULL`, as for a record not yet given its relation.
    fn default() -> Self {
        Self::null()
    }
}

impl<T, D> Clone for ForeignKeyOf<T, D> {
    fn clone(&self) -> Self {
        let loaded = OnceLock::new();
        if let Some(answer) = self.loaded.get() {
            let _ = loaded.set(answer.clone());
        }
        Self {
            id: self.id,
            link: self.link.clone(),
            loaded,
            _door: PhantomData,
        }
    }
}

impl<T, D> PartialEq for ForeignKeyOf<T, D> {
    /// Keys are equal when they point at the same row.
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl<T, D> Eq for ForeignKeyOf<T, D> {}

impl<T: DbModel, D> std::fmt::Debug for ForeignKeyOf<T, D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = if self.is_loaded() {
            "loaded"
        } else {
            "not loaded"
        };
        match self.id {
            Some(id) => write!(f, "ForeignKey<{}>({id}, {state})", T::META.model_name),
            None => write!(f, "ForeignKey<{}>(NULL)", T::META.model_name),
        }
    }
}

impl<T: DbModel, D> From<&T> for ForeignKeyOf<T, D> {
    fn from(record: &T) -> Self {
        Self::to(record)
    }
}

impl<T, D> From<i64> for ForeignKeyOf<T, D> {
    fn from(pk: i64) -> Self {
        Self::from_pk(pk)
    }
}

impl<T, D> From<Option<i64>> for ForeignKeyOf<T, D> {
    fn from(pk: Option<i64>) -> Self {
        Self::with_id(pk)
    }
}

impl<T, D> SqlField for ForeignKeyOf<T, D> {
    const SQL_TYPE: SqlType = SqlType::Integer;
    // The derive decides from `#[sqliter(null)]`.
    const NULLABLE: bool = true;

    fn to_sql_output(&self) -> std::result::Result<ToSqlOutput<'_>, ValueError> {
        Ok(match self.id {
            Some(id) => ToSqlOutput::from(id),
            None => ToSqlOutput::Borrowed(ValueRef::Null),
        })
    }

    fn from_sql_value(
        value: ValueRef<'_>,
        ctx: &DecodeContext,
    ) -> std::result::Result<Self, DecodeError> {
        let id = match value {
            ValueRef::Null => None,
            ValueRef::Integer(id) => Some(id),
            other => return Err(crate::value::wrong_type("INTEGER (a foreign key)", other)),
        };
        Ok(Self {
            link: ctx.link.clone(),
            ..Self::with_id(id)
        })
    }
}

impl<T: DbModel + Sync, D> RelationSlot for ForeignKeyOf<T, D> {
    fn fill(
        &self,
        row: &Row<'_>,
        plan: &RelatedPlan,
        alias: usize,
        ctx: &DecodeContext,
    ) -> Result<()> {
        if let Some(record) = plan.decode::<T>(row, alias, ctx)? {
            self.keep(Some(record));
        }
        Ok(())
    }
}
