//! SQLiter beside hand-written rusqlite (sync) and tokio-rusqlite (async),
//! in one run, then a table of medians and ratios.
//!
//! `cargo bench -p sqliter-benches` runs everything; pass a filter to run
//! some groups (`cargo bench -p sqliter-benches -- sync/get_by_pk`).
//!
//! Baselines are what a careful hand-written program does: `prepare_cached`
//! statements and decoding by column index into the same struct (sync), and
//! the same inside one tokio-rusqlite `call` per operation (async). The
//! models, data and sync baseline are `sqliter_benches::books`, shared with
//! the `diesel` benchmark.

// Small counts and sizes turned into floats for display.
#![allow(clippy::cast_precision_loss)]

use std::path::Path;
use std::sync::atomic::AtomicI64;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion};
use peak_alloc::PeakAlloc;
use sqliter_async::AsyncSqliterDB;
use sqliter_benches::books::{
    book, checkpoint, next_pk, orm_aggregate, orm_filter, raw_aggregate, raw_all, raw_bulk,
    raw_filter, raw_get, raw_insert, raw_update, seeded, sync_orm, sync_raw, Book, BOOKS,
};
use sqliter_benches::{async_orm, async_raw, print_table};
use sqliter_core::prelude::*;
use sqliter_core::{DbOptions, SqliterDB};

#[global_allocator]
static ALLOCATOR: PeakAlloc = PeakAlloc;

const COUNT_SQL: &str = "SELECT COUNT(*) FROM \"books\" WHERE \"year\" >= ?";

fn raw_count(conn: &rusqlite::Connection) -> rusqlite::Result<i64> {
    conn.prepare_cached(COUNT_SQL)?
        .query_row([2000], |r| r.get(0))
}

// ------------------------------------------------------------------ setup

// ------------------------------------------------------------- benchmarks

/// Saving a record in hand after one field (the price) changed.
fn sync_update_benches(c: &mut Criterion, orm: &SqliterDB, raw: &rusqlite::Connection) {
    let mut g = c.benchmark_group("sync/update_single");
    // Each round changes the price and saves: the ORM finds the changed
    // field itself (`update`), or is told it (`update_fields`).
    let mut target = orm.get::<Book>(5).unwrap().unwrap();
    g.bench_function("baseline", |b| {
        b.iter(|| {
            target.price += 0.25;
            raw_update(raw, &target).unwrap()
        });
    });
    checkpoint(raw);
    g.bench_function("sqliter", |b| {
        b.iter(|| {
            target.price += 0.25;
            orm.update(&mut target).unwrap();
        });
    });
    checkpoint(raw);
    g.bench_function("sqliter_update_fields", |b| {
        b.iter(|| {
            target.price += 0.25;
            orm.update_fields(&mut target, &["price"]).unwrap();
        });
    });
    g.finish();
    checkpoint(raw);
}

