//! The [`DbModel`] trait that `#[derive(DbModel)]` implements.

mod meta;

pub use meta::{ColumnKind, ColumnMeta, FkAction, ForeignKeyMeta, IndexMeta, RowLayout, TableMeta};

use rusqlite::{Row, Statement};

use crate::error::Result;
use crate::record::ModelSql;
use crate::value::DecodeContext;

/// A struct stored in an SQLite table. Implement it with
/// `#[derive(DbModel)]`, never by hand.
///
/// The struct must have a `pk: i64` field (0 until the record is stored);
/// it may declare `created_at: i64` and `updated_at: i64`, which are then
/// filled with the unix times SQLite keeps for the row. The table has all
/// three columns either way.
pub trait DbModel: Sized + Send + 'static {
    /// The table's static description.
    const META: &'static TableMeta;

    /// The primary key (0 for a record not stored yet).
    fn pk(&self) -> i64;
    /// Set the primary key.
    fn set_pk(&mut self, pk: i64);
    /// `created_at`, if the struct declares it.
    fn created_at(&self) -> Option<i64>;
    /// Set `created_at`; no effect if the struct does not declare it.
    fn set_created_at(&mut self, unix_seconds: i64);
    /// `updated_at`, if the struct declares it.
    fn updated_at(&self) -> Option<i64>;
    /// Set `updated_at`; no effect if the struct does not declare it.
    fn set_updated_at(&mut self, unix_seconds: i64);

    /// The table's metadata, as a function (for foreign-key targets).
    fn table_meta() -> &'static TableMeta {
        Self::META
    }

    #[doc(hidden)]
    /// Bind the data columns, in table order, from parameter `first` on.
    fn bind_data(&self, stmt: &mut Statement<'_>, first: usize) -> Result<()>;

    #[doc(hidden)]
    /// The value data column `column` (a table position) would be stored
    /// as; partial records compare and write single columns with it.
    fn column_value(&self, column: usize) -> Result<crate::value::Value>;

    #[doc(hidden)]
    /// Build a record from a row laid out as `layout` says ; unselected fields take their type's `Default`.
    fn from_row(row: &Row<'_>, layout: &RowLayout, ctx: &DecodeContext) -> Result<Self>;

    #[doc(hidden)]
    /// The model's SQL text, built once from [`Self::META`].
    fn model_sql() -> &'static ModelSql;

    /// A copy for the query cache: `Some` when the model is `Clone` (the
    /// derive decides), `None` otherwise, so such models are not cached.
    fn cache_clone(&self) -> Option<Self>;

    /// Estimated bytes of the record, for the cache's memory cap.
    fn size_estimate(&self) -> usize;

    #[doc(hidden)]
    /// The record was just stored (or updated) with its pk: give its
    /// many-to-many fields the pk and every relation field the database's
    /// link; `replace` also replaces a link a foreign key already has.
    fn bind_relations(&mut self, link: Option<&crate::relation::Link>, replace: bool) {
        let _ = (link, replace);
    }

    /// Let a record built by hand, with the pk of a stored row, load its
    /// relations through `db`: its foreign keys `fetch()`, its
    /// many-to-many fields read and write (records read from or inserted
    /// into a database already can). A field cannot do this alone: it
    /// knows neither the record's pk nor which relation it is.
    ///
    /// ```
    /// use sqliter_core::{DbModel, ManyToMany, SqliterDB};
    ///
    /// #[derive(DbModel, Debug, Clone, Default)]
    /// struct Tag { pk: i64, name: String }
    /// #[derive(DbModel, Debug, Clone, Default)]
    /// struct Article { pk: i64, title: String, tags: ManyToMany<Tag> }
    ///
    /// # fn main() -> sqliter_core::Result<()> {
    /// let db = SqliterDB::open_in_memory()?;
    /// db.create_table::<Tag>()?;
    /// db.create_table::<Article>()?;
    /// let rust = db.insert(Tag { name: "rust".into(), ..Default::default() })?;
    /// let stored = db.insert(Article { title: "ORMs".into(), ..Default::default() })?;
    ///
    /// let mut by_hand = Article { pk: stored.pk, ..Default::default() };
    /// assert_eq!(by_hand.tags.count()?, 0); // not attached: no relation, no query
    /// by_hand.attach(&db);
    /// by_hand.tags.add([&rust])?;
    /// assert_eq!(stored.tags.count()?, 1);
    /// # Ok(()) }
    /// ```
    fn attach<D: crate::relation::LinkedDb>(&mut self, db: &D) {
        self.bind_relations(Some(&db.link()), true);
    }

    #[doc(hidden)]
    /// The `ForeignKey` field stored in table column `column`, which
    /// `select_related` fills.
    fn relation_slot(&self, column: usize) -> Option<&dyn crate::relation::RelationSlot> {
        let _ = column;
        None
    }
}
