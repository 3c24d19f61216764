//! Partial records (`fields`, `exclude`, `only`) on both doors: saving one
//! writes only the columns it loaded, so the `Default`s standing in for the
//! others never overwrite stored data, and a change to a field it did not
//! load is refused rather than dropped.

use sqliter_core::prelude::*;
use sqliter_core::{DbModel, DbOptions, Error, Partial};
use sqliter_tests::{door_tests, Door, Terminals};

#[derive(DbModel, Debug, Clone, Default, PartialEq)]
struct Book {
    pk: i64,
    created_at: i64,
    updated_at: i64,
    title: String,
    year: i32,
    price: Option<f64>,
    #[sqliter(json)]
    tags: Vec<String>,
}

fn dune() -> Book {
    Book {
        title: "Dune".into(),
        year: 1965,
        price: Some(9.5),
        tags: vec!["sf".into()],
        ..Default::default()
    }
}

async fn stored<D: Door>(options: DbOptions) -> (D, Book) {
    let db = D::open(options).await.unwrap();
    db.create_table::<Book>().await.unwrap();
    let book = db.insert(dune()).await.unwrap();
    (db, book)
}

door_tests!(
    updating_a_partial_record_keeps_every_column_it_did_not_load,
    exclude_and_only_read_partial_records_that_save_partially,
    a_changed_field_that_was_not_loaded_is_refused_and_nothing_is_written,
    a_partial_record_knows_what_it_loaded,
    partial_records_from_the_cache_save_partially_too,
);

async fn updating_a_partial_record_keeps_every_column_it_did_not_load<D: Door>() {
    let (db, book): (D, Book) = stored(DbOptions::memory()).await;
    let mut partial: Partial<Book> = db
        .select::<Book>()
        .fields(["title"])
        .fetch_one()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (partial.year, partial.price, partial.tags.len()),
        (0, None, 0)
    );
    partial.title = "Dune Messiah".into();
    db.update(&mut partial).await.unwrap();
    let now = db.get::<Book>(book.pk).await.unwrap().unwrap();
    assert_eq!(
        now,
        Book {
            title: "Dune Messiah".into(),
            updated_at: now.updated_at,
            ..book.clone()
        },
        "only the title changed"
    );
    assert_eq!(
        partial.updated_at, now.updated_at,
        "updated_at is set on the record"
    );
}

async fn exclude_and_only_read_partial_records_that_save_partially<D: Door>() {
    let (db, book): (D, Book) = stored(DbOptions::memory()).await;
    let mut rows = db
        .select::<Book>()
        .exclude(["year"])
        .fetch_all()
        .await
        .unwrap();
    rows[0].price = Some(1.0);
    db.update(&mut rows[0]).await.unwrap();
    let mut only = db
        .select::<Book>()
        .only("year")
        .fetch_first()
        .await
        .unwrap()
        .unwrap();
    only.year = 1966;
    db.update(&mut only).await.unwrap();
    let now = db.get::<Book>(book.pk).await.unwrap().unwrap();
    assert_eq!(
        (now.title.as_str(), now.year, now.price, now.tags),
        ("Dune", 1966, Some(1.0), vec!["sf".to_owned()])
    );
}

async fn a_changed_field_that_was_not_loaded_is_refused_and_nothing_is_written<D: Door>() {
    let (db, book): (D, Book) = stored(DbOptions::memory()).await;
    let mut partial = db
        .select::<Book>()
        .only("title")
        .fetch_last()
        .await
        .unwrap()
        .unwrap();
    partial.title = "changed".into();
    partial.year = 2001;
    partial.tags.push("new".into());
    let err = db.update(&mut partial).await.unwrap_err();
    assert!(
        matches!(err, Error::InvalidUpdate(ref m) if m.contains("'year'") && m.contains("'tags'") && m.contains("Book")),
        "{err:?}"
    );
    assert_eq!(db.get::<Book>(book.pk).await.unwrap().unwrap(), book);
}

async fn a_partial_record_knows_what_it_loaded<D: Door>() {
    let (db, _): (D, Book) = stored(DbOptions::memory()).await;
    let partial = db
        .select::<Book>()
        .fields(["year", "title"])
        .fetch_one()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        partial.loaded_fields().collect::<Vec<_>>(),
        ["pk", "title", "year"]
    );
    assert!(partial.is_loaded("year") && !partial.is_loaded("price") && !partial.is_loaded("nope"));
    // It compares with the model value it stands for.
    assert_eq!(
        partial,
        Book {
            pk: 1,
            title: "Dune".into(),
            year: 1965,
            ..Default::default()
        }
    );
}

async fn partial_records_from_the_cache_save_partially_too<D: Door>() {
    let (db, book): (D, Book) = stored(DbOptions::memory().cache(true)).await;
    let query = || db.select::<Book>().only("title");
    query().fetch_all().await.unwrap();
    let mut cached = query().fetch_all().await.unwrap();
    assert_eq!(db.get_cache_stats().hits, 1, "answered from the cache");
    cached[0].title = "from cache".into();
    db.update(&mut cached[0]).await.unwrap();
    let now = db.get::<Book>(book.pk).await.unwrap().unwrap();
    assert_eq!((now.title.as_str(), now.year), ("from cache", 1965));
}
