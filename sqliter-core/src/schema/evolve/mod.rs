//! Schema evolution: open last year's file with this year's structs.
//!
//! [`diff`](SchemaDiff) compares a table in the file with its model,
//! [`plan`](MigrationPlan) turns the difference into SQL (printable: a dry
//! run), and applying it runs that SQL in one transaction. Named
//! [`Migration`]s carry hand-written data changes, each applied once.
//! Depends on model metadata and the session only.

mod convert;
mod diff;
mod history;
mod plan;

pub use diff::{Change, SchemaDiff};
pub use history::{Migration, MIGRATIONS_TABLE};
pub use plan::{MigrateOptions, MigrationPlan};

pub(crate) use convert::register as register_conversions;
pub(crate) use diff::diff;
pub(crate) use history::run as run_migrations;
pub(crate) use plan::{apply, plan};

use crate::error::{Error, Result};
use crate::model::TableMeta;

/// A model the derive registered, for [`registered_models`].
#[doc(hidden)]
#[derive(Debug)]
pub struct RegisteredModel(pub &'static TableMeta);

inventory::collect!(RegisteredModel);

/// Every model derived in the program, parents before the tables whose
/// foreign keys reference them (then by table name). Two models of one
/// table are an error: which shape the file should take is ambiguous.
pub fn registered_models() -> Result<Vec<&'static TableMeta>> {
    let mut models: Vec<&'static TableMeta> = inventory::iter::<RegisteredModel>
        .into_iter()
        .map(|m| m.0)
        .collect();
    models.sort_by_key(|m| m.table_name);
    if let Some(pair) = models
        .windows(2)
        .find(|w| w[0].table_name == w[1].table_name)
    {
        return Err(Error::InvalidOptions(format!(
            "models {} and {} both describe table '{}': migrate them one by one with migrate::<M>()",
            pair[0].model_name, pair[1].model_name, pair[0].table_name
        )));
    }
    let mut ordered: Vec<&'static TableMeta> = Vec::with_capacity(models.len());
    for meta in &models {
        visit(meta, &models, &mut ordered, &mut Vec::new());
    }
    Ok(ordered)
}

/// Put `meta` in `ordered` after every registered model it references.
fn visit(
    meta: &'static TableMeta,
    models: &[&'static TableMeta],
    ordered: &mut Vec<&'static TableMeta>,
    path: &mut Vec<&'static str>,
) {
    if ordered.iter().any(|m| std::ptr::eq(*m, meta)) || path.contains(&meta.table_name) {
        return;
    }
    path.push(meta.table_name);
    for column in meta.columns {
        if let Some(fk) = &column.foreign_key {
            let target = (fk.target)();
            if models.iter().any(|m| std::ptr::eq(*m, target)) {
                visit(target, models, ordered, path);
            }
        }
    }
    path.pop();
    ordered.push(meta);
}
