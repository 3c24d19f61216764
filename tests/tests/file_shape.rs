//! The file and the model: SQLite's double-quoted-string fallback is off,
//! and a table whose shape cannot hold the model is a typed
//! `SchemaMismatch` before any row is read or written, on both doors.
//! Files shaped as Python SQLiter writes them keep opening.

use sqliter_core::prelude::*;
use sqliter_core::{ColumnMismatch, DbModel, DbOptions, Error, SqlType};
use sqliter_tests::{door_tests, Door, Terminals};

/// Last year's model of the `books` table.
#[derive(DbModel, Debug, Clone, Default, PartialEq)]
#[sqliter(table_name = "books")]
struct BookV1 {
    pk: i64,
    title: String,
}

/// This year's: a new field.
#[derive(DbModel, Debug, Clone, Default, PartialEq)]
#[sqliter(table_name = "books")]
struct Book {
    pk: i64,
    title: String,
    isbn: String,
}

async fn old_file<D: Door>(dir: &tempfile::TempDir) -> (String, D) {
    let path = dir.path().join("old.db").to_string_lossy().into_owned();
    let db = D::open(DbOptions::file(path.clone())).await.unwrap();
    db.create_table::<BookV1>().await.unwrap();
    for title in ["Dune", "Emma"] {
        db.insert(BookV1 {
            title: title.into(),
            ..Default::default()
        })
        .await
        .unwrap();
    }
    (path, db)
}

fn is_missing_isbn(err: &Error) -> bool {
    matches!(err, Error::SchemaMismatch { table, model, columns }
        if table == "books" && model == "Book"
            && columns == &[ColumnMismatch::Missing { column: "isbn".into(), expected: SqlType::Text }])
}

door_tests!(
    a_model_column_the_file_lacks_is_a_schema_mismatch_on_every_read,
    a_model_column_the_file_lacks_is_a_schema_mismatch_on_every_write,
    create_table_over_an_older_table_reports_the_mismatch,
    a_column_whose_type_would_change_values_is_a_mismatch,
    extra_columns_and_looser_nullability_are_not_a_mismatch,
    python_sqliter_files_keep_opening,
    after_the_file_is_fixed_the_model_opens_it,
    the_message_names_table_columns_and_a_fix,
);

async fn a_model_column_the_file_lacks_is_a_schema_mismatch_on_every_read<D: Door>() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _old): (String, D) = old_file(&dir).await;
    let db = D::open(DbOptions::file(path)).await.unwrap();
    let err = db.select::<Book>().fetch_all().await.unwrap_err();
    assert!(is_missing_isbn(&err), "{err:?}");
    // Before the check, a String field read back as its own name.
    let err = db
        .select::<Book>()
        .filter_by("isbn", "isbn")
        .count()
        .await
        .unwrap_err();
    assert!(is_missing_isbn(&err), "{err:?}");
    let err = db.get::<Book>(1).await.unwrap_err();
    assert!(is_missing_isbn(&err), "{err:?}");
    let err = db.select::<Book>().fetch_first().await.unwrap_err();
    assert!(is_missing_isbn(&err), "{err:?}");
}

async fn a_model_column_the_file_lacks_is_a_schema_mismatch_on_every_write<D: Door>() {
    let dir = tempfile::tempdir().unwrap();
    let (path, old): (String, D) = old_file(&dir).await;
    let db = D::open(DbOptions::file(path)).await.unwrap();
    let book = || Book {
        title: "New".into(),
        isbn: "978".into(),
        ..Default::default()
    };
    assert!(is_missing_isbn(&db.insert(book()).await.unwrap_err()));
    assert!(is_missing_isbn(
        &db.bulk_insert(&mut [book()]).await.unwrap_err()
    ));
    let mut stored = Book { pk: 1, ..book() };
    assert!(is_missing_isbn(&db.update(&mut stored).await.unwrap_err()));
    assert!(is_missing_isbn(&db.delete::<Book>(1).await.unwrap_err()));
    let err = db
        .select::<Book>()
        .update([("title", "x")])
        .await
        .unwrap_err();
    assert!(is_missing_isbn(&err), "{err:?}");
    assert!(is_missing_isbn(
        &db.select::<Book>().delete().await.unwrap_err()
    ));
    // Nothing was touched.
    let titles: Vec<String> = old
        .select::<BookV1>()
        .fetch_all()
        .await
        .unwrap()
        .into_iter()
        .map(|b| b.title)
        .collect();
    assert_eq!(titles, ["Dune", "Emma"]);
}

async fn create_table_over_an_older_table_reports_the_mismatch<D: Door>() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _old): (String, D) = old_file(&dir).await;
    let db = D::open(DbOptions::file(path)).await.unwrap();
    let err = db.create_table::<Book>().await.unwrap_err();
    assert!(is_missing_isbn(&err), "{err:?}");
}

async fn a_column_whose_type_would_change_values_is_a_mismatch<D: Door>() {
    let db = D::open(DbOptions::memory()).await.unwrap();
    // Numeric affinity would turn the text "0042" into the number 42.
    db.raw(
        "CREATE TABLE books (pk INTEGER PRIMARY KEY AUTOINCREMENT, created_at INTEGER, \
         updated_at INTEGER, title TEXT, isbn NUMERIC)",
    )
    .await;
    let err = db
        .insert(Book {
            title: "t".into(),
            isbn: "0042".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::SchemaMismatch { columns, .. }
            if columns == &[ColumnMismatch::Type { column: "isbn".into(), expected: SqlType::Text, declared: "NUMERIC".into() }]),
        "{err:?}"
    );
    assert_eq!(db.query_int("SELECT count(*) FROM books").await, 0);
}

