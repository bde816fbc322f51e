//! The rules of src/mx (SPEC §4.4) on their fixtures: messages, severities, spans and facts;
//! DNS failures are dns/inconclusive, never "missing"; the live path through an in-process
//! DNS server gives the same facts and findings as the offline resolver. That every rule fires,
//! stays silent and matches its documented example is the family contract (contract.rs).

use crate::support;

use mailaudit::dns::{Resolver, ZoneSet};
use mailaudit::finding::{Finding, Location, Severity};
use mailaudit::mx::{Delivery, HostStatus, MxAudit, RdnsAudit, audit_mx, audit_reverse_dns};
use mailaudit::rules::Rules;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use support::block_on;

const ZONE: &str = "fixtures/zones/mx-rules.zone";

fn zone_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(ZONE)
}

fn zones() -> ZoneSet {
    ZoneSet::load_files(&[zone_path()]).expect("fixture zone loads")
}

fn rules() -> Rules {
    Rules::builtin().expect("builtin rules")
}

fn d(name: &str) -> String {
    format!("{name}.mx.fixtures.test")
}

fn mx_with(resolver: &Resolver, name: &str) -> MxAudit {
    block_on(audit_mx(resolver, &rules(), &d(name)))
}

fn mx(name: &str) -> MxAudit {
    mx_with(&Resolver::offline(zones()), name)
}

fn rdns_with(resolver: &Resolver, ip: &str) -> RdnsAudit {
    let ip: IpAddr = ip.parse().unwrap();
    block_on(audit_reverse_dns(resolver, &rules(), &d("good"), ip))
}

fn rdns(ip: &str) -> RdnsAudit {
    rdns_with(&Resolver::offline(zones()), ip)
}

fn ids(findings: &[Finding]) -> Vec<&str> {
    findings.iter().map(|f| f.rule.as_str()).collect()
}

fn only<'a>(findings: &'a [Finding], rule: &str) -> &'a Finding {
    assert_eq!(ids(findings), [rule], "{findings:#?}");
    &findings[0]
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

// ---------------------------------------------------------------------------------------------
// MX

#[test]
fn good_domain_is_silent_with_sorted_facts() {
    let a = mx("good");
    assert!(a.findings.is_empty(), "{:#?}", a.findings);
    let f = &a.facts;
    assert_eq!(f.delivery, Delivery::Mx);
    assert!(!f.null_mx && !f.incomplete);
    let hosts: Vec<(u16, &str, HostStatus)> = f
        .hosts
        .iter()
        .map(|h| (h.preference, h.host.as_str(), h.status))
        .collect();
    assert_eq!(
        hosts,
        [
            (10, "mx1.good.mx.fixtures.test", HostStatus::Resolved),
            (20, "mx2.good.mx.fixtures.test", HostStatus::Resolved),
        ]
    );
    assert_eq!(f.hosts[1].addresses, [ip("192.0.2.29"), ip("2001:db8::25")]);
    let sts = f.mta_sts.as_ref().expect("MTA-STS facts");
    assert!(sts.usable);
    assert_eq!(sts.id.as_deref(), Some("20240501T000000"));
    assert_eq!(
        sts.records,
        ["v=STSv1; id=20240501T000000"],
        "other TXT ignored"
    );
    let rpt = f.tls_rpt.as_ref().expect("TLS-RPT facts");
    assert!(rpt.usable);
    assert_eq!(
        rpt.rua,
        [
            "mailto:tlsrpt@good.mx.fixtures.test",
            "https://reports.good.mx.fixtures.test/tlsrpt"
        ],
        "the record's strings are joined without a separator"
    );
    let json = serde_json::to_value(f).unwrap();
    assert_eq!(json["delivery"], "mx");
    assert_eq!(json["hosts"][0]["status"], "resolved");
}

#[test]
fn missing_fires_without_mx_or_address() {
    let a = mx("missing");
    let f = only(&a.findings, "mx/missing");
    assert_eq!(f.severity, Severity::Error);
    assert!(
        f.message.contains("no MX record and no A or AAAA"),
        "{}",
        f.message
    );
    assert_eq!(a.facts.delivery, Delivery::None);
    assert!(a.facts.mta_sts.is_none() && a.facts.tls_rpt.is_none());

    let a = mx("nonexistent");
    let f = only(&a.findings, "mx/missing");
    assert!(f.message.contains("NXDOMAIN"), "{}", f.message);
    assert_eq!(f.target, d("nonexistent"));
}

