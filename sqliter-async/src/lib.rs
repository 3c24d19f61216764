//! # SQLiter for Rust, async
//!
//! [`AsyncSqliterDB`] stores `#[derive(DbModel)]` structs in SQLite from
//! async code. Every statement runs on one dedicated thread that owns the
//! connection (via tokio-rusqlite), so the async runtime never blocks on
//! SQLite. The engine — SQL, binding, decoding, the query chain — is
//! `sqliter-core`'s; this crate re-exports everything a user needs, so it
//! is the only dependency to add.
//!
//! ```
//! use sqliter_async::{AsyncSqliterDB, DbModel, DbOptions, prelude::*};
//!
//! #[derive(DbModel, Debug, Clone, Default)]
//! struct Book { pk: i64, title: String, year: i32 }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> sqliter_async::Result<()> {
//! let db = AsyncSqliterDB::create(DbOptions::memory()).await?;
//! db.create_table::<Book>().await?;
//! let book = db.insert(Book { title: "Dune".into(), year: 1965, ..Default::default() }).await?;
//! let hits = db.select::<Book>().filter(Book::year().lt(2000)).fetch_all().await?;
//! assert_eq!(hits[0].pk, book.pk);
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

mod builder;
mod db;
mod raw;
mod stream;
mod transaction;
mod worker;

pub use builder::AsyncQueryBuilder;
pub use db::AsyncSqliterDB;
pub use raw::RawConnection;
pub use stream::RowStream;
pub use transaction::AsyncTransaction;

pub use sqliter_core::{
    cache, query, Aggregate, Assignment, BackupOptions, BackupProgress, CacheStats, Column,
    ColumnMismatch, ConnectHook, CreateTableOptions, DbModel, DbOptions, DecodeError, DictRow,
    Error, Filter, ForeignKeyOf, GetOptions, InsertOptions, JournalMode, Logger, ManyToManyOf,
    MigrateOptions, Migration, MigrationPlan, OrderKey, Param, Partial, PathFrom, Prefetched,
    QueryChain, Record, Related, RelationPath, Result, SchemaDiff, SqlMetadata, Synchronous,
    TextColumn, Value, ValueError,
};
pub use tokio_rusqlite;

/// A foreign key of the async door: the column `<field>_id` holding the pk
/// of a `T`, plus the `T` once loaded (`book.author.fetch().await`). See
/// [`ForeignKeyOf`] for its methods.
///
/// ```
/// use sqliter_async::{AsyncForeignKey, AsyncSqliterDB, DbModel, DbOptions, prelude::*};
///
/// #[derive(DbModel, Debug, Clone, Default)]
/// struct Author { pk: i64, name: String }
///
/// #[derive(DbModel, Debug, Clone, Default)]
/// struct Book { pk: i64, title: String, author: AsyncForeignKey<Author> }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> sqliter_async::Result<()> {
/// let db = AsyncSqliterDB::create(DbOptions::memory()).await?;
/// db.create_table::<Author>().await?;
/// db.create_table::<Book>().await?;
/// let ann = db.insert(Author { name: "Ann".into(), ..Default::default() }).await?;
/// db.insert(Book { title: "Dune".into(), author: AsyncForeignKey::to(&ann), ..Default::default() }).await?;
///
/// let book = db.select::<Book>().fetch_one().await?.unwrap();
/// assert_eq!(book.author.fetch().await?.unwrap().name, "Ann");
/// assert_eq!(ann.books(&db).count().await?, 1);
/// # Ok(()) }
/// ```
pub type AsyncForeignKey<T> = ForeignKeyOf<T, AsyncSqliterDB>;

/// A many-to-many field of the async door: the `T` records related to
/// this one through a junction table that `create_table` makes. See
/// [`ManyToManyOf`] for its methods.
///
/// ```
/// use sqliter_async::{AsyncManyToMany, AsyncSqliterDB, DbModel, DbOptions, prelude::*};
///
/// #[derive(DbModel, Debug, Clone, Default)]
/// struct Tag { pk: i64, name: String }
///
/// #[derive(DbModel, Debug, Clone, Default)]
/// struct Article { pk: i64, title: String, #[sqliter(related_name = "articles")] tags: AsyncManyToMany<Tag> }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> sqliter_async::Result<()> {
/// let db = AsyncSqliterDB::create(DbOptions::memory()).await?;
/// db.create_table::<Tag>().await?;
/// db.create_table::<Article>().await?;
/// let rust = db.insert(Tag { name: "rust".into(), ..Default::default() }).await?;
/// let article = db.insert(Article { title: "ORMs".into(), ..Default::default() }).await?;
///
/// article.tags.add([&rust]).await?;
/// assert_eq!(article.tags.fetch_all().await?[0].name, "rust");
/// assert_eq!(rust.articles(&db).count().await?, 1);
/// # Ok(()) }
/// ```
pub type AsyncManyToMany<T> = ManyToManyOf<T, AsyncSqliterDB>;

/// The traits that give query builders and typed columns their methods.
pub mod prelude {
    pub use sqliter_core::prelude::*;
}

#[doc(hidden)]
pub use sqliter_core::__private;
