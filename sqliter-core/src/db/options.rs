//! Constructor options shared by both doors, and the settings they become.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::Connection;

use crate::cache::{CacheConfig, Clock, SharedCache, SystemClock};
use crate::error::{Error, Result};

/// A hook that receives every SQL statement logged with `debug = true`.
///
/// ```
/// use sqliter_core::Logger;
/// let logger = Logger::new(|line| eprintln!("{line}"));
/// # let _ = logger;
/// ```
#[derive(Clone)]
pub struct Logger(Arc<dyn Fn(&str) + Send + Sync>);

impl Logger {
    /// Wrap a function receiving each log line.
    pub fn new(f: impl Fn(&str) + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }

    /// Send one line to the hook.
    pub fn log(&self, line: &str) {
        (self.0)(line);
    }
}

impl fmt::Debug for Logger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Logger(..)")
    }
}

/// How to open a database: upstream's constructor arguments.
///
/// ```
/// use sqliter_core::DbOptions;
/// let options = DbOptions::file("app.db").auto_commit(false).debug(true);
/// assert_eq!(options.db_filename.as_deref(), Some("app.db"));
/// ```
// The flags are upstream's constructor arguments, kept one-to-one.
#[allow(clippy::struct_excessive_bools)]
#[derive(Clone)]
pub struct DbOptions {
    /// The database file; `":memory:"` means an in-memory database.
    pub db_filename: Option<String>,
    /// An in-memory database (wins over `db_filename`).
    pub memory: bool,
    /// Commit every write at once (default true). When false, writes stay
    /// in a transaction until `commit()`; closing without it loses them.
    pub auto_commit: bool,
    /// Log every statement with its bound values (target `sqliter` of
    /// `tracing`, and the `logger` hook if set).
    pub debug: bool,
    /// Receives each logged statement when `debug` is set.
    pub logger: Option<Logger>,
    /// Drop every user table when opening.
    pub reset: bool,
    /// Read `DateTime<FixedOffset>` fields in the local time zone (default
    /// true) rather than UTC.
    pub return_local_time: bool,
    /// Cache query results (default false).
    pub cache_enabled: bool,
    /// Entries kept per table (default 1000; 0 is refused).
    pub cache_max_size: usize,
    /// How long entries live by default (default: until invalidated).
    pub cache_ttl: Option<Duration>,
    /// Estimated memory kept per table, in MiB (default: no cap; 0 is
    /// refused).
    pub cache_max_memory_mb: Option<usize>,
    /// The cache's clock (default: the system's); tests use a
    /// [`ManualClock`](crate::cache::ManualClock).
    pub cache_clock: Option<Arc<dyn Clock>>,
    /// `PRAGMA journal_mode` on every connection (default: SQLite's,
    /// `DELETE`; `WAL` for concurrent readers and Litestream).
    pub journal_mode: Option<JournalMode>,
    /// `PRAGMA synchronous` on every connection (default: SQLite's, `FULL`).
    pub synchronous: Option<Synchronous>,
    /// How long a statement waits for another connection's lock before
    /// `Error::Busy` (default 5 s).
    pub busy_timeout: Duration,
    /// `PRAGMA wal_autocheckpoint` on every connection (default: SQLite's,
    /// 1000 pages); 0 leaves checkpoints to another program (Litestream).
    pub wal_autocheckpoint: Option<u32>,
    /// Run on every connection after SQLiter's own settings: other
    /// `PRAGMA`s (`cache_size`, `mmap_size`, ...).
    pub on_connect: Option<ConnectHook>,
}

/// SQLite's journal modes (`PRAGMA journal_mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JournalMode {
    /// A rollback journal deleted at each commit (SQLite's default).
    Delete,
    /// A rollback journal truncated at each commit.
    Truncate,
    /// A rollback journal kept, its header zeroed.
    Persist,
    /// The journal in memory (a crash can corrupt the file).
    Memory,
    /// Write-ahead log: readers do not block the writer (Litestream needs it).
    Wal,
    /// No journal (no atomic rollback; a crash can corrupt the file).
    Off,
}

impl JournalMode {
    /// The pragma's value.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Delete => "delete",
            Self::Truncate => "truncate",
            Self::Persist => "persist",
            Self::Memory => "memory",
            Self::Wal => "wal",
            Self::Off => "off",
        }
    }
}

/// SQLite's durability levels (`PRAGMA synchronous`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Synchronous {
    /// No syncs: fastest, a power loss can corrupt the file.
    Off,
    /// Syncs at critical moments; with WAL, durable except for the last
    /// transactions before a power loss.
    Normal,
    /// Syncs every commit (SQLite's default).
    Full,
    /// `FULL`, and the directory synced too.
    Extra,
}

