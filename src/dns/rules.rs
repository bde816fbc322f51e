//! The rule shared by every family that asks DNS: a query that failed (timeout, SERVFAIL,
//! REFUSED) leaves its check inconclusive instead of passing or failing it. Defined once here;
//! each family that emits it lists it in its own `RULES`.

use super::{DnsFailure, FailureSource};
use crate::finding::{Finding, Severity};
use crate::rules::{RuleId, Rules, Threshold};
use std::fmt::Display;

pub const INCONCLUSIVE: RuleId = RuleId::new("dns/inconclusive");

/// How many failed queries a collapsed finding names; the rest are counted.
pub const NAMED_QUERIES: usize = 3;

/// `dns/inconclusive` for one failed query (`query` is "TYPE name"): `consequence` says what
/// could not be concluded from it. The query is the finding's measured value; the evidence
/// record says who failed and how (`127.0.0.1:53: timed out`, `zone files: timed out`),
/// which is what [`collapse`] groups by. Its severity is error, whatever the rule data says:
/// the severity a family gives it says whether the failure leaves a verdict open
/// ([`leaves_verdict_open`]); the user's level for the rule applies when the result is
/// settled.
pub fn inconclusive(
    rules: &Rules,
    target: &str,
    query: String,
    why: &DnsFailure,
    consequence: impl Display,
) -> Finding {
    // A live server is named; offline, the zone files are implied.
    let failure = match why.source {
        FailureSource::Server(server) => format!("{server}: {why}"),
        FailureSource::Zones | FailureSource::Resolver => why.to_string(),
    };
    rules
        .finding(
            INCONCLUSIVE,
            target,
            format!("DNS query {query} failed ({failure}); {consequence}"),
        )
        .with_severity(Severity::Error)
        .with_measured(query)
        .with_record(format!("{}: {}", why.source, why.kind))
}

/// [`inconclusive`] for a whole audit: "the {audit} could not conclude".
pub fn audit_inconclusive(
    rules: &Rules,
    target: &str,
    query: String,
    why: &DnsFailure,
    audit: &str,
) -> Finding {
    inconclusive(
        rules,
        target,
        query,
        why,
        format_args!("the {audit} could not conclude"),
    )
}

/// Whether a failed query leaves a verdict open that the gate relies on (SPF, DMARC, MX, a
/// DKIM selector that was asked for): the `dns/inconclusive` findings at error severity
/// before the user's levels. The families emit the others (MTA-STS, TLS-RPT, a probed DKIM
/// selector when another one gave a key) as warnings.
pub fn leaves_verdict_open(findings: &[Finding]) -> bool {
    findings
        .iter()
        .any(|f| f.rule == INCONCLUSIVE && f.severity == Severity::Error)
}

/// Collapse the `dns/inconclusive` findings of one target that share a target, a server and a
/// failure (the evidence record [`inconclusive`] writes) into one finding that names the
/// first [`NAMED_QUERIES`] queries and counts the rest, at the worst severity of the group,
/// in the place of the group's first finding. Its evidence chain lists every failed query,
/// and its measured value is their number. A group of one is left as it is.
pub fn collapse(findings: &mut Vec<Finding>) {
    type Key = (String, String);
    let key = |f: &Finding| -> Option<Key> {
        (f.rule == INCONCLUSIVE)
            .then(|| Some((f.target.clone(), f.evidence.record.clone()?)))
            .flatten()
    };
    let mut groups: Vec<(Key, Vec<Finding>)> = Vec::new();
    let mut out: Vec<Option<Finding>> = Vec::with_capacity(findings.len());
    // Where each group's finding goes in `out`.
    let mut slots: Vec<usize> = Vec::new();
    for finding in findings.drain(..) {
        let Some(k) = key(&finding) else {
            out.push(Some(finding));
            continue;
        };
        match groups.iter().position(|(g, _)| *g == k) {
            Some(i) => groups[i].1.push(finding),
            None => {
                slots.push(out.len());
                out.push(None);
                groups.push((k, vec![finding]));
            }
        }
    }
    for (slot, (_, group)) in slots.into_iter().zip(groups) {
        out[slot] = Some(merge(group));
    }
    findings.extend(out.into_iter().flatten());
}

