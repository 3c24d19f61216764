//! [`SchemaDiff`]: how a table in the file differs from its model.

use std::fmt;

use rusqlite::Connection;

use crate::error::{sql_error, Result};
use crate::model::{ColumnKind, ColumnMeta, FkAction, TableMeta};
use crate::schema::ddl::model_indexes;
use crate::schema::shape::{file_columns, file_foreign_keys, FileColumn, FileForeignKey};
use crate::value::SqlType;

/// One difference between a table in the file and its model.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Change {
    /// The table does not exist (under the model's name or its
    /// `renamed_from`).
    CreateTable,
    /// The table exists under the model's `renamed_from` name.
    RenameTable {
        /// The name in the file.
        from: String,
    },
    /// A model column the table lacks.
    AddColumn {
        /// The column.
        column: &'static str,
    },
    /// A column that exists under the field's `renamed_from` name.
    RenameColumn {
        /// The name in the file.
        from: String,
        /// The model's name.
        to: &'static str,
    },
    /// A column the model no longer has.
    DropColumn {
        /// The column.
        column: String,
    },
    /// The declared type differs from the model's.
    ChangeType {
        /// The column.
        column: &'static str,
        /// The file's declared type.
        from: String,
        /// The model's type.
        to: SqlType,
    },
    /// `NOT NULL` differs.
    ChangeNullability {
        /// The column.
        column: &'static str,
        /// Whether the model's column is nullable.
        nullable: bool,
    },
    /// An inline `UNIQUE` differs.
    ChangeUnique {
        /// The column.
        column: &'static str,
        /// Whether the model's column is unique.
        unique: bool,
    },
    /// The column's foreign key (target or actions) differs, or one of the
    /// two has none.
    ChangeForeignKey {
        /// The column.
        column: &'static str,
    },
    /// A model index the file lacks.
    AddIndex {
        /// The index's name.
        name: String,
    },
    /// A many-to-many field's junction table is missing.
    CreateJunction {
        /// The junction table.
        table: &'static str,
    },
}

impl Change {
    /// Whether SQLite can make the change in place (`ALTER TABLE` or
    /// `CREATE`), without rebuilding the table.
    pub fn is_additive(&self) -> bool {
        matches!(
            self,
            Self::CreateTable
                | Self::RenameTable { .. }
                | Self::AddColumn { .. }
                | Self::RenameColumn { .. }
                | Self::AddIndex { .. }
                | Self::CreateJunction { .. }
        )
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::CreateTable => f.write_str("create the table"),
            Self::RenameTable { from } => write!(f, "rename table '{from}'"),
            Self::AddColumn { column } => write!(f, "add column '{column}'"),
            Self::RenameColumn { from, to } => write!(f, "rename column '{from}' to '{to}'"),
            Self::DropColumn { column } => write!(f, "drop column '{column}'"),
            Self::ChangeType { column, from, to } => write!(
                f,
                "change the type of '{column}' from {from:?} to {}",
                to.keyword()
            ),
            Self::ChangeNullability { column, nullable } => write!(
                f,
                "make '{column}' {}",
                if *nullable { "nullable" } else { "NOT NULL" }
            ),
            Self::ChangeUnique { column, unique } => write!(
                f,
                "{} UNIQUE on '{column}'",
                if *unique { "add" } else { "drop" }
            ),
            Self::ChangeForeignKey { column } => write!(f, "change the foreign key of '{column}'"),
            Self::AddIndex { name } => write!(f, "add index {name}"),
            Self::CreateJunction { table } => write!(f, "create junction table '{table}'"),
        }
    }
}

/// How a model's table in the file differs from the model: empty when they
/// match. Printable (one change a line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaDiff {
    /// The model's table.
    pub table: &'static str,
    /// The model.
    pub model: &'static str,
    /// The table's name in the file (the model's, or its `renamed_from`).
    pub file_table: String,
    /// Every difference, columns in model order first.
    pub changes: Vec<Change>,
}

impl SchemaDiff {
    /// Whether the file matches the model.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// Whether every change can be made in place (no table rebuild).
    pub fn is_additive(&self) -> bool {
        self.changes.iter().all(Change::is_additive)
    }
}

impl fmt::Display for SchemaDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.changes.is_empty() {
            return write!(f, "{} ({}): matches the model", self.table, self.model);
        }
        write!(f, "{} ({}):", self.table, self.model)?;
        for change in &self.changes {
            write!(f, "\n  - {change}")?;
        }
        Ok(())
    }
}

/// The names of `table`'s indexes, and the columns of its single-column
/// `UNIQUE` constraints.
fn file_indexes(conn: &Connection, table: &str) -> Result<(Vec<String>, Vec<String>)> {
    let indexes = crate::schema::shape::file_indexes(conn, table)?;
    let names = indexes.iter().map(|i| i.name.clone()).collect();
    let unique = indexes
        .into_iter()
        .filter(|i| i.origin == "u" && i.columns.len() == 1)
        .filter_map(|i| i.columns.into_iter().next().flatten())
        .collect();
    Ok((names, unique))
}