#[derive(DbModel, Debug, Clone, Default, PartialEq)]
#[sqliter(table_name = "books")]
struct Strict {
    pk: i64,
    title: String,
    year: i64,
}

async fn extra_columns_and_looser_nullability_are_not_a_mismatch<D: Door>() {
    let db = D::open(DbOptions::memory()).await.unwrap();
    db.raw(
        "CREATE TABLE books (pk INTEGER PRIMARY KEY AUTOINCREMENT, created_at INTEGER, \
         updated_at INTEGER, db_context TEXT, title TEXT, year INTEGER, notes TEXT)",
    )
    .await;
    db.create_table::<Strict>().await.unwrap();
    let stored = db
        .insert(Strict {
            title: "Dune".into(),
            year: 1965,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(db.get::<Strict>(stored.pk).await.unwrap(), Some(stored));
}

#[derive(DbModel, Debug, Clone, Default, PartialEq)]
#[sqliter(table_name = "items")]
struct PyItem {
    pk: i64,
    created_at: i64,
    updated_at: i64,
    name: String,
    qty: i64,
    price: f64,
    in_stock: bool,
    maybe_qty: Option<i64>,
    maybe_note: Option<String>,
    #[sqliter(json)]
    tags: Vec<String>,
}

async fn python_sqliter_files_keep_opening<D: Door>() {
    let db = D::open(DbOptions::memory()).await.unwrap();
    // Python SQLiter 0.21's DDL: nullable columns, `db_context`, TEXT for
    // every Optional, BLOB for complex values.
    db.raw(
        "CREATE TABLE \"items\" (\n            \"pk\" INTEGER PRIMARY KEY AUTOINCREMENT, \
         \"created_at\" INTEGER, \"updated_at\" INTEGER, \"db_context\" TEXT, \"name\" TEXT, \
         \"qty\" INTEGER, \"price\" REAL, \"in_stock\" INTEGER, \"maybe_qty\" TEXT, \
         \"maybe_note\" TEXT, \"tags\" BLOB\n        )",
    )
    .await;
    db.raw(
        "INSERT INTO items (created_at, updated_at, name, qty, price, in_stock, maybe_note, tags) \
         VALUES (1, 1, 'bolt', 3, 0.5, 1, NULL, '[\"a\"]')",
    )
    .await;
    db.create_table::<PyItem>().await.unwrap();
    let items = db.select::<PyItem>().fetch_all().await.unwrap();
    assert_eq!(
        (
            items[0].name.as_str(),
            items[0].qty,
            items[0].tags.as_slice()
        ),
        ("bolt", 3, ["a".to_owned()].as_slice())
    );
    db.insert(PyItem {
        name: "nut".into(),
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(db.select::<PyItem>().count().await.unwrap(), 2);
}

async fn after_the_file_is_fixed_the_model_opens_it<D: Door>() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _old): (String, D) = old_file(&dir).await;
    let db = D::open(DbOptions::file(path)).await.unwrap();
    assert!(db.select::<Book>().count().await.is_err());
    // Raw SQL on the door's own connection: the next use checks again.
    db.raw("ALTER TABLE books ADD COLUMN isbn TEXT NOT NULL DEFAULT ''")
        .await;
    assert_eq!(db.select::<Book>().count().await.unwrap(), 2);
    let books = db
        .select::<Book>()
        .filter(Book::isbn().eq(""))
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(
        books.len(),
        2,
        "the new column holds its default, not its name"
    );
}

async fn the_message_names_table_columns_and_a_fix<D: Door>() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _old): (String, D) = old_file(&dir).await;
    let db = D::open(DbOptions::file(path)).await.unwrap();
    let message = db
        .select::<Book>()
        .fetch_all()
        .await
        .unwrap_err()
        .to_string();
    for part in ["'books'", "Book", "'isbn'", "missing", "migration"] {
        assert!(message.contains(part), "{part} in: {message}");
    }
}

#[test]
fn double_quoted_strings_are_identifiers_only_on_the_sync_door() {
    let db = sqliter_core::SqliterDB::open_in_memory().unwrap();
    db.create_table::<BookV1>().unwrap();
    let result = db
        .with_connection(|c| {
            c.query_row("SELECT \"no_such_column\" FROM books", [], |r| {
                r.get::<_, String>(0)
            })
        })
        .unwrap();
    assert!(
        result.is_err(),
        "SQLite would have read the text 'no_such_column'"
    );
    let ddl = db
        .with_connection(|c| c.execute_batch("CREATE INDEX bad ON books (\"ghost\")"))
        .unwrap();
    assert!(ddl.is_err(), "DDL refuses it too");
}

#[tokio::test]
async fn double_quoted_strings_are_identifiers_only_on_the_async_door() {
    let db = sqliter_async::AsyncSqliterDB::new(DbOptions::memory()).unwrap();
    db.create_table::<BookV1>().await.unwrap();
    let result = db
        .connect()
        .await
        .unwrap()
        .call(|c| {
            c.query_row("SELECT \"no_such_column\" FROM books", [], |r| {
                r.get::<_, String>(0)
            })
        })
        .await;
    assert!(
        result.is_err(),
        "SQLite would have read the text 'no_such_column'"
    );
}
