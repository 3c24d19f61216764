//! Default table names of SQLiter for Rust, as upstream (Python SQLiter)
//! without `inflect`: the rule `#[derive(DbModel)]` applies when a model
//! has no `table_name`, kept in its own crate so that the `sqliter`
//! command line predicts it exactly.

#![warn(missing_docs)]

/// snake_case of the struct name, a trailing `Model` removed, then `s`
/// appended unless the name already ends in `s`. An acronym stays one word
/// (`HTTPRequest` → `http_requests`; upstream gives `h_t_t_p_requests`).
pub fn default_table_name(struct_name: &str) -> String {
    let base = match struct_name.strip_suffix("Model") {
        Some(stripped) if !stripped.is_empty() => stripped,
        _ => struct_name,
    };
    let mut snake = snake_case(base);
    if !snake.ends_with('s') {
        snake.push('s');
    }
    snake
}

/// The reverse accessor of a relation declared by `struct_name` without
/// `related_name`: its pluralised snake_case (`BookReview` → `book_reviews`).
pub fn default_related_name(struct_name: &str) -> String {
    let mut snake = snake_case(struct_name);
    if !snake.ends_with('s') {
        snake.push('s');
    }
    snake
}

/// `BookReview` → `book_review`, `HTTPRequest` → `http_request`.
pub fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_is_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if prev.is_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_uppercase() && next_is_lower)
            {
                out.push('_');
            }
        }
        out.extend(c.to_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::default_table_name;

    #[test]
    fn matches_upstream_for_camel_case_names() {
        for (name, table) in [
            ("User", "users"),
            ("UserModel", "users"),
            ("Person", "persons"),
            ("Category", "categorys"),
            ("Address", "address"),
            ("Status", "status"),
            ("BookCase", "book_cases"),
            ("BookReview", "book_reviews"),
            ("MyModelModel", "my_models"),
            ("ModelUser", "model_users"),
            ("Users", "users"),
            ("News", "news"),
        ] {
            assert_eq!(default_table_name(name), table, "{name}");
        }
    }

    #[test]
    fn acronyms_stay_one_word() {
        assert_eq!(default_table_name("HTTPRequest"), "http_requests");
        assert_eq!(default_table_name("APIKey"), "api_keys");
        assert_eq!(default_table_name("UserID"), "user_ids");
    }
}
