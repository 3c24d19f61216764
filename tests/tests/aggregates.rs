//! Projection queries on both doors: group_by, annotate (every function,
//! distinct), having, order and pagination of groups, fetch_dicts and the
//! typed fetch_as, and the projection-mode rules. Expected values are
//! computed here from the inserted data.

// Counts and sums of a six-row dataset: casts between them cannot lose anything.
#![allow(clippy::cast_possible_wrap, clippy::cast_precision_loss)]

use std::collections::BTreeMap;

use serde::Deserialize;
use sqliter_core::prelude::*;
use sqliter_core::query::Aggregate;
use sqliter_core::{DbModel, DbOptions, DictRow, Error, Value};
use sqliter_tests::{door_tests, Door, Terminals};

#[derive(DbModel, Debug, Clone, Default, PartialEq)]
struct Book {
    pk: i64,
    title: String,
    author_id: i64,
    price: f64,
    year: i32,
    rating: Option<i64>,
}

fn books() -> Vec<Book> {
    let data = [
        (1, 10.0, 1990, Some(4)),
        (1, 20.0, 2001, Some(5)),
        (1, 30.0, 2010, None),
        (2, 5.0, 1985, Some(3)),
        (2, 5.0, 2020, Some(3)),
        (3, 50.0, 2015, Some(5)),
    ];
    data.iter()
        .enumerate()
        .map(|(i, &(author_id, price, year, rating))| Book {
            title: format!("Book {i}"),
            author_id,
            price,
            year,
            rating,
            ..Default::default()
        })
        .collect()
}

async fn db<D: Door>() -> D {
    let db = D::memory_with::<Book>().await;
    db.bulk_insert(&mut books()).await.unwrap();
    db
}

fn int(row: &DictRow, name: &str) -> Option<i64> {
    row.get(name).and_then(Value::as_i64)
}

fn real(row: &DictRow, name: &str) -> Option<f64> {
    row.get(name).and_then(Value::as_f64)
}

/// author_id → the books of that author, from the data itself.
fn by_author() -> BTreeMap<i64, Vec<Book>> {
    let mut groups: BTreeMap<i64, Vec<Book>> = BTreeMap::new();
    for b in books() {
        groups.entry(b.author_id).or_default().push(b);
    }
    groups
}

door_tests!(
    group_by_with_count_and_avg,
    every_aggregate_function_and_distinct,
    having_on_aliases_and_grouped_fields_with_any_operator,
    groups_are_ordered_and_paginated,
    aggregates_without_group_by_give_one_row,
    grouping_without_aggregates_lists_distinct_values,
    filters_apply_before_grouping,
    rows_decode_into_a_typed_struct,
    row_terminals_are_refused_in_projection_mode,
    fetch_dicts_needs_projection_mode,
    aliases_must_be_non_empty_unique_and_not_shadow_fields,
    unknown_fields_and_targets_are_errors_naming_them,
    projection_answers_are_cached_and_invalidated,
    count_distinct_star_is_refused_before_any_sql,
    bulk_delete_on_a_projection_is_refused_and_touches_nothing,
    bulk_update_on_a_projection_is_refused_and_touches_nothing,
    trimmed_alias_is_the_alias,
);

async fn count_distinct_star_is_refused_before_any_sql<D: Door>() {
    let db = db::<D>().await;
    let err = db
        .select::<Book>()
        .annotate("n", Aggregate::count().distinct())
        .fetch_dicts()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidProjection(ref m) if m.contains("DISTINCT with COUNT(*)")),
        "{err:?}"
    );
    // DISTINCT over a field stays available.
    let rows = db
        .select::<Book>()
        .annotate("authors", Aggregate::count_of("author_id").distinct())
        .fetch_dicts()
        .await
        .unwrap();
    assert_eq!(int(&rows[0], "authors"), Some(3));
}

/// Every way into projection mode, each refusing a bulk write.
fn projections<D: Door>(db: &D) -> Vec<(&'static str, D::Query<'_, Book>)> {
    vec![
        ("group_by", db.select::<Book>().group_by(["author_id"])),
        (
            "annotate",
            db.select::<Book>().annotate("n", Aggregate::count()),
        ),
        (
            "having",
            db.select::<Book>()
                .group_by(["author_id"])
                .annotate("n", Aggregate::count())
                .having_by("n__gt", 100),
        ),
    ]
}

