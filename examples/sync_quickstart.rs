//! The sync door: a database file, two models, and every basic
//! operation, printing what it does.
//!
//! Run it with `cargo run --example sync_quickstart`.

use sqliter_core::{DbModel, DbOptions, SqliterDB};

#[derive(DbModel, Debug, Clone, Default)]
struct Author {
    pk: i64,
    name: String,
    #[sqliter(unique)]
    email: String,
}

#[derive(DbModel, Debug, Clone, Default)]
#[sqliter(indexes(title), unique_indexes((title, year)))]
struct Book {
    pk: i64,
    created_at: i64,
    updated_at: i64,
    title: String,
    year: i32,
    price: Option<f64>,
    #[sqliter(foreign_key = Author, on_delete = "CASCADE")]
    author_id: i64,
    #[sqliter(json)]
    tags: Vec<String>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // `reset` drops the tables a previous run left, so every run starts clean.
    let db = SqliterDB::new(DbOptions::file("sync_quickstart.db").reset(true))?;
    println!(
        "opened {} (inspect it afterwards with any SQLite tool)",
        db.db_filename()
    );

    db.create_table::<Author>()?;
    db.create_table::<Book>()?;
    println!("tables: {:?}", db.table_names()?);

    let le_guin = db.insert(Author {
        name: "Ursula K. Le Guin".into(),
        email: "ursula@example.org".into(),
        ..Default::default()
    })?;
    println!("inserted author #{}: {}", le_guin.pk, le_guin.name);

    let mut books = vec![
        Book {
            title: "A Wizard of Earthsea".into(),
            year: 1968,
            author_id: le_guin.pk,
            tags: vec!["fantasy".into()],
            ..Default::default()
        },
        Book {
            title: "The Dispossessed".into(),
            year: 1974,
            price: Some(9.5),
            author_id: le_guin.pk,
            tags: vec!["sf".into(), "utopia".into()],
            ..Default::default()
        },
    ];
    db.bulk_insert(&mut books)?;
    for book in &books {
        println!("inserted book #{}: {} ({})", book.pk, book.title, book.year);
    }

    let mut dispossessed = db.get::<Book>(books[1].pk)?.ok_or("book not found")?;
    println!(
        "fetched: {} tagged {:?}, price {:?}",
        dispossessed.title, dispossessed.tags, dispossessed.price
    );

    dispossessed.price = Some(11.0);
    db.update(&mut dispossessed)?;
    println!(
        "updated price to {:?}",
        db.get::<Book>(dispossessed.pk)?.and_then(|b| b.price)
    );

    let duplicate = db.insert(Author {
        name: "Impostor".into(),
        email: "ursula@example.org".into(),
        ..Default::default()
    });
    println!("duplicate email refused: {}", duplicate.unwrap_err());

    let rolled_back: Result<(), sqliter_core::Error> = db.transaction(|db| {
        db.delete::<Book>(books[0].pk)?;
        db.delete::<Book>(999_999) // fails, so the first delete is undone
    });
    println!("transaction rolled back: {}", rolled_back.unwrap_err());
    println!(
        "book #{} still there: {}",
        books[0].pk,
        db.get::<Book>(books[0].pk)?.is_some()
    );

    db.delete::<Author>(le_guin.pk)?;
    println!(
        "deleted the author; her books went with her (ON DELETE CASCADE): {:?}",
        db.get::<Book>(books[0].pk)?
    );
    db.close()?;
    Ok(())
}
