use sqliter_core::{DbModel, ForeignKey};

#[derive(DbModel, Default)]
struct Book {
    pk: i64,
    author: ForeignKey<String>,
}

fn main() {}
