//! Binding and decoding of single fields, with the table/column context
//! errors need. Generated code calls these through `__private`.

use rusqlite::{Row, Statement};

use crate::error::{DecodeError, Error, Result};
use crate::model::TableMeta;
use crate::value::{Codec, DecodeContext, Plain};

/// Bind `value` (column `column` of `meta`) at parameter `index`.
#[inline]
pub fn bind_field<C: Codec<T>, T>(
    stmt: &mut Statement<'_>,
    index: usize,
    value: &T,
    meta: &'static TableMeta,
    column: usize,
) -> Result<()> {
    let output = C::encode(value).map_err(|reason| Error::InvalidValue {
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
pub fn decode_field<C: Codec<T>, T>(
    row: &Row<'_>,
    index: usize,
    meta: &'static TableMeta,
    pk: i64,
    ctx: &DecodeContext,
) -> Result<T> {
    C::decode(value_at(row, index, meta, Some(pk))?, ctx)
        .map_err(|reason| decode_error(meta, index, Some(pk), reason))
}

/// Decode the primary key (column 0).
#[inline]
pub fn decode_pk(row: &Row<'_>, meta: &'static TableMeta) -> Result<i64> {
    <Plain as Codec<i64>>::decode(value_at(row, 0, meta, None)?, &DecodeContext::default())
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
    <Plain as Codec<Option<i64>>>::decode(
        value_at(row, index, meta, Some(pk))?,
        &DecodeContext::default(),
    )
    .map(Option::unwrap_or_default)
    .map_err(|reason| decode_error(meta, index, Some(pk), reason))
}
