//! Every SPF rule of SPEC §4.1 fires on its fixture domain and stays silent on a correct one.

use mailaudit::dns::{Rdata, Resolver, ZoneSet};
use mailaudit::finding::{Finding, Location, Severity};
use mailaudit::rules::Rules;
use mailaudit::spf::audit::{SpfAudit, audit_spf};
use std::path::PathBuf;

fn fixture_resolver() -> Resolver {
    let zone = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/zones/spf-rules.zone");
    Resolver::offline(ZoneSet::load_files(&[zone]).expect("fixture zone loads"))
}

fn audit(domain: &str) -> SpfAudit {
    audit_with(&fixture_resolver(), domain)
}

fn audit_with(resolver: &Resolver, domain: &str) -> SpfAudit {
    let rules = Rules::builtin().expect("builtin rules");
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(audit_spf(resolver, &rules, domain))
}

fn fired<'a>(audit: &'a SpfAudit, rule: &str) -> Vec<&'a Finding> {
    audit.findings.iter().filter(|f| f.rule == rule).collect()
}

fn rules_fired(audit: &SpfAudit) -> Vec<&str> {
    audit.findings.iter().map(|f| f.rule.as_str()).collect()
}

#[test]
fn correct_record_is_silent_on_every_rule() {
    let a = audit("good.fixtures.test");
    assert!(
        a.findings.is_empty(),
        "unexpected findings: {:#?}",
        a.findings
    );
    assert_eq!(a.facts.lookup_count, 2, "include + mx");
    assert_eq!(a.facts.void_lookup_count, 0);
    assert_eq!(a.facts.all.as_deref(), Some("-"));
    assert_eq!(a.facts.tree.len(), 2);
    assert_eq!(
        a.facts.record.as_deref(),
        Some("v=spf1 ip4:192.0.2.0/24 include:_spf.provider.fixtures.test mx -all"),
        "strings are joined without a separator"
    );
}

#[test]
fn missing_fires_on_a_domain_without_spf() {
    let a = audit("missing.fixtures.test");
    assert_eq!(rules_fired(&a), ["spf/missing"]);
    assert_eq!(fired(&a, "spf/missing")[0].severity, Severity::Error);
    let a = audit("nonexistent.fixtures.test");
    assert_eq!(rules_fired(&a), ["spf/missing"]);
}

#[test]
fn multiple_records_fire() {
    let a = audit("multiple.fixtures.test");
    assert_eq!(rules_fired(&a), ["spf/multiple-records"]);
    assert!(
        fired(&a, "spf/multiple-records")[0]
            .message
            .contains("2 v=spf1 records")
    );
}

#[test]
fn syntax_fires_with_the_byte_span_of_the_bad_term() {
    let a = audit("syntax.fixtures.test");
    let f = fired(&a, "spf/syntax");
    assert_eq!(f.len(), 1, "{:#?}", a.findings);
    match &f[0].location {
        Some(Location::RecordSpan { record, start, end }) => {
            assert_eq!(record, "syntax.fixtures.test");
            let text = "v=spf1 ip4:192.0.2.300 -all";
            assert!(
                text[*start..*end].contains("192.0.2.300"),
                "span {start}..{end}"
            );
        }
        other => panic!("expected a record span, got {other:?}"),
    }
    // The error is found in an included record too, and named there.
    let a = audit("syntax-include.fixtures.test");
    let f = fired(&a, "spf/syntax");
    assert_eq!(f.len(), 1, "{:#?}", a.findings);
    assert!(f[0].message.contains("broken.syntax-include.fixtures.test"));
    let a = audit("good.fixtures.test");
    assert!(fired(&a, "spf/syntax").is_empty());
}

#[test]
fn lookup_limit_counts_the_whole_tree() {
    let a = audit("lookup-limit.fixtures.test");
    assert_eq!(a.facts.lookup_count, 12);
    let f = fired(&a, "spf/lookup-limit");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].severity, Severity::Error);
    assert_eq!(f[0].evidence.measured, Some(12.into()));

    let a = audit("lookup-warn.fixtures.test");
    assert_eq!(a.facts.lookup_count, 9);
    let f = fired(&a, "spf/lookup-limit");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].severity, Severity::Warning);
    assert!(fired(&audit("good.fixtures.test"), "spf/lookup-limit").is_empty());
}

#[test]
fn void_lookup_limit_fires_past_two() {
    let a = audit("void.fixtures.test");
    assert_eq!(a.facts.void_lookup_count, 3);
    assert_eq!(rules_fired(&a), ["spf/void-lookup-limit"]);
}

#[test]
fn mx_limit_fires_past_ten_hosts() {
    let a = audit("mx-limit.fixtures.test");
    let f = fired(&a, "spf/mx-limit");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].evidence.measured, Some(12.into()));
    // The MX host lookups are not SPF lookups: only `mx` itself counts.
    assert_eq!(a.facts.lookup_count, 1);
    assert!(fired(&audit("good.fixtures.test"), "spf/mx-limit").is_empty());
}

#[test]
fn include_loop_fires_and_terminates() {
    let a = audit("loop-a.fixtures.test");
    let f = fired(&a, "spf/include-loop");
    assert_eq!(f.len(), 1);
    assert_eq!(
        f[0].evidence.chain,
        [
            "loop-a.fixtures.test",
            "loop-b.fixtures.test",
            "loop-a.fixtures.test"
        ]
    );
    assert!(fired(&audit("good.fixtures.test"), "spf/include-loop").is_empty());
}

