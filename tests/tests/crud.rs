//! insert, bulk_insert, get, update, delete and the errors they raise, on
//! both doors.

use std::sync::{Arc, Mutex};

use sqliter_core::{DbModel, DbOptions, Error, InsertOptions, Logger};
use sqliter_tests::{door_tests, Door};

#[derive(DbModel, Debug, Clone, Default, PartialEq)]
struct Author {
    pk: i64,
    created_at: i64,
    updated_at: i64,
    name: String,
    #[sqliter(unique)]
    email: String,
}

#[derive(DbModel, Debug, Clone, Default, PartialEq)]
struct Book {
    pk: i64,
    title: String,
    #[sqliter(foreign_key = Author)]
    author_id: i64,
}

fn author(name: &str) -> Author {
    Author {
        name: name.into(),
        email: format!("{name}@example.org"),
        ..Default::default()
    }
}

async fn db<D: Door>() -> D {
    let db = D::memory_with::<Author>().await;
    db.create_table::<Book>().await.unwrap();
    db
}

fn now() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

door_tests!(
    a_failing_begin_in_bulk_insert_is_record_insertion,
    insert_sets_pk_and_equal_timestamps,
    insert_keeps_an_explicit_pk_and_continues_after_it,
    insert_replaces_caller_timestamps_unless_overridden,
    duplicate_unique_value_is_record_insertion_naming_the_table,
    missing_parent_is_a_foreign_key_error_on_insert_and_update,
    deleting_a_referenced_parent_is_refused_by_restrict,
    get_returns_none_for_a_missing_pk,
    get_from_a_missing_table_is_record_fetch,
    update_writes_fields_bumps_updated_at_and_keeps_created_at,
    update_of_a_missing_record_is_record_not_found,
    update_to_a_duplicate_unique_value_is_record_update,
    delete_removes_the_row_and_a_missing_pk_is_record_not_found,
    delete_from_a_missing_table_is_record_deletion,
    bulk_insert_assigns_pks_and_timestamps,
    bulk_insert_of_nothing_runs_no_sql,
    bulk_insert_failing_at_row_three_inserts_nothing_and_leaves_records_untouched,
    bulk_insert_keeps_overridden_timestamps,
    update_writes_only_the_columns_that_changed,
    update_with_nothing_changed_still_bumps_updated_at,
    update_leaves_the_row_equal_to_the_record,
    update_reads_the_row_only_when_an_indexed_field_changed,
    update_writes_a_unique_value_that_differs_only_in_case,
    update_fields_writes_only_the_named_fields,
    update_fields_refuses_unknown_and_reserved_fields,
);

/// A trigger on `UPDATE OF author_id` counts the saves that wrote the key.
async fn key_writes<D: Door>(db: &D) -> i64 {
    db.query_int("SELECT COUNT(*) FROM key_writes").await
}

async fn with_key_trigger<D: Door>() -> (D, Book) {
    let db = db::<D>().await;
    db.raw(
        "CREATE TABLE key_writes (n INTEGER); \
         CREATE TRIGGER books_key AFTER UPDATE OF author_id ON books BEGIN INSERT INTO key_writes VALUES (1); END;",
    )
    .await;
    let ann = db.insert(author("ann")).await.unwrap();
    let book = db
        .insert(Book {
            title: "Dune".into(),
            author_id: ann.pk,
            ..Default::default()
        })
        .await
        .unwrap();
    (db, book)
}

async fn update_writes_only_the_columns_that_changed<D: Door>() {
    let (db, mut book) = with_key_trigger::<D>().await;
    book.title = "Dune Messiah".into();
    db.update(&mut book).await.unwrap();
    assert_eq!(key_writes(&db).await, 0, "an unchanged key was written");
    assert_eq!(
        db.get::<Book>(book.pk).await.unwrap().unwrap().title,
        "Dune Messiah"
    );
    let bob = db.insert(author("bob")).await.unwrap();
    book.author_id = bob.pk;
    db.update(&mut book).await.unwrap();
    assert_eq!(key_writes(&db).await, 1);
    assert_eq!(db.get::<Book>(book.pk).await.unwrap().unwrap(), book);
}

