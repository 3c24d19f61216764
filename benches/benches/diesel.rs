//! SQLiter's sync door beside hand-written rusqlite and Diesel, in one run,
//! then a table of medians and each one's ratio to rusqlite.
//!
//! `cargo bench -p sqliter-benches --bench diesel`
//!
//! Every side runs on the same file database (WAL, [`TUNE_SQL`]), seeded
//! with the same 100 authors and 10,000 books, and decodes every column
//! into its own struct. The rusqlite baseline and SQLiter's side are those
//! of `orm_vs_rusqlite` (`sqliter_benches::books`); Diesel's is what its
//! guide writes: a `table!` schema, derived `Queryable`/`Selectable`/
//! `Insertable`/`Identifiable`/`Associations` structs, the query DSL.
//! Two more Diesel functions show it written otherwise: `diesel_first`
//! (a get by `first`) and `diesel_save_changes` (an update by
//! `save_changes`), in a second table. Results go to
//! `target/criterion/diesel`, apart from `orm_vs_rusqlite`'s groups of the
//! same names.

use std::path::Path;
use std::sync::atomic::AtomicI64;

use criterion::{BatchSize, Criterion};
use sqliter_benches::books::{
    self, book, checkpoint, next_pk, orm_aggregate, orm_filter, raw_aggregate, raw_all,
    raw_authors_with_books, raw_bulk, raw_filter, raw_get, raw_insert, raw_update, seeded,
    seeded_with, sync_orm, sync_raw, Author, Book, AUTHORS, BOOKS,
};
use sqliter_benches::{print_ratios, TUNE_SQL};
use sqliter_core::prelude::*;
use sqliter_core::SqliterDB;

/// Books in the associations database: 10 per author.
const ASSOCIATED_BOOKS: i64 = 1_000;

// ------------------------------------------------------------------ diesel

/// The tables as SQLiter creates them, written by hand as `diesel
/// print-schema` would (an `INTEGER` read as `BigInt` where the struct
/// holds an `i64`).
mod schema {
    diesel::table! {
        authors (pk) {
            pk -> BigInt,
            created_at -> BigInt,
            updated_at -> BigInt,
            name -> Text,
            email -> Text,
        }
    }

    diesel::table! {
        books (pk) {
            pk -> BigInt,
            created_at -> BigInt,
            updated_at -> BigInt,
            title -> Text,
            year -> Integer,
            price -> Double,
            in_print -> Bool,
            author_id -> BigInt,
        }
    }
}

/// A Diesel program's models and queries.
mod orm {
    use diesel::connection::SimpleConnection;
    use diesel::dsl::{avg, count_star};
    use diesel::prelude::*;
    use diesel::sqlite::Sqlite;

    use super::schema::{authors, books};

    #[derive(Queryable, Selectable, Identifiable, Debug, Clone, PartialEq)]
    #[diesel(table_name = authors, primary_key(pk), check_for_backend(Sqlite))]
    pub struct Author {
        pub pk: i64,
        pub created_at: i64,
        pub updated_at: i64,
        pub name: String,
        pub email: String,
    }

