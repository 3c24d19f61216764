//! Hand-written migrations: an ordered list of named steps (SQL, or a
//! closure on the connection), each applied once in its own transaction
//! and recorded in the `sqliter_migrations` table.

use std::fmt;
use std::sync::Arc;

use rusqlite::Connection;

use crate::error::{sql_error, Error, Result};
use crate::session::{unix_now, Session};

/// The bookkeeping table.
pub const MIGRATIONS_TABLE: &str = "sqliter_migrations";

type Step = Arc<dyn Fn(&Connection) -> rusqlite::Result<()> + Send + Sync>;

/// One named data migration.
///
/// ```
/// use sqliter_core::Migration;
/// let steps = [
///     Migration::sql("0001_titles_trimmed", "UPDATE books SET title = trim(title)"),
///     Migration::func("0002_prices_in_cents", |conn| {
///         conn.execute("UPDATE books SET price = price * 100", []).map(drop)
///     }),
/// ];
/// # let _ = steps;
/// ```
#[derive(Clone)]
pub struct Migration {
    name: String,
    step: Step,
}

impl Migration {
    /// A step of SQL (one or more statements, no parameters).
    pub fn sql(name: impl Into<String>, sql: impl Into<String>) -> Self {
        let sql = sql.into();
        Self {
            name: name.into(),
            step: Arc::new(move |conn| conn.execute_batch(&sql)),
        }
    }

    /// A step run as a closure on the connection, inside the step's
    /// transaction.
    pub fn func(
        name: impl Into<String>,
        f: impl Fn(&Connection) -> rusqlite::Result<()> + Send + Sync + 'static,
    ) -> Self {
        Self {
            name: name.into(),
            step: Arc::new(f),
        }
    }

    /// The step's name, as recorded.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Debug for Migration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Migration")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

fn applied(conn: &Connection) -> Result<Vec<String>> {
    let sql = format!("SELECT name FROM {MIGRATIONS_TABLE} ORDER BY applied_order");
    let mut stmt = conn.prepare(&sql).map_err(|e| sql_error(&sql, e))?;
    stmt.query_map([], |r| r.get(0))
        .and_then(Iterator::collect)
        .map_err(|e| sql_error(&sql, e))
}

/// Apply every step not yet recorded, in order, each in its own `BEGIN
/// IMMEDIATE` transaction (re-checked once the lock is held, so two
/// processes apply each step once). Returns the names applied now. A name
/// recorded in the file but missing from `steps` is
/// [`Error::UnknownMigration`], and nothing is applied.
pub(crate) fn run(session: &Session<'_>, steps: &[Migration]) -> Result<Vec<String>> {
    if !session.conn.is_autocommit() {
        return Err(Error::Transaction(
            "migrations run in their own transactions: commit or finish the open one first".into(),
        ));
    }
    let create = format!(
        "CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} (\"name\" TEXT PRIMARY KEY, \
         \"applied_at\" INTEGER NOT NULL, \"applied_order\" INTEGER NOT NULL)"
    );
    session
        .execute_batch(&create)
        .map_err(|e| sql_error(&create, e))?;
    let mut names: Vec<&str> = Vec::new();
    for step in steps {
        if names.contains(&step.name.as_str()) {
            return Err(Error::UnknownMigration {
                name: step.name.clone(),
                reason: "two steps share this name".into(),
            });
        }
        names.push(&step.name);
    }
    if let Some(unknown) = applied(session.conn)?
        .into_iter()
        .find(|done| !names.contains(&done.as_str()))
    {
        return Err(Error::UnknownMigration {
            name: unknown,
            reason: "recorded in the file but not among the migrations given: \
                     was it renamed or removed, or is this an older program?"
                .into(),
        });
    }
    let mut now_applied = Vec::new();
    let exec = |sql: &str| session.execute_batch(sql).map_err(|e| sql_error(sql, e));
    for (order, step) in steps.iter().enumerate() {
        exec("BEGIN IMMEDIATE")?;
        let outcome = (|| {
            if applied(session.conn)?.contains(&step.name) {
                return Ok(false);
            }
            (step.step)(session.conn).map_err(|e| Error::MigrationFailed {
                name: step.name.clone(),
                source: Arc::new(e),
            })?;
            let record = format!(
                "INSERT INTO {MIGRATIONS_TABLE} (\"name\", \"applied_at\", \"applied_order\") VALUES (?, ?, ?)"
            );
            session
                .conn
                .execute(
                    &record,
                    rusqlite::params![
                        step.name,
                        unix_now(),
                        i64::try_from(order).unwrap_or(i64::MAX)
                    ],
                )
                .map_err(|e| sql_error(&record, e))?;
            Ok(true)
        })();
        match outcome {
            Ok(ran) => {
                exec("COMMIT")?;
                if ran {
                    now_applied.push(step.name.clone());
                }
            }
            Err(e) => {
                let _ = session.execute_batch("ROLLBACK");
                return Err(e);
            }
        }
    }
    if !now_applied.is_empty() {
        // The steps may have changed any table.
        session.settings.shapes.forget_all();
        session.settings.cache.lock().clear();
        session.schema_changed(None);
    }
    Ok(now_applied)
}
