//! Schema evolution on both doors: the diff, the plan (printable), and
//! applying it for every kind of change, each checked row by row, with
//! `PRAGMA integrity_check` and `foreign_key_check`; refused losses leave
//! the file exactly as before; named migrations apply once.

use sqliter_core::prelude::*;
use sqliter_core::{Change, DbModel, DbOptions, Error, MigrateOptions, Migration, SqlType};
use sqliter_tests::{door_tests, Door, Terminals};

// Last year's model of `books`.
#[derive(DbModel, Debug, Clone, Default, PartialEq)]
#[sqliter(table_name = "books")]
struct BookV1 {
    pk: i64,
    created_at: i64,
    updated_at: i64,
    title: String,
    year: i32,
    note: Option<String>,
}

fn v1_books() -> Vec<BookV1> {
    [
        ("Dune", 1965, Some("sf")),
        ("Emma", 1815, None),
        ("Ubik", 1969, Some("pkd")),
    ]
    .into_iter()
    .map(|(title, year, note)| BookV1 {
        title: title.into(),
        year,
        note: note.map(Into::into),
        ..Default::default()
    })
    .collect()
}

/// A file holding last year's table, and the rows as stored.
async fn v1_file<D: Door>() -> (D, Vec<BookV1>) {
    let db = D::open(DbOptions::memory()).await.unwrap();
    db.create_table::<BookV1>().await.unwrap();
    let mut books = v1_books();
    db.bulk_insert(&mut books).await.unwrap();
    (db, books)
}

async fn sound<D: Door>(db: &D) {
    assert_eq!(db.query_text("PRAGMA integrity_check").await, "ok");
    assert_eq!(
        db.query_int("SELECT count(*) FROM pragma_foreign_key_check")
            .await,
        0
    );
}

// 1. A new field with a default: added in place.
#[derive(DbModel, Debug, Clone, Default, PartialEq)]
#[sqliter(table_name = "books")]
struct WithRating {
    pk: i64,
    created_at: i64,
    updated_at: i64,
    title: String,
    year: i32,
    note: Option<String>,
    #[sqliter(default = 3)]
    rating: i32,
    isbn: Option<String>,
}

// 2. A renamed field.
#[derive(DbModel, Debug, Clone, Default, PartialEq)]
#[sqliter(table_name = "books")]
struct Renamed {
    pk: i64,
    created_at: i64,
    updated_at: i64,
    #[sqliter(renamed_from = "title")]
    name: String,
    year: i32,
    note: Option<String>,
}

// 3. A dropped field.
#[derive(DbModel, Debug, Clone, Default, PartialEq)]
#[sqliter(table_name = "books")]
struct Dropped {
    pk: i64,
    created_at: i64,
    updated_at: i64,
    title: String,
    year: i32,
}

// 4. A type change (year as text) and a stricter nullability.
#[derive(DbModel, Debug, Clone, Default, PartialEq)]
#[sqliter(table_name = "books")]
struct Retyped {
    pk: i64,
    created_at: i64,
    updated_at: i64,
    title: String,
    year: String,
    #[sqliter(default = "none")]
    note: String,
}

// 5. A new required field without a default.
#[derive(DbModel, Debug, Clone, Default, PartialEq)]
#[sqliter(table_name = "books")]
struct Required {
    pk: i64,
    title: String,
    year: i32,
    note: Option<String>,
    pages: i64,
}

// 6. A unique constraint and an index added.
#[derive(DbModel, Debug, Clone, Default, PartialEq)]
#[sqliter(table_name = "books", indexes(year))]
struct Unique {
    pk: i64,
    created_at: i64,
    updated_at: i64,
    #[sqliter(unique)]
    title: String,
    year: i32,
    note: Option<String>,
}

// 7. Only an index added (issue 17: `create_indexes` for an existing table).
#[derive(DbModel, Debug, Clone, Default, PartialEq)]
#[sqliter(table_name = "books", indexes((title, year)), unique_indexes(title))]
struct Indexed {
    pk: i64,
    created_at: i64,
    updated_at: i64,
    title: String,
    year: i32,
    note: Option<String>,
}

