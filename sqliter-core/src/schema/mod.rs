//! Tables: create, drop, list, reset.

mod ddl;
pub mod evolve;
mod shape;

pub use ddl::{create_table_sql, index_sqls};
pub(crate) use shape::ensure as ensure_shape;
pub(crate) use shape::TextNumbers;
pub use shape::{
    file_columns, file_foreign_keys, file_indexes, file_tables, Affinity, CheckedShapes,
    ColumnMismatch, FileColumn, FileForeignKey, FileIndex, FileTable, FileTableKind,
};

use crate::error::{sql_error, Error, Result};
use crate::model::TableMeta;
use crate::session::{quote_ident, Session};

/// Options of `create_table`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreateTableOptions {
    /// `CREATE TABLE IF NOT EXISTS` (default true); false makes an existing
    /// table an error.
    pub exists_ok: bool,
    /// Drop the table first (its data is lost).
    pub force: bool,
}

impl Default for CreateTableOptions {
    fn default() -> Self {
        Self {
            exists_ok: true,
            force: false,
        }
    }
}

// `_` is a LIKE wildcard: escape it, or user tables such as `sqlite1`
// would be hidden (upstream's bug).
const TABLE_NAMES_SQL: &str =
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid";

/// The user tables, in creation order.
pub fn table_names(session: &Session<'_>) -> Result<Vec<String>> {
    if session.settings.debug {
        session.settings.log(TABLE_NAMES_SQL);
    }
    let mut stmt = session
        .conn
        .prepare_cached(TABLE_NAMES_SQL)
        .map_err(|e| sql_error(TABLE_NAMES_SQL, e))?;
    let names = stmt
        .query_map([], |row| row.get::<_, String>(0))
        .and_then(Iterator::collect)
        .map_err(|e| sql_error(TABLE_NAMES_SQL, e))?;
    Ok(names)
}

fn table_exists(session: &Session<'_>, table: &str) -> Result<bool> {
    const SQL: &str = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?";
    let mut stmt = session
        .conn
        .prepare_cached(SQL)
        .map_err(|e| sql_error(SQL, e))?;
    stmt.exists([table]).map_err(|e| sql_error(SQL, e))
}

/// Create a model's table and its indexes, atomically.
pub fn create_table(
    session: &Session<'_>,
    meta: &'static TableMeta,
    options: CreateTableOptions,
) -> Result<()> {
    let table = meta.table_name;
    for column in meta.columns {
        if let Some(fk) = &column.foreign_key {
            let target = (fk.target)().table_name;
            if target != table && !table_exists(session, target)? {
                return Err(Error::MissingReferencedTable {
                    table: table.to_owned(),
                    referenced: target.to_owned(),
                });
            }
        }
    }
    let creation_err = |source: rusqlite::Error| Error::TableCreation {
        table: table.to_owned(),
        source: source.into(),
    };
    session.atomic(
        |_, e| creation_err(e),
        || {
            if options.force {
                session
                    .execute_batch(&format!("DROP TABLE IF EXISTS {}", quote_ident(table)))
                    .map_err(creation_err)?;
            }
            session
                .execute_batch(&create_table_sql(meta, options.exists_ok))
                .map_err(creation_err)?;
            for sql in index_sqls(meta) {
                session
                    .execute_batch(&sql)
                    .map_err(|e| sql_error(&sql, e))?;
            }
            // Junction tables of the model's many-to-many fields: always `IF
            // NOT EXISTS`, so creating the model twice is harmless.
            for relation in meta.many_to_many {
                for sql in relation.create_sqls() {
                    session
                        .execute_batch(&sql)
                        .map_err(|e| sql_error(&sql, e))?;
                }
            }
            Ok(())
        },
    )?;
    // A new table may add foreign keys; `force` also emptied the table.
    session.schema_changed(options.force.then_some(table));
    // `IF NOT EXISTS` kept an existing table: say now if it cannot hold
    // the model, rather than at its first read.
    session.settings.shapes.forget(table);
    ensure_shape(session, meta).map(drop)
}

