//! The sync workloads of `orm_vs_rusqlite`, `diesel` and `streaming`,
//! counted in instructions rather than time: wall-clock medians on a
//! shared machine move by ±30% between runs, instruction counts do not.
//!
//! ```sh
//! cargo build --release -p sqliter-benches --example instructions
//! benches/instructions.sh   # every workload, both sides, then the table
//! ```
//!
//! One run measures one workload on one side (`instructions <workload>
//! <sqliter|rusqlite> <times>`): it seeds a database, runs the operation
//! once to warm the caches, then `times` more inside [`measured`], which
//! the script has callgrind count alone (`--toggle-collect`). The `async_`
//! workloads count every thread (the database thread's work is outside
//! `measured`): the script subtracts a run of `times` from one of twice
//! as many, which leaves one operation's cost on both threads, the
//! round trip included.

use std::sync::atomic::AtomicI64;

use sqliter_async::AsyncSqliterDB;
use sqliter_benches::books::{
    book, next_pk, orm_aggregate, orm_filter, raw_aggregate, raw_all, raw_authors_with_books,
    raw_filter, raw_get, raw_insert, raw_update, seeded_with, sync_orm, sync_raw, Author, Book,
    BOOKS,
};
use sqliter_benches::streaming::{
    async_orm_visit, async_run_visit, orm_visit, raw_visit, seed_readings,
};
use sqliter_benches::{async_orm, async_raw};
use sqliter_core::prelude::*;
use sqliter_core::SqliterDB;

/// Every workload's name, as `instructions.sh` loops over them.
const WORKLOADS: [&str; 14] = [
    "insert_single",
    "get_by_pk",
    "select_filter",
    "select_all",
    "update_single",
    "update_fields",
    "aggregate",
    "load_associations",
    "stream_100k",
    "async_insert_single",
    "async_get_by_pk",
    "async_aggregate",
    "async_stream_100k",
    "async_run_stream_100k",
];

/// Run `op` `times` times: the only code callgrind counts.
#[inline(never)]
fn measured(times: u32, op: &mut dyn FnMut()) {
    for _ in 0..times {
        op();
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() == 2 && args[1] == "--list" {
        println!("{}", WORKLOADS.join(" "));
        return;
    }
    let [_, workload, side, times] = &args[..] else {
        eprintln!("usage: instructions <workload> <sqliter|rusqlite> <times> | --list");
        std::process::exit(2);
    };
    let times: u32 = times.parse().expect("times: a count");
    let orm_side = match side.as_str() {
        "sqliter" => true,
        "rusqlite" => false,
        other => panic!("side: sqliter or rusqlite, not {other}"),
    };
    let dir = tempfile::tempdir().unwrap();
    let path = if workload.ends_with("stream_100k") {
        seed_readings(&dir.path().join("stream.db"), 100_000)
    } else if workload == "load_associations" {
        seeded_with(dir.path(), "books.db", 1_000)
    } else {
        seeded_with(dir.path(), "books.db", BOOKS)
    };
    let orm = sync_orm(&path);
    let raw = sync_raw(&path);
    // The async door and tokio-rusqlite, each with its database thread.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (async_orm, async_raw) =
        runtime.block_on(async { (async_orm(&path).await, async_raw(&path).await) });
    let sides = Sides {
        orm: &orm,
        raw: &raw,
        runtime: &runtime,
        async_orm: &async_orm,
        async_raw: &async_raw,
        pk: AtomicI64::new(0),
    };
    let mut op = sync_op(&sides, workload, orm_side)
        .or_else(|| async_op(&sides, workload, orm_side))
        .unwrap_or_else(|| panic!("unknown workload {workload}; --list names them"));
    op();
    measured(times, &mut op);
}

/// What a workload runs against, on both doors.
struct Sides<'a> {
    orm: &'a SqliterDB,
    raw: &'a rusqlite::Connection,
    runtime: &'a tokio::runtime::Runtime,
    async_orm: &'a AsyncSqliterDB,
    async_raw: &'a tokio_rusqlite::Connection,
    pk: AtomicI64,
}

/// Books in hand, each taken in turn with a new price: what an update
/// workload saves.
struct Repriced {
    books: Vec<Book>,
    turn: usize,
    price: f64,
}

impl Repriced {
    fn new(books: Vec<Book>) -> Self {
        Self {
            books,
            turn: 0,
            price: 0.0,
        }
    }

    fn next(&mut self) -> &mut Book {
        let at = self.turn % self.books.len();
        self.turn += 1;
        self.price += 0.5;
        let book = &mut self.books[at];
        book.price = self.price;
        book
    }
}

