//! A table's real shape in the file, and the check that it can hold the
//! model: run before a table's first use on each connection, so a file
//! made by an older model (or by another program) is a typed
//! [`Error::SchemaMismatch`], never rows read from the wrong columns.
//!
//! What still reads and writes correctly is not a mismatch: extra columns
//! (Python SQLiter's `db_context`), nullable columns where the model is
//! stricter, and the declared types Python SQLiter writes (`TEXT` for
//! `Optional[int]`, `BLOB` for complex values).

use std::fmt;

use rusqlite::Connection;

use crate::error::{sql_error, Error, Result};
use crate::model::{ColumnMeta, TableMeta};
use crate::session::Session;
use crate::value::SqlType;

/// One column as `PRAGMA table_xinfo` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileColumn {
    /// The column's name.
    pub name: String,
    /// The declared type, as written in the DDL (may be empty).
    pub declared_type: String,
    /// `NOT NULL`.
    pub not_null: bool,
    /// The `DEFAULT` expression's text.
    pub default: Option<String>,
    /// Position in the primary key (0: not part of it).
    pub primary_key: u32,
}

/// The columns of `table` in the file; empty when there is no such table.
pub fn file_columns(conn: &Connection, table: &str) -> Result<Vec<FileColumn>> {
    const SQL: &str = "SELECT name, type, \"notnull\", dflt_value, pk, hidden \
                       FROM pragma_table_xinfo(?) ORDER BY cid";
    let mut stmt = conn.prepare_cached(SQL).map_err(|e| sql_error(SQL, e))?;
    let rows = stmt
        .query_map([table], |row| {
            Ok((
                FileColumn {
                    name: row.get(0)?,
                    declared_type: row.get::<_, Option<String>>(1)?.unwrap_or_default(),
                    not_null: row.get(2)?,
                    default: row.get(3)?,
                    primary_key: row.get(4)?,
                },
                row.get::<_, i64>(5)?,
            ))
        })
        .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
        .map_err(|e| sql_error(SQL, e))?;
    // Hidden columns of virtual tables are not the model's business;
    // generated columns (hidden 2 or 3) are real columns.
    Ok(rows
        .into_iter()
        .filter(|(_, hidden)| *hidden != 1)
        .map(|(column, _)| column)
        .collect())
}

/// One foreign key column as `PRAGMA foreign_key_list` reports it; the
/// columns of a composite key share its `id`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FileForeignKey {
    /// The key's number in its table: several rows with one `id` are one
    /// composite key.
    pub id: i64,
    /// The referencing column.
    pub from: String,
    /// The referenced table.
    pub table: String,
    /// The referenced column (`None`: the referenced table's primary key).
    pub to: Option<String>,
    /// `ON UPDATE` action (`NO ACTION` when not declared).
    pub on_update: String,
    /// `ON DELETE` action (`NO ACTION` when not declared).
    pub on_delete: String,
}

/// The foreign keys of `table` in the file, one row per column, in key
/// order; empty when there is no such table.
pub fn file_foreign_keys(conn: &Connection, table: &str) -> Result<Vec<FileForeignKey>> {
    const SQL: &str = "SELECT id, \"from\", \"table\", \"to\", on_update, on_delete \
                       FROM pragma_foreign_key_list(?) ORDER BY id, seq";
    let mut stmt = conn.prepare_cached(SQL).map_err(|e| sql_error(SQL, e))?;
    stmt.query_map([table], |row| {
        Ok(FileForeignKey {
            id: row.get(0)?,
            from: row.get(1)?,
            table: row.get(2)?,
            to: row.get(3)?,
            on_update: row.get(4)?,
            on_delete: row.get(5)?,
        })
    })
    .and_then(Iterator::collect)
    .map_err(|e| sql_error(SQL, e))
}

/// One index as `PRAGMA index_list` and `PRAGMA index_info` report it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FileIndex {
    /// The index's name (`sqlite_autoindex_..` for inline constraints).
    pub name: String,
    /// `UNIQUE`.
    pub unique: bool,
    /// How it was made: `"c"` by `CREATE INDEX`, `"u"` by a `UNIQUE`
    /// constraint, `"pk"` by a `PRIMARY KEY` constraint.
    pub origin: String,
    /// It has a `WHERE` clause.
    pub partial: bool,
    /// The indexed columns in order; `None` for an expression.
    pub columns: Vec<Option<String>>,
}

