//! Schema evolution: open last year's file with this year's structs.
//!
//! [`diff`](SchemaDiff) compares a table in the file with its model,
//! [`plan`](MigrationPlan) turns the difference into SQL (printable: a dry
//! run), and applying it runs that SQL in one transaction. Named
//! [`Migration`]s carry hand-written data changes, each applied once.
//! Depends on model metadata and the session only.

mod diff;
mod history;
mod plan;

pub use diff::{Change, SchemaDiff};
pub use history::{Migration, MIGRATIONS_TABLE};
pub use plan::{MigrateOptions, MigrationPlan};

pub(crate) use diff::diff;
pub(crate) use history::run as run_migrations;
pub(crate) use plan::{apply, plan};
