//! The query builder on upstream's fixed dataset: every operator, NULLs,
//! Unicode and wildcard characters, ordering, pagination, projection,
//! terminals and bulk update/delete. Expected rows are written out by hand.

use chrono::NaiveDate;
use sqliter_core::prelude::*;
use sqliter_core::{DbModel, DbOptions, Error, Value};
use sqliter_tests::{door_tests, Door, Terminals};

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

async fn db<D: Door>() -> D {
    let db = D::memory_with::<Item>().await;
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
    db.bulk_insert(&mut items).await.unwrap();
    db
}

fn names<R: std::borrow::Borrow<Item>>(items: &[R]) -> Vec<&str> {
    items.iter().map(|i| i.borrow().name.as_str()).collect()
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
async fn by<D: Door>(db: &D, key: &str, value: impl Into<sqliter_core::Param>) -> Vec<String> {
    let rows = db
        .select::<Item>()
        .filter_by(key, value)
        .fetch_all()
        .await
        .unwrap();
    names(&rows).into_iter().map(str::to_owned).collect()
}

door_tests!(
    bulk_updates_take_an_explicit_updated_at,
    a_nul_byte_is_an_ordinary_byte_in_every_text_operator,
    case_insensitive_operators_use_full_unicode_case_folding,
    lookup_values_are_checked_against_the_column_type,
    eq_is_the_default_and_none_means_is_null,
    ne_excludes_nulls_and_ne_none_means_is_not_null,
    comparisons_on_integers_and_optional_floats_are_numeric,
    in_and_not_in_with_empty_lists_and_none,
    isnull_and_notnull_take_a_flag,
    like_uses_the_callers_pattern,
    case_sensitive_text_operators_match_literally,
    case_insensitive_text_operators_are_unicode_aware_and_literal,
    typed_filters_match_the_string_lookups,
    several_filters_and_chained_calls_are_anded,
    unknown_fields_and_operators_are_invalid_filter,
    values_of_the_wrong_kind_are_invalid_filter,
    injection_through_field_names_and_values_is_refused_or_bound,
    rows_come_in_pk_order_without_order_keys,
    order_by_one_or_several_keys_with_nulls_first,
    limit_and_offset,
    count_and_exists_agree_with_fetch_all,
    fetch_one_first_and_last,
    fetch_last_honours_order_and_leaves_the_builder_unchanged,
    projection_loads_selected_fields_and_defaults_the_rest,
    projection_errors,
    a_field_without_default_must_be_selected,
    update_sets_values_on_matching_rows_ignoring_limit_and_bumps_updated_at,
    update_refuses_unknown_protected_and_ill_typed_fields,
    update_where_is_filter_then_update,
    delete_removes_matching_rows_ignoring_limit_and_order,
    a_builder_runs_more_than_once_and_reports_its_error_each_time,
    dates_in_filters_are_converted_as_stored,
);

fn err_of<R: std::fmt::Debug>(result: sqliter_core::Result<Vec<R>>) -> Error {
    result.expect_err("expected an error")
}

async fn eq_is_the_default_and_none_means_is_null<D: Door>() {
    let db = db::<D>().await;
    assert_eq!(by(&db, "name", "café").await, ["café"]);
    assert_eq!(by(&db, "name__eq", "café").await, ["café"]);
    assert_eq!(
        by(&db, "tag", None::<String>).await,
        ["CAFÉ", "apple", "a_b", "naïve"]
    );
    assert_eq!(by(&db, "tag", "").await, [""]);
    assert_eq!(
        by(&db, "active", true).await,
        ["café", "Café", "cafe", "Apple", "APPLE", "50% off", "a_b", "[abc]", "naïve"]
    );
    assert_eq!(by(&db, "pk", 3).await, ["Café"]);
}

async fn ne_excludes_nulls_and_ne_none_means_is_not_null<D: Door>() {
    let db = db::<D>().await;
    assert_eq!(
        by(&db, "tag__ne", "fr").await,
        ["cafe", "Apple", "APPLE", "banana", "50% off", "x*y", "[abc]", ""]
    );
    assert_eq!(
        by(&db, "tag__ne", None::<String>).await,
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

async fn comparisons_on_integers_and_optional_floats_are_numeric<D: Door>() {
    let db = db::<D>().await;
    assert_eq!(by(&db, "qty__lt", 3).await, ["café", "CAFÉ"]);
    assert_eq!(by(&db, "qty__lte", 3).await, ["café", "CAFÉ", "Café"]);
    assert_eq!(by(&db, "qty__gt", 13).await, ["naïve", ""]);
    assert_eq!(by(&db, "qty__gte", 13).await, ["[abc]", "naïve", ""]);
    // Upstream compares Optional floats as text ('2.5' > '10').
    assert_eq!(
        by(&db, "price__gt", 10).await,
        ["Grand Café", "cafe", "apple", "APPLE", "banana"]
    );
    assert_eq!(by(&db, "price__lt", 1).await, ["50% off", "naïve"]);
    assert!(by(&db, "price__gt", None::<f64>).await.is_empty());
    // Any number orders against a numeric field.
    assert_eq!(by(&db, "qty__gt", 13.5).await, ["naïve", ""]);
    assert_eq!(by(&db, "small__lt", 100_000).await.len(), 15);
}

async fn in_and_not_in_with_empty_lists_and_none<D: Door>() {
    let db = db::<D>().await;
    assert_eq!(
        by(&db, "name__in", ["café", "CAFÉ", "nope"]).await,
        ["café", "CAFÉ"]
    );
    assert!(by(&db, "name__in", Vec::<String>::new()).await.is_empty());
    assert_eq!(
        by(&db, "qty__in", [1, 2, 3]).await,
        ["café", "CAFÉ", "Café"]
    );
    assert_eq!(
        by(&db, "tag__not_in", ["fr", "en"]).await,
        ["50% off", "x*y", "[abc]", ""]
    );
    assert_eq!(by(&db, "tag__not_in", Vec::<String>::new()).await, ALL);
    // None in the list stands for NULL: `in` matches NULL rows too...
    assert_eq!(
        by(&db, "tag__in", [Some("fr"), None]).await,
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
        by(&db, "tag__not_in", [Some("fr"), None]).await,
        ["cafe", "Apple", "APPLE", "banana", "50% off", "x*y", "[abc]", ""]
    );
}

async fn isnull_and_notnull_take_a_flag<D: Door>() {
    let db = db::<D>().await;
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
    assert_eq!(by(&db, "tag__isnull", true).await, nulls);
    assert_eq!(by(&db, "tag__isnull", false).await, not_nulls);
    assert_eq!(by(&db, "tag__notnull", true).await, not_nulls);
    assert_eq!(by(&db, "tag__notnull", false).await, nulls);
    assert_eq!(
        by(&db, "price__isnull", true).await,
        ["Café", "Apple", "a_b"]
    );
}

async fn like_uses_the_callers_pattern<D: Door>() {
    let db = db::<D>().await;
    assert_eq!(
        by(&db, "name__like", "caf%").await,
        ["café", "CAFÉ", "Café", "cafe"]
    );
    assert_eq!(by(&db, "name__like", "_afé").await, ["café", "Café"]);
    assert!(by(&db, "name__like", "pple").await.is_empty());
}

async fn case_sensitive_text_operators_match_literally<D: Door>() {
    let db = db::<D>().await;
    assert_eq!(by(&db, "name__startswith", "caf").await, ["café", "cafe"]);
    assert_eq!(by(&db, "name__startswith", "CAF").await, ["CAFÉ"]);
    assert_eq!(by(&db, "name__startswith", "50%").await, ["50% off"]);
    // Wildcard characters are literal (upstream treats them as GLOB syntax).
    assert_eq!(by(&db, "name__startswith", "[a").await, ["[abc]"]);
    assert!(by(&db, "name__startswith", "[a]").await.is_empty());
    assert!(by(&db, "name__startswith", "?").await.is_empty());
    assert_eq!(by(&db, "name__startswith", "x*").await, ["x*y"]);
    assert_eq!(by(&db, "name__startswith", "").await, ALL);
    assert_eq!(
        by(&db, "name__endswith", "é").await,
        ["café", "Café", "Grand Café"]
    );
    assert_eq!(by(&db, "name__endswith", "É").await, ["CAFÉ"]);
    assert_eq!(
        by(&db, "name__contains", "af").await,
        ["café", "Café", "Grand Café", "cafe"]
    );
    assert_eq!(by(&db, "name__contains", "%").await, ["50% off"]);
    assert_eq!(by(&db, "name__contains", "_").await, ["a_b"]);
    assert_eq!(by(&db, "name__contains", "*").await, ["x*y"]);
    assert_eq!(by(&db, "name__contains", "ï").await, ["naïve"]);
}

async fn case_insensitive_text_operators_are_unicode_aware_and_literal<D: Door>() {
    let db = db::<D>().await;
    assert_eq!(
        by(&db, "name__icontains", "café").await,
        ["café", "CAFÉ", "Café", "Grand Café"]
    );
    assert_eq!(
        by(&db, "name__icontains", "AFÉ").await,
        ["café", "CAFÉ", "Café", "Grand Café"]
    );
    assert_eq!(
        by(&db, "name__istartswith", "CAFÉ").await,
        ["café", "CAFÉ", "Café"]
    );
    assert_eq!(
        by(&db, "name__istartswith", "apple").await,
        ["Apple", "apple", "APPLE"]
    );
    assert_eq!(
        by(&db, "name__iendswith", "É").await,
        ["café", "CAFÉ", "Café", "Grand Café"]
    );
    assert_eq!(by(&db, "name__icontains", "NAÏVE").await, ["naïve"]);
    assert_eq!(by(&db, "name__icontains", "_").await, ["a_b"]);
    assert_eq!(by(&db, "name__icontains", "%").await, ["50% off"]);
    assert_eq!(by(&db, "name__istartswith", "a_").await, ["a_b"]);
    assert_eq!(by(&db, "name__icontains", "").await, ALL);
}

async fn typed_filters_match_the_string_lookups<D: Door>() {
    let db = db::<D>().await;
    let q = || db.select::<Item>();
    assert_eq!(
        names(&q().filter(Item::qty().gte(13)).fetch_all().await.unwrap()),
        ["[abc]", "naïve", ""]
    );
    assert_eq!(
        names(&q().filter(Item::tag().eq(None)).fetch_all().await.unwrap()),
        ["CAFÉ", "apple", "a_b", "naïve"]
    );
    assert_eq!(
        names(
            &q().filter(Item::name().icontains("café"))
                .fetch_all()
                .await
                .unwrap()
        ),
        ["café", "CAFÉ", "Café", "Grand Café"]
    );
    assert_eq!(
        names(
            &q().filter(Item::tag().is_in([Some("x".to_owned()), Some(String::new())]))
                .fetch_all()
                .await
                .unwrap()
        ),
        ["50% off", "x*y", "[abc]", ""]
    );
    assert_eq!(
        names(
            &q().filter(Item::tag().icontains("FR"))
                .fetch_all()
                .await
                .unwrap()
        ),
        ["café", "Café", "Grand Café"]
    );
    assert_eq!(
        names(
            &q().filter(Item::price().is_null())
                .fetch_all()
                .await
                .unwrap()
        ),
        ["Café", "Apple", "a_b"]
    );
    assert_eq!(
        names(
            &q().filter(Item::qty().not_in([]))
                .fetch_all()
                .await
                .unwrap()
        ),
        ALL
    );
    assert!(q()
        .filter(Item::qty().is_in([]))
        .fetch_all()
        .await
        .unwrap()
        .is_empty());
}

async fn several_filters_and_chained_calls_are_anded<D: Door>() {
    let db = db::<D>().await;
    let one_call = db
        .select::<Item>()
        .filter_all([("tag", Value::from("fr")), ("active", Value::from(true))]);
    assert_eq!(
        names(&one_call.fetch_all().await.unwrap()),
        ["café", "Café"]
    );
    let chained = db
        .select::<Item>()
        .filter_by("tag", "fr")
        .filter(Item::active().eq(true))
        .filter_by("qty__gt", 1);
    assert_eq!(names(&chained.fetch_all().await.unwrap()), ["Café"]);
}

async fn unknown_fields_and_operators_are_invalid_filter<D: Door>() {
    let db = db::<D>().await;
    let err = err_of(db.select::<Item>().filter_by("bogus", 1).fetch_all().await);
    assert!(
        matches!(err, Error::InvalidFilter { ref field, .. } if field == "bogus"),
        "{err:?}"
    );
    let err = err_of(
        db.select::<Item>()
            .filter_by("bogus__gt", 1)
            .fetch_all()
            .await,
    );
    assert!(
        matches!(err, Error::InvalidFilter { ref field, .. } if field == "bogus"),
        "{err:?}"
    );
    let err = err_of(
        db.select::<Item>()
            .filter_by("name__regex", "x")
            .fetch_all()
            .await,
    );
    assert!(
        matches!(err, Error::InvalidFilter { ref reason, .. } if reason.contains("__regex")),
        "{err:?}"
    );
}

async fn values_of_the_wrong_kind_are_invalid_filter<D: Door>() {
    let db = db::<D>().await;
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
        let err = err_of(db.select::<Item>().filter_by(key, value).fetch_all().await);
        assert!(matches!(err, Error::InvalidFilter { .. }), "{key}: {err:?}");
    }
}

/// Upstream lets SQLite's affinity decide; here a value the column cannot
/// hold is refused, as `update_where` refuses it.
async fn lookup_values_are_checked_against_the_column_type<D: Door>() {
    let db = db::<D>().await;
    for (key, value) in [
        ("qty", sqliter_core::Param::from("abc")),
        ("qty__gte", "3".into()),
        ("name", 5.into()),
        ("name__ne", 2.5.into()),
        ("name__in", vec![1, 2].into()),
        ("qty__not_in", vec!["1"].into()),
        ("active", 5.into()),
        ("small", 1000.into()),
        ("qty", 2.5.into()),
        ("qty", None::<i64>.into()),
        ("qty__gt", None::<i64>.into()),
        ("author_id__name", 1.into()),
    ] {
        let result = db.select::<Item>().filter_by(key, value).fetch_all().await;
        let field = key.split("__").next().unwrap_or_default();
        match result {
            Err(Error::InvalidFilter {
                field: ref f,
                ref reason,
            }) => assert!(
                f == field && reason.contains("Item"),
                "{key}: names the field and model: {f} / {reason}"
            ),
            // Item has no foreign key: a traversal is a relationship error.
            Err(Error::InvalidRelationship { .. }) if key.contains("author_id") => {}
            other => panic!("{key}: {other:?}"),
        }
    }
    // What stays allowed: None on nullable fields and for ne, numbers of
    // either kind on numeric fields, the refused kinds through bulk updates
    // are refused there too.
    let count = |sql: &'static str| async { usize::try_from(db.query_int(sql).await).unwrap() };
    assert_eq!(
        by(&db, "tag", None::<String>).await.len(),
        count("SELECT count(*) FROM items WHERE tag IS NULL").await
    );
    assert_eq!(
        by(&db, "qty__ne", None::<i64>).await.len(),
        count("SELECT count(*) FROM items").await
    );
    assert_eq!(
        by(&db, "price__in", vec![None::<f64>]).await.len(),
        count("SELECT count(*) FROM items WHERE price IS NULL").await
    );
    assert_eq!(by(&db, "qty", 3.0).await, by(&db, "qty", 3).await);
    let err = db
        .update_where::<Item>([("pk", 1)], [("qty", "abc")])
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidUpdate(_)), "{err:?}");
}

