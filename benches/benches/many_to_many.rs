//! Many-to-many relations: SQLiter's `prefetch_related` through a junction
//! table and a record's manager read, beside hand-written rusqlite (sync)
//! and tokio-rusqlite (async), in one run, then a table of medians and
//! ratios.
//!
//! - `m2m_prefetch_100x10`: 100 articles, each with its 10 tags (of 200), then
//!   every article's set read (two queries).
//! - `m2m_manager_fetch_all_10`: one article's 10 tags
//!   (`article.tags.fetch_all()`, cache disabled as by default).
//!
//! `cargo bench -p sqliter-benches --bench many_to_many`

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use criterion::Criterion;
use sqliter_async::AsyncManyToMany;
use sqliter_benches::{async_orm, async_raw, print_table, tune};
use sqliter_core::prelude::*;
use sqliter_core::{DbModel, DbOptions, ManyToMany, SqliterDB};

const ARTICLES: i64 = 100;
const TAGS: i64 = 200;
const TAGS_PER_ARTICLE: i64 = 10;
/// The article whose manager is read.
const ARTICLE: i64 = 50;

/// The same tables, declared once per door (a many-to-many field names
/// its door).
macro_rules! models {
    ($tag:ident, $article:ident, $m2m:ident) => {
        #[derive(DbModel, Debug, Clone, Default)]
        #[sqliter(table_name = "tags")]
        struct $tag {
            pk: i64,
            name: String,
        }

        #[derive(DbModel, Debug, Clone, Default)]
        #[sqliter(table_name = "articles")]
        struct $article {
            pk: i64,
            title: String,
            #[sqliter(related_name = "articles")]
            tags: $m2m<$tag>,
        }
    };
}
models!(Tag, Article, ManyToMany);
models!(AsyncTag, AsyncArticle, AsyncManyToMany);

/// What a hand-written program decodes into.
#[derive(Debug)]
#[allow(dead_code)]
struct RawArticle {
    pk: i64,
    title: String,
}

#[derive(Debug)]
#[allow(dead_code)]
struct RawTag {
    pk: i64,
    name: String,
}

