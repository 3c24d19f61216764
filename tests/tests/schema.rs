//! Tables and indexes: DDL as stored by SQLite, names, create/drop/reset.

use sqliter_core::{CreateTableOptions, DbModel, DbOptions, Error, SqliterDB};
use sqliter_tests::{query_int, query_text, raw};

#[derive(DbModel, Debug, Clone, Default)]
struct Author {
    pk: i64,
    name: String,
    #[sqliter(unique)]
    email: String,
}

#[derive(DbModel, Debug, Clone, Default)]
#[sqliter(indexes(title, (year, price)), unique_indexes(isbn, (title, year)))]
struct Book {
    pk: i64,
    created_at: i64,
    updated_at: i64,
    title: String,
    year: i32,
    price: Option<f64>,
    isbn: String,
    #[sqliter(foreign_key = Author, on_delete = "CASCADE", on_update = "NO ACTION")]
    author_id: i64,
    #[sqliter(foreign_key = Author, on_delete = "SET NULL", db_column = "editor")]
    editor_id: Option<i64>,
}

#[derive(DbModel, Debug, Default)]
struct User {
    pk: i64,
}
#[derive(DbModel, Debug, Default)]
struct UserModel {
    pk: i64,
}
#[derive(DbModel, Debug, Default)]
struct BookReview {
    pk: i64,
}
#[derive(DbModel, Debug, Default)]
struct Status {
    pk: i64,
}
#[allow(clippy::upper_case_acronyms)]
#[derive(DbModel, Debug, Default)]
struct HTTPRequest {
    pk: i64,
}
#[derive(DbModel, Debug, Default)]
#[sqliter(table_name = "_custom_Name1")]
struct Custom {
    pk: i64,
}

fn sql_of(db: &SqliterDB, name: &str) -> String {
    query_text(
        db,
        &format!("SELECT sql FROM sqlite_master WHERE name = '{name}'"),
    )
}

fn db_with_books() -> SqliterDB {
    let db = SqliterDB::open_in_memory().unwrap();
    db.create_table::<Author>().unwrap();
    db.create_table::<Book>().unwrap();
    db
}

#[test]
fn create_table_ddl_is_shaped_as_upstream() {
    let db = db_with_books();
    assert_eq!(
        sql_of(&db, "authors"),
        r#"CREATE TABLE "authors" ("pk" INTEGER PRIMARY KEY AUTOINCREMENT, "created_at" INTEGER, "updated_at" INTEGER, "name" TEXT NOT NULL, "email" TEXT NOT NULL UNIQUE)"#
    );
    assert_eq!(
        sql_of(&db, "books"),
        concat!(
            r#"CREATE TABLE "books" ("pk" INTEGER PRIMARY KEY AUTOINCREMENT, "created_at" INTEGER, "updated_at" INTEGER, "#,
            r#""title" TEXT NOT NULL, "year" INTEGER NOT NULL, "price" REAL, "isbn" TEXT NOT NULL, "author_id" INTEGER NOT NULL, "editor" INTEGER, "#,
            r#"FOREIGN KEY ("author_id") REFERENCES "authors"("pk") ON DELETE CASCADE ON UPDATE NO ACTION, "#,
            r#"FOREIGN KEY ("editor") REFERENCES "authors"("pk") ON DELETE SET NULL ON UPDATE RESTRICT)"#
        )
    );
}

#[test]
fn indexes_are_named_and_ordered_as_upstream() {
    let db = db_with_books();
    let names: Vec<String> = db
        .with_connection(|c| {
            let mut stmt = c
                .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'books' AND sql IS NOT NULL ORDER BY rowid")
                .unwrap();
            stmt.query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
        })
        .unwrap();
    assert_eq!(
        names,
        [
            "idx_books_author_id",
            "idx_books_editor",
            "idx_books_title",
            "idx_books_year_price",
            "idx_books_isbn_unique",
            "idx_books_title_year_unique",
        ]
    );
    assert_eq!(
        sql_of(&db, "idx_books_author_id"),
        r#"CREATE INDEX "idx_books_author_id" ON "books" ("author_id")"#
    );
    assert_eq!(
        sql_of(&db, "idx_books_year_price"),
        r#"CREATE INDEX idx_books_year_price ON "books" ("year", "price")"#
    );
    assert_eq!(
        sql_of(&db, "idx_books_title_year_unique"),
        r#"CREATE UNIQUE INDEX idx_books_title_year_unique ON "books" ("title", "year")"#
    );
}