async fn injection_through_field_names_and_values_is_refused_or_bound<D: Door>() {
    let db = db::<D>().await;
    let err = err_of(
        db.select::<Item>()
            .filter_by("name; DROP TABLE items", 1)
            .fetch_all()
            .await,
    );
    assert!(matches!(err, Error::InvalidFilter { .. }));
    assert!(by(&db, "name", "'; DROP TABLE items; --").await.is_empty());
    assert!(by(&db, "name__icontains", "') OR 1=1 --").await.is_empty());
    let err = err_of(
        db.select::<Item>()
            .order("qty; DROP TABLE items", false)
            .fetch_all()
            .await,
    );
    assert!(matches!(err, Error::InvalidOrder { .. }));
    let err = db
        .select::<Item>()
        .update([("name\" = 'x'; --", "y")])
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidUpdate(_)));
    assert_eq!(db.query_int("SELECT count(*) FROM items").await, 15);
}

async fn rows_come_in_pk_order_without_order_keys<D: Door>() {
    let db = db::<D>().await;
    assert_eq!(names(&db.select::<Item>().fetch_all().await.unwrap()), ALL);
}

async fn order_by_one_or_several_keys_with_nulls_first<D: Door>() {
    let db = db::<D>().await;
    let by_qty_desc = db
        .select::<Item>()
        .order("qty", true)
        .limit(3)
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(names(&by_qty_desc), ["", "naïve", "[abc]"]);
    // Ties on `tag` broken by qty descending; NULL tags sort first.
    let rows = db
        .select::<Item>()
        .order("tag", false)
        .order("qty", true)
        .fetch_all()
        .await
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
        .await
        .unwrap();
    assert_eq!(names(&typed), ["APPLE", "banana"]);
    let err = err_of(db.select::<Item>().order("bogus", false).fetch_all().await);
    assert!(
        matches!(err, Error::InvalidOrder { ref field, .. } if field == "bogus"),
        "{err:?}"
    );
}

