use sqliter_core::DbModel;

struct ForeignKey<T>(T);
struct ManyToMany<T>(T);

#[derive(DbModel)]
struct Tag {
    pk: i64,
}

#[derive(DbModel)]
struct Article {
    pk: i64,
    author: ForeignKey<Tag>,
    tags: ManyToMany<Tag>,
}

fn main() {}
