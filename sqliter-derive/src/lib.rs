//! `#[derive(DbModel)]` for SQLiter for Rust. Use it through `sqliter-core`
//! or `sqliter-async`, which re-export it; see their documentation for the
//! attributes.
//!
//! The macro works in phases, one module each: `attr` parses
//! `#[sqliter(...)]`, `ast` builds a typed model of the struct, `valid`
//! checks cross-field rules, and `expand` generates code. Every mistake is
//! collected and reported at once, on the user's token.

mod ast;
mod attr;
mod ctxt;
mod expand;
mod naming;
mod valid;

use proc_macro::TokenStream;
use syn::{parse_macro_input, DeriveInput};

/// Derive `DbModel`: the table description, row binding and decoding of a
/// struct with named fields and a `pk: i64` field.
#[proc_macro_derive(DbModel, attributes(sqliter))]
pub fn derive_db_model(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::derive(&input).into()
}
