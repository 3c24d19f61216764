//! Prepared statements are compiled once: running one again with new
//! values must not make SQLite compile it again, on both doors. (SQLite
//! 3.47 on compiles a plain `LIMIT ?` as the value bound at the time, so a
//! new value for it re-prepared the statement on every run.)

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use rusqlite::hooks::{AuthAction, AuthContext, Authorization};
use sqliter_core::prelude::*;
use sqliter_core::{DbModel, DbOptions};
use sqliter_tests::{door_tests, Door, Streamed, Terminals};

#[derive(DbModel, Debug, Clone, Default, PartialEq)]
struct Item {
    pk: i64,
    name: String,
    rank: i64,
}

door_tests!(
    queries_with_a_limit_are_compiled_once,
    fetch_one_after_limit_zero_still_finds_the_row,
);

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

async fn items<D: Door>() -> D {
    let db = D::open(DbOptions::memory()).await.unwrap();
    db.create_table::<Item>().await.unwrap();
    let mut items: Vec<Item> = (0..50)
        .map(|i| Item {
            name: format!("item {i}"),
            rank: i % 7,
            ..Default::default()
        })
        .collect();
    db.bulk_insert(&mut items).await.unwrap();
    db
}

/// `fetch_one` with new values, pages with new limits and offsets, and
/// streams of small batches: one round of each.
async fn limited_queries<D: Door>(db: &D) {
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
        let expected = usize::try_from(i + 1).unwrap();
        assert_eq!(page.fetch_all().await.unwrap().len(), expected);
        assert_eq!(db.select::<Item>().streamed(3).await.unwrap().len(), 50);
    }
}

async fn queries_with_a_limit_are_compiled_once<D: Door>() {
    let db = items::<D>().await;
    let compiled = db.with_raw(count_compiles).await;
    limited_queries(&db).await;
    let first_round = compiled.load(Ordering::SeqCst);
    limited_queries(&db).await;
    assert_eq!(
        compiled.load(Ordering::SeqCst),
        first_round,
        "the same queries with other values were compiled again"
    );
}

/// The single-row terminals write their limit into the text: `limit(0)`
/// and another limit must not share a statement.
async fn fetch_one_after_limit_zero_still_finds_the_row<D: Door>() {
    let db = items::<D>().await;
    assert_eq!(
        db.select::<Item>().limit(0).fetch_one().await.unwrap(),
        None
    );
    assert!(db
        .select::<Item>()
        .limit(5)
        .fetch_one()
        .await
        .unwrap()
        .is_some());
    assert!(db.select::<Item>().fetch_first().await.unwrap().is_some());
    assert_eq!(
        db.select::<Item>().limit(0).fetch_last().await.unwrap(),
        None
    );
}
