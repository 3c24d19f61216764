//! Every supported field type survives a round trip; values that cannot be
//! stored or read are typed errors.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqliter_core::{DbModel, DecodeError, Error, ValueError};
use sqliter_tests::{door_tests, Door, Terminals};

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
struct Address {
    street: String,
    numbers: Vec<u32>,
    extra: Option<Box<Address>>,
}

#[derive(DbModel, Debug, Clone, PartialEq, Default)]
struct Everything {
    pk: i64,
    text: String,
    tiny: i8,
    small: i16,
    int: i32,
    big: i64,
    ubyte: u8,
    ushort: u16,
    uint: u32,
    ubig: u64,
    size: usize,
    single: f32,
    double: f64,
    flag: bool,
    bytes: Vec<u8>,
    day: NaiveDate,
    at: DateTime<Utc>,
    maybe_int: Option<i64>,
    maybe_text: Option<String>,
    maybe_float: Option<f64>,
    maybe_flag: Option<bool>,
    maybe_bytes: Option<Vec<u8>>,
    maybe_day: Option<NaiveDate>,
    list: Vec<i32>,
    map: HashMap<String, i32>,
    tree: BTreeMap<String, Vec<String>>,
    set: HashSet<String>,
    ordered: BTreeSet<i64>,
    pair: (i32, String),
    #[sqliter(json)]
    address: Address,
    maybe_list: Option<Vec<String>>,
}

async fn db<D: Door>() -> D {
    D::memory_with::<Everything>().await
}

fn full() -> Everything {
    Everything {
        text: "héllo wörld — 日本語 🚀".into(),
        tiny: i8::MIN,
        small: i16::MAX,
        int: -123_456,
        big: i64::MIN,
        ubyte: u8::MAX,
        ushort: u16::MAX,
        uint: u32::MAX,
        ubig: u64::try_from(i64::MAX).unwrap(),
        size: 42,
        single: 1.5,
        double: -0.125,
        flag: true,
        bytes: (0..=255).cycle().take(1 << 20).collect(),
        day: NaiveDate::from_ymd_opt(2024, 1, 15).unwrap(),
        at: DateTime::from_timestamp(1_705_320_000, 0).unwrap(),
        maybe_int: Some(i64::MAX),
        maybe_text: Some(String::new()),
        maybe_float: Some(2.5),
        maybe_flag: Some(false),
        maybe_bytes: Some(vec![0, 1, 2]),
        maybe_day: Some(NaiveDate::from_ymd_opt(1969, 7, 20).unwrap()),
        list: vec![1, -2, 3],
        map: HashMap::from([("a".into(), 1), ("é".into(), 2)]),
        tree: BTreeMap::from([("k".into(), vec!["x".into(), "y".into()])]),
        set: HashSet::from(["one".into(), "two".into()]),
        ordered: BTreeSet::from([3, 1, 2]),
        pair: (7, "seven".into()),
        address: Address {
            street: "Main".into(),
            numbers: vec![1, 2],
            extra: Some(Box::new(Address {
                street: "Inner".into(),
                numbers: vec![],
                extra: None,
            })),
        },
        maybe_list: Some(vec!["x".into()]),
        ..Default::default()
    }
}

door_tests!(
    every_field_type_round_trips,
    empty_values_round_trip,
    none_is_stored_as_sql_null_and_values_keep_their_type,
    optional_numbers_compare_as_numbers,
    u64_above_i64_max_is_an_error_not_a_wrap,
    nan_is_refused_at_write_time,
    text_in_an_integer_column_is_a_decode_error_naming_the_row,
    out_of_range_integer_in_the_file_is_a_decode_error,
    null_in_a_not_null_field_is_a_decode_error,
    odd_bool_and_bad_json_are_decode_errors,
    invalid_date_value_is_a_decode_error,
    non_finite_floats_inside_json_are_refused_at_write_time,
    refused_json_values_leave_the_table_readable,
);

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
struct Sensor {
    name: String,
    readings: Vec<Option<f64>>,
}

#[derive(DbModel, Debug, Clone, PartialEq, Default)]
struct Series {
    pk: i64,
    points: Vec<f64>,
    pair: (f32, String),
    #[sqliter(json)]
    sensor: Sensor,
    maybe: Option<Vec<f64>>,
}

fn series() -> Series {
    Series {
        points: vec![1.5, -0.25],
        pair: (0.5, "x".into()),
        sensor: Sensor {
            name: "t".into(),
            readings: vec![Some(20.5), None],
        },
        maybe: Some(vec![3.0]),
        ..Default::default()
    }
}

