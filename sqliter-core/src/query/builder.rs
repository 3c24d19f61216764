//! The sync door's query builder.

use std::marker::PhantomData;

use super::chain::QueryChain;
use super::exec;
use super::filter::Assignment;
use super::spec::QuerySpec;
use super::spec::Terminal;
use serde::de::DeserializeOwned;

use super::aggregate::DictRow;
use crate::cache::Cacheable;
use crate::db::SqliterDB;
use crate::error::Result;
use crate::model::DbModel;
use crate::record::{Partial, Record};
use crate::relation::Related;
use crate::session::Session;

/// A query on `M` against a [`SqliterDB`]: chain methods from
/// [`QueryChain`], then a terminal method. A builder can run more than once.
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
/// for (title, year) in [("Dune", 1965), ("Anathem", 2008), ("Piranesi", 2020)] {
///     db.insert(Book { title: title.into(), year, ..Default::default() })?;
/// }
/// let recent = db
///     .select::<Book>()
///     .filter(Book::year().gte(2000))
///     .order("title", false)
///     .limit(20)
///     .fetch_all()?;
/// assert_eq!(recent.iter().map(|b| b.title.as_str()).collect::<Vec<_>>(), ["Anathem", "Piranesi"]);
/// # Ok(()) }
/// ```
///
/// `R` is what the row terminals return: `M`, or [`Partial<M>`] once
/// `fields`, `exclude` or `only` chose the columns.
#[derive(Debug)]
pub struct QueryBuilder<'db, M, R = M> {
    db: &'db SqliterDB,
    spec: QuerySpec,
    _model: PhantomData<fn() -> (M, R)>,
}

impl<M, R> Clone for QueryBuilder<'_, M, R> {
    fn clone(&self) -> Self {
        Self {
            db: self.db,
            spec: self.spec.clone(),
            _model: PhantomData,
        }
    }
}

impl<'db, M: DbModel, R: Record<Model = M>> QueryChain for QueryBuilder<'db, M, R> {
    type Model = M;
    type Partial = QueryBuilder<'db, M, Partial<M>>;
    fn spec_mut(&mut self) -> &mut QuerySpec {
        &mut self.spec
    }
    fn into_partial(self) -> Self::Partial {
        QueryBuilder {
            db: self.db,
            spec: self.spec,
            _model: PhantomData,
        }
    }
}

impl<'db, M: DbModel> QueryBuilder<'db, M> {
    pub(crate) fn new(db: &'db SqliterDB) -> Self {
        Self {
            db,
            spec: QuerySpec::new(M::META),
            _model: PhantomData,
        }
    }

    /// Every matching record with the relations `prefetch_related` names,
    /// loaded by one extra query per level (never cached).
    pub fn fetch_related(&self) -> Result<Vec<Related<M>>> {
        exec::check(&self.spec, Terminal::Related)?;
        self.db.with_session(|s| exec::fetch_related(s, &self.spec))
    }

    /// The first matching record in the query's order (as `fetch_one`)
    /// with the relations `prefetch_related` names: upstream's
    /// `fetch_one` / `fetch_first` on a prefetching query. One query per
    /// level, as `fetch_related`.
    ///
    /// ```
    /// # use sqliter_core::{DbModel, ForeignKey, SqliterDB, prelude::*};
    /// # #[derive(DbModel, Debug, Clone, Default)] struct Author { pk: i64, name: String }
    /// # #[derive(DbModel, Debug, Clone, Default)]
    /// # struct Book { pk: i64, title: String, #[sqliter(related_name = "books")] author: ForeignKey<Author> }
    /// # let db = SqliterDB::open_in_memory()?;
    /// # db.create_table::<Author>()?; db.create_table::<Book>()?;
    /// let ann = db.insert(Author { name: "Ann".into(), ..Default::default() })?;
    /// db.insert(Book { title: "Dune".into(), author: ForeignKey::to(&ann), ..Default::default() })?;
    /// let author = db.select::<Author>().prefetch_related("books").fetch_one_related()?.unwrap();
    /// assert_eq!(author.prefetched::<Book>("books")?.count(), 1);
    /// # Ok::<(), sqliter_core::Error>(())
    /// ```
    pub fn fetch_one_related(&self) -> Result<Option<Related<M>>> {
        exec::check(&self.spec, Terminal::Related)?;
        self.db
            .with_session(|s| exec::fetch_one_related(s, &self.spec))
    }
}

