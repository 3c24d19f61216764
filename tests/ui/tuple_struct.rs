use sqliter_core::DbModel;

#[derive(DbModel)]
struct User(i64, String);

fn main() {}
