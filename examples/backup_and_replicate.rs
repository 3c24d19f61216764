//! Operations: per-connection settings for an app, a service and a
//! Litestream-replicated file, and copies of a live database (an online
//! backup with progress, and `VACUUM INTO`).
//!
//! Run it with `cargo run --example backup_and_replicate`. Replication
//! itself is Litestream's job: see the README's "Beyond one machine".

use std::time::Duration;

use sqliter_async::{
    AsyncSqliterDB, BackupOptions, DbModel, DbOptions, Error, JournalMode, Synchronous,
};

#[derive(DbModel, Debug, Clone, Default)]
struct Reading {
    pk: i64,
    sensor: String,
    value: f64,
}

#[tokio::main]
async fn main() -> sqliter_async::Result<()> {
    let dir = std::env::temp_dir().join(format!("sqliter-ops-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| Error::InvalidOptions(e.to_string()))?;
    let path = |name: &str| dir.join(name).to_string_lossy().into_owned();

    // A service: WAL for concurrent readers, NORMAL durability, a longer
    // wait for locks. A replicated file: `.replicated()` adds "no automatic
    // checkpoints", which Litestream then owns.
    let db = AsyncSqliterDB::new(
        DbOptions::file(path("service.db"))
            .journal_mode(JournalMode::Wal)
            .synchronous(Synchronous::Normal)
            .busy_timeout(Duration::from_secs(10)),
    )?;
    db.create_table::<Reading>().await?;
    let readings: Vec<Reading> = (0..5_000)
        .map(|i| Reading {
            sensor: format!("s{}", i % 7),
            value: f64::from(i) / 10.0,
            ..Default::default()
        })
        .collect();
    db.bulk_insert(readings).await?;

    // An online backup in steps, while the database stays in use.
    let options = BackupOptions::default()
        .pages_per_step(32)
        .on_progress(|p| {
            if p.remaining == 0 {
                println!("backup: all {} pages copied", p.total);
            }
        });
    db.backup_with(path("backup.db"), options).await?;

    // A compact copy in one read transaction.
    db.vacuum_into(path("compact.db")).await?;

    for copy in ["backup.db", "compact.db"] {
        let copy_db = AsyncSqliterDB::new(DbOptions::file(path(copy)))?;
        println!(
            "{copy}: {} readings",
            copy_db.select::<Reading>().count().await?
        );
        copy_db.close().await?;
    }
    db.close().await?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
