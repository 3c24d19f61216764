//! Benchmarks live in `benches/`; see the README's "Performance" section.
//! This crate holds what the benchmark programs share: the summary table.

use std::path::Path;

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