/// One finding for a group of failures of one server (see [`collapse`]).
fn merge(mut group: Vec<Finding>) -> Finding {
    if group.len() == 1 {
        return group.remove(0);
    }
    let queries: Vec<String> = group.iter().map(query_of).collect();
    let mut consequences: Vec<&str> = Vec::new();
    for f in &group {
        if let Some((_, consequence)) = f.message.split_once("; ")
            && !consequences.contains(&consequence)
        {
            consequences.push(consequence);
        }
    }
    let severity = group.iter().map(|f| f.severity).max();
    let record = group[0].evidence.record.clone().unwrap_or_default();
    let mut named = queries
        .iter()
        .take(NAMED_QUERIES)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if queries.len() > NAMED_QUERIES {
        named.push_str(&format!(" and {} more", queries.len() - NAMED_QUERIES));
    }
    let shown_consequences = if consequences.len() > NAMED_QUERIES {
        format!(
            "{} and {} more checks could not conclude",
            consequences[..NAMED_QUERIES].join("; "),
            consequences.len() - NAMED_QUERIES
        )
    } else {
        consequences.join("; ")
    };
    let mut first = group.remove(0);
    first.message = format!(
        "{} DNS queries failed ({record}): {named}; {shown_consequences}",
        queries.len()
    );
    first.severity = severity.unwrap_or(first.severity);
    first.evidence.chain = queries;
    first.evidence.measured = Some(group.len().saturating_add(1).into());
    first
}

/// The query a single `dns/inconclusive` finding is about (its measured value).
fn query_of(f: &Finding) -> String {
    match &f.evidence.measured {
        Some(serde_json::Value::String(q)) => q.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

pub const RULES: &[RuleId] = &[INCONCLUSIVE];

pub const THRESHOLDS: &[Threshold] = &[];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::{DEAD_AFTER, FailureKind};

    fn failed(rules: &Rules, target: &str, query: &str, why: &DnsFailure) -> Finding {
        audit_inconclusive(rules, target, query.to_string(), why, "SPF audit")
    }

    #[test]
    fn failures_collapse_per_target_server_and_failure() {
        let rules = Rules::builtin().unwrap();
        let server = "127.0.0.1:9".parse().unwrap();
        let timeout = DnsFailure::server(FailureKind::Timeout, server);
        let servfail = DnsFailure::server(FailureKind::ServFail, server);
        let mut findings = vec![failed(&rules, "a.test", "TXT a.test", &timeout)];
        findings.push(rules.finding(crate::spf::rules::MISSING, "a.test", "no SPF"));
        for i in 0..5 {
            findings.push(failed(
                &rules,
                "a.test",
                &format!("A h{i}.a.test"),
                &timeout,
            ));
        }
        findings.push(failed(&rules, "a.test", "MX a.test", &servfail));
        findings.push(failed(&rules, "b.test", "TXT b.test", &timeout));
        findings[3].severity = Severity::Warning;
        collapse(&mut findings);
        let shown: Vec<(&str, &str)> = findings
            .iter()
            .map(|f| (f.target.as_str(), f.message.as_str()))
            .collect();
        assert_eq!(
            shown,
            [
                (
                    "a.test",
                    "6 DNS queries failed (127.0.0.1:9: timed out): TXT a.test, A h0.a.test, A h1.a.test and 3 more; the SPF audit could not conclude"
                ),
                ("a.test", "no SPF"),
                (
                    "a.test",
                    "DNS query MX a.test failed (127.0.0.1:9: SERVFAIL); the SPF audit could not conclude"
                ),
                (
                    "b.test",
                    "DNS query TXT b.test failed (127.0.0.1:9: timed out); the SPF audit could not conclude"
                ),
            ]
        );
        assert_eq!(findings[0].severity, Severity::Error);
        assert_eq!(findings[0].evidence.chain.len(), 6);
        assert_eq!(findings[0].evidence.measured, Some(6.into()));
    }

    #[test]
    fn offline_failures_name_the_zone_files() {
        let rules = Rules::builtin().unwrap();
        let why = DnsFailure::zones(FailureKind::Timeout);
        let f = failed(&rules, "a.test", "TXT a.test", &why);
        assert_eq!(
            f.message,
            "DNS query TXT a.test failed (timed out); the SPF audit could not conclude"
        );
        assert_eq!(f.evidence.record.as_deref(), Some("zone files: timed out"));
    }

    #[test]
    fn the_rule_documents_when_a_server_is_dead() {
        let text: String = include_str!("../../rules/spf.toml")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            text.contains(&format!("failed {DEAD_AFTER} queries in a row")),
            "rules/spf.toml must say that a server is dead after {DEAD_AFTER} failures"
        );
        assert!(text.contains(&format!("did not answer {DEAD_AFTER} queries in a row")));
    }
}
