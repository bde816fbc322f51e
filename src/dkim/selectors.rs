//! The common selectors probed when none is given (`rules/dkim-selectors.toml`).

use serde::Deserialize;
use std::sync::OnceLock;

/// The list file, compiled into the binary.
pub const SELECTORS_FILE: &str = include_str!("../../rules/dkim-selectors.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SelectorList {
    selectors: Vec<String>,
}

/// Parse a selector list file (`selectors = [...]`).
pub fn parse_selector_list(text: &str) -> Result<Vec<String>, toml::de::Error> {
    toml::from_str::<SelectorList>(text).map(|list| list.selectors)
}

/// The built-in list of common selectors, in file order. Empty only if the compiled-in file
/// does not parse, which the test suite rules out.
pub fn common_selectors() -> &'static [String] {
    static LIST: OnceLock<Vec<String>> = OnceLock::new();
    LIST.get_or_init(|| parse_selector_list(SELECTORS_FILE).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn builtin_list_parses_and_is_clean() {
        let list = parse_selector_list(SELECTORS_FILE).expect("dkim-selectors.toml parses");
        assert!(list.len() >= 17, "{list:?}");
        let mut seen = HashSet::new();
        for s in &list {
            assert!(seen.insert(s.as_str()), "duplicate selector {s}");
            assert!(
                !s.is_empty()
                    && s.len() <= 63
                    && s.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "selector {s:?} is not one lower-case DNS label"
            );
        }
        for required in [
            "default",
            "google",
            "selector1",
            "selector2",
            "k1",
            "s1",
            "s2",
            "mxvault",
            "dkim",
            "mail",
        ] {
            assert!(seen.contains(required), "SPEC §4.2 names {required}");
        }
        assert_eq!(common_selectors(), list.as_slice());
    }
}
