//! Where mail to a sending domain goes: its MX set (RFC 5321 §5.1), a null MX (RFC 7505),
//! the addresses of its MX hosts, and its MTA-STS and TLS-RPT records (syntax only).

use super::records::{
    MTA_STS_VERSION, RecordSyntaxError, TLS_RPT_VERSION, is_mta_sts_candidate,
    is_tls_rpt_candidate, parse_mta_sts, parse_tls_rpt,
};
use crate::dns::rules::audit_inconclusive;
use crate::dns::{Answer, Rdata, RecordType, Resolver, normalize_name};
use crate::finding::{Finding, Location, Severity};
use crate::mx::rules::{
    HOST_UNRESOLVABLE, IMPLICIT_MX, MISSING, MTASTS_MULTIPLE_RECORDS, MTASTS_SYNTAX, NULL_MX,
    TLSRPT_MULTIPLE_RECORDS, TLSRPT_SYNTAX,
};
use crate::rules::{RuleId, Rules};
use serde::Serialize;
use std::net::IpAddr;

/// MX hosts whose addresses are looked up; a hostile MX set of thousands of hosts is listed
/// but not resolved beyond this.
const MAX_HOSTS_RESOLVED: usize = 32;

/// How mail addressed to the domain is routed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// To the hosts of its MX records.
    Mx,
    /// No MX: to the domain's own A/AAAA addresses (RFC 5321 §5.1 implicit MX).
    Implicit,
    /// A null MX: the domain accepts no mail (RFC 7505).
    Null,
    /// Nowhere: no MX and no address, or the domain does not exist.
    None,
    /// A DNS query failed, so it is not known.
    #[default]
    Unknown,
}

/// Whether an MX host's addresses were found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HostStatus {
    /// At least one A or AAAA record.
    Resolved,
    /// The host name does not exist or has neither A nor AAAA records.
    NoAddress,
    /// A query failed and no address was found.
    Failed,
    /// The null MX (`.`), which has no host to resolve.
    Null,
    /// Not looked up: beyond the number of hosts the audit resolves.
    NotChecked,
}

/// One MX record.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MxHost {
    pub preference: u16,
    /// The exchange, lower-case without the trailing dot; `.` for the null MX.
    pub host: String,
    /// A and AAAA addresses of the host, sorted.
    pub addresses: Vec<IpAddr>,
    pub status: HostStatus,
}

/// The `_mta-sts` TXT record(s) of the domain.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct MtaStsFacts {
    /// The TXT records that begin with `v=STS` (any case), strings joined, sorted.
    pub records: Vec<String>,
    /// Exactly one record begins with `v=STSv1;` and it parses: senders would go on to fetch
    /// the policy.
    pub usable: bool,
    /// The policy id of the usable record.
    pub id: Option<String>,
}

/// The `_smtp._tls` TXT record(s) of the domain.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TlsRptFacts {
    /// The TXT records that begin with `v=TLSRPT` (any case), strings joined, sorted.
    pub records: Vec<String>,
    /// Exactly one record begins with `v=TLSRPTv1;` and it parses: reporters would use it.
    pub usable: bool,
    /// The report URIs of the usable record.
    pub rua: Vec<String>,
}

/// What the MX audit measured.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct MxFacts {
    pub delivery: Delivery,
    /// The MX records, sorted by preference, then host.
    pub hosts: Vec<MxHost>,
    /// The MX set holds a null MX (`0 .`, RFC 7505).
    pub null_mx: bool,
    /// Without MX records: the domain's own A and AAAA addresses, sorted.
    pub implicit_addresses: Vec<IpAddr>,
    /// `None` when no `_mta-sts` record begins with `v=STS`.
    pub mta_sts: Option<MtaStsFacts>,
    /// `None` when no `_smtp._tls` record begins with `v=TLSRPT`.
    pub tls_rpt: Option<TlsRptFacts>,
    /// Some DNS query failed: see the `dns/inconclusive` findings.
    pub incomplete: bool,
}

/// What the MX, MTA-STS and TLS-RPT audit found.
pub type MxAudit = crate::finding::Audit<MxFacts>;

