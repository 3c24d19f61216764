use sqliter_core::DbModel;

#[derive(DbModel)]
struct Wrapper<T> {
    pk: i64,
    value: T,
}

fn main() {}
