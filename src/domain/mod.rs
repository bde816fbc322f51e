//! The domain audit: everything `mailaudit domain` checks for one sending domain.

pub mod rules;

use crate::dkim::audit::{DkimFacts, audit_dkim};
use crate::dmarc::{DmarcFacts, audit_dmarc};
use crate::dns::Resolver;
use crate::dns::rules::INCONCLUSIVE;
use crate::domain::rules::{INVALID_NAME, SPF_IP_NOT_PERMITTED};
use crate::finding::{Finding, Severity};
use crate::mx::{MxFacts, RdnsFacts, audit_mx, audit_reverse_dns};
use crate::rules::Rules;
use crate::score::{AuthScore, authentication_score, low_score_finding};
use crate::spf::audit::{SpfFacts, audit_spf};
use crate::spf::check_host::{
    CheckHostInput, CheckHostOptions, CheckHostOutcome, SpfResult, check_host,
};
use futures_util::future::join_all;
use serde::Serialize;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use tokio::task::JoinSet;

/// What to audit for one domain.
#[derive(Clone, Debug, Default)]
pub struct DomainRequest {
    pub domain: String,
    /// DKIM selectors to check; empty means probe the common ones.
    pub selectors: Vec<String>,
    /// Sending IPs to evaluate with `check_host()`.
    pub ips: Vec<IpAddr>,
    /// MAIL FROM; `postmaster@DOMAIN` when absent.
    pub mail_from: Option<String>,
    /// HELO name; the domain itself when absent.
    pub helo: Option<String>,
}

/// The SPF verdict for one sending IP.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct IpVerdict {
    pub ip: IpAddr,
    pub result: SpfResult,
    /// The term that decided it (`domain: term`), if one did.
    pub deciding_term: Option<String>,
    pub problem: Option<String>,
}

/// Facts measured for one domain.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct DomainFacts {
    /// The 0-100 authentication score (see `mailaudit rules domain/low-auth-score`); absent
    /// (null) when the audit could not conclude, and then `score_incomplete` says why.
    pub score: Option<AuthScore>,
    /// Why there is no score: the failed queries that left a verdict open.
    pub score_incomplete: Option<String>,
    pub spf: SpfFacts,
    pub dkim: DkimFacts,
    pub mx: Option<MxFacts>,
    pub dmarc: Option<DmarcFacts>,
    /// Forward-confirmed reverse DNS of each `--ip`.
    pub reverse_dns: Vec<RdnsFacts>,
    pub spf_results: Vec<IpVerdict>,
}

#[derive(Clone, Debug, Default)]
pub struct DomainAudit {
    pub domain: String,
    pub facts: DomainFacts,
    pub findings: Vec<Finding>,
}

/// `spf/ip-not-permitted` when `check_host()` did not return pass, or `dns/inconclusive` when
/// it is temperror: a DNS failure (or the time limit) left it open whether the IP is
/// permitted, so nothing is claimed about the IP.
pub fn ip_verdict_findings(
    rules: &Rules,
    domain: &str,
    input: &CheckHostInput,
    outcome: &CheckHostOutcome,
) -> Vec<Finding> {
    if outcome.result == SpfResult::Pass {
        return Vec::new();
    }
    if outcome.result == SpfResult::TempError {
        let problem = outcome.problem.as_deref().unwrap_or("a DNS query failed");
        return vec![
            rules
                .finding(
                    INCONCLUSIVE,
                    domain,
                    format!(
                        "SPF check_host() for {} at {domain} (sender {}) is temperror ({problem}); whether the IP is permitted could not be concluded",
                        input.ip, input.sender
                    ),
                )
                .with_severity(Severity::Error)
                .with_measured(outcome.result.as_str()),
        ];
    }
    let mut message = format!(
        "SPF check_host() for {} at {domain} (sender {}) is {}",
        input.ip,
        input.sender,
        outcome.result.as_str()
    );
    if let Some(term) = &outcome.deciding_term {
        message.push_str(&format!(" (decided by `{}` in {})", term.term, term.domain));
    }
    if let Some(problem) = &outcome.problem {
        message.push_str(&format!(": {problem}"));
    }
    vec![
        rules
            .finding(SPF_IP_NOT_PERMITTED, domain, message)
            .with_measured(outcome.result.as_str())
            .with_threshold("pass"),
    ]
}

