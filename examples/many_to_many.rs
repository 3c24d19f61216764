//! Many-to-many relations on the async door: `AsyncManyToMany` fields,
//! their junction tables, managers on both sides, a symmetrical
//! self-reference, `prefetch_related` and `with_count` through them.
//!
//! Run it with `cargo run --example many_to_many`.

use sqliter_async::prelude::*;
use sqliter_async::{AsyncManyToMany, AsyncSqliterDB, DbModel, DbOptions, Error};

#[derive(DbModel, Debug, Clone, Default)]
struct Tag {
    pk: i64,
    name: String,
}

/// `create_table::<Article>()` also makes the junction table
/// `articles_tags`; `tag.articles(&db)` is the reverse side.
#[derive(DbModel, Debug, Clone, Default)]
struct Article {
    pk: i64,
    title: String,
    #[sqliter(related_name = "articles")]
    tags: AsyncManyToMany<Tag>,
}

/// Friendship goes both ways: one row per pair, no reverse accessor.
#[derive(DbModel, Debug, Clone, Default)]
struct Person {
    pk: i64,
    name: String,
    #[sqliter(symmetrical)]
    friends: AsyncManyToMany<Self>,
}

fn names(tags: &[Tag]) -> Vec<&str> {
    tags.iter().map(|t| t.name.as_str()).collect()
}

/// `prefetch_related` and `with_count` through the junction.
async fn eager_loading_and_counts(db: &AsyncSqliterDB) -> Result<(), Error> {
    // Eager loading: one query per level, however many articles.
    let articles = db
        .select::<Article>()
        .prefetch_related(Article::TAGS)
        .fetch_related()
        .await?;
    for article in &articles {
        let set = article.related(&Article::TAGS)?;
        let listed: Vec<&str> = set.fetch_all().iter().map(|t| t.name.as_str()).collect();
        println!("{:>24}: {listed:?} (from memory)", article.title);
    }

    // A record built by hand with a stored pk: attach it, then use it.
    let mut by_hand = Article {
        pk: articles[0].pk,
        ..Default::default()
    };
    println!(
        "unattached, it reads as unsaved: {} tags",
        by_hand.tags.count().await?
    );
    by_hand.attach(db);
    println!("attached: {} tags", by_hand.tags.count().await?);

    // Two to-many steps: how often each tag's articles use tags at all.
    let reach = db
        .select::<Tag>()
        .with_count_distinct("articles__tags", "neighbours")
        .fetch_dicts()
        .await?;
    for row in &reach {
        println!("  tags sharing an article: {row}");
    }

    // Counting through the junction, as a projection.
    let rows = db
        .select::<Tag>()
        .with_count(Tag::ARTICLES, "uses")
        .order("uses", true)
        .fetch_dicts()
        .await?;
    for row in &rows {
        let name = row.get("name").and_then(|v| v.as_str()).unwrap_or("?");
        let uses = row
            .get("uses")
            .and_then(sqliter_async::Value::as_i64)
            .unwrap_or(0);
        println!("{name:>8}: used {uses} times");
    }
    Ok(())
}

/// A symmetrical self-reference.
async fn friendship(db: &AsyncSqliterDB) -> Result<(), Error> {
    // Symmetrical: added from one side, seen from both.
    let ann = db
        .insert(Person {
            name: "Ann".into(),
            ..Default::default()
        })
        .await?;
    let bob = db
        .insert(Person {
            name: "Bob".into(),
            ..Default::default()
        })
        .await?;
    bob.friends.add([&ann]).await?;
    let of_ann: Vec<String> = ann
        .friends
        .fetch_all()
        .await?
        .into_iter()
        .map(|p| p.name)
        .collect();
    println!("Ann's friends: {of_ann:?}");
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let db = AsyncSqliterDB::create(DbOptions::memory()).await?;
    db.create_table::<Tag>().await?;
    db.create_table::<Article>().await?;
    db.create_table::<Person>().await?;

    let mut tags = Vec::new();
    for name in ["rust", "sqlite", "async", "orm"] {
        tags.push(
            db.insert(Tag {
                name: name.into(),
                ..Default::default()
            })
            .await?,
        );
    }
    let [rust, sqlite, asynchronous, orm] = [&tags[0], &tags[1], &tags[2], &tags[3]];

    let intro = db
        .insert(Article {
            title: "An ORM for SQLite".into(),
            ..Default::default()
        })
        .await?;
    let tokio = db
        .insert(Article {
            title: "One thread for SQLite".into(),
            ..Default::default()
        })
        .await?;

    // Writes: `add` ignores pairs already there; `set` replaces atomically.
    intro.tags.add([rust, sqlite, orm]).await?;
    intro.tags.add([rust]).await?;
    tokio.tags.set([asynchronous, sqlite]).await?;
    println!(
        "'{}' is tagged {:?}",
        intro.title,
        names(&intro.tags.fetch_all().await?)
    );
    println!(
        "{} articles are tagged sqlite",
        sqlite.articles(&db).count().await?
    );

    // The reverse side writes too, and `query` gives the whole chain.
    orm.articles(&db).add([&tokio]).await?;
    let starting_with_s = tokio
        .tags
        .query(&db)
        .filter(Tag::name().startswith("s"))
        .fetch_all()
        .await?;
    println!(
        "tags of the second article starting with s: {:?}",
        names(&starting_with_s)
    );

    // A record not stored yet cannot be related.
    let draft = Tag {
        name: "draft".into(),
        ..Default::default()
    };
    match intro.tags.add([&draft]).await {
        Err(e @ Error::ManyToManyIntegrity { .. }) => println!("refused: {e}"),
        other => println!("unexpected: {other:?}"),
    }

    eager_loading_and_counts(&db).await?;
    friendship(&db).await?;

    // The junction's names, for raw SQL.
    let names = Article::META
        .many_to_many("tags")
        .unwrap()
        .sql_metadata(true);
    println!(
        "junction {} ({} -> {})",
        names.junction_table, names.from_column, names.to_column
    );

    // Deleting either end removes its pairs (ON DELETE CASCADE).
    db.delete::<Tag>(sqlite.pk).await?;
    println!(
        "after deleting 'sqlite', the first article has {} tags",
        intro.tags.count().await?
    );
    Ok(())
}