fn sync_benches(c: &mut Criterion, dir: &Path) {
    let path = seeded(dir, "sync.db");
    let orm = sync_orm(&path);
    let raw = sync_raw(&path);
    let counter = AtomicI64::new(0);

    let mut g = c.benchmark_group("sync/get_by_pk");
    g.bench_function("baseline", |b| {
        b.iter(|| raw_get(&raw, next_pk(&counter)).unwrap());
    });
    g.bench_function("sqliter", |b| {
        b.iter(|| orm.get::<Book>(next_pk(&counter)).unwrap());
    });
    g.finish();

    let mut g = c.benchmark_group("sync/select_filter");
    g.bench_function("baseline", |b| b.iter(|| raw_filter(&raw).unwrap()));
    let query = orm_filter(orm.select::<Book>());
    g.bench_function("sqliter", |b| b.iter(|| query.fetch_all().unwrap()));
    g.finish();

    let mut g = c.benchmark_group("sync/select_all");
    g.bench_function("baseline", |b| b.iter(|| raw_all(&raw).unwrap()));
    g.bench_function("sqliter", |b| {
        b.iter(|| orm.select::<Book>().fetch_all().unwrap());
    });
    g.finish();

    let mut g = c.benchmark_group("sync/aggregate");
    g.bench_function("baseline", |b| b.iter(|| raw_aggregate(&raw).unwrap()));
    let grouped = orm_aggregate(orm.select::<Book>());
    g.bench_function("sqliter", |b| b.iter(|| grouped.fetch_dicts().unwrap()));
    g.finish();

    // Writes grow the WAL: checkpoint before each side, so neither pays for
    // the other's pages.
    checkpoint(&raw);
    sync_update_benches(c, &orm, &raw);

    let mut g = c.benchmark_group("sync/count");
    g.bench_function("baseline", |b| b.iter(|| raw_count(&raw).unwrap()));
    g.bench_function("sqliter", |b| {
        b.iter(|| {
            orm.select::<Book>()
                .filter(Book::year().gte(2000))
                .count()
                .unwrap()
        });
    });
    g.finish();

    let mut g = c.benchmark_group("sync/insert_single");
    g.bench_function("baseline", |b| {
        b.iter(|| raw_insert(&raw, &book(1)).unwrap());
    });
    g.bench_function("sqliter", |b| b.iter(|| orm.insert(book(1)).unwrap()));
    g.finish();

    let bulk_path = seeded(dir, "bulk_sync.db");
    let bulk_orm = sync_orm(&bulk_path);
    let bulk_raw = sync_raw(&bulk_path);
    let mut g = c.benchmark_group("sync/bulk_insert_10k");
    g.sample_size(10);
    let clear = |conn: &rusqlite::Connection| conn.execute_batch("DELETE FROM books").unwrap();
    g.bench_function("baseline", |b| {
        b.iter_batched(
            || {
                clear(&bulk_raw);
                (0..BOOKS).map(book).collect::<Vec<_>>()
            },
            |books| raw_bulk(&bulk_raw, &books).unwrap(),
            BatchSize::PerIteration,
        );
    });
    g.bench_function("sqliter", |b| {
        b.iter_batched(
            || {
                bulk_orm.with_connection(clear).unwrap();
                (0..BOOKS).map(book).collect::<Vec<_>>()
            },
            |mut books| bulk_orm.bulk_insert(&mut books).unwrap(),
            BatchSize::PerIteration,
        );
    });
    g.finish();
}

fn async_benches(c: &mut Criterion, dir: &Path) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let path = seeded(dir, "async.db");
    let (orm, raw) = runtime.block_on(async { (async_orm(&path).await, async_raw(&path).await) });
    let counter = AtomicI64::new(0);

    let mut g = c.benchmark_group("async/get_by_pk");
    g.bench_function("baseline", |b| {
        b.to_async(&runtime).iter(|| async {
            let pk = next_pk(&counter);
            raw.call(move |c| raw_get(c, pk)).await.unwrap()
        });
    });
    g.bench_function("sqliter", |b| {
        b.to_async(&runtime)
            .iter(|| async { orm.get::<Book>(next_pk(&counter)).await.unwrap() });
    });
    g.finish();

    let mut g = c.benchmark_group("async/select_filter");
    g.bench_function("baseline", |b| {
        b.to_async(&runtime)
            .iter(|| async { raw.call(|c| raw_filter(c)).await.unwrap() });
    });
    let query = orm_filter(orm.select::<Book>());
    g.bench_function("sqliter", |b| {
        b.to_async(&runtime)
            .iter(|| async { query.fetch_all().await.unwrap() });
    });
    g.finish();

    let mut g = c.benchmark_group("async/select_all");
    g.bench_function("baseline", |b| {
        b.to_async(&runtime)
            .iter(|| async { raw.call(|c| raw_all(c)).await.unwrap() });
    });
    g.bench_function("sqliter", |b| {
        b.to_async(&runtime)
            .iter(|| async { orm.select::<Book>().fetch_all().await.unwrap() });
    });
    g.finish();

    let mut g = c.benchmark_group("async/aggregate");
    g.bench_function("baseline", |b| {
        b.to_async(&runtime)
            .iter(|| async { raw.call(|c| raw_aggregate(c)).await.unwrap() });
    });
    let grouped = orm_aggregate(orm.select::<Book>());
    g.bench_function("sqliter", |b| {
        b.to_async(&runtime)
            .iter(|| async { grouped.fetch_dicts().await.unwrap() });
    });
    g.finish();

    async_update_bench(c, &runtime, &orm, &raw);

    let mut g = c.benchmark_group("async/count");
    g.bench_function("baseline", |b| {
        b.to_async(&runtime)
            .iter(|| async { raw.call(|c| raw_count(c)).await.unwrap() });
    });
    g.bench_function("sqliter", |b| {
        b.to_async(&runtime).iter(|| async {
            orm.select::<Book>()
                .filter(Book::year().gte(2000))
                .count()
                .await
                .unwrap()
        });
    });
    g.finish();

    let mut g = c.benchmark_group("async/insert_single");
    g.bench_function("baseline", |b| {
        b.to_async(&runtime)
            .iter(|| async { raw.call(|c| raw_insert(c, &book(1))).await.unwrap() });
    });
    g.bench_function("sqliter", |b| {
        b.to_async(&runtime)
            .iter(|| async { orm.insert(book(1)).await.unwrap() });
    });
    g.finish();

    async_concurrency_benches(c, &runtime, &orm, &raw);
    async_block_benches(c, &runtime, &orm, &raw);
    async_bulk_benches(c, &runtime, dir);
}

