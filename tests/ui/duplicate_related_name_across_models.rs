use sqliter_core::{DbModel, ForeignKey};

#[derive(DbModel, Default)]
struct Author {
    pk: i64,
}

#[derive(DbModel, Default)]
struct Book {
    pk: i64,
    #[sqliter(related_name = "works")]
    author: ForeignKey<Author>,
}

#[derive(DbModel, Default)]
struct Poem {
    pk: i64,
    #[sqliter(related_name = "works")]
    author: ForeignKey<Author>,
}

fn main() {}
