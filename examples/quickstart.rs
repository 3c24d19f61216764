//! The README's main job: an SQLite file, two models, and the whole async
//! API tour — create tables, insert, bulk insert, query, update, bulk
//! update, delete, a transaction that rolls back — printing each step.
//!
//! Run it with `cargo run --example quickstart`.

use sqliter_async::prelude::*;
use sqliter_async::{AsyncSqliterDB, DbModel, DbOptions, Error};

#[derive(DbModel, Debug, Clone, Default)]
struct Author {
    pk: i64,
    name: String,
    #[sqliter(unique)]
    email: String,
}

#[derive(DbModel, Debug, Clone, Default)]
#[sqliter(indexes(year))]
struct Book {
    pk: i64,
    created_at: i64,
    updated_at: i64,
    title: String,
    year: i32,
    price: Option<f64>,
    in_print: bool,
    #[sqliter(foreign_key = Author, on_delete = "CASCADE")]
    author_id: i64,
    #[sqliter(json)]
    tags: Vec<String>,
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    // `reset` drops what a previous run left, so every run starts clean.
    let db = AsyncSqliterDB::create(DbOptions::file("quickstart.db").reset(true)).await?;
    println!(
        "opened {} (inspect it afterwards with any SQLite tool)",
        db.db_filename()
    );

    db.create_table::<Author>().await?;
    db.create_table::<Book>().await?;
    println!("tables: {:?}", db.get_table_names().await?);

    let books = seed(&db).await?;
    browse(&db).await?;
    edit(&db, &books).await?;
    println!("tables: {:?}", db.get_table_names().await?);
    db.close().await?;
    Ok(())
}

/// Two authors (one insert each) and six books (one bulk insert).
async fn seed(db: &AsyncSqliterDB) -> Result<Vec<Book>, Error> {
    let le_guin = db
        .insert(Author {
            name: "Ursula K. Le Guin".into(),
            email: "ursula@example.org".into(),
            ..Default::default()
        })
        .await?;
    let banks = db
        .insert(Author {
            name: "Iain M. Banks".into(),
            email: "iain@example.org".into(),
            ..Default::default()
        })
        .await?;
    println!("inserted authors #{} and #{}", le_guin.pk, banks.pk);

    let catalogue = [
        (
            "A Wizard of Earthsea",
            1968,
            Some(8.0),
            true,
            &le_guin,
            vec!["fantasy"],
        ),
        (
            "The Left Hand of Darkness",
            1969,
            Some(9.5),
            true,
            &le_guin,
            vec!["sf"],
        ),
        (
            "The Dispossessed",
            1974,
            None,
            true,
            &le_guin,
            vec!["sf", "utopia"],
        ),
        (
            "Consider Phlebas",
            1987,
            Some(10.0),
            true,
            &banks,
            vec!["sf", "culture"],
        ),
        (
            "The Player of Games",
            1988,
            Some(9.0),
            false,
            &banks,
            vec!["sf", "culture"],
        ),
        (
            "Excession",
            1996,
            Some(11.5),
            true,
            &banks,
            vec!["sf", "culture"],
        ),
    ];
    let books: Vec<Book> = catalogue
        .into_iter()
        .map(|(title, year, price, in_print, author, tags)| Book {
            title: title.into(),
            year,
            price,
            in_print,
            author_id: author.pk,
            tags: tags.into_iter().map(Into::into).collect(),
            ..Default::default()
        })
        .collect();
    let books = db.bulk_insert(books).await?; // one transaction, one round trip
    println!("bulk-inserted {} books", books.len());
    Ok(books)
}

/// Filtered, ordered, limited queries.
async fn browse(db: &AsyncSqliterDB) -> Result<(), Error> {
    let recent = db
        .select::<Book>()
        .filter(Book::year().gte(1970))
        .filter(Book::in_print().eq(true))
        .order("title", false)
        .limit(20)
        .fetch_all()
        .await?;
    println!("in print since 1970, by title:");
    for book in &recent {
        println!("  {} ({}), tags {:?}", book.title, book.year, book.tags);
    }
    let with_the = db
        .select::<Book>()
        .filter_by("title__icontains", "the")
        .count()
        .await?;
    println!("titles containing \"the\" (any case): {with_the}");
    Ok(())
}

/// Update, bulk update, a transaction that rolls back, delete.
async fn edit(db: &AsyncSqliterDB, books: &[Book]) -> Result<(), Error> {
    if let Some(mut dispossessed) = db.get::<Book>(books[2].pk).await? {
        dispossessed.price = Some(12.0);
        db.update(&mut dispossessed).await?;
        let stored = db.get::<Book>(dispossessed.pk).await?.and_then(|b| b.price);
        println!("priced \"{}\" at {stored:?}", dispossessed.title);
    }

    let reprinted = db
        .update_where::<Book>([("in_print", false)], [("in_print", true)])
        .await?;
    println!("update_where reprinted {reprinted} book(s)");

    let rolled_back: Result<(), Error> = db
        .transaction(|tx| async move {
            tx.delete::<Book>(1).await?;
            tx.delete::<Book>(999).await // fails, so the first delete is undone
        })
        .await;
    if let Err(error) = rolled_back {
        println!(
            "transaction rolled back ({error}); book #1 still there: {}",
            db.get::<Book>(1).await?.is_some()
        );
    }

    let banks = db
        .select::<Author>()
        .filter_by("name__startswith", "Iain")
        .fetch_one()
        .await?;
    if let Some(banks) = banks {
        db.delete::<Author>(banks.pk).await?;
        let left = db.select::<Book>().count().await?;
        println!(
            "deleted {}; his books went with him (ON DELETE CASCADE): {left} book(s) left",
            banks.name
        );
    }
    Ok(())
}
