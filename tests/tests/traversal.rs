//! Filters that follow foreign keys (`author_id__name__startswith`), any
//! depth, any operator, on both doors; bulk writes through them; cached
//! answers dropped when a joined table changes.

use sqliter_core::prelude::*;
use sqliter_core::query::Aggregate;
use sqliter_core::{DbModel, DbOptions, Error};
use sqliter_tests::{door_tests, Door, Terminals};

#[derive(DbModel, Debug, Clone, Default, PartialEq)]
struct Country {
    pk: i64,
    name: String,
}

#[derive(DbModel, Debug, Clone, Default, PartialEq)]
struct Author {
    pk: i64,
    name: String,
    #[sqliter(foreign_key = Country)]
    country_id: i64,
}

#[derive(DbModel, Debug, Clone, Default, PartialEq)]
struct Book {
    pk: i64,
    title: String,
    year: i32,
    #[sqliter(foreign_key = Author, on_delete = "CASCADE")]
    author_id: i64,
    #[sqliter(foreign_key = Author, on_delete = "SET NULL")]
    editor_id: Option<i64>,
}

#[derive(DbModel, Debug, Clone, Default, PartialEq)]
struct Review {
    pk: i64,
    stars: i64,
    #[sqliter(foreign_key = Book, on_delete = "CASCADE")]
    book_id: i64,
}

async fn db<D: Door>(options: DbOptions) -> D {
    let db = D::open(options).await.unwrap();
    db.create_table::<Country>().await.unwrap();
    db.create_table::<Author>().await.unwrap();
    db.create_table::<Book>().await.unwrap();
    db.create_table::<Review>().await.unwrap();
    for name in ["USA", "UK"] {
        db.insert(Country {
            name: name.into(),
            ..Default::default()
        })
        .await
        .unwrap();
    }
    // 1 Le Guin (USA), 2 Banks (UK), 3 Pratchett (UK)
    for (name, country_id) in [
        ("Ursula K. Le Guin", 1),
        ("Iain Banks", 2),
        ("Terry Pratchett", 2),
    ] {
        db.insert(Author {
            name: name.into(),
            country_id,
            ..Default::default()
        })
        .await
        .unwrap();
    }
    let books = [
        ("A Wizard of Earthsea", 1968, 1, Some(3)),
        ("The Dispossessed", 1974, 1, None),
        ("Consider Phlebas", 1987, 2, Some(1)),
        ("Excession", 1996, 2, None),
        ("Mort", 1987, 3, Some(2)),
    ];
    for (title, year, author_id, editor_id) in books {
        db.insert(Book {
            title: title.into(),
            year,
            author_id,
            editor_id,
            ..Default::default()
        })
        .await
        .unwrap();
    }
    for (book_id, stars) in [(1, 5), (1, 4), (3, 5), (5, 3), (5, 4)] {
        db.insert(Review {
            stars,
            book_id,
            ..Default::default()
        })
        .await
        .unwrap();
    }
    db
}

async fn titles<D: Door>(db: &D, key: &str, value: impl Into<sqliter_core::Param>) -> Vec<String> {
    let books = db
        .select::<Book>()
        .filter_by(key, value)
        .fetch_all()
        .await
        .unwrap();
    books.into_iter().map(|b| b.title).collect()
}

door_tests!(
    one_level_with_any_operator,
    a_nullable_foreign_key_is_a_left_join,
    two_and_three_levels,
    traversal_combines_with_plain_filters_order_limit_and_count,
    bulk_update_and_delete_through_a_traversal,
    projection_and_aggregates_with_a_traversal,
    a_write_to_a_joined_table_drops_cached_answers,
    following_a_field_that_is_not_a_foreign_key_is_an_error,
);

