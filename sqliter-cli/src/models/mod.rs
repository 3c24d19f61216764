//! `sqliter models`: plan one `#[derive(DbModel)]` struct per table that
//! the derive can model, then write them out ([`emit`]).

mod emit;
mod names;
mod pickle;
mod sample;
mod types;

use std::collections::{HashMap, HashSet};

use crate::cli::ModelsArgs;
use crate::error::CliError;
use crate::file::ReadOnlyFile;
use crate::schema::{self, Classification, Table};
use types::{FieldType, Inference};

/// The generated source, and one line per table left out.
#[derive(Debug)]
pub struct Generated {
    /// Rust source, formatted.
    pub source: String,
    /// `table 'x': why`, for stderr.
    pub skipped: Vec<String>,
}

/// Which front door the models are for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Door {
    /// `sqliter-core`: `ForeignKey`, `ManyToMany`.
    Sync,
    /// `sqliter-async`: `AsyncForeignKey`, `AsyncManyToMany`.
    Async,
}

/// One struct to generate.
#[derive(Debug)]
pub struct ModelPlan {
    table: String,
    struct_name: String,
    /// The derive's default name differs from the table's.
    table_name_attr: bool,
    fields: Vec<FieldPlan>,
    /// Notes above the struct (columns left out, ...).
    notes: Vec<String>,
    indexes: Vec<Vec<String>>,
    unique_indexes: Vec<Vec<String>>,
}

/// One field.
#[derive(Debug)]
pub struct FieldPlan {
    name: String,
    kind: FieldKind,
    notes: Vec<String>,
}

/// How a field is stored.
#[derive(Debug)]
pub enum FieldKind {
    /// `pk`, `created_at`, `updated_at`: `i64`.
    Reserved,
    /// A column of its own.
    Column {
        /// Its type.
        ty: FieldType,
        /// Inline `UNIQUE`.
        unique: bool,
        /// `#[sqliter(pickle)]` with this Rust type (instead of `ty`'s
        /// scalar), for Python SQLiter's pickled plain data.
        pickled: Option<String>,
    },
    /// `ForeignKey<T>` / `AsyncForeignKey<T>`.
    ForeignKey {
        /// The referenced struct.
        target: String,
        /// The column allows `NULL`.
        null: bool,
        on_delete: Option<String>,
        on_update: Option<String>,
        /// Filled in once every struct is planned.
        related_name: String,
        /// When the column is not `<field>_id`.
        db_column: Option<String>,
        unique: bool,
    },
    /// `ManyToMany<T>` / `AsyncManyToMany<T>`.
    ManyToMany {
        /// The other struct (`Self` for a self-reference).
        target: String,
        related_name: String,
        /// When the junction's name is not the default one.
        through: Option<String>,
    },
}

/// Why the derive cannot model `table`, if it cannot.
fn unmodellable(table: &Table) -> Option<String> {
    let key = table.primary_key.join(", ");
    Some(if table.is_virtual {
        "a virtual table: its module, not SQLite, stores the rows".to_owned()
    } else if !names::is_sql_identifier(&table.name) {
        "its name is not one the derive accepts (letters, digits and underscores, not starting with a digit)".to_owned()
    } else if table.without_rowid {
        "declared WITHOUT ROWID; a DbModel table is a rowid table keyed by `pk INTEGER PRIMARY KEY`"
            .to_owned()
    } else if table.primary_key.len() > 1 {
        format!(
            "composite primary key ({key}); a DbModel has the single key `pk INTEGER PRIMARY KEY`"
        )
    } else if table.primary_key.is_empty() {
        "no primary key; a DbModel needs `pk INTEGER PRIMARY KEY`".to_owned()
    } else if table.integer_pk().is_none() {
        format!("its primary key `{key}` is not an INTEGER PRIMARY KEY (the rowid); a DbModel needs `pk INTEGER PRIMARY KEY`")
    } else if key != "pk" {
        format!("its primary key column is `{key}`; the derive's key column is always named `pk`")
    } else if table.classification != Classification::Sqliter {
        "no INTEGER `created_at` and `updated_at` columns; every DbModel table has both".to_owned()
    } else {
        return None;
    })
}

/// A foreign-key action as the derive takes it: `None` for its default
/// (`RESTRICT`) or an action it cannot express, with a note for the latter.
fn action(file: &str, nullable: bool, which: &str, notes: &mut Vec<String>) -> Option<String> {
    let upper = file.to_ascii_uppercase();
    match upper.as_str() {
        "RESTRICT" => None,
        "CASCADE" | "NO ACTION" => Some(upper),
        "SET NULL" if nullable => Some(upper),
        "SET NULL" => {
            notes.push(format!(
                "the file's {which} SET NULL is left out: the column is NOT NULL, and the derive takes SET NULL on a nullable key only (RESTRICT is used)"
            ));
            None
        }
        _ => {
            notes.push(format!(
                "the file's {which} {upper} is left out: the derive takes CASCADE, SET NULL, RESTRICT or NO ACTION (RESTRICT is used)"
            ));
            None
        }
    }
}

