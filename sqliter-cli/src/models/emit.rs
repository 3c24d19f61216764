//! Writing the planned structs: tokens built with `quote`, parsed into a
//! `syn::File` and printed by `prettyplease`, so the output is formatted
//! as rustfmt would and is sure to parse. Notes become `//` comments.

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use super::types::Scalar;
use super::{names, Door, FieldKind, FieldPlan, ModelPlan};

/// Marks a doc attribute that is turned into a `//` comment after
/// printing (a token stream cannot carry comments).
const NOTE: &str = "@sqliter-note@ ";

/// The file-level facts for the header.
#[derive(Debug)]
pub struct Header {
    /// The database file.
    pub file: String,
    /// Sync or async types.
    pub door: Door,
    /// Tables left out, with why.
    pub skipped: Vec<String>,
    /// Junction tables modelled as many-to-many fields.
    pub junctions: Vec<String>,
}

fn ident(name: &str) -> Ident {
    if names::is_keyword(name) {
        Ident::new_raw(name, Span::call_site())
    } else {
        Ident::new(name, Span::call_site())
    }
}

/// `text` in lines of at most `width` characters, split at spaces.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split(' ') {
        let line = lines.last_mut().expect("never empty");
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(word.to_owned());
        } else {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
    }
    lines
}

fn notes(notes: &[String], width: usize) -> TokenStream {
    let lines = notes
        .iter()
        .flat_map(|n| wrap(n, width))
        .map(|l| format!(" {NOTE}{l}"));
    quote!(#(#[doc = #lines])*)
}

fn scalar_tokens(scalar: Scalar) -> TokenStream {
    match scalar {
        Scalar::I64 => quote!(i64),
        Scalar::F64 => quote!(f64),
        Scalar::Text => quote!(String),
        Scalar::Bytes => quote!(Vec<u8>),
    }
}

/// Which relation types the file uses.
#[derive(Default)]
struct Uses {
    foreign_key: bool,
    many_to_many: bool,
}

fn field_tokens(field: &FieldPlan, door: Door, uses: &mut Uses) -> TokenStream {
    let name = ident(&field.name);
    let comment = notes(&field.notes, 84);
    let (attrs, ty): (Vec<TokenStream>, TokenStream) = match &field.kind {
        FieldKind::Reserved => (Vec::new(), quote!(i64)),
        FieldKind::Column {
            ty,
            unique,
            pickled,
        } => {
            let inner = match pickled {
                // Built by `pickle::rust_type`: always a type.
                Some(rust) => rust
                    .parse::<TokenStream>()
                    .unwrap_or_else(|_| scalar_tokens(ty.scalar)),
                None => scalar_tokens(ty.scalar),
            };
            let ty = if ty.optional {
                quote!(Option<#inner>)
            } else {
                inner
            };
            let mut attrs = Vec::new();
            if *unique {
                attrs.push(quote!(unique));
            }
            if pickled.is_some() {
                attrs.push(quote!(pickle));
            }
            (attrs, ty)
        }
        FieldKind::ForeignKey {
            target,
            null,
            on_delete,
            on_update,
            related_name,
            db_column,
            unique,
        } => {
            uses.foreign_key = true;
            let mut attrs = Vec::new();
            if *null {
                attrs.push(quote!(null));
            }
            if let Some(action) = on_delete {
                attrs.push(quote!(on_delete = #action));
            }
            if let Some(action) = on_update {
                attrs.push(quote!(on_update = #action));
            }
            attrs.push(quote!(related_name = #related_name));
            if let Some(column) = db_column {
                attrs.push(quote!(db_column = #column));
            }
            if *unique {
                attrs.push(quote!(unique));
            }
            let target = ident(target);
            let ty = match door {
                Door::Sync => quote!(ForeignKey<#target>),
                Door::Async => quote!(AsyncForeignKey<#target>),
            };
            (attrs, ty)
        }
        FieldKind::ManyToMany {
            target,
            related_name,
            through,
        } => {
            uses.many_to_many = true;
            let mut attrs = vec![quote!(related_name = #related_name)];
            if let Some(through) = through {
                attrs.push(quote!(through = #through));
            }
            let target = if target == "Self" {
                quote!(Self)
            } else {
                let target = ident(target);
                quote!(#target)
            };
            let ty = match door {
                Door::Sync => quote!(ManyToMany<#target>),
                Door::Async => quote!(AsyncManyToMany<#target>),
            };
            (attrs, ty)
        }
    };
    let attr = (!attrs.is_empty()).then(|| quote!(#[sqliter(#(#attrs),*)]));
    quote! {
        #comment
        #attr
        pub #name: #ty
    }
}

fn index_list(lists: &[Vec<String>]) -> Vec<TokenStream> {
    lists
        .iter()
        .map(|fields| {
            let idents = fields.iter().map(|f| ident(f));
            if fields.len() == 1 {
                quote!(#(#idents)*)
            } else {
                quote!((#(#idents),*))
            }
        })
        .collect()
}

fn struct_tokens(plan: &ModelPlan, door: Door, uses: &mut Uses) -> TokenStream {
    let name = ident(&plan.struct_name);
    let doc = format!(" A row of the table `{}`.", plan.table);
    let comment = notes(&plan.notes, 88);
    let mut parts = Vec::new();
    if plan.table_name_attr {
        let table = &plan.table;
        parts.push(quote!(table_name = #table));
    }
    if !plan.indexes.is_empty() {
        let list = index_list(&plan.indexes);
        parts.push(quote!(indexes(#(#list),*)));
    }
    if !plan.unique_indexes.is_empty() {
        let list = index_list(&plan.unique_indexes);
        parts.push(quote!(unique_indexes(#(#list),*)));
    }
    let attr = (!parts.is_empty()).then(|| quote!(#[sqliter(#(#parts),*)]));
    let fields = plan.fields.iter().map(|f| field_tokens(f, door, uses));
    quote! {
        #[doc = #doc]
        #comment
        #[derive(DbModel, Debug, Clone, Default)]
        #attr
        pub struct #name {
            #(#fields),*
        }
    }
}

fn header_lines(header: &Header, plans: &[ModelPlan]) -> Vec<String> {
    let (krate, door) = match header.door {
        Door::Sync => ("sqliter-core", "sync"),
        Door::Async => ("sqliter-async", "async"),
    };
    let mut lines = vec![
        format!("Models of `{}`, generated by `sqliter models` ({} door: depend on `{krate}`).", header.file, door),
        String::new(),
        "Columns that allow NULL but hold none in a SQLiter table are plain fields (Python SQLiter \
         declares no NOT NULL on them); make them `Option` if NULLs may come."
            .to_owned(),
    ];
    if plans.is_empty() {
        lines.push(String::new());
        lines.push("No table of the file could be modelled.".to_owned());
    }
    if !header.junctions.is_empty() {
        lines.push(String::new());
        lines.push(format!(
            "Junction tables, modelled as many-to-many fields: {}.",
            header.junctions.join(", ")
        ));
    }
    if !header.skipped.is_empty() {
        lines.push(String::new());
        lines.push("Not modelled:".to_owned());
        lines.extend(header.skipped.iter().map(|s| format!("- {s}")));
    }
    let mut wrapped = Vec::new();
    for line in &lines {
        let (first, rest_indent) = if line.starts_with("- ") {
            (94, "  ")
        } else {
            (94, "")
        };
        for (i, part) in wrap(line, first).into_iter().enumerate() {
            wrapped.push(if i == 0 {
                part
            } else {
                format!("{rest_indent}{part}")
            });
        }
    }
    wrapped
}

/// The formatted source.
pub fn render(header: &Header, plans: &[ModelPlan]) -> Result<String, String> {
    let mut uses = Uses::default();
    let structs: Vec<TokenStream> = plans
        .iter()
        .map(|p| struct_tokens(p, header.door, &mut uses))
        .collect();
    let docs = header_lines(header, plans).into_iter().map(|l| {
        let l = if l.is_empty() { l } else { format!(" {l}") };
        quote!(#![doc = #l])
    });
    let mut imports = vec![quote!(DbModel)];
    match header.door {
        Door::Sync => {
            if uses.foreign_key {
                imports.push(quote!(ForeignKey));
            }
            if uses.many_to_many {
                imports.push(quote!(ManyToMany));
            }
        }
        Door::Async => {
            if uses.foreign_key {
                imports.insert(0, quote!(AsyncForeignKey));
            }
            if uses.many_to_many {
                imports.insert(usize::from(uses.foreign_key), quote!(AsyncManyToMany));
            }
        }
    }
    let krate = match header.door {
        Door::Sync => quote!(sqliter_core),
        Door::Async => quote!(sqliter_async),
    };
    // Column names are kept as field names; the derive names methods after
    // fields, so the allowance must cover the whole module.
    let allow = plans
        .iter()
        .flat_map(|p| &p.fields)
        .any(|f| names::needs_non_snake_case_allowance(&f.name))
        .then(|| quote!(#![allow(non_snake_case)]));
    let import = (!plans.is_empty()).then(|| quote!(use #krate::{#(#imports),*};));
    let tokens = quote! {
        #(#docs)*
        #allow
        #import
        #(#structs)*
    };
    let file: syn::File = syn::parse2(tokens).map_err(|e| e.to_string())?;
    let printed = prettyplease::unparse(&file);
    let marker = format!("/// {NOTE}");
    let mut out = String::with_capacity(printed.len());
    for line in printed.lines() {
        let trimmed = line.trim_start();
        // A blank line between items, as people write them.
        let item_start = line.starts_with("use ") || line.starts_with("/// A row of the table");
        if item_start && !out.is_empty() {
            out.push('\n');
        }
        match trimmed.strip_prefix(&marker) {
            Some(note) => {
                out.push_str(&line[..line.len() - trimmed.len()]);
                out.push_str("// ");
                out.push_str(note);
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    Ok(out)
}
