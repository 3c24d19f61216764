//! The query chain, written once for both doors: every builder that holds
//! a [`QuerySpec`] gets these methods by implementing [`QueryChain`].

use super::aggregate::Aggregate;
use super::filter::{into_condition, parse_lookup, Filter, OrderKey};
use super::param::Param;
use super::spec::{Order, OrderTarget, QuerySpec};
use crate::error::Error;
use crate::model::{ColumnKind, DbModel};

/// The chainable part of a query; the sync `QueryBuilder` and the async
/// `AsyncQueryBuilder` differ only in their terminal methods. Bring it into
/// scope with `use sqliter_core::prelude::*`.
///
/// Errors (an unknown field, a negative offset) do not interrupt the chain:
/// the first one is returned by the terminal method, before any SQL runs.
pub trait QueryChain: Sized {
    /// The model queried.
    type Model: DbModel;

    /// The same query returning partial records ([`Partial`]), what
    /// `fields`, `exclude` and `only` turn it into.
    ///
    /// [`Partial`]: crate::Partial
    type Partial: QueryChain<Model = Self::Model>;

    #[doc(hidden)]
    fn spec_mut(&mut self) -> &mut QuerySpec;

    #[doc(hidden)]
    fn into_partial(self) -> Self::Partial;

    /// Keep rows matching a typed condition (ANDed with the others).
    fn filter(mut self, filter: Filter<Self::Model>) -> Self {
        let spec = self.spec_mut();
        let condition = into_condition(spec.table, &mut spec.joins, filter);
        push(spec, condition);
        self
    }

    /// Keep rows matching an upstream-style lookup such as `"year__gte"`,
    /// checked against the model's fields at run time.
    ///
    /// ```
    /// # use sqliter_core::{DbModel, SqliterDB, prelude::*};
    /// # #[derive(DbModel, Debug, Default)] struct Book { pk: i64, title: String, year: i32 }
    /// # let db = SqliterDB::open_in_memory()?; db.create_table::<Book>()?;
    /// let n = db.select::<Book>().filter_by("year__gte", 2000).filter_by("title__icontains", "rust").count()?;
    /// # assert_eq!(n, 0);
    /// # Ok::<(), sqliter_core::Error>(())
    /// ```
    fn filter_by(mut self, lookup_key: &str, value: impl Into<Param>) -> Self {
        let spec = self.spec_mut();
        let condition = parse_lookup(spec.table, &mut spec.joins, lookup_key, value.into());
        push(spec, condition);
        self
    }

    /// Several lookups at once, ANDed (upstream's `filter(**kwargs)`).
    fn filter_all<K: AsRef<str>, V: Into<Param>>(
        mut self,
        lookups: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        for (key, value) in lookups {
            let spec = self.spec_mut();
            let condition = parse_lookup(spec.table, &mut spec.joins, key.as_ref(), value.into());
            push(spec, condition);
        }
        self
    }

    /// Add an order key by field name; `reverse` sorts descending. Several
    /// calls sort by several keys, in call order. Without any, rows come
    /// in primary-key order.
    fn order(mut self, field: &str, reverse: bool) -> Self {
        let spec = self.spec_mut();
        let target = match spec.table.column_index(field) {
            Some(column) => OrderTarget::Column(column),
            // Maybe an aggregate alias: checked when the query runs.
            None => OrderTarget::Name(field.to_owned()),
        };
        spec.order.push(Order {
            target,
            descending: reverse,
        });
        self
    }

    /// Add a typed order key: `Book::year().desc()`.
    fn order_by(mut self, key: OrderKey<Self::Model>) -> Self {
        self.spec_mut().order.push(Order {
            target: OrderTarget::Column(key.column),
            descending: key.descending,
        });
        self
    }

    /// At most `n` rows; a negative `n` means no limit (as upstream).
    fn limit(mut self, n: i64) -> Self {
        self.spec_mut().limit = Some(n);
        self
    }

    /// Skip `n` rows (works without `limit`); negative is `InvalidOffset`.
    fn offset(mut self, n: i64) -> Self {
        let spec = self.spec_mut();
        if n < 0 {
            spec.fail(Error::InvalidOffset(n));
        } else {
            spec.offset = Some(n);
        }
        self
    }

