//! Exact type conversion for a rebuild's copy, as two SQL functions every
//! connection gets: `sqliter_exact(value, 'TYPE')` returns the value for a
//! column of that type or fails the statement when the conversion would
//! change it (`'abc'` or `2.5` into an integer), and
//! `sqliter_converts(value, 'TYPE')` says whether it would succeed (the
//! report of a refused migration counts the rows it is false for). The copy
//! checks as it goes: no pass over the table of its own.

use rusqlite::functions::{Context, FunctionFlags};
use rusqlite::types::{Value as Raw, ValueRef};
use rusqlite::Connection;

use crate::value::SqlType;

/// `value` as a column of `to` would hold it, or `None` if that would not
/// be exact. Text and blobs are handed back as they are for `TEXT` / `BLOB`
/// (the copy's `CAST` turns numbers into text, which loses nothing).
fn exact(value: ValueRef<'_>, to: SqlType) -> Option<Raw> {
    match (to, value) {
        (_, ValueRef::Null) => Some(Raw::Null),
        (SqlType::Blob, v)
        | (SqlType::Text, v @ (ValueRef::Text(_) | ValueRef::Integer(_) | ValueRef::Real(_))) => {
            Some(owned(v))
        }
        (SqlType::Integer, ValueRef::Integer(i)) => Some(Raw::Integer(i)),
        (SqlType::Integer, ValueRef::Real(f)) => integral(f).map(Raw::Integer),
        (SqlType::Integer, ValueRef::Text(t)) => canonical_integer(t).map(Raw::Integer),
        #[allow(clippy::cast_precision_loss)]
        (SqlType::Real, ValueRef::Integer(i)) => Some(Raw::Real(i as f64)),
        (SqlType::Real, ValueRef::Real(f)) => Some(Raw::Real(f)),
        (SqlType::Real, ValueRef::Text(t)) => std::str::from_utf8(t)
            .ok()
            .filter(|s| !s.is_empty() && s.trim() == *s)
            .and_then(|s| s.parse::<f64>().ok())
            .filter(|f| f.is_finite())
            .map(Raw::Real),
        // A blob is no number, nor text SQLite would read back.
        (SqlType::Integer | SqlType::Real | SqlType::Text, ValueRef::Blob(_)) => None,
    }
}

fn owned(value: ValueRef<'_>) -> Raw {
    match value {
        ValueRef::Null => Raw::Null,
        ValueRef::Integer(i) => Raw::Integer(i),
        ValueRef::Real(f) => Raw::Real(f),
        ValueRef::Text(t) => Raw::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Raw::Blob(b.to_vec()),
    }
}

#[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
fn integral(f: f64) -> Option<i64> {
    (f.fract() == 0.0 && f.abs() < i64::MAX as f64).then_some(f as i64)
}

/// Text that is exactly an integer's decimal form (`"42"`, not `"042"`,
/// `"+42"` or `" 42"`).
fn canonical_integer(text: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(text).ok()?;
    let i: i64 = s.parse().ok()?;
    (i.to_string() == s).then_some(i)
}

fn target(ctx: &Context<'_>) -> rusqlite::Result<SqlType> {
    match ctx.get_raw(1).as_str()? {
        "INTEGER" => Ok(SqlType::Integer),
        "REAL" => Ok(SqlType::Real),
        "TEXT" => Ok(SqlType::Text),
        "BLOB" => Ok(SqlType::Blob),
        other => Err(rusqlite::Error::UserFunctionError(
            format!("not a column type: {other}").into(),
        )),
    }
}

/// Register both functions on a connection.
pub(crate) fn register(conn: &Connection) -> rusqlite::Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    conn.create_scalar_function("sqliter_exact", 2, flags, |ctx| {
        let to = target(ctx)?;
        exact(ctx.get_raw(0), to).ok_or_else(|| {
            rusqlite::Error::UserFunctionError(
                format!("a value would not convert exactly to {}", to.keyword()).into(),
            )
        })
    })?;
    conn.create_scalar_function("sqliter_converts", 2, flags, |ctx| {
        let to = target(ctx)?;
        Ok(exact(ctx.get_raw(0), to).is_some())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_are_exact_or_refused() {
        let int = |v: ValueRef<'_>| exact(v, SqlType::Integer);
        assert_eq!(int(ValueRef::Text(b"42")), Some(Raw::Integer(42)));
        assert_eq!(int(ValueRef::Text(b"-7")), Some(Raw::Integer(-7)));
        for lossy in [&b"042"[..], b"+4", b" 4", b"abc", b"", b"4.0"] {
            assert_eq!(int(ValueRef::Text(lossy)), None, "{lossy:?}");
        }
        assert_eq!(int(ValueRef::Real(3.0)), Some(Raw::Integer(3)));
        assert_eq!(int(ValueRef::Real(2.5)), None);
        assert_eq!(int(ValueRef::Blob(b"1")), None);
        let real = |v: ValueRef<'_>| exact(v, SqlType::Real);
        assert_eq!(real(ValueRef::Text(b"2.5")), Some(Raw::Real(2.5)));
        assert_eq!(real(ValueRef::Integer(2)), Some(Raw::Real(2.0)));
        assert_eq!(real(ValueRef::Text(b"x")), None);
        assert_eq!(exact(ValueRef::Blob(b"\x80"), SqlType::Text), None);
        assert_eq!(
            exact(ValueRef::Integer(5), SqlType::Text),
            Some(Raw::Integer(5))
        );
        assert_eq!(exact(ValueRef::Null, SqlType::Integer), Some(Raw::Null));
    }
}
