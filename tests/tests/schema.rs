//! Tables and indexes: DDL as stored by SQLite, names, create/drop/reset.

use sqliter_core::{CreateTableOptions, DbModel, DbOptions, Error};
use sqliter_tests::{door_tests, Door};

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

async fn sql_of<D: Door>(db: &D, name: &str) -> String {
    db.query_text(&format!(
        "SELECT sql FROM sqlite_master WHERE name = '{name}'"
    ))
    .await
}

async fn db_with_books<D: Door>() -> D {
    let db = D::memory_with::<Author>().await;
    db.create_table::<Book>().await.unwrap();
    db
}

door_tests!(
    reset_database_drops_every_table_of_an_open_database_and_empties_the_cache,
    the_reset_message_goes_to_the_logger_in_debug_mode_only,
    a_failing_begin_in_create_table_is_table_creation,
    create_table_ddl_is_shaped_as_upstream,
    indexes_are_named_and_ordered_as_upstream,
    create_table_twice_is_harmless_by_default,
    create_table_with_exists_ok_false_refuses_an_existing_table,
    create_table_force_recreates_an_empty_table,
    a_child_table_needs_its_parent_first,
    drop_table_drops_and_ignores_missing_tables,
    table_names_lists_user_tables_in_creation_order,
    unique_index_over_duplicate_rows_is_an_sql_error_and_creates_nothing,
    reset_drops_tables_that_reference_each_other,
);

async fn create_table_ddl_is_shaped_as_upstream<D: Door>() {
    let db = db_with_books::<D>().await;
    assert_eq!(
        sql_of(&db, "authors").await,
        r#"CREATE TABLE "authors" ("pk" INTEGER PRIMARY KEY AUTOINCREMENT, "created_at" INTEGER, "updated_at" INTEGER, "name" TEXT NOT NULL, "email" TEXT NOT NULL UNIQUE)"#
    );
    assert_eq!(
        sql_of(&db, "books").await,
        concat!(
            r#"CREATE TABLE "books" ("pk" INTEGER PRIMARY KEY AUTOINCREMENT, "created_at" INTEGER, "updated_at" INTEGER, "#,
            r#""title" TEXT NOT NULL, "year" INTEGER NOT NULL, "price" REAL, "isbn" TEXT NOT NULL, "author_id" INTEGER NOT NULL, "editor" INTEGER, "#,
            r#"FOREIGN KEY ("author_id") REFERENCES "authors"("pk") ON DELETE CASCADE ON UPDATE NO ACTION, "#,
            r#"FOREIGN KEY ("editor") REFERENCES "authors"("pk") ON DELETE SET NULL ON UPDATE RESTRICT)"#
        )
    );
}

async fn indexes_are_named_and_ordered_as_upstream<D: Door>() {
    let db = db_with_books::<D>().await;
    let names: Vec<String> = db
        .query_text("SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'books' AND sql IS NOT NULL ORDER BY rowid)")
        .await
        .split(',')
        .map(str::to_owned)
        .collect();
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
        sql_of(&db, "idx_books_author_id").await,
        r#"CREATE INDEX "idx_books_author_id" ON "books" ("author_id")"#
    );
    assert_eq!(
        sql_of(&db, "idx_books_year_price").await,
        r#"CREATE INDEX idx_books_year_price ON "books" ("year", "price")"#
    );
    assert_eq!(
        sql_of(&db, "idx_books_title_year_unique").await,
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

async fn create_table_twice_is_harmless_by_default<D: Door>() {
    let db = db_with_books::<D>().await;
    db.create_table::<Book>().await.unwrap();
    assert_eq!(db.table_names().await.unwrap(), ["authors", "books"]);
}

async fn create_table_with_exists_ok_false_refuses_an_existing_table<D: Door>() {
    let db = db_with_books::<D>().await;
    let err = db
        .create_table_with::<Author>(CreateTableOptions {
            exists_ok: false,
            force: false,
        })
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::TableCreation { ref table, .. } if table == "authors"),
        "{err:?}"
    );
}

async fn create_table_force_recreates_an_empty_table<D: Door>() {
    let db = D::open(DbOptions::memory()).await.unwrap();
    db.create_table::<Author>().await.unwrap();
    db.insert(Author {
        name: "a".into(),
        email: "a".into(),
        ..Default::default()
    })
    .await
    .unwrap();
    db.create_table_with::<Author>(CreateTableOptions {
        exists_ok: true,
        force: true,
    })
    .await
    .unwrap();
    assert_eq!(db.query_int("SELECT count(*) FROM authors").await, 0);
}

async fn a_child_table_needs_its_parent_first<D: Door>() {
    let db = D::open(DbOptions::memory()).await.unwrap();
    let err = db.create_table::<Book>().await.unwrap_err();
    assert!(
        matches!(err, Error::MissingReferencedTable { ref table, ref referenced } if table == "books" && referenced == "authors"),
        "{err:?}"
    );
    assert!(db.table_names().await.unwrap().is_empty());
}

async fn drop_table_drops_and_ignores_missing_tables<D: Door>() {
    let db = db_with_books::<D>().await;
    db.drop_table::<Book>().await.unwrap();
    db.drop_table::<Book>().await.unwrap();
    assert_eq!(db.table_names().await.unwrap(), ["authors"]);
}