/// Audit where mail to `domain` goes, and its MTA-STS and TLS-RPT records.
pub async fn audit_mx(resolver: &Resolver, rules: &Rules, domain: &str) -> MxAudit {
    let domain = normalize_name(domain);
    let sts_name = format!("_mta-sts.{domain}");
    let rpt_name = format!("_smtp._tls.{domain}");
    let (mx, sts, rpt) = tokio::join!(
        resolver.lookup(&domain, RecordType::Mx),
        resolver.lookup(&sts_name, RecordType::Txt),
        resolver.lookup(&rpt_name, RecordType::Txt),
    );
    let mut check = Check {
        resolver,
        rules,
        domain: &domain,
        audit: MxAudit::default(),
    };
    match mx {
        Answer::Records(records) => check.mx_set(&records).await,
        Answer::NoData => check.implicit_mx().await,
        Answer::NxDomain => {
            check.audit.facts.delivery = Delivery::None;
            let f = rules.finding(
                MISSING,
                &domain,
                format!(
                    "{domain} does not exist (NXDOMAIN): it has no MX and no address, so replies and bounces to it cannot be delivered"
                ),
            );
            check.push(f);
        }
        Answer::Failure(why) => {
            check.audit.facts.delivery = Delivery::Unknown;
            check.inconclusive(format!("MX {domain}"), &why);
        }
    }
    check.audit.facts.mta_sts = check.policy(&MTA_STS, &sts_name, sts).map(|p| MtaStsFacts {
        records: p.records,
        usable: p.usable.is_some(),
        id: p.usable.and_then(|v| v.into_iter().next()),
    });
    check.audit.facts.tls_rpt = check.policy(&TLS_RPT, &rpt_name, rpt).map(|p| TlsRptFacts {
        records: p.records,
        usable: p.usable.is_some(),
        rua: p.usable.unwrap_or_default(),
    });
    check.audit
}

struct Check<'a> {
    resolver: &'a Resolver,
    rules: &'a Rules,
    domain: &'a str,
    audit: MxAudit,
}

/// The A and AAAA answers for one name.
struct Addresses {
    addresses: Vec<IpAddr>,
    /// Both answers were NXDOMAIN or no data.
    void: bool,
    /// (query, failure) of the queries that failed.
    failures: Vec<(String, crate::dns::DnsFailure)>,
}

async fn addresses_of(resolver: &Resolver, name: &str) -> Addresses {
    let (a, aaaa) = tokio::join!(
        resolver.lookup(name, RecordType::A),
        resolver.lookup(name, RecordType::Aaaa)
    );
    let mut out = Addresses {
        addresses: Vec::new(),
        void: a.is_void() && aaaa.is_void(),
        failures: Vec::new(),
    };
    for (answer, rtype) in [(a, RecordType::A), (aaaa, RecordType::Aaaa)] {
        match answer {
            Answer::Records(records) => {
                out.addresses.extend(records.iter().filter_map(|r| match r {
                    Rdata::A(ip) => Some(IpAddr::V4(*ip)),
                    Rdata::Aaaa(ip) => Some(IpAddr::V6(*ip)),
                    _ => None,
                }));
            }
            Answer::Failure(why) => out.failures.push((format!("{rtype} {name}"), why)),
            Answer::NxDomain | Answer::NoData => {}
        }
    }
    out.addresses.sort_unstable();
    out.addresses.dedup();
    out
}

/// A null MX's exchange is the root: empty once the trailing dot is gone.
fn is_root(exchange: &str) -> bool {
    exchange.is_empty() || exchange == "."
}

