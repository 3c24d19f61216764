//! Cross-field rules: the pk, reserved names, indexes, table name, foreign
//! keys and many-to-many options.

use std::collections::HashSet;

use quote::ToTokens;

use crate::ast::{is_ident, FieldKind, Model, Reserved};
use crate::attr::ReferentialAction;
use crate::ctxt::Ctxt;

fn valid_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

pub fn check(cx: &Ctxt, model: &Model<'_>) {
    check_reserved(cx, model);
    check_table_name(cx, model);
    check_indexes(cx, model);
    check_fields(cx, model);
    check_columns_unique(cx, model);
    check_evolution(cx, model);
    check_plural(cx, model);
}

/// `plural` names the table and the default reverse names: given with a
/// `table_name` and only named relations, it would change nothing, which
/// is reported rather than ignored.
fn check_plural(cx: &Ctxt, model: &Model<'_>) {
    let Some(tokens) = model.attrs.plural.tokens() else {
        return;
    };
    let default_reverse_name = model.fields.iter().any(|f| {
        let unnamed = f.attrs.related_name.get().is_none();
        match f.kind {
            FieldKind::OrmForeignKey { .. } => unnamed,
            FieldKind::ManyToMany { .. } => unnamed && f.attrs.symmetrical.get().is_none(),
            _ => false,
        }
    });
    if model.attrs.table_name.get().is_some() && !default_reverse_name {
        cx.error_spanned_by(
            tokens,
            "`plural` has no effect here: the table is named by `table_name` and every relation has a `related_name`; remove one of them",
        );
    }
}

/// `default` and `renamed_from`, the schema-evolution attributes: only on
/// fields with a column of their own, and a rename must name a column the
/// model no longer has, claimed by one field only.
fn check_evolution(cx: &Ctxt, model: &Model<'_>) {
    if let Some(lit) = model.attrs.renamed_from.get() {
        if !valid_identifier(&lit.value()) {
            cx.error_spanned_by(lit, "`renamed_from` must be a valid table name");
        }
    }
    let columns: HashSet<String> = model
        .fields
        .iter()
        .filter(|f| !matches!(f.kind, FieldKind::ManyToMany { .. }))
        .map(crate::ast::Field::column)
        .collect();
    let mut claimed = HashSet::new();
    for field in &model.fields {
        let attrs = &field.attrs;
        let plain_column = matches!(field.kind, FieldKind::Column(_));
        if !plain_column {
            for (tokens, name) in [
                (attrs.default.tokens(), "default"),
                (attrs.renamed_from.tokens(), "renamed_from"),
            ] {
                if let Some(tokens) = tokens {
                    cx.error_spanned_by(
                        tokens,
                        format!("`{name}` applies to fields stored in a column of their own, not to `{}`", field.name),
                    );
                }
            }
            continue;
        }
        let Some(lit) = attrs.renamed_from.get() else {
            continue;
        };
        let old = lit.value();
        if !valid_identifier(&old) {
            cx.error_spanned_by(lit, "`renamed_from` must be a valid column name");
        } else if columns.contains(&old) {
            cx.error_spanned_by(
                lit,
                format!("`renamed_from = {old:?}`: the model still has a column `{old}`; a rename names the old column, which no field keeps"),
            );
        } else if !claimed.insert(old.clone()) {
            cx.error_spanned_by(
                lit,
                format!("two fields claim `renamed_from = {old:?}`; one old column can become one field only"),
            );
        }
    }
}

fn check_reserved(cx: &Ctxt, model: &Model<'_>) {
    if model.reserved(Reserved::Pk).is_none() {
        cx.error_spanned_by(
            model.ident,
            "a model needs a `pk: i64` field (0 until the record is stored)",
        );
    }
    for field in &model.fields {
        let FieldKind::Reserved(_) = field.kind else {
            continue;
        };
        if !is_ident(field.ty, "i64") {
            cx.error_spanned_by(
                field.ty,
                format!(
                    "`{}` is a reserved column and must be declared as `i64`",
                    field.name
                ),
            );
        }
        let attrs = &field.attrs;
        for tokens in [
            attrs.unique.tokens(),
            attrs.json.tokens(),
            attrs.pickle.tokens(),
            attrs.foreign_key.tokens(),
            attrs.db_column.tokens(),
        ]
        .into_iter()
        .flatten()
        {
            cx.error_spanned_by(
                tokens,
                format!(
                    "`{}` is a reserved column; sqliter attributes cannot change it",
                    field.name
                ),
            );
        }
    }
}