    /// `AsChangeset` is for `save_changes` only (every column but the pk).
    #[derive(
        Queryable, Selectable, Identifiable, Associations, AsChangeset, Debug, Clone, PartialEq,
    )]
    #[diesel(table_name = books, primary_key(pk), belongs_to(Author), check_for_backend(Sqlite))]
    pub struct Book {
        pub pk: i64,
        pub created_at: i64,
        pub updated_at: i64,
        pub title: String,
        pub year: i32,
        pub price: f64,
        pub in_print: bool,
        pub author_id: i64,
    }

    /// A row to insert, borrowing its text from the book it is made from.
    #[derive(Insertable, Debug)]
    #[diesel(table_name = books)]
    pub struct NewBook<'a> {
        pub created_at: i64,
        pub updated_at: i64,
        pub title: &'a str,
        pub year: i32,
        pub price: f64,
        pub in_print: bool,
        pub author_id: i64,
    }

    impl<'a> NewBook<'a> {
        /// `b`'s fields, stamped `now` as the hand-written insert does.
        pub fn stamped(b: &'a crate::Book, now: i64) -> Self {
            Self {
                created_at: now,
                updated_at: now,
                title: &b.title,
                year: b.year,
                price: b.price,
                in_print: b.in_print,
                author_id: b.author_id,
            }
        }
    }

    /// Rows in one multi-row `INSERT`: SQLite binds at most 32,766 values
    /// a statement, a book 7, and Diesel sends a `Vec` as one statement.
    const ROWS_PER_INSERT: usize = 32_766 / 7;

    pub fn connect(path: &std::path::Path) -> SqliteConnection {
        let mut conn = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
        conn.batch_execute(crate::TUNE_SQL).unwrap();
        conn
    }

    /// One book; its pk back by `RETURNING`.
    pub fn insert(conn: &mut SqliteConnection, b: &crate::Book) -> QueryResult<i64> {
        diesel::insert_into(books::table)
            .values(NewBook::stamped(b, crate::books::now()))
            .returning(books::pk)
            .get_result(conn)
    }

    /// Every book in one `BEGIN IMMEDIATE` transaction, a `Vec` of rows per
    /// `INSERT` as Diesel's guide does it. One row per `INSERT` in the same
    /// transaction measured the same within noise (53.5 ms against 57.7 ms
    /// for this, 2026-12-02, on a loaded machine): Diesel caches that
    /// statement by its SQL text, which it builds and hashes for each row.
    pub fn bulk(conn: &mut SqliteConnection, all: &[crate::Book]) -> QueryResult<()> {
        let now = crate::books::now();
        let rows: Vec<NewBook<'_>> = all.iter().map(|b| NewBook::stamped(b, now)).collect();
        conn.immediate_transaction(|conn| {
            for chunk in rows.chunks(ROWS_PER_INSERT) {
                diesel::insert_into(books::table)
                    .values(chunk)
                    .execute(conn)?;
            }
            Ok(())
        })
    }

    /// The book with pk `pk`: `WHERE pk = ?`, the others' SQL.
    pub fn get(conn: &mut SqliteConnection, pk: i64) -> QueryResult<Option<Book>> {
        books::table
            .find(pk)
            .select(Book::as_select())
            .get_result(conn)
            .optional()
    }

    /// The same by `first`, as Diesel's guide writes it: `first` adds
    /// `LIMIT ?`, and SQLite's planner reads that bound value, so binding
    /// it expires the cached statement and every call prepares it again.
    pub fn get_first(conn: &mut SqliteConnection, pk: i64) -> QueryResult<Option<Book>> {
        books::table
            .find(pk)
            .select(Book::as_select())
            .first(conn)
            .optional()
    }

    /// Books from 2000 on, in print, by title, the first 1,000.
    pub fn filter(conn: &mut SqliteConnection) -> QueryResult<Vec<Book>> {
        books::table
            .filter(books::year.ge(2000))
            .filter(books::in_print.eq(true))
            .order(books::title.asc())
            .limit(1000)
            .select(Book::as_select())
            .load(conn)
    }

    pub fn all(conn: &mut SqliteConnection) -> QueryResult<Vec<Book>> {
        books::table
            .order(books::pk.asc())
            .select(Book::as_select())
            .load(conn)
    }

    /// The price changed: write it and the new `updated_at`.
    pub fn update(conn: &mut SqliteConnection, b: &Book) -> QueryResult<usize> {
        diesel::update(b)
            .set((
                books::price.eq(b.price),
                books::updated_at.eq(crate::books::now()),
            ))
            .execute(conn)
    }

    /// `save_changes`: every column but the pk (the derived `AsChangeset`),
    /// then the row read back (Diesel's SQLite connection runs a `SELECT`).
    pub fn save(conn: &mut SqliteConnection, b: &Book) -> QueryResult<Book> {
        b.save_changes(conn)
    }

    /// Per author: books and mean price.
    pub fn aggregate(conn: &mut SqliteConnection) -> QueryResult<Vec<(i64, i64, Option<f64>)>> {
        books::table
            .group_by(books::author_id)
            .select((books::author_id, count_star(), avg(books::price)))
            .order(books::author_id.asc())
            .load(conn)
    }

    /// Every author, then their books by one `IN` list, grouped per author.
    pub fn authors_with_books(
        conn: &mut SqliteConnection,
    ) -> QueryResult<Vec<(Author, Vec<Book>)>> {
        let all = authors::table
            .order(authors::pk.asc())
            .select(Author::as_select())
            .load(conn)?;
        let written = Book::belonging_to(&all)
            .order(books::pk.asc())
            .select(Book::as_select())
            .load(conn)?;
        let grouped = written.grouped_by(&all);
        Ok(all.into_iter().zip(grouped).collect())
    }
}

// ---------------------------------------------------------------- baseline

// ------------------------------------------------------------- benchmarks

/// Every side's connection on one database file.
struct Sides {
    raw: rusqlite::Connection,
    orm: SqliterDB,
    diesel: diesel::SqliteConnection,
}

impl Sides {
    fn open(path: &Path) -> Self {
        Self {
            raw: sync_raw(path),
            orm: sync_orm(path),
            diesel: orm::connect(path),
        }
    }
}

