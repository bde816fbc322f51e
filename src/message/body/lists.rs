//! The word lists of the body rules, compiled in from `rules/lists/*.toml` and prepared once
//! per process (regexes and normalised forms built on first use).
//!
//! Every list file holds a `[list]` table with `entries = [...]`; some hold further tables of
//! the same shape (`[url_keywords]`, `[fields]`, ...). Other keys (`description`, `sources`)
//! document the list.

use regex::Regex;
use std::collections::HashSet;
use std::sync::OnceLock;

/// `rules/lists/url-shorteners.toml`.
pub const URL_SHORTENERS_FILE: &str = include_str!("../../../rules/lists/url-shorteners.toml");
/// `rules/lists/opt-out-phrases.toml`.
pub const OPT_OUT_PHRASES_FILE: &str = include_str!("../../../rules/lists/opt-out-phrases.toml");
/// `rules/lists/merge-tags.toml`.
pub const MERGE_TAGS_FILE: &str = include_str!("../../../rules/lists/merge-tags.toml");
/// `rules/lists/unsubscribe-tokens.toml`.
pub const UNSUBSCRIBE_TOKENS_FILE: &str =
    include_str!("../../../rules/lists/unsubscribe-tokens.toml");

/// The entries of table `table` (`"list"` for the main list) of a list file: trimmed, without
/// empty ones, in file order. A file or table of another shape gives an empty list; the
/// compiled-in files are checked by the unit tests below.
pub fn list_entries(text: &str, table: &str) -> Vec<String> {
    let Ok(parsed) = toml::from_str::<toml::Table>(text) else {
        return Vec::new();
    };
    let Some(entries) = parsed
        .get(table)
        .and_then(|t| t.get("entries"))
        .and_then(|e| e.as_array())
    else {
        return Vec::new();
    };
    entries
        .iter()
        .filter_map(|e| e.as_str())
        .map(|e| e.trim().to_string())
        .filter(|e| !e.is_empty())
        .collect()
}

/// One merge-tag syntax: family name and delimiters (`liquid {{ }}`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Syntax {
    pub family: String,
    pub open: String,
    pub close: String,
}

/// Everything the body checks match against.
pub(crate) struct Lists {
    pub shorteners: Vec<String>,
    /// Opt-out phrases as one case-insensitive regex.
    pub opt_out: Regex,
    pub url_keywords: Vec<String>,
    pub syntaxes: Vec<Syntax>,
    /// Personal fields, normalised (lower case, no spaces, `_` or `-`).
    pub fields: HashSet<String>,
    /// Unsubscribe tokens, address tokens and identity tokens, normalised
    /// (see [`normalize_token`]).
    pub unsubscribe_tokens: Vec<String>,
    pub address_tokens: Vec<String>,
    pub identity_tokens: Vec<String>,
}

/// The prepared lists.
pub(crate) fn lists() -> &'static Lists {
    static LISTS: OnceLock<Lists> = OnceLock::new();
    LISTS.get_or_init(|| {
        let phrases = list_entries(OPT_OUT_PHRASES_FILE, "list");
        Lists {
            shorteners: list_entries(URL_SHORTENERS_FILE, "list")
                .into_iter()
                .map(|e| e.to_ascii_lowercase())
                .collect(),
            opt_out: phrase_regex(&phrases),
            url_keywords: list_entries(OPT_OUT_PHRASES_FILE, "url_keywords")
                .into_iter()
                .map(|e| e.to_ascii_lowercase())
                .collect(),
            syntaxes: list_entries(MERGE_TAGS_FILE, "list")
                .iter()
                .filter_map(|e| parse_syntax(e))
                .collect(),
            fields: list_entries(MERGE_TAGS_FILE, "fields")
                .iter()
                .map(|e| normalize_field(e))
                .collect(),
            unsubscribe_tokens: normalized(list_entries(UNSUBSCRIBE_TOKENS_FILE, "list")),
            address_tokens: normalized(list_entries(MERGE_TAGS_FILE, "address_tokens")),
            identity_tokens: normalized(list_entries(MERGE_TAGS_FILE, "identity_tokens")),
        }
    })
}

fn normalized(entries: Vec<String>) -> Vec<String> {
    entries.iter().map(|e| normalize_token(e)).collect()
}

/// `"liquid {{ }}"` → family `liquid`, open `{{`, close `}}`.
pub fn parse_syntax(entry: &str) -> Option<Syntax> {
    let mut words = entry.split(' ');
    let (family, open, close) = (words.next()?, words.next()?, words.next()?);
    if words.next().is_some() || family.is_empty() || open.is_empty() || close.is_empty() {
        return None;
    }
    Some(Syntax {
        family: family.to_string(),
        open: open.to_string(),
        close: close.to_string(),
    })
}