#[test]
fn default_table_names() {
    assert_eq!(User::META.table_name, "users");
    assert_eq!(UserModel::META.table_name, "users");
    assert_eq!(BookReview::META.table_name, "book_reviews");
    assert_eq!(Status::META.table_name, "status");
    assert_eq!(HTTPRequest::META.table_name, "http_requests");
    assert_eq!(Custom::META.table_name, "_custom_Name1");
}

#[test]
fn create_table_twice_is_harmless_by_default() {
    let db = db_with_books();
    db.create_table::<Book>().unwrap();
    assert_eq!(db.table_names().unwrap(), ["authors", "books"]);
}

#[test]
fn create_table_with_exists_ok_false_refuses_an_existing_table() {
    let db = db_with_books();
    let err = db
        .create_table_with::<Author>(CreateTableOptions {
            exists_ok: false,
            force: false,
        })
        .unwrap_err();
    assert!(
        matches!(err, Error::TableCreation { ref table, .. } if table == "authors"),
        "{err:?}"
    );
}

#[test]
fn create_table_force_recreates_an_empty_table() {
    let db = SqliterDB::open_in_memory().unwrap();
    db.create_table::<Author>().unwrap();
    db.insert(Author {
        name: "a".into(),
        email: "a".into(),
        ..Default::default()
    })
    .unwrap();
    db.create_table_with::<Author>(CreateTableOptions {
        exists_ok: true,
        force: true,
    })
    .unwrap();
    assert_eq!(query_int(&db, "SELECT count(*) FROM authors"), 0);
}

#[test]
fn a_child_table_needs_its_parent_first() {
    let db = SqliterDB::open_in_memory().unwrap();
    let err = db.create_table::<Book>().unwrap_err();
    assert!(
        matches!(err, Error::MissingReferencedTable { ref table, ref referenced } if table == "books" && referenced == "authors"),
        "{err:?}"
    );
    assert!(db.table_names().unwrap().is_empty());
}

#[test]
fn drop_table_drops_and_ignores_missing_tables() {
    let db = db_with_books();
    db.drop_table::<Book>().unwrap();
    db.drop_table::<Book>().unwrap();
    assert_eq!(db.table_names().unwrap(), ["authors"]);
}

#[test]
fn table_names_lists_user_tables_in_creation_order() {
    let db = db_with_books();
    // `_` in SQLite's own prefix must not act as a LIKE wildcard (upstream hides these).
    raw(
        &db,
        "CREATE TABLE sqliteXdata (x); CREATE TABLE sqlite1 (x)",
    );
    assert_eq!(
        db.table_names().unwrap(),
        ["authors", "books", "sqliteXdata", "sqlite1"]
    );
}

#[test]
fn unique_index_over_duplicate_rows_is_an_sql_error_and_creates_nothing() {
    #[derive(DbModel, Debug, Default)]
    #[sqliter(table_name = "things")]
    struct Loose {
        pk: i64,
        name: String,
    }
    #[derive(DbModel, Debug, Default)]
    #[sqliter(table_name = "things", unique_indexes(name))]
    struct Strict {
        pk: i64,
        name: String,
    }
    let db = SqliterDB::open_in_memory().unwrap();
    db.create_table::<Loose>().unwrap();
    db.insert(Loose {
        name: "x".into(),
        ..Default::default()
    })
    .unwrap();
    db.insert(Loose {
        name: "x".into(),
        ..Default::default()
    })
    .unwrap();
    let err = db.create_table::<Strict>().unwrap_err();
    assert!(
        matches!(err, Error::SqlExecution { ref sql, .. } if sql.contains("idx_things_name_unique")),
        "{err:?}"
    );
}

#[test]
fn reset_drops_tables_that_reference_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reset.db").to_string_lossy().into_owned();
    {
        let db = SqliterDB::open(path.clone()).unwrap();
        db.create_table::<Author>().unwrap();
        db.create_table::<Book>().unwrap();
        let a = db
            .insert(Author {
                name: "a".into(),
                email: "a".into(),
                ..Default::default()
            })
            .unwrap();
        db.insert(Book {
            author_id: a.pk,
            ..Default::default()
        })
        .unwrap();
    }
    let db = SqliterDB::new(DbOptions::file(path).reset(true)).unwrap();
    assert!(db.table_names().unwrap().is_empty());
    // Enforcement is back on after the reset.
    assert_eq!(query_int(&db, "PRAGMA foreign_keys"), 1);
}