impl<'db, M: DbModel, R: Record<Model = M>> QueryBuilder<'db, M, R> {
    fn run<T>(&self, f: impl FnOnce(&Session<'_>, &QuerySpec) -> Result<T>) -> Result<T> {
        if let Some(error) = &self.spec.error {
            return Err(error.clone());
        }
        self.db.with_session(|s| f(s, &self.spec))
    }

    /// Answer from the cache when it can, else run `f` and keep its answer.
    fn cached<T: Cacheable>(
        &self,
        terminal: Terminal,
        f: fn(&Session<'_>, &QuerySpec) -> Result<T>,
    ) -> Result<T> {
        self.db.cached(&self.spec, terminal, f)
    }

    /// The rows of a projection query (`group_by` / `annotate`), keyed by
    /// grouped field and alias.
    pub fn fetch_dicts(&self) -> Result<Vec<DictRow>> {
        self.cached(Terminal::Dicts, exec::fetch_dicts)
    }

    /// The rows of a projection query, each decoded into `T` by name.
    pub fn fetch_as<T: DeserializeOwned>(&self) -> Result<Vec<T>> {
        self.fetch_dicts()?.iter().map(DictRow::decode).collect()
    }

    /// Every matching row.
    pub fn fetch_all(&self) -> Result<Vec<R>> {
        self.cached(Terminal::All, exec::fetch_all)
    }

    /// The first matching row, or `None`.
    pub fn fetch_one(&self) -> Result<Option<R>> {
        self.cached(Terminal::First, exec::fetch_first)
    }

    /// The first matching row in the query's order, or `None` (same as
    /// `fetch_one`; both run with `LIMIT 1`).
    pub fn fetch_first(&self) -> Result<Option<R>> {
        self.cached(Terminal::First, exec::fetch_first)
    }

    /// The last matching row in the query's order (primary-key order by
    /// default), or `None`. The builder is left unchanged.
    pub fn fetch_last(&self) -> Result<Option<R>> {
        self.cached(Terminal::Last, exec::fetch_last)
    }

    /// How many rows `fetch_all` would return (limit and offset included).
    pub fn count(&self) -> Result<u64> {
        self.cached(Terminal::Count, exec::count)
    }

    /// Whether `fetch_all` would return any row.
    pub fn exists(&self) -> Result<bool> {
        self.cached(Terminal::Exists, exec::exists)
    }

    /// Every matching row, read a batch of 1000 at a time as the iterator
    /// is used: memory stays one batch, whatever the number of rows
    /// (Diesel's `load_iter`). Filters, order, limit, offset,
    /// `select_related` and projections apply as in `fetch_all`; each
    /// batch is one statement that resumes after the last row handed over
    /// (by the query's order, the pk breaking ties), so the loop body may
    /// use the database, and rows written meanwhile are seen as a new
    /// query would see them. An error ends the iteration.
    ///
    /// ```
    /// # use sqliter_core::{DbModel, SqliterDB, prelude::*};
    /// # #[derive(DbModel, Debug, Clone, Default)] struct Reading { pk: i64, value: f64 }
    /// # let db = SqliterDB::open_in_memory()?; db.create_table::<Reading>()?;
    /// # let mut rows: Vec<Reading> = (0..2500).map(|i| Reading { value: f64::from(i), ..Default::default() }).collect();
    /// # db.bulk_insert(&mut rows)?;
    /// let mut total = 0.0;
    /// for reading in db.select::<Reading>().filter(Reading::value().gte(10.0)).iter() {
    ///     total += reading?.value;
    /// }
    /// # assert_eq!(total, (10..2500).map(f64::from).sum::<f64>());
    /// # Ok::<(), sqliter_core::Error>(())
    /// ```
    pub fn iter(&self) -> super::stream::Rows<'db, R> {
        self.iter_batched(super::stream::DEFAULT_BATCH)
    }

    /// [`iter`](Self::iter), `batch` rows per statement (at least 1).
    pub fn iter_batched(&self, batch: usize) -> super::stream::Rows<'db, R> {
        super::stream::Rows::new(self.db, super::stream::Cursor::new(&self.spec, batch))
    }

    /// Set fields on every matching row (order, limit and offset do not
    /// apply, as upstream) and bump `updated_at`; returns the rows changed.
    ///
    /// ```
    /// # use sqliter_core::{DbModel, SqliterDB, prelude::*};
    /// # #[derive(DbModel, Debug, Default)] struct Book { pk: i64, title: String, year: i32, in_print: bool }
    /// # let db = SqliterDB::open_in_memory()?; db.create_table::<Book>()?;
    /// # db.insert(Book { year: 1965, in_print: true, ..Default::default() })?;
    /// let n = db.select::<Book>().filter(Book::year().lt(1970)).update([Book::in_print().set(false)])?;
    /// assert_eq!(n, 1);
    /// let n = db.select::<Book>().update([("title", "Untitled")])?;
    /// # assert_eq!(n, 1);
    /// # Ok::<(), sqliter_core::Error>(())
    /// ```
    pub fn update<A: Into<Assignment>>(&self, values: impl IntoIterator<Item = A>) -> Result<u64> {
        let values: Vec<Assignment> = values.into_iter().map(Into::into).collect();
        self.run(|s, spec| exec::update(s, spec, values))
    }

    /// Delete every matching row (order, limit and offset do not apply, as
    /// upstream); returns how many.
    pub fn delete(&self) -> Result<u64> {
        self.run(exec::delete)
    }
}

impl<'db, M: DbModel, R: Record<Model = M>> IntoIterator for &QueryBuilder<'db, M, R> {
    type Item = Result<R>;
    type IntoIter = super::stream::Rows<'db, R>;

    /// `for row in &query`: [`QueryBuilder::iter`].
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}