#[test]
fn implicit_mx_warns_with_the_addresses() {
    let a = mx("implicit");
    let f = only(&a.findings, "mx/implicit-mx");
    assert_eq!(f.severity, Severity::Warning);
    assert!(
        f.message.contains("192.0.2.80, 2001:db8::80"),
        "{}",
        f.message
    );
    assert_eq!(a.facts.delivery, Delivery::Implicit);
    assert_eq!(
        a.facts.implicit_addresses,
        [ip("192.0.2.80"), ip("2001:db8::80")]
    );
    assert!(a.facts.hosts.is_empty());
}

#[test]
fn null_mx_fires_alone_and_mixed() {
    let a = mx("null");
    let f = only(&a.findings, "mx/null-mx");
    assert_eq!(f.severity, Severity::Error);
    assert!(f.message.contains("accepts no mail"), "{}", f.message);
    assert_eq!(f.evidence.record.as_deref(), Some("0 ."));
    assert!(a.facts.null_mx);
    assert_eq!(a.facts.delivery, Delivery::Null);
    assert_eq!(a.facts.hosts.len(), 1);
    assert_eq!(a.facts.hosts[0].host, ".");
    assert_eq!(a.facts.hosts[0].status, HostStatus::Null);

    let a = mx("null-mixed");
    let f = only(&a.findings, "mx/null-mx");
    assert!(f.message.contains("RFC 7505 §3 forbids"), "{}", f.message);
    assert_eq!(
        f.evidence.record.as_deref(),
        Some("0 . | 10 mx1.good.mx.fixtures.test")
    );
    assert_eq!(a.facts.delivery, Delivery::Mx);
    assert_eq!(a.facts.hosts[1].status, HostStatus::Resolved);
}

#[test]
fn host_unresolvable_warns_then_errors_when_no_host_resolves() {
    let a = mx("dangling");
    let f = only(&a.findings, "mx/host-unresolvable");
    assert_eq!(f.severity, Severity::Warning);
    assert!(
        f.message
            .contains("gone.dangling.mx.fixtures.test (preference 20)")
    );
    assert_eq!(a.facts.hosts[1].status, HostStatus::NoAddress);
    assert_eq!(a.facts.hosts[0].addresses, [ip("192.0.2.25")]);

    let a = mx("dangling-all");
    assert_eq!(
        ids(&a.findings),
        ["mx/host-unresolvable", "mx/host-unresolvable"]
    );
    for f in &a.findings {
        assert_eq!(f.severity, Severity::Error);
        assert!(f.message.contains("cannot be delivered"), "{}", f.message);
    }
}

#[test]
fn mta_sts_syntax_fires_with_the_span_of_the_fault() {
    let a = mx("sts-bad");
    let f = only(&a.findings, "mtasts/syntax");
    assert_eq!(f.severity, Severity::Error);
    assert!(f.message.contains("letters and digits"), "{}", f.message);
    assert_eq!(f.evidence.record.as_deref(), Some("v=STSv1; id=2024-05-01"));
    assert_eq!(
        f.location,
        Some(Location::RecordSpan {
            record: format!("_mta-sts.{}", d("sts-bad")),
            start: 16,
            end: 17,
        })
    );
    let sts = a.facts.mta_sts.as_ref().unwrap();
    assert!(!sts.usable && sts.id.is_none());
}

#[test]
fn mta_sts_blank_before_semicolon_is_a_warning() {
    let a = mx("sts-blank");
    let f = only(&a.findings, "mtasts/syntax");
    assert_eq!(f.severity, Severity::Warning);
    assert!(f.message.contains("v=STSv1;"), "{}", f.message);
    assert!(!a.facts.mta_sts.as_ref().unwrap().usable);
}

#[test]
fn mta_sts_multiple_records_fire() {
    let a = mx("sts-multi");
    let f = only(&a.findings, "mtasts/multiple-records");
    assert_eq!(f.severity, Severity::Error);
    assert!(f.message.contains("2 records"), "{}", f.message);
    assert_eq!(a.facts.mta_sts.as_ref().unwrap().records.len(), 2);
}