/// Columns changed behind the record's back (an indexed one and a plain
/// one) are written back: after `update` the row is the record.
async fn update_leaves_the_row_equal_to_the_record<D: Door>() {
    let (db, mut book) = with_key_trigger::<D>().await;
    let bob = db.insert(author("bob")).await.unwrap();
    db.raw(&format!(
        "UPDATE books SET title = 'Changed elsewhere' WHERE pk = {}",
        book.pk
    ))
    .await;
    db.update(&mut book).await.unwrap();
    assert_eq!(db.get::<Book>(book.pk).await.unwrap().unwrap(), book);
    assert_eq!(key_writes(&db).await, 0, "an unchanged key was written");
    db.raw(&format!(
        "UPDATE books SET author_id = {}, title = 'Again' WHERE pk = {}",
        bob.pk, book.pk
    ))
    .await;
    db.update(&mut book).await.unwrap();
    assert_eq!(db.get::<Book>(book.pk).await.unwrap().unwrap(), book);
}

/// An unchanged key (the common save) is one statement; a changed one is
/// compared with the stored row first, so only a moved value is written.
async fn update_reads_the_row_only_when_an_indexed_field_changed<D: Door>() {
    let (options, selects) = sqliter_tests::counting_selects(DbOptions::memory());
    let db = D::open(options).await.unwrap();
    db.create_table::<Author>().await.unwrap();
    db.create_table::<Book>().await.unwrap();
    let ann = db.insert(author("ann")).await.unwrap();
    let bob = db.insert(author("bob")).await.unwrap();
    let mut book = db
        .insert(Book {
            title: "Dune".into(),
            author_id: ann.pk,
            ..Default::default()
        })
        .await
        .unwrap();
    let before = selects.load(std::sync::atomic::Ordering::SeqCst);
    book.title = "Dune Messiah".into();
    db.update(&mut book).await.unwrap();
    assert_eq!(selects.load(std::sync::atomic::Ordering::SeqCst), before);
    book.author_id = bob.pk;
    db.update(&mut book).await.unwrap();
    assert_eq!(
        selects.load(std::sync::atomic::Ordering::SeqCst),
        before + 1
    );
    assert_eq!(db.get::<Book>(book.pk).await.unwrap().unwrap(), book);
}

/// The unique column compares under `NOCASE` in this file: the save must
/// not take "Ann@…" for the stored "ann@…" and skip it.
async fn update_writes_a_unique_value_that_differs_only_in_case<D: Door>() {
    let db = D::open(DbOptions::memory()).await.unwrap();
    db.raw(
        "CREATE TABLE authors (pk INTEGER PRIMARY KEY AUTOINCREMENT, created_at INTEGER NOT NULL, \
         updated_at INTEGER NOT NULL, name TEXT NOT NULL, email TEXT NOT NULL UNIQUE COLLATE NOCASE)",
    )
    .await;
    let mut ann = db.insert(author("ann")).await.unwrap();
    ann.email = "Ann@example.org".into();
    db.update(&mut ann).await.unwrap();
    assert_eq!(
        db.get::<Author>(ann.pk).await.unwrap().unwrap().email,
        "Ann@example.org"
    );
}

async fn update_with_nothing_changed_still_bumps_updated_at<D: Door>() {
    let db = db::<D>().await;
    let mut a = db.insert(author("ann")).await.unwrap();
    db.raw(&format!(
        "UPDATE authors SET updated_at = 5 WHERE pk = {}",
        a.pk
    ))
    .await;
    db.update(&mut a).await.unwrap();
    let stored = db.get::<Author>(a.pk).await.unwrap().unwrap();
    assert!(stored.updated_at > 5, "{}", stored.updated_at);
    assert_eq!(stored.updated_at, a.updated_at);
}

async fn update_fields_writes_only_the_named_fields<D: Door>() {
    let (db, mut book) = with_key_trigger::<D>().await;
    let bob = db.insert(author("bob")).await.unwrap();
    book.title = "Changed".into();
    book.author_id = bob.pk;
    db.update_fields(&mut book, &["title"]).await.unwrap();
    let stored = db.get::<Book>(book.pk).await.unwrap().unwrap();
    assert_eq!(stored.title, "Changed");
    assert_ne!(stored.author_id, bob.pk, "a field not named was written");
    assert_eq!(key_writes(&db).await, 0);
    db.update_fields(&mut book, &["author_id", "title"])
        .await
        .unwrap();
    assert_eq!(
        db.get::<Book>(book.pk).await.unwrap().unwrap().author_id,
        bob.pk
    );
}

