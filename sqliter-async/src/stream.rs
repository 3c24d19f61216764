//! The async door's stream of rows: one round trip to the database thread
//! per batch, the batches resumed by the shared engine's cursor
//! ([`sqliter_core::query::stream`]).

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use sqliter_core::query::stream::Cursor;
use sqliter_core::{Error, Record, Result};

use crate::db::AsyncSqliterDB;

type Batch<R> = Pin<Box<dyn Future<Output = Result<(Vec<R>, Box<Cursor>)>> + Send>>;

enum State<R> {
    /// No batch asked for yet.
    Idle(Box<Cursor>),
    /// A batch on its way from the database thread.
    Loading(Batch<R>),
    /// A batch arrived before the rows in hand were used up.
    Fetched(Result<(Vec<R>, Box<Cursor>)>),
    /// Every row handed over, or an error (handed over once) ended it.
    Ended(Option<Error>),
}

/// The rows of a query as a [`futures_core::Stream`], read a batch at a
/// time: memory stays two batches (the one in hand, and the next, read on
/// the database thread meanwhile), whatever the number of rows. Made by
/// `AsyncQueryBuilder::stream`; iterate it with [`next`](Self::next) (no
/// extra crate needed) or any `Stream` combinator. The loop body may use
/// the same database: no statement stays open between batches.
pub struct RowStream<R> {
    db: AsyncSqliterDB,
    state: State<R>,
    buffer: VecDeque<R>,
}

// Nothing in the stream is pinned in place (the batch future is boxed).
impl<R> Unpin for RowStream<R> {}

impl<R: Record> RowStream<R> {
    pub(crate) fn new(db: AsyncSqliterDB, cursor: Result<Cursor>) -> Self {
        Self {
            db,
            state: match cursor {
                Ok(cursor) => State::Idle(Box::new(cursor)),
                Err(e) => State::Ended(Some(e)),
            },
            buffer: VecDeque::new(),
        }
    }

    /// The next row, `None` after the last one. An error ends the stream.
    pub async fn next(&mut self) -> Option<Result<R>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_row(cx)).await
    }

    /// The next batch, asked of the database thread.
    fn load(&self, mut cursor: Box<Cursor>) -> Batch<R> {
        let db = self.db.clone();
        Box::pin(async move {
            db.on_thread(move |s| {
                let rows = cursor.next_batch::<R>(s)?;
                Ok((rows, cursor))
            })
            .await
        })
    }

    /// Rows from the batch in hand; meanwhile the next batch is read on
    /// the database thread (asked for as soon as the one before arrives),
    /// so the round trip overlaps the caller's work on these rows.
    fn poll_row(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<R>>> {
        loop {
            if let State::Loading(batch) = &mut self.state {
                if let Poll::Ready(fetched) = batch.as_mut().poll(cx) {
                    self.state = State::Fetched(fetched);
                }
            }
            if let Some(row) = self.buffer.pop_front() {
                return Poll::Ready(Some(Ok(row)));
            }
            self.state = match std::mem::replace(&mut self.state, State::Ended(None)) {
                State::Idle(cursor) if cursor.is_done() => State::Ended(None),
                State::Idle(cursor) => State::Loading(self.load(cursor)),
                // Polled above: still on its way.
                State::Loading(batch) => {
                    self.state = State::Loading(batch);
                    return Poll::Pending;
                }
                State::Fetched(Ok((rows, cursor))) => {
                    self.buffer = rows.into();
                    if cursor.is_done() {
                        State::Ended(None)
                    } else {
                        State::Loading(self.load(cursor))
                    }
                }
                State::Fetched(Err(e)) => State::Ended(Some(e)),
                // Handed over once; the state is left `Ended(None)`.
                State::Ended(error) => return Poll::Ready(error.map(Err)),
            };
        }
    }
}

impl<R: Record> futures_core::Stream for RowStream<R> {
    type Item = Result<R>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<R>>> {
        self.get_mut().poll_row(cx)
    }
}

impl<R> std::fmt::Debug for RowStream<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match &self.state {
            State::Idle(_) => "not started",
            State::Loading(_) => "loading a batch",
            State::Fetched(_) => "a batch ready",
            State::Ended(_) => "ended",
        };
        f.debug_struct("RowStream")
            .field("state", &state)
            .field("buffered", &self.buffer.len())
            .finish_non_exhaustive()
    }
}