/// One operation of a sync workload, or `None` for another name.
fn sync_op<'a>(s: &'a Sides<'a>, workload: &str, orm_side: bool) -> Option<Box<dyn FnMut() + 'a>> {
    let (orm, raw, pk) = (s.orm, s.raw, &s.pk);
    Some(match (workload, orm_side) {
        ("insert_single", true) => Box::new(move || drop(orm.insert(book(3)).unwrap())),
        ("insert_single", false) => Box::new(move || {
            std::hint::black_box(raw_insert(raw, &book(3)).unwrap());
        }),
        ("get_by_pk", true) => Box::new(move || drop(orm.get::<Book>(next_pk(pk)).unwrap())),
        ("get_by_pk", false) => Box::new(move || drop(raw_get(raw, next_pk(pk)).unwrap())),
        ("select_filter", true) => {
            let query = orm_filter(orm.select::<Book>());
            Box::new(move || drop(query.fetch_all().unwrap()))
        }
        ("select_filter", false) => Box::new(move || drop(raw_filter(raw).unwrap())),
        ("select_all", true) => Box::new(move || drop(orm.select::<Book>().fetch_all().unwrap())),
        ("select_all", false) => Box::new(move || drop(raw_all(raw).unwrap())),
        ("update_single" | "update_fields", true) => {
            let fields = workload == "update_fields";
            let mut books = Repriced::new(orm.select::<Book>().limit(100).fetch_all().unwrap());
            Box::new(move || {
                let b = books.next();
                if fields {
                    orm.update_fields(b, &["price"]).unwrap();
                } else {
                    orm.update(b).unwrap();
                }
            })
        }
        ("update_single" | "update_fields", false) => {
            let mut books = Repriced::new(
                (1..=100)
                    .filter_map(|pk| raw_get(raw, pk).unwrap())
                    .collect(),
            );
            Box::new(move || {
                raw_update(raw, books.next()).unwrap();
            })
        }
        ("aggregate", true) => {
            let query = orm_aggregate(orm.select::<Book>());
            Box::new(move || drop(query.fetch_dicts().unwrap()))
        }
        ("aggregate", false) => Box::new(move || drop(raw_aggregate(raw).unwrap())),
        ("load_associations", true) => {
            let query = orm.select::<Author>().prefetch_related("books");
            Box::new(move || drop(query.fetch_related().unwrap()))
        }
        ("load_associations", false) => {
            Box::new(move || drop(raw_authors_with_books(raw).unwrap()))
        }
        ("stream_100k", true) => Box::new(move || {
            std::hint::black_box(orm_visit(orm));
        }),
        ("stream_100k", false) => Box::new(move || {
            std::hint::black_box(raw_visit(raw).unwrap());
        }),
        _ => return None,
    })
}

/// One operation of an async workload (awaited on a current-thread
/// runtime), or `None` for another name.
fn async_op<'a>(s: &'a Sides<'a>, workload: &str, orm_side: bool) -> Option<Box<dyn FnMut() + 'a>> {
    let (runtime, async_orm, async_raw, pk) = (s.runtime, s.async_orm, s.async_raw, &s.pk);
    Some(match (workload, orm_side) {
        ("async_insert_single", true) => Box::new(move || {
            runtime.block_on(async { drop(async_orm.insert(book(3)).await.unwrap()) });
        }),
        ("async_insert_single", false) => Box::new(move || {
            runtime.block_on(async {
                async_raw.call(|c| raw_insert(c, &book(3))).await.unwrap();
            });
        }),
        ("async_get_by_pk", true) => Box::new(move || {
            runtime.block_on(async { drop(async_orm.get::<Book>(next_pk(pk)).await.unwrap()) });
        }),
        ("async_get_by_pk", false) => Box::new(move || {
            let pk = next_pk(pk);
            runtime
                .block_on(async { drop(async_raw.call(move |c| raw_get(c, pk)).await.unwrap()) });
        }),
        ("async_aggregate", true) => {
            let query = orm_aggregate(async_orm.select::<Book>());
            Box::new(move || runtime.block_on(async { drop(query.fetch_dicts().await.unwrap()) }))
        }
        ("async_aggregate", false) => Box::new(move || {
            runtime.block_on(async { drop(async_raw.call(|c| raw_aggregate(c)).await.unwrap()) });
        }),
        ("async_stream_100k", true) => Box::new(move || {
            std::hint::black_box(runtime.block_on(async_orm_visit(async_orm)));
        }),
        ("async_run_stream_100k", true) => Box::new(move || {
            std::hint::black_box(runtime.block_on(async_run_visit(async_orm)));
        }),
        ("async_stream_100k" | "async_run_stream_100k", false) => Box::new(move || {
            std::hint::black_box(
                runtime.block_on(async { async_raw.call(|c| raw_visit(c)).await.unwrap() }),
            );
        }),
        _ => return None,
    })
}
