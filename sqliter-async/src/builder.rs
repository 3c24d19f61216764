//! The async door's query builder: the shared chain, async terminals.

use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use sqliter_core::cache::Cacheable;
use sqliter_core::query::exec;
use sqliter_core::query::{Assignment, DictRow, QueryChain, QuerySpec, Terminal};
use sqliter_core::{DbModel, Result, Session};
use sqliter_core::{Partial, Record, Related};

use crate::db::AsyncSqliterDB;

/// A query on `M` against an [`AsyncSqliterDB`]. The chain is the very
/// same as the sync builder's ([`QueryChain`]); only the terminals are
/// `async`. Each terminal is one round trip to the database thread.
///
/// `R` is what the row terminals return: `M`, or [`Partial<M>`] once
/// `fields`, `exclude` or `only` chose the columns.
#[derive(Debug)]
pub struct AsyncQueryBuilder<M, R = M> {
    db: AsyncSqliterDB,
    spec: QuerySpec,
    _model: PhantomData<fn() -> (M, R)>,
}

impl<M, R> Clone for AsyncQueryBuilder<M, R> {
    fn clone(&self) -> Self {
        Self {
            db: self.db.clone(),
            spec: self.spec.clone(),
            _model: PhantomData,
        }
    }
}

impl<M: DbModel, R: Record<Model = M>> QueryChain for AsyncQueryBuilder<M, R> {
    type Model = M;
    type Partial = AsyncQueryBuilder<M, Partial<M>>;
    fn spec_mut(&mut self) -> &mut QuerySpec {
        &mut self.spec
    }
    fn into_partial(self) -> Self::Partial {
        AsyncQueryBuilder {
            db: self.db,
            spec: self.spec,
            _model: PhantomData,
        }
    }
}

impl<M: DbModel> AsyncQueryBuilder<M> {
    pub(crate) fn new(db: AsyncSqliterDB) -> Self {
        Self {
            db,
            spec: QuerySpec::new(M::META),
            _model: PhantomData,
        }
    }

    /// Every matching record with the relations `prefetch_related` names,
    /// loaded by one extra query per level, all in one round trip (never
    /// cached).
    pub async fn fetch_related(&self) -> Result<Vec<Related<M>>>
    where
        M: Sync,
    {
        exec::check(&self.spec, Terminal::Related)?;
        self.run(exec::fetch_related::<M>).await
    }

    /// The first matching record in the query's order (as `fetch_one`)
    /// with the relations `prefetch_related` names, in one round trip:
    /// upstream's `fetch_one` / `fetch_first` on a prefetching query.
    ///
    /// ```
    /// # use sqliter_async::{AsyncForeignKey, AsyncSqliterDB, DbModel, DbOptions, prelude::*};
    /// # #[derive(DbModel, Debug, Clone, Default)] struct Author { pk: i64, name: String }
    /// # #[derive(DbModel, Debug, Clone, Default)]
    /// # struct Book { pk: i64, title: String, #[sqliter(related_name = "books")] author: AsyncForeignKey<Author> }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> sqliter_async::Result<()> {
    /// # let db = AsyncSqliterDB::create(DbOptions::memory()).await?;
    /// # db.create_table::<Author>().await?; db.create_table::<Book>().await?;
    /// let ann = db.insert(Author { name: "Ann".into(), ..Default::default() }).await?;
    /// db.insert(Book { title: "Dune".into(), author: AsyncForeignKey::to(&ann), ..Default::default() }).await?;
    /// let author = db.select::<Author>().prefetch_related("books").fetch_one_related().await?.unwrap();
    /// assert_eq!(author.prefetched::<Book>("books")?.count(), 1);
    /// # Ok(()) }
    /// ```
    pub async fn fetch_one_related(&self) -> Result<Option<Related<M>>>
    where
        M: Sync,
    {
        exec::check(&self.spec, Terminal::Related)?;
        self.run(exec::fetch_one_related::<M>).await
    }
}