door_tests!(
    a_new_index_is_created_in_place_by_migrate_and_by_create_table,
    a_matching_file_has_an_empty_diff_and_plan,
    the_diff_names_every_difference,
    adding_a_field_with_a_default_fills_existing_rows_in_place,
    a_renamed_field_keeps_its_values,
    dropping_a_field_that_holds_data_needs_the_opt_in,
    a_type_change_converts_inside_sqlite_and_stricter_nullability_uses_the_default,
    a_lossy_type_change_is_refused_without_the_opt_in,
    a_new_required_field_without_a_default_is_refused_with_a_fix,
    unique_constraints_and_indexes_are_added_by_rebuild,
    a_plan_prints_its_sql_and_applies_once,
    a_plan_is_refused_when_the_file_changed_since,
    the_autoincrement_high_water_mark_survives_a_rebuild,
    rebuilding_a_parent_keeps_its_children_and_their_keys,
    named_migrations_apply_once_in_order,
    an_unknown_recorded_migration_applies_nothing,
    a_failing_migration_rolls_back_alone,
);

async fn a_matching_file_has_an_empty_diff_and_plan<D: Door>() {
    let (db, _): (D, _) = v1_file().await;
    assert!(db.schema_diff::<BookV1>().await.unwrap().is_empty());
    let plan = db
        .migrate::<BookV1>(MigrateOptions::default())
        .await
        .unwrap();
    assert!(plan.is_empty() && plan.sql().is_empty());
}

async fn the_diff_names_every_difference<D: Door>() {
    let (db, _): (D, _) = v1_file().await;
    let diff = db.schema_diff::<Retyped>().await.unwrap();
    assert_eq!(
        diff.changes,
        [
            Change::ChangeType {
                column: "year",
                from: "INTEGER".into(),
                to: SqlType::Text
            },
            Change::ChangeNullability {
                column: "note",
                nullable: false
            },
        ]
    );
    let diff = db.schema_diff::<Renamed>().await.unwrap();
    assert_eq!(
        diff.changes,
        [Change::RenameColumn {
            from: "title".into(),
            to: "name"
        }]
    );
    let diff = db.schema_diff::<Dropped>().await.unwrap();
    assert_eq!(
        diff.changes,
        [Change::DropColumn {
            column: "note".into()
        }]
    );
    let text = db.schema_diff::<Unique>().await.unwrap().to_string();
    assert!(
        text.contains("add UNIQUE on 'title'") && text.contains("add index idx_books_year"),
        "{text}"
    );
}

async fn adding_a_field_with_a_default_fills_existing_rows_in_place<D: Door>() {
    let (db, before): (D, _) = v1_file().await;
    // Before the migration the new model is refused, typed.
    assert!(matches!(
        db.select::<WithRating>().fetch_all().await,
        Err(Error::SchemaMismatch { .. })
    ));
    let plan = db
        .migrate::<WithRating>(MigrateOptions::default())
        .await
        .unwrap();
    assert!(!plan.rebuild, "additive: ALTER TABLE ... ADD COLUMN");
    assert!(plan
        .statements
        .iter()
        .any(|s| s.contains("ADD COLUMN \"rating\" INTEGER NOT NULL DEFAULT 3")));
    let after = db.select::<WithRating>().fetch_all().await.unwrap();
    assert_eq!(after.len(), before.len());
    for (old, new) in before.iter().zip(&after) {
        assert_eq!(
            (new.pk, &new.title, new.year, &new.note, new.rating, &new.isbn),
            (old.pk, &old.title, old.year, &old.note, 3, &None)
        );
        assert_eq!(
            (new.created_at, new.updated_at),
            (old.created_at, old.updated_at)
        );
    }
    assert!(db.schema_diff::<WithRating>().await.unwrap().is_empty());
    sound(&db).await;
}

