use sqliter_core::DbModel;

#[derive(DbModel)]
#[sqliter(indexes(name, (name, nmae)), unique_indexes(emial))]
struct User {
    pk: i64,
    name: String,
    email: String,
}

fn main() {}
