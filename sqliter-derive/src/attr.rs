//! Parsing of `#[sqliter(...)]` on the struct and on fields.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::meta::ParseNestedMeta;
use syn::parse::ParseStream;
use syn::{parenthesized, Ident, LitStr, Token};

use crate::ctxt::Ctxt;
use crate::naming::Plural;

/// One attribute value, remembering the token it came from. A second
/// occurrence is reported at that second token.
pub struct Attr<T> {
    name: &'static str,
    value: Option<(TokenStream, T)>,
}

impl<T> Attr<T> {
    fn none(name: &'static str) -> Self {
        Self { name, value: None }
    }

    fn set<A: ToTokens>(&mut self, cx: &Ctxt, tokens: A, value: T) {
        let tokens = tokens.into_token_stream();
        if self.value.is_some() {
            cx.error_spanned_by(
                tokens,
                format!("duplicate sqliter attribute `{}`", self.name),
            );
        } else {
            self.value = Some((tokens, value));
        }
    }

    pub fn get(&self) -> Option<&T> {
        self.value.as_ref().map(|(_, v)| v)
    }

    pub fn tokens(&self) -> Option<&TokenStream> {
        self.value.as_ref().map(|(t, _)| t)
    }
}

/// A list of field names for an index.
pub struct IndexSpec {
    pub fields: Vec<Ident>,
}

pub struct ContainerAttrs {
    pub table_name: Attr<LitStr>,
    pub renamed_from: Attr<LitStr>,
    pub indexes: Attr<Vec<IndexSpec>>,
    pub unique_indexes: Attr<Vec<IndexSpec>>,
    pub plural: Attr<Plural>,
}

/// `indexes(a, (b, c))`: a bare name is a one-field index, a parenthesised
/// list a composite one.
fn parse_index_list(meta: &ParseNestedMeta<'_>) -> syn::Result<Vec<IndexSpec>> {
    let content;
    parenthesized!(content in meta.input);
    let mut specs = Vec::new();
    while !content.is_empty() {
        if content.peek(syn::token::Paren) {
            let inner;
            parenthesized!(inner in content);
            let fields = inner.parse_terminated(Ident::parse_any_ident, Token![,])?;
            specs.push(IndexSpec {
                fields: fields.into_iter().collect(),
            });
        } else {
            specs.push(IndexSpec {
                fields: vec![Ident::parse_any_ident(&content)?],
            });
        }
        if !content.is_empty() {
            content.parse::<Token![,]>()?;
        }
    }
    Ok(specs)
}

trait ParseAnyIdent {
    fn parse_any_ident(input: ParseStream<'_>) -> syn::Result<Ident>;
}

impl ParseAnyIdent for Ident {
    fn parse_any_ident(input: ParseStream<'_>) -> syn::Result<Ident> {
        use syn::ext::IdentExt;
        Ident::parse_any(input)
    }
}

/// Skip an unknown item's value so the rest of the list is still parsed.
fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        meta.value()?.parse::<syn::Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        let _content;
        parenthesized!(_content in meta.input);
    }
    Ok(())
}

fn path_name(meta: &ParseNestedMeta<'_>) -> String {
    meta.path.to_token_stream().to_string().replace(' ', "")
}

pub fn parse_container(cx: &Ctxt, attrs: &[syn::Attribute]) -> ContainerAttrs {
    let mut out = ContainerAttrs {
        table_name: Attr::none("table_name"),
        renamed_from: Attr::none("renamed_from"),
        indexes: Attr::none("indexes"),
        unique_indexes: Attr::none("unique_indexes"),
        plural: Attr::none("plural"),
    };
    for attr in attrs.iter().filter(|a| a.path().is_ident("sqliter")) {
        let result = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("table_name") {
                let lit: LitStr = meta.value()?.parse()?;
                out.table_name.set(cx, &meta.path, lit);
            } else if meta.path.is_ident("renamed_from") {
                let lit: LitStr = meta.value()?.parse()?;
                out.renamed_from.set(cx, &meta.path, lit);
            } else if meta.path.is_ident("indexes") {
                let list = parse_index_list(&meta)?;
                out.indexes.set(cx, &meta.path, list);
            } else if meta.path.is_ident("unique_indexes") {
                let list = parse_index_list(&meta)?;
                out.unique_indexes.set(cx, &meta.path, list);
            } else if meta.path.is_ident("plural") {
                let lit: LitStr = meta.value()?.parse()?;
                match Plural::parse(&lit.value()) {
                    Some(rule) => out.plural.set(cx, &meta.path, rule),
                    None => cx.error_spanned_by(
                        &lit,
                        format!(
                            "unknown plural rule {:?}; expected `plural = \"english\"` (upstream's names with inflect: `Person` -> `people`) or `plural = \"simple\"` (append `s`, the default)",
                            lit.value()
                        ),
                    ),
                }
            } else {
                cx.error_spanned_by(
                    &meta.path,
                    format!(
                        "unknown sqliter attribute `{}`; expected `table_name = \"...\"`, `renamed_from = \"...\"`, `plural = \"english\"`, `indexes(...)` or `unique_indexes(...)`",
                        path_name(&meta)
                    ),
                );
                skip_value(&meta)?;
            }
            Ok(())
        });
        if let Err(e) = result {
            cx.syn_error(e);
        }
    }
    out
}

