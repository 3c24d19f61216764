//! Schema evolution: rebuilding a large table (a type change on one
//! column) through `migrate` beside the same rebuild written by hand, in
//! one run; and the process's memory while migrating tables of two sizes.
//!
//! `SQLITER_BENCH_ROWS` sets the table size (default 1,000,000).

use std::cell::Cell;
use std::path::{Path, PathBuf};

use peak_alloc::PeakAlloc;
use sqliter_benches::{criterion, print_table, tune};
use sqliter_core::{DbModel, DbOptions, MigrateOptions, SqliterDB};

#[global_allocator]
static ALLOCATOR: PeakAlloc = PeakAlloc;

/// The table with an integer `value`.
#[derive(DbModel, Debug, Clone, Default)]
#[sqliter(table_name = "measures")]
struct AsInteger {
    pk: i64,
    label: String,
    value: i64,
}

/// The same table with `value` as text.
#[derive(DbModel, Debug, Clone, Default)]
#[sqliter(table_name = "measures")]
struct AsText {
    pk: i64,
    label: String,
    value: String,
}

fn rows() -> i64 {
    std::env::var("SQLITER_BENCH_ROWS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000)
}

/// A file holding `n` rows shaped as `AsInteger`.
fn seeded(dir: &Path, name: &str, n: i64) -> PathBuf {
    let path = dir.join(name);
    let db = SqliterDB::open(path.to_string_lossy()).unwrap();
    db.create_table::<AsInteger>().unwrap();
    db.with_connection(|c| {
        tune(c)?;
        c.execute_batch("BEGIN")?;
        let mut stmt = c.prepare(
            "INSERT INTO measures (created_at, updated_at, label, value) VALUES (1, 1, ?, ?)",
        )?;
        for i in 0..n {
            stmt.execute(rusqlite::params![format!("sensor {}", i % 100), i])?;
        }
        drop(stmt);
        c.execute_batch("COMMIT")
    })
    .unwrap()
    .unwrap();
    path
}

/// What a person writes for the same rebuild (no loss check).
fn hand_written(c: &rusqlite::Connection, to_text: bool) -> rusqlite::Result<()> {
    let ty = if to_text { "TEXT" } else { "INTEGER" };
    c.execute_batch("PRAGMA foreign_keys = OFF")?;
    c.execute_batch(&format!(
        "BEGIN IMMEDIATE;
         CREATE TABLE \"new_measures\" (\"pk\" INTEGER PRIMARY KEY AUTOINCREMENT, \"created_at\" INTEGER, \
           \"updated_at\" INTEGER, \"label\" TEXT NOT NULL, \"value\" {ty} NOT NULL);
         INSERT INTO \"new_measures\" (\"pk\", \"created_at\", \"updated_at\", \"label\", \"value\") \
           SELECT \"pk\", \"created_at\", \"updated_at\", \"label\", CAST(\"value\" AS {ty}) FROM \"measures\";
         DROP TABLE \"measures\";
         ALTER TABLE \"new_measures\" RENAME TO \"measures\";
         COMMIT;"
    ))?;
    c.execute_batch("PRAGMA foreign_keys = ON")
}

fn migrate_to(db: &SqliterDB, to_text: bool) {
    migrate_with(db, to_text, MigrateOptions::default());
}

fn migrate_with(db: &SqliterDB, to_text: bool, options: MigrateOptions) {
    let plan = if to_text {
        db.migrate::<AsText>(options)
    } else {
        db.migrate::<AsInteger>(options)
    }
    .unwrap();
    assert!(plan.rebuild);
}

/// Peak Rust heap and the process's peak resident size while migrating a
/// table of `n` rows there and back.
fn memory_at(dir: &Path, n: i64) -> (usize, u64) {
    let path = seeded(dir, &format!("memory-{n}.db"), n);
    let db = SqliterDB::new(DbOptions::file(path.to_string_lossy())).unwrap();
    db.with_connection(tune).unwrap().unwrap();
    let before = ALLOCATOR.current_usage();
    ALLOCATOR.reset_peak_usage();
    migrate_to(&db, true);
    migrate_to(&db, false);
    let heap = ALLOCATOR.peak_usage().saturating_sub(before);
    (heap, peak_rss_kib())
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let (mut criterion, output) = criterion();
    let dir = tempfile::tempdir().unwrap();
    let n = rows();
    // Memory first, before the large table is ever loaded: the peak
    // resident size only grows.
    let (small_heap, small_rss) = memory_at(dir.path(), n / 10);
    let (large_heap, large_rss) = memory_at(dir.path(), n);

    let mut group = criterion.benchmark_group("migrations/rebuild_type_change");
    group.sample_size(10);
    let raw_path = seeded(dir.path(), "raw.db", n);
    let raw = rusqlite::Connection::open(&raw_path).unwrap();
    tune(&raw).unwrap();
    let raw_text = Cell::new(false);
    group.bench_function("baseline", |b| {
        b.iter(|| {
            raw_text.set(!raw_text.get());
            hand_written(&raw, raw_text.get()).unwrap();
        });
    });
    let orm_path = seeded(dir.path(), "orm.db", n);
    let orm = SqliterDB::new(DbOptions::file(orm_path.to_string_lossy())).unwrap();
    orm.with_connection(tune).unwrap().unwrap();
    let orm_text = Cell::new(false);
    group.bench_function("sqliter", |b| {
        b.iter(|| {
            orm_text.set(!orm_text.get());
            migrate_to(&orm, orm_text.get());
        });
    });
    // Opted out of the exactness check: the copy is the hand-written CAST.
    let lossy_path = seeded(dir.path(), "lossy.db", n);
    let lossy = SqliterDB::new(DbOptions::file(lossy_path.to_string_lossy())).unwrap();
    lossy.with_connection(tune).unwrap().unwrap();
    let lossy_text = Cell::new(false);
    group.bench_function("sqliter_allow_lossy", |b| {
        b.iter(|| {
            lossy_text.set(!lossy_text.get());
            migrate_with(
                &lossy,
                lossy_text.get(),
                MigrateOptions::default().allow_lossy(true),
            );
        });
    });
    group.finish();
    criterion.final_summary();
    print_table(
        &output,
        &["migrations/rebuild_type_change"],
        ("baseline", "sqliter"),
    );
    #[allow(clippy::cast_precision_loss)]
    let kib = |b: usize| b as f64 / 1024.0;
    println!(
        "\npeak Rust heap while migrating there and back: {:.1} KiB at {} rows, {:.1} KiB at {n} rows; \
         peak resident size after each: {} KiB, {} KiB",
        kib(small_heap),
        n / 10,
        kib(large_heap),
        small_rss,
        large_rss
    );
}
