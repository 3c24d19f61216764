use sqliter_core::DbModel;

#[derive(DbModel)]
struct User {
    id: i64,
    name: String,
}

fn main() {}
