//! Dates and datetimes read back correctly west of UTC, on both doors.
//! This file is its own test process, so setting `TZ` here affects no
//! other test.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use sqliter_core::{DbModel, DbOptions};
use sqliter_tests::{door_tests, Door};

#[derive(DbModel, Debug, Clone, PartialEq)]
struct Event {
    pk: i64,
    day: NaiveDate,
    at: DateTime<FixedOffset>,
    utc: DateTime<Utc>,
}

fn new_york() {
    // Every test sets the same value, so concurrent tests agree.
    std::env::set_var("TZ", "America/New_York");
}

fn event() -> Event {
    let noon = DateTime::from_timestamp(1_705_320_000, 0).unwrap(); // 2024-01-15T12:00:00Z
    Event {
        pk: 0,
        day: NaiveDate::from_ymd_opt(2024, 1, 15).unwrap(),
        at: noon.fixed_offset(),
        utc: noon,
    }
}

door_tests!(
    a_date_reads_back_as_the_same_calendar_date_west_of_utc,
    return_local_time_chooses_the_offset_of_fixed_offset_fields,
    sub_second_precision_is_dropped_as_upstream,
);

async fn a_date_reads_back_as_the_same_calendar_date_west_of_utc<D: Door>() {
    new_york();
    let db = D::memory_with::<Event>().await;
    for day in [
        NaiveDate::from_ymd_opt(2024, 1, 15).unwrap(),
        NaiveDate::from_ymd_opt(1970, 1, 1).unwrap(),
    ] {
        let stored = db.insert(Event { day, ..event() }).await.unwrap();
        assert_eq!(db.get::<Event>(stored.pk).await.unwrap().unwrap().day, day);
    }
}

async fn return_local_time_chooses_the_offset_of_fixed_offset_fields<D: Door>() {
    new_york();
    let local = D::memory_with::<Event>().await;
    let stored = local.insert(event()).await.unwrap();
    let read = local.get::<Event>(stored.pk).await.unwrap().unwrap();
    assert_eq!(read.at.offset().local_minus_utc(), -5 * 3600);
    assert_eq!(read.at.to_rfc3339(), "2024-01-15T07:00:00-05:00");
    assert_eq!(read.at, event().at, "same instant");

    let utc = D::open(DbOptions::memory().return_local_time(false))
        .await
        .unwrap();
    utc.create_table::<Event>().await.unwrap();
    let stored = utc.insert(event()).await.unwrap();
    let read = utc.get::<Event>(stored.pk).await.unwrap().unwrap();
    assert_eq!(read.at.to_rfc3339(), "2024-01-15T12:00:00+00:00");
    assert_eq!(read.utc, event().utc);
}

async fn sub_second_precision_is_dropped_as_upstream<D: Door>() {
    new_york();
    let db = D::memory_with::<Event>().await;
    let precise = DateTime::from_timestamp(1_705_320_000, 999_000_000).unwrap();
    let stored = db
        .insert(Event {
            utc: precise,
            ..event()
        })
        .await
        .unwrap();
    assert_eq!(
        db.get::<Event>(stored.pk)
            .await
            .unwrap()
            .unwrap()
            .utc
            .timestamp_subsec_nanos(),
        0
    );
}

#[derive(sqliter_core::DbModel, Debug, Clone, Default, PartialEq)]
struct Meeting {
    pk: i64,
    at: chrono::NaiveDateTime,
    moved_to: Option<chrono::NaiveDateTime>,
}

async fn naive_datetimes_round_trip_and_filter<D: sqliter_tests::Door>() {
    use sqliter_core::prelude::*;
    use sqliter_tests::Terminals;
    let db = D::memory_with::<Meeting>().await;
    let at = chrono::NaiveDate::from_ymd_opt(2024, 3, 1)
        .unwrap()
        .and_hms_opt(9, 30, 0)
        .unwrap();
    let stored = db
        .insert(Meeting {
            at,
            moved_to: Some(at + chrono::Duration::hours(2)),
            ..Default::default()
        })
        .await
        .unwrap();
    db.insert(Meeting {
        at: at - chrono::Duration::days(1),
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(
        db.get::<Meeting>(stored.pk).await.unwrap(),
        Some(stored.clone())
    );
    // Stored as the same wall-clock time in UTC: 2024-03-01 09:30:00.
    assert_eq!(
        db.query_int(&format!("SELECT at FROM meetings WHERE pk = {}", stored.pk))
            .await,
        1_709_285_400
    );
    let later = db
        .select::<Meeting>()
        .filter_by("at__gte", at)
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(later, [stored]);
    let typed = db
        .select::<Meeting>()
        .filter(Meeting::at().lt(at))
        .count()
        .await
        .unwrap();
    assert_eq!(typed, 1);
    let moved = db
        .select::<Meeting>()
        .filter_by("moved_to__isnull", true)
        .count()
        .await
        .unwrap();
    assert_eq!(moved, 1);
}

sqliter_tests::door_tests!(naive_datetimes_round_trip_and_filter);
