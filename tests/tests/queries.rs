//! The query builder on upstream's fixed dataset: every operator, NULLs,
//! Unicode and wildcard characters, ordering, pagination, projection,
//! terminals and bulk update/delete. Expected rows are written out by hand.

use chrono::NaiveDate;
use sqliter_core::prelude::*;
use sqliter_core::{DbModel, Error, SqliterDB, Value};
use sqliter_tests::query_int;

#[derive(DbModel, Debug, Clone, Default, PartialEq)]
struct Item {
    pk: i64,
    created_at: i64,
    updated_at: i64,
    name: String,
    qty: i64,
    price: Option<f64>,
    tag: Option<String>,
    active: bool,
    small: i8,
}

#[rustfmt::skip]
const ROWS: [(&str, Option<f64>, Option<&str>, bool); 15] = [
    ("café", Some(1.5), Some("fr"), true),
    ("CAFÉ", Some(2.5), None, false),
    ("Café", None, Some("fr"), true),
    ("Grand Café", Some(12.0), Some("fr"), false),
    ("cafe", Some(10.5), Some("en"), true),
    ("Apple", None, Some("en"), true),
    ("apple", Some(11.0), None, false),
    ("APPLE", Some(14.0), Some("en"), true),
    ("banana", Some(13.0), Some("en"), false),
    ("50% off", Some(0.5), Some("x"), true),
    ("a_b", None, None, true),
    ("x*y", Some(2.0), Some("x"), false),
    ("[abc]", Some(1.0), Some("x"), true),
    ("naïve", Some(0.0), None, true),
    ("", Some(2.0), Some(""), false),
];

fn db() -> SqliterDB {
    let db = SqliterDB::open_in_memory().unwrap();
    db.create_table::<Item>().unwrap();
    let mut items: Vec<Item> = ROWS
        .iter()
        .zip(1..)
        .map(|(&(name, price, tag, active), qty)| Item {
            name: name.into(),
            qty,
            price,
            tag: tag.map(Into::into),
            active,
            ..Default::default()
        })
        .collect();
    db.bulk_insert(&mut items).unwrap();
    db
}

fn names(items: &[Item]) -> Vec<&str> {
    items.iter().map(|i| i.name.as_str()).collect()
}

const ALL: [&str; 15] = [
    "café",
    "CAFÉ",
    "Café",
    "Grand Café",
    "cafe",
    "Apple",
    "apple",
    "APPLE",
    "banana",
    "50% off",
    "a_b",
    "x*y",
    "[abc]",
    "naïve",
    "",
];

/// Run a string lookup and return the matching names in pk order.
fn by(db: &SqliterDB, key: &str, value: impl Into<sqliter_core::Param>) -> Vec<String> {
    let rows = db
        .select::<Item>()
        .filter_by(key, value)
        .fetch_all()
        .unwrap();
    names(&rows).into_iter().map(str::to_owned).collect()
}

fn err_of(result: sqliter_core::Result<Vec<Item>>) -> Error {
    result.expect_err("expected an error")
}

#[test]
fn eq_is_the_default_and_none_means_is_null() {
    let db = db();
    assert_eq!(by(&db, "name", "café"), ["café"]);
    assert_eq!(by(&db, "name__eq", "café"), ["café"]);
    assert_eq!(
        by(&db, "tag", None::<String>),
        ["CAFÉ", "apple", "a_b", "naïve"]
    );
    assert_eq!(by(&db, "tag", ""), [""]);
    assert_eq!(
        by(&db, "active", true),
        ["café", "Café", "cafe", "Apple", "APPLE", "50% off", "a_b", "[abc]", "naïve"]
    );
    assert_eq!(by(&db, "pk", 3), ["Café"]);
}

#[test]
fn ne_excludes_nulls_and_ne_none_means_is_not_null() {
    let db = db();
    assert_eq!(
        by(&db, "tag__ne", "fr"),
        ["cafe", "Apple", "APPLE", "banana", "50% off", "x*y", "[abc]", ""]
    );
    assert_eq!(
        by(&db, "tag__ne", None::<String>),
        [
            "café",
            "Café",
            "Grand Café",
            "cafe",
            "Apple",
            "APPLE",
            "banana",
            "50% off",
            "x*y",
            "[abc]",
            ""
        ]
    );
}