async fn limit_and_offset<D: Door>() {
    let db = db::<D>().await;
    let q = || db.select::<Item>();
    assert_eq!(
        names(&q().limit(3).fetch_all().await.unwrap()),
        ["café", "CAFÉ", "Café"]
    );
    assert_eq!(
        names(&q().limit(2).offset(3).fetch_all().await.unwrap()),
        ["Grand Café", "cafe"]
    );
    assert_eq!(
        names(&q().offset(13).fetch_all().await.unwrap()),
        ["naïve", ""],
        "offset without limit"
    );
    assert_eq!(q().offset(0).fetch_all().await.unwrap().len(), 15);
    assert!(q().offset(100).fetch_all().await.unwrap().is_empty());
    assert!(q().limit(0).fetch_all().await.unwrap().is_empty());
    assert_eq!(
        q().limit(-1).fetch_all().await.unwrap().len(),
        15,
        "negative limit means none, as upstream"
    );
    let err = err_of(q().offset(-1).fetch_all().await);
    assert!(matches!(err, Error::InvalidOffset(-1)), "{err:?}");
}

async fn count_and_exists_agree_with_fetch_all<D: Door>() {
    let db = db::<D>().await;
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
        let rows = chain.fetch_all().await.unwrap().len() as u64;
        assert_eq!(chain.count().await.unwrap(), rows);
        assert_eq!(chain.exists().await.unwrap(), rows > 0);
    }
}