async fn table_names_lists_user_tables_in_creation_order<D: Door>() {
    let db = db_with_books::<D>().await;
    // `_` in SQLite's own prefix must not act as a LIKE wildcard (upstream hides these).
    db.raw("CREATE TABLE sqliteXdata (x); CREATE TABLE sqlite1 (x)")
        .await;
    assert_eq!(
        db.table_names().await.unwrap(),
        ["authors", "books", "sqliteXdata", "sqlite1"]
    );
}

async fn unique_index_over_duplicate_rows_is_an_sql_error_and_creates_nothing<D: Door>() {
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
    let db = D::open(DbOptions::memory()).await.unwrap();
    db.create_table::<Loose>().await.unwrap();
    db.insert(Loose {
        name: "x".into(),
        ..Default::default()
    })
    .await
    .unwrap();
    db.insert(Loose {
        name: "x".into(),
        ..Default::default()
    })
    .await
    .unwrap();
    let err = db.create_table::<Strict>().await.unwrap_err();
    assert!(
        matches!(err, Error::SqlExecution { ref sql, .. } if sql.contains("idx_things_name_unique")),
        "{err:?}"
    );
}

async fn reset_drops_tables_that_reference_each_other<D: Door>() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reset.db").to_string_lossy().into_owned();
    {
        let db = D::open(DbOptions::file(path.clone())).await.unwrap();
        db.create_table::<Author>().await.unwrap();
        db.create_table::<Book>().await.unwrap();
        let a = db
            .insert(Author {
                name: "a".into(),
                email: "a".into(),
                ..Default::default()
            })
            .await
            .unwrap();
        db.insert(Book {
            author_id: a.pk,
            ..Default::default()
        })
        .await
        .unwrap();
    }
    let db = D::open(DbOptions::file(path).reset(true)).await.unwrap();
    assert!(db.table_names().await.unwrap().is_empty());
    // Enforcement is back on after the reset.
    assert_eq!(db.query_int("PRAGMA foreign_keys").await, 1);
}

async fn a_failing_begin_in_create_table_is_table_creation<D: Door>() {
    let db = D::open(DbOptions::memory()).await.unwrap();
    db.raw("PRAGMA query_only = 1").await;
    let err = db.create_table::<Author>().await.unwrap_err();
    assert!(
        matches!(err, Error::TableCreation { ref table, .. } if table == "authors"),
        "{err:?}"
    );
}

async fn the_reset_message_goes_to_the_logger_in_debug_mode_only<D: Door>() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.db").to_string_lossy().into_owned();
    for debug in [false, true] {
        {
            let db = D::open(DbOptions::file(path.clone())).await.unwrap();
            db.create_table::<Author>().await.unwrap();
        }
        let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let seen = std::sync::Arc::clone(&lines);
        let logger =
            sqliter_core::Logger::new(move |line| seen.lock().unwrap().push(line.to_owned()));
        let _db = D::open(
            DbOptions::file(path.clone())
                .reset(true)
                .debug(debug)
                .logger(logger),
        )
        .await
        .unwrap();
        let lines = lines.lock().unwrap();
        let told = lines
            .iter()
            .any(|l| l == "Database reset: 1 user-created tables dropped.");
        assert_eq!(told, debug, "debug = {debug}: {lines:?}");
    }
}

async fn reset_database_drops_every_table_of_an_open_database_and_empties_the_cache<D: Door>() {
    let db = D::open(DbOptions::memory().cache(true)).await.unwrap();
    db.create_table::<Author>().await.unwrap();
    db.create_table::<Book>().await.unwrap();
    let a = db
        .insert(Author {
            name: "a".into(),
            email: "a".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    db.insert(Book {
        author_id: a.pk,
        ..Default::default()
    })
    .await
    .unwrap();
    assert!(db.get::<Author>(a.pk).await.unwrap().is_some());
    assert_eq!(db.reset_database().await.unwrap(), 2);
    assert!(db.table_names().await.unwrap().is_empty());
    assert!(
        db.get::<Author>(a.pk).await.is_err(),
        "no cached answer outlives its table"
    );
    assert_eq!(db.query_int("PRAGMA foreign_keys").await, 1);
}

#[test]
fn reset_database_inside_a_transaction_rolls_back_with_it() {
    let db = sqliter_core::SqliterDB::open_in_memory().unwrap();
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
    {
        let _tx = db.begin().unwrap();
        assert_eq!(db.reset_database().unwrap(), 2);
        assert!(db.table_names().unwrap().is_empty());
    } // rolled back
    assert_eq!(db.table_names().unwrap().len(), 2);
}

#[tokio::test]
async fn reset_database_inside_an_async_transaction_rolls_back_with_it() {
    let db = sqliter_async::AsyncSqliterDB::new(DbOptions::memory()).unwrap();
    db.create_table::<Author>().await.unwrap();
    db.create_table::<Book>().await.unwrap();
    let a = db
        .insert(Author {
            name: "a".into(),
            email: "a".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    db.insert(Book {
        author_id: a.pk,
        ..Default::default()
    })
    .await
    .unwrap();
    let tx = db.begin().await.unwrap();
    assert_eq!(tx.db().reset_database().await.unwrap(), 2);
    tx.rollback().await.unwrap();
    assert_eq!(db.get_table_names().await.unwrap().len(), 2);
}