/// A foreign-key action as written by the user.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ReferentialAction {
    Cascade,
    SetNull,
    Restrict,
    NoAction,
}

impl ReferentialAction {
    fn parse(lit: &LitStr) -> Option<Self> {
        match lit.value().to_ascii_uppercase().as_str() {
            "CASCADE" => Some(Self::Cascade),
            "SET NULL" => Some(Self::SetNull),
            "RESTRICT" => Some(Self::Restrict),
            "NO ACTION" => Some(Self::NoAction),
            _ => None,
        }
    }
}

pub struct FieldAttrs {
    pub unique: Attr<()>,
    pub json: Attr<()>,
    pub pickle: Attr<()>,
    pub foreign_key: Attr<syn::Path>,
    pub on_delete: Attr<ReferentialAction>,
    pub on_update: Attr<ReferentialAction>,
    pub null: Attr<()>,
    pub db_column: Attr<LitStr>,
    pub related_name: Attr<LitStr>,
    pub through: Attr<LitStr>,
    pub symmetrical: Attr<()>,
    pub default: Attr<syn::Expr>,
    pub renamed_from: Attr<LitStr>,
}

fn parse_action(
    cx: &Ctxt,
    meta: &ParseNestedMeta<'_>,
    slot: &mut Attr<ReferentialAction>,
) -> syn::Result<()> {
    let lit: LitStr = meta.value()?.parse()?;
    match ReferentialAction::parse(&lit) {
        Some(action) => slot.set(cx, &meta.path, action),
        None => cx.error_spanned_by(
            &lit,
            format!(
                "unknown foreign-key action {:?}; expected \"CASCADE\", \"SET NULL\", \"RESTRICT\" or \"NO ACTION\"",
                lit.value()
            ),
        ),
    }
    Ok(())
}

pub fn parse_field(cx: &Ctxt, attrs: &[syn::Attribute]) -> FieldAttrs {
    let mut out = FieldAttrs {
        unique: Attr::none("unique"),
        json: Attr::none("json"),
        pickle: Attr::none("pickle"),
        foreign_key: Attr::none("foreign_key"),
        on_delete: Attr::none("on_delete"),
        on_update: Attr::none("on_update"),
        null: Attr::none("null"),
        db_column: Attr::none("db_column"),
        related_name: Attr::none("related_name"),
        through: Attr::none("through"),
        symmetrical: Attr::none("symmetrical"),
        default: Attr::none("default"),
        renamed_from: Attr::none("renamed_from"),
    };
    for attr in attrs.iter().filter(|a| a.path().is_ident("sqliter")) {
        let result = attr.parse_nested_meta(|meta| {
            let path = &meta.path;
            if path.is_ident("unique") {
                out.unique.set(cx, path, ());
            } else if path.is_ident("json") {
                out.json.set(cx, path, ());
            } else if path.is_ident("pickle") {
                out.pickle.set(cx, path, ());
            } else if path.is_ident("null") {
                out.null.set(cx, path, ());
            } else if path.is_ident("symmetrical") {
                out.symmetrical.set(cx, path, ());
            } else if path.is_ident("foreign_key") {
                let target: syn::Path = meta.value()?.parse()?;
                out.foreign_key.set(cx, path, target);
            } else if path.is_ident("on_delete") {
                parse_action(cx, &meta, &mut out.on_delete)?;
            } else if path.is_ident("on_update") {
                parse_action(cx, &meta, &mut out.on_update)?;
            } else if path.is_ident("db_column") {
                let lit: LitStr = meta.value()?.parse()?;
                out.db_column.set(cx, path, lit);
            } else if path.is_ident("related_name") {
                let lit: LitStr = meta.value()?.parse()?;
                out.related_name.set(cx, path, lit);
            } else if path.is_ident("through") {
                let lit: LitStr = meta.value()?.parse()?;
                out.through.set(cx, path, lit);
            } else if path.is_ident("default") {
                let expr: syn::Expr = meta.value()?.parse()?;
                out.default.set(cx, path, expr);
            } else if path.is_ident("renamed_from") {
                let lit: LitStr = meta.value()?.parse()?;
                out.renamed_from.set(cx, path, lit);
            } else {
                cx.error_spanned_by(
                    path,
                    format!(
                        "unknown sqliter field attribute `{}`; expected one of `unique`, `json`, `pickle`, `foreign_key = Model`, `on_delete = \"...\"`, `on_update = \"...\"`, `null`, `db_column = \"...\"`, `related_name = \"...\"`, `through = \"...\"`, `symmetrical`, `default = value`, `renamed_from = \"...\"`",
                        path_name(&meta)
                    ),
                );
                skip_value(&meta)?;
            }
            Ok(())
        });
        if let Err(e) = result {
            cx.syn_error(e);
        }
    }
    out
}