/// Every way a non-finite float can hide inside a JSON field.
fn poisoned() -> Vec<(&'static str, Series)> {
    let mut cases = Vec::new();
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let mut s = series();
        s.points.push(bad);
        cases.push(("points", s));
        let mut s = series();
        #[allow(clippy::cast_possible_truncation)]
        {
            s.pair.0 = bad as f32;
        }
        cases.push(("pair", s));
        let mut s = series();
        s.sensor.readings.push(Some(bad));
        cases.push(("sensor", s));
        let mut s = series();
        s.maybe = Some(vec![bad]);
        cases.push(("maybe", s));
    }
    cases
}

fn is_non_finite_refusal(err: &Error, field: &str) -> bool {
    matches!(err, Error::InvalidValue { table, field: f, reason: ValueError::NonFiniteInJson(_) }
        if table == "series" && f == field)
}

async fn non_finite_floats_inside_json_are_refused_at_write_time<D: Door>() {
    let db = D::memory_with::<Series>().await;
    let stored = db.insert(series()).await.unwrap();
    for (field, record) in poisoned() {
        let err = db.insert(record.clone()).await.unwrap_err();
        assert!(
            is_non_finite_refusal(&err, field),
            "insert {field}: {err:?}"
        );
        let err = db
            .bulk_insert(&mut [series(), record.clone()])
            .await
            .unwrap_err();
        assert!(is_non_finite_refusal(&err, field), "bulk {field}: {err:?}");
        let mut changed = Series {
            pk: stored.pk,
            ..record
        };
        let err = db.update(&mut changed).await.unwrap_err();
        assert!(
            is_non_finite_refusal(&err, field),
            "update {field}: {err:?}"
        );
    }
    let err = db
        .select::<Series>()
        .update([Series::points().set(vec![f64::NAN])])
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidUpdate(ref m) if m.contains("points")),
        "{err:?}"
    );
    assert_eq!(db.get::<Series>(stored.pk).await.unwrap(), Some(stored));
}

async fn refused_json_values_leave_the_table_readable<D: Door>() {
    let db = D::memory_with::<Series>().await;
    for (_, record) in poisoned() {
        let _ = db.insert(record).await;
    }
    db.insert(series()).await.unwrap();
    let all = db.select::<Series>().fetch_all().await.unwrap();
    assert_eq!(all.len(), 1, "nothing poisoned was stored");
}

async fn every_field_type_round_trips<D: Door>() {
    let db = db::<D>().await;
    let stored = db.insert(full()).await.unwrap();
    let loaded = db.get::<Everything>(stored.pk).await.unwrap().unwrap();
    assert_eq!(loaded, stored);
    assert_eq!(loaded.big, i64::MIN);
    assert_eq!(loaded.bytes.len(), 1 << 20);
}

async fn empty_values_round_trip<D: Door>() {
    let db = db::<D>().await;
    let stored = db.insert(Everything::default()).await.unwrap();
    let loaded = db.get::<Everything>(stored.pk).await.unwrap().unwrap();
    assert_eq!(loaded, stored);
    assert_eq!(loaded.maybe_int, None);
    assert_eq!(loaded.maybe_list, None);
    assert_eq!(loaded.text, "");
}

async fn none_is_stored_as_sql_null_and_values_keep_their_type<D: Door>() {
    let db = db::<D>().await;
    db.insert(Everything::default()).await.unwrap();
    db.insert(full()).await.unwrap();
    let types = async |column: &str, pk: i64| {
        db.query_text(&format!(
            "SELECT typeof({column}) FROM everythings WHERE pk = {pk}"
        ))
        .await
    };
    for column in [
        "maybe_int",
        "maybe_text",
        "maybe_float",
        "maybe_flag",
        "maybe_bytes",
        "maybe_day",
        "maybe_list",
    ] {
        assert_eq!(types(column, 1).await, "null", "{column}");
    }
    // Upstream stores every Optional as TEXT; here the type is kept.
    assert_eq!(types("maybe_int", 2).await, "integer");
    assert_eq!(types("maybe_float", 2).await, "real");
    assert_eq!(types("maybe_flag", 2).await, "integer");
    assert_eq!(types("maybe_day", 2).await, "integer");
    assert_eq!(types("maybe_bytes", 2).await, "blob");
    assert_eq!(types("list", 2).await, "text");
    assert_eq!(
        db.query_text("SELECT list FROM everythings WHERE pk = 2")
            .await,
        "[1,-2,3]"
    );
}

