//! Partial records: what a query with `fields`, `exclude` or `only` returns.
//!
//! A partial record reads like the model (it derefs to it), but it knows
//! which columns it loaded. Saving it writes only those columns (Django's
//! rule for deferred fields), so the `Default` values standing in for the
//! columns it did not load never overwrite stored data; and a change to a
//! field it did not load is refused rather than silently dropped.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::model::{ColumnKind, DbModel};
use crate::session::Session;
use crate::value::Value;

/// A record read with a projection (`fields`, `exclude`, `only`): the model
/// with only some columns loaded. Read and change it as the model (it
/// derefs to `M`); `db.update(&mut partial)` writes only the loaded fields.
///
/// ```
/// use sqliter_core::{DbModel, SqliterDB, prelude::*};
///
/// #[derive(DbModel, Debug, Clone, Default)]
/// struct Book { pk: i64, title: String, year: i32 }
///
/// # fn main() -> sqliter_core::Result<()> {
/// let db = SqliterDB::open_in_memory()?;
/// db.create_table::<Book>()?;
/// db.insert(Book { title: "Dune".into(), year: 1965, ..Default::default() })?;
/// let mut book = db.select::<Book>().only("title").fetch_one()?.unwrap();
/// assert_eq!((book.title.as_str(), book.year), ("Dune", 0)); // year was not loaded
/// book.title = "Dune Messiah".into();
/// db.update(&mut book)?; // writes the title only
/// assert_eq!(db.get::<Book>(book.pk)?.unwrap().year, 1965);
/// # Ok(()) }
/// ```
pub struct Partial<M> {
    record: M,
    /// The columns loaded, in table order (`pk` always among them).
    loaded: Arc<[usize]>,
    /// The data columns not loaded, with the value each held when read
    /// (its type's `Default`): a change to one of them is refused on save.
    unloaded: Box<[(usize, Value)]>,
}

impl<M: DbModel> Partial<M> {
    /// Wrap a record read with the columns `loaded`.
    pub(crate) fn new(record: M, loaded: Arc<[usize]>) -> Result<Self> {
        let unloaded = M::META
            .columns
            .iter()
            .enumerate()
            .filter(|(i, c)| c.kind == ColumnKind::Data && !loaded.contains(i))
            .map(|(i, _)| record.column_value(i).map(|v| (i, v)))
            .collect::<Result<_>>()?;
        Ok(Self {
            record,
            loaded,
            unloaded,
        })
    }

    /// The fields this record loaded (`pk` included), in table order.
    pub fn loaded_fields(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.loaded.iter().map(|&i| M::META.columns[i].field)
    }

    /// Whether field `field` was loaded.
    pub fn is_loaded(&self, field: &str) -> bool {
        M::META
            .column_index(field)
            .is_some_and(|i| self.loaded.contains(&i))
    }

    /// Write the loaded data fields of the record and bump `updated_at`.
    /// A field that was not loaded but holds another value than when read
    /// is refused (`InvalidUpdate`), before any SQL runs.
    pub(crate) fn save(&mut self, session: &Session<'_>) -> Result<()> {
        let meta = M::META;
        let mut changed = Vec::new();
        for (column, read) in &*self.unloaded {
            if self.record.column_value(*column)? != *read {
                changed.push(meta.columns[*column].field);
            }
        }
        if !changed.is_empty() {
            return Err(Error::InvalidUpdate(format!(
                "{}: {} not loaded by this partial read (fields / exclude / only) but \
                 changed; select {} to write {}",
                meta.model_name,
                quoted(&changed),
                if changed.len() == 1 { "it" } else { "them" },
                if changed.len() == 1 { "it" } else { "them" },
            )));
        }
        let data = self
            .loaded
            .iter()
            .copied()
            .filter(|&i| meta.columns[i].kind == ColumnKind::Data)
            .map(|i| Ok((i, self.record.column_value(i)?)))
            .collect::<Result<Vec<_>>>()?;
        super::update_columns(session, &mut self.record, &data)
    }
}

fn quoted(fields: &[&str]) -> String {
    let list: Vec<String> = fields.iter().map(|f| format!("'{f}'")).collect();
    format!(
        "{} {} {}",
        if fields.len() == 1 { "field" } else { "fields" },
        list.join(", "),
        if fields.len() == 1 { "was" } else { "were" }
    )
}

