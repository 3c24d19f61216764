//! The check that a serde value holds no NaN or infinity before it is
//! written as JSON: `serde_json` writes such a float as `null`, which then
//! fails to decode (or decodes as `None`) — a value that would not
//! round-trip, so it is refused instead.
//!
//! The check is a serializer that writes nothing: one pass over the value,
//! no allocation, stopping at the first non-finite float.

use std::fmt;

use serde::ser::{self, Serialize};

/// The first non-finite float found, as text for the error message.
#[derive(Debug)]
pub(crate) struct NonFinite(pub String);

impl fmt::Display for NonFinite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NonFinite {}

impl ser::Error for NonFinite {
    // The value's own `Serialize` failed: serde_json will report it when it
    // serializes, so the check lets it through.
    fn custom<T: fmt::Display>(_: T) -> Self {
        Self(String::new())
    }
}

/// `Err` with the float's text if `value` holds a NaN or an infinity.
pub(crate) fn check<T: Serialize + ?Sized>(value: &T) -> Result<(), String> {
    match value.serialize(FiniteCheck) {
        Err(NonFinite(found)) if !found.is_empty() => Err(found),
        _ => Ok(()),
    }
}

#[derive(Clone, Copy)]
struct FiniteCheck;

fn float(value: f64) -> Result<(), NonFinite> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(NonFinite(value.to_string()))
    }
}

macro_rules! accept {
    ($($method:ident($($ty:ty),*)),* $(,)?) => {$(
        fn $method(self, $(_: $ty),*) -> Result<(), NonFinite> {
            Ok(())
        }
    )*};
}

impl ser::Serializer for FiniteCheck {
    type Ok = ();
    type Error = NonFinite;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = Self;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = Self;

    accept!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_i128(i128),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_u128(u128),
        serialize_char(char),
        serialize_str(&str),
        serialize_bytes(&[u8]),
        serialize_none(),
        serialize_unit(),
        serialize_unit_struct(&'static str),
        serialize_unit_variant(&'static str, u32, &'static str),
    );

    fn serialize_f32(self, v: f32) -> Result<(), NonFinite> {
        float(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<(), NonFinite> {
        float(v)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), NonFinite> {
        value.serialize(self)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), NonFinite> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        value: &T,
    ) -> Result<(), NonFinite> {
        value.serialize(self)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self, NonFinite> {
        Ok(self)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self, NonFinite> {
        Ok(self)
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self, NonFinite> {
        Ok(self)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self, NonFinite> {
        Ok(self)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self, NonFinite> {
        Ok(self)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, NonFinite> {
        Ok(self)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self, NonFinite> {
        Ok(self)
    }
}

/// Every compound form visits its elements (and map keys) the same way.
macro_rules! compound {
    ($($trait:ident :: $method:ident($($name:ident),*)),* $(,)?) => {$(
        impl ser::$trait for FiniteCheck {
            type Ok = ();
            type Error = NonFinite;
            fn $method<T: Serialize + ?Sized>(&mut self, $($name: &'static str,)* value: &T) -> Result<(), NonFinite> {
                $(let _ = $name;)*
                value.serialize(*self)
            }
            fn end(self) -> Result<(), NonFinite> {
                Ok(())
            }
        }
    )*};
}

compound!(
    SerializeSeq::serialize_element(),
    SerializeTuple::serialize_element(),
    SerializeTupleStruct::serialize_field(),
    SerializeTupleVariant::serialize_field(),
    SerializeStruct::serialize_field(key),
    SerializeStructVariant::serialize_field(key),
);

impl ser::SerializeMap for FiniteCheck {
    type Ok = ();
    type Error = NonFinite;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), NonFinite> {
        key.serialize(*self)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), NonFinite> {
        value.serialize(*self)
    }
    fn end(self) -> Result<(), NonFinite> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::check;
    use std::collections::BTreeMap;

    #[derive(serde::Serialize)]
    struct Reading {
        label: String,
        values: Vec<Option<f64>>,
    }

    #[test]
    fn finite_values_pass_and_the_first_non_finite_float_is_named() {
        assert_eq!(check(&vec![1.0, -0.0, f64::MAX]), Ok(()));
        assert_eq!(check(&(1, "x", [0.5_f32])), Ok(()));
        assert_eq!(check(&vec![1.0, f64::NAN]), Err("NaN".into()));
        assert_eq!(check(&(f32::INFINITY, 1)), Err("inf".into()));
        let nested = Reading {
            label: "t".into(),
            values: vec![Some(1.0), None, Some(f64::NEG_INFINITY)],
        };
        assert_eq!(check(&nested), Err("-inf".into()));
        let map: BTreeMap<String, f64> = [("a".to_owned(), f64::NAN)].into();
        assert_eq!(check(&map), Err("NaN".into()));
    }
}