pub(crate) fn table_exists(conn: &Connection, table: &str) -> Result<bool> {
    const SQL: &str = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?";
    let mut stmt = conn.prepare_cached(SQL).map_err(|e| sql_error(SQL, e))?;
    stmt.exists([table]).map_err(|e| sql_error(SQL, e))
}

/// The model's declared type and `NOT NULL`, as `create_table` writes them.
fn declared(column: &ColumnMeta) -> (&'static str, bool) {
    let not_null = column.kind == ColumnKind::Data && !column.nullable;
    (column.sql_type.keyword(), not_null)
}

fn same_type(file: &FileColumn, column: &ColumnMeta) -> bool {
    file.declared_type
        .trim()
        .eq_ignore_ascii_case(declared(column).0)
}

fn action(file: &str, model: FkAction) -> bool {
    file.eq_ignore_ascii_case(model.sql())
}

/// Compare `meta`'s table in the file with the model.
pub fn diff(conn: &Connection, meta: &'static TableMeta) -> Result<SchemaDiff> {
    let mut changes = Vec::new();
    let mut file_table = meta.table_name.to_owned();
    if !table_exists(conn, meta.table_name)? {
        match meta.renamed_from {
            Some(old) if table_exists(conn, old)? => {
                changes.push(Change::RenameTable {
                    from: old.to_owned(),
                });
                old.clone_into(&mut file_table);
            }
            _ => {
                changes.push(Change::CreateTable);
                junctions(conn, meta, &mut changes)?;
                return Ok(SchemaDiff {
                    table: meta.table_name,
                    model: meta.model_name,
                    file_table,
                    changes,
                });
            }
        }
    }
    let file = file_columns(conn, &file_table)?;
    let foreign_keys = file_foreign_keys(conn, &file_table)?;
    let (index_names, unique_columns) = file_indexes(conn, &file_table)?;
    let find = |name: &str| file.iter().find(|f| f.name == name);
    let mut kept: Vec<&str> = Vec::new();
    for column in meta.columns {
        let (found, renamed) = match (find(column.column), column.renamed_from) {
            (Some(f), _) => (Some(f), None),
            (None, Some(old)) => (find(old), Some(old)),
            (None, None) => (None, None),
        };
        let Some(f) = found else {
            changes.push(Change::AddColumn {
                column: column.column,
            });
            continue;
        };
        kept.push(&f.name);
        if let Some(old) = renamed {
            changes.push(Change::RenameColumn {
                from: old.to_owned(),
                to: column.column,
            });
        }
        if column.kind != ColumnKind::PrimaryKey {
            compare_column(column, f, &foreign_keys, &unique_columns, &mut changes);
        }
    }
    for f in &file {
        if !kept.contains(&f.name.as_str()) {
            changes.push(Change::DropColumn {
                column: f.name.clone(),
            });
        }
    }
    for index in model_indexes(meta) {
        if !index_names.contains(&index.name) {
            changes.push(Change::AddIndex { name: index.name });
        }
    }
    junctions(conn, meta, &mut changes)?;
    Ok(SchemaDiff {
        table: meta.table_name,
        model: meta.model_name,
        file_table,
        changes,
    })
}

/// Type, nullability, `UNIQUE` and foreign key of one column found in the
/// file.
fn compare_column(
    column: &'static ColumnMeta,
    f: &FileColumn,
    foreign_keys: &[FileForeignKey],
    unique_columns: &[String],
    changes: &mut Vec<Change>,
) {
    {
        if !same_type(f, column) {
            changes.push(Change::ChangeType {
                column: column.column,
                from: f.declared_type.clone(),
                to: column.sql_type,
            });
        }
        if f.not_null != declared(column).1 {
            changes.push(Change::ChangeNullability {
                column: column.column,
                nullable: !declared(column).1,
            });
        }
        if column.kind == ColumnKind::Data && column.unique != unique_columns.contains(&f.name) {
            changes.push(Change::ChangeUnique {
                column: column.column,
                unique: column.unique,
            });
        }
        let file_fk = foreign_keys.iter().find(|k| k.from == f.name);
        let same_fk = match (&column.foreign_key, file_fk) {
            (None, None) => true,
            (Some(model), Some(file)) => {
                file.table == (model.target)().table_name
                    && file.to.as_deref().unwrap_or("pk") == "pk"
                    && action(&file.on_delete, model.on_delete)
                    && action(&file.on_update, model.on_update)
            }
            _ => false,
        };
        if !same_fk {
            changes.push(Change::ChangeForeignKey {
                column: column.column,
            });
        }
    }
}

fn junctions(conn: &Connection, meta: &'static TableMeta, changes: &mut Vec<Change>) -> Result<()> {
    for relation in meta.many_to_many {
        let table = relation.junction_table();
        if !table_exists(conn, table)? {
            changes.push(Change::CreateJunction { table });
        }
    }
    Ok(())
}
