use sqliter_core::{DbModel, ForeignKey};

#[derive(DbModel, Default)]
struct Author {
    pk: i64,
}

#[derive(DbModel)]
struct Book {
    pk: i64,
    #[sqliter(pickle)]
    created_at: i64,
    #[sqliter(json, pickle)]
    tags: Vec<String>,
    #[sqliter(pickle)]
    author: ForeignKey<Author>,
    #[sqliter(pickle = "yes")]
    scores: Vec<i64>,
}

fn main() {}
