//! Binding and decoding of single fields, with the table/column context
//! errors need. Generated code calls these through `__private`.

use rusqlite::{Row, Statement};

use crate::error::{DecodeError, Error, Result};
use crate::model::TableMeta;
use crate::value::{DecodeContext, FieldCodec, Plain};

/// The codec of pks and timestamps.
pub(crate) const I64: FieldCodec<i64> = FieldCodec::new::<Plain>();
const NULLABLE_I64: FieldCodec<Option<i64>> = FieldCodec::new::<Plain>();

/// Bind `value` (column `column` of `meta`) at parameter `index`.
#[inline]
pub fn bind_field<T>(
    stmt: &mut Statement<'_>,
    index: usize,
    value: &T,
    codec: &FieldCodec<T>,
    meta: &'static TableMeta,
    column: usize,
) -> Result<()> {
    let output = (codec.encode)(value).map_err(|reason| Error::InvalidValue {
        table: meta.table_name.to_owned(),
        field: meta.columns[column].field.to_owned(),
        reason,
    })?;
    stmt.raw_bind_parameter(index, output).map_err(|source| {
        crate::error::sql_error(stmt.expanded_sql().as_deref().unwrap_or(""), source)
    })
}

fn decode_error(
    meta: &'static TableMeta,
    column: usize,
    pk: Option<i64>,
    reason: DecodeError,
) -> Error {
    Error::Decode {
        table: meta.table_name.to_owned(),
        column: meta.columns[column].column.to_owned(),
        pk,
        reason,
    }
}

fn value_at<'r>(
    row: &'r Row<'_>,
    index: usize,
    meta: &'static TableMeta,
    pk: Option<i64>,
) -> Result<rusqlite::types::ValueRef<'r>> {
    row.get_ref(index)
        .map_err(|e| decode_error(meta, index, pk, DecodeError::Invalid(e.to_string())))
}

/// Decode column `index` of `row` into a field of type `T`.
#[inline]
pub fn decode_field<T>(
    row: &Row<'_>,
    index: usize,
    codec: &FieldCodec<T>,
    meta: &'static TableMeta,
    pk: i64,
    ctx: &DecodeContext,
) -> Result<T> {
    (codec.decode)(value_at(row, index, meta, Some(pk))?, ctx)
        .map_err(|reason| decode_error(meta, index, Some(pk), reason))
}

/// Decode the primary key (column 0).
#[inline]
pub fn decode_pk(row: &Row<'_>, meta: &'static TableMeta) -> Result<i64> {
    (I64.decode)(value_at(row, 0, meta, None)?, &DecodeContext::default())
        .map_err(|reason| decode_error(meta, 0, None, reason))
}

/// Decode a timestamp column; the columns are nullable as upstream's, and a
/// NULL reads as 0 (upstream's default).
#[inline]
pub fn decode_timestamp(
    row: &Row<'_>,
    index: usize,
    meta: &'static TableMeta,
    pk: i64,
) -> Result<i64> {
    (NULLABLE_I64.decode)(
        value_at(row, index, meta, Some(pk))?,
        &DecodeContext::default(),
    )
    .map(Option::unwrap_or_default)
    .map_err(|reason| decode_error(meta, index, Some(pk), reason))
}