#[test]
fn tls_rpt_syntax_fires() {
    let a = mx("rpt-bad");
    let f = only(&a.findings, "tlsrpt/syntax");
    assert_eq!(f.severity, Severity::Error);
    assert!(f.message.contains("no scheme"), "{}", f.message);
    match &f.location {
        Some(Location::RecordSpan { record, start, end }) => {
            assert_eq!(record, &format!("_smtp._tls.{}", d("rpt-bad")));
            assert_eq!((*start, *end), (16, 47));
        }
        other => panic!("no span: {other:?}"),
    }
    assert!(!a.facts.tls_rpt.as_ref().unwrap().usable);
}

#[test]
fn tls_rpt_multiple_records_fire() {
    let a = mx("rpt-multi");
    let f = only(&a.findings, "tlsrpt/multiple-records");
    assert_eq!(f.severity, Severity::Error);
    assert!(a.facts.tls_rpt.as_ref().unwrap().rua.is_empty());
}

#[test]
fn dns_failures_are_inconclusive_never_missing() {
    // The MX query itself.
    let mut z = zones();
    z.insert_timeout(&d("missing"));
    let a = mx_with(&Resolver::offline(z), "missing");
    let f = only(&a.findings, "dns/inconclusive");
    assert!(
        f.message.contains("MX missing.mx.fixtures.test"),
        "{}",
        f.message
    );
    assert_eq!(a.facts.delivery, Delivery::Unknown);
    assert!(a.facts.incomplete);

    // An MX host's address queries.
    let mut z = zones();
    z.insert_timeout(&d("gone.dangling"));
    let a = mx_with(&Resolver::offline(z), "dangling");
    assert_eq!(
        ids(&a.findings),
        ["dns/inconclusive", "dns/inconclusive"],
        "{:#?}",
        a.findings
    );
    assert_eq!(a.facts.hosts[1].status, HostStatus::Failed);

    // The policy TXT records.
    let mut z = zones();
    z.insert_timeout(&format!("_mta-sts.{}", d("good")));
    z.insert_timeout(&format!("_smtp._tls.{}", d("good")));
    let a = mx_with(&Resolver::offline(z), "good");
    assert_eq!(ids(&a.findings), ["dns/inconclusive", "dns/inconclusive"]);
    assert!(a.facts.mta_sts.is_none() && a.facts.incomplete);
}

// ---------------------------------------------------------------------------------------------
// Reverse DNS

#[test]
fn forward_confirmed_reverse_dns_is_silent() {
    let a = rdns("192.0.2.25");
    assert!(a.findings.is_empty(), "{:#?}", a.findings);
    assert!(a.facts.confirmed);
    assert_eq!(a.facts.reverse_name, "25.2.0.192.in-addr.arpa");
    assert_eq!(a.facts.ptr_names, [d("mx1.good")]);
    assert_eq!(a.facts.forward[0].addresses, [ip("192.0.2.25")]);

    // Two PTR names, one of which confirms.
    let a = rdns("192.0.2.29");
    assert!(a.findings.is_empty(), "{:#?}", a.findings);
    assert_eq!(a.facts.ptr_names, [d("mx2.good"), d("other")]);
    assert_eq!(a.facts.confirmed_name, Some(d("mx2.good")));

    // IPv6, through AAAA.
    let a = rdns("2001:db8::25");
    assert!(a.findings.is_empty(), "{:#?}", a.findings);
    assert!(a.facts.confirmed);
    assert_eq!(a.facts.forward[0].addresses, [ip("2001:db8::25")]);

    // An IPv4-mapped IPv6 address is the IPv4 address.
    let a = rdns("::ffff:192.0.2.25");
    assert!(a.findings.is_empty(), "{:#?}", a.findings);
    assert_eq!(a.facts.ip, ip("192.0.2.25"));
}

#[test]
fn rdns_missing_fires_without_ptr() {
    for (addr, why) in [
        ("192.0.2.26", "NXDOMAIN"),
        ("192.0.2.30", "without PTR"),
        ("2001:db8::26", "NXDOMAIN"),
    ] {
        let a = rdns(addr);
        let f = only(&a.findings, "rdns/missing");
        assert_eq!(f.severity, Severity::Error);
        assert_eq!(f.target, d("good"));
        assert!(
            f.message.contains(addr) && f.message.contains(why),
            "{}",
            f.message
        );
        assert!(!a.facts.confirmed && a.facts.ptr_names.is_empty());
    }
}

