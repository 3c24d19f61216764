use sqliter_core::DbModel;

#[derive(DbModel)]
struct Book {
    pk: i64,
    #[sqliter(on_delete = "CASCADE", db_column = "x")]
    author_id: i64,
    #[sqliter(through = "links", symmetrical, related_name = "books")]
    title: String,
}

fn main() {}
