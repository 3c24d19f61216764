//! Construction options, properties, close/reconnect and debug logging;
//! behaviour shared by both doors runs on both.

use std::sync::{Arc, Mutex};

use sqliter_core::{DbModel, DbOptions, Error, Logger, SqliterDB};
use sqliter_tests::{door_tests, Door};

#[derive(DbModel, Debug, Clone, Default, PartialEq)]
struct User {
    pk: i64,
    name: String,
    score: Option<f64>,
}

door_tests!(
    a_file_name_or_memory_is_required,
    a_fresh_database_connects_on_first_use,
    memory_wins_over_a_file_name_and_colon_memory_means_memory,
    foreign_keys_are_enforced_on_every_connection,
    close_twice_is_fine_and_the_next_operation_reconnects_to_the_file,
    closing_a_memory_database_discards_its_data,
    debug_logs_each_statement_with_its_bound_values,
    nothing_is_logged_without_debug,
);

async fn a_file_name_or_memory_is_required<D: Door>() {
    for options in [DbOptions::default(), DbOptions::file("")] {
        assert!(matches!(
            D::open(options).await,
            Err(Error::InvalidOptions(_))
        ));
    }
}

async fn a_fresh_database_connects_on_first_use<D: Door>() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lazy.db");
    let db = D::open(DbOptions::file(path.to_string_lossy()))
        .await
        .unwrap();
    assert!(!db.is_connected(), "{}: connected before any use", D::NAME);
    assert!(
        !path.exists(),
        "{}: the file is created on first use",
        D::NAME
    );
    assert!(db.table_names().await.unwrap().is_empty());
    assert!(db.is_connected());
    assert!(path.exists());
}

async fn memory_wins_over_a_file_name_and_colon_memory_means_memory<D: Door>() {
    let mut options = DbOptions::file("ignored.db");
    options.memory = true;
    for db in [
        D::open(options).await.unwrap(),
        D::open(DbOptions::file(":memory:")).await.unwrap(),
    ] {
        assert!(db.is_memory());
        assert_eq!(db.filename(), None);
        assert_eq!(db.db_filename(), ":memory:");
    }
    assert!(!std::path::Path::new("ignored.db").exists());
}

#[test]
fn properties_reflect_the_options() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.db").to_string_lossy().into_owned();
    let db = SqliterDB::new(
        DbOptions::file(path.clone())
            .auto_commit(false)
            .debug(true)
            .return_local_time(false)
            .logger(Logger::new(|_| {})),
    )
    .unwrap();
    assert_eq!(db.filename(), Some(path.as_str()));
    assert_eq!(db.db_filename(), path);
    assert!(!db.is_memory());
    assert!(!db.is_autocommit());
    assert!(db.debug());
    assert!(db.logger().is_some());
    assert!(!db.return_local_time());
    assert!(!db.is_connected());
    assert!(!db.in_transaction());
}

async fn foreign_keys_are_enforced_on_every_connection<D: Door>() {
    let db = D::open(DbOptions::memory()).await.unwrap();
    assert_eq!(db.query_int("PRAGMA foreign_keys").await, 1);
    db.close().await.unwrap();
    assert_eq!(db.query_int("PRAGMA foreign_keys").await, 1);
}

async fn close_twice_is_fine_and_the_next_operation_reconnects_to_the_file<D: Door>() {
    let dir = tempfile::tempdir().unwrap();
    let db = D::open(DbOptions::file(dir.path().join("c.db").to_string_lossy()))
        .await
        .unwrap();
    db.create_table::<User>().await.unwrap();
    let u = db
        .insert(User {
            name: "ann".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    db.close().await.unwrap();
    db.close().await.unwrap();
    assert!(!db.is_connected());
    assert_eq!(db.get::<User>(u.pk).await.unwrap(), Some(u));
    assert!(db.is_connected());
}

async fn closing_a_memory_database_discards_its_data<D: Door>() {
    let db = D::memory_with::<User>().await;
    db.insert(User::default()).await.unwrap();
    db.close().await.unwrap();
    let err = db.get::<User>(1).await.unwrap_err();
    assert!(matches!(err, Error::RecordFetch { .. }), "{err:?}");
}

async fn logged_db<D: Door>(debug: bool) -> (D, Arc<Mutex<Vec<String>>>) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&lines);
    let logger = Logger::new(move |line| sink.lock().unwrap().push(line.to_owned()));
    let db = D::open(DbOptions::memory().debug(debug).logger(logger))
        .await
        .unwrap();
    (db, lines)
}

async fn debug_logs_each_statement_with_its_bound_values<D: Door>() {
    let (db, lines) = logged_db::<D>(true).await;
    db.create_table::<User>().await.unwrap();
    db.insert(User {
        name: "it's".into(),
        score: Some(2.5),
        ..Default::default()
    })
    .await
    .unwrap();
    db.get::<User>(1).await.unwrap();
    let lines = lines.lock().unwrap();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with(r#"Executing SQL: CREATE TABLE IF NOT EXISTS "users""#)),
        "{lines:?}"
    );
    let insert = lines
        .iter()
        .find(|l| l.contains("INSERT"))
        .expect("insert logged");
    assert!(
        insert.contains("'it''s'") && insert.contains("2.5"),
        "{insert}"
    );
    assert!(
        lines.iter().any(|l| l.ends_with(r#"WHERE "pk" = 1"#)),
        "{lines:?}"
    );
}

async fn nothing_is_logged_without_debug<D: Door>() {
    let (db, lines) = logged_db::<D>(false).await;
    db.create_table::<User>().await.unwrap();
    db.insert(User::default()).await.unwrap();
    assert!(lines.lock().unwrap().is_empty());
}

#[test]
fn two_connections_to_one_file_wait_for_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("busy.db").to_string_lossy().into_owned();
    let a = SqliterDB::open(path.clone()).unwrap();
    a.create_table::<User>().unwrap();
    let tx = a.begin().unwrap();
    a.insert(User::default()).unwrap();
    let writer = std::thread::spawn(move || {
        let b = SqliterDB::open(path).unwrap();
        b.insert(User::default()).map(|u| u.pk)
    });
    std::thread::sleep(std::time::Duration::from_millis(100));
    tx.commit().unwrap();
    assert_eq!(writer.join().unwrap().unwrap(), 2);
}