async fn a_renamed_field_keeps_its_values<D: Door>() {
    let (db, before): (D, _) = v1_file().await;
    db.migrate::<Renamed>(MigrateOptions::default())
        .await
        .unwrap();
    let after = db.select::<Renamed>().fetch_all().await.unwrap();
    let names: Vec<&str> = after.iter().map(|b| b.name.as_str()).collect();
    let titles: Vec<&str> = before.iter().map(|b| b.title.as_str()).collect();
    assert_eq!(names, titles, "a rename, not a drop and an add");
    sound(&db).await;
}

async fn dropping_a_field_that_holds_data_needs_the_opt_in<D: Door>() {
    let (db, before): (D, _) = v1_file().await;
    let err = db
        .migrate::<Dropped>(MigrateOptions::default())
        .await
        .unwrap_err();
    match &err {
        Error::MigrationRefused {
            table,
            column,
            rows,
            sample_pks,
            ..
        } => {
            assert_eq!(
                (table.as_str(), column.as_str(), *rows),
                ("books", "note", 2)
            );
            assert_eq!(sample_pks, &[before[0].pk, before[2].pk]);
        }
        other => panic!("{other:?}"),
    }
    // Refused: the file is exactly as before.
    assert_eq!(db.select::<BookV1>().fetch_all().await.unwrap(), before);
    let plan = db
        .migrate::<Dropped>(MigrateOptions::default().allow_drop(true))
        .await
        .unwrap();
    assert!(plan.rebuild);
    let after = db.select::<Dropped>().fetch_all().await.unwrap();
    for (old, new) in before.iter().zip(&after) {
        assert_eq!(
            (new.pk, &new.title, new.year),
            (old.pk, &old.title, old.year)
        );
    }
    assert_eq!(
        db.query_int("SELECT count(*) FROM pragma_table_info('books') WHERE name = 'note'")
            .await,
        0
    );
    sound(&db).await;
}

async fn a_type_change_converts_inside_sqlite_and_stricter_nullability_uses_the_default<D: Door>() {
    let (db, before): (D, _) = v1_file().await;
    db.migrate::<Retyped>(MigrateOptions::default())
        .await
        .unwrap();
    let after = db.select::<Retyped>().fetch_all().await.unwrap();
    for (old, new) in before.iter().zip(&after) {
        assert_eq!(new.year, old.year.to_string());
        assert_eq!(new.note, old.note.clone().unwrap_or_else(|| "none".into()));
        assert_eq!(new.title, old.title);
    }
    assert_eq!(
        db.query_text("SELECT typeof(year) FROM books LIMIT 1")
            .await,
        "text"
    );
    sound(&db).await;
}

#[derive(DbModel, Debug, Clone, Default, PartialEq)]
#[sqliter(table_name = "books")]
struct NumericNote {
    pk: i64,
    created_at: i64,
    updated_at: i64,
    title: String,
    year: i32,
    note: Option<i64>,
}

async fn a_lossy_type_change_is_refused_without_the_opt_in<D: Door>() {
    let (db, before): (D, _) = v1_file().await;
    db.raw("UPDATE books SET note = '42' WHERE pk = 2").await;
    let err = db
        .migrate::<NumericNote>(MigrateOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::MigrationRefused { column, rows: 2, sample_pks, .. }
            if column == "note" && sample_pks == &[before[0].pk, before[2].pk]),
        "'sf' and 'pkd' are not numbers: {err}"
    );
    assert_eq!(
        db.query_text("SELECT note FROM books WHERE pk = 2").await,
        "42"
    );
    // The dry run reports the same rows.
    let dry = db
        .migration_plan::<NumericNote>(MigrateOptions::default())
        .await
        .unwrap_err();
    assert_eq!(dry.to_string(), err.to_string());
    db.migrate::<NumericNote>(MigrateOptions::default().allow_lossy(true))
        .await
        .unwrap();
    let notes: Vec<Option<i64>> = db
        .select::<NumericNote>()
        .fetch_all()
        .await
        .unwrap()
        .into_iter()
        .map(|b| b.note)
        .collect();
    assert_eq!(
        notes,
        [Some(0), Some(42), Some(0)],
        "SQLite's CAST, as opted in"
    );
    sound(&db).await;
}