/// A tag from its `pk, created_at, updated_at, name` columns at `at`.
fn raw_tag(row: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<RawTag> {
    Ok(RawTag {
        pk: row.get(at)?,
        name: row.get(at + 3)?,
    })
}

/// Articles, then their tags by one junction `JOIN` with an `IN` list,
/// grouped per article.
fn raw_prefetch(conn: &rusqlite::Connection) -> rusqlite::Result<Vec<(RawArticle, Vec<RawTag>)>> {
    let mut stmt = conn.prepare_cached(
        r#"SELECT "pk", "created_at", "updated_at", "title" FROM "articles" ORDER BY "pk""#,
    )?;
    let articles: Vec<RawArticle> = stmt
        .query_map([], |r| {
            Ok(RawArticle {
                pk: r.get(0)?,
                title: r.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let marks = vec!["?"; articles.len()].join(", ");
    let sql = format!(
        r#"SELECT j."articles_pk", t."pk", t."created_at", t."updated_at", t."name" FROM "articles_tags" AS j JOIN "tags" AS t ON t."pk" = j."tags_pk" WHERE j."articles_pk" IN ({marks}) ORDER BY t."pk""#
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let pks = articles.iter().map(|a| a.pk);
    let mut groups: HashMap<i64, Vec<RawTag>> = HashMap::with_capacity(articles.len());
    let mut rows = stmt.query(rusqlite::params_from_iter(pks))?;
    while let Some(row) = rows.next()? {
        groups
            .entry(row.get(0)?)
            .or_default()
            .push(raw_tag(row, 1)?);
    }
    Ok(articles
        .into_iter()
        .map(|a| {
            let tags = groups.remove(&a.pk).unwrap_or_default();
            (a, tags)
        })
        .collect())
}

/// The tags of article `pk`, in pk order.
fn raw_tags_of(conn: &rusqlite::Connection, pk: i64) -> rusqlite::Result<Vec<RawTag>> {
    let mut stmt = conn.prepare_cached(
        r#"SELECT t."pk", t."created_at", t."updated_at", t."name" FROM "articles_tags" AS j JOIN "tags" AS t ON t."pk" = j."tags_pk" WHERE j."articles_pk" = ? ORDER BY t."pk""#,
    )?;
    let rows = stmt.query_map([pk], |r| raw_tag(r, 0))?;
    rows.collect()
}

/// Every article's set read: the tags seen, and their names' bytes.
fn read_raw(loaded: &[(RawArticle, Vec<RawTag>)]) -> (usize, usize) {
    loaded.iter().fold((0, 0), |(n, bytes), (_, tags)| {
        let names: usize = tags.iter().map(|t| t.name.len()).sum();
        (n + tags.len(), bytes + names)
    })
}

/// [`read_raw`] for the prefetched articles of either door.
macro_rules! read_orm {
    ($loaded:expr, $tag:ty) => {
        $loaded.iter().fold((0, 0), |(n, bytes), article| {
            let tags = article.prefetched::<$tag>("tags").unwrap().fetch_all();
            let names: usize = tags.iter().map(|t| t.name.len()).sum();
            (n + tags.len(), bytes + names)
        })
    };
}

fn seeded(dir: &Path) -> PathBuf {
    let path = dir.join("many_to_many.db");
    let db = SqliterDB::open(path.to_string_lossy()).unwrap();
    db.with_connection(|c| c.pragma_update(None, "journal_mode", "WAL"))
        .unwrap()
        .unwrap();
    db.create_table::<Tag>().unwrap();
    db.create_table::<Article>().unwrap();
    let meta = Article::META
        .many_to_many("tags")
        .unwrap()
        .sql_metadata(true);
    assert_eq!(
        (meta.junction_table, meta.from_column, meta.to_column),
        ("articles_tags", "articles_pk", "tags_pk"),
        "the hand-written SQL names another junction"
    );
    let mut tags: Vec<Tag> = (0..TAGS)
        .map(|i| Tag {
            name: format!("tag-{i:03}"),
            ..Default::default()
        })
        .collect();
    db.bulk_insert(&mut tags).unwrap();
    let mut articles: Vec<Article> = (0..ARTICLES)
        .map(|i| Article {
            title: format!("Article {i:03}"),
            ..Default::default()
        })
        .collect();
    db.bulk_insert(&mut articles).unwrap();
    // Read back, so the records' relations know their database.
    let tags = db.select::<Tag>().order("pk", false).fetch_all().unwrap();
    let articles = db
        .select::<Article>()
        .order("pk", false)
        .fetch_all()
        .unwrap();
    let stride = TAGS / TAGS_PER_ARTICLE;
    for (i, article) in (0..).zip(&articles) {
        // Ten distinct tags per article; each tag on five articles.
        let picks =
            (0..TAGS_PER_ARTICLE).map(|k| &tags[usize::try_from((i + k * stride) % TAGS).unwrap()]);
        article.tags.add(picks).unwrap();
    }
    path
}

fn sync_benches(c: &mut Criterion, path: &Path) {
    let orm = SqliterDB::new(DbOptions::file(path.to_string_lossy())).unwrap();
    orm.with_connection(tune).unwrap().unwrap();
    let raw = rusqlite::Connection::open(path).unwrap();
    tune(&raw).unwrap();

    let prefetch = orm.select::<Article>().prefetch_related("tags");
    let loaded = prefetch.fetch_related().unwrap();
    assert_eq!(loaded.len(), 100);
    let expected = read_raw(&raw_prefetch(&raw).unwrap());
    assert_eq!(expected.0, 1000);
    assert_eq!(read_orm!(loaded, Tag), expected, "the two sides differ");
    assert!(loaded
        .iter()
        .all(|a| a.prefetched::<Tag>("tags").unwrap().count() == 10));
    let mut g = c.benchmark_group("sync/m2m_prefetch_100x10");
    g.bench_function("baseline", |b| {
        b.iter(|| read_raw(&raw_prefetch(&raw).unwrap()));
    });
    g.bench_function("sqliter", |b| {
        b.iter(|| read_orm!(prefetch.fetch_related().unwrap(), Tag));
    });
    g.finish();

    let article = orm.get::<Article>(ARTICLE).unwrap().unwrap();
    let mine: Vec<String> = article
        .tags
        .fetch_all()
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    let theirs: Vec<String> = raw_tags_of(&raw, ARTICLE)
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(mine.len(), 10);
    assert_eq!(mine, theirs);
    let mut g = c.benchmark_group("sync/m2m_manager_fetch_all_10");
    g.bench_function("baseline", |b| {
        b.iter(|| raw_tags_of(&raw, ARTICLE).unwrap());
    });
    g.bench_function("sqliter", |b| b.iter(|| article.tags.fetch_all().unwrap()));
    g.finish();
}

fn async_benches(c: &mut Criterion, path: &Path) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (orm, raw, article) = runtime.block_on(async {
        let orm = async_orm(path).await;
        let raw = async_raw(path).await;

        let loaded = orm
            .select::<AsyncArticle>()
            .prefetch_related("tags")
            .fetch_related()
            .await
            .unwrap();
        assert_eq!(loaded.len(), 100);
        let expected = read_raw(&raw.call(|c| raw_prefetch(c)).await.unwrap());
        assert_eq!(expected.0, 1000);
        assert_eq!(
            read_orm!(loaded, AsyncTag),
            expected,
            "the two sides differ"
        );

        let article = orm.get::<AsyncArticle>(ARTICLE).await.unwrap().unwrap();
        let mine: Vec<String> = article
            .tags
            .fetch_all()
            .await
            .unwrap()
            .into_iter()
            .map(|t| t.name)
            .collect();
        let theirs: Vec<String> = raw
            .call(|c| raw_tags_of(c, ARTICLE))
            .await
            .unwrap()
            .into_iter()
            .map(|t| t.name)
            .collect();
        assert_eq!(mine.len(), 10);
        assert_eq!(mine, theirs);
        (orm, raw, article)
    });

    let mut g = c.benchmark_group("async/m2m_prefetch_100x10");
    g.bench_function("baseline", |b| {
        b.to_async(&runtime)
            .iter(|| async { read_raw(&raw.call(|c| raw_prefetch(c)).await.unwrap()) });
    });
    g.bench_function("sqliter", |b| {
        b.to_async(&runtime).iter(|| async {
            let loaded = orm
                .select::<AsyncArticle>()
                .prefetch_related("tags")
                .fetch_related()
                .await
                .unwrap();
            read_orm!(loaded, AsyncTag)
        });
    });
    g.finish();

    let mut g = c.benchmark_group("async/m2m_manager_fetch_all_10");
    g.bench_function("baseline", |b| {
        b.to_async(&runtime)
            .iter(|| async { raw.call(|c| raw_tags_of(c, ARTICLE)).await.unwrap() });
    });
    g.bench_function("sqliter", |b| {
        b.to_async(&runtime)
            .iter(|| async { article.tags.fetch_all().await.unwrap() });
    });
    g.finish();
}

const GROUPS: [&str; 4] = [
    "sync/m2m_prefetch_100x10",
    "sync/m2m_manager_fetch_all_10",
    "async/m2m_prefetch_100x10",
    "async/m2m_manager_fetch_all_10",
];

fn main() {
    let (mut criterion, output) = sqliter_benches::criterion();
    let dir = tempfile::tempdir().unwrap();
    let path = seeded(dir.path());
    sync_benches(&mut criterion, &path);
    async_benches(&mut criterion, &path);
    criterion.final_summary();
    print_table(&output, &GROUPS, ("baseline", "sqliter"));
}