    /// Load only these fields (and always `pk`). The query then returns
    /// [`Partial`](crate::Partial) records: unselected fields hold their
    /// type's `Default` (a field whose type has none makes the fetch fail
    /// with `InvalidProjection`), and saving one writes only the loaded
    /// fields. An empty list selects everything.
    fn fields<S: AsRef<str>>(mut self, fields: impl IntoIterator<Item = S>) -> Self::Partial {
        let spec = self.spec_mut();
        let mut selected = vec![false; spec.table.columns.len()];
        selected[0] = true;
        let mut any = false;
        for field in fields {
            any = true;
            match spec.table.column_index(field.as_ref()) {
                Some(i) => selected[i] = true,
                None => spec.fail(unknown_field(spec, field.as_ref())),
            }
        }
        spec.projection = any.then(|| positions_of(&selected));
        self.into_partial()
    }

    /// Load every field except these (`pk` cannot be excluded), as
    /// [`Partial`](crate::Partial) records. Replaces an earlier `fields`.
    fn exclude<S: AsRef<str>>(mut self, fields: impl IntoIterator<Item = S>) -> Self::Partial {
        let spec = self.spec_mut();
        let mut selected = vec![true; spec.table.columns.len()];
        let mut any = false;
        for field in fields {
            any = true;
            match spec.table.column_index(field.as_ref()) {
                Some(0) => spec.fail(Error::InvalidProjection(
                    "the primary key 'pk' cannot be excluded".into(),
                )),
                Some(i) => selected[i] = false,
                None => spec.fail(unknown_field(spec, field.as_ref())),
            }
        }
        if any && selected.iter().skip(1).all(|s| !s) {
            spec.fail(Error::InvalidProjection(
                "exclusion leaves no field selected".into(),
            ));
        }
        spec.projection = any.then(|| positions_of(&selected));
        self.into_partial()
    }

    /// Load one field (and `pk`), as [`Partial`](crate::Partial) records.
    fn only(self, field: &str) -> Self::Partial {
        self.fields([field])
    }

    /// Group rows by these fields (projection mode: read the rows with
    /// `fetch_dicts` or `fetch_as`).
    fn group_by<S: AsRef<str>>(mut self, fields: impl IntoIterator<Item = S>) -> Self {
        let spec = self.spec_mut();
        for field in fields {
            match spec.table.column_index(field.as_ref()) {
                Some(column) => spec
                    .aggregation
                    .get_or_insert_with(Default::default)
                    .group_by
                    .push(column),
                None => spec.fail(Error::InvalidProjection(format!(
                    "cannot group by unknown field '{}' on model {}",
                    field.as_ref(),
                    spec.table.model_name
                ))),
            }
        }
        self
    }

    /// Add an aggregate under `alias` (projection mode). Aliases must be
    /// non-empty, unique, and not the name of a field.
    ///
    /// ```
    /// # use sqliter_core::{DbModel, SqliterDB, prelude::*, query::Aggregate};
    /// # #[derive(DbModel, Debug, Default)] struct Book { pk: i64, author_id: i64, price: f64 }
    /// # let db = SqliterDB::open_in_memory()?; db.create_table::<Book>()?;
    /// # db.insert(Book { author_id: 1, price: 10.0, ..Default::default() })?;
    /// let rows = db
    ///     .select::<Book>()
    ///     .group_by(["author_id"])
    ///     .annotate("books", Aggregate::count())
    ///     .annotate("mean_price", Aggregate::avg("price"))
    ///     .having_by("books__gte", 1)
    ///     .order("books", true)
    ///     .fetch_dicts()?;
    /// assert_eq!(rows[0].get("books").and_then(|v| v.as_i64()), Some(1));
    /// # Ok::<(), sqliter_core::Error>(())
    /// ```
    fn annotate(mut self, alias: &str, aggregate: Aggregate) -> Self {
        let spec = self.spec_mut();
        let aggregation = spec.aggregation.get_or_insert_with(Default::default);
        match super::aggregate::user_annotation(spec.table, aggregation, alias, aggregate) {
            Ok(a) => aggregation.annotations.push(a),
            Err(e) => spec.fail(e),
        }
        self
    }

