//! The synchronous database, [`SqliterDB`].

mod options;
mod transaction;

pub use options::{
    configure_connection, ConnectHook, ConnectionSettings, DbOptions, JournalMode, Logger,
    Settings, Synchronous,
};
pub use transaction::Transaction;

use std::cell::{Cell, RefCell};
use std::sync::Arc;

use parking_lot::ReentrantMutex;
use rusqlite::Connection;

use crate::error::{Error, Result};
use std::time::Duration;

use crate::cache::{CacheStats, Cacheable};
use crate::model::DbModel;
use crate::query::exec::{self, Lookup};
use crate::query::{Assignment, Param, QueryBuilder, QueryChain};
use crate::record::{self, GetOptions, InsertOptions};
use crate::schema::{self, CreateTableOptions};
use crate::session::Session;

/// A synchronous SQLite database holding SQLiter models.
///
/// ```
/// use sqliter_core::{DbModel, SqliterDB};
///
/// #[derive(DbModel, Debug, Clone, Default)]
/// struct User {
///     pk: i64,
///     name: String,
///     #[sqliter(unique)]
///     email: String,
/// }
///
/// # fn main() -> sqliter_core::Result<()> {
/// let db = SqliterDB::open_in_memory()?;
/// db.create_table::<User>()?;
/// let alice = db.insert(User { name: "Alice".into(), email: "a@x.org".into(), ..Default::default() })?;
/// assert_eq!(db.get::<User>(alice.pk)?.unwrap().name, "Alice");
/// # Ok(()) }
/// ```
///
/// After [`close`](Self::close), the next operation reopens the connection
/// (as upstream does); an in-memory database then starts empty.
///
/// A `SqliterDB` is a cheap handle: clones share one connection, and the
/// records it returns reach it through their relation fields. It is `Send +
/// Sync`; calls from several threads take turns, and a scoped transaction
/// keeps other threads out until it ends.
#[derive(Debug, Clone)]
pub struct SqliterDB {
    inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    settings: Settings,
    /// Re-entrant so a thread may nest calls (a transaction holds it for
    /// its whole scope); the `RefCell` catches re-entry that would close
    /// the connection under a running statement.
    state: ReentrantMutex<State>,
    /// What records' relation fields hold to reach this database.
    link: crate::relation::Link,
    /// A connection lent for one block by the async door (`run`): never
    /// closed or reopened here, and given back when the block ends.
    lent: bool,
}

#[derive(Debug)]
pub(crate) struct State {
    conn: RefCell<Option<Connection>>,
    tx_depth: Cell<u32>,
    /// Bumped by `close`: a scoped transaction begun on an earlier
    /// connection died with it and must not touch the new one.
    generation: Cell<u64>,
}

impl SqliterDB {
    /// A database with `options`. The connection opens on first use, as
    /// on the async door and upstream (a fresh database is not
    /// `is_connected()`); `reset` connects at once and drops every user
    /// table. Options are checked here; a file that cannot be opened is an
    /// error of the first operation (or of [`Self::connect`]).
    ///
    /// ```
    /// use sqliter_core::{DbOptions, SqliterDB};
    /// let db = SqliterDB::new(DbOptions::memory().debug(true))?;
    /// assert!(!db.is_connected());
    /// db.connect()?;
    /// assert!(db.is_connected());
    /// # Ok::<(), sqliter_core::Error>(())
    /// ```
    pub fn new(options: DbOptions) -> Result<Self> {
        let reset = options.reset;
        let settings = options.into_settings()?;
        let db = Self {
            inner: Arc::new_cyclic(|weak| Inner {
                settings,
                state: ReentrantMutex::new(State {
                    conn: RefCell::new(None),
                    tx_depth: Cell::new(0),
                    generation: Cell::new(0),
                }),
                link: crate::relation::Link::new(weak.clone()),
                lent: false,
            }),
        };
        if reset {
            db.with_session(schema::reset)?;
        }
        Ok(db)
    }

