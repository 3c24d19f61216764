//! `CREATE TABLE` / `CREATE INDEX` text, shaped as upstream's.

use crate::model::{ColumnKind, TableMeta};
use crate::session::quote_ident;

/// `CREATE TABLE [IF NOT EXISTS] "t" (...)` for a model.
pub fn create_table_sql(meta: &TableMeta, if_not_exists: bool) -> String {
    create_table_named(meta, meta.table_name, if_not_exists)
}

/// [`create_table_sql`] under another name (a migration's rebuild).
pub(crate) fn create_table_named(meta: &TableMeta, name: &str, if_not_exists: bool) -> String {
    let mut defs: Vec<String> = meta
        .columns
        .iter()
        .map(|c| {
            let mut def = format!("{} {}", quote_ident(c.column), c.sql_type.keyword());
            match c.kind {
                ColumnKind::PrimaryKey => def.push_str(" PRIMARY KEY AUTOINCREMENT"),
                // Nullable as upstream, so files written by either side agree.
                ColumnKind::CreatedAt | ColumnKind::UpdatedAt => {}
                ColumnKind::Data => {
                    if !c.nullable {
                        def.push_str(" NOT NULL");
                    }
                    if c.unique {
                        def.push_str(" UNIQUE");
                    }
                }
            }
            def
        })
        .collect();
    for c in meta.columns {
        if let Some(fk) = &c.foreign_key {
            defs.push(format!(
                "FOREIGN KEY ({}) REFERENCES {}(\"pk\") ON DELETE {} ON UPDATE {}",
                quote_ident(c.column),
                quote_ident((fk.target)().table_name),
                fk.on_delete.sql(),
                fk.on_update.sql()
            ));
        }
    }
    format!(
        "CREATE TABLE {}{} ({})",
        if if_not_exists { "IF NOT EXISTS " } else { "" },
        quote_ident(name),
        defs.join(", ")
    )
}

/// One index a model declares: its name and its `CREATE INDEX` text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ModelIndex {
    pub name: String,
    pub sql: String,
}

/// Every index of a model, in upstream's order: one per foreign-key column,
/// then `indexes`, then `unique_indexes`.
pub(crate) fn model_indexes(meta: &TableMeta) -> Vec<ModelIndex> {
    let table = meta.table_name;
    let fk_indexes = meta
        .columns
        .iter()
        .filter(|c| c.foreign_key.is_some())
        .map(|c| {
            let name = format!("idx_{table}_{}", c.column);
            ModelIndex {
                sql: format!(
                    "CREATE INDEX IF NOT EXISTS {} ON {} ({})",
                    quote_ident(&name),
                    quote_ident(table),
                    quote_ident(c.column)
                ),
                name,
            }
        });
    let plain = meta.indexes.iter().filter(|i| !i.unique);
    let unique = meta.indexes.iter().filter(|i| i.unique);
    let declared = plain.chain(unique).map(|index| {
        let suffix = if index.unique { "_unique" } else { "" };
        let columns: Vec<String> = index.columns.iter().map(|c| quote_ident(c)).collect();
        let name = format!("idx_{table}_{}{suffix}", index.columns.join("_"));
        // Names unquoted like upstream's; they are built from identifiers.
        ModelIndex {
            sql: format!(
                "CREATE {}INDEX IF NOT EXISTS {name} ON {} ({})",
                if index.unique { "UNIQUE " } else { "" },
                quote_ident(table),
                columns.join(", ")
            ),
            name,
        }
    });
    fk_indexes.chain(declared).collect()
}

/// The `CREATE INDEX` statements of [`model_indexes`].
pub fn index_sqls(meta: &TableMeta) -> Vec<String> {
    model_indexes(meta).into_iter().map(|i| i.sql).collect()
}
