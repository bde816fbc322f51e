//! The rules of src/dmarc (SPEC §4.3) on their fixtures: messages, severities, spans and facts;
//! DNS failures are dns/inconclusive, never "missing"; the live path through an in-process DNS
//! server gives the same facts and findings as the offline resolver. That every rule fires,
//! stays silent and matches its documented example is the family contract (contract.rs).

use crate::support;

use mailaudit::dmarc::{Alignment, DmarcAudit, Outcome, Policy, audit_dmarc};
use mailaudit::dns::{Resolver, ZoneSet};
use mailaudit::finding::{Finding, Location, Severity};
use mailaudit::rules::Rules;
use std::path::{Path, PathBuf};
use support::block_on;

const ZONE: &str = "fixtures/zones/dmarc-rules.zone";

fn zone_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(ZONE)
}

/// The DMARC fixture zone, and the SPF fixture zone that holds fixtures.test (the
/// organizational domain of every name under dmarc.fixtures.test).
fn zone_paths() -> Vec<PathBuf> {
    vec![
        zone_path(),
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/zones/spf-rules.zone"),
    ]
}

fn zones() -> ZoneSet {
    ZoneSet::load_files(&zone_paths()).expect("fixture zones load")
}

fn rules() -> Rules {
    Rules::builtin().expect("builtin rules")
}

fn d(name: &str) -> String {
    format!("{name}.dmarc.fixtures.test")
}

fn dmarc_with(resolver: &Resolver, domain: &str) -> DmarcAudit {
    block_on(audit_dmarc(resolver, &rules(), domain))
}

fn dmarc(name: &str) -> DmarcAudit {
    dmarc_with(&Resolver::offline(zones()), &d(name))
}

fn ids(findings: &[Finding]) -> Vec<&str> {
    findings.iter().map(|f| f.rule.as_str()).collect()
}

/// Whether `f` is the organizational-domain split every fixture with its own record has: an
/// RFC 9989 receiver's tree walk makes X.dmarc.fixtures.test its own organizational domain,
/// the Public Suffix List makes it fixtures.test (issue 13: a different organizational domain
/// is a disagreement). Asserted on its own in `a_subdomain_with_its_own_record_is_its_own_rfc9989_organizational_domain`.
fn is_org_split(f: &Finding) -> bool {
    f.rule.as_str() == "dmarc/receivers-disagree"
        && f.message.contains("both apply")
        && f.message
            .contains("for RFC 9989 (DNS tree walk) and fixtures.test for RFC 7489")
}

/// The findings besides the organizational-domain split.
fn besides_org_split(findings: &[Finding]) -> Vec<&Finding> {
    findings.iter().filter(|f| !is_org_split(f)).collect()
}

fn only<'a>(findings: &'a [Finding], rule: &str) -> &'a Finding {
    let rest = besides_org_split(findings);
    let rest_ids: Vec<&str> = rest.iter().map(|f| f.rule.as_str()).collect();
    assert_eq!(rest_ids, [rule], "{findings:#?}");
    rest[0]
}

#[test]
fn good_domain_is_silent_with_facts() {
    let a = dmarc("good");
    assert!(
        besides_org_split(&a.findings).is_empty(),
        "{:#?}",
        a.findings
    );
    let f = &a.facts;
    assert_eq!(
        f.location.as_deref(),
        Some("_dmarc.good.dmarc.fixtures.test")
    );
    assert_eq!(f.source_domain.as_deref(), Some("good.dmarc.fixtures.test"));
    assert_eq!(f.organizational_domain.as_deref(), Some("fixtures.test"));
    assert!(!f.inherited && !f.incomplete);
    assert_eq!(f.rfc7489, Some(Outcome::Valid));
    assert_eq!(f.policy, Some(Policy::Reject));
    assert_eq!(
        (f.p, f.sp, f.np),
        (
            Some(Policy::Reject),
            Some(Policy::Reject),
            Some(Policy::Reject)
        )
    );
    assert_eq!(f.pct, Some(100));
    assert_eq!(
        (f.adkim, f.aspf),
        (Some(Alignment::Strict), Some(Alignment::Relaxed))
    );
    assert_eq!(
        f.rua,
        [
            "mailto:dmarc@good.dmarc.fixtures.test",
            "mailto:rua@wild.dmarc-reports.example"
        ],
        "the record's strings are joined without a separator"
    );
    assert_eq!(f.ruf, ["mailto:ruf@auth.dmarc-reports.example"]);
    assert_eq!(
        f.authorized_destinations,
        ["auth.dmarc-reports.example", "wild.dmarc-reports.example"]
    );
    assert!(f.unauthorized_destinations.is_empty());
    let json = serde_json::to_value(f).unwrap();
    assert_eq!(json["policy"], "reject");
    assert_eq!(json["rfc7489"], "valid");
    assert_eq!(json["adkim"], "strict");
}

