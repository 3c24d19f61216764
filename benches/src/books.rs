//! The authors-and-books workload that `orm_vs_rusqlite` and `diesel` both
//! run: the models, the data, the seeded file database and the
//! hand-written rusqlite baseline (`prepare_cached` statements, decoding
//! by column index into the same struct).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};

use sqliter_core::prelude::*;
use sqliter_core::query::Aggregate;
use sqliter_core::{DbModel, DbOptions, SqliterDB};

use crate::tune;

/// Books in a seeded database.
pub const BOOKS: i64 = 10_000;
/// Authors in a seeded database; book `i` is by author `1 + i % AUTHORS`.
pub const AUTHORS: i64 = 100;

#[derive(DbModel, Debug, Clone, Default)]
pub struct Author {
    pub pk: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub name: String,
    pub email: String,
}

#[derive(DbModel, Debug, Clone, Default)]
pub struct Book {
    pub pk: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub title: String,
    pub year: i32,
    pub price: f64,
    pub in_print: bool,
    /// `related_name` gives `Author` the reverse relation `books`, for
    /// `prefetch_related("books")`.
    #[sqliter(foreign_key = Author, related_name = "books")]
    pub author_id: i64,
}

/// Book `i` of the seeded data.
// `i % 40` as a float: a small count.
#[allow(clippy::cast_precision_loss)]
pub fn book(i: i64) -> Book {
    Book {
        title: format!("Book {:05}", (i * 7919) % BOOKS),
        year: i32::try_from(1950 + i % 75).unwrap_or(2000),
        price: 5.0 + (i % 40) as f64 / 2.0,
        in_print: i % 3 != 0,
        author_id: 1 + i % AUTHORS,
        ..Default::default()
    }
}

/// Unix seconds, for the timestamps a hand-written program sets itself.
pub fn now() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

// ---------------------------------------------------------------- baseline

pub const INSERT_SQL: &str = "INSERT INTO \"books\" (\"created_at\", \"updated_at\", \"title\", \"year\", \"price\", \"in_print\", \"author_id\") VALUES (?, ?, ?, ?, ?, ?, ?)";
pub const SELECT_COLUMNS: &str = "SELECT \"pk\", \"created_at\", \"updated_at\", \"title\", \"year\", \"price\", \"in_print\", \"author_id\" FROM \"books\"";

pub fn by_pk_sql() -> String {
    format!("{SELECT_COLUMNS} WHERE \"pk\" = ?")
}
/// The limit is a literal: SQLite (3.47 on) re-prepares a statement with
/// `LIMIT ?` whenever the value is bound again.
pub fn filter_sql() -> String {
    format!(
        "{SELECT_COLUMNS} WHERE \"year\" >= ? AND \"in_print\" = ? ORDER BY \"title\" ASC LIMIT 1000"
    )
}
pub fn all_sql() -> String {
    format!("{SELECT_COLUMNS} ORDER BY \"pk\" ASC")
}
/// What a person writes when one field (the price) changed.
pub const UPDATE_SQL: &str =
    "UPDATE \"books\" SET \"price\" = ?, \"updated_at\" = ? WHERE \"pk\" = ?";

/// A book from the columns of [`SELECT_COLUMNS`], in that order.
pub fn decode(row: &rusqlite::Row<'_>) -> rusqlite::Result<Book> {
    Ok(Book {
        pk: row.get(0)?,
        created_at: row.get(1)?,
        updated_at: row.get(2)?,
        title: row.get(3)?,
        year: row.get(4)?,
        price: row.get(5)?,
        in_print: row.get(6)?,
        author_id: row.get(7)?,
    })
}

/// Run [`INSERT_SQL`] for `b`, both timestamps `t`.
fn insert_book(stmt: &mut rusqlite::Statement<'_>, b: &Book, t: i64) -> rusqlite::Result<usize> {
    stmt.execute(rusqlite::params![
        t,
        t,
        b.title,
        b.year,
        b.price,
        b.in_print,
        b.author_id
    ])
}

pub fn raw_insert(conn: &rusqlite::Connection, b: &Book) -> rusqlite::Result<i64> {
    let mut stmt = conn.prepare_cached(INSERT_SQL)?;
    insert_book(&mut stmt, b, now())?;
    Ok(conn.last_insert_rowid())
}

pub fn raw_bulk(conn: &rusqlite::Connection, books: &[Book]) -> rusqlite::Result<()> {
    conn.execute_batch("BEGIN IMMEDIATE")?;
    {
        let t = now();
        let mut stmt = conn.prepare_cached(INSERT_SQL)?;
        for b in books {
            insert_book(&mut stmt, b, t)?;
        }
    }
    conn.execute_batch("COMMIT")
}

pub fn raw_get(conn: &rusqlite::Connection, pk: i64) -> rusqlite::Result<Option<Book>> {
    let mut stmt = conn.prepare_cached(&by_pk_sql())?;
    let mut rows = stmt.query([pk])?;
    rows.next()?.map(decode).transpose()
}

