//! The file's shape, read through the core's introspection
//! (`sqliter_core::file_tables` and friends), plus row counts, and the
//! classification of each table.

use serde::Serialize;
use sqliter_core::{Affinity, FileTableKind};

use crate::error::CliError;
use crate::file::{quote_ident, ReadOnlyFile};

/// Every table and view of a file.
#[derive(Debug, Serialize)]
pub struct FileSchema {
    /// The tables, in creation order.
    pub tables: Vec<Table>,
    /// The views' names.
    pub views: Vec<String>,
}

/// What a table looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Classification {
    /// `pk INTEGER PRIMARY KEY` plus `created_at` / `updated_at`: made by
    /// SQLiter (Python or Rust), or shaped like it.
    Sqliter,
    /// A many-to-many junction table shaped like SQLiter's.
    SqliterJunction,
    /// Anything else.
    Foreign,
}

/// One table.
#[derive(Debug, Serialize)]
pub struct Table {
    /// Its name.
    pub name: String,
    /// See [`Classification`].
    pub classification: Classification,
    /// For a junction table: the two tables it links.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub junction: Option<Junction>,
    /// `WITHOUT ROWID`.
    pub without_rowid: bool,
    /// `STRICT`.
    pub strict: bool,
    /// A virtual table (FTS, R*Tree, ...).
    #[serde(rename = "virtual")]
    pub is_virtual: bool,
    /// `count(*)` (not counted for virtual tables).
    pub rows: Option<u64>,
    /// Its columns, in table order.
    pub columns: Vec<Column>,
    /// The primary key's columns, in key order.
    pub primary_key: Vec<String>,
    /// Its foreign keys.
    pub foreign_keys: Vec<ForeignKey>,
    /// Its indexes, those of constraints included.
    pub indexes: Vec<Index>,
    /// Per column, how many rows hold a value (not `NULL`).
    #[serde(skip)]
    pub non_null: Vec<u64>,
}

/// The two sides of a junction table.
#[derive(Debug, Clone, Serialize)]
pub struct Junction {
    /// The linked tables, in the order of `columns`.
    pub tables: [String; 2],
    /// The junction's columns holding each side's pk.
    pub columns: [String; 2],
}

/// One column.
#[derive(Debug, Serialize)]
pub struct Column {
    /// Its name.
    pub name: String,
    /// The declared type, as written (may be empty).
    #[serde(rename = "type")]
    pub declared_type: String,
    /// It can hold `NULL`.
    pub nullable: bool,
    /// The `DEFAULT` expression.
    pub default: Option<String>,
    /// A one-column `UNIQUE` constraint or unique index covers it.
    pub unique: bool,
    /// Part of the primary key.
    pub primary_key: bool,
}

/// One foreign key (several columns for a composite key).
#[derive(Debug, Serialize)]
pub struct ForeignKey {
    /// The referencing columns.
    pub columns: Vec<String>,
    /// The referenced table.
    pub references: String,
    /// The referenced columns (`null`: the referenced primary key).
    pub referenced_columns: Vec<Option<String>>,
    /// `ON DELETE`.
    pub on_delete: String,
    /// `ON UPDATE`.
    pub on_update: String,
}

/// One index.
#[derive(Debug, Serialize)]
pub struct Index {
    /// Its name.
    pub name: String,
    /// `UNIQUE`.
    pub unique: bool,
    /// `create_index`, `unique_constraint` or `primary_key`.
    pub origin: &'static str,
    /// Has a `WHERE` clause.
    pub partial: bool,
    /// The indexed columns (`null`: an expression).
    pub columns: Vec<Option<String>>,
}

impl Table {
    /// The column named `name`.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The single-column `INTEGER PRIMARY KEY` (the rowid), if any.
    pub fn integer_pk(&self) -> Option<&Column> {
        if self.without_rowid || self.primary_key.len() != 1 {
            return None;
        }
        self.column(&self.primary_key[0])
            .filter(|c| c.declared_type.trim().eq_ignore_ascii_case("INTEGER"))
    }

    /// The foreign key whose only column is `column`.
    pub fn single_foreign_key(&self, column: &str) -> Option<&ForeignKey> {
        self.foreign_keys
            .iter()
            .find(|k| k.columns.len() == 1 && k.columns[0] == column)
    }

