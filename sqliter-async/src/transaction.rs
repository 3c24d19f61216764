//! Scoped transactions of the async door.
//!
//! The outermost scope holds the database's gate exclusively, so
//! statements of other tasks wait until it ends and are never captured by
//! it or rolled back with it. Statements of the scope's own task join it:
//! through the handle given to the closure, or through a task-local marker
//! when the task uses another clone. Dropping an unfinished scope (a panic,
//! or a cancelled future) rolls it back, still holding the gate.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use sqliter_core::{Error, Result};
use tokio::sync::OwnedRwLockWriteGuard;

use crate::db::AsyncSqliterDB;
use crate::worker::Shared;

/// Marks the statements of one open scope.
#[derive(Debug)]
pub(crate) struct TxToken {
    /// Which database the scope belongs to (the address of its shared
    /// state, only compared).
    pub owner: usize,
    pub level: u32,
    pub active: AtomicBool,
    /// The connection generation the scope was begun on.
    pub generation: u64,
}

impl TxToken {
    pub fn is_open_on(&self, shared: &Arc<Shared>) -> bool {
        self.owner == owner_id(shared) && self.active.load(Ordering::SeqCst) && self.is_live(shared)
    }

    /// Whether the connection the scope began on is still the open one
    /// (`close()` inside the scope ends it).
    fn is_live(&self, shared: &Shared) -> bool {
        shared.generation.load(Ordering::SeqCst) == self.generation
    }
}

pub(crate) fn owner_id(shared: &Arc<Shared>) -> usize {
    Arc::as_ptr(shared) as usize
}

tokio::task_local! {
    pub(crate) static CURRENT_TX: Arc<TxToken>;
}

/// An open scoped transaction of an [`AsyncSqliterDB`]. Run statements
/// through [`AsyncTransaction::db`], then [`commit`](Self::commit) or
/// [`rollback`](Self::rollback); dropping it unfinished rolls it back.
#[derive(Debug)]
#[must_use = "a transaction is rolled back when dropped; call `commit().await`"]
pub struct AsyncTransaction {
    db: AsyncSqliterDB,
    token: Arc<TxToken>,
    gate: Option<OwnedRwLockWriteGuard<()>>,
    finished: bool,
}

impl AsyncTransaction {
    pub(crate) async fn begin(db: &AsyncSqliterDB) -> Result<Self> {
        let outer = db.current_tx();
        let level = outer.as_ref().map_or(1, |t| t.level + 1);
        // Only the outermost scope waits for (and then excludes) the others.
        let gate = match outer {
            Some(_) => None,
            None => Some(Arc::clone(&db.shared.gate).write_owned().await),
        };
        db.shared.call(move |s| s.begin_transaction(level)).await?;
        db.shared.tx_depth.fetch_add(1, Ordering::SeqCst);
        let token = Arc::new(TxToken {
            owner: owner_id(&db.shared),
            level,
            active: AtomicBool::new(true),
            generation: db.shared.generation.load(Ordering::SeqCst),
        });
        Ok(Self {
            db: db.with_token(Arc::clone(&token)),
            token,
            gate,
            finished: false,
        })
    }

    /// The handle whose statements run inside this transaction.
    pub fn db(&self) -> &AsyncSqliterDB {
        &self.db
    }

    pub(crate) fn token(&self) -> Arc<TxToken> {
        Arc::clone(&self.token)
    }

    async fn finish(mut self, commit: bool) -> Result<()> {
        self.finished = true;
        self.token.active.store(false, Ordering::SeqCst);
        if !self.token.is_live(&self.db.shared) {
            // `close()` ran inside the scope: SQLite rolled the work back,
            // and the depth was reset with the connection.
            drop(self.gate.take());
            return if commit {
                Err(Error::closed_in_transaction())
            } else {
                Ok(())
            };
        }
        self.db.shared.tx_depth.fetch_sub(1, Ordering::SeqCst);
        let level = self.token.level;
        let result = self
            .db
            .shared
            .call(move |s| s.end_transaction(level, commit))
            .await;
        if result.is_err() && commit {
            // A failed COMMIT leaves the transaction open: end it.
            let _ = self
                .db
                .shared
                .call(move |s| s.end_transaction(level, false))
                .await;
        }
        drop(self.gate.take());
        result
    }

    /// Commit (or release the savepoint, when nested).
    pub async fn commit(self) -> Result<()> {
        self.finish(true).await
    }

    /// Roll back (to the savepoint, when nested).
    pub async fn rollback(self) -> Result<()> {
        self.finish(false).await
    }
}

impl Drop for AsyncTransaction {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        self.token.active.store(false, Ordering::SeqCst);
        if !self.token.is_live(&self.db.shared) {
            return;
        }
        self.db.shared.tx_depth.fetch_sub(1, Ordering::SeqCst);
        let shared = Arc::clone(&self.db.shared);
        let gate = self.gate.take();
        let level = self.token.level;
        // Roll back on the database thread while still holding the gate, so
        // no other task's statement slips into the dying transaction.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let _ = shared.call(move |s| s.end_transaction(level, false)).await;
                drop(gate);
            });
        }
    }
}
