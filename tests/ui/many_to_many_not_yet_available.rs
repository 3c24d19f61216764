use sqliter_core::DbModel;

struct ManyToMany<T>(T);

#[derive(DbModel)]
struct Tag {
    pk: i64,
}

#[derive(DbModel)]
struct Article {
    pk: i64,
    tags: ManyToMany<Tag>,
}

fn main() {}
