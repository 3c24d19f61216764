//! Values given to string lookups and updates: scalars or lists.

use crate::error::ValueError;
use crate::value::{SqlField, Value};

/// A scalar that can be compared with or written to a column. It converts
/// exactly as a field of its type is stored (dates to unix seconds, bools
/// to 0/1), so a filter on a date matches the stored date.
pub trait Scalar {
    /// The value to bind, or why it cannot be stored.
    fn into_value(self) -> Result<Value, ValueError>;
}

macro_rules! scalar_via_field {
    ($($t:ty),* $(,)?) => {$(
        impl Scalar for $t {
            fn into_value(self) -> Result<Value, ValueError> {
                SqlField::to_sql_output(&self).map(Value::from_output)
            }
        }
    )*};
}
scalar_via_field!(i8, i16, i32, i64, u8, u16, u32, u64, usize, isize, f32, f64, bool, String);

#[cfg(feature = "chrono")]
scalar_via_field!(
    chrono::NaiveDate,
    chrono::NaiveDateTime,
    chrono::DateTime<chrono::Utc>,
    chrono::DateTime<chrono::Local>,
    chrono::DateTime<chrono::FixedOffset>,
);

impl Scalar for &str {
    fn into_value(self) -> Result<Value, ValueError> {
        Ok(Value::Text(self.to_owned()))
    }
}

impl Scalar for Value {
    fn into_value(self) -> Result<Value, ValueError> {
        match self {
            Value::Real(f) if f.is_nan() => Err(ValueError::NaN),
            other => Ok(other),
        }
    }
}

impl<T: Scalar> Scalar for Option<T> {
    fn into_value(self) -> Result<Value, ValueError> {
        self.map_or(Ok(Value::Null), Scalar::into_value)
    }
}

/// The right-hand side of a string lookup or an update: one value or a
/// list (for `in` / `not_in`). Build it with `.into()` from any [`Scalar`],
/// a `Vec` or an array of them.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    /// One value (`None` is `Value::Null`).
    One(Value),
    /// A list, for `in` and `not_in`.
    List(Vec<Value>),
    /// A value that cannot be stored (NaN, a `u64` above `i64::MAX`).
    Invalid(ValueError),
}

impl<T: Scalar> From<T> for Param {
    fn from(v: T) -> Self {
        v.into_value().map_or_else(Param::Invalid, Param::One)
    }
}

fn list<T: Scalar>(items: impl IntoIterator<Item = T>) -> Param {
    items
        .into_iter()
        .map(Scalar::into_value)
        .collect::<Result<Vec<_>, _>>()
        .map_or_else(Param::Invalid, Param::List)
}

impl<T: Scalar> From<Vec<T>> for Param {
    fn from(v: Vec<T>) -> Self {
        list(v)
    }
}

impl<T: Scalar, const N: usize> From<[T; N]> for Param {
    fn from(v: [T; N]) -> Self {
        list(v)
    }
}

impl Param {
    /// A short name of the kind, for error messages.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Self::One(Value::Null) => "None",
            Self::One(v) => v.storage_class(),
            Self::List(_) => "a list",
            Self::Invalid(_) => "an invalid value",
        }
    }
}

impl std::fmt::Display for Param {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::One(v) => write!(f, "{v}"),
            Self::List(items) => {
                f.write_str("[")?;
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
            Self::Invalid(e) => write!(f, "<{e}>"),
        }
    }
}
