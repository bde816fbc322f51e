//! Inline suppressions: an `X-Mailaudit-Ignore: RULE-ID; REASON` header in a draft drops that
//! draft's findings of the rule. Like an `[[ignore]]` of `mailaudit.toml`, it must say why:
//! a header without a reason, or naming no known rule, suppresses nothing and is itself a
//! finding (`config/invalid-ignore`); one that matches no finding of the draft is
//! `config/unused-ignore`. Findings of the directory's sequence are not the draft's: ignore
//! those with an `[[ignore]]` whose target is the directory.

use super::parse::Draft;
use crate::config::{Ignore, unused_ignore_findings};
use crate::finding::{Finding, Location};
use crate::rules::Rules;
use serde::Serialize;

/// The header that carries an inline suppression.
pub const HEADER: &str = "X-Mailaudit-Ignore";

/// One `X-Mailaudit-Ignore` header that was applied.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InlineIgnore {
    pub rule: String,
    pub reason: String,
    /// 1-based line of the header in the draft.
    pub line: u32,
    /// How many of the draft's findings it suppressed.
    pub suppressed: usize,
}

/// Apply the draft's `X-Mailaudit-Ignore` headers to its findings: move the findings they
/// name to `suppressed` (with the header as an ignore), add a finding for each header that is
/// invalid or matched nothing, and return the headers that were applied.
pub fn apply(
    draft: &Draft<'_>,
    rules: &Rules,
    target: &str,
    findings: &mut Vec<Finding>,
    suppressed: &mut Vec<(Finding, Ignore)>,
) -> Vec<InlineIgnore> {
    let mut applied = Vec::new();
    let mut extra = Vec::new();
    for header in draft.headers.iter().filter(|h| h.is(HEADER)) {
        let value = header.unfolded();
        let location = Location::Line {
            file: target.to_string(),
            line: header.line,
        };
        let (rule, reason) = match value.split_once(';') {
            Some((rule, reason)) => (rule.trim(), reason.trim()),
            None => (value.trim(), ""),
        };
        let problem = if rule.is_empty() {
            Some(format!(
                "{HEADER} names no rule; write `{HEADER}: RULE-ID; REASON`"
            ))
        } else if rules.get(rule).is_none() {
            Some(format!(
                "{HEADER} names `{rule}`, which is not a rule id (`mailaudit rules` lists them); it suppresses nothing"
            ))
        } else if reason.is_empty() {
            Some(format!(
                "{HEADER} of {rule} gives no reason; it suppresses nothing until it says why (`{HEADER}: {rule}; REASON`)"
            ))
        } else {
            None
        };
        if let Some(message) = problem {
            extra.push(
                rules
                    .finding(crate::config::rules::INVALID_IGNORE, target, message)
                    .with_record(format!("{HEADER}: {value}"))
                    .at(location),
            );
            continue;
        }
        let ignore = Ignore {
            rule: rule.to_string(),
            target: Some(target.to_string()),
            reason: reason.to_string(),
            source: target.to_string(),
            line: header.line as usize,
        };
        let (waived, kept): (Vec<Finding>, Vec<Finding>) = std::mem::take(findings)
            .into_iter()
            .partition(|f| f.rule == rule);
        *findings = kept;
        let count = waived.len();
        suppressed.extend(waived.into_iter().map(|f| (f, ignore.clone())));
        if count == 0 {
            let mut unused = unused_ignore_findings(rules, &[&ignore]);
            for finding in &mut unused {
                finding.message =
                    format!("the {HEADER} of {rule} matched no finding of this draft");
            }
            extra.extend(unused);
        }
        applied.push(InlineIgnore {
            rule: rule.to_string(),
            reason: reason.to_string(),
            line: header.line,
            suppressed: count,
        });
    }
    findings.extend(extra);
    applied
}
