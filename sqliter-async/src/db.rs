//! [`AsyncSqliterDB`]: the async database.

use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use std::time::Duration;

use sqliter_core::cache::{CacheStats, Cacheable};
use sqliter_core::engine;
use sqliter_core::query::exec::{self, Lookup};
use sqliter_core::query::{Assignment, Param, QueryChain, QuerySpec, Terminal};
use sqliter_core::GetOptions;
use sqliter_core::{
    CreateTableOptions, DbModel, DbOptions, Error, InsertOptions, Logger, Record, Result, Session,
};

use crate::builder::AsyncQueryBuilder;
use crate::transaction::{AsyncTransaction, TxToken, CURRENT_TX};
use crate::worker::Shared;

/// An SQLite database used from async code. Every statement runs on one
/// dedicated thread that owns the connection; each operation is one round
/// trip to it. Clones share the connection and the transaction state;
/// dropping the last clone closes the connection.
///
/// ```
/// use sqliter_async::{AsyncSqliterDB, DbModel, DbOptions, prelude::*};
///
/// #[derive(DbModel, Debug, Clone, Default)]
/// struct User { pk: i64, name: String, active: bool }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> sqliter_async::Result<()> {
/// let db = AsyncSqliterDB::create(DbOptions::memory()).await?;
/// db.create_table::<User>().await?;
/// db.insert(User { name: "ann".into(), active: true, ..Default::default() }).await?;
/// let users = db.select::<User>().filter(User::active().eq(true)).order("name", false).limit(20).fetch_all().await?;
/// assert_eq!(users.len(), 1);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct AsyncSqliterDB {
    pub(crate) shared: Arc<Shared>,
    /// Set on the handle a scoped transaction gives out.
    tx: Option<Arc<TxToken>>,
}

impl AsyncSqliterDB {
    /// A database handle; the connection opens on first use. `reset = true`
    /// is refused here (it needs to run SQL): use [`Self::create`].
    pub fn new(options: DbOptions) -> Result<Self> {
        if options.reset {
            return Err(Error::InvalidOptions(
                "reset = true is not supported by AsyncSqliterDB::new(); use `AsyncSqliterDB::create(options).await`".into(),
            ));
        }
        Ok(Self {
            shared: Shared::new(options.into_settings()?),
            tx: None,
        })
    }

    /// Build a database and, with `reset = true`, drop every user table
    /// (the database is then connected).
    pub async fn create(options: DbOptions) -> Result<Self> {
        let reset = options.reset;
        let db = Self::new(DbOptions {
            reset: false,
            ..options
        })?;
        if reset {
            db.on_thread(engine::reset).await?;
        }
        Ok(db)
    }

