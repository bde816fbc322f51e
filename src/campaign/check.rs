//! `mailaudit check`: one campaign, one report. The domain audit of the From, envelope and
//! signing domains (with the sending IPs' SPF results and reverse DNS), the DMARC outcome
//! simulation, the draft lint, and the sender scoring of the stats file ([`super::stats`]).
//!
//! Every result goes to `each` as it is ready: the domains in campaign order (From, envelope,
//! signing), the campaign's own result (kind `campaign`: the simulation and
//! `dmarc/would-fail`), the drafts and their sequences in walk order, then the stats results,
//! the reports, and last the recipient list (kind `recipient-list`: `list/suppressed` fails
//! the check).
//! A finding that has no location of its own gets the campaign file's line of the key that
//! names its domain or IP, so SARIF and github output can point at it.

use super::bulk::apply_bulk_requirements;
use super::file::Campaign;
use super::simulate::{
    DkimKey, Rfc9989Input, Simulation, SimulationInput, receivers_disagree_finding, simulate,
    would_fail_findings,
};
use super::stats::{StatsOutcome, stats_results};
use crate::campaign::rules::FROM_MISMATCH;
use crate::date::Date;
use crate::dmarc::discovery::{discover_policy, organizational_domain_rfc9989};
use crate::dns::rules::INCONCLUSIVE;
use crate::dns::{Answer, RecordType, Resolver, is_valid_query_name, normalize_name};
use crate::domain::{DomainAudit, DomainRequest, audit_domains};
use crate::finding::{Finding, Location};
use crate::message::{DkimVerifier, DraftOptions, MessageResult, audit_paths};
use crate::reports::{Attributor, ReportsOptions, ReportsResult, audit_reports};
use crate::rules::Rules;
use crate::sender::SenderResult;
use serde::Serialize;
use std::net::IpAddr;
use std::sync::Arc;

/// How a campaign is checked.
#[derive(Clone, Debug)]
pub struct CheckOptions {
    /// Domain audits at once.
    pub concurrency: usize,
    /// Threads for the drafts.
    pub workers: usize,
    /// Drafts over this many bytes are not parsed (`message/too-large`).
    pub max_size: u64,
    /// DNS for verifying the drafts' `DKIM-Signature`s, if they have any.
    pub dkim: Option<DkimVerifier>,
    /// The statistics already scored ([`score_stats`]); read from the campaign's `stats`
    /// when `None`, for the day `dating` says.
    pub stats: Option<StatsOutcome>,
    pub dating: StatsDating,
}

/// The day the statistics are judged on (`sender/no-recent-data`, the next day's volume):
/// `--as-of`, else today (the command passes the machine's date), else the newest date in
/// the data.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatsDating {
    pub as_of: Option<Date>,
    pub today: Option<Date>,
}

/// Score the campaign's statistics (none without a `stats` key). A file that is not valid
/// statistics is an input error.
pub fn score_stats(
    campaign: &Campaign,
    rules: &Rules,
    dating: StatsDating,
) -> Result<StatsOutcome, StatsInputError> {
    match campaign.stats.as_slice() {
        [] => Ok(StatsOutcome::default()),
        paths => {
            let mut options = crate::sender::SenderOptions {
                as_of: dating.as_of,
                today: dating.today,
                ..Default::default()
            };
            if let Some(day) = campaign.warmup_start {
                options
                    .warmup_start
                    .insert(normalize_name(&campaign.from_domain), day);
            }
            stats_results(paths, &campaign.domains(), &options, rules).map_err(StatsInputError)
        }
    }
}

/// The statistics show the campaign's From domain as a bulk sender.
pub fn is_bulk(campaign: &Campaign, stats: &StatsOutcome) -> bool {
    stats.bulk_domains.iter().any(|d| {
        d.trim_end_matches('.')
            .eq_ignore_ascii_case(&campaign.from_domain)
    })
}

