use sqliter_core::DbModel;

#[derive(DbModel)]
#[sqliter(table_name = "a", table_name = "b")]
struct User {
    pk: i64,
    #[sqliter(unique)]
    #[sqliter(unique)]
    name: String,
}

fn main() {}
