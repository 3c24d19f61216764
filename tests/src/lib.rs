//! Shared helpers for the integration tests.

use sqliter_core::SqliterDB;

/// Run raw SQL on the database's own connection (to plant odd values or
/// read what the ORM wrote).
pub fn raw(db: &SqliterDB, sql: &str) {
    db.with_connection(|c| c.execute_batch(sql))
        .expect("connection")
        .expect("raw SQL");
}

/// One text value from a query on the database's connection.
pub fn query_text(db: &SqliterDB, sql: &str) -> String {
    db.with_connection(|c| c.query_row(sql, [], |r| r.get::<_, String>(0)))
        .expect("connection")
        .expect("query")
}

/// One integer from a query on the database's connection.
pub fn query_int(db: &SqliterDB, sql: &str) -> i64 {
    db.with_connection(|c| c.query_row(sql, [], |r| r.get::<_, i64>(0)))
        .expect("connection")
        .expect("query")
}