impl Default for CheckOptions {
    fn default() -> CheckOptions {
        CheckOptions {
            concurrency: 8,
            workers: 1,
            max_size: crate::message::audit::DEFAULT_MAX_SIZE,
            dkim: None,
            stats: None,
            dating: StatsDating::default(),
        }
    }
}

/// The stats file could not be read as sending statistics: an input error (exit 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StatsInputError(pub String);

/// The stats part of the campaign result's facts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StatsFacts {
    /// The first stats file (of `files`).
    pub path: String,
    /// Every stats file, summed per key.
    pub files: Vec<String>,
    /// The campaign's domains found in the file and scored (results of kind `sender`).
    pub domains: Vec<String>,
    /// The file's other sending domains, not reported here (`mailaudit sender` scores them).
    pub other_domains: Vec<String>,
}

/// The facts of the campaign's own result (kind `campaign`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CampaignFacts {
    pub name: Option<String>,
    pub from: String,
    pub envelope_from: String,
    pub sending_ips: Vec<IpAddr>,
    /// `SELECTOR._domainkey.DOMAIN`.
    pub dkim_key: String,
    /// The domains audited: From, envelope and signing domain, each once.
    pub domains: Vec<String>,
    pub drafts: Vec<String>,
    /// The draft lint's profile and mode.
    pub profile: String,
    pub templates: bool,
    pub stats: Option<StatsFacts>,
    /// The statistics show a bulk sender: the bulk-sender requirements are errors.
    pub bulk_sender: bool,
    pub simulation: Simulation,
}

/// One result of a campaign check, in the family's own types (the run model turns each into
/// a report result).
#[derive(Debug)]
pub enum CheckResult {
    /// The domain audit of one of the campaign's domains.
    Domain(Box<DomainAudit>),
    /// The campaign itself: what it sends as, and the simulated DMARC outcome.
    Campaign(Box<CampaignResult>),
    /// A draft, a sequence or an unreadable directory of drafts.
    Message(MessageResult),
    /// The sender scoring of one of the campaign's domains.
    Sender(Box<SenderResult>),
    /// One of the campaign's reports, or the From domain judged from them.
    Reports(ReportsResult),
    /// The campaign's recipient list, checked against its suppression lists.
    List(Box<crate::list::ListResult>),
}

/// The recipients or a suppression list could not be read: an input error (exit 2), never
/// "nothing suppressed".
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ListInputError(pub String);

/// The campaign file's own result.
#[derive(Clone, Debug, PartialEq)]
pub struct CampaignResult {
    /// The campaign file.
    pub source: String,
    pub facts: CampaignFacts,
    pub findings: Vec<Finding>,
    /// The DMARC outcome simulated over the sending IPs.
    pub verdict: String,
}

