//! How Rust values become SQLite values and back.
//!
//! Every field type implements [`SqlField`]; the derive chooses a [`Codec`]
//! per field ([`Plain`] for `SqlField` types, [`Json`] for serde types such
//! as `Vec<T>`, maps, sets, tuples and fields marked `#[sqliter(json)]`,
//! [`Pickle`] for fields marked `#[sqliter(pickle)]`).

mod codec;
mod field;
mod finite;
mod pickle;
mod python;
#[cfg(feature = "chrono")]
mod time;

pub use codec::{Codec, FieldCodec, Json, NullableJson, Plain};
pub(crate) use field::wrong_type;
pub use field::SqlField;
pub use pickle::{NullablePickle, Pickle};

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
#[derive(Debug, Clone)]
pub struct DecodeContext {
    /// Datetimes read into `DateTime<FixedOffset>` fields carry the local
    /// offset when true, UTC when false (upstream's `return_local_time`).
    pub return_local_time: bool,
    /// The database the rows come from, for the records' relation fields.
    pub link: Option<crate::relation::Link>,
}

impl Default for DecodeContext {
    fn default() -> Self {
        Self {
            return_local_time: true,
            link: None,
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

impl Value {
    /// Own the value a codec produced.
    pub fn from_output(output: ToSqlOutput<'_>) -> Self {
        match output {
            ToSqlOutput::Borrowed(v) => Self::from_ref(v),
            ToSqlOutput::Owned(v) => match v {
                rusqlite::types::Value::Null => Self::Null,
                rusqlite::types::Value::Integer(i) => Self::Integer(i),
                rusqlite::types::Value::Real(f) => Self::Real(f),
                rusqlite::types::Value::Text(s) => Self::Text(s),
                rusqlite::types::Value::Blob(b) => Self::Blob(b),
            },
            // Codecs only produce plain values.
            _ => Self::Null,
        }
    }

    /// Own a borrowed SQLite value (text that is not UTF-8 is kept lossily).
    pub fn from_ref(value: ValueRef<'_>) -> Self {
        match value {
            ValueRef::Null => Self::Null,
            ValueRef::Integer(i) => Self::Integer(i),
            ValueRef::Real(f) => Self::Real(f),
            ValueRef::Text(t) => Self::Text(String::from_utf8_lossy(t).into_owned()),
            ValueRef::Blob(b) => Self::Blob(b.to_vec()),
        }
    }

    /// Borrow as SQLite's value type.
    pub fn as_ref(&self) -> ValueRef<'_> {
        match self {
            Self::Null => ValueRef::Null,
            Self::Integer(i) => ValueRef::Integer(*i),
            Self::Real(f) => ValueRef::Real(*f),
            Self::Text(s) => ValueRef::Text(s.as_bytes()),
            Self::Blob(b) => ValueRef::Blob(b),
        }
    }

    /// Whether this is SQL `NULL`.
    pub fn is_null(&self) -> bool {
        matches!(self, Self::Null)
    }

    /// The text, if this is text.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::Text(s) => Some(s),
            _ => None,
        }
    }

    /// The integer, if this is an integer.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Self::Integer(i) => Some(*i),
            _ => None,
        }
    }

    /// The number as a float, if this is an integer or a real.
    #[allow(clippy::cast_precision_loss)]
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Self::Integer(i) => Some(*i as f64),
            Self::Real(f) => Some(*f),
            _ => None,
        }
    }

    /// The storage class name (`NULL`, `INTEGER`, `REAL`, `TEXT`, `BLOB`).
    pub fn storage_class(&self) -> &'static str {
        storage_class(self.as_ref())
    }
}

macro_rules! value_from {
    ($($t:ty => $variant:ident),* $(,)?) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Self {
                Self::$variant(v.into())
            }
        }
    )*};
}
value_from!(i8 => Integer, i16 => Integer, i32 => Integer, i64 => Integer, u8 => Integer, u16 => Integer, u32 => Integer, bool => Integer, f32 => Real, f64 => Real, String => Text, Vec<u8> => Blob);

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Self::Text(v.to_owned())
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Self::Null, Into::into)
    }
}

/// SQL-literal style: `NULL`, `42`, `2.5`, `'it''s'`, `x'00ff'`.
impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Null => f.write_str("NULL"),
            Self::Integer(i) => write!(f, "{i}"),
            Self::Real(r) => write!(f, "{r}"),
            Self::Text(s) => write!(f, "'{}'", s.replace('\'', "''")),
            Self::Blob(b) => {
                f.write_str("x'")?;
                for byte in b {
                    write!(f, "{byte:02x}")?;
                }
                f.write_str("'")
            }
        }
    }
}