async fn bulk_delete_on_a_projection_is_refused_and_touches_nothing<D: Door>() {
    let db = db::<D>().await;
    for (how, query) in projections(&db) {
        let err = query.filter_by("author_id", 1).delete().await.unwrap_err();
        assert!(
            matches!(err, Error::InvalidProjection(ref m) if m.contains("delete()")),
            "{how}: {err:?}"
        );
        assert_eq!(db.select::<Book>().count().await.unwrap(), 6, "{how}");
    }
}

async fn bulk_update_on_a_projection_is_refused_and_touches_nothing<D: Door>() {
    let db = db::<D>().await;
    for (how, query) in projections(&db) {
        let err = query
            .filter_by("author_id", 1)
            .update([("title", "rewritten")])
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::InvalidProjection(ref m) if m.contains("update()")),
            "{how}: {err:?}"
        );
        let rewritten = db
            .select::<Book>()
            .filter_by("title", "rewritten")
            .count()
            .await
            .unwrap();
        assert_eq!(rewritten, 0, "{how}");
    }
}

async fn trimmed_alias_is_the_alias<D: Door>() {
    let db = db::<D>().await;
    let rows = db
        .select::<Book>()
        .annotate(" n ", Aggregate::count())
        .fetch_dicts()
        .await
        .unwrap();
    assert_eq!(int(&rows[0], "n"), Some(6));
}

async fn group_by_with_count_and_avg<D: Door>() {
    let db = db::<D>().await;
    let rows = db
        .select::<Book>()
        .group_by(["author_id"])
        .annotate("books", Aggregate::count())
        .annotate("mean_price", Aggregate::avg("price"))
        .fetch_dicts()
        .await
        .unwrap();
    let expected: Vec<(i64, i64, f64)> = by_author()
        .iter()
        .map(|(a, bs)| {
            (
                *a,
                bs.len() as i64,
                bs.iter().map(|b| b.price).sum::<f64>() / bs.len() as f64,
            )
        })
        .collect();
    let got: Vec<(i64, i64, f64)> = rows
        .iter()
        .map(|r| {
            (
                int(r, "author_id").unwrap(),
                int(r, "books").unwrap(),
                real(r, "mean_price").unwrap(),
            )
        })
        .collect();
    assert_eq!(got, expected);
    assert_eq!(
        rows[0].iter().map(|(k, _)| k).collect::<Vec<_>>(),
        ["author_id", "books", "mean_price"]
    );
}

async fn every_aggregate_function_and_distinct<D: Door>() {
    let db = db::<D>().await;
    let rows = db
        .select::<Book>()
        .group_by(["author_id"])
        .annotate("n", Aggregate::count())
        .annotate("rated", Aggregate::count_of("rating"))
        .annotate("prices", Aggregate::count_of("price").distinct())
        .annotate("total", Aggregate::sum("price"))
        .annotate("unique_total", Aggregate::sum("price").distinct())
        .annotate("cheapest", Aggregate::min("price"))
        .annotate("dearest", Aggregate::max("price"))
        .annotate("first_year", Aggregate::min("year"))
        .fetch_dicts()
        .await
        .unwrap();
    for (row, (author, bs)) in rows.iter().zip(by_author()) {
        let mut prices: Vec<f64> = bs.iter().map(|b| b.price).collect();
        prices.sort_by(f64::total_cmp);
        let mut distinct = prices.clone();
        distinct.dedup();
        assert_eq!(int(row, "author_id"), Some(author));
        assert_eq!(int(row, "n"), Some(bs.len() as i64));
        assert_eq!(
            int(row, "rated"),
            Some(bs.iter().filter(|b| b.rating.is_some()).count() as i64)
        );
        assert_eq!(int(row, "prices"), Some(distinct.len() as i64));
        assert_eq!(real(row, "total"), Some(prices.iter().sum()));
        assert_eq!(real(row, "unique_total"), Some(distinct.iter().sum()));
        assert_eq!(real(row, "cheapest"), prices.first().copied());
        assert_eq!(real(row, "dearest"), prices.last().copied());
        assert_eq!(
            int(row, "first_year"),
            bs.iter().map(|b| i64::from(b.year)).min()
        );
    }
}

/// The `author_id` of each group a projection query returns.
async fn authors_of(query: impl Terminals<Book>) -> Vec<i64> {
    let rows = query.fetch_dicts().await.unwrap();
    rows.iter().map(|r| int(r, "author_id").unwrap()).collect()
}