async fn fetch_one_first_and_last<D: Door>() {
    let db = db::<D>().await;
    assert_eq!(
        db.select::<Item>()
            .filter_by("qty__gt", 13)
            .fetch_one()
            .await
            .unwrap()
            .unwrap()
            .name,
        "naïve"
    );
    assert!(db
        .select::<Item>()
        .filter_by("qty__gt", 99)
        .fetch_one()
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        db.select::<Item>()
            .order("qty", true)
            .fetch_first()
            .await
            .unwrap()
            .unwrap()
            .name,
        ""
    );
    assert_eq!(
        db.select::<Item>()
            .fetch_last()
            .await
            .unwrap()
            .unwrap()
            .name,
        ""
    );
    assert_eq!(
        db.select::<Item>()
            .offset(1)
            .fetch_last()
            .await
            .unwrap()
            .unwrap()
            .name,
        "naïve"
    );
    assert!(db
        .select::<Item>()
        .limit(0)
        .fetch_one()
        .await
        .unwrap()
        .is_none());
}

async fn fetch_last_honours_order_and_leaves_the_builder_unchanged<D: Door>() {
    let db = db::<D>().await;
    let query = db
        .select::<Item>()
        .filter_by("tag", "en")
        .order("name", false);
    assert_eq!(query.fetch_last().await.unwrap().unwrap().name, "cafe");
    assert_eq!(
        names(&query.fetch_all().await.unwrap()),
        ["APPLE", "Apple", "banana", "cafe"]
    );
}

