//! Every DKIM key-record rule fires on its fixture selector and stays silent on a correct one
//! (`fixtures/zones/dkim-rules.zone`).

use mailaudit::dkim::rules::KEY_RULES as RULES;
use mailaudit::dkim::{DkimAudit, audit_dkim};
use mailaudit::dns::{Resolver, ZoneSet};
use mailaudit::finding::{Finding, Location, Severity};
use mailaudit::rules::Rules;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::OnceLock;

const ORIGIN: &str = "dkim.fixtures.test";

fn zones() -> ZoneSet {
    let zone = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/zones/dkim-rules.zone");
    let mut zones = ZoneSet::load_files(&[zone]).expect("fixture zone loads");
    // A zone file cannot say "this name times out".
    zones.insert_timeout(&format!("s1._domainkey.timeout.{ORIGIN}"));
    zones.insert_timeout(&format!("google._domainkey.probe-timeout.{ORIGIN}"));
    zones
}

fn resolver() -> Resolver {
    Resolver::offline(zones())
}

fn rules() -> &'static Rules {
    static RULES: OnceLock<Rules> = OnceLock::new();
    RULES.get_or_init(|| Rules::builtin().expect("builtin rules"))
}

fn d(label: &str) -> String {
    format!("{label}.{ORIGIN}")
}

/// The DNS name of `selector` at fixture domain `label`.
fn name(selector: &str, label: &str) -> String {
    format!("{selector}._domainkey.{label}.{ORIGIN}")
}

fn run(resolver: &Resolver, label: &str, selectors: &[&str]) -> DkimAudit {
    let selectors: Vec<String> = selectors.iter().map(|s| s.to_string()).collect();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(audit_dkim(resolver, rules(), &d(label), &selectors))
}

fn audit(label: &str, selectors: &[&str]) -> DkimAudit {
    run(&resolver(), label, selectors)
}

fn fired<'a>(audit: &'a DkimAudit, rule: &str) -> Vec<&'a Finding> {
    audit.findings.iter().filter(|f| f.rule == rule).collect()
}

fn rules_fired(audit: &DkimAudit) -> Vec<&str> {
    audit.findings.iter().map(|f| f.rule.as_str()).collect()
}

/// The findings about one selector name.
fn about<'a>(audit: &'a DkimAudit, dns_name: &str) -> Vec<&'a str> {
    audit
        .findings
        .iter()
        .filter(|f| f.evidence.chain == [dns_name.to_string()])
        .map(|f| f.rule.as_str())
        .collect()
}

/// The text of the record a finding points into, at its span.
fn pointed_at<'a>(finding: &Finding, record: &'a str) -> &'a str {
    match &finding.location {
        Some(Location::RecordSpan {
            record: _,
            start,
            end,
        }) => &record[*start..*end],
        other => panic!("no record span: {other:?}"),
    }
}

#[test]
fn correct_keys_are_silent_on_every_rule() {
    let a = audit("good", &["s1", "ed", "selector1"]);
    assert!(a.findings.is_empty(), "{:#?}", a.findings);
    assert!(!a.facts.probed);
    let facts: Vec<(&str, Option<&str>, Option<u32>)> = a
        .facts
        .selectors
        .iter()
        .map(|s| (s.selector.as_str(), s.key_type.as_deref(), s.key_bits))
        .collect();
    assert_eq!(
        facts,
        [
            ("s1", Some("rsa"), Some(2048)),
            ("ed", Some("ed25519"), Some(256)),
            // A CNAME into the provider's zone, followed by the resolver.
            ("selector1", Some("rsa"), Some(2048)),
        ]
    );
    let s1 = &a.facts.selectors[0];
    assert_eq!(s1.name, name("s1", "good"));
    let record = s1.record.as_deref().unwrap();
    assert!(record.starts_with("v=DKIM1; k=rsa; p=MIIBIjAN"));
    assert!(
        !record.contains("\" \"") && !record[18..].contains(' '),
        "strings joined without a space: {record}"
    );
    assert!(!s1.testing && !s1.revoked && s1.hash_algorithms.is_none());
}

#[test]
fn probing_finds_a_key_at_a_common_selector() {
    let a = audit("probed", &[]);
    assert!(a.findings.is_empty(), "{:#?}", a.findings);
    assert!(a.facts.probed);
    let found: Vec<&str> = a
        .facts
        .selectors
        .iter()
        .map(|s| s.selector.as_str())
        .collect();
    assert_eq!(
        found,
        ["default"],
        "only selectors with a record are listed when probing"
    );
}