#[test]
fn include_missing_fires_for_include_and_redirect() {
    let a = audit("include-missing.fixtures.test");
    assert_eq!(rules_fired(&a), ["spf/include-missing"]);
    let a = audit("redirect-missing.fixtures.test");
    assert!(
        rules_fired(&a).contains(&"spf/include-missing"),
        "{:#?}",
        a.findings
    );
    assert!(fired(&audit("good.fixtures.test"), "spf/include-missing").is_empty());
}

#[test]
fn permissive_all_grades_plus_neutral_and_missing_all() {
    let a = audit("plus-all.fixtures.test");
    let f = fired(&a, "spf/permissive-all");
    assert_eq!((f.len(), f[0].severity), (1, Severity::Error));
    for domain in ["neutral-all.fixtures.test", "no-all.fixtures.test"] {
        let a = audit(domain);
        let f = fired(&a, "spf/permissive-all");
        assert_eq!((f.len(), f[0].severity), (1, Severity::Warning), "{domain}");
    }
    // A redirect hands the policy to its target, whose ~all is fine.
    let a = audit("redirect-ok.fixtures.test");
    assert!(a.findings.is_empty(), "{:#?}", a.findings);
    assert_eq!(a.facts.all.as_deref(), Some("~"));
}

#[test]
fn ptr_mechanism_warns() {
    let a = audit("ptr.fixtures.test");
    assert_eq!(rules_fired(&a), ["spf/ptr-mechanism"]);
    assert!(fired(&audit("good.fixtures.test"), "spf/ptr-mechanism").is_empty());
}

#[test]
fn record_size_fires_over_450_octets() {
    let a = audit("record-size.fixtures.test");
    let f = fired(&a, "spf/record-size");
    assert_eq!(f.len(), 1, "{:#?}", a.findings);
    // RFC 7208 §3.4 sizes the answer: the name (25 octets) plus the record (581 octets).
    assert_eq!(f[0].evidence.measured, Some(606.into()));
    assert!(fired(&audit("good.fixtures.test"), "spf/record-size").is_empty());
}

#[test]
fn record_size_counts_every_txt_record_at_the_name() {
    let mut zones = ZoneSet::new();
    let first = format!("v=spf1 {}", "ip4:192.0.2.1 ".repeat(15));
    let second = format!("{}-all", "ip4:192.0.2.2 ".repeat(10));
    assert!(first.len() + second.len() < 450);
    zones.insert(
        "busy.test",
        Rdata::Txt(vec![first.into_bytes(), second.into_bytes()]),
    );
    zones.insert(
        "busy.test",
        Rdata::Txt(vec![
            format!("site-verification={}", "a".repeat(80)).into_bytes(),
        ]),
    );
    let a = audit_with(&Resolver::offline(zones), "busy.test");
    let f = fired(&a, "spf/record-size");
    assert_eq!(f.len(), 1, "{:#?}", a.findings);
    assert!(
        f[0].message.contains("other TXT records"),
        "{}",
        f[0].message
    );
}

#[test]
fn record_size_fires_on_an_unsplit_string_over_255_octets() {
    let mut zones = ZoneSet::new();
    let long = format!("v=spf1 {}-all", "ip4:192.0.2.1 ".repeat(20));
    assert!(long.len() > 255);
    zones.insert("long.test", Rdata::Txt(vec![long.into_bytes()]));
    let a = audit_with(&Resolver::offline(zones), "long.test");
    let f = fired(&a, "spf/record-size");
    assert_eq!(f.len(), 1, "{:#?}", a.findings);
    assert!(f[0].message.contains("must be split"));
}

#[test]
fn deprecated_rr_is_reported_as_info() {
    let a = audit("deprecated.fixtures.test");
    assert_eq!(rules_fired(&a), ["spf/deprecated-rr"]);
    assert_eq!(a.findings[0].severity, Severity::Info);
    assert!(fired(&audit("good.fixtures.test"), "spf/deprecated-rr").is_empty());
}

#[test]
fn redirect_ignored_next_to_all() {
    let a = audit("redirect-ignored.fixtures.test");
    assert_eq!(rules_fired(&a), ["spf/redirect-ignored"]);
    // The ignored redirect is not followed, so it costs no lookup.
    assert_eq!(a.facts.lookup_count, 0);
}

#[test]
fn a_timeout_is_inconclusive_never_missing() {
    let mut zones = ZoneSet::new();
    zones.insert_timeout("slow.test");
    zones.insert(
        "inc.test",
        Rdata::Txt(vec![b"v=spf1 include:slow.test -all".to_vec()]),
    );
    let resolver = Resolver::offline(zones);
    let a = audit_with(&resolver, "slow.test");
    assert_eq!(rules_fired(&a), ["dns/inconclusive"]);
    let a = audit_with(&resolver, "inc.test");
    assert_eq!(rules_fired(&a), ["dns/inconclusive"]);
    assert!(a.facts.incomplete);
}

#[test]
fn thousands_of_includes_end_quickly() {
    let mut zones = ZoneSet::new();
    let includes: String = (0..2000).map(|i| format!("include:n{i}.test ")).collect();
    zones.insert(
        "wide.test",
        Rdata::Txt(vec![format!("v=spf1 {includes}-all").into_bytes()]),
    );
    for i in 0..2000 {
        let next: String = (0..3)
            .map(|j| format!("include:n{}.test ", (i * 3 + j) % 2000))
            .collect();
        zones.insert(
            &format!("n{i}.test"),
            Rdata::Txt(vec![format!("v=spf1 {next}-all").into_bytes()]),
        );
    }
    let a = audit_with(&Resolver::offline(zones), "wide.test");
    assert!(rules_fired(&a).contains(&"spf/lookup-limit"));
    assert!(a.facts.incomplete);
}
