//! Every filter operator on a small dataset, printing the matches.
//!
//! Run it with `cargo run --example filters`.

use sqliter_core::prelude::*;
use sqliter_core::{DbModel, Param, SqliterDB};

#[derive(DbModel, Debug, Clone, Default)]
struct Item {
    pk: i64,
    name: String,
    qty: i64,
    price: Option<f64>,
    tag: Option<String>,
}

fn main() -> sqliter_core::Result<()> {
    let db = SqliterDB::open_in_memory()?;
    db.create_table::<Item>()?;
    let data = [
        ("café", Some(1.5), Some("fr")),
        ("CAFÉ", Some(2.5), None),
        ("Grand Café", Some(12.0), Some("fr")),
        ("apple", None, Some("en")),
        ("50% off", Some(0.5), Some("x")),
        ("a_b", None, None),
        ("x*y", Some(2.0), Some("x")),
    ];
    let mut items: Vec<Item> = data
        .iter()
        .zip(1..)
        .map(|(&(name, price, tag), qty)| Item {
            name: name.into(),
            qty,
            price,
            tag: tag.map(Into::into),
            ..Default::default()
        })
        .collect();
    db.bulk_insert(&mut items)?;

    let show = |label: &str, rows: Vec<Item>| {
        let names: Vec<&str> = rows.iter().map(|i| i.name.as_str()).collect();
        println!("{label:<32} {names:?}");
    };

    // Upstream-style string lookups, checked against the model at run time.
    let lookups: Vec<(&str, Param)> = vec![
        ("name", "café".into()),
        ("tag", None::<String>.into()),
        ("tag__ne", "fr".into()),
        ("qty__lt", 3.into()),
        ("qty__lte", 3.into()),
        ("price__gt", 2.into()),
        ("price__gte", 2.into()),
        ("qty__in", vec![1, 3, 5].into()),
        ("tag__not_in", vec![Some("fr"), None].into()),
        ("price__isnull", true.into()),
        ("price__notnull", true.into()),
        ("name__like", "caf%".into()),
        ("name__startswith", "50%".into()),
        ("name__endswith", "é".into()),
        ("name__contains", "*".into()),
        ("name__istartswith", "GRAND".into()),
        ("name__iendswith", "É".into()),
        ("name__icontains", "café".into()),
        ("name__iexact", "grand CAFÉ".into()),
    ];
    for (key, value) in lookups {
        let label = format!("{key} = {value}");
        show(
            &label,
            db.select::<Item>().filter_by(key, value).fetch_all()?,
        );
    }

    // The same with typed column handles: checked by the compiler.
    show(
        "typed: qty >= 5",
        db.select::<Item>().filter(Item::qty().gte(5)).fetch_all()?,
    );
    show(
        "typed: name icontains \"CAFÉ\"",
        db.select::<Item>()
            .filter(Item::name().icontains("CAFÉ"))
            .order_by(Item::qty().desc())
            .fetch_all()?,
    );
    show(
        "typed: tag in [x, none], page 2",
        db.select::<Item>()
            .filter(Item::tag().is_in([Some("x".to_owned()), None]))
            .limit(2)
            .offset(2)
            .fetch_all()?,
    );
    let unknown = db.select::<Item>().filter_by("colour", "red").fetch_all();
    println!("unknown field: {}", unknown.unwrap_err());
    let wrong_kind = db.select::<Item>().filter_by("qty", "three").fetch_all();
    println!("wrong kind of value: {}", wrong_kind.unwrap_err());

    // A projection reads partial records; saving one writes only what it
    // loaded, so the price and tag it did not read stay as stored.
    let mut partial = db.select::<Item>().fields(["name"]).fetch_one()?.unwrap();
    partial.name = "café crème".into();
    db.update(&mut partial)?;
    let stored = db.get::<Item>(partial.pk)?.unwrap();
    println!(
        "partial update kept price {:?} and tag {:?}",
        stored.price, stored.tag
    );
    Ok(())
}
