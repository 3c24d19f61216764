//! Python SQLiter's pickled complex columns, for fields marked
//! `#[sqliter(pickle)]`: `list`, `dict`, `set` and `tuple` values stored as
//! `pickle.dumps(v)` BLOBs.
//!
//! Reading accepts every pickle protocol, but only plain data: a pickle
//! that names a Python class or function (`GLOBAL`, `STACK_GLOBAL`,
//! `BUILD`, `NEWOBJ`, ...) is refused before serde-pickle sees it, so
//! nothing reads as a look-alike dict. The one exception is how protocols
//! 0 to 3 spell a set, a frozenset or a bytearray: `GLOBAL builtins set`
//! (or `__builtin__`; bytes as `_codecs encode`) applied by `REDUCE`,
//! which serde-pickle turns into the value itself; as every other global
//! is refused, a `REDUCE` can only apply those. serde-pickle runs no Python code, and its
//! unresolved globals stay errors (`DeOptions` without
//! `replace_unresolved_globals`).
//!
//! Writing uses pickle protocol 3 (the newest serde-pickle writes; Python
//! reads every protocol). Rust maps to Python as serde does: `Vec`, arrays
//! and `VecDeque` → `list`, maps and structs → `dict`, tuples → `tuple`. A
//! field whose type is a `HashSet` / `BTreeSet` is written as a Python
//! `set`; a set nested inside another value is written as a `list` (serde
//! has no set type), which a Python `set[...]` field accepts as well.
//! Reading takes a Python `set`, `frozenset`, `list` or `tuple` into any
//! Rust sequence or set.

use rusqlite::types::{ToSqlOutput, Value as RawValue, ValueRef};
use serde::{de::DeserializeOwned, Serialize};
use serde_pickle::{DeOptions, SerOptions};

use super::field::wrong_type;
use super::{Codec, DecodeContext, SqlType};
use crate::error::{DecodeError, ValueError};

/// The codec of a serde type stored as a pickle in a `NOT NULL` BLOB
/// column; `SET` when the field's type is a set (written as a Python set).
///
/// ```
/// use std::collections::{BTreeMap, HashSet};
/// use sqliter_core::{DbModel, SqliterDB};
///
/// #[derive(DbModel, Debug, Clone, Default)]
/// struct Sample {
///     pk: i64,
///     #[sqliter(pickle)]
///     scores: BTreeMap<String, i64>,
///     #[sqliter(pickle)]
///     letters: HashSet<String>,
///     #[sqliter(pickle)]
///     pair: Option<(i64, String)>,
/// }
///
/// let db = SqliterDB::open_in_memory()?;
/// db.create_table::<Sample>()?;
/// let stored = db.insert(Sample {
///     scores: BTreeMap::from([("x".to_owned(), 1)]),
///     pair: Some((1, "b".to_owned())),
///     ..Default::default()
/// })?;
/// let back = db.get::<Sample>(stored.pk)?.unwrap();
/// assert_eq!(back.scores["x"], 1);
/// assert_eq!(back.pair, Some((1, "b".to_owned())));
/// # Ok::<(), sqliter_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Pickle<const SET: bool = false>;

/// The codec of `Option<T>` of a pickled serde type: `None` is SQL `NULL`
/// (not a pickled `None`). The derive picks it for an `Option` field
/// marked `#[sqliter(pickle)]` (the `pair` field in [`Pickle`]'s example).
#[derive(Debug, Clone, Copy)]
pub struct NullablePickle<const SET: bool = false>;

fn pickle_error(e: &serde_pickle::Error) -> ValueError {
    ValueError::Pickle(e.to_string())
}

fn to_pickle<T: Serialize>(value: &T, set: bool) -> Result<ToSqlOutput<'static>, ValueError> {
    let options = SerOptions::new();
    let bytes = if set {
        let value = match serde_pickle::to_value(value).map_err(|e| pickle_error(&e))? {
            serde_pickle::Value::List(items) => serde_pickle::Value::Set(
                items
                    .into_iter()
                    .map(serde_pickle::Value::into_hashable)
                    .collect::<Result<_, _>>()
                    .map_err(|e| pickle_error(&e))?,
            ),
            other => other,
        };
        serde_pickle::value_to_vec(&value, options)
    } else {
        serde_pickle::to_vec(value, options)
    }
    .map_err(|e| pickle_error(&e))?;
    Ok(ToSqlOutput::Owned(RawValue::Blob(bytes)))
}

