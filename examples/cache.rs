//! The query cache: hits, statistics, TTL, invalidation by writes (and by
//! a cascading delete), and the cache API.
//!
//! Run it with `cargo run --example cache`.

use std::time::Duration;

use sqliter_async::prelude::*;
use sqliter_async::{AsyncSqliterDB, DbModel, DbOptions, Error};

#[derive(DbModel, Debug, Clone, Default)]
struct Author {
    pk: i64,
    name: String,
}

#[derive(DbModel, Debug, Clone, Default)]
struct Book {
    pk: i64,
    title: String,
    #[sqliter(foreign_key = Author, on_delete = "CASCADE")]
    author_id: i64,
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let options = DbOptions::memory()
        .cache(true)
        .cache_max_size(500)
        .cache_ttl(Duration::from_secs(90));
    let db = AsyncSqliterDB::create(options).await?;
    db.create_table::<Author>().await?;
    db.create_table::<Book>().await?;
    let author = db
        .insert(Author {
            name: "Le Guin".into(),
            ..Default::default()
        })
        .await?;
    let books = ["Earthsea", "The Dispossessed", "Lavinia"].map(|title| Book {
        title: title.into(),
        author_id: author.pk,
        ..Default::default()
    });
    db.bulk_insert(books.to_vec()).await?;

    let trips = db.round_trips();
    for _ in 0..3 {
        let found = db
            .select::<Book>()
            .filter(Book::title().startswith("The"))
            .fetch_all()
            .await?;
        println!("found {} book(s)", found.len());
    }
    println!(
        "3 identical queries, {} round trip(s) to the database thread; stats {:?}",
        db.round_trips() - trips,
        db.get_cache_stats()
    );

    db.insert(Book {
        title: "The Lathe of Heaven".into(),
        author_id: author.pk,
        ..Default::default()
    })
    .await?;
    let found = db
        .select::<Book>()
        .filter(Book::title().startswith("The"))
        .fetch_all()
        .await?;
    println!(
        "after an insert the cached answer is gone: {} book(s)",
        found.len()
    );

    let count = db.select::<Book>().count().await?;
    db.delete::<Author>(author.pk).await?; // ON DELETE CASCADE empties `books` too
    println!(
        "{count} books before deleting their author, {} after",
        db.select::<Book>().count().await?
    );

    let fresh = db.select::<Book>().bypass_cache().count().await?;
    println!("bypass_cache() reads the table directly: {fresh}");

    db.cache_set(
        "reports",
        "weekly",
        &"computed elsewhere".to_owned(),
        Some(Duration::from_secs(5)),
    );
    println!(
        "cache_get: {:?}",
        db.cache_get::<String>("reports", "weekly")
    );
    db.invalidate_table_cache("reports");
    println!(
        "after invalidate_table_cache: {:?}",
        db.cache_get::<String>("reports", "weekly")
    );
    println!("final stats: {:?}", db.get_cache_stats());
    Ok(())
}