    pub(crate) fn with_token(&self, token: Arc<TxToken>) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
            tx: Some(token),
        }
    }

    /// The open scoped transaction this call belongs to: this handle's, or
    /// the current task's on this database.
    pub(crate) fn current_tx(&self) -> Option<Arc<TxToken>> {
        if let Some(token) = self.tx.as_ref().filter(|t| t.is_open_on(&self.shared)) {
            return Some(Arc::clone(token));
        }
        CURRENT_TX
            .try_with(|token| token.is_open_on(&self.shared).then(|| Arc::clone(token)))
            .ok()
            .flatten()
    }

    /// Run one operation on the database thread. Outside a transaction it
    /// waits while another task's transaction is open.
    pub(crate) async fn on_thread<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Session<'_>) -> Result<T> + Send + 'static,
    {
        let _shared_gate = match self.current_tx() {
            Some(_) => None,
            None => Some(self.shared.gate.read().await),
        };
        self.shared.call(f).await
    }

    /// Open the connection (and its thread) if needed, and return it for
    /// raw SQL. A panic in a closure given to it is resumed in the calling
    /// task and leaves the database working (see [`RawConnection`]).
    pub async fn connect(&self) -> Result<crate::RawConnection> {
        let shapes = std::sync::Arc::clone(&self.shared.settings.shapes);
        let conn = self.shared.connection().await?;
        Ok(crate::RawConnection::new(conn, shapes))
    }

    /// Close the connection after the statements already sent. Uncommitted
    /// work (`auto_commit = false`) is lost, as is an in-memory database;
    /// the next operation opens a new connection. Closing twice is fine.
    /// Closed inside a scoped transaction, the transaction is rolled back
    /// with the connection: the scope's `commit()` then reports it, and
    /// `in_transaction()` is `false`.
    pub async fn close(&self) -> Result<()> {
        // Inside a scope of this task the gate is already ours.
        let _exclusive = match self.current_tx() {
            Some(_) => None,
            None => Some(self.shared.gate.write().await),
        };
        self.shared.tx_depth.store(0, Ordering::SeqCst);
        self.shared.generation.fetch_add(1, Ordering::SeqCst);
        self.shared.settings.cache.reset();
        match self.shared.take() {
            Some(conn) => conn.close().await.map_err(|e| match e {
                tokio_rusqlite::Error::Close((_, source)) => Error::DatabaseConnection {
                    path: self.db_filename().to_owned(),
                    source: Arc::new(source),
                },
                _ => Error::Internal("the database thread has stopped".into()),
            }),
            None => Ok(()),
        }
    }

    /// Commit the implicit transaction `auto_commit = false` leaves open; a
    /// no-op when not connected or nothing is pending.
    pub async fn commit(&self) -> Result<()> {
        if self.shared.current().is_none() {
            return Ok(());
        }
        if self.current_tx().is_some() {
            return Err(Error::Transaction(
                "cannot commit while a scoped transaction is open".into(),
            ));
        }
        self.on_thread(|s| s.end_implicit(true)).await
    }

    /// Run `f` in a scoped transaction (upstream's `async with db:`): commit
    /// when it returns `Ok`, roll back when it returns `Err`, panics or is
    /// cancelled. The database stays open. `f` gets a handle whose
    /// statements run inside the transaction (so does any clone used by
    /// the same task); other tasks wait until it ends. Nested calls are
    /// savepoints: an inner error rolls back only the inner work.
    ///
    /// ```
    /// # use sqliter_async::{AsyncSqliterDB, DbModel, DbOptions, Error};
    /// # #[derive(DbModel, Debug, Clone, Default)] struct Note { pk: i64, text: String }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Error> {
    /// # let db = AsyncSqliterDB::create(DbOptions::memory()).await?;
    /// # db.create_table::<Note>().await?;
    /// let result: Result<(), Error> = db
    ///     .transaction(|tx| async move {
    ///         tx.insert(Note { text: "gone".into(), ..Default::default() }).await?;
    ///         tx.delete::<Note>(999).await // fails: the insert is rolled back
    ///     })
    ///     .await;
    /// assert!(result.is_err());
    /// assert_eq!(db.select::<Note>().count().await?, 0);
    /// # Ok(()) }
    /// ```
    pub async fn transaction<T, E, F, Fut>(&self, f: F) -> std::result::Result<T, E>
    where
        F: FnOnce(AsyncSqliterDB) -> Fut,
        Fut: Future<Output = std::result::Result<T, E>>,
        E: From<Error>,
    {
        let tx = AsyncTransaction::begin(self).await?;
        let outcome = CURRENT_TX.scope(tx.token(), f(tx.db().clone())).await;
        match outcome {
            Ok(value) => {
                tx.commit().await?;
                Ok(value)
            }
            Err(error) => {
                // The caller's error matters more than a failed rollback.
                let _ = tx.rollback().await;
                Err(error)
            }
        }
    }

    /// Begin a scoped transaction explicitly; see [`AsyncTransaction`].
    pub async fn begin(&self) -> Result<AsyncTransaction> {
        AsyncTransaction::begin(self).await
    }

    /// The file name, or `":memory:"`.
    pub fn db_filename(&self) -> &str {
        self.shared.settings.db_filename()
    }

    /// The file name, or `None` in memory.
    pub fn filename(&self) -> Option<&str> {
        self.shared.settings.filename.as_deref()
    }

    /// Whether the database lives in memory.
    pub fn is_memory(&self) -> bool {
        self.shared.settings.filename.is_none()
    }

    /// The `auto_commit` option.
    pub fn auto_commit(&self) -> bool {
        self.shared.settings.auto_commit
    }

    /// Alias of [`Self::auto_commit`] (the sync door's name).
    pub fn is_autocommit(&self) -> bool {
        self.auto_commit()
    }

    /// The `debug` option.
    pub fn debug(&self) -> bool {
        self.shared.settings.debug
    }

    /// The `logger` option.
    pub fn logger(&self) -> Option<&Logger> {
        self.shared.settings.logger.as_ref()
    }

    /// The `return_local_time` option.
    pub fn return_local_time(&self) -> bool {
        self.shared.settings.return_local_time
    }

    /// Run a block of ordinary ORM work on the database thread, in one
    /// round trip: `f` gets the sync door ([`SqliterDB`](sqliter_core::SqliterDB))
    /// over this database's own connection, cache and settings, so a
    /// hundred operations cost one hop instead of a hundred. Inside a
    /// scoped transaction the block runs in it; work before an error in
    /// the block stays, unless the block is atomic ([`run_atomic`](Self::run_atomic)).
    /// Records returned carry this database's link (their `AsyncForeignKey`
    /// fields load through it). The handle `f` gets cannot be closed, and
    /// is closed for good when the block ends (a clone kept past it
    /// reports so). A panic in `f` is `Error::Internal`; the connection
    /// survives it.
    ///
    /// ```
    /// # use sqliter_async::{AsyncSqliterDB, DbModel, DbOptions, prelude::*};
    /// # #[derive(DbModel, Debug, Clone, Default)] struct Note { pk: i64, text: String }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> sqliter_async::Result<()> {
    /// # let db = AsyncSqliterDB::create(DbOptions::memory()).await?; db.create_table::<Note>().await?;
    /// let before = db.round_trips();
    /// let drafts = db
    ///     .run(|db| {
    ///         for i in 0..100 {
    ///             db.insert(Note { text: format!("draft {i}"), ..Default::default() })?;
    ///         }
    ///         db.select::<Note>().filter(Note::text().endswith("7")).fetch_all()
    ///     })
    ///     .await?;
    /// assert_eq!(drafts.len(), 10);
    /// assert_eq!(db.round_trips() - before, 1);
    /// # Ok(()) }
    /// ```
    pub async fn run<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&sqliter_core::SqliterDB) -> Result<T> + Send + 'static,
    {
        let tx = self.current_tx();
        let depth = tx.as_ref().map_or(0, |t| t.level);
        // Outside a transaction, wait for another task's to end (as every
        // operation does).
        let _shared_gate = match tx {
            Some(_) => None,
            None => Some(self.shared.gate.read().await),
        };
        self.shared.call_lent(depth, f).await
    }

    /// [`run`](Self::run), atomically: the block is a transaction of its
    /// own (a savepoint inside an open one), rolled back if it returns an
    /// error or panics.
    ///
    /// ```
    /// # use sqliter_async::{AsyncSqliterDB, DbModel, DbOptions, Error, prelude::*};
    /// # #[derive(DbModel, Debug, Clone, Default)] struct Note { pk: i64, text: String }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> sqliter_async::Result<()> {
    /// # let db = AsyncSqliterDB::create(DbOptions::memory()).await?; db.create_table::<Note>().await?;
    /// let failed = db
    ///     .run_atomic(|db| {
    ///         db.insert(Note { text: "kept?".into(), ..Default::default() })?;
    ///         db.delete::<Note>(999) // no such row: everything is rolled back
    ///     })
    ///     .await;
    /// assert!(matches!(failed, Err(Error::RecordNotFound { .. })));
    /// assert_eq!(db.select::<Note>().count().await?, 0);
    /// # Ok(()) }
    /// ```
    pub async fn run_atomic<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&sqliter_core::SqliterDB) -> Result<T> + Send + 'static,
    {
        self.run(move |db| db.transaction(f)).await
    }

    /// Whether the connection is open.
    pub fn is_connected(&self) -> bool {
        self.shared.current().is_some()
    }

    /// Whether a scoped transaction is open (on any clone).
    pub fn in_transaction(&self) -> bool {
        self.shared.tx_depth.load(Ordering::SeqCst) > 0
    }

    /// How many operations have been sent to the database thread so far
    /// (each is one round trip). A diagnostic for tests and tuning: one
    /// public operation costs one, whatever its size.
    pub fn round_trips(&self) -> u64 {
        self.shared.round_trips.load(Ordering::Relaxed)
    }

    /// The user tables, in creation order.
    pub async fn get_table_names(&self) -> Result<Vec<String>> {
        self.on_thread(engine::table_names).await
    }

    /// Create `M`'s table and indexes if they do not exist.
    pub async fn create_table<M: DbModel>(&self) -> Result<()> {
        self.create_table_with::<M>(CreateTableOptions::default())
            .await
    }

    /// Create `M`'s table with `exists_ok` / `force`.
    pub async fn create_table_with<M: DbModel>(&self, options: CreateTableOptions) -> Result<()> {
        self.on_thread(move |s| engine::create_table(s, M::META, options))
            .await
    }

    /// How `M`'s table in the file differs from the model; see
    /// `SqliterDB::schema_diff`.
    pub async fn schema_diff<M: DbModel>(&self) -> Result<sqliter_core::SchemaDiff> {
        self.on_thread(|s| engine::schema_diff(s, M::META)).await
    }

    /// The migration that would bring `M`'s table to the model, not
    /// applied; see `SqliterDB::migration_plan`.
    pub async fn migration_plan<M: DbModel>(
        &self,
        options: sqliter_core::MigrateOptions,
    ) -> Result<sqliter_core::MigrationPlan> {
        self.on_thread(move |s| engine::migration_plan(s, M::META, options))
            .await
    }

    /// Bring `M`'s table to the model's shape in one transaction, one
    /// round trip; see `SqliterDB::migrate`.
    ///
    /// ```
    /// # use sqliter_async::{AsyncSqliterDB, DbModel, DbOptions, MigrateOptions};
    /// #[derive(DbModel, Debug, Clone, Default)]
    /// #[sqliter(table_name = "notes")]
    /// struct NoteV1 { pk: i64, text: String }
    /// #[derive(DbModel, Debug, Clone, Default)]
    /// struct Note { pk: i64, text: String, #[sqliter(default = 1)] stars: i32 }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> sqliter_async::Result<()> {
    /// let db = AsyncSqliterDB::new(DbOptions::memory())?;
    /// db.create_table::<NoteV1>().await?;
    /// db.insert(NoteV1 { text: "old".into(), ..Default::default() }).await?;
    /// db.migrate::<Note>(MigrateOptions::default()).await?;
    /// assert_eq!(db.get::<Note>(1).await?.unwrap().stars, 1);
    /// # Ok(()) }
    /// ```
    pub async fn migrate<M: DbModel>(
        &self,
        options: sqliter_core::MigrateOptions,
    ) -> Result<sqliter_core::MigrationPlan> {
        self.on_thread(move |s| engine::migrate(s, M::META, options))
            .await
    }

    /// Migrate every model the program derives, parents first, in one
    /// round trip; see `SqliterDB::migrate_all`.
    pub async fn migrate_all(
        &self,
        options: sqliter_core::MigrateOptions,
    ) -> Result<Vec<sqliter_core::MigrationPlan>> {
        self.on_thread(move |s| engine::migrate_all(s, options))
            .await
    }

    /// Apply a plan made by [`migration_plan`](Self::migration_plan), or
    /// refuse if the file changed since.
    pub async fn apply_plan(
        &self,
        plan: &sqliter_core::MigrationPlan,
    ) -> Result<sqliter_core::MigrationPlan> {
        let plan = plan.clone();
        self.on_thread(move |s| engine::apply_plan(s, &plan)).await
    }

    /// Apply the named migrations not yet recorded, in order, each once in
    /// its own transaction, all in one round trip; see
    /// `SqliterDB::run_migrations`.
    pub async fn run_migrations(&self, steps: Vec<sqliter_core::Migration>) -> Result<Vec<String>> {
        self.on_thread(move |s| engine::run_migrations(s, &steps))
            .await
    }

    /// Run one SQL statement with bound parameters, one round trip; see
    /// `SqliterDB::execute`.
    pub async fn execute<P: Into<Param>>(
        &self,
        sql: &str,
        params: impl IntoIterator<Item = P>,
    ) -> Result<u64> {
        let values = sqliter_core::raw_values(sql, params.into_iter().map(Into::into).collect())?;
        let sql = sql.to_owned();
        self.on_thread(move |s| engine::execute(s, &sql, &values))
            .await
    }

    /// Run one query with bound parameters; its rows by column name.
    pub async fn query<P: Into<Param>>(
        &self,
        sql: &str,
        params: impl IntoIterator<Item = P>,
    ) -> Result<Vec<sqliter_core::DictRow>> {
        let values = sqliter_core::raw_values(sql, params.into_iter().map(Into::into).collect())?;
        let sql = sql.to_owned();
        self.on_thread(move |s| engine::raw_query(s, &sql, &values))
            .await
    }

    /// [`query`](Self::query), each row decoded into `T` by column name.
    pub async fn query_as<T: serde::de::DeserializeOwned + Send + 'static, P: Into<Param>>(
        &self,
        sql: &str,
        params: impl IntoIterator<Item = P>,
    ) -> Result<Vec<T>> {
        let values = sqliter_core::raw_values(sql, params.into_iter().map(Into::into).collect())?;
        let sql = sql.to_owned();
        self.on_thread(move |s| engine::raw_query_as(s, &sql, &values))
            .await
    }

    /// Copy the database into the file `path` while it stays in use, with
    /// SQLite's online backup API in steps; see
    /// [`backup_with`](Self::backup_with).
    pub async fn backup_to(&self, path: impl AsRef<std::path::Path>) -> Result<()> {
        self.backup_with(path, sqliter_core::BackupOptions::default())
            .await
    }

    /// [`backup_to`](Self::backup_to) with the step size, the pause between
    /// steps and a progress callback. A file database is copied through a
    /// connection of its own on a blocking thread, so the database thread
    /// and every other task go on during the copy (their writes reach the
    /// copy until its last step). An in-memory database has no second
    /// connection: it is copied on the database thread.
    pub async fn backup_with(
        &self,
        path: impl AsRef<std::path::Path>,
        options: sqliter_core::BackupOptions,
    ) -> Result<()> {
        let path = path.as_ref().to_path_buf();
        if self.is_memory() {
            return self
                .on_thread(move |s| engine::backup_to(s.conn, &path, &options))
                .await;
        }
        let settings = std::sync::Arc::clone(&self.shared.settings);
        tokio::task::spawn_blocking(move || {
            let source = settings.open_source_connection()?;
            engine::backup_to(&source, &path, &options)
        })
        .await
        .map_err(|e| Error::Internal(format!("the backup thread failed: {e}")))?
    }

    /// `VACUUM INTO path`: a compact copy in one read transaction (the file
    /// must not exist), on the database thread.
    pub async fn vacuum_into(&self, path: impl AsRef<std::path::Path>) -> Result<()> {
        let path = path.as_ref().to_path_buf();
        self.on_thread(move |s| engine::vacuum_into(s.conn, &path))
            .await
    }

    /// Drop every user table of the open database and empty the cache;
    /// returns how many were dropped. Inside a scoped transaction it is
    /// rolled back with it. See `SqliterDB::reset_database`.
    pub async fn reset_database(&self) -> Result<usize> {
        self.on_thread(engine::reset).await
    }

    /// Drop `M`'s table; dropping a missing table is not an error.
    pub async fn drop_table<M: DbModel>(&self) -> Result<()> {
        self.on_thread(|s| engine::drop_table(s, M::META.table_name))
            .await
    }

    /// Insert `record` and return it with its pk and timestamps set.
    ///
    /// ```
    /// # use sqliter_async::{AsyncSqliterDB, DbModel, DbOptions};
    /// # #[derive(DbModel, Debug, Clone, Default)] struct Note { pk: i64, text: String }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> sqliter_async::Result<()> {
    /// # let db = AsyncSqliterDB::create(DbOptions::memory()).await?;
    /// # db.create_table::<Note>().await?;
    /// let note = db.insert(Note { text: "hello".into(), ..Default::default() }).await?;
    /// assert_eq!(note.pk, 1);
    /// # Ok(()) }
    /// ```
    pub async fn insert<M: DbModel>(&self, record: M) -> Result<M> {
        self.insert_with(record, InsertOptions::default()).await
    }

    /// Insert with options (`timestamp_override`).
    pub async fn insert_with<M: DbModel>(
        &self,
        mut record: M,
        options: InsertOptions,
    ) -> Result<M> {
        self.on_thread(move |s| engine::insert(s, &mut record, options).map(|()| record))
            .await
    }

    /// Insert every record in one transaction and one round trip: all rows
    /// or none. Returns the records with their pks and timestamps.
    ///
    /// ```
    /// # use sqliter_async::{AsyncSqliterDB, DbModel, DbOptions};
    /// # #[derive(DbModel, Debug, Clone, Default)] struct Note { pk: i64, text: String }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> sqliter_async::Result<()> {
    /// # let db = AsyncSqliterDB::create(DbOptions::memory()).await?;
    /// # db.create_table::<Note>().await?;
    /// let notes = (1..=3).map(|i| Note { text: format!("note {i}"), ..Default::default() }).collect();
    /// let stored = db.bulk_insert(notes).await?;
    /// assert_eq!(stored.iter().map(|n| n.pk).collect::<Vec<_>>(), [1, 2, 3]);
    /// # Ok(()) }
    /// ```
    pub async fn bulk_insert<M: DbModel>(&self, records: Vec<M>) -> Result<Vec<M>> {
        self.bulk_insert_with(records, InsertOptions::default())
            .await
    }

    /// [`bulk_insert`](Self::bulk_insert) with options.
    pub async fn bulk_insert_with<M: DbModel>(
        &self,
        mut records: Vec<M>,
        options: InsertOptions,
    ) -> Result<Vec<M>> {
        if records.is_empty() {
            return Ok(records);
        }
        self.on_thread(move |s| engine::bulk_insert(s, &mut records, options).map(|()| records))
            .await
    }

    /// The record with primary key `pk`, or `None` (through the cache when
    /// it is on: a hit costs no round trip).
    pub async fn get<M: DbModel>(&self, pk: i64) -> Result<Option<M>> {
        self.get_with(pk, GetOptions::default()).await
    }

    /// [`get`](Self::get) with `bypass_cache` / `cache_ttl`.
    pub async fn get_with<M: DbModel>(&self, pk: i64, options: GetOptions) -> Result<Option<M>> {
        let table = M::META.table_name;
        let settings = &self.shared.settings;
        match exec::lookup(settings, table, engine::pk_key(settings, pk, options)) {
            Lookup::Hit(found) => Ok(found),
            Lookup::Miss(key) => {
                let ttl = options.cache_ttl;
                self.on_thread(move |s| engine::get_and_cache(s, pk, key, ttl))
                    .await
            }
        }
    }

    /// A value kept with [`cache_set`](Self::cache_set) under `table` and
    /// `key`, if still live (counts as a cache look-up).
    ///
    /// ```
    /// # use sqliter_async::{AsyncSqliterDB, DbOptions};
    /// let db = AsyncSqliterDB::new(DbOptions::memory().cache(true))?;
    /// db.cache_set("reports", "total", &42_u64, None);
    /// assert_eq!(db.cache_get::<u64>("reports", "total"), Some(42));
    /// assert_eq!(db.get_cache_stats().hits, 1);
    /// # Ok::<(), sqliter_async::Error>(())
    /// ```
    pub fn cache_get<T: Cacheable>(&self, table: &str, key: &str) -> Option<T> {
        self.shared.settings.cache.get(table, key)
    }

    /// Keep a value in the cache under `table` and `key`, for `ttl` or the
    /// default TTL. A no-op when the cache is off.
    pub fn cache_set<T: Cacheable>(
        &self,
        table: &str,
        key: &str,
        value: &T,
        ttl: Option<Duration>,
    ) {
        self.shared.settings.cache.set(table, key, value, ttl);
    }

    /// Drop every cached answer of `table`.
    pub fn invalidate_table_cache(&self, table: &str) {
        self.shared.settings.cache.lock().invalidate_table(table);
    }

    /// Drop every cached answer (statistics are kept).
    pub fn clear_cache(&self) {
        self.shared.settings.cache.lock().clear();
    }

    /// Zero the cache statistics (entries are kept).
    pub fn reset_cache_stats(&self) {
        self.shared.settings.cache.lock().reset_stats();
    }

    /// Cache hits, misses, total and hit rate.
    pub fn get_cache_stats(&self) -> CacheStats {
        self.shared.settings.cache.lock().stats()
    }

    /// Save a stored record and bump its `updated_at` (set on `record`
    /// too); `RecordNotFound` if no row has its pk. Afterwards the row
    /// equals the record; an indexed field is written only if it changed,
    /// in the same round trip (see `SqliterDB::update`). A
    /// [`Partial`](sqliter_core::Partial) record writes only the fields it
    /// loaded; a change to a field it did not load is `InvalidUpdate`.
    ///
    /// ```
    /// # use sqliter_async::{AsyncSqliterDB, DbModel, DbOptions};
    /// # #[derive(DbModel, Debug, Clone, Default)] struct Note { pk: i64, text: String }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> sqliter_async::Result<()> {
    /// # let db = AsyncSqliterDB::create(DbOptions::memory()).await?;
    /// # db.create_table::<Note>().await?;
    /// let mut note = db.insert(Note { text: "draft".into(), ..Default::default() }).await?;
    /// note.text = "final".into();
    /// db.update(&mut note).await?;
    /// assert_eq!(db.get::<Note>(note.pk).await?.unwrap().text, "final");
    /// # Ok(()) }
    /// ```
    pub async fn update<R: Record + Clone>(&self, record: &mut R) -> Result<()> {
        let mut copy = record.clone();
        let updated_at = self
            .on_thread(move |s| copy.save(s).map(|()| copy.model().updated_at()))
            .await?;
        self.saved(record.model_mut(), updated_at);
        Ok(())
    }

    /// Save only the named fields of `record`, with no read; see
    /// `SqliterDB::update_fields`.
    ///
    /// ```
    /// # use sqliter_async::{AsyncSqliterDB, DbModel, DbOptions};
    /// # #[derive(DbModel, Debug, Clone, Default)] struct Book { pk: i64, title: String, price: f64 }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> sqliter_async::Result<()> {
    /// # let db = AsyncSqliterDB::create(DbOptions::memory()).await?; db.create_table::<Book>().await?;
    /// let mut book = db.insert(Book { title: "Dune".into(), price: 9.5, ..Default::default() }).await?;
    /// book.price = 7.0;
    /// db.update_fields(&mut book, &["price"]).await?;
    /// assert_eq!(db.get::<Book>(book.pk).await?.unwrap().price, 7.0);
    /// # Ok(()) }
    /// ```
    pub async fn update_fields<M: DbModel + Clone>(
        &self,
        record: &mut M,
        fields: &[&str],
    ) -> Result<()> {
        let mut copy = record.clone();
        let fields: Vec<String> = fields.iter().map(|&f| f.to_owned()).collect();
        let updated_at = self
            .on_thread(move |s| {
                let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
                engine::update_fields(s, &mut copy, &fields).map(|()| copy.updated_at())
            })
            .await?;
        self.saved(record, updated_at);
        Ok(())
    }

    /// After a save on the database thread: the caller's record gets the
    /// new `updated_at`, and a key replaced by hand gets this database (as
    /// on the sync door).
    fn saved<M: DbModel>(&self, model: &mut M, updated_at: Option<i64>) {
        if let Some(t) = updated_at {
            model.set_updated_at(t);
        }
        model.bind_relations(Some(&self.shared.link), false);
    }

    /// Bulk update by lookups; see `SqliterDB::update_where`.
    pub async fn update_where<M: DbModel>(
        &self,
        where_: impl IntoIterator<Item = (impl AsRef<str>, impl Into<Param>)>,
        values: impl IntoIterator<Item = impl Into<Assignment>>,
    ) -> Result<u64> {
        self.select::<M>().filter_all(where_).update(values).await
    }

    /// Delete the row of `M` with primary key `pk`; `RecordNotFound` if
    /// there is none.
    ///
    /// ```
    /// # use sqliter_async::{AsyncSqliterDB, DbModel, DbOptions};
    /// # #[derive(DbModel, Debug, Clone, Default)] struct Note { pk: i64, text: String }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> sqliter_async::Result<()> {
    /// # let db = AsyncSqliterDB::create(DbOptions::memory()).await?;
    /// # db.create_table::<Note>().await?;
    /// let note = db.insert(Note::default()).await?;
    /// db.delete::<Note>(note.pk).await?;
    /// assert!(db.get::<Note>(note.pk).await?.is_none());
    /// assert!(matches!(db.delete::<Note>(note.pk).await, Err(sqliter_async::Error::RecordNotFound { .. })));
    /// # Ok(()) }
    /// ```
    pub async fn delete<M: DbModel>(&self, pk: i64) -> Result<()> {
        self.on_thread(move |s| engine::delete::<M>(s, pk)).await
    }

    /// Start a query on `M` (synchronous; its terminal methods are async).
    pub fn select<M: DbModel>(&self) -> AsyncQueryBuilder<M> {
        AsyncQueryBuilder::new(self.clone())
    }
}