async fn a_new_required_field_without_a_default_is_refused_with_a_fix<D: Door>() {
    let (db, _): (D, _) = v1_file().await;
    let err = db
        .migrate::<Required>(MigrateOptions::default())
        .await
        .unwrap_err();
    let message = err.to_string();
    assert!(
        matches!(err, Error::MigrationRefused { ref column, rows: 3, .. } if column == "pages")
            && message.contains("default = ...")
            && message.contains("Option"),
        "{message}"
    );
    // An empty table takes it without a default.
    db.raw("DELETE FROM books").await;
    db.migrate::<Required>(MigrateOptions::default())
        .await
        .unwrap();
    assert!(db.schema_diff::<Required>().await.unwrap().is_empty());
}

async fn unique_constraints_and_indexes_are_added_by_rebuild<D: Door>() {
    let (db, before): (D, _) = v1_file().await;
    let plan = db
        .migrate::<Unique>(MigrateOptions::default())
        .await
        .unwrap();
    assert!(plan.rebuild);
    assert!(db.schema_diff::<Unique>().await.unwrap().is_empty());
    assert_eq!(
        db.select::<Unique>().count().await.unwrap(),
        before.len() as u64
    );
    let dup = db
        .insert(Unique {
            title: "Dune".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(matches!(dup, Error::RecordInsertion { .. }), "{dup:?}");
    sound(&db).await;
}

async fn a_plan_prints_its_sql_and_applies_once<D: Door>() {
    let (db, _): (D, _) = v1_file().await;
    let plan = db
        .migration_plan::<Dropped>(MigrateOptions::default().allow_drop(true))
        .await
        .unwrap();
    let printed = plan.to_string();
    for part in [
        "drop column 'note'",
        "PRAGMA foreign_keys = OFF;",
        "BEGIN IMMEDIATE;",
        "CREATE TABLE \"sqliter_new_books\"",
        "INSERT INTO \"sqliter_new_books\"",
        "DROP TABLE \"books\";",
        "ALTER TABLE \"sqliter_new_books\" RENAME TO \"books\";",
        "PRAGMA foreign_key_check;",
        "COMMIT;",
    ] {
        assert!(printed.contains(part), "{part} in:\n{printed}");
    }
    assert!(
        db.schema_diff::<BookV1>().await.unwrap().is_empty(),
        "a dry run"
    );
    let applied = db.apply_plan(&plan).await.unwrap();
    assert_eq!(applied.statements, plan.statements);
    assert!(db
        .migrate::<Dropped>(MigrateOptions::default())
        .await
        .unwrap()
        .is_empty());
}

async fn a_plan_is_refused_when_the_file_changed_since<D: Door>() {
    let (db, _): (D, _) = v1_file().await;
    let plan = db
        .migration_plan::<WithRating>(MigrateOptions::default())
        .await
        .unwrap();
    db.raw("ALTER TABLE books ADD COLUMN isbn TEXT").await;
    let err = db.apply_plan(&plan).await.unwrap_err();
    assert!(
        matches!(err, Error::Transaction(ref m) if m.contains("plan again")),
        "{err:?}"
    );
    assert_eq!(
        db.query_int("SELECT count(*) FROM pragma_table_info('books') WHERE name = 'rating'")
            .await,
        0
    );
}

async fn the_autoincrement_high_water_mark_survives_a_rebuild<D: Door>() {
    let (db, before): (D, _) = v1_file().await;
    let last = before.last().unwrap().pk;
    db.delete::<BookV1>(last).await.unwrap();
    db.migrate::<Dropped>(MigrateOptions::default().allow_drop(true))
        .await
        .unwrap();
    let new = db
        .insert(Dropped {
            title: "New".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(new.pk, last + 1, "a deleted row's pk is not reused");
}

#[derive(DbModel, Debug, Clone, Default, PartialEq)]
#[sqliter(table_name = "reviews")]
struct Review {
    pk: i64,
    #[sqliter(foreign_key = BookV1, on_delete = "CASCADE")]
    book_id: i64,
    text: String,
}

async fn rebuilding_a_parent_keeps_its_children_and_their_keys<D: Door>() {
    let (db, before): (D, _) = v1_file().await;
    db.create_table::<Review>().await.unwrap();
    for book in &before {
        db.insert(Review {
            book_id: book.pk,
            text: format!("on {}", book.title),
            ..Default::default()
        })
        .await
        .unwrap();
    }
    db.migrate::<Dropped>(MigrateOptions::default().allow_drop(true))
        .await
        .unwrap();
    assert_eq!(
        db.select::<Review>().count().await.unwrap(),
        before.len() as u64
    );
    sound(&db).await;
    // The children's keys still point at the rebuilt table: cascades work.
    db.delete::<Dropped>(before[0].pk).await.unwrap();
    assert_eq!(
        db.select::<Review>().count().await.unwrap(),
        before.len() as u64 - 1
    );
}

fn steps() -> Vec<Migration> {
    vec![
        Migration::sql("0001_upper_titles", "UPDATE books SET title = upper(title)"),
        Migration::func("0002_note_everything", |conn| {
            conn.execute("UPDATE books SET note = coalesce(note, 'n/a')", [])
                .map(drop)
        }),
    ]
}

async fn named_migrations_apply_once_in_order<D: Door>() {
    let (db, _): (D, _) = v1_file().await;
    assert_eq!(
        db.run_migrations(steps()).await.unwrap(),
        ["0001_upper_titles", "0002_note_everything"]
    );
    assert!(
        db.run_migrations(steps()).await.unwrap().is_empty(),
        "re-running is a no-op"
    );
    let books = db.select::<BookV1>().fetch_all().await.unwrap();
    assert_eq!(
        books[1].title, "EMMA",
        "applied once: upper() is idempotent, so check the record"
    );
    assert_eq!(
        db.query_int("SELECT count(*) FROM sqliter_migrations")
            .await,
        2
    );
    assert_eq!(books[1].note.as_deref(), Some("n/a"));
    // A later step joins the list.
    let mut more = steps();
    more.push(Migration::sql(
        "0003_lower",
        "UPDATE books SET title = lower(title)",
    ));
    assert_eq!(db.run_migrations(more).await.unwrap(), ["0003_lower"]);
    assert_eq!(
        db.select::<BookV1>().fetch_all().await.unwrap()[1].title,
        "emma"
    );
}

async fn an_unknown_recorded_migration_applies_nothing<D: Door>() {
    let (db, _): (D, _) = v1_file().await;
    db.run_migrations(steps()).await.unwrap();
    let renamed = vec![
        Migration::sql("0001_renamed", "UPDATE books SET title = 'x'"),
        Migration::sql("0003_new", "UPDATE books SET title = 'y'"),
    ];
    let err = db.run_migrations(renamed).await.unwrap_err();
    assert!(
        matches!(err, Error::UnknownMigration { ref name, .. } if name == "0001_upper_titles"),
        "{err:?}"
    );
    assert_eq!(
        db.query_int("SELECT count(*) FROM books WHERE title IN ('x', 'y')")
            .await,
        0
    );
}

async fn a_failing_migration_rolls_back_alone<D: Door>() {
    let (db, _): (D, _) = v1_file().await;
    let failing = vec![
        Migration::sql("0001_ok", "UPDATE books SET year = year + 1"),
        Migration::sql(
            "0002_broken",
            "UPDATE books SET year = 0; SELECT * FROM no_such_table",
        ),
    ];
    let err = db.run_migrations(failing).await.unwrap_err();
    assert!(
        matches!(err, Error::MigrationFailed { ref name, .. } if name == "0002_broken"),
        "{err:?}"
    );
    assert_eq!(
        db.query_int("SELECT min(year) FROM books").await,
        1816,
        "the first kept, the second rolled back"
    );
    assert_eq!(
        db.query_int("SELECT count(*) FROM sqliter_migrations")
            .await,
        1
    );
}

// A file made by Python SQLiter 0.21: nullable columns, `db_context`, and
// an `Optional[int]` stored as TEXT ('5').
const PYTHON_DDL: &str =
    "CREATE TABLE \"py_books\" (\n            \"pk\" INTEGER PRIMARY KEY AUTOINCREMENT, \
    \"created_at\" INTEGER, \"updated_at\" INTEGER, \"db_context\" TEXT, \"title\" TEXT, \
    \"year\" INTEGER, \"price\" REAL, \"in_print\" INTEGER, \"rating\" TEXT\n        )";

#[derive(DbModel, Debug, Clone, Default, PartialEq)]
#[sqliter(table_name = "py_books")]
struct PyBook {
    pk: i64,
    created_at: i64,
    updated_at: i64,
    title: String,
    year: i32,
    price: Option<f64>,
    in_print: bool,
    rating: Option<i64>,
}

#[derive(DbModel, Debug, Clone, Default, PartialEq)]
#[sqliter(table_name = "books")]
struct Ghost {
    pk: i64,
    title: String,
    year: i32,
    note: Option<String>,
    #[sqliter(renamed_from = "subtitle")]
    tagline: Option<String>,
}

door_tests!(
    a_python_sqliter_file_migrates_to_the_models_shape,
    a_rename_from_a_column_the_file_lacks_is_refused,
    migrating_a_model_creates_its_missing_junction_table,
);

async fn a_python_sqliter_file_migrates_to_the_models_shape<D: Door>() {
    let db = D::open(DbOptions::memory()).await.unwrap();
    db.raw(PYTHON_DDL).await;
    db.raw(
        "INSERT INTO py_books (created_at, updated_at, db_context, title, year, price, in_print, rating) VALUES \
         (1700000000, 1700000001, NULL, 'Dune', 1965, 9.5, 1, '5'), \
         (1700000002, 1700000003, NULL, 'Emma', 1815, NULL, 0, NULL)",
    )
    .await;
    let diff = db.schema_diff::<PyBook>().await.unwrap();
    assert!(
        diff.changes.contains(&Change::DropColumn {
            column: "db_context".into()
        }),
        "{diff}"
    );
    assert!(
        diff.changes.contains(&Change::ChangeType {
            column: "rating",
            from: "TEXT".into(),
            to: SqlType::Integer
        }),
        "{diff}"
    );
    assert!(
        diff.changes.contains(&Change::ChangeNullability {
            column: "title",
            nullable: false
        }),
        "{diff}"
    );
    db.migrate::<PyBook>(MigrateOptions::default())
        .await
        .unwrap();
    assert!(db.schema_diff::<PyBook>().await.unwrap().is_empty());
    let books = db.select::<PyBook>().fetch_all().await.unwrap();
    assert_eq!(
        books,
        [
            PyBook {
                pk: 1,
                created_at: 1_700_000_000,
                updated_at: 1_700_000_001,
                title: "Dune".into(),
                year: 1965,
                price: Some(9.5),
                in_print: true,
                rating: Some(5)
            },
            PyBook {
                pk: 2,
                created_at: 1_700_000_002,
                updated_at: 1_700_000_003,
                title: "Emma".into(),
                year: 1815,
                price: None,
                in_print: false,
                rating: None
            },
        ]
    );
    assert_eq!(
        db.query_text("SELECT typeof(rating) FROM py_books WHERE pk = 1")
            .await,
        "integer"
    );
    // Filters now compare numbers, not text.
    assert_eq!(
        db.select::<PyBook>()
            .filter_by("rating__gt", 4)
            .count()
            .await
            .unwrap(),
        1
    );
    sound(&db).await;
}

async fn a_rename_from_a_column_the_file_lacks_is_refused<D: Door>() {
    let (db, _): (D, _) = v1_file().await;
    let err = db
        .migrate::<Ghost>(MigrateOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::MigrationRefused { column, reason, .. } if column == "tagline" && reason.contains("'subtitle'")),
        "{err:?}"
    );
}

#[derive(DbModel, Debug, Clone, Default, PartialEq)]
#[sqliter(table_name = "labels")]
struct Label {
    pk: i64,
    name: String,
}

#[derive(DbModel, Debug, Clone, Default)]
#[sqliter(table_name = "books")]
struct Labelled {
    pk: i64,
    created_at: i64,
    updated_at: i64,
    title: String,
    year: i32,
    note: Option<String>,
    labels: sqliter_core::ManyToMany<Label>,
}

async fn migrating_a_model_creates_its_missing_junction_table<D: Door>() {
    let (db, _): (D, _) = v1_file().await;
    db.create_table::<Label>().await.unwrap();
    let diff = db.schema_diff::<Labelled>().await.unwrap();
    assert_eq!(
        diff.changes,
        [Change::CreateJunction {
            table: "books_labels"
        }]
    );
    db.migrate::<Labelled>(MigrateOptions::default())
        .await
        .unwrap();
    assert_eq!(
        db.query_int("SELECT count(*) FROM sqlite_master WHERE name = 'books_labels'")
            .await,
        1
    );
    assert!(db.schema_diff::<Labelled>().await.unwrap().is_empty());
}

/// Two connections (as two processes would) run the same list at once:
/// each step is applied exactly once.
#[test]
fn two_connections_apply_each_named_migration_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("race.db").to_string_lossy().into_owned();
    let db = sqliter_core::SqliterDB::open(path.clone()).unwrap();
    db.with_connection(|c| {
        c.execute_batch("CREATE TABLE counter (n INTEGER); INSERT INTO counter VALUES (0)")
    })
    .unwrap()
    .unwrap();
    let steps: Vec<Migration> = (0..20)
        .map(|i| Migration::sql(format!("{i:04}_bump"), "UPDATE counter SET n = n + 1"))
        .collect();
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let (path, steps) = (path.clone(), steps.clone());
            std::thread::spawn(move || {
                let db = sqliter_core::SqliterDB::open(path).unwrap();
                db.run_migrations(&steps).unwrap().len()
            })
        })
        .collect();
    let applied: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(applied, 20, "each step applied by one of them");
    let n: i64 = db
        .with_connection(|c| c.query_row("SELECT n FROM counter", [], |r| r.get(0)))
        .unwrap()
        .unwrap();
    assert_eq!(n, 20);
}

