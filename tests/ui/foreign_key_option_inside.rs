use sqliter_core::{DbModel, ForeignKey};

#[derive(DbModel, Default)]
struct Author {
    pk: i64,
}

#[derive(DbModel, Default)]
struct Book {
    pk: i64,
    editor: ForeignKey<Option<Author>>,
    author: Option<ForeignKey<Author>>,
}

fn main() {}