#[test]
fn comparisons_on_integers_and_optional_floats_are_numeric() {
    let db = db();
    assert_eq!(by(&db, "qty__lt", 3), ["café", "CAFÉ"]);
    assert_eq!(by(&db, "qty__lte", 3), ["café", "CAFÉ", "Café"]);
    assert_eq!(by(&db, "qty__gt", 13), ["naïve", ""]);
    assert_eq!(by(&db, "qty__gte", 13), ["[abc]", "naïve", ""]);
    // Upstream compares Optional floats as text ('2.5' > '10').
    assert_eq!(
        by(&db, "price__gt", 10),
        ["Grand Café", "cafe", "apple", "APPLE", "banana"]
    );
    assert_eq!(by(&db, "price__lt", 1), ["50% off", "naïve"]);
    assert!(by(&db, "qty__gt", None::<i64>).is_empty());
}

#[test]
fn in_and_not_in_with_empty_lists_and_none() {
    let db = db();
    assert_eq!(
        by(&db, "name__in", ["café", "CAFÉ", "nope"]),
        ["café", "CAFÉ"]
    );
    assert!(by(&db, "name__in", Vec::<String>::new()).is_empty());
    assert_eq!(by(&db, "qty__in", [1, 2, 3]), ["café", "CAFÉ", "Café"]);
    assert_eq!(
        by(&db, "tag__not_in", ["fr", "en"]),
        ["50% off", "x*y", "[abc]", ""]
    );
    assert_eq!(by(&db, "tag__not_in", Vec::<String>::new()), ALL);
    // None in the list stands for NULL: `in` matches NULL rows too...
    assert_eq!(
        by(&db, "tag__in", [Some("fr"), None]),
        [
            "café",
            "CAFÉ",
            "Café",
            "Grand Café",
            "apple",
            "a_b",
            "naïve"
        ]
    );
    // ...and `not_in` excludes them (upstream's matches nothing).
    assert_eq!(
        by(&db, "tag__not_in", [Some("fr"), None]),
        ["cafe", "Apple", "APPLE", "banana", "50% off", "x*y", "[abc]", ""]
    );
}

#[test]
fn isnull_and_notnull_take_a_flag() {
    let db = db();
    let nulls = ["CAFÉ", "apple", "a_b", "naïve"];
    let not_nulls = [
        "café",
        "Café",
        "Grand Café",
        "cafe",
        "Apple",
        "APPLE",
        "banana",
        "50% off",
        "x*y",
        "[abc]",
        "",
    ];
    assert_eq!(by(&db, "tag__isnull", true), nulls);
    assert_eq!(by(&db, "tag__isnull", false), not_nulls);
    assert_eq!(by(&db, "tag__notnull", true), not_nulls);
    assert_eq!(by(&db, "tag__notnull", false), nulls);
    assert_eq!(by(&db, "price__isnull", true), ["Café", "Apple", "a_b"]);
}

#[test]
fn like_uses_the_callers_pattern() {
    let db = db();
    assert_eq!(
        by(&db, "name__like", "caf%"),
        ["café", "CAFÉ", "Café", "cafe"]
    );
    assert_eq!(by(&db, "name__like", "_afé"), ["café", "Café"]);
    assert!(by(&db, "name__like", "pple").is_empty());
}