#[derive(DbModel, Debug, Clone, Default, PartialEq)]
#[sqliter(table_name = "reviews")]
struct ReviewV2 {
    pk: i64,
    #[sqliter(foreign_key = BookV1, on_delete = "CASCADE")]
    book_id: i64,
    text: String,
    #[sqliter(default = 0)]
    stars: i32,
    #[sqliter(unique)]
    code: Option<String>,
}

door_tests!(a_rebuild_that_would_break_foreign_keys_changes_nothing);

async fn a_rebuild_that_would_break_foreign_keys_changes_nothing<D: Door>() {
    let (db, _): (D, _) = v1_file().await;
    db.create_table::<Review>().await.unwrap();
    // An orphan written behind the library's back, with enforcement off.
    db.raw("PRAGMA foreign_keys = OFF; INSERT INTO reviews (book_id, text) VALUES (999, 'orphan'); PRAGMA foreign_keys = ON")
        .await;
    let err = db
        .migrate::<ReviewV2>(MigrateOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::MigrationRefused { table, reason, .. } if table == "reviews" && reason.contains("foreign key")),
        "{err:?}"
    );
    assert_eq!(
        db.query_int("SELECT count(*) FROM pragma_table_info('reviews') WHERE name = 'stars'")
            .await,
        0,
        "rolled back"
    );
    assert_eq!(db.query_int("SELECT count(*) FROM reviews").await, 1);
    assert_eq!(
        db.query_int("PRAGMA foreign_keys").await,
        1,
        "enforcement is back on"
    );
}

