//! The rules of src/dmarc (SPEC §4.3) on their fixtures: messages, severities, spans and facts;
//! DNS failures are dns/inconclusive, never "missing"; the live path through an in-process DNS
//! server gives the same facts and findings as the offline resolver. That every rule fires,
//! stays silent and matches its documented example is the family contract (contract.rs).

use crate::support;

use mailaudit::dmarc::{Alignment, DmarcAudit, Outcome, Policy, audit_dmarc};
use mailaudit::dns::{Rdata, Resolver, ZoneSet};
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
    // Both models named: RFC 7489 applies it to 20%, RFC 9989 to all failing mail.
    assert!(
        f.message.contains("only 20%")
            && f.message.contains("RFC 9989 removes pct (Appendix C.5.2)"),
        "{}",
        f.message
    );
    // The same pct is not reported twice.
    assert!(!ids(&a.findings).contains(&"dmarc/tag-removed"));
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
// Tags as RFC 9989 defines them, beside RFC 7489

/// The audit of example.com whose only record is `record` at _dmarc.example.com (an MX, so
/// report addresses in the domain receive mail).
fn audit_record(record: &str) -> DmarcAudit {
    let mut zones = ZoneSet::new();
    zones.insert(
        "example.com",
        Rdata::Mx {
            preference: 10,
            exchange: "mx.example.com".into(),
        },
    );
    zones.insert("mx.example.com", Rdata::A("192.0.2.25".parse().unwrap()));
    zones.insert(
        "_dmarc.example.com",
        Rdata::Txt(vec![record.as_bytes().to_vec()]),
    );
    dmarc_with(&Resolver::offline(zones), "example.com")
}

fn of<'a>(a: &'a DmarcAudit, rule: &str) -> Vec<&'a Finding> {
    a.findings
        .iter()
        .filter(|f| f.rule.as_str() == rule)
        .collect()
}

#[test]
fn removed_tags_fire_once_each_saying_what_both_models_do() {
    let record = "v=DMARC1; p=reject; pct=100; rf=afrf; ri=3600; rua=mailto:dmarc@example.com";
    let a = audit_record(record);
    assert_eq!(
        ids(&a.findings),
        ["dmarc/tag-removed"; 3],
        "{:#?}",
        a.findings
    );
    let removed = of(&a, "dmarc/tag-removed");
    for (f, tag) in removed.iter().zip(["pct=100", "rf=afrf", "ri=3600"]) {
        assert_eq!(f.severity, Severity::Info);
        assert!(
            f.message
                .contains(&format!("_dmarc.example.com has {tag}: RFC 9989 removes"))
                && f.message.contains("Appendix C.5.2")
                && f.message.contains("RFC 7489 receivers"),
            "{}",
            f.message
        );
        // Located at the tag itself.
        let Some(Location::RecordSpan { start, end, .. }) = &f.location else {
            panic!("{f:#?}")
        };
        assert_eq!(&record[*start..*end], tag);
    }
    assert!(removed[0].message.contains("changes nothing"));
    assert!(removed[1].message.contains("RFC 9991"));
    assert!(removed[2].message.contains("default 86400"));
    // Neither model's policy changes: both apply reject.
    assert_eq!(a.facts.receivers.rfc9989.policy, Some(Policy::Reject));
    assert_eq!(a.facts.receivers.rfc7489.policy, Some(Policy::Reject));

    // pct under 100 with p=none: pct-partial is silent, so tag-removed reports it.
    let a = audit_record("v=DMARC1; p=none; pct=50; rua=mailto:dmarc@example.com");
    assert_eq!(
        ids(&a.findings),
        ["dmarc/policy-none", "dmarc/tag-removed"],
        "{:#?}",
        a.findings
    );
    // A record without them: silent.
    let a = audit_record("v=DMARC1; p=reject; rua=mailto:dmarc@example.com");
    assert!(a.findings.is_empty(), "{:#?}", a.findings);
}

#[test]
fn pct_does_not_change_the_rfc9989_policy() {
    let a = audit_record("v=DMARC1; p=reject; pct=50; rua=mailto:dmarc@example.com");
    assert_eq!(ids(&a.findings), ["dmarc/pct-partial"], "{:#?}", a.findings);
    // RFC 7489's `policy` is the record's; the 50% is pct-partial's message.
    assert_eq!(a.facts.receivers.rfc9989.policy, Some(Policy::Reject));
    assert_eq!(a.facts.receivers.rfc7489.policy, Some(Policy::Reject));
    assert_eq!(a.facts.pct, Some(50));
}

