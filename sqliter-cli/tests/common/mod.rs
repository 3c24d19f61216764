//! Shared by the command-line tests: files shaped as Python SQLiter and
//! other programs write them, and a way to run the built binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use rusqlite::Connection;

/// Upstream's DDL template (spec §3.2): `CREATE TABLE "<t>" (` + 12
/// spaces + the definitions + newline, 8 spaces, `)`.
fn python_table(table: &str, defs: &[&str]) -> String {
    format!(
        "\n        CREATE TABLE IF NOT EXISTS \"{table}\" (\n            {}\n        )\n        ",
        defs.join(", ")
    )
}

const SQLITER_COLUMNS: [&str; 4] = [
    "\"pk\" INTEGER PRIMARY KEY AUTOINCREMENT",
    "\"created_at\" INTEGER",
    "\"updated_at\" INTEGER",
    "\"db_context\" TEXT",
];

/// `pickle.dumps({"genre": "sf", "n": 1}, protocol=4)`.
pub const PICKLED_DICT: &str =
    "80049518000000000000007d94288c0567656e7265948c027366948c016e944b01752e";
/// `pickle.dumps([1, 2, 3], protocol=4)`.
pub const PICKLED_LIST: &str = "8004950b000000000000005d94284b014b024b03652e";

/// A file as Python SQLiter 0.21 writes it for the interop models (spec
/// §9): authors, books (key to authors, CASCADE / RESTRICT, indexed),
/// tags (`name TEXT UNIQUE`), articles, the junction `articles_tags`;
/// `db_context TEXT` everywhere; `Optional` numbers stored as text and
/// pickled complex values.
pub fn python_made(path: &Path) {
    fn with<'a>(extra: &[&'a str]) -> Vec<&'a str> {
        let mut defs = SQLITER_COLUMNS.to_vec();
        defs.extend_from_slice(extra);
        defs
    }
    let conn = Connection::open(path).unwrap();
    let statements = [
        python_table(
            "authors",
            &with(&[
                "\"name\" TEXT",
                "\"nickname\" TEXT",
                "\"age\" TEXT",
                "\"rating\" TEXT",
                "\"profile\" BLOB",
                "\"lucky_numbers\" TEXT",
            ]),
        ),
        python_table(
            "books",
            &with(&[
                "\"title\" TEXT",
                "\"year\" INTEGER",
                "\"price\" REAL",
                "\"in_print\" INTEGER",
                "\"published\" INTEGER",
                "\"author_id\" INTEGER NOT NULL",
                "FOREIGN KEY (\"author_id\") REFERENCES \"authors\"(\"pk\") ON DELETE CASCADE ON UPDATE RESTRICT",
            ]),
        ),
        "CREATE INDEX IF NOT EXISTS \"idx_books_author_id\" ON \"books\" (\"author_id\")".to_owned(),
        "CREATE INDEX IF NOT EXISTS idx_books_title ON \"books\" (\"title\")".to_owned(),
        python_table("tags", &with(&["\"name\" TEXT UNIQUE"])),
        python_table("articles", &with(&["\"title\" TEXT"])),
        "CREATE TABLE IF NOT EXISTS \"articles_tags\" (\"id\" INTEGER PRIMARY KEY AUTOINCREMENT, \"articles_pk\" INTEGER NOT NULL, \"tags_pk\" INTEGER NOT NULL, FOREIGN KEY (\"articles_pk\") REFERENCES \"articles\"(\"pk\") ON DELETE CASCADE ON UPDATE CASCADE, FOREIGN KEY (\"tags_pk\") REFERENCES \"tags\"(\"pk\") ON DELETE CASCADE ON UPDATE CASCADE, UNIQUE (\"articles_pk\", \"tags_pk\"))".to_owned(),
        "CREATE INDEX IF NOT EXISTS \"idx_articles_tags_articles_pk\" ON \"articles_tags\" (\"articles_pk\")".to_owned(),
        "CREATE INDEX IF NOT EXISTS \"idx_articles_tags_tags_pk\" ON \"articles_tags\" (\"tags_pk\")".to_owned(),
    ];
    for sql in &statements {
        conn.execute_batch(sql).unwrap();
    }
    let rows = format!(
        "INSERT INTO authors VALUES (1, 1700000001, 1700000001, NULL, 'Le Guin', NULL, '5', '2.5', X'{PICKLED_DICT}', X'{PICKLED_LIST}');
         INSERT INTO authors VALUES (2, 1700000002, 1700000002, NULL, 'Pratchett', 'Pterry', NULL, '4.0', X'{PICKLED_DICT}', NULL);
         INSERT INTO books VALUES (1, 1700000003, 1700000003, NULL, 'Earthsea', 1968, 7.5, 1, -4952102400, 1);
         INSERT INTO books VALUES (2, 1700000004, 1700000004, NULL, 'The Dispossessed', 1974, 9.0, 0, 0, 1);
         INSERT INTO books VALUES (3, 1700000005, 1700000005, NULL, 'Mort', 1987, 6.25, 1, 86400, 2);
         INSERT INTO tags VALUES (1, 1700000006, 1700000006, NULL, 'fantasy');
         INSERT INTO tags VALUES (2, 1700000007, 1700000007, NULL, 'classic');
         INSERT INTO tags VALUES (3, 1700000008, 1700000008, NULL, 'humour');
         INSERT INTO articles VALUES (1, 1700000009, 1700000009, NULL, 'On Earthsea');
         INSERT INTO articles VALUES (2, 1700000010, 1700000010, NULL, 'On Discworld');
         INSERT INTO articles_tags (articles_pk, tags_pk) VALUES (1, 1), (1, 2), (2, 3);"
    );
    conn.execute_batch(&rows).unwrap();
}

