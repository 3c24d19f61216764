//! A small typed model of the input struct, keeping the user's tokens for
//! spans.

use syn::{Data, DeriveInput, Fields, GenericArgument, Ident, PathArguments, Type};

use crate::attr::{self, ContainerAttrs, FieldAttrs};
use crate::ctxt::Ctxt;

pub struct Model<'a> {
    pub ident: &'a Ident,
    pub attrs: ContainerAttrs,
    pub fields: Vec<Field<'a>>,
}

pub struct Field<'a> {
    pub ident: &'a Ident,
    /// The field name without `r#`.
    pub name: String,
    pub ty: &'a Type,
    pub attrs: FieldAttrs,
    pub kind: FieldKind<'a>,
}

/// How a field is stored.
pub enum FieldKind<'a> {
    /// `pk`, `created_at`, `updated_at`.
    Reserved(Reserved),
    /// A column through a codec.
    Column(Codec),
    /// `ForeignKey<T>` / `AsyncForeignKey<T>`: parsed now, stored with the
    /// relations layer.
    OrmForeignKey { target: &'a Type },
    /// `ManyToMany<T>` / `AsyncManyToMany<T>`: parsed now, stored with the
    /// relations layer.
    ManyToMany { target: &'a Type },
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Reserved {
    Pk,
    CreatedAt,
    UpdatedAt,
}

impl Reserved {
    fn from_name(name: &str) -> Option<Self> {
        match name {
            "pk" => Some(Self::Pk),
            "created_at" => Some(Self::CreatedAt),
            "updated_at" => Some(Self::UpdatedAt),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    Plain,
    Json,
    NullableJson,
    /// `#[sqliter(pickle)]`; `set`: the type is a set, written as a Python set.
    Pickle {
        set: bool,
    },
    NullablePickle {
        set: bool,
    },
}

/// The last path segment of a type, with its generic arguments.
fn last_segment(ty: &Type) -> Option<&syn::PathSegment> {
    match ty {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last(),
        _ => None,
    }
}

/// The first generic type argument of `ty` if its name is `name`.
pub fn generic_arg<'t>(ty: &'t Type, names: &[&str]) -> Option<&'t Type> {
    let segment = last_segment(ty)?;
    if !names.iter().any(|n| segment.ident == n) {
        return None;
    }
    match &segment.arguments {
        PathArguments::AngleBracketed(args) => args.args.iter().find_map(|a| match a {
            GenericArgument::Type(t) => Some(t),
            _ => None,
        }),
        _ => None,
    }
}

pub fn is_ident(ty: &Type, name: &str) -> bool {
    last_segment(ty).is_some_and(|s| s.ident == name && s.arguments.is_none())
}

/// Collections and tuples are stored as JSON without an attribute;
/// `Vec<u8>` stays a BLOB.
fn is_json_by_default(ty: &Type) -> bool {
    match ty {
        Type::Tuple(t) => !t.elems.is_empty(),
        Type::Array(_) => true,
        _ => {
            if let Some(inner) = generic_arg(ty, &["Vec"]) {
                return !is_ident(inner, "u8");
            }
            last_segment(ty).is_some_and(|s| {
                ["HashMap", "BTreeMap", "HashSet", "BTreeSet", "VecDeque"]
                    .iter()
                    .any(|n| s.ident == n)
            })
        }
    }
}

fn classify<'a>(name: &str, ty: &'a Type, attrs: &FieldAttrs) -> FieldKind<'a> {
    if let Some(reserved) = Reserved::from_name(name) {
        return FieldKind::Reserved(reserved);
    }
    if let Some(target) = generic_arg(ty, &["ForeignKey", "AsyncForeignKey"]) {
        return FieldKind::OrmForeignKey { target };
    }
    if let Some(target) = generic_arg(ty, &["ManyToMany", "AsyncManyToMany"]) {
        return FieldKind::ManyToMany { target };
    }
    let (optional, inner) = match generic_arg(ty, &["Option"]) {
        Some(inner) => (true, inner),
        None => (false, ty),
    };
    if attrs.pickle.get().is_some() {
        let set =
            last_segment(inner).is_some_and(|s| s.ident == "HashSet" || s.ident == "BTreeSet");
        return FieldKind::Column(if optional {
            Codec::NullablePickle { set }
        } else {
            Codec::Pickle { set }
        });
    }
    let json = attrs.json.get().is_some() || is_json_by_default(inner);
    FieldKind::Column(match (json, optional) {
        (false, _) => Codec::Plain,
        (true, false) => Codec::Json,
        (true, true) => Codec::NullableJson,
    })
}

impl<'a> Model<'a> {
    pub fn from_ast(cx: &Ctxt, input: &'a DeriveInput) -> Option<Self> {
        let fields = match &input.data {
            Data::Struct(data) => match &data.fields {
                Fields::Named(named) => &named.named,
                Fields::Unnamed(_) | Fields::Unit => {
                    cx.error_spanned_by(
                        &input.ident,
                        "#[derive(DbModel)] needs a struct with named fields, e.g. `struct User { pk: i64, name: String }`",
                    );
                    return None;
                }
            },
            Data::Enum(e) => {
                cx.error_spanned_by(
                    e.enum_token,
                    "#[derive(DbModel)] works on structs only, not enums",
                );
                return None;
            }
            Data::Union(u) => {
                cx.error_spanned_by(
                    u.union_token,
                    "#[derive(DbModel)] works on structs only, not unions",
                );
                return None;
            }
        };
        if !input.generics.params.is_empty() {
            cx.error_spanned_by(
                &input.generics,
                "#[derive(DbModel)] does not support generic structs: a table has one fixed schema",
            );
        }
        let attrs = attr::parse_container(cx, &input.attrs);
        let fields = fields
            .iter()
            .filter_map(|f| {
                let ident = f.ident.as_ref()?;
                let name = ident.to_string().trim_start_matches("r#").to_owned();
                let attrs = attr::parse_field(cx, &f.attrs);
                let kind = classify(&name, &f.ty, &attrs);
                Some(Field {
                    ident,
                    name,
                    ty: &f.ty,
                    attrs,
                    kind,
                })
            })
            .collect();
        Some(Self {
            ident: &input.ident,
            attrs,
            fields,
        })
    }

    /// The plural rule of the model's default names.
    pub fn plural(&self) -> crate::naming::Plural {
        self.attrs.plural.get().copied().unwrap_or_default()
    }

    pub fn field(&self, name: &str) -> Option<&Field<'a>> {
        self.fields.iter().find(|f| f.name == name)
    }

    pub fn reserved(&self, which: Reserved) -> Option<&Field<'a>> {
        self.fields
            .iter()
            .find(|f| matches!(f.kind, FieldKind::Reserved(r) if r == which))
    }
}

impl<'a> Field<'a> {
    /// The SQL column name: `db_column`, else `<field>_id` for a
    /// `ForeignKey` field (as upstream), else the field name.
    pub fn column(&self) -> String {
        match self.attrs.db_column.get() {
            Some(lit) => lit.value(),
            None if self.relation_target().is_some() => format!("{}_id", self.name),
            None => self.name.clone(),
        }
    }

    /// The model a `ForeignKey<T>` field points at.
    pub fn relation_target(&self) -> Option<&'a Type> {
        match self.kind {
            FieldKind::OrmForeignKey { target } => Some(target),
            _ => None,
        }
    }
}