/// The table was called `old_books` last year.
#[derive(DbModel, Debug, Clone, Default, PartialEq)]
#[sqliter(table_name = "volumes", renamed_from = "books")]
struct Volume {
    pk: i64,
    created_at: i64,
    updated_at: i64,
    title: String,
    year: i32,
    note: Option<String>,
}

#[derive(DbModel, Debug, Clone, Default, PartialEq)]
#[sqliter(table_name = "books")]
struct Audited {
    pk: i64,
    created_at: i64,
    updated_at: i64,
    title: String,
    year: i32,
    #[sqliter(default = "")]
    note: String,
}

door_tests!(
    a_renamed_table_keeps_its_rows,
    a_rebuild_recreates_the_tables_triggers,
);

async fn a_renamed_table_keeps_its_rows<D: Door>() {
    let (db, before): (D, _) = v1_file().await;
    let diff = db.schema_diff::<Volume>().await.unwrap();
    assert_eq!(
        diff.changes,
        [Change::RenameTable {
            from: "books".into()
        }]
    );
    db.migrate::<Volume>(MigrateOptions::default())
        .await
        .unwrap();
    let after = db.select::<Volume>().fetch_all().await.unwrap();
    let titles: Vec<&str> = after.iter().map(|v| v.title.as_str()).collect();
    let old: Vec<&str> = before.iter().map(|b| b.title.as_str()).collect();
    assert_eq!(titles, old);
    assert_eq!(
        db.query_int("SELECT count(*) FROM sqlite_master WHERE name = 'books'")
            .await,
        0
    );
    sound(&db).await;
}

