//! Dates and datetimes, stored as unix seconds (UTC) like upstream.
//!
//! A `NaiveDate` is stored as the unix time of its UTC midnight and read
//! back as that same calendar date in every time zone (upstream returns the
//! previous day west of UTC). Sub-second precision is dropped, as upstream.

use chrono::{DateTime, FixedOffset, Local, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use rusqlite::types::{ToSqlOutput, ValueRef};

use super::field::decode_i64;
use super::{DecodeContext, SqlField, SqlType};
use crate::error::{DecodeError, ValueError};

fn utc_from_unix(secs: i64) -> Result<DateTime<Utc>, DecodeError> {
    DateTime::from_timestamp(secs, 0)
        .ok_or_else(|| DecodeError::Invalid(format!("{secs} is not a valid unix timestamp")))
}

impl SqlField for NaiveDate {
    const SQL_TYPE: SqlType = SqlType::Integer;
    fn to_sql_output(&self) -> Result<ToSqlOutput<'_>, ValueError> {
        Ok(ToSqlOutput::from(
            self.and_time(NaiveTime::MIN).and_utc().timestamp(),
        ))
    }
    fn from_sql_value(value: ValueRef<'_>, _: &DecodeContext) -> Result<Self, DecodeError> {
        // Taken in UTC on purpose: the stored value is the date's UTC midnight.
        utc_from_unix(decode_i64(value)?).map(|dt| dt.date_naive())
    }
}

/// A naive datetime is stored as the unix time of the same wall-clock time
/// in UTC, so it reads back unchanged in every time zone. (Upstream takes
/// it as local time, which makes the stored value, and what another zone
/// reads back, depend on where it was written.)
impl SqlField for NaiveDateTime {
    const SQL_TYPE: SqlType = SqlType::Integer;
    fn to_sql_output(&self) -> Result<ToSqlOutput<'_>, ValueError> {
        Ok(ToSqlOutput::from(self.and_utc().timestamp()))
    }
    fn from_sql_value(value: ValueRef<'_>, _: &DecodeContext) -> Result<Self, DecodeError> {
        utc_from_unix(decode_i64(value)?).map(|dt| dt.naive_utc())
    }
}

impl SqlField for DateTime<Utc> {
    const SQL_TYPE: SqlType = SqlType::Integer;
    fn to_sql_output(&self) -> Result<ToSqlOutput<'_>, ValueError> {
        Ok(ToSqlOutput::from(self.timestamp()))
    }
    fn from_sql_value(value: ValueRef<'_>, _: &DecodeContext) -> Result<Self, DecodeError> {
        utc_from_unix(decode_i64(value)?)
    }
}

impl SqlField for DateTime<Local> {
    const SQL_TYPE: SqlType = SqlType::Integer;
    fn to_sql_output(&self) -> Result<ToSqlOutput<'_>, ValueError> {
        Ok(ToSqlOutput::from(self.timestamp()))
    }
    fn from_sql_value(value: ValueRef<'_>, _: &DecodeContext) -> Result<Self, DecodeError> {
        utc_from_unix(decode_i64(value)?).map(|dt| dt.with_timezone(&Local))
    }
}

/// Follows the database's `return_local_time`: the local offset when set,
/// UTC otherwise.
impl SqlField for DateTime<FixedOffset> {
    const SQL_TYPE: SqlType = SqlType::Integer;
    fn to_sql_output(&self) -> Result<ToSqlOutput<'_>, ValueError> {
        Ok(ToSqlOutput::from(self.timestamp()))
    }
    fn from_sql_value(value: ValueRef<'_>, ctx: &DecodeContext) -> Result<Self, DecodeError> {
        let utc = utc_from_unix(decode_i64(value)?)?;
        Ok(if ctx.return_local_time {
            utc.with_timezone(&Local).fixed_offset()
        } else {
            utc.fixed_offset()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_stored_as_utc_midnight() {
        let day = NaiveDate::from_ymd_opt(2024, 1, 15).unwrap();
        assert_eq!(
            day.to_sql_output().unwrap(),
            ToSqlOutput::from(1_705_276_800_i64)
        );
        let moon = NaiveDate::from_ymd_opt(1969, 7, 20).unwrap();
        assert_eq!(
            moon.to_sql_output().unwrap(),
            ToSqlOutput::from(-14_256_000_i64)
        );
    }

    #[test]
    fn fixed_offset_follows_return_local_time() {
        let utc_ctx = DecodeContext {
            return_local_time: false,
            link: None,
        };
        let dt = DateTime::<FixedOffset>::from_sql_value(ValueRef::Integer(0), &utc_ctx).unwrap();
        assert_eq!(dt.offset().local_minus_utc(), 0);
    }

    /// Python SQLiter's `Optional[date]` / `Optional[datetime]` columns
    /// are `TEXT`: the unix seconds arrive as text.
    #[test]
    fn python_text_timestamps_are_read() {
        let ctx = DecodeContext::default();
        assert_eq!(
            Option::<NaiveDate>::from_sql_value(ValueRef::Text(b"1709164800"), &ctx),
            Ok(NaiveDate::from_ymd_opt(2024, 2, 29))
        );
        assert_eq!(
            Option::<DateTime<Utc>>::from_sql_value(ValueRef::Text(b"1709164800"), &ctx)
                .unwrap()
                .map(|d| d.timestamp()),
            Some(1_709_164_800)
        );
        assert!(Option::<NaiveDate>::from_sql_value(ValueRef::Text(b"2024-02-29"), &ctx).is_err());
    }
}