#[test]
fn a_subdomain_with_its_own_record_is_its_own_rfc9989_organizational_domain() {
    // good.dmarc.fixtures.test publishes p=reject and nothing above it does: the RFC 9989
    // tree walk makes it its own organizational domain (§4.10.2), the PSL says fixtures.test.
    // Both apply its record, but relaxed alignment with a sibling differs: one warning.
    let a = dmarc("good");
    let split: Vec<&Finding> = a.findings.iter().filter(|f| is_org_split(f)).collect();
    assert_eq!(
        ids(&a.findings),
        ["dmarc/receivers-disagree"],
        "{:#?}",
        a.findings
    );
    assert_eq!(split.len(), 1);
    let f = split[0];
    assert_eq!(f.severity, Severity::Warning);
    assert!(
        f.message.contains(
            "its organizational domain is good.dmarc.fixtures.test for RFC 9989 (DNS tree walk) and fixtures.test for RFC 7489"
        ),
        "{}",
        f.message
    );
    // Without any policy there is nothing to align, so no split: dmarc/missing alone.
    let a = dmarc("missing");
    assert_eq!(ids(&a.findings), ["dmarc/missing"], "{:#?}", a.findings);
}

#[test]
fn a_cname_at_dmarc_is_followed() {
    let a = dmarc("hosted");
    assert!(
        besides_org_split(&a.findings).is_empty(),
        "{:#?}",
        a.findings
    );
    assert_eq!(a.facts.policy, Some(Policy::Reject));
    assert_eq!(
        a.facts.location.as_deref(),
        Some("_dmarc.hosted.dmarc.fixtures.test")
    );
}

#[test]
fn missing_fires_and_names_what_it_found() {
    let a = dmarc("missing");
    let f = only(&a.findings, "dmarc/missing");
    assert_eq!(f.severity, Severity::Error);
    assert!(
        f.message.contains("_dmarc.missing.dmarc.fixtures.test")
            && f.message.contains("_dmarc.fixtures.test"),
        "{}",
        f.message
    );
    assert!(a.facts.record.is_none() && a.facts.policy.is_none());

    let a = dmarc("apex");
    let f = only(&a.findings, "dmarc/missing");
    assert!(f.message.contains("itself"), "{}", f.message);
    assert_eq!(
        f.evidence.record.as_deref(),
        Some("v=DMARC1; p=reject; rua=mailto:dmarc@good.dmarc.fixtures.test")
    );

    let a = dmarc("nonexistent");
    let f = only(&a.findings, "dmarc/missing");
    assert!(f.message.contains("NXDOMAIN"), "{}", f.message);
}

#[test]
fn multiple_records_fire_and_end_discovery() {
    let a = dmarc("multi");
    let f = only(&a.findings, "dmarc/multiple-records");
    assert_eq!(f.severity, Severity::Error);
    assert!(f.message.contains("2 records"), "{}", f.message);
    assert_eq!(f.evidence.measured, Some(serde_json::json!(2)));
    assert!(a.facts.policy.is_none() && a.facts.location.is_none());
}

#[test]
fn syntax_fires_with_the_span_and_the_readings() {
    let a = dmarc("syntax");
    let f = only(&a.findings, "dmarc/syntax");
    assert_eq!(f.severity, Severity::Error);
    assert!(f.message.contains("p=rejected"), "{}", f.message);
    assert!(f.message.contains("p=none"), "{}", f.message);
    assert_eq!(
        f.location,
        Some(Location::RecordSpan {
            record: format!("_dmarc.{}", d("syntax")),
            start: 10,
            end: 20,
        })
    );
    assert_eq!(
        f.evidence.measured,
        Some(
            serde_json::json!({"rfc7489": "fallback-none", "dmarcbis": "fallback-none", "lenient": "fallback-none"})
        )
    );
    assert_eq!(a.facts.policy, Some(Policy::None));
    assert_eq!(a.facts.rfc7489, Some(Outcome::FallbackNone));

    // A record receivers discard: its version problem, and no dmarc/missing beside it.
    let a = dmarc("version");
    let f = only(&a.findings, "dmarc/syntax");
    assert!(
        f.message.contains("some receivers accept it"),
        "{}",
        f.message
    );
    assert!(a.facts.policy.is_none());
}

#[test]
fn policy_none_fires() {
    let a = dmarc("none");
    let f = only(&a.findings, "dmarc/policy-none");
    assert_eq!(f.severity, Severity::Warning);
    assert_eq!(
        f.location,
        Some(Location::RecordSpan {
            record: format!("_dmarc.{}", d("none")),
            start: 10,
            end: 16,
        })
    );
}

#[test]
fn subdomain_weaker_fires() {
    let a = dmarc("weak");
    let f = only(&a.findings, "dmarc/subdomain-weaker");
    assert_eq!(f.severity, Severity::Warning);
    assert!(f.message.contains("sp=none"), "{}", f.message);
    assert_eq!(a.facts.sp, Some(Policy::None));
}

#[test]
fn pct_partial_fires_and_notes_dmarcbis() {
    let a = dmarc("pct");
    let f = only(&a.findings, "dmarc/pct-partial");
    assert_eq!(f.severity, Severity::Warning);
    assert!(f.message.contains("only 20%") && f.message.contains("DMARCbis"));
    assert_eq!(a.facts.pct, Some(20));
    assert!(a.facts.dmarcbis_notes.iter().any(|n| n.contains("pct")));
}

