//! The text operators' matching, run inside SQLite as one SQL function,
//! `sqliter_match(op, text, needle)`.
//!
//! SQLite's own `GLOB` and `LIKE` read their operands as C strings, so a NUL
//! byte ends them early: a needle with a NUL matched every row, and text
//! after a stored NUL was never seen. Here both sides are compared as whole
//! byte strings. The case-insensitive operators use full Unicode case
//! folding (`ß` ~ `ss`, final `ς` ~ `σ`), applied to both sides.

use rusqlite::functions::{Context, FunctionFlags};
use rusqlite::types::ValueRef;
use rusqlite::Connection;

use super::filter::Op;

/// The SQL function's name.
pub(crate) const MATCH_FUNCTION: &str = "sqliter_match";

/// Full Unicode case folding, used by the `i*` operators on the stored text
/// and on the needle alike.
///
/// ```
/// use sqliter_core::query::fold;
/// assert_eq!(fold("Straße"), fold("STRASSE"));
/// assert_eq!(fold("ΟΔΟΣ"), fold("οδος"));
/// ```
pub fn fold(text: &str) -> String {
    caseless::default_case_fold_str(text)
}

/// Whether `text` matches `needle` under `op` (a text operator). `needle`
/// is already folded for the case-insensitive operators.
pub(crate) fn matches(op: Op, text: &[u8], needle: &[u8]) -> bool {
    if op.is_case_insensitive() {
        let folded = fold(&String::from_utf8_lossy(text));
        return matches_exactly(op, folded.as_bytes(), needle);
    }
    matches_exactly(op, text, needle)
}

fn matches_exactly(op: Op, text: &[u8], needle: &[u8]) -> bool {
    match op {
        Op::StartsWith | Op::IStartsWith => text.starts_with(needle),
        Op::EndsWith | Op::IEndsWith => text.ends_with(needle),
        Op::IExact => text == needle,
        Op::Like => like(text, needle),
        _ => needle.is_empty() || text.windows(needle.len()).any(|w| w == needle),
    }
}

/// SQL `LIKE` as SQLite defines it (`%` any run, `_` one character, ASCII
/// letters case-insensitive, no escape character), over whole byte strings.
fn like(text: &[u8], pattern: &[u8]) -> bool {
    let text: Vec<char> = String::from_utf8_lossy(text).chars().collect();
    let pattern: Vec<char> = String::from_utf8_lossy(pattern).chars().collect();
    // Iterative wildcard matching with one backtrack point (the last `%`).
    let (mut t, mut p) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('%') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == '_' || c.eq_ignore_ascii_case(&text[t]) => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == '%')
}

/// The operator named by the function's first argument (written by the
/// engine from [`Op::suffix`], never by a user).
fn operator(ctx: &Context<'_>) -> rusqlite::Result<Op> {
    let name = ctx.get_raw(0).as_str()?;
    Op::from_suffix(name)
        .filter(|op| op.is_text())
        .ok_or_else(|| {
            rusqlite::Error::UserFunctionError(format!("not a text operator: {name}").into())
        })
}

/// A stored value as the bytes a text operator compares (numbers as their
/// text, as SQLite's own operators read them); `None` for NULL.
fn text_of(value: ValueRef<'_>) -> Option<std::borrow::Cow<'_, [u8]>> {
    use std::borrow::Cow;
    match value {
        ValueRef::Null => None,
        ValueRef::Text(t) | ValueRef::Blob(t) => Some(Cow::Borrowed(t)),
        ValueRef::Integer(i) => Some(Cow::Owned(i.to_string().into_bytes())),
        ValueRef::Real(f) => Some(Cow::Owned(f.to_string().into_bytes())),
    }
}

/// Register `sqliter_match` on a connection (every connection both doors
/// open gets it).
pub(crate) fn register(conn: &Connection) -> rusqlite::Result<()> {
    conn.create_scalar_function(
        MATCH_FUNCTION,
        3,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let op = operator(ctx)?;
            Ok(match (text_of(ctx.get_raw(1)), text_of(ctx.get_raw(2))) {
                (Some(text), Some(needle)) => Some(matches(op, &text, &needle)),
                _ => None,
            })
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(op: Op, text: &str, needle: &str) -> bool {
        let needle = if op.is_case_insensitive() {
            fold(needle)
        } else {
            needle.to_owned()
        };
        matches(op, text.as_bytes(), needle.as_bytes())
    }

    #[test]
    fn nul_bytes_are_ordinary_bytes() {
        assert!(!m(Op::Contains, "plain", "\0"));
        assert!(m(Op::Contains, "nul\0byte", "\0b"));
        assert!(m(Op::EndsWith, "nul\0byte", "byte"));
        assert!(m(Op::IContains, "nul\0byte", "B"));
        assert!(!m(Op::StartsWith, "a", "a\0"));
        assert!(m(Op::Like, "nul\0byte", "%te"));
        assert!(!m(Op::Like, "ab", "a\0%"));
    }

    #[test]
    fn case_insensitive_operators_fold_fully() {
        assert!(m(Op::IContains, "Straße", "STRASSE"));
        assert!(m(Op::IExact, "ΟΔΟΣ", "οδος"));
        assert!(m(Op::IStartsWith, "CAFÉ au lait", "café"));
        assert!(!m(Op::IExact, "cafe", "café"));
    }

    #[test]
    fn like_follows_sqlite() {
        assert!(m(Op::Like, "Apple", "a%"));
        assert!(m(Op::Like, "a_b", "a_b"));
        assert!(m(Op::Like, "axb", "a_b"));
        assert!(
            !m(Op::Like, "CAFÉ", "café"),
            "non-ASCII letters keep their case"
        );
        assert!(m(Op::Like, "banana", "%an%na"));
        assert!(!m(Op::Like, "banana", "%x%"));
        assert!(m(Op::Like, "", "%"));
    }
}
