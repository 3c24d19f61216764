//! Many-to-many relations on both doors: `ManyToMany` / `AsyncManyToMany`
//! fields, their junction tables, the managers on both sides, symmetrical
//! self-references, `prefetch_related` and `with_count` through them.
//!
//! A model's relation type names its door, so the models and tests are
//! written once in `m2m_suite!` and instantiated per door.

macro_rules! m2m_suite {
    ($door:ty, $krate:ident, $m2m:ident) => {
        use sqliter_tests::counting_selects;
        use sqliter_core::prelude::*;
        use sqliter_core::{DbModel, DbOptions, Error};
        use $krate::$m2m;
        use sqliter_tests::{manager, Door, FetchRelated, Manager, Terminals};
        use std::sync::atomic::Ordering;

        type Db = $door;

        #[derive(DbModel, Debug, Clone, Default)]
        pub struct Tag {
            pk: i64,
            name: String,
        }

        #[derive(DbModel, Debug, Clone, Default)]
        pub struct Article {
            pk: i64,
            title: String,
            #[sqliter(related_name = "articles")]
            tags: $m2m<Tag>,
        }

        /// A second relation to `Tag`, for nested paths (`tags__categories`).
        #[derive(DbModel, Debug, Clone, Default)]
        pub struct Category {
            pk: i64,
            name: String,
            #[sqliter(related_name = "categories")]
            tags: $m2m<Tag>,
        }

        /// `through` names the junction table.
        #[derive(DbModel, Debug, Clone, Default)]
        pub struct Post {
            pk: i64,
            #[sqliter(through = "post_label_links", related_name = "posts")]
            labels: $m2m<Tag>,
        }

        /// Two self-references: one symmetrical, one directed. Each gets a
        /// junction table of its own.
        #[derive(DbModel, Debug, Clone, Default)]
        pub struct Person {
            pk: i64,
            name: String,
            #[sqliter(symmetrical)]
            friends: $m2m<Self>,
            #[sqliter(related_name = "followers")]
            follows: $m2m<Person>,
        }

        fn door(db: &Db) -> &impl Door {
            db
        }

        async fn open(options: DbOptions) -> Db {
            let db = <Db as Door>::open(options).await.expect("open");
            let d = door(&db);
            d.create_table::<Tag>().await.unwrap();
            d.create_table::<Article>().await.unwrap();
            d.create_table::<Category>().await.unwrap();
            d.create_table::<Post>().await.unwrap();
            d.create_table::<Person>().await.unwrap();
            db
        }

        async fn tag(db: &Db, name: &str) -> Tag {
            door(db).insert(Tag { name: name.into(), ..Default::default() }).await.unwrap()
        }

        async fn article(db: &Db, title: &str) -> Article {
            door(db).insert(Article { title: title.into(), ..Default::default() }).await.unwrap()
        }

        async fn person(db: &Db, name: &str) -> Person {
            door(db).insert(Person { name: name.into(), ..Default::default() }).await.unwrap()
        }

        fn names(tags: &[Tag]) -> Vec<&str> {
            tags.iter().map(|t| t.name.as_str()).collect()
        }

        fn people(people: &[Person]) -> Vec<&str> {
            people.iter().map(|p| p.name.as_str()).collect()
        }

        #[tokio::test]
        async fn create_table_makes_the_junction_table_once() {
            let db = open(DbOptions::memory()).await;
            let d = door(&db);
            let sql = d.query_text("SELECT sql FROM sqlite_master WHERE name = 'articles_tags'").await;
            for part in [
                r#""articles_pk" INTEGER NOT NULL"#,
                r#""tags_pk" INTEGER NOT NULL"#,
                r#"FOREIGN KEY ("articles_pk") REFERENCES "articles"("pk") ON DELETE CASCADE"#,
                r#"FOREIGN KEY ("tags_pk") REFERENCES "tags"("pk") ON DELETE CASCADE"#,
                r#"UNIQUE ("articles_pk", "tags_pk")"#,
            ] {
                assert!(sql.contains(part), "{part} missing from {sql}");
            }
            let indexes = d
                .query_int("SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name IN ('idx_articles_tags_articles_pk', 'idx_articles_tags_tags_pk')")
                .await;
            assert_eq!(indexes, 2);
            // Again: harmless, and the junction's rows survive.
            let rust = tag(&db, "rust").await;
            let a = article(&db, "A").await;
            manager(&a.tags).add(&[&rust]).await.unwrap();
            d.create_table::<Article>().await.unwrap();
            assert_eq!(manager(&a.tags).count().await.unwrap(), 1);
        }

        #[tokio::test]
        async fn junction_names_follow_through_self_references_and_field_pairs() {
            let db = open(DbOptions::memory()).await;
            let d = door(&db);
            let sql = d.query_text("SELECT sql FROM sqlite_master WHERE name = 'post_label_links'").await;
            assert!(sql.contains(r#""posts_pk" INTEGER NOT NULL"#) && sql.contains(r#""tags_pk""#), "{sql}");
            // Upstream gives `friends` and `follows` one shared table.
            let tables = d.query_text(
                "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'persons_persons%' ORDER BY name)",
            ).await;
            assert_eq!(tables, "persons_persons_follows,persons_persons_friends");
            let sql = d.query_text("SELECT sql FROM sqlite_master WHERE name = 'persons_persons_friends'").await;
            assert!(sql.contains(r#""persons_pk_left""#) && sql.contains(r#""persons_pk_right""#), "{sql}");
        }

        #[tokio::test]
        async fn sql_metadata_names_the_junction_from_either_side() {
            let db = open(DbOptions::memory()).await;
            let forward = Article::META.many_to_many("tags").unwrap().sql_metadata(true);
            assert_eq!(
                (forward.junction_table, forward.from_column, forward.to_column),
                ("articles_tags", "articles_pk", "tags_pk")
            );
            assert_eq!((forward.source_table, forward.target_table), ("articles", "tags"));
            assert!(!forward.symmetrical);
            let rust = tag(&db, "rust").await;
            let reverse = rust.articles(&db).sql_metadata().unwrap();
            assert_eq!((reverse.from_column, reverse.to_column), ("tags_pk", "articles_pk"));
            let a = article(&db, "A").await;
            assert_eq!(a.tags.sql_metadata(), Some(forward));
            assert!(Article::default().tags.sql_metadata().is_none());
            let friends = Person::META.many_to_many("friends").unwrap().sql_metadata(true);
            assert!(friends.symmetrical);
            assert_eq!(friends.junction_table, "persons_persons_friends");
            // Raw SQL with the names sees what the manager wrote.
            manager(&a.tags).add(&[&rust]).await.unwrap();
            let n = door(&db)
                .query_int(&format!(
                    "SELECT COUNT(*) FROM \"{}\" WHERE \"{}\" = {}",
                    forward.junction_table, forward.from_column, a.pk
                ))
                .await;
            assert_eq!(n, 1);
        }

        #[tokio::test]
        async fn add_fetch_count_exists_and_duplicate_adds() {
            let db = open(DbOptions::memory()).await;
            let sql = tag(&db, "sql").await;
            let rust = tag(&db, "rust").await;
            let a = article(&db, "A").await;
            let tags = manager(&a.tags);
            assert!(!tags.exists().await.unwrap());
            assert!(tags.fetch_one().await.unwrap().is_none());
            tags.add(&[&rust, &sql]).await.unwrap();
            tags.add(&[&rust]).await.unwrap();
            assert_eq!(tags.count().await.unwrap(), 2);
            assert!(tags.exists().await.unwrap());
            // pk order: `sql` was stored first.
            assert_eq!(names(&tags.fetch_all().await.unwrap()), ["sql", "rust"]);
            assert_eq!(tags.fetch_one().await.unwrap().unwrap().name, "sql");
            let rows = door(&db).query_int("SELECT COUNT(*) FROM articles_tags").await;
            assert_eq!(rows, 2, "a duplicate add stored a row");
            // A record read back knows its relation.
            let again: Article = door(&db).get(a.pk).await.unwrap().unwrap();
            assert_eq!(manager(&again.tags).count().await.unwrap(), 2);
            let listed = Terminals::fetch_all(&door(&db).select::<Article>()).await.unwrap();
            assert_eq!(manager(&listed[0].tags).count().await.unwrap(), 2);
        }

        #[tokio::test]
        async fn remove_and_clear() {
            let db = open(DbOptions::memory()).await;
            let (x, y, z) = (tag(&db, "x").await, tag(&db, "y").await, tag(&db, "z").await);
            let a = article(&db, "A").await;
            let b = article(&db, "B").await;
            manager(&a.tags).add(&[&x, &y]).await.unwrap();
            manager(&b.tags).add(&[&x]).await.unwrap();
            manager(&a.tags).remove(&[&x, &z]).await.unwrap(); // z: not related, a no-op
            assert_eq!(names(&manager(&a.tags).fetch_all().await.unwrap()), ["y"]);
            manager(&a.tags).clear().await.unwrap();
            assert_eq!(manager(&a.tags).count().await.unwrap(), 0);
            // Other records keep theirs.
            assert_eq!(names(&manager(&b.tags).fetch_all().await.unwrap()), ["x"]);
        }

        #[tokio::test]
        async fn set_replaces_the_set_atomically() {
            let db = open(DbOptions::memory()).await;
            let (x, y, z) = (tag(&db, "x").await, tag(&db, "y").await, tag(&db, "z").await);
            let a = article(&db, "A").await;
            manager(&a.tags).add(&[&x, &y]).await.unwrap();
            manager(&a.tags).set(&[&y, &z]).await.unwrap();
            assert_eq!(names(&manager(&a.tags).fetch_all().await.unwrap()), ["y", "z"]);

            // One record not stored: refused before any SQL.
            let unsaved = Tag { name: "new".into(), ..Default::default() };
            let err = manager(&a.tags).set(&[&x, &unsaved]).await.unwrap_err();
            assert!(matches!(err, Error::ManyToManyIntegrity { .. }), "{err:?}");
            assert!(err.to_string().contains("no primary key"), "{err}");
            // One record whose row is gone: the foreign key fails mid-way,
            // and the clear before it is rolled back.
            let ghost = Tag { pk: 9_999, name: "ghost".into() };
            let err = manager(&a.tags).set(&[&x, &ghost]).await.unwrap_err();
            assert!(matches!(err, Error::ForeignKeyConstraint { .. }), "{err:?}");
            assert_eq!(names(&manager(&a.tags).fetch_all().await.unwrap()), ["y", "z"]);
            // `add` is all or nothing too.
            let err = manager(&a.tags).add(&[&x, &ghost]).await.unwrap_err();
            assert!(matches!(err, Error::ForeignKeyConstraint { .. }), "{err:?}");
            assert_eq!(manager(&a.tags).count().await.unwrap(), 2);
            // An empty set clears.
            manager(&a.tags).set(&[]).await.unwrap();
            assert!(!manager(&a.tags).exists().await.unwrap());
        }

        #[tokio::test]
        async fn a_record_not_stored_reads_empty_with_no_query() {
            let (options, selects) = counting_selects(DbOptions::memory());
            let db = open(options).await;
            let rust = tag(&db, "rust").await;
            let a = article(&db, "A").await;
            manager(&a.tags).add(&[&rust]).await.unwrap();
            selects.store(0, Ordering::SeqCst);
            // A record built by hand, never inserted.
            let draft = Article { title: "draft".into(), ..Default::default() };
            let tags = manager(&draft.tags);
            assert!(tags.fetch_all().await.unwrap().is_empty());
            assert!(tags.fetch_one().await.unwrap().is_none());
            assert_eq!(tags.count().await.unwrap(), 0);
            assert!(!tags.exists().await.unwrap());
            let query = draft.tags.query(&db);
            assert!(Terminals::fetch_all(&query).await.unwrap().is_empty());
            assert_eq!(Terminals::count(&query).await.unwrap(), 0);
            // The reverse side of an unsaved record, too.
            let unsaved = Tag { name: "new".into(), ..Default::default() };
            let articles = unsaved.articles(&db);
            assert_eq!(manager(&articles).count().await.unwrap(), 0);
            assert!(manager(&articles).fetch_all().await.unwrap().is_empty());
            assert_eq!(selects.load(Ordering::SeqCst), 0, "a read of a record not stored ran SQL");
            // The stored relation is untouched, and a query on it still runs.
            assert_eq!(manager(&a.tags).count().await.unwrap(), 1);
            assert_eq!(selects.load(Ordering::SeqCst), 1);
        }

        #[tokio::test]
        async fn writes_on_a_record_not_stored_say_to_insert_it() {
            let db = open(DbOptions::memory()).await;
            let rust = tag(&db, "rust").await;
            let draft = Article { title: "draft".into(), ..Default::default() };
            let err = manager(&draft.tags).add(&[&rust]).await.unwrap_err();
            assert!(matches!(err, Error::ManyToManyIntegrity { .. }), "{err:?}");
            assert!(err.to_string().contains("insert it"), "{err}");
            for err in [
                manager(&draft.tags).set(&[&rust]).await.unwrap_err(),
                manager(&draft.tags).clear().await.unwrap_err(),
            ] {
                assert!(matches!(err, Error::ManyToManyIntegrity { .. }), "{err:?}");
            }
            let unsaved = Tag { name: "new".into(), ..Default::default() };
            let a = article(&db, "A").await;
            let err = manager(&unsaved.articles(&db)).add(&[&a]).await.unwrap_err();
            assert!(matches!(err, Error::ManyToManyIntegrity { .. }), "{err:?}");
            // Adding an unsaved record to a stored one.
            let err = manager(&a.tags).add(&[&unsaved]).await.unwrap_err();
            assert!(err.to_string().contains("has no primary key"), "{err}");
            assert_eq!(manager(&a.tags).count().await.unwrap(), 0);
        }

        #[tokio::test]
        async fn removing_what_was_never_stored_does_nothing() {
            let (options, selects) = counting_selects(DbOptions::memory());
            let db = open(options).await;
            let rust = tag(&db, "rust").await;
            let a = article(&db, "A").await;
            manager(&a.tags).add(&[&rust]).await.unwrap();
            let unsaved = Tag { name: "new".into(), ..Default::default() };
            manager(&a.tags).remove(&[&unsaved]).await.unwrap();
            let draft = Article::default();
            manager(&draft.tags).remove(&[&rust]).await.unwrap();
            // A mix: the stored one goes, the other is skipped.
            manager(&a.tags).remove(&[&unsaved, &rust]).await.unwrap();
            selects.store(0, Ordering::SeqCst);
            assert_eq!(manager(&a.tags).count().await.unwrap(), 0);
        }

        #[tokio::test]
        async fn attach_gives_a_hand_built_record_its_relations() {
            let db = open(DbOptions::memory()).await;
            let rust = tag(&db, "rust").await;
            let stored = article(&db, "A").await;
            let mut by_hand = Article { pk: stored.pk, title: "A".into(), ..Default::default() };
            assert_eq!(manager(&by_hand.tags).count().await.unwrap(), 0);
            DbModel::attach(&mut by_hand, &db);
            assert!(by_hand.tags.is_attached());
            manager(&by_hand.tags).add(&[&rust]).await.unwrap();
            assert_eq!(manager(&stored.tags).count().await.unwrap(), 1);
            assert_eq!(manager(&by_hand.tags).fetch_one().await.unwrap().unwrap().name, "rust");
        }

        #[tokio::test]
        async fn a_field_attaches_to_a_reopened_database_and_says_when_it_cannot() {
            let dir = tempfile::tempdir().unwrap();
            let options = || DbOptions::file(dir.path().join("m2m.db").to_string_lossy());
            let db = open(options()).await;
            let rust = tag(&db, "rust").await;
            let mut a = article(&db, "A").await;
            manager(&a.tags).add(&[&rust]).await.unwrap();
            drop(db);
            assert!(matches!(manager(&a.tags).count().await, Err(Error::NotAttached { .. })));
            let again = open(options()).await;
            a.tags.attach(&again).unwrap();
            assert_eq!(manager(&a.tags).count().await.unwrap(), 1);
            let mut by_hand = Article::default();
            let err = by_hand.tags.attach(&again).unwrap_err();
            assert!(matches!(&err, Error::NotAttached { reason, .. } if reason.contains("record.attach")), "{err:?}");
        }

        #[tokio::test]
        async fn with_count_through_two_many_to_many_steps_as_upstream() {
            let db = open(DbOptions::memory()).await;
            let d = door(&db);
            // Upstream's test_aggregates fixture.
            let python = tag(&db, "python").await;
            let sqlite = tag(&db, "sqlite").await;
            tag(&db, "unused").await;
            let guide = article(&db, "Guide").await;
            let tips = article(&db, "Tips").await;
            article(&db, "No Tags").await;
            manager(&guide.tags).add(&[&python, &sqlite]).await.unwrap();
            manager(&tips.tags).add(&[&python]).await.unwrap();
            let usage = |rows: Vec<sqliter_core::DictRow>| -> Vec<(String, i64)> {
                rows.iter()
                    .map(|r| (r.get("name").unwrap().as_str().unwrap().to_owned(), r.get("usage").unwrap().as_i64().unwrap()))
                    .collect()
            };
            let raw = Terminals::fetch_dicts(&d.select::<Tag>().with_count("articles__tags", "usage").order("name", false)).await.unwrap();
            assert_eq!(usage(raw), [("python".to_owned(), 3), ("sqlite".to_owned(), 2), ("unused".to_owned(), 0)]);
            let distinct = d.select::<Tag>().with_count_distinct("articles__tags", "usage").order("name", false);
            assert_eq!(usage(Terminals::fetch_dicts(&distinct).await.unwrap()), [("python".to_owned(), 2), ("sqlite".to_owned(), 2), ("unused".to_owned(), 0)]);
            // Two counts sharing a prefix stay exact.
            let both = d
                .select::<Tag>()
                .with_count_distinct("articles", "article_count")
                .with_count("articles__tags", "usage")
                .order("name", false);
            let rows = Terminals::fetch_dicts(&both).await.unwrap();
            let pairs: Vec<(i64, i64)> = rows
                .iter()
                .map(|r| (r.get("article_count").unwrap().as_i64().unwrap(), r.get("usage").unwrap().as_i64().unwrap()))
                .collect();
            assert_eq!(pairs, [(2, 3), (1, 2), (0, 0)]);
            // Symmetrical steps count each friendship from either end.
            let (p1, p2, p3) = (person(&db, "Ann").await, person(&db, "Bob").await, person(&db, "Cy").await);
            manager(&p1.friends).add(&[&p2]).await.unwrap();
            manager(&p3.friends).add(&[&p2]).await.unwrap();
            let rows = Terminals::fetch_dicts(&d.select::<Person>().with_count("friends__friends", "n")).await.unwrap();
            let counts: Vec<i64> = rows.iter().map(|r| r.get("n").unwrap().as_i64().unwrap()).collect();
            // Ann -> Bob -> {Ann, Cy}; Bob -> {Ann, Cy} -> Bob, Bob; Cy -> Bob -> {Ann, Cy}.
            assert_eq!(counts, [2, 2, 2]);
        }

        #[tokio::test]
        async fn the_reverse_accessor_reads_and_writes() {
            let db = open(DbOptions::memory()).await;
            let rust = tag(&db, "rust").await;
            let a = article(&db, "A").await;
            let b = article(&db, "B").await;
            manager(&a.tags).add(&[&rust]).await.unwrap();
            manager(&rust.articles(&db)).add(&[&b]).await.unwrap();
            let titles: Vec<String> = manager(&rust.articles(&db))
                .fetch_all()
                .await
                .unwrap()
                .into_iter()
                .map(|a| a.title)
                .collect();
            assert_eq!(titles, ["A", "B"]);
            assert_eq!(names(&manager(&b.tags).fetch_all().await.unwrap()), ["rust"]);
            manager(&rust.articles(&db)).remove(&[&a]).await.unwrap();
            assert_eq!(manager(&a.tags).count().await.unwrap(), 0);
            // `through` relations have their reverse accessor too.
            let p = door(&db).insert(Post::default()).await.unwrap();
            manager(&p.labels).add(&[&rust]).await.unwrap();
            assert_eq!(manager(&rust.posts(&db)).count().await.unwrap(), 1);
        }

        #[tokio::test]
        async fn query_gives_the_full_chain_on_the_related_records() {
            let db = open(DbOptions::memory()).await;
            let a = article(&db, "A").await;
            assert!(Terminals::fetch_all(&a.tags.query(&db)).await.unwrap().is_empty());
            let mut all = Vec::new();
            for name in ["rust", "sql", "rustls", "go"] {
                all.push(tag(&db, name).await);
            }
            manager(&a.tags).add(&all[..3].iter().collect::<Vec<_>>()).await.unwrap();
            let q = a.tags.query(&db).filter(Tag::name().startswith("rust")).order("name", true);
            assert_eq!(names(&Terminals::fetch_all(&q).await.unwrap()), ["rustls", "rust"]);
            let q = a.tags.filter(&db, Tag::name().eq("go"));
            assert_eq!(Terminals::count(&q).await.unwrap(), 0, "an unrelated tag leaked in");
            let q = a.tags.query(&db).filter_by("name__contains", "s").limit(1).offset(1);
            assert_eq!(names(&Terminals::fetch_all(&q).await.unwrap()), ["sql"]);
            // An unstored record's query has no rows, whatever follows.
            let draft = Article::default();
            let q = draft.tags.query(&db).filter(Tag::name().startswith("rust"));
            assert!(Terminals::fetch_all(&q).await.unwrap().is_empty());
        }

        #[tokio::test]
        async fn symmetrical_friends_are_one_row_seen_from_both_sides() {
            let db = open(DbOptions::memory()).await;
            let d = door(&db);
            let p1 = person(&db, "Ann").await;
            let p2 = person(&db, "Bob").await;
            let p3 = person(&db, "Cy").await;
            manager(&p3.friends).add(&[&p1]).await.unwrap();
            let stored = d
                .query_text("SELECT persons_pk_left || ',' || persons_pk_right FROM persons_persons_friends")
                .await;
            assert_eq!(stored, format!("{},{}", p1.pk, p3.pk), "the pair is not stored sorted");
            assert_eq!(people(&manager(&p1.friends).fetch_all().await.unwrap()), ["Cy"]);
            assert_eq!(people(&manager(&p3.friends).fetch_all().await.unwrap()), ["Ann"]);
            // The other way round is the same pair.
            manager(&p1.friends).add(&[&p3, &p2]).await.unwrap();
            assert_eq!(d.query_int("SELECT COUNT(*) FROM persons_persons_friends").await, 2);
            assert_eq!(manager(&p1.friends).count().await.unwrap(), 2);
            // A friendship with oneself is listed once.
            manager(&p2.friends).add(&[&p2]).await.unwrap();
            assert_eq!(people(&manager(&p2.friends).fetch_all().await.unwrap()), ["Ann", "Bob"]);
            assert_eq!(manager(&p2.friends).count().await.unwrap(), 2);
            // Removal works from either side; clear empties both columns.
            manager(&p3.friends).remove(&[&p1]).await.unwrap();
            assert_eq!(people(&manager(&p1.friends).fetch_all().await.unwrap()), ["Bob"]);
            manager(&p2.friends).clear().await.unwrap();
            assert_eq!(manager(&p1.friends).count().await.unwrap(), 0);
            assert_eq!(d.query_int("SELECT COUNT(*) FROM persons_persons_friends").await, 0);
        }

        #[tokio::test]
        async fn a_directed_self_reference_has_a_reverse_side() {
            let db = open(DbOptions::memory()).await;
            let d = door(&db);
            let u1 = person(&db, "Ann").await;
            let u2 = person(&db, "Bob").await;
            manager(&u1.follows).add(&[&u2]).await.unwrap();
            let stored = d
                .query_text("SELECT persons_pk_left || ',' || persons_pk_right FROM persons_persons_follows")
                .await;
            assert_eq!(stored, format!("{},{}", u1.pk, u2.pk));
            assert_eq!(people(&manager(&u2.followers(&db)).fetch_all().await.unwrap()), ["Ann"]);
            assert!(manager(&u2.follows).fetch_all().await.unwrap().is_empty());
            // Written from the reverse side: stored the same way.
            manager(&u1.followers(&db)).add(&[&u2]).await.unwrap();
            assert_eq!(people(&manager(&u2.follows).fetch_all().await.unwrap()), ["Ann"]);
            // Friends are another table.
            assert_eq!(manager(&u1.friends).count().await.unwrap(), 0);
        }

        #[tokio::test]
        async fn deleting_either_end_cascades_to_the_junction() {
            let db = open(DbOptions::memory()).await;
            let d = door(&db);
            let (x, y) = (tag(&db, "x").await, tag(&db, "y").await);
            let a = article(&db, "A").await;
            let b = article(&db, "B").await;
            manager(&a.tags).add(&[&x, &y]).await.unwrap();
            manager(&b.tags).add(&[&x]).await.unwrap();
            d.delete::<Article>(a.pk).await.unwrap();
            assert_eq!(d.query_int("SELECT COUNT(*) FROM articles_tags").await, 1);
            d.delete::<Tag>(x.pk).await.unwrap();
            assert_eq!(d.query_int("SELECT COUNT(*) FROM articles_tags").await, 0);
            assert_eq!(manager(&b.tags).count().await.unwrap(), 0);
        }

        #[tokio::test]
        async fn writes_invalidate_cached_answers_of_both_sides() {
            let (options, selects) = counting_selects(DbOptions::memory().cache(true));
            let db = open(options).await;
            let (x, y) = (tag(&db, "x").await, tag(&db, "y").await);
            let a = article(&db, "A").await;
            manager(&a.tags).add(&[&x]).await.unwrap();
            assert_eq!(manager(&a.tags).count().await.unwrap(), 1);
            assert_eq!(manager(&x.articles(&db)).count().await.unwrap(), 1);
            let before = selects.load(Ordering::SeqCst);
            assert_eq!(manager(&a.tags).count().await.unwrap(), 1);
            assert_eq!(manager(&x.articles(&db)).count().await.unwrap(), 1);
            assert_eq!(selects.load(Ordering::SeqCst), before, "the reads were not cached");
            // Every write shows on the next read of either side.
            manager(&a.tags).add(&[&y]).await.unwrap();
            assert_eq!(manager(&a.tags).count().await.unwrap(), 2);
            assert_eq!(manager(&y.articles(&db)).count().await.unwrap(), 1);
            manager(&x.articles(&db)).remove(&[&a]).await.unwrap();
            assert_eq!(names(&manager(&a.tags).fetch_all().await.unwrap()), ["y"]);
            manager(&a.tags).set(&[&x]).await.unwrap();
            assert_eq!(manager(&x.articles(&db)).count().await.unwrap(), 1);
            assert_eq!(manager(&y.articles(&db)).count().await.unwrap(), 0);
            manager(&a.tags).clear().await.unwrap();
            assert!(!manager(&x.articles(&db)).exists().await.unwrap());
            // A cascade from deleting an end too.
            manager(&a.tags).add(&[&x]).await.unwrap();
            assert_eq!(manager(&a.tags).count().await.unwrap(), 1);
            door(&db).delete::<Tag>(x.pk).await.unwrap();
            assert_eq!(manager(&a.tags).count().await.unwrap(), 0);
        }

        #[tokio::test]
        async fn a_dropped_database_is_reported() {
            let db = open(DbOptions::memory()).await;
            let a = article(&db, "A").await;
            drop(db);
            let err = manager(&a.tags).count().await.unwrap_err();
            assert!(matches!(err, Error::NotAttached { .. }), "{err:?}");
        }

        /// Three articles over four tags; returns them with their tag names.
        async fn tagged(db: &Db) -> Vec<(Article, Vec<&'static str>)> {
            let mut tags = Vec::new();
            for name in ["a", "b", "c", "d"] {
                tags.push(tag(db, name).await);
            }
            let mut out = Vec::new();
            for (title, picks) in [("one", vec![0, 1]), ("two", vec![1, 2, 3]), ("three", vec![])] {
                let article = article(db, title).await;
                let chosen: Vec<&Tag> = picks.iter().map(|&i| &tags[i]).collect();
                manager(&article.tags).add(&chosen).await.unwrap();
                let expected = picks.iter().map(|&i| ["a", "b", "c", "d"][i]).collect();
                out.push((article, expected));
            }
            out
        }

        #[tokio::test]
        async fn prefetch_related_loads_forward_and_reverse_in_one_query_per_level() {
            let (options, selects) = counting_selects(DbOptions::memory());
            let db = open(options).await;
            let d = door(&db);
            let expected = tagged(&db).await;
            let before = selects.load(Ordering::SeqCst);
            let articles = FetchRelated::fetch_related(&d.select::<Article>().prefetch_related("tags")).await.unwrap();
            assert_eq!(selects.load(Ordering::SeqCst), before + 2, "prefetch is not 2 queries");
            for (record, (_, want)) in articles.iter().zip(&expected) {
                let set = record.prefetched::<Tag>("tags").unwrap();
                assert_eq!(set.fetch_all().iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), *want);
                assert_eq!(set.count(), want.len());
            }
            assert_eq!(selects.load(Ordering::SeqCst), before + 2, "reading the sets ran queries");
            // The reverse side, typed.
            let tags = FetchRelated::fetch_related(&d.select::<Tag>().prefetch_related(Tag::ARTICLES)).await.unwrap();
            assert_eq!(selects.load(Ordering::SeqCst), before + 4);
            let titles: Vec<Vec<&str>> = tags
                .iter()
                .map(|t| t.related(&Tag::ARTICLES).unwrap().fetch_all().iter().map(|a| a.title.as_str()).collect())
                .collect();
            assert_eq!(titles, [vec!["one"], vec!["one", "two"], vec!["two"], vec!["two"]]);
            // A prefetched set's query goes back to the database.
            let set = articles[1].related(&Article::TAGS).unwrap();
            let q = set.query(&db).filter(Tag::name().gt("b"));
            assert_eq!(names(&Terminals::fetch_all(&q).await.unwrap()), ["c", "d"]);
        }

        #[tokio::test]
        async fn prefetch_related_nests_through_many_to_many_and_symmetrical() {
            let (options, selects) = counting_selects(DbOptions::memory());
            let db = open(options).await;
            let d = door(&db);
            let expected = tagged(&db).await;
            let tags = Terminals::fetch_all(&d.select::<Tag>()).await.unwrap();
            let lang = d.insert(Category { name: "lang".into(), ..Default::default() }).await.unwrap();
            let misc = d.insert(Category { name: "misc".into(), ..Default::default() }).await.unwrap();
            manager(&lang.tags).add(&[&tags[1], &tags[2]]).await.unwrap();
            manager(&misc.tags).add(&[&tags[1]]).await.unwrap();
            let before = selects.load(Ordering::SeqCst);
            let articles = FetchRelated::fetch_related(&d.select::<Article>().prefetch_related("tags__categories")).await.unwrap();
            assert_eq!(selects.load(Ordering::SeqCst), before + 3, "not one query per level");
            // Tag `b` is reached from two articles: both see its categories.
            for (record, (_, want)) in articles.iter().zip(&expected) {
                let set = record.prefetched::<Tag>("tags").unwrap();
                assert_eq!(set.fetch_all().iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), *want);
                for t in set.fetch_all() {
                    let cats: Vec<&str> = t
                        .prefetched::<Category>("categories")
                        .unwrap()
                        .fetch_all()
                        .iter()
                        .map(|c| c.name.as_str())
                        .collect();
                    let want: &[&str] = match t.name.as_str() {
                        "b" => &["lang", "misc"],
                        "c" => &["lang"],
                        _ => &[],
                    };
                    assert_eq!(cats, want, "categories of {}", t.name);
                }
            }
            // Symmetrical: both columns are read in the one query.
            let p1 = person(&db, "Ann").await;
            let p2 = person(&db, "Bob").await;
            let p3 = person(&db, "Cy").await;
            manager(&p3.friends).add(&[&p1, &p3]).await.unwrap();
            manager(&p1.friends).add(&[&p2]).await.unwrap();
            let before = selects.load(Ordering::SeqCst);
            let all = FetchRelated::fetch_related(&d.select::<Person>().prefetch_related(Person::FRIENDS)).await.unwrap();
            assert_eq!(selects.load(Ordering::SeqCst), before + 2);
            let mut from_memory = Vec::new();
            for p in &all {
                from_memory.push(p.related(&Person::FRIENDS).unwrap().fetch_all().iter().map(|f| f.name.clone()).collect::<Vec<_>>());
            }
            let mut from_db = Vec::new();
            for p in [&p1, &p2, &p3] {
                from_db.push(manager(&p.friends).fetch_all().await.unwrap().into_iter().map(|f| f.name).collect::<Vec<_>>());
            }
            assert_eq!(from_memory, from_db);
            assert_eq!(from_memory, [vec!["Bob", "Cy"], vec!["Ann"], vec!["Ann", "Cy"]]);
        }

        #[tokio::test]
        async fn a_write_through_a_prefetched_record_is_not_answered_stale() {
            let db = open(DbOptions::memory()).await;
            let d = door(&db);
            tagged(&db).await;
            let extra = tag(&db, "extra").await;
            let articles = FetchRelated::fetch_related(&d.select::<Article>().prefetch_related("tags")).await.unwrap();
            let first = &articles[0];
            assert_eq!(first.prefetched::<Tag>("tags").unwrap().count(), 2);
            // The write goes to the database...
            manager(&first.tags).add(&[&extra]).await.unwrap();
            assert_eq!(d.query_int(&format!("SELECT COUNT(*) FROM articles_tags WHERE articles_pk = {}", first.pk)).await, 3);
            // ...the snapshot no longer answers, and the field reads the truth.
            let err = first.prefetched::<Tag>("tags").unwrap_err();
            assert!(matches!(err, Error::InvalidPrefetch { .. }) && err.to_string().contains("written"), "{err}");
            assert_eq!(names(&manager(&first.tags).fetch_all().await.unwrap()), ["a", "b", "extra"]);
            // Other records' sets are untouched.
            assert_eq!(articles[1].prefetched::<Tag>("tags").unwrap().count(), 3);
            // A failed write changes nothing, so the set still answers.
            let second = &articles[1];
            let ghost = Tag { pk: 9_999, name: "ghost".into() };
            assert!(manager(&second.tags).add(&[&ghost]).await.is_err());
            assert_eq!(second.prefetched::<Tag>("tags").unwrap().count(), 3);
        }

        #[tokio::test]
        async fn a_write_from_one_side_makes_the_other_sides_prefetched_sets_stale() {
            let db = open(DbOptions::memory()).await;
            let d = door(&db);
            tagged(&db).await;
            let tags = FetchRelated::fetch_related(&d.select::<Tag>().prefetch_related(Tag::ARTICLES)).await.unwrap();
            let articles = FetchRelated::fetch_related(&d.select::<Article>().prefetch_related("tags")).await.unwrap();
            let (a, c) = (&tags[0], &tags[2]);
            assert_eq!(a.prefetched::<Article>("articles").unwrap().count(), 1);
            // Article "three" gains tag a through its own field...
            let three = &articles[2];
            manager(&three.tags).add(&[&**a]).await.unwrap();
            // ...so tag a's set (the other side) no longer answers the old count.
            let err = a.prefetched::<Article>("articles").unwrap_err();
            assert!(matches!(err, Error::InvalidPrefetch { .. }) && err.to_string().contains("written"), "{err}");
            assert_eq!(manager(&a.articles(&db)).count().await.unwrap(), 2);
            // A tag the write did not touch keeps answering.
            assert_eq!(c.prefetched::<Article>("articles").unwrap().count(), 1);
            // A write through a reverse accessor reaches the articles' sets.
            let one = &articles[0];
            assert_eq!(one.prefetched::<Tag>("tags").unwrap().count(), 2);
            manager(&c.articles(&db)).add(&[&**one]).await.unwrap();
            assert!(matches!(one.prefetched::<Tag>("tags"), Err(Error::InvalidPrefetch { .. })));
            assert!(matches!(c.prefetched::<Article>("articles"), Err(Error::InvalidPrefetch { .. })));
            // clear() reaches every record of the other side.
            let two = &articles[1];
            manager(&two.tags).clear().await.unwrap();
            assert!(matches!(tags[3].prefetched::<Article>("articles"), Err(Error::InvalidPrefetch { .. })));
        }

        #[tokio::test]
        async fn with_count_counts_many_to_many_from_either_side() {
            let db = open(DbOptions::memory()).await;
            let d = door(&db);
            let expected = tagged(&db).await;
            let rows = Terminals::fetch_dicts(&d.select::<Article>().with_count("tags", "n")).await.unwrap();
            let counts: Vec<i64> = rows.iter().map(|r| r.get("n").and_then(|v| v.as_i64()).unwrap()).collect();
            let want: Vec<i64> = expected.iter().map(|(_, tags)| i64::try_from(tags.len()).unwrap()).collect();
            assert_eq!(counts, want);
            let rows = Terminals::fetch_dicts(&d.select::<Tag>().with_count(Tag::ARTICLES, "n").order("n", true)).await.unwrap();
            let top: Vec<(&str, i64)> = rows
                .iter()
                .map(|r| (r.get("name").unwrap().as_str().unwrap(), r.get("n").unwrap().as_i64().unwrap()))
                .collect();
            assert_eq!(top[0], ("b", 2));
            // Symmetrical pairs count from both columns.
            let p1 = person(&db, "Ann").await;
            let p2 = person(&db, "Bob").await;
            manager(&p2.friends).add(&[&p1, &p2]).await.unwrap();
            let rows = Terminals::fetch_dicts(&d.select::<Person>().with_count("friends", "n")).await.unwrap();
            let counts: Vec<i64> = rows.iter().map(|r| r.get("n").and_then(|v| v.as_i64()).unwrap()).collect();
            assert_eq!(counts, [1, 2]);
        }

        #[tokio::test]
        async fn a_forward_many_to_many_is_not_a_select_related_path() {
            let db = open(DbOptions::memory()).await;
            let err = Terminals::fetch_all(&door(&db).select::<Article>().select_related("tags")).await.unwrap_err();
            assert!(matches!(err, Error::InvalidRelationship { .. }), "{err:?}");
        }
    };
}

mod sync {
    m2m_suite!(sqliter_core::SqliterDB, sqliter_core, ManyToMany);

    #[tokio::test]
    async fn writes_follow_the_enclosing_transaction() {
        let db = open(DbOptions::memory()).await;
        let (x, y) = (tag(&db, "x").await, tag(&db, "y").await);
        let a = article(&db, "A").await;
        a.tags.add([&x]).unwrap();
        let failed: Result<(), Error> = db.transaction(|_| {
            a.tags.add([&y])?;
            a.tags.remove([&x])?;
            Err(Error::Transaction("the caller gave up".into()))
        });
        assert!(failed.is_err());
        assert_eq!(names(&a.tags.fetch_all().unwrap()), ["x"]);
        db.transaction(|_| a.tags.set([&y])).unwrap();
        assert_eq!(names(&a.tags.fetch_all().unwrap()), ["y"]);
    }
}

mod async_door {
    m2m_suite!(
        sqliter_async::AsyncSqliterDB,
        sqliter_async,
        AsyncManyToMany
    );

    /// The managers find the task's open transaction (they run inside it,
    /// rather than wait for it to end).
    #[tokio::test]
    async fn writes_follow_the_enclosing_transaction() {
        let db = open(DbOptions::memory()).await;
        let (x, y) = (tag(&db, "x").await, tag(&db, "y").await);
        let a = article(&db, "A").await;
        a.tags.add([&x]).await.unwrap();
        let failed: Result<(), Error> = db
            .transaction(|_| async {
                a.tags.add([&y]).await?;
                a.tags.remove([&x]).await?;
                Err(Error::Transaction("the caller gave up".into()))
            })
            .await;
        assert!(failed.is_err());
        assert_eq!(names(&a.tags.fetch_all().await.unwrap()), ["x"]);
        db.transaction(|_| async { a.tags.set([&y]).await })
            .await
            .unwrap();
        assert_eq!(names(&a.tags.fetch_all().await.unwrap()), ["y"]);
    }
}