/// Per table being generated: its struct name.
type StructNames = HashMap<String, String>;

/// The `ForeignKey<T>` field for `column`, or why it stays a plain column.
fn foreign_key_field(
    table: &Table,
    column: &schema::Column,
    fk: &schema::ForeignKey,
    structs: &StructNames,
    fields: &[FieldPlan],
    unique: bool,
) -> Result<FieldPlan, String> {
    let name = column.name.as_str();
    let target = structs.get(&fk.references);
    let to = fk.referenced_columns[0].as_deref().unwrap_or("pk");
    let integer =
        sqliter_core::Affinity::of(&column.declared_type).holds(sqliter_core::SqlType::Integer);
    let why = match target {
        None => Some("which is not generated"),
        Some(_) if to != "pk" => Some("not its `pk`"),
        Some(_) if !integer => Some("from a column that does not hold integers"),
        Some(_) => None,
    };
    if let Some(why) = why {
        return Err(format!(
            "references {}({to}), {why}: a plain column, not a ForeignKey",
            fk.references
        ));
    }
    let stem = name.strip_suffix("_id").filter(|s| {
        names::is_field_name(s) && table.column(s).is_none() && fields.iter().all(|f| f.name != *s)
    });
    let field = stem.unwrap_or(name).to_owned();
    let db_column = (format!("{field}_id") != name).then(|| name.to_owned());
    let null = column.nullable;
    let mut notes = Vec::new();
    let on_delete = action(&fk.on_delete, null, "ON DELETE", &mut notes);
    let on_update = action(&fk.on_update, null, "ON UPDATE", &mut notes);
    Ok(FieldPlan {
        name: field,
        kind: FieldKind::ForeignKey {
            target: target.cloned().unwrap_or_default(),
            null,
            on_delete,
            on_update,
            related_name: String::new(),
            db_column,
            unique,
        },
        notes,
    })
}

/// The fields of `table`'s struct.
fn plan_fields(
    table: &Table,
    samples: &[sample::ColumnSample],
    structs: &StructNames,
    notes: &mut Vec<String>,
) -> Vec<FieldPlan> {
    let mut fields: Vec<FieldPlan> = Vec::new();
    for (index, column) in table.columns.iter().enumerate() {
        let name = column.name.as_str();
        if ["pk", "created_at", "updated_at"].contains(&name) {
            if name != "pk" && table.has_nulls(name) {
                notes.push(format!(
                    "`{name}` holds NULL in some rows: reading those fails (the field is an i64, as every model's)"
                ));
            }
            fields.push(FieldPlan {
                name: name.to_owned(),
                kind: FieldKind::Reserved,
                notes: Vec::new(),
            });
            continue;
        }
        let values = table.non_null.get(index).copied().unwrap_or(1);
        if name == "db_context" && values == 0 {
            notes.push(
                "column `db_context` left out: Python SQLiter's ORM bookkeeping, always NULL"
                    .to_owned(),
            );
            continue;
        }
        if !names::is_field_name(name) {
            notes.push(format!(
                "column `{name}` left out: its name is not a Rust field name"
            ));
            continue;
        }
        let mut field_notes = Vec::new();
        let unique = table.indexes.iter().any(|i| {
            i.origin == "unique_constraint"
                && i.columns.len() == 1
                && i.columns[0].as_deref() == Some(name)
        });
        if let Some(fk) = table.single_foreign_key(name) {
            match foreign_key_field(table, column, fk, structs, &fields, unique) {
                Ok(field) => {
                    fields.push(field);
                    continue;
                }
                Err(note) => field_notes.push(note),
            }
        } else if let Some(fk) = table
            .foreign_keys
            .iter()
            .find(|k| k.columns.len() > 1 && k.columns.iter().any(|c| c == name))
        {
            field_notes.push(format!(
                "part of the composite foreign key ({}) -> {}: a plain column",
                fk.columns.join(", "),
                fk.references
            ));
        }
        let sample = samples.get(index).cloned().unwrap_or_default();
        let sqliter = table.classification == Classification::Sqliter;
        match types::infer(column, &sample, sqliter, table.has_nulls(name)) {
            Inference::Field { ty, note, pickled } => {
                field_notes.extend(note);
                fields.push(FieldPlan {
                    name: name.to_owned(),
                    kind: FieldKind::Column {
                        ty,
                        unique,
                        pickled,
                    },
                    notes: field_notes,
                });
            }
            Inference::LeftOut(reason) => {
                notes.push(format!("column `{name}` left out: it {reason}"));
            }
        }
    }
    fields
}