#[test]
fn probing_without_any_key_is_a_single_missing_warning() {
    let a = audit("no-dkim", &[]);
    assert_eq!(rules_fired(&a), ["dkim/missing"]);
    let f = fired(&a, "dkim/missing")[0];
    assert_eq!(f.severity, Severity::Warning);
    assert_eq!(f.target, d("no-dkim"));
    assert!(
        f.message.contains("common selectors probed"),
        "{}",
        f.message
    );
    assert!(f.evidence.chain.contains(&name("selector1", "no-dkim")));
    assert!(a.facts.selectors.is_empty());
    // A domain that does not exist at all is the same finding.
    assert_eq!(rules_fired(&audit("nonexistent", &[])), ["dkim/missing"]);
}

#[test]
fn missing_given_selectors_are_errors_one_per_selector() {
    let a = audit("missing", &["s1", "s2", "s3"]);
    assert_eq!(rules_fired(&a), ["dkim/missing", "dkim/missing"]);
    let f = fired(&a, "dkim/missing");
    assert!(f.iter().all(|f| f.severity == Severity::Error));
    assert_eq!(f[0].evidence.chain, [name("s1", "missing")]);
    assert!(f[0].message.contains("does not exist"), "{}", f[0].message);
    assert_eq!(f[1].evidence.chain, [name("s3", "missing")]);
    assert!(f[1].message.contains("no TXT record"), "{}", f[1].message);
    // Every given selector is in the facts, found or not.
    assert_eq!(a.facts.selectors.len(), 3);
    assert!(a.facts.selectors[0].record.is_none());
    assert_eq!(a.facts.selectors[1].key_type.as_deref(), Some("ed25519"));
}

#[test]
fn given_selectors_are_normalized_and_deduplicated() {
    let a = audit("missing", &["S2", "s2.", " s2 "]);
    assert!(a.findings.is_empty(), "{:#?}", a.findings);
    assert_eq!(a.facts.selectors.len(), 1);
}

#[test]
fn syntax_fires_with_the_byte_span_of_the_problem() {
    let a = audit("syntax", &["s1", "s2", "s3", "s4", "s5", "ok"]);
    assert_eq!(about(&a, &name("ok", "syntax")), Vec::<&str>::new());
    let records: Vec<&str> = a
        .facts
        .selectors
        .iter()
        .map(|s| s.record.as_deref().unwrap())
        .collect();
    let f = fired(&a, "dkim/syntax");
    assert_eq!(f.len(), 5, "{:#?}", a.findings);
    assert!(f.iter().all(|f| f.severity == Severity::Error));
    // Broken base64: the first bad character.
    assert_eq!(pointed_at(f[0], records[0]), "!");
    assert!(f[0].message.contains("not base64"), "{}", f[0].message);
    // Another TXT record at the selector name is not a key record, and not "missing".
    assert!(f[1].message.contains("tag name"), "{}", f[1].message);
    // A duplicate tag: the second occurrence.
    assert!(pointed_at(f[2], records[2]).starts_with("p="));
    assert!(f[2].message.contains("more than once"), "{}", f[2].message);
    assert!(matches!(
        &f[2].location,
        Some(Location::RecordSpan { start, .. }) if *start > 10
    ));
    // v=DKIM1 not first.
    assert_eq!(pointed_at(f[3], records[3]), "v=DKIM1");
    // A tag without "=".
    assert_eq!(pointed_at(f[4], records[4]), "t");
    for f in &f {
        match &f.location {
            Some(Location::RecordSpan { record, .. }) => {
                assert_eq!(Some(record), f.evidence.chain.first())
            }
            other => panic!("{other:?}"),
        }
        assert!(f.evidence.record.is_some());
    }
}

#[test]
fn revoked_key_is_a_warning_and_nothing_else() {
    let a = audit("revoked", &["s1"]);
    assert_eq!(rules_fired(&a), ["dkim/revoked"]);
    assert_eq!(a.findings[0].severity, Severity::Warning);
    assert!(a.facts.selectors[0].revoked);
    assert_eq!(
        a.findings[0].evidence.record.as_deref(),
        Some("v=DKIM1; k=rsa; p=")
    );
}

