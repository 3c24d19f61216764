use sqliter_core::DbModel;

#[derive(DbModel)]
#[sqliter(plural = "french")]
struct Person {
    pk: i64,
}

#[derive(DbModel)]
#[sqliter(plural = english)]
struct Child {
    pk: i64,
}

// A named table and no relation: `plural` would change nothing.
#[derive(DbModel)]
#[sqliter(table_name = "people", plural = "english")]
struct Human {
    pk: i64,
}

fn main() {}
