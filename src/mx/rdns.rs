//! Forward-confirmed reverse DNS of a sending IP: its PTR names, and whether one of them
//! resolves back to it (A for IPv4, AAAA for IPv6).

use crate::dns::rules::audit_inconclusive;
use crate::dns::{Answer, DnsFailure, Rdata, RecordType, Resolver, normalize_name};
use crate::mx::rules::{RDNS_MISMATCH, RDNS_MISSING};
use crate::rules::Rules;
use serde::Serialize;
use std::fmt::Write as _;
use std::net::IpAddr;

/// PTR names whose addresses are looked up. RFC 7208 §4.6.4 lets receivers stop after 10
/// PTR names; names after these are listed, not checked.
const MAX_PTR_NAMES_CHECKED: usize = 10;

/// The forward lookup of one PTR name.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ForwardLookup {
    pub name: String,
    /// The name's addresses of the IP's family (A for IPv4, AAAA for IPv6), sorted.
    pub addresses: Vec<IpAddr>,
    /// The lookup failed (see `dns/inconclusive`).
    pub failed: bool,
}

/// What the reverse-DNS audit measured.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RdnsFacts {
    /// The IP checked (an IPv4-mapped IPv6 address is checked as the IPv4 address).
    pub ip: IpAddr,
    /// The name queried for PTR records (`in-addr.arpa` or `ip6.arpa`).
    pub reverse_name: String,
    /// The PTR names, sorted.
    pub ptr_names: Vec<String>,
    /// The forward lookups of the first PTR names, in `ptr_names` order.
    pub forward: Vec<ForwardLookup>,
    /// Some PTR name resolves back to the IP.
    pub confirmed: bool,
    /// The first PTR name that does.
    pub confirmed_name: Option<String>,
    /// Some DNS query failed: see the `dns/inconclusive` findings.
    pub incomplete: bool,
}

/// What the reverse-DNS audit found.
pub type RdnsAudit = crate::finding::Audit<RdnsFacts>;

/// The name holding the PTR records of `ip`: `d.c.b.a.in-addr.arpa` for IPv4 (RFC 1035
/// §3.5), 32 reversed nibbles under `ip6.arpa` for IPv6 (RFC 3596 §2.5).
pub fn reverse_name(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, d] = v4.octets();
            format!("{d}.{c}.{b}.{a}.in-addr.arpa")
        }
        IpAddr::V6(v6) => {
            let mut name = String::with_capacity(72);
            for byte in v6.octets().iter().rev() {
                let _ = write!(name, "{:x}.{:x}.", byte & 0x0f, byte >> 4);
            }
            name.push_str("ip6.arpa");
            name
        }
    }
}