#[test]
fn an_unregistered_rf_format_is_reported_for_rfc7489_readers() {
    for (record, format) in [
        (
            "v=DMARC1; p=reject; rf=iodef2; rua=mailto:dmarc@example.com",
            "rf=iodef2",
        ),
        (
            "v=DMARC1; p=reject; rf=afrf:iodef2; rua=mailto:dmarc@example.com",
            "rf=afrf:iodef2",
        ),
    ] {
        let a = audit_record(record);
        let syntax = of(&a, "dmarc/syntax");
        assert_eq!(syntax.len(), 1, "{record}: {:#?}", a.findings);
        let f = syntax[0];
        assert_eq!(f.severity, Severity::Warning);
        assert!(
            f.message
                .contains(&format!("{format}: iodef2 is not in the registry"))
                && f.message
                    .contains("SHOULD ignore it or MAY ignore the entire rf tag")
                && f.message.contains("RFC 9989 removes rf"),
            "{}",
            f.message
        );
        // The removed tag is reported too; the record still applies under both.
        assert_eq!(of(&a, "dmarc/tag-removed").len(), 1);
        assert_eq!(a.facts.receivers.rfc7489.policy, Some(Policy::Reject));
        assert_eq!(a.facts.rfc7489, Some(Outcome::TagDiscarded));
        assert_eq!(a.facts.dmarcbis, Some(Outcome::Valid));
    }
    let a = audit_record("v=DMARC1; p=reject; rf=afrf; rua=mailto:dmarc@example.com");
    assert!(of(&a, "dmarc/syntax").is_empty(), "{:#?}", a.findings);
}

#[test]
fn unknown_tags_are_ignored_by_both_models() {
    // RFC 7489 §6.3 and RFC 9989 §4.7 both say unknown tags MUST be ignored.
    let a = audit_record(
        "v=DMARC1; p=reject; rue=mailto:dmarc@example.com; rua=mailto:dmarc@example.com",
    );
    let f = only(&a.findings, "dmarc/syntax");
    assert_eq!(f.severity, Severity::Info);
    assert!(
        f.message.contains("rue is not a DMARC tag")
            && f.message.contains("RFC 7489 §6.3 and RFC 9989 §4.7 alike"),
        "{}",
        f.message
    );
    assert_eq!(a.facts.rfc7489, Some(Outcome::Valid));
    assert_eq!(a.facts.dmarcbis, Some(Outcome::Valid));
    assert_eq!(a.facts.receivers.rfc9989.policy, Some(Policy::Reject));
    assert_eq!(a.facts.receivers.rfc7489.policy, Some(Policy::Reject));
}

