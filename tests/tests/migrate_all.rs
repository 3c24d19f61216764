//! `migrate_all`: every model of the program brought to its shape at once,
//! parents before the tables that reference them. (Its own test binary:
//! the registry holds every model the binary derives.)

use sqliter_core::{DbModel, DbOptions, ManyToMany, MigrateOptions};
use sqliter_tests::{door_tests, Door, Terminals};

#[derive(DbModel, Debug, Clone, Default, PartialEq)]
struct Writer {
    pk: i64,
    name: String,
    #[sqliter(default = "unknown")]
    country: String,
}

#[derive(DbModel, Debug, Clone, Default, PartialEq)]
struct Novel {
    pk: i64,
    title: String,
    #[sqliter(foreign_key = Writer, on_delete = "CASCADE")]
    writer_id: i64,
}

#[derive(DbModel, Debug, Clone, Default, PartialEq)]
struct Genre {
    pk: i64,
    name: String,
}

#[derive(DbModel, Debug, Clone, Default)]
struct Shelf {
    pk: i64,
    label: String,
    genres: ManyToMany<Genre>,
}

door_tests!(every_registered_model_is_migrated_parents_first);

async fn every_registered_model_is_migrated_parents_first<D: Door>() {
    let db = D::open(DbOptions::memory()).await.unwrap();
    // Last year's file: writers without a country, no novels table yet.
    db.raw("CREATE TABLE writers (pk INTEGER PRIMARY KEY AUTOINCREMENT, created_at INTEGER, updated_at INTEGER, name TEXT NOT NULL)")
        .await;
    db.raw("INSERT INTO writers (name) VALUES ('Le Guin')")
        .await;
    let order: Vec<&str> = sqliter_core::registered_models()
        .unwrap()
        .iter()
        .map(|m| m.table_name)
        .collect();
    let at = |t: &str| order.iter().position(|o| *o == t).unwrap();
    assert!(at("writers") < at("novels"), "{order:?}");
    let plans = db.migrate_all(MigrateOptions::default()).await.unwrap();
    assert_eq!(plans.len(), 4);
    for model in sqliter_core::registered_models().unwrap() {
        assert_eq!(
            db.query_int(&format!(
                "SELECT count(*) FROM sqlite_master WHERE name = '{}'",
                model.table_name
            ))
            .await,
            1
        );
    }
    let writers = db.select::<Writer>().fetch_all().await.unwrap();
    assert_eq!(
        (writers[0].name.as_str(), writers[0].country.as_str()),
        ("Le Guin", "unknown")
    );
    db.insert(Novel {
        title: "Earthsea".into(),
        writer_id: writers[0].pk,
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(db.query_int("SELECT count(*) FROM sqlite_master WHERE name = 'shelfs_genres' OR name = 'genres_shelfs'").await, 1);
    assert!(db
        .migrate_all(MigrateOptions::default())
        .await
        .unwrap()
        .iter()
        .all(sqliter_core::MigrationPlan::is_empty));
}