fn check_table_name(cx: &Ctxt, model: &Model<'_>) {
    if let Some(lit) = model.attrs.table_name.get() {
        if !valid_identifier(&lit.value()) {
            cx.error_spanned_by(
                lit,
                format!(
                    "invalid table name {:?}: it must start with a letter or underscore and contain only letters, digits and underscores",
                    lit.value()
                ),
            );
        }
    }
}

fn check_indexes(cx: &Ctxt, model: &Model<'_>) {
    let lists = [model.attrs.indexes.get(), model.attrs.unique_indexes.get()];
    for spec in lists.into_iter().flatten().flatten() {
        if spec.fields.is_empty() {
            cx.error_spanned_by(
                model.attrs.indexes.tokens().into_token_stream(),
                "an index needs at least one field",
            );
        }
        for ident in &spec.fields {
            let name = ident.to_string();
            match model.field(name.trim_start_matches("r#")) {
                Some(f) if matches!(f.kind, FieldKind::ManyToMany { .. }) => cx.error_spanned_by(
                    ident,
                    format!("cannot index `{name}`: a many-to-many field has no column"),
                ),
                Some(_) => {}
                None => cx.error_spanned_by(
                    ident,
                    format!("cannot index `{name}`: the model has no field with that name"),
                ),
            }
        }
    }
}

fn check_fields(cx: &Ctxt, model: &Model<'_>) {
    let mut related_names = HashSet::new();
    for field in &model.fields {
        let attrs = &field.attrs;
        let is_fk = attrs.foreign_key.get().is_some()
            || matches!(field.kind, FieldKind::OrmForeignKey { .. });
        let is_m2m = matches!(field.kind, FieldKind::ManyToMany { .. });

        if !is_fk {
            for (tokens, name) in [
                (attrs.on_delete.tokens(), "on_delete"),
                (attrs.on_update.tokens(), "on_update"),
                (attrs.null.tokens(), "null"),
                (attrs.db_column.tokens(), "db_column"),
            ] {
                if let Some(tokens) = tokens {
                    cx.error_spanned_by(
                        tokens,
                        format!("`{name}` applies to foreign keys only; add `foreign_key = Model` or remove it"),
                    );
                }
            }
        }
        if !is_m2m {
            for (tokens, name) in [
                (attrs.through.tokens(), "through"),
                (attrs.symmetrical.tokens(), "symmetrical"),
            ] {
                if let Some(tokens) = tokens {
                    cx.error_spanned_by(
                        tokens,
                        format!("`{name}` applies to many-to-many fields only"),
                    );
                }
            }
        }
        if !is_fk && !is_m2m {
            if let Some(tokens) = attrs.related_name.tokens() {
                cx.error_spanned_by(
                    tokens,
                    "`related_name` applies to foreign keys and many-to-many fields only",
                );
            }
        }
        if is_fk {
            check_foreign_key(cx, field);
        }
        if let Some(inner) = crate::ast::generic_arg(field.ty, &["Option"]) {
            if crate::ast::generic_arg(inner, &["ForeignKey", "AsyncForeignKey"]).is_some() {
                cx.error_spanned_by(
                    field.ty,
                    "a nullable `ForeignKey` is declared with `#[sqliter(null)]`, not `Option<ForeignKey<..>>`: it then holds no id, and `fetch()` returns `None`",
                );
            }
        }
        if let (Some(lit), Some(target)) = (attrs.related_name.get(), relation_target(field)) {
            if !valid_identifier(&lit.value()) {
                cx.error_spanned_by(lit, "`related_name` must be a valid identifier");
            }
            if !related_names.insert((target, lit.value())) {
                cx.error_spanned_by(
                    lit,
                    format!(
                        "two relations to the same model claim related_name {:?}",
                        lit.value()
                    ),
                );
            }
        }
        if let (FieldKind::ManyToMany { target }, Some(tokens)) =
            (&field.kind, attrs.symmetrical.tokens())
        {
            let self_ref = crate::ast::is_ident(target, "Self")
                || crate::ast::is_ident(target, &model.ident.to_string());
            if !self_ref {
                cx.error_spanned_by(
                    tokens,
                    "`symmetrical` applies to a many-to-many field to the model itself, e.g. `friends: ManyToMany<Self>`",
                );
            } else if let Some(lit) = attrs.related_name.get() {
                cx.error_spanned_by(
                    lit,
                    "a symmetrical relation has no reverse accessor: both sides use the field itself; remove `related_name`",
                );
            }
        }
        if let Some(lit) = attrs.through.get() {
            if !valid_identifier(&lit.value()) {
                cx.error_spanned_by(lit, "`through` must be a valid table name");
            }
        }
        if attrs.json.get().is_some() && is_fk {
            cx.error_spanned_by(
                attrs.json.tokens(),
                "a foreign key cannot be stored as JSON",
            );
        }
        check_pickle(cx, attrs, is_fk || is_m2m);
    }
}

