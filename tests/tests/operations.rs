//! Operations on both doors: per-connection settings (journal mode,
//! synchronous, busy timeout, a hook) applied on every (re)connection, and
//! copies of a live database (online backup in steps, `VACUUM INTO`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqliter_core::{
    BackupOptions, ConnectHook, DbModel, DbOptions, Error, JournalMode, SqliterDB, Synchronous,
};
use sqliter_tests::{door_tests, Door, Terminals};

#[derive(DbModel, Debug, Clone, Default, PartialEq)]
struct Event {
    pk: i64,
    batch: i64,
    text: String,
}

fn file(dir: &tempfile::TempDir, name: &str) -> String {
    dir.path().join(name).to_string_lossy().into_owned()
}

door_tests!(
    settings_are_applied_on_every_connection,
    a_journal_mode_sqlite_does_not_take_is_an_error,
    a_failing_hook_is_a_connection_error,
    a_backup_while_another_task_writes_is_sound_and_complete,
    an_in_memory_database_backs_up_to_a_file,
    vacuum_into_makes_a_compact_copy_and_refuses_an_existing_file,
);

async fn settings_are_applied_on_every_connection<D: Door>() {
    let dir = tempfile::tempdir().unwrap();
    let hooked = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&hooked);
    let db = D::open(
        DbOptions::file(file(&dir, "s.db"))
            .journal_mode(JournalMode::Wal)
            .synchronous(Synchronous::Normal)
            .busy_timeout(Duration::from_millis(1234))
            .on_connect(ConnectHook::new(move |conn| {
                counter.fetch_add(1, Ordering::SeqCst);
                conn.pragma_update(None, "cache_size", -4000)
            })),
    )
    .await
    .unwrap();
    for round in 1..=2 {
        assert_eq!(
            db.query_text("PRAGMA journal_mode").await,
            "wal",
            "round {round}"
        );
        assert_eq!(
            db.query_int("PRAGMA synchronous").await,
            1,
            "NORMAL, round {round}"
        );
        assert_eq!(
            db.query_int("PRAGMA busy_timeout").await,
            1234,
            "round {round}"
        );
        assert_eq!(
            db.query_int("PRAGMA cache_size").await,
            -4000,
            "round {round}"
        );
        db.close().await.unwrap();
    }
    assert!(
        hooked.load(Ordering::SeqCst) >= 2,
        "the hook runs on each reconnection"
    );
}

async fn a_journal_mode_sqlite_does_not_take_is_an_error<D: Door>() {
    let result = async {
        let db = D::open(DbOptions::memory().journal_mode(JournalMode::Wal)).await?;
        db.create_table::<Event>().await
    }
    .await;
    assert!(
        matches!(result, Err(Error::InvalidOptions(ref m)) if m.contains("journal_mode wal") && m.contains("memory")),
        "{result:?}"
    );
}

async fn a_failing_hook_is_a_connection_error<D: Door>() {
    let result = async {
        let db = D::open(DbOptions::memory().on_connect(ConnectHook::new(|conn| {
            conn.execute_batch("PRAGMA no_such_pragma = 1; SELECT * FROM nowhere")
        })))
        .await?;
        db.create_table::<Event>().await
    }
    .await;
    assert!(
        matches!(result, Err(Error::InvalidOptions(ref m)) if m.contains("on_connect")),
        "{result:?}"
    );
}

fn batch(n: i64) -> Vec<Event> {
    (0..10)
        .map(|i| Event {
            batch: n,
            text: format!("event {n}.{i} {}", "x".repeat(200)),
            ..Default::default()
        })
        .collect()
}

fn count_in(path: &str) -> (i64, String, i64) {
    let copy = SqliterDB::open(path).unwrap();
    copy.with_connection(|c| {
        let rows = c.query_row("SELECT count(*) FROM events", [], |r| r.get(0))?;
        let integrity = c.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        let partial = c.query_row(
            "SELECT count(*) FROM (SELECT batch FROM events GROUP BY batch HAVING count(*) != 10)",
            [],
            |r| r.get(0),
        )?;
        Ok::<_, rusqlite::Error>((rows, integrity, partial))
    })
    .unwrap()
    .unwrap()
}

async fn a_backup_while_another_task_writes_is_sound_and_complete<D: Door>() {
    let dir = tempfile::tempdir().unwrap();
    let source = file(&dir, "live.db");
    let writer = D::open(DbOptions::file(source.clone()).journal_mode(JournalMode::Wal))
        .await
        .unwrap();
    writer.create_table::<Event>().await.unwrap();
    for n in 0..50 {
        writer.bulk_insert(&mut batch(n)).await.unwrap();
    }
    let before = writer.query_int("SELECT count(*) FROM events").await;
    let backer = D::open(DbOptions::file(source).journal_mode(JournalMode::Wal))
        .await
        .unwrap();
    let steps = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&steps);
    let options = BackupOptions::default()
        .pages_per_step(4)
        .pause(Duration::from_millis(1))
        .on_progress(move |p| seen.lock().unwrap().push(p));
    let copy = file(&dir, "copy.db");
    let more_batches = async {
        for n in 50..80 {
            writer.bulk_insert(&mut batch(n)).await.unwrap();
            tokio::task::yield_now().await;
        }
    };
    let (backup, ()) = tokio::join!(
        backer.backup_with(std::path::Path::new(&copy), options),
        more_batches
    );
    backup.unwrap();
    let after = writer.query_int("SELECT count(*) FROM events").await;
    let (rows, integrity, partial) = count_in(&copy);
    assert_eq!(integrity, "ok");
    assert_eq!(partial, 0, "no batch cut short");
    assert!(
        rows >= before && rows <= after,
        "{before} <= {rows} <= {after}"
    );
    let steps = steps.lock().unwrap();
    assert!(steps.len() > 1, "copied in steps");
    assert_eq!(steps.last().map(|p| p.remaining), Some(0));
}

async fn an_in_memory_database_backs_up_to_a_file<D: Door>() {
    let dir = tempfile::tempdir().unwrap();
    let db = D::memory_with::<Event>().await;
    db.bulk_insert(&mut batch(1)).await.unwrap();
    let copy = file(&dir, "saved.db");
    db.backup_with(std::path::Path::new(&copy), BackupOptions::default())
        .await
        .unwrap();
    assert_eq!(count_in(&copy), (10, "ok".into(), 0));
    let saved = D::open(DbOptions::file(copy)).await.unwrap();
    assert_eq!(saved.select::<Event>().count().await.unwrap(), 10);
}

async fn vacuum_into_makes_a_compact_copy_and_refuses_an_existing_file<D: Door>() {
    let dir = tempfile::tempdir().unwrap();
    let db = D::open(DbOptions::file(file(&dir, "v.db"))).await.unwrap();
    db.create_table::<Event>().await.unwrap();
    db.bulk_insert(&mut batch(1)).await.unwrap();
    let copy = file(&dir, "compact.db");
    db.vacuum_into(std::path::Path::new(&copy)).await.unwrap();
    assert_eq!(count_in(&copy), (10, "ok".into(), 0));
    let err = db
        .vacuum_into(std::path::Path::new(&copy))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Backup { ref path, .. } if path.ends_with("compact.db")),
        "{err:?}"
    );
}
