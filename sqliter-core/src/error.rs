//! The one error type of SQLiter, mirroring upstream's exception classes.

use std::fmt;
use std::sync::Arc;

/// Result alias used throughout SQLiter.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Every failure SQLiter reports.
///
/// Each variant names the table, field or key it concerns; errors that come
/// from SQLite keep the underlying [`rusqlite::Error`] as their `source`.
/// Errors are `Clone` (SQLite sources are shared), so a query builder that
/// recorded one can report it each time it runs.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The options given to a database constructor are inconsistent.
    #[error("invalid database options: {0}")]
    InvalidOptions(String),

    /// The database file could not be opened or configured.
    #[error("failed to connect to the database '{path}'")]
    DatabaseConnection {
        /// The file name (or `:memory:`).
        path: String,
        /// What SQLite said.
        #[source]
        source: Arc<rusqlite::Error>,
    },

    /// `CREATE TABLE` (or one of its indexes) failed.
    #[error("failed to create the table '{table}'")]
    TableCreation {
        /// The table concerned.
        table: String,
        /// What SQLite said.
        #[source]
        source: Arc<rusqlite::Error>,
    },

    /// A table was created before the table one of its foreign keys
    /// references.
    #[error("cannot create table '{table}': the table it references, '{referenced}', does not exist yet")]
    MissingReferencedTable {
        /// The table being created.
        table: String,
        /// The referenced table that is missing.
        referenced: String,
    },

    /// A table in the file cannot hold the model's rows as they are: a
    /// model column is missing, or declared with a type whose affinity
    /// would change the stored values. Checked before the table's first
    /// use on each connection, so no row is ever read from a file whose
    /// shape differs.
    #[error(
        "table '{table}' does not match model {model}: {}; the file was made by another \
         version of the model (or another program): add the missing columns or change \
         their types (a migration), or use a model that matches the file",
        DisplayList(columns)
    )]
    SchemaMismatch {
        /// The table concerned.
        table: String,
        /// The model's name.
        model: String,
        /// Each model column that differs.
        columns: Vec<crate::schema::ColumnMismatch>,
    },

    /// A migration would lose data (or cannot fill a new column) without an
    /// explicit opt-in; nothing was changed.
    #[error(
        "cannot migrate {table}{}: {reason}{}",
        if column.is_empty() { String::new() } else { format!(".{column}") },
        DisplayPks(sample_pks)
    )]
    MigrationRefused {
        /// The table concerned.
        table: String,
        /// The column concerned (empty for the whole table).
        column: String,
        /// What would be lost, and how to proceed.
        reason: String,
        /// How many rows are concerned.
        rows: u64,
        /// A few of their pks.
        sample_pks: Vec<i64>,
    },

    /// A named migration recorded in the file is not among those given
    /// (or two given share a name); nothing was applied.
    #[error("unknown migration '{name}': {reason}")]
    UnknownMigration {
        /// The migration's name.
        name: String,
        /// What is wrong.
        reason: String,
    },

    /// A named migration's step failed; its transaction was rolled back.
    #[error("migration '{name}' failed")]
    MigrationFailed {
        /// The migration's name.
        name: String,
        /// What SQLite (or the step) said.
        #[source]
        source: Arc<rusqlite::Error>,
    },

    /// A raw-SQL parameter cannot be bound (a list, NaN, a `u64` beyond
    /// `i64`), or the count does not match the statement's.
    #[error("invalid parameter {index} for `{sql}`: {reason}")]
    InvalidParameter {
        /// The statement.
        sql: String,
        /// The parameter's position (1-based).
        index: usize,
        /// What is wrong.
        reason: String,
    },

    /// A backup (or `VACUUM INTO`) failed.
    #[error("backup to '{path}' failed")]
    Backup {
        /// The destination file.
        path: String,
        /// What SQLite said.
        #[source]
        source: Arc<rusqlite::Error>,
    },

    /// `DROP TABLE` failed.
    #[error("failed to delete the table '{table}'")]
    TableDeletion {
        /// The table concerned.
        table: String,
        /// What SQLite said.
        #[source]
        source: Arc<rusqlite::Error>,
    },

    /// An insert failed (for example a duplicate unique value).
    #[error("failed to insert record into table '{table}': {}", reason(source))]
    RecordInsertion {
        /// The table concerned.
        table: String,
        /// What SQLite said.
        #[source]
        source: Arc<rusqlite::Error>,
    },

    /// An update failed (for example a duplicate unique value).
    #[error("failed to update record in table '{table}': {}", reason(source))]
    RecordUpdate {
        /// The table concerned.
        table: String,
        /// What SQLite said.
        #[source]
        source: Arc<rusqlite::Error>,
    },

    /// No row has the primary key an update or delete named.
    #[error("failed to find the record with key {key} in table '{table}'")]
    RecordNotFound {
        /// The table concerned.
        table: String,
        /// The primary key that matched nothing.
        key: i64,
    },

    /// A read failed (for example the table does not exist).
    #[error("failed to fetch record from table '{table}'")]
    RecordFetch {
        /// The table concerned.
        table: String,
        /// What SQLite said.
        #[source]
        source: Arc<rusqlite::Error>,
    },

    /// A delete failed.
    #[error("failed to delete record from table '{table}'")]
    RecordDeletion {
        /// The table concerned.
        table: String,
        /// What SQLite said.
        #[source]
        source: Arc<rusqlite::Error>,
    },

    /// A foreign-key constraint rejected a write.
    #[error("foreign key constraint violation: cannot {operation} record in table '{table}'")]
    ForeignKeyConstraint {
        /// The table written to.
        table: String,
        /// `"insert"`, `"update"` or `"delete"`.
        operation: &'static str,
        /// What SQLite said.
        #[source]
        source: Arc<rusqlite::Error>,
    },

    /// A field value cannot be written (NaN, an integer beyond `i64`, a
    /// value that does not serialize to JSON, ...).
    #[error("invalid value for {table}.{field}: {reason}")]
    InvalidValue {
        /// The table concerned.
        table: String,
        /// The Rust field name.
        field: String,
        /// Why the value was refused.
        reason: ValueError,
    },

    /// A value read from the database file does not fit the model's field.
    #[error("cannot decode {table}.{column} of row {pk}: {reason}", pk = DisplayPk(*.pk))]
    Decode {
        /// The table concerned.
        table: String,
        /// The column concerned.
        column: String,
        /// The row's primary key, when it could be read.
        pk: Option<i64>,
        /// What was wrong with the value.
        reason: DecodeError,
    },

    /// A filter names a field the model does not have, uses an unknown
    /// operator, or gives an operator the wrong kind of value.
    #[error("invalid filter on '{field}': {reason}")]
    InvalidFilter {
        /// The field (or whole lookup) concerned.
        field: String,
        /// What is wrong.
        reason: String,
    },

    /// `order` names a field the model does not have.
    #[error("invalid order: '{field}' is not a field of model {model}")]
    InvalidOrder {
        /// The model.
        model: String,
        /// The unknown field.
        field: String,
    },

    /// A negative offset.
    #[error("invalid offset {0}: an offset must not be negative")]
    InvalidOffset(i64),

    /// `fields`, `exclude` or `only` name a field the model does not have.
    #[error("invalid field '{field}' for model {model}")]
    InvalidField {
        /// The model.
        model: String,
        /// The unknown field.
        field: String,
    },

    /// A projection that selects nothing, or excludes the primary key.
    #[error("invalid projection: {0}")]
    InvalidProjection(String),

    /// A `select_related` path that does not follow `ForeignKey` fields.
    #[error("invalid relationship path '{path}': {reason}")]
    InvalidRelationship {
        /// The path as given.
        path: String,
        /// What is wrong with it.
        reason: String,
    },

    /// A `prefetch_related` path that does not name to-many relations.
    #[error("invalid prefetch path '{path}': {reason}")]
    InvalidPrefetch {
        /// The path as given.
        path: String,
        /// What is wrong with it.
        reason: String,
    },

    /// A many-to-many write with a record that is not stored (upstream's
    /// `ManyToManyIntegrityError`).
    #[error("many-to-many integrity error on {relation}: {reason}")]
    ManyToManyIntegrity {
        /// The relation (`Article.tags`).
        relation: String,
        /// What is wrong.
        reason: String,
    },

    /// A relation field cannot reach a database.
    #[error("cannot load the related {model}: {reason}")]
    NotAttached {
        /// The related model.
        model: &'static str,
        /// Why.
        reason: String,
    },

    /// An update names unknown or protected fields, or gives a value that
    /// does not fit the field.
    #[error("invalid update: {0}")]
    InvalidUpdate(String),

    /// The database thread failed (a panic in work sent to it); the
    /// handle keeps working for later calls.
    #[error("internal error in the database thread: {0}")]
    Internal(String),

    /// A transaction was used in a way its state does not allow.
    #[error("transaction error: {0}")]
    Transaction(String),

    /// The database stayed locked by another connection beyond the busy
    /// timeout; the operation may be retried.
    #[error("the database is busy (locked by another connection)")]
    Busy {
        /// What SQLite said.
        #[source]
        source: Arc<rusqlite::Error>,
    },

    /// Any other SQL failure, with the statement that failed.
    #[error("failed to execute SQL: {sql}")]
    SqlExecution {
        /// The statement.
        sql: String,
        /// What SQLite said.
        #[source]
        source: Arc<rusqlite::Error>,
    },
}

