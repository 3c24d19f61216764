//! Shared harness for the integration tests.
//!
//! Behaviour that is the same on both doors is written once, as an
//! `async fn body<D: Door>()`, and [`door_tests!`] runs it against the sync
//! [`SqliterDB`] and the async [`AsyncSqliterDB`].

use serde::de::DeserializeOwned;
use sqliter_async::AsyncSqliterDB;
use sqliter_core::query::{Assignment, DictRow, Param, QueryChain};
use std::time::Duration;

use sqliter_core::cache::Cacheable;
use sqliter_core::{
    CacheStats, CreateTableOptions, DbModel, DbOptions, ForeignKeyOf, GetOptions, InsertOptions,
    ManyToManyOf, Partial, Record, Related, Result, SqliterDB,
};

/// A database door, seen through async methods (the sync door's simply
/// never wait).
#[allow(async_fn_in_trait)]
pub trait Door: Sized {
    /// The door's query builder.
    type Query<'a, M: DbModel>: QueryChain<Model = M, Partial: Terminals<M, Partial<M>> + Streamed<Partial<M>> + Clone>
        + Terminals<M>
        + Streamed<M>
        + FetchRelated<M>
        + Clone
    where
        Self: 'a;

    /// The door's name, for messages.
    const NAME: &'static str;

    /// Open a database.
    async fn open(options: DbOptions) -> Result<Self>;
    /// `fk.fetch()`, awaited on the async door.
    async fn fetch_fk<T: DbModel + Sync>(fk: &ForeignKeyOf<T, Self>) -> Result<Option<&T>>;
    /// An in-memory database with `M`'s table.
    async fn memory_with<M: DbModel>() -> Self {
        let db = Self::open(DbOptions::memory()).await.expect("open");
        db.create_table::<M>().await.expect("create_table");
        db
    }
    async fn create_table<M: DbModel>(&self) -> Result<()>;
    async fn create_table_with<M: DbModel>(&self, options: CreateTableOptions) -> Result<()>;
    async fn drop_table<M: DbModel>(&self) -> Result<()>;
    async fn table_names(&self) -> Result<Vec<String>>;
    async fn insert<M: DbModel>(&self, record: M) -> Result<M>;
    async fn insert_with<M: DbModel>(&self, record: M, options: InsertOptions) -> Result<M>;
    async fn bulk_insert_with<M: DbModel + Clone>(
        &self,
        records: &mut [M],
        options: InsertOptions,
    ) -> Result<()>;
    async fn bulk_insert<M: DbModel + Clone>(&self, records: &mut [M]) -> Result<()> {
        self.bulk_insert_with(records, InsertOptions::default())
            .await
    }
    async fn get<M: DbModel>(&self, pk: i64) -> Result<Option<M>>;
    async fn update<R: Record + Clone>(&self, record: &mut R) -> Result<()>;
    async fn update_fields<M: DbModel + Clone>(
        &self,
        record: &mut M,
        fields: &[&str],
    ) -> Result<()>;
    async fn delete<M: DbModel>(&self, pk: i64) -> Result<()>;
    async fn update_where<M: DbModel>(
        &self,
        where_: impl IntoIterator<Item = (impl AsRef<str>, impl Into<Param>)>,
        values: impl IntoIterator<Item = impl Into<Assignment>>,
    ) -> Result<u64>;
    async fn close(&self) -> Result<()>;
    async fn schema_diff<M: DbModel>(&self) -> Result<sqliter_core::SchemaDiff>;
    async fn migration_plan<M: DbModel>(
        &self,
        options: sqliter_core::MigrateOptions,
    ) -> Result<sqliter_core::MigrationPlan>;
    async fn migrate<M: DbModel>(
        &self,
        options: sqliter_core::MigrateOptions,
    ) -> Result<sqliter_core::MigrationPlan>;
    async fn apply_plan(
        &self,
        plan: &sqliter_core::MigrationPlan,
    ) -> Result<sqliter_core::MigrationPlan>;
    async fn run_migrations(&self, steps: Vec<sqliter_core::Migration>) -> Result<Vec<String>>;
    async fn migrate_all(
        &self,
        options: sqliter_core::MigrateOptions,
    ) -> Result<Vec<sqliter_core::MigrationPlan>>;
    async fn backup_with(
        &self,
        path: &std::path::Path,
        options: sqliter_core::BackupOptions,
    ) -> Result<()>;
    async fn vacuum_into(&self, path: &std::path::Path) -> Result<()>;
    async fn reset_database(&self) -> Result<usize>;
    async fn execute(&self, sql: &str, params: Vec<Param>) -> Result<u64>;
    async fn query(&self, sql: &str, params: Vec<Param>) -> Result<Vec<DictRow>>;
    async fn query_as<T: DeserializeOwned + Send + 'static>(
        &self,
        sql: &str,
        params: Vec<Param>,
    ) -> Result<Vec<T>>;
    async fn commit(&self) -> Result<()>;
    fn select<M: DbModel>(&self) -> Self::Query<'_, M>;
    fn is_connected(&self) -> bool;
    fn is_memory(&self) -> bool;
    fn filename(&self) -> Option<&str>;
    fn db_filename(&self) -> &str;

    async fn get_with<M: DbModel>(&self, pk: i64, options: GetOptions) -> Result<Option<M>>;
    fn cache_get<T: Cacheable>(&self, table: &str, key: &str) -> Option<T>;
    fn cache_set<T: Cacheable>(&self, table: &str, key: &str, value: &T, ttl: Option<Duration>);
    fn invalidate_table_cache(&self, table: &str);
    fn clear_cache(&self);
    fn reset_cache_stats(&self);
    fn get_cache_stats(&self) -> CacheStats;
    /// Insert `record` inside a scoped transaction that then rolls back.
    async fn insert_and_roll_back<M: DbModel>(&self, record: M);

    /// Run raw SQL on the door's own connection.
    async fn raw(&self, sql: &str);
    /// One integer from raw SQL.
    async fn query_int(&self, sql: &str) -> i64;
    /// One text value from raw SQL.
    async fn query_text(&self, sql: &str) -> String;
    /// Run `f` on the door's own rusqlite connection.
    async fn with_raw<T: Send + 'static>(
        &self,
        f: impl FnOnce(&sqliter_async::tokio_rusqlite::rusqlite::Connection) -> T + Send + 'static,
    ) -> T;
}

