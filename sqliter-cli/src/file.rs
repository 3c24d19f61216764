//! The one way the command line opens a file: read-only, with a busy
//! timeout, inside one read transaction (a consistent snapshot).

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags};

use crate::error::CliError;

/// An SQLite file opened read-only.
#[derive(Debug)]
pub struct ReadOnlyFile {
    /// The path given on the command line.
    pub path: PathBuf,
    /// The connection (`SQLITE_OPEN_READ_ONLY`, `query_only`).
    pub conn: Connection,
    timeout: Duration,
}

impl ReadOnlyFile {
    /// Open `path` without ever creating or writing it; a file locked by
    /// another connection is waited for up to `timeout`.
    pub fn open(path: &Path, timeout: Duration) -> Result<Self, CliError> {
        if !path.exists() {
            return Err(CliError::Missing {
                path: path.to_owned(),
            });
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|source| CliError::Open {
            path: path.to_owned(),
            source: Box::new(source),
        })?;
        let file = Self {
            path: path.to_owned(),
            conn,
            timeout,
        };
        file.conn
            .busy_timeout(timeout)
            .map_err(|e| file.sql_error("the connection settings", e))?;
        // `query_only` refuses every write even if a flag were lost; the
        // read transaction gives every command one snapshot of the file.
        // The first read of `sqlite_schema` is where a file that is not a
        // database, or is locked, says so.
        file.conn
            .execute_batch("PRAGMA query_only = ON; BEGIN DEFERRED")
            .map_err(|e| file.sql_error("the connection settings", e))?;
        file.conn
            .query_row("SELECT count(*) FROM sqlite_schema", [], |r| {
                r.get::<_, i64>(0)
            })
            .map_err(|e| file.sql_error("the schema", e))?;
        Ok(file)
    }

    /// A failed query, told apart: locked, not a database, or else.
    pub fn sql_error(&self, what: &str, source: rusqlite::Error) -> CliError {
        match source.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => CliError::Locked {
                path: self.path.clone(),
                timeout_ms: self.timeout.as_millis(),
            },
            Some(ErrorCode::NotADatabase) => CliError::NotADatabase {
                path: self.path.clone(),
            },
            _ => CliError::Sql {
                path: self.path.clone(),
                what: what.to_owned(),
                source: Box::new(source),
            },
        }
    }

    /// A failed read through the core's introspection.
    pub fn core_error(&self, what: &str, source: sqliter_core::Error) -> CliError {
        match &source {
            sqliter_core::Error::Busy { .. } => CliError::Locked {
                path: self.path.clone(),
                timeout_ms: self.timeout.as_millis(),
            },
            sqliter_core::Error::SqlExecution { source: e, .. }
                if e.sqlite_error_code() == Some(ErrorCode::NotADatabase) =>
            {
                CliError::NotADatabase {
                    path: self.path.clone(),
                }
            }
            _ => CliError::Read {
                path: self.path.clone(),
                what: what.to_owned(),
                source: Box::new(source),
            },
        }
    }
}

/// `name` as an SQL identifier, quoted.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
