//! The raw-SQL escape hatch of the async door: the database thread's
//! rusqlite connection, with tokio-rusqlite's `call` methods.

use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::Arc;

use sqliter_core::CheckedShapes;

/// The database thread's connection, for raw SQL, returned by
/// [`AsyncSqliterDB::connect`](crate::AsyncSqliterDB::connect).
///
/// Its methods are tokio-rusqlite's, with one difference: a panic in the
/// closure is caught on the database thread and resumed in the task that
/// awaits the call, so the thread, the connection (an in-memory database
/// included) and every clone of the database handle keep working.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let db = sqliter_async::AsyncSqliterDB::new(sqliter_async::DbOptions::memory())?;
/// let conn = db.connect().await?;
/// let one: i64 = conn.call(|c| c.query_row("SELECT 1", [], |r| r.get(0))).await?;
/// assert_eq!(one, 1);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct RawConnection {
    inner: tokio_rusqlite::Connection,
    /// Raw SQL may alter any table: the door checks their shapes again.
    shapes: Arc<CheckedShapes>,
}

impl RawConnection {
    pub(crate) fn new(inner: tokio_rusqlite::Connection, shapes: Arc<CheckedShapes>) -> Self {
        Self { inner, shapes }
    }

    /// Run `function` on the database thread; its error comes back as
    /// `tokio_rusqlite::Error::Error`.
    pub async fn call<F, R, E>(&self, function: F) -> Result<R, tokio_rusqlite::Error<E>>
    where
        F: FnOnce(&mut tokio_rusqlite::rusqlite::Connection) -> Result<R, E> + Send + 'static,
        R: Send + 'static,
        E: Send + 'static,
    {
        self.call_raw(function)
            .await
            .map_err(|_| tokio_rusqlite::Error::ConnectionClosed)?
            .map_err(tokio_rusqlite::Error::Error)
    }

    /// Run `function` on the database thread and return what it returns.
    pub async fn call_raw<F, R>(&self, function: F) -> tokio_rusqlite::Result<R>
    where
        F: FnOnce(&mut tokio_rusqlite::rusqlite::Connection) -> R + Send + 'static,
        R: Send + 'static,
    {
        let shapes = Arc::clone(&self.shapes);
        let outcome = self
            .inner
            .call_raw(move |conn| {
                let outcome = catch_unwind(AssertUnwindSafe(|| function(conn)));
                shapes.forget_all();
                outcome
            })
            .await?;
        Ok(outcome.unwrap_or_else(|payload| resume_unwind(payload)))
    }
}