/// A token as compared: ASCII white space removed, ASCII letters lower-cased.
pub fn normalize_token(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_ascii_whitespace())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// A field name as compared: lower case, without spaces, `_` and `-`.
pub fn normalize_field(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-' | '\t'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// One case-insensitive regex for a phrase list: a space matches any run of white space,
/// hyphens and quotes; an apostrophe matches ' and ’; an entry that starts or ends with an
/// ASCII letter or digit is anchored at an (ASCII) word boundary there.
pub fn phrase_regex(phrases: &[String]) -> Regex {
    let mut alternatives = Vec::with_capacity(phrases.len());
    for phrase in phrases {
        let phrase = phrase.trim();
        if phrase.is_empty() {
            continue;
        }
        let mut pattern = String::new();
        if phrase.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            pattern.push_str(r"(?-u:\b)");
        }
        let mut first = true;
        for word in phrase.split([' ', '-']) {
            if word.is_empty() {
                continue;
            }
            if !first {
                pattern.push_str(r#"[\s\-"'“”‘’«»]+"#);
            }
            first = false;
            let mut parts = word.split('\'');
            if let Some(head) = parts.next() {
                pattern.push_str(&regex::escape(head));
            }
            for part in parts {
                pattern.push_str("['’]");
                pattern.push_str(&regex::escape(part));
            }
        }
        if phrase.ends_with(|c: char| c.is_ascii_alphanumeric()) {
            pattern.push_str(r"(?-u:\b)");
        }
        alternatives.push(pattern);
    }
    let joined = if alternatives.is_empty() {
        // Matches nothing.
        r"[^\s\S]".to_string()
    } else {
        format!("(?i:{})", alternatives.join("|"))
    };
    Regex::new(&joined).unwrap_or_else(|_| Regex::new(r"[^\s\S]").expect("valid regex"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_unique(name: &str, entries: &[String]) {
        let mut seen = HashSet::new();
        for e in entries {
            assert!(seen.insert(e.to_lowercase()), "{name}: {e} listed twice");
        }
    }

    #[test]
    fn compiled_in_lists_parse_are_not_empty_and_unique() {
        for (name, text, table) in [
            ("url-shorteners", URL_SHORTENERS_FILE, "list"),
            ("opt-out-phrases", OPT_OUT_PHRASES_FILE, "list"),
            (
                "opt-out-phrases url_keywords",
                OPT_OUT_PHRASES_FILE,
                "url_keywords",
            ),
            ("merge-tags", MERGE_TAGS_FILE, "list"),
            ("merge-tags fields", MERGE_TAGS_FILE, "fields"),
            (
                "merge-tags address_tokens",
                MERGE_TAGS_FILE,
                "address_tokens",
            ),
            (
                "merge-tags identity_tokens",
                MERGE_TAGS_FILE,
                "identity_tokens",
            ),
            ("unsubscribe-tokens", UNSUBSCRIBE_TOKENS_FILE, "list"),
        ] {
            let entries = list_entries(text, table);
            assert!(!entries.is_empty(), "{name} is empty or does not parse");
            assert_unique(name, &entries);
        }
        let l = lists();
        assert_eq!(
            l.syntaxes.len(),
            list_entries(MERGE_TAGS_FILE, "list").len(),
            "every merge-tag entry is FAMILY OPEN CLOSE"
        );
        for s in &l.shorteners {
            assert!(
                s.contains('.') && !s.contains('/') && !s.contains(' '),
                "shortener {s:?} is not a domain"
            );
        }
    }

    #[test]
    fn unsubscribe_tokens_include_the_spec_examples() {
        let l = lists();
        for token in [
            "{{unsubscribe_link}}",
            "*|UNSUB|*",
            "%unsubscribe_url%",
            "{% unsubscribe_link %}",
            "[unsubscribe]",
            "{{{unsubscribe}}}",
        ] {
            assert!(
                l.unsubscribe_tokens.contains(&normalize_token(token)),
                "{token} missing"
            );
        }
    }

    #[test]
    fn phrase_regex_is_flexible_about_spaces_quotes_and_case() {
        let re = phrase_regex(&["opt out".into(), "reply stop".into(), "don't want".into()]);
        assert!(re.is_match("You can Opt-Out at any time"));
        assert!(re.is_match("just reply \"STOP\""));
        assert!(re.is_match("if you don’t want"));
        assert!(re.is_match("opt\n  out"));
        assert!(!re.is_match("optical outlet"));
        assert!(!re.is_match("reply stopped"));
    }

    #[test]
    fn malformed_list_files_are_empty_not_a_panic() {
        assert!(list_entries("entries = 3", "list").is_empty());
        assert!(list_entries("[list]\nentries = \"x\"", "list").is_empty());
        assert!(list_entries("\u{0}", "list").is_empty());
        assert_eq!(parse_syntax("liquid {{"), None);
        assert_eq!(parse_syntax("a b c d"), None);
    }
}
