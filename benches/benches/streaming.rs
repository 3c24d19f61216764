//! Streaming a million rows: SQLiter's `iter` (sync) and `stream` (async)
//! beside a hand-written rusqlite loop decoding into the same struct, and
//! the same loop inside one tokio-rusqlite `call`. Reports rows per second
//! as criterion medians and their ratio, and the peak heap of each visit.
//!
//! `cargo bench -p sqliter-benches --bench streaming`.

// Counts and byte sizes turned into floats for display.
#![allow(clippy::cast_precision_loss)]

use criterion::Criterion;
use peak_alloc::PeakAlloc;
use sqliter_benches::streaming::{
    async_orm_visit, async_run_visit, orm_visit, raw_visit, seed_readings,
};
use sqliter_benches::{async_orm, async_raw, print_table, tune};
use sqliter_core::{DbOptions, SqliterDB};

#[global_allocator]
static ALLOCATOR: PeakAlloc = PeakAlloc;

const ROWS: i64 = 1_000_000;

/// Peak heap above the starting point during `f`.
fn peak_of<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let before = ALLOCATOR.current_usage();
    ALLOCATOR.reset_peak_usage();
    let out = f();
    (out, ALLOCATOR.peak_usage().saturating_sub(before))
}

fn main() {
    let (mut criterion, output) = sqliter_benches::criterion();
    let criterion: &mut Criterion = &mut criterion;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stream.db");
    seed_readings(&path, ROWS);

    let raw = rusqlite::Connection::open(&path).unwrap();
    tune(&raw).unwrap();
    let orm = SqliterDB::new(DbOptions::file(path.to_string_lossy())).unwrap();
    orm.with_connection(tune).unwrap().unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    let (async_orm, async_raw) =
        runtime.block_on(async { (async_orm(&path).await, async_raw(&path).await) });

    // Memory first, on warm statement caches.
    let expected = raw_visit(&raw).unwrap();
    let (sum, raw_peak) = peak_of(|| raw_visit(&raw).unwrap());
    assert!((sum - expected).abs() < 1e-6);
    let (sum, orm_peak) = peak_of(|| orm_visit(&orm));
    assert!((sum - expected).abs() < 1e-6, "the sync stream missed rows");
    let (sum, async_peak) = peak_of(|| runtime.block_on(async_orm_visit(&async_orm)));
    assert!(
        (sum - expected).abs() < 1e-6,
        "the async stream missed rows"
    );
    let sum = runtime.block_on(async_run_visit(&async_orm));
    assert!((sum - expected).abs() < 1e-6, "the run block missed rows");

    let mut g = criterion.benchmark_group("sync/stream_1m");
    g.sample_size(10);
    g.bench_function("baseline", |b| b.iter(|| raw_visit(&raw).unwrap()));
    g.bench_function("sqliter", |b| b.iter(|| orm_visit(&orm)));
    g.finish();

    let mut g = criterion.benchmark_group("async/stream_1m");
    g.sample_size(10);
    g.bench_function("baseline", |b| {
        b.to_async(&runtime)
            .iter(|| async { async_raw.call(|c| raw_visit(c)).await.unwrap() });
    });
    g.bench_function("sqliter", |b| {
        b.to_async(&runtime).iter(|| async_orm_visit(&async_orm));
    });
    g.bench_function("sqliter_run", |b| {
        b.to_async(&runtime).iter(|| async_run_visit(&async_orm));
    });
    g.finish();

    criterion.final_summary();
    print_table(
        &output,
        &["sync/stream_1m", "async/stream_1m"],
        ("baseline", "sqliter"),
    );
    print_table(&output, &["async/stream_1m"], ("baseline", "sqliter_run"));
    let kib = |n: usize| n as f64 / 1024.0;
    println!(
        "\npeak heap while visiting {ROWS} rows: baseline loop {:.0} KiB, sqliter iter {:.0} KiB, sqliter stream {:.0} KiB",
        kib(raw_peak),
        kib(orm_peak),
        kib(async_peak)
    );
}
