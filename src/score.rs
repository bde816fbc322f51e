//! The 0-100 authentication score of a domain, from the rules that fired on it. The weights
//! are thresholds of `domain/low-auth-score`; what each rule takes away is `rules/score.toml`.
//! A domain whose audit could not conclude (a failed query left a verdict open,
//! [`crate::dns::rules::leaves_verdict_open`]) has no score: a number would be a guess.

use crate::dmarc::rules::{MISSING as DMARC_MISSING, POLICY_NONE as DMARC_POLICY_NONE};
use crate::dmarc::{Policy, ReceiverStatus, Receivers};
use crate::dns::rules::{INCONCLUSIVE, NAMED_QUERIES, leaves_verdict_open};
use crate::domain::rules::{
    LOW_AUTH_SCORE, LOW_AUTH_SCORE_MIN_SCORE, LOW_AUTH_SCORE_WEIGHT_DKIM,
    LOW_AUTH_SCORE_WEIGHT_DMARC, LOW_AUTH_SCORE_WEIGHT_INFRASTRUCTURE, LOW_AUTH_SCORE_WEIGHT_SPF,
};
use crate::finding::{Finding, Severity};
use crate::rules::{Rules, Threshold};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The parts of the score and the threshold that weighs each.
const PARTS: [(&str, Threshold); 4] = [
    ("spf", LOW_AUTH_SCORE_WEIGHT_SPF),
    ("dkim", LOW_AUTH_SCORE_WEIGHT_DKIM),
    ("dmarc", LOW_AUTH_SCORE_WEIGHT_DMARC),
    ("infrastructure", LOW_AUTH_SCORE_WEIGHT_INFRASTRUCTURE),
];

#[derive(Deserialize)]
struct ScoreFile {
    deduct: Vec<Deduction>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Deduction {
    rules: Vec<String>,
    part: String,
    #[serde(default)]
    error: f64,
    #[serde(default)]
    warning: f64,
}

/// rule id -> (part, fraction at error, fraction at warning).
fn deductions() -> &'static BTreeMap<String, (String, f64, f64)> {
    static TABLE: OnceLock<BTreeMap<String, (String, f64, f64)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        // Compiled-in data; `score_table_is_valid` below keeps it parseable.
        let file: ScoreFile = toml::from_str(include_str!("../rules/score.toml"))
            .unwrap_or(ScoreFile { deduct: Vec::new() });
        let mut table = BTreeMap::new();
        for d in file.deduct {
            for rule in d.rules {
                table.insert(rule, (d.part.clone(), d.error, d.warning));
            }
        }
        table
    })
}

/// The score and the points of each part.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct AuthScore {
    pub value: u32,
    pub parts: BTreeMap<&'static str, f64>,
}

/// Why a domain has no score: the failed queries that left a verdict open.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Incomplete {
    pub queries: Vec<String>,
}

impl std::fmt::Display for Incomplete {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown: Vec<&str> = self
            .queries
            .iter()
            .take(NAMED_QUERIES)
            .map(String::as_str)
            .collect();
        write!(
            f,
            "DNS failed for {}",
            crate::text::plural(self.queries.len(), "query", "queries")
        )?;
        if !shown.is_empty() {
            write!(f, ": {}", shown.join(", "))?;
        }
        if self.queries.len() > NAMED_QUERIES {
            write!(f, " and {} more", self.queries.len() - NAMED_QUERIES)?;
        }
        Ok(())
    }
}

/// The DMARC policy a sender can count on: the weaker of what an RFC 9989 and an RFC 7489
/// receiver apply to failing mail (`Some(None)`: one of them applies no DMARC at all), or
/// `None` when neither side concluded. A sender must survive both kinds of receivers.
fn weaker_policy(receivers: &Receivers) -> Option<Option<Policy>> {
    [&receivers.rfc9989, &receivers.rfc7489]
        .into_iter()
        .filter(|r| r.status == ReceiverStatus::Concluded)
        .map(|r| r.policy)
        // Option<Policy> orders None (no DMARC) below every policy.
        .min()
}

