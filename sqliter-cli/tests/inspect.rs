//! `sqliter inspect --format json`: data for scripts, read back here.

mod common;

use serde_json::Value;

use common::{foreign_made, python_made, sqliter, stderr, stdout};

fn inspect_json(file: &std::path::Path) -> Value {
    let output = sqliter(&["inspect", file.to_str().unwrap(), "--format", "json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(output.stderr.is_empty(), "nothing but the JSON when piped");
    serde_json::from_str(&stdout(&output)).expect("inspect prints JSON")
}

fn table<'a>(json: &'a Value, name: &str) -> &'a Value {
    json["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("table {name} in {json}"))
}

fn column<'a>(table: &'a Value, name: &str) -> &'a Value {
    table["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("column {name} in {table}"))
}

#[test]
fn a_python_sqliter_file_is_recognised_table_by_table() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("python.db");
    python_made(&file);
    let json = inspect_json(&file);

    let books = table(&json, "books");
    assert_eq!(books["classification"], "sqliter");
    assert_eq!(books["rows"], 3);
    assert_eq!(books["primary_key"], serde_json::json!(["pk"]));
    let author_id = column(books, "author_id");
    assert_eq!(author_id["type"], "INTEGER");
    assert_eq!(author_id["nullable"], false);
    assert_eq!(column(books, "price")["type"], "REAL");
    assert_eq!(column(books, "price")["nullable"], true);
    assert_eq!(
        books["foreign_keys"],
        serde_json::json!([{
            "columns": ["author_id"], "references": "authors", "referenced_columns": ["pk"],
            "on_delete": "CASCADE", "on_update": "RESTRICT"
        }])
    );
    let index_names: Vec<&str> = books["indexes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert!(
        index_names.contains(&"idx_books_author_id"),
        "{index_names:?}"
    );

    let tags = table(&json, "tags");
    assert_eq!(column(tags, "name")["unique"], true);
    assert_eq!(column(tags, "created_at")["unique"], false);

    let junction = table(&json, "articles_tags");
    assert_eq!(junction["classification"], "sqliter_junction");
    assert_eq!(
        junction["junction"]["tables"],
        serde_json::json!(["articles", "tags"])
    );
    assert_eq!(junction["rows"], 3);
    assert_eq!(json["views"], serde_json::json!([]));
}

#[test]
fn a_foreign_file_is_described_and_classified_foreign() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("foreign.db");
    foreign_made(&file);
    let json = inspect_json(&file);

    let lines = table(&json, "order_lines");
    assert_eq!(lines["classification"], "foreign");
    assert_eq!(
        lines["primary_key"],
        serde_json::json!(["order_id", "line"])
    );
    let settings = table(&json, "settings");
    assert_eq!(settings["without_rowid"], true);
    assert_eq!(settings["classification"], "foreign");
    assert_eq!(table(&json, "users")["classification"], "foreign");
    assert_eq!(table(&json, "notes")["classification"], "foreign");
    assert_eq!(json["views"], serde_json::json!(["big_shops"]));

    let shops = table(&json, "shops");
    assert_eq!(shops["foreign_keys"].as_array().unwrap().len(), 2);
    let partial = shops["indexes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "shops_partial")
        .unwrap();
    assert_eq!(partial["partial"], true);
    let expression = shops["indexes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "shops_lower")
        .unwrap();
    assert_eq!(expression["columns"], serde_json::json!([null]));
}

#[test]
fn the_table_format_names_each_table_and_its_kind() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("python.db");
    python_made(&file);
    let output = sqliter(&["inspect", file.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("books (SQLiter table, 3 rows)"), "{text}");
    assert!(
        text.contains("articles_tags (SQLiter junction of articles and tags, 3 rows)"),
        "{text}"
    );
    assert!(
        text.contains(
            "foreign key (author_id) -> authors(pk) ON DELETE CASCADE ON UPDATE RESTRICT"
        ),
        "{text}"
    );
}

#[test]
fn an_empty_file_is_an_empty_database() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("empty.db");
    std::fs::write(&file, b"").unwrap();
    let output = sqliter(&["inspect", file.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output), "no tables\n");
    let json = inspect_json(&file);
    assert_eq!(json["tables"], serde_json::json!([]));
    assert_eq!(std::fs::read(&file).unwrap(), b"");
}
