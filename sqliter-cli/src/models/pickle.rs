//! The Rust type of a pickled column, from its sampled values: the plain
//! data Python SQLiter pickles (lists, tuples, sets, dicts of scalars and
//! of each other) mapped to the serde types `#[sqliter(pickle)]` reads.
//! Anything else (classes, big integers, bytes, mixed element types) has
//! no type here, and the column stays raw bytes.

use serde_pickle::{DeOptions, HashableValue, Value};

/// A pickled value's shape.
#[derive(Debug, Clone, PartialEq)]
pub enum PyType {
    /// `int` (within `i64`).
    Int,
    /// `float`.
    Float,
    /// `str`.
    Str,
    /// `bool`.
    Bool,
    /// An element of a container seen empty only: any type.
    Unknown,
    /// `None` or a value: `Option`.
    Optional(Box<PyType>),
    /// `list`.
    List(Box<PyType>),
    /// `tuple`, by position.
    Tuple(Vec<PyType>),
    /// `set` / `frozenset`.
    Set(Box<PyType>),
    /// `dict`.
    Dict(Box<PyType>, Box<PyType>),
}

/// The shape of one pickle, or `None` when it is not plain data this
/// module maps (or not a pickle serde-pickle reads).
pub fn shape_of(bytes: &[u8]) -> Option<PyType> {
    let value = serde_pickle::value_from_slice(bytes, DeOptions::new()).ok()?;
    of_value(&value)
}

fn of_value(value: &Value) -> Option<PyType> {
    Some(match value {
        Value::None => PyType::Optional(Box::new(PyType::Unknown)),
        Value::Bool(_) => PyType::Bool,
        Value::I64(_) => PyType::Int,
        Value::F64(_) => PyType::Float,
        Value::String(_) => PyType::Str,
        Value::List(items) => PyType::List(Box::new(all(items.iter().map(of_value))?)),
        Value::Tuple(items) => PyType::Tuple(items.iter().map(of_value).collect::<Option<_>>()?),
        Value::Set(items) | Value::FrozenSet(items) => {
            PyType::Set(Box::new(all(items.iter().map(of_key))?))
        }
        Value::Dict(map) => PyType::Dict(
            Box::new(all(map.keys().map(of_key))?),
            Box::new(all(map.values().map(of_value))?),
        ),
        Value::Int(_) | Value::Bytes(_) => return None,
    })
}

fn of_key(key: &HashableValue) -> Option<PyType> {
    Some(match key {
        HashableValue::Bool(_) => PyType::Bool,
        HashableValue::I64(_) => PyType::Int,
        HashableValue::String(_) => PyType::Str,
        HashableValue::Tuple(items) => {
            PyType::Tuple(items.iter().map(of_key).collect::<Option<_>>()?)
        }
        _ => return None,
    })
}

/// One type for every item (`Unknown` for none).
fn all(mut items: impl Iterator<Item = Option<PyType>>) -> Option<PyType> {
    items.try_fold(PyType::Unknown, |acc, item| unify(&acc, &item?))
}

/// The type both `a` and `b` are read as, if any: an `int` widens to a
/// `float`, a `None` makes an `Option`, an empty container takes the other
/// side's element type.
pub fn unify(a: &PyType, b: &PyType) -> Option<PyType> {
    use PyType::{Dict, Float, Int, List, Optional, Set, Tuple, Unknown};
    Some(match (a, b) {
        (Unknown, t) | (t, Unknown) => t.clone(),
        (Optional(x), Optional(y)) => Optional(Box::new(unify(x, y)?)),
        (Optional(x), t) | (t, Optional(x)) => Optional(Box::new(unify(x, t)?)),
        (Int, Float) | (Float, Int) => Float,
        (List(x), List(y)) => List(Box::new(unify(x, y)?)),
        (Set(x), Set(y)) => Set(Box::new(unify(x, y)?)),
        (Dict(key, value), Dict(other_key, other_value)) => Dict(
            Box::new(unify(key, other_key)?),
            Box::new(unify(value, other_value)?),
        ),
        (Tuple(x), Tuple(y)) if x.len() == y.len() => Tuple(
            x.iter()
                .zip(y)
                .map(|(a, b)| unify(a, b))
                .collect::<Option<_>>()?,
        ),
        (a, b) if a == b => a.clone(),
        _ => return None,
    })
}