    /// Whether a `NULL` is stored in `column` (after counting).
    pub fn has_nulls(&self, column: &str) -> bool {
        let Some(rows) = self.rows else {
            return true;
        };
        self.columns
            .iter()
            .position(|c| c.name == column)
            .and_then(|i| self.non_null.get(i))
            .is_none_or(|&n| n < rows)
    }
}

fn origin_name(origin: &str) -> &'static str {
    match origin {
        "pk" => "primary_key",
        "u" => "unique_constraint",
        _ => "create_index",
    }
}

// A virtual table whose module this SQLite lacks still lists.
fn soft<T>(
    db: &ReadOnlyFile,
    what: &str,
    is_virtual: bool,
    read: Result<Vec<T>, sqliter_core::Error>,
) -> Result<Vec<T>, CliError> {
    match read {
        Err(_) if is_virtual => Ok(Vec::new()),
        other => other.map_err(|e| db.core_error(what, e)),
    }
}

/// Read one table's shape (no counting).
fn read_table(db: &ReadOnlyFile, file_table: &sqliter_core::FileTable) -> Result<Table, CliError> {
    let name = &file_table.name;
    let what = format!("table '{name}'");
    let is_virtual = file_table.kind == FileTableKind::Virtual;
    let file_columns = soft(
        db,
        &what,
        is_virtual,
        sqliter_core::file_columns(&db.conn, name),
    )?;
    let file_keys = soft(
        db,
        &what,
        is_virtual,
        sqliter_core::file_foreign_keys(&db.conn, name),
    )?;
    let file_indexes = soft(
        db,
        &what,
        is_virtual,
        sqliter_core::file_indexes(&db.conn, name),
    )?;

    let mut pk: Vec<(u32, String)> = file_columns
        .iter()
        .filter(|c| c.primary_key > 0)
        .map(|c| (c.primary_key, c.name.clone()))
        .collect();
    pk.sort();
    let primary_key: Vec<String> = pk.into_iter().map(|(_, n)| n).collect();
    let rowid_alias = primary_key.len() == 1 && !file_table.without_rowid;
    let unique_single = |column: &str| {
        file_indexes.iter().any(|i| {
            i.unique
                && !i.partial
                && i.columns.len() == 1
                && i.columns[0].as_deref() == Some(column)
        })
    };
    let columns = file_columns
        .iter()
        .map(|c| {
            let in_pk = c.primary_key > 0;
            let integer_pk =
                in_pk && rowid_alias && c.declared_type.trim().eq_ignore_ascii_case("INTEGER");
            Column {
                name: c.name.clone(),
                declared_type: c.declared_type.clone(),
                nullable: !(c.not_null || integer_pk || (in_pk && file_table.without_rowid)),
                default: c.default.clone(),
                unique: unique_single(&c.name) || (in_pk && primary_key.len() == 1),
                primary_key: in_pk,
            }
        })
        .collect();

    let mut foreign_keys: Vec<ForeignKey> = Vec::new();
    let mut last_id = None;
    for key in file_keys {
        if last_id == Some(key.id) {
            if let Some(fk) = foreign_keys.last_mut() {
                fk.columns.push(key.from);
                fk.referenced_columns.push(key.to);
            }
            continue;
        }
        last_id = Some(key.id);
        foreign_keys.push(ForeignKey {
            columns: vec![key.from],
            references: key.table,
            referenced_columns: vec![key.to],
            on_delete: key.on_delete,
            on_update: key.on_update,
        });
    }
    let indexes = file_indexes
        .into_iter()
        .map(|i| Index {
            name: i.name,
            unique: i.unique,
            origin: origin_name(&i.origin),
            partial: i.partial,
            columns: i.columns,
        })
        .collect();
    let mut table = Table {
        name: name.clone(),
        classification: Classification::Foreign,
        junction: None,
        without_rowid: file_table.without_rowid,
        strict: file_table.strict,
        is_virtual,
        rows: None,
        columns,
        primary_key,
        foreign_keys,
        indexes,
        non_null: Vec::new(),
    };
    table.junction = junction_sides(&table);
    table.classification = classify(&table);
    Ok(table)
}

/// SQLiter's timestamps: integer columns `created_at` and `updated_at`.
fn has_timestamps(table: &Table) -> bool {
    ["created_at", "updated_at"].iter().all(|name| {
        table
            .column(name)
            .is_some_and(|c| Affinity::of(&c.declared_type) == Affinity::Integer)
    })
}

