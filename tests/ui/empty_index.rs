use sqliter_core::DbModel;

#[derive(DbModel)]
#[sqliter(indexes(()))]
struct User {
    pk: i64,
    name: String,
}

fn main() {}
