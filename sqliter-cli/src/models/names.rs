//! Rust names for SQL ones: struct names whose default table name is the
//! table's own where possible (the rule of `sqliter-naming`, which the
//! derive applies), field names, and checks that a name can be used.

/// Rust's keywords (2021 edition, reserved ones included).
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type",
    "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "try", "typeof", "unsized", "virtual", "yield", "gen",
];

/// Names a generated struct must not take: the prelude's and the ones the
/// generated file imports or derives.
const TAKEN_TYPE_NAMES: &[&str] = &[
    "String",
    "Vec",
    "Option",
    "Result",
    "Box",
    "Some",
    "None",
    "Ok",
    "Err",
    "Default",
    "Debug",
    "Clone",
    "Copy",
    "Send",
    "Sync",
    "Sized",
    "Drop",
    "Fn",
    "FnMut",
    "FnOnce",
    "Iterator",
    "IntoIterator",
    "Extend",
    "ToString",
    "ToOwned",
    "PartialEq",
    "Eq",
    "PartialOrd",
    "Ord",
    "AsRef",
    "AsMut",
    "Into",
    "From",
    "TryFrom",
    "TryInto",
    "Unpin",
    "DbModel",
    "ForeignKey",
    "ManyToMany",
    "AsyncForeignKey",
    "AsyncManyToMany",
];

/// `^[A-Za-z_][A-Za-z0-9_]*$`, the names the derive accepts for tables.
pub fn is_sql_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A Rust keyword (a field of that name is written `r#name`).
pub fn is_keyword(name: &str) -> bool {
    KEYWORDS.contains(&name)
}

/// Whether `name` can be a struct field (raw if a keyword): an SQL
/// identifier other than `_` and the four keywords raw identifiers cannot
/// spell.
pub fn is_field_name(name: &str) -> bool {
    is_sql_identifier(name) && name != "_" && !["self", "Self", "super", "crate"].contains(&name)
}

/// Not snake_case (would warn as a field name).
pub fn needs_non_snake_case_allowance(name: &str) -> bool {
    name.chars().any(|c| c.is_ascii_uppercase())
}

/// A method name for a reverse accessor: a field name that is no keyword.
pub fn is_method_name(name: &str) -> bool {
    is_field_name(name) && !is_keyword(name)
}

/// `book_reviews` → `BookReview`, `people` → `People`, `categories` →
/// `Category`, `status` → `Status`: a singular PascalCase name.
fn singular_pascal(table: &str) -> String {
    let singular = if let Some(stem) = table.strip_suffix("ies").filter(|s| !s.is_empty()) {
        format!("{stem}y")
    } else if ["ss", "us", "is"].iter().any(|end| table.ends_with(end)) {
        table.to_owned()
    } else {
        table
            .strip_suffix('s')
            .filter(|s| !s.is_empty() && !s.ends_with('_'))
            .unwrap_or(table)
            .to_owned()
    };
    let mut out = String::new();
    for part in singular.split('_').filter(|p| !p.is_empty()) {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    if out.chars().next().is_none_or(|c| !c.is_ascii_alphabetic()) {
        out.insert_str(0, "Table");
    }
    out
}

/// The struct name for `table`, unused so far (`taken`), and whether the
/// derive's default table name for it differs from `table` (then the
/// struct needs `#[sqliter(table_name = "..")]`).
pub fn struct_name(table: &str, taken: &[String]) -> (String, bool) {
    let base = singular_pascal(table);
    // A trailing `Model` is dropped by the default rule, so it keeps the
    // default table name while making the name unique.
    let mut candidates = vec![base.clone(), format!("{base}Model")];
    candidates.extend((2..).map(|n| format!("{base}Model{n}")).take(1000));
    let name = candidates
        .into_iter()
        .find(|c| !TAKEN_TYPE_NAMES.contains(&c.as_str()) && !taken.contains(c) && !is_keyword(c))
        .unwrap_or(base);
    let differs =
        sqliter_naming::default_table_name(&name, sqliter_naming::Plural::Simple) != table;
    (name, differs)
}

#[cfg(test)]
mod tests {
    use super::struct_name;

    #[test]
    fn struct_names_keep_the_default_table_name_where_they_can() {
        for (table, name, attr) in [
            ("books", "Book", false),
            ("book_reviews", "BookReview", false),
            ("status", "Status", false),
            ("categories", "Category", true),
            ("people", "People", true),
            ("strings", "StringModel", false),
            ("Customer", "Customer", true),
            ("t1", "T1", true),
        ] {
            assert_eq!(struct_name(table, &[]), (name.to_owned(), attr), "{table}");
        }
        assert_eq!(
            struct_name("book", &["Book".to_owned()]),
            ("BookModel".to_owned(), true)
        );
    }
}