async fn having_on_aliases_and_grouped_fields_with_any_operator<D: Door>() {
    let db = db::<D>().await;

    let grouped = || {
        db.select::<Book>()
            .group_by(["author_id"])
            .annotate("n", Aggregate::count())
    };
    let more_than_one: Vec<i64> = by_author()
        .iter()
        .filter(|(_, bs)| bs.len() > 1)
        .map(|(a, _)| *a)
        .collect();
    assert_eq!(
        authors_of(grouped().having_by("n__gt", 1)).await,
        more_than_one
    );
    assert_eq!(authors_of(grouped().having_by("n", 1)).await, [3]);
    assert_eq!(
        authors_of(grouped().having_by("n__in", [1, 3])).await,
        [1, 3]
    );
    assert_eq!(
        authors_of(grouped().having_by("author_id__not_in", [2])).await,
        [1, 3]
    );
    assert_eq!(
        authors_of(
            grouped()
                .having_by("n__gte", 2)
                .having_by("author_id__lt", 2)
        )
        .await,
        [1]
    );
    let err = grouped()
        .having_by("price__gt", 1)
        .fetch_dicts()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidProjection(ref m) if m.contains("'price'")),
        "{err:?}"
    );
}

async fn groups_are_ordered_and_paginated<D: Door>() {
    let db = db::<D>().await;
    let q = || {
        db.select::<Book>()
            .group_by(["author_id"])
            .annotate("total", Aggregate::sum("price"))
    };
    let mut expected: Vec<(i64, f64)> = by_author()
        .iter()
        .map(|(a, bs)| (*a, bs.iter().map(|b| b.price).sum()))
        .collect();
    expected.sort_by(|x, y| y.1.total_cmp(&x.1));
    let rows = q().order("total", true).fetch_dicts().await.unwrap();
    let got: Vec<(i64, f64)> = rows
        .iter()
        .map(|r| (int(r, "author_id").unwrap(), real(r, "total").unwrap()))
        .collect();
    assert_eq!(got, expected);
    let page = q()
        .order("author_id", true)
        .limit(1)
        .offset(1)
        .fetch_dicts()
        .await
        .unwrap();
    assert_eq!(int(&page[0], "author_id"), Some(2));
    assert_eq!(page.len(), 1);
}

async fn aggregates_without_group_by_give_one_row<D: Door>() {
    let db = db::<D>().await;
    let rows = db
        .select::<Book>()
        .annotate("books", Aggregate::count())
        .annotate("authors", Aggregate::count_of("author_id").distinct())
        .annotate("best", Aggregate::max("rating"))
        .fetch_dicts()
        .await
        .unwrap();
    let data = books();
    assert_eq!(rows.len(), 1);
    assert_eq!(int(&rows[0], "books"), Some(data.len() as i64));
    assert_eq!(int(&rows[0], "authors"), Some(by_author().len() as i64));
    assert_eq!(
        int(&rows[0], "best"),
        data.iter().filter_map(|b| b.rating).max()
    );
}

async fn grouping_without_aggregates_lists_distinct_values<D: Door>() {
    let db = db::<D>().await;
    let rows = db
        .select::<Book>()
        .group_by(["rating"])
        .fetch_dicts()
        .await
        .unwrap();
    let mut expected: Vec<Option<i64>> = books().iter().map(|b| b.rating).collect();
    expected.sort_unstable();
    expected.dedup();
    let got: Vec<Option<i64>> = rows.iter().map(|r| int(r, "rating")).collect();
    assert_eq!(got, expected, "NULL is a group too, sorted first");
}

async fn filters_apply_before_grouping<D: Door>() {
    let db = db::<D>().await;
    let rows = db
        .select::<Book>()
        .filter(Book::year().gte(2000))
        .group_by(["author_id"])
        .annotate("n", Aggregate::count())
        .fetch_dicts()
        .await
        .unwrap();
    let mut expected: BTreeMap<i64, i64> = BTreeMap::new();
    for b in books().iter().filter(|b| b.year >= 2000) {
        *expected.entry(b.author_id).or_default() += 1;
    }
    let got: BTreeMap<i64, i64> = rows
        .iter()
        .map(|r| (int(r, "author_id").unwrap(), int(r, "n").unwrap()))
        .collect();
    assert_eq!(got, expected);
}

