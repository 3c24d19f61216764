//! Static descriptions of a model, emitted by `#[derive(DbModel)]`.

use rusqlite::types::ValueRef;

use crate::error::DecodeError;
use crate::relation::ManyToManyMeta;
use crate::value::SqlType;

/// A model's table: everything schema and SQL generation need.
#[derive(Debug)]
pub struct TableMeta {
    /// The Rust struct's name.
    pub model_name: &'static str,
    /// The SQL table name.
    pub table_name: &'static str,
    /// Every column in table order: `pk`, `created_at`, `updated_at`, then
    /// the struct's own fields in declaration order.
    pub columns: &'static [ColumnMeta],
    /// `indexes` and `unique_indexes` of the model, in declaration order.
    pub indexes: &'static [IndexMeta],
    /// The model's `ManyToMany` fields (they have no column; each has a
    /// junction table).
    pub many_to_many: &'static [&'static ManyToManyMeta],
    /// `#[sqliter(renamed_from = "...")]`: the table's earlier name, which
    /// a migration renames.
    pub renamed_from: Option<&'static str>,
}

/// What role a column plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// `pk INTEGER PRIMARY KEY AUTOINCREMENT`.
    PrimaryKey,
    /// `created_at INTEGER`, unix seconds.
    CreatedAt,
    /// `updated_at INTEGER`, unix seconds.
    UpdatedAt,
    /// A field of the struct.
    Data,
}

/// One column.
#[derive(Debug)]
pub struct ColumnMeta {
    /// The Rust field name (what the API accepts in lookups and updates).
    pub field: &'static str,
    /// The SQL column name (differs from `field` with `db_column`).
    pub column: &'static str,
    /// The column type.
    pub sql_type: SqlType,
    /// `false` adds `NOT NULL`.
    pub nullable: bool,
    /// Adds `UNIQUE`.
    pub unique: bool,
    /// The column's role.
    pub kind: ColumnKind,
    /// Set when the column references another model's `pk`.
    pub foreign_key: Option<ForeignKeyMeta>,
    /// Whether a stored value would read back into the field (used to
    /// check values of bulk updates before they are written).
    pub check: fn(ValueRef<'_>) -> Result<(), DecodeError>,
    /// `#[sqliter(default = ...)]`: the value existing rows get when a
    /// migration adds the column (and the column's `DEFAULT`).
    pub default: Option<fn() -> Result<crate::value::Value, crate::error::ValueError>>,
    /// `#[sqliter(renamed_from = "...")]`: the column's earlier name, which
    /// a migration renames rather than dropping it and adding this one.
    pub renamed_from: Option<&'static str>,
}

/// Where each column of a table sits in a result row: `None` for a column
/// the query did not select.
#[derive(Debug, Clone)]
pub struct RowLayout {
    positions: Box<[Option<usize>]>,
}

impl RowLayout {
    /// Every column, in table order.
    pub fn full(columns: usize) -> Self {
        Self {
            positions: (0..columns).map(Some).collect(),
        }
    }

    /// The selected columns (table positions, in row order).
    pub fn projection(columns: usize, selected: &[usize]) -> Self {
        let mut positions = vec![None; columns];
        for (row_index, &column) in selected.iter().enumerate() {
            positions[column] = Some(row_index);
        }
        Self {
            positions: positions.into_boxed_slice(),
        }
    }

    /// Every column, in table order, from row index `offset` on (a joined
    /// table's columns after the queried table's).
    pub fn full_at(offset: usize, columns: usize) -> Self {
        Self {
            positions: (offset..offset + columns).map(Some).collect(),
        }
    }

    /// The row index of table column `column`, if selected.
    #[inline]
    pub fn position(&self, column: usize) -> Option<usize> {
        self.positions.get(column).copied().flatten()
    }
}

/// A `REFERENCES` clause.
#[derive(Debug)]
pub struct ForeignKeyMeta {
    /// The referenced model's metadata (a function, so a model may refer to
    /// itself without a cycle in constant evaluation).
    pub target: fn() -> &'static TableMeta,
    /// `ON DELETE` action.
    pub on_delete: FkAction,
    /// `ON UPDATE` action.
    pub on_update: FkAction,
    /// Declared as a `ForeignKey<T>` field (which can hold the related
    /// record), not as a plain integer.
    pub orm: bool,
}

/// A foreign-key action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FkAction {
    /// `CASCADE`.
    Cascade,
    /// `SET NULL` (the column must be nullable).
    SetNull,
    /// `RESTRICT`, the default as upstream.
    #[default]
    Restrict,
    /// `NO ACTION`.
    NoAction,
}

impl FkAction {
    /// The SQL keyword(s).
    pub const fn sql(self) -> &'static str {
        match self {
            Self::Cascade => "CASCADE",
            Self::SetNull => "SET NULL",
            Self::Restrict => "RESTRICT",
            Self::NoAction => "NO ACTION",
        }
    }
}

/// An index from `#[sqliter(indexes(...))]` or `unique_indexes(...)`.
#[derive(Debug)]
pub struct IndexMeta {
    /// The columns, in order.
    pub columns: &'static [&'static str],
    /// `CREATE UNIQUE INDEX`.
    pub unique: bool,
}

impl TableMeta {
    /// The user's own fields (not `pk` or the timestamps).
    pub fn data_columns(&self) -> impl Iterator<Item = &ColumnMeta> {
        self.columns.iter().filter(|c| c.kind == ColumnKind::Data)
    }

    /// The position of a column, looked up by its Rust field name.
    pub fn column_index(&self, field: &str) -> Option<usize> {
        self.columns
            .iter()
            .position(|c| c.field == field)
            .or_else(|| {
                // A `ForeignKey` field `author` also answers to upstream's
                // `author_id`.
                let base = field.strip_suffix("_id")?;
                self.columns.iter().position(|c| {
                    c.field == base && c.foreign_key.as_ref().is_some_and(|fk| fk.orm)
                })
            })
    }

    /// The many-to-many field `field`, for its junction table's names.
    ///
    /// ```
    /// # use sqliter_core::{DbModel, ManyToMany};
    /// # #[derive(DbModel, Debug, Clone, Default)] struct Tag { pk: i64, name: String }
    /// # #[derive(DbModel, Debug, Clone, Default)] struct Article { pk: i64, tags: ManyToMany<Tag> }
    /// let names = Article::META.many_to_many("tags").unwrap().sql_metadata(true);
    /// assert_eq!(names.junction_table, "articles_tags");
    /// assert_eq!((names.from_column, names.to_column), ("articles_pk", "tags_pk"));
    /// ```
    pub fn many_to_many(&self, field: &str) -> Option<&'static ManyToManyMeta> {
        self.many_to_many
            .iter()
            .copied()
            .find(|m| m.field() == field)
    }

    /// Look a column up by its Rust field name.
    pub fn column_by_field(&self, field: &str) -> Option<&ColumnMeta> {
        self.column_index(field).map(|i| &self.columns[i])
    }
}
