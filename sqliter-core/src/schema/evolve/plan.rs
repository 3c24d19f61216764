//! [`MigrationPlan`]: the SQL that brings a table to its model's shape,
//! computed from a [`SchemaDiff`], checked for data it would lose, printed
//! or applied in one transaction.
//!
//! Additive changes run in place (`ALTER TABLE ... ADD COLUMN` / `RENAME`,
//! `CREATE INDEX`). Everything else uses SQLite's documented rebuild: with
//! foreign keys off, in one transaction, create the new table, copy the
//! rows with `INSERT ... SELECT` (converting inside SQLite, so memory stays
//! flat), drop the old table, rename the new one, recreate indexes and
//! triggers, then `PRAGMA foreign_key_check` before committing.

use std::fmt;

use rusqlite::Connection;

use super::diff::{diff, Change, SchemaDiff};
use crate::error::{sql_error, Error, Result};
use crate::model::{ColumnKind, ColumnMeta, TableMeta};
use crate::schema::ddl::{create_table_named, model_indexes};
use crate::session::{quote_ident, Session};
use crate::value::{SqlType, Value};

/// What a migration may lose, each an explicit opt-in.
///
/// ```
/// use sqliter_core::MigrateOptions;
/// let options = MigrateOptions::default().allow_drop(true);
/// # let _ = options;
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MigrateOptions {
    /// Drop columns (and their values) the model no longer has.
    pub allow_drop: bool,
    /// Change types where some stored values do not convert exactly
    /// (`'abc'` into an integer becomes `0`, `2.5` becomes `2`).
    pub allow_lossy: bool,
}

impl MigrateOptions {
    /// Set `allow_drop`.
    pub fn allow_drop(mut self, on: bool) -> Self {
        self.allow_drop = on;
        self
    }

    /// Set `allow_lossy`.
    pub fn allow_lossy(mut self, on: bool) -> Self {
        self.allow_lossy = on;
        self
    }
}

/// The statements a migration runs, in order. Printing it shows the exact
/// SQL, the transaction and foreign-key switches included.
#[derive(Debug, Clone)]
pub struct MigrationPlan {
    /// What differs.
    pub diff: SchemaDiff,
    /// The statements inside the transaction.
    pub statements: Vec<String>,
    /// Whether the table is rebuilt (`PRAGMA foreign_key_check` before
    /// commit; foreign keys are off around every migration's transaction).
    pub rebuild: bool,
    /// The model and options the plan was made for (applying re-plans).
    pub(crate) meta: &'static TableMeta,
    pub(crate) options: MigrateOptions,
    /// The exact conversions the rebuild's copy checks as it goes: when it
    /// stops, applying reports the rows that would not convert.
    guards: Vec<Guard>,
}

/// A type change's condition for an exact conversion, on the table copied.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Guard {
    source: String,
    column: &'static str,
    predicate: String,
    to: SqlType,
}

impl Guard {
    /// The typed report of the rows that would not convert.
    fn refusal(&self, conn: &Connection, meta: &TableMeta) -> Result<()> {
        let lossy = format!("NOT ({})", self.predicate);
        check_rows(conn, meta, &self.source, self.column, &lossy, |rows| {
            format!(
                "{rows} values would not convert exactly to {}; fix them first, or opt in with \
                 MigrateOptions::allow_lossy",
                self.to.keyword()
            )
        })
    }
}

impl PartialEq for MigrationPlan {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.meta, other.meta)
            && self.statements == other.statements
            && self.diff == other.diff
    }
}

impl MigrationPlan {
    /// Whether there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.statements.is_empty()
    }

    /// Every statement [`apply`](crate::SqliterDB::migrate) runs, in order.
    pub fn sql(&self) -> Vec<String> {
        if self.is_empty() {
            return Vec::new();
        }
        let mut out = vec![
            "PRAGMA foreign_keys = OFF".to_owned(),
            "BEGIN IMMEDIATE".to_owned(),
        ];
        out.extend(self.statements.iter().cloned());
        if self.rebuild {
            out.push("PRAGMA foreign_key_check".to_owned());
        }
        out.push("COMMIT".to_owned());
        out.push("PRAGMA foreign_keys = ON".to_owned());
        out
    }
}

impl fmt::Display for MigrationPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return write!(f, "-- {}: nothing to do", self.diff.table);
        }
        write!(f, "-- {}", self.diff.to_string().replace('\n', "\n-- "))?;
        for sql in self.sql() {
            write!(f, "\n{sql};")?;
        }
        Ok(())
    }
}

