use sqliter_core::DbModel;

#[derive(DbModel)]
struct User {
    pk: u32,
    created_at: String,
    #[sqliter(unique)]
    updated_at: i64,
}

fn main() {}