#[test]
fn weak_keys_are_graded_by_the_thresholds() {
    let a = audit("weak", &["s512", "s1024", "pkcs1"]);
    let f = fired(&a, "dkim/weak-key");
    assert_eq!(rules_fired(&a), ["dkim/weak-key"; 3]);
    assert_eq!(f[0].severity, Severity::Error);
    assert_eq!(f[0].evidence.measured, Some(512.into()));
    assert_eq!(f[0].evidence.threshold, Some(1024.0.into()));
    assert_eq!(f[1].severity, Severity::Warning);
    assert_eq!(f[1].evidence.measured, Some(1024.into()));
    assert_eq!(f[1].evidence.threshold, Some(2048.0.into()));
    // A bare PKCS#1 RSAPublicKey is measured like an SPKI one.
    assert_eq!(f[2].severity, Severity::Warning);
    let bits: Vec<Option<u32>> = a.facts.selectors.iter().map(|s| s.key_bits).collect();
    assert_eq!(bits, [Some(512), Some(1024), Some(1024)]);
    // 2048 bits is silent (correct_keys_are_silent_on_every_rule); Ed25519 is never measured.
}

#[test]
fn testing_mode_fires_on_t_y_only() {
    let a = audit("testing", &["s1", "s2"]);
    assert_eq!(rules_fired(&a), ["dkim/testing-mode"]);
    let f = &a.findings[0];
    assert_eq!(f.severity, Severity::Warning);
    assert_eq!(f.evidence.chain, [name("s1", "testing")]);
    assert_eq!(
        pointed_at(f, a.facts.selectors[0].record.as_deref().unwrap()),
        "t=y"
    );
    assert!(a.facts.selectors[0].testing && !a.facts.selectors[1].testing);
}

#[test]
fn sha1_only_and_no_usable_hash() {
    let a = audit("sha1", &["s1", "s2"]);
    assert_eq!(rules_fired(&a), ["dkim/sha1-only"]);
    let f = &a.findings[0];
    assert_eq!(f.severity, Severity::Error);
    assert_eq!(
        pointed_at(f, a.facts.selectors[0].record.as_deref().unwrap()),
        "h=md5:sha1"
    );
    assert_eq!(
        a.facts.selectors[0].hash_algorithms.as_deref(),
        Some(&["md5".to_string(), "sha1".to_string()][..])
    );
    let a = audit("nohash", &["s1"]);
    assert_eq!(rules_fired(&a), ["dkim/no-usable-hash"]);
    assert_eq!(a.findings[0].severity, Severity::Error);
}

#[test]
fn unknown_key_type_fires_and_the_default_type_is_rsa() {
    let a = audit("keytype", &["s1", "s2"]);
    assert_eq!(rules_fired(&a), ["dkim/unknown-key-type"]);
    let f = &a.findings[0];
    assert_eq!(f.severity, Severity::Error);
    assert_eq!(
        pointed_at(f, a.facts.selectors[0].record.as_deref().unwrap()),
        "dsa"
    );
    assert_eq!(a.facts.selectors[0].key_type.as_deref(), Some("dsa"));
    assert_eq!(a.facts.selectors[1].key_type.as_deref(), Some("rsa"));
}

#[test]
fn bad_key_data_fires_for_both_key_types() {
    let a = audit("badkey", &["s1", "s2"]);
    assert_eq!(rules_fired(&a), ["dkim/bad-key", "dkim/bad-key"]);
    assert!(
        a.findings[0].message.contains("44 bytes"),
        "{}",
        a.findings[0].message
    );
    assert!(a.findings[0].message.contains("SubjectPublicKeyInfo"));
    assert!(
        a.findings[1].message.contains("rsa key"),
        "{}",
        a.findings[1].message
    );
    assert!(a.facts.selectors.iter().all(|s| s.key_bits.is_none()));
}

#[test]
fn not_for_email_fires_on_s_chat_only() {
    let a = audit("service", &["s1", "s2"]);
    assert_eq!(rules_fired(&a), ["dkim/not-for-email"]);
    assert_eq!(a.findings[0].evidence.chain, [name("s1", "service")]);
}

#[test]
fn multiple_records_fire_and_the_first_key_record_is_judged() {
    let a = audit("multiple", &["s1"]);
    assert_eq!(rules_fired(&a), ["dkim/multiple-records", "dkim/weak-key"]);
    assert_eq!(
        fired(&a, "dkim/multiple-records")[0].severity,
        Severity::Warning
    );
    assert_eq!(a.facts.selectors[0].key_bits, Some(1024));
    // One record per selector is silent (every other test).
}