/// `value` as an SQL literal, for a `DEFAULT` clause or a copy's filler
/// (DDL cannot take bound parameters). Text with a NUL byte is refused: it
/// would end the statement early.
pub(crate) fn sql_literal(value: &Value) -> std::result::Result<String, String> {
    Ok(match value {
        Value::Null => "NULL".to_owned(),
        Value::Integer(i) => i.to_string(),
        Value::Real(f) if f.is_finite() => format!("{f:?}"),
        Value::Real(f) => return Err(format!("{f} has no SQL literal")),
        Value::Text(s) if s.contains('\0') => {
            return Err("a default text cannot hold a NUL byte".into())
        }
        Value::Text(s) => text_literal(s),
        Value::Blob(b) => {
            use fmt::Write;
            let mut hex = String::with_capacity(b.len() * 2 + 3);
            hex.push_str("X'");
            for byte in b {
                let _ = write!(hex, "{byte:02X}");
            }
            hex.push('\'');
            hex
        }
    })
}

fn text_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn refused(meta: &TableMeta, column: &str, reason: String) -> Error {
    Error::MigrationRefused {
        table: meta.table_name.to_owned(),
        column: column.to_owned(),
        reason,
        rows: 0,
        sample_pks: Vec::new(),
    }
}

/// The column's default as a literal, if it has one.
fn default_literal(meta: &TableMeta, column: &ColumnMeta) -> Result<Option<String>> {
    let Some(default) = column.default else {
        return Ok(None);
    };
    let value = default().map_err(|reason| Error::InvalidValue {
        table: meta.table_name.to_owned(),
        field: column.field.to_owned(),
        reason,
    })?;
    sql_literal(&value)
        .map(Some)
        .map_err(|why| refused(meta, column.column, why))
}

/// The rows of `table` matching `predicate`: how many, and a few pks.
fn offending(conn: &Connection, table: &str, predicate: &str) -> Result<(u64, Vec<i64>)> {
    let table = quote_ident(table);
    let count_sql = format!("SELECT count(*) FROM {table} WHERE {predicate}");
    let rows: i64 = conn
        .query_row(&count_sql, [], |r| r.get(0))
        .map_err(|e| sql_error(&count_sql, e))?;
    if rows == 0 {
        return Ok((0, Vec::new()));
    }
    let sample_sql =
        format!("SELECT \"pk\" FROM {table} WHERE {predicate} ORDER BY \"pk\" LIMIT 5");
    let mut stmt = conn
        .prepare(&sample_sql)
        .map_err(|e| sql_error(&sample_sql, e))?;
    let pks = stmt
        .query_map([], |r| r.get::<_, i64>(0))
        .and_then(Iterator::collect)
        .map_err(|e| sql_error(&sample_sql, e))?;
    Ok((rows.unsigned_abs(), pks))
}

fn check_rows(
    conn: &Connection,
    meta: &TableMeta,
    source: &str,
    column: &str,
    predicate: &str,
    reason: impl FnOnce(u64) -> String,
) -> Result<()> {
    let (rows, sample_pks) = offending(conn, source, predicate)?;
    if rows == 0 {
        return Ok(());
    }
    Err(Error::MigrationRefused {
        table: meta.table_name.to_owned(),
        column: column.to_owned(),
        reason: reason(rows),
        rows,
        sample_pks,
    })
}

/// A predicate true for the values of `col` that convert to `to` exactly
/// (see [`super::convert`]).
fn converts(col: &str, to: SqlType) -> String {
    format!("sqliter_converts({col}, '{}')", to.keyword())
}

/// Plan the migration of `meta`'s table, refusing what would lose data
/// without the matching opt-in.
pub fn plan(
    conn: &Connection,
    meta: &'static TableMeta,
    options: MigrateOptions,
) -> Result<MigrationPlan> {
    plan_with(conn, meta, options, true)
}

