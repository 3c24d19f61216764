use sqliter_core::DbModel;

#[derive(DbModel)]
enum Status {
    Active,
    Inactive,
}

fn main() {}