async fn one_level_with_any_operator<D: Door>() {
    let db: D = db(DbOptions::memory()).await;
    assert_eq!(
        titles(&db, "author_id__name", "Iain Banks").await,
        ["Consider Phlebas", "Excession"]
    );
    assert_eq!(
        titles(&db, "author_id__name__startswith", "Ursula").await,
        ["A Wizard of Earthsea", "The Dispossessed"]
    );
    assert_eq!(
        titles(&db, "author_id__name__icontains", "PRATCH").await,
        ["Mort"]
    );
    assert_eq!(
        titles(
            &db,
            "author_id__name__in",
            ["Terry Pratchett", "Iain Banks"]
        )
        .await,
        ["Consider Phlebas", "Excession", "Mort"]
    );
    assert_eq!(titles(&db, "author_id__pk__gt", 2).await, ["Mort"]);
    assert_eq!(
        titles(&db, "author_id__name__ne", "Iain Banks").await,
        ["A Wizard of Earthsea", "The Dispossessed", "Mort"]
    );
    // The FK column itself still takes operators.
    assert_eq!(titles(&db, "author_id__gte", 3).await, ["Mort"]);
}

async fn a_nullable_foreign_key_is_a_left_join<D: Door>() {
    let db: D = db(DbOptions::memory()).await;
    assert_eq!(
        titles(&db, "editor_id__name__isnull", true).await,
        ["The Dispossessed", "Excession"]
    );
    assert_eq!(titles(&db, "editor_id__name", "Iain Banks").await, ["Mort"]);
    assert_eq!(
        db.select::<Book>().count().await.unwrap(),
        5,
        "joins never drop or repeat rows"
    );
}

async fn two_and_three_levels<D: Door>() {
    let db: D = db(DbOptions::memory()).await;
    let stars = |key: &'static str, value: &'static str| {
        let db = &db;
        async move {
            let reviews = db
                .select::<Review>()
                .filter_by(key, value)
                .order("pk", false)
                .fetch_all()
                .await
                .unwrap();
            reviews.into_iter().map(|r| r.stars).collect::<Vec<_>>()
        }
    };
    assert_eq!(
        stars("book_id__author_id__name__startswith", "Ursula").await,
        [5, 4]
    );
    assert_eq!(
        stars("book_id__author_id__country_id__name", "UK").await,
        [5, 3, 4]
    );
    // Only book 3 has an editor from the USA (Le Guin).
    assert_eq!(
        stars("book_id__editor_id__country_id__name", "USA").await,
        [5]
    );
    let both = db
        .select::<Review>()
        .filter_by("book_id__author_id__country_id__name", "UK")
        .filter_by("book_id__title", "Mort")
        .filter_by("stars__gte", 4)
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(both.iter().map(|r| r.pk).collect::<Vec<_>>(), [5]);
}

async fn traversal_combines_with_plain_filters_order_limit_and_count<D: Door>() {
    let db: D = db(DbOptions::memory()).await;
    let q = || {
        db.select::<Book>()
            .filter_by("author_id__country_id__name", "UK")
            .filter(Book::year().lt(1990))
    };
    let rows = q().order("title", true).fetch_all().await.unwrap();
    assert_eq!(
        rows.iter().map(|b| b.title.as_str()).collect::<Vec<_>>(),
        ["Mort", "Consider Phlebas"]
    );
    assert_eq!(q().count().await.unwrap(), 2);
    assert_eq!(q().limit(1).offset(1).count().await.unwrap(), 1);
    assert!(q().exists().await.unwrap());
    assert_eq!(
        q().order("year", false)
            .fetch_last()
            .await
            .unwrap()
            .unwrap()
            .year,
        1987
    );
}