/// Score a domain from the findings of its audit (before they are collapsed), or say why it
/// cannot be scored. `dmarc` is both receiver models' answer: the DMARC part is scored by the
/// weaker of the two policies, as if the rule that policy implies had fired
/// (`dmarc/missing` for no DMARC, `dmarc/policy-none` for none), since the findings follow
/// RFC 7489's record while an RFC 9989 receiver may apply less (t=y, another record).
pub fn authentication_score(
    rules: &Rules,
    findings: &[Finding],
    dmarc: Option<&Receivers>,
) -> Result<AuthScore, Incomplete> {
    if leaves_verdict_open(findings) {
        let mut queries: Vec<String> = Vec::new();
        for f in findings
            .iter()
            .filter(|f| f.rule == INCONCLUSIVE && f.severity == Severity::Error)
        {
            let query = match &f.evidence.measured {
                Some(serde_json::Value::String(q)) => q.clone(),
                _ => f.message.clone(),
            };
            if !queries.contains(&query) {
                queries.push(query);
            }
        }
        return Err(Incomplete { queries });
    }
    let table = deductions();
    // Each rule counts once, at the worst severity it fired with.
    let mut fired: BTreeMap<&str, Severity> = BTreeMap::new();
    for f in findings {
        let worst = fired.entry(f.rule.as_str()).or_insert(f.severity);
        *worst = (*worst).max(f.severity);
    }
    match dmarc.and_then(weaker_policy) {
        Some(None) => {
            fired
                .entry(DMARC_MISSING.as_str())
                .or_insert(Severity::Error);
        }
        Some(Some(Policy::None)) => {
            fired
                .entry(DMARC_POLICY_NONE.as_str())
                .or_insert(Severity::Warning);
        }
        _ => {}
    }
    let mut lost: BTreeMap<&str, f64> = BTreeMap::new();
    for (rule, severity) in &fired {
        if let Some((part, error, warning)) = table.get(*rule) {
            let fraction = if *severity == Severity::Error {
                *error
            } else {
                *warning
            };
            *lost.entry(part.as_str()).or_default() += fraction;
        }
    }
    let mut parts = BTreeMap::new();
    let mut total = 0.0;
    for (part, weight) in PARTS {
        let weight = rules.threshold(weight);
        let points = weight * (1.0 - lost.get(part).copied().unwrap_or(0.0)).max(0.0);
        total += points;
        parts.insert(part, (points * 10.0).round() / 10.0);
    }
    Ok(AuthScore {
        value: total.round().clamp(0.0, 100.0) as u32,
        parts,
    })
}

