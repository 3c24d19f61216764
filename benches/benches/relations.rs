//! Loading associations: SQLiter's `prefetch_related` and `select_related`
//! beside hand-written rusqlite (sync) and tokio-rusqlite (async), in one
//! run, then a table of medians and ratios.
//!
//! - `prefetch_100x10`: 100 authors, each with its 10 books (two queries).
//! - `select_related_1000`: 1,000 books, each with its author (one JOIN).
//!
//! `cargo bench -p sqliter-benches --bench relations`

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use criterion::Criterion;
use sqliter_async::AsyncForeignKey;
use sqliter_benches::{async_orm, async_raw, print_table, tune};
use sqliter_core::prelude::*;
use sqliter_core::{DbModel, DbOptions, ForeignKey, SqliterDB};

const AUTHORS: i64 = 100;
const BOOKS_PER_AUTHOR: i64 = 10;
/// Written into the baseline's SQL as a literal: SQLite re-prepares a
/// statement with `LIMIT ?` whenever the value is bound again.
const JOINED_BOOKS: i64 = 1_000;

/// The same two tables, declared once per door (a foreign key names its
/// door).
macro_rules! models {
    ($author:ident, $book:ident, $fk:ident) => {
        #[derive(DbModel, Debug, Clone, Default)]
        #[sqliter(table_name = "authors")]
        struct $author {
            pk: i64,
            name: String,
            email: String,
        }

        #[derive(DbModel, Debug, Clone, Default)]
        #[sqliter(table_name = "books")]
        struct $book {
            pk: i64,
            title: String,
            year: i32,
            #[sqliter(related_name = "books")]
            author: $fk<$author>,
        }
    };
}
models!(Author, Book, ForeignKey);
models!(AsyncAuthor, AsyncBook, AsyncForeignKey);

/// What a hand-written program decodes into.
#[derive(Debug)]
#[allow(dead_code)]
struct RawAuthor {
    pk: i64,
    name: String,
    email: String,
}

#[derive(Debug)]
#[allow(dead_code)]
struct RawBook {
    pk: i64,
    title: String,
    year: i32,
    author_id: i64,
}