/// The terminal methods of both query builders; `R` is the row type (`M`,
/// or `Partial<M>` after a projection).
#[allow(async_fn_in_trait)]
pub trait Terminals<M, R = M> {
    async fn fetch_all(&self) -> Result<Vec<R>>;
    async fn fetch_one(&self) -> Result<Option<R>>;
    async fn fetch_first(&self) -> Result<Option<R>>;
    async fn fetch_last(&self) -> Result<Option<R>>;
    async fn count(&self) -> Result<u64>;
    async fn exists(&self) -> Result<bool>;
    async fn update<A: Into<Assignment>>(&self, values: impl IntoIterator<Item = A>)
        -> Result<u64>;
    async fn delete(&self) -> Result<u64>;
    async fn fetch_dicts(&self) -> Result<Vec<DictRow>>;
    async fn fetch_as<T: DeserializeOwned>(&self) -> Result<Vec<T>>;
}

/// The sync door's `iter_batched` / the async door's `stream_batched`,
/// every row collected (the first error returned).
#[allow(async_fn_in_trait)]
pub trait Streamed<R> {
    async fn streamed(&self, batch: usize) -> Result<Vec<R>>;
}

impl<M: DbModel, R: Record<Model = M>> Streamed<R> for sqliter_core::QueryBuilder<'_, M, R> {
    async fn streamed(&self, batch: usize) -> Result<Vec<R>> {
        self.iter_batched(batch).collect()
    }
}

impl<M: DbModel, R: Record<Model = M>> Streamed<R> for sqliter_async::AsyncQueryBuilder<M, R> {
    async fn streamed(&self, batch: usize) -> Result<Vec<R>> {
        let mut stream = self.stream_batched(batch);
        let mut rows = Vec::new();
        while let Some(row) = stream.next().await {
            rows.push(row?);
        }
        Ok(rows)
    }
}

/// `fetch_related`, on builders of whole records.
#[allow(async_fn_in_trait)]
pub trait FetchRelated<M> {
    async fn fetch_related(&self) -> Result<Vec<Related<M>>>
    where
        M: Sync;
    async fn fetch_one_related(&self) -> Result<Option<Related<M>>>
    where
        M: Sync;
}