async fn update_fields_refuses_unknown_and_reserved_fields<D: Door>() {
    let db = db::<D>().await;
    let mut a = db.insert(author("ann")).await.unwrap();
    a.name = "Changed".into();
    for (field, says) in [
        ("nope", "no field 'nope'"),
        ("pk", "pk"),
        ("created_at", "created_at"),
    ] {
        let err = db.update_fields(&mut a, &[field]).await.unwrap_err();
        assert!(
            matches!(&err, Error::InvalidUpdate(m) if m.contains(says) && m.contains("Author")),
            "{field}: {err:?}"
        );
    }
    assert_eq!(
        db.get::<Author>(a.pk).await.unwrap().unwrap().name,
        "ann",
        "a refused update wrote"
    );
    let mut ghost = Author {
        pk: 999,
        ..author("ghost")
    };
    let err = db.update_fields(&mut ghost, &["name"]).await.unwrap_err();
    assert!(matches!(err, Error::RecordNotFound { .. }), "{err:?}");
}

async fn insert_sets_pk_and_equal_timestamps<D: Door>() {
    let db = db::<D>().await;
    let before = now();
    let a = db.insert(author("ann")).await.unwrap();
    let b = db.insert(author("bob")).await.unwrap();
    assert_eq!((a.pk, b.pk), (1, 2));
    assert_eq!(a.created_at, a.updated_at);
    assert!(a.created_at >= before && a.created_at <= now());
    assert_eq!(db.get::<Author>(a.pk).await.unwrap().unwrap(), a);
}

async fn insert_keeps_an_explicit_pk_and_continues_after_it<D: Door>() {
    let db = db::<D>().await;
    let a = db
        .insert(Author {
            pk: 100,
            ..author("ann")
        })
        .await
        .unwrap();
    let b = db.insert(author("bob")).await.unwrap();
    assert_eq!((a.pk, b.pk), (100, 101));
}

async fn insert_replaces_caller_timestamps_unless_overridden<D: Door>() {
    let db = db::<D>().await;
    let plain = db
        .insert(Author {
            created_at: 111,
            updated_at: 222,
            ..author("ann")
        })
        .await
        .unwrap();
    assert!(plain.created_at > 1_000_000);
    let kept = db
        .insert_with(
            Author {
                created_at: 111,
                updated_at: 0,
                ..author("bob")
            },
            InsertOptions {
                timestamp_override: true,
            },
        )
        .await
        .unwrap();
    assert_eq!(kept.created_at, 111);
    assert!(
        kept.updated_at >= plain.created_at,
        "zero is replaced by now"
    );
    assert_eq!(
        db.get::<Author>(kept.pk).await.unwrap().unwrap().created_at,
        111
    );
}

async fn duplicate_unique_value_is_record_insertion_naming_the_table<D: Door>() {
    let db = db::<D>().await;
    db.insert(author("ann")).await.unwrap();
    let err = db.insert(author("ann")).await.unwrap_err();
    assert!(
        matches!(err, Error::RecordInsertion { ref table, .. } if table == "authors"),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "failed to insert record into table 'authors': UNIQUE constraint failed: authors.email",
        "the message says why"
    );
    let mut bob = db.insert(author("bob")).await.unwrap();
    bob.email = author("ann").email;
    let err = db.update(&mut bob).await.unwrap_err();
    assert!(
        err.to_string()
            .ends_with(": UNIQUE constraint failed: authors.email"),
        "{err}"
    );
    let err = db
        .insert(Author {
            pk: 1,
            ..author("other")
        })
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::RecordInsertion { .. }),
        "duplicate pk: {err:?}"
    );
}