#[test]
fn case_sensitive_text_operators_match_literally() {
    let db = db();
    assert_eq!(by(&db, "name__startswith", "caf"), ["café", "cafe"]);
    assert_eq!(by(&db, "name__startswith", "CAF"), ["CAFÉ"]);
    assert_eq!(by(&db, "name__startswith", "50%"), ["50% off"]);
    // Wildcard characters are literal (upstream treats them as GLOB syntax).
    assert_eq!(by(&db, "name__startswith", "[a"), ["[abc]"]);
    assert!(by(&db, "name__startswith", "[a]").is_empty());
    assert!(by(&db, "name__startswith", "?").is_empty());
    assert_eq!(by(&db, "name__startswith", "x*"), ["x*y"]);
    assert_eq!(by(&db, "name__startswith", ""), ALL);
    assert_eq!(
        by(&db, "name__endswith", "é"),
        ["café", "Café", "Grand Café"]
    );
    assert_eq!(by(&db, "name__endswith", "É"), ["CAFÉ"]);
    assert_eq!(
        by(&db, "name__contains", "af"),
        ["café", "Café", "Grand Café", "cafe"]
    );
    assert_eq!(by(&db, "name__contains", "%"), ["50% off"]);
    assert_eq!(by(&db, "name__contains", "_"), ["a_b"]);
    assert_eq!(by(&db, "name__contains", "*"), ["x*y"]);
    assert_eq!(by(&db, "name__contains", "ï"), ["naïve"]);
}

#[test]
fn case_insensitive_text_operators_are_unicode_aware_and_literal() {
    let db = db();
    assert_eq!(
        by(&db, "name__icontains", "café"),
        ["café", "CAFÉ", "Café", "Grand Café"]
    );
    assert_eq!(
        by(&db, "name__icontains", "AFÉ"),
        ["café", "CAFÉ", "Café", "Grand Café"]
    );
    assert_eq!(
        by(&db, "name__istartswith", "CAFÉ"),
        ["café", "CAFÉ", "Café"]
    );
    assert_eq!(
        by(&db, "name__istartswith", "apple"),
        ["Apple", "apple", "APPLE"]
    );
    assert_eq!(
        by(&db, "name__iendswith", "É"),
        ["café", "CAFÉ", "Café", "Grand Café"]
    );
    assert_eq!(by(&db, "name__icontains", "NAÏVE"), ["naïve"]);
    assert_eq!(by(&db, "name__icontains", "_"), ["a_b"]);
    assert_eq!(by(&db, "name__icontains", "%"), ["50% off"]);
    assert_eq!(by(&db, "name__istartswith", "a_"), ["a_b"]);
    assert_eq!(by(&db, "name__icontains", ""), ALL);
}

#[test]
fn typed_filters_match_the_string_lookups() {
    let db = db();
    let q = || db.select::<Item>();
    assert_eq!(
        names(&q().filter(Item::qty().gte(13)).fetch_all().unwrap()),
        ["[abc]", "naïve", ""]
    );
    assert_eq!(
        names(&q().filter(Item::tag().eq(None)).fetch_all().unwrap()),
        ["CAFÉ", "apple", "a_b", "naïve"]
    );
    assert_eq!(
        names(
            &q().filter(Item::name().icontains("café"))
                .fetch_all()
                .unwrap()
        ),
        ["café", "CAFÉ", "Café", "Grand Café"]
    );
    assert_eq!(
        names(
            &q().filter(Item::tag().is_in([Some("x".to_owned()), Some(String::new())]))
                .fetch_all()
                .unwrap()
        ),
        ["50% off", "x*y", "[abc]", ""]
    );
    assert_eq!(
        names(&q().filter(Item::tag().icontains("FR")).fetch_all().unwrap()),
        ["café", "Café", "Grand Café"]
    );
    assert_eq!(
        names(&q().filter(Item::price().is_null()).fetch_all().unwrap()),
        ["Café", "Apple", "a_b"]
    );
    assert_eq!(
        names(&q().filter(Item::qty().not_in([])).fetch_all().unwrap()),
        ALL
    );
    assert!(q()
        .filter(Item::qty().is_in([]))
        .fetch_all()
        .unwrap()
        .is_empty());
}

#[test]
fn several_filters_and_chained_calls_are_anded() {
    let db = db();
    let one_call = db
        .select::<Item>()
        .filter_all([("tag", Value::from("fr")), ("active", Value::from(true))]);
    assert_eq!(names(&one_call.fetch_all().unwrap()), ["café", "Café"]);
    let chained = db
        .select::<Item>()
        .filter_by("tag", "fr")
        .filter(Item::active().eq(true))
        .filter_by("qty__gt", 1);
    assert_eq!(names(&chained.fetch_all().unwrap()), ["Café"]);
}