/// The Rust type `#[sqliter(pickle)]` reads `t` into, fully qualified
/// (the generated file imports nothing for it); `None` when Rust has no
/// fitting serde type (a set of floats, a key that cannot be ordered).
pub fn rust_type(t: &PyType) -> Option<String> {
    Some(match t {
        PyType::Int => "i64".to_owned(),
        PyType::Float => "f64".to_owned(),
        // An element never seen: text reads an empty container, and a
        // value of another type later is a decode error naming its row.
        PyType::Str | PyType::Unknown => "String".to_owned(),
        PyType::Bool => "bool".to_owned(),
        PyType::Optional(inner) => format!("Option<{}>", rust_type(inner)?),
        PyType::List(item) => format!("Vec<{}>", rust_type(item)?),
        PyType::Tuple(items) if items.is_empty() => return None,
        PyType::Tuple(items) => {
            let items = items.iter().map(rust_type).collect::<Option<Vec<_>>>()?;
            if items.len() == 1 {
                format!("({},)", items[0])
            } else {
                format!("({})", items.join(", "))
            }
        }
        PyType::Set(item) => format!("std::collections::BTreeSet<{}>", key_type(item)?),
        PyType::Dict(key, value) => format!(
            "std::collections::BTreeMap<{}, {}>",
            key_type(key)?,
            rust_type(value)?
        ),
    })
}

/// A set element or dict key: ordered and exact, so no floats.
fn key_type(t: &PyType) -> Option<String> {
    match t {
        PyType::Int | PyType::Str | PyType::Bool | PyType::Unknown => rust_type(t),
        PyType::Tuple(items) if items.iter().all(|i| key_type(i).is_some()) => rust_type(t),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::{rust_type, shape_of, unify, PyType};

    /// `pickle.dumps(v, protocol=4)` from Python 3, as hex.
    fn shape(hex: &str) -> Option<PyType> {
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect();
        shape_of(&bytes)
    }

    #[test]
    fn plain_python_data_gets_a_serde_type() {
        // {"genre": "sf", "n": 1}: str values and an int do not unify.
        let mixed = shape("80049518000000000000007d94288c0567656e7265948c027366948c016e944b01752e");
        assert_eq!(mixed, None);
        // [1, 2, 3]
        let list = shape("8004950b000000000000005d94284b014b024b03652e").unwrap();
        assert_eq!(rust_type(&list).as_deref(), Some("Vec<i64>"));
    }

    #[test]
    fn types_unify_across_rows() {
        let ints = PyType::List(Box::new(PyType::Int));
        let empty = PyType::List(Box::new(PyType::Unknown));
        let floats = PyType::List(Box::new(PyType::Float));
        assert_eq!(unify(&ints, &empty), Some(ints.clone()));
        assert_eq!(unify(&ints, &floats), Some(floats));
        assert_eq!(unify(&ints, &PyType::Str), None);
        let maybe = unify(&PyType::Int, &PyType::Optional(Box::new(PyType::Unknown))).unwrap();
        assert_eq!(rust_type(&maybe).as_deref(), Some("Option<i64>"));
    }

    #[test]
    fn sets_dicts_and_tuples() {
        let dict = PyType::Dict(Box::new(PyType::Str), Box::new(PyType::Int));
        assert_eq!(
            rust_type(&dict).as_deref(),
            Some("std::collections::BTreeMap<String, i64>")
        );
        let set = PyType::Set(Box::new(PyType::Str));
        assert_eq!(
            rust_type(&set).as_deref(),
            Some("std::collections::BTreeSet<String>")
        );
        assert_eq!(rust_type(&PyType::Set(Box::new(PyType::Float))), None);
        let pair = PyType::Tuple(vec![PyType::Int, PyType::Str]);
        assert_eq!(rust_type(&pair).as_deref(), Some("(i64, String)"));
    }
}