/// Check one campaign; see the module documentation for what `each` receives. An audit that
/// panicked (a bug) reaches `each` as `Err(name)`. Stops at the first error `each` returns;
/// a stats file that is not valid statistics is an error too.
pub fn check_campaign<E: From<StatsInputError> + From<ListInputError>>(
    campaign: &Campaign,
    resolver: &Resolver,
    runtime: &tokio::runtime::Handle,
    rules: &Rules,
    options: &CheckOptions,
    mut each: impl FnMut(Result<CheckResult, String>) -> Result<(), E>,
) -> Result<(), E> {
    let domains = campaign.domains();
    // The statistics first: a bulk sender changes the severities of everything else.
    let stats = match &options.stats {
        Some(stats) => stats.clone(),
        None => score_stats(campaign, rules, options.dating)?,
    };
    let bulk = is_bulk(campaign, &stats);

    let dns = runtime.block_on(audit_dns(campaign, resolver, rules, options.concurrency));
    for audit in dns.audits {
        let audit = match audit {
            Ok(audit) => audit,
            Err(domain) => {
                each(Err(domain))?;
                continue;
            }
        };
        let mut result = audit;
        if result.domain != campaign.dkim_domain() {
            // The campaign signs with the signing domain's key: that the probe found no key
            // at another of its domains is no problem of this campaign.
            result
                .findings
                .retain(|f| f.rule != crate::dkim::rules::MISSING);
        }
        for finding in &mut result.findings {
            locate(campaign, &result.domain, finding);
        }
        if bulk {
            apply_bulk_requirements(&mut result.findings);
        }
        each(Ok(CheckResult::Domain(Box::new(result))))?;
    }

    let mut findings = Vec::new();
    for (ip, mut finding) in would_fail_findings(rules, &dns.simulation) {
        let line = ip_line(campaign, ip).unwrap_or(campaign.lines.from);
        finding.location = Some(campaign_line(campaign, line));
        findings.push(finding);
    }
    if let Some(mut finding) = receivers_disagree_finding(rules, &dns.simulation) {
        finding.location = Some(campaign_line(campaign, campaign.lines.from));
        findings.push(finding);
    }
    if let Some(mut finding) = stats.finding.clone() {
        finding.target = campaign.source.clone();
        let line = campaign.lines.stats.unwrap_or(campaign.lines.from);
        finding.location = Some(campaign_line(campaign, line));
        findings.push(finding);
    }
    if bulk {
        apply_bulk_requirements(&mut findings);
    }
    let verdict = dns.simulation.verdict.as_str().to_string();
    let facts = CampaignFacts {
        name: campaign.name.clone(),
        from: campaign.from.clone(),
        envelope_from: campaign.envelope_from.clone(),
        sending_ips: campaign.sending_ips.clone(),
        dkim_key: campaign.dkim_key_name(),
        domains,
        drafts: campaign
            .drafts
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
        profile: campaign.profile.clone(),
        templates: campaign.templates,
        stats: campaign.stats.first().map(|first| StatsFacts {
            path: first.display().to_string(),
            files: campaign
                .stats
                .iter()
                .map(|p| p.display().to_string())
                .collect(),
            domains: stats.results.iter().map(|r| r.domain.clone()).collect(),
            other_domains: stats.other_domains.clone(),
        }),
        bulk_sender: bulk,
        simulation: dns.simulation,
    };
    let result = CampaignResult {
        source: campaign.source.clone(),
        facts,
        findings,
        verdict,
    };
    each(Ok(CheckResult::Campaign(Box::new(result))))?;

    if !campaign.drafts.is_empty() {
        let draft_options = DraftOptions {
            template: campaign.templates,
            max_size: options.max_size,
            dkim: options.dkim.clone(),
        };
        audit_paths(
            &campaign.drafts,
            rules,
            &draft_options,
            options.workers,
            |done| {
                let done = match done {
                    Ok(done) => done,
                    Err(path) => return each(Err(path)),
                };
                let mismatch = match &done {
                    MessageResult::Draft(audit) => from_mismatch(campaign, rules, audit),
                    _ => None,
                };
                let mut result = done;
                result.findings_mut().extend(mismatch);
                if bulk {
                    apply_bulk_requirements(result.findings_mut());
                }
                each(Ok(CheckResult::Message(result)))
            },
        )?;
    }

    for result in stats.results {
        each(Ok(CheckResult::Sender(Box::new(result))))?;
    }

    if !campaign.reports.is_empty() {
        // The reports' sources attributed through the campaign's DNS; the window of
        // reports/authorised-source-failing ends on the check's day. Only the campaign's
        // own domains are judged: a report of another domain is not this send's business.
        let attributor = Attributor {
            resolver: resolver.clone(),
            runtime: runtime.clone(),
            concurrency: options.concurrency,
        };
        let report_options = ReportsOptions {
            as_of: options.dating.as_of.or(options.dating.today),
            ..ReportsOptions::default()
        };
        let domains = campaign.domains();
        audit_reports(
            &campaign.reports,
            rules,
            &report_options,
            Some(&attributor),
            |done| match &done {
                ReportsResult::Domain(judged)
                    if !domains
                        .iter()
                        .any(|d| d.eq_ignore_ascii_case(&judged.domain)) =>
                {
                    Ok(())
                }
                _ => each(Ok(CheckResult::Reports(done))),
            },
        )?;
    }

    if let Some(recipients) = &campaign.recipients {
        each(Ok(CheckResult::List(Box::new(check_recipients(
            campaign, recipients, resolver, runtime, rules, options,
        )?))))?;
    }
    Ok(())
}