impl Error {
    /// Committing a scoped transaction whose connection `close()` ended
    /// (both doors report it alike).
    #[doc(hidden)]
    pub fn closed_in_transaction() -> Self {
        Self::Transaction(
            "the database was closed inside this transaction, which rolled it back; \
             nothing was committed"
                .into(),
        )
    }
}

/// SQLite's own words for a failure ("UNIQUE constraint failed:
/// users.email"), for messages that name the operation first.
fn reason(source: &rusqlite::Error) -> String {
    match source {
        rusqlite::Error::SqliteFailure(_, Some(message)) => message.clone(),
        other => other.to_string(),
    }
}

struct DisplayList<'a, T>(&'a [T]);

impl<T: fmt::Display> fmt::Display for DisplayList<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, item) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{item}")?;
        }
        Ok(())
    }
}

struct DisplayPks<'a>(&'a [i64]);

impl fmt::Display for DisplayPks<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return Ok(());
        }
        let pks: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        write!(f, " (rows with pk {}, ...)", pks.join(", "))
    }
}

struct DisplayPk(Option<i64>);

impl fmt::Display for DisplayPk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(pk) => write!(f, "with pk {pk}"),
            None => f.write_str("with unreadable pk"),
        }
    }
}

/// Why a Rust value cannot be stored.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ValueError {
    /// NaN has no SQLite representation (SQLite would store NULL).
    #[error("NaN cannot be stored")]
    NaN,
    /// An unsigned integer above `i64::MAX`.
    #[error("{0} does not fit in a 64-bit signed integer")]
    OutOfRange(String),
    /// A date or time outside the range that unix seconds can hold.
    #[error("date/time out of range")]
    DateOutOfRange,
    /// A NaN or an infinity inside a value stored as JSON: JSON has no such
    /// number (serde_json would write `null`, which would not read back).
    #[error("{0} inside a JSON value cannot be stored: JSON has no such number")]
    NonFiniteInJson(String),
    /// serde_json refused the value.
    #[error("JSON serialization failed: {0}")]
    Json(String),
    /// serde-pickle refused the value (a field marked `pickle`).
    #[error("pickle serialization failed: {0}")]
    Pickle(String),
}