    #[doc(hidden)]
    /// The sync door over a connection lent for one block (the async
    /// door's `run`): `settings` and `link` are the lender's, so the cache,
    /// the checked shapes and the records' links are shared; `tx_depth` is
    /// the lender's open scope, so a transaction in the block nests in it.
    pub fn lend(
        conn: Connection,
        settings: Settings,
        link: crate::relation::Link,
        tx_depth: u32,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                settings,
                state: ReentrantMutex::new(State {
                    conn: RefCell::new(Some(conn)),
                    tx_depth: Cell::new(tx_depth),
                    generation: Cell::new(0),
                }),
                link,
                lent: true,
            }),
        }
    }

    #[doc(hidden)]
    /// End a loan: the connection back to the lender (`None` if it is in
    /// use, or this database was not lent); every clone of this handle is
    /// closed for good.
    pub fn give_back(&self) -> Option<Connection> {
        if !self.inner.lent {
            return None;
        }
        let state = self.inner.state.lock();
        let conn = state.conn.try_borrow_mut().ok()?.take();
        conn
    }

    /// Open (or create) a database file with default options.
    pub fn open(path: impl Into<String>) -> Result<Self> {
        Self::new(DbOptions::file(path))
    }

    /// Open a private in-memory database.
    pub fn open_in_memory() -> Result<Self> {
        Self::new(DbOptions::memory())
    }

    /// Run `f` on a session, reconnecting first if the database was closed.
    pub(crate) fn with_session<T>(&self, f: impl FnOnce(&Session<'_>) -> Result<T>) -> Result<T> {
        let state = self.inner.state.lock();
        self.connect()?;
        let guard = state
            .conn
            .try_borrow()
            .map_err(|_| Error::Transaction("the connection is being closed".into()))?;
        let conn = guard
            .as_ref()
            .ok_or_else(|| Error::Transaction("the database is closed".into()))?;
        f(&Session::new(conn, &self.inner.settings).with_link(&self.inner.link))
    }

    pub(crate) fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// The handle records' relation fields keep.
    pub(crate) fn from_inner(inner: Arc<Inner>) -> Self {
        Self { inner }
    }

    pub(crate) fn state(&self) -> parking_lot::ReentrantMutexGuard<'_, State> {
        self.inner.state.lock()
    }

    /// Run `f` with the underlying rusqlite connection (for raw SQL).
    ///
    /// ```
    /// # let db = sqliter_core::SqliterDB::open_in_memory()?;
    /// let one: i64 = db.with_connection(|conn| conn.query_row("SELECT 1", [], |r| r.get(0)))??;
    /// assert_eq!(one, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_connection<T>(&self, f: impl FnOnce(&Connection) -> T) -> Result<T> {
        // Raw SQL may alter any table: check their shapes again.
        self.with_session(|s| {
            let value = f(s.conn);
            s.settings.shapes.forget_all();
            Ok(value)
        })
    }

    /// Run one SQL statement with bound parameters (`?`); returns the rows
    /// it changed. Logged like every statement in debug mode; a failure is
    /// `SqlExecution` naming the statement; several statements in one
    /// string are refused. A statement that may write drops every cached
    /// answer.
    ///
    /// ```
    /// # let db = sqliter_core::SqliterDB::open_in_memory()?;
    /// db.execute("CREATE TABLE kv (k TEXT, v INTEGER)", Vec::<i64>::new())?;
    /// assert_eq!(db.execute("INSERT INTO kv VALUES (?, ?)", [sqliter_core::Param::from("a"), 1.into()])?, 1);
    /// # Ok::<(), sqliter_core::Error>(())
    /// ```
    pub fn execute<P: Into<Param>>(
        &self,
        sql: &str,
        params: impl IntoIterator<Item = P>,
    ) -> Result<u64> {
        let values = crate::raw::values(sql, params.into_iter().map(Into::into).collect())?;
        self.with_session(|s| crate::raw::execute(s, sql, &values))
    }

    /// Run one query with bound parameters; its rows by column name.
    ///
    /// ```
    /// # let db = sqliter_core::SqliterDB::open_in_memory()?;
    /// let rows = db.query("SELECT ? + 1 AS n", [41])?;
    /// assert_eq!(rows[0].get("n").and_then(|v| v.as_i64()), Some(42));
    /// # Ok::<(), sqliter_core::Error>(())
    /// ```
    pub fn query<P: Into<Param>>(
        &self,
        sql: &str,
        params: impl IntoIterator<Item = P>,
    ) -> Result<Vec<crate::DictRow>> {
        let values = crate::raw::values(sql, params.into_iter().map(Into::into).collect())?;
        self.with_session(|s| crate::raw::query(s, sql, &values))
    }

    /// [`query`](Self::query), each row decoded into `T` by column name.
    pub fn query_as<T: serde::de::DeserializeOwned, P: Into<Param>>(
        &self,
        sql: &str,
        params: impl IntoIterator<Item = P>,
    ) -> Result<Vec<T>> {
        let values = crate::raw::values(sql, params.into_iter().map(Into::into).collect())?;
        self.with_session(|s| crate::raw::query_as(s, sql, &values))
    }

    /// Open the connection if it is not open (every operation does this).
    pub fn connect(&self) -> Result<()> {
        let state = self.inner.state.lock();
        if state.conn.try_borrow().is_ok_and(|c| c.is_some()) {
            return Ok(());
        }
        if self.inner.lent {
            return Err(Error::Transaction(
                "this handle belonged to an `AsyncSqliterDB::run` block that has ended; use the AsyncSqliterDB".into(),
            ));
        }
        let conn = self.inner.settings.open_connection()?;
        *state
            .conn
            .try_borrow_mut()
            .map_err(|_| Error::Transaction("the connection is in use".into()))? = Some(conn);
        Ok(())
    }

    /// Close the connection. Uncommitted work (`auto_commit = false`) is
    /// lost; an in-memory database loses everything. Closing twice is fine.
    /// Closed inside a scoped transaction, the transaction is rolled back
    /// with the connection: the scope's `commit()` then reports it, and
    /// [`in_transaction`](Self::in_transaction) is `false`.
    pub fn close(&self) -> Result<()> {
        if self.inner.lent {
            return Err(Error::Transaction(
                "the database of an `AsyncSqliterDB::run` block is closed through the AsyncSqliterDB".into(),
            ));
        }
        let state = self.inner.state.lock();
        let conn = state
            .conn
            .try_borrow_mut()
            .map_err(|_| Error::Transaction("the connection is in use".into()))?
            .take();
        state.tx_depth.set(0);
        state.generation.set(state.generation.get() + 1);
        self.inner.settings.cache.reset();
        match conn {
            Some(conn) => conn
                .close()
                .map_err(|(_, source)| Error::DatabaseConnection {
                    path: self.inner.settings.db_filename().to_owned(),
                    source: source.into(),
                }),
            None => Ok(()),
        }
    }

    /// Commit the open transaction, if any (for `auto_commit = false`).
    pub fn commit(&self) -> Result<()> {
        self.end_implicit(true)
    }

    /// Roll back the open transaction, if any (for `auto_commit = false`).
    pub fn rollback(&self) -> Result<()> {
        self.end_implicit(false)
    }

    fn end_implicit(&self, commit: bool) -> Result<()> {
        let state = self.inner.state.lock();
        if !state.conn.try_borrow().is_ok_and(|c| c.is_some()) {
            return Ok(());
        }
        if state.tx_depth.get() > 0 {
            return Err(Error::Transaction(format!(
                "cannot {} while a scoped transaction is open",
                if commit { "commit" } else { "roll back" }
            )));
        }
        self.with_session(|s| s.end_implicit(commit))
    }

    /// The file name, or `None` in memory.
    pub fn filename(&self) -> Option<&str> {
        self.inner.settings.filename.as_deref()
    }

    /// The file name, or `":memory:"`.
    pub fn db_filename(&self) -> &str {
        self.inner.settings.db_filename()
    }

    /// Whether the database lives in memory.
    pub fn is_memory(&self) -> bool {
        self.inner.settings.filename.is_none()
    }

    /// The `auto_commit` option.
    pub fn is_autocommit(&self) -> bool {
        self.inner.settings.auto_commit
    }

    /// The `debug` option.
    pub fn debug(&self) -> bool {
        self.inner.settings.debug
    }

    /// The `logger` option.
    pub fn logger(&self) -> Option<&Logger> {
        self.inner.settings.logger.as_ref()
    }

    /// The `return_local_time` option.
    pub fn return_local_time(&self) -> bool {
        self.inner.settings.return_local_time
    }

    /// Whether a connection is open.
    pub fn is_connected(&self) -> bool {
        self.state().conn.try_borrow().is_ok_and(|c| c.is_some())
    }

    /// Whether a scoped transaction is open.
    pub fn in_transaction(&self) -> bool {
        self.state().tx_depth.get() > 0
    }

    /// The user tables, in creation order.
    pub fn table_names(&self) -> Result<Vec<String>> {
        self.with_session(schema::table_names)
    }

    /// Create `M`'s table and indexes if they do not exist.
    pub fn create_table<M: DbModel>(&self) -> Result<()> {
        self.create_table_with::<M>(CreateTableOptions::default())
    }

    /// Create `M`'s table with `exists_ok` / `force`.
    pub fn create_table_with<M: DbModel>(&self, options: CreateTableOptions) -> Result<()> {
        self.with_session(|s| schema::create_table(s, M::META, options))
    }

    /// How `M`'s table in the file differs from the model (empty when they
    /// match).
    ///
    /// ```
    /// # use sqliter_core::{DbModel, SqliterDB};
    /// #[derive(DbModel, Debug, Default)]
    /// struct Note { pk: i64, text: String }
    /// let db = SqliterDB::open_in_memory()?;
    /// db.create_table::<Note>()?;
    /// assert!(db.schema_diff::<Note>()?.is_empty());
    /// # Ok::<(), sqliter_core::Error>(())
    /// ```
    pub fn schema_diff<M: DbModel>(&self) -> Result<crate::SchemaDiff> {
        self.with_session(|s| schema::schema_diff(s, M::META))
    }

    /// The migration that would bring `M`'s table to the model, not
    /// applied: print it for the exact SQL.
    pub fn migration_plan<M: DbModel>(
        &self,
        options: crate::MigrateOptions,
    ) -> Result<crate::MigrationPlan> {
        self.with_session(|s| schema::migration_plan(s, M::META, options))
    }

    /// Bring `M`'s table (and its junction tables) to the model's shape, in
    /// one transaction: additive changes in place, the rest by SQLite's
    /// table rebuild. Data that would be lost needs an opt-in in `options`;
    /// without it the result is `Error::MigrationRefused`, nothing changed.
    /// Returns the plan it ran (empty when the file already matched).
    ///
    /// ```
    /// # use sqliter_core::{DbModel, MigrateOptions, SqliterDB};
    /// #[derive(DbModel, Debug, Default)]
    /// #[sqliter(table_name = "notes")]
    /// struct NoteV1 { pk: i64, text: String }
    /// #[derive(DbModel, Debug, Default)]
    /// struct Note { pk: i64, text: String, #[sqliter(default = 1)] stars: i32 }
    ///
    /// let db = SqliterDB::open_in_memory()?;
    /// db.create_table::<NoteV1>()?;
    /// db.insert(NoteV1 { text: "old".into(), ..Default::default() })?;
    /// db.migrate::<Note>(MigrateOptions::default())?;
    /// assert_eq!(db.get::<Note>(1)?.unwrap().stars, 1);
    /// # Ok::<(), sqliter_core::Error>(())
    /// ```
    pub fn migrate<M: DbModel>(
        &self,
        options: crate::MigrateOptions,
    ) -> Result<crate::MigrationPlan> {
        self.with_session(|s| schema::migrate(s, M::META, options))
    }

    /// [`migrate`](Self::migrate) every model the program derives, parents
    /// before the tables that reference them, each in its own transaction;
    /// returns the plans run (stopping at the first refusal).
    pub fn migrate_all(&self, options: crate::MigrateOptions) -> Result<Vec<crate::MigrationPlan>> {
        self.with_session(|s| schema::migrate_all(s, options))
    }

    /// Apply a plan made by [`migration_plan`](Self::migration_plan), or
    /// refuse (`Error::Transaction`) if the file changed since.
    pub fn apply_plan(&self, plan: &crate::MigrationPlan) -> Result<crate::MigrationPlan> {
        self.with_session(|s| schema::apply_plan(s, plan))
    }

    /// Apply the named migrations not yet recorded in the file, in order,
    /// each once in its own transaction; returns the names applied now.
    ///
    /// ```
    /// # use sqliter_core::{Migration, SqliterDB};
    /// let db = SqliterDB::open_in_memory()?;
    /// let steps = [Migration::sql("0001_settings", "CREATE TABLE settings (k TEXT, v TEXT)")];
    /// assert_eq!(db.run_migrations(&steps)?, ["0001_settings"]);
    /// assert!(db.run_migrations(&steps)?.is_empty(), "applied once");
    /// # Ok::<(), sqliter_core::Error>(())
    /// ```
    pub fn run_migrations(&self, steps: &[crate::Migration]) -> Result<Vec<String>> {
        self.with_session(|s| schema::run_migrations(s, steps))
    }

    /// Copy the database into the file `path` while it stays in use, with
    /// SQLite's online backup API in steps of 256 pages (see
    /// [`backup_with`](Self::backup_with)). An in-memory database can be
    /// saved to a file this way.
    ///
    /// ```no_run
    /// # let db = sqliter_core::SqliterDB::open("app.db")?;
    /// db.backup_to("app-backup.db")?;
    /// # Ok::<(), sqliter_core::Error>(())
    /// ```
    pub fn backup_to(&self, path: impl AsRef<std::path::Path>) -> Result<()> {
        self.backup_with(path, &crate::BackupOptions::default())
    }

    /// [`backup_to`](Self::backup_to) with the step size, the pause between
    /// steps and a progress callback. Other threads using this handle wait
    /// for the copy; other connections and processes write between steps.
    pub fn backup_with(
        &self,
        path: impl AsRef<std::path::Path>,
        options: &crate::BackupOptions,
    ) -> Result<()> {
        self.with_session(|s| crate::backup::backup_to(s.conn, path.as_ref(), options))
    }

    /// `VACUUM INTO path`: a compact copy in one read transaction (the
    /// file must not exist).
    pub fn vacuum_into(&self, path: impl AsRef<std::path::Path>) -> Result<()> {
        self.with_session(|s| crate::backup::vacuum_into(s.conn, path.as_ref()))
    }

    /// Drop every user table of the open database, whatever references
    /// what, and empty the cache; returns how many were dropped. Inside a
    /// scoped transaction it is rolled back with it.
    ///
    /// ```
    /// # use sqliter_core::{DbModel, SqliterDB};
    /// # #[derive(DbModel, Debug, Default)] struct Note { pk: i64, text: String }
    /// let db = SqliterDB::open_in_memory()?;
    /// db.create_table::<Note>()?;
    /// assert_eq!(db.reset_database()?, 1);
    /// assert!(db.table_names()?.is_empty());
    /// # Ok::<(), sqliter_core::Error>(())
    /// ```
    pub fn reset_database(&self) -> Result<usize> {
        self.with_session(schema::reset)
    }

    /// Drop `M`'s table; dropping a missing table is not an error.
    pub fn drop_table<M: DbModel>(&self) -> Result<()> {
        self.with_session(|s| schema::drop_table(s, M::META.table_name))
    }

    /// Insert `record` and return it with its pk and timestamps set.
    /// A non-zero `pk` is kept as the row's primary key.
    pub fn insert<M: DbModel>(&self, record: M) -> Result<M> {
        self.insert_with(record, InsertOptions::default())
    }

    /// Insert with options (`timestamp_override`).
    pub fn insert_with<M: DbModel>(&self, mut record: M, options: InsertOptions) -> Result<M> {
        self.with_session(|s| record::insert(s, &mut record, options))?;
        Ok(record)
    }

    /// Insert every record in one transaction: all rows or none. The
    /// records get their pks and timestamps only when all are in; on error
    /// they are left as they were. An empty slice runs no SQL.
    ///
    /// ```
    /// # use sqliter_core::{DbModel, SqliterDB};
    /// # #[derive(DbModel, Debug, Clone, Default)] struct User { pk: i64, #[sqliter(unique)] email: String }
    /// # let db = SqliterDB::open_in_memory()?; db.create_table::<User>()?;
    /// let mut users = vec![User { email: "a@x".into(), ..Default::default() }, User { email: "a@x".into(), ..Default::default() }];
    /// assert!(db.bulk_insert(&mut users).is_err()); // duplicate email: nothing inserted
    /// assert_eq!(users[0].pk, 0, "records untouched");
    /// users[1].email = "b@x".into();
    /// db.bulk_insert(&mut users)?;
    /// assert_eq!((users[0].pk, users[1].pk), (1, 2));
    /// # Ok::<(), sqliter_core::Error>(())
    /// ```
    pub fn bulk_insert<M: DbModel>(&self, records: &mut [M]) -> Result<()> {
        self.bulk_insert_with(records, InsertOptions::default())
    }

    /// [`bulk_insert`](Self::bulk_insert) with options.
    pub fn bulk_insert_with<M: DbModel>(
        &self,
        records: &mut [M],
        options: InsertOptions,
    ) -> Result<()> {
        self.with_session(|s| record::bulk_insert(s, records, options))
    }

    /// The record with primary key `pk`, or `None` (through the cache when
    /// it is on; a `None` answer is cached only with an explicit
    /// [`GetOptions::cache_ttl`], as upstream).
    pub fn get<M: DbModel>(&self, pk: i64) -> Result<Option<M>> {
        self.get_with(pk, GetOptions::default())
    }

    /// [`get`](Self::get) with `bypass_cache` / `cache_ttl`.
    pub fn get_with<M: DbModel>(&self, pk: i64, options: GetOptions) -> Result<Option<M>> {
        let table = M::META.table_name;
        match exec::lookup(
            &self.inner.settings,
            table,
            record::pk_key(&self.inner.settings, pk, options),
        ) {
            Lookup::Hit(found) => Ok(found),
            Lookup::Miss(key) => {
                self.with_session(|s| record::get_and_cache(s, pk, key, options.cache_ttl))
            }
        }
    }

    /// A value kept with [`cache_set`](Self::cache_set) under `table` and
    /// `key`, if still live (counts as a cache look-up).
    pub fn cache_get<T: Cacheable>(&self, table: &str, key: &str) -> Option<T> {
        self.inner.settings.cache.get(table, key)
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
        self.inner.settings.cache.set(table, key, value, ttl);
    }

    /// Drop every cached answer of `table`.
    pub fn invalidate_table_cache(&self, table: &str) {
        self.inner.settings.cache.lock().invalidate_table(table);
    }

    /// Drop every cached answer (statistics are kept).
    pub fn clear_cache(&self) {
        self.inner.settings.cache.lock().clear();
    }

    /// Zero the cache statistics (entries are kept).
    pub fn reset_cache_stats(&self) {
        self.inner.settings.cache.lock().reset_stats();
    }

    /// Cache hits, misses, total and hit rate.
    pub fn get_cache_stats(&self) -> CacheStats {
        self.inner.settings.cache.lock().stats()
    }

    /// Save a stored record and bump its `updated_at`; `RecordNotFound` if
    /// no row has its pk. Afterwards the row equals the record (but for
    /// `created_at`, never rewritten). An indexed field (unique, a foreign
    /// key, in an index) is written only if its value differs from the
    /// stored one, so its index is not touched by a save that left it
    /// alone: the common save is one statement, and a changed key adds a
    /// read of the row. [`update_fields`](Self::update_fields) writes the
    /// named fields only. A [`Partial`](crate::Partial)
    /// record (read with `fields` / `exclude` / `only`) writes only the
    /// fields it loaded; a change to a field it did not load is
    /// `InvalidUpdate`, nothing written.
    ///
    /// ```
    /// # use sqliter_core::{DbModel, SqliterDB};
    /// # #[derive(DbModel, Debug, Default)] struct Note { pk: i64, text: String }
    /// # let db = SqliterDB::open_in_memory()?; db.create_table::<Note>()?;
    /// let mut note = db.insert(Note { text: "draft".into(), ..Default::default() })?;
    /// note.text = "final".into();
    /// db.update(&mut note)?;
    /// assert_eq!(db.get::<Note>(note.pk)?.unwrap().text, "final");
    /// # Ok::<(), sqliter_core::Error>(())
    /// ```
    pub fn update<R: crate::Record>(&self, record: &mut R) -> Result<()> {
        self.with_session(|s| record.save(s))
    }

    /// Save only the named fields of `record` (and bump `updated_at`),
    /// with no read of the stored row: the explicit form of
    /// [`update`](Self::update), which finds the changed fields itself.
    /// An unknown field, `pk` or a timestamp is `InvalidUpdate`.
    ///
    /// ```
    /// # use sqliter_core::{DbModel, SqliterDB};
    /// # #[derive(DbModel, Debug, Default)] struct Book { pk: i64, title: String, price: f64 }
    /// # let db = SqliterDB::open_in_memory()?; db.create_table::<Book>()?;
    /// let mut book = db.insert(Book { title: "Dune".into(), price: 9.5, ..Default::default() })?;
    /// book.price = 7.0;
    /// db.update_fields(&mut book, &["price"])?;
    /// assert_eq!(db.get::<Book>(book.pk)?.unwrap().price, 7.0);
    /// # Ok::<(), sqliter_core::Error>(())
    /// ```
    pub fn update_fields<M: DbModel>(&self, record: &mut M, fields: &[&str]) -> Result<()> {
        self.with_session(|s| record::update_fields(s, record, fields))
    }

    /// Delete the row of `M` with primary key `pk`; `RecordNotFound` if
    /// there is none.
    pub fn delete<M: DbModel>(&self, pk: i64) -> Result<()> {
        self.with_session(|s| record::delete::<M>(s, pk))
    }

    /// Start a query on `M`: chain filters, order, limit, offset and
    /// projection (see [`QueryChain`]), then call a terminal method.
    pub fn select<M: DbModel>(&self) -> QueryBuilder<'_, M> {
        QueryBuilder::new(self)
    }

    /// Upstream's bulk update: set `values` on the rows matching the
    /// `where_` lookups; returns how many rows changed. Unknown fields, the
    /// pk and `created_at` are `InvalidUpdate`; `updated_at` is bumped to
    /// now unless given; values are checked against the fields' types.
    ///
    /// ```
    /// # use sqliter_core::{DbModel, SqliterDB};
    /// # #[derive(DbModel, Debug, Default)] struct User { pk: i64, name: String, age: i32 }
    /// # let db = SqliterDB::open_in_memory()?; db.create_table::<User>()?;
    /// # db.insert(User { name: "ann".into(), age: 17, ..Default::default() })?;
    /// let n = db.update_where::<User>([("age__lt", 18)], [("name", "minor")])?;
    /// assert_eq!(n, 1);
    /// # Ok::<(), sqliter_core::Error>(())
    /// ```
    pub fn update_where<M: DbModel>(
        &self,
        where_: impl IntoIterator<Item = (impl AsRef<str>, impl Into<Param>)>,
        values: impl IntoIterator<Item = impl Into<Assignment>>,
    ) -> Result<u64> {
        self.select::<M>().filter_all(where_).update(values)
    }

    /// Begin a scoped transaction; nested calls open savepoints, so an inner
    /// rollback undoes only the inner work.
    ///
    /// ```
    /// # use sqliter_core::{DbModel, SqliterDB};
    /// # #[derive(DbModel, Debug, Default)] struct Note { pk: i64, text: String }
    /// # let db = SqliterDB::open_in_memory()?; db.create_table::<Note>()?;
    /// {
    ///     let tx = db.begin()?;
    ///     db.insert(Note { text: "never committed".into(), ..Default::default() })?;
    /// } // dropped without commit: rolled back
    /// let tx = db.begin()?;
    /// db.insert(Note { text: "kept".into(), ..Default::default() })?;
    /// tx.commit()?;
    /// assert_eq!(db.select::<Note>().count()?, 1);
    /// # Ok::<(), sqliter_core::Error>(())
    /// ```
    pub fn begin(&self) -> Result<Transaction<'_>> {
        Transaction::begin(self)
    }

    /// Run `f` in a transaction: committed when `f` returns `Ok`, rolled
    /// back when it returns `Err` or panics.
    ///
    /// ```
    /// # use sqliter_core::{DbModel, SqliterDB, Error};
    /// # #[derive(DbModel, Debug, Default)] struct Note { pk: i64, text: String }
    /// # let db = SqliterDB::open_in_memory()?;
    /// # db.create_table::<Note>()?;
    /// let result: Result<(), Error> = db.transaction(|db| {
    ///     db.insert(Note { text: "kept?".into(), ..Default::default() })?;
    ///     db.delete::<Note>(999) // fails: the insert is rolled back too
    /// });
    /// assert!(result.is_err());
    /// assert!(db.get::<Note>(1)?.is_none());
    /// # Ok::<(), Error>(())
    /// ```
    pub fn transaction<T, E: From<Error>>(
        &self,
        f: impl FnOnce(&Self) -> Result<T, E>,
    ) -> Result<T, E> {
        let tx = self.begin()?;
        let value = f(self)?;
        tx.commit()?;
        Ok(value)
    }
}

impl SqliterDB {
    /// Answer `spec` as query terminal `terminal`: from the cache when it
    /// can, else by `f`, keeping the answer.
    pub(crate) fn cached<T: crate::cache::Cacheable>(
        &self,
        spec: &crate::query::QuerySpec,
        terminal: crate::query::Terminal,
        f: fn(&Session<'_>, &crate::query::QuerySpec) -> Result<T>,
    ) -> Result<T> {
        match exec::lookup_query(self.settings(), spec, terminal)? {
            Lookup::Hit(value) => Ok(value),
            Lookup::Miss(key) => self.with_session(|s| exec::answer_query(s, spec, key, f)),
        }
    }
}

impl crate::relation::LinkedDb for SqliterDB {
    fn from_link(link: &crate::relation::Link) -> Option<Self> {
        link.upgrade::<Inner>().map(Self::from_inner)
    }

    fn link(&self) -> crate::relation::Link {
        self.inner.link.clone()
    }
}

impl crate::relation::SelectDb for SqliterDB {
    type Query<'a, M: DbModel> = QueryBuilder<'a, M>;

    fn query<M: DbModel>(&self) -> QueryBuilder<'_, M> {
        self.select::<M>()
    }
}
