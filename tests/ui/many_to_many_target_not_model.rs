use sqliter_core::{DbModel, ManyToMany};

#[derive(DbModel, Debug, Default)]
struct Article {
    pk: i64,
    tags: ManyToMany<String>,
}

fn main() {}
