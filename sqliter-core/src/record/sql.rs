//! The SQL text of a model's single-record statements, built once per model
//! from its metadata (the derive keeps it in a `OnceLock`).

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::model::{ColumnMeta, RowLayout, TableMeta};
use crate::session::quote_ident;

/// Statement texts for one model.
#[derive(Debug)]
pub struct ModelSql {
    /// `"pk", "created_at", "updated_at", <data columns>`.
    pub column_list: String,
    /// `INSERT` of timestamps and data columns (pk assigned by SQLite).
    pub insert: String,
    /// `INSERT` with an explicit pk first.
    pub insert_with_pk: String,
    /// `SELECT <all columns> FROM t WHERE "pk" = ?`.
    pub select_by_pk: String,
    /// `DELETE FROM t WHERE "pk" = ?`.
    pub delete_by_pk: String,
    /// What `update` runs first: every data column written, except the
    /// indexed ones (unique, foreign key, in an index), which are compared
    /// instead. Parameters: `?1` `updated_at`, then the data columns in
    /// order (as `bind_data` binds them from 2), then the pk. It changes no
    /// row when an indexed column differs, or the row is gone.
    pub save: String,
    /// How many data columns the model has.
    pub data_len: usize,
    /// The layout of a row holding every column.
    pub full_layout: RowLayout,
    /// `UPDATE`s of some data columns (what changed, or what a partial
    /// record loaded), by the set of table positions as bits: built once
    /// per set, so a save formats no SQL.
    updates: Mutex<HashMap<u64, Arc<str>>>,
}

fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// Whether an `UPDATE` naming `column` would touch more than the row:
/// an index entry, or a foreign key check.
fn indexed(meta: &TableMeta, column: &ColumnMeta) -> bool {
    column.unique
        || column.foreign_key.is_some()
        || meta
            .indexes
            .iter()
            .any(|index| index.columns.contains(&column.column))
}

/// `ModelSql::save`. An indexed column is compared, not written, so the
/// common save (a key unchanged) leaves its index alone in one statement;
/// the comparison is binary (`COLLATE BINARY` wins over the column's own
/// collation), so a value that differs only in case under `NOCASE` is
/// still written.
fn save_sql(meta: &TableMeta) -> String {
    let mut set = String::from("\"updated_at\" = ?1");
    let mut guards = String::new();
    let mut n = 1;
    for column in meta.data_columns() {
        n += 1;
        let name = quote_ident(column.column);
        if indexed(meta, column) {
            let _ = write!(guards, " AND {name} IS ?{n} COLLATE BINARY");
        } else {
            let _ = write!(set, ", {name} = ?{n}");
        }
    }
    format!(
        "UPDATE {} SET {set} WHERE \"pk\" = ?{}{guards}",
        quote_ident(meta.table_name),
        n + 1
    )
}

impl ModelSql {
    /// Build every statement text for `meta`.
    pub fn new(meta: &TableMeta) -> Self {
        let table = quote_ident(meta.table_name);
        let all: Vec<String> = meta.columns.iter().map(|c| quote_ident(c.column)).collect();
        let data: Vec<String> = meta.data_columns().map(|c| quote_ident(c.column)).collect();
        let column_list = all.join(", ");

        let mut insert_cols = vec![quote_ident("created_at"), quote_ident("updated_at")];
        insert_cols.extend(data.iter().cloned());
        let insert = format!(
            "INSERT INTO {table} ({}) VALUES ({})",
            insert_cols.join(", "),
            placeholders(insert_cols.len())
        );
        let insert_with_pk = format!(
            "INSERT INTO {table} (\"pk\", {}) VALUES ({})",
            insert_cols.join(", "),
            placeholders(insert_cols.len() + 1)
        );

        Self {
            select_by_pk: format!("SELECT {column_list} FROM {table} WHERE \"pk\" = ?"),
            delete_by_pk: format!("DELETE FROM {table} WHERE \"pk\" = ?"),
            save: save_sql(meta),
            column_list,
            insert,
            insert_with_pk,
            data_len: data.len(),
            full_layout: RowLayout::full(meta.columns.len()),
            updates: Mutex::new(HashMap::new()),
        }
    }

    /// `UPDATE t SET "updated_at" = ?, <columns> = ? ... WHERE "pk" = ?`
    /// for the table positions `columns` of `meta` (this model's).
    pub(crate) fn update_of<V>(&self, meta: &TableMeta, columns: &[(usize, V)]) -> Arc<str> {
        let build = || {
            let mut sql = format!(
                "UPDATE {} SET \"updated_at\" = ?",
                quote_ident(meta.table_name)
            );
            for (i, _) in columns {
                let _ = write!(sql, ", {} = ?", quote_ident(meta.columns[*i].column));
            }
            sql.push_str(" WHERE \"pk\" = ?");
            Arc::<str>::from(sql)
        };
        if meta.columns.len() > 64 {
            return build();
        }
        let bits = columns.iter().fold(0u64, |bits, (i, _)| bits | (1 << i));
        Arc::clone(self.updates.lock().entry(bits).or_insert_with(build))
    }
}