/// A file no SQLiter wrote: composite keys, `WITHOUT ROWID`, a view, a
/// table without timestamps, an `id` key, keywords and odd types,
/// a self-reference, junctions (a self-referencing one, one under its own
/// name), a table whose Rust name is taken.
pub fn foreign_made(path: &Path) {
    let conn = Connection::open(path).unwrap();
    conn.execute_batch(
        "CREATE TABLE regions (pk INTEGER PRIMARY KEY, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
                               name TEXT NOT NULL, \"type\" TEXT, Code TEXT, area NUMERIC, weird DATETIME,
                               \"first name\" TEXT, UNIQUE (name, Code));
         CREATE TABLE shops (pk INTEGER PRIMARY KEY, created_at INTEGER, updated_at INTEGER,
                             region_id INTEGER REFERENCES regions(pk) ON DELETE SET NULL,
                             backup_region INTEGER NOT NULL REFERENCES regions(pk) ON DELETE SET NULL,
                             label TEXT, score REAL, raw BLOB, anything);
         CREATE INDEX shops_label ON shops(label);
         CREATE UNIQUE INDEX shops_label_score ON shops(label, score);
         CREATE INDEX shops_lower ON shops(lower(label));
         CREATE INDEX shops_partial ON shops(score) WHERE score > 0;
         CREATE TABLE order_lines (order_id INTEGER, line INTEGER, qty INTEGER, PRIMARY KEY (order_id, line));
         CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
         CREATE TABLE notes (pk INTEGER PRIMARY KEY, body TEXT);
         CREATE TABLE users (id INTEGER PRIMARY KEY, created_at INTEGER, updated_at INTEGER, email TEXT);
         CREATE VIEW big_shops AS SELECT * FROM shops WHERE score > 10;
         CREATE TABLE people (pk INTEGER PRIMARY KEY, created_at INTEGER, updated_at INTEGER,
                              name TEXT NOT NULL, boss_id INTEGER REFERENCES people(pk));
         CREATE TABLE people_people (id INTEGER PRIMARY KEY AUTOINCREMENT,
                                     people_pk_left INTEGER NOT NULL REFERENCES people(pk) ON DELETE CASCADE,
                                     people_pk_right INTEGER NOT NULL REFERENCES people(pk) ON DELETE CASCADE,
                                     UNIQUE (people_pk_left, people_pk_right));
         CREATE TABLE region_shop_links (id INTEGER PRIMARY KEY,
                                         regions_pk INTEGER NOT NULL REFERENCES regions(pk),
                                         shops_pk INTEGER NOT NULL REFERENCES shops(pk),
                                         UNIQUE (regions_pk, shops_pk));
         CREATE TABLE strings (pk INTEGER PRIMARY KEY, created_at INTEGER, updated_at INTEGER,
                               value TEXT, note_id INTEGER REFERENCES notes(pk));
         INSERT INTO regions VALUES (1, 1, 1, 'North', 'land', 'N', 12.5, '2024-01-01', 'x');
         INSERT INTO regions VALUES (2, 2, 2, 'South', NULL, 'S', 3, NULL, NULL);
         INSERT INTO shops VALUES (1, 1, 1, 1, 2, 'a', 1.5, X'00ff', 5);
         INSERT INTO shops VALUES (2, 2, 2, NULL, 1, NULL, NULL, NULL, NULL);
         INSERT INTO order_lines VALUES (1, 1, 3);
         INSERT INTO settings VALUES ('k', 'v');
         INSERT INTO notes VALUES (1, 'n');
         INSERT INTO users VALUES (1, 1, 1, 'a@b');
         INSERT INTO people VALUES (1, 1, 1, 'Ann', NULL), (2, 2, 2, 'Bob', 1), (3, 3, 3, 'Cy', 1);
         INSERT INTO people_people (people_pk_left, people_pk_right) VALUES (1, 2), (1, 3), (2, 3);
         INSERT INTO region_shop_links (regions_pk, shops_pk) VALUES (1, 1), (2, 1), (2, 2);
         INSERT INTO strings VALUES (1, 1, 1, 'x', 1);",
    )
    .unwrap();
}

/// Run the built `sqliter` with `args`.
pub fn sqliter(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sqliter"))
        .args(args)
        .output()
        .expect("the sqliter binary runs")
}

/// stdout as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// stderr as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The workspace root (the parent of this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}
