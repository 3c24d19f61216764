// One derive, three independent mistakes: all three are reported.
use sqliter_core::DbModel;

#[derive(DbModel)]
#[sqliter(indexes(missing), colour = "red")]
struct User {
    pk: String,
    name: String,
}

fn main() {}