async fn projection_loads_selected_fields_and_defaults_the_rest<D: Door>() {
    let db = db::<D>().await;
    let rows = db
        .select::<Item>()
        .fields(["name"])
        .filter_by("qty", 1)
        .fetch_all()
        .await
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
        .await
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
        .await
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
        .await
        .unwrap();
    assert_eq!(names(&rows), ["", "naïve"]);
}

async fn projection_errors<D: Door>() {
    let db = db::<D>().await;
    let err = err_of(db.select::<Item>().fields(["nope"]).fetch_all().await);
    assert!(
        matches!(err, Error::InvalidField { ref field, .. } if field == "nope"),
        "{err:?}"
    );
    let err = err_of(db.select::<Item>().exclude(["pk"]).fetch_all().await);
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
    let err = err_of(db.select::<Item>().exclude(all_but_pk).fetch_all().await);
    assert!(matches!(err, Error::InvalidProjection(_)), "{err:?}");
    assert_eq!(
        db.select::<Item>()
            .fields(Vec::<String>::new())
            .fetch_all()
            .await
            .unwrap()
            .len(),
        15
    );
}

async fn a_field_without_default_must_be_selected<D: Door>() {
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
    let db = D::open(DbOptions::memory()).await.unwrap();
    db.create_table::<Wallet>().await.unwrap();
    db.insert(Wallet {
        pk: 0,
        owner: "ann".into(),
        balance: Money { cents: 5 },
    })
    .await
    .unwrap();
    let err = db
        .select::<Wallet>()
        .only("owner")
        .fetch_all()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidProjection(ref m) if m.contains("balance")),
        "{err:?}"
    );
    let wallet = db
        .select::<Wallet>()
        .only("balance")
        .fetch_one()
        .await
        .unwrap()
        .unwrap();
    assert_eq!((wallet.owner.as_str(), wallet.balance.cents), ("", 5));
}