#[test]
fn unknown_fields_and_operators_are_invalid_filter() {
    let db = db();
    let err = err_of(db.select::<Item>().filter_by("bogus", 1).fetch_all());
    assert!(
        matches!(err, Error::InvalidFilter { ref field, .. } if field == "bogus"),
        "{err:?}"
    );
    let err = err_of(db.select::<Item>().filter_by("bogus__gt", 1).fetch_all());
    assert!(
        matches!(err, Error::InvalidFilter { ref field, .. } if field == "bogus"),
        "{err:?}"
    );
    let err = err_of(
        db.select::<Item>()
            .filter_by("name__regex", "x")
            .fetch_all(),
    );
    assert!(
        matches!(err, Error::InvalidFilter { ref reason, .. } if reason.contains("__regex")),
        "{err:?}"
    );
}

#[test]
fn values_of_the_wrong_kind_are_invalid_filter() {
    let db = db();
    for (key, value) in [
        ("name", sqliter_core::Param::from(vec!["café"])),
        ("qty__lt", vec![1].into()),
        ("qty__in", 1.into()),
        ("name__like", 5.into()),
        ("name__startswith", 5.into()),
        ("name__icontains", None::<String>.into()),
        ("tag__isnull", "yes".into()),
        ("price__gt", f64::NAN.into()),
        ("qty", u64::MAX.into()),
    ] {
        let err = err_of(db.select::<Item>().filter_by(key, value).fetch_all());
        assert!(matches!(err, Error::InvalidFilter { .. }), "{key}: {err:?}");
    }
}

#[test]
fn injection_through_field_names_and_values_is_refused_or_bound() {
    let db = db();
    let err = err_of(
        db.select::<Item>()
            .filter_by("name; DROP TABLE items", 1)
            .fetch_all(),
    );
    assert!(matches!(err, Error::InvalidFilter { .. }));
    assert!(by(&db, "name", "'; DROP TABLE items; --").is_empty());
    assert!(by(&db, "name__icontains", "') OR 1=1 --").is_empty());
    let err = err_of(
        db.select::<Item>()
            .order("qty; DROP TABLE items", false)
            .fetch_all(),
    );
    assert!(matches!(err, Error::InvalidOrder { .. }));
    let err = db
        .select::<Item>()
        .update([("name\" = 'x'; --", "y")])
        .unwrap_err();
    assert!(matches!(err, Error::InvalidUpdate(_)));
    assert_eq!(query_int(&db, "SELECT count(*) FROM items"), 15);
}

#[test]
fn rows_come_in_pk_order_without_order_keys() {
    let db = db();
    assert_eq!(names(&db.select::<Item>().fetch_all().unwrap()), ALL);
}

#[test]
fn order_by_one_or_several_keys_with_nulls_first() {
    let db = db();
    let by_qty_desc = db
        .select::<Item>()
        .order("qty", true)
        .limit(3)
        .fetch_all()
        .unwrap();
    assert_eq!(names(&by_qty_desc), ["", "naïve", "[abc]"]);
    // Ties on `tag` broken by qty descending; NULL tags sort first.
    let rows = db
        .select::<Item>()
        .order("tag", false)
        .order("qty", true)
        .fetch_all()
        .unwrap();
    assert_eq!(
        names(&rows),
        [
            "naïve",
            "a_b",
            "apple",
            "CAFÉ",
            "",
            "banana",
            "APPLE",
            "Apple",
            "cafe",
            "Grand Café",
            "Café",
            "café",
            "[abc]",
            "x*y",
            "50% off"
        ]
    );
    let typed = db
        .select::<Item>()
        .order_by(Item::price().desc())
        .order_by(Item::pk().asc())
        .limit(2)
        .fetch_all()
        .unwrap();
    assert_eq!(names(&typed), ["APPLE", "banana"]);
    let err = err_of(db.select::<Item>().order("bogus", false).fetch_all());
    assert!(
        matches!(err, Error::InvalidOrder { ref field, .. } if field == "bogus"),
        "{err:?}"
    );
}