/// `domain/low-auth-score` when a score is under `min_score` (an incomplete audit has none).
pub fn low_score_finding(rules: &Rules, domain: &str, score: &AuthScore) -> Option<Finding> {
    let min = rules.threshold(LOW_AUTH_SCORE_MIN_SCORE);
    if f64::from(score.value) >= min {
        return None;
    }
    Some(
        rules
            .finding(
                LOW_AUTH_SCORE,
                domain,
                format!(
                    "authentication score of {domain} is {}/100, under {min}",
                    score.value
                ),
            )
            .with_measured(score.value)
            .with_threshold(min),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_table_is_valid_and_names_real_rules() {
        let file: ScoreFile = toml::from_str(include_str!("../rules/score.toml")).unwrap();
        let rules = Rules::builtin().unwrap();
        for d in &file.deduct {
            assert!(PARTS.iter().any(|(part, _)| *part == d.part), "{}", d.part);
            for rule in &d.rules {
                assert!(
                    rules.get(rule).is_some(),
                    "score.toml names unknown rule {rule}"
                );
            }
        }
        let weights: f64 = PARTS
            .iter()
            .map(|(_, weight)| rules.threshold(*weight))
            .sum();
        assert_eq!(weights, 100.0);
    }

    #[test]
    fn the_documented_example_scores_72() {
        let rules = Rules::builtin().unwrap();
        let findings = vec![
            rules
                .finding(crate::dkim::rules::WEAK_KEY, "example.com", "1024")
                .with_severity(Severity::Warning),
            rules.finding(crate::dmarc::rules::POLICY_NONE, "example.com", "p=none"),
            rules.finding(crate::dmarc::rules::POLICY_NONE, "example.com", "again"),
        ];
        let score = authentication_score(&rules, &findings, None).unwrap();
        // 25 + 25 * 0.7 + 35 * 0.4 + 15 = 71.5
        assert_eq!(score.value, 72);
        assert_eq!(score.parts["dkim"], 17.5);
        assert!(low_score_finding(&rules, "example.com", &score).is_none());
    }

    #[test]
    fn a_domain_without_authentication_scores_low_and_fires() {
        let rules = Rules::builtin().unwrap();
        let findings = vec![
            rules.finding(crate::spf::rules::MISSING, "x.test", "none"),
            rules
                .finding(crate::dkim::rules::MISSING, "x.test", "none")
                .with_severity(Severity::Warning),
            rules.finding(crate::dmarc::rules::MISSING, "x.test", "none"),
        ];
        let score = authentication_score(&rules, &findings, None).unwrap();
        assert_eq!(score.value, 15);
        let f = low_score_finding(&rules, "x.test", &score).unwrap();
        assert_eq!(f.rule, LOW_AUTH_SCORE);
        assert_eq!(f.evidence.measured, Some(15.into()));
    }

    #[test]
    fn an_incomplete_audit_has_no_score() {
        let rules = Rules::builtin().unwrap();
        let inconclusive = |query: &str| {
            rules
                .finding(INCONCLUSIVE, "x.test", "timeout")
                .with_measured(query)
        };
        let findings = vec![
            rules.finding(crate::spf::rules::MISSING, "x.test", "none"),
            inconclusive("TXT _dmarc.x.test"),
            inconclusive("MX x.test"),
            inconclusive("MX x.test"),
            inconclusive("A a.x.test"),
            inconclusive("A b.x.test"),
        ];
        let why = authentication_score(&rules, &findings, None).unwrap_err();
        assert_eq!(
            why.to_string(),
            "DNS failed for 4 queries: TXT _dmarc.x.test, MX x.test, A a.x.test and 1 more"
        );
    }

    #[test]
    fn a_failed_query_that_decides_nothing_leaves_the_score() {
        // MTA-STS, TLS-RPT and a probed DKIM selector are emitted as warnings.
        let rules = Rules::builtin().unwrap();
        let findings = vec![
            rules
                .finding(INCONCLUSIVE, "x.test", "timeout")
                .with_severity(Severity::Warning),
        ];
        assert_eq!(
            authentication_score(&rules, &findings, None).unwrap().value,
            100
        );
    }

    fn receivers(rfc9989: Option<Policy>, rfc7489: Option<Policy>) -> Receivers {
        let answer = |policy: Option<Policy>| crate::dmarc::ReceiverAnswer {
            status: ReceiverStatus::Concluded,
            policy_domain: policy.map(|_| "example.com".to_string()),
            organizational_domain: Some("example.com".to_string()),
            policy,
        };
        Receivers {
            rfc9989: answer(rfc9989),
            rfc7489: answer(rfc7489),
        }
    }

    #[test]
    fn the_dmarc_part_is_scored_by_the_weaker_receiver_model() {
        let rules = Rules::builtin().unwrap();
        // p=quarantine; t=y: RFC 7489 applies quarantine (only dmarc/pct-partial fired for
        // t=y), an RFC 9989 receiver none: the domain is scored as p=none.
        let findings = vec![
            rules
                .finding(crate::dmarc::rules::PCT_PARTIAL, "example.com", "t=y")
                .with_severity(Severity::Warning),
        ];
        let both = receivers(Some(Policy::None), Some(Policy::Quarantine));
        let score = authentication_score(&rules, &findings, Some(&both)).unwrap();
        // dmarc 35 * (1 - 0.6 - 0.15) = 8.75
        assert_eq!(score.parts["dmarc"], 8.8);
        let alone = authentication_score(&rules, &findings, None).unwrap();
        assert_eq!(alone.parts["dmarc"], 29.8);

        // Both apply reject: nothing more is taken.
        let agree = receivers(Some(Policy::Reject), Some(Policy::Reject));
        let score = authentication_score(&rules, &[], Some(&agree)).unwrap();
        assert_eq!(score.value, 100);

        // One model applies no DMARC at all: scored as if there were no record.
        let none = receivers(None, Some(Policy::Reject));
        let score = authentication_score(&rules, &[], Some(&none)).unwrap();
        assert_eq!(score.parts["dmarc"], 0.0);

        // An inconclusive side does not count; the other decides.
        let mut half = receivers(Some(Policy::None), Some(Policy::Reject));
        half.rfc9989.status = ReceiverStatus::Inconclusive;
        let score = authentication_score(&rules, &[], Some(&half)).unwrap();
        assert_eq!(score.value, 100);
    }
}
