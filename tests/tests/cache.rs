//! The query result cache, on both doors: what is cached, every kind of
//! write invalidating it (cascades included), TTL on a manual clock, LRU
//! order, the memory cap, statistics, and the public cache API.

use std::time::Duration;

use sqliter_core::cache::ManualClock;
use sqliter_core::prelude::*;
use sqliter_core::{CacheStats, CreateTableOptions, DbModel, DbOptions, Error, GetOptions};
use sqliter_tests::{door_tests, Door, Terminals};

#[derive(DbModel, Debug, Clone, Default, PartialEq)]
struct Author {
    pk: i64,
    name: String,
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

fn stats(hits: u32, misses: u32) -> CacheStats {
    let total = hits + misses;
    let rate = if total == 0 {
        0.0
    } else {
        (f64::from(hits) / f64::from(total) * 10_000.0).round() / 100.0
    };
    CacheStats {
        hits: hits.into(),
        misses: misses.into(),
        total: total.into(),
        hit_rate: rate,
    }
}

async fn cached<D: Door>(options: DbOptions) -> D {
    let db = D::open(options.cache(true)).await.unwrap();
    db.create_table::<Author>().await.unwrap();
    db.create_table::<Book>().await.unwrap();
    let ann = db
        .insert(Author {
            name: "ann".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    for (title, year) in [("A", 1990), ("B", 2005), ("C", 2020)] {
        db.insert(Book {
            title: title.into(),
            year,
            author_id: ann.pk,
            editor_id: Some(ann.pk),
            ..Default::default()
        })
        .await
        .unwrap();
    }
    db.reset_cache_stats();
    db
}

async fn titles<D: Door>(db: &D) -> Vec<String> {
    db.select::<Book>()
        .fetch_all()
        .await
        .unwrap()
        .into_iter()
        .map(|b| b.title)
        .collect()
}

door_tests!(
    the_cache_is_off_by_default,
    statistics_follow_a_scripted_sequence,
    every_terminal_and_get_are_cached_including_empty_answers,
    the_key_covers_every_part_of_the_query,
    no_stale_read_after_any_kind_of_write,
    a_cascading_delete_invalidates_the_tables_it_reaches,
    entries_expire_after_the_default_ttl,
    per_query_and_per_get_ttl,
    bypass_cache_skips_lookup_and_store,
    least_recently_used_entries_are_evicted_per_table,
    the_memory_cap_evicts_and_refuses_oversized_entries,
    the_public_cache_api,
    close_clears_the_cache,
    nothing_is_cached_inside_a_transaction,
    models_that_are_not_clone_are_simply_not_cached,
    invalid_cache_options_are_refused,
    a_get_miss_is_not_cached_without_a_ttl,
    a_get_miss_is_cached_with_an_explicit_ttl,
);

/// Two handles on one file: `reader` caches, `writer` inserts behind it.
async fn two_handles<D: Door>(dir: &tempfile::TempDir) -> (D, D) {
    let path = dir.path().join("shared.db").to_string_lossy().into_owned();
    let reader: D = cached(DbOptions::file(path.clone())).await;
    let writer = D::open(DbOptions::file(path)).await.unwrap();
    (reader, writer)
}

fn book(pk: i64) -> Book {
    Book {
        pk,
        title: "late".into(),
        year: 2024,
        author_id: 1,
        ..Default::default()
    }
}

async fn a_get_miss_is_not_cached_without_a_ttl<D: Door>() {
    let dir = tempfile::tempdir().unwrap();
    let (reader, writer): (D, D) = two_handles(&dir).await;
    assert_eq!(reader.get::<Book>(50).await.unwrap(), None);
    writer.insert(book(50)).await.unwrap();
    let found = reader.get::<Book>(50).await.unwrap();
    assert_eq!(
        found.map(|b| b.title),
        Some("late".into()),
        "the row another connection inserted is seen"
    );
    assert_eq!(reader.get_cache_stats(), stats(0, 2));
}

async fn a_get_miss_is_cached_with_an_explicit_ttl<D: Door>() {
    let dir = tempfile::tempdir().unwrap();
    let (reader, writer): (D, D) = two_handles(&dir).await;
    let ttl = GetOptions {
        cache_ttl: Some(Duration::from_secs(90)),
        ..GetOptions::default()
    };
    assert_eq!(reader.get_with::<Book>(50, ttl).await.unwrap(), None);
    writer.insert(book(50)).await.unwrap();
    assert_eq!(
        reader.get::<Book>(50).await.unwrap(),
        None,
        "the caller asked for the miss to be kept"
    );
    assert_eq!(reader.get_cache_stats(), stats(1, 1));
}

async fn the_cache_is_off_by_default<D: Door>() {
    let db = D::memory_with::<Author>().await;
    db.insert(Author {
        name: "ann".into(),
        ..Default::default()
    })
    .await
    .unwrap();
    db.get::<Author>(1).await.unwrap();
    db.get::<Author>(1).await.unwrap();
    db.cache_set("authors", "k", &5_u64, None);
    assert_eq!(db.cache_get::<u64>("authors", "k"), None);
    assert_eq!(db.get_cache_stats(), stats(0, 0));
}

async fn statistics_follow_a_scripted_sequence<D: Door>() {
    let db: D = cached(DbOptions::memory()).await;
    db.get::<Book>(1).await.unwrap(); // miss
    db.get::<Book>(1).await.unwrap(); // hit
    assert_eq!(db.get_cache_stats(), stats(1, 1));
    db.select::<Book>().fetch_all().await.unwrap(); // miss
    db.select::<Book>().fetch_all().await.unwrap(); // hit
    db.select::<Book>().fetch_all().await.unwrap(); // hit
    db.select::<Book>().count().await.unwrap(); // miss
    assert_eq!(db.get_cache_stats(), stats(3, 3));
    assert!((db.get_cache_stats().hit_rate - 50.0).abs() < f64::EPSILON);
    db.reset_cache_stats();
    assert_eq!(db.get_cache_stats(), stats(0, 0));
    db.select::<Book>().count().await.unwrap(); // entries survive a stats reset
    assert_eq!(db.get_cache_stats(), stats(1, 0));
}

async fn every_terminal_and_get_are_cached_including_empty_answers<D: Door>() {
    // (A `get` miss is cached only with a TTL: see the test below.)
    let db: D = cached(DbOptions::memory()).await;
    // Change the table behind the cache's back: a cached answer stays as it was.
    let q = || db.select::<Book>().filter_by("year__gte", 2000);
    let all = q().fetch_all().await.unwrap();
    let first = q().fetch_first().await.unwrap();
    let one = q().fetch_one().await.unwrap();
    let last = q().fetch_last().await.unwrap();
    let count = q().count().await.unwrap();
    let exists = q().exists().await.unwrap();
    let with_ttl = GetOptions {
        cache_ttl: Some(Duration::from_secs(90)),
        ..GetOptions::default()
    };
    let missing = db.get_with::<Book>(99, with_ttl).await.unwrap();
    let empty = db
        .select::<Book>()
        .filter_by("title", "none")
        .fetch_all()
        .await
        .unwrap();
    db.raw(
        "DELETE FROM books; INSERT INTO books (title, year, author_id) VALUES ('none', 2021, 1)",
    )
    .await;
    assert_eq!(q().fetch_all().await.unwrap(), all);
    assert_eq!(q().fetch_first().await.unwrap(), first);
    assert_eq!(q().fetch_one().await.unwrap(), one);
    assert_eq!(q().fetch_last().await.unwrap(), last);
    assert_eq!(q().count().await.unwrap(), count);
    assert_eq!(q().exists().await.unwrap(), exists);
    assert_eq!(db.get_with::<Book>(99, with_ttl).await.unwrap(), missing);
    assert_eq!(
        db.select::<Book>()
            .filter_by("title", "none")
            .fetch_all()
            .await
            .unwrap(),
        empty
    );
    // fetch_one and fetch_first give the same answer and share its entry.
    assert_eq!(db.get_cache_stats(), stats(9, 7));
}

async fn the_key_covers_every_part_of_the_query<D: Door>() {
    let db: D = cached(DbOptions::memory()).await;
    let base = || db.select::<Book>();
    let answers = [
        base().fetch_all().await.unwrap().len(),
        base()
            .filter_by("year__gte", 2000)
            .fetch_all()
            .await
            .unwrap()
            .len(),
        base()
            .filter_by("year__gte", 2010)
            .fetch_all()
            .await
            .unwrap()
            .len(),
        base()
            .filter_by("year__lt", 2010)
            .fetch_all()
            .await
            .unwrap()
            .len(),
        base().limit(1).fetch_all().await.unwrap().len(),
        base().offset(2).fetch_all().await.unwrap().len(),
    ];
    assert_eq!(answers, [3, 2, 1, 2, 1, 1]);
    let by_title = base()
        .order("title", true)
        .fetch_first()
        .await
        .unwrap()
        .unwrap();
    let by_year = base()
        .order("year", false)
        .fetch_first()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (by_title.title.as_str(), by_year.title.as_str()),
        ("C", "A")
    );
    let projected = base().only("title").fetch_first().await.unwrap().unwrap();
    assert_eq!(projected.year, 0, "a projection is its own entry");
    assert_eq!(base().fetch_first().await.unwrap().unwrap().year, 1990);
    // Values of different types on one field make valid keys (upstream fails).
    let mixed = base()
        .filter_by("year__gte", 1990)
        .filter_by("year__gte", 3000.5)
        .fetch_all()
        .await
        .unwrap();
    assert!(mixed.is_empty());
    assert_eq!(
        db.get_cache_stats().hits,
        0,
        "no two of these shared an entry"
    );
}

async fn no_stale_read_after_any_kind_of_write<D: Door>() {
    let db: D = cached(DbOptions::memory()).await;
    let check = |expected: &'static [&'static str]| {
        let db = &db;
        async move {
            assert_eq!(titles(db).await, expected);
            assert_eq!(titles(db).await, expected, "and then from the cache");
        }
    };
    check(&["A", "B", "C"]).await;
    db.insert(Book {
        title: "D".into(),
        year: 2021,
        author_id: 1,
        ..Default::default()
    })
    .await
    .unwrap();
    check(&["A", "B", "C", "D"]).await;
    let mut more = [Book {
        title: "E".into(),
        year: 2022,
        author_id: 1,
        ..Default::default()
    }];
    db.bulk_insert(&mut more).await.unwrap();
    check(&["A", "B", "C", "D", "E"]).await;
    let mut a = db.get::<Book>(1).await.unwrap().unwrap();
    a.title = "A2".into();
    db.update(&mut a).await.unwrap();
    assert_eq!(db.get::<Book>(1).await.unwrap().unwrap().title, "A2");
    check(&["A2", "B", "C", "D", "E"]).await;
    db.update_where::<Book>([("title", "B")], [("title", "B2")])
        .await
        .unwrap();
    check(&["A2", "B2", "C", "D", "E"]).await;
    db.select::<Book>()
        .filter_by("title", "C")
        .update([("title", "C2")])
        .await
        .unwrap();
    check(&["A2", "B2", "C2", "D", "E"]).await;
    db.select::<Book>()
        .filter_by("title", "D")
        .delete()
        .await
        .unwrap();
    check(&["A2", "B2", "C2", "E"]).await;
    db.delete::<Book>(5).await.unwrap();
    check(&["A2", "B2", "C2"]).await;
    db.insert_and_roll_back(Book {
        title: "gone".into(),
        year: 1,
        author_id: 1,
        ..Default::default()
    })
    .await;
    check(&["A2", "B2", "C2"]).await;
    db.create_table_with::<Book>(CreateTableOptions {
        exists_ok: true,
        force: true,
    })
    .await
    .unwrap();
    check(&[]).await;
    assert_eq!(db.select::<Author>().count().await.unwrap(), 1);
    db.drop_table::<Author>().await.ok();
    db.drop_table::<Book>().await.unwrap();
    let err = db.select::<Book>().fetch_all().await.unwrap_err();
    assert!(
        matches!(err, Error::RecordFetch { .. }),
        "dropped table, not a cached answer: {err:?}"
    );
}

async fn a_cascading_delete_invalidates_the_tables_it_reaches<D: Door>() {
    let db: D = cached(DbOptions::memory()).await;
    let bob = db
        .insert(Author {
            name: "bob".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    db.insert(Book {
        title: "edited by bob".into(),
        year: 2000,
        author_id: 1,
        editor_id: Some(bob.pk),
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(titles(&db).await.len(), 4);
    let edited = db
        .select::<Book>()
        .filter_by("editor_id", bob.pk)
        .count()
        .await
        .unwrap();
    assert_eq!(edited, 1);
    db.delete::<Author>(bob.pk).await.unwrap(); // SET NULL on books.editor_id
    assert_eq!(
        db.select::<Book>()
            .filter_by("editor_id", bob.pk)
            .count()
            .await
            .unwrap(),
        0
    );
    db.delete::<Author>(1).await.unwrap(); // CASCADE on books.author_id
    assert!(
        titles(&db).await.is_empty(),
        "no cached book outlives its deleted author"
    );
}

async fn entries_expire_after_the_default_ttl<D: Door>() {
    let clock = ManualClock::new();
    let db: D = cached(
        DbOptions::memory()
            .cache_ttl(Duration::from_secs(10))
            .cache_clock(clock.clone()),
    )
    .await;
    db.select::<Book>().count().await.unwrap(); // miss
    clock.advance(Duration::from_secs(9));
    db.select::<Book>().count().await.unwrap(); // hit
    clock.advance(Duration::from_secs(2));
    db.select::<Book>().count().await.unwrap(); // expired: miss, stored again
    db.select::<Book>().count().await.unwrap(); // hit
    assert_eq!(db.get_cache_stats(), stats(2, 2));
}

async fn per_query_and_per_get_ttl<D: Door>() {
    let clock = ManualClock::new();
    let db: D = cached(DbOptions::memory().cache_clock(clock.clone())).await;
    let short = || db.select::<Book>().cache_ttl(Duration::from_secs(1));
    short().fetch_all().await.unwrap();
    db.get_with::<Book>(
        1,
        GetOptions {
            cache_ttl: Some(Duration::from_secs(1)),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    db.get::<Book>(2).await.unwrap(); // no TTL: lives until invalidated
    clock.advance(Duration::from_secs(2));
    db.reset_cache_stats();
    short().fetch_all().await.unwrap();
    db.get::<Book>(1).await.unwrap();
    db.get::<Book>(2).await.unwrap();
    assert_eq!(db.get_cache_stats(), stats(1, 2));
}

async fn bypass_cache_skips_lookup_and_store<D: Door>() {
    let db: D = cached(DbOptions::memory()).await;
    db.select::<Book>()
        .bypass_cache()
        .fetch_all()
        .await
        .unwrap();
    db.get_with::<Book>(
        1,
        GetOptions {
            bypass_cache: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(db.get_cache_stats(), stats(0, 0));
    db.select::<Book>().fetch_all().await.unwrap();
    assert_eq!(
        db.get_cache_stats(),
        stats(0, 1),
        "nothing was stored by the bypassing query"
    );
    db.raw("DELETE FROM books").await;
    assert_eq!(db.select::<Book>().bypass_cache().count().await.unwrap(), 0);
}

async fn least_recently_used_entries_are_evicted_per_table<D: Door>() {
    let db: D = cached(DbOptions::memory().cache_max_size(2)).await;
    for pk in [1, 2, 3] {
        db.get::<Book>(pk).await.unwrap(); // 3 misses; pk 1 evicted
    }
    db.get::<Author>(1).await.unwrap(); // another table's own LRU
    db.get::<Book>(1).await.unwrap(); // miss, evicts pk 2
    db.get::<Book>(3).await.unwrap(); // hit
    db.get::<Book>(2).await.unwrap(); // miss
    assert_eq!(db.get_cache_stats(), stats(1, 6));
    db.get::<Author>(1).await.unwrap(); // still there
    assert_eq!(db.get_cache_stats().hits, 2);
}

async fn the_memory_cap_evicts_and_refuses_oversized_entries<D: Door>() {
    let db: D = cached(DbOptions::memory().cache_max_memory_mb(1)).await;
    let big = "x".repeat(300 * 1024);
    for title in ["big1", "big2", "big3", "big4"] {
        db.insert(Book {
            title: format!("{title}{big}"),
            year: 1,
            author_id: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    }
    for pk in 4..=7 {
        db.get::<Book>(pk).await.unwrap(); // ~300 KiB each: the 4th evicts the 1st
    }
    db.reset_cache_stats();
    db.get::<Book>(7).await.unwrap();
    db.get::<Book>(4).await.unwrap();
    assert_eq!(
        db.get_cache_stats(),
        stats(1, 1),
        "least recently used evicted to fit"
    );
    db.select::<Book>().fetch_all().await.unwrap(); // 1.2 MiB: larger than the cap
    db.select::<Book>().fetch_all().await.unwrap();
    assert_eq!(
        db.get_cache_stats().hits,
        1,
        "an oversized answer is not stored"
    );
}

async fn the_public_cache_api<D: Door>() {
    let clock = ManualClock::new();
    let db: D = cached(DbOptions::memory().cache_clock(clock.clone())).await;
    db.cache_set("reports", "total", &42_u64, Some(Duration::from_secs(5)));
    db.cache_set("reports", "label", &"hello".to_owned(), None);
    assert_eq!(db.cache_get::<u64>("reports", "total"), Some(42));
    assert_eq!(
        db.cache_get::<bool>("reports", "total"),
        None,
        "another type is a miss"
    );
    assert_eq!(db.cache_get::<u64>("nowhere", "total"), None);
    clock.advance(Duration::from_secs(6));
    assert_eq!(db.cache_get::<u64>("reports", "total"), None);
    assert_eq!(db.get_cache_stats(), stats(1, 3));
    db.invalidate_table_cache("reports");
    assert_eq!(db.cache_get::<String>("reports", "label"), None);
    db.cache_set("reports", "label", &"again".to_owned(), None);
    db.clear_cache();
    assert_eq!(db.cache_get::<String>("reports", "label"), None);
    assert_eq!(
        db.get_cache_stats(),
        stats(1, 5),
        "clear_cache keeps the statistics"
    );
}

async fn close_clears_the_cache<D: Door>() {
    let dir = tempfile::tempdir().unwrap();
    let db: D = cached(DbOptions::file(dir.path().join("c.db").to_string_lossy())).await;
    db.select::<Book>().count().await.unwrap();
    db.close().await.unwrap();
    assert_eq!(db.get_cache_stats(), stats(0, 0));
    db.select::<Book>().count().await.unwrap();
    assert_eq!(
        db.get_cache_stats(),
        stats(0, 1),
        "the entry went with the close"
    );
}

async fn nothing_is_cached_inside_a_transaction<D: Door>() {
    let dir = tempfile::tempdir().unwrap();
    let db: D =
        cached(DbOptions::file(dir.path().join("t.db").to_string_lossy()).auto_commit(false)).await;
    db.commit().await.unwrap();
    db.insert(Book {
        title: "pending".into(),
        year: 1,
        author_id: 1,
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(titles(&db).await.len(), 4); // inside the open transaction
    assert_eq!(titles(&db).await.len(), 4);
    assert_eq!(
        db.get_cache_stats().hits,
        0,
        "answers holding uncommitted rows are not kept"
    );
    db.commit().await.unwrap();
    titles(&db).await;
    titles(&db).await;
    assert_eq!(db.get_cache_stats().hits, 1);
}

#[derive(DbModel, Debug, Default)]
struct Plain {
    pk: i64,
    note: String,
}

async fn models_that_are_not_clone_are_simply_not_cached<D: Door>() {
    let db = D::open(DbOptions::memory().cache(true)).await.unwrap();
    db.create_table::<Plain>().await.unwrap();
    db.insert(Plain {
        pk: 0,
        note: "x".into(),
    })
    .await
    .unwrap();
    assert_eq!(db.get::<Plain>(1).await.unwrap().unwrap().note, "x");
    assert_eq!(db.get::<Plain>(1).await.unwrap().unwrap().note, "x");
    assert_eq!(db.get_cache_stats(), stats(0, 2));
    assert_eq!(
        db.select::<Plain>().count().await.unwrap(),
        1,
        "scalars are still cached"
    );
    assert_eq!(db.select::<Plain>().count().await.unwrap(), 1);
    assert_eq!(db.get_cache_stats().hits, 1);
}

async fn invalid_cache_options_are_refused<D: Door>() {
    for options in [
        DbOptions::memory().cache_max_size(0),
        DbOptions::memory().cache_max_memory_mb(0),
    ] {
        assert!(matches!(
            D::open(options.cache(true)).await,
            Err(Error::InvalidOptions(_))
        ));
    }
}

#[tokio::test]
async fn an_async_cache_hit_costs_no_round_trip() {
    let db = sqliter_async::AsyncSqliterDB::create(DbOptions::memory().cache(true))
        .await
        .unwrap();
    db.create_table::<Author>().await.unwrap();
    db.insert(Author {
        name: "ann".into(),
        ..Default::default()
    })
    .await
    .unwrap();
    db.get::<Author>(1).await.unwrap();
    db.select::<Author>().fetch_all().await.unwrap();
    let before = db.round_trips();
    for _ in 0..10 {
        db.get::<Author>(1).await.unwrap();
        db.select::<Author>().fetch_all().await.unwrap();
    }
    assert_eq!(db.round_trips(), before);
    assert_eq!(db.get_cache_stats().hits, 20);
}