impl Check<'_> {
    fn push(&mut self, finding: Finding) {
        self.audit.findings.push(finding);
    }

    fn inconclusive(&mut self, query: String, why: &crate::dns::DnsFailure) {
        self.audit.facts.incomplete = true;
        let f = audit_inconclusive(self.rules, self.domain, query, why, "MX audit");
        self.push(f);
    }

    async fn mx_set(&mut self, records: &[Rdata]) {
        let domain = self.domain;
        let mut hosts: Vec<MxHost> = records
            .iter()
            .filter_map(|r| match r {
                Rdata::Mx {
                    preference,
                    exchange,
                } => {
                    let exchange = normalize_name(exchange);
                    let null = is_root(&exchange);
                    Some(MxHost {
                        preference: *preference,
                        host: if null { ".".to_string() } else { exchange },
                        addresses: Vec::new(),
                        status: if null {
                            HostStatus::Null
                        } else {
                            HostStatus::NotChecked
                        },
                    })
                }
                _ => None,
            })
            .collect();
        if hosts.is_empty() {
            // An answer without MX data is no MX.
            self.implicit_mx().await;
            return;
        }
        hosts.sort_by(|a, b| (a.preference, &a.host).cmp(&(b.preference, &b.host)));
        hosts.dedup();
        let shown = hosts
            .iter()
            .map(|h| format!("{} {}", h.preference, h.host))
            .collect::<Vec<_>>()
            .join(" | ");
        let real = hosts
            .iter()
            .filter(|h| h.status != HostStatus::Null)
            .count();
        let null_mx = real < hosts.len();
        self.audit.facts.null_mx = null_mx;
        self.audit.facts.delivery = if real == 0 {
            Delivery::Null
        } else {
            Delivery::Mx
        };
        if null_mx {
            let message = if real == 0 {
                format!(
                    "{domain} publishes a null MX (0 .): it declares that it accepts no mail, so replies and bounces are refused and receivers may reject its mail (RFC 7505 §4.2)"
                )
            } else {
                format!(
                    "{domain} publishes a null MX beside {real} other MX record(s), which RFC 7505 §3 forbids: receivers that honour the null MX refuse mail to the domain and may reject mail from it"
                )
            };
            let f = self
                .rules
                .finding(NULL_MX, domain, message)
                .with_record(shown.clone())
                .with_measured(real);
            self.push(f);
        }

        // Resolve the real hosts, all at once (the resolver bounds the queries in flight).
        let to_resolve: Vec<usize> = hosts
            .iter()
            .enumerate()
            .filter(|(_, h)| h.status == HostStatus::NotChecked)
            .map(|(i, _)| i)
            .take(MAX_HOSTS_RESOLVED)
            .collect();
        let resolver = self.resolver;
        let answers = futures_util::future::join_all(
            to_resolve
                .iter()
                .filter_map(|&i| hosts.get(i))
                .map(|h| addresses_of(resolver, &h.host)),
        )
        .await;
        let mut unresolvable = Vec::new();
        for (&i, answer) in to_resolve.iter().zip(answers) {
            let Some(host) = hosts.get_mut(i) else {
                continue;
            };
            for (query, why) in &answer.failures {
                self.inconclusive(query.clone(), why);
            }
            host.status = if !answer.addresses.is_empty() {
                HostStatus::Resolved
            } else if answer.void {
                unresolvable.push(i);
                HostStatus::NoAddress
            } else {
                HostStatus::Failed
            };
            host.addresses = answer.addresses;
        }
        // Mail cannot be delivered at all when no host of the set can be reached.
        let none_reachable = !unresolvable.is_empty() && unresolvable.len() == real;
        for i in unresolvable {
            let Some(host) = hosts.get(i) else {
                continue;
            };
            let mut message = format!(
                "MX host {} (preference {}) of {domain} has no A or AAAA record",
                host.host, host.preference
            );
            if none_reachable {
                message.push_str(
                    "; no MX host of the domain has an address, so mail to it cannot be delivered",
                );
            }
            let mut f = self
                .rules
                .finding(HOST_UNRESOLVABLE, domain, message)
                .with_record(format!("{} {}", host.preference, host.host))
                .with_measured(host.host.clone());
            if none_reachable {
                f = f.with_severity(Severity::Error);
            }
            self.push(f);
        }
        self.audit.facts.hosts = hosts;
    }

    /// No MX records: mail goes to the domain's own addresses, if it has any.
    async fn implicit_mx(&mut self) {
        let domain = self.domain;
        let answer = addresses_of(self.resolver, domain).await;
        for (query, why) in &answer.failures {
            self.inconclusive(query.clone(), why);
        }
        if !answer.addresses.is_empty() {
            self.audit.facts.delivery = Delivery::Implicit;
            let shown = answer
                .addresses
                .iter()
                .map(IpAddr::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            let f = self
                .rules
                .finding(
                    IMPLICIT_MX,
                    domain,
                    format!(
                        "{domain} has no MX record: replies and bounces go to its own address ({shown}) as an implicit MX (RFC 5321 §5.1), which must then accept mail on port 25"
                    ),
                )
                .with_measured(shown);
            self.push(f);
            self.audit.facts.implicit_addresses = answer.addresses;
        } else if answer.void {
            self.audit.facts.delivery = Delivery::None;
            let f = self.rules.finding(
                MISSING,
                domain,
                format!(
                    "{domain} has no MX record and no A or AAAA address: replies and bounces to it cannot be delivered"
                ),
            );
            self.push(f);
        } else {
            self.audit.facts.delivery = Delivery::Unknown;
        }
    }

    /// Audit the policy TXT records at `name` of one kind. `None` when there are none.
    fn policy(&mut self, kind: &PolicyKind, name: &str, answer: Answer) -> Option<PolicyOutcome> {
        let records = match answer {
            Answer::Records(records) => records,
            Answer::NxDomain | Answer::NoData => return None,
            Answer::Failure(why) => {
                self.audit.facts.incomplete = true;
                // MTA-STS and TLS-RPT are advice here: the gate's verdict does not rest on them.
                let f = audit_inconclusive(
                    self.rules,
                    self.domain,
                    format!("TXT {name}"),
                    &why,
                    kind.audit_name,
                )
                .with_severity(Severity::Warning);
                self.push(f);
                return None;
            }
        };
        let mut candidates: Vec<Vec<u8>> = records
            .iter()
            .filter_map(Rdata::txt_joined)
            .filter(|r| (kind.is_candidate)(r))
            .collect();
        if candidates.is_empty() {
            return None;
        }
        candidates.sort();
        let texts: Vec<String> = candidates
            .iter()
            .map(|r| String::from_utf8_lossy(r).into_owned())
            .collect();
        let strict_prefix = format!("{};", kind.version);
        let strict: Vec<usize> = candidates
            .iter()
            .enumerate()
            .filter(|(_, r)| r.starts_with(strict_prefix.as_bytes()))
            .map(|(i, _)| i)
            .collect();
        let mut outcome = PolicyOutcome {
            records: texts.clone(),
            usable: None,
        };
        if strict.len() > 1 {
            let f = self
                .rules
                .finding(
                    kind.multiple_rule,
                    self.domain,
                    format!(
                        "{name} publishes {} records beginning with \"{strict_prefix}\"; {} (RFC {})",
                        strict.len(),
                        kind.consequence,
                        kind.rfc_section
                    ),
                )
                .with_record(texts.join(" | "))
                .with_measured(strict.len())
                .with_threshold(1);
            self.push(f);
            return Some(outcome);
        }
        for (i, (record, text)) in candidates.iter().zip(&texts).enumerate() {
            match (kind.parse)(record) {
                Ok(values) => {
                    if strict.contains(&i) {
                        outcome.usable = Some(values);
                    } else {
                        // Parses by the ABNF (blank before ";"), but the discard rule keys on
                        // the literal "v=...;".
                        let f = self
                            .rules
                            .finding(
                                kind.syntax_rule,
                                self.domain,
                                format!(
                                    "{name} begins with a blank between {} and \";\": senders that keep only records beginning with \"{strict_prefix}\" (RFC {}) ignore it",
                                    kind.version, kind.rfc_section
                                ),
                            )
                            .with_severity(Severity::Warning)
                            .with_record(text.clone())
                            .at(Location::RecordSpan {
                                record: name.to_string(),
                                start: 0,
                                end: text.find(';').unwrap_or(text.len()),
                            });
                        self.push(f);
                    }
                }
                Err(e) => {
                    let f = self
                        .rules
                        .finding(
                            kind.syntax_rule,
                            self.domain,
                            format!(
                                "{} record at {name} does not parse: {}; {}",
                                kind.label, e.message, kind.consequence
                            ),
                        )
                        .with_record(text.clone())
                        .at(Location::RecordSpan {
                            record: name.to_string(),
                            start: e.span.start,
                            end: e.span.end,
                        });
                    self.push(f);
                }
            }
        }
        Some(outcome)
    }
}

