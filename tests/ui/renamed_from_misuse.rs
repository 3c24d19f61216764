use sqliter_core::{DbModel, ManyToMany};

#[derive(DbModel, Debug, Clone, Default)]
struct Tag {
    pk: i64,
    name: String,
}

#[derive(DbModel)]
#[sqliter(renamed_from = "old table")]
struct Article {
    pk: i64,
    #[sqliter(renamed_from = "heading")]
    title: String,
    #[sqliter(renamed_from = "heading")]
    subtitle: String,
    #[sqliter(renamed_from = "title")]
    body: String,
    #[sqliter(renamed_from = "labels", default = 1)]
    tags: ManyToMany<Tag>,
}

fn main() {}
