//! What can go wrong, naming the file (and the table) concerned.

use std::path::PathBuf;

/// A failure of a command; `main` prints it on stderr and exits with 1.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The path does not exist.
    #[error("{}: no such file", path.display())]
    Missing {
        /// The path given.
        path: PathBuf,
    },
    /// SQLite could not open the file.
    #[error("{}: cannot open: {source}", path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// What SQLite said.
        source: Box<rusqlite::Error>,
    },
    /// The file is not an SQLite database.
    #[error("{}: not an SQLite database (or an encrypted one)", path.display())]
    NotADatabase {
        /// The file.
        path: PathBuf,
    },
    /// Another connection held a lock longer than the busy timeout.
    #[error("{}: the database is locked by another connection (gave up after {timeout_ms} ms; see --busy-timeout)", path.display())]
    Locked {
        /// The file.
        path: PathBuf,
        /// How long it waited.
        timeout_ms: u128,
    },
    /// Reading the file failed.
    #[error("{}: reading {what} failed: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What was being read (`table 'books'`, `the schema`, ...).
        what: String,
        /// The underlying error.
        source: Box<sqliter_core::Error>,
    },
    /// A query of the file failed.
    #[error("{}: reading {what} failed: {source}", path.display())]
    Sql {
        /// The file.
        path: PathBuf,
        /// What was being read.
        what: String,
        /// What SQLite said.
        source: Box<rusqlite::Error>,
    },
    /// `--table` named a table the file does not have.
    #[error("{}: no table named '{table}' (tables: {available})", path.display())]
    UnknownTable {
        /// The file.
        path: PathBuf,
        /// The name given.
        table: String,
        /// The file's tables, comma-separated.
        available: String,
    },
    /// Generated code could not be formatted (a bug of the generator).
    #[error("{}: the generated source of {what} does not parse (please report this): {message}", path.display())]
    Generate {
        /// The file.
        path: PathBuf,
        /// Which table(s).
        what: String,
        /// The parser's message.
        message: String,
    },
    /// The `-o` file could not be written.
    #[error("{}: cannot write: {source}", path.display())]
    Output {
        /// The output path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Standard output could not be written.
    #[error("cannot write to standard output: {0}")]
    Stdout(std::io::Error),
}
