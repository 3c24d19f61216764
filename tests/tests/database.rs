//! Construction options, properties, close/reconnect and debug logging.

use std::sync::{Arc, Mutex};

use sqliter_core::{DbModel, DbOptions, Error, Logger, SqliterDB};
use sqliter_tests::query_int;

#[derive(DbModel, Debug, Clone, Default, PartialEq)]
struct User {
    pk: i64,
    name: String,
    score: Option<f64>,
}

#[test]
fn a_file_name_or_memory_is_required() {
    for options in [DbOptions::default(), DbOptions::file("")] {
        assert!(matches!(
            SqliterDB::new(options),
            Err(Error::InvalidOptions(_))
        ));
    }
}

#[test]
fn memory_wins_over_a_file_name_and_colon_memory_means_memory() {
    let mut options = DbOptions::file("ignored.db");
    options.memory = true;
    for db in [
        SqliterDB::new(options).unwrap(),
        SqliterDB::open(":memory:").unwrap(),
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
    assert!(db.is_connected());
    assert!(!db.in_transaction());
}

#[test]
fn foreign_keys_are_enforced_on_every_connection() {
    let db = SqliterDB::open_in_memory().unwrap();
    assert_eq!(query_int(&db, "PRAGMA foreign_keys"), 1);
    db.close().unwrap();
    assert_eq!(query_int(&db, "PRAGMA foreign_keys"), 1);
}

#[test]
fn close_twice_is_fine_and_the_next_operation_reconnects_to_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = SqliterDB::open(dir.path().join("c.db").to_string_lossy()).unwrap();
    db.create_table::<User>().unwrap();
    let u = db
        .insert(User {
            name: "ann".into(),
            ..Default::default()
        })
        .unwrap();
    db.close().unwrap();
    db.close().unwrap();
    assert!(!db.is_connected());
    assert_eq!(db.get::<User>(u.pk).unwrap(), Some(u));
    assert!(db.is_connected());
}

#[test]
fn closing_a_memory_database_discards_its_data() {
    let db = SqliterDB::open_in_memory().unwrap();
    db.create_table::<User>().unwrap();
    db.insert(User::default()).unwrap();
    db.close().unwrap();
    let err = db.get::<User>(1).unwrap_err();
    assert!(matches!(err, Error::RecordFetch { .. }), "{err:?}");
}

fn logged_db() -> (SqliterDB, Arc<Mutex<Vec<String>>>) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&lines);
    let db = SqliterDB::new(
        DbOptions::memory()
            .debug(true)
            .logger(Logger::new(move |line| {
                sink.lock().unwrap().push(line.to_owned());
            })),
    )
    .unwrap();
    (db, lines)
}

#[test]
fn debug_logs_each_statement_with_its_bound_values() {
    let (db, lines) = logged_db();
    db.create_table::<User>().unwrap();
    db.insert(User {
        name: "it's".into(),
        score: Some(2.5),
        ..Default::default()
    })
    .unwrap();
    db.get::<User>(1).unwrap();
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

#[test]
fn nothing_is_logged_without_debug() {
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = Arc::clone(&lines);
    let db = SqliterDB::new(DbOptions::memory().logger(Logger::new(move |l| {
        sink.lock().unwrap().push(l.to_owned());
    })))
    .unwrap();
    db.create_table::<User>().unwrap();
    db.insert(User::default()).unwrap();
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
