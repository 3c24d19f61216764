//! Benchmarks live in `benches/`; see the README's "Performance" section.
//! This crate holds what the benchmark programs share: the summary table.

use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::Criterion;

/// Criterion as every benchmark program here runs it (20 samples, short
/// warm-up, command-line filters honoured), and where it writes results.
pub fn criterion() -> (Criterion, PathBuf) {
    let output = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/criterion");
    let criterion = Criterion::default()
        .output_directory(&output)
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    (criterion, output)
}

/// The settings both sides of every comparison run with.
pub fn tune(conn: &rusqlite::Connection) -> rusqlite::Result<()> {
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", true)
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
    println!("\n| workload | {before} | {after} | ratio |\n|---|---|---|---|");
    for group in groups {
        if let (Some(base), Some(orm)) = (
            median_ns(output, group, before),
            median_ns(output, group, after),
        ) {
            println!(
                "| {group} | {} | {} | {:.3}x |",
                format_ns(base),
                format_ns(orm),
                orm / base
            );
        }
    }
}