/// Why a stored value cannot become the field's Rust type.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The SQLite storage class is not the one the field needs.
    #[error("expected {expected}, found {found}")]
    WrongType {
        /// What the field needs.
        expected: &'static str,
        /// What the file holds.
        found: &'static str,
    },
    /// An integer that does not fit the field's integer type.
    #[error("{value} is out of range for {target}")]
    OutOfRange {
        /// The stored integer.
        value: i64,
        /// The Rust type.
        target: &'static str,
    },
    /// Anything else (invalid JSON, an invalid date, a bool that is not 0/1).
    #[error("{0}")]
    Invalid(String),
}

/// The write operation an error happened in; decides the error variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operation {
    Insert,
    Update,
    Delete,
    Fetch,
}

impl Operation {
    fn verb(self) -> &'static str {
        match self {
            Self::Insert => "insert",
            Self::Update => "update",
            Self::Delete => "delete",
            Self::Fetch => "fetch",
        }
    }
}

/// Map an SQLite error raised while running `op` on `table` to the variant
/// upstream raises for it (constraint, busy, or the operation's own error).
pub(crate) fn classify(op: Operation, table: &str, source: rusqlite::Error) -> Error {
    use rusqlite::ErrorCode;
    let source = Arc::new(source);
    let table = table.to_owned();
    if let rusqlite::Error::SqliteFailure(e, message) = source.as_ref() {
        if e.code == ErrorCode::DatabaseBusy || e.code == ErrorCode::DatabaseLocked {
            return Error::Busy { source };
        }
        // RESTRICT is enforced by an internal trigger: same message, the
        // trigger's extended code.
        let foreign_key = e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY
            || (e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_TRIGGER
                && message.as_deref() == Some("FOREIGN KEY constraint failed"));
        if foreign_key {
            return Error::ForeignKeyConstraint {
                table,
                operation: op.verb(),
                source,
            };
        }
    }
    match op {
        Operation::Insert => Error::RecordInsertion { table, source },
        Operation::Update => Error::RecordUpdate { table, source },
        Operation::Delete => Error::RecordDeletion { table, source },
        Operation::Fetch => Error::RecordFetch { table, source },
    }
}

/// An SQL failure outside CRUD, keeping the statement for the message.
pub(crate) fn sql_error(sql: &str, source: rusqlite::Error) -> Error {
    let source = Arc::new(source);
    if let rusqlite::Error::SqliteFailure(e, _) = source.as_ref() {
        if e.code == rusqlite::ErrorCode::DatabaseBusy
            || e.code == rusqlite::ErrorCode::DatabaseLocked
        {
            return Error::Busy { source };
        }
    }
    Error::SqlExecution {
        sql: sql.to_owned(),
        source,
    }
}
