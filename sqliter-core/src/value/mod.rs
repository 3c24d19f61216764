//! How Rust values become SQLite values and back.
//!
//! Every field type implements [`SqlField`]; the derive chooses a [`Codec`]
//! per field ([`Plain`] for `SqlField` types, [`Json`] for serde types such
//! as `Vec<T>`, maps, sets, tuples and fields marked `#[sqliter(json)]`).

mod codec;
mod field;
#[cfg(feature = "chrono")]
mod time;

pub use codec::{Codec, FieldCodec, Json, NullableJson, Plain};
pub use field::SqlField;

use rusqlite::types::{ToSql, ToSqlOutput, ValueRef};

/// The SQLite column type a field is stored as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SqlType {
    /// `INTEGER`: integers, bools, dates and datetimes.
    Integer,
    /// `REAL`: floats.
    Real,
    /// `TEXT`: strings and JSON values.
    Text,
    /// `BLOB`: `Vec<u8>`.
    Blob,
}

impl SqlType {
    /// The keyword used in `CREATE TABLE`.
    pub const fn keyword(self) -> &'static str {
        match self {
            Self::Integer => "INTEGER",
            Self::Real => "REAL",
            Self::Text => "TEXT",
            Self::Blob => "BLOB",
        }
    }
}

/// Settings that change how stored values are read back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeContext {
    /// Datetimes read into `DateTime<FixedOffset>` fields carry the local
    /// offset when true, UTC when false (upstream's `return_local_time`).
    pub return_local_time: bool,
}

impl Default for DecodeContext {
    fn default() -> Self {
        Self {
            return_local_time: true,
        }
    }
}

/// An owned SQLite value: what a dynamic lookup or update binds.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL `NULL`.
    Null,
    /// A 64-bit integer (also bools, dates and datetimes).
    Integer(i64),
    /// A float (never NaN).
    Real(f64),
    /// Text (also JSON values).
    Text(String),
    /// Bytes.
    Blob(Vec<u8>),
}

impl ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Self::Null => ValueRef::Null,
            Self::Integer(i) => ValueRef::Integer(*i),
            Self::Real(f) => ValueRef::Real(*f),
            Self::Text(s) => ValueRef::Text(s.as_bytes()),
            Self::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

/// The name of a stored value's storage class, for error messages.
pub(crate) fn storage_class(value: ValueRef<'_>) -> &'static str {
    match value {
        ValueRef::Null => "NULL",
        ValueRef::Integer(_) => "INTEGER",
        ValueRef::Real(_) => "REAL",
        ValueRef::Text(_) => "TEXT",
        ValueRef::Blob(_) => "BLOB",
    }
}
