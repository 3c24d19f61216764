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

type Batch<R> = Pin<Box<dyn Future<Output = Result<(VecDeque<R>, Box<Cursor>)>> + Send>>;

enum State<R> {
    /// No batch asked for yet.
    Idle(Box<Cursor>),
    /// A batch on its way from the database thread.
    Loading(Batch<R>),
    /// A batch arrived before the rows in hand were used up.
    Fetched(Result<(VecDeque<R>, Box<Cursor>)>),
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

    /// The next batch, asked of the database thread, read into `rows` (a
    /// drained buffer: the two buffers take turns, so the stream allocates
    /// them once).
    fn load(&self, mut cursor: Box<Cursor>, mut rows: VecDeque<R>) -> Batch<R> {
        let db = self.db.clone();
        Box::pin(async move {
            db.on_thread(move |s| {
                cursor.next_batch::<R>(s, &mut rows)?;
                Ok((rows, cursor))
            })
            .await
        })
    }

    /// Rows from the batch in hand; meanwhile the next batch is read on
    /// the database thread (asked for as soon as the one before arrives),
    /// so the round trip overlaps the caller's work on these rows. The
    /// batch on its way is polled once when asked for (which sends the
    /// request) and again only once the rows in hand are used up: a row
    /// from the buffer costs no poll of the channel.
    fn poll_row(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<R>>> {
        loop {
            if let Some(row) = self.buffer.pop_front() {
                return Poll::Ready(Some(Ok(row)));
            }
            self.state = match std::mem::replace(&mut self.state, State::Ended(None)) {
                State::Idle(cursor) if cursor.is_done() => State::Ended(None),
                State::Idle(cursor) => self.ask(cx, cursor, VecDeque::new()),
                State::Loading(mut batch) => match batch.as_mut().poll(cx) {
                    Poll::Ready(fetched) => State::Fetched(fetched),
                    Poll::Pending => {
                        self.state = State::Loading(batch);
                        return Poll::Pending;
                    }
                },
                State::Fetched(Ok((rows, cursor))) => {
                    let drained = std::mem::replace(&mut self.buffer, rows);
                    if cursor.is_done() {
                        State::Ended(None)
                    } else {
                        self.ask(cx, cursor, drained)
                    }
                }
                State::Fetched(Err(e)) => State::Ended(Some(e)),
                // Handed over once; the state is left `Ended(None)`.
                State::Ended(error) => return Poll::Ready(error.map(Err)),
            };
        }
    }

    /// Ask for the next batch now: the first poll sends the request.
    fn ask(&self, cx: &mut Context<'_>, cursor: Box<Cursor>, rows: VecDeque<R>) -> State<R> {
        let mut batch = self.load(cursor, rows);
        match batch.as_mut().poll(cx) {
            Poll::Ready(fetched) => State::Fetched(fetched),
            Poll::Pending => State::Loading(batch),
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