/// `indexes(..)` and `unique_indexes(..)` for the file's `CREATE INDEX`es
/// and multi-column `UNIQUE` constraints, by field name.
fn plan_indexes(table: &Table, plan: &mut ModelPlan) {
    let field_of = |column: &str| {
        plan.fields.iter().find_map(|f| match &f.kind {
            FieldKind::ForeignKey { db_column, .. } => {
                let col = db_column
                    .clone()
                    .unwrap_or_else(|| format!("{}_id", f.name));
                (col == column).then(|| (f.name.clone(), true))
            }
            FieldKind::ManyToMany { .. } => None,
            _ => (f.name == column).then(|| (f.name.clone(), false)),
        })
    };
    for index in &table.indexes {
        let single_constraint = index.origin == "unique_constraint" && index.columns.len() == 1;
        if index.origin == "primary_key" || single_constraint {
            continue;
        }
        if index.partial {
            plan.notes.push(format!(
                "index `{}` left out: a partial index (WHERE), which the derive cannot declare",
                index.name
            ));
            continue;
        }
        let mut fields = Vec::new();
        let mut foreign_key_only = index.columns.len() == 1;
        for column in &index.columns {
            match column.as_deref().and_then(field_of) {
                Some((field, is_fk)) => {
                    foreign_key_only &= is_fk;
                    fields.push(field);
                }
                None => {
                    plan.notes.push(format!(
                        "index `{}` left out: it covers an expression or a column left out",
                        index.name
                    ));
                    fields.clear();
                    break;
                }
            }
        }
        // The derive indexes every foreign-key column itself.
        if fields.is_empty() || (foreign_key_only && !index.unique) {
            continue;
        }
        let list = if index.unique {
            &mut plan.unique_indexes
        } else {
            &mut plan.indexes
        };
        if !list.contains(&fields) {
            list.push(fields);
        }
    }
}

/// The first of `candidates` (then numbered) that is a method name and
/// not in `used`; recorded in `used`.
fn unused_name(candidates: &[String], used: &mut HashSet<String>) -> String {
    let numbered = (2..).map(|n| format!("{}{n}", candidates[0]));
    let name = candidates
        .iter()
        .cloned()
        .chain(numbered)
        .find(|c| names::is_method_name(c) && !used.contains(c))
        .unwrap_or_default();
    used.insert(name.clone());
    name
}

/// Reverse accessor names for every foreign key (unique per target model,
/// never a field's name), then many-to-many fields for junction tables.
fn plan_relations(plans: &mut [ModelPlan], junctions: &[&Table]) {
    let mut used: HashMap<String, HashSet<String>> = plans
        .iter()
        .map(|p| {
            (
                p.struct_name.clone(),
                p.fields.iter().map(|f| f.name.clone()).collect(),
            )
        })
        .collect();
    for plan in plans.iter_mut() {
        let table = plan.table.clone();
        for field in &mut plan.fields {
            if let FieldKind::ForeignKey {
                target,
                related_name,
                ..
            } = &mut field.kind
            {
                let names = used.entry(target.clone()).or_default();
                *related_name = unused_name(
                    &[table.clone(), format!("{table}_by_{}", field.name)],
                    names,
                );
            }
        }
    }
    let struct_of = |table: &str, plans: &[ModelPlan]| plans.iter().position(|p| p.table == table);
    for junction in junctions {
        let Some(sides) = &junction.junction else {
            continue;
        };
        let (Some(a), Some(b)) = (
            struct_of(&sides.tables[0], plans),
            struct_of(&sides.tables[1], plans),
        ) else {
            continue;
        };
        // The table whose name sorts first declares the field.
        let (owner, target) = if plans[a].table <= plans[b].table {
            (a, b)
        } else {
            (b, a)
        };
        let (owner_table, target_table) = (plans[owner].table.clone(), plans[target].table.clone());
        let default_junction = format!("{owner_table}_{target_table}");
        let same_pair = junctions
            .iter()
            .filter(|j| {
                j.junction.as_ref().is_some_and(|s| {
                    let mut t = s.tables.clone();
                    t.sort();
                    t == [owner_table.clone(), target_table.clone()]
                })
            })
            .count();
        let through =
            (junction.name != default_junction || same_pair > 1).then(|| junction.name.clone());
        let owner_struct = plans[owner].struct_name.clone();
        let target_struct = plans[target].struct_name.clone();
        let self_reference = owner == target;
        let field = unused_name(
            &[target_table.clone(), junction.name.clone()],
            used.entry(owner_struct.clone()).or_default(),
        );
        let related_name = if self_reference {
            unused_name(
                &[format!("{field}_of"), format!("{}_reverse", junction.name)],
                used.entry(owner_struct.clone()).or_default(),
            )
        } else {
            unused_name(
                &[
                    owner_table.clone(),
                    format!("{owner_table}_via_{}", junction.name),
                ],
                used.entry(target_struct.clone()).or_default(),
            )
        };
        plans[owner].fields.push(FieldPlan {
            name: field,
            kind: FieldKind::ManyToMany {
                target: if self_reference {
                    "Self".to_owned()
                } else {
                    target_struct
                },
                related_name,
                through,
            },
            notes: vec![format!(
                "many-to-many through the junction table `{}`",
                junction.name
            )],
        });
    }
}