    /// Keep groups matching a lookup on a grouped field or an alias
    /// (`"books__gte"`); every filter operator works.
    fn having_by(mut self, lookup_key: &str, value: impl Into<Param>) -> Self {
        let spec = self.spec_mut();
        match super::aggregate::having(lookup_key, value.into()) {
            Ok(h) => spec
                .aggregation
                .get_or_insert_with(Default::default)
                .having
                .push(h),
            Err(e) => spec.fail(e),
        }
        self
    }

    /// Load the records of `ForeignKey` fields in the same query, by
    /// `LEFT JOIN`: `"author"`, nested `"book__author"`, or typed
    /// (`Book::author()`, `Review::book().then(Book::author())`); several
    /// at once as an array or tuple (`["author", "publisher"]`). The
    /// field's `get()` / `fetch()` then answer without a query.
    fn select_related(mut self, paths: impl crate::relation::PathsFrom<Self::Model>) -> Self {
        record(self.spec_mut(), |spec| {
            paths.try_each(&mut |path| crate::relation::joined::select_related(spec, path))
        });
        self
    }

    /// Load to-many relations, reverse foreign keys and many-to-many
    /// (`"books"`, `"tags"`, nested `"books__reviews"`, or typed:
    /// `Author::BOOKS.then(Book::REVIEWS)`; several at once as an array or
    /// tuple) by one extra query per level; read the result with
    /// `fetch_related()` or `fetch_one_related()`.
    fn prefetch_related(mut self, paths: impl crate::relation::PathsFrom<Self::Model>) -> Self {
        record(self.spec_mut(), |spec| {
            paths.try_each(&mut |path| crate::relation::prefetch::add_path(spec, path))
        });
        self
    }

    /// Count each record's related records through `path` (a reverse
    /// relation, after any forward keys: `"books"`, `"author__books"`) as
    /// result column `alias`; records with none count 0. The query becomes
    /// a projection: read it with `fetch_dicts()` / `fetch_as()`, each row
    /// holding every field and the counts.
    fn with_count(
        mut self,
        path: impl crate::relation::PathFrom<Self::Model>,
        alias: &str,
    ) -> Self {
        record(self.spec_mut(), |spec| {
            crate::relation::prefetch::with_count(spec, &path.path_text(), alias, false)
        });
        self
    }

    /// [`with_count`](Self::with_count) counting distinct related records
    /// (upstream's `distinct=True`).
    fn with_count_distinct(
        mut self,
        path: impl crate::relation::PathFrom<Self::Model>,
        alias: &str,
    ) -> Self {
        record(self.spec_mut(), |spec| {
            crate::relation::prefetch::with_count(spec, &path.path_text(), alias, true)
        });
        self
    }

    /// Neither read this query's answer from the cache nor store it.
    fn bypass_cache(mut self) -> Self {
        self.spec_mut().bypass_cache = true;
        self
    }

    /// Keep this query's cached answer for `ttl` (instead of the default).
    fn cache_ttl(mut self, ttl: std::time::Duration) -> Self {
        self.spec_mut().cache_ttl = Some(ttl);
        self
    }
}

/// Apply a chain step that may fail, recording its error for the terminal.
fn record(spec: &mut QuerySpec, step: impl FnOnce(&mut QuerySpec) -> Result<(), Error>) {
    if let Err(error) = step(spec) {
        spec.fail(error);
    }
}

fn push(spec: &mut QuerySpec, condition: Result<super::filter::Condition, Error>) {
    match condition {
        Ok(c) => spec.conditions.push(c),
        Err(e) => spec.fail(e),
    }
}

fn unknown_field(spec: &QuerySpec, field: &str) -> Error {
    Error::InvalidField {
        model: spec.table.model_name.to_owned(),
        field: field.to_owned(),
    }
}

fn positions_of(selected: &[bool]) -> Vec<usize> {
    selected
        .iter()
        .enumerate()
        .filter(|(_, s)| **s)
        .map(|(i, _)| i)
        .collect()
}

/// Whether `column` can be changed by a bulk update.
pub(crate) fn user_updatable(kind: ColumnKind) -> bool {
    kind == ColumnKind::Data
}
