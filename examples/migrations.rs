//! Schema evolution: last year's file opened with this year's structs.
//! Adds a field (with a default for the existing rows), renames one, drops
//! one (with the opt-in), shows the plan as SQL before applying it, and
//! runs a named data migration once.
//!
//! Run it with `cargo run --example migrations`.

use sqliter_async::{AsyncSqliterDB, DbModel, DbOptions, Error, MigrateOptions, Migration};

/// The `books` table as last year's program wrote it.
#[derive(DbModel, Debug, Clone, Default)]
#[sqliter(table_name = "books")]
struct BookV1 {
    pk: i64,
    title: String,
    author: String,
    blurb: Option<String>,
}

/// This year's model: `author` became `writer`, `blurb` is gone, and
/// `rating` is new (existing rows get 3).
#[derive(DbModel, Debug, Clone, Default)]
#[sqliter(table_name = "books")]
struct Book {
    pk: i64,
    title: String,
    #[sqliter(renamed_from = "author")]
    writer: String,
    #[sqliter(default = 3)]
    rating: i32,
}

#[tokio::main]
async fn main() -> sqliter_async::Result<()> {
    let dir = std::env::temp_dir().join(format!("sqliter-migrations-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| Error::InvalidOptions(e.to_string()))?;
    let path = dir.join("library.db").to_string_lossy().into_owned();
    let _ = std::fs::remove_file(&path);

    // Last year: the old program made the file.
    let old = AsyncSqliterDB::new(DbOptions::file(path.clone()))?;
    old.create_table::<BookV1>().await?;
    for (title, author) in [("Dune", "Herbert"), ("Emma", "Austen")] {
        old.insert(BookV1 {
            title: title.into(),
            author: author.into(),
            blurb: Some("...".into()),
            ..Default::default()
        })
        .await?;
    }
    old.close().await?;

    // This year: the new model refuses the old shape, typed...
    let db = AsyncSqliterDB::new(DbOptions::file(path))?;
    match db.select::<Book>().fetch_all().await {
        Err(e @ Error::SchemaMismatch { .. }) => println!("before migrating: {e}\n"),
        other => println!("unexpected: {other:?}"),
    }
    // ...the diff says what changed...
    println!("{}\n", db.schema_diff::<Book>().await?);
    // ...dropping `blurb` would lose its values, so it needs the opt-in...
    if let Err(e) = db.migrate::<Book>(MigrateOptions::default()).await {
        println!("without the opt-in: {e}\n");
    }
    // ...the plan is the exact SQL, shown before it runs.
    let options = MigrateOptions::default().allow_drop(true);
    let plan = db.migration_plan::<Book>(options).await?;
    println!("{plan}\n");
    db.apply_plan(&plan).await?;
    for book in db.select::<Book>().fetch_all().await? {
        println!("{} by {}, rated {}", book.title, book.writer, book.rating);
    }

    // A data change, applied once however often the program starts.
    let steps = vec![Migration::sql(
        "0001_rate_dune",
        "UPDATE books SET rating = 5 WHERE title = 'Dune'",
    )];
    println!(
        "\napplied now: {:?}",
        db.run_migrations(steps.clone()).await?
    );
    println!(
        "applied on the next start: {:?}",
        db.run_migrations(steps).await?
    );
    let dune = db.select::<Book>().fetch_first().await?;
    println!("Dune is rated {:?}", dune.map(|b| b.rating));
    db.close().await?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