macro_rules! forward_terminals {
    ($builder:ty, $whole:ty $(, $await:tt)?) => {
        impl<M: DbModel, R: Record<Model = M>> Terminals<M, R> for $builder {
            async fn fetch_all(&self) -> Result<Vec<R>> { Self::fetch_all(self)$(.$await)? }
            async fn fetch_one(&self) -> Result<Option<R>> { Self::fetch_one(self)$(.$await)? }
            async fn fetch_first(&self) -> Result<Option<R>> { Self::fetch_first(self)$(.$await)? }
            async fn fetch_last(&self) -> Result<Option<R>> { Self::fetch_last(self)$(.$await)? }
            async fn count(&self) -> Result<u64> { Self::count(self)$(.$await)? }
            async fn exists(&self) -> Result<bool> { Self::exists(self)$(.$await)? }
            async fn update<A: Into<Assignment>>(&self, values: impl IntoIterator<Item = A>) -> Result<u64> {
                Self::update(self, values)$(.$await)?
            }
                        async fn delete(&self) -> Result<u64> { Self::delete(self)$(.$await)? }
            async fn fetch_dicts(&self) -> Result<Vec<DictRow>> { Self::fetch_dicts(self)$(.$await)? }
            async fn fetch_as<T: DeserializeOwned>(&self) -> Result<Vec<T>> { Self::fetch_as(self)$(.$await)? }
        }
        impl<M: DbModel> FetchRelated<M> for $whole {
            async fn fetch_related(&self) -> Result<Vec<Related<M>>> where M: Sync { Self::fetch_related(self)$(.$await)? }
            async fn fetch_one_related(&self) -> Result<Option<Related<M>>> where M: Sync { Self::fetch_one_related(self)$(.$await)? }
        }
    };
}
forward_terminals!(
    sqliter_core::QueryBuilder<'_, M, R>,
    sqliter_core::QueryBuilder<'_, M>
);
forward_terminals!(sqliter_async::AsyncQueryBuilder<M, R>, sqliter_async::AsyncQueryBuilder<M>, await);

impl Door for SqliterDB {
    type Query<'a, M: DbModel> = sqliter_core::QueryBuilder<'a, M>;
    async fn fetch_fk<T: DbModel + Sync>(fk: &ForeignKeyOf<T, Self>) -> Result<Option<&T>> {
        fk.fetch()
    }
    const NAME: &'static str = "sync";

