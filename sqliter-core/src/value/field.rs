//! [`SqlField`] and its implementations for the plain column types.

use rusqlite::types::{ToSqlOutput, ValueRef};

use super::{storage_class, DecodeContext, SqlType};
use crate::error::{DecodeError, ValueError};

/// A Rust type that is stored in one SQLite column.
///
/// Implemented for the integer types that fit in `i64`, `f32`/`f64`,
/// `bool`, `String`, `Vec<u8>`, `Option<T>` of any of them, and (with the
/// default `chrono` feature) `NaiveDate` and `DateTime<Utc | Local |
/// FixedOffset>`. Other serde types are stored as JSON with
/// `#[sqliter(json)]`.
///
/// Numbers, bools, dates and datetimes also read from the text Python
/// SQLiter stores in its `TEXT`-declared `Optional` columns (`'5'`,
/// `'2.5'`, `'1'`, `'1709164800'`), strictly: text that is not the whole
/// number the field needs is a decode error.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be stored in an SQLite column",
    label = "unsupported field type",
    note = "supported: integers that fit in i64, f32/f64, bool, String, Vec<u8>, Option<T>, chrono dates and datetimes",
    note = "a serde type (Serialize + Deserialize) can be stored as JSON: mark the field `#[sqliter(json)]`"
)]
pub trait SqlField: Sized {
    /// The column type.
    const SQL_TYPE: SqlType;
    /// Whether the column accepts `NULL` (only `Option<T>`).
    const NULLABLE: bool = false;

    /// The value to bind, borrowing from `self` where possible.
    fn to_sql_output(&self) -> Result<ToSqlOutput<'_>, ValueError>;

    /// Read the value back from a column.
    fn from_sql_value(value: ValueRef<'_>, ctx: &DecodeContext) -> Result<Self, DecodeError>;
}

pub(crate) fn wrong_type(expected: &'static str, found: ValueRef<'_>) -> DecodeError {
    DecodeError::WrongType {
        expected,
        found: storage_class(found),
    }
}

/// Integers, bools, dates and datetimes; text from Python SQLiter's
/// `TEXT` columns (see `python`).
#[inline]
pub(crate) fn decode_i64(value: ValueRef<'_>) -> Result<i64, DecodeError> {
    match value {
        ValueRef::Integer(i) => Ok(i),
        ValueRef::Text(t) => super::python::integer(t),
        other => Err(wrong_type("INTEGER", other)),
    }
}

macro_rules! small_int {
    ($($t:ty),*) => {$(
        impl SqlField for $t {
            const SQL_TYPE: SqlType = SqlType::Integer;
            #[inline]
            fn to_sql_output(&self) -> Result<ToSqlOutput<'_>, ValueError> {
                Ok(ToSqlOutput::from(i64::from(*self)))
            }
            #[inline]
            fn from_sql_value(value: ValueRef<'_>, _: &DecodeContext) -> Result<Self, DecodeError> {
                let i = decode_i64(value)?;
                <$t>::try_from(i).map_err(|_| DecodeError::OutOfRange { value: i, target: stringify!($t) })
            }
        }
    )*};
}
small_int!(i8, i16, i32, u8, u16, u32);

// Types that may exceed i64: refused at write time instead of wrapping.
macro_rules! wide_int {
    ($($t:ty),*) => {$(
        impl SqlField for $t {
            const SQL_TYPE: SqlType = SqlType::Integer;
            #[inline]
            fn to_sql_output(&self) -> Result<ToSqlOutput<'_>, ValueError> {
                i64::try_from(*self)
                    .map(ToSqlOutput::from)
                    .map_err(|_| ValueError::OutOfRange(self.to_string()))
            }
            #[inline]
            fn from_sql_value(value: ValueRef<'_>, _: &DecodeContext) -> Result<Self, DecodeError> {
                let i = decode_i64(value)?;
                <$t>::try_from(i).map_err(|_| DecodeError::OutOfRange { value: i, target: stringify!($t) })
            }
        }
    )*};
}
wide_int!(u64, usize, isize);

