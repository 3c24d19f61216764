//! Filter conditions: typed column handles and upstream's string lookups
//! (`"year__gte"`), both producing the same [`Condition`].

use std::borrow::Cow;
use std::marker::PhantomData;

use super::param::Param;
use super::spec::BadHop;
use super::text::fold;
use crate::error::{Error, ValueError};
use crate::model::{DbModel, TableMeta};
use crate::value::{FieldCodec, SqlType, Value};

/// A comparison operator, named as upstream's lookup suffixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// `eq` (the default): `=`, or `IS NULL` for `None`.
    Eq,
    /// `ne`: `!=`, or `IS NOT NULL` for `None`. Rows whose value is NULL
    /// do not match `ne(value)` (SQL semantics, as upstream).
    Ne,
    /// `lt`: `<`.
    Lt,
    /// `lte`: `<=`.
    Lte,
    /// `gt`: `>`.
    Gt,
    /// `gte`: `>=`.
    Gte,
    /// `in`: one of a list. `None` in the list also matches NULL.
    In,
    /// `not_in`: none of a list. `None` in the list also excludes NULL.
    NotIn,
    /// `isnull`: `IS NULL` (`false`: `IS NOT NULL`).
    IsNull,
    /// `notnull`: `IS NOT NULL` (`false`: `IS NULL`).
    NotNull,
    /// `like`: SQL `LIKE` with the caller's own `%` / `_` pattern.
    Like,
    /// `startswith`: case-sensitive, the text taken literally.
    StartsWith,
    /// `endswith`: case-sensitive, the text taken literally.
    EndsWith,
    /// `contains`: case-sensitive, the text taken literally.
    Contains,
    /// `istartswith`: case-insensitive (Unicode), the text taken literally.
    IStartsWith,
    /// `iendswith`: case-insensitive (Unicode), the text taken literally.
    IEndsWith,
    /// `icontains`: case-insensitive (Unicode), the text taken literally.
    IContains,
    /// `iexact`: equal ignoring case (Unicode case folding).
    IExact,
}

impl Op {
    const ALL: [(&'static str, Op); 18] = [
        ("eq", Op::Eq),
        ("ne", Op::Ne),
        ("lt", Op::Lt),
        ("lte", Op::Lte),
        ("gt", Op::Gt),
        ("gte", Op::Gte),
        ("in", Op::In),
        ("not_in", Op::NotIn),
        ("isnull", Op::IsNull),
        ("notnull", Op::NotNull),
        ("like", Op::Like),
        ("startswith", Op::StartsWith),
        ("endswith", Op::EndsWith),
        ("contains", Op::Contains),
        ("istartswith", Op::IStartsWith),
        ("iendswith", Op::IEndsWith),
        ("icontains", Op::IContains),
        ("iexact", Op::IExact),
    ];

    /// The operator of a lookup suffix.
    pub fn from_suffix(suffix: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .find(|(name, _)| *name == suffix)
            .map(|(_, op)| *op)
    }

    /// The lookup suffix.
    pub fn suffix(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, op)| *op == self)
            .map_or("", |(name, _)| name)
    }

    pub(crate) fn is_case_insensitive(self) -> bool {
        matches!(
            self,
            Op::IStartsWith | Op::IEndsWith | Op::IContains | Op::IExact
        )
    }

    pub(crate) fn is_text(self) -> bool {
        matches!(
            self,
            Op::Like
                | Op::StartsWith
                | Op::EndsWith
                | Op::Contains
                | Op::IStartsWith
                | Op::IEndsWith
                | Op::IContains
                | Op::IExact
        )
    }
}

/// The value a text operator binds: the caller's text, folded for the
/// case-insensitive operators (the stored text is folded in SQL, see
/// [`super::text`]). Typed and string filters both come through here.
fn text_pattern(op: Op, text: &str) -> Value {
    Value::Text(if op.is_case_insensitive() {
        fold(text)
    } else {
        text.to_owned()
    })
}

/// What an operator is compared with.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Operand {
    One(Value),
    List(Vec<Value>),
    /// `isnull` / `notnull` with `true` / `false`.
    Flag(bool),
    /// The pks related to the record with this pk through a many-to-many
    /// relation: `IN (SELECT ... FROM junction ...)`.
    Related(crate::relation::Side, Value),
}

/// One checked condition on one column of a table.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The table alias the column belongs to: 0 for the queried table, k
    /// for the k-th join.
    pub(crate) on: usize,
    pub(crate) column: usize,
    pub(crate) op: Op,
    pub(crate) operand: Operand,
}