#[test]
fn no_reports_fires() {
    let a = dmarc("noreports");
    let f = only(&a.findings, "dmarc/no-reports");
    assert_eq!(f.severity, Severity::Warning);
    assert!(a.facts.rua.is_empty());
}

#[test]
fn report_unauthorized_fires_for_an_external_destination() {
    let a = dmarc("unauth");
    let f = only(&a.findings, "dmarc/report-unauthorized");
    assert_eq!(f.severity, Severity::Error);
    assert!(
        f.message
            .contains("unauth.dmarc.fixtures.test._report._dmarc.other.dmarc-reports.example"),
        "{}",
        f.message
    );
    assert_eq!(
        a.facts.unauthorized_destinations,
        ["other.dmarc-reports.example"]
    );
}

#[test]
fn report_undeliverable_fires_for_a_domain_without_mail() {
    let a = dmarc("undeliverable");
    let f = only(&a.findings, "dmarc/report-undeliverable");
    assert_eq!(f.severity, Severity::Warning);
    assert!(f.message.contains("does not exist"), "{}", f.message);
}

#[test]
fn inherited_fires_when_the_org_domain_has_the_record() {
    let resolver = Resolver::offline(zones());
    let a = dmarc_with(&resolver, "mail.dmarc-org.example");
    let f = only(&a.findings, "dmarc/inherited");
    assert_eq!(f.severity, Severity::Info);
    assert!(a.facts.inherited);
    assert_eq!(
        a.facts.location.as_deref(),
        Some("_dmarc.dmarc-org.example")
    );
    assert_eq!(a.facts.source_domain.as_deref(), Some("dmarc-org.example"));
    assert_eq!(a.facts.policy, Some(Policy::Reject));
    // The organizational domain itself is silent: its record is its own.
    let a = dmarc_with(&resolver, "dmarc-org.example");
    assert!(a.findings.is_empty(), "{:#?}", a.findings);
}

#[test]
fn dns_failures_are_inconclusive_never_missing() {
    // The domain's own _dmarc query: no fallback, no dmarc/missing.
    let mut z = zones();
    z.insert_timeout(&format!("_dmarc.{}", d("missing")));
    let a = dmarc_with(&Resolver::offline(z), &d("missing"));
    let f = only(&a.findings, "dns/inconclusive");
    assert!(
        f.message.contains("TXT _dmarc.missing.dmarc.fixtures.test"),
        "{}",
        f.message
    );
    assert!(a.facts.incomplete);

    // The organizational domain's query.
    let mut z = zones();
    z.insert_timeout("_dmarc.fixtures.test");
    let a = dmarc_with(&Resolver::offline(z), &d("missing"));
    only(&a.findings, "dns/inconclusive");

    // The authorization query of an external destination.
    let mut z = zones();
    z.insert_timeout("unauth.dmarc.fixtures.test._report._dmarc.other.dmarc-reports.example");
    let a = dmarc_with(&Resolver::offline(z), &d("unauth"));
    only(&a.findings, "dns/inconclusive");

    // The MX query of a report domain.
    let mut z = zones();
    z.insert_timeout("gone.dmarc.fixtures.test");
    let a = dmarc_with(&Resolver::offline(z), &d("undeliverable"));
    only(&a.findings, "dns/inconclusive");
}

// ---------------------------------------------------------------------------------------------
// Registry and live path

const DOMAINS: &[&str] = &[
    "good",
    "hosted",
    "missing",
    "apex",
    "nonexistent",
    "multi",
    "syntax",
    "version",
    "none",
    "weak",
    "pct",
    "noreports",
    "unauth",
    "undeliverable",
];

fn all_domains() -> Vec<String> {
    let mut all: Vec<String> = DOMAINS.iter().map(|n| d(n)).collect();
    all.push("mail.dmarc-org.example".into());
    all.push("dmarc-org.example".into());
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_path_gives_the_same_facts_and_findings() {
    let paths = zone_paths();
    let refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
    let server = support::dns_server::start(&refs).await;
    let live = Resolver::live(server.live_config()).expect("live resolver");
    let offline = Resolver::offline(zones());
    let rules = rules();
    for domain in all_domains() {
        let want = audit_dmarc(&offline, &rules, &domain).await;
        let got = audit_dmarc(&live, &rules, &domain).await;
        assert_eq!(got.facts, want.facts, "{domain}");
        assert_eq!(got.findings, want.findings, "{domain}");
    }

    // SERVFAIL on the live path is dns/inconclusive, as a timeout is offline.
    server.servfail(&format!("_dmarc.{}", d("none")));
    let fresh = Resolver::live(server.live_config()).expect("live resolver");
    let a = audit_dmarc(&fresh, &rules, &d("none")).await;
    assert_eq!(ids(&a.findings), ["dns/inconclusive"], "{:#?}", a.findings);
    assert!(a.findings[0].message.contains("SERVFAIL"));
}