fn read_benches(c: &mut Criterion, s: &mut Sides) {
    let counter = AtomicI64::new(0);
    let mut g = c.benchmark_group("sync/get_by_pk");
    g.bench_function("rusqlite", |b| {
        b.iter(|| raw_get(&s.raw, next_pk(&counter)).unwrap());
    });
    g.bench_function("sqliter", |b| {
        b.iter(|| s.orm.get::<Book>(next_pk(&counter)).unwrap());
    });
    g.bench_function("diesel", |b| {
        b.iter(|| orm::get(&mut s.diesel, next_pk(&counter)).unwrap());
    });
    g.bench_function("diesel_first", |b| {
        b.iter(|| orm::get_first(&mut s.diesel, next_pk(&counter)).unwrap());
    });
    g.finish();

    let query = orm_filter(s.orm.select::<Book>());
    let rows = raw_filter(&s.raw).unwrap();
    assert_eq!(rows.len(), 1000);
    assert_eq!(query.fetch_all().unwrap().len(), rows.len());
    let diesel_rows = orm::filter(&mut s.diesel).unwrap();
    assert!(diesel_rows
        .iter()
        .map(|b| b.pk)
        .eq(rows.iter().map(|b| b.pk)));
    let mut g = c.benchmark_group("sync/select_filter");
    g.bench_function("rusqlite", |b| b.iter(|| raw_filter(&s.raw).unwrap()));
    g.bench_function("sqliter", |b| b.iter(|| query.fetch_all().unwrap()));
    g.bench_function("diesel", |b| {
        b.iter(|| orm::filter(&mut s.diesel).unwrap());
    });
    g.finish();

    let count = usize::try_from(BOOKS).unwrap();
    assert_eq!(orm::all(&mut s.diesel).unwrap().len(), count);
    let mut g = c.benchmark_group("sync/select_all");
    g.bench_function("rusqlite", |b| b.iter(|| raw_all(&s.raw).unwrap()));
    g.bench_function("sqliter", |b| {
        b.iter(|| s.orm.select::<Book>().fetch_all().unwrap());
    });
    g.bench_function("diesel", |b| b.iter(|| orm::all(&mut s.diesel).unwrap()));
    g.finish();

    let grouped = orm_aggregate(s.orm.select::<Book>());
    let raw_groups = raw_aggregate(&s.raw).unwrap();
    assert_eq!(raw_groups.len(), usize::try_from(AUTHORS).unwrap());
    let diesel_groups = orm::aggregate(&mut s.diesel).unwrap();
    assert!(diesel_groups
        .iter()
        .map(|&(a, n, _)| (a, n))
        .eq(raw_groups.iter().map(|&(a, n, _)| (a, n))));
    let mut g = c.benchmark_group("sync/aggregate");
    g.bench_function("rusqlite", |b| b.iter(|| raw_aggregate(&s.raw).unwrap()));
    g.bench_function("sqliter", |b| b.iter(|| grouped.fetch_dicts().unwrap()));
    g.bench_function("diesel", |b| {
        b.iter(|| orm::aggregate(&mut s.diesel).unwrap());
    });
    g.finish();
}

/// 100 authors with their 1,000 books, on a database seeded with those.
fn association_bench(c: &mut Criterion, dir: &Path) {
    let mut s = Sides::open(&seeded_with(dir, "associations.db", ASSOCIATED_BOOKS));
    let prefetch = s.orm.select::<Author>().prefetch_related("books");
    let loaded = prefetch.fetch_related().unwrap();
    let raw = raw_authors_with_books(&s.raw).unwrap();
    let diesel_loaded = orm::authors_with_books(&mut s.diesel).unwrap();
    let per_author = usize::try_from(ASSOCIATED_BOOKS / AUTHORS).unwrap();
    assert_eq!(loaded.len(), raw.len());
    assert!(loaded
        .iter()
        .all(|a| a.prefetched::<Book>("books").unwrap().count() == per_author));
    assert!(raw
        .iter()
        .zip(&diesel_loaded)
        .all(|((ra, rb), (da, db))| ra.pk == da.pk
            && rb.len() == per_author
            && rb.iter().map(|b| b.pk).eq(db.iter().map(|b| b.pk))));

    let mut g = c.benchmark_group("sync/load_associations");
    g.bench_function("rusqlite", |b| {
        b.iter(|| raw_authors_with_books(&s.raw).unwrap());
    });
    g.bench_function("sqliter", |b| b.iter(|| prefetch.fetch_related().unwrap()));
    g.bench_function("diesel", |b| {
        b.iter(|| orm::authors_with_books(&mut s.diesel).unwrap());
    });
    g.finish();
}