impl Condition {
    /// `column = value` on the queried table.
    pub(crate) fn equals(column: usize, value: i64) -> Self {
        Self {
            on: 0,
            column,
            op: Op::Eq,
            operand: Operand::One(Value::Integer(value)),
        }
    }

    /// The records related to `source` through `side`: `pk IN (SELECT
    /// ... FROM junction WHERE ... = source)`.
    pub(crate) fn related(side: crate::relation::Side, source: i64) -> Self {
        Self {
            on: 0,
            column: 0,
            op: Op::In,
            operand: Operand::Related(side, Value::Integer(source)),
        }
    }

    /// The junction table a condition reads, if any (the cache drops the
    /// answer when it is written).
    pub(crate) fn junction_table(&self) -> Option<&'static str> {
        match &self.operand {
            Operand::Related(side, _) => Some(side.table()),
            _ => None,
        }
    }

    /// `column IN (values)` on the queried table.
    pub(crate) fn one_of(column: usize, values: &[i64]) -> Self {
        Self {
            on: 0,
            column,
            op: Op::In,
            operand: Operand::List(values.iter().copied().map(Value::Integer).collect()),
        }
    }
}

/// A condition for model `M`, or the error that building it met (reported
/// by the query's terminal method).
#[derive(Debug)]
pub struct Filter<M> {
    pub(crate) condition: Result<Condition, Error>,
    /// The foreign keys followed to the condition's table
    /// (`"author__country"`), empty for `M`'s own columns.
    via: String,
    _model: PhantomData<fn() -> M>,
}

impl<M> Filter<M> {
    fn new(condition: Result<Condition, Error>) -> Self {
        Self {
            condition,
            via: String::new(),
            _model: PhantomData,
        }
    }

    /// This filter of a related model, applied through `path` (what
    /// `Book::author().filter(..)` builds).
    pub(crate) fn through<P>(self, path: &str) -> Filter<P> {
        let via = if self.via.is_empty() {
            path.to_owned()
        } else {
            format!("{path}__{}", self.via)
        };
        Filter {
            condition: self.condition,
            via,
            _model: PhantomData,
        }
    }
}

fn invalid_filter(field: impl Into<String>, reason: impl Into<String>) -> Error {
    Error::InvalidFilter {
        field: field.into(),
        reason: reason.into(),
    }
}

/// Check an operator's operand kind as upstream does: a list only for
/// `in`/`not_in`, text only for the text operators, a bool for `isnull`.
pub(crate) fn parse_operand(field: &str, op: Op, param: Param) -> Result<Operand, Error> {
    let suffix = op.suffix();
    match (op, param) {
        (_, Param::Invalid(reason)) => Err(invalid_filter(
            field,
            format!("invalid value for '__{suffix}': {reason}"),
        )),
        (Op::In | Op::NotIn, Param::List(items)) => Ok(Operand::List(items)),
        (Op::In | Op::NotIn, other) => Err(invalid_filter(
            field,
            format!("'__{suffix}' requires a list, not {}", other.kind()),
        )),
        (_, Param::List(_)) => Err(invalid_filter(
            field,
            format!("'__{suffix}' requires a scalar, not a list"),
        )),
        (Op::IsNull | Op::NotNull, Param::One(Value::Integer(flag @ (0 | 1)))) => {
            Ok(Operand::Flag(flag == 1))
        }
        (Op::IsNull | Op::NotNull, other) => Err(invalid_filter(
            field,
            format!("'__{suffix}' requires true or false, not {}", other.kind()),
        )),
        (op, Param::One(Value::Text(text))) if op.is_text() => {
            Ok(Operand::One(text_pattern(op, &text)))
        }
        (op, other) if op.is_text() => Err(invalid_filter(
            field,
            format!("'__{suffix}' requires a string value, not {}", other.kind()),
        )),
        (_, Param::One(value)) => Ok(Operand::One(value)),
    }
}