/// Update one row, each side starting from an empty WAL.
fn async_update_bench(
    c: &mut Criterion,
    runtime: &tokio::runtime::Runtime,
    orm: &AsyncSqliterDB,
    raw: &tokio_rusqlite::Connection,
) {
    let checkpoint = || {
        runtime
            .block_on(raw.call(|c| c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")))
            .unwrap();
    };
    checkpoint();
    let mut g = c.benchmark_group("async/update_single");
    let target = runtime.block_on(orm.get::<Book>(5)).unwrap().unwrap();
    let price = std::cell::Cell::new(target.price);
    let next = || {
        price.set(price.get() + 0.25);
        let mut row = target.clone();
        row.price = price.get();
        row
    };
    g.bench_function("baseline", |b| {
        b.to_async(runtime).iter(|| async {
            let row = next();
            raw.call(move |c| raw_update(c, &row)).await.unwrap()
        });
    });
    checkpoint();
    g.bench_function("sqliter", |b| {
        b.to_async(runtime).iter(|| async {
            let mut row = next();
            orm.update(&mut row).await.unwrap();
        });
    });
    checkpoint();
    g.bench_function("sqliter_update_fields", |b| {
        b.to_async(runtime).iter(|| async {
            let mut row = next();
            orm.update_fields(&mut row, &["price"]).await.unwrap();
        });
    });
    g.finish();
    checkpoint();
}

/// 100 gets: in one `run` block (one round trip), against 100 awaited
/// gets, and the hand-written 100 inside one tokio-rusqlite `call`.
fn async_block_benches(
    c: &mut Criterion,
    runtime: &tokio::runtime::Runtime,
    orm: &AsyncSqliterDB,
    raw: &tokio_rusqlite::Connection,
) {
    let mut g = c.benchmark_group("async/get_100");
    g.bench_function("baseline", |b| {
        b.to_async(runtime).iter(|| async {
            raw.call(|c| {
                (1..=100)
                    .map(|pk| raw_get(c, pk))
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
            .await
            .unwrap()
        });
    });
    g.bench_function("sqliter", |b| {
        b.to_async(runtime).iter(|| async {
            orm.run(|db| {
                (1..=100)
                    .map(|pk| db.get::<Book>(pk))
                    .collect::<sqliter_core::Result<Vec<_>>>()
            })
            .await
            .unwrap()
        });
    });
    g.bench_function("sqliter_awaited", |b| {
        b.to_async(runtime).iter(|| async {
            let mut found = Vec::with_capacity(100);
            for pk in 1..=100 {
                found.push(orm.get::<Book>(pk).await.unwrap());
            }
            found
        });
    });
    g.finish();
}

/// 8 tasks sharing one handle (one connection), 50 gets each.
fn async_concurrency_benches(
    c: &mut Criterion,
    runtime: &tokio::runtime::Runtime,
    orm: &AsyncSqliterDB,
    raw: &tokio_rusqlite::Connection,
) {
    let mut g = c.benchmark_group("async/concurrent_get");
    let tasks = 8;
    let per_task = 50;
    g.bench_function("baseline", |b| {
        b.to_async(runtime).iter(|| async {
            let handles: Vec<_> = (0..tasks)
                .map(|t| {
                    let raw = raw.clone();
                    tokio::spawn(async move {
                        for i in 0..per_task {
                            let pk = 1 + (t * per_task + i) % BOOKS;
                            raw.call(move |c| raw_get(c, pk)).await.unwrap();
                        }
                    })
                })
                .collect();
            for h in handles {
                h.await.unwrap();
            }
        });
    });
    g.bench_function("sqliter", |b| {
        b.to_async(runtime).iter(|| async {
            let handles: Vec<_> = (0..tasks)
                .map(|t| {
                    let orm = orm.clone();
                    tokio::spawn(async move {
                        for i in 0..per_task {
                            orm.get::<Book>(1 + (t * per_task + i) % BOOKS)
                                .await
                                .unwrap();
                        }
                    })
                })
                .collect();
            for h in handles {
                h.await.unwrap();
            }
        });
    });
    g.finish();
}

fn async_bulk_benches(c: &mut Criterion, runtime: &tokio::runtime::Runtime, dir: &Path) {
    let bulk_path = seeded(dir, "bulk_async.db");
    let (bulk_orm, bulk_raw) =
        runtime.block_on(async { (async_orm(&bulk_path).await, async_raw(&bulk_path).await) });
    let mut g = c.benchmark_group("async/bulk_insert_10k");
    g.sample_size(10);
    // Each iteration empties the table first, outside the timed part.
    g.bench_function("baseline", |b| {
        b.to_async(runtime).iter_custom(|iters| {
            let raw = bulk_raw.clone();
            async move {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    raw.call(|c| c.execute_batch("DELETE FROM books"))
                        .await
                        .unwrap();
                    let books: Vec<Book> = (0..BOOKS).map(book).collect();
                    let start = Instant::now();
                    raw.call(move |c| raw_bulk(c, &books)).await.unwrap();
                    total += start.elapsed();
                }
                total
            }
        });
    });
    g.bench_function("sqliter", |b| {
        b.to_async(runtime).iter_custom(|iters| {
            let orm = bulk_orm.clone();
            async move {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    orm.select::<Book>().delete().await.unwrap();
                    let books: Vec<Book> = (0..BOOKS).map(book).collect();
                    let start = Instant::now();
                    orm.bulk_insert(books).await.unwrap();
                    total += start.elapsed();
                }
                total
            }
        });
    });
    g.finish();
}

// ------------------------------------------------------------------ cache

/// Repeated identical reads: a cache hit beside the same read with the
/// cache disabled.
fn cache_benches(c: &mut Criterion, dir: &Path) {
    let path = seeded(dir, "cache.db");
    let options = |cache: bool| DbOptions::file(path.to_string_lossy()).cache(cache);
    let plain = SqliterDB::new(options(false)).unwrap();
    let cached = SqliterDB::new(options(true)).unwrap();
    let first_100 = |db: &SqliterDB| {
        db.select::<Book>()
            .order("pk", false)
            .limit(100)
            .fetch_all()
            .unwrap()
    };

    let mut g = c.benchmark_group("cache/sync_fetch_all_100");
    g.bench_function("disabled", |b| b.iter(|| first_100(&plain)));
    g.bench_function("hit", |b| b.iter(|| first_100(&cached)));
    g.finish();

    let mut g = c.benchmark_group("cache/sync_get_by_pk");
    g.bench_function("disabled", |b| b.iter(|| plain.get::<Book>(42).unwrap()));
    g.bench_function("hit", |b| b.iter(|| cached.get::<Book>(42).unwrap()));
    g.finish();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (plain, cached) = runtime.block_on(async {
        (
            AsyncSqliterDB::create(options(false)).await.unwrap(),
            AsyncSqliterDB::create(options(true)).await.unwrap(),
        )
    });
    let mut g = c.benchmark_group("cache/async_fetch_all_100");
    for (name, db) in [("disabled", &plain), ("hit", &cached)] {
        g.bench_function(name, |b| {
            b.to_async(&runtime).iter(|| async {
                db.select::<Book>()
                    .order("pk", false)
                    .limit(100)
                    .fetch_all()
                    .await
                    .unwrap()
            });
        });
    }
    g.finish();

    let mut g = c.benchmark_group("cache/async_get_by_pk");
    for (name, db) in [("disabled", &plain), ("hit", &cached)] {
        g.bench_function(name, |b| {
            b.to_async(&runtime)
                .iter(|| async { db.get::<Book>(42).await.unwrap() });
        });
    }
    g.finish();
}

// ----------------------------------------------------------------- memory

/// Peak heap above the starting point while loading every book, and what
/// the loaded rows themselves hold afterwards.
fn peak_while(load: impl FnOnce() -> Vec<Book>) -> (usize, usize) {
    let before = ALLOCATOR.current_usage();
    ALLOCATOR.reset_peak_usage();
    let rows = load();
    let held = ALLOCATOR.current_usage().saturating_sub(before);
    let peak = ALLOCATOR.peak_usage().saturating_sub(before);
    assert_eq!(rows.len(), usize::try_from(BOOKS).unwrap());
    drop(rows);
    (peak, held)
}

fn memory_report(dir: &Path) -> String {
    let path = seeded(dir, "memory.db");
    let orm = sync_orm(&path);
    let raw = sync_raw(&path);
    // Warm both statement caches so only the load itself is measured.
    raw_all(&raw).unwrap();
    orm.select::<Book>().fetch_all().unwrap();
    let (raw_peak, raw_held) = peak_while(|| raw_all(&raw).unwrap());
    let (orm_peak, orm_held) = peak_while(|| orm.select::<Book>().fetch_all().unwrap());
    let kib = |n: usize| n as f64 / 1024.0;
    format!(
        "peak heap while loading {BOOKS} rows (rows held afterwards): baseline {:.0} KiB ({:.0} KiB), sqliter {:.0} KiB ({:.0} KiB); sqliter peak minus rows: {:.1} KiB",
        kib(raw_peak),
        kib(raw_held),
        kib(orm_peak),
        kib(orm_held),
        kib(orm_peak.saturating_sub(orm_held)),
    )
}

// ------------------------------------------------------------------ table

const CACHE_GROUPS: [&str; 4] = [
    "cache/sync_fetch_all_100",
    "cache/sync_get_by_pk",
    "cache/async_fetch_all_100",
    "cache/async_get_by_pk",
];

const GROUPS: [&str; 18] = [
    "sync/insert_single",
    "sync/bulk_insert_10k",
    "sync/get_by_pk",
    "sync/select_filter",
    "sync/select_all",
    "sync/update_single",
    "sync/count",
    "sync/aggregate",
    "async/insert_single",
    "async/bulk_insert_10k",
    "async/get_by_pk",
    "async/select_filter",
    "async/select_all",
    "async/update_single",
    "async/count",
    "async/aggregate",
    "async/concurrent_get",
    "async/get_100",
];

fn main() {
    let (mut criterion, output) = sqliter_benches::criterion();
    let dir = tempfile::tempdir().unwrap();
    let memory = memory_report(dir.path());
    sync_benches(&mut criterion, dir.path());
    async_benches(&mut criterion, dir.path());
    cache_benches(&mut criterion, dir.path());
    criterion.final_summary();
    print_table(&output, &GROUPS, ("baseline", "sqliter"));
    print_table(
        &output,
        &["sync/update_single", "async/update_single"],
        ("baseline", "sqliter_update_fields"),
    );
    print_table(&output, &["async/get_100"], ("baseline", "sqliter_awaited"));
    print_table(&output, &CACHE_GROUPS, ("disabled", "hit"));
    println!("\n{memory}");
}