fn classify(table: &Table) -> Classification {
    if table.junction.is_some() {
        Classification::SqliterJunction
    } else if table.integer_pk().is_some_and(|c| c.name == "pk") && has_timestamps(table) {
        Classification::Sqliter
    } else {
        Classification::Foreign
    }
}

/// The junction shape of upstream's many-to-many (spec §3.5): `id INTEGER
/// PRIMARY KEY`, then `<a>_pk` and `<b>_pk` (`<t>_pk_left` / `<t>_pk_right`
/// for a self-reference), `INTEGER NOT NULL`, each a foreign key to its
/// table's `pk`, the pair unique.
fn junction_sides(table: &Table) -> Option<Junction> {
    if table.columns.len() != 3 || table.integer_pk()?.name != "id" {
        return None;
    }
    let sides: Vec<&Column> = table.columns.iter().filter(|c| c.name != "id").collect();
    let mut tables = Vec::new();
    for column in &sides {
        let fk = table.single_foreign_key(&column.name)?;
        let to_pk = matches!(fk.referenced_columns[0].as_deref(), None | Some("pk"));
        let integer = column.declared_type.trim().eq_ignore_ascii_case("INTEGER");
        if !to_pk || !integer || column.nullable {
            return None;
        }
        tables.push(fk.references.clone());
    }
    let named = if tables[0] == tables[1] {
        let t = &tables[0];
        let names = [sides[0].name.as_str(), sides[1].name.as_str()];
        let (left, right) = (format!("{t}_pk_left"), format!("{t}_pk_right"));
        names == [left.as_str(), right.as_str()] || names == [right.as_str(), left.as_str()]
    } else {
        sides
            .iter()
            .zip(&tables)
            .all(|(c, t)| c.name == format!("{t}_pk"))
    };
    let unique_pair = table.indexes.iter().any(|i| {
        i.unique
            && !i.partial
            && i.columns.len() == 2
            && sides
                .iter()
                .all(|c| i.columns.iter().any(|ic| ic.as_deref() == Some(&c.name)))
    });
    (named && unique_pair).then(|| Junction {
        tables: [tables[0].clone(), tables[1].clone()],
        columns: [sides[0].name.clone(), sides[1].name.clone()],
    })
}

/// Read the file's tables and views (no counting).
pub fn read(db: &ReadOnlyFile) -> Result<FileSchema, CliError> {
    let listed = sqliter_core::file_tables(&db.conn).map_err(|e| db.core_error("the schema", e))?;
    let mut schema = FileSchema {
        tables: Vec::new(),
        views: Vec::new(),
    };
    for file_table in &listed {
        if file_table.kind == FileTableKind::View {
            schema.views.push(file_table.name.clone());
        } else {
            schema.tables.push(read_table(db, file_table)?);
        }
    }
    Ok(schema)
}

/// Count the rows of `table`, and the values of each column, in one scan.
pub fn count(db: &ReadOnlyFile, table: &mut Table) -> Result<(), CliError> {
    if table.is_virtual || table.columns.is_empty() {
        return Ok(());
    }
    let mut sql = String::from("SELECT count(*)");
    for column in &table.columns {
        sql.push_str(", count(");
        sql.push_str(&quote_ident(&column.name));
        sql.push(')');
    }
    sql.push_str(" FROM ");
    sql.push_str(&quote_ident(&table.name));
    let what = format!("table '{}'", table.name);
    let counts: Vec<i64> = db
        .conn
        .query_row(&sql, [], |row| {
            (0..=table.columns.len()).map(|i| row.get(i)).collect()
        })
        .map_err(|e| db.sql_error(&what, e))?;
    let as_u64 = |n: i64| u64::try_from(n).unwrap_or(0);
    table.rows = counts.first().copied().map(as_u64);
    table.non_null = counts.iter().skip(1).copied().map(as_u64).collect();
    Ok(())
}

/// Count every table in `tables`, with a progress bar on a terminal.
pub fn count_all<'a>(
    db: &ReadOnlyFile,
    tables: impl ExactSizeIterator<Item = &'a mut Table>,
) -> Result<(), CliError> {
    let bar = crate::progress::bar(tables.len(), "counting rows");
    for table in tables {
        bar.set_message(table.name.clone());
        count(db, table)?;
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(())
}