#[derive(Debug, Deserialize, PartialEq)]
struct AuthorStats {
    author_id: i64,
    books: i64,
    mean_price: f64,
    best: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Wrong {
    missing: i64,
}

async fn rows_decode_into_a_typed_struct<D: Door>() {
    let db = db::<D>().await;
    let stats: Vec<AuthorStats> = db
        .select::<Book>()
        .group_by(["author_id"])
        .annotate("books", Aggregate::count())
        .annotate("mean_price", Aggregate::avg("price"))
        .annotate("best", Aggregate::max("rating"))
        .fetch_as()
        .await
        .unwrap();
    let expected: Vec<AuthorStats> = by_author()
        .into_iter()
        .map(|(author_id, bs)| AuthorStats {
            author_id,
            books: bs.len() as i64,
            mean_price: bs.iter().map(|b| b.price).sum::<f64>() / bs.len() as f64,
            best: bs.iter().filter_map(|b| b.rating).max(),
        })
        .collect();
    assert_eq!(stats, expected);
    let err = db
        .select::<Book>()
        .annotate("n", Aggregate::count())
        .fetch_as::<Wrong>()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidProjection(ref m) if m.contains("missing")),
        "{err:?}"
    );
}

async fn row_terminals_are_refused_in_projection_mode<D: Door>() {
    let db = db::<D>().await;
    let q = db.select::<Book>().group_by(["author_id"]);
    let refused = |r: Result<(), Error>| matches!(r, Err(Error::InvalidProjection(_)));
    assert!(refused(q.fetch_all().await.map(drop)));
    assert!(refused(q.fetch_one().await.map(drop)));
    assert!(refused(q.fetch_first().await.map(drop)));
    assert!(refused(q.fetch_last().await.map(drop)));
    assert!(refused(q.count().await.map(drop)));
    assert!(refused(q.exists().await.map(drop)));
}

async fn fetch_dicts_needs_projection_mode<D: Door>() {
    let db = db::<D>().await;
    let err = db.select::<Book>().fetch_dicts().await.unwrap_err();
    assert!(
        matches!(err, Error::InvalidProjection(ref m) if m.contains("fetch_dicts")),
        "{err:?}"
    );
}

async fn aliases_must_be_non_empty_unique_and_not_shadow_fields<D: Door>() {
    let db = db::<D>().await;
    for q in [
        db.select::<Book>().annotate("", Aggregate::count()),
        db.select::<Book>()
            .annotate("n", Aggregate::count())
            .annotate("n", Aggregate::max("price")),
        db.select::<Book>()
            .annotate("price", Aggregate::max("price")),
        db.select::<Book>().annotate("  \t", Aggregate::count()),
        db.select::<Book>()
            .annotate("n", Aggregate::count())
            .annotate(" n ", Aggregate::max("price")),
    ] {
        assert!(matches!(
            q.fetch_dicts().await,
            Err(Error::InvalidProjection(_))
        ));
    }
}

async fn unknown_fields_and_targets_are_errors_naming_them<D: Door>() {
    let db = db::<D>().await;
    // Projection misuse is InvalidProjection, as upstream, naming the field.
    let err = db
        .select::<Book>()
        .group_by(["nope"])
        .fetch_dicts()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidProjection(ref m) if m.contains("'nope'")),
        "{err:?}"
    );
    let err = db
        .select::<Book>()
        .annotate("x", Aggregate::sum("nope"))
        .fetch_dicts()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidProjection(ref m) if m.contains("'nope'")),
        "{err:?}"
    );
    let err = db
        .select::<Book>()
        .group_by(["author_id"])
        .order("ghost", false)
        .fetch_dicts()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidProjection(ref m) if m.contains("'ghost'")),
        "{err:?}"
    );
    let err = db
        .select::<Book>()
        .order("ghost", false)
        .fetch_all()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidOrder { ref field, .. } if field == "ghost"),
        "{err:?}"
    );
}

async fn projection_answers_are_cached_and_invalidated<D: Door>() {
    let db = D::open(DbOptions::memory().cache(true)).await.unwrap();
    db.create_table::<Book>().await.unwrap();
    db.bulk_insert(&mut books()).await.unwrap();
    let total = || async {
        let rows = db
            .select::<Book>()
            .annotate("n", Aggregate::count())
            .fetch_dicts()
            .await
            .unwrap();
        int(&rows[0], "n").unwrap()
    };
    assert_eq!(total().await, 6);
    assert_eq!(total().await, 6);
    assert_eq!(db.get_cache_stats().hits, 1);
    db.insert(Book::default()).await.unwrap();
    assert_eq!(total().await, 7, "the insert dropped the cached answer");
}
