//! Constructor options shared by both doors, and the settings they become.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use rusqlite::Connection;

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
#[derive(Debug, Clone)]
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
        Ok(Settings {
            filename,
            auto_commit: self.auto_commit,
            debug: self.debug,
            logger: self.logger,
            return_local_time: self.return_local_time,
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
}

/// How long a statement waits for another connection's lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

impl Settings {
    /// The file name, or `":memory:"`.
    pub fn db_filename(&self) -> &str {
        self.filename.as_deref().unwrap_or(":memory:")
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
/// enforced, a busy timeout, room in the statement cache.
pub fn configure_connection(conn: &Connection) -> rusqlite::Result<()> {
    use rusqlite::functions::FunctionFlags;
    conn.pragma_update(None, "foreign_keys", true)?;
    // Unicode-aware case folding for `istartswith` / `iendswith` /
    // `icontains` (SQLite's LIKE folds ASCII only).
    conn.create_scalar_function(
        "sqliter_fold",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            Ok(match ctx.get_raw(0) {
                rusqlite::types::ValueRef::Text(t) => {
                    Some(crate::query::fold(&String::from_utf8_lossy(t)))
                }
                _ => None,
            })
        },
    )?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.set_prepared_statement_cache_capacity(128);
    Ok(())
}
