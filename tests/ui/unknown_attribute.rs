use sqliter_core::DbModel;

#[derive(DbModel)]
#[sqliter(table = "users")]
struct User {
    pk: i64,
    #[sqliter(uniq)]
    name: String,
}

fn main() {}
