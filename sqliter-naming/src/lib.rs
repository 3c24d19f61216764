//! Default table names and reverse-relation names of SQLiter for Rust:
//! the rules `#[derive(DbModel)]` applies when a model names none, kept in
//! their own crate so that the `sqliter` command line predicts them
//! exactly.
//!
//! Two plural rules, chosen per model with `#[sqliter(plural = "...")]`:
//!
//! - `simple` (the default): upstream without `inflect` — `s` appended
//!   unless the name already ends in `s` (`Person` → `persons`, `Status` →
//!   `status`).
//! - `english`: upstream with `inflect` installed (its `extras`), through
//!   the `pluralizer` crate, which agrees with inflect on every name
//!   upstream documents (`Person` → `people`, `Category` → `categories`,
//!   `Child` → `children`, `Mouse` → `mice`, `Datum` → `data`, `Sheep` →
//!   `sheep`, ...). A word that is already plural stays as it is (`News`,
//!   `Series`, `Users` → `users`, where inflect gives `user`).
//!
//! Only the last word of the snake_case name is inflected
//! (`SalesPerson` → `sales_people`), and acronyms stay one word in both
//! rules (`HTTPRequest` → `http_requests`; upstream gives
//! `h_t_t_p_requests`).

#![warn(missing_docs)]

/// How a model's default names are pluralised.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Plural {
    /// Append `s` unless the name ends in `s`.
    #[default]
    Simple,
    /// English plurals, as upstream with `inflect`.
    English,
}

impl Plural {
    /// The rule named in `plural = "..."`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "simple" => Some(Self::Simple),
            "english" => Some(Self::English),
            _ => None,
        }
    }

    /// The plural of a snake_case name.
    pub fn apply(self, snake: &str) -> String {
        match self {
            Self::Simple => {
                let mut out = snake.to_owned();
                if !out.ends_with('s') {
                    out.push('s');
                }
                out
            }
            Self::English => {
                let (head, last) = match snake.rfind('_') {
                    Some(i) => snake.split_at(i + 1),
                    None => ("", snake),
                };
                format!("{head}{}", pluralizer::pluralize(last, 2, false))
            }
        }
    }
}

/// snake_case of the struct name, a trailing `Model` removed, then
/// pluralised by `plural`.
pub fn default_table_name(struct_name: &str, plural: Plural) -> String {
    let base = match struct_name.strip_suffix("Model") {
        Some(stripped) if !stripped.is_empty() => stripped,
        _ => struct_name,
    };
    plural.apply(&snake_case(base))
}

/// The reverse accessor of a relation declared by `struct_name` without
/// `related_name`: its pluralised snake_case (`BookReview` → `book_reviews`).
pub fn default_related_name(struct_name: &str, plural: Plural) -> String {
    plural.apply(&snake_case(struct_name))
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
    use super::{default_related_name, default_table_name, Plural};

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
            assert_eq!(default_table_name(name, Plural::Simple), table, "{name}");
        }
    }

    #[test]
    fn acronyms_stay_one_word() {
        for plural in [Plural::Simple, Plural::English] {
            assert_eq!(default_table_name("HTTPRequest", plural), "http_requests");
            assert_eq!(default_table_name("APIKey", plural), "api_keys");
            assert_eq!(default_table_name("UserID", plural), "user_ids");
        }
    }

    /// Every name of upstream's table with `inflect` (spec Appendix C),
    /// plus the ones issue 17 lists.
    #[test]
    fn english_plurals_match_upstream_with_inflect() {
        for (name, table) in [
            ("Person", "people"),
            ("Category", "categories"),
            ("Child", "children"),
            ("Box", "boxes"),
            ("Leaf", "leaves"),
            ("Analysis", "analyses"),
            ("Bus", "buses"),
            ("Sheep", "sheep"),
            ("Status", "statuses"),
            ("Address", "addresses"),
            ("Mouse", "mice"),
            ("Datum", "data"),
            ("Ox", "oxen"),
            ("City", "cities"),
            ("Octopus", "octopuses"),
            ("News", "news"),
            ("Series", "series"),
            ("User", "users"),
            ("UserModel", "users"),
            ("Item", "items"),
            ("Key", "keys"),
            ("BookCase", "book_cases"),
            ("MyModelModel", "my_models"),
            ("ModelUser", "model_users"),
        ] {
            assert_eq!(default_table_name(name, Plural::English), table, "{name}");
        }
    }

    /// Inflect turns `users` into `user`; an already plural name is kept.
    #[test]
    fn english_keeps_a_name_that_is_already_plural() {
        assert_eq!(default_table_name("Users", Plural::English), "users");
        assert_eq!(default_table_name("People", Plural::English), "people");
    }

    #[test]
    fn english_inflects_the_last_word_only() {
        assert_eq!(
            default_table_name("SalesPerson", Plural::English),
            "sales_people"
        );
        assert_eq!(
            default_table_name("ChildBox", Plural::English),
            "child_boxes"
        );
        assert_eq!(
            default_related_name("BookCategory", Plural::English),
            "book_categories"
        );
    }

    #[test]
    fn reverse_names_follow_the_rule() {
        assert_eq!(default_related_name("Child", Plural::Simple), "childs");
        assert_eq!(default_related_name("Child", Plural::English), "children");
        assert_eq!(
            default_related_name("PersonModel", Plural::English),
            "person_models"
        );
    }

    #[test]
    fn rule_names() {
        assert_eq!(Plural::parse("english"), Some(Plural::English));
        assert_eq!(Plural::parse("simple"), Some(Plural::Simple));
        assert_eq!(Plural::parse("English"), None);
    }
}