/// The campaign's recipients checked as `mailaudit list` checks them, with the campaign's
/// DNS for their domains' MX.
fn check_recipients(
    campaign: &Campaign,
    recipients: &std::path::Path,
    resolver: &Resolver,
    runtime: &tokio::runtime::Handle,
    rules: &Rules,
    options: &CheckOptions,
) -> Result<crate::list::ListResult, ListInputError> {
    use crate::list::{ListOptions, MxChecker, audit::read_suppressions, audit_list};
    let error = |e: crate::list::ListError| ListInputError(e.to_string());
    let suppressions = read_suppressions(&campaign.suppressions).map_err(error)?;
    let checker = MxChecker {
        resolver: resolver.clone(),
        runtime: runtime.clone(),
        concurrency: options.concurrency,
    };
    audit_list(
        recipients,
        &suppressions,
        rules,
        &ListOptions::default(),
        Some(&checker),
        None,
    )
    .map_err(error)
}

/// The domain audits, in campaign order, and the simulation built from them.
struct DnsPart {
    audits: Vec<Result<DomainAudit, String>>,
    simulation: Simulation,
}

async fn audit_dns(
    campaign: &Campaign,
    resolver: &Resolver,
    rules: &Rules,
    concurrency: usize,
) -> DnsPart {
    let domains = campaign.domains();
    let dkim_domain = campaign.dkim_domain().to_string();
    let requests: Vec<DomainRequest> = domains
        .iter()
        .map(|domain| {
            let envelope = *domain == campaign.envelope_domain;
            DomainRequest {
                domain: domain.clone(),
                // The signing domain is checked at the campaign's selector; the others are
                // probed for keys as `mailaudit domain` does.
                selectors: if *domain == dkim_domain {
                    vec![campaign.dkim_selector.clone()]
                } else {
                    Vec::new()
                },
                ips: if envelope {
                    campaign.sending_ips.clone()
                } else {
                    Vec::new()
                },
                mail_from: envelope.then(|| campaign.envelope_from.clone()),
                helo: None,
            }
        })
        .collect();
    let rules_arc = Arc::new(rules.clone());
    let mut done: Vec<Result<DomainAudit, String>> = Vec::new();
    let _ = audit_domains(resolver, &rules_arc, requests, concurrency, |audit| {
        done.push(audit);
        Ok::<(), std::convert::Infallible>(())
    })
    .await;
    let position = |name: &str| domains.iter().position(|d| d == name).unwrap_or(usize::MAX);
    done.sort_by_key(|audit| match audit {
        Ok(audit) => position(&audit.domain),
        Err(domain) => position(domain),
    });

    let find = |name: &str| {
        done.iter()
            .filter_map(|a| a.as_ref().ok())
            .find(|a| a.domain == name)
    };
    let from = find(&campaign.from_domain);
    let envelope = find(&campaign.envelope_domain);
    let signer = find(&dkim_domain);
    let key_name = campaign.dkim_key_name();
    let dkim_key = match signer {
        Some(audit) => {
            let failed = audit
                .findings
                .iter()
                .any(|f| f.rule == INCONCLUSIVE && f.evidence.chain.contains(&key_name));
            DkimKey::from_audit(
                &audit.facts.dkim,
                &campaign.dkim_selector,
                &key_name,
                failed,
            )
        }
        None => DkimKey::from_audit(
            &Default::default(),
            &campaign.dkim_selector,
            &key_name,
            true,
        ),
    };
    let spf = campaign
        .sending_ips
        .iter()
        .map(|ip| {
            let result = envelope.and_then(|audit| {
                audit
                    .facts
                    .spf_results
                    .iter()
                    .find(|v| v.ip == *ip)
                    .map(|v| v.result)
            });
            (*ip, result)
        })
        .collect();
    let dmarc = from.and_then(|audit| audit.facts.dmarc.as_ref());
    // A subdomain without a DMARC record of its own gets np when it does not exist.
    let from_exists = match dmarc {
        Some(facts) if facts.inherited => {
            match resolver.lookup(&campaign.from_domain, RecordType::A).await {
                Answer::NxDomain => Some(false),
                Answer::Failure(_) => None,
                Answer::Records(_) | Answer::NoData => Some(true),
            }
        }
        _ => None,
    };
    // RFC 9989: the From domain's policy discovery and the tree walks of the envelope and
    // signing domains; the domain audits asked the same names, so the cache answers.
    let (from_discovery, spf_org, dkim_org) = tokio::join!(
        discover_policy(resolver, &campaign.from_domain),
        organizational_domain_rfc9989(resolver, &campaign.envelope_domain),
        organizational_domain_rfc9989(resolver, &dkim_domain),
    );
    let rfc9989 = Rfc9989Input {
        from: from_discovery,
        spf_domain: spf_org,
        dkim_domain: dkim_org,
    };
    let simulation = simulate(&SimulationInput {
        from_domain: &campaign.from_domain,
        spf_domain: &campaign.envelope_domain,
        dkim_domain: &dkim_domain,
        spf,
        dkim_key,
        dmarc,
        from_exists,
        rfc9989: Some(&rfc9989),
    });
    DnsPart {
        audits: done,
        simulation,
    }
}

