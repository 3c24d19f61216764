use sqliter_core::DbModel;

struct Money(i64);

#[derive(DbModel)]
struct Account {
    pk: i64,
    balance: Money,
}

fn main() {}