    async fn open(options: DbOptions) -> Result<Self> {
        SqliterDB::new(options)
    }
    async fn create_table<M: DbModel>(&self) -> Result<()> {
        SqliterDB::create_table::<M>(self)
    }
    async fn create_table_with<M: DbModel>(&self, options: CreateTableOptions) -> Result<()> {
        SqliterDB::create_table_with::<M>(self, options)
    }
    async fn drop_table<M: DbModel>(&self) -> Result<()> {
        SqliterDB::drop_table::<M>(self)
    }
    async fn table_names(&self) -> Result<Vec<String>> {
        SqliterDB::table_names(self)
    }
    async fn insert<M: DbModel>(&self, record: M) -> Result<M> {
        SqliterDB::insert(self, record)
    }
    async fn insert_with<M: DbModel>(&self, record: M, options: InsertOptions) -> Result<M> {
        SqliterDB::insert_with(self, record, options)
    }
    async fn bulk_insert_with<M: DbModel + Clone>(
        &self,
        records: &mut [M],
        options: InsertOptions,
    ) -> Result<()> {
        SqliterDB::bulk_insert_with(self, records, options)
    }
    async fn get<M: DbModel>(&self, pk: i64) -> Result<Option<M>> {
        SqliterDB::get(self, pk)
    }
    async fn update<R: Record + Clone>(&self, record: &mut R) -> Result<()> {
        SqliterDB::update(self, record)
    }
    async fn update_fields<M: DbModel + Clone>(
        &self,
        record: &mut M,
        fields: &[&str],
    ) -> Result<()> {
        SqliterDB::update_fields(self, record, fields)
    }
    async fn delete<M: DbModel>(&self, pk: i64) -> Result<()> {
        SqliterDB::delete::<M>(self, pk)
    }
    async fn update_where<M: DbModel>(
        &self,
        where_: impl IntoIterator<Item = (impl AsRef<str>, impl Into<Param>)>,
        values: impl IntoIterator<Item = impl Into<Assignment>>,
    ) -> Result<u64> {
        SqliterDB::update_where::<M>(self, where_, values)
    }
    async fn close(&self) -> Result<()> {
        SqliterDB::close(self)
    }
    async fn schema_diff<M: DbModel>(&self) -> Result<sqliter_core::SchemaDiff> {
        SqliterDB::schema_diff::<M>(self)
    }
    async fn migration_plan<M: DbModel>(
        &self,
        options: sqliter_core::MigrateOptions,
    ) -> Result<sqliter_core::MigrationPlan> {
        SqliterDB::migration_plan::<M>(self, options)
    }
    async fn migrate<M: DbModel>(
        &self,
        options: sqliter_core::MigrateOptions,
    ) -> Result<sqliter_core::MigrationPlan> {
        SqliterDB::migrate::<M>(self, options)
    }
    async fn apply_plan(
        &self,
        plan: &sqliter_core::MigrationPlan,
    ) -> Result<sqliter_core::MigrationPlan> {
        SqliterDB::apply_plan(self, plan)
    }
    async fn run_migrations(&self, steps: Vec<sqliter_core::Migration>) -> Result<Vec<String>> {
        SqliterDB::run_migrations(self, &steps)
    }
    async fn migrate_all(
        &self,
        options: sqliter_core::MigrateOptions,
    ) -> Result<Vec<sqliter_core::MigrationPlan>> {
        SqliterDB::migrate_all(self, options)
    }
    async fn backup_with(
        &self,
        path: &std::path::Path,
        options: sqliter_core::BackupOptions,
    ) -> Result<()> {
        SqliterDB::backup_with(self, path, &options)
    }
    async fn vacuum_into(&self, path: &std::path::Path) -> Result<()> {
        SqliterDB::vacuum_into(self, path)
    }
    async fn reset_database(&self) -> Result<usize> {
        SqliterDB::reset_database(self)
    }
    async fn execute(&self, sql: &str, params: Vec<Param>) -> Result<u64> {
        SqliterDB::execute(self, sql, params)
    }
    async fn query(&self, sql: &str, params: Vec<Param>) -> Result<Vec<DictRow>> {
        SqliterDB::query(self, sql, params)
    }
    async fn query_as<T: DeserializeOwned + Send + 'static>(
        &self,
        sql: &str,
        params: Vec<Param>,
    ) -> Result<Vec<T>> {
        SqliterDB::query_as(self, sql, params)
    }
    async fn commit(&self) -> Result<()> {
        SqliterDB::commit(self)
    }
    fn select<M: DbModel>(&self) -> Self::Query<'_, M> {
        SqliterDB::select::<M>(self)
    }
    fn is_connected(&self) -> bool {
        SqliterDB::is_connected(self)
    }
    fn is_memory(&self) -> bool {
        SqliterDB::is_memory(self)
    }
    fn filename(&self) -> Option<&str> {
        SqliterDB::filename(self)
    }
    fn db_filename(&self) -> &str {
        SqliterDB::db_filename(self)
    }
    async fn get_with<M: DbModel>(&self, pk: i64, options: GetOptions) -> Result<Option<M>> {
        SqliterDB::get_with(self, pk, options)
    }
    fn cache_get<T: Cacheable>(&self, table: &str, key: &str) -> Option<T> {
        SqliterDB::cache_get(self, table, key)
    }
    fn cache_set<T: Cacheable>(&self, table: &str, key: &str, value: &T, ttl: Option<Duration>) {
        SqliterDB::cache_set(self, table, key, value, ttl);
    }
    fn invalidate_table_cache(&self, table: &str) {
        SqliterDB::invalidate_table_cache(self, table);
    }
    fn clear_cache(&self) {
        SqliterDB::clear_cache(self);
    }
    fn reset_cache_stats(&self) {
        SqliterDB::reset_cache_stats(self);
    }
    fn get_cache_stats(&self) -> CacheStats {
        SqliterDB::get_cache_stats(self)
    }
    async fn insert_and_roll_back<M: DbModel>(&self, record: M) {
        let tx = self.begin().unwrap();
        SqliterDB::insert(self, record).unwrap();
        tx.rollback().unwrap();
    }
    async fn raw(&self, sql: &str) {
        raw(self, sql);
    }
    async fn query_int(&self, sql: &str) -> i64 {
        query_int(self, sql)
    }
    async fn query_text(&self, sql: &str) -> String {
        query_text(self, sql)
    }

    async fn with_raw<T: Send + 'static>(
        &self,
        f: impl FnOnce(&sqliter_async::tokio_rusqlite::rusqlite::Connection) -> T + Send + 'static,
    ) -> T {
        self.with_connection(f).expect("with_connection")
    }
}