async fn update_sets_values_on_matching_rows_ignoring_limit_and_bumps_updated_at<D: Door>() {
    let db = db::<D>().await;
    db.raw("UPDATE items SET updated_at = 1").await;
    let n = db
        .select::<Item>()
        .filter_by("tag", "fr")
        .order("qty", false)
        .limit(1)
        .update([("qty", 100)])
        .await
        .unwrap();
    assert_eq!(n, 3);
    let changed = db
        .select::<Item>()
        .filter_by("qty", 100)
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(names(&changed), ["café", "Café", "Grand Café"]);
    assert!(changed.iter().all(|i| i.updated_at > 1));
    assert_eq!(
        db.query_int("SELECT count(*) FROM items WHERE updated_at = 1")
            .await,
        12
    );
    let typed = db
        .select::<Item>()
        .filter(Item::name().eq("apple"))
        .update([
            Item::price().set(None),
            Item::tag().set(Some("z".to_owned())),
        ])
        .await
        .unwrap();
    assert_eq!(typed, 1);
    let apple = db
        .select::<Item>()
        .filter_by("name", "apple")
        .fetch_one()
        .await
        .unwrap()
        .unwrap();
    assert_eq!((apple.price, apple.tag.as_deref()), (None, Some("z")));
    assert_eq!(
        db.select::<Item>()
            .update(Vec::<(&str, i64)>::new())
            .await
            .unwrap(),
        0
    );
}

async fn update_refuses_unknown_protected_and_ill_typed_fields<D: Door>() {
    let db = db::<D>().await;
    let q = db.select::<Item>();
    let err = q.update([("zzz", 1), ("bogus", 2)]).await.unwrap_err();
    assert!(
        matches!(err, Error::InvalidUpdate(ref m) if m.ends_with("bogus, zzz")),
        "{err:?}"
    );
    for field in ["pk", "created_at"] {
        assert!(
            matches!(q.update([(field, 1)]).await, Err(Error::InvalidUpdate(_))),
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
        let err = q.update([(field, value.clone())]).await.unwrap_err();
        assert!(
            matches!(err, Error::InvalidUpdate(_)),
            "{field} = {value:?}: {err:?}"
        );
    }
    // Nothing was written: every row still reads back.
    assert_eq!(db.select::<Item>().fetch_all().await.unwrap().len(), 15);
    assert_eq!(
        q.update([("price", Value::from(3))]).await.unwrap(),
        15,
        "an integer fits a REAL field"
    );
}

async fn update_where_is_filter_then_update<D: Door>() {
    let db = db::<D>().await;
    let n = db
        .update_where::<Item>([("tag__isnull", true)], [("tag", "none")])
        .await
        .unwrap();
    assert_eq!(n, 4);
    assert_eq!(
        by(&db, "tag", "none").await,
        ["CAFÉ", "apple", "a_b", "naïve"]
    );
    let err = db
        .update_where::<Item>([("bogus", 1)], [("tag", "x")])
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidFilter { .. }));
    let everything = db
        .update_where::<Item>(Vec::<(&str, i64)>::new(), [("small", 1)])
        .await
        .unwrap();
    assert_eq!(everything, 15);
}