#[test]
fn limit_and_offset() {
    let db = db();
    let q = || db.select::<Item>();
    assert_eq!(
        names(&q().limit(3).fetch_all().unwrap()),
        ["café", "CAFÉ", "Café"]
    );
    assert_eq!(
        names(&q().limit(2).offset(3).fetch_all().unwrap()),
        ["Grand Café", "cafe"]
    );
    assert_eq!(
        names(&q().offset(13).fetch_all().unwrap()),
        ["naïve", ""],
        "offset without limit"
    );
    assert_eq!(q().offset(0).fetch_all().unwrap().len(), 15);
    assert!(q().offset(100).fetch_all().unwrap().is_empty());
    assert!(q().limit(0).fetch_all().unwrap().is_empty());
    assert_eq!(
        q().limit(-1).fetch_all().unwrap().len(),
        15,
        "negative limit means none, as upstream"
    );
    let err = err_of(q().offset(-1).fetch_all());
    assert!(matches!(err, Error::InvalidOffset(-1)), "{err:?}");
}

#[test]
fn count_and_exists_agree_with_fetch_all() {
    let db = db();
    let chains = [
        db.select::<Item>(),
        db.select::<Item>().offset(1),
        db.select::<Item>().limit(2),
        db.select::<Item>().limit(0),
        db.select::<Item>().offset(14),
        db.select::<Item>().offset(15),
        db.select::<Item>()
            .filter_by("tag", "fr")
            .limit(2)
            .offset(1),
        db.select::<Item>().filter_by("tag", "nope"),
    ];
    for chain in chains {
        let rows = chain.fetch_all().unwrap().len() as u64;
        assert_eq!(chain.count().unwrap(), rows);
        assert_eq!(chain.exists().unwrap(), rows > 0);
    }
}

#[test]
fn fetch_one_first_and_last() {
    let db = db();
    assert_eq!(
        db.select::<Item>()
            .filter_by("qty__gt", 13)
            .fetch_one()
            .unwrap()
            .unwrap()
            .name,
        "naïve"
    );
    assert!(db
        .select::<Item>()
        .filter_by("qty__gt", 99)
        .fetch_one()
        .unwrap()
        .is_none());
    assert_eq!(
        db.select::<Item>()
            .order("qty", true)
            .fetch_first()
            .unwrap()
            .unwrap()
            .name,
        ""
    );
    assert_eq!(db.select::<Item>().fetch_last().unwrap().unwrap().name, "");
    assert_eq!(
        db.select::<Item>()
            .offset(1)
            .fetch_last()
            .unwrap()
            .unwrap()
            .name,
        "naïve"
    );
    assert!(db.select::<Item>().limit(0).fetch_one().unwrap().is_none());
}

#[test]
fn fetch_last_honours_order_and_leaves_the_builder_unchanged() {
    let db = db();
    let query = db
        .select::<Item>()
        .filter_by("tag", "en")
        .order("name", false);
    assert_eq!(query.fetch_last().unwrap().unwrap().name, "cafe");
    assert_eq!(
        names(&query.fetch_all().unwrap()),
        ["APPLE", "Apple", "banana", "cafe"]
    );
}

#[test]
fn projection_loads_selected_fields_and_defaults_the_rest() {
    let db = db();
    let rows = db
        .select::<Item>()
        .fields(["name"])
        .filter_by("qty", 1)
        .fetch_all()
        .unwrap();
    assert_eq!(
        rows,
        [Item {
            pk: 1,
            name: "café".into(),
            ..Default::default()
        }],
        "pk always loaded; qty, price, tag, active and timestamps take their Default"
    );
    let rows = db
        .select::<Item>()
        .exclude(["price", "tag"])
        .filter_by("qty", 1)
        .fetch_all()
        .unwrap();
    assert_eq!(
        (
            rows[0].qty,
            rows[0].price.as_ref(),
            rows[0].tag.as_ref(),
            rows[0].active
        ),
        (1, None, None, true)
    );
    assert!(rows[0].created_at > 0);
    let only = db
        .select::<Item>()
        .only("qty")
        .order("qty", true)
        .fetch_first()
        .unwrap()
        .unwrap();
    assert_eq!((only.pk, only.qty, only.name.as_str()), (15, 15, ""));
    // Filtering and ordering on unselected fields works.
    let rows = db
        .select::<Item>()
        .fields(["name"])
        .filter_by("qty__gte", 14)
        .order("price", true)
        .fetch_all()
        .unwrap();
    assert_eq!(names(&rows), ["", "naïve"]);
}

