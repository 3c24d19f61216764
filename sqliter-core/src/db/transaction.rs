//! Scoped transactions of the sync door.

use parking_lot::ReentrantMutexGuard;

use crate::error::{Error, Result};

use super::{SqliterDB, State};

/// An open transaction (or savepoint, when nested). Commit it with
/// [`Transaction::commit`]; dropping it uncommitted, including while
/// unwinding from a panic, rolls it back.
#[derive(Debug)]
#[must_use = "a transaction is rolled back when dropped; call `commit()`"]
pub struct Transaction<'db> {
    db: &'db SqliterDB,
    /// Held for the whole scope: other threads sharing the database wait
    /// instead of running inside this transaction.
    state: ReentrantMutexGuard<'db, State>,
    /// 1 for the outermost transaction, 2+ for savepoints.
    level: u32,
    /// The connection generation it was begun on.
    generation: u64,
    open: bool,
}

impl<'db> Transaction<'db> {
    pub(super) fn begin(db: &'db SqliterDB) -> Result<Self> {
        let state = db.state();
        let level = state.tx_depth.get() + 1;
        db.with_session(|session| session.begin_transaction(level))?;
        state.tx_depth.set(level);
        let generation = state.generation.get();
        Ok(Self {
            db,
            state,
            level,
            generation,
            open: true,
        })
    }

    fn finish(&mut self, commit: bool) -> Result<()> {
        if self.state.generation.get() != self.generation {
            // `close()` ran inside the scope: SQLite rolled the work back.
            self.open = false;
            return if commit {
                Err(Error::closed_in_transaction())
            } else {
                Ok(())
            };
        }
        if self.state.tx_depth.get() != self.level {
            return Err(Error::Transaction(
                "an inner transaction is still open; finish it first".into(),
            ));
        }
        self.open = false;
        self.state.tx_depth.set(self.level - 1);
        let level = self.level;
        self.db
            .with_session(|session| session.end_transaction(level, commit))
    }

    /// Commit (or release the savepoint).
    pub fn commit(mut self) -> Result<()> {
        self.finish(true)
    }

    /// Roll back (to the savepoint, when nested).
    pub fn rollback(mut self) -> Result<()> {
        self.finish(false)
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        if self.open {
            // Nothing to report to: the caller is gone or unwinding.
            let _ = self.finish(false);
        }
    }
}