impl SqlField for i64 {
    const SQL_TYPE: SqlType = SqlType::Integer;
    #[inline]
    fn to_sql_output(&self) -> Result<ToSqlOutput<'_>, ValueError> {
        Ok(ToSqlOutput::from(*self))
    }
    #[inline]
    fn from_sql_value(value: ValueRef<'_>, _: &DecodeContext) -> Result<Self, DecodeError> {
        decode_i64(value)
    }
}

impl SqlField for bool {
    const SQL_TYPE: SqlType = SqlType::Integer;
    #[inline]
    fn to_sql_output(&self) -> Result<ToSqlOutput<'_>, ValueError> {
        Ok(ToSqlOutput::from(i64::from(*self)))
    }
    #[inline]
    fn from_sql_value(value: ValueRef<'_>, _: &DecodeContext) -> Result<Self, DecodeError> {
        match decode_i64(value)? {
            0 => Ok(false),
            1 => Ok(true),
            other => Err(DecodeError::Invalid(format!(
                "{other} is not a boolean (0 or 1)"
            ))),
        }
    }
}

fn decode_f64(value: ValueRef<'_>) -> Result<f64, DecodeError> {
    match value {
        ValueRef::Real(f) => Ok(f),
        // REAL affinity stores integral floats as integers in some files.
        #[allow(clippy::cast_precision_loss)]
        ValueRef::Integer(i) => Ok(i as f64),
        ValueRef::Text(t) => super::python::real(t),
        other => Err(wrong_type("REAL", other)),
    }
}

impl SqlField for f64 {
    const SQL_TYPE: SqlType = SqlType::Real;
    #[inline]
    fn to_sql_output(&self) -> Result<ToSqlOutput<'_>, ValueError> {
        if self.is_nan() {
            return Err(ValueError::NaN);
        }
        Ok(ToSqlOutput::from(*self))
    }
    #[inline]
    fn from_sql_value(value: ValueRef<'_>, _: &DecodeContext) -> Result<Self, DecodeError> {
        decode_f64(value)
    }
}

impl SqlField for f32 {
    const SQL_TYPE: SqlType = SqlType::Real;
    #[inline]
    fn to_sql_output(&self) -> Result<ToSqlOutput<'_>, ValueError> {
        if self.is_nan() {
            return Err(ValueError::NaN);
        }
        Ok(ToSqlOutput::from(f64::from(*self)))
    }
    #[inline]
    fn from_sql_value(value: ValueRef<'_>, _: &DecodeContext) -> Result<Self, DecodeError> {
        #[allow(clippy::cast_possible_truncation)]
        decode_f64(value).map(|f| f as f32)
    }
}

impl SqlField for String {
    const SQL_TYPE: SqlType = SqlType::Text;
    #[inline]
    fn to_sql_output(&self) -> Result<ToSqlOutput<'_>, ValueError> {
        Ok(ToSqlOutput::Borrowed(ValueRef::Text(self.as_bytes())))
    }
    #[inline]
    fn from_sql_value(value: ValueRef<'_>, _: &DecodeContext) -> Result<Self, DecodeError> {
        match value {
            ValueRef::Text(t) => std::str::from_utf8(t)
                .map(str::to_owned)
                .map_err(|e| DecodeError::Invalid(format!("text is not UTF-8: {e}"))),
            other => Err(wrong_type("TEXT", other)),
        }
    }
}

impl SqlField for Vec<u8> {
    const SQL_TYPE: SqlType = SqlType::Blob;
    #[inline]
    fn to_sql_output(&self) -> Result<ToSqlOutput<'_>, ValueError> {
        Ok(ToSqlOutput::Borrowed(ValueRef::Blob(self)))
    }
    #[inline]
    fn from_sql_value(value: ValueRef<'_>, _: &DecodeContext) -> Result<Self, DecodeError> {
        match value {
            ValueRef::Blob(b) => Ok(b.to_vec()),
            other => Err(wrong_type("BLOB", other)),
        }
    }
}