fn from_pickle<T: DeserializeOwned>(value: ValueRef<'_>) -> Result<T, DecodeError> {
    match value {
        ValueRef::Blob(bytes) => {
            check_plain_data(bytes)?;
            serde_pickle::from_slice(bytes, DeOptions::new())
                .map_err(|e| DecodeError::Invalid(format!("invalid pickle: {e}")))
        }
        other => Err(wrong_type("BLOB (pickle)", other)),
    }
}

impl<T: Serialize + DeserializeOwned, const SET: bool> Codec<T> for Pickle<SET> {
    const SQL_TYPE: SqlType = SqlType::Blob;
    const NULLABLE: bool = false;
    fn encode(value: &T) -> Result<ToSqlOutput<'_>, ValueError> {
        to_pickle(value, SET)
    }
    fn decode(value: ValueRef<'_>, _: &DecodeContext) -> Result<T, DecodeError> {
        from_pickle(value)
    }
}

impl<T: Serialize + DeserializeOwned, const SET: bool> Codec<Option<T>> for NullablePickle<SET> {
    const SQL_TYPE: SqlType = SqlType::Blob;
    const NULLABLE: bool = true;
    fn encode(value: &Option<T>) -> Result<ToSqlOutput<'_>, ValueError> {
        match value {
            Some(v) => to_pickle(v, SET),
            None => Ok(ToSqlOutput::Borrowed(ValueRef::Null)),
        }
    }
    fn decode(value: ValueRef<'_>, _: &DecodeContext) -> Result<Option<T>, DecodeError> {
        match value {
            ValueRef::Null => Ok(None),
            other => from_pickle(other).map(Some),
        }
    }
}

/// What follows an opcode in the stream.
enum Argument {
    /// Nothing, or this many bytes.
    Fixed(usize),
    /// This many newline-terminated lines.
    Lines(usize),
    /// A little-endian length of this many bytes, then that many bytes.
    Sized(usize),
}

/// The argument of a plain-data opcode; `Err` names an opcode that builds
/// a Python object (or an unknown one).
fn argument(op: u8) -> Result<Argument, &'static str> {
    use Argument::{Fixed, Lines, Sized};
    Ok(match op {
        // MARK STOP POP POP_MARK DUP NONE APPEND DICT EMPTY_DICT APPENDS
        // LIST EMPTY_LIST SETITEM TUPLE EMPTY_TUPLE SETITEMS, and REDUCE
        // (only plain globals reach it, see `check_plain_data`); TUPLE1..3
        // NEWTRUE NEWFALSE EMPTY_SET ADDITEMS FROZENSET MEMOIZE.
        _ if b"(.012Nad}el]st)uR".contains(&op) => Fixed(0),
        0x85..=0x89 | 0x8f..=0x91 | 0x94 => Fixed(0),
        // BININT1 BINGET BINPUT PROTO
        b'K' | b'h' | b'q' | 0x80 => Fixed(1),
        b'M' => Fixed(2),               // BININT2
        b'J' | b'j' | b'r' => Fixed(4), // BININT LONG_BINGET LONG_BINPUT
        b'G' | 0x95 => Fixed(8),        // BINFLOAT FRAME
        // FLOAT INT LONG STRING UNICODE GET PUT
        b'F' | b'I' | b'L' | b'S' | b'V' | b'g' | b'p' => Lines(1),
        // SHORT_BINSTRING SHORT_BINBYTES LONG1 SHORT_BINUNICODE
        b'U' | b'C' | 0x8a | 0x8c => Sized(1),
        // BINSTRING BINUNICODE BINBYTES LONG4
        b'T' | b'X' | b'B' | 0x8b => Sized(4),
        // BINUNICODE8 BINBYTES8 BYTEARRAY8
        0x8d | 0x8e | 0x96 => Sized(8),
        // GLOBAL, checked by `check_plain_data`.
        b'c' => Lines(2),
        0x93 => return Err("STACK_GLOBAL"),
        b'b' => return Err("BUILD"),
        b'i' => return Err("INST"),
        b'o' => return Err("OBJ"),
        0x81 => return Err("NEWOBJ"),
        0x92 => return Err("NEWOBJ_EX"),
        0x82..=0x84 => return Err("EXT"),
        b'P' | b'Q' => return Err("PERSID"),
        0x97 | 0x98 => return Err("out-of-band buffer"),
        _ => return Err("unknown opcode"),
    })
}