/// Saving a book in hand after its price changed, each side starting from
/// an empty WAL.
fn update_bench(c: &mut Criterion, s: &mut Sides) {
    checkpoint(&s.raw);
    let mut g = c.benchmark_group("sync/update_single");
    let mut target = s.orm.get::<Book>(5).unwrap().unwrap();
    g.bench_function("rusqlite", |b| {
        b.iter(|| {
            target.price += 0.25;
            raw_update(&s.raw, &target).unwrap()
        });
    });
    checkpoint(&s.raw);
    g.bench_function("sqliter", |b| {
        b.iter(|| {
            target.price += 0.25;
            s.orm.update(&mut target).unwrap();
        });
    });
    checkpoint(&s.raw);
    let mut loaded = orm::get(&mut s.diesel, 5).unwrap().unwrap();
    g.bench_function("diesel", |b| {
        b.iter(|| {
            loaded.price += 0.25;
            orm::update(&mut s.diesel, &loaded).unwrap()
        });
    });
    checkpoint(&s.raw);
    // `save_changes` (the derived `AsChangeset`: every column but the pk,
    // then a `SELECT` of the row, as Diesel's SQLite connection does)
    // is what a Diesel program writes without naming the changed column.
    // On 2026-12-02 (a shared 2-core box) it took 34.69 µs against the
    // rusqlite baseline's 15.00 µs, 2.31x (other runs: 2.47x, 1.12x), where
    // the `diesel::update(&book).set(..)` above took 1.28x (1.45x, 0.62x).
    g.bench_function("diesel_save_changes", |b| {
        b.iter(|| {
            loaded.price += 0.25;
            loaded.updated_at = books::now();
            orm::save(&mut s.diesel, &loaded).unwrap()
        });
    });
    g.finish();
    checkpoint(&s.raw);
}

fn insert_bench(c: &mut Criterion, s: &mut Sides) {
    let mut g = c.benchmark_group("sync/insert_single");
    g.bench_function("rusqlite", |b| {
        b.iter(|| raw_insert(&s.raw, &book(1)).unwrap());
    });
    checkpoint(&s.raw);
    g.bench_function("sqliter", |b| b.iter(|| s.orm.insert(book(1)).unwrap()));
    checkpoint(&s.raw);
    g.bench_function("diesel", |b| {
        b.iter(|| orm::insert(&mut s.diesel, &book(1)).unwrap());
    });
    g.finish();
    checkpoint(&s.raw);
}

/// 10,000 books in one transaction into an emptied table (emptied outside
/// the timed part).
fn bulk_bench(c: &mut Criterion, dir: &Path) {
    let mut s = Sides::open(&seeded(dir, "bulk.db"));
    let clear = |conn: &rusqlite::Connection| conn.execute_batch("DELETE FROM books").unwrap();
    let fresh = || (0..BOOKS).map(book).collect::<Vec<_>>();
    let mut g = c.benchmark_group("sync/bulk_insert_10k");
    g.sample_size(10);
    g.bench_function("rusqlite", |b| {
        b.iter_batched(
            || {
                clear(&s.raw);
                fresh()
            },
            |books| raw_bulk(&s.raw, &books).unwrap(),
            BatchSize::PerIteration,
        );
    });
    g.bench_function("sqliter", |b| {
        b.iter_batched(
            || {
                clear(&s.raw);
                fresh()
            },
            |mut books| s.orm.bulk_insert(&mut books).unwrap(),
            BatchSize::PerIteration,
        );
    });
    g.bench_function("diesel", |b| {
        b.iter_batched(
            || {
                clear(&s.raw);
                fresh()
            },
            |books| orm::bulk(&mut s.diesel, &books).unwrap(),
            BatchSize::PerIteration,
        );
    });
    g.finish();
    let stored: i64 = s
        .raw
        .query_row("SELECT COUNT(*) FROM books", [], |r| r.get(0))
        .unwrap();
    assert_eq!(stored, BOOKS);
}

const GROUPS: [&str; 8] = [
    "sync/insert_single",
    "sync/bulk_insert_10k",
    "sync/get_by_pk",
    "sync/select_filter",
    "sync/select_all",
    "sync/update_single",
    "sync/aggregate",
    "sync/load_associations",
];

fn main() {
    let (mut criterion, output) = sqliter_benches::criterion_under("diesel");
    let dir = tempfile::tempdir().unwrap();
    let mut sides = Sides::open(&seeded(dir.path(), "diesel.db"));
    read_benches(&mut criterion, &mut sides);
    association_bench(&mut criterion, dir.path());
    // Writes last, each side after a checkpoint, so neither pays for the
    // other's WAL pages and the reads above saw the seeded table.
    update_bench(&mut criterion, &mut sides);
    insert_bench(&mut criterion, &mut sides);
    bulk_bench(&mut criterion, dir.path());
    criterion.final_summary();
    print_ratios(&output, &GROUPS, "rusqlite", &["sqliter", "diesel"]);
    // Diesel written otherwise: `first` for a get, `save_changes` for an
    // update.
    print_ratios(
        &output,
        &["sync/get_by_pk", "sync/update_single"],
        "rusqlite",
        &["diesel_first", "diesel_save_changes"],
    );
}
