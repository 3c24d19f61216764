//! A column's Rust type: from its declared type, and for Python SQLiter's
//! encodings from a sample of its values.

use sqliter_core::{Affinity, SqlType};

use super::sample::{ColumnSample, Pickled};
use crate::schema::Column;

/// The scalar types the generator emits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scalar {
    /// `i64`.
    I64,
    /// `f64`.
    F64,
    /// `String`.
    Text,
    /// `Vec<u8>`.
    Bytes,
}

impl Scalar {
    fn sql_type(self) -> SqlType {
        match self {
            Self::I64 => SqlType::Integer,
            Self::F64 => SqlType::Real,
            Self::Text => SqlType::Text,
            Self::Bytes => SqlType::Blob,
        }
    }
}

/// A field's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldType {
    /// The value's type.
    pub scalar: Scalar,
    /// Wrapped in `Option`.
    pub optional: bool,
}

/// What to do with one column.
#[derive(Debug)]
pub enum Inference {
    /// A field of this type, with a note when the type was inferred from
    /// the values rather than the declared type.
    Field {
        /// The type.
        ty: FieldType,
        /// Why this type.
        note: Option<String>,
        /// Read as `#[sqliter(pickle)]` into this Rust type (the scalar is
        /// then the bytes it is stored as).
        pickled: Option<String>,
    },
    /// No field type reads every value: the column is left out (reads work
    /// without it) and the reason is noted.
    LeftOut(String),
}

/// Python SQLiter's encodings of values in columns whose declared type
/// does not say what they hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PythonEncoding {
    /// `Optional[int]`, `Optional[bool]`, or `Optional[date/datetime]` (unix
    /// seconds) in a `TEXT` column: `'5'`, `'1'`, `'1709251200'`.
    IntegerText,
    /// `Optional[float]` in a `TEXT` column: `'2.5'`.
    RealText,
    /// A pickled complex value (`list`, `dict`, ...): a BLOB starting
    /// `80 0N`, N the pickle protocol.
    Pickle {
        /// The protocol (4 for Python SQLiter).
        protocol: u8,
    },
}

/// The one place that decides how Python SQLiter's encodings are read.
///
/// The core reads sqliter-py's text-stored numbers strictly (`'5'` into an
/// `Option<i64>`, `'2.5'` into an `Option<f64>`; anything else is a decode
/// error naming the row), and compares them as numbers in filters and
/// ordering. Pickles stay bytes: their element types are Python's, and a
/// `Vec<u8>` field reads and rewrites them unchanged (a typed field needs
/// `#[sqliter(pickle)]` and a serde type, which the note suggests).
pub fn python_encoding_type(encoding: PythonEncoding) -> (Scalar, String) {
    match encoding {
        PythonEncoding::IntegerText => (
            Scalar::I64,
            "holds integers as text ('5'): Python SQLiter's Optional[int]; read as numbers \
             (an Optional[bool] or a date stored as unix seconds reads too: change the type to \
             bool or chrono::NaiveDate)"
                .to_owned(),
        ),
        PythonEncoding::RealText => (
            Scalar::F64,
            "holds numbers as text ('2.5'): Python SQLiter's Optional[float]; read as numbers"
                .to_owned(),
        ),
        PythonEncoding::Pickle { protocol } => (
            Scalar::Bytes,
            format!(
                "holds Python pickles (protocol {protocol}): a complex value of Python SQLiter, \
                 kept as the raw bytes; for the values, add #[sqliter(pickle)] and a serde type \
                 (Vec<T>, BTreeMap<K, V>, HashSet<T>, a tuple)"
            ),
        ),
    }
}

/// The storage classes seen, for a note.
fn seen(s: &ColumnSample) -> String {
    let mut kinds = Vec::new();
    for (n, kind) in [
        (s.integers, "integers"),
        (s.reals, "reals"),
        (s.texts, "text"),
        (s.blobs, "blobs"),
    ] {
        if n > 0 {
            kinds.push(kind);
        }
    }
    kinds.join(" and ")
}

/// The scalar from the declared type and the sample; `Err` is why no type
/// reads every value.
fn scalar(
    column: &Column,
    sample: &ColumnSample,
    sqliter_table: bool,
) -> Result<(Scalar, Option<PythonEncoding>), String> {
    let s = sample;
    let affinity = Affinity::of(&column.declared_type);
    let mixed = || {
        format!(
            "holds {} in a column declared {:?}; no field type reads them all",
            seen(s),
            column.declared_type
        )
    };
    let numbers = s.texts == 0 && s.blobs == 0;
    match affinity {
        Affinity::Integer | Affinity::Numeric if numbers => {
            if s.reals > 0 || (affinity == Affinity::Numeric && s.integers == 0) {
                Ok((Scalar::F64, None))
            } else {
                Ok((Scalar::I64, None))
            }
        }
        Affinity::Real if numbers => Ok((Scalar::F64, None)),
        Affinity::Text if s.integers == 0 && s.reals == 0 => {
            if s.blobs > 0 && s.texts > 0 {
                Err(mixed())
            } else if s.blobs > 0 && s.pickles == s.blobs {
                Ok((
                    Scalar::Bytes,
                    Some(PythonEncoding::Pickle {
                        protocol: s.pickle_protocol,
                    }),
                ))
            } else if s.blobs > 0 {
                Ok((Scalar::Bytes, None))
            } else if sqliter_table && s.texts > 0 && s.integer_texts == s.texts {
                Ok((Scalar::Text, Some(PythonEncoding::IntegerText)))
            } else if sqliter_table && s.real_texts > 0 && s.integer_texts + s.real_texts == s.texts
            {
                Ok((Scalar::Text, Some(PythonEncoding::RealText)))
            } else {
                Ok((Scalar::Text, None))
            }
        }
        Affinity::Blob => match (s.integers, s.reals, s.texts, s.blobs) {
            (_, _, 0, 0) if s.reals > 0 => Ok((Scalar::F64, None)),
            (1.., 0, 0, 0) => Ok((Scalar::I64, None)),
            (0, 0, 1.., 0) => Ok((Scalar::Text, None)),
            (0, 0, 0, _) if s.blobs > 0 && s.pickles == s.blobs => Ok((
                Scalar::Bytes,
                Some(PythonEncoding::Pickle {
                    protocol: s.pickle_protocol,
                }),
            )),
            (0, 0, 0, _) => Ok((Scalar::Bytes, None)),
            _ => Err(mixed()),
        },
        _ => Err(mixed()),
    }
}

