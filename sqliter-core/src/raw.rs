//! Raw SQL, first-class: one statement with bound parameters, logged like
//! every other, errors as `SqlExecution` naming the statement, and the
//! query cache told about writes.

use std::sync::Arc;

use serde::de::DeserializeOwned;

use crate::error::{sql_error, Error, Result};
use crate::query::{DictRow, Param};
use crate::session::Session;
use crate::value::Value;

/// Turn raw-SQL parameters into values; a list or an unstorable value is
/// refused.
pub fn values(sql: &str, params: Vec<Param>) -> Result<Vec<Value>> {
    params
        .into_iter()
        .enumerate()
        .map(|(i, p)| match p {
            Param::One(v) => Ok(v),
            Param::List(_) => Err(Error::InvalidParameter {
                sql: sql.to_owned(),
                index: i + 1,
                reason: "a list cannot be bound; bind each value".into(),
            }),
            Param::Invalid(reason) => Err(Error::InvalidParameter {
                sql: sql.to_owned(),
                index: i + 1,
                reason: reason.to_string(),
            }),
        })
        .collect()
}

fn prepare<'s>(
    session: &'s Session<'_>,
    sql: &str,
    values: &[Value],
) -> Result<rusqlite::CachedStatement<'s>> {
    // rusqlite refuses a second statement in the text (`MultipleStatement`).
    let mut stmt = session
        .conn
        .prepare_cached(sql)
        .map_err(|e| sql_error(sql, e))?;
    if stmt.parameter_count() != values.len() {
        return Err(Error::InvalidParameter {
            sql: sql.to_owned(),
            index: values.len(),
            reason: format!(
                "the statement takes {} parameters, {} were given",
                stmt.parameter_count(),
                values.len()
            ),
        });
    }
    for (i, value) in values.iter().enumerate() {
        stmt.raw_bind_parameter(
            i + 1,
            rusqlite::types::ToSqlOutput::Borrowed(value.as_ref()),
        )
        .map_err(|e| sql_error(sql, e))?;
    }
    session.log_statement(&stmt);
    Ok(stmt)
}

/// A statement that may write may have changed any table: drop every
/// cached answer and check table shapes again.
fn wrote(session: &Session<'_>) {
    session.settings.cache.lock().clear();
    session.settings.shapes.forget_all();
    session.schema_changed(None);
}

/// Run one statement; returns the rows it changed.
pub fn execute(session: &Session<'_>, sql: &str, values: &[Value]) -> Result<u64> {
    session.begin_implicit()?;
    let mut stmt = prepare(session, sql, values)?;
    let readonly = stmt.readonly();
    let changed = stmt.raw_execute().map_err(|e| sql_error(sql, e));
    if !readonly {
        wrote(session);
    }
    Ok(changed? as u64)
}

/// Run one query; returns its rows by column name.
pub fn query(session: &Session<'_>, sql: &str, values: &[Value]) -> Result<Vec<DictRow>> {
    let mut stmt = prepare(session, sql, values)?;
    let readonly = stmt.readonly();
    let names: Arc<[String]> = stmt.column_names().into_iter().map(str::to_owned).collect();
    let mut rows = stmt.raw_query();
    let mut out = Vec::new();
    loop {
        match rows.next() {
            Ok(Some(row)) => {
                let values = (0..names.len())
                    .map(|i| row.get_ref(i).map(Value::from_ref))
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(|e| sql_error(sql, e))?;
                out.push(DictRow::new(Arc::clone(&names), values));
            }
            Ok(None) => break,
            Err(e) => return Err(sql_error(sql, e)),
        }
    }
    drop(rows);
    if !readonly {
        // `INSERT ... RETURNING` and the like.
        wrote(session);
    }
    Ok(out)
}

/// [`query`], each row decoded into `T` by column name (serde).
pub fn query_as<T: DeserializeOwned>(
    session: &Session<'_>,
    sql: &str,
    values: &[Value],
) -> Result<Vec<T>> {
    query(session, sql, values)?
        .iter()
        .map(DictRow::decode)
        .collect()
}