#[test]
fn dns_failures_are_inconclusive_never_missing() {
    for (label, selectors) in [("loop", vec!["s1"]), ("timeout", vec!["s1"])] {
        let a = audit(label, &selectors);
        assert_eq!(rules_fired(&a), ["dns/inconclusive"], "{label}");
        let f = &a.findings[0];
        assert_eq!(
            f.evidence.measured,
            Some(format!("TXT {}", name("s1", label)).into())
        );
        assert!(a.facts.selectors[0].record.is_none());
    }
    assert!(
        audit("loop", &["s1"]).findings[0]
            .message
            .contains("CNAME loop")
    );
    assert!(
        audit("timeout", &["s1"]).findings[0]
            .message
            .contains("timed out")
    );
    // When probing, a failed probe may be the selector that holds the key: no missing warning.
    for label in ["probe-loop", "probe-timeout"] {
        let a = audit(label, &[]);
        assert_eq!(
            rules_fired(&a),
            ["dns/inconclusive"],
            "{label}: {:#?}",
            a.findings
        );
    }
}

#[test]
fn findings_name_the_domain_and_take_their_docs_from_data() {
    let a = audit("weak", &["s512"]);
    let f = &a.findings[0];
    assert_eq!(f.target, d("weak"));
    assert_eq!(f.reference, "RFC 8301 §3.2");
    assert_eq!(f.help, rules().get("dkim/weak-key").unwrap().help);
    assert!(
        f.evidence
            .record
            .as_deref()
            .unwrap()
            .starts_with("v=DKIM1; k=rsa; p=MFww")
    );
}

#[test]
fn probed_queries_run_once_each_and_results_are_deterministic() {
    let resolver = resolver();
    let first = run(&resolver, "probed", &[]);
    let sent = resolver.stats().queries_sent;
    let common = mailaudit::dkim::common_selectors().len() as u64;
    assert!(
        sent >= common && sent <= common + 1,
        "{sent} queries for {common} selectors"
    );
    let again = run(&resolver, "probed", &[]);
    assert_eq!(first.facts, again.facts);
    // Offline answers come straight from the zone data (no cache); a second run asks the
    // same questions again, no more. The live cache is covered by tests/dns_query_budget.rs.
    assert_eq!(resolver.stats().queries_sent, 2 * sent);
}

/// The per-rule tests above together fire every rule this check declares.
#[test]
fn every_declared_rule_fires_somewhere() {
    let resolver = resolver();
    let scenarios: &[(&str, &[&str])] = &[
        ("good", &["s1", "ed", "selector1"]),
        ("probed", &[]),
        ("no-dkim", &[]),
        ("missing", &["s1", "s2", "s3"]),
        ("syntax", &["s1", "s2", "s3", "s4", "s5", "ok"]),
        ("revoked", &["s1"]),
        ("weak", &["s512", "s1024", "pkcs1"]),
        ("testing", &["s1", "s2"]),
        ("sha1", &["s1", "s2"]),
        ("nohash", &["s1"]),
        ("keytype", &["s1", "s2"]),
        ("badkey", &["s1", "s2"]),
        ("service", &["s1", "s2"]),
        ("multiple", &["s1"]),
        ("loop", &["s1"]),
    ];
    let mut seen = BTreeSet::new();
    for (label, selectors) in scenarios {
        for f in run(&resolver, label, selectors).findings {
            assert!(
                RULES.iter().any(|id| f.rule == *id),
                "undeclared rule {}",
                f.rule
            );
            assert!(
                rules().get(&f.rule).is_some(),
                "rule {} has no data",
                f.rule
            );
            seen.insert(f.rule);
        }
    }
    let declared: BTreeSet<String> = RULES.iter().map(|s| s.to_string()).collect();
    assert_eq!(seen, declared);
}

/// The documentation quotes the probing message with the real size of the selector list.
#[test]
fn missing_example_quotes_the_probe_count() {
    let example = &rules().get("dkim/missing").unwrap().example;
    let count = mailaudit::dkim::common_selectors().len();
    assert!(
        example.contains(&format!("any of the {count} common selectors probed")),
        "update the dkim/missing example in rules/dkim.toml: {count} selectors"
    );
}
