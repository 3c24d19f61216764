//! # SQLiter for Rust
//!
//! Store Rust structs in SQLite without writing SQL: derive [`DbModel`],
//! create the table, insert, get, update, delete. This crate holds the
//! engine and the synchronous [`SqliterDB`]; `sqliter-async` adds the async
//! door on the same engine.
//!
//! ```
//! use sqliter_core::{DbModel, SqliterDB};
//!
//! #[derive(DbModel, Debug, Clone, Default)]
//! struct Book {
//!     pk: i64,
//!     created_at: i64,
//!     updated_at: i64,
//!     title: String,
//!     year: i32,
//!     price: Option<f64>,
//!     #[sqliter(json)]
//!     tags: Vec<String>,
//! }
//!
//! # fn main() -> sqliter_core::Result<()> {
//! let db = SqliterDB::open_in_memory()?;
//! db.create_table::<Book>()?;
//! let mut book = db.insert(Book { title: "Dune".into(), year: 1965, ..Default::default() })?;
//! assert_eq!(book.pk, 1);
//! book.price = Some(9.99);
//! db.update(&mut book)?;
//! assert_eq!(db.get::<Book>(book.pk)?.unwrap().price, Some(9.99));
//! db.delete::<Book>(book.pk)?;
//! # Ok(()) }
//! ```
//!
//! ## Models
//!
//! `#[derive(DbModel)]` works on structs with named fields. Every table has
//! `pk INTEGER PRIMARY KEY AUTOINCREMENT`, `created_at INTEGER` and
//! `updated_at INTEGER` (unix seconds, UTC). The struct must declare
//! `pk: i64` and may declare `created_at: i64` / `updated_at: i64` to read
//! the timestamps. Attributes:
//!
//! - on the struct: `#[sqliter(table_name = "...", plural = "english",
//!   indexes(a, (b, c)), unique_indexes(d))]`;
//! - on a field: `unique`, `json` (store any serde type as JSON), `pickle`
//!   (as a Python pickle BLOB, Python SQLiter's encoding; see [`Pickle`]),
//!   `foreign_key = Model` with `on_delete`, `on_update`, `null`,
//!   `db_column`, `related_name`.
//!
//! The default table name is the struct name in snake_case, a trailing
//! `Model` removed, with `s` appended unless it already ends in `s`
//! (`BookReview` → `book_reviews`, `HTTPRequest` → `http_requests`).
//! `plural = "english"` gives upstream's names with `inflect` instead, for
//! the table and for the default reverse names the model declares:
//!
//! ```
//! use sqliter_core::DbModel;
//!
//! #[derive(DbModel, Debug, Default)]
//! #[sqliter(plural = "english")]
//! struct Person {
//!     pk: i64,
//!     name: String,
//! }
//! assert_eq!(Person::META.table_name, "people");
//! ```

#![warn(missing_docs)]

// Lets the derive name this crate as `::sqliter_core` from inside it too.
#[allow(unused_extern_crates)]
extern crate self as sqliter_core;

mod backup;
pub mod cache;
mod db;
mod error;
mod model;
pub mod query;
mod raw;
mod record;
mod relation;
mod schema;
mod session;
mod value;

pub use backup::{BackupOptions, BackupProgress};
pub use cache::CacheStats;
pub use db::{
    configure_connection, ConnectHook, ConnectionSettings, DbOptions, JournalMode, Logger,
    Settings, SqliterDB, Synchronous, Transaction,
};
pub use error::{DecodeError, Error, Result, ValueError};
pub use model::{
    ColumnKind, ColumnMeta, DbModel, FkAction, ForeignKeyMeta, IndexMeta, RowLayout, TableMeta,
};
pub use query::{
    Aggregate, Assignment, Column, DictRow, Filter, OrderKey, Param, QueryBuilder, QueryChain,
    QuerySpec, TextColumn,
};
pub use record::{GetOptions, InsertOptions, Partial, Record};
pub use relation::{
    AsyncRelationDb, ForeignKey, ForeignKeyOf, Link, LinkedDb, ManyToMany, ManyToManyMeta,
    ManyToManyOf, PathFrom, PathsFrom, Prefetched, Related, RelationPath, RelationSlot, SelectDb,
    SqlMetadata,
};
pub use schema::evolve::{
    registered_models, Change, MigrateOptions, Migration, MigrationPlan, SchemaDiff,
    MIGRATIONS_TABLE,
};
pub use schema::{
    create_table_sql, file_columns, file_foreign_keys, file_indexes, file_tables, index_sqls,
    Affinity, CheckedShapes, ColumnMismatch, CreateTableOptions, FileColumn, FileForeignKey,
    FileIndex, FileTable, FileTableKind,
};
pub use session::{transaction_begin_sql, transaction_end_sql, Session};
pub use sqliter_derive::DbModel;
pub use value::{
    Codec, DecodeContext, FieldCodec, Json, NullableJson, NullablePickle, Pickle, Plain, SqlField,
    SqlType, Value,
};