async fn bulk_update_and_delete_through_a_traversal<D: Door>() {
    let db: D = db(DbOptions::memory()).await;
    let updated = db
        .update_where::<Review>(
            [("book_id__author_id__name", "Terry Pratchett")],
            [("stars", 1)],
        )
        .await
        .unwrap();
    assert_eq!(updated, 2);
    let stars: Vec<i64> = db
        .select::<Review>()
        .fetch_all()
        .await
        .unwrap()
        .iter()
        .map(|r| r.stars)
        .collect();
    assert_eq!(stars, [5, 4, 5, 1, 1]);
    let deleted = db
        .select::<Book>()
        .filter_by("author_id__country_id__name", "USA")
        .delete()
        .await
        .unwrap();
    assert_eq!(deleted, 2);
    assert_eq!(db.select::<Book>().count().await.unwrap(), 3);
    assert_eq!(
        db.select::<Review>().count().await.unwrap(),
        3,
        "their reviews cascaded away"
    );
}

async fn projection_and_aggregates_with_a_traversal<D: Door>() {
    let db: D = db(DbOptions::memory()).await;
    let only = db
        .select::<Book>()
        .only("title")
        .filter_by("author_id__name__startswith", "Terry")
        .fetch_all()
        .await
        .unwrap();
    assert_eq!((only[0].title.as_str(), only[0].year), ("Mort", 0));
    let rows = db
        .select::<Review>()
        .filter_by("book_id__author_id__country_id__name", "UK")
        .group_by(["book_id"])
        .annotate("reviews", Aggregate::count())
        .annotate("best", Aggregate::max("stars"))
        .fetch_dicts()
        .await
        .unwrap();
    let got: Vec<(i64, i64, i64)> = rows
        .iter()
        .map(|r| {
            let int = |n| r.get(n).and_then(sqliter_core::Value::as_i64).unwrap();
            (int("book_id"), int("reviews"), int("best"))
        })
        .collect();
    assert_eq!(got, [(3, 1, 5), (5, 2, 4)]);
}

async fn a_write_to_a_joined_table_drops_cached_answers<D: Door>() {
    let db: D = db(DbOptions::memory().cache(true)).await;
    assert_eq!(titles(&db, "author_id__name", "Iain Banks").await.len(), 2);
    assert_eq!(titles(&db, "author_id__name", "Iain Banks").await.len(), 2);
    assert_eq!(db.get_cache_stats().hits, 1);
    let mut banks = db.get::<Author>(2).await.unwrap().unwrap();
    banks.name = "Iain M. Banks".into();
    db.update(&mut banks).await.unwrap();
    assert!(
        titles(&db, "author_id__name", "Iain Banks")
            .await
            .is_empty(),
        "not the cached answer"
    );
    db.update_where::<Country>([("name", "UK")], [("name", "United Kingdom")])
        .await
        .unwrap();
    let uk = db
        .select::<Review>()
        .filter_by("book_id__author_id__country_id__name", "UK")
        .count()
        .await
        .unwrap();
    assert_eq!(uk, 0);
}

async fn following_a_field_that_is_not_a_foreign_key_is_an_error<D: Door>() {
    let db: D = db(DbOptions::memory()).await;
    let err = db
        .select::<Book>()
        .filter_by("title__name", "x")
        .fetch_all()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidFilter { ref reason, .. } if reason.contains("'title' is not a foreign key")),
        "{err:?}"
    );
    let err = db
        .select::<Book>()
        .filter_by("author_id__nope", 1)
        .fetch_all()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidFilter { ref field, ref reason } if field == "nope" && reason.contains("Author")),
        "{err:?}"
    );
    // A first segment that is no field at all names a relation that does
    // not exist, as select_related reports it.
    let err = db
        .select::<Book>()
        .filter_by("nonexistent__name", "x")
        .fetch_all()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidRelationship { ref path, ref reason } if path == "nonexistent__name" && reason.contains("'nonexistent'")),
        "{err:?}"
    );
    let err = db
        .select::<Book>()
        .filter_by("author_id__ghost__name__startswith", "x")
        .fetch_all()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidRelationship { ref reason, .. } if reason.contains("'ghost'") && reason.contains("Author")),
        "{err:?}"
    );
    let err = db
        .select::<Book>()
        .filter_by("author_id__name__regex", "x")
        .fetch_all()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidFilter { .. }), "{err:?}");
}