async fn missing_parent_is_a_foreign_key_error_on_insert_and_update<D: Door>() {
    let db = db::<D>().await;
    let err = db
        .insert(Book {
            title: "x".into(),
            author_id: 42,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::ForeignKeyConstraint { ref table, operation: "insert", .. } if table == "books"),
        "{err:?}"
    );
    let a = db.insert(author("ann")).await.unwrap();
    let mut book = db
        .insert(Book {
            title: "x".into(),
            author_id: a.pk,
            ..Default::default()
        })
        .await
        .unwrap();
    book.author_id = 42;
    let err = db.update(&mut book).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::ForeignKeyConstraint {
                operation: "update",
                ..
            }
        ),
        "{err:?}"
    );
}

async fn deleting_a_referenced_parent_is_refused_by_restrict<D: Door>() {
    let db = db::<D>().await;
    let a = db.insert(author("ann")).await.unwrap();
    db.insert(Book {
        title: "x".into(),
        author_id: a.pk,
        ..Default::default()
    })
    .await
    .unwrap();
    let err = db.delete::<Author>(a.pk).await.unwrap_err();
    assert!(
        matches!(err, Error::ForeignKeyConstraint { ref table, operation: "delete", .. } if table == "authors"),
        "{err:?}"
    );
    assert!(db.get::<Author>(a.pk).await.unwrap().is_some());
}

async fn get_returns_none_for_a_missing_pk<D: Door>() {
    let db = db::<D>().await;
    assert_eq!(db.get::<Author>(1).await.unwrap(), None);
    assert_eq!(db.get::<Author>(0).await.unwrap(), None);
}

async fn get_from_a_missing_table_is_record_fetch<D: Door>() {
    let db = D::open(DbOptions::memory()).await.unwrap();
    let err = db.get::<Author>(1).await.unwrap_err();
    assert!(
        matches!(err, Error::RecordFetch { ref table, .. } if table == "authors"),
        "{err:?}"
    );
}

async fn update_writes_fields_bumps_updated_at_and_keeps_created_at<D: Door>() {
    let db = db::<D>().await;
    let mut a = db.insert(author("ann")).await.unwrap();
    db.raw("UPDATE authors SET created_at = 5, updated_at = 6")
        .await;
    a.name = "Ann".into();
    a.created_at = 0; // a stale or hand-built value must not be written back
    let before = now();
    db.update(&mut a).await.unwrap();
    assert!(a.updated_at >= before);
    let stored = db.get::<Author>(a.pk).await.unwrap().unwrap();
    assert_eq!(stored.name, "Ann");
    assert_eq!(stored.created_at, 5);
    assert_eq!(stored.updated_at, a.updated_at);
}

async fn update_of_a_missing_record_is_record_not_found<D: Door>() {
    let db = db::<D>().await;
    let mut ghost = Author {
        pk: 99_999,
        ..author("ghost")
    };
    let err = db.update(&mut ghost).await.unwrap_err();
    assert!(
        matches!(err, Error::RecordNotFound { ref table, key: 99_999 } if table == "authors"),
        "{err:?}"
    );
    let mut unsaved = author("new");
    assert!(matches!(
        db.update(&mut unsaved).await.unwrap_err(),
        Error::RecordNotFound { key: 0, .. }
    ));
}

async fn update_to_a_duplicate_unique_value_is_record_update<D: Door>() {
    let db = db::<D>().await;
    db.insert(author("ann")).await.unwrap();
    let mut bob = db.insert(author("bob")).await.unwrap();
    bob.email = "ann@example.org".into();
    let err = db.update(&mut bob).await.unwrap_err();
    assert!(
        matches!(err, Error::RecordUpdate { ref table, .. } if table == "authors"),
        "{err:?}"
    );
}

async fn delete_removes_the_row_and_a_missing_pk_is_record_not_found<D: Door>() {
    let db = db::<D>().await;
    let a = db.insert(author("ann")).await.unwrap();
    db.delete::<Author>(a.pk).await.unwrap();
    assert_eq!(db.get::<Author>(a.pk).await.unwrap(), None);
    let err = db.delete::<Author>(a.pk).await.unwrap_err();
    assert!(
        matches!(err, Error::RecordNotFound { ref table, key } if table == "authors" && key == a.pk),
        "{err:?}"
    );
}

