//! The lists the list checks match against, compiled in from `rules/lists/*.toml` (the
//! shape of [`crate::message::lists::load_list`]; each file names its sources).

use crate::message::lists::load_list;
use rustc_hash::{FxHashMap, FxHashSet};
use std::sync::OnceLock;

pub const ROLE_ACCOUNTS_FILE: &str = include_str!("../../rules/lists/role-accounts.toml");
pub const DISPOSABLE_DOMAINS_FILE: &str = include_str!("../../rules/lists/disposable-domains.toml");
pub const TYPO_DOMAINS_FILE: &str = include_str!("../../rules/lists/typo-domains.toml");

fn role_accounts() -> &'static FxHashSet<String> {
    static SET: OnceLock<FxHashSet<String>> = OnceLock::new();
    SET.get_or_init(|| {
        load_list(ROLE_ACCOUNTS_FILE)
            .into_iter()
            .map(|e| e.to_lowercase())
            .collect()
    })
}

fn disposable_domains() -> &'static FxHashSet<String> {
    static SET: OnceLock<FxHashSet<String>> = OnceLock::new();
    SET.get_or_init(|| {
        load_list(DISPOSABLE_DOMAINS_FILE)
            .into_iter()
            .map(|e| e.to_ascii_lowercase())
            .collect()
    })
}

fn typo_domains() -> &'static FxHashMap<String, String> {
    static MAP: OnceLock<FxHashMap<String, String>> = OnceLock::new();
    MAP.get_or_init(|| {
        load_list(TYPO_DOMAINS_FILE)
            .into_iter()
            .filter_map(|entry| {
                let (typo, meant) = entry.split_once("->")?;
                Some((
                    typo.trim().to_ascii_lowercase(),
                    meant.trim().to_ascii_lowercase(),
                ))
            })
            .collect()
    })
}

/// The local part is a role account's (`info`, `info+news`; already lower-case).
pub fn is_role_account(local: &str) -> bool {
    let base = local.split_once('+').map_or(local, |(base, _)| base);
    role_accounts().contains(base)
}

/// The domain, or a parent of it, is a disposable-mailbox service's.
pub fn is_disposable(domain: &str) -> bool {
    let set = disposable_domains();
    let mut rest = domain;
    loop {
        if set.contains(rest) {
            return true;
        }
        match rest.split_once('.') {
            Some((_, parent)) if parent.contains('.') => rest = parent,
            _ => return false,
        }
    }
}

/// The provider domain `domain` is likely a misspelling of.
pub fn typo_of(domain: &str) -> Option<&'static str> {
    typo_domains().get(domain).map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_list_parses_and_is_not_empty() {
        assert!(role_accounts().len() > 20);
        assert!(disposable_domains().len() > 20);
        assert!(typo_domains().len() > 20);
        assert_eq!(typo_domains().len(), load_list(TYPO_DOMAINS_FILE).len());
    }

    #[test]
    fn matches() {
        assert!(is_role_account("info"));
        assert!(is_role_account("sales+q3"));
        assert!(!is_role_account("information"));
        assert!(is_disposable("mailinator.com"));
        assert!(is_disposable("x.mailinator.com"));
        assert!(!is_disposable("example.com"));
        assert_eq!(typo_of("gmial.com"), Some("gmail.com"));
        assert_eq!(typo_of("gmail.com"), None);
    }
}