async fn optional_numbers_compare_as_numbers<D: Door>() {
    let db = db::<D>().await;
    for value in [2.5, 10.0, 12.0] {
        db.insert(Everything {
            maybe_float: Some(value),
            ..Default::default()
        })
        .await
        .unwrap();
    }
    let n = db
        .query_int("SELECT count(*) FROM everythings WHERE maybe_float > 10")
        .await;
    assert_eq!(n, 1);
}

async fn u64_above_i64_max_is_an_error_not_a_wrap<D: Door>() {
    let db = db::<D>().await;
    let err = db
        .insert(Everything {
            ubig: u64::MAX,
            ..Default::default()
        })
        .await
        .unwrap_err();
    match err {
        Error::InvalidValue {
            table,
            field,
            reason,
        } => {
            assert_eq!(table, "everythings");
            assert_eq!(field, "ubig");
            assert_eq!(reason, ValueError::OutOfRange(u64::MAX.to_string()));
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(db.query_int("SELECT count(*) FROM everythings").await, 0);
}

async fn nan_is_refused_at_write_time<D: Door>() {
    let db = db::<D>().await;
    let err = db
        .insert(Everything {
            double: f64::NAN,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidValue { ref field, reason: ValueError::NaN, .. } if field == "double"),
        "{err:?}"
    );
    let err = db
        .insert(Everything {
            maybe_float: Some(f64::NAN),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidValue { ref field, .. } if field == "maybe_float"),
        "{err:?}"
    );
}

async fn decode_error<D: Door>(db: &D, pk: i64) -> (String, String, Option<i64>, DecodeError) {
    match db.get::<Everything>(pk).await.unwrap_err() {
        Error::Decode {
            table,
            column,
            pk,
            reason,
        } => (table, column, pk, reason),
        other => panic!("expected a decode error, got {other:?}"),
    }
}

async fn text_in_an_integer_column_is_a_decode_error_naming_the_row<D: Door>() {
    let db = db::<D>().await;
    let stored = db.insert(Everything::default()).await.unwrap();
    db.raw("UPDATE everythings SET int = 'not a number'").await;
    let (table, column, pk, reason) = decode_error(&db, stored.pk).await;
    assert_eq!(
        (table.as_str(), column.as_str(), pk),
        ("everythings", "int", Some(stored.pk))
    );
    // Numeric text is read (Python SQLiter's `TEXT` columns); other text is
    // named in the error.
    assert_eq!(
        reason,
        DecodeError::Invalid("text \"not a number\" is not an integer".into())
    );
}

async fn out_of_range_integer_in_the_file_is_a_decode_error<D: Door>() {
    let db = db::<D>().await;
    let stored = db.insert(Everything::default()).await.unwrap();
    db.raw("UPDATE everythings SET ubyte = 300").await;
    let (_, column, _, reason) = decode_error(&db, stored.pk).await;
    assert_eq!(column, "ubyte");
    assert_eq!(
        reason,
        DecodeError::OutOfRange {
            value: 300,
            target: "u8"
        }
    );
}

async fn null_in_a_not_null_field_is_a_decode_error<D: Door>() {
    let db = db::<D>().await;
    let stored = db.insert(Everything::default()).await.unwrap();
    // A file written by another tool may lack the NOT NULL constraint.
    db.raw("CREATE TABLE loose AS SELECT * FROM everythings; DROP TABLE everythings; ALTER TABLE loose RENAME TO everythings; UPDATE everythings SET text = NULL").await;
    let (_, column, _, reason) = decode_error(&db, stored.pk).await;
    assert_eq!(column, "text");
    assert_eq!(
        reason,
        DecodeError::WrongType {
            expected: "TEXT",
            found: "NULL"
        }
    );
}

async fn odd_bool_and_bad_json_are_decode_errors<D: Door>() {
    let db = db::<D>().await;
    let stored = db.insert(Everything::default()).await.unwrap();
    db.raw("UPDATE everythings SET flag = 2").await;
    assert_eq!(decode_error(&db, stored.pk).await.1, "flag");
    db.raw("UPDATE everythings SET flag = 1, list = '[1, oops'")
        .await;
    let (_, column, _, reason) = decode_error(&db, stored.pk).await;
    assert_eq!(column, "list");
    assert!(
        matches!(reason, DecodeError::Invalid(ref m) if m.starts_with("invalid JSON")),
        "{reason:?}"
    );
}

async fn invalid_date_value_is_a_decode_error<D: Door>() {
    let db = db::<D>().await;
    let stored = db.insert(Everything::default()).await.unwrap();
    db.raw(&format!("UPDATE everythings SET day = {}", i64::MAX))
        .await;
    assert_eq!(decode_error(&db, stored.pk).await.1, "day");
}