/// Parse an upstream lookup (`"name"`, `"year__gte"`, and through
/// foreign keys `"author_id__name__startswith"`, any depth) against `meta`,
/// adding the joins a traversal needs to `joins`.
pub(crate) fn parse_lookup(
    meta: &'static TableMeta,
    joins: &mut Vec<super::spec::Join>,
    key: &str,
    param: Param,
) -> Result<Condition, Error> {
    let segments: Vec<&str> = key.split("__").collect();
    let (path, op) = match segments.split_last() {
        Some((last, rest)) if !rest.is_empty() => match Op::from_suffix(last) {
            Some(op) => (rest, op),
            None => (&segments[..], Op::Eq),
        },
        _ => (&segments[..], Op::Eq),
    };
    let Some((field, hops)) = path.split_last() else {
        return Err(invalid_filter(key, "empty lookup"));
    };
    let (on, table) = follow(
        meta,
        joins,
        hops,
        key,
        Some(path.get(hops.len()).copied().unwrap_or(field)),
    )?;
    let column = table.column_index(field).ok_or_else(|| {
        invalid_filter(
            *field,
            format!("no such field on model {}", table.model_name),
        )
    })?;
    let operand = parse_operand(field, op, param)?;
    check_lookup_value(table, column, op, &operand)?;
    Ok(Condition {
        on,
        column,
        op,
        operand,
    })
}

/// Check a string lookup's value against the column, as bulk updates check
/// theirs: a value of another kind (`"abc"` for an integer, `5` for a text)
/// is an error, not a filter that silently matches nothing (or, through
/// SQLite's affinity, something else). Ordering comparisons accept any
/// number on a numeric column; `eq`, `ne`, `in` and `not_in` need a value
/// the field can hold. `None` is allowed for `ne` and on nullable columns.
fn check_lookup_value(
    table: &TableMeta,
    column: usize,
    op: Op,
    operand: &Operand,
) -> Result<(), Error> {
    let meta = &table.columns[column];
    let check = |value: &Value| -> Result<(), String> {
        if matches!(value, Value::Null) {
            return if meta.nullable || op == Op::Ne {
                Ok(())
            } else {
                Err("None never matches a field that is not nullable (use '__isnull')".into())
            };
        }
        let numeric = matches!(value, Value::Integer(_) | Value::Real(_));
        let kind_fits = match meta.sql_type {
            SqlType::Integer | SqlType::Real => numeric,
            SqlType::Text => matches!(value, Value::Text(_)),
            SqlType::Blob => matches!(value, Value::Blob(_)),
        };
        if !kind_fits {
            return Err(format!(
                "the field stores {}, not {}",
                meta.sql_type.keyword(),
                value.storage_class()
            ));
        }
        let exact = matches!(op, Op::Eq | Op::Ne | Op::In | Op::NotIn);
        if exact {
            // SQLite compares 3.0 and 3 as equal numbers.
            #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
            let as_stored = match value {
                Value::Real(f)
                    if meta.sql_type == SqlType::Integer
                        && f.fract() == 0.0
                        && f.abs() < i64::MAX as f64 =>
                {
                    Value::Integer(*f as i64)
                }
                other => other.clone(),
            };
            (meta.check)(as_stored.as_ref())
                .map_err(|reason| format!("the field can never hold {value}: {reason}"))?;
        }
        Ok(())
    };
    let values: &[Value] = match operand {
        Operand::One(value) if !op.is_text() => std::slice::from_ref(value),
        Operand::List(items) => items,
        _ => &[],
    };
    for value in values {
        check(value).map_err(|reason| {
            invalid_filter(
                meta.field,
                format!(
                    "invalid value for '__{}' on {}.{}: {reason}",
                    op.suffix(),
                    table.model_name,
                    meta.field
                ),
            )
        })?;
    }
    Ok(())
}

/// Follow the foreign keys `hops` from `meta`, joining each table (reusing
/// equal joins): the alias and table reached. `after` is the segment after
/// the hops in a string lookup, named in the error when a hop is not a key.
fn follow(
    meta: &'static TableMeta,
    joins: &mut Vec<super::spec::Join>,
    hops: &[&str],
    key: &str,
    after: Option<&str>,
) -> Result<(usize, &'static TableMeta), Error> {
    let (mut on, mut table) = (0, meta);
    for (i, hop) in hops.iter().enumerate() {
        let step = super::spec::Join::follow(joins, on, table, hop).map_err(|bad| match bad {
            // `nonexistent__name`: a relation that does not exist (what
            // select_related reports for the same path).
            BadHop::NoField => Error::InvalidRelationship {
                path: key.to_owned(),
                reason: format!(
                    "'{hop}' is not a field of model {} to follow",
                    table.model_name
                ),
            },
            // `name__regex`: a misspelt operator, or a traversal through a
            // field that is not a foreign key.
            BadHop::NotAKey => {
                let next = hops.get(i + 1).copied().or(after).unwrap_or_default();
                let reason = format!(
                    "unknown operator '__{next}', and '{hop}' is not a foreign key of {} to follow",
                    table.model_name
                );
                invalid_filter(key, reason)
            }
        })?;
        (on, table) = (step.alias, step.table);
    }
    Ok((on, table))
}