async fn delete_removes_matching_rows_ignoring_limit_and_order<D: Door>() {
    let db = db::<D>().await;
    let n = db
        .select::<Item>()
        .filter_by("tag", "x")
        .order("qty", false)
        .limit(1)
        .delete()
        .await
        .unwrap();
    assert_eq!(n, 3);
    let n = db
        .select::<Item>()
        .filter_by("tag", "en")
        .offset(3)
        .delete()
        .await
        .unwrap();
    assert_eq!(n, 4);
    assert_eq!(db.select::<Item>().count().await.unwrap(), 8);
    assert_eq!(db.select::<Item>().delete().await.unwrap(), 8);
    assert!(!db.select::<Item>().exists().await.unwrap());
}

async fn a_builder_runs_more_than_once_and_reports_its_error_each_time<D: Door>() {
    let db = db::<D>().await;
    let q = db.select::<Item>().filter_by("qty__lt", 3);
    assert_eq!(q.fetch_all().await.unwrap().len(), 2);
    assert_eq!(q.clone().limit(1).fetch_all().await.unwrap().len(), 1);
    assert_eq!(q.fetch_all().await.unwrap().len(), 2);
    let bad = db.select::<Item>().filter_by("nope", 1);
    assert!(bad.fetch_all().await.is_err() && bad.count().await.is_err());
}

#[derive(DbModel, Debug, Clone, PartialEq)]
struct Event {
    pk: i64,
    day: NaiveDate,
}

async fn dates_in_filters_are_converted_as_stored<D: Door>() {
    let db = D::open(DbOptions::memory()).await.unwrap();
    db.create_table::<Event>().await.unwrap();
    let day = NaiveDate::from_ymd_opt(2024, 1, 15).unwrap();
    db.insert(Event { pk: 0, day }).await.unwrap();
    db.insert(Event {
        pk: 0,
        day: day.succ_opt().unwrap(),
    })
    .await
    .unwrap();
    assert_eq!(
        db.select::<Event>()
            .filter(Event::day().eq(day))
            .count()
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        db.select::<Event>()
            .filter_by("day", day)
            .count()
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        db.select::<Event>()
            .filter_by("day__gt", day)
            .count()
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        db.update_where::<Event>([("day", day)], [("day", day.pred_opt().unwrap())])
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        db.select::<Event>()
            .filter(Event::day().lt(day))
            .count()
            .await
            .unwrap(),
        1
    );
}

/// A narrow read model over the same table as a wide one.
#[derive(DbModel, Debug, Clone, Default, PartialEq)]
#[sqliter(table_name = "shared_rows")]
struct Narrow {
    pk: i64,
    name: String,
}

#[derive(DbModel, Debug, Clone, Default, PartialEq)]
#[sqliter(table_name = "shared_rows")]
struct Wide {
    pk: i64,
    name: String,
    extra: Option<i64>,
}

door_tests!(two_models_on_one_table_each_get_their_own_sql);

async fn two_models_on_one_table_each_get_their_own_sql<D: Door>() {
    let db = D::memory_with::<Wide>().await;
    db.insert(Wide {
        name: "a".into(),
        extra: Some(7),
        ..Default::default()
    })
    .await
    .unwrap();
    let narrow = db.select::<Narrow>().fetch_all().await.unwrap();
    let wide = db.select::<Wide>().fetch_all().await.unwrap();
    assert_eq!(
        narrow,
        [Narrow {
            pk: 1,
            name: "a".into()
        }]
    );
    assert_eq!(wide[0].extra, Some(7));
    let narrow_first = db
        .select::<Narrow>()
        .filter_by("name", "a")
        .fetch_first()
        .await
        .unwrap();
    let wide_first = db
        .select::<Wide>()
        .filter_by("name", "a")
        .fetch_first()
        .await
        .unwrap();
    assert_eq!(narrow_first.map(|n| n.name), Some("a".into()));
    assert_eq!(wide_first.and_then(|w| w.extra), Some(7));
}

#[derive(DbModel, Debug, Clone, Default, PartialEq)]
struct Word {
    pk: i64,
    text: String,
}

async fn words<D: Door>(texts: &[&str]) -> D {
    let db = D::memory_with::<Word>().await;
    for text in texts {
        db.insert(Word {
            text: (*text).to_owned(),
            ..Default::default()
        })
        .await
        .unwrap();
    }
    db
}

async fn matching<D: Door>(db: &D, filter: sqliter_core::Filter<Word>) -> Vec<String> {
    let rows = db
        .select::<Word>()
        .filter(filter)
        .fetch_all()
        .await
        .unwrap();
    rows.into_iter().map(|w| w.text).collect()
}