/// Audit one sending domain.
pub async fn audit_domain(
    resolver: &Resolver,
    rules: &Rules,
    request: &DomainRequest,
) -> DomainAudit {
    let domain = crate::dns::normalize_name(&request.domain);
    if !crate::dns::is_valid_query_name(&domain) || domain.contains(['/', '@', ' ', ':']) {
        let finding = rules
            .finding(
                INVALID_NAME,
                &domain,
                format!("`{domain}` is not a domain name that DNS can be asked about"),
            )
            .with_measured(domain.clone());
        return DomainAudit {
            domain,
            facts: DomainFacts::default(),
            findings: vec![finding],
        };
    }
    let reverse = join_all(
        request
            .ips
            .iter()
            .map(|ip| audit_reverse_dns(resolver, rules, &domain, *ip)),
    );
    let (spf, dkim, mx, dmarc, reverse) = tokio::join!(
        audit_spf(resolver, rules, &domain),
        audit_dkim(resolver, rules, &domain, &request.selectors),
        audit_mx(resolver, rules, &domain),
        audit_dmarc(resolver, rules, &domain),
        reverse,
    );
    let mut findings = spf.findings;
    findings.extend(dkim.findings);
    findings.extend(mx.findings);
    findings.extend(dmarc.findings);
    let mut reverse_dns = Vec::with_capacity(reverse.len());
    for audit in reverse {
        findings.extend(audit.findings);
        reverse_dns.push(audit.facts);
    }
    let mut verdicts = Vec::new();
    let options = CheckHostOptions::default();
    for ip in &request.ips {
        let input = CheckHostInput {
            ip: *ip,
            domain: domain.clone(),
            sender: request
                .mail_from
                .clone()
                .unwrap_or_else(|| format!("postmaster@{domain}")),
            helo: request.helo.clone().unwrap_or_else(|| domain.clone()),
        };
        let outcome = check_host(resolver, &input, &options).await;
        findings.extend(ip_verdict_findings(rules, &domain, &input, &outcome));
        let deciding_term = outcome
            .deciding_term
            .as_ref()
            .map(|t| format!("{}: {}", t.domain, t.term));
        verdicts.push(IpVerdict {
            ip: *ip,
            result: outcome.result,
            deciding_term,
            problem: outcome.problem,
        });
    }
    let (score, score_incomplete) =
        match authentication_score(rules, &findings, Some(&dmarc.facts.receivers)) {
            Ok(score) => {
                findings.extend(low_score_finding(rules, &domain, &score));
                (Some(score), None)
            }
            Err(why) => (None, Some(why.to_string())),
        };
    DomainAudit {
        domain,
        facts: DomainFacts {
            score,
            score_incomplete,
            spf: spf.facts,
            dkim: dkim.facts,
            mx: Some(mx.facts),
            dmarc: Some(dmarc.facts),
            reverse_dns,
            spf_results: verdicts,
        },
        findings,
    }
}

/// Audit many domains, at most `concurrency` at once, all on one resolver (one DNS cache), and
/// hand each audit to `each` as it finishes. An audit that panicked (a bug) reaches `each` as
/// `Err(domain)`, so it is never silently missing. Stops at the first error `each` returns.
pub async fn audit_domains<E>(
    resolver: &Resolver,
    rules: &Arc<Rules>,
    requests: impl IntoIterator<Item = DomainRequest>,
    concurrency: usize,
    mut each: impl FnMut(Result<DomainAudit, String>) -> Result<(), E>,
) -> Result<(), E> {
    let mut pending = requests.into_iter();
    let mut running = JoinSet::new();
    let mut names = HashMap::new();
    loop {
        while running.len() < concurrency.max(1) {
            let Some(request) = pending.next() else { break };
            let (resolver, rules) = (resolver.clone(), Arc::clone(rules));
            let domain = request.domain.clone();
            let task =
                running.spawn(async move { audit_domain(&resolver, &rules, &request).await });
            names.insert(task.id(), domain);
        }
        let Some(done) = running.join_next_with_id().await else {
            return Ok(());
        };
        match done {
            Ok((id, audit)) => {
                names.remove(&id);
                each(Ok(audit))?
            }
            Err(e) => each(Err(names.remove(&e.id()).unwrap_or_default()))?,
        }
    }
}