async fn a_rebuild_recreates_the_tables_triggers<D: Door>() {
    let (db, _): (D, _) = v1_file().await;
    db.raw(
        "CREATE TABLE audit (title TEXT); \
         CREATE TRIGGER books_audit AFTER INSERT ON books BEGIN INSERT INTO audit VALUES (new.title); END",
    )
    .await;
    let plan = db
        .migrate::<Audited>(MigrateOptions::default())
        .await
        .unwrap();
    assert!(plan.rebuild, "NOT NULL on `note` needs the rebuild");
    db.insert(Audited {
        title: "After".into(),
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(
        db.query_int("SELECT count(*) FROM audit WHERE title = 'After'")
            .await,
        1
    );
}

async fn a_new_index_is_created_in_place_by_migrate_and_by_create_table<D: Door>() {
    let names = "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'books' AND name LIKE 'idx_%' ORDER BY name)";
    let (db, before): (D, _) = v1_file().await;
    let diff = db.schema_diff::<Indexed>().await.unwrap();
    assert_eq!(
        diff.changes,
        [
            Change::AddIndex {
                name: "idx_books_title_year".into()
            },
            Change::AddIndex {
                name: "idx_books_title_unique".into()
            },
        ]
    );
    let plan = db
        .migrate::<Indexed>(MigrateOptions::default())
        .await
        .unwrap();
    assert!(!plan.rebuild, "an index is added in place");
    assert_eq!(
        db.query_text(names).await,
        "idx_books_title_unique idx_books_title_year"
    );
    assert!(db.schema_diff::<Indexed>().await.unwrap().is_empty());
    assert_eq!(
        db.select::<Indexed>().count().await.unwrap(),
        before.len() as u64
    );
    // `create_table` over the existing table adds missing indexes too.
    let (db, _): (D, _) = v1_file().await;
    db.create_table::<Indexed>().await.unwrap();
    assert_eq!(
        db.query_text(names).await,
        "idx_books_title_unique idx_books_title_year"
    );
    sound(&db).await;
}