#[test]
fn a_missing_or_invalid_p_under_both_models() {
    use Policy::*;
    // (record, RFC 9989 policy, RFC 7489 policy): RFC 9989 §4.7 p reads a missing p as
    // none; §4.10.1 (and RFC 7489 §6.6.3 step 6) fall back to none on an invalid p, sp or
    // np only with a valid rua, else no DMARC; RFC 7489 also falls back on a missing p and
    // discards an invalid np.
    let cases: [(&str, Option<Policy>, Option<Policy>); 8] = [
        (
            "v=DMARC1; rua=mailto:dmarc@example.com",
            Some(None),
            Some(None),
        ),
        ("v=DMARC1; adkim=s", Some(None), Option::None),
        (
            "v=DMARC1; p=rejected; rua=mailto:dmarc@example.com",
            Some(None),
            Some(None),
        ),
        ("v=DMARC1; p=rejected", Option::None, Option::None),
        (
            "v=DMARC1; p=reject; sp=bogus; rua=mailto:dmarc@example.com",
            Some(None),
            Some(None),
        ),
        ("v=DMARC1; p=reject; sp=bogus", Option::None, Option::None),
        (
            "v=DMARC1; p=reject; np=bogus; rua=mailto:dmarc@example.com",
            Some(None),
            Some(Reject),
        ),
        ("v=DMARC1; p=reject; np=bogus", Option::None, Some(Reject)),
    ];
    let mut wrong = Vec::new();
    for (record, rfc9989, rfc7489) in cases {
        let a = audit_record(record);
        let got = (
            a.facts.receivers.rfc9989.policy,
            a.facts.receivers.rfc7489.policy,
        );
        if got != (rfc9989, rfc7489) {
            wrong.push(format!(
                "{record}: want {:?}, got {got:?}",
                (rfc9989, rfc7489)
            ));
        }
        // Every one of them is a dmarc/syntax finding; the models disagree where they differ.
        assert!(
            !of(&a, "dmarc/syntax").is_empty(),
            "{record}: {:#?}",
            a.findings
        );
        assert_eq!(
            !of(&a, "dmarc/receivers-disagree").is_empty(),
            rfc9989 != rfc7489,
            "{record}: {:#?}",
            a.findings
        );
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn testing_flag_says_what_each_model_applies() {
    use Policy::*;
    for (p, rfc9989) in [("reject", Quarantine), ("quarantine", None), ("none", None)] {
        let a = audit_record(&format!(
            "v=DMARC1; p={p}; t=y; rua=mailto:dmarc@example.com"
        ));
        assert_eq!(a.facts.receivers.rfc9989.policy, Some(rfc9989), "p={p}");
        assert_eq!(
            a.facts.receivers.rfc7489.policy.map(Policy::as_str),
            Some(p)
        );
        let testing: Vec<&Finding> = of(&a, "dmarc/pct-partial");
        if p == "none" {
            // §4.7: t "has no effect on any policy ... that is none".
            assert!(testing.is_empty(), "{:#?}", a.findings);
            assert!(of(&a, "dmarc/receivers-disagree").is_empty());
            continue;
        }
        assert_eq!(testing.len(), 1, "{:#?}", a.findings);
        let m = &testing[0].message;
        assert!(
            m.contains(&format!("RFC 9989 receivers are asked not to apply {p}"))
                && m.contains("rewriting From")
                && m.contains(&format!("expecting {rfc9989} for failing mail (§4.7 t)"))
                && m.contains(&format!("RFC 7489 receivers ignore t and apply {p}")),
            "{m}"
        );
        assert_eq!(of(&a, "dmarc/receivers-disagree").len(), 1);
    }
}

#[test]
fn invalid_psd_and_t_are_rfc9989_only_and_np_falls_back() {
    let a = audit_record("v=DMARC1; p=reject; psd=x; t=maybe; rua=mailto:dmarc@example.com");
    let syntax = of(&a, "dmarc/syntax");
    assert_eq!(syntax.len(), 2, "{:#?}", a.findings);
    for (f, default) in syntax.iter().zip(["psd=u", "t=n"]) {
        assert_eq!(f.severity, Severity::Warning);
        assert!(
            f.message.contains("RFC 7489 has no")
                && f.message.contains(&format!("use its default {default}")),
            "{}",
            f.message
        );
    }
    assert_eq!(a.facts.rfc7489, Some(Outcome::Valid));
    assert_eq!(a.facts.dmarcbis, Some(Outcome::TagDiscarded));
    // Discarded, t=maybe is not t=y: reject under both.
    assert_eq!(a.facts.receivers.rfc9989.policy, Some(Policy::Reject));

    let a = audit_record("v=DMARC1; p=reject; np=bogus; rua=mailto:dmarc@example.com");
    let f = only_besides(&a, "dmarc/syntax", "dmarc/receivers-disagree");
    assert!(
        f.message
            .contains("RFC 9989 treats an invalid np like an invalid p")
            && f.message.contains("(§4.10.1)"),
        "{}",
        f.message
    );
}

/// The one finding of `rule`, the others being `besides`.
fn only_besides<'a>(a: &'a DmarcAudit, rule: &str, besides: &str) -> &'a Finding {
    let rest: Vec<&str> = ids(&a.findings)
        .into_iter()
        .filter(|id| *id != besides)
        .collect();
    assert_eq!(rest, [rule], "{:#?}", a.findings);
    of(a, rule)[0]
}

#[test]
fn inherited_names_what_both_models_apply() {
    let resolver = Resolver::offline(zones());
    let a = dmarc_with(&resolver, "mail.dmarc-org.example");
    let f = only(&a.findings, "dmarc/inherited");
    assert!(
        f.message
            .contains("RFC 7489 receivers take the policy from _dmarc.dmarc-org.example")
            && f.message.contains(
                "RFC 9989 receivers apply dmarc-org.example's record (reject) too (§4.10.1)"
            ),
        "{}",
        f.message
    );
    // A psd=n record between them: RFC 9989 applies that one instead.
    let mut z = ZoneSet::new();
    z.insert(
        "_dmarc.example.com",
        Rdata::Txt(vec![b"v=DMARC1; p=reject".to_vec()]),
    );
    z.insert(
        "_dmarc.sub.example.com",
        Rdata::Txt(vec![b"v=DMARC1; p=quarantine; psd=n".to_vec()]),
    );
    z.insert(
        "mail.sub.example.com",
        Rdata::A("192.0.2.25".parse().unwrap()),
    );
    let a = dmarc_with(&Resolver::offline(z), "mail.sub.example.com");
    let f = of(&a, "dmarc/inherited")[0];
    assert!(
        f.message
            .contains("RFC 9989 receivers apply sub.example.com's record (quarantine) (§4.10.1)"),
        "{}",
        f.message
    );
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