impl Door for AsyncSqliterDB {
    async fn fetch_fk<T: DbModel + Sync>(fk: &ForeignKeyOf<T, Self>) -> Result<Option<&T>> {
        fk.fetch().await
    }
    type Query<'a, M: DbModel> = sqliter_async::AsyncQueryBuilder<M>;
    const NAME: &'static str = "async";

    async fn open(options: DbOptions) -> Result<Self> {
        AsyncSqliterDB::create(options).await
    }
    async fn create_table<M: DbModel>(&self) -> Result<()> {
        AsyncSqliterDB::create_table::<M>(self).await
    }
    async fn create_table_with<M: DbModel>(&self, options: CreateTableOptions) -> Result<()> {
        AsyncSqliterDB::create_table_with::<M>(self, options).await
    }
    async fn drop_table<M: DbModel>(&self) -> Result<()> {
        AsyncSqliterDB::drop_table::<M>(self).await
    }
    async fn table_names(&self) -> Result<Vec<String>> {
        AsyncSqliterDB::get_table_names(self).await
    }
    async fn insert<M: DbModel>(&self, record: M) -> Result<M> {
        AsyncSqliterDB::insert(self, record).await
    }
    async fn insert_with<M: DbModel>(&self, record: M, options: InsertOptions) -> Result<M> {
        AsyncSqliterDB::insert_with(self, record, options).await
    }
    async fn bulk_insert_with<M: DbModel + Clone>(
        &self,
        records: &mut [M],
        options: InsertOptions,
    ) -> Result<()> {
        let stored = AsyncSqliterDB::bulk_insert_with(self, records.to_vec(), options).await?;
        records.clone_from_slice(&stored);
        Ok(())
    }
    async fn get<M: DbModel>(&self, pk: i64) -> Result<Option<M>> {
        AsyncSqliterDB::get(self, pk).await
    }
    async fn update<R: Record + Clone>(&self, record: &mut R) -> Result<()> {
        AsyncSqliterDB::update(self, record).await
    }
    async fn update_fields<M: DbModel + Clone>(
        &self,
        record: &mut M,
        fields: &[&str],
    ) -> Result<()> {
        AsyncSqliterDB::update_fields(self, record, fields).await
    }
    async fn delete<M: DbModel>(&self, pk: i64) -> Result<()> {
        AsyncSqliterDB::delete::<M>(self, pk).await
    }
    async fn update_where<M: DbModel>(
        &self,
        where_: impl IntoIterator<Item = (impl AsRef<str>, impl Into<Param>)>,
        values: impl IntoIterator<Item = impl Into<Assignment>>,
    ) -> Result<u64> {
        AsyncSqliterDB::update_where::<M>(self, where_, values).await
    }
    async fn close(&self) -> Result<()> {
        AsyncSqliterDB::close(self).await
    }
    async fn schema_diff<M: DbModel>(&self) -> Result<sqliter_core::SchemaDiff> {
        AsyncSqliterDB::schema_diff::<M>(self).await
    }
    async fn migration_plan<M: DbModel>(
        &self,
        options: sqliter_core::MigrateOptions,
    ) -> Result<sqliter_core::MigrationPlan> {
        AsyncSqliterDB::migration_plan::<M>(self, options).await
    }
    async fn migrate<M: DbModel>(
        &self,
        options: sqliter_core::MigrateOptions,
    ) -> Result<sqliter_core::MigrationPlan> {
        AsyncSqliterDB::migrate::<M>(self, options).await
    }
    async fn apply_plan(
        &self,
        plan: &sqliter_core::MigrationPlan,
    ) -> Result<sqliter_core::MigrationPlan> {
        AsyncSqliterDB::apply_plan(self, plan).await
    }
    async fn run_migrations(&self, steps: Vec<sqliter_core::Migration>) -> Result<Vec<String>> {
        AsyncSqliterDB::run_migrations(self, steps).await
    }
    async fn migrate_all(
        &self,
        options: sqliter_core::MigrateOptions,
    ) -> Result<Vec<sqliter_core::MigrationPlan>> {
        AsyncSqliterDB::migrate_all(self, options).await
    }
    async fn backup_with(
        &self,
        path: &std::path::Path,
        options: sqliter_core::BackupOptions,
    ) -> Result<()> {
        AsyncSqliterDB::backup_with(self, path, options).await
    }
    async fn vacuum_into(&self, path: &std::path::Path) -> Result<()> {
        AsyncSqliterDB::vacuum_into(self, path).await
    }
    async fn reset_database(&self) -> Result<usize> {
        AsyncSqliterDB::reset_database(self).await
    }
    async fn execute(&self, sql: &str, params: Vec<Param>) -> Result<u64> {
        AsyncSqliterDB::execute(self, sql, params).await
    }
    async fn query(&self, sql: &str, params: Vec<Param>) -> Result<Vec<DictRow>> {
        AsyncSqliterDB::query(self, sql, params).await
    }
    async fn query_as<T: DeserializeOwned + Send + 'static>(
        &self,
        sql: &str,
        params: Vec<Param>,
    ) -> Result<Vec<T>> {
        AsyncSqliterDB::query_as(self, sql, params).await
    }
    async fn commit(&self) -> Result<()> {
        AsyncSqliterDB::commit(self).await
    }
    fn select<M: DbModel>(&self) -> Self::Query<'_, M> {
        AsyncSqliterDB::select::<M>(self)
    }
    fn is_connected(&self) -> bool {
        AsyncSqliterDB::is_connected(self)
    }
    fn is_memory(&self) -> bool {
        AsyncSqliterDB::is_memory(self)
    }
    fn filename(&self) -> Option<&str> {
        AsyncSqliterDB::filename(self)
    }
    fn db_filename(&self) -> &str {
        AsyncSqliterDB::db_filename(self)
    }
    async fn get_with<M: DbModel>(&self, pk: i64, options: GetOptions) -> Result<Option<M>> {
        AsyncSqliterDB::get_with(self, pk, options).await
    }
    fn cache_get<T: Cacheable>(&self, table: &str, key: &str) -> Option<T> {
        AsyncSqliterDB::cache_get(self, table, key)
    }
    fn cache_set<T: Cacheable>(&self, table: &str, key: &str, value: &T, ttl: Option<Duration>) {
        AsyncSqliterDB::cache_set(self, table, key, value, ttl);
    }
    fn invalidate_table_cache(&self, table: &str) {
        AsyncSqliterDB::invalidate_table_cache(self, table);
    }
    fn clear_cache(&self) {
        AsyncSqliterDB::clear_cache(self);
    }
    fn reset_cache_stats(&self) {
        AsyncSqliterDB::reset_cache_stats(self);
    }
    fn get_cache_stats(&self) -> CacheStats {
        AsyncSqliterDB::get_cache_stats(self)
    }
    async fn insert_and_roll_back<M: DbModel>(&self, record: M) {
        let tx = self.begin().await.unwrap();
        tx.db().insert(record).await.unwrap();
        tx.rollback().await.unwrap();
    }
    async fn raw(&self, sql: &str) {
        let sql = sql.to_owned();
        let conn = self.connect().await.expect("connect");
        conn.call(move |c| c.execute_batch(&sql))
            .await
            .expect("raw SQL");
    }
    async fn query_int(&self, sql: &str) -> i64 {
        let sql = sql.to_owned();
        let conn = self.connect().await.expect("connect");
        conn.call(move |c| c.query_row(&sql, [], |r| r.get::<_, i64>(0)))
            .await
            .expect("query")
    }
    async fn query_text(&self, sql: &str) -> String {
        let sql = sql.to_owned();
        let conn = self.connect().await.expect("connect");
        conn.call(move |c| c.query_row(&sql, [], |r| r.get::<_, String>(0)))
            .await
            .expect("query")
    }

    async fn with_raw<T: Send + 'static>(
        &self,
        f: impl FnOnce(&sqliter_async::tokio_rusqlite::rusqlite::Connection) -> T + Send + 'static,
    ) -> T {
        let conn = self.connect().await.expect("connect");
        conn.call(move |c| Ok::<_, std::convert::Infallible>(f(c)))
            .await
            .expect("call")
    }
}

