//! What a crash leaves behind: a writer process killed with SIGKILL in the
//! middle of bulk inserts leaves every batch all there or not there at all,
//! and a file that passes `PRAGMA integrity_check`, on both doors.
//!
//! The writer is this test binary run again (`writer_child`, ignored when
//! the suite runs), inserting batches until it is killed.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sqliter_core::{DbModel, DbOptions, SqliterDB};

#[derive(DbModel, Debug, Clone, Default)]
struct Row {
    pk: i64,
    batch: i64,
    payload: String,
}

const BATCH: usize = 500;

fn batch(n: i64) -> Vec<Row> {
    (0..BATCH)
        .map(|i| Row {
            batch: n,
            payload: format!("batch {n} row {i} {}", "x".repeat(64)),
            ..Default::default()
        })
        .collect()
}

/// Bulk-insert batches into `$SQLITER_CRASH_FILE` until killed, through
/// the door `$SQLITER_CRASH_DOOR` names.
#[test]
#[ignore = "run by the crash tests as a child process"]
fn writer_child() {
    let path = std::env::var("SQLITER_CRASH_FILE").expect("SQLITER_CRASH_FILE");
    let door = std::env::var("SQLITER_CRASH_DOOR").expect("SQLITER_CRASH_DOOR");
    // Batch numbers of each run stay apart from earlier runs'.
    let first: i64 = std::env::var("SQLITER_CRASH_ROUND")
        .expect("SQLITER_CRASH_ROUND")
        .parse::<i64>()
        .unwrap()
        * 1_000_000;
    if door == "async" {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let db = sqliter_async::AsyncSqliterDB::new(DbOptions::file(path)).unwrap();
            db.create_table::<Row>().await.unwrap();
            for n in first.. {
                db.bulk_insert(batch(n)).await.unwrap();
            }
        });
    } else {
        let db = SqliterDB::new(DbOptions::file(path)).unwrap();
        db.create_table::<Row>().unwrap();
        for n in first.. {
            db.bulk_insert(&mut batch(n)).unwrap();
        }
    }
}

fn rows_in(path: &str) -> Option<i64> {
    let db = SqliterDB::open(path).ok()?;
    db.with_connection(|c| c.query_row("SELECT count(*) FROM rows", [], |r| r.get(0)))
        .ok()?
        .ok()
}

/// Kill a writer several times at growing depths into its work, checking
/// the file after each kill.
fn killed_writers_leave_whole_batches(door: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.db").to_string_lossy().into_owned();
    let mut seen = 0;
    // More rounds on request (SQLITER_CRASH_ROUNDS=200) for a longer soak.
    let rounds: i64 = std::env::var("SQLITER_CRASH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(4);
    let mut mid_transaction = 0;
    for round in 1..=rounds {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["writer_child", "--exact", "--ignored", "--nocapture"])
            .env("SQLITER_CRASH_FILE", &path)
            .env("SQLITER_CRASH_DOOR", door)
            .env("SQLITER_CRASH_ROUND", round.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Let it write past what the file held, then kill it mid-stream.
        let target = seen + i64::try_from(BATCH).unwrap() * (1 + round % 4);
        let deadline = Instant::now() + Duration::from_secs(90);
        while rows_in(&path).unwrap_or(0) < target && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(u64::try_from(round % 5).unwrap() * 3));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        // A hot journal left behind: the kill landed inside a batch.
        if std::path::Path::new(&format!("{path}-journal")).exists() {
            mid_transaction += 1;
        }

        let db = SqliterDB::open(&path).unwrap();
        let (count, integrity, partial): (i64, String, i64) = db
            .with_connection(|c| {
                let count = c.query_row("SELECT count(*) FROM rows", [], |r| r.get(0))?;
                let integrity = c.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
                let partial = c.query_row(
                    "SELECT count(*) FROM (SELECT batch FROM rows GROUP BY batch HAVING count(*) != ?)",
                    [i64::try_from(BATCH).unwrap()],
                    |r| r.get(0),
                )?;
                Ok::<_, rusqlite::Error>((count, integrity, partial))
            })
            .unwrap()
            .unwrap();
        assert_eq!(integrity, "ok", "{door} round {round}");
        assert_eq!(partial, 0, "{door} round {round}: a batch was cut short");
        assert_eq!(
            count % i64::try_from(BATCH).unwrap(),
            0,
            "{door} round {round}"
        );
        assert!(
            count >= target,
            "{door} round {round}: the writer ran ({count} rows)"
        );
        seen = count;
    }
    eprintln!("{door}: {rounds} kills, {mid_transaction} inside a batch");
}

#[test]
fn a_sync_writer_killed_mid_bulk_insert_leaves_whole_batches() {
    killed_writers_leave_whole_batches("sync");
}

#[test]
fn an_async_writer_killed_mid_bulk_insert_leaves_whole_batches() {
    killed_writers_leave_whole_batches("async");
}