impl AsyncSqliterDB {
    /// Answer `spec` as query terminal `terminal`: from the cache when it
    /// can (no round trip), else by `f` on the database thread, keeping
    /// the answer there.
    pub(crate) async fn cached<T: Cacheable>(
        &self,
        spec: &QuerySpec,
        terminal: Terminal,
        f: fn(&Session<'_>, &QuerySpec) -> Result<T>,
    ) -> Result<T> {
        match exec::lookup_query(&self.shared.settings, spec, terminal)? {
            Lookup::Hit(value) => Ok(value),
            Lookup::Miss(key) => {
                let spec = spec.clone();
                self.on_thread(move |s| exec::answer_query(s, &spec, key, f))
                    .await
            }
        }
    }
}

impl sqliter_core::LinkedDb for AsyncSqliterDB {
    fn from_link(link: &sqliter_core::Link) -> Option<Self> {
        link.upgrade::<Shared>()
            .map(|shared| Self { shared, tx: None })
    }

    fn link(&self) -> sqliter_core::Link {
        self.shared.link.clone()
    }
}

impl sqliter_core::AsyncRelationDb for AsyncSqliterDB {
    fn get_related<M: DbModel>(
        &self,
        pk: i64,
    ) -> impl std::future::Future<Output = Result<Option<M>>> + Send {
        self.get::<M>(pk)
    }

    fn run_session<T, F>(&self, f: F) -> impl std::future::Future<Output = Result<T>> + Send
    where
        T: Send + 'static,
        F: FnOnce(&Session<'_>) -> Result<T> + Send + 'static,
    {
        self.on_thread(f)
    }

    async fn cached<T: Cacheable>(
        &self,
        spec: QuerySpec,
        terminal: Terminal,
        f: fn(&Session<'_>, &QuerySpec) -> Result<T>,
    ) -> Result<T> {
        AsyncSqliterDB::cached(self, &spec, terminal, f).await
    }
}

impl sqliter_core::SelectDb for AsyncSqliterDB {
    type Query<'a, M: DbModel> = AsyncQueryBuilder<M>;

    fn query<M: DbModel>(&self) -> AsyncQueryBuilder<M> {
        self.select::<M>()
    }
}
