//! Codecs: the derive picks one per field, so `Vec<u8>` can be a BLOB while
//! other `Vec<T>` are JSON without overlapping trait impls.

use rusqlite::types::{ToSqlOutput, Value as RawValue, ValueRef};
use serde::{de::DeserializeOwned, Serialize};

use super::field::wrong_type;
use super::{DecodeContext, SqlField, SqlType};
use crate::error::{DecodeError, ValueError};

/// Encodes and decodes a field of type `T`.
pub trait Codec<T> {
    /// The column type.
    const SQL_TYPE: SqlType;
    /// Whether the column accepts `NULL`.
    const NULLABLE: bool;
    /// The value to bind.
    fn encode(value: &T) -> Result<ToSqlOutput<'_>, ValueError>;
    /// The value read back.
    fn decode(value: ValueRef<'_>, ctx: &DecodeContext) -> Result<T, DecodeError>;
}

/// A field's codec as plain data: built once per field by the derive, in a
/// constant that is the only place the type's bound is checked (so a wrong
/// type is one error at the user's type, not one per use). Bind and decode
/// call through the function pointers, which the compiler resolves.
pub struct FieldCodec<T> {
    /// The column type.
    pub sql_type: SqlType,
    /// Whether the column accepts `NULL`.
    pub nullable: bool,
    /// See [`Codec::encode`].
    pub encode: for<'a> fn(&'a T) -> Result<ToSqlOutput<'a>, ValueError>,
    /// See [`Codec::decode`].
    pub decode: fn(ValueRef<'_>, &DecodeContext) -> Result<T, DecodeError>,
}

impl<T> FieldCodec<T> {
    /// The codec `C` of `T`.
    pub const fn new<C: Codec<T>>() -> Self {
        Self {
            sql_type: C::SQL_TYPE,
            nullable: C::NULLABLE,
            encode: C::encode,
            decode: C::decode,
        }
    }
}

impl<T> std::fmt::Debug for FieldCodec<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FieldCodec")
            .field("sql_type", &self.sql_type)
            .field("nullable", &self.nullable)
            .finish_non_exhaustive()
    }
}

/// The codec of [`SqlField`] types.
#[derive(Debug, Clone, Copy)]
pub struct Plain;

impl<T: SqlField> Codec<T> for Plain {
    const SQL_TYPE: SqlType = T::SQL_TYPE;
    const NULLABLE: bool = T::NULLABLE;
    #[inline]
    fn encode(value: &T) -> Result<ToSqlOutput<'_>, ValueError> {
        value.to_sql_output()
    }
    #[inline]
    fn decode(value: ValueRef<'_>, ctx: &DecodeContext) -> Result<T, DecodeError> {
        T::from_sql_value(value, ctx)
    }
}

/// The codec of serde types stored as JSON text in a `NOT NULL` column.
#[derive(Debug, Clone, Copy)]
pub struct Json;

/// The codec of `Option<T>` of a serde type: `None` is SQL `NULL` (not the
/// JSON text `null`), so `isnull` filters work as on any other column.
#[derive(Debug, Clone, Copy)]
pub struct NullableJson;

fn to_json<T: Serialize>(value: &T) -> Result<ToSqlOutput<'static>, ValueError> {
    super::finite::check(value).map_err(ValueError::NonFiniteInJson)?;
    serde_json::to_string(value)
        .map(|s| ToSqlOutput::Owned(RawValue::Text(s)))
        .map_err(|e| ValueError::Json(e.to_string()))
}

fn from_json<T: DeserializeOwned>(value: ValueRef<'_>) -> Result<T, DecodeError> {
    match value {
        ValueRef::Text(t) => serde_json::from_slice(t)
            .map_err(|e| DecodeError::Invalid(format!("invalid JSON: {e}"))),
        // Protocol 2+ pickles open with PROTO (0x80).
        ValueRef::Blob([0x80, ..]) => Err(DecodeError::Invalid(
            "a pickle (Python SQLiter's encoding of complex values), not JSON: mark the field `#[sqliter(pickle)]`".into(),
        )),
        other => Err(wrong_type("TEXT (JSON)", other)),
    }
}

impl<T: Serialize + DeserializeOwned> Codec<T> for Json {
    const SQL_TYPE: SqlType = SqlType::Text;
    const NULLABLE: bool = false;
    fn encode(value: &T) -> Result<ToSqlOutput<'_>, ValueError> {
        to_json(value)
    }
    fn decode(value: ValueRef<'_>, _: &DecodeContext) -> Result<T, DecodeError> {
        from_json(value)
    }
}

impl<T: Serialize + DeserializeOwned> Codec<Option<T>> for NullableJson {
    const SQL_TYPE: SqlType = SqlType::Text;
    const NULLABLE: bool = true;
    fn encode(value: &Option<T>) -> Result<ToSqlOutput<'_>, ValueError> {
        match value {
            Some(v) => to_json(v),
            None => Ok(ToSqlOutput::Borrowed(ValueRef::Null)),
        }
    }
    fn decode(value: ValueRef<'_>, _: &DecodeContext) -> Result<Option<T>, DecodeError> {
        match value {
            ValueRef::Null => Ok(None),
            other => from_json(other).map(Some),
        }
    }
}
