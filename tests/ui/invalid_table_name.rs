use sqliter_core::DbModel;

#[derive(DbModel)]
#[sqliter(table_name = "bad-name")]
struct User {
    pk: i64,
}

fn main() {}
