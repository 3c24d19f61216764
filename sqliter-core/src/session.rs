//! A connection together with its door's settings: what every engine
//! function runs on. The sync door builds one per call on its own
//! connection; the async door builds one inside the database thread.

use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, Statement};

use crate::db::Settings;
use crate::error::{sql_error, Result};
use crate::relation::Link;
use crate::value::DecodeContext;

/// A connection and the settings of the door that owns it.
#[derive(Debug, Clone, Copy)]
pub struct Session<'c> {
    /// The SQLite connection.
    pub conn: &'c Connection,
    /// The owning door's settings (logging, auto-commit, time zone).
    pub settings: &'c Settings,
    /// The door's link, given to the records read (their relation fields
    /// load through it).
    pub link: Option<&'c Link>,
}

impl<'c> Session<'c> {
    /// Pair a connection with settings.
    pub fn new(conn: &'c Connection, settings: &'c Settings) -> Self {
        Self {
            conn,
            settings,
            link: None,
        }
    }

    /// The same session, giving records `link`.
    pub fn with_link(self, link: &'c Link) -> Self {
        Self {
            link: Some(link),
            ..self
        }
    }

    pub(crate) fn decode_context(&self) -> DecodeContext {
        DecodeContext {
            return_local_time: self.settings.return_local_time,
            link: self.link.cloned(),
        }
    }

    /// Log a prepared statement with its bound values substituted by SQLite.
    pub(crate) fn log_statement(&self, stmt: &Statement<'_>) {
        if self.settings.debug {
            let sql = stmt.expanded_sql();
            self.settings.log(sql.as_deref().unwrap_or("<statement>"));
        }
    }

    /// Run SQL that takes no parameters (DDL, transaction control).
    pub(crate) fn execute_batch(&self, sql: &str) -> rusqlite::Result<()> {
        if self.settings.debug {
            self.settings.log(sql);
        }
        self.conn.execute_batch(sql)
    }

    /// With `auto_commit = false`, writes join an implicit transaction that
    /// only `commit()` ends (upstream's sqlite3 behaviour).
    pub(crate) fn begin_implicit(&self) -> Result<()> {
        if !self.settings.auto_commit && self.conn.is_autocommit() {
            self.execute_batch("BEGIN")
                .map_err(|e| sql_error("BEGIN", e))?;
        }
        Ok(())
    }

    /// Run `f` atomically: a transaction of its own when none is open, a
    /// savepoint inside an open one. Rolls back on error and on panic. A
    /// failing `BEGIN` or `COMMIT` is reported by `failed` (the operation's
    /// own error kind), with SQLite's error as its source.
    pub(crate) fn atomic<T>(
        &self,
        failed: impl Fn(&str, rusqlite::Error) -> crate::error::Error,
        f: impl FnOnce() -> Result<T>,
    ) -> Result<T> {
        let outermost = self.conn.is_autocommit();
        let (begin, commit, rollback) = if outermost {
            ("BEGIN IMMEDIATE", "COMMIT", "ROLLBACK")
        } else {
            (
                "SAVEPOINT sqliter_atomic",
                "RELEASE sqliter_atomic",
                "ROLLBACK TO sqliter_atomic; RELEASE sqliter_atomic",
            )
        };
        self.execute_batch(begin).map_err(|e| failed(begin, e))?;
        let guard = RollbackOnDrop {
            session: self,
            sql: Some(rollback),
        };
        let result = f();
        let rollback = guard.disarm();
        match result {
            Ok(value) => {
                if let Err(e) = self.execute_batch(commit) {
                    let _ = self.execute_batch(rollback);
                    return Err(failed(commit, e));
                }
                Ok(value)
            }
            Err(e) => {
                // The original error matters more than a failed rollback.
                let _ = self.execute_batch(rollback);
                Err(e)
            }
        }
    }
}

/// Rolls back if `atomic`'s closure unwinds.
struct RollbackOnDrop<'s, 'c> {
    session: &'s Session<'c>,
    sql: Option<&'static str>,
}

impl RollbackOnDrop<'_, '_> {
    fn disarm(mut self) -> &'static str {
        self.sql.take().unwrap_or("ROLLBACK")
    }
}

impl Drop for RollbackOnDrop<'_, '_> {
    fn drop(&mut self) {
        if let Some(sql) = self.sql {
            let _ = self.session.execute_batch(sql);
        }
    }
}