/// Run each `async fn name<D: Door>()` body against both doors: a test
/// module per body with `sync` and `async_door` tests.
#[macro_export]
macro_rules! door_tests {
    ($($body:ident),* $(,)?) => {$(
        mod $body {
            #[tokio::test]
            async fn sync() {
                super::$body::<::sqliter_core::SqliterDB>().await;
            }
            #[tokio::test]
            async fn async_door() {
                super::$body::<::sqliter_async::AsyncSqliterDB>().await;
            }
        }
    )*};
}

/// Run raw SQL on the database's own connection (to plant odd values or
/// read what the ORM wrote).
pub fn raw(db: &SqliterDB, sql: &str) {
    db.with_connection(|c| c.execute_batch(sql))
        .expect("connection")
        .expect("raw SQL");
}

/// One text value from a query on the database's connection.
pub fn query_text(db: &SqliterDB, sql: &str) -> String {
    db.with_connection(|c| c.query_row(sql, [], |r| r.get::<_, String>(0)))
        .expect("connection")
        .expect("query")
}

/// One integer from a query on the database's connection.
pub fn query_int(db: &SqliterDB, sql: &str) -> i64 {
    db.with_connection(|c| c.query_row(sql, [], |r| r.get::<_, i64>(0)))
        .expect("connection")
        .expect("query")
}

