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
    /// The record was just stored with its pk: give its relation fields
    /// the pk and the database's link.
    fn bind_relations(&mut self, link: Option<&crate::relation::Link>) {
        let _ = link;
    }

    #[doc(hidden)]
    /// The `ForeignKey` field stored in table column `column`, which
    /// `select_related` fills.
    fn relation_slot(&self, column: usize) -> Option<&dyn crate::relation::RelationSlot> {
        let _ = column;
        None
    }
}