impl<M: DbModel, R: Record<Model = M>> AsyncQueryBuilder<M, R> {
    /// Every matching row as a stream, read a batch of 1000 at a time, one
    /// round trip per batch: memory stays one batch, whatever the number
    /// of rows. Filters, order, limit, offset, `select_related` and
    /// projections apply as in `fetch_all`; each batch resumes after the
    /// last row handed over (by the query's order, the pk breaking ties),
    /// so the loop body may use the database. An error ends the stream.
    /// Each row crosses from the database thread to the caller's task; to
    /// visit rows that need not cross, iterate inside one
    /// [`run`](crate::AsyncSqliterDB::run) block (`for row in &db.select::<M>()`).
    ///
    /// ```
    /// # use sqliter_async::{AsyncSqliterDB, DbModel, DbOptions, prelude::*};
    /// # #[derive(DbModel, Debug, Clone, Default)] struct Reading { pk: i64, value: f64 }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> sqliter_async::Result<()> {
    /// # let db = AsyncSqliterDB::create(DbOptions::memory()).await?; db.create_table::<Reading>().await?;
    /// # let rows: Vec<Reading> = (0..2500).map(|i| Reading { value: f64::from(i), ..Default::default() }).collect();
    /// # db.bulk_insert(rows).await?;
    /// let mut readings = db.select::<Reading>().order("value", true).stream();
    /// let mut seen = 0;
    /// while let Some(reading) = readings.next().await {
    ///     let _value = reading?.value;
    ///     seen += 1;
    /// }
    /// assert_eq!(seen, 2500);
    /// # Ok(()) }
    /// ```
    pub fn stream(&self) -> crate::RowStream<R>
    where
        R: Send + 'static,
    {
        self.stream_batched(sqliter_core::query::stream::DEFAULT_BATCH)
    }

    /// [`stream`](Self::stream), `batch` rows per round trip (at least 1).
    pub fn stream_batched(&self, batch: usize) -> crate::RowStream<R>
    where
        R: Send + 'static,
    {
        crate::RowStream::new(
            self.db.clone(),
            sqliter_core::query::stream::Cursor::new(&self.spec, batch),
        )
    }

    async fn run<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Session<'_>, &QuerySpec) -> Result<T> + Send + 'static,
    {
        if let Some(error) = self.spec.error() {
            return Err(error.clone());
        }
        let spec = self.spec.clone();
        self.db.on_thread(move |s| f(s, &spec)).await
    }

    /// Answer from the cache when it can (no round trip), else run `f` on
    /// the database thread and keep its answer there.
    async fn cached<T>(
        &self,
        terminal: Terminal,
        f: fn(&Session<'_>, &QuerySpec) -> Result<T>,
    ) -> Result<T>
    where
        T: Cacheable,
    {
        self.db.cached(&self.spec, terminal, f).await
    }

    /// The rows of a projection query (`group_by` / `annotate`), keyed by
    /// grouped field and alias.
    pub async fn fetch_dicts(&self) -> Result<Vec<DictRow>> {
        self.cached(Terminal::Dicts, exec::fetch_dicts).await
    }

    /// The rows of a projection query, each decoded into `T` by name.
    pub async fn fetch_as<T: DeserializeOwned>(&self) -> Result<Vec<T>> {
        self.fetch_dicts()
            .await?
            .iter()
            .map(DictRow::decode)
            .collect()
    }

    /// Every matching row.
    pub async fn fetch_all(&self) -> Result<Vec<R>> {
        self.cached(Terminal::All, exec::fetch_all).await
    }

    /// The first matching row, or `None`.
    pub async fn fetch_one(&self) -> Result<Option<R>> {
        self.cached(Terminal::First, exec::fetch_first).await
    }

    /// The first matching row in the query's order, or `None`.
    pub async fn fetch_first(&self) -> Result<Option<R>> {
        self.cached(Terminal::First, exec::fetch_first).await
    }

    /// The last matching row in the query's order, or `None`.
    pub async fn fetch_last(&self) -> Result<Option<R>> {
        self.cached(Terminal::Last, exec::fetch_last).await
    }

    /// How many rows `fetch_all` would return.
    pub async fn count(&self) -> Result<u64> {
        self.cached(Terminal::Count, exec::count).await
    }

    /// Whether `fetch_all` would return any row.
    pub async fn exists(&self) -> Result<bool> {
        self.cached(Terminal::Exists, exec::exists).await
    }

    /// Set fields on every matching row; returns the rows changed.
    pub async fn update<A: Into<Assignment>>(
        &self,
        values: impl IntoIterator<Item = A>,
    ) -> Result<u64> {
        let values: Vec<Assignment> = values.into_iter().map(Into::into).collect();
        self.run(move |s, spec| exec::update(s, spec, values)).await
    }

    /// Delete every matching row; returns how many.
    pub async fn delete(&self) -> Result<u64> {
        self.run(exec::delete).await
    }
}
