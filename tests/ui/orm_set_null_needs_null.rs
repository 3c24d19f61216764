use sqliter_core::{DbModel, ForeignKey};

#[derive(DbModel, Default)]
struct Author {
    pk: i64,
}

#[derive(DbModel, Default)]
struct Book {
    pk: i64,
    #[sqliter(on_delete = "SET NULL")]
    author: ForeignKey<Author>,
}

fn main() {}
