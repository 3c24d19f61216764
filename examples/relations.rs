//! ORM relations on the async door: `AsyncForeignKey` fields loaded lazily,
//! reverse accessors, `select_related` (one JOIN) and `prefetch_related`
//! (one extra query per level), with the round trips each one costs.
//!
//! Run it with `cargo run --example relations`.

use sqliter_async::prelude::*;
use sqliter_async::{AsyncForeignKey, AsyncSqliterDB, DbModel, DbOptions, Error};

#[derive(DbModel, Debug, Clone, Default)]
struct Author {
    pk: i64,
    name: String,
}

#[derive(DbModel, Debug, Clone, Default)]
struct Book {
    pk: i64,
    title: String,
    year: i32,
    #[sqliter(on_delete = "CASCADE", related_name = "books")]
    author: AsyncForeignKey<Author>,
}

/// `related_name` defaults to the pluralised snake_case of the model:
/// `book.reviews(&db)`.
#[derive(DbModel, Debug, Clone, Default)]
struct Review {
    pk: i64,
    stars: i64,
    #[sqliter(null, on_delete = "SET NULL")]
    book: AsyncForeignKey<Book>,
}

/// Two authors, three books, a review each; returns the authors.
async fn seed(db: &AsyncSqliterDB) -> Result<(Author, Author), Error> {
    db.create_table::<Author>().await?;
    db.create_table::<Book>().await?;
    db.create_table::<Review>().await?;

    let le_guin = db
        .insert(Author {
            name: "Le Guin".into(),
            ..Default::default()
        })
        .await?;
    let pratchett = db
        .insert(Author {
            name: "Pratchett".into(),
            ..Default::default()
        })
        .await?;
    for (title, year, author) in [
        ("A Wizard of Earthsea", 1968, &le_guin),
        ("The Dispossessed", 1974, &le_guin),
        ("Mort", 1987, &pratchett),
    ] {
        let book = db
            .insert(Book {
                title: title.into(),
                year,
                author: AsyncForeignKey::to(author),
                ..Default::default()
            })
            .await?;
        db.insert(Review {
            stars: 5,
            book: AsyncForeignKey::to(&book),
            ..Default::default()
        })
        .await?;
    }
    Ok((le_guin, pratchett))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let db = AsyncSqliterDB::create(DbOptions::memory()).await?;
    let (le_guin, _pratchett) = seed(&db).await?;

    // Lazy loading: one query the first time, none after.
    let book = db
        .select::<Book>()
        .filter_by("title", "Mort")
        .fetch_one()
        .await?
        .expect("stored");
    let trips = db.round_trips();
    let author = book.author.fetch().await?.expect("an author");
    book.author.fetch().await?;
    println!(
        "{} is by {} ({} round trip)",
        book.title,
        author.name,
        db.round_trips() - trips
    );

    // Reverse accessors are queries with the whole chain.
    let early = le_guin
        .books(&db)
        .filter(Book::year().lt(1970))
        .fetch_all()
        .await?;
    println!(
        "Le Guin before 1970: {:?}",
        early.iter().map(|b| &b.title).collect::<Vec<_>>()
    );
    println!("Mort has {} review(s)", book.reviews(&db).count().await?);

    // Traversal filters follow the key: books whose author's name starts with "P".
    let p_books = db
        .select::<Book>()
        .filter_by("author__name__startswith", "P")
        .count()
        .await?;
    println!("books by an author starting with P: {p_books}");

    // select_related: the authors come in the same query.
    let trips = db.round_trips();
    let books = db
        .select::<Book>()
        .select_related("author")
        .order("year", false)
        .fetch_all()
        .await?;
    for book in &books {
        let author = book.author.get().expect("loaded by the join");
        println!("  {} ({}) by {}", book.title, book.year, author.name);
    }
    println!("select_related: {} round trip", db.round_trips() - trips);

    // prefetch_related: authors, their books, and the books' reviews in
    // three queries, however many rows.
    let authors = db
        .select::<Author>()
        .prefetch_related("books__reviews")
        .fetch_related()
        .await?;
    for author in &authors {
        let books = author.prefetched::<Book>("books")?;
        let reviews: usize = books
            .fetch_all()
            .iter()
            .map(|b| b.prefetched::<Review>("reviews").map_or(0, |r| r.count()))
            .sum();
        println!(
            "{}: {} books, {reviews} reviews",
            author.name,
            books.count()
        );
    }

    one_record_joins_and_unsaved(&db).await?;

    // with_count: every author with the number of its books (zeros included).
    for row in db
        .select::<Author>()
        .with_count("books", "n_books")
        .order("n_books", true)
        .fetch_dicts()
        .await?
    {
        println!("{row}");
    }

    // Deleting an author cascades to the books; their reviews keep NULL.
    db.delete::<Author>(le_guin.pk).await?;
    let orphans = db
        .select::<Review>()
        .filter_by("book__isnull", true)
        .count()
        .await?;
    println!(
        "after deleting Le Guin: {} books left, {orphans} orphan reviews",
        db.select::<Book>().count().await?
    );
    Ok(())
}

/// `fetch_one_related`, a traversal filter that loads the key, and a
/// record never stored.
async fn one_record_joins_and_unsaved(db: &AsyncSqliterDB) -> Result<(), Error> {
    // One record with its relations: the same one query per level.
    let first = db
        .select::<Author>()
        .prefetch_related(["books", "books__reviews"])
        .order("name", false)
        .fetch_one_related()
        .await?
        .expect("an author");
    println!(
        "{} (first by name) has {} books, prefetched",
        first.name,
        first.prefetched::<Book>("books")?.count()
    );

    // A traversal filter loads the joined author too: no query to read it.
    let trips = db.round_trips();
    let by_p = db
        .select::<Book>()
        .filter_by("author__name__startswith", "P")
        .fetch_all()
        .await?;
    for book in &by_p {
        let author = book.author.fetch().await?.expect("joined");
        println!("  {} by {}", book.title, author.name);
    }
    println!("traversal + reads: {} round trip", db.round_trips() - trips);

    // A record never stored has no relations: answered with no round trip.
    let nobody = Author::default();
    println!(
        "an unsaved author has {} books",
        nobody.books(db).count().await?
    );
    Ok(())
}