/// The result of auditing one kind of policy record.
struct PolicyOutcome {
    records: Vec<String>,
    /// The values of the one usable record: the id (MTA-STS) or the report URIs (TLS-RPT).
    usable: Option<Vec<String>>,
}

/// What differs between MTA-STS and TLS-RPT records.
struct PolicyKind {
    label: &'static str,
    audit_name: &'static str,
    version: &'static str,
    rfc_section: &'static str,
    consequence: &'static str,
    syntax_rule: RuleId,
    multiple_rule: RuleId,
    is_candidate: fn(&[u8]) -> bool,
    parse: fn(&[u8]) -> Result<Vec<String>, RecordSyntaxError>,
}

const MTA_STS: PolicyKind = PolicyKind {
    label: "MTA-STS",
    audit_name: "MTA-STS audit",
    version: MTA_STS_VERSION,
    rfc_section: "8461 §3.1",
    consequence: "senders treat the domain as having no MTA-STS policy",
    syntax_rule: MTASTS_SYNTAX,
    multiple_rule: MTASTS_MULTIPLE_RECORDS,
    is_candidate: is_mta_sts_candidate,
    parse: |r| parse_mta_sts(r).map(|p| vec![p.id]),
};

const TLS_RPT: PolicyKind = PolicyKind {
    label: "TLS-RPT",
    audit_name: "TLS-RPT audit",
    version: TLS_RPT_VERSION,
    rfc_section: "8460 §3",
    consequence: "senders treat the domain as not wanting TLS reports",
    syntax_rule: TLSRPT_SYNTAX,
    multiple_rule: TLSRPT_MULTIPLE_RECORDS,
    is_candidate: is_tls_rpt_candidate,
    parse: |r| parse_tls_rpt(r).map(|p| p.rua),
};