#[test]
fn rdns_mismatch_fires_when_no_name_points_back() {
    let a = rdns("192.0.2.27");
    let f = only(&a.findings, "rdns/mismatch");
    assert_eq!(f.severity, Severity::Error);
    assert!(
        f.message.contains("wrong.mx.fixtures.test -> 192.0.2.99"),
        "{}",
        f.message
    );
    assert_eq!(
        f.evidence.measured,
        Some(serde_json::json!({ "wrong.mx.fixtures.test": ["192.0.2.99"] }))
    );

    let a = rdns("192.0.2.28");
    let f = only(&a.findings, "rdns/mismatch");
    assert!(
        f.message
            .contains("nowhere.mx.fixtures.test -> no A record")
    );

    // The IPv6 address's name has only an A record.
    let a = rdns("2001:db8::41");
    let f = only(&a.findings, "rdns/mismatch");
    assert!(f.message.contains("no AAAA record"), "{}", f.message);
    assert!(!a.facts.confirmed);
}

#[test]
fn rdns_failures_are_inconclusive() {
    let mut z = zones();
    z.insert_timeout("25.2.0.192.in-addr.arpa");
    let a = rdns_with(&Resolver::offline(z), "192.0.2.25");
    let f = only(&a.findings, "dns/inconclusive");
    assert!(
        f.message.contains("PTR 25.2.0.192.in-addr.arpa"),
        "{}",
        f.message
    );
    assert!(a.facts.incomplete && !a.facts.confirmed);

    let mut z = zones();
    z.insert_timeout(&d("wrong"));
    let a = rdns_with(&Resolver::offline(z), "192.0.2.27");
    let f = only(&a.findings, "dns/inconclusive");
    assert!(
        f.message.contains("A wrong.mx.fixtures.test"),
        "{}",
        f.message
    );

    // A failed lookup of one name does not matter when another name confirms.
    let mut z = zones();
    z.insert_timeout(&d("other"));
    let a = rdns_with(&Resolver::offline(z), "192.0.2.29");
    assert!(a.findings.is_empty(), "{:#?}", a.findings);
    assert!(a.facts.forward[1].failed);
}

// ---------------------------------------------------------------------------------------------
// Registry and live path

const DOMAINS: &[&str] = &[
    "good",
    "missing",
    "nonexistent",
    "implicit",
    "null",
    "null-mixed",
    "dangling",
    "dangling-all",
    "sts-bad",
    "sts-blank",
    "sts-multi",
    "rpt-bad",
    "rpt-multi",
];

const IPS: &[&str] = &[
    "192.0.2.25",
    "192.0.2.26",
    "192.0.2.27",
    "192.0.2.28",
    "192.0.2.29",
    "192.0.2.30",
    "2001:db8::25",
    "2001:db8::26",
    "2001:db8::41",
    "::ffff:192.0.2.25",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_path_gives_the_same_facts_and_findings() {
    let path = zone_path();
    let server = support::dns_server::start(&[Path::new(&path)]).await;
    let live = Resolver::live(server.live_config()).expect("live resolver");
    let offline = Resolver::offline(zones());
    let rules = rules();
    for name in DOMAINS {
        let domain = d(name);
        let want = audit_mx(&offline, &rules, &domain).await;
        let got = audit_mx(&live, &rules, &domain).await;
        assert_eq!(got.facts, want.facts, "{domain}");
        assert_eq!(got.findings, want.findings, "{domain}");
    }
    for addr in IPS {
        let ip: IpAddr = addr.parse().unwrap();
        let want = audit_reverse_dns(&offline, &rules, &d("good"), ip).await;
        let got = audit_reverse_dns(&live, &rules, &d("good"), ip).await;
        assert_eq!(got.facts, want.facts, "{addr}");
        assert_eq!(got.findings, want.findings, "{addr}");
    }

    // SERVFAIL on the live path is dns/inconclusive, as a timeout is offline.
    server.servfail(&d("implicit"));
    server.servfail("28.2.0.192.in-addr.arpa");
    let fresh = Resolver::live(server.live_config()).expect("live resolver");
    let a = audit_mx(&fresh, &rules, &d("implicit")).await;
    assert_eq!(ids(&a.findings), ["dns/inconclusive"], "{:#?}", a.findings);
    assert!(a.findings[0].message.contains("SERVFAIL"));
    let a = audit_reverse_dns(&fresh, &rules, &d("good"), ip("192.0.2.28")).await;
    assert_eq!(ids(&a.findings), ["dns/inconclusive"], "{:#?}", a.findings);
}