/// A typed handle on one field of model `M` whose Rust type is `T`,
/// generated by the derive as `Model::field()`. Conditions built from it
/// are checked by the compiler: a misspelt field or a value of the wrong
/// type does not compile.
///
/// ```
/// use sqliter_core::{DbModel, SqliterDB, prelude::*};
///
/// #[derive(DbModel, Debug, Default)]
/// struct Book { pk: i64, title: String, year: i32 }
///
/// # fn main() -> sqliter_core::Result<()> {
/// let db = SqliterDB::open_in_memory()?;
/// db.create_table::<Book>()?;
/// db.insert(Book { title: "Dune".into(), year: 1965, ..Default::default() })?;
/// let old = db.select::<Book>().filter(Book::year().lt(2000)).fetch_all()?;
/// assert_eq!(old.len(), 1);
/// # Ok(()) }
/// ```
pub struct Column<M, T: 'static> {
    index: usize,
    codec: &'static FieldCodec<T>,
    _model: PhantomData<fn() -> M>,
}

impl<M, T> Clone for Column<M, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<M, T> Copy for Column<M, T> {}

impl<M, T> std::fmt::Debug for Column<M, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Column")
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

impl<M: DbModel, T> Column<M, T> {
    #[doc(hidden)]
    pub const fn new(index: usize, codec: &'static FieldCodec<T>) -> Self {
        Self {
            index,
            codec,
            _model: PhantomData,
        }
    }

    /// The field's name.
    pub fn name(&self) -> &'static str {
        M::META.columns[self.index].field
    }

    fn encode(&self, value: &T) -> Result<Value, ValueError> {
        (self.codec.encode)(value).map(Value::from_output)
    }

    fn compare(self, op: Op, value: &T) -> Filter<M> {
        let condition = self
            .encode(value)
            .map(|v| Condition {
                on: 0,
                column: self.index,
                op,
                operand: Operand::One(v),
            })
            .map_err(|reason| invalid_filter(self.name(), format!("invalid value: {reason}")));
        Filter::new(condition)
    }

    fn list(self, op: Op, values: impl IntoIterator<Item = T>) -> Filter<M> {
        let condition = values
            .into_iter()
            .map(|v| self.encode(&v))
            .collect::<Result<Vec<_>, _>>()
            .map(|items| Condition {
                on: 0,
                column: self.index,
                op,
                operand: Operand::List(items),
            })
            .map_err(|reason| invalid_filter(self.name(), format!("invalid value: {reason}")));
        Filter::new(condition)
    }

    /// `field = value` (`IS NULL` for `None` of an `Option` field).
    pub fn eq(self, value: impl Into<T>) -> Filter<M> {
        self.compare(Op::Eq, &value.into())
    }
    /// `field != value` (`IS NOT NULL` for `None`).
    pub fn ne(self, value: impl Into<T>) -> Filter<M> {
        self.compare(Op::Ne, &value.into())
    }
    /// `field < value`.
    pub fn lt(self, value: impl Into<T>) -> Filter<M> {
        self.compare(Op::Lt, &value.into())
    }
    /// `field <= value`.
    pub fn lte(self, value: impl Into<T>) -> Filter<M> {
        self.compare(Op::Lte, &value.into())
    }
    /// `field > value`.
    pub fn gt(self, value: impl Into<T>) -> Filter<M> {
        self.compare(Op::Gt, &value.into())
    }
    /// `field >= value`.
    pub fn gte(self, value: impl Into<T>) -> Filter<M> {
        self.compare(Op::Gte, &value.into())
    }
    /// `field IN (...)`; an empty list matches nothing.
    pub fn is_in(self, values: impl IntoIterator<Item = T>) -> Filter<M> {
        self.list(Op::In, values)
    }
    /// `field NOT IN (...)`; an empty list matches everything.
    pub fn not_in(self, values: impl IntoIterator<Item = T>) -> Filter<M> {
        self.list(Op::NotIn, values)
    }
    /// `field IS NULL`.
    pub fn is_null(self) -> Filter<M> {
        self.flag(Op::IsNull)
    }
    /// `field IS NOT NULL`.
    pub fn not_null(self) -> Filter<M> {
        self.flag(Op::NotNull)
    }

    fn flag(self, op: Op) -> Filter<M> {
        Filter::new(Ok(Condition {
            on: 0,
            column: self.index,
            op,
            operand: Operand::Flag(true),
        }))
    }

    fn text(self, op: Op, text: &str) -> Filter<M> {
        Filter::new(Ok(Condition {
            on: 0,
            column: self.index,
            op,
            operand: Operand::One(text_pattern(op, text)),
        }))
    }

    /// Ascending order on this field.
    pub fn asc(self) -> OrderKey<M> {
        OrderKey::new(self.index, false)
    }

    /// Descending order on this field.
    pub fn desc(self) -> OrderKey<M> {
        OrderKey::new(self.index, true)
    }

    /// An assignment `field = value` for `update` / `update_where`.
    pub fn set(self, value: impl Into<T>) -> Assignment {
        Assignment {
            field: Cow::Borrowed(self.name()),
            value: self
                .encode(&value.into())
                .map_or_else(Param::Invalid, Param::One),
        }
    }
}

