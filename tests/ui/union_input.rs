use sqliter_core::DbModel;

#[derive(DbModel)]
union Bits {
    int: i64,
    float: f64,
}

fn main() {}