/// `campaign/from-mismatch` when a draft is sent from another domain than the campaign's.
fn from_mismatch(
    campaign: &Campaign,
    rules: &Rules,
    audit: &crate::message::DraftAudit,
) -> Option<Finding> {
    let domain = audit.facts.headers.as_ref()?.from_domain.as_deref()?;
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    // A merge tag in template mode, or an address without a real domain: not comparable.
    if !is_valid_query_name(&domain) || !domain.contains('.') || domain == campaign.from_domain {
        return None;
    }
    let mut finding = rules
        .finding(
            FROM_MISMATCH,
            &audit.target,
            format!(
                "the draft is sent from {domain}, but the campaign checked {} (`from` in {})",
                campaign.from_domain, campaign.source
            ),
        )
        .with_measured(domain)
        .with_threshold(campaign.from_domain.clone());
    if let Some(line) = audit.touch.from_line {
        finding = finding.at(Location::Line {
            file: audit.target.clone(),
            line,
        });
    }
    Some(finding)
}

fn campaign_line(campaign: &Campaign, line: u32) -> Location {
    Location::Line {
        file: campaign.source.clone(),
        line,
    }
}

/// The line of `ip` in `sending_ips`.
fn ip_line(campaign: &Campaign, ip: IpAddr) -> Option<u32> {
    campaign
        .sending_ips
        .iter()
        .zip(&campaign.lines.sending_ips)
        .find(|(listed, _)| **listed == ip)
        .map(|(_, line)| *line)
}

/// Give a domain audit's finding without a location the line of the campaign file's key that
/// names what it is about: a sending IP's line for its SPF result and reverse DNS, the
/// selector (or `dkim_domain`) for DKIM, `envelope_from` for the envelope domain's SPF,
/// `from` for the From domain's DMARC, else the first key that names the domain.
pub fn locate(campaign: &Campaign, domain: &str, finding: &mut Finding) {
    if finding.location.is_some() {
        return;
    }
    let line = key_line(campaign, domain, finding);
    finding.location = Some(campaign_line(campaign, line));
}

