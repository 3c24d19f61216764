//! Large reads and many small writes: streaming a query batch by batch on
//! both doors, saving only what changed, and a block of work in one round
//! trip on the async door.
//!
//! Run it with `cargo run --example streaming`.

use sqliter_async::{AsyncSqliterDB, DbModel, DbOptions, Error};
use sqliter_core::prelude::*;
use sqliter_core::SqliterDB;

#[derive(DbModel, Debug, Clone, Default)]
struct Reading {
    pk: i64,
    sensor: String,
    value: f64,
    flagged: bool,
}

fn readings(n: i32) -> Vec<Reading> {
    (0..n)
        .map(|i| Reading {
            sensor: format!("sensor-{}", i % 7),
            value: f64::from(i % 100) / 100.0,
            ..Default::default()
        })
        .collect()
}

/// The sync door: `for row in &query` reads 1000 rows at a time.
fn sync_door() -> Result<(), Error> {
    let db = SqliterDB::open_in_memory()?;
    db.create_table::<Reading>()?;
    db.bulk_insert(&mut readings(25_000))?;

    let high = db.select::<Reading>().filter(Reading::value().gte(0.9));
    let mut flagged = 0;
    for reading in &high {
        let mut reading = reading?;
        // The loop body may write: no statement is held open.
        reading.flagged = true;
        db.update_fields(&mut reading, &["flagged"])?;
        flagged += 1;
    }
    println!("sync: flagged {flagged} readings while streaming");

    // `update` saves the whole record, but leaves an unchanged foreign key's
    // index alone.
    let mut first = db.select::<Reading>().fetch_one()?.expect("a reading");
    first.value = 0.5;
    db.update(&mut first)?;
    Ok(())
}

/// The async door: a `Stream`, one round trip per batch; and `run`.
async fn async_door() -> Result<(), Error> {
    let db = AsyncSqliterDB::create(DbOptions::memory()).await?;
    db.create_table::<Reading>().await?;
    db.bulk_insert(readings(25_000)).await?;

    let trips = db.round_trips();
    let mut stream = db
        .select::<Reading>()
        .fields(["sensor", "value"])
        .order("value", true)
        .stream_batched(5000);
    let (mut n, mut total) = (0, 0.0);
    while let Some(reading) = stream.next().await {
        total += reading?.value;
        n += 1;
    }
    println!(
        "async: {n} readings, mean {:.3}, in {} round trips",
        total / f64::from(n),
        db.round_trips() - trips
    );

    // A block of sync-door work on the database thread: one round trip.
    let trips = db.round_trips();
    let per_sensor = db
        .run(|db| {
            let mut counts = Vec::new();
            for s in 0..7 {
                let name = format!("sensor-{s}");
                counts.push((
                    name.clone(),
                    db.select::<Reading>()
                        .filter(Reading::sensor().eq(name))
                        .count()?,
                ));
            }
            Ok(counts)
        })
        .await?;
    println!(
        "async: {per_sensor:?} in {} round trip",
        db.round_trips() - trips
    );
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    sync_door()?;
    async_door().await
}
