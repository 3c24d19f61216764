//! `sqliter check`: a one-line verdict and an exit code.

mod common;

use common::{python_made, sqliter, stderr, stdout};

#[test]
fn a_healthy_file_passes_with_exit_code_0() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("python.db");
    python_made(&file);
    let output = sqliter(&["check", file.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let verdict = stdout(&output);
    assert_eq!(verdict.lines().count(), 1, "{verdict}");
    assert!(
        verdict.contains(": healthy: integrity ok, no foreign-key violations, journal mode delete"),
        "{verdict}"
    );
}

#[test]
fn a_foreign_key_violation_fails_with_exit_code_1() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("python.db");
    python_made(&file);
    let conn = rusqlite::Connection::open(&file).unwrap();
    conn.execute_batch("PRAGMA foreign_keys = OFF; UPDATE books SET author_id = 99 WHERE pk = 1;")
        .unwrap();
    drop(conn);
    let output = sqliter(&["check", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let verdict = stdout(&output);
    assert!(verdict.contains("UNHEALTHY"), "{verdict}");
    assert!(verdict.contains("1 foreign-key violation(s) (first: a row of 'books' references a missing row of 'authors')"), "{verdict}");
}
