//! A sample of the values stored in a table, per column: which storage
//! classes occur, and whether text and blobs look like Python SQLiter's
//! encodings.

use rusqlite::types::ValueRef;

use crate::error::CliError;
use crate::file::{quote_ident, ReadOnlyFile};
use crate::schema::Table;

/// How many rows of each table are looked at.
pub const SAMPLE_ROWS: u32 = 1000;

/// What one column's sampled values look like.
#[derive(Debug, Default, Clone)]
pub struct ColumnSample {
    /// Values stored as INTEGER.
    pub integers: u32,
    /// Values stored as REAL.
    pub reals: u32,
    /// Values stored as TEXT.
    pub texts: u32,
    /// Values stored as BLOB.
    pub blobs: u32,
    /// Texts that are the canonical form of an integer (`'5'`, `'-3'`).
    pub integer_texts: u32,
    /// Texts that are a float but not an integer (`'2.5'`, `'1e-05'`).
    pub real_texts: u32,
    /// Blobs that are a Python pickle (`80 0N ... 2e`), with the highest
    /// protocol seen.
    pub pickles: u32,
    /// The pickle protocol (the second byte).
    pub pickle_protocol: u8,
    /// The type every sampled pickle reads as.
    pub pickled: Pickled,
}

/// What the sampled pickles of a column have in common.
#[derive(Debug, Default, Clone, PartialEq)]
pub enum Pickled {
    /// No pickle seen yet.
    #[default]
    Unseen,
    /// Every pickle is plain data of this one type.
    Typed(super::pickle::PyType),
    /// Some pickle is not plain data, or two do not share a type.
    Untyped,
}

impl Pickled {
    fn add(&mut self, bytes: &[u8]) {
        let shape = super::pickle::shape_of(bytes);
        *self = match (std::mem::take(self), shape) {
            (Self::Unseen, Some(t)) => Self::Typed(t),
            (Self::Typed(a), Some(b)) => {
                super::pickle::unify(&a, &b).map_or(Self::Untyped, Self::Typed)
            }
            _ => Self::Untyped,
        };
    }
}

impl ColumnSample {
    fn add(&mut self, value: ValueRef<'_>) {
        match value {
            ValueRef::Null => {}
            ValueRef::Integer(_) => self.integers += 1,
            ValueRef::Real(_) => self.reals += 1,
            ValueRef::Text(t) => {
                self.texts += 1;
                let text = String::from_utf8_lossy(t);
                if text.parse::<i64>().is_ok_and(|i| i.to_string() == text) {
                    self.integer_texts += 1;
                } else if text.parse::<f64>().is_ok_and(f64::is_finite) {
                    self.real_texts += 1;
                }
            }
            ValueRef::Blob(b) => {
                self.blobs += 1;
                if let [0x80, protocol @ 2..=5, .., b'.'] = b {
                    self.pickles += 1;
                    self.pickle_protocol = self.pickle_protocol.max(*protocol);
                    self.pickled.add(b);
                }
            }
        }
    }
}

/// Sample the first [`SAMPLE_ROWS`] rows of `table`, one entry per column.
pub fn sample(db: &ReadOnlyFile, table: &Table) -> Result<Vec<ColumnSample>, CliError> {
    let mut samples = vec![ColumnSample::default(); table.columns.len()];
    if table.columns.is_empty() {
        return Ok(samples);
    }
    let columns: Vec<String> = table.columns.iter().map(|c| quote_ident(&c.name)).collect();
    let sql = format!(
        "SELECT {} FROM {} LIMIT {SAMPLE_ROWS}",
        columns.join(", "),
        quote_ident(&table.name)
    );
    let what = format!("table '{}'", table.name);
    let mut stmt = db.conn.prepare(&sql).map_err(|e| db.sql_error(&what, e))?;
    let mut rows = stmt.query([]).map_err(|e| db.sql_error(&what, e))?;
    while let Some(row) = rows.next().map_err(|e| db.sql_error(&what, e))? {
        for (i, sample) in samples.iter_mut().enumerate() {
            sample.add(row.get_ref(i).map_err(|e| db.sql_error(&what, e))?);
        }
    }
    Ok(samples)
}