fn key_line(campaign: &Campaign, domain: &str, finding: &Finding) -> u32 {
    let lines = &campaign.lines;
    let is_from = domain == campaign.from_domain;
    let is_envelope = domain == campaign.envelope_domain;
    let is_signer = domain == campaign.dkim_domain();
    let dkim_line = lines.dkim_domain.unwrap_or(lines.dkim_selector);
    if finding.rule == crate::domain::rules::SPF_IP_NOT_PERMITTED
        || finding.rule.starts_with("rdns/")
    {
        let named = campaign
            .sending_ips
            .iter()
            .find(|ip| mentions(&finding.message, &ip.to_string()));
        if let Some(line) = named.and_then(|ip| ip_line(campaign, *ip)) {
            return line;
        }
    }
    let key_name = campaign.dkim_key_name();
    if is_signer && finding.evidence.chain.contains(&key_name) {
        return dkim_line;
    }
    match finding.rule.split('/').next() {
        Some("spf") if is_envelope => return lines.envelope_from,
        Some("dkim") if is_signer => return dkim_line,
        Some("dmarc") if is_from => return lines.from,
        _ => {}
    }
    if is_from {
        lines.from
    } else if is_envelope {
        lines.envelope_from
    } else {
        dkim_line
    }
}

/// The campaign file's line for each domain and sending IP it names, in the order
/// [`key_line`] prefers them when a finding says no more: From, envelope, signing domain,
/// then each IP at its `sending_ips` element.
pub fn target_lines(campaign: &Campaign) -> Vec<(String, u32)> {
    let lines = &campaign.lines;
    let mut out = vec![
        (campaign.from_domain.clone(), lines.from),
        (campaign.envelope_domain.clone(), lines.envelope_from),
        (
            campaign.dkim_domain().to_string(),
            lines.dkim_domain.unwrap_or(lines.dkim_selector),
        ),
    ];
    for (ip, line) in campaign.sending_ips.iter().zip(&lines.sending_ips) {
        out.push((ip.to_string(), *line));
    }
    out
}

/// `text` names `ip` as a whole (not as part of a longer address such as 203.0.113.70).
fn mentions(text: &str, ip: &str) -> bool {
    let part_of_address = |c: char| c.is_ascii_hexdigit() || c == '.' || c == ':';
    text.match_indices(ip).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + ip.len()..].chars().next();
        !before.is_some_and(part_of_address) && !after.is_some_and(part_of_address)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_lines_name_each_domain_and_ip_at_its_key() {
        let text = "name = \"q3\"\nfrom = \"ann@acme.example\"\nenvelope_from = \"b@bounce.acme.example\"\nsending_ips = [\n  \"192.0.2.10\",\n  \"2001:db8::7\",\n]\ndkim_selector = \"s1\"\ndkim_domain = \"mail.acme.example\"\n";
        let campaign =
            Campaign::parse(text, std::path::Path::new("campaign.toml"), false).expect("parses");
        assert_eq!(
            target_lines(&campaign),
            [
                ("acme.example".to_string(), 2),
                ("bounce.acme.example".to_string(), 3),
                ("mail.acme.example".to_string(), 9),
                ("192.0.2.10".to_string(), 5),
                ("2001:db8::7".to_string(), 6),
            ]
        );
    }

    #[test]
    fn ips_are_matched_whole() {
        assert!(mentions("SPF for 203.0.113.7 at x", "203.0.113.7"));
        assert!(mentions("sending IP 203.0.113.7", "203.0.113.7"));
        assert!(!mentions("sending IP 203.0.113.70 has", "203.0.113.7"));
        assert!(!mentions("IP 1203.0.113.7", "203.0.113.7"));
        assert!(mentions("IP 2001:db8::1 has", "2001:db8::1"));
        assert!(!mentions("IP 2001:db8::1a has", "2001:db8::1"));
    }
}