fn raw_author(row: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<RawAuthor> {
    Ok(RawAuthor {
        pk: row.get(at)?,
        name: row.get(at + 3)?,
        email: row.get(at + 4)?,
    })
}

fn raw_book(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawBook> {
    Ok(RawBook {
        pk: row.get(0)?,
        title: row.get(3)?,
        year: row.get(4)?,
        author_id: row.get(5)?,
    })
}

/// Authors, then their books by one `IN` list, grouped per author.
fn raw_prefetch(conn: &rusqlite::Connection) -> rusqlite::Result<Vec<(RawAuthor, Vec<RawBook>)>> {
    let mut stmt = conn.prepare_cached(
        r#"SELECT "pk", "created_at", "updated_at", "name", "email" FROM "authors" ORDER BY "pk""#,
    )?;
    let authors: Vec<RawAuthor> = stmt
        .query_map([], |r| raw_author(r, 0))?
        .collect::<rusqlite::Result<_>>()?;
    let marks = vec!["?"; authors.len()].join(", ");
    let sql = format!(
        r#"SELECT "pk", "created_at", "updated_at", "title", "year", "author_id" FROM "books" WHERE "author_id" IN ({marks}) ORDER BY "pk""#
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let pks = authors.iter().map(|a| a.pk);
    let mut groups: HashMap<i64, Vec<RawBook>> = HashMap::with_capacity(authors.len());
    for book in stmt.query_map(rusqlite::params_from_iter(pks), raw_book)? {
        let book = book?;
        groups.entry(book.author_id).or_default().push(book);
    }
    Ok(authors
        .into_iter()
        .map(|a| {
            let books = groups.remove(&a.pk).unwrap_or_default();
            (a, books)
        })
        .collect())
}

/// Books with their authors by one `LEFT JOIN`.
const _: () = assert!(JOINED_BOOKS == 1_000, "the baseline's LIMIT literal");

fn raw_select_related(
    conn: &rusqlite::Connection,
) -> rusqlite::Result<Vec<(RawBook, Option<RawAuthor>)>> {
    let mut stmt = conn.prepare_cached(
        r#"SELECT b."pk", b."created_at", b."updated_at", b."title", b."year", b."author_id", a."pk", a."created_at", a."updated_at", a."name", a."email" FROM "books" AS b LEFT JOIN "authors" AS a ON a."pk" = b."author_id" ORDER BY b."pk" LIMIT 1000"#,
    )?;
    let rows = stmt.query_map([], |r| {
        let author = match r.get_ref(6)? {
            rusqlite::types::ValueRef::Null => None,
            _ => Some(raw_author(r, 6)?),
        };
        Ok((raw_book(r)?, author))
    })?;
    rows.collect()
}

fn seeded(dir: &Path) -> PathBuf {
    let path = dir.join("relations.db");
    let db = SqliterDB::open(path.to_string_lossy()).unwrap();
    db.with_connection(|c| c.pragma_update(None, "journal_mode", "WAL"))
        .unwrap()
        .unwrap();
    db.create_table::<Author>().unwrap();
    db.create_table::<Book>().unwrap();
    let mut authors: Vec<Author> = (0..AUTHORS)
        .map(|i| Author {
            name: format!("Author {i}"),
            email: format!("a{i}@example.org"),
            ..Default::default()
        })
        .collect();
    db.bulk_insert(&mut authors).unwrap();
    let mut books: Vec<Book> = (0..AUTHORS * BOOKS_PER_AUTHOR)
        .map(|i| Book {
            title: format!("Book {i:05}"),
            year: i32::try_from(1950 + i % 75).unwrap_or(2000),
            author: ForeignKey::from_pk(1 + i % AUTHORS),
            ..Default::default()
        })
        .collect();
    db.bulk_insert(&mut books).unwrap();
    path
}

fn sync_benches(c: &mut Criterion, path: &Path) {
    let orm = SqliterDB::new(DbOptions::file(path.to_string_lossy())).unwrap();
    orm.with_connection(tune).unwrap().unwrap();
    let raw = rusqlite::Connection::open(path).unwrap();
    tune(&raw).unwrap();

    let prefetch = orm.select::<Author>().prefetch_related("books");
    let loaded = prefetch.fetch_related().unwrap();
    assert_eq!(loaded.len(), 100);
    assert!(loaded
        .iter()
        .all(|a| a.prefetched::<Book>("books").unwrap().count() == 10));
    let mut g = c.benchmark_group("sync/prefetch_100x10");
    g.bench_function("baseline", |b| b.iter(|| raw_prefetch(&raw).unwrap()));
    g.bench_function("sqliter", |b| b.iter(|| prefetch.fetch_related().unwrap()));
    g.finish();

    let joined = orm
        .select::<Book>()
        .select_related("author")
        .limit(JOINED_BOOKS);
    assert!(joined
        .fetch_all()
        .unwrap()
        .iter()
        .all(|b| b.author.get().is_some()));
    let mut g = c.benchmark_group("sync/select_related_1000");
    g.bench_function("baseline", |b| b.iter(|| raw_select_related(&raw).unwrap()));
    g.bench_function("sqliter", |b| b.iter(|| joined.fetch_all().unwrap()));
    g.finish();
}

fn async_benches(c: &mut Criterion, path: &Path) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (orm, raw) = runtime.block_on(async {
        let orm = async_orm(path).await;
        let raw = async_raw(path).await;
        (orm, raw)
    });

    let mut g = c.benchmark_group("async/prefetch_100x10");
    g.bench_function("baseline", |b| {
        b.to_async(&runtime)
            .iter(|| async { raw.call(|c| raw_prefetch(c)).await.unwrap() });
    });
    g.bench_function("sqliter", |b| {
        b.to_async(&runtime).iter(|| async {
            orm.select::<AsyncAuthor>()
                .prefetch_related("books")
                .fetch_related()
                .await
                .unwrap()
        });
    });
    g.finish();

    let mut g = c.benchmark_group("async/select_related_1000");
    g.bench_function("baseline", |b| {
        b.to_async(&runtime)
            .iter(|| async { raw.call(|c| raw_select_related(c)).await.unwrap() });
    });
    g.bench_function("sqliter", |b| {
        b.to_async(&runtime).iter(|| async {
            orm.select::<AsyncBook>()
                .select_related("author")
                .limit(JOINED_BOOKS)
                .fetch_all()
                .await
                .unwrap()
        });
    });
    g.finish();
}

const GROUPS: [&str; 4] = [
    "sync/prefetch_100x10",
    "sync/select_related_1000",
    "async/prefetch_100x10",
    "async/select_related_1000",
];

fn main() {
    let (mut criterion, output) = sqliter_benches::criterion();
    let dir = tempfile::tempdir().unwrap();
    let path = seeded(dir.path());
    sync_benches(&mut criterion, &path);
    async_benches(&mut criterion, &path);
    criterion.final_summary();
    print_table(&output, &GROUPS, ("baseline", "sqliter"));
}