impl<M> Deref for Partial<M> {
    type Target = M;
    fn deref(&self) -> &M {
        &self.record
    }
}

impl<M> DerefMut for Partial<M> {
    fn deref_mut(&mut self) -> &mut M {
        &mut self.record
    }
}

impl<M: Clone> Clone for Partial<M> {
    fn clone(&self) -> Self {
        Self {
            record: self.record.clone(),
            loaded: Arc::clone(&self.loaded),
            unloaded: self.unloaded.clone(),
        }
    }
}

impl<M: fmt::Debug + DbModel> fmt::Debug for Partial<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Partial")
            .field("record", &self.record)
            .field("loaded", &self.loaded_fields().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// A partial record equals a model value with the same field values (its
/// unloaded fields hold their `Default`).
impl<M: PartialEq> PartialEq<M> for Partial<M> {
    fn eq(&self, other: &M) -> bool {
        self.record == *other
    }
}

impl<M: PartialEq> PartialEq for Partial<M> {
    fn eq(&self, other: &Self) -> bool {
        self.record == other.record
    }
}

/// Code written for `&M` (or `impl Borrow<M>`) takes partial records too.
impl<M> std::borrow::Borrow<M> for Partial<M> {
    fn borrow(&self) -> &M {
        &self.record
    }
}

impl<M> AsRef<M> for Partial<M> {
    fn as_ref(&self) -> &M {
        &self.record
    }
}

/// What a query returns and `update` saves: a whole model `M`, or a
/// [`Partial<M>`] read with a projection. Implemented for both; never
/// implement it yourself.
pub trait Record: Sized + Send + 'static {
    /// The model.
    type Model: DbModel;

    #[doc(hidden)]
    /// Build a row of a query whose projection loaded `loaded` (`None`: every
    /// column).
    fn from_query(record: Self::Model, loaded: Option<&Arc<[usize]>>) -> Result<Self>;

    #[doc(hidden)]
    /// The model value.
    fn model(&self) -> &Self::Model;

    #[doc(hidden)]
    /// The model value, to set its `updated_at` after a save elsewhere.
    fn model_mut(&mut self) -> &mut Self::Model;

    #[doc(hidden)]
    /// Write the record's row (what `update` runs).
    fn save(&mut self, session: &Session<'_>) -> Result<()>;

    #[doc(hidden)]
    /// A copy for the query cache, if the model is `Clone`.
    fn cache_copy(&self) -> Option<Self>;
}

impl<M: DbModel> Record for M {
    type Model = M;

    fn from_query(record: M, loaded: Option<&Arc<[usize]>>) -> Result<M> {
        match loaded {
            None => Ok(record),
            // The builder's type rules this out; say so rather than hand
            // out a record whose defaults an update would write.
            Some(_) => Err(Error::InvalidProjection(format!(
                "a partial read of {} must return Partial records",
                M::META.model_name
            ))),
        }
    }

    fn model(&self) -> &M {
        self
    }

    fn model_mut(&mut self) -> &mut M {
        self
    }

    fn save(&mut self, session: &Session<'_>) -> Result<()> {
        super::update(session, self)
    }

    fn cache_copy(&self) -> Option<M> {
        self.cache_clone()
    }
}

impl<M: DbModel> Record for Partial<M> {
    type Model = M;

    fn from_query(record: M, loaded: Option<&Arc<[usize]>>) -> Result<Self> {
        let loaded = loaded.map_or_else(|| (0..M::META.columns.len()).collect(), Arc::clone);
        Self::new(record, loaded)
    }

    fn model(&self) -> &M {
        &self.record
    }

    fn model_mut(&mut self) -> &mut M {
        &mut self.record
    }

    fn save(&mut self, session: &Session<'_>) -> Result<()> {
        Partial::save(self, session)
    }

    fn cache_copy(&self) -> Option<Self> {
        Some(Self {
            record: self.record.cache_clone()?,
            loaded: Arc::clone(&self.loaded),
            unloaded: self.unloaded.clone(),
        })
    }
}
