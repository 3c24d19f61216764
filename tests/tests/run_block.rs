//! `AsyncSqliterDB::run`: a block of sync-door work on the database thread
//! in one round trip, sharing the connection, cache, transaction and links
//! of the async door.

use sqliter_async::{AsyncForeignKey, AsyncSqliterDB, DbModel, DbOptions, Error};

#[derive(DbModel, Debug, Clone, Default, PartialEq)]
struct Author {
    pk: i64,
    name: String,
}

#[derive(DbModel, Debug, Clone, Default)]
struct Book {
    pk: i64,
    title: String,
    #[sqliter(related_name = "books")]
    author: AsyncForeignKey<Author>,
}

async fn db(options: DbOptions) -> AsyncSqliterDB {
    let db = AsyncSqliterDB::create(options).await.unwrap();
    db.create_table::<Author>().await.unwrap();
    db.create_table::<Book>().await.unwrap();
    db
}

#[tokio::test]
async fn many_operations_cost_one_round_trip() {
    let db = db(DbOptions::memory()).await;
    let ann = db
        .insert(Author {
            name: "Ann".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let before = db.round_trips();
    let (found, n) = db
        .run(move |db| {
            let mut found = 0;
            for _ in 0..100 {
                found += usize::from(db.get::<Author>(ann.pk)?.is_some());
            }
            db.insert(Author {
                name: "Bob".into(),
                ..Default::default()
            })?;
            Ok((found, db.select::<Author>().count()?))
        })
        .await
        .unwrap();
    assert_eq!((found, n), (100, 2));
    assert_eq!(db.round_trips() - before, 1);
    // The work is there for the async door.
    assert_eq!(db.select::<Author>().count().await.unwrap(), 2);
}

#[tokio::test]
async fn records_from_a_block_load_their_relations_through_the_async_door() {
    let db = db(DbOptions::memory()).await;
    let book = db
        .run(|db| {
            let ann = db.insert(Author {
                name: "Ann".into(),
                ..Default::default()
            })?;
            db.insert(Book {
                title: "Dune".into(),
                author: AsyncForeignKey::from_pk(ann.pk),
                ..Default::default()
            })?;
            db.select::<Book>().fetch_one()
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(book.author.fetch().await.unwrap().unwrap().name, "Ann");
}

#[tokio::test]
async fn an_error_keeps_earlier_work_unless_the_block_is_atomic() {
    let db = db(DbOptions::memory()).await;
    let err = db
        .run(|db| {
            db.insert(Author {
                name: "kept".into(),
                ..Default::default()
            })?;
            db.delete::<Author>(999)
        })
        .await
        .unwrap_err();
    assert!(matches!(err, Error::RecordNotFound { .. }), "{err:?}");
    assert_eq!(db.select::<Author>().count().await.unwrap(), 1);
    let err = db
        .run_atomic(|db| {
            db.insert(Author {
                name: "gone".into(),
                ..Default::default()
            })?;
            db.delete::<Author>(999)
        })
        .await
        .unwrap_err();
    assert!(matches!(err, Error::RecordNotFound { .. }), "{err:?}");
    assert_eq!(
        db.select::<Author>().count().await.unwrap(),
        1,
        "the atomic block was not rolled back"
    );
    assert!(!db.in_transaction());
}

#[tokio::test]
async fn a_block_inside_a_transaction_is_part_of_it() {
    let db = db(DbOptions::memory()).await;
    let failed: Result<(), Error> = db
        .transaction(|tx| async move {
            tx.run(|db| {
                db.insert(Author {
                    name: "inner".into(),
                    ..Default::default()
                })
                .map(drop)
            })
            .await?;
            // A nested atomic block is a savepoint of the scope.
            tx.run_atomic(|db| {
                db.insert(Author {
                    name: "nested".into(),
                    ..Default::default()
                })
                .map(drop)
            })
            .await?;
            assert_eq!(tx.select::<Author>().count().await?, 2);
            Err(Error::Transaction("the caller gave up".into()))
        })
        .await;
    assert!(failed.is_err());
    assert_eq!(
        db.select::<Author>().count().await.unwrap(),
        0,
        "the block's work survived the rollback"
    );
}

#[tokio::test]
async fn the_cache_is_shared_with_the_block() {
    let db = db(DbOptions::memory().cache(true)).await;
    let ann = db
        .insert(Author {
            name: "Ann".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(db.get::<Author>(ann.pk).await.unwrap().unwrap().name, "Ann"); // cached
    db.run(move |db| {
        let mut ann = db.get::<Author>(ann.pk)?.unwrap();
        ann.name = "Anne".into();
        db.update(&mut ann)
    })
    .await
    .unwrap();
    assert_eq!(
        db.get::<Author>(ann.pk).await.unwrap().unwrap().name,
        "Anne",
        "a stale cached answer"
    );
}

#[tokio::test]
async fn the_handle_cannot_be_closed_nor_outlive_its_block() {
    let db = db(DbOptions::memory()).await;
    db.insert(Author {
        name: "Ann".into(),
        ..Default::default()
    })
    .await
    .unwrap();
    let err = db.run(sqliter_core::SqliterDB::close).await.unwrap_err();
    assert!(matches!(err, Error::Transaction(_)), "{err:?}");
    let kept = db.run(|db| Ok(db.clone())).await.unwrap();
    let err = kept.select::<Author>().count().unwrap_err();
    assert!(
        matches!(err, Error::Transaction(ref m) if m.contains("run")),
        "{err:?}"
    );
    // The in-memory database itself is untouched.
    assert_eq!(db.select::<Author>().count().await.unwrap(), 1);
}

#[tokio::test]
async fn a_panic_in_a_block_is_an_error_and_the_database_survives() {
    let db = db(DbOptions::memory()).await;
    db.insert(Author {
        name: "Ann".into(),
        ..Default::default()
    })
    .await
    .unwrap();
    let err = db
        .run(|db| -> sqliter_core::Result<()> {
            db.insert(Author {
                name: "Bob".into(),
                ..Default::default()
            })?;
            panic!("boom")
        })
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Internal(ref m) if m.contains("boom")),
        "{err:?}"
    );
    assert_eq!(
        db.select::<Author>().count().await.unwrap(),
        2,
        "the in-memory data was lost"
    );
    // And the next block works.
    assert_eq!(db.run(|db| db.select::<Author>().count()).await.unwrap(), 2);
}
