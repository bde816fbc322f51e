//! Word lists the message rules match against, compiled in from `rules/lists/*.toml`.
//!
//! Every list file has the same shape; other keys (`description`, `sources`) document it:
//!
//! ```toml
//! [list]
//! description = "what the entries are and how they are matched"
//! sources = ["where the entries come from"]
//! entries = ["noreply", "no-reply"]
//! ```

use serde::Deserialize;
use std::sync::OnceLock;

/// `rules/lists/unsubscribe-tokens.toml`: platform unsubscribe placeholders (template mode).
pub const UNSUBSCRIBE_TOKENS_FILE: &str = include_str!("../../rules/lists/unsubscribe-tokens.toml");

/// `rules/lists/no-reply.toml`: local parts of addresses nobody reads.
pub const NO_REPLY_FILE: &str = include_str!("../../rules/lists/no-reply.toml");

/// `rules/lists/reply-prefixes.toml`: "Re", "Fwd" and their localised forms.
pub const REPLY_PREFIXES_FILE: &str = include_str!("../../rules/lists/reply-prefixes.toml");

#[derive(Deserialize)]
struct ListFile {
    list: ListTable,
}

#[derive(Deserialize)]
struct ListTable {
    #[serde(default)]
    entries: Vec<String>,
}

/// The entries of a `[list] entries = [...]` file, trimmed, without empty ones, in file
/// order. A file that does not have that shape gives an empty list (the lists are compiled
/// in, and a unit test checks that each one parses and is not empty).
pub fn load_list(text: &str) -> Vec<String> {
    match toml::from_str::<ListFile>(text) {
        Ok(file) => file
            .list
            .entries
            .into_iter()
            .map(|entry| entry.trim().to_string())
            .filter(|entry| !entry.is_empty())
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// Platform unsubscribe placeholders such as `{{unsubscribe_link}}` and `*|UNSUB|*`, as
/// written in `rules/lists/unsubscribe-tokens.toml`.
pub fn unsubscribe_tokens() -> &'static [String] {
    static LIST: OnceLock<Vec<String>> = OnceLock::new();
    LIST.get_or_init(|| load_list(UNSUBSCRIBE_TOKENS_FILE))
}

/// No-reply local parts such as `noreply` and `do-not-reply`, lower-case, as written in
/// `rules/lists/no-reply.toml`.
pub fn no_reply_locals() -> &'static [String] {
    static LIST: OnceLock<Vec<String>> = OnceLock::new();
    LIST.get_or_init(|| {
        load_list(NO_REPLY_FILE)
            .into_iter()
            .map(|entry| entry.to_ascii_lowercase())
            .collect()
    })
}

/// Reply and forward subject prefixes such as `re` and `fwd`, lower-case, without the colon,
/// as written in `rules/lists/reply-prefixes.toml`.
pub fn reply_prefixes() -> &'static [String] {
    static LIST: OnceLock<Vec<String>> = OnceLock::new();
    LIST.get_or_init(|| {
        load_list(REPLY_PREFIXES_FILE)
            .into_iter()
            .map(|entry| entry.to_ascii_lowercase())
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiled_in_lists_parse_and_are_not_empty() {
        assert!(!unsubscribe_tokens().is_empty());
        assert!(!no_reply_locals().is_empty());
        assert!(reply_prefixes().iter().any(|e| e == "fwd"));
        assert!(no_reply_locals().iter().any(|e| e == "noreply"));
    }

    #[test]
    fn load_list_trims_and_drops_empty_entries() {
        let text = "[list]\ndescription = \"d\"\nentries = [\" a \", \"\", \"b\"]\n";
        assert_eq!(load_list(text), ["a", "b"]);
    }

    #[test]
    fn a_malformed_list_is_empty_not_a_panic() {
        assert!(load_list("entries = 3").is_empty());
        assert!(load_list("[list]\nentries = \"x\"").is_empty());
        assert!(load_list("\u{0}").is_empty());
    }

    #[test]
    fn no_reply_entries_are_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for entry in no_reply_locals() {
            assert!(seen.insert(entry), "{entry} is listed twice");
        }
    }
}
