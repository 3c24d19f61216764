//! Projection queries: group_by, annotate, having, ordering by an alias,
//! rows as values and as a typed struct.
//!
//! Run it with `cargo run --example aggregates`.

use serde::Deserialize;
use sqliter_async::prelude::*;
use sqliter_async::{Aggregate, AsyncSqliterDB, DbModel, DbOptions, Error};

#[derive(DbModel, Debug, Clone, Default)]
struct Sale {
    pk: i64,
    region: String,
    product: String,
    amount: f64,
    quantity: i64,
}

/// One row of the per-region report, decoded by name.
#[derive(Debug, Deserialize)]
struct RegionReport {
    region: String,
    sales: i64,
    products: i64,
    revenue: f64,
    average: f64,
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let db = AsyncSqliterDB::create(DbOptions::memory()).await?;
    db.create_table::<Sale>().await?;
    let data = [
        ("north", "tea", 12.5, 3),
        ("north", "coffee", 30.0, 2),
        ("north", "tea", 8.0, 1),
        ("south", "coffee", 45.0, 5),
        ("south", "cake", 9.5, 1),
        ("east", "tea", 4.0, 1),
    ];
    let sales = data
        .iter()
        .map(|&(region, product, amount, quantity)| Sale {
            region: region.into(),
            product: product.into(),
            amount,
            quantity,
            ..Default::default()
        })
        .collect();
    db.bulk_insert(sales).await?;

    let report = db
        .select::<Sale>()
        .group_by(["region"])
        .annotate("sales", Aggregate::count())
        .annotate("products", Aggregate::count_of("product").distinct())
        .annotate("revenue", Aggregate::sum("amount"))
        .annotate("average", Aggregate::avg("amount"))
        .order("revenue", true);
    println!("per region, by revenue (typed rows):");
    for row in report.fetch_as::<RegionReport>().await? {
        println!(
            "  {:<6} {} sale(s), {} product(s), revenue {:.2}, average {:.2}",
            row.region, row.sales, row.products, row.revenue, row.average
        );
    }

    let busy = db
        .select::<Sale>()
        .group_by(["product"])
        .annotate("units", Aggregate::sum("quantity"))
        .having_by("units__gte", 3)
        .fetch_dicts()
        .await?;
    println!("products with at least 3 units sold (raw rows):");
    for row in &busy {
        let fields: Vec<String> = row
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        println!("  {}", fields.join(", "));
    }

    let totals = db
        .select::<Sale>()
        .filter(Sale::amount().gte(5.0))
        .annotate("n", Aggregate::count())
        .annotate("biggest", Aggregate::max("amount"))
        .fetch_dicts()
        .await?;
    println!("sales of 5.00 or more: {}", totals[0]);

    let refused = db.select::<Sale>().group_by(["region"]).fetch_all().await;
    println!("fetch_all on a projection query: {}", refused.unwrap_err());
    Ok(())
}
