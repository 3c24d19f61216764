//! Streaming a query (`iter` on the sync door, `stream` on the async one):
//! every row once, in the query's order, a batch at a time, with filters,
//! limits, projections and joins; misuse is a typed error.

use sqliter_core::prelude::*;
use sqliter_core::{DbModel, Error, ForeignKey};
use sqliter_tests::{door_tests, Door, Streamed, Terminals};

#[derive(DbModel, Debug, Clone, Default, PartialEq)]
struct Shelf {
    pk: i64,
    name: String,
}

#[derive(DbModel, Debug, Clone, Default, PartialEq)]
struct Item {
    pk: i64,
    name: String,
    /// Few distinct values: ties the pk must break.
    grade: i64,
    weight: Option<i64>,
    #[sqliter(null)]
    shelf: ForeignKey<Shelf>,
}

const ROWS: i64 = 2345;
const N: usize = 2345;

async fn stocked<D: Door>() -> D {
    let db = D::memory_with::<Shelf>().await;
    db.create_table::<Item>().await.unwrap();
    let shelf = db
        .insert(Shelf {
            name: "A".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let mut items: Vec<Item> = (0..ROWS)
        .map(|i| Item {
            name: format!("item {i:04}"),
            grade: (i * 7) % 5,
            weight: (i % 3 != 0).then_some(i % 11),
            shelf: if i % 2 == 0 {
                ForeignKey::to(&shelf)
            } else {
                ForeignKey::null()
            },
            ..Default::default()
        })
        .collect();
    db.bulk_insert(&mut items).await.unwrap();
    db
}

door_tests!(
    a_stream_hands_over_every_row_once_in_the_query_order,
    ties_and_nulls_in_the_sort_key_are_resumed_exactly,
    filters_limits_and_offsets_apply_as_in_fetch_all,
    a_projection_streams_partial_records,
    select_related_keys_come_loaded,
    a_stream_refuses_what_does_not_stream,
);

async fn same_as_fetch_all<D: Door>(query: &D::Query<'_, Item>, batches: &[usize]) {
    let all = Terminals::fetch_all(query).await.unwrap();
    for &batch in batches {
        let streamed = query.streamed(batch).await.unwrap();
        assert_eq!(streamed.len(), all.len(), "batch {batch}");
        assert!(
            streamed == all,
            "batch {batch}: the stream differs from fetch_all"
        );
    }
}

async fn a_stream_hands_over_every_row_once_in_the_query_order<D: Door>() {
    let db = stocked::<D>().await;
    let query = db.select::<Item>();
    same_as_fetch_all::<D>(&query, &[1000, 7, N, N + 1]).await;
    let rows = query.streamed(1000).await.unwrap();
    let mut pks: Vec<i64> = rows.iter().map(|i| i.pk).collect();
    pks.dedup();
    assert_eq!(pks.len(), N);
}

async fn ties_and_nulls_in_the_sort_key_are_resumed_exactly<D: Door>() {
    let db = stocked::<D>().await;
    same_as_fetch_all::<D>(&db.select::<Item>().order("grade", false), &[10, 333]).await;
    same_as_fetch_all::<D>(&db.select::<Item>().order("grade", true), &[10]).await;
    // NULLs sort first ascending, last descending: both resumed.
    same_as_fetch_all::<D>(&db.select::<Item>().order("weight", false), &[10, 97]).await;
    same_as_fetch_all::<D>(&db.select::<Item>().order("weight", true), &[10, 97]).await;
    let two = db
        .select::<Item>()
        .order_by(Item::weight().desc())
        .order_by(Item::grade().asc())
        .order("pk", true);
    same_as_fetch_all::<D>(&two, &[13]).await;
}

async fn filters_limits_and_offsets_apply_as_in_fetch_all<D: Door>() {
    let db = stocked::<D>().await;
    let filtered = db
        .select::<Item>()
        .filter(Item::grade().gte(3))
        .order("name", true);
    same_as_fetch_all::<D>(&filtered, &[50]).await;
    let paged = db
        .select::<Item>()
        .order("grade", false)
        .offset(17)
        .limit(250);
    same_as_fetch_all::<D>(&paged, &[100, 1, 250, 1000]).await;
    assert_eq!(paged.streamed(100).await.unwrap().len(), 250);
    let nothing = db.select::<Item>().filter(Item::name().eq("none"));
    assert!(nothing.streamed(10).await.unwrap().is_empty());
}

async fn a_projection_streams_partial_records<D: Door>() {
    let db = stocked::<D>().await;
    let query = db.select::<Item>().fields(["name"]).order("grade", true);
    let all = Terminals::fetch_all(&query).await.unwrap();
    let streamed = query.streamed(64).await.unwrap();
    let names = |rows: &[sqliter_core::Partial<Item>]| {
        rows.iter().map(|r| r.name.clone()).collect::<Vec<_>>()
    };
    assert_eq!(names(&streamed), names(&all));
    assert!(streamed[0].is_loaded("name"));
}

async fn select_related_keys_come_loaded<D: Door>() {
    let db = stocked::<D>().await;
    let rows = db
        .select::<Item>()
        .select_related("shelf")
        .streamed(100)
        .await
        .unwrap();
    assert_eq!(rows.len(), N);
    assert_eq!(rows[0].shelf.get().map(|s| s.name.as_str()), Some("A"));
    assert!(rows[1].shelf.get().is_none());
}

async fn a_stream_refuses_what_does_not_stream<D: Door>() {
    let db = stocked::<D>().await;
    let err = db.select::<Item>().streamed(0).await.unwrap_err();
    assert!(
        matches!(&err, Error::InvalidFilter { field, .. } if field == "batch_size"),
        "{err:?}"
    );
    let err = db
        .select::<Item>()
        .group_by(["grade"])
        .streamed(10)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidProjection(_)), "{err:?}");
    let err = db
        .select::<Item>()
        .filter_by("nope", 1)
        .streamed(10)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidFilter { .. }), "{err:?}");
}

/// The loop body uses the database between batches: nothing waits for
/// the stream, and every row is visited once.
#[test]
fn the_sync_loop_body_may_write_to_the_database() {
    let db = block_on(stocked::<sqliter_core::SqliterDB>());
    let mut visited = 0;
    for item in db.select::<Item>().iter_batched(100) {
        let mut item = item.unwrap();
        item.grade += 10;
        db.update(&mut item).unwrap();
        visited += 1;
    }
    assert_eq!(visited, ROWS);
    assert_eq!(
        db.select::<Item>()
            .filter(Item::grade().lt(10))
            .count()
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn the_async_loop_body_may_write_to_the_database() {
    let db = stocked::<sqliter_async::AsyncSqliterDB>().await;
    let mut visited = 0;
    let mut items = db.select::<Item>().stream_batched(100);
    while let Some(item) = items.next().await {
        let mut item = item.unwrap();
        item.grade += 10;
        db.update(&mut item).await.unwrap();
        visited += 1;
    }
    assert_eq!(visited, ROWS);
    assert_eq!(
        db.select::<Item>()
            .filter(Item::grade().lt(10))
            .count()
            .await
            .unwrap(),
        0
    );
}

/// The async door's stream is a `futures_core::Stream`.
#[tokio::test]
async fn the_async_stream_is_a_stream() {
    fn is_stream<S: futures_core::Stream<Item = sqliter_core::Result<Item>> + Send + Unpin>(_: &S) {
    }
    let db = stocked::<sqliter_async::AsyncSqliterDB>().await;
    let stream = db.select::<Item>().stream();
    is_stream(&stream);
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f)
}