/// [`plan`]; `precheck` false leaves the type conversions' check to the
/// copy itself (one pass over the table instead of two), as `apply` does.
fn plan_with(
    conn: &Connection,
    meta: &'static TableMeta,
    options: MigrateOptions,
    precheck: bool,
) -> Result<MigrationPlan> {
    let diff = diff(conn, meta)?;
    for change in &diff.changes {
        if let Change::AddColumn { column } = change {
            let c = column_meta(meta, column);
            if let Some(old) = c.renamed_from {
                return Err(refused(
                    meta,
                    c.column,
                    format!(
                        "field `{}` is `renamed_from = \"{old}\"`, but the file has neither '{old}' nor '{}'; \
                         fix the attribute, or remove it to add the column",
                        c.field, c.column
                    ),
                ));
            }
        }
    }
    let needs_rebuild = diff.changes.iter().any(|change| match change {
        Change::AddColumn { column } => {
            let c = column_meta(meta, column);
            c.unique || c.foreign_key.is_some()
        }
        other => !other.is_additive(),
    });
    let mut statements = Vec::new();
    let mut guards = Vec::new();
    if diff.changes.contains(&Change::CreateTable) {
        statements.push(create_table_named(meta, meta.table_name, false));
        statements.extend(model_indexes(meta).into_iter().map(|i| i.sql));
    } else if needs_rebuild {
        rebuild(
            conn,
            meta,
            &diff,
            options,
            precheck,
            &mut statements,
            &mut guards,
        )?;
    } else {
        in_place(conn, meta, &diff, &mut statements)?;
    }
    for change in &diff.changes {
        if let Change::CreateJunction { table } = change {
            if let Some(relation) = meta
                .many_to_many
                .iter()
                .find(|r| r.junction_table() == *table)
            {
                statements.extend(relation.create_sqls());
            }
        }
    }
    Ok(MigrationPlan {
        diff,
        statements,
        rebuild: needs_rebuild,
        meta,
        options,
        guards,
    })
}