/// The statement that opens scoped transaction `level` (1 = outermost):
/// `BEGIN IMMEDIATE` (two writers queue on the lock instead of deadlocking
/// on an upgrade), a savepoint when nested, or nothing when `auto_commit =
/// false` already left a transaction open (the scope takes it over, as
/// upstream does).
pub fn transaction_begin_sql(level: u32, conn_in_autocommit: bool) -> Option<String> {
    match level {
        1 if conn_in_autocommit => Some("BEGIN IMMEDIATE".to_owned()),
        1 => None,
        n => Some(format!("SAVEPOINT sqliter_tx_{n}")),
    }
}

/// The statement that ends scoped transaction `level`.
pub fn transaction_end_sql(level: u32, commit: bool) -> String {
    match (level, commit) {
        (1, true) => "COMMIT".to_owned(),
        (1, false) => "ROLLBACK".to_owned(),
        (n, true) => format!("RELEASE sqliter_tx_{n}"),
        (n, false) => format!("ROLLBACK TO sqliter_tx_{n}; RELEASE sqliter_tx_{n}"),
    }
}

impl Session<'_> {
    /// Open scoped transaction `level` on this connection.
    pub fn begin_transaction(&self, level: u32) -> Result<()> {
        match transaction_begin_sql(level, self.conn.is_autocommit()) {
            Some(sql) => self.execute_batch(&sql).map_err(|e| sql_error(&sql, e)),
            None => Ok(()),
        }
    }

    /// Commit or roll back scoped transaction `level`.
    pub fn end_transaction(&self, level: u32, commit: bool) -> Result<()> {
        let sql = transaction_end_sql(level, commit);
        let result = self.execute_batch(&sql).map_err(|e| sql_error(&sql, e));
        if !commit {
            self.settings.cache.lock().clear();
        }
        result
    }

    /// Commit or roll back the implicit transaction `auto_commit = false`
    /// leaves open, if any.
    pub fn end_implicit(&self, commit: bool) -> Result<()> {
        if self.conn.is_autocommit() {
            return Ok(());
        }
        let sql = if commit { "COMMIT" } else { "ROLLBACK" };
        let result = self.execute_batch(sql).map_err(|e| sql_error(sql, e));
        if !commit {
            self.settings.cache.lock().clear();
        }
        result
    }

    /// Drop the cached answers a write to `table` may have changed: the
    /// table's own and, when the write can cascade (deletes), those of every
    /// table whose foreign keys cascade from it, transitively.
    pub(crate) fn invalidate(&self, table: &str, cascade: bool) {
        let cache = &self.settings.cache;
        if !cache.enabled() {
            return;
        }
        {
            let mut c = cache.lock();
            if !c.enabled() || c.is_empty() {
                return;
            }
            if !cascade {
                c.invalidate_table(table);
                return;
            }
        }
        let known = cache.lock().dependents.is_some();
        // If SQLite cannot tell, forget everything rather than risk a stale
        // answer.
        let graph = if known {
            None
        } else {
            Some(self.cascade_graph())
        };
        let mut c = cache.lock();
        match graph {
            Some(Err(_)) => c.clear(),
            Some(Ok(graph)) => c.dependents = Some(graph),
            None => {}
        }
        for reached in c.closure_of(table) {
            c.invalidate_table(&reached);
        }
    }

    /// The schema changed: forget the cascade graph, and `emptied`'s entries.
    pub(crate) fn schema_changed(&self, emptied: Option<&str>) {
        let mut c = self.settings.cache.lock();
        c.dependents = None;
        if let Some(table) = emptied {
            c.invalidate_table(table);
        }
    }

    /// Parent table → child tables whose foreign keys act on it (`CASCADE`,
    /// `SET NULL`, `SET DEFAULT`), read from SQLite.
    fn cascade_graph(&self) -> rusqlite::Result<std::collections::HashMap<String, Vec<String>>> {
        const SQL: &str = "SELECT m.name, p.\"table\" FROM sqlite_master AS m, pragma_foreign_key_list(m.name) AS p \
             WHERE m.type = 'table' AND (p.on_delete IN ('CASCADE', 'SET NULL', 'SET DEFAULT') \
             OR p.on_update IN ('CASCADE', 'SET NULL', 'SET DEFAULT'))";
        let mut stmt = self.conn.prepare_cached(SQL)?;
        let mut graph: std::collections::HashMap<String, Vec<String>> =
            std::collections::HashMap::new();
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let child: String = row.get(0)?;
            let parent: String = row.get(1)?;
            graph.entry(parent).or_default().push(child);
        }
        Ok(graph)
    }
}

/// The current unix time in seconds.
pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Quote an identifier for SQL (identifiers come from model metadata).
pub(crate) fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
