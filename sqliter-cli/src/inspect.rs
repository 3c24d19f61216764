//! `sqliter inspect`: the file's tables for people (aligned text) or
//! scripts (JSON).

use std::fmt::Write as _;

use crate::cli::Format;
use crate::error::CliError;
use crate::file::ReadOnlyFile;
use crate::schema::{self, Classification, FileSchema, Table};

/// Read, count and render the file.
pub fn run(db: &ReadOnlyFile, format: Format) -> Result<String, CliError> {
    let mut schema = schema::read(db)?;
    schema::count_all(db, schema.tables.iter_mut())?;
    Ok(match format {
        Format::Json => {
            let mut json = serde_json::to_string_pretty(&schema)
                .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
            json.push('\n');
            json
        }
        Format::Table => render(&schema),
    })
}

fn describe(table: &Table) -> String {
    let kind = match (table.classification, &table.junction) {
        (Classification::SqliterJunction, Some(j)) => {
            format!("SQLiter junction of {} and {}", j.tables[0], j.tables[1])
        }
        (Classification::Sqliter, _) => "SQLiter table".to_owned(),
        _ => "foreign table".to_owned(),
    };
    let mut extra = String::new();
    for (flag, word) in [
        (table.without_rowid, ", WITHOUT ROWID"),
        (table.strict, ", STRICT"),
        (table.is_virtual, ", virtual"),
    ] {
        if flag {
            extra.push_str(word);
        }
    }
    let rows = match table.rows {
        Some(1) => ", 1 row".to_owned(),
        Some(n) => format!(", {n} rows"),
        None => String::new(),
    };
    format!("{} ({kind}{extra}{rows})", table.name)
}

/// Left-aligned columns, two spaces apart.
fn aligned(rows: &[Vec<String>], out: &mut String) {
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    for row in rows {
        let mut line = String::from("  ");
        for (cell, width) in row.iter().zip(&widths) {
            let _ = write!(line, "{cell:<width$}  ");
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
}

fn yes(flag: bool) -> String {
    if flag { "yes" } else { "" }.to_owned()
}

fn render_table(table: &Table, out: &mut String) {
    out.push_str(&describe(table));
    out.push('\n');
    let mut rows = vec![["column", "type", "null", "default", "unique", "pk"]
        .map(str::to_owned)
        .to_vec()];
    for c in &table.columns {
        rows.push(vec![
            c.name.clone(),
            c.declared_type.clone(),
            yes(c.nullable),
            c.default.clone().unwrap_or_default(),
            yes(c.unique),
            yes(c.primary_key),
        ]);
    }
    aligned(&rows, out);
    if table.primary_key.len() > 1 {
        let _ = writeln!(out, "  primary key ({})", table.primary_key.join(", "));
    }
    for fk in &table.foreign_keys {
        let to: Vec<&str> = fk
            .referenced_columns
            .iter()
            .map(|c| c.as_deref().unwrap_or("<pk>"))
            .collect();
        let _ = writeln!(
            out,
            "  foreign key ({}) -> {}({}) ON DELETE {} ON UPDATE {}",
            fk.columns.join(", "),
            fk.references,
            to.join(", "),
            fk.on_delete,
            fk.on_update
        );
    }
    for index in &table.indexes {
        let columns: Vec<&str> = index
            .columns
            .iter()
            .map(|c| c.as_deref().unwrap_or("<expr>"))
            .collect();
        let _ = writeln!(
            out,
            "  {}index {} ({}){}",
            if index.unique { "unique " } else { "" },
            index.name,
            columns.join(", "),
            if index.partial { " WHERE ..." } else { "" }
        );
    }
}

fn render(schema: &FileSchema) -> String {
    let mut out = String::new();
    for table in &schema.tables {
        render_table(table, &mut out);
        out.push('\n');
    }
    for view in &schema.views {
        let _ = writeln!(out, "{view} (view)");
    }
    if schema.tables.is_empty() && schema.views.is_empty() {
        out.push_str("no tables\n");
    }
    out
}