/// The traits that give query builders and typed columns their methods.
pub mod prelude {
    pub use crate::query::{QueryChain, TextColumn};
    pub use crate::DbModel;
}

/// The engine's single-record and schema operations on a [`Session`], for
/// the async door and other front ends.
pub mod engine {
    pub use crate::backup::{backup_to, vacuum_into};
    pub use crate::raw::{execute, query as raw_query, query_as as raw_query_as};
    pub use crate::record::{
        bulk_insert, delete, get, get_and_cache, insert, pk_key, update, update_fields,
    };
    pub use crate::schema::{
        apply_plan, create_table, drop_all_tables, drop_table, migrate, migrate_all,
        migration_plan, reset, run_migrations, schema_diff, table_names,
    };
}

#[doc(hidden)]
pub use raw::values as raw_values;

/// Everything generated code touches. Not public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::error::DecodeError;
    pub use crate::model::{
        ColumnKind, ColumnMeta, DbModel, FkAction, ForeignKeyMeta, IndexMeta, RowLayout, TableMeta,
    };
    pub use crate::query::Column;
    pub use crate::record::{
        bind_field, decode_field, decode_pk, decode_timestamp, encode_field, not_a_data_column,
        ModelSql,
    };
    pub use crate::record::{
        check_field, unselected, Probe, ViaClone, ViaDefault, ViaHeapSize, ViaNoClone,
        ViaNoDefault, ViaNoHeapSize,
    };
    pub use crate::relation::{
        load_children, load_related, related_query, Link, LinkedDb, ManyToManyMeta, ManyToManyOf,
        RelationPath, RelationSlot, SelectDb, Side, ToManyRelation, Via,
    };
    pub use crate::schema::evolve::RegisteredModel;
    pub use crate::value::Value;
    pub use crate::value::{
        Codec, DecodeContext, FieldCodec, Json, NullableJson, NullablePickle, Pickle, Plain,
        SqlField, SqlType,
    };
    pub use crate::Result;
    pub use inventory;
    pub use rusqlite::types::ValueRef;
    pub use rusqlite::{Row, Statement};
    pub use std::sync::OnceLock;

    pub use crate::record::I64 as I64_CODEC;

    /// The check of pk and timestamp columns.
    pub fn check_integer(value: ValueRef<'_>) -> std::result::Result<(), DecodeError> {
        check_field(&I64_CODEC, value)
    }

    /// Compile-time check that a foreign-key field holds an integer id.
    pub const fn assert_foreign_key_field<T: ForeignKeyId>() {}

    /// Integer types that can hold a referenced pk.
    #[diagnostic::on_unimplemented(
        message = "a foreign-key field must be `i64` or `Option<i64>`, not `{Self}`",
        label = "expected `i64` or `Option<i64>`"
    )]
    pub trait ForeignKeyId {}
    impl ForeignKeyId for i64 {}
    impl ForeignKeyId for Option<i64> {}

    /// Build and cache a model's SQL text.
    pub fn model_sql(
        cell: &'static OnceLock<ModelSql>,
        meta: &'static TableMeta,
    ) -> &'static ModelSql {
        cell.get_or_init(|| ModelSql::new(meta))
    }
}
