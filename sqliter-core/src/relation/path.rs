//! Typed relation paths: the compiler checks each step of a
//! `select_related` / `prefetch_related` / `with_count` path.

use std::borrow::Cow;
use std::marker::PhantomData;

use super::foreign_key::ForeignKeyOf;
use crate::model::DbModel;
use crate::query::Column;

/// A path of relations from model `M` to model `T`: the typed spelling of
/// `"author"`, `"author__country"` or `"books__reviews"`.
///
/// A `ForeignKey` field's column handle starts a forward path
/// (`Book::author()`), the constant the derive generates per reverse
/// relation starts a reverse one (`Author::BOOKS`), and `then` extends
/// either; each step must start where the last one ended.
///
/// ```
/// use sqliter_core::{DbModel, ForeignKey, SqliterDB, prelude::*};
///
/// #[derive(DbModel, Debug, Clone, Default)]
/// struct Country { pk: i64, name: String }
/// #[derive(DbModel, Debug, Clone, Default)]
/// struct Author { pk: i64, name: String, #[sqliter(null)] country: ForeignKey<Country> }
/// #[derive(DbModel, Debug, Clone, Default)]
/// struct Book { pk: i64, title: String, #[sqliter(related_name = "books")] author: ForeignKey<Author> }
///
/// # fn main() -> sqliter_core::Result<()> {
/// let db = SqliterDB::open_in_memory()?;
/// # db.create_table::<Country>()?; db.create_table::<Author>()?; db.create_table::<Book>()?;
/// let books = db.select::<Book>().select_related(Book::author().then(Author::country())).fetch_all()?;
/// let authors = db.select::<Author>().prefetch_related(Author::BOOKS).fetch_related()?;
/// # assert!(books.is_empty() && authors.is_empty());
/// # Ok(()) }
/// ```
pub struct RelationPath<M, T> {
    text: Cow<'static, str>,
    _ends: PhantomData<fn() -> (M, T)>,
}

impl<M, T> RelationPath<M, T> {
    /// The path named `text` (generated code; prefer the typed handles).
    #[doc(hidden)]
    pub const fn new(text: &'static str) -> Self {
        Self {
            text: Cow::Borrowed(text),
            _ends: PhantomData,
        }
    }

    /// The path in upstream's string form.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Follow a further step, which must start at `T`.
    pub fn then<U>(self, next: impl Into<RelationPath<T, U>>) -> RelationPath<M, U> {
        RelationPath {
            text: Cow::Owned(format!("{}__{}", self.text, next.into().text)),
            _ends: PhantomData,
        }
    }
}

impl<M, T> RelationPath<M, T> {
    /// Keep the `M`s whose related `T` matches `filter`: the typed
    /// traversal (`"author__name__startswith"` is
    /// `Book::author().filter(Author::name().startswith("B"))`).
    pub fn filter(&self, filter: crate::query::Filter<T>) -> crate::query::Filter<M> {
        filter.through(&self.text)
    }
}

impl<M: DbModel, T, D> Column<M, ForeignKeyOf<T, D>> {
    /// Keep the `M`s whose related `T` matches `filter`
    /// (`Book::author().filter(Author::name().eq("Ann"))`).
    pub fn filter(self, filter: crate::query::Filter<T>) -> crate::query::Filter<M> {
        RelationPath::from(self).filter(filter)
    }
}

impl<M, T> Clone for RelationPath<M, T> {
    fn clone(&self) -> Self {
        Self {
            text: self.text.clone(),
            _ends: PhantomData,
        }
    }
}

impl<M, T> std::fmt::Debug for RelationPath<M, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RelationPath({})", self.text)
    }
}

impl<M: DbModel, T, D> From<Column<M, ForeignKeyOf<T, D>>> for RelationPath<M, T> {
    fn from(column: Column<M, ForeignKeyOf<T, D>>) -> Self {
        Self::new(column.name())
    }
}

impl<M: DbModel, T, D> Column<M, ForeignKeyOf<T, D>> {
    /// The path through this foreign key and then `next`.
    pub fn then<U>(self, next: impl Into<RelationPath<T, U>>) -> RelationPath<M, U> {
        RelationPath::from(self).then(next)
    }
}

/// Anything naming a relation path from model `M`: a string as upstream
/// writes it, or a typed [`RelationPath`] / `ForeignKey` column handle.
pub trait PathFrom<M> {
    /// The path in upstream's string form.
    fn path_text(&self) -> Cow<'_, str>;
}

impl<M> PathFrom<M> for &str {
    fn path_text(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }
}

