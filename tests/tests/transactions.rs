//! Scoped transactions, savepoints and `auto_commit = false`.

use std::panic::{catch_unwind, AssertUnwindSafe};

use sqliter_core::{DbModel, DbOptions, Error, SqliterDB};
use sqliter_tests::query_int;

#[derive(DbModel, Debug, Clone, Default, PartialEq)]
struct Note {
    pk: i64,
    text: String,
}

fn note(text: &str) -> Note {
    Note {
        text: text.into(),
        ..Default::default()
    }
}

fn db() -> SqliterDB {
    let db = SqliterDB::open_in_memory().unwrap();
    db.create_table::<Note>().unwrap();
    db
}

fn texts(db: &SqliterDB) -> Vec<String> {
    db.with_connection(|c| {
        let mut stmt = c.prepare("SELECT text FROM notes ORDER BY pk").unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<Vec<String>, _>>()
            .unwrap()
    })
    .unwrap()
}

#[test]
fn closure_commits_on_ok() {
    let db = db();
    let pk = db
        .transaction(|db| db.insert(note("a")).map(|n| n.pk))
        .unwrap();
    assert_eq!(pk, 1);
    assert!(!db.in_transaction());
    assert_eq!(texts(&db), ["a"]);
}

#[test]
fn closure_rolls_back_on_error() {
    let db = db();
    let result: Result<(), Error> = db.transaction(|db| {
        db.insert(note("a"))?;
        db.delete::<Note>(404)
    });
    assert!(matches!(
        result,
        Err(Error::RecordNotFound { key: 404, .. })
    ));
    assert!(texts(&db).is_empty());
    assert!(!db.in_transaction());
}

#[test]
fn closure_rolls_back_on_panic() {
    let db = db();
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let _: Result<(), Error> = db.transaction(|db| {
            db.insert(note("a"))?;
            panic!("boom");
        });
    }));
    assert!(outcome.is_err());
    assert!(texts(&db).is_empty());
    assert!(!db.in_transaction());
    db.insert(note("after")).unwrap();
    assert_eq!(texts(&db), ["after"]);
}

#[test]
fn user_errors_pass_through_the_closure() {
    #[derive(Debug)]
    enum AppError {
        #[allow(dead_code)]
        Db(Error),
        Rejected,
    }
    impl From<Error> for AppError {
        fn from(e: Error) -> Self {
            Self::Db(e)
        }
    }
    let db = db();
    let result = db.transaction(|db| {
        db.insert(note("a"))?;
        Err::<(), _>(AppError::Rejected)
    });
    assert!(matches!(result, Err(AppError::Rejected)));
    assert!(texts(&db).is_empty());
}

#[test]
fn guard_rolls_back_when_dropped_and_commits_on_request() {
    let db = db();
    {
        let _tx = db.begin().unwrap();
        db.insert(note("dropped")).unwrap();
        assert!(db.in_transaction());
    }
    assert!(texts(&db).is_empty());
    let tx = db.begin().unwrap();
    db.insert(note("kept")).unwrap();
    tx.commit().unwrap();
    assert_eq!(texts(&db), ["kept"]);
}

#[test]
fn nested_transaction_error_caught_undoes_only_the_inner_work() {
    let db = db();
    db.transaction(|db| {
        db.insert(note("outer1"))?;
        let inner: Result<(), Error> = db.transaction(|db| {
            db.insert(note("inner"))?;
            db.delete::<Note>(404)
        });
        assert!(inner.is_err());
        assert!(db.in_transaction());
        db.insert(note("outer2"))?;
        Ok::<_, Error>(())
    })
    .unwrap();
    assert_eq!(texts(&db), ["outer1", "outer2"]);
}

#[test]
fn outer_rollback_undoes_committed_inner_work() {
    let db = db();
    let outer = db.begin().unwrap();
    db.transaction(|db| db.insert(note("inner")).map(drop))
        .unwrap();
    outer.rollback().unwrap();
    assert!(texts(&db).is_empty());
}

#[test]
fn finishing_an_outer_guard_before_the_inner_is_an_error() {
    let db = db();
    let outer = db.begin().unwrap();
    let inner = db.begin().unwrap();
    assert!(matches!(outer.commit(), Err(Error::Transaction(_))));
    inner.commit().unwrap();
}

