//! `#[sqliter(plural = "english")]`: upstream's table and reverse names
//! with `inflect`, on both doors. The relation types name their door, so
//! the models are written once in `plural_suite!` and instantiated per door.

macro_rules! plural_suite {
    ($door:ty, $krate:ident, $fk:ident, $m2m:ident) => {
        use sqliter_core::DbModel;
        use sqliter_core::DbOptions;
        use sqliter_tests::{manager, Door, Manager, Terminals};
        use $krate::{$fk, $m2m};

        type Db = $door;

        #[derive(DbModel, Debug, Clone, Default)]
        #[sqliter(plural = "english")]
        pub struct Person {
            pk: i64,
            name: String,
        }

        /// The reverse accessor on `Person` is `children`.
        #[derive(DbModel, Debug, Clone, Default)]
        #[sqliter(plural = "english")]
        pub struct Child {
            pk: i64,
            name: String,
            #[sqliter(on_delete = "CASCADE")]
            parent: $fk<Person>,
        }

        /// The junction is `categories_people`; `person.categories()`.
        #[derive(DbModel, Debug, Clone, Default)]
        #[sqliter(plural = "english")]
        pub struct Category {
            pk: i64,
            name: String,
            members: $m2m<Person>,
        }

        /// Without the attribute: upstream's names without inflect.
        #[derive(DbModel, Debug, Clone, Default)]
        pub struct Mouse {
            pk: i64,
        }

        /// `plural = "simple"` spells the default out.
        #[derive(DbModel, Debug, Clone, Default)]
        #[sqliter(plural = "simple")]
        pub struct Leaf {
            pk: i64,
        }

        fn door(db: &Db) -> &impl Door {
            db
        }

        #[tokio::test]
        async fn tables_are_created_under_their_english_plural() {
            let db = <Db as Door>::open(DbOptions::memory()).await.unwrap();
            let d = door(&db);
            d.create_table::<Person>().await.unwrap();
            d.create_table::<Child>().await.unwrap();
            d.create_table::<Category>().await.unwrap();
            d.create_table::<Mouse>().await.unwrap();
            d.create_table::<Leaf>().await.unwrap();
            let mut names = d.table_names().await.unwrap();
            names.sort();
            assert_eq!(
                names,
                [
                    "categories",
                    "categories_people",
                    "children",
                    "leafs",
                    "mouses",
                    "people"
                ]
            );
            assert_eq!(Person::META.table_name, "people");
            let ann = d
                .insert(Person {
                    name: "Ann".into(),
                    ..Default::default()
                })
                .await
                .unwrap();
            assert_eq!(d.get::<Person>(ann.pk).await.unwrap().unwrap().name, "Ann");
        }

        #[tokio::test]
        async fn reverse_and_junction_names_follow_the_declaring_model() {
            let db = <Db as Door>::open(DbOptions::memory()).await.unwrap();
            let d = door(&db);
            d.create_table::<Person>().await.unwrap();
            d.create_table::<Child>().await.unwrap();
            d.create_table::<Category>().await.unwrap();
            let ann = d
                .insert(Person {
                    name: "Ann".into(),
                    ..Default::default()
                })
                .await
                .unwrap();
            for name in ["Cy", "Di"] {
                d.insert(Child {
                    name: name.into(),
                    parent: $fk::to(&ann),
                    ..Default::default()
                })
                .await
                .unwrap();
            }
            assert_eq!(Terminals::count(&ann.children(&db)).await.unwrap(), 2);
            assert_eq!(Person::CHILDREN.as_str(), "children");
            let club = d
                .insert(Category {
                    name: "club".into(),
                    ..Default::default()
                })
                .await
                .unwrap();
            manager(&club.members).add(&[&ann]).await.unwrap();
            assert_eq!(manager(&ann.categories(&db)).count().await.unwrap(), 1);
            assert_eq!(
                d.query_int("SELECT COUNT(*) FROM categories_people").await,
                1
            );
        }
    };
}

mod sync {
    plural_suite!(
        sqliter_core::SqliterDB,
        sqliter_core,
        ForeignKey,
        ManyToMany
    );
}

mod async_door {
    plural_suite!(
        sqliter_async::AsyncSqliterDB,
        sqliter_async,
        AsyncForeignKey,
        AsyncManyToMany
    );
}