fn column_meta(meta: &'static TableMeta, column: &str) -> &'static ColumnMeta {
    meta.columns
        .iter()
        .find(|c| c.column == column)
        .unwrap_or(&meta.columns[0])
}

/// Additive changes, in place.
fn in_place(
    conn: &Connection,
    meta: &'static TableMeta,
    diff: &SchemaDiff,
    statements: &mut Vec<String>,
) -> Result<()> {
    let table = quote_ident(meta.table_name);
    for change in &diff.changes {
        match change {
            Change::RenameTable { from } => statements.push(format!(
                "ALTER TABLE {} RENAME TO {table}",
                quote_ident(from)
            )),
            Change::RenameColumn { from, to } => statements.push(format!(
                "ALTER TABLE {table} RENAME COLUMN {} TO {}",
                quote_ident(from),
                quote_ident(to)
            )),
            Change::AddColumn { column } => {
                let c = column_meta(meta, column);
                let mut sql = format!(
                    "ALTER TABLE {table} ADD COLUMN {} {}",
                    quote_ident(c.column),
                    c.sql_type.keyword()
                );
                let default = default_literal(meta, c)?;
                let required = c.kind == ColumnKind::Data && !c.nullable;
                let clause = match (default, required) {
                    (Some(literal), true) => format!(" NOT NULL DEFAULT {literal}"),
                    (Some(literal), false) => format!(" DEFAULT {literal}"),
                    (None, true) => {
                        let (rows, _) = offending(conn, &diff.file_table, "1")?;
                        if rows > 0 {
                            return Err(missing_default(meta, c, rows));
                        }
                        // An empty table: NOT NULL needs a default all the
                        // same in ALTER TABLE; the type's zero never reaches
                        // a row.
                        format!(" NOT NULL DEFAULT {}", zero(c.sql_type))
                    }
                    (None, false) => String::new(),
                };
                sql.push_str(&clause);
                statements.push(sql);
            }
            Change::AddIndex { name } => {
                if let Some(index) = model_indexes(meta).into_iter().find(|i| &i.name == name) {
                    statements.push(index.sql);
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn zero(sql_type: SqlType) -> &'static str {
    match sql_type {
        SqlType::Integer => "0",
        SqlType::Real => "0.0",
        SqlType::Text => "''",
        SqlType::Blob => "X''",
    }
}

fn missing_default(meta: &TableMeta, column: &ColumnMeta, rows: u64) -> Error {
    Error::MigrationRefused {
        table: meta.table_name.to_owned(),
        column: column.column.to_owned(),
        reason: format!(
            "a new NOT NULL column needs a value for the {rows} existing rows: add \
             `#[sqliter(default = ...)]` to field `{}`, or make it an `Option`",
            column.field
        ),
        rows,
        sample_pks: Vec::new(),
    }
}

/// What the rebuild's `INSERT ... SELECT` puts in column `c`: the old
/// column (`from`), converted when its type changed and filled from the
/// default where the model is stricter, or the default for a new column;
/// refusing what would lose data without an opt-in.
fn copy_expr(
    conn: &Connection,
    meta: &'static TableMeta,
    diff: &SchemaDiff,
    options: MigrateOptions,
    from: Option<&str>,
    c: &'static ColumnMeta,
    guards: &mut Vec<Guard>,
) -> Result<String> {
    let source = diff.file_table.as_str();
    let default = default_literal(meta, c)?;
    let required = c.kind == ColumnKind::Data && !c.nullable;
    let Some(from) = from else {
        return Ok(match (default, required) {
            (Some(literal), _) => literal,
            (None, false) => "NULL".to_owned(),
            (None, true) => {
                let (rows, _) = offending(conn, source, "1")?;
                if rows > 0 {
                    return Err(missing_default(meta, c, rows));
                }
                zero(c.sql_type).to_owned()
            }
        });
    };
    let col = quote_ident(from);
    let changed = c.kind != ColumnKind::PrimaryKey
        && diff
            .changes
            .iter()
            .any(|ch| matches!(ch, Change::ChangeType { column, .. } if *column == c.column));
    if changed && !options.allow_lossy {
        guards.push(Guard {
            source: source.to_owned(),
            column: c.column,
            predicate: converts(&col, c.sql_type),
            to: c.sql_type,
        });
    }
    let converted = if changed && !options.allow_lossy {
        // Exact or the statement fails; the CAST only renders numbers as
        // text for a TEXT column.
        format!(
            "CAST(sqliter_exact({col}, '{ty}') AS {ty})",
            ty = c.sql_type.keyword()
        )
    } else if changed {
        format!("CAST({col} AS {})", c.sql_type.keyword())
    } else {
        col.clone()
    };
    Ok(match (default, required) {
        (Some(literal), true) => format!("coalesce({converted}, {literal})"),
        (None, true) => {
            check_rows(
                conn,
                meta,
                source,
                c.column,
                &format!("{col} IS NULL"),
                |rows| {
                    format!(
                    "{rows} rows hold NULL, which the model's NOT NULL field `{}` cannot take; \
                     fill them first, or add `#[sqliter(default = ...)]`",
                    c.field
                )
                },
            )?;
            converted
        }
        _ => converted,
    })
}

/// SQLite's table-rebuild procedure.
fn rebuild(
    conn: &Connection,
    meta: &'static TableMeta,
    diff: &SchemaDiff,
    options: MigrateOptions,
    precheck: bool,
    statements: &mut Vec<String>,
    guards: &mut Vec<Guard>,
) -> Result<()> {
    let source = diff.file_table.as_str();
    let file = crate::schema::shape::file_columns(conn, source)?;
    let mut targets = Vec::new();
    let mut exprs = Vec::new();
    for c in meta.columns {
        let from = if file.iter().any(|f| f.name == c.column) {
            Some(c.column)
        } else {
            c.renamed_from
                .filter(|old| file.iter().any(|f| f.name == *old))
        };
        targets.push(quote_ident(c.column));
        exprs.push(copy_expr(conn, meta, diff, options, from, c, guards)?);
    }
    if precheck {
        for guard in guards.iter() {
            guard.refusal(conn, meta)?;
        }
    }
    for change in &diff.changes {
        if let Change::DropColumn { column } = change {
            if !options.allow_drop {
                let col = quote_ident(column);
                check_rows(
                    conn,
                    meta,
                    source,
                    column,
                    &format!("{col} IS NOT NULL"),
                    |rows| {
                        format!(
                        "the model no longer has this column, and {rows} rows hold values in it; \
                         opt in with MigrateOptions::allow_drop, or add `renamed_from = \"{column}\"` to the field it became"
                    )
                    },
                )?;
            }
        }
    }
    let triggers = triggers_of(conn, source)?;
    let new = format!("sqliter_new_{}", meta.table_name);
    let table = quote_ident(meta.table_name);
    statements.push(create_table_named(meta, &new, false));
    statements.push(format!(
        "INSERT INTO {} ({}) SELECT {} FROM {}",
        quote_ident(&new),
        targets.join(", "),
        exprs.join(", "),
        quote_ident(source)
    ));
    // Keep AUTOINCREMENT's high-water mark: pks of deleted rows stay used.
    statements.push(format!(
        "UPDATE sqlite_sequence SET seq = max(seq, coalesce((SELECT seq FROM sqlite_sequence WHERE name = {}), 0)) WHERE name = {}",
        text_literal(source),
        text_literal(&new)
    ));
    statements.push(format!("DROP TABLE {}", quote_ident(source)));
    statements.push(format!(
        "ALTER TABLE {} RENAME TO {table}",
        quote_ident(&new)
    ));
    statements.extend(model_indexes(meta).into_iter().map(|i| i.sql));
    statements.extend(triggers);
    Ok(())
}

/// The `CREATE TRIGGER` texts of `table`, to recreate after a rebuild.
fn triggers_of(conn: &Connection, table: &str) -> Result<Vec<String>> {
    const SQL: &str =
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? AND sql IS NOT NULL";
    let mut stmt = conn.prepare_cached(SQL).map_err(|e| sql_error(SQL, e))?;
    stmt.query_map([table], |r| r.get::<_, String>(0))
        .and_then(Iterator::collect)
        .map_err(|e| sql_error(SQL, e))
}

/// Compute the plan again inside `BEGIN IMMEDIATE` (so two processes
/// migrating one file at once apply it once) and run it. With `expected`,
/// refuse if the file changed since that plan was printed.
pub(crate) fn apply(
    session: &Session<'_>,
    meta: &'static TableMeta,
    options: MigrateOptions,
    expected: Option<&MigrationPlan>,
) -> Result<MigrationPlan> {
    if !session.conn.is_autocommit() {
        return Err(Error::Transaction(
            "a migration runs in its own transaction: commit or finish the open one first".into(),
        ));
    }
    // Foreign-key enforcement cannot change inside a transaction, and a
    // rebuild needs it off: switch it first, then lock and re-plan.
    let run = |sql: &str| session.execute_batch(sql).map_err(|e| sql_error(sql, e));
    run("PRAGMA foreign_keys = OFF")?;
    let result = (|| {
        run("BEGIN IMMEDIATE")?;
        let outcome = (|| {
            let plan = plan_with(session.conn, meta, options, false)?;
            if let Some(expected) = expected {
                if expected.statements != plan.statements {
                    return Err(Error::Transaction(format!(
                        "the file changed since the plan for '{}' was made; plan again",
                        meta.table_name
                    )));
                }
            }
            for sql in &plan.statements {
                if let Err(e) = run(sql) {
                    // The copy stops at a value that would not convert.
                    return if plan.guards.is_empty() {
                        Err(e)
                    } else {
                        Ok(Err((plan.guards, e)))
                    };
                }
            }
            if plan.rebuild {
                check_foreign_keys(session.conn, meta)?;
            }
            Ok(Ok(plan))
        })();
        match outcome {
            Ok(Ok(plan)) => {
                run("COMMIT")?;
                Ok(plan)
            }
            Ok(Err((guards, error))) => {
                // Undo, then report the rows that would not convert from the
                // table as it is again (or the error, if none explains it).
                let _ = session.execute_batch("ROLLBACK");
                for guard in &guards {
                    guard.refusal(session.conn, meta)?;
                }
                Err(error)
            }
            Err(e) => {
                let _ = session.execute_batch("ROLLBACK");
                Err(e)
            }
        }
    })();
    run("PRAGMA foreign_keys = ON")?;
    let plan = result?;
    if !plan.is_empty() {
        session.settings.shapes.forget(meta.table_name);
        session.schema_changed(Some(meta.table_name));
    }
    Ok(plan)
}

fn check_foreign_keys(conn: &Connection, meta: &TableMeta) -> Result<()> {
    const SQL: &str = "PRAGMA foreign_key_check";
    let mut stmt = conn.prepare(SQL).map_err(|e| sql_error(SQL, e))?;
    let broken: Vec<(String, Option<i64>)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .and_then(Iterator::collect)
        .map_err(|e| sql_error(SQL, e))?;
    if broken.is_empty() {
        return Ok(());
    }
    Err(Error::MigrationRefused {
        table: meta.table_name.to_owned(),
        column: String::new(),
        reason: format!(
            "the migrated rows break {} foreign key(s) (first in table '{}'); nothing was changed",
            broken.len(),
            broken[0].0
        ),
        rows: broken.len() as u64,
        sample_pks: broken.iter().filter_map(|(_, pk)| *pk).take(5).collect(),
    })
}
