//! The bulk-sender requirements (SPEC §4.6 `sender/bulk-sender`, §4.7): when the campaign's
//! sending statistics show bulk volume, the findings of the rules listed in
//! `rules/lists/bulk-sender.toml` (SPF, DKIM and DMARC published, DMARC passing, one-click
//! unsubscribe) are raised to error, whatever their default or profile severity.
//! A campaign is bulk when [`super::stats::stats_results`] finds `sender/bulk-sender` for its
//! From domain.

use crate::finding::{Finding, Severity};
use crate::message::lists::load_list;
use std::sync::OnceLock;

/// `rules/lists/bulk-sender.toml`.
pub const BULK_SENDER_FILE: &str = include_str!("../../rules/lists/bulk-sender.toml");

/// The rule ids whose findings are raised to error for a bulk sender.
pub fn bulk_requirements() -> &'static [String] {
    static LIST: OnceLock<Vec<String>> = OnceLock::new();
    LIST.get_or_init(|| load_list(BULK_SENDER_FILE))
}

/// Make the bulk-sender requirements among `findings` errors, saying so in each message.
/// Returns how many were below error before. The report applies the rules' levels after this: `check`
/// raises those too ([`crate::rules::Rules::raise_to_error`]), so a user's lower severity
/// does not undo it, while a rule the user turned off stays off.
pub fn apply_bulk_requirements(findings: &mut [Finding]) -> usize {
    let list = bulk_requirements();
    let mut raised = 0;
    for finding in findings.iter_mut() {
        if list.contains(&finding.rule) {
            if finding.severity < Severity::Error {
                finding.severity = Severity::Error;
                raised += 1;
            }
            finding
                .message
                .push_str(" (a bulk-sender requirement, always an error: the sending statistics show a bulk sender)");
        }
    }
    raised
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Rules;

    #[test]
    fn the_list_names_known_rules() {
        let rules = Rules::builtin().unwrap();
        let list = bulk_requirements();
        assert!(list.len() >= 6, "{list:?}");
        for id in list {
            assert!(rules.get(id).is_some(), "{id} is not a rule");
        }
    }

    #[test]
    fn requirements_are_raised_and_others_left() {
        let rules = Rules::builtin().unwrap();
        let mut findings = vec![
            rules
                .finding(crate::dkim::rules::MISSING, "a.example", "no key")
                .with_severity(Severity::Warning),
            rules
                .finding(
                    crate::message::rules::UNSUBSCRIBE_NO_HTTPS,
                    "d.eml",
                    "mailto only",
                )
                .with_severity(Severity::Warning),
            rules.finding(crate::spf::rules::PTR_MECHANISM, "a.example", "ptr"),
            rules.finding(crate::dmarc::rules::MISSING, "a.example", "none"),
        ];
        assert_eq!(apply_bulk_requirements(&mut findings), 2);
        assert_eq!(findings[0].severity, Severity::Error);
        assert!(findings[0].message.ends_with("bulk sender)"));
        assert_eq!(findings[1].severity, Severity::Error);
        assert_eq!(findings[2].severity, Severity::Warning);
        assert_eq!(findings[2].message, "ptr");
        // Already an error: named as a requirement all the same.
        assert_eq!(findings[3].severity, Severity::Error);
        assert!(
            findings[3]
                .message
                .starts_with("none (a bulk-sender requirement")
        );
    }
}