/// The field for `column`. `has_nulls`: a `NULL` is stored in it. A
/// nullable column is an `Option`, except in SQLiter tables, where Python
/// declares every plain column nullable: there a column holding no `NULL`
/// and no Optional encoding is a plain field.
pub fn infer(
    column: &Column,
    sample: &ColumnSample,
    sqliter_table: bool,
    has_nulls: bool,
) -> Inference {
    let (scalar, encoding) = match scalar(column, sample, sqliter_table) {
        Ok(found) => found,
        Err(reason) => return Inference::LeftOut(reason),
    };
    let (scalar, note) = match encoding {
        Some(encoding) => {
            let (scalar, note) = python_encoding_type(encoding);
            (scalar, Some(note))
        }
        None => (scalar, None),
    };
    // The core's own rule for what a column can hold: never emit a field
    // its shape check would refuse.
    if !Affinity::of(&column.declared_type).holds(scalar.sql_type()) {
        return Inference::LeftOut(format!(
            "declared {:?}, whose affinity would change the values a field could store",
            column.declared_type
        ));
    }
    let python_optional = matches!(
        encoding,
        Some(PythonEncoding::IntegerText | PythonEncoding::RealText)
    );
    let optional = column.nullable && (!sqliter_table || has_nulls || python_optional);
    // Pickles of one plain type: read their values, saying so.
    let (note, pickled) = match (&sample.pickled, encoding) {
        (Pickled::Typed(t), Some(PythonEncoding::Pickle { protocol })) => {
            match super::pickle::rust_type(t) {
                Some(ty) => (
                    Some(format!(
                        "holds Python pickles (protocol {protocol}): every sampled value is plain data read as {ty}; a row that is not is a decode error naming it"
                    )),
                    Some(ty),
                ),
                None => (note, None),
            }
        }
        _ => (note, None),
    };
    Inference::Field {
        ty: FieldType { scalar, optional },
        note,
        pickled,
    }
}

#[cfg(test)]
mod tests {
    use super::{infer, Inference, Scalar};
    use crate::models::sample::ColumnSample;
    use crate::schema::Column;

    fn column(declared: &str, nullable: bool) -> Column {
        Column {
            name: "c".to_owned(),
            declared_type: declared.to_owned(),
            nullable,
            default: None,
            unique: false,
            primary_key: false,
        }
    }

    fn field(inference: Inference) -> (Scalar, bool, Option<String>) {
        match inference {
            Inference::Field { ty, note, .. } => (ty.scalar, ty.optional, note),
            Inference::LeftOut(reason) => panic!("left out: {reason}"),
        }
    }

    #[test]
    fn python_optional_numbers_in_text_read_as_optional_numbers_with_a_note() {
        let sample = ColumnSample {
            texts: 2,
            integer_texts: 1,
            real_texts: 1,
            ..ColumnSample::default()
        };
        let (scalar, optional, note) = field(infer(&column("TEXT", true), &sample, true, false));
        assert_eq!((scalar, optional), (Scalar::F64, true));
        assert!(note.unwrap().contains("Optional[float]"));
        let ints = ColumnSample {
            texts: 2,
            integer_texts: 2,
            ..ColumnSample::default()
        };
        let (scalar, optional, note) = field(infer(&column("TEXT", true), &ints, true, false));
        assert_eq!((scalar, optional), (Scalar::I64, true));
        assert!(note.unwrap().contains("Optional[int]"));
    }

    #[test]
    fn pickles_read_as_bytes_and_plain_text_stays_text() {
        let pickles = ColumnSample {
            blobs: 3,
            pickles: 3,
            pickle_protocol: 4,
            ..ColumnSample::default()
        };
        let (scalar, _, note) = field(infer(&column("TEXT", true), &pickles, true, false));
        assert_eq!(scalar, Scalar::Bytes);
        assert!(note.unwrap().contains("protocol 4"));
        let text = ColumnSample {
            texts: 3,
            integer_texts: 1,
            ..ColumnSample::default()
        };
        let (scalar, optional, note) = field(infer(&column("TEXT", true), &text, true, false));
        assert_eq!((scalar, optional, note), (Scalar::Text, false, None));
    }

    #[test]
    fn nullability_follows_the_file_outside_sqliter_tables() {
        let empty = ColumnSample::default();
        let (_, optional, _) = field(infer(&column("INTEGER", true), &empty, false, false));
        assert!(optional);
        let (_, optional, _) = field(infer(&column("INTEGER", false), &empty, false, false));
        assert!(!optional);
    }

    #[test]
    fn a_column_no_field_type_reads_is_left_out() {
        let mixed = ColumnSample {
            integers: 1,
            texts: 1,
            ..ColumnSample::default()
        };
        assert!(matches!(
            infer(&column("INTEGER", true), &mixed, false, true),
            Inference::LeftOut(_)
        ));
        assert!(matches!(
            infer(&column("DATETIME", true), &mixed, false, true),
            Inference::LeftOut(_)
        ));
    }
}
