//! Typed handles into the rule data: a [`RuleId`] names a rule, a [`Threshold`] names one
//! threshold of a rule. Each family declares its handles once, in its `rules.rs`; code never
//! spells an id or a threshold key as a string, so a misspelt one does not compile, and the
//! registry test holds every handle against `rules/*.toml`.

use std::fmt;

/// A rule id (`area/kebab-name`), declared as a constant in the `rules.rs` of the family
/// whose checks emit it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleId(&'static str);

impl RuleId {
    pub const fn new(id: &'static str) -> RuleId {
        RuleId(id)
    }

    pub const fn as_str(self) -> &'static str {
        self.0
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl AsRef<str> for RuleId {
    fn as_ref(&self) -> &str {
        self.0
    }
}

impl From<RuleId> for String {
    fn from(id: RuleId) -> String {
        id.0.to_string()
    }
}

// A finding's rule is a `String`; these let code compare it with a handle.
impl PartialEq<RuleId> for String {
    fn eq(&self, other: &RuleId) -> bool {
        self == other.0
    }
}

impl PartialEq<RuleId> for str {
    fn eq(&self, other: &RuleId) -> bool {
        self == other.0
    }
}

impl PartialEq<RuleId> for &str {
    fn eq(&self, other: &RuleId) -> bool {
        *self == other.0
    }
}

impl PartialEq<str> for RuleId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for RuleId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<String> for RuleId {
    fn eq(&self, other: &String) -> bool {
        self.0 == other
    }
}

/// One numeric threshold of a rule: its value lives only in the rule's `thresholds` in
/// `rules/*.toml` (a user's file or a profile may change it), and code reads it through this
/// handle with [`crate::rules::Rules::threshold`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Threshold {
    rule: RuleId,
    key: &'static str,
}

impl Threshold {
    pub const fn new(rule: RuleId, key: &'static str) -> Threshold {
        Threshold { rule, key }
    }

    pub const fn rule(self) -> RuleId {
        self.rule
    }

    pub const fn key(self) -> &'static str {
        self.key
    }
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.thresholds.{}", self.rule, self.key)
    }
}

/// The ids of several lists in one, for a family whose rules come in parts (e.g. DKIM key
/// records and signatures): `const RULES: [RuleId; A.len() + B.len()] = concat(&[A, B]);`.
/// `N` must be the sum of the lengths (checked when the constant is evaluated).
pub const fn concat<const N: usize>(lists: &[&[RuleId]]) -> [RuleId; N] {
    let mut out = [RuleId(""); N];
    let mut at = 0;
    let mut i = 0;
    while i < lists.len() {
        let list = lists[i];
        let mut j = 0;
        while j < list.len() {
            out[at] = list[j];
            at += 1;
            j += 1;
        }
        i += 1;
    }
    assert!(at == N, "concat: N is not the total length of the lists");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: RuleId = RuleId::new("spf/a");
    const B: RuleId = RuleId::new("spf/b");
    const BOTH: [RuleId; 2] = concat(&[&[A], &[B]]);

    #[test]
    fn ids_compare_with_text_and_print_as_text() {
        assert_eq!(A.as_str(), "spf/a");
        assert_eq!(A.to_string(), "spf/a");
        let rule = String::from("spf/a");
        assert!(rule == A);
        assert!(A == "spf/a");
        assert!(A != "spf/b");
        assert_eq!(BOTH, [A, B]);
        assert_eq!(Threshold::new(A, "max").to_string(), "spf/a.thresholds.max");
    }
}