/// The globals that name a plain container (`module\nname\n`), which
/// serde-pickle builds itself when `REDUCE` applies them.
const PLAIN_GLOBALS: [&[u8]; 7] = [
    b"_codecs\nencode\n",
    b"builtins\nset\n",
    b"builtins\nfrozenset\n",
    b"builtins\nbytearray\n",
    b"__builtin__\nset\n",
    b"__builtin__\nfrozenset\n",
    b"__builtin__\nbytearray\n",
];

fn not_plain(name: &str, op: u8) -> DecodeError {
    DecodeError::Invalid(format!(
        "the pickle is not plain data: {name} (opcode {op:#04x}) refers to a Python class or function; only lists, dicts, sets, tuples, numbers, strings and bytes are read"
    ))
}

/// Walk the opcodes up to `STOP`, refusing any that builds a Python object.
fn check_plain_data(bytes: &[u8]) -> Result<(), DecodeError> {
    let truncated = || DecodeError::Invalid("invalid pickle: truncated".into());
    let mut at = 0;
    while let Some(&op) = bytes.get(at) {
        at += 1;
        match argument(op) {
            Err(name) => return Err(not_plain(name, op)),
            Ok(Argument::Fixed(n)) => at += n,
            Ok(Argument::Lines(n)) => {
                let start = at;
                for _ in 0..n {
                    let end = bytes[at.min(bytes.len())..]
                        .iter()
                        .position(|&b| b == b'\n')
                        .ok_or_else(truncated)?;
                    at += end + 1;
                }
                if op == b'c' && !PLAIN_GLOBALS.contains(&&bytes[start..at]) {
                    return Err(not_plain("GLOBAL", op));
                }
            }
            Ok(Argument::Sized(width)) => {
                let field = bytes.get(at..at + width).ok_or_else(truncated)?;
                let len = field
                    .iter()
                    .rev()
                    .fold(0_u128, |acc, &b| (acc << 8) | u128::from(b));
                let len = usize::try_from(len).map_err(|_| truncated())?;
                at = at
                    .checked_add(width)
                    .and_then(|a| a.checked_add(len))
                    .ok_or_else(truncated)?;
            }
        }
        if op == b'.' {
            return Ok(());
        }
        if at > bytes.len() {
            return Err(truncated());
        }
    }
    Err(truncated())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// `pickle.dumps({"x": 1, "y": 2}, protocol=4)`.
    #[test]
    fn python_protocol_4_dicts_are_plain_data() {
        let bytes = hex("80049511000000000000007d94288c0178944b018c0179944b02752e");
        assert!(check_plain_data(&bytes).is_ok());
    }

    /// `pickle.dumps(datetime.date(2024, 1, 1), protocol=4)`: a class.
    #[test]
    fn objects_are_refused() {
        let bytes = hex("80049520000000000000008c086461746574696d65948c0464617465949394430407e8010194859452942e");
        let err = check_plain_data(&bytes).unwrap_err();
        assert!(err.to_string().contains("STACK_GLOBAL"), "{err}");
    }

    /// `pickle.dumps({"q"}, protocol=2)` spells the set as a call of
    /// `__builtin__.set`, and `bytearray(b"ab")` through `_codecs.encode`;
    /// `pickle.dumps(os.system, protocol=2)` names a function.
    #[test]
    fn only_plain_container_globals_are_allowed() {
        let set =
            hex("8002635f5f6275696c74696e5f5f0a7365740a71005d71015801000000717102618571035271042e");
        assert!(check_plain_data(&set).is_ok());
        let bytes = hex("8002635f5f6275696c74696e5f5f0a6279746561727261790a7100635f636f646563730a656e636f64650a710158020000006162710258060000006c6174696e3171038671045271058571065271072e");
        assert!(check_plain_data(&bytes).is_ok());
        let system = hex("800263706f7369780a73797374656d0a71002e");
        let err = check_plain_data(&system).unwrap_err();
        assert!(err.to_string().contains("GLOBAL"), "{err}");
    }

    #[test]
    fn truncated_pickles_are_refused() {
        assert!(check_plain_data(&hex("80048c05")).is_err());
        assert!(check_plain_data(&hex("8004")).is_err());
    }
}
