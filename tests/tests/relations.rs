//! ORM relations on both doors: `ForeignKey` / `AsyncForeignKey` fields,
//! lazy loading, reverse accessors, `select_related`, `prefetch_related`
//! and the statement counts that show the N+1 is gone.
//!
//! A model's foreign-key type names its door, so the models and tests are
//! written once in `relation_suite!` and instantiated per door.

macro_rules! relation_suite {
    ($door:ty, $krate:ident, $fk:ident) => {
        use sqliter_tests::counting_selects;
        use sqliter_core::prelude::*;
        use sqliter_core::{DbModel, DbOptions, Error};
        use $krate::$fk;
        use sqliter_tests::{Door, FetchRelated, Terminals};
        use std::sync::atomic::Ordering;

        type Db = $door;

        #[derive(DbModel, Debug, Clone, Default)]
        pub struct Country {
            pk: i64,
            name: String,
        }

        #[derive(DbModel, Debug, Clone, Default)]
        pub struct Author {
            pk: i64,
            name: String,
            #[sqliter(null, on_delete = "SET NULL", related_name = "authors")]
            country: $fk<Country>,
        }

        #[derive(DbModel, Debug, Clone, Default)]
        pub struct Book {
            pk: i64,
            title: String,
            year: i32,
            #[sqliter(on_delete = "CASCADE", related_name = "books")]
            author: $fk<Author>,
        }

        /// `related_name` left to its default: `reviews`.
        #[derive(DbModel, Debug, Clone, Default)]
        pub struct Review {
            pk: i64,
            stars: i64,
            #[sqliter(null, on_delete = "SET NULL")]
            book: $fk<Book>,
        }

        /// One-to-one, renamed column, RESTRICT.
        #[derive(DbModel, Debug, Clone, Default)]
        pub struct Profile {
            pk: i64,
            bio: String,
            #[sqliter(unique, db_column = "owner", related_name = "profiles")]
            author: $fk<Author>,
        }

        /// A plain integer foreign key naming its reverse relation.
        #[derive(DbModel, Debug, Clone, Default)]
        pub struct Note {
            pk: i64,
            text: String,
            #[sqliter(foreign_key = Author, on_delete = "CASCADE", related_name = "notes")]
            author_id: i64,
        }

        /// The door seen only through the `Door` trait, whose methods all
        /// await (the concrete types' own methods would shadow them).
        fn door(db: &Db) -> &impl Door {
            db
        }

        async fn open(options: DbOptions) -> Db {
            let db = <Db as Door>::open(options).await.expect("open");
            let d = door(&db);
            d.create_table::<Country>().await.unwrap();
            d.create_table::<Author>().await.unwrap();
            d.create_table::<Book>().await.unwrap();
            d.create_table::<Review>().await.unwrap();
            d.create_table::<Profile>().await.unwrap();
            d.create_table::<Note>().await.unwrap();
            db
        }

        async fn author(db: &Db, name: &str, country: Option<&Country>) -> Author {
            let country = country.map_or_else($fk::null, $fk::to);
            door(db).insert(Author { name: name.into(), country, ..Default::default() })
                .await
                .unwrap()
        }

        async fn book(db: &Db, title: &str, year: i32, author: &Author) -> Book {
            door(db).insert(Book { title: title.into(), year, author: $fk::to(author), ..Default::default() })
                .await
                .unwrap()
        }

        fn titles(books: &[Book]) -> Vec<&str> {
            books.iter().map(|b| b.title.as_str()).collect()
        }

        #[tokio::test]
        async fn ddl_names_the_column_field_id_with_an_index() {
            let db = open(DbOptions::memory()).await;
            let d = door(&db);
            let sql = d.query_text("SELECT sql FROM sqlite_master WHERE name = 'books'").await;
            assert!(
                sql.contains(r#""author_id" INTEGER NOT NULL"#)
                    && sql.contains(r#"REFERENCES "authors"("pk") ON DELETE CASCADE"#),
                "{sql}"
            );
            let sql = d.query_text("SELECT sql FROM sqlite_master WHERE name = 'reviews'").await;
            assert!(sql.contains(r#""book_id" INTEGER,"#) || sql.contains(r#""book_id" INTEGER "#), "{sql}");
            assert!(!sql.contains(r#""book_id" INTEGER NOT NULL"#), "{sql}");
            let sql = d.query_text("SELECT sql FROM sqlite_master WHERE name = 'profiles'").await;
            assert!(sql.contains(r#""owner" INTEGER NOT NULL UNIQUE"#), "{sql}");
            let indexes = d
                .query_int("SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name IN ('idx_books_author_id', 'idx_reviews_book_id', 'idx_profiles_owner')")
                .await;
            assert_eq!(indexes, 3);
        }

        #[tokio::test]
        async fn a_key_is_set_from_a_record_a_pk_or_nothing() {
            let db = open(DbOptions::memory()).await;
            let d = door(&db);
            let ann = author(&db, "Ann", None).await;
            let dune = book(&db, "Dune", 1965, &ann).await;
            assert_eq!(dune.author.id(), Some(ann.pk));
            let by_pk = d
                .insert(Book { title: "Emma".into(), author: $fk::from_pk(ann.pk), ..Default::default() })
                .await
                .unwrap();
            assert_eq!(d.get::<Book>(by_pk.pk).await.unwrap().unwrap().author.id(), Some(ann.pk));
            let loose = d.insert(Review { stars: 3, ..Default::default() }).await.unwrap();
            let loose: Review = d.get(loose.pk).await.unwrap().unwrap();
            assert!(loose.book.is_null());
            // A required key left NULL is refused by the database, typed.
            let err = d.insert(Book { title: "x".into(), ..Default::default() }).await.unwrap_err();
            assert!(matches!(err, Error::RecordInsertion { .. }), "{err:?}");
            // A key to no row is a foreign-key error.
            let err = d
                .insert(Book { title: "x".into(), author: $fk::from_pk(999), ..Default::default() })
                .await
                .unwrap_err();
            assert!(matches!(err, Error::ForeignKeyConstraint { .. }), "{err:?}");
        }

        #[tokio::test]
        async fn fetch_loads_once_and_keeps_the_record() {
            let (options, selects) = counting_selects(DbOptions::memory());
            let db = open(options).await;
            let d = door(&db);
            let ann = author(&db, "Ann", None).await;
            let dune = book(&db, "Dune", 1965, &ann).await;
            let dune: Book = d.get_with(dune.pk, sqliter_core::GetOptions::default()).await.unwrap().unwrap();
            assert!(!dune.author.is_loaded());
            let before = selects.load(Ordering::SeqCst);
            assert_eq!(Db::fetch_fk(&dune.author).await.unwrap().unwrap().name, "Ann");
            assert_eq!(selects.load(Ordering::SeqCst), before + 1);
            assert_eq!(Db::fetch_fk(&dune.author).await.unwrap().unwrap().name, "Ann");
            assert_eq!(dune.author.get().map(|a| a.pk), Some(ann.pk));
            assert_eq!(selects.load(Ordering::SeqCst), before + 1, "the second fetch ran a query");
            // Clones share what is loaded.
            assert!(dune.clone().author.is_loaded());
        }

        #[tokio::test]
        async fn fetch_of_a_null_key_is_none_without_a_query() {
            let (options, selects) = counting_selects(DbOptions::memory());
            let db = open(options).await;
            let d = door(&db);
            let review = d.insert(Review { stars: 5, ..Default::default() }).await.unwrap();
            let review: Review = d.get(review.pk).await.unwrap().unwrap();
            let before = selects.load(Ordering::SeqCst);
            assert!(Db::fetch_fk(&review.book).await.unwrap().is_none());
            assert_eq!(selects.load(Ordering::SeqCst), before);
        }

        #[tokio::test]
        async fn fetch_of_a_dangling_key_is_none() {
            let db = open(DbOptions::memory()).await;
            let d = door(&db);
            d.raw("PRAGMA foreign_keys = OFF; INSERT INTO reviews (stars, book_id) VALUES (1, 4242); PRAGMA foreign_keys = ON;").await;
            let review = d.select::<Review>().fetch_one().await.unwrap().unwrap();
            assert_eq!(review.book.id(), Some(4242));
            assert!(Db::fetch_fk(&review.book).await.unwrap().is_none());
        }

        #[tokio::test]
        async fn a_hand_built_record_must_be_attached() {
            let db = open(DbOptions::memory()).await;
            let ann = author(&db, "Ann", None).await;
            let mut draft = Book { title: "Draft".into(), author: $fk::from_pk(ann.pk), ..Default::default() };
            let err = Db::fetch_fk(&draft.author).await.unwrap_err();
            assert!(matches!(err, Error::NotAttached { model: "Author", .. }), "{err:?}");
            draft.author.attach(&db);
            assert_eq!(Db::fetch_fk(&draft.author).await.unwrap().unwrap().name, "Ann");
        }

        #[tokio::test]
        async fn an_inserted_record_loads_without_attach() {
            let db = open(DbOptions::memory()).await;
            let ann = author(&db, "Ann", None).await;
            let dune = book(&db, "Dune", 1965, &ann).await;
            assert_eq!(Db::fetch_fk(&dune.author).await.unwrap().unwrap().name, "Ann");
            let mut books = vec![Book { title: "Emma".into(), author: $fk::to(&ann), ..Default::default() }];
            door(&db).bulk_insert(&mut books).await.unwrap();
            assert_eq!(Db::fetch_fk(&books[0].author).await.unwrap().unwrap().name, "Ann");
        }

        #[tokio::test]
        async fn a_record_outliving_its_database_reports_it() {
            let db = open(DbOptions::memory()).await;
            let d = door(&db);
            let ann = author(&db, "Ann", None).await;
            let dune = book(&db, "Dune", 1965, &ann).await;
            let dune: Book = d.get(dune.pk).await.unwrap().unwrap();
            drop(db);
            let err = Db::fetch_fk(&dune.author).await.unwrap_err();
            assert!(matches!(err, Error::NotAttached { .. }), "{err:?}");
        }

        #[tokio::test]
        async fn set_points_elsewhere_and_forgets_the_loaded_record() {
            let db = open(DbOptions::memory()).await;
            let d = door(&db);
            let ann = author(&db, "Ann", None).await;
            let bob = author(&db, "Bob", None).await;
            let dune = book(&db, "Dune", 1965, &ann).await;
            let mut dune: Book = d.get(dune.pk).await.unwrap().unwrap();
            Db::fetch_fk(&dune.author).await.unwrap();
            dune.author.set(&bob);
            // It holds Bob now, as `to` does.
            assert_eq!(dune.author.get().map(|a| a.name.as_str()), Some("Bob"));
            d.update(&mut dune).await.unwrap();
            let dune: Book = d.get(dune.pk).await.unwrap().unwrap();
            assert_eq!(Db::fetch_fk(&dune.author).await.unwrap().unwrap().name, "Bob");
        }

        #[tokio::test]
        async fn update_to_a_missing_row_is_a_foreign_key_error() {
            let db = open(DbOptions::memory()).await;
            let d = door(&db);
            let ann = author(&db, "Ann", None).await;
            let mut dune = book(&db, "Dune", 1965, &ann).await;
            dune.author.set_id(Some(999));
            let err = d.update(&mut dune).await.unwrap_err();
            assert!(matches!(err, Error::ForeignKeyConstraint { .. }), "{err:?}");
        }

        #[tokio::test]
        async fn on_delete_cascade_set_null_and_restrict() {
            let db = open(DbOptions::memory()).await;
            let d = door(&db);
            let uk = d.insert(Country { name: "UK".into(), ..Default::default() }).await.unwrap();
            let ann = author(&db, "Ann", Some(&uk)).await;
            let dune = book(&db, "Dune", 1965, &ann).await;
            let review = d
                .insert(Review { stars: 4, book: $fk::to(&dune), ..Default::default() })
                .await
                .unwrap();
            d.insert(Profile { bio: "hi".into(), author: $fk::to(&ann), ..Default::default() })
                .await
                .unwrap();
            // RESTRICT (the default): the profile blocks deleting Ann.
            let err = d.delete::<Author>(ann.pk).await.unwrap_err();
            assert!(matches!(err, Error::ForeignKeyConstraint { .. }), "{err:?}");
            d.select::<Profile>().delete().await.unwrap();
            // SET NULL: deleting the country clears the author's key.
            d.delete::<Country>(uk.pk).await.unwrap();
            let ann_now: Author = d.get(ann.pk).await.unwrap().unwrap();
            assert!(ann_now.country.is_null());
            // CASCADE: deleting Ann deletes her books; their reviews lose the key.
            d.delete::<Author>(ann.pk).await.unwrap();
            assert_eq!(d.select::<Book>().count().await.unwrap(), 0);
            let review: Review = d.get(review.pk).await.unwrap().unwrap();
            assert!(review.book.is_null());
        }

        #[tokio::test]
        async fn filters_by_key_field_id_typed_column_and_traversal() {
            let db = open(DbOptions::memory()).await;
            let d = door(&db);
            let uk = d.insert(Country { name: "UK".into(), ..Default::default() }).await.unwrap();
            let ann = author(&db, "Ann", Some(&uk)).await;
            let bob = author(&db, "Bob", None).await;
            book(&db, "Dune", 1965, &ann).await;
            book(&db, "Emma", 1815, &bob).await;
            book(&db, "Ulysses", 1922, &ann).await;
            let by_field = d.select::<Book>().filter_by("author", ann.pk).fetch_all().await.unwrap();
            let by_id = d.select::<Book>().filter_by("author_id", ann.pk).fetch_all().await.unwrap();
            let typed = d.select::<Book>().filter(Book::author().eq(&ann)).fetch_all().await.unwrap();
            assert_eq!(titles(&by_field), ["Dune", "Ulysses"]);
            assert_eq!(titles(&by_id), ["Dune", "Ulysses"]);
            assert_eq!(titles(&typed), ["Dune", "Ulysses"]);
            let traversed = d
                .select::<Book>()
                .filter_by("author__name__startswith", "B")
                .fetch_all()
                .await
                .unwrap();
            assert_eq!(titles(&traversed), ["Emma"]);
            let two_levels = d
                .select::<Book>()
                .filter_by("author__country__name", "UK")
                .order("title", true)
                .fetch_all()
                .await
                .unwrap();
            assert_eq!(titles(&two_levels), ["Ulysses", "Dune"]);
            // The typed traversal: the compiler checks every step.
            let typed = d
                .select::<Book>()
                .filter(Book::author().filter(Author::name().startswith("B")))
                .fetch_all()
                .await
                .unwrap();
            assert_eq!(titles(&typed), ["Emma"]);
            let typed = d
                .select::<Book>()
                .filter(Book::author().then(Author::country()).filter(Country::name().eq("UK")))
                .filter(Book::year().gt(1900))
                .fetch_all()
                .await
                .unwrap();
            assert_eq!(titles(&typed), ["Dune", "Ulysses"]);
            let null_country = d
                .select::<Author>()
                .filter_by("country__isnull", true)
                .fetch_all()
                .await
                .unwrap();
            assert_eq!(null_country.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(), ["Bob"]);
            // Bulk writes through a traversal go through a subquery.
            let changed = d
                .select::<Book>()
                .filter_by("author__name", "Ann")
                .update([("year", 2000)])
                .await
                .unwrap();
            assert_eq!(changed, 2);
        }

        #[tokio::test]
        async fn reverse_accessors_are_scoped_queries_with_the_full_chain() {
            let db = open(DbOptions::memory()).await;
            let d = door(&db);
            let ann = author(&db, "Ann", None).await;
            let bob = author(&db, "Bob", None).await;
            for (title, year) in [("A", 1990), ("B", 2001), ("C", 2010)] {
                book(&db, title, year, &ann).await;
            }
            let other = book(&db, "Z", 2020, &bob).await;
            d.insert(Review { stars: 2, book: $fk::to(&other), ..Default::default() }).await.unwrap();
            assert_eq!(Terminals::count(&ann.books(&db)).await.unwrap(), 3);
            assert!(Terminals::exists(&ann.books(&db)).await.unwrap());
            assert_eq!(titles(&Terminals::fetch_all(&ann.books(&db)).await.unwrap()), ["A", "B", "C"]);
            let first = Terminals::fetch_one(&ann.books(&db)).await.unwrap().unwrap();
            assert_eq!(first.title, "A");
            let recent = ann.books(&db).filter(Book::year().gte(2000)).order("year", true).limit(1);
            assert_eq!(titles(&Terminals::fetch_all(&recent).await.unwrap()), ["C"]);
            let paged = ann.books(&db).offset(1).limit(5);
            assert_eq!(titles(&Terminals::fetch_all(&paged).await.unwrap()), ["B", "C"]);
            // The default related_name: pluralised snake_case of the child.
            assert_eq!(Terminals::count(&other.reviews(&db)).await.unwrap(), 1);
            // An unsaved parent has nothing.
            assert_eq!(Terminals::count(&Author::default().books(&db)).await.unwrap(), 0);
            // A bad filter is reported by the terminal, typed.
            let err = Terminals::fetch_all(&ann.books(&db).filter_by("nope", 1)).await.unwrap_err();
            assert!(matches!(err, Error::InvalidFilter { .. }), "{err:?}");
        }

        #[tokio::test]
        async fn select_related_loads_in_the_same_query() {
            let (options, selects) = counting_selects(DbOptions::memory());
            let db = open(options).await;
            let d = door(&db);
            let uk = d.insert(Country { name: "UK".into(), ..Default::default() }).await.unwrap();
            let ann = author(&db, "Ann", Some(&uk)).await;
            let bob = author(&db, "Bob", None).await;
            book(&db, "Dune", 1965, &ann).await;
            book(&db, "Emma", 1815, &bob).await;
            let before = selects.load(Ordering::SeqCst);
            let books = d.select::<Book>().select_related("author").fetch_all().await.unwrap();
            assert_eq!(books.len(), 2);
            assert_eq!(books[0].author.get().unwrap().name, "Ann");
            assert_eq!(books[1].author.get().unwrap().name, "Bob");
            assert_eq!(Db::fetch_fk(&books[0].author).await.unwrap().unwrap().name, "Ann");
            assert_eq!(selects.load(Ordering::SeqCst), before + 1, "select_related ran extra queries");
            // Nested, with a NULL key along the way (LEFT JOIN: the row stays).
            let books = d
                .select::<Book>()
                .select_related("author__country")
                .order("title", false)
                .fetch_all()
                .await
                .unwrap();
            let ann_loaded = books[0].author.get().unwrap();
            assert_eq!(ann_loaded.country.get().unwrap().name, "UK");
            let bob_loaded = books[1].author.get().unwrap();
            assert!(bob_loaded.country.get().is_none() && bob_loaded.country.is_null());
            assert_eq!(selects.load(Ordering::SeqCst), before + 2);
            // Combined with a filter, a projection and a count.
            let emma = d
                .select::<Book>()
                .select_related("author")
                .filter_by("author__name", "Bob")
                .fields(["title"])
                .fetch_all()
                .await
                .unwrap();
            assert_eq!(emma.len(), 1);
            assert_eq!(emma[0].title, "Emma");
            assert_eq!(emma[0].author.get().unwrap().name, "Bob");
            let n = d.select::<Book>().select_related("author").count().await.unwrap();
            assert_eq!(n, 2);
        }

        #[tokio::test]
        async fn typed_paths_name_the_same_relations() {
            let db = open(DbOptions::memory()).await;
            let d = door(&db);
            let uk = d.insert(Country { name: "UK".into(), ..Default::default() }).await.unwrap();
            let ann = author(&db, "Ann", Some(&uk)).await;
            let dune = book(&db, "Dune", 1965, &ann).await;
            d.insert(Review { stars: 4, book: $fk::to(&dune), ..Default::default() }).await.unwrap();
            let reviews = Terminals::fetch_all(
                &d.select::<Review>().select_related(Review::book().then(Book::author()).then(Author::country())),
            )
            .await
            .unwrap();
            let loaded = reviews[0].book.get().unwrap().author.get().unwrap();
            assert_eq!(loaded.country.get().unwrap().name, "UK");
            assert_eq!(Author::BOOKS.then(Book::REVIEWS).as_str(), "books__reviews");
            let authors = FetchRelated::fetch_related(&d.select::<Author>().prefetch_related(Author::BOOKS.then(Book::REVIEWS)))
                .await
                .unwrap();
            let books = authors[0].related(&Author::BOOKS).unwrap();
            assert_eq!(books.fetch_one().unwrap().related(&Book::REVIEWS).unwrap().count(), 1);
            let rows = Terminals::fetch_dicts(&d.select::<Book>().with_count(Book::author().then(Author::BOOKS), "n"))
                .await
                .unwrap();
            assert_eq!(rows[0].get("n").and_then(|v| v.as_i64()), Some(1));
        }

        #[tokio::test]
        async fn select_related_rejects_paths_that_are_not_foreign_keys() {
            let db = open(DbOptions::memory()).await;
            let d = door(&db);
            for path in ["nope", "title", "books", "author__nope", "author__name"] {
                let err = d.select::<Book>().select_related(path).fetch_all().await.unwrap_err();
                assert!(
                    matches!(&err, Error::InvalidRelationship { path: p, .. } if p == path),
                    "{path}: {err:?}"
                );
            }
            let err = d.select::<Author>().select_related("books").fetch_all().await.unwrap_err();
            assert!(matches!(err, Error::InvalidRelationship { .. }), "{err:?}");
        }

        #[tokio::test]
        async fn select_related_answers_are_dropped_when_the_joined_table_changes() {
            let db = <Db as Door>::open(DbOptions::memory().cache(true)).await.unwrap();
            let d = door(&db);
            d.create_table::<Country>().await.unwrap();
            d.create_table::<Author>().await.unwrap();
            d.create_table::<Book>().await.unwrap();
            let mut ann = author(&db, "Ann", None).await;
            book(&db, "Dune", 1965, &ann).await;
            let query = d.select::<Book>().select_related("author");
            assert_eq!(Terminals::fetch_all(&query).await.unwrap()[0].author.get().unwrap().name, "Ann");
            ann.name = "Anne".into();
            d.update(&mut ann).await.unwrap();
            assert_eq!(Terminals::fetch_all(&query).await.unwrap()[0].author.get().unwrap().name, "Anne");
        }

        #[tokio::test]
        async fn prefetch_related_runs_one_query_per_level() {
            let (options, selects) = counting_selects(DbOptions::memory());
            let db = open(options).await;
            let d = door(&db);
            let mut books = Vec::new();
            for a in 0..100 {
                let writer = author(&db, &format!("author {a:03}"), None).await;
                for b in 0..10 {
                    books.push(Book {
                        title: format!("{a:03}-{b}"),
                        year: 1900 + b,
                        author: $fk::to(&writer),
                        ..Default::default()
                    });
                }
            }
            d.bulk_insert(&mut books).await.unwrap();
            let before = selects.load(Ordering::SeqCst);
            let authors = FetchRelated::fetch_related(&d.select::<Author>().prefetch_related("books")).await.unwrap();
            assert_eq!(selects.load(Ordering::SeqCst), before + 2, "prefetch is not 2 queries");
            assert_eq!(authors.len(), 100);
            for (a, record) in authors.iter().enumerate() {
                let set = record.prefetched::<Book>("books").unwrap();
                assert_eq!(set.count(), 10);
                assert!(set.exists());
                assert_eq!(set.fetch_one().unwrap().title, format!("{a:03}-0"));
                assert!(set.fetch_all().iter().all(|b| b.author.id() == Some(record.pk)));
            }
            assert_eq!(selects.load(Ordering::SeqCst), before + 2, "reading the prefetched sets ran queries");
            // Filters go back to the database.
            let set = authors[0].prefetched::<Book>("books").unwrap();
            let late = set.query(&db).filter(Book::year().gte(1905));
            assert_eq!(Terminals::count(&late).await.unwrap(), 5);
        }

        #[tokio::test]
        async fn prefetch_related_nests_and_combines_paths() {
            let (options, selects) = counting_selects(DbOptions::memory());
            let db = open(options).await;
            let d = door(&db);
            let ann = author(&db, "Ann", None).await;
            let bob = author(&db, "Bob", None).await;
            let dune = book(&db, "Dune", 1965, &ann).await;
            book(&db, "Emma", 1815, &ann).await;
            for stars in [5, 4] {
                d.insert(Review { stars, book: $fk::to(&dune), ..Default::default() }).await.unwrap();
            }
            d.insert(Profile { bio: "b".into(), author: $fk::to(&bob), ..Default::default() }).await.unwrap();
            let before = selects.load(Ordering::SeqCst);
            let authors = FetchRelated::fetch_related(
                &d.select::<Author>()
                    .prefetch_related("books__reviews")
                    .prefetch_related("books")
                    .prefetch_related("profiles"),
            )
            .await
            .unwrap();
            assert_eq!(selects.load(Ordering::SeqCst), before + 4, "authors, books, reviews, profiles");
            let ann_books = authors[0].prefetched::<Book>("books").unwrap();
            assert_eq!(ann_books.count(), 2);
            let dune_reviews = ann_books.fetch_all()[0].prefetched::<Review>("reviews").unwrap();
            assert_eq!(dune_reviews.fetch_all().iter().map(|r| r.stars).collect::<Vec<_>>(), [5, 4]);
            assert!(!ann_books.fetch_all()[1].prefetched::<Review>("reviews").unwrap().exists());
            assert_eq!(authors[0].prefetched::<Profile>("profiles").unwrap().count(), 0);
            assert_eq!(authors[1].prefetched::<Book>("books").unwrap().count(), 0);
            assert_eq!(authors[1].prefetched::<Profile>("profiles").unwrap().count(), 1);
            // Asking for the wrong type or an unloaded relation is typed.
            let err = authors[0].prefetched::<Review>("books").unwrap_err();
            assert!(matches!(err, Error::InvalidPrefetch { .. }), "{err:?}");
            let err = authors[0].prefetched::<Author>("authors").unwrap_err();
            assert!(matches!(err, Error::InvalidPrefetch { .. }), "{err:?}");
        }

        #[tokio::test]
        async fn prefetch_related_rejects_forward_keys_and_unknown_names() {
            let db = open(DbOptions::memory()).await;
            let d = door(&db);
            for path in ["author", "title", "nope", "reviews__nope"] {
                let err = FetchRelated::fetch_related(&d.select::<Book>().prefetch_related(path)).await.unwrap_err();
                assert!(
                    matches!(&err, Error::InvalidPrefetch { path: p, .. } if p == path),
                    "{path}: {err:?}"
                );
            }
            // Row terminals cannot carry prefetched sets: a typed error,
            // not silently dropped relations.
            let err = d.select::<Author>().prefetch_related("books").fetch_all().await.unwrap_err();
            assert!(matches!(err, Error::InvalidPrefetch { .. }), "{err:?}");
        }

        /// Authors with 3, 1 and 0 books; Ann also has a profile.
        async fn counted_library(db: &Db) -> (Author, Author, Author) {
            let ann = author(db, "Ann", None).await;
            let bob = author(db, "Bob", None).await;
            let cy = author(db, "Cy", None).await;
            for (title, who) in [("A", &ann), ("B", &ann), ("C", &ann), ("D", &bob)] {
                book(db, title, 2000, who).await;
            }
            door(db)
                .insert(Profile { bio: "p".into(), author: $fk::to(&ann), ..Default::default() })
                .await
                .unwrap();
            (ann, bob, cy)
        }

        fn ints(rows: &[sqliter_core::DictRow], name: &str) -> Vec<i64> {
            rows.iter().map(|r| r.get(name).and_then(|v| v.as_i64()).unwrap()).collect()
        }

        #[tokio::test]
        async fn bulk_writes_on_a_with_count_query_are_refused_and_touch_nothing() {
            let db = open(DbOptions::memory()).await;
            let d = door(&db);
            counted_library(&db).await;
            let authors = Terminals::count(&d.select::<Author>()).await.unwrap();
            let q = d.select::<Author>().with_count("books", "n").filter_by("name", "Ann");
            let err = Terminals::delete(&q).await.unwrap_err();
            assert!(matches!(err, Error::InvalidProjection(ref m) if m.contains("delete()")), "{err:?}");
            let err = Terminals::update(&q, [("name", "Zed")]).await.unwrap_err();
            assert!(matches!(err, Error::InvalidProjection(ref m) if m.contains("update()")), "{err:?}");
            assert_eq!(Terminals::count(&d.select::<Author>()).await.unwrap(), authors);
            assert_eq!(Terminals::count(&d.select::<Author>().filter_by("name", "Zed")).await.unwrap(), 0);
        }

        #[tokio::test]
        async fn with_count_counts_a_reverse_relation_zeros_included() {
            let db = open(DbOptions::memory()).await;
            let d = door(&db);
            let (ann, bob, cy) = counted_library(&db).await;
            // Expected counts computed from the rows, not written down.
            let mut expected = Vec::new();
            for who in [&ann, &bob, &cy] {
                expected.push(i64::try_from(Terminals::count(&who.books(&db)).await.unwrap()).unwrap());
            }
            assert_eq!(expected, [3, 1, 0]);
            let rows = Terminals::fetch_dicts(&d.select::<Author>().with_count("books", "n_books")).await.unwrap();
            assert_eq!(ints(&rows, "n_books"), expected);
            // Every field comes with the count.
            let names: Vec<&str> = rows.iter().map(|r| r.get("name").unwrap().as_str().unwrap()).collect();
            assert_eq!(names, ["Ann", "Bob", "Cy"]);
            assert_eq!(ints(&rows, "pk"), [ann.pk, bob.pk, cy.pk]);
            // Distinct counts the same records here.
            let rows = Terminals::fetch_dicts(&d.select::<Author>().with_count_distinct("books", "n")).await.unwrap();
            assert_eq!(ints(&rows, "n"), expected);
        }

        #[derive(serde::Deserialize)]
        struct CountRow {
            name: String,
            n_books: i64,
        }

        #[tokio::test]
        async fn with_count_orders_filters_and_stays_exact_with_two_counts() {
            let db = open(DbOptions::memory()).await;
            let d = door(&db);
            counted_library(&db).await;
            let query = d
                .select::<Author>()
                .with_count("books", "n_books")
                .with_count("profiles", "n_profiles")
                .order("n_books", true);
            let rows = Terminals::fetch_dicts(&query).await.unwrap();
            assert_eq!(ints(&rows, "n_books"), [3, 1, 0]);
            // A join would give Ann 3 profiles (one per book row).
            assert_eq!(ints(&rows, "n_profiles"), [1, 0, 0]);
            let busy = d.select::<Author>().filter_by("name__ne", "Bob").with_count("books", "n").limit(1);
            let rows = Terminals::fetch_dicts(&busy).await.unwrap();
            assert_eq!(ints(&rows, "n"), [3]);
            let typed: Vec<CountRow> = Terminals::fetch_as(&d.select::<Author>().with_count("books", "n_books")).await.unwrap();
            assert_eq!(typed.iter().map(|r| (r.name.as_str(), r.n_books)).collect::<Vec<_>>(), [("Ann", 3), ("Bob", 1), ("Cy", 0)]);
        }

        #[tokio::test]
        async fn with_count_through_a_forward_key() {
            let db = open(DbOptions::memory()).await;
            let d = door(&db);
            counted_library(&db).await;
            // Each book with the number of books its author wrote.
            let rows = Terminals::fetch_dicts(&d.select::<Book>().with_count("author__books", "by_author")).await.unwrap();
            assert_eq!(ints(&rows, "by_author"), [3, 3, 3, 1]);
        }

        #[tokio::test]
        async fn with_count_rejects_bad_paths_and_mixing() {
            let db = open(DbOptions::memory()).await;
            let d = door(&db);
            let err = Terminals::fetch_dicts(&d.select::<Book>().with_count("author", "n")).await.unwrap_err();
            assert!(matches!(err, Error::InvalidProjection(_)), "{err:?}");
            for path in ["nope", "author__nope", "title__books"] {
                let err = Terminals::fetch_dicts(&d.select::<Author>().with_count(path, "n")).await.unwrap_err();
                assert!(matches!(&err, Error::InvalidRelationship { path: p, .. } if p == path), "{path}: {err:?}");
            }
            for alias in ["", "name"] {
                let err = Terminals::fetch_dicts(&d.select::<Author>().with_count("books", alias)).await.unwrap_err();
                assert!(matches!(err, Error::InvalidProjection(_)), "{alias:?}: {err:?}");
            }
            let twice = d.select::<Author>().with_count("books", "n").with_count("profiles", "n");
            assert!(matches!(Terminals::fetch_dicts(&twice).await.unwrap_err(), Error::InvalidProjection(_)));
            let mixed = d.select::<Author>().with_count("books", "n").group_by(["name"]);
            assert!(matches!(Terminals::fetch_dicts(&mixed).await.unwrap_err(), Error::InvalidProjection(_)));
            let rows = d.select::<Author>().with_count("books", "n");
            assert!(matches!(Terminals::fetch_all(&rows).await.unwrap_err(), Error::InvalidProjection(_)));
        }

        #[tokio::test]
        async fn a_zero_key_is_no_relation_and_runs_no_query() {
            let (options, selects) = counting_selects(DbOptions::memory());
            let db = open(options).await;
            let d = door(&db);
            // What `to(&unsaved)` makes: pk 0, which no row has.
            let key = $fk::<Author>::to(&Author::default());
            assert_eq!(key.id(), Some(0));
            selects.store(0, Ordering::SeqCst);
            assert!(Db::fetch_fk(&key).await.unwrap().is_none(), "unattached");
            let mut attached = $fk::<Author>::from_pk(0);
            attached.attach(&db);
            assert!(Db::fetch_fk(&attached).await.unwrap().is_none(), "attached");
            assert_eq!(selects.load(Ordering::SeqCst), 0);
            // Storing it is refused by the database, not silently kept.
            let err = d.insert(Book { title: "Orphan".into(), author: key, ..Default::default() }).await.unwrap_err();
            assert!(matches!(err, Error::ForeignKeyConstraint { .. }), "{err:?}");
        }

        #[tokio::test]
        async fn a_missing_target_is_answered_once_and_kept() {
            let (options, selects) = counting_selects(DbOptions::memory());
            let db = open(options).await;
            let d = door(&db);
            d.raw("PRAGMA foreign_keys = OFF; INSERT INTO reviews (stars, book_id) VALUES (1, 4242); PRAGMA foreign_keys = ON;").await;
            let review = d.select::<Review>().fetch_one().await.unwrap().unwrap();
            assert!(!review.book.is_loaded());
            selects.store(0, Ordering::SeqCst);
            assert!(Db::fetch_fk(&review.book).await.unwrap().is_none());
            assert!(review.book.is_loaded(), "the miss is the answer, kept");
            assert!(Db::fetch_fk(&review.book).await.unwrap().is_none());
            assert_eq!(selects.load(Ordering::SeqCst), 1, "the second fetch queried again");
        }

        #[tokio::test]
        async fn a_key_made_from_a_record_holds_it() {
            let (options, selects) = counting_selects(DbOptions::memory());
            let db = open(options).await;
            let ann = author(&db, "Ann", None).await;
            selects.store(0, Ordering::SeqCst);
            let key = $fk::to(&ann);
            // No database needed, no query run.
            assert_eq!(Db::fetch_fk(&key).await.unwrap().unwrap().name, "Ann");
            assert_eq!(selects.load(Ordering::SeqCst), 0);
        }

        #[tokio::test]
        async fn a_replaced_key_gets_the_database_when_saved() {
            let db = open(DbOptions::memory()).await;
            let d = door(&db);
            let ann = author(&db, "Ann", None).await;
            let bob = author(&db, "Bob", None).await;
            let mut dune: Book = d.get(book(&db, "Dune", 1965, &ann).await.pk).await.unwrap().unwrap();
            dune.author = $fk::from_pk(bob.pk);
            let err = Db::fetch_fk(&dune.author).await.unwrap_err();
            assert!(matches!(err, Error::NotAttached { .. }), "{err:?}");
            d.update(&mut dune).await.unwrap();
            assert_eq!(Db::fetch_fk(&dune.author).await.unwrap().unwrap().name, "Bob");
        }

        #[tokio::test]
        async fn attach_links_every_relation_of_a_hand_built_record() {
            let db = open(DbOptions::memory()).await;
            let ann = author(&db, "Ann", None).await;
            let dune = book(&db, "Dune", 1965, &ann).await;
            let mut by_hand = Book { pk: dune.pk, title: "Dune".into(), author: $fk::from_pk(ann.pk), ..Default::default() };
            assert!(Db::fetch_fk(&by_hand.author).await.is_err());
            DbModel::attach(&mut by_hand, &db);
            assert_eq!(Db::fetch_fk(&by_hand.author).await.unwrap().unwrap().name, "Ann");
        }

        #[tokio::test]
        async fn a_reverse_accessor_of_an_unsaved_parent_runs_no_query() {
            let (options, selects) = counting_selects(DbOptions::memory());
            let db = open(options).await;
            let ann = author(&db, "Ann", None).await;
            book(&db, "Dune", 1965, &ann).await;
            selects.store(0, Ordering::SeqCst);
            let nobody = Author::default();
            assert_eq!(Terminals::count(&nobody.books(&db)).await.unwrap(), 0);
            assert!(Terminals::fetch_all(&nobody.books(&db)).await.unwrap().is_empty());
            assert!(Terminals::fetch_one(&nobody.books(&db)).await.unwrap().is_none());
            assert!(!Terminals::exists(&nobody.books(&db)).await.unwrap());
            assert_eq!(selects.load(Ordering::SeqCst), 0);
        }

        #[tokio::test]
        async fn fetch_one_related_prefetches_for_one_record() {
            let (options, selects) = counting_selects(DbOptions::memory());
            let db = open(options).await;
            let d = door(&db);
            let (ann, _, _) = counted_library(&db).await;
            selects.store(0, Ordering::SeqCst);
            let q = d.select::<Author>().prefetch_related("books").order("name", false);
            let first = FetchRelated::fetch_one_related(&q).await.unwrap().unwrap();
            assert_eq!(first.pk, ann.pk);
            let books = first.prefetched::<Book>("books").unwrap();
            assert_eq!(books.fetch_all().iter().map(|b| b.title.as_str()).collect::<Vec<_>>(), ["A", "B", "C"]);
            assert_eq!(selects.load(Ordering::SeqCst), 2, "one query per level");
            let none = d.select::<Author>().filter_by("name", "Zed").prefetch_related("books");
            assert!(FetchRelated::fetch_one_related(&none).await.unwrap().is_none());
            // The plain terminals point at it.
            let err = Terminals::fetch_one(&q).await.unwrap_err();
            assert!(err.to_string().contains("fetch_one_related"), "{err}");
        }

        #[tokio::test]
        async fn prefetch_and_select_related_take_several_paths() {
            let (options, selects) = counting_selects(DbOptions::memory());
            let db = open(options).await;
            let d = door(&db);
            counted_library(&db).await;
            selects.store(0, Ordering::SeqCst);
            let authors = FetchRelated::fetch_related(&d.select::<Author>().prefetch_related(["books", "profiles"])).await.unwrap();
            assert_eq!(authors[0].prefetched::<Book>("books").unwrap().count(), 3);
            assert_eq!(authors[0].prefetched::<Profile>("profiles").unwrap().count(), 1);
            assert_eq!(selects.load(Ordering::SeqCst), 3);
            let typed = FetchRelated::fetch_related(&d.select::<Author>().prefetch_related((Author::BOOKS, Author::PROFILES))).await.unwrap();
            assert_eq!(typed[1].prefetched::<Book>("books").unwrap().count(), 1);
            let ann = &authors[0];
            let dune = Terminals::fetch_one(&ann.books(&db)).await.unwrap().unwrap();
            d.insert(Review { stars: 5, book: $fk::to(&dune), ..Default::default() }).await.unwrap();
            selects.store(0, Ordering::SeqCst);
            let q = d.select::<Review>().select_related(("book", Review::book().then(Book::author())));
            let review = Terminals::fetch_one(&q).await.unwrap().unwrap();
            let book = review.book.get().expect("book loaded");
            assert_eq!(book.author.get().expect("author loaded").name, "Ann");
            assert_eq!(selects.load(Ordering::SeqCst), 1);
            let err = Terminals::fetch_all(&d.select::<Review>().select_related(["book", "nope"])).await.unwrap_err();
            assert!(matches!(err, Error::InvalidRelationship { .. }), "{err:?}");
        }

        #[tokio::test]
        async fn a_traversal_filter_loads_the_joined_record() {
            let (options, selects) = counting_selects(DbOptions::memory());
            let db = open(options).await;
            let d = door(&db);
            counted_library(&db).await;
            selects.store(0, Ordering::SeqCst);
            let books = Terminals::fetch_all(&d.select::<Book>().filter_by("author__name__startswith", "A")).await.unwrap();
            assert_eq!(titles(&books), ["A", "B", "C"]);
            for b in &books {
                assert_eq!(Db::fetch_fk(&b.author).await.unwrap().unwrap().name, "Ann");
            }
            let typed = Terminals::fetch_all(&d.select::<Book>().filter(Book::author().filter(Author::name().eq("Bob")))).await.unwrap();
            assert_eq!(typed[0].author.get().map(|a| a.name.as_str()), Some("Bob"));
            assert_eq!(selects.load(Ordering::SeqCst), 2, "reading the key queried");
        }

        #[tokio::test]
        async fn with_count_follows_several_to_many_steps() {
            let db = open(DbOptions::memory()).await;
            let d = door(&db);
            let (ann, bob, _) = counted_library(&db).await;
            let uk = d.insert(Country { name: "UK".into(), ..Default::default() }).await.unwrap();
            for who in [&ann, &bob] {
                let mut who: Author = d.get(who.pk).await.unwrap().unwrap();
                who.country.set(&uk);
                d.update(&mut who).await.unwrap();
            }
            d.insert(Country { name: "None".into(), ..Default::default() }).await.unwrap();
            let rows = Terminals::fetch_dicts(&d.select::<Country>().with_count("authors__books", "n")).await.unwrap();
            assert_eq!(ints(&rows, "n"), [4, 0]);
            // A forward key, then two to-many steps.
            for b in Terminals::fetch_all(&d.select::<Book>()).await.unwrap() {
                d.insert(Review { stars: 1, book: $fk::from_pk(b.pk), ..Default::default() }).await.unwrap();
            }
            let rows = Terminals::fetch_dicts(&d.select::<Book>().with_count("author__books__reviews", "n")).await.unwrap();
            assert_eq!(ints(&rows, "n"), [3, 3, 3, 1]);
        }

        #[tokio::test]
        async fn with_count_works_with_having_on_its_alias() {
            let db = open(DbOptions::memory()).await;
            let d = door(&db);
            counted_library(&db).await;
            let q = d.select::<Author>().with_count("books", "usage").having_by("usage__gt", 1);
            let rows = Terminals::fetch_dicts(&q).await.unwrap();
            assert_eq!(rows.len(), 1);
            assert_eq!(rows[0].get("name").and_then(|v| v.as_str()), Some("Ann"));
            assert_eq!(ints(&rows, "usage"), [3]);
            let q = d.select::<Author>().with_count("books", "usage").having_by("usage", 0);
            assert_eq!(Terminals::fetch_dicts(&q).await.unwrap().len(), 1);
        }

        #[tokio::test]
        async fn with_count_names_the_failing_segment() {
            let db = open(DbOptions::memory()).await;
            let d = door(&db);
            let err = Terminals::fetch_dicts(&d.select::<Author>().with_count("books__author", "n")).await.unwrap_err();
            assert!(matches!(&err, Error::InvalidProjection(m) if m.contains("terminal relationship") && m.contains("'author'")), "{err:?}");
            let err = Terminals::fetch_dicts(&d.select::<Author>().with_count("books__missing", "n")).await.unwrap_err();
            assert!(matches!(&err, Error::InvalidRelationship { reason, .. } if reason.contains("'missing'") && reason.contains("Book")), "{err:?}");
            let err = Terminals::fetch_dicts(&d.select::<Author>().with_count("", "n")).await.unwrap_err();
            assert!(matches!(err, Error::InvalidRelationship { .. }), "{err:?}");
        }

        #[tokio::test]
        async fn related_name_on_a_plain_foreign_key_gives_a_reverse_relation() {
            let db = open(DbOptions::memory()).await;
            let d = door(&db);
            let ann = author(&db, "Ann", None).await;
            let bob = author(&db, "Bob", None).await;
            for (text, who) in [("x", &ann), ("y", &ann), ("z", &bob)] {
                d.insert(Note { text: text.into(), author_id: who.pk, ..Default::default() }).await.unwrap();
            }
            assert_eq!(Terminals::count(&ann.notes(&db)).await.unwrap(), 2);
            let authors = FetchRelated::fetch_related(&d.select::<Author>().prefetch_related(Author::NOTES)).await.unwrap();
            assert_eq!(authors[1].prefetched::<Note>("notes").unwrap().fetch_one().unwrap().text, "z");
            let rows = Terminals::fetch_dicts(&d.select::<Author>().with_count("notes", "n")).await.unwrap();
            assert_eq!(ints(&rows, "n"), [2, 1]);
        }

        #[tokio::test]
        async fn a_failing_lazy_load_is_an_error_not_none() {
            let db = open(DbOptions::memory()).await;
            let d = door(&db);
            let ann = author(&db, "Ann", None).await;
            let dune: Book = d.get(book(&db, "Dune", 1965, &ann).await.pk).await.unwrap().unwrap();
            d.raw("PRAGMA foreign_keys = OFF; DROP TABLE profiles; DROP TABLE notes; DROP TABLE authors;").await;
            let err = Db::fetch_fk(&dune.author).await.unwrap_err();
            assert!(err.to_string().contains("authors"), "{err}");
        }
    };
}

mod sync {
    relation_suite!(sqliter_core::SqliterDB, sqliter_core, ForeignKey);

    #[test]
    fn scoped_transactions_keep_other_threads_out() {
        let db = sqliter_core::SqliterDB::open_in_memory().unwrap();
        db.create_table::<Country>().unwrap();
        let other = db.clone();
        let tx = db.begin().unwrap();
        db.insert(Country {
            name: "inside".into(),
            ..Default::default()
        })
        .unwrap();
        let writer = std::thread::spawn(move || {
            other
                .insert(Country {
                    name: "outside".into(),
                    ..Default::default()
                })
                .unwrap();
        });
        std::thread::sleep(std::time::Duration::from_millis(50));
        tx.rollback().unwrap();
        writer.join().unwrap();
        let names: Vec<String> = db
            .select::<Country>()
            .fetch_all()
            .unwrap()
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(
            names,
            ["outside"],
            "the other thread's insert was rolled back with the transaction"
        );
    }
}

mod async_door {
    relation_suite!(
        sqliter_async::AsyncSqliterDB,
        sqliter_async,
        AsyncForeignKey
    );
}
