//! The streaming workload: readings visited one by one, by SQLiter's
//! `iter` / `stream` and by a hand-written rusqlite loop decoding into the
//! same struct.

// A reading's value from its index: a small count as a float.
#![allow(clippy::cast_precision_loss)]

use std::path::{Path, PathBuf};

use sqliter_async::AsyncSqliterDB;
use sqliter_core::{DbModel, SqliterDB};

#[derive(DbModel, Debug, Clone, Default)]
pub struct Reading {
    pub pk: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub sensor: String,
    pub value: f64,
}

pub const SELECT: &str =
    "SELECT \"pk\", \"created_at\", \"updated_at\", \"sensor\", \"value\" FROM \"readings\" ORDER BY \"pk\"";

pub fn decode(row: &rusqlite::Row<'_>) -> rusqlite::Result<Reading> {
    Ok(Reading {
        pk: row.get(0)?,
        created_at: row.get(1)?,
        updated_at: row.get(2)?,
        sensor: row.get(3)?,
        value: row.get(4)?,
    })
}

/// What a visit does with each row: enough that it cannot be skipped.
pub fn visit(sum: &mut f64, r: &Reading) {
    *sum += r.value + r.sensor.len() as f64;
}

pub fn raw_visit(conn: &rusqlite::Connection) -> rusqlite::Result<f64> {
    let mut stmt = conn.prepare_cached(SELECT)?;
    let mut rows = stmt.query([])?;
    let mut sum = 0.0;
    while let Some(row) = rows.next()? {
        visit(&mut sum, &decode(row)?);
    }
    Ok(sum)
}

pub fn orm_visit(db: &SqliterDB) -> f64 {
    let mut sum = 0.0;
    for r in &db.select::<Reading>() {
        visit(&mut sum, &r.unwrap());
    }
    sum
}

pub async fn async_orm_visit(db: &AsyncSqliterDB) -> f64 {
    let mut sum = 0.0;
    let mut rows = db.select::<Reading>().stream();
    while let Some(r) = rows.next().await {
        visit(&mut sum, &r.unwrap());
    }
    sum
}

/// The sync door's loop inside one `run` block: every row visited on the
/// database thread, in one round trip (what to write when the rows need
/// not cross to the caller's task).
pub async fn async_run_visit(db: &AsyncSqliterDB) -> f64 {
    db.run(|db| Ok(orm_visit(db))).await.unwrap()
}

/// A database of `rows` readings at `path`, written through SQLiter.
pub fn seed_readings(path: &Path, rows: i64) -> PathBuf {
    let db = SqliterDB::open(path.to_string_lossy()).unwrap();
    db.create_table::<Reading>().unwrap();
    let mut readings: Vec<Reading> = (0..rows)
        .map(|i| Reading {
            sensor: format!("sensor-{}", i % 97),
            value: (i % 1000) as f64 / 10.0,
            ..Default::default()
        })
        .collect();
    db.bulk_insert(&mut readings).unwrap();
    path.to_path_buf()
}