#[test]
fn projection_errors() {
    let db = db();
    let err = err_of(db.select::<Item>().fields(["nope"]).fetch_all());
    assert!(
        matches!(err, Error::InvalidField { ref field, .. } if field == "nope"),
        "{err:?}"
    );
    let err = err_of(db.select::<Item>().exclude(["pk"]).fetch_all());
    assert!(matches!(err, Error::InvalidProjection(_)), "{err:?}");
    let all_but_pk = [
        "created_at",
        "updated_at",
        "name",
        "qty",
        "price",
        "tag",
        "active",
        "small",
    ];
    let err = err_of(db.select::<Item>().exclude(all_but_pk).fetch_all());
    assert!(matches!(err, Error::InvalidProjection(_)), "{err:?}");
    assert_eq!(
        db.select::<Item>()
            .fields(Vec::<String>::new())
            .fetch_all()
            .unwrap()
            .len(),
        15
    );
}

#[test]
fn a_field_without_default_must_be_selected() {
    #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Money {
        cents: i64,
    }
    #[derive(DbModel, Debug)]
    struct Wallet {
        pk: i64,
        owner: String,
        #[sqliter(json)]
        balance: Money,
    }
    let db = SqliterDB::open_in_memory().unwrap();
    db.create_table::<Wallet>().unwrap();
    db.insert(Wallet {
        pk: 0,
        owner: "ann".into(),
        balance: Money { cents: 5 },
    })
    .unwrap();
    let err = db.select::<Wallet>().only("owner").fetch_all().unwrap_err();
    assert!(
        matches!(err, Error::InvalidProjection(ref m) if m.contains("balance")),
        "{err:?}"
    );
    let wallet = db
        .select::<Wallet>()
        .only("balance")
        .fetch_one()
        .unwrap()
        .unwrap();
    assert_eq!((wallet.owner.as_str(), wallet.balance.cents), ("", 5));
}

#[test]
fn update_sets_values_on_matching_rows_ignoring_limit_and_bumps_updated_at() {
    let db = db();
    sqliter_tests::raw(&db, "UPDATE items SET updated_at = 1");
    let n = db
        .select::<Item>()
        .filter_by("tag", "fr")
        .order("qty", false)
        .limit(1)
        .update([("qty", 100)])
        .unwrap();
    assert_eq!(n, 3);
    let changed = db
        .select::<Item>()
        .filter_by("qty", 100)
        .fetch_all()
        .unwrap();
    assert_eq!(names(&changed), ["café", "Café", "Grand Café"]);
    assert!(changed.iter().all(|i| i.updated_at > 1));
    assert_eq!(
        query_int(&db, "SELECT count(*) FROM items WHERE updated_at = 1"),
        12
    );
    let typed = db
        .select::<Item>()
        .filter(Item::name().eq("apple"))
        .update([
            Item::price().set(None),
            Item::tag().set(Some("z".to_owned())),
        ])
        .unwrap();
    assert_eq!(typed, 1);
    let apple = db
        .select::<Item>()
        .filter_by("name", "apple")
        .fetch_one()
        .unwrap()
        .unwrap();
    assert_eq!((apple.price, apple.tag.as_deref()), (None, Some("z")));
    assert_eq!(
        db.select::<Item>()
            .update(Vec::<(&str, i64)>::new())
            .unwrap(),
        0
    );
}