impl Synchronous {
    /// The pragma's value.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Off => "OFF",
            Self::Normal => "NORMAL",
            Self::Full => "FULL",
            Self::Extra => "EXTRA",
        }
    }
}

/// A function run on every connection a database opens (see
/// [`DbOptions::on_connect`]).
///
/// ```
/// use sqliter_core::{ConnectHook, DbOptions};
/// let options = DbOptions::memory()
///     .on_connect(ConnectHook::new(|conn| conn.pragma_update(None, "cache_size", -8000)));
/// # let _ = options;
/// ```
#[derive(Clone)]
pub struct ConnectHook(Arc<HookFn>);

type HookFn = dyn Fn(&Connection) -> rusqlite::Result<()> + Send + Sync;

impl ConnectHook {
    /// Wrap `f`.
    pub fn new(f: impl Fn(&Connection) -> rusqlite::Result<()> + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }
}

impl fmt::Debug for ConnectHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ConnectHook(..)")
    }
}

impl Default for DbOptions {
    fn default() -> Self {
        Self {
            db_filename: None,
            memory: false,
            auto_commit: true,
            debug: false,
            logger: None,
            reset: false,
            return_local_time: true,
            cache_enabled: false,
            cache_max_size: 1000,
            cache_ttl: None,
            cache_max_memory_mb: None,
            cache_clock: None,
            journal_mode: None,
            synchronous: None,
            busy_timeout: Duration::from_secs(5),
            wal_autocheckpoint: None,
            on_connect: None,
        }
    }
}

impl DbOptions {
    /// Options for a database file.
    pub fn file(path: impl Into<String>) -> Self {
        Self {
            db_filename: Some(path.into()),
            ..Self::default()
        }
    }

    /// Options for an in-memory database.
    pub fn memory() -> Self {
        Self {
            memory: true,
            ..Self::default()
        }
    }

    /// Set `auto_commit`.
    pub fn auto_commit(mut self, on: bool) -> Self {
        self.auto_commit = on;
        self
    }

    /// Set `debug`.
    pub fn debug(mut self, on: bool) -> Self {
        self.debug = on;
        self
    }

    /// Set the log hook.
    pub fn logger(mut self, logger: Logger) -> Self {
        self.logger = Some(logger);
        self
    }

    /// Set `reset`.
    pub fn reset(mut self, on: bool) -> Self {
        self.reset = on;
        self
    }

    /// Set `return_local_time`.
    pub fn return_local_time(mut self, on: bool) -> Self {
        self.return_local_time = on;
        self
    }

    /// Turn the query cache on.
    pub fn cache(mut self, on: bool) -> Self {
        self.cache_enabled = on;
        self
    }

    /// Set `cache_max_size`.
    pub fn cache_max_size(mut self, entries: usize) -> Self {
        self.cache_max_size = entries;
        self
    }

    /// Set the default `cache_ttl`.
    pub fn cache_ttl(mut self, ttl: Duration) -> Self {
        self.cache_ttl = Some(ttl);
        self
    }

    /// Set `cache_max_memory_mb`.
    pub fn cache_max_memory_mb(mut self, mib: usize) -> Self {
        self.cache_max_memory_mb = Some(mib);
        self
    }

    /// Set `journal_mode` (applied on every connection).
    pub fn journal_mode(mut self, mode: JournalMode) -> Self {
        self.journal_mode = Some(mode);
        self
    }

    /// Set `synchronous` (applied on every connection).
    pub fn synchronous(mut self, level: Synchronous) -> Self {
        self.synchronous = Some(level);
        self
    }

    /// Set `wal_autocheckpoint` (0: never checkpoint from this program).
    pub fn wal_autocheckpoint(mut self, pages: u32) -> Self {
        self.wal_autocheckpoint = Some(pages);
        self
    }

    /// The settings for a file Litestream replicates: WAL (Litestream
    /// reads the log), `synchronous = NORMAL` (durable with WAL except the
    /// last transactions before a power loss), and no automatic checkpoints
    /// from this program, so Litestream owns them and never misses a page.
    ///
    /// ```
    /// use sqliter_core::{DbOptions, JournalMode};
    /// let options = DbOptions::file("app.db").replicated();
    /// assert_eq!(options.journal_mode, Some(JournalMode::Wal));
    /// assert_eq!(options.wal_autocheckpoint, Some(0));
    /// ```
    pub fn replicated(self) -> Self {
        self.journal_mode(JournalMode::Wal)
            .synchronous(Synchronous::Normal)
            .wal_autocheckpoint(0)
    }

