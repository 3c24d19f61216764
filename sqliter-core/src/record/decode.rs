//! Binding and decoding of single fields, with the table/column context
//! errors need. Generated code calls these through `__private`.

use rusqlite::types::ValueRef;
use rusqlite::{Row, Statement};

use crate::error::{DecodeError, Error, Result};
use crate::model::{RowLayout, TableMeta};
use crate::value::{DecodeContext, FieldCodec, Plain};

/// The codec of pks and timestamps.
pub const I64: FieldCodec<i64> = FieldCodec::new::<Plain>();
const NULLABLE_I64: FieldCodec<Option<i64>> = FieldCodec::new::<Plain>();

/// The value `value` (column `column` of `meta`) is stored as.
pub fn encode_field<T>(
    value: &T,
    codec: &FieldCodec<T>,
    meta: &'static TableMeta,
    column: usize,
) -> Result<crate::value::Value> {
    (codec.encode)(value)
        .map(crate::value::Value::from_output)
        .map_err(|reason| invalid_value(meta, column, reason))
}

fn invalid_value(
    meta: &'static TableMeta,
    column: usize,
    reason: crate::error::ValueError,
) -> Error {
    Error::InvalidValue {
        table: meta.table_name.to_owned(),
        field: meta.columns[column].field.to_owned(),
        reason,
    }
}

/// A column the model's `column_value` does not hold (not a data column).
pub fn not_a_data_column(meta: &'static TableMeta, column: usize) -> Error {
    Error::Internal(format!(
        "column {column} of {} is not a data column",
        meta.model_name
    ))
}

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
    let output = (codec.encode)(value).map_err(|reason| invalid_value(meta, column, reason))?;
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

#[inline]
fn value_at<'r>(
    row: &'r Row<'_>,
    row_index: usize,
    meta: &'static TableMeta,
    column: usize,
    pk: Option<i64>,
) -> Result<ValueRef<'r>> {
    row.get_ref(row_index)
        .map_err(|e| decode_error(meta, column, pk, DecodeError::Invalid(e.to_string())))
}

/// Decode the value at `row_index` into the field of table column `column`.
#[inline]
pub fn decode_field<T>(
    row: &Row<'_>,
    row_index: usize,
    column: usize,
    codec: &FieldCodec<T>,
    meta: &'static TableMeta,
    pk: i64,
    ctx: &DecodeContext,
) -> Result<T> {
    (codec.decode)(value_at(row, row_index, meta, column, Some(pk))?, ctx)
        .map_err(|reason| decode_error(meta, column, Some(pk), reason))
}

/// Decode the primary key (always selected).
#[inline]
pub fn decode_pk(row: &Row<'_>, layout: &RowLayout, meta: &'static TableMeta) -> Result<i64> {
    let at = layout.position(0).unwrap_or(0);
    (I64.decode)(value_at(row, at, meta, 0, None)?, &DecodeContext::default())
        .map_err(|reason| decode_error(meta, 0, None, reason))
}

/// Decode a timestamp column. The columns are nullable as upstream's: NULL,
/// or a timestamp the query did not select, reads as 0 (upstream's default).
#[inline]
pub fn decode_timestamp(
    row: &Row<'_>,
    row_index: Option<usize>,
    column: usize,
    meta: &'static TableMeta,
    pk: i64,
) -> Result<i64> {
    let Some(row_index) = row_index else {
        return Ok(0);
    };
    match value_at(row, row_index, meta, column, Some(pk))? {
        // What nearly every row holds, decoded without the codec's call.
        ValueRef::Integer(seconds) => Ok(seconds),
        ValueRef::Null => Ok(0),
        other => (NULLABLE_I64.decode)(other, &DecodeContext::default())
            .map(Option::unwrap_or_default)
            .map_err(|reason| decode_error(meta, column, Some(pk), reason)),
    }
}

/// Whether `value` would read back as a field of `codec`'s type.
pub fn check_field<T>(
    codec: &FieldCodec<T>,
    value: ValueRef<'_>,
) -> std::result::Result<(), DecodeError> {
    (codec.decode)(value, &DecodeContext::default()).map(drop)
}

/// Picks `T::default()` for an unselected field when `T: Default`, and
/// `None` otherwise, by method resolution on `(&&Probe::<T>::NEW)`: the
/// derive knows each field's concrete type, so no field type is required
/// to implement `Default` unless a projection leaves it out.
#[derive(Debug)]
pub struct Probe<T>(std::marker::PhantomData<T>);

impl<T> Probe<T> {
    /// The probe.
    pub const NEW: Self = Self(std::marker::PhantomData);
}

/// Chosen when the field type has a `Default`.
pub trait ViaDefault<T> {
    /// The field's value when it was not selected.
    fn unselected(&self) -> Option<T>;
}

impl<T: Default> ViaDefault<T> for &Probe<T> {
    fn unselected(&self) -> Option<T> {
        Some(T::default())
    }
}

/// Chosen when it has none.
pub trait ViaNoDefault<T> {
    /// No value: a projection must select this field.
    fn unselected(&self) -> Option<T>;
}

impl<T> ViaNoDefault<T> for Probe<T> {
    fn unselected(&self) -> Option<T> {
        None
    }
}

/// Chosen when the probed type is `Clone`.
pub trait ViaClone<T> {
    /// A clone.
    fn probe_clone(&self, value: &T) -> Option<T>;
}

impl<T: Clone> ViaClone<T> for &Probe<T> {
    fn probe_clone(&self, value: &T) -> Option<T> {
        Some(value.clone())
    }
}

/// Chosen when it is not.
pub trait ViaNoClone<T> {
    /// No clone.
    fn probe_clone(&self, value: &T) -> Option<T>;
}

impl<T> ViaNoClone<T> for Probe<T> {
    fn probe_clone(&self, _: &T) -> Option<T> {
        None
    }
}

/// Chosen when the probed type knows its heap size.
pub trait ViaHeapSize<T> {
    /// Heap bytes owned.
    fn probe_heap_size(&self, value: &T) -> usize;
}

impl<T: crate::cache::HeapSize> ViaHeapSize<T> for &Probe<T> {
    fn probe_heap_size(&self, value: &T) -> usize {
        value.heap_size()
    }
}

/// Chosen when it does not (a user JSON type): counted as its inline size.
pub trait ViaNoHeapSize<T> {
    /// Zero heap bytes.
    fn probe_heap_size(&self, value: &T) -> usize;
}

impl<T> ViaNoHeapSize<T> for Probe<T> {
    fn probe_heap_size(&self, _: &T) -> usize {
        0
    }
}

/// The value of an unselected field, or an error naming it.
pub fn unselected<T>(value: Option<T>, meta: &'static TableMeta, column: usize) -> Result<T> {
    value.ok_or_else(|| {
        Error::InvalidProjection(format!(
            "field '{}' of {} has no Default value: select it",
            meta.columns[column].field, meta.model_name
        ))
    })
}