/// `pickle`: on a serde value, and not together with `json`.
fn check_pickle(cx: &Ctxt, attrs: &crate::attr::FieldAttrs, relation: bool) {
    let Some(tokens) = attrs.pickle.tokens() else {
        return;
    };
    if relation {
        cx.error_spanned_by(
            tokens,
            "a relation cannot be stored as a pickle; `pickle` applies to serde values (lists, maps, sets, tuples)",
        );
    } else if attrs.json.get().is_some() {
        cx.error_spanned_by(
            tokens,
            "a field is stored as JSON or as a pickle, not both; remove `json` or `pickle`",
        );
    }
}

fn relation_target(field: &crate::ast::Field<'_>) -> Option<String> {
    match &field.kind {
        FieldKind::OrmForeignKey { target } | FieldKind::ManyToMany { target } => {
            Some(target.to_token_stream().to_string())
        }
        _ => field
            .attrs
            .foreign_key
            .get()
            .map(|p| p.to_token_stream().to_string()),
    }
}

fn check_foreign_key(cx: &Ctxt, field: &crate::ast::Field<'_>) {
    let attrs = &field.attrs;
    let optional = crate::ast::generic_arg(field.ty, &["Option"]).is_some();
    if let FieldKind::OrmForeignKey { target } = field.kind {
        if crate::ast::generic_arg(target, &["Option"]).is_some() {
            cx.error_spanned_by(
                target,
                "a nullable `ForeignKey` is declared with `#[sqliter(null)]`, not `Option` inside: `#[sqliter(null)] field: ForeignKey<Model>`",
            );
        }
    }
    let nullable = optional || attrs.null.get().is_some();
    if attrs.null.get().is_some() && !optional && attrs.foreign_key.get().is_some() {
        cx.error_spanned_by(
            attrs.null.tokens(),
            "`null` needs the field to be `Option<i64>`, which can hold the NULL",
        );
    }
    for slot in [&attrs.on_delete, &attrs.on_update] {
        if slot.get() == Some(&ReferentialAction::SetNull) && !nullable {
            cx.error_spanned_by(
                slot.tokens(),
                "\"SET NULL\" needs a nullable foreign key: make the field `Option<i64>` (a `ForeignKey` field: add `null`)",
            );
        }
    }
    if let Some(lit) = attrs.db_column.get() {
        if !valid_identifier(&lit.value()) {
            cx.error_spanned_by(lit, "`db_column` must be a valid column name");
        }
    }
}

fn check_columns_unique(cx: &Ctxt, model: &Model<'_>) {
    let mut seen = HashSet::new();
    for field in &model.fields {
        if matches!(field.kind, FieldKind::ManyToMany { .. }) {
            continue;
        }
        let column = field.column();
        if !seen.insert(column.clone()) {
            cx.error_spanned_by(
                field
                    .attrs
                    .db_column
                    .tokens()
                    .map_or_else(|| field.ident.to_token_stream(), Clone::clone),
                format!("two fields are stored in the same column `{column}`"),
            );
        }
    }
}
