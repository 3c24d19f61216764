//! `sqliter check`: SQLite's own checks, as a one-line verdict.

use std::fmt;

use crate::error::CliError;
use crate::file::ReadOnlyFile;

/// How many integrity problems SQLite is asked to list.
const INTEGRITY_LIMIT: u32 = 100;

/// What the checks found.
#[derive(Debug)]
pub struct CheckReport {
    file: String,
    /// `PRAGMA integrity_check` lines other than `ok`.
    integrity: Vec<String>,
    /// `PRAGMA foreign_key_check` rows: (table, referenced table).
    foreign_keys: Vec<(String, String)>,
    journal_mode: String,
}

impl CheckReport {
    /// No integrity problem and no foreign-key violation.
    pub fn healthy(&self) -> bool {
        self.integrity.is_empty() && self.foreign_keys.is_empty()
    }
}

impl fmt::Display for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.healthy() {
            "healthy"
        } else {
            "UNHEALTHY"
        };
        write!(f, "{}: {verdict}: integrity ", self.file)?;
        match self.integrity.as_slice() {
            [] => write!(f, "ok")?,
            [first, rest @ ..] => {
                write!(f, "FAILED ({first}")?;
                if !rest.is_empty() {
                    write!(f, "; {} more", rest.len())?;
                }
                write!(f, ")")?;
            }
        }
        match self.foreign_keys.as_slice() {
            [] => write!(f, ", no foreign-key violations")?,
            [(table, parent), ..] => write!(
                f,
                ", {} foreign-key violation(s) (first: a row of '{table}' references a missing row of '{parent}')",
                self.foreign_keys.len()
            )?,
        }
        write!(f, ", journal mode {}", self.journal_mode)
    }
}

/// Run the checks.
pub fn run(db: &ReadOnlyFile) -> Result<CheckReport, CliError> {
    let conn = &db.conn;
    let integrity_sql = format!("PRAGMA integrity_check({INTEGRITY_LIMIT})");
    let integrity: Vec<String> = conn
        .prepare(&integrity_sql)
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .map_err(|e| db.sql_error("PRAGMA integrity_check", e))?;
    let foreign_keys: Vec<(String, String)> = conn
        .prepare("PRAGMA foreign_key_check")
        .and_then(|mut s| s.query_map([], |r| Ok((r.get(0)?, r.get(2)?)))?.collect())
        .map_err(|e| db.sql_error("PRAGMA foreign_key_check", e))?;
    let journal_mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .map_err(|e| db.sql_error("PRAGMA journal_mode", e))?;
    Ok(CheckReport {
        file: db.path.display().to_string(),
        integrity: integrity.into_iter().filter(|line| line != "ok").collect(),
        foreign_keys,
        journal_mode,
    })
}