/// The indexes of `table` in the file; empty when there is no such table.
pub fn file_indexes(conn: &Connection, table: &str) -> Result<Vec<FileIndex>> {
    const LIST: &str =
        "SELECT name, \"unique\", origin, partial FROM pragma_index_list(?) ORDER BY seq DESC";
    const INFO: &str = "SELECT name FROM pragma_index_info(?) ORDER BY seqno";
    let mut list = conn.prepare_cached(LIST).map_err(|e| sql_error(LIST, e))?;
    let mut indexes: Vec<FileIndex> = list
        .query_map([table], |row| {
            Ok(FileIndex {
                name: row.get(0)?,
                unique: row.get(1)?,
                origin: row.get(2)?,
                partial: row.get(3)?,
                columns: Vec::new(),
            })
        })
        .and_then(Iterator::collect)
        .map_err(|e| sql_error(LIST, e))?;
    let mut info = conn.prepare_cached(INFO).map_err(|e| sql_error(INFO, e))?;
    for index in &mut indexes {
        index.columns = info
            .query_map([&index.name], |row| row.get(0))
            .and_then(Iterator::collect)
            .map_err(|e| sql_error(INFO, e))?;
    }
    Ok(indexes)
}

/// What kind of schema object a [`FileTable`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FileTableKind {
    /// An ordinary table.
    Table,
    /// A view.
    View,
    /// A virtual table (FTS, R*Tree, ...).
    Virtual,
}

/// One table or view of the file's main schema, as `PRAGMA table_list`
/// reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FileTable {
    /// Its name.
    pub name: String,
    /// Table, view or virtual table.
    pub kind: FileTableKind,
    /// Declared `WITHOUT ROWID`.
    pub without_rowid: bool,
    /// Declared `STRICT`.
    pub strict: bool,
}

/// The user tables and views of the file in creation order: SQLite's own
/// (`sqlite_sequence`, `sqlite_stat1`, ...) and virtual tables' shadow
/// tables left out.
pub fn file_tables(conn: &Connection) -> Result<Vec<FileTable>> {
    const SQL: &str = "SELECT l.name, l.type, l.wr, l.strict \
                       FROM pragma_table_list AS l JOIN sqlite_schema AS s ON s.name = l.name \
                       WHERE l.schema = 'main' AND l.type IN ('table', 'view', 'virtual') \
                       AND l.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY s.rowid";
    let mut stmt = conn.prepare_cached(SQL).map_err(|e| sql_error(SQL, e))?;
    stmt.query_map([], |row| {
        let kind = match row.get_ref(1)?.as_str()? {
            "view" => FileTableKind::View,
            "virtual" => FileTableKind::Virtual,
            _ => FileTableKind::Table,
        };
        Ok(FileTable {
            name: row.get(0)?,
            kind,
            without_rowid: row.get(2)?,
            strict: row.get(3)?,
        })
    })
    .and_then(Iterator::collect)
    .map_err(|e| sql_error(SQL, e))
}

/// The type affinity SQLite gives a declared type (the rules of its
/// "Determination Of Column Affinity").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Affinity {
    /// `INT` in the name.
    Integer,
    /// `CHAR`, `CLOB` or `TEXT`.
    Text,
    /// `BLOB`, or no type at all: values are stored as given.
    Blob,
    /// `REAL`, `FLOA` or `DOUB`.
    Real,
    /// Anything else.
    Numeric,
}

impl Affinity {
    /// The affinity of `declared_type`.
    pub fn of(declared_type: &str) -> Self {
        let t = declared_type.to_ascii_uppercase();
        if t.contains("INT") {
            Self::Integer
        } else if ["CHAR", "CLOB", "TEXT"].iter().any(|k| t.contains(k)) {
            Self::Text
        } else if t.contains("BLOB") || t.trim().is_empty() {
            Self::Blob
        } else if ["REAL", "FLOA", "DOUB"].iter().any(|k| t.contains(k)) {
            Self::Real
        } else {
            Self::Numeric
        }
    }

    /// Whether a column of this affinity stores the model's values as
    /// written. A numeric affinity turns text such as `"12"` into a number,
    /// and `REAL` turns integers into floats: those change the value. A
    /// `TEXT` column holding numbers is Python SQLiter's encoding of
    /// `Optional` scalars: what it stores is read back strictly, so it is
    /// accepted.
    pub fn holds(self, sql_type: SqlType) -> bool {
        match sql_type {
            SqlType::Integer => !matches!(self, Self::Real),
            SqlType::Text => matches!(self, Self::Text | Self::Blob),
            // Floats survive every affinity; blobs are never converted.
            SqlType::Real | SqlType::Blob => true,
        }
    }
}

/// How one model column differs from the file.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ColumnMismatch {
    /// The file's table has no such column.
    Missing {
        /// The column's name.
        column: String,
        /// What the model stores in it.
        expected: SqlType,
    },
    /// The column's declared type would change the model's values.
    Type {
        /// The column's name.
        column: String,
        /// What the model stores in it.
        expected: SqlType,
        /// The file's declared type.
        declared: String,
    },
}

