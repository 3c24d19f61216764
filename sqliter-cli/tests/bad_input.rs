//! Bad input is a message on stderr and exit code 1 (2 for usage), never a
//! panic, a hang or a write to the file.

mod common;

use std::fs;
use std::path::Path;

use common::{python_made, sqliter, stderr};

/// Every command on `file`, with `extra` arguments.
const COMMANDS: [&[&str]; 3] = [&["inspect"], &["models"], &["check"]];

/// `sqliter <command> <file>`: exit 1, `expected` on stderr, no panic.
fn fails_cleanly(file: &Path, pre: &[&str], expected: &str) {
    for command in COMMANDS {
        let mut args = pre.to_vec();
        args.extend_from_slice(command);
        args.push(file.to_str().unwrap());
        let output = sqliter(&args);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains(expected), "{args:?}: {expected:?} in {err:?}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(err.starts_with("sqliter: error: "), "{args:?}: {err}");
    }
}

/// The file's bytes, and the names of the directory's files.
fn snapshot(file: &Path) -> (Vec<u8>, Vec<String>) {
    let mut names: Vec<String> = fs::read_dir(file.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    (fs::read(file).unwrap(), names)
}

#[test]
fn a_missing_file_is_reported_and_not_created() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.db");
    fails_cleanly(&missing, &[], "nope.db: no such file");
    assert!(!missing.exists());
}

#[test]
fn a_file_that_is_not_a_database_is_reported_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("random.db");
    // Deterministic noise (an LCG), 8 KiB.
    let mut x: u32 = 12345;
    let bytes: Vec<u8> = (0..8192)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            x.to_be_bytes()[1]
        })
        .collect();
    fs::write(&file, &bytes).unwrap();
    let before = snapshot(&file);
    fails_cleanly(&file, &[], "not an SQLite database");
    assert_eq!(snapshot(&file), before);
}

#[test]
fn a_locked_file_fails_after_the_busy_timeout_and_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("locked.db");
    python_made(&file);
    // Read before locking: closing any descriptor of the file would drop
    // this process's POSIX locks on it.
    let before = snapshot(&file);
    let holder = rusqlite::Connection::open(&file).unwrap();
    holder.execute_batch("BEGIN EXCLUSIVE").unwrap();
    fails_cleanly(
        &file,
        &["--busy-timeout", "100"],
        "locked by another connection",
    );
    holder.execute_batch("ROLLBACK").unwrap();
    drop(holder);
    assert_eq!(snapshot(&file), before);
}

#[test]
fn an_unknown_table_is_reported_with_the_tables_there_are() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("python.db");
    python_made(&file);
    let output = sqliter(&[
        "models",
        file.to_str().unwrap(),
        "--table",
        "books",
        "--table",
        "bokks",
    ]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(err.contains("no table named 'bokks'"), "{err}");
    assert!(
        err.contains("authors, books, tags, articles, articles_tags"),
        "{err}"
    );
    assert!(output.stdout.is_empty());
}

#[test]
fn no_command_writes_to_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("python.db");
    python_made(&file);
    let before = snapshot(&file);
    for command in COMMANDS {
        let mut args = command.to_vec();
        args.push(file.to_str().unwrap());
        let output = sqliter(&args);
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
    }
    let output = sqliter(&[
        "models",
        file.to_str().unwrap(),
        "--async",
        "-t",
        "books",
        "-t",
        "authors",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(snapshot(&file), before);
}

#[test]
fn usage_errors_exit_with_2_and_every_command_has_help() {
    for args in [
        &["inspect"][..],
        &["models"],
        &["frobnicate"],
        &["inspect", "x.db", "--format", "xml"],
    ] {
        let output = sqliter(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(stderr(&output).starts_with("error: "), "{args:?}");
    }
    for command in ["inspect", "models", "check"] {
        let output = sqliter(&[command, "--help"]);
        assert!(output.status.success());
        assert!(common::stdout(&output).contains(&format!("Usage: sqliter {command}")));
    }
}
