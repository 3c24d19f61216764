//! Prepared statements are compiled once: running one again with new
//! values must not make SQLite compile it again. (SQLite 3.47 on compiles
//! a plain `LIMIT ?` as the value bound at the time, so a new value for it
//! re-prepared the statement on every run.)

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use rusqlite::hooks::{AuthAction, AuthContext, Authorization};
use sqliter_async::AsyncSqliterDB;
use sqliter_core::prelude::*;
use sqliter_core::{DbModel, DbOptions, SqliterDB};

#[derive(DbModel, Debug, Clone, Default, PartialEq)]
struct Item {
    pk: i64,
    name: String,
    rank: i64,
}

/// Count the `SELECT`s SQLite compiles on `conn` (the authorizer is asked
/// at every prepare and re-prepare, never when a statement just runs).
fn count_compiles(conn: &rusqlite::Connection) -> Arc<AtomicUsize> {
    let compiled = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&compiled);
    conn.authorizer(Some(move |ctx: AuthContext<'_>| {
        if matches!(ctx.action, AuthAction::Select) {
            seen.fetch_add(1, Ordering::SeqCst);
        }
        Authorization::Allow
    }))
    .expect("set the authorizer");
    compiled
}

fn items() -> Vec<Item> {
    (0..50)
        .map(|i| Item {
            name: format!("item {i}"),
            rank: i % 7,
            ..Default::default()
        })
        .collect()
}

#[test]
fn queries_with_a_limit_are_compiled_once_on_the_sync_door() {
    let db = SqliterDB::open_in_memory().unwrap();
    db.create_table::<Item>().unwrap();
    db.bulk_insert(&mut items()).unwrap();
    let compiled = db.with_connection(count_compiles).unwrap();
    let runs = |db: &SqliterDB| {
        for i in 0..5 {
            let first = db.select::<Item>().filter(Item::rank().eq(i)).fetch_one();
            assert_eq!(first.unwrap().unwrap().rank, i);
            let page = db
                .select::<Item>()
                .order("rank", false)
                .limit(i + 1)
                .offset(i);
            assert_eq!(
                page.fetch_all().unwrap().len(),
                usize::try_from(i + 1).unwrap()
            );
            let streamed: Vec<Item> = db
                .select::<Item>()
                .iter_batched(3)
                .collect::<sqliter_core::Result<_>>()
                .unwrap();
            assert_eq!(streamed.len(), 50);
        }
    };
    runs(&db);
    let first_round = compiled.load(Ordering::SeqCst);
    runs(&db);
    assert_eq!(
        compiled.load(Ordering::SeqCst),
        first_round,
        "the same queries with other values were compiled again"
    );
}

#[tokio::test]
async fn queries_with_a_limit_are_compiled_once_on_the_async_door() {
    let db = AsyncSqliterDB::create(DbOptions::memory()).await.unwrap();
    db.create_table::<Item>().await.unwrap();
    db.bulk_insert(items()).await.unwrap();
    let compiled = db
        .connect()
        .await
        .unwrap()
        .call(|c| Ok::<_, rusqlite::Error>(count_compiles(c)))
        .await
        .unwrap();
    let mut rounds = Vec::new();
    for _ in 0..2 {
        for i in 0..5 {
            let first = db
                .select::<Item>()
                .filter(Item::rank().eq(i))
                .fetch_one()
                .await;
            assert_eq!(first.unwrap().unwrap().rank, i);
            let page = db
                .select::<Item>()
                .order("rank", false)
                .limit(i + 1)
                .offset(i);
            assert_eq!(
                page.fetch_all().await.unwrap().len(),
                usize::try_from(i + 1).unwrap()
            );
            let mut stream = db.select::<Item>().stream_batched(3);
            let mut n = 0;
            while let Some(row) = stream.next().await {
                row.unwrap();
                n += 1;
            }
            assert_eq!(n, 50);
        }
        rounds.push(compiled.load(Ordering::SeqCst));
    }
    assert_eq!(
        rounds[1], rounds[0],
        "the same queries with other values were compiled again"
    );
}

/// The single-row terminals write their limit into the text: `limit(0)`
/// and another limit must not share a statement.
#[test]
fn fetch_one_after_limit_zero_still_finds_the_row() {
    let db = SqliterDB::open_in_memory().unwrap();
    db.create_table::<Item>().unwrap();
    db.bulk_insert(&mut items()).unwrap();
    assert_eq!(db.select::<Item>().limit(0).fetch_one().unwrap(), None);
    assert!(db.select::<Item>().limit(5).fetch_one().unwrap().is_some());
    assert!(db.select::<Item>().fetch_first().unwrap().is_some());
    assert_eq!(db.select::<Item>().limit(0).fetch_last().unwrap(), None);
}
