use sqliter_core::DbModel;

#[derive(DbModel)]
struct Author {
    pk: i64,
}

#[derive(DbModel)]
struct Book {
    pk: i64,
    #[sqliter(foreign_key = Author, json)]
    author_id: i64,
}

fn main() {}