impl fmt::Display for ColumnMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing { column, expected } => write!(
                f,
                "column '{column}' is missing (the model stores {})",
                expected.keyword()
            ),
            Self::Type {
                column,
                expected,
                declared,
            } => write!(
                f,
                "column '{column}' is declared {declared:?}, which would change the {} values the model stores",
                expected.keyword()
            ),
        }
    }
}

/// Every model column the file's table cannot hold as the model needs;
/// `None` when the table does not exist.
fn differences(file: &[FileColumn], meta: &TableMeta) -> Option<Vec<ColumnMismatch>> {
    if file.is_empty() {
        return None;
    }
    let found = |column: &ColumnMeta| file.iter().find(|f| f.name == column.column);
    let differences = meta
        .columns
        .iter()
        .filter_map(|column| match found(column) {
            None => Some(ColumnMismatch::Missing {
                column: column.column.to_owned(),
                expected: column.sql_type,
            }),
            Some(f) if !Affinity::of(&f.declared_type).holds(column.sql_type) => {
                Some(ColumnMismatch::Type {
                    column: column.column.to_owned(),
                    expected: column.sql_type,
                    declared: f.declared_type.clone(),
                })
            }
            Some(_) => None,
        })
        .collect();
    Some(differences)
}

/// The model columns (by index) that the file declares `TEXT` although
/// the model stores numbers in them (Python SQLiter's `Optional[int]`,
/// `Optional[float]`, ... columns), with the type the model stores. SQLite
/// compares such a column with a number as text (`'2.5' > '10'`), so
/// filters and ordering compare them through `CAST(.. AS <type>)`.
pub(crate) type TextNumbers = std::sync::Arc<[(usize, SqlType)]>;

fn text_numbers(file: &[FileColumn], meta: &TableMeta) -> Option<TextNumbers> {
    let found: Vec<(usize, SqlType)> = meta
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| matches!(c.sql_type, SqlType::Integer | SqlType::Real))
        .filter(|(_, c)| {
            file.iter()
                .any(|f| f.name == c.column && Affinity::of(&f.declared_type) == Affinity::Text)
        })
        .map(|(i, c)| (i, c.sql_type))
        .collect();
    (!found.is_empty()).then(|| found.into())
}

/// Check `meta`'s table against the file once per connection: the first
/// use of a table on a connection reads its shape, later uses cost a map
/// look-up. A table that does not exist is left to the statement (SQLite
/// names it in its error). Returns the table's [`TextNumbers`], if any.
pub(crate) fn ensure(
    session: &Session<'_>,
    meta: &'static TableMeta,
) -> Result<Option<TextNumbers>> {
    if let Some(numbers) = session.settings.shapes.checked(meta) {
        return Ok(numbers);
    }
    let file = file_columns(session.conn, meta.table_name)?;
    match differences(&file, meta) {
        None => Ok(None),
        Some(differences) if differences.is_empty() => {
            let numbers = text_numbers(&file, meta);
            session.settings.shapes.mark(meta, numbers.clone());
            Ok(numbers)
        }
        Some(columns) => Err(Error::SchemaMismatch {
            table: meta.table_name.to_owned(),
            model: meta.model_name.to_owned(),
            columns,
        }),
    }
}

/// A checked table: its name and its [`TextNumbers`].
type Checked = (&'static str, Option<TextNumbers>);

/// The tables whose shape was checked on the current connection, by model
/// (metadata address) with the table's name.
#[derive(Debug, Default)]
pub struct CheckedShapes {
    tables: parking_lot::Mutex<std::collections::HashMap<usize, Checked>>,
}

impl CheckedShapes {
    fn key(meta: &'static TableMeta) -> usize {
        std::ptr::from_ref(meta) as usize
    }

    /// `Some` when checked on this connection.
    #[allow(clippy::option_option)]
    fn checked(&self, meta: &'static TableMeta) -> Option<Option<TextNumbers>> {
        self.tables
            .lock()
            .get(&Self::key(meta))
            .map(|(_, numbers)| numbers.clone())
    }

    fn mark(&self, meta: &'static TableMeta, numbers: Option<TextNumbers>) {
        self.tables
            .lock()
            .insert(Self::key(meta), (meta.table_name, numbers));
    }

    /// Check `table` again on its next use, for every model stored in it
    /// (its DDL changed).
    pub(crate) fn forget(&self, table: &str) {
        self.tables.lock().retain(|_, (name, _)| *name != table);
    }

    /// Check every table again (a new connection, or raw SQL that may have
    /// altered any of them).
    pub fn forget_all(&self) {
        self.tables.lock().clear();
    }
}