/// How `meta`'s table in the file differs from the model.
pub fn schema_diff(session: &Session<'_>, meta: &'static TableMeta) -> Result<evolve::SchemaDiff> {
    evolve::diff(session.conn, meta)
}

/// The migration of `meta`'s table, not applied (a dry run).
pub fn migration_plan(
    session: &Session<'_>,
    meta: &'static TableMeta,
    options: evolve::MigrateOptions,
) -> Result<evolve::MigrationPlan> {
    evolve::plan(session.conn, meta, options)
}

/// Plan and apply the migration of `meta`'s table in one transaction.
pub fn migrate(
    session: &Session<'_>,
    meta: &'static TableMeta,
    options: evolve::MigrateOptions,
) -> Result<evolve::MigrationPlan> {
    evolve::apply(session, meta, options, None)
}

/// Migrate every registered model (parents first), each in its own
/// transaction; stops at the first refusal.
pub fn migrate_all(
    session: &Session<'_>,
    options: evolve::MigrateOptions,
) -> Result<Vec<evolve::MigrationPlan>> {
    evolve::registered_models()?
        .into_iter()
        .map(|meta| migrate(session, meta, options))
        .collect()
}

/// Apply `plan`, refusing if the file changed since it was made.
pub fn apply_plan(
    session: &Session<'_>,
    plan: &evolve::MigrationPlan,
) -> Result<evolve::MigrationPlan> {
    evolve::apply(session, plan.meta, plan.options, Some(plan))
}

/// Apply the named migrations not yet recorded, in order.
pub fn run_migrations(session: &Session<'_>, steps: &[evolve::Migration]) -> Result<Vec<String>> {
    evolve::run_migrations(session, steps)
}

/// `DROP TABLE IF EXISTS`; dropping a missing table is not an error.
pub fn drop_table(session: &Session<'_>, table: &str) -> Result<()> {
    session
        .execute_batch(&format!("DROP TABLE IF EXISTS {}", quote_ident(table)))
        .map_err(|source| Error::TableDeletion {
            table: table.to_owned(),
            source: source.into(),
        })?;
    session.settings.shapes.forget(table);
    session.schema_changed(Some(table));
    Ok(())
}

/// The `reset` option and `reset_database()`: drop every user table (in
/// a savepoint when a transaction is open, so it rolls back with it),
/// forget every cached answer, and say so in debug mode.
pub fn reset(session: &Session<'_>) -> Result<usize> {
    let dropped = drop_all_tables(session)?;
    session.settings.cache.lock().clear();
    session.settings.note(&format!(
        "Database reset: {dropped} user-created tables dropped."
    ));
    Ok(dropped)
}

/// Drop every user table, whatever references what (upstream fails when a
/// child still references parent rows).
pub fn drop_all_tables(session: &Session<'_>) -> Result<usize> {
    let names = table_names(session)?;
    // Foreign-key enforcement cannot change inside a transaction; switch it
    // off around the drops so the order of tables does not matter.
    session
        .execute_batch("PRAGMA foreign_keys = OFF")
        .map_err(|e| sql_error("PRAGMA foreign_keys = OFF", e))?;
    // Inside an open transaction that switch is a no-op: defer the checks
    // to its commit instead, when no table is left to violate them.
    session
        .execute_batch("PRAGMA defer_foreign_keys = ON")
        .map_err(|e| sql_error("PRAGMA defer_foreign_keys = ON", e))?;
    let dropped = session.atomic(sql_error, || {
        for name in &names {
            drop_table(session, name)?;
        }
        Ok(names.len())
    });
    session
        .execute_batch("PRAGMA foreign_keys = ON")
        .map_err(|e| sql_error("PRAGMA foreign_keys = ON", e))?;
    dropped
}