async fn delete_from_a_missing_table_is_record_deletion<D: Door>() {
    let db = D::open(DbOptions::memory()).await.unwrap();
    let err = db.delete::<Author>(1).await.unwrap_err();
    assert!(
        matches!(err, Error::RecordDeletion { ref table, .. } if table == "authors"),
        "{err:?}"
    );
}

async fn bulk_insert_assigns_pks_and_timestamps<D: Door>() {
    let db = db::<D>().await;
    let mut authors = vec![author("a"), author("b"), author("c")];
    db.bulk_insert(&mut authors).await.unwrap();
    assert_eq!(authors.iter().map(|a| a.pk).collect::<Vec<_>>(), [1, 2, 3]);
    assert!(authors
        .iter()
        .all(|a| a.created_at > 0 && a.created_at == a.updated_at));
    assert_eq!(db.get::<Author>(3).await.unwrap().unwrap(), authors[2]);
}

async fn bulk_insert_of_nothing_runs_no_sql<D: Door>() {
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = Arc::clone(&lines);
    let logger = Logger::new(move |l| sink.lock().unwrap().push(l.to_owned()));
    let db = D::open(DbOptions::memory().debug(true).logger(logger))
        .await
        .unwrap();
    db.create_table::<Author>().await.unwrap();
    lines.lock().unwrap().clear();
    db.bulk_insert::<Author>(&mut []).await.unwrap();
    assert!(
        lines.lock().unwrap().is_empty(),
        "{:?}",
        lines.lock().unwrap()
    );
}

async fn bulk_insert_failing_at_row_three_inserts_nothing_and_leaves_records_untouched<D: Door>() {
    let db = db::<D>().await;
    db.insert(author("taken")).await.unwrap();
    let mut batch = vec![author("a"), author("b"), author("taken"), author("d")];
    let before = batch.clone();
    let err = db.bulk_insert(&mut batch).await.unwrap_err();
    assert!(matches!(err, Error::RecordInsertion { .. }), "{err:?}");
    assert_eq!(
        batch, before,
        "no pk or timestamp from the rolled-back rows"
    );
    assert_eq!(db.query_int("SELECT count(*) FROM authors").await, 1);
    // The rolled-back rows did not consume pks either.
    assert_eq!(db.insert(author("e")).await.unwrap().pk, 2);
}

async fn bulk_insert_keeps_overridden_timestamps<D: Door>() {
    let db = db::<D>().await;
    let mut batch = vec![
        Author {
            created_at: 1000,
            updated_at: 2000,
            ..author("a")
        },
        author("b"),
    ];
    db.bulk_insert_with(
        &mut batch,
        InsertOptions {
            timestamp_override: true,
        },
    )
    .await
    .unwrap();
    assert_eq!((batch[0].created_at, batch[0].updated_at), (1000, 2000));
    assert!(batch[1].created_at > 2000);
}

#[test]
fn bulk_insert_inside_a_transaction_rolls_back_with_it() {
    let db = sqliter_core::SqliterDB::open_in_memory().unwrap();
    db.create_table::<Author>().unwrap();
    let tx = db.begin().unwrap();
    let mut batch = vec![author("a"), author("b")];
    db.bulk_insert(&mut batch).unwrap();
    tx.rollback().unwrap();
    assert_eq!(
        sqliter_tests::query_int(&db, "SELECT count(*) FROM authors"),
        0
    );
}

async fn a_failing_begin_in_bulk_insert_is_record_insertion<D: Door>() {
    let db = db::<D>().await;
    // A read-only connection refuses `BEGIN IMMEDIATE` itself.
    db.raw("PRAGMA query_only = 1").await;
    let mut authors = vec![author("ann"), author("bob")];
    let err = db.bulk_insert(&mut authors).await.unwrap_err();
    assert!(
        matches!(err, Error::RecordInsertion { ref table, .. } if table == "authors"),
        "{err:?}"
    );
    let source = std::error::Error::source(&err).map(ToString::to_string);
    assert!(
        source.as_deref().is_some_and(|s| s.contains("readonly")),
        "SQLite's reason kept as the source: {source:?}"
    );
    assert_eq!(authors[0].pk, 0, "records untouched");
}