    /// Set `busy_timeout`.
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }

    /// Run `hook` on every connection, after SQLiter's own settings.
    pub fn on_connect(mut self, hook: ConnectHook) -> Self {
        self.on_connect = Some(hook);
        self
    }

    /// Set the cache's clock.
    pub fn cache_clock(mut self, clock: impl Clock + 'static) -> Self {
        self.cache_clock = Some(Arc::new(clock));
        self
    }

    /// Check the options and turn them into settings.
    pub fn into_settings(self) -> Result<Settings> {
        let memory = self.memory || self.db_filename.as_deref() == Some(":memory:");
        let filename = match self.db_filename {
            _ if memory => None,
            Some(name) if !name.is_empty() => Some(name),
            _ => {
                return Err(Error::InvalidOptions(
                    "a database file name must be provided unless the database is in memory".into(),
                ))
            }
        };
        let max_size = std::num::NonZeroUsize::new(self.cache_max_size)
            .ok_or_else(|| Error::InvalidOptions("cache_max_size must be greater than 0".into()))?;
        if self.cache_max_memory_mb == Some(0) {
            return Err(Error::InvalidOptions(
                "cache_max_memory_mb must be greater than 0".into(),
            ));
        }
        let cache = SharedCache::new(CacheConfig {
            enabled: self.cache_enabled,
            max_size,
            ttl: self.cache_ttl,
            max_memory: self
                .cache_max_memory_mb
                .map(|mib| mib.saturating_mul(1024 * 1024)),
            clock: self.cache_clock.unwrap_or_else(|| Arc::new(SystemClock)),
        });
        Ok(Settings {
            filename,
            auto_commit: self.auto_commit,
            debug: self.debug,
            logger: self.logger,
            return_local_time: self.return_local_time,
            cache,
            shapes: Arc::default(),
            connection: ConnectionSettings {
                journal_mode: self.journal_mode,
                synchronous: self.synchronous,
                busy_timeout: self.busy_timeout,
                wal_autocheckpoint: self.wal_autocheckpoint,
                on_connect: self.on_connect,
            },
            junction_versions: Arc::default(),
        })
    }
}

/// Validated options, fixed for a database's lifetime.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The file, or `None` in memory.
    pub filename: Option<String>,
    /// See [`DbOptions::auto_commit`].
    pub auto_commit: bool,
    /// See [`DbOptions::debug`].
    pub debug: bool,
    /// See [`DbOptions::logger`].
    pub logger: Option<Logger>,
    /// See [`DbOptions::return_local_time`].
    pub return_local_time: bool,
    /// The query cache (shared by every clone of the database).
    pub cache: SharedCache,
    /// The tables checked against their models on the open connection.
    pub shapes: Arc<crate::schema::CheckedShapes>,
    /// Write counters of the junction tables (prefetched sets go stale).
    pub junction_versions: Arc<crate::relation::JunctionVersions>,
    /// What every connection is set to when it opens.
    pub connection: ConnectionSettings,
}

/// The per-connection settings of [`DbOptions`], applied by the one opener
/// both doors share on every (re)connection.
#[derive(Debug, Clone)]
pub struct ConnectionSettings {
    /// See [`DbOptions::journal_mode`].
    pub journal_mode: Option<JournalMode>,
    /// See [`DbOptions::synchronous`].
    pub synchronous: Option<Synchronous>,
    /// See [`DbOptions::busy_timeout`].
    pub busy_timeout: Duration,
    /// See [`DbOptions::wal_autocheckpoint`].
    pub wal_autocheckpoint: Option<u32>,
    /// See [`DbOptions::on_connect`].
    pub on_connect: Option<ConnectHook>,
}

impl ConnectionSettings {
    /// Apply the settings to `conn`. A journal mode SQLite does not take
    /// (an in-memory database stays `memory`) is an error, not ignored.
    pub fn apply(&self, conn: &Connection) -> Result<(), String> {
        conn.busy_timeout(self.busy_timeout)
            .map_err(|e| e.to_string())?;
        if let Some(mode) = self.journal_mode {
            let got: String = conn
                .pragma_update_and_check(None, "journal_mode", mode.name(), |r| r.get(0))
                .map_err(|e| e.to_string())?;
            if !got.eq_ignore_ascii_case(mode.name()) {
                return Err(format!(
                    "journal_mode {} was not applied: SQLite kept '{got}' (an in-memory database \
                     only uses 'memory' or 'off')",
                    mode.name()
                ));
            }
        }
        if let Some(level) = self.synchronous {
            conn.pragma_update(None, "synchronous", level.name())
                .map_err(|e| e.to_string())?;
        }
        if let Some(pages) = self.wal_autocheckpoint {
            conn.pragma_update(None, "wal_autocheckpoint", pages)
                .map_err(|e| e.to_string())?;
        }
        if let Some(hook) = &self.on_connect {
            (hook.0)(conn).map_err(|e| format!("the on_connect hook failed: {e}"))?;
        }
        Ok(())
    }
}

