//! Default table and reverse-relation names: the rules live in
//! `sqliter-naming`, shared with the `sqliter` command line, which must
//! predict what the derive does.

pub use sqliter_naming::{default_related_name, default_table_name, Plural};
