//! The dedicated database thread: opened lazily, every statement sent to
//! it as a closure over a [`Session`].

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock as StdRwLock};

use sqliter_core::{Error, Link, Result, Session, Settings};
use tokio::sync::RwLock;

/// What every clone of an `AsyncSqliterDB` shares.
#[derive(Debug)]
pub(crate) struct Shared {
    pub settings: Arc<Settings>,
    conn: StdRwLock<Option<tokio_rusqlite::Connection>>,
    /// Serialises lazy opening, so two first calls open one connection.
    opening: tokio::sync::Mutex<()>,
    /// Ordinary operations take it shared; a scoped transaction takes it
    /// exclusively for its whole scope, so no other task's statement runs
    /// inside it.
    pub gate: Arc<RwLock<()>>,
    /// Open scoped transactions (the `in_transaction` property).
    pub tx_depth: AtomicU32,
    /// Bumped by `close`: scopes begun on an earlier connection died with
    /// it and must not touch the new one.
    pub generation: AtomicU64,
    /// Closures sent to the database thread (a diagnostic).
    pub round_trips: AtomicU64,
    /// What records' relation fields hold to reach this database.
    pub link: Link,
    /// A connection that stands in on the database thread while the real
    /// one is lent to a `run` block (opened once, in memory, never used).
    spare: std::sync::Mutex<Option<tokio_rusqlite::rusqlite::Connection>>,
}

fn closed_thread() -> Error {
    Error::Internal("the database thread has stopped".into())
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".to_owned())
}

impl Shared {
    pub fn new(settings: Settings) -> Arc<Self> {
        Arc::new_cyclic(|weak| Self {
            link: Link::new(weak.clone()),
            settings: Arc::new(settings),
            conn: StdRwLock::new(None),
            opening: tokio::sync::Mutex::new(()),
            gate: Arc::new(RwLock::new(())),
            tx_depth: AtomicU32::new(0),
            generation: AtomicU64::new(0),
            round_trips: AtomicU64::new(0),
            spare: std::sync::Mutex::new(None),
        })
    }

    pub fn current(&self) -> Option<tokio_rusqlite::Connection> {
        self.conn
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub fn take(&self) -> Option<tokio_rusqlite::Connection> {
        self.conn
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    /// The connection, opened on first use (and again after `close`).
    pub async fn connection(&self) -> Result<tokio_rusqlite::Connection> {
        if let Some(conn) = self.current() {
            return Ok(conn);
        }
        let _opening = self.opening.lock().await;
        if let Some(conn) = self.current() {
            return Ok(conn);
        }
        // The sync door's opener (file or memory, foreign keys, busy timeout,
        // SQL functions), run off the async workers; the configured
        // connection then moves to its own thread.
        let settings = Arc::clone(&self.settings);
        let conn = tokio::task::spawn_blocking(move || settings.open_connection())
            .await
            .map_err(|e| Error::Internal(format!("opening the database failed: {e}")))??;
        let conn = tokio_rusqlite::Connection::from(conn);
        *self.conn.write().unwrap_or_else(PoisonError::into_inner) = Some(conn.clone());
        Ok(conn)
    }

    /// Run `f` on the database thread: one round trip. A panic in `f` is
    /// caught there and returned as [`Error::Internal`], so the thread (and
    /// the handle) keep working.
    pub async fn call<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Session<'_>) -> Result<T> + Send + 'static,
    {
        let conn = self.connection().await?;
        let settings = Arc::clone(&self.settings);
        let link = self.link.clone();
        self.round_trips.fetch_add(1, Ordering::Relaxed);
        conn.call(move |c| {
            let session = Session::new(c, &settings).with_link(&link);
            let outcome = catch_unwind(AssertUnwindSafe(|| f(&session)));
            Ok::<_, Error>(
                outcome.unwrap_or_else(|payload| {
                    Err(Error::Internal(panic_message(payload.as_ref())))
                }),
            )
        })
        .await
        .map_err(|_| closed_thread())?
    }

    /// Run `f` on the database thread with the sync door over this
    /// database's own connection (lent for the call, then given back):
    /// many operations, one round trip. `tx_depth` is the caller's open
    /// scope. A panic in `f` is caught as in [`call`](Self::call).
    pub async fn call_lent<T, F>(self: &Arc<Self>, tx_depth: u32, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&sqliter_core::SqliterDB) -> Result<T> + Send + 'static,
    {
        let conn = self.connection().await?;
        let shared = Arc::clone(self);
        self.round_trips.fetch_add(1, Ordering::Relaxed);
        conn.call(move |c| {
            let spare = shared.spare.lock().unwrap_or_else(PoisonError::into_inner).take();
            let spare = match spare {
                Some(spare) => spare,
                None => match tokio_rusqlite::rusqlite::Connection::open_in_memory() {
                    Ok(spare) => spare,
                    Err(e) => {
                        return Ok::<_, Error>(Err(Error::Internal(format!(
                            "no stand-in connection: {e}"
                        ))))
                    }
                },
            };
            let own = std::mem::replace(c, spare);
            let db = sqliter_core::SqliterDB::lend(
                own,
                (*shared.settings).clone(),
                shared.link.clone(),
                tx_depth,
            );
            let outcome = catch_unwind(AssertUnwindSafe(|| f(&db)))
                .unwrap_or_else(|payload| Err(Error::Internal(panic_message(payload.as_ref()))));
            match db.give_back() {
                Some(own) => {
                    let spare = std::mem::replace(c, own);
                    *shared.spare.lock().unwrap_or_else(PoisonError::into_inner) = Some(spare);
                    Ok(outcome)
                }
                // Not reachable (a lent database refuses `close`), but never
                // let the stand-in pass for the database: drop the handle,
                // so the next call reopens the real file.
                None => {
                    shared.take();
                    Ok(Err(Error::Internal(
                        "the connection lent to a run block was not given back; the database was closed".into(),
                    )))
                }
            }
        })
        .await
        .map_err(|_| closed_thread())?
    }
}