impl<M> PathFrom<M> for String {
    fn path_text(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }
}

impl<M, T> PathFrom<M> for RelationPath<M, T> {
    fn path_text(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.text)
    }
}

impl<M: DbModel, T, D> PathFrom<M> for Column<M, ForeignKeyOf<T, D>> {
    fn path_text(&self) -> Cow<'_, str> {
        Cow::Borrowed(self.name())
    }
}

/// One or several relation paths from model `M`, for `select_related` and
/// `prefetch_related` (upstream takes several in one call): a single
/// [`PathFrom`], an array, slice or `Vec` of them, or a tuple of up to six
/// (typed paths of different types: `(Book::author(), Book::publisher())`).
///
/// ```
/// use sqliter_core::{DbModel, ForeignKey, SqliterDB, prelude::*};
///
/// #[derive(DbModel, Debug, Clone, Default)]
/// struct Author { pk: i64, name: String }
/// #[derive(DbModel, Debug, Clone, Default)]
/// struct Publisher { pk: i64, name: String }
/// #[derive(DbModel, Debug, Clone, Default)]
/// struct Book {
///     pk: i64,
///     #[sqliter(related_name = "books")]
///     author: ForeignKey<Author>,
///     #[sqliter(related_name = "books")]
///     publisher: ForeignKey<Publisher>,
/// }
///
/// # fn main() -> sqliter_core::Result<()> {
/// let db = SqliterDB::open_in_memory()?;
/// # db.create_table::<Author>()?; db.create_table::<Publisher>()?; db.create_table::<Book>()?;
/// let ann = db.insert(Author { name: "Ann".into(), ..Default::default() })?;
/// let tor = db.insert(Publisher { name: "Tor".into(), ..Default::default() })?;
/// db.insert(Book { author: ForeignKey::to(&ann), publisher: ForeignKey::to(&tor), ..Default::default() })?;
///
/// let by_name = db.select::<Book>().select_related(["author", "publisher"]).fetch_all()?;
/// let typed = db.select::<Book>().select_related((Book::author(), Book::publisher())).fetch_all()?;
/// assert_eq!(by_name[0].publisher.get().unwrap().name, "Tor");
/// assert_eq!(typed[0].author.get().unwrap().name, "Ann");
/// # Ok(()) }
/// ```
pub trait PathsFrom<M> {
    /// Hand every path, in upstream's string form, to `each`; stop at the
    /// first error.
    fn try_each(&self, each: &mut dyn FnMut(&str) -> crate::Result<()>) -> crate::Result<()>;
}

macro_rules! one_path {
    ($([$($generics:tt)*] $ty:ty),* $(,)?) => {$(
        impl<$($generics)*> PathsFrom<M> for $ty {
            fn try_each(&self, each: &mut dyn FnMut(&str) -> crate::Result<()>) -> crate::Result<()> {
                each(&PathFrom::<M>::path_text(self))
            }
        }
    )*};
}

one_path!(
    [M] &str,
    [M] String,
    [M, T] RelationPath<M, T>,
    [M: DbModel, T, D] Column<M, ForeignKeyOf<T, D>>,
);

impl<M, P: PathFrom<M>, const N: usize> PathsFrom<M> for [P; N] {
    fn try_each(&self, each: &mut dyn FnMut(&str) -> crate::Result<()>) -> crate::Result<()> {
        self.as_slice().try_each(each)
    }
}

impl<M, P: PathFrom<M>> PathsFrom<M> for &[P] {
    fn try_each(&self, each: &mut dyn FnMut(&str) -> crate::Result<()>) -> crate::Result<()> {
        self.iter().try_for_each(|p| each(&p.path_text()))
    }
}

impl<M, P: PathFrom<M>> PathsFrom<M> for Vec<P> {
    fn try_each(&self, each: &mut dyn FnMut(&str) -> crate::Result<()>) -> crate::Result<()> {
        self.as_slice().try_each(each)
    }
}

macro_rules! tuple_paths {
    ($(($($p:ident),+)),* $(,)?) => {$(
        impl<M, $($p: PathFrom<M>),+> PathsFrom<M> for ($($p,)+) {
            #[allow(non_snake_case)]
            fn try_each(&self, each: &mut dyn FnMut(&str) -> crate::Result<()>) -> crate::Result<()> {
                let ($($p,)+) = self;
                $(each(&$p.path_text())?;)+
                Ok(())
            }
        }
    )*};
}

tuple_paths!(
    (A, B),
    (A, B, C),
    (A, B, C, D),
    (A, B, C, D, E),
    (A, B, C, D, E, F),
);