/// Plan and write the models.
pub fn run(db: &ReadOnlyFile, args: &ModelsArgs) -> Result<Generated, CliError> {
    let mut schema = schema::read(db)?;
    let known = |name: &String| {
        schema.tables.iter().any(|t| &t.name == name) || schema.views.contains(name)
    };
    if let Some(unknown) = args.tables.iter().find(|t| !known(t)) {
        let mut available: Vec<&str> = schema.tables.iter().map(|t| t.name.as_str()).collect();
        available.extend(schema.views.iter().map(String::as_str));
        return Err(CliError::UnknownTable {
            path: db.path.clone(),
            table: unknown.clone(),
            available: if available.is_empty() {
                "none".to_owned()
            } else {
                available.join(", ")
            },
        });
    }
    let named = |name: &str| args.tables.iter().any(|t| t == name);
    let selected = |name: &str| args.tables.is_empty() || named(name);
    let mut skipped: Vec<String> = schema
        .views
        .iter()
        .filter(|v| selected(v))
        .map(|v| format!("view '{v}': a view has no rows of its own; a DbModel needs a table"))
        .collect();
    let mut modelled = Vec::new();
    for (i, table) in schema.tables.iter().enumerate() {
        if !selected(&table.name) || table.junction.is_some() {
            continue;
        }
        match unmodellable(table) {
            Some(reason) => skipped.push(format!("table '{}': {reason}", table.name)),
            None => modelled.push(i),
        }
    }

    let bar = crate::progress::bar(modelled.len(), "sampling values");
    let mut samples = HashMap::new();
    for &i in &modelled {
        bar.set_message(schema.tables[i].name.clone());
        schema::count(db, &mut schema.tables[i])?;
        samples.insert(i, sample::sample(db, &schema.tables[i])?);
        bar.inc(1);
    }
    bar.finish_and_clear();

    let mut structs = StructNames::new();
    let mut taken: Vec<String> = Vec::new();
    let mut plans: Vec<ModelPlan> = Vec::new();
    for &i in &modelled {
        let (name, attr) = names::struct_name(&schema.tables[i].name, &taken);
        taken.push(name.clone());
        structs.insert(schema.tables[i].name.clone(), name.clone());
        plans.push(ModelPlan {
            table: schema.tables[i].name.clone(),
            struct_name: name,
            table_name_attr: attr,
            fields: Vec::new(),
            notes: Vec::new(),
            indexes: Vec::new(),
            unique_indexes: Vec::new(),
        });
    }
    for (plan, &i) in plans.iter_mut().zip(&modelled) {
        plan.fields = plan_fields(&schema.tables[i], &samples[&i], &structs, &mut plan.notes);
    }
    for (plan, &i) in plans.iter_mut().zip(&modelled) {
        plan_indexes(&schema.tables[i], plan);
    }
    let mut junctions = Vec::new();
    for table in &schema.tables {
        let Some(sides) = &table.junction else {
            continue;
        };
        let both = sides.tables.iter().all(|t| structs.contains_key(t));
        if both {
            junctions.push(table);
        } else if args.tables.is_empty() || named(&table.name) {
            skipped.push(format!(
                "junction table '{}': it links '{}' and '{}', which are not both generated",
                table.name, sides.tables[0], sides.tables[1]
            ));
        }
    }
    plan_relations(&mut plans, &junctions);
    let header = emit::Header {
        file: db.path.display().to_string(),
        door: if args.async_door {
            Door::Async
        } else {
            Door::Sync
        },
        skipped: skipped.clone(),
        junctions: junctions.iter().map(|j| j.name.clone()).collect(),
    };
    let source = emit::render(&header, &plans).map_err(|message| CliError::Generate {
        path: db.path.clone(),
        what: "the models".to_owned(),
        message,
    })?;
    Ok(Generated { source, skipped })
}
