//! Code generation: only turns a validated [`Model`] into tokens.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{DeriveInput, Ident, LitStr};

use crate::ast::{Codec, Field, FieldKind, Model, Reserved};
use crate::attr::ReferentialAction;
use crate::ctxt::Ctxt;
use crate::naming::{default_related_name, default_table_name};
use crate::valid;

/// The path generated code reaches runtime items through: `sqliter-core`
/// or its re-export in `sqliter-async`, whichever the user depends on.
fn runtime_crate() -> TokenStream {
    use proc_macro_crate::{crate_name, FoundCrate};
    let found = crate_name("sqliter-core").or_else(|_| crate_name("sqliter-async"));
    match found {
        Ok(FoundCrate::Name(name)) => {
            let ident = Ident::new(&name, Span::call_site());
            quote!(::#ident)
        }
        // Inside sqliter-core itself (its doctests): `extern crate self`.
        Ok(FoundCrate::Itself) | Err(_) => quote!(::sqliter_core),
    }
}

pub fn derive(input: &DeriveInput) -> TokenStream {
    let cx = Ctxt::default();
    let model = Model::from_ast(&cx, input);
    if let Some(model) = &model {
        valid::check(&cx, model);
    }
    let krate = runtime_crate();
    match (model, cx.check()) {
        (Some(model), Ok(())) => expand(&krate, &model),
        (_, Err(errors)) => {
            let mut out = errors.to_compile_error();
            if input.generics.params.is_empty() {
                out.extend(fallback(&krate, &input.ident));
            }
            out
        }
        (None, Ok(())) => TokenStream::new(),
    }
}

/// A stand-in impl after a macro error, so the user sees that error and
/// not a cascade of "DbModel is not implemented" at every use.
fn fallback(krate: &TokenStream, ident: &Ident) -> TokenStream {
    quote! {
        const _: () = {
            use #krate::__private as __sq;
            #[automatically_derived]
            impl __sq::DbModel for #ident {
                const META: &'static __sq::TableMeta = &__sq::TableMeta {
                    model_name: "", table_name: "", columns: &[], indexes: &[], many_to_many: &[],
                renamed_from: ::core::option::Option::None,
                };
                fn pk(&self) -> i64 { ::core::unreachable!() }
                fn set_pk(&mut self, _: i64) { ::core::unreachable!() }
                fn created_at(&self) -> ::core::option::Option<i64> { ::core::unreachable!() }
                fn set_created_at(&mut self, _: i64) { ::core::unreachable!() }
                fn updated_at(&self) -> ::core::option::Option<i64> { ::core::unreachable!() }
                fn set_updated_at(&mut self, _: i64) { ::core::unreachable!() }
                fn bind_data(&self, _: &mut __sq::Statement<'_>, _: usize) -> __sq::Result<()> { ::core::unreachable!() }
                fn column_value(&self, _: usize) -> __sq::Result<__sq::Value> { ::core::unreachable!() }
                fn from_row(_: &__sq::Row<'_>, _: &__sq::RowLayout, _: &__sq::DecodeContext) -> __sq::Result<Self> { ::core::unreachable!() }
                fn model_sql() -> &'static __sq::ModelSql { ::core::unreachable!() }
                fn cache_clone(&self) -> ::core::option::Option<Self> { ::core::unreachable!() }
                fn size_estimate(&self) -> usize { ::core::unreachable!() }
            }
        };
    }
}

/// The codec type, spanned on the field's type: a failed bound is reported
/// on the token it is checked for.
fn codec_path(codec: Codec, span: Span) -> TokenStream {
    match codec {
        Codec::Plain => quote_spanned!(span=> __sq::Plain),
        Codec::Json => quote_spanned!(span=> __sq::Json),
        Codec::NullableJson => quote_spanned!(span=> __sq::NullableJson),
        Codec::Pickle { set } => quote_spanned!(span=> __sq::Pickle<#set>),
        Codec::NullablePickle { set } => quote_spanned!(span=> __sq::NullablePickle<#set>),
    }
}

fn action_tokens(action: Option<&ReferentialAction>) -> TokenStream {
    match action.copied().unwrap_or(ReferentialAction::Restrict) {
        ReferentialAction::Cascade => quote!(__sq::FkAction::Cascade),
        ReferentialAction::SetNull => quote!(__sq::FkAction::SetNull),
        ReferentialAction::Restrict => quote!(__sq::FkAction::Restrict),
        ReferentialAction::NoAction => quote!(__sq::FkAction::NoAction),
    }
}

/// A data field with its codec and column position.
struct DataField<'f, 'a> {
    field: &'f Field<'a>,
    codec: Codec,
    /// Position in the table's columns (pk and timestamps come first).
    column_index: usize,
}

fn reserved_column(name: &str, kind: &TokenStream) -> TokenStream {
    quote! {
        __sq::ColumnMeta {
            field: #name, column: #name, sql_type: __sq::SqlType::Integer,
            nullable: true, unique: false, kind: #kind, foreign_key: ::core::option::Option::None,
            check: __sq::check_integer,
            default: ::core::option::Option::None, renamed_from: ::core::option::Option::None,
        }
    }
}

fn data_column(data: &DataField<'_, '_>) -> TokenStream {
    let field = data.field;
    let ty = field.ty;
    let codec = codec_const(data);
    let name = &field.name;
    let column = field.column();
    let unique = field.attrs.unique.get().is_some();
    let explicit = field.attrs.foreign_key.get().map(ToTokens::to_token_stream);
    let orm = field.relation_target();
    let foreign_key = match explicit.or_else(|| orm.map(ToTokens::to_token_stream)) {
        Some(target) => {
            // Spanned on the target: "not a model" is reported there.
            let target_meta =
                quote_spanned!(target.span()=> <#target as __sq::DbModel>::table_meta);
            let on_delete = action_tokens(field.attrs.on_delete.get());
            let on_update = action_tokens(field.attrs.on_update.get());
            let orm = orm.is_some();
            quote! {
                ::core::option::Option::Some(__sq::ForeignKeyMeta {
                    target: #target_meta,
                    on_delete: #on_delete,
                    on_update: #on_update,
                    orm: #orm,
                })
            }
        }
        None => quote!(::core::option::Option::None),
    };
    // A `ForeignKey` field is nullable by `#[sqliter(null)]`, not by type.
    let nullable = if orm.is_some() {
        let null = field.attrs.null.get().is_some();
        quote!(#null)
    } else {
        quote!(#codec.nullable)
    };
    // The default is converted into the field's type where it is written,
    // so a default of the wrong type is a compile error on it.
    let default = match field.attrs.default.get() {
        Some(expr) => quote_spanned! {expr.span()=>
            ::core::option::Option::Some(|| {
                let __value: #ty = ::core::convert::Into::into(#expr);
                (#codec.encode)(&__value).map(__sq::Value::from_output)
            })
        },
        None => quote!(::core::option::Option::None),
    };
    let renamed_from = optional_str(field.attrs.renamed_from.get());
    quote_spanned! {ty.span()=>
        __sq::ColumnMeta {
            field: #name,
            column: #column,
            sql_type: #codec.sql_type,
            nullable: #nullable,
            unique: #unique,
            kind: __sq::ColumnKind::Data,
            foreign_key: #foreign_key,
            check: |__value| __sq::check_field(&#codec, __value),
            default: #default,
            renamed_from: #renamed_from,
        }
    }
}

fn optional_str(lit: Option<&syn::LitStr>) -> TokenStream {
    match lit {
        Some(lit) => quote!(::core::option::Option::Some(#lit)),
        None => quote!(::core::option::Option::None),
    }
}

/// The name of a field's `FieldCodec` constant.
fn codec_const(data: &DataField<'_, '_>) -> Ident {
    Ident::new(
        &format!("__SQLITER_CODEC_{}", data.column_index),
        Span::call_site(),
    )
}

/// The field's codec constant: the one place its type is checked, spanned
/// on the user's type so a wrong type is reported where it is written.
fn codec_definition(data: &DataField<'_, '_>) -> TokenStream {
    let ty = data.field.ty;
    let name = codec_const(data);
    let codec = codec_path(data.codec, ty.span());
    let mut out = quote_spanned! {ty.span()=>
        const #name: __sq::FieldCodec<#ty> = __sq::FieldCodec::new::<#codec>();
    };
    if data.field.attrs.foreign_key.get().is_some() {
        out.extend(
            quote_spanned! {ty.span()=> const _: () = __sq::assert_foreign_key_field::<#ty>(); },
        );
    }
    out
}

fn timestamp_accessors(model: &Model<'_>, which: Reserved) -> TokenStream {
    let (get, set) = match which {
        Reserved::UpdatedAt => ("updated_at", "set_updated_at"),
        _ => ("created_at", "set_created_at"),
    };
    let (get, set) = (format_ident(get), format_ident(set));
    match model.reserved(which) {
        Some(field) => {
            let ident = field.ident;
            quote! {
                fn #get(&self) -> ::core::option::Option<i64> { ::core::option::Option::Some(self.#ident) }
                fn #set(&mut self, unix_seconds: i64) { self.#ident = unix_seconds; }
            }
        }
        None => quote! {
            fn #get(&self) -> ::core::option::Option<i64> { ::core::option::Option::None }
            fn #set(&mut self, _: i64) {}
        },
    }
}

fn index_entries(model: &Model<'_>) -> Vec<TokenStream> {
    let mut entries = Vec::new();
    for (list, unique) in [
        (&model.attrs.indexes, false),
        (&model.attrs.unique_indexes, true),
    ] {
        for spec in list.get().into_iter().flatten() {
            let columns = spec.fields.iter().map(|ident| {
                let name = ident.to_string();
                let column = model
                    .field(name.trim_start_matches("r#"))
                    .map_or(name.clone(), Field::column);
                LitStr::new(&column, ident.span())
            });
            entries.push(quote!(__sq::IndexMeta { columns: &[#(#columns),*], unique: #unique }));
        }
    }
    entries
}

fn expand(krate: &TokenStream, model: &Model<'_>) -> TokenStream {
    let ident = model.ident;
    let model_name = ident.to_string();
    let table_name = model.attrs.table_name.get().map_or_else(
        || default_table_name(&model_name, model.plural()),
        LitStr::value,
    );

    let data: Vec<DataField<'_, '_>> = model
        .fields
        .iter()
        .filter_map(|field| match field.kind {
            FieldKind::Column(codec) => Some((field, codec)),
            FieldKind::OrmForeignKey { .. } => Some((field, Codec::Plain)),
            _ => None,
        })
        .enumerate()
        .map(|(i, (field, codec))| DataField {
            field,
            codec,
            column_index: i + 3,
        })
        .collect();

    let pk_column = reserved_column("pk", &quote!(__sq::ColumnKind::PrimaryKey));
    let created_column = reserved_column("created_at", &quote!(__sq::ColumnKind::CreatedAt));
    let updated_column = reserved_column("updated_at", &quote!(__sq::ColumnKind::UpdatedAt));
    let data_columns = data.iter().map(data_column);
    let codecs = data.iter().map(codec_definition);
    let indexes = index_entries(model);

    let writers = column_writers(&data);
    let table_renamed_from = optional_str(model.attrs.renamed_from.get());
    let decodes = field_decoders(model, &data);

    let created = timestamp_accessors(model, Reserved::CreatedAt);
    let updated = timestamp_accessors(model, Reserved::UpdatedAt);
    let pk_ident = model.reserved(Reserved::Pk).map(|f| f.ident);
    let columns = column_handles(model, &data);
    let heap_types = data.iter().map(|d| d.field.ty);
    let relation_slot = relation_slot(&data);
    let reverse = reverse_relations(model, &data);
    let heap_fields = data.iter().map(|d| d.field.ident);
    let many = many_to_many_fields(model);
    let many_statics = many.iter().map(|m| m.definition(model));
    let many_refs = many.iter().map(ManyField::static_ident);
    let many_relations = many.iter().map(|m| m.relations(model));
    let bind_relations = bind_relations(model, &data, &many);

    quote! {
        const _: () = {
            use #krate::__private as __sq;

            #(#codecs)*

            static __SQLITER_SQL: __sq::OnceLock<__sq::ModelSql> = __sq::OnceLock::new();

            // A static, not a constant: the model's metadata has one
            // address, which identifies the model at run time.
            static __SQLITER_META: __sq::TableMeta = __sq::TableMeta {
                model_name: #model_name,
                table_name: #table_name,
                columns: &[#pk_column, #created_column, #updated_column, #(#data_columns),*],
                indexes: &[#(#indexes),*],
                many_to_many: &[#(&#many_refs),*],
                renamed_from: #table_renamed_from,
            };

            #(#many_statics)*

            __sq::inventory::submit! { __sq::RegisteredModel(&__SQLITER_META) }

            #[automatically_derived]
            impl __sq::DbModel for #ident {
                const META: &'static __sq::TableMeta = &__SQLITER_META;

                #[inline]
                fn pk(&self) -> i64 { self.#pk_ident }
                #[inline]
                fn set_pk(&mut self, pk: i64) { self.#pk_ident = pk; }
                #created
                #updated

                #writers

                fn from_row(
                    __row: &__sq::Row<'_>,
                    __layout: &__sq::RowLayout,
                    __ctx: &__sq::DecodeContext,
                ) -> __sq::Result<Self> {
                    #[allow(unused_imports)]
                    use __sq::{ViaDefault as _, ViaNoDefault as _};
                    let __pk = __sq::decode_pk(__row, __layout, Self::META)?;
                    ::core::result::Result::Ok(Self { #(#decodes),* })
                }

                fn model_sql() -> &'static __sq::ModelSql {
                    __sq::model_sql(&__SQLITER_SQL, Self::META)
                }

                fn cache_clone(&self) -> ::core::option::Option<Self> {
                    #[allow(unused_imports)]
                    use __sq::{ViaClone as _, ViaNoClone as _};
                    (&&__sq::Probe::<Self>::NEW).probe_clone(self)
                }

                fn size_estimate(&self) -> usize {
                    #[allow(unused_imports)]
                    use __sq::{ViaHeapSize as _, ViaNoHeapSize as _};
                    ::core::mem::size_of::<Self>() #(+ (&&__sq::Probe::<#heap_types>::NEW).probe_heap_size(&self.#heap_fields))*
                }

                #relation_slot
                #bind_relations
            }

            #columns
            #reverse
            #(#many_relations)*
        };
    }
}

/// Typed column handles, `Model::field()`, for compile-time-checked
/// filters, order keys and updates.
fn column_handles(model: &Model<'_>, data: &[DataField<'_, '_>]) -> TokenStream {
    let ident = model.ident;
    let reserved = [("pk", 0_usize), ("created_at", 1), ("updated_at", 2)].map(|(name, index)| {
        let method = format_ident(name);
        let doc = format!("The `{name}` column, for typed filters and ordering.");
        quote! {
            #[doc = #doc]
            #[allow(dead_code)]
            pub const fn #method() -> __sq::Column<#ident, i64> {
                __sq::Column::new(#index, &__sq::I64_CODEC)
            }
        }
    });
    let fields = data.iter().map(|d| {
        let method = d.field.ident;
        let ty = d.field.ty;
        let codec = codec_const(d);
        let index = d.column_index;
        let doc = format!(
            "The `{}` field, for typed filters, ordering and updates.",
            d.field.name
        );
        quote! {
            #[doc = #doc]
            #[allow(dead_code)]
            pub const fn #method() -> __sq::Column<#ident, #ty> {
                __sq::Column::new(#index, &#codec)
            }
        }
    });
    quote! {
        impl #ident {
            #(#reserved)*
            #(#fields)*
        }
    }
}

/// `DbModel::relation_slot`: the `ForeignKey` field of each column.
fn relation_slot(data: &[DataField<'_, '_>]) -> TokenStream {
    let arms: Vec<TokenStream> = data
        .iter()
        .filter(|d| d.field.relation_target().is_some())
        .map(|d| {
            let ident = d.field.ident;
            let column = d.column_index;
            quote!(#column => ::core::option::Option::Some(&self.#ident))
        })
        .collect();
    if arms.is_empty() {
        return TokenStream::new();
    }
    quote! {
        fn relation_slot(&self, __column: usize) -> ::core::option::Option<&dyn __sq::RelationSlot> {
            match __column {
                #(#arms,)*
                _ => ::core::option::Option::None,
            }
        }
    }
}

/// For each `ForeignKey` field, the reverse accessor on the target model
/// (`author.books(&db)`), named by `related_name` and spanned on it, so two
/// relations claiming one name collide where they are written; and its
/// registration for `prefetch_related`.
fn reverse_relations(model: &Model<'_>, data: &[DataField<'_, '_>]) -> TokenStream {
    let child = model.ident;
    let mut out = TokenStream::new();
    for d in data {
        // A `ForeignKey<T>` field always has a reverse relation; a plain
        // `#[sqliter(foreign_key = T)]` integer only when it names one
        // (a default name could clash with code written before).
        let target = match (d.field.relation_target(), d.field.attrs.foreign_key.get()) {
            (Some(target), _) => target.to_token_stream(),
            (None, Some(path)) if d.field.attrs.related_name.get().is_some() => {
                path.to_token_stream()
            }
            _ => continue,
        };
        let (name, span) = match d.field.attrs.related_name.get() {
            Some(lit) => (lit.value(), lit.span()),
            None => (
                default_related_name(&child.to_string(), model.plural()),
                d.field.ident.span(),
            ),
        };
        let method = Ident::new(&name, span);
        let column = d.column_index;
        let doc = format!(
            "The `{child}` records whose `{}` points at this one: a query with the full chain (reverse relation `{name}`).",
            d.field.name
        );
        // The method is spanned on the `related_name` (a clash between two
        // models is reported there), the impl on the target type.
        let path_const = Ident::new(&name.to_uppercase(), span);
        let path_doc = format!(
            "The reverse relation `{name}` as a typed path, for `prefetch_related` and `with_count`."
        );
        let accessor = quote_spanned! {span=>
            #[doc = #path_doc]
            #[allow(dead_code)]
            pub const #path_const: __sq::RelationPath<Self, #child> = __sq::RelationPath::new(#name);

            #[doc = #doc]
            #[allow(dead_code)]
            pub fn #method<'db, D: __sq::SelectDb>(&self, db: &'db D) -> D::Query<'db, #child> {
                __sq::related_query::<#child, D>(db, __sq::Via::Key(#column), __sq::DbModel::pk(self))
            }
        };
        out.extend(quote_spanned! {target.span()=>
            impl #target {
                #accessor
            }
        });
        out.extend(register_to_many(
            &target,
            &name,
            child,
            &quote!(__sq::Via::Key(#column)),
            &quote!(__sq::load_children::<#child>),
        ));
    }
    out
}

/// Register the to-many relation `name` from `parent` to `child`, for
/// `prefetch_related` and `with_count` (reverse keys and both sides of a
/// many-to-many field alike).
fn register_to_many(
    parent: &impl ToTokens,
    name: &str,
    child: &impl ToTokens,
    via: &TokenStream,
    load: &TokenStream,
) -> TokenStream {
    quote! {
        __sq::inventory::submit! {
            __sq::ToManyRelation {
                parent: <#parent as __sq::DbModel>::table_meta,
                name: #name,
                child: <#child as __sq::DbModel>::table_meta,
                via: #via,
                load: #load,
            }
        }
    }
}

/// Bind every data field, in table order.
/// `bind_data` (every data column, in order) and `column_value` (one, by
/// table position): how a record's values reach SQL.
fn column_writers(data: &[DataField<'_, '_>]) -> TokenStream {
    let binds = bind_statements(data);
    let values = column_values(data);
    quote! {
        fn bind_data(&self, __stmt: &mut __sq::Statement<'_>, __first: usize) -> __sq::Result<()> {
            #(#binds)*
            ::core::result::Result::Ok(())
        }

        fn column_value(&self, __column: usize) -> __sq::Result<__sq::Value> {
            match __column {
                #(#values)*
                _ => ::core::result::Result::Err(__sq::not_a_data_column(Self::META, __column)),
            }
        }
    }
}

fn bind_statements(data: &[DataField<'_, '_>]) -> Vec<TokenStream> {
    data.iter()
        .enumerate()
        .map(|(i, d)| {
            let field = d.field.ident;
            let codec = codec_const(d);
            let column = d.column_index;
            quote! {
                __sq::bind_field(__stmt, __first + #i, &self.#field, &#codec, Self::META, #column)?;
            }
        })
        .collect()
}

/// `column_value`'s arms: each data column's value, by table position.
fn column_values(data: &[DataField<'_, '_>]) -> Vec<TokenStream> {
    data.iter()
        .map(|d| {
            let field = d.field.ident;
            let codec = codec_const(d);
            let column = d.column_index;
            quote! {
                #column => __sq::encode_field(&self.#field, &#codec, Self::META, #column),
            }
        })
        .collect()
}

/// The struct literal's fields, decoded by column index.
fn field_decoders(model: &Model<'_>, data: &[DataField<'_, '_>]) -> Vec<TokenStream> {
    model.fields.iter().map(|field| {
        let ident = field.ident;
        match field.kind {
            FieldKind::Reserved(Reserved::Pk) => quote!(#ident: __pk),
            FieldKind::Reserved(Reserved::CreatedAt) => {
                quote!(#ident: __sq::decode_timestamp(__row, __layout.position(1), 1, Self::META, __pk)?)
            }
            FieldKind::Reserved(Reserved::UpdatedAt) => {
                quote!(#ident: __sq::decode_timestamp(__row, __layout.position(2), 2, Self::META, __pk)?)
            }
            _ => match data.iter().find(|d| d.field.name == field.name) {
                Some(d) => {
                    let codec = codec_const(d);
                    let column = d.column_index;
                    let ty = d.field.ty;
                    quote! {
                        #ident: match __layout.position(#column) {
                            ::core::option::Option::Some(__at) => {
                                __sq::decode_field(__row, __at, #column, &#codec, Self::META, __pk, __ctx)?
                            }
                            ::core::option::Option::None => __sq::unselected(
                                (&&__sq::Probe::<#ty>::NEW).unselected(),
                                Self::META,
                                #column,
                            )?,
                        }
                    }
                }
                None => match field.kind {
                    FieldKind::ManyToMany { .. } => {
                        let ty = field.ty;
                        let meta = ManyField::static_ident_of(&field.name);
                        // Spanned on the type, so a wrong one is reported there.
                        let bound = quote_spanned!(ty.span()=> <#ty>::bound);
                        quote!(#ident: #bound(&#meta, true, __pk, __ctx.link.clone()))
                    }
                    // Every other kind is a data field or reserved.
                    _ => quote!(#ident: ::core::default::Default::default()),
                },
            },
        }
    }).collect()
}

/// A `ManyToMany<T>` field and what the derive emits for it.
struct ManyField<'f, 'a> {
    field: &'f Field<'a>,
    /// The target type, `Self` replaced by the model (generated items live
    /// outside the struct).
    target: TokenStream,
    symmetrical: bool,
    /// Shares its target with another many-to-many field of the model.
    own_table: bool,
}

fn many_to_many_fields<'f, 'a>(model: &'f Model<'a>) -> Vec<ManyField<'f, 'a>> {
    let ident = model.ident;
    let fields: Vec<(&Field<'_>, TokenStream)> = model
        .fields
        .iter()
        .filter_map(|field| match field.kind {
            FieldKind::ManyToMany { target } => {
                let target = if crate::ast::is_ident(target, "Self") {
                    quote_spanned!(target.span()=> #ident)
                } else {
                    target.to_token_stream()
                };
                Some((field, target))
            }
            _ => None,
        })
        .collect();
    fields
        .iter()
        .map(|(field, target)| {
            let shared = fields
                .iter()
                .filter(|(f, t)| {
                    f.attrs.through.get().is_none() && t.to_string() == target.to_string()
                })
                .count();
            ManyField {
                field,
                target: target.clone(),
                symmetrical: field.attrs.symmetrical.get().is_some(),
                own_table: field.attrs.through.get().is_none() && shared > 1,
            }
        })
        .collect()
}

impl ManyField<'_, '_> {
    fn static_ident_of(field: &str) -> Ident {
        format_ident(&format!("__SQLITER_M2M_{field}"))
    }

    fn static_ident(&self) -> Ident {
        Self::static_ident_of(&self.field.name)
    }

    /// The reverse accessor's name and span (`None`: symmetrical).
    fn related_name(&self, model: &Model<'_>) -> Option<(String, Span)> {
        if self.symmetrical {
            return None;
        }
        Some(match self.field.attrs.related_name.get() {
            Some(lit) => (lit.value(), lit.span()),
            None => (
                default_related_name(&model.ident.to_string(), model.plural()),
                self.field.ident.span(),
            ),
        })
    }

    /// The field's `ManyToManyMeta` static.
    fn definition(&self, model: &Model<'_>) -> TokenStream {
        let ident = model.ident;
        let name = self.static_ident();
        let target = &self.target;
        let target_meta = quote_spanned!(target.span()=> <#target as __sq::DbModel>::table_meta);
        let field = &self.field.name;
        let related = match self.related_name(model) {
            Some((name, _)) => quote!(::core::option::Option::Some(#name)),
            None => quote!(::core::option::Option::None),
        };
        let through = match self.field.attrs.through.get() {
            Some(lit) => quote!(::core::option::Option::Some(#lit)),
            None => quote!(::core::option::Option::None),
        };
        let own_table = self.own_table;
        let symmetrical = self.symmetrical;
        quote! {
            static #name: __sq::ManyToManyMeta = __sq::ManyToManyMeta::new(
                <#ident as __sq::DbModel>::table_meta,
                #target_meta,
                #field,
                #related,
                #through,
                #own_table,
                #symmetrical,
            );
        }
    }

    /// The typed paths of both sides, the reverse accessor, and the
    /// registrations `prefetch_related` and `with_count` look up.
    fn relations(&self, model: &Model<'_>) -> TokenStream {
        let owner = model.ident;
        let target = &self.target;
        let meta = self.static_ident();
        let field = &self.field.name;
        let forward_const = Ident::new(&field.to_uppercase(), self.field.ident.span());
        let forward_doc = format!(
            "The many-to-many relation `{field}` as a typed path, for `prefetch_related` and `with_count`."
        );
        let mut out = quote! {
            impl #owner {
                #[doc = #forward_doc]
                #[allow(dead_code)]
                pub const #forward_const: __sq::RelationPath<Self, #target> = __sq::RelationPath::new(#field);
            }
        };
        out.extend(register_to_many(
            owner,
            field,
            target,
            &quote!(__sq::Via::Junction(__sq::Side { relation: &#meta, forward: true })),
            &quote!(__sq::load_related::<#target>),
        ));
        let Some((name, span)) = self.related_name(model) else {
            return out;
        };
        let method = Ident::new(&name, span);
        let path_const = Ident::new(&name.to_uppercase(), span);
        let doc = format!(
            "The `{owner}` records whose `{field}` holds this one: a many-to-many manager (reverse relation `{name}`)."
        );
        let path_doc = format!(
            "The reverse many-to-many relation `{name}` as a typed path, for `prefetch_related` and `with_count`."
        );
        let accessor = quote_spanned! {span=>
            #[doc = #path_doc]
            #[allow(dead_code)]
            pub const #path_const: __sq::RelationPath<Self, #owner> = __sq::RelationPath::new(#name);

            #[doc = #doc]
            #[allow(dead_code)]
            pub fn #method<D: __sq::LinkedDb>(&self, db: &D) -> __sq::ManyToManyOf<#owner, D> {
                __sq::ManyToManyOf::bound(
                    &#meta,
                    false,
                    __sq::DbModel::pk(self),
                    ::core::option::Option::Some(__sq::LinkedDb::link(db)),
                )
            }
        };
        out.extend(quote_spanned! {target.span()=>
            impl #target {
                #accessor
            }
        });
        out.extend(register_to_many(
            target,
            &name,
            owner,
            &quote!(__sq::Via::Junction(__sq::Side { relation: &#meta, forward: false })),
            &quote!(__sq::load_related::<#owner>),
        ));
        out
    }
}

/// `DbModel::bind_relations`: after an insert, many-to-many fields learn
/// their record's pk and every relation field the database's link.
fn bind_relations(
    model: &Model<'_>,
    data: &[DataField<'_, '_>],
    many: &[ManyField<'_, '_>],
) -> TokenStream {
    let pk = model.reserved(Reserved::Pk).map(|f| f.ident);
    let keys = data
        .iter()
        .filter(|d| d.field.relation_target().is_some())
        .map(|d| {
            let ident = d.field.ident;
            quote!(self.#ident.bind_link(__link, __replace);)
        });
    let fields = many.iter().map(|m| {
        let ident = m.field.ident;
        let ty = m.field.ty;
        let meta = m.static_ident();
        quote!(self.#ident = <#ty>::bound(&#meta, true, self.#pk, __link.cloned());)
    });
    let body: Vec<TokenStream> = keys.chain(fields).collect();
    if body.is_empty() {
        return TokenStream::new();
    }
    quote! {
        fn bind_relations(&mut self, __link: ::core::option::Option<&__sq::Link>, __replace: bool) {
            #(#body)*
        }
    }
}

fn format_ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}