pub fn raw_query(
    conn: &rusqlite::Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> rusqlite::Result<Vec<Book>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(params, decode)?;
    rows.collect()
}

/// Books from 2000 on, in print, by title, the first 1,000.
pub fn raw_filter(conn: &rusqlite::Connection) -> rusqlite::Result<Vec<Book>> {
    raw_query(conn, &filter_sql(), rusqlite::params![2000, true])
}

pub fn raw_all(conn: &rusqlite::Connection) -> rusqlite::Result<Vec<Book>> {
    raw_query(conn, &all_sql(), [])
}

pub const AGGREGATE_SQL: &str = "SELECT \"author_id\", COUNT(*) AS \"books\", AVG(\"price\") AS \"mean_price\" FROM \"books\" GROUP BY \"author_id\" ORDER BY \"author_id\" ASC";

/// Per author: books and mean price.
pub fn raw_aggregate(conn: &rusqlite::Connection) -> rusqlite::Result<Vec<(i64, i64, f64)>> {
    let mut stmt = conn.prepare_cached(AGGREGATE_SQL)?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    rows.collect()
}

/// [`raw_filter`]'s query through SQLiter's query chain.
pub fn orm_filter<Q: QueryChain<Model = Book>>(query: Q) -> Q {
    query
        .filter(Book::year().gte(2000))
        .filter(Book::in_print().eq(true))
        .order("title", false)
        .limit(1000)
}

/// The same aggregate through SQLiter's query chain.
pub fn orm_aggregate<Q: QueryChain<Model = Book>>(query: Q) -> Q {
    query
        .group_by(["author_id"])
        .annotate("books", Aggregate::count())
        .annotate("mean_price", Aggregate::avg("price"))
}

pub fn raw_update(conn: &rusqlite::Connection, b: &Book) -> rusqlite::Result<usize> {
    let mut stmt = conn.prepare_cached(UPDATE_SQL)?;
    stmt.execute(rusqlite::params![b.price, now(), b.pk])
}

pub const AUTHORS_SQL: &str =
    "SELECT \"pk\", \"created_at\", \"updated_at\", \"name\", \"email\" FROM \"authors\" ORDER BY \"pk\"";

pub fn decode_author(row: &rusqlite::Row<'_>) -> rusqlite::Result<Author> {
    Ok(Author {
        pk: row.get(0)?,
        created_at: row.get(1)?,
        updated_at: row.get(2)?,
        name: row.get(3)?,
        email: row.get(4)?,
    })
}

/// Authors, then their books by one `IN` list, grouped per author (as
/// `relations`' prefetch baseline, with every column of both tables).
pub fn raw_authors_with_books(
    conn: &rusqlite::Connection,
) -> rusqlite::Result<Vec<(Author, Vec<Book>)>> {
    let mut stmt = conn.prepare_cached(AUTHORS_SQL)?;
    let authors: Vec<Author> = stmt
        .query_map([], decode_author)?
        .collect::<rusqlite::Result<_>>()?;
    let marks = vec!["?"; authors.len()].join(", ");
    let sql = format!("{SELECT_COLUMNS} WHERE \"author_id\" IN ({marks}) ORDER BY \"pk\"");
    let mut stmt = conn.prepare_cached(&sql)?;
    let pks = authors.iter().map(|a| a.pk);
    let mut groups: HashMap<i64, Vec<Book>> = HashMap::with_capacity(authors.len());
    for book in stmt.query_map(rusqlite::params_from_iter(pks), decode)? {
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

// ------------------------------------------------------------------ setup

/// A file database with WAL and `synchronous = NORMAL`, seeded with 100
/// authors and 10,000 books through SQLiter (so every side reads the same).
pub fn seeded(dir: &Path, name: &str) -> PathBuf {
    seeded_with(dir, name, BOOKS)
}

/// [`seeded`] with books `0..books` (each author gets `books / 100`).
pub fn seeded_with(dir: &Path, name: &str, books: i64) -> PathBuf {
    let path = dir.join(name);
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
    let mut books: Vec<Book> = (0..books).map(book).collect();
    db.bulk_insert(&mut books).unwrap();
    path
}

/// SQLiter's sync door on `path`, tuned.
pub fn sync_orm(path: &Path) -> SqliterDB {
    let db = SqliterDB::new(DbOptions::file(path.to_string_lossy())).unwrap();
    db.with_connection(tune).unwrap().unwrap();
    db
}

/// A plain rusqlite connection on `path`, tuned.
pub fn sync_raw(path: &Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(path).unwrap();
    tune(&conn).unwrap();
    conn
}

/// A pk that walks through the table.
pub fn next_pk(counter: &AtomicI64) -> i64 {
    1 + counter.fetch_add(7, Ordering::Relaxed) % BOOKS
}

/// Fold the WAL back into the file, so one benchmark's writes do not slow
/// the next one's reads.
pub fn checkpoint(conn: &rusqlite::Connection) {
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .unwrap();
}
