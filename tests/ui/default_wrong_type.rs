use sqliter_core::DbModel;

#[derive(DbModel)]
struct Item {
    pk: i64,
    #[sqliter(default = "three")]
    qty: i32,
    #[sqliter(default = 2.5)]
    name: String,
}

fn main() {}
