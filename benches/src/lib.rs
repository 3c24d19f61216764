//! Benchmarks live in `benches/`; see the README's "Performance" section.
//! This crate holds what the benchmark programs share: criterion's
//! settings, the PRAGMAs, the summary tables, and (in [`books`]) the
//! authors-and-books workload with its hand-written baseline, and (in
//! [`streaming`]) the readings visited one by one.

pub mod books;
pub mod streaming;

use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::Criterion;

/// Criterion as every benchmark program here runs it (20 samples, short
/// warm-up, command-line filters honoured), and where it writes results.
pub fn criterion() -> (Criterion, PathBuf) {
    configured(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/criterion"))
}

/// [`criterion`] writing under `target/criterion/<name>`, for a program
/// whose group and function names another program uses too (`diesel`
/// beside `orm_vs_rusqlite`), so neither reads the other's medians.
pub fn criterion_under(name: &str) -> (Criterion, PathBuf) {
    configured(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../target/criterion")
            .join(name),
    )
}

fn configured(output: PathBuf) -> (Criterion, PathBuf) {
    let criterion = Criterion::default()
        .output_directory(&output)
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    (criterion, output)
}

/// The settings every side of every comparison runs with, as SQL (what
/// [`tune`] runs, and what a connection that is not rusqlite's runs).
pub const TUNE_SQL: &str = "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;";

/// The settings both sides of every comparison run with ([`TUNE_SQL`]).
pub fn tune(conn: &rusqlite::Connection) -> rusqlite::Result<()> {
    conn.execute_batch(TUNE_SQL)
}

/// The median of one benchmark, from criterion's saved estimates.
fn median_ns(dir: &Path, group: &str, function: &str) -> Option<f64> {
    // Criterion stores group "a/b" in directory "a_b".
    let file = dir
        .join(group.replace('/', "_"))
        .join(function)
        .join("new")
        .join("estimates.json");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(file).ok()?).ok()?;
    json["median"]["point_estimate"].as_f64()
}

fn format_ns(ns: f64) -> String {
    match ns {
        n if n >= 1e6 => format!("{:.2} ms", n / 1e6),
        n if n >= 1e3 => format!("{:.2} µs", n / 1e3),
        n => format!("{n:.0} ns"),
    }
}

/// A markdown table of `groups`, comparing function `after` to `before`.
pub fn print_table(output: &Path, groups: &[&str], (before, after): (&str, &str)) {
    print_ratios(output, groups, before, &[after]);
}

/// A markdown table of `groups`: the median of function `baseline`, of
/// each of `others`, then each of `others` as a ratio to `baseline` (one
/// column "ratio" when there is one other). A group is left out when the
/// baseline or every other has no saved median.
pub fn print_ratios(output: &Path, groups: &[&str], baseline: &str, others: &[&str]) {
    let mut header = vec!["workload".to_owned(), baseline.to_owned()];
    header.extend(others.iter().map(|other| (*other).to_owned()));
    if let [_] = others {
        header.push("ratio".to_owned());
    } else {
        header.extend(others.iter().map(|other| format!("{other} / {baseline}")));
    }
    println!(
        "\n| {} |\n|{}",
        header.join(" | "),
        "---|".repeat(header.len())
    );
    for group in groups {
        let Some(base) = median_ns(output, group, baseline) else {
            continue;
        };
        let medians: Vec<Option<f64>> = others
            .iter()
            .map(|other| median_ns(output, group, other))
            .collect();
        if medians.iter().all(Option::is_none) {
            continue;
        }
        let missing = || "-".to_owned();
        let mut row = vec![(*group).to_owned(), format_ns(base)];
        row.extend(medians.iter().map(|m| m.map_or_else(missing, format_ns)));
        row.extend(
            medians
                .iter()
                .map(|m| m.map_or_else(missing, |m| format!("{:.3}x", m / base))),
        );
        println!("| {} |", row.join(" | "));
    }
}

/// SQLiter's async door on `path`, tuned like every baseline connection.
pub async fn async_orm(path: &Path) -> sqliter_async::AsyncSqliterDB {
    let db = sqliter_async::AsyncSqliterDB::create(sqliter_core::DbOptions::file(
        path.to_string_lossy(),
    ))
    .await
    .unwrap();
    db.connect().await.unwrap().call(|c| tune(c)).await.unwrap();
    db
}

/// A tokio-rusqlite connection on `path`, tuned.
pub async fn async_raw(path: &Path) -> tokio_rusqlite::Connection {
    let conn = tokio_rusqlite::Connection::open(path).await.unwrap();
    conn.call(|c| tune(c)).await.unwrap();
    conn
}