/// The manager operations of a many-to-many relation, awaited on both
/// doors: `ManyToMany<T>` (sync) and `AsyncManyToMany<T>`. Reach them
/// through [`manager`], which hides the inherent methods.
#[allow(async_fn_in_trait)]
pub trait Manager<T> {
    async fn add(&self, records: &[&T]) -> Result<()>;
    async fn remove(&self, records: &[&T]) -> Result<()>;
    async fn clear(&self) -> Result<()>;
    async fn set(&self, records: &[&T]) -> Result<()>;
    async fn fetch_all(&self) -> Result<Vec<T>>;
    async fn fetch_one(&self) -> Result<Option<T>>;
    async fn count(&self) -> Result<u64>;
    async fn exists(&self) -> Result<bool>;
}

/// The relation seen only through [`Manager`].
pub fn manager<T, D>(relation: &ManyToManyOf<T, D>) -> &impl Manager<T>
where
    ManyToManyOf<T, D>: Manager<T>,
{
    relation
}

macro_rules! forward_manager {
    ($door:ty $(, $await:ident)?) => {
        impl<T: DbModel + Sync> Manager<T> for ManyToManyOf<T, $door> {
            async fn add(&self, records: &[&T]) -> Result<()> { Self::add(self, records.iter().copied())$(.$await)? }
            async fn remove(&self, records: &[&T]) -> Result<()> { Self::remove(self, records.iter().copied())$(.$await)? }
            async fn clear(&self) -> Result<()> { Self::clear(self)$(.$await)? }
            async fn set(&self, records: &[&T]) -> Result<()> { Self::set(self, records.iter().copied())$(.$await)? }
            async fn fetch_all(&self) -> Result<Vec<T>> { Self::fetch_all(self)$(.$await)? }
            async fn fetch_one(&self) -> Result<Option<T>> { Self::fetch_one(self)$(.$await)? }
            async fn count(&self) -> Result<u64> { Self::count(self)$(.$await)? }
            async fn exists(&self) -> Result<bool> { Self::exists(self)$(.$await)? }
        }
    };
}
forward_manager!(SqliterDB);
forward_manager!(AsyncSqliterDB, await);

/// `options` with a logger that counts the `SELECT` statements run, and
/// the counter (the tests of N+1 avoidance and of the cache read it).
pub fn counting_selects(
    options: DbOptions,
) -> (DbOptions, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let selects = std::sync::Arc::new(AtomicUsize::new(0));
    let seen = std::sync::Arc::clone(&selects);
    let options = options
        .debug(true)
        .logger(sqliter_core::Logger::new(move |line| {
            if line
                .trim_start_matches("Executing SQL: ")
                .starts_with("SELECT")
            {
                seen.fetch_add(1, Ordering::SeqCst);
            }
        }));
    (options, selects)
}
