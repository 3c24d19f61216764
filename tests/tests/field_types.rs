//! Every supported field type survives a round trip; values that cannot be
//! stored or read are typed errors.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqliter_core::{DbModel, DecodeError, Error, SqliterDB, ValueError};
use sqliter_tests::{query_text, raw};

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

fn db() -> SqliterDB {
    let db = SqliterDB::open_in_memory().unwrap();
    db.create_table::<Everything>().unwrap();
    db
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

#[test]
fn every_field_type_round_trips() {
    let db = db();
    let stored = db.insert(full()).unwrap();
    let loaded = db.get::<Everything>(stored.pk).unwrap().unwrap();
    assert_eq!(loaded, stored);
    assert_eq!(loaded.big, i64::MIN);
    assert_eq!(loaded.bytes.len(), 1 << 20);
}

#[test]
fn empty_values_round_trip() {
    let db = db();
    let stored = db.insert(Everything::default()).unwrap();
    let loaded = db.get::<Everything>(stored.pk).unwrap().unwrap();
    assert_eq!(loaded, stored);
    assert_eq!(loaded.maybe_int, None);
    assert_eq!(loaded.maybe_list, None);
    assert_eq!(loaded.text, "");
}

#[test]
fn none_is_stored_as_sql_null_and_values_keep_their_type() {
    let db = db();
    db.insert(Everything::default()).unwrap();
    db.insert(full()).unwrap();
    let types = |column: &str, pk: i64| {
        query_text(
            &db,
            &format!("SELECT typeof({column}) FROM everythings WHERE pk = {pk}"),
        )
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
        assert_eq!(types(column, 1), "null", "{column}");
    }
    // Upstream stores every Optional as TEXT; here the type is kept.
    assert_eq!(types("maybe_int", 2), "integer");
    assert_eq!(types("maybe_float", 2), "real");
    assert_eq!(types("maybe_flag", 2), "integer");
    assert_eq!(types("maybe_day", 2), "integer");
    assert_eq!(types("maybe_bytes", 2), "blob");
    assert_eq!(types("list", 2), "text");
    assert_eq!(
        query_text(&db, "SELECT list FROM everythings WHERE pk = 2"),
        "[1,-2,3]"
    );
}

#[test]
fn optional_numbers_compare_as_numbers() {
    let db = db();
    for value in [2.5, 10.0, 12.0] {
        db.insert(Everything {
            maybe_float: Some(value),
            ..Default::default()
        })
        .unwrap();
    }
    let n = sqliter_tests::query_int(
        &db,
        "SELECT count(*) FROM everythings WHERE maybe_float > 10",
    );
    assert_eq!(n, 1);
}

#[test]
fn u64_above_i64_max_is_an_error_not_a_wrap() {
    let db = db();
    let err = db
        .insert(Everything {
            ubig: u64::MAX,
            ..Default::default()
        })
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
    assert_eq!(
        sqliter_tests::query_int(&db, "SELECT count(*) FROM everythings"),
        0
    );
}

#[test]
fn nan_is_refused_at_write_time() {
    let db = db();
    let err = db
        .insert(Everything {
            double: f64::NAN,
            ..Default::default()
        })
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
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidValue { ref field, .. } if field == "maybe_float"),
        "{err:?}"
    );
}

fn decode_error(db: &SqliterDB, pk: i64) -> (String, String, Option<i64>, DecodeError) {
    match db.get::<Everything>(pk).unwrap_err() {
        Error::Decode {
            table,
            column,
            pk,
            reason,
        } => (table, column, pk, reason),
        other => panic!("expected a decode error, got {other:?}"),
    }
}

#[test]
fn text_in_an_integer_column_is_a_decode_error_naming_the_row() {
    let db = db();
    let stored = db.insert(Everything::default()).unwrap();
    raw(&db, "UPDATE everythings SET int = 'not a number'");
    let (table, column, pk, reason) = decode_error(&db, stored.pk);
    assert_eq!(
        (table.as_str(), column.as_str(), pk),
        ("everythings", "int", Some(stored.pk))
    );
    assert_eq!(
        reason,
        DecodeError::WrongType {
            expected: "INTEGER",
            found: "TEXT"
        }
    );
}

#[test]
fn out_of_range_integer_in_the_file_is_a_decode_error() {
    let db = db();
    let stored = db.insert(Everything::default()).unwrap();
    raw(&db, "UPDATE everythings SET ubyte = 300");
    let (_, column, _, reason) = decode_error(&db, stored.pk);
    assert_eq!(column, "ubyte");
    assert_eq!(
        reason,
        DecodeError::OutOfRange {
            value: 300,
            target: "u8"
        }
    );
}

#[test]
fn null_in_a_not_null_field_is_a_decode_error() {
    let db = db();
    let stored = db.insert(Everything::default()).unwrap();
    // A file written by another tool may lack the NOT NULL constraint.
    raw(&db, "CREATE TABLE loose AS SELECT * FROM everythings; DROP TABLE everythings; ALTER TABLE loose RENAME TO everythings; UPDATE everythings SET text = NULL");
    let (_, column, _, reason) = decode_error(&db, stored.pk);
    assert_eq!(column, "text");
    assert_eq!(
        reason,
        DecodeError::WrongType {
            expected: "TEXT",
            found: "NULL"
        }
    );
}

#[test]
fn odd_bool_and_bad_json_are_decode_errors() {
    let db = db();
    let stored = db.insert(Everything::default()).unwrap();
    raw(&db, "UPDATE everythings SET flag = 2");
    assert_eq!(decode_error(&db, stored.pk).1, "flag");
    raw(&db, "UPDATE everythings SET flag = 1, list = '[1, oops'");
    let (_, column, _, reason) = decode_error(&db, stored.pk);
    assert_eq!(column, "list");
    assert!(
        matches!(reason, DecodeError::Invalid(ref m) if m.starts_with("invalid JSON")),
        "{reason:?}"
    );
}

#[test]
fn invalid_date_value_is_a_decode_error() {
    let db = db();
    let stored = db.insert(Everything::default()).unwrap();
    raw(&db, &format!("UPDATE everythings SET day = {}", i64::MAX));
    assert_eq!(decode_error(&db, stored.pk).1, "day");
}