fn file_db(dir: &tempfile::TempDir, auto_commit: bool) -> (SqliterDB, String) {
    let path = dir.path().join("t.db").to_string_lossy().into_owned();
    let db = SqliterDB::new(DbOptions::file(path.clone()).auto_commit(auto_commit)).unwrap();
    db.create_table::<Note>().unwrap();
    (db, path)
}

fn count_from_another_connection(path: &str) -> i64 {
    let other = SqliterDB::open(path).unwrap();
    query_int(&other, "SELECT count(*) FROM notes")
}

#[test]
fn auto_commit_writes_are_visible_to_other_connections_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let (db, path) = file_db(&dir, true);
    db.insert(note("a")).unwrap();
    assert_eq!(count_from_another_connection(&path), 1);
}

#[test]
fn without_auto_commit_writes_wait_for_commit() {
    let dir = tempfile::tempdir().unwrap();
    let (db, path) = file_db(&dir, false);
    assert!(!db.is_autocommit());
    db.insert(note("a")).unwrap();
    db.insert(note("b")).unwrap();
    assert_eq!(count_from_another_connection(&path), 0);
    db.commit().unwrap();
    assert_eq!(count_from_another_connection(&path), 2);
}

#[test]
fn without_auto_commit_close_loses_uncommitted_writes() {
    let dir = tempfile::tempdir().unwrap();
    let (db, path) = file_db(&dir, false);
    db.insert(note("a")).unwrap();
    db.close().unwrap();
    assert_eq!(count_from_another_connection(&path), 0);
}

#[test]
fn without_auto_commit_rollback_discards_and_a_scope_commits_everything() {
    let dir = tempfile::tempdir().unwrap();
    let (db, path) = file_db(&dir, false);
    db.insert(note("discarded")).unwrap();
    db.rollback().unwrap();
    db.insert(note("earlier")).unwrap();
    db.transaction(|db| db.insert(note("scoped")).map(drop))
        .unwrap();
    assert_eq!(count_from_another_connection(&path), 2);
    assert_eq!(texts(&db), ["earlier", "scoped"]);
}

#[test]
fn commit_inside_a_scoped_transaction_is_refused() {
    let db = db();
    let _tx = db.begin().unwrap();
    assert!(matches!(db.commit(), Err(Error::Transaction(_))));
}

#[test]
fn after_close_inside_a_transaction_the_state_is_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let (db, path) = file_db(&dir, true);
    let tx = db.begin().unwrap();
    db.insert(note("lost")).unwrap();
    let inner = db.begin().unwrap();
    db.close().unwrap();
    assert!(!db.in_transaction(), "close ends every open scope");
    assert!(
        matches!(inner.commit(), Err(Error::Transaction(ref m)) if m.contains("closed inside"))
    );
    assert!(matches!(tx.commit(), Err(Error::Transaction(ref m)) if m.contains("closed inside")));
    assert!(!db.in_transaction());
    assert!(!db.is_connected(), "the scope's end does not reopen");
    db.insert(note("after")).unwrap();
    assert_eq!(texts(&db), ["after"], "the scope's work was rolled back");
    assert_eq!(count_from_another_connection(&path), 1);
    let tx = db.begin().unwrap();
    assert!(db.in_transaction());
    tx.commit().unwrap();
    assert!(!db.in_transaction());
}

#[test]
fn closing_inside_a_closure_transaction_reports_the_lost_commit() {
    let db = db();
    let result: Result<(), Error> = db.transaction(|db| {
        db.insert(note("lost"))?;
        db.close()
    });
    assert!(matches!(result, Err(Error::Transaction(_))), "{result:?}");
    assert!(!db.in_transaction());
}

#[test]
fn a_panic_inside_with_connection_leaves_the_database_working() {
    let db = db();
    db.insert(note("kept")).unwrap();
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        db.with_connection(|_| panic!("raw closure exploded"))
    }));
    assert!(outcome.is_err(), "the panic reaches the caller");
    db.insert(note("after")).unwrap();
    assert_eq!(texts(&db), ["kept", "after"], "same connection, data kept");
}
