//! Copies of a live database: SQLite's online backup API, in steps, and
//! `VACUUM INTO` for a compact copy.

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rusqlite::backup::{Backup, StepResult};
use rusqlite::Connection;

use crate::error::{Error, Result};

/// How far a backup is: pages still to copy, of the source's total.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackupProgress {
    /// Pages still to copy.
    pub remaining: u64,
    /// Pages in the source database.
    pub total: u64,
}

/// How [`SqliterDB::backup_with`](crate::SqliterDB::backup_with) copies.
///
/// ```
/// use std::time::Duration;
/// use sqliter_core::BackupOptions;
/// let options = BackupOptions::default()
///     .pages_per_step(64)
///     .pause(Duration::from_millis(2))
///     .on_progress(|p| eprintln!("{} of {} pages left", p.remaining, p.total));
/// # let _ = options;
/// ```
#[derive(Clone)]
pub struct BackupOptions {
    /// Pages copied per step (default 256); between steps the source is
    /// unlocked, so writers are not blocked for the whole copy.
    pub pages_per_step: u32,
    /// The pause between steps (default 1 ms).
    pub pause: Duration,
    /// Called after every step (a `tracing` debug event is sent too).
    pub progress: Option<Arc<dyn Fn(BackupProgress) + Send + Sync>>,
}

impl Default for BackupOptions {
    fn default() -> Self {
        Self {
            pages_per_step: 256,
            pause: Duration::from_millis(1),
            progress: None,
        }
    }
}

impl BackupOptions {
    /// Set `pages_per_step` (at least 1).
    pub fn pages_per_step(mut self, pages: u32) -> Self {
        self.pages_per_step = pages.max(1);
        self
    }

    /// Set `pause`.
    pub fn pause(mut self, pause: Duration) -> Self {
        self.pause = pause;
        self
    }

    /// Report progress to `f` after every step.
    pub fn on_progress(mut self, f: impl Fn(BackupProgress) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(f));
        self
    }
}

impl fmt::Debug for BackupOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BackupOptions")
            .field("pages_per_step", &self.pages_per_step)
            .field("pause", &self.pause)
            .finish_non_exhaustive()
    }
}

fn backup_error(path: &Path, source: rusqlite::Error) -> Error {
    Error::Backup {
        path: path.display().to_string(),
        source: Arc::new(source),
    }
}

/// Copy `source` into the file `path` (created or overwritten) with the
/// online backup API, step by step. The copy holds every transaction
/// committed before its last step.
pub fn backup_to(source: &Connection, path: &Path, options: &BackupOptions) -> Result<()> {
    let mut dest = Connection::open(path).map_err(|e| backup_error(path, e))?;
    let backup = Backup::new(source, &mut dest).map_err(|e| backup_error(path, e))?;
    let pages = i32::try_from(options.pages_per_step).unwrap_or(i32::MAX);
    loop {
        let step = backup.step(pages).map_err(|e| backup_error(path, e))?;
        let p = backup.progress();
        let progress = BackupProgress {
            remaining: u64::try_from(p.remaining).unwrap_or(0),
            total: u64::try_from(p.pagecount).unwrap_or(0),
        };
        tracing::debug!(target: "sqliter", remaining = progress.remaining, total = progress.total, "backup step");
        if let Some(report) = &options.progress {
            report(progress);
        }
        match step {
            StepResult::Done => return Ok(()),
            // More to copy, or the source is busy: let writers in, go on.
            _ => std::thread::sleep(options.pause),
        }
    }
}

/// `VACUUM INTO path`: a compact, defragmented copy in one read
/// transaction. The file must not exist yet.
pub fn vacuum_into(source: &Connection, path: &Path) -> Result<()> {
    let target = path.to_string_lossy();
    source
        .execute("VACUUM INTO ?", [target.as_ref()])
        .map(drop)
        .map_err(|e| backup_error(path, e))
}
