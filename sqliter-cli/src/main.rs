//! `sqliter`: inspect an SQLite file, check its health, and generate
//! SQLiter for Rust models for it. Every file is opened read-only.
//!
//! ```sh
//! sqliter inspect app.db --format json
//! sqliter models app.db --async -o src/models.rs
//! sqliter check app.db
//! ```

#![warn(missing_docs)]

mod check;
mod cli;
mod error;
mod file;
mod inspect;
mod models;
mod progress;
mod schema;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::error::CliError;

fn run(cli: Cli) -> Result<ExitCode, CliError> {
    let timeout = std::time::Duration::from_millis(cli.busy_timeout);
    match cli.command {
        Command::Inspect(args) => {
            let db = file::ReadOnlyFile::open(&args.file, timeout)?;
            let out = inspect::run(&db, args.format)?;
            print(&out)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Models(args) => {
            let db = file::ReadOnlyFile::open(&args.file, timeout)?;
            let generated = models::run(&db, &args)?;
            for note in &generated.skipped {
                eprintln!("sqliter: skipped {note}");
            }
            match &args.output {
                Some(path) => {
                    std::fs::write(path, &generated.source).map_err(|source| CliError::Output {
                        path: path.clone(),
                        source,
                    })?;
                }
                None => print(&generated.source)?,
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Check(args) => {
            let db = file::ReadOnlyFile::open(&args.file, timeout)?;
            let report = check::run(&db)?;
            print(&format!("{report}\n"))?;
            Ok(if report.healthy() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}

/// Write to stdout; a closed pipe (`sqliter inspect x.db | head`) ends
/// the program quietly instead of panicking as `print!` would.
fn print(text: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(CliError::Stdout(e)),
        _ => Ok(()),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("sqliter: error: {error}");
            ExitCode::FAILURE
        }
    }
}