/// Text operators, on `String` and `Option<String>` fields.
pub trait TextColumn<M>: Sized {
    #[doc(hidden)]
    fn text_filter(self, op: Op, text: &str) -> Filter<M>;

    /// SQL `LIKE` with your own `%` and `_` wildcards (ASCII
    /// case-insensitive, as SQLite's), over the whole stored text.
    fn like(self, pattern: &str) -> Filter<M> {
        self.text_filter(Op::Like, pattern)
    }
    /// Starts with `text` (case-sensitive and byte-exact: `%`, `_`, `*`,
    /// `?`, `[` and NUL are ordinary characters).
    fn startswith(self, text: &str) -> Filter<M> {
        self.text_filter(Op::StartsWith, text)
    }
    /// Ends with `text` (case-sensitive, literal).
    fn endswith(self, text: &str) -> Filter<M> {
        self.text_filter(Op::EndsWith, text)
    }
    /// Contains `text` (case-sensitive, literal).
    fn contains(self, text: &str) -> Filter<M> {
        self.text_filter(Op::Contains, text)
    }
    /// Starts with `text`, ignoring case (Unicode-aware, literal).
    fn istartswith(self, text: &str) -> Filter<M> {
        self.text_filter(Op::IStartsWith, text)
    }
    /// Ends with `text`, ignoring case (Unicode-aware, literal).
    fn iendswith(self, text: &str) -> Filter<M> {
        self.text_filter(Op::IEndsWith, text)
    }
    /// Contains `text`, ignoring case (Unicode-aware, literal).
    fn icontains(self, text: &str) -> Filter<M> {
        self.text_filter(Op::IContains, text)
    }
    /// Equal to `text`, ignoring case (full Unicode case folding: `"STRASSE"`
    /// matches `"Straße"`).
    fn iexact(self, text: &str) -> Filter<M> {
        self.text_filter(Op::IExact, text)
    }
}

impl<M: DbModel> TextColumn<M> for Column<M, String> {
    fn text_filter(self, op: Op, text: &str) -> Filter<M> {
        self.text(op, text)
    }
}

impl<M: DbModel> TextColumn<M> for Column<M, Option<String>> {
    fn text_filter(self, op: Op, text: &str) -> Filter<M> {
        self.text(op, text)
    }
}

/// One `ORDER BY` key of model `M`.
#[derive(Debug)]
pub struct OrderKey<M> {
    pub(crate) column: usize,
    pub(crate) descending: bool,
    _model: PhantomData<fn() -> M>,
}

impl<M> OrderKey<M> {
    fn new(column: usize, descending: bool) -> Self {
        Self {
            column,
            descending,
            _model: PhantomData,
        }
    }
}

/// `field = value` in an update: from a typed [`Column::set`], or from a
/// `(name, value)` pair checked at run time.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    pub(crate) field: Cow<'static, str>,
    pub(crate) value: Param,
}

impl<S: Into<Cow<'static, str>>, V: Into<Param>> From<(S, V)> for Assignment {
    fn from((field, value): (S, V)) -> Self {
        Self {
            field: field.into(),
            value: value.into(),
        }
    }
}

/// Turn a typed filter into the untyped condition, keeping its error.
/// The condition of `filter` on `meta`'s query, joining the tables its
/// path follows.
pub(crate) fn into_condition<M>(
    meta: &'static TableMeta,
    joins: &mut Vec<super::spec::Join>,
    filter: Filter<M>,
) -> Result<Condition, Error> {
    let mut condition = filter.condition?;
    if !filter.via.is_empty() {
        let hops: Vec<&str> = filter.via.split("__").collect();
        condition.on = follow(meta, joins, &hops, &filter.via, None)?.0;
    }
    Ok(condition)
}
