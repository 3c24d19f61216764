//! The command line's grammar.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Inspect an SQLite file, check it, and generate SQLiter for Rust models
/// for it. Files are only ever opened read-only.
#[derive(Debug, Parser)]
#[command(name = "sqliter", version)]
pub struct Cli {
    /// How long to wait for another connection's lock before giving up, in
    /// milliseconds.
    #[arg(long, global = true, default_value_t = 5000, value_name = "MS")]
    pub busy_timeout: u64,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Tables, columns, keys, indexes and row counts, and which tables
    /// look like SQLiter's.
    Inspect(InspectArgs),
    /// Rust source of `#[derive(DbModel)]` structs for the file's tables.
    Models(ModelsArgs),
    /// `PRAGMA integrity_check`, `PRAGMA foreign_key_check` and the journal
    /// mode, as a one-line verdict (exit code 1 when unhealthy).
    Check(CheckArgs),
}

/// `sqliter inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The SQLite file.
    pub file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// How `inspect` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table per table, for people.
    Table,
    /// One JSON document, for scripts.
    Json,
}

/// `sqliter models`.
#[derive(Debug, Args)]
pub struct ModelsArgs {
    /// The SQLite file.
    pub file: PathBuf,
    /// Generate only these tables (repeatable); default: every table.
    #[arg(long = "table", short = 't', value_name = "TABLE")]
    pub tables: Vec<String>,
    /// Models for the async door (`sqliter-async`: `AsyncForeignKey`,
    /// `AsyncManyToMany`) instead of the sync one (`sqliter-core`).
    #[arg(long = "async")]
    pub async_door: bool,
    /// Write the source to this file instead of stdout.
    #[arg(long, short = 'o', value_name = "PATH")]
    pub output: Option<PathBuf>,
}

/// `sqliter check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The SQLite file.
    pub file: PathBuf,
}