#[test]
fn update_refuses_unknown_protected_and_ill_typed_fields() {
    let db = db();
    let q = db.select::<Item>();
    let err = q.update([("zzz", 1), ("bogus", 2)]).unwrap_err();
    assert!(
        matches!(err, Error::InvalidUpdate(ref m) if m.ends_with("bogus, zzz")),
        "{err:?}"
    );
    for field in ["pk", "created_at", "updated_at"] {
        assert!(
            matches!(q.update([(field, 1)]), Err(Error::InvalidUpdate(_))),
            "{field}"
        );
    }
    for (field, value) in [
        ("qty", Value::from("not-an-int")),
        ("qty", Value::Null),
        ("name", Value::from(5)),
        ("active", Value::from(7)),
        ("small", Value::from(1000)),
        ("price", Value::Real(f64::NAN)),
    ] {
        let err = q.update([(field, value.clone())]).unwrap_err();
        assert!(
            matches!(err, Error::InvalidUpdate(_)),
            "{field} = {value:?}: {err:?}"
        );
    }
    // Nothing was written: every row still reads back.
    assert_eq!(db.select::<Item>().fetch_all().unwrap().len(), 15);
    assert_eq!(
        q.update([("price", Value::from(3))]).unwrap(),
        15,
        "an integer fits a REAL field"
    );
}

#[test]
fn update_where_is_filter_then_update() {
    let db = db();
    let n = db
        .update_where::<Item>([("tag__isnull", true)], [("tag", "none")])
        .unwrap();
    assert_eq!(n, 4);
    assert_eq!(by(&db, "tag", "none"), ["CAFÉ", "apple", "a_b", "naïve"]);
    let err = db
        .update_where::<Item>([("bogus", 1)], [("tag", "x")])
        .unwrap_err();
    assert!(matches!(err, Error::InvalidFilter { .. }));
    let everything = db
        .update_where::<Item>(Vec::<(&str, i64)>::new(), [("small", 1)])
        .unwrap();
    assert_eq!(everything, 15);
}

#[test]
fn delete_removes_matching_rows_ignoring_limit_and_order() {
    let db = db();
    let n = db
        .select::<Item>()
        .filter_by("tag", "x")
        .order("qty", false)
        .limit(1)
        .delete()
        .unwrap();
    assert_eq!(n, 3);
    let n = db
        .select::<Item>()
        .filter_by("tag", "en")
        .offset(3)
        .delete()
        .unwrap();
    assert_eq!(n, 4);
    assert_eq!(db.select::<Item>().count().unwrap(), 8);
    assert_eq!(db.select::<Item>().delete().unwrap(), 8);
    assert!(!db.select::<Item>().exists().unwrap());
}

#[test]
fn a_builder_runs_more_than_once_and_reports_its_error_each_time() {
    let db = db();
    let q = db.select::<Item>().filter_by("qty__lt", 3);
    assert_eq!(q.fetch_all().unwrap().len(), 2);
    assert_eq!(q.clone().limit(1).fetch_all().unwrap().len(), 1);
    assert_eq!(q.fetch_all().unwrap().len(), 2);
    let bad = db.select::<Item>().filter_by("nope", 1);
    assert!(bad.fetch_all().is_err() && bad.count().is_err());
}

#[derive(DbModel, Debug, Clone, PartialEq)]
struct Event {
    pk: i64,
    day: NaiveDate,
}

#[test]
fn dates_in_filters_are_converted_as_stored() {
    let db = SqliterDB::open_in_memory().unwrap();
    db.create_table::<Event>().unwrap();
    let day = NaiveDate::from_ymd_opt(2024, 1, 15).unwrap();
    db.insert(Event { pk: 0, day }).unwrap();
    db.insert(Event {
        pk: 0,
        day: day.succ_opt().unwrap(),
    })
    .unwrap();
    assert_eq!(
        db.select::<Event>()
            .filter(Event::day().eq(day))
            .count()
            .unwrap(),
        1
    );
    assert_eq!(
        db.select::<Event>().filter_by("day", day).count().unwrap(),
        1
    );
    assert_eq!(
        db.select::<Event>()
            .filter_by("day__gt", day)
            .count()
            .unwrap(),
        1
    );
    assert_eq!(
        db.update_where::<Event>([("day", day)], [("day", day.pred_opt().unwrap())])
            .unwrap(),
        1
    );
    assert_eq!(
        db.select::<Event>()
            .filter(Event::day().lt(day))
            .count()
            .unwrap(),
        1
    );
}
