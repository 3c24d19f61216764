//! Python SQLiter's own encoding of `Optional` scalars: it declares
//! `Optional[int | float | bool | date | datetime]` columns `TEXT`, so
//! SQLite stores the numbers as text (`'5'`, `'2.5'`, `'1'`,
//! `'1709164800'`). The numeric decoders accept such text, strictly: only
//! what parses as the whole number the field needs. A TEXT value can reach
//! them only from a TEXT-declared column, since numeric affinities turn
//! numeric text into numbers on the way in.

use crate::error::DecodeError;

fn utf8(text: &[u8]) -> Result<&str, DecodeError> {
    std::str::from_utf8(text).map_err(|e| DecodeError::Invalid(format!("text is not UTF-8: {e}")))
}

/// `'5'`, `'-12'`; not `'5.5'`, `'5.0'`, `' 5'` or `'abc'`.
pub(crate) fn integer(text: &[u8]) -> Result<i64, DecodeError> {
    let text = utf8(text)?;
    text.parse::<i64>()
        .map_err(|_| DecodeError::Invalid(format!("text {text:?} is not an integer")))
}

/// `'2.5'`, `'10.0'`, `'3'`, `'1.0e+20'`; not `'abc'` or NaN.
pub(crate) fn real(text: &[u8]) -> Result<f64, DecodeError> {
    let text = utf8(text)?;
    match text.parse::<f64>() {
        Ok(f) if !f.is_nan() => Ok(f),
        _ => Err(DecodeError::Invalid(format!(
            "text {text:?} is not a number"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_parse_strictly() {
        assert_eq!(integer(b"5"), Ok(5));
        assert_eq!(integer(b"-1709164800"), Ok(-1_709_164_800));
        for bad in [
            &b"5.5"[..],
            b"5.0",
            b" 5",
            b"abc",
            b"",
            b"99999999999999999999",
        ] {
            assert!(integer(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn reals_parse_strictly() {
        assert_eq!(real(b"2.5"), Ok(2.5));
        assert_eq!(real(b"10.0"), Ok(10.0));
        assert_eq!(real(b"3"), Ok(3.0));
        assert_eq!(real(b"1.0e+20"), Ok(1.0e20));
        for bad in [&b"abc"[..], b"NaN", b"", b"2,5"] {
            assert!(real(bad).is_err(), "{bad:?}");
        }
    }
}
