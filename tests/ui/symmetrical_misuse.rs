use sqliter_core::{DbModel, ManyToMany};

#[derive(DbModel, Debug, Default)]
struct Tag {
    pk: i64,
}

#[derive(DbModel, Debug, Default)]
struct Article {
    pk: i64,
    #[sqliter(symmetrical)]
    tags: ManyToMany<Tag>,
}

#[derive(DbModel, Debug, Default)]
struct Person {
    pk: i64,
    #[sqliter(symmetrical, related_name = "befriended_by")]
    friends: ManyToMany<Person>,
}

fn main() {}
