//! The 0-100 authentication score of a domain, from the rules that fired on it. The weights
//! are thresholds of `domain/low-auth-score`; what each rule takes away is `rules/score.toml`.
//! A domain whose audit could not conclude (a failed query left a verdict open,
//! [`crate::dns::rules::leaves_verdict_open`]) has no score: a number would be a guess.

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

/// Score a domain from the findings of its audit (before they are collapsed), or say why it
/// cannot be scored.
pub fn authentication_score(rules: &Rules, findings: &[Finding]) -> Result<AuthScore, Incomplete> {
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
        let score = authentication_score(&rules, &findings).unwrap();
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
        let score = authentication_score(&rules, &findings).unwrap();
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
        let why = authentication_score(&rules, &findings).unwrap_err();
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
        assert_eq!(authentication_score(&rules, &findings).unwrap().value, 100);
    }
}