/// Check that `ip`, an IP that sends mail for `domain`, has forward-confirmed reverse DNS.
/// Findings are reported against `domain`.
pub async fn audit_reverse_dns(
    resolver: &Resolver,
    rules: &Rules,
    domain: &str,
    ip: IpAddr,
) -> RdnsAudit {
    let target = normalize_name(domain);
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    };
    let reverse = reverse_name(ip);
    let mut facts = RdnsFacts {
        ip,
        reverse_name: reverse.clone(),
        ptr_names: Vec::new(),
        forward: Vec::new(),
        confirmed: false,
        confirmed_name: None,
        incomplete: false,
    };
    let mut findings = Vec::new();
    let records = match resolver.lookup(&reverse, RecordType::Ptr).await {
        Answer::Records(records) => records,
        answer @ (Answer::NxDomain | Answer::NoData) => {
            let why = if answer == Answer::NxDomain {
                "NXDOMAIN"
            } else {
                "the name exists without PTR records"
            };
            findings.push(
                rules
                    .finding(
                        RDNS_MISSING,
                        &target,
                        format!("sending IP {ip} has no PTR record ({reverse}: {why})"),
                    )
                    .with_measured(ip.to_string()),
            );
            return RdnsAudit { facts, findings };
        }
        Answer::Failure(why) => {
            facts.incomplete = true;
            findings.push(audit_inconclusive(
                rules,
                &target,
                format!("PTR {reverse}"),
                &why,
                "reverse-DNS audit",
            ));
            return RdnsAudit { facts, findings };
        }
    };
    let mut names: Vec<String> = records
        .iter()
        .filter_map(|r| match r {
            Rdata::Ptr(name) => Some(normalize_name(name)),
            _ => None,
        })
        .collect();
    names.sort();
    names.dedup();
    facts.ptr_names = names;

    let rtype = if ip.is_ipv4() {
        RecordType::A
    } else {
        RecordType::Aaaa
    };
    let lookups = futures_util::future::join_all(
        facts
            .ptr_names
            .iter()
            .take(MAX_PTR_NAMES_CHECKED)
            .map(|name| forward_lookup(resolver, name, rtype)),
    )
    .await;
    let mut failures: Vec<(String, DnsFailure)> = Vec::new();
    for (lookup, failure) in lookups {
        if let Some(why) = failure {
            failures.push((format!("{rtype} {}", lookup.name), why));
        }
        if facts.confirmed_name.is_none() && lookup.addresses.contains(&ip) {
            facts.confirmed_name = Some(lookup.name.clone());
        }
        facts.forward.push(lookup);
    }
    facts.confirmed = facts.confirmed_name.is_some();
    if facts.confirmed {
        return RdnsAudit { facts, findings };
    }
    if !failures.is_empty() {
        // A name whose lookup failed might have confirmed the IP: no verdict.
        facts.incomplete = true;
        for (query, why) in failures {
            findings.push(audit_inconclusive(
                rules,
                &target,
                query,
                &why,
                "reverse-DNS audit",
            ));
        }
        return RdnsAudit { facts, findings };
    }
    let resolved: Vec<String> = facts
        .forward
        .iter()
        .map(|f| {
            let addresses = if f.addresses.is_empty() {
                format!("no {rtype} record")
            } else {
                f.addresses
                    .iter()
                    .map(IpAddr::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            format!("{} -> {addresses}", f.name)
        })
        .collect();
    let measured: serde_json::Map<String, serde_json::Value> = facts
        .forward
        .iter()
        .map(|f| {
            let addresses = f.addresses.iter().map(|a| a.to_string().into()).collect();
            (f.name.clone(), serde_json::Value::Array(addresses))
        })
        .collect();
    findings.push(
        rules
            .finding(
                RDNS_MISMATCH,
                &target,
                format!(
                    "no PTR name of sending IP {ip} resolves back to it ({})",
                    resolved.join("; ")
                ),
            )
            .with_record(facts.ptr_names.join(" | "))
            .with_measured(measured)
            .with_threshold(ip.to_string()),
    );
    RdnsAudit { facts, findings }
}

async fn forward_lookup(
    resolver: &Resolver,
    name: &str,
    rtype: RecordType,
) -> (ForwardLookup, Option<DnsFailure>) {
    let mut lookup = ForwardLookup {
        name: name.to_string(),
        addresses: Vec::new(),
        failed: false,
    };
    // A PTR to the root names no host: nothing to look up.
    if name.is_empty() {
        return (lookup, None);
    }
    match resolver.lookup(name, rtype).await {
        Answer::Records(records) => {
            lookup.addresses = records
                .iter()
                .filter_map(|r| match r {
                    Rdata::A(v4) if rtype == RecordType::A => Some(IpAddr::V4(*v4)),
                    Rdata::Aaaa(v6) if rtype == RecordType::Aaaa => Some(IpAddr::V6(*v6)),
                    _ => None,
                })
                .collect();
            lookup.addresses.sort_unstable();
            lookup.addresses.dedup();
            (lookup, None)
        }
        Answer::NxDomain | Answer::NoData => (lookup, None),
        Answer::Failure(why) => {
            lookup.failed = true;
            (lookup, Some(why))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reverse_names() {
        assert_eq!(
            reverse_name("192.0.2.25".parse().unwrap()),
            "25.2.0.192.in-addr.arpa"
        );
        assert_eq!(
            reverse_name("2001:db8::25".parse().unwrap()),
            "5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"
        );
    }
}
