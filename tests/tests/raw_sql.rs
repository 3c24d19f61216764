//! Raw SQL on both doors: `execute`, `query` and `query_as` with bound
//! parameters, logged like every statement, errors naming the statement,
//! one statement at a time, and the cache told about raw writes.

use std::sync::{Arc, Mutex};

use serde::Deserialize;
use sqliter_core::{DbModel, DbOptions, Error, Logger, Param};
use sqliter_tests::{door_tests, Door, Terminals};

#[derive(DbModel, Debug, Clone, Default, PartialEq)]
struct Note {
    pk: i64,
    text: String,
    stars: i32,
}

#[derive(Debug, Deserialize, PartialEq)]
struct Summary {
    text: String,
    double: i64,
}

door_tests!(
    execute_and_query_bind_their_parameters,
    several_statements_and_bad_sql_are_sql_execution_errors,
    parameters_that_cannot_be_bound_are_refused,
    a_raw_write_drops_cached_answers,
    raw_statements_are_logged_with_their_values,
);

async fn execute_and_query_bind_their_parameters<D: Door>() {
    let db = D::memory_with::<Note>().await;
    let n = db
        .execute(
            "INSERT INTO notes (text, stars) VALUES (?, ?), (?, ?)",
            vec!["a".into(), 1.into(), "it's \"quoted\"".into(), 2.into()],
        )
        .await
        .unwrap();
    assert_eq!(n, 2);
    let rows = db
        .query(
            "SELECT text, stars * 2 AS double FROM notes WHERE stars >= ? ORDER BY pk",
            vec![1.into()],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows[1].get("text").and_then(|v| v.as_str()),
        Some("it's \"quoted\"")
    );
    let typed: Vec<Summary> = db
        .query_as(
            "SELECT text, stars * 2 AS double FROM notes ORDER BY pk",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        typed[0],
        Summary {
            text: "a".into(),
            double: 2
        }
    );
    assert_eq!(db.select::<Note>().count().await.unwrap(), 2);
}

async fn several_statements_and_bad_sql_are_sql_execution_errors<D: Door>() {
    let db = D::memory_with::<Note>().await;
    let err = db
        .execute("DELETE FROM notes; DROP TABLE notes", vec![])
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::SqlExecution { ref sql, .. } if sql.contains("DROP TABLE")),
        "{err:?}"
    );
    assert_eq!(
        db.query_int("SELECT count(*) FROM sqlite_master WHERE name = 'notes'")
            .await,
        1
    );
    let err = db
        .query("SELECT nope FROM notes", vec![])
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::SqlExecution { ref sql, .. } if sql == "SELECT nope FROM notes"),
        "{err:?}"
    );
}

async fn parameters_that_cannot_be_bound_are_refused<D: Door>() {
    let db = D::memory_with::<Note>().await;
    let err = db
        .execute(
            "INSERT INTO notes (text, stars) VALUES (?, ?)",
            vec!["a".into(), vec![1, 2].into()],
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidParameter { index: 2, .. }),
        "{err:?}"
    );
    let err = db
        .execute(
            "INSERT INTO notes (text, stars) VALUES (?, ?)",
            vec!["a".into()],
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidParameter { ref reason, .. } if reason.contains("2 parameters")),
        "{err:?}"
    );
    let err = db
        .query("SELECT ?", vec![Param::from(f64::NAN)])
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidParameter { index: 1, .. }),
        "{err:?}"
    );
    assert_eq!(db.select::<Note>().count().await.unwrap(), 0);
}

async fn a_raw_write_drops_cached_answers<D: Door>() {
    let db = D::open(DbOptions::memory().cache(true)).await.unwrap();
    db.create_table::<Note>().await.unwrap();
    assert_eq!(db.select::<Note>().count().await.unwrap(), 0);
    db.execute(
        "INSERT INTO notes (text, stars) VALUES ('x', 1)",
        Vec::<Param>::new(),
    )
    .await
    .unwrap();
    assert_eq!(
        db.select::<Note>().count().await.unwrap(),
        1,
        "not the cached 0"
    );
    // A read keeps the cache.
    db.query("SELECT count(*) FROM notes", vec![])
        .await
        .unwrap();
    db.select::<Note>().count().await.unwrap();
    assert_eq!(db.get_cache_stats().hits, 1);
}

async fn raw_statements_are_logged_with_their_values<D: Door>() {
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen = Arc::clone(&lines);
    let db = D::open(
        DbOptions::memory()
            .debug(true)
            .logger(Logger::new(move |l| {
                seen.lock().unwrap().push(l.to_owned());
            })),
    )
    .await
    .unwrap();
    db.create_table::<Note>().await.unwrap();
    db.execute(
        "INSERT INTO notes (text, stars) VALUES (?, ?)",
        vec!["logged".into(), 5.into()],
    )
    .await
    .unwrap();
    let lines = lines.lock().unwrap();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("INSERT INTO notes (text, stars) VALUES ('logged', 5)")),
        "{lines:?}"
    );
}