async fn matching_lookup<D: Door>(db: &D, key: &str, value: &str) -> Vec<String> {
    let rows = db
        .select::<Word>()
        .filter_by(key, value)
        .fetch_all()
        .await
        .unwrap();
    rows.into_iter().map(|w| w.text).collect()
}

async fn a_nul_byte_is_an_ordinary_byte_in_every_text_operator<D: Door>() {
    let db: D = words(&["plain", "nul\0byte", "byte"]).await;
    let nul = ["nul\0byte"];
    assert_eq!(matching(&db, Word::text().contains("\0")).await, nul);
    assert_eq!(matching(&db, Word::text().endswith("\0byte")).await, nul);
    assert_eq!(matching(&db, Word::text().startswith("nul\0")).await, nul);
    assert_eq!(matching(&db, Word::text().icontains("\0B")).await, nul);
    assert_eq!(matching(&db, Word::text().iendswith("L\0BYTE")).await, nul);
    assert_eq!(matching(&db, Word::text().istartswith("NUL\0")).await, nul);
    assert_eq!(matching(&db, Word::text().iexact("NUL\0BYTE")).await, nul);
    assert_eq!(matching(&db, Word::text().like("%\0%")).await, nul);
    // Text after a stored NUL is seen.
    assert_eq!(
        matching(&db, Word::text().icontains("B")).await,
        ["nul\0byte", "byte"]
    );
    assert_eq!(
        matching(&db, Word::text().like("%te")).await,
        ["nul\0byte", "byte"]
    );
    // String lookups build the same conditions.
    assert_eq!(matching_lookup(&db, "text__contains", "\0").await, nul);
    assert_eq!(matching_lookup(&db, "text__icontains", "\0B").await, nul);
    assert!(matching_lookup(&db, "text__startswith", "plain\0")
        .await
        .is_empty());
}

async fn case_insensitive_operators_use_full_unicode_case_folding<D: Door>() {
    let db: D = words(&["Straße", "ΟΔΟΣ", "CAFÉ", "cafe"]).await;
    assert_eq!(
        matching(&db, Word::text().icontains("STRASSE")).await,
        ["Straße"]
    );
    assert_eq!(
        matching(&db, Word::text().iexact("strasse")).await,
        ["Straße"]
    );
    assert_eq!(matching(&db, Word::text().iexact("οδοσ")).await, ["ΟΔΟΣ"]);
    assert_eq!(matching(&db, Word::text().iexact("οδος")).await, ["ΟΔΟΣ"]);
    assert_eq!(matching(&db, Word::text().iendswith("ς")).await, ["ΟΔΟΣ"]);
    assert_eq!(
        matching(&db, Word::text().istartswith("café")).await,
        ["CAFÉ"]
    );
    assert_eq!(matching_lookup(&db, "text__iexact", "ΟΔΟΣ").await, ["ΟΔΟΣ"]);
    assert_eq!(
        matching_lookup(&db, "text__icontains", "SS").await,
        ["Straße"]
    );
    // Case-sensitive operators stay byte-exact.
    assert!(matching(&db, Word::text().contains("SS")).await.is_empty());
}

async fn bulk_updates_take_an_explicit_updated_at<D: Door>() {
    let db = db::<D>().await;
    let n = db
        .select::<Item>()
        .filter_by("tag", "fr")
        .update([("updated_at", 1_700_000_000)])
        .await
        .unwrap();
    assert!(n > 0);
    assert_eq!(
        db.query_int("SELECT count(*) FROM items WHERE tag = 'fr' AND updated_at = 1700000000")
            .await,
        i64::try_from(n).unwrap()
    );
    db.update_where::<Item>([("tag", "fr")], [("updated_at", 1_600_000_000)])
        .await
        .unwrap();
    assert_eq!(
        db.query_int("SELECT max(updated_at) FROM items WHERE tag = 'fr'")
            .await,
        1_600_000_000
    );
    // Without it, it is bumped to now; a value of the wrong kind is refused.
    db.select::<Item>()
        .filter_by("tag", "fr")
        .update([("qty", 7)])
        .await
        .unwrap();
    assert!(
        db.query_int("SELECT min(updated_at) FROM items WHERE tag = 'fr'")
            .await
            > 1_700_000_000
    );
    let err = db
        .select::<Item>()
        .update([("updated_at", "yesterday")])
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidUpdate(_)), "{err:?}");
}