impl Settings {
    /// The file name, or `":memory:"`.
    pub fn db_filename(&self) -> &str {
        self.filename.as_deref().unwrap_or(":memory:")
    }

    /// With `debug` set, send `message` to `tracing` (target `sqliter`) and
    /// to the `logger` hook, as upstream's debug messages.
    pub fn note(&self, message: &str) {
        if self.debug {
            tracing::debug!(target: "sqliter", "{message}");
            if let Some(logger) = &self.logger {
                logger.log(message);
            }
        }
    }

    /// Log one statement (only called when `debug` is set).
    pub fn log(&self, sql: &str) {
        tracing::debug!(target: "sqliter", "Executing SQL: {sql}");
        if let Some(logger) = &self.logger {
            logger.log(&format!("Executing SQL: {sql}"));
        }
    }

    /// Open a connection configured as every SQLiter connection is.
    pub fn open_connection(&self) -> Result<Connection> {
        let conn = match &self.filename {
            Some(path) => Connection::open(path),
            None => Connection::open_in_memory(),
        }
        .map_err(|source| self.connection_error(source))?;
        configure_connection(&conn).map_err(|source| self.connection_error(source))?;
        self.connection
            .apply(&conn)
            .map_err(|reason| Error::InvalidOptions(format!("{}: {reason}", self.db_filename())))?;
        // A new connection may see another file, or one changed meanwhile.
        self.shapes.forget_all();
        Ok(conn)
    }

    /// A second connection to the same file, configured alike, for work
    /// that should not hold the door's own (a backup). The door's shape
    /// checks are untouched.
    pub fn open_source_connection(&self) -> Result<Connection> {
        let path = self.filename.as_deref().ok_or_else(|| {
            Error::InvalidOptions("an in-memory database has no second connection".into())
        })?;
        let conn = Connection::open(path).map_err(|source| self.connection_error(source))?;
        configure_connection(&conn).map_err(|source| self.connection_error(source))?;
        self.connection
            .apply(&conn)
            .map_err(|reason| Error::InvalidOptions(format!("{path}: {reason}")))?;
        Ok(conn)
    }

    fn connection_error(&self, source: rusqlite::Error) -> Error {
        Error::DatabaseConnection {
            path: self.db_filename().to_owned(),
            source: source.into(),
        }
    }
}

/// Settings every connection gets, whichever door opened it: foreign keys
/// enforced, SQLite's double-quoted-string fallback off, the text operators' SQL function, a busy timeout, room in the
/// statement cache.
pub fn configure_connection(conn: &Connection) -> rusqlite::Result<()> {
    conn.pragma_update(None, "foreign_keys", true)?;
    // No legacy double-quoted strings: an unknown `"column"` must be an
    // error, never the text 'column'.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DQS_DML, false)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DQS_DDL, false)?;
    // The text operators' byte-exact, Unicode-folding matcher.
    crate::query::register_text_functions(conn)?;
    // A migration's exact type conversions.
    crate::schema::evolve::register_conversions(conn)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.set_prepared_statement_cache_capacity(128);
    Ok(())
}

impl fmt::Debug for DbOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DbOptions")
            .field("db_filename", &self.db_filename)
            .field("memory", &self.memory)
            .field("auto_commit", &self.auto_commit)
            .field("debug", &self.debug)
            .field("logger", &self.logger)
            .field("reset", &self.reset)
            .field("return_local_time", &self.return_local_time)
            .field("cache_enabled", &self.cache_enabled)
            .field("cache_max_size", &self.cache_max_size)
            .field("cache_ttl", &self.cache_ttl)
            .field("cache_max_memory_mb", &self.cache_max_memory_mb)
            .field("journal_mode", &self.journal_mode)
            .field("synchronous", &self.synchronous)
            .field("busy_timeout", &self.busy_timeout)
            .field("wal_autocheckpoint", &self.wal_autocheckpoint)
            .field("on_connect", &self.on_connect)
            .finish_non_exhaustive()
    }
}
