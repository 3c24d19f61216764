//! `select_related`: related records read from the same row through
//! `LEFT JOIN`s, and put into the records' `ForeignKey` fields.

use rusqlite::types::ValueRef;
use rusqlite::Row;

use crate::error::{Error, Result};
use crate::model::{DbModel, RowLayout, TableMeta};
use crate::query::{BadHop, Hop, Join, QuerySpec};
use crate::value::DecodeContext;

/// Follow the forward keys `hops` of `path` from the queried table, as
/// `select_related` and `with_count` do, handing each joined step to
/// `each`: the alias and table reached.
pub(crate) fn follow_keys<'p>(
    spec: &mut QuerySpec,
    path: &str,
    hops: impl IntoIterator<Item = &'p str>,
    mut each: impl FnMut(&mut QuerySpec, &'p str, Hop) -> Result<()>,
) -> Result<(usize, &'static TableMeta)> {
    let (mut on, mut table) = (0, spec.table);
    for hop in hops {
        let step = Join::follow(&mut spec.joins, on, table, hop).map_err(|bad| {
            let what = match bad {
                BadHop::NoField => "a field",
                BadHop::NotAKey => "a foreign key",
            };
            Error::InvalidRelationship {
                path: path.to_owned(),
                reason: format!("'{hop}' is not {what} of model {}", table.model_name),
            }
        })?;
        each(spec, hop, step)?;
        (on, table) = (step.alias, step.table);
    }
    Ok((on, table))
}

/// Add the joins of `select_related(path)` (`"author"`, `"book__author"`)
/// to `spec`, marking each one along the path as loaded.
pub(crate) fn select_related(spec: &mut QuerySpec, path: &str) -> Result<()> {
    follow_keys(spec, path, path.split("__"), |spec, hop, step| {
        if !step.orm {
            return Err(Error::InvalidRelationship {
                path: path.to_owned(),
                reason: format!(
                    "'{hop}' is a plain integer foreign key of model {}; declare it as `ForeignKey<T>` to load the record",
                    step.from.model_name
                ),
            });
        }
        if let Err(at) = spec.related.binary_search(&step.alias) {
            spec.related.insert(at, step.alias);
        }
        Ok(())
    })
    .map(drop)
}

/// Where each loaded join's record sits in a row, and which relation field
/// of its parent receives it.
#[derive(Debug)]
pub struct RelatedPlan {
    entries: Vec<Entry>,
}

#[derive(Debug)]
struct Entry {
    alias: usize,
    parent: usize,
    /// The foreign-key column of the parent that points here.
    column: usize,
    table: &'static TableMeta,
    layout: RowLayout,
    /// Row index of the joined table's pk.
    pk_at: usize,
}

impl RelatedPlan {
    /// The plan of `spec`, whose own columns take the first `base_width`
    /// row positions; `None` when nothing is loaded.
    pub(crate) fn of(spec: &QuerySpec, base_width: usize) -> Option<Self> {
        let loaded = loaded(spec);
        if loaded.is_empty() {
            return None;
        }
        let mut offset = base_width;
        let entries = loaded
            .iter()
            .map(|&alias| {
                let join = crate::query::join_at(spec, alias);
                let width = join.table.columns.len();
                let entry = Entry {
                    alias,
                    parent: join.parent,
                    column: join.column,
                    table: join.table,
                    layout: RowLayout::full_at(offset, width),
                    pk_at: offset,
                };
                offset += width;
                entry
            })
            .collect();
        Some(Self { entries })
    }

    /// Fill the relation fields of `record` (alias `alias`) from `row`.
    pub(crate) fn fill_children<M: DbModel>(
        &self,
        record: &M,
        alias: usize,
        row: &Row<'_>,
        ctx: &DecodeContext,
    ) -> Result<()> {
        for child in self.entries.iter().filter(|e| e.parent == alias) {
            let slot = record.relation_slot(child.column).ok_or_else(|| {
                Error::Internal(format!(
                    "{} has no relation field at column {}",
                    M::META.model_name,
                    child.column
                ))
            })?;
            slot.fill(row, self, child.alias, ctx)?;
        }
        Ok(())
    }

    /// The record of join `alias` in `row`, its own relations filled;
    /// `None` when the join found no row (a `NULL` or dangling key).
    pub(crate) fn decode<T: DbModel>(
        &self,
        row: &Row<'_>,
        alias: usize,
        ctx: &DecodeContext,
    ) -> Result<Option<T>> {
        let Some(entry) = self.entries.iter().find(|e| e.alias == alias) else {
            return Ok(None);
        };
        debug_assert!(std::ptr::eq(entry.table, T::META));
        let missing = matches!(row.get_ref(entry.pk_at), Ok(ValueRef::Null));
        if missing {
            return Ok(None);
        }
        let record = T::from_row(row, &entry.layout, ctx)?;
        self.fill_children(&record, alias, row, ctx)?;
        Ok(Some(record))
    }

    /// The joined tables' columns, in row order after the queried table's:
    /// `(alias, table)` per loaded join.
    pub(crate) fn tables(
        spec: &QuerySpec,
    ) -> impl Iterator<Item = (usize, &'static TableMeta)> + '_ {
        let loaded = loaded(spec).into_owned();
        loaded
            .into_iter()
            .map(|alias| (alias, crate::query::join_at(spec, alias).table))
    }
}

/// The joins whose records a query loads, ascending: those
/// `select_related` names and, on a query of whole records, every join a
/// traversal filter (`author__name__startswith`) made through
/// `ForeignKey<T>` fields only, as upstream: the row has been joined
/// anyway, so reading `book.author` after it costs no query.
fn loaded(spec: &QuerySpec) -> std::borrow::Cow<'_, [usize]> {
    if spec.aggregation.is_some()
        || spec.projection.is_some()
        || spec.joins.len() == spec.related.len()
    {
        return std::borrow::Cow::Borrowed(&spec.related);
    }
    // `orm[alias]`: reached from the queried table by `ForeignKey<T>`
    // fields only (a join's parent always comes before it).
    let mut orm = vec![true; spec.joins.len() + 1];
    let mut out = Vec::with_capacity(spec.joins.len());
    for (k, join) in spec.joins.iter().enumerate() {
        let parent = match join.parent {
            0 => spec.table,
            p => spec.joins[p - 1].table,
        };
        let by_field = parent.columns[join.column]
            .foreign_key
            .as_ref()
            .is_some_and(|fk| fk.orm);
        orm[k + 1] = orm[join.parent] && by_field;
        if orm[k + 1] || spec.related.binary_search(&(k + 1)).is_ok() {
            out.push(k + 1);
        }
    }
    std::borrow::Cow::Owned(out)
}