impl<T: SqlField> SqlField for Option<T> {
    const SQL_TYPE: SqlType = T::SQL_TYPE;
    const NULLABLE: bool = true;
    #[inline]
    fn to_sql_output(&self) -> Result<ToSqlOutput<'_>, ValueError> {
        match self {
            Some(v) => v.to_sql_output(),
            None => Ok(ToSqlOutput::Borrowed(ValueRef::Null)),
        }
    }
    #[inline]
    fn from_sql_value(value: ValueRef<'_>, ctx: &DecodeContext) -> Result<Self, DecodeError> {
        match value {
            ValueRef::Null => Ok(None),
            other => T::from_sql_value(other, ctx).map(Some),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> DecodeContext {
        DecodeContext::default()
    }

    #[test]
    fn u64_above_i64_max_is_refused() {
        assert_eq!(
            u64::MAX.to_sql_output().unwrap_err(),
            ValueError::OutOfRange(u64::MAX.to_string())
        );
        assert!(u64::try_from(i64::MAX).unwrap().to_sql_output().is_ok());
    }

    #[test]
    fn nan_is_refused_but_infinity_is_not() {
        assert_eq!(f64::NAN.to_sql_output().unwrap_err(), ValueError::NaN);
        assert_eq!(f32::NAN.to_sql_output().unwrap_err(), ValueError::NaN);
        assert!(f64::INFINITY.to_sql_output().is_ok());
    }

    #[test]
    fn small_integers_reject_out_of_range_values() {
        assert_eq!(
            u8::from_sql_value(ValueRef::Integer(300), &ctx()),
            Err(DecodeError::OutOfRange {
                value: 300,
                target: "u8"
            })
        );
        assert_eq!(
            u32::from_sql_value(ValueRef::Integer(-1), &ctx()),
            Err(DecodeError::OutOfRange {
                value: -1,
                target: "u32"
            })
        );
    }

    #[test]
    fn bool_accepts_only_zero_and_one() {
        assert_eq!(bool::from_sql_value(ValueRef::Integer(1), &ctx()), Ok(true));
        assert!(bool::from_sql_value(ValueRef::Integer(2), &ctx()).is_err());
    }

    #[test]
    fn python_text_numbers_are_read_strictly() {
        assert_eq!(
            Option::<i64>::from_sql_value(ValueRef::Text(b"5"), &ctx()),
            Ok(Some(5))
        );
        assert_eq!(
            Option::<f64>::from_sql_value(ValueRef::Text(b"2.5"), &ctx()),
            Ok(Some(2.5))
        );
        assert_eq!(
            Option::<bool>::from_sql_value(ValueRef::Text(b"0"), &ctx()),
            Ok(Some(false))
        );
        assert_eq!(
            Option::<bool>::from_sql_value(ValueRef::Text(b"1"), &ctx()),
            Ok(Some(true))
        );
        assert!(Option::<bool>::from_sql_value(ValueRef::Text(b"true"), &ctx()).is_err());
        assert_eq!(
            Option::<i64>::from_sql_value(ValueRef::Text(b"5.5"), &ctx()),
            Err(DecodeError::Invalid(
                "text \"5.5\" is not an integer".into()
            ))
        );
        assert!(Option::<u8>::from_sql_value(ValueRef::Text(b"300"), &ctx()).is_err());
    }

    #[test]
    fn wrong_storage_class_is_named() {
        assert_eq!(
            i64::from_sql_value(ValueRef::Blob(b"abc"), &ctx()),
            Err(DecodeError::WrongType {
                expected: "INTEGER",
                found: "BLOB"
            })
        );
        assert_eq!(
            String::from_sql_value(ValueRef::Null, &ctx()),
            Err(DecodeError::WrongType {
                expected: "TEXT",
                found: "NULL"
            })
        );
    }
}
