//! The DMARC outcome simulation of `mailaudit check` (SPEC §4.7) on the fixture zones of
//! `fixtures/campaign/simulation/`: one campaign per outcome (SPF-aligned pass, DKIM-aligned
//! pass, both fail, SPF pass not aligned, strict alignment failing where relaxed passes, the
//! subdomain policy sp and np, pct), `dmarc/would-fail` on exactly the failing IPs, and every
//! finding of a check located in the campaign file when it has no location of its own.

use mailaudit::campaign::{Campaign, CheckOptions, DmarcResult, KeyStatus, check_campaign};
use mailaudit::dns::{Resolver, ZoneSet};
use mailaudit::finding::{Location, Severity};
use mailaudit::rules::Rules;
use mailaudit::run::{Kind, TargetResult};
use serde_json::Value;
use std::path::{Path, PathBuf};

const IP: &str = "192.0.2.10";

fn zone() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/campaign/simulation/simulation.zone")
}

/// A campaign file with these keys (and no drafts), as the text it is parsed from.
fn campaign_text(from: &str, envelope: &str, selector: &str, extra: &str, ips: &[&str]) -> String {
    let ips: Vec<String> = ips.iter().map(|ip| format!("  \"{ip}\",\n")).collect();
    format!(
        "from = \"{from}\"\nenvelope_from = \"{envelope}\"\nsending_ips = [\n{}]\ndkim_selector = \"{selector}\"\n{extra}",
        ips.concat()
    )
}

struct Checked {
    results: Vec<TargetResult>,
    /// The facts of each result as the JSON formats write them.
    facts: Vec<Value>,
}

impl Checked {
    fn campaign(&self) -> &TargetResult {
        self.results
            .iter()
            .find(|r| r.kind == Kind::Campaign)
            .unwrap()
    }

    /// The JSON facts of `result` (one of `results`).
    fn facts(&self, result: &TargetResult) -> &Value {
        let index = self
            .results
            .iter()
            .position(|r| std::ptr::eq(r, result))
            .unwrap();
        &self.facts[index]
    }

    fn sim(&self) -> &Value {
        &self.facts(self.campaign())["simulation"]
    }

    fn ip(&self, index: usize) -> &Value {
        &self.sim()["ips"][index]
    }

    fn would_fail(&self) -> Vec<&mailaudit::finding::Finding> {
        self.campaign()
            .findings
            .iter()
            .filter(|f| f.rule == "dmarc/would-fail")
            .collect()
    }

    fn campaign_findings(&self, rule: &str) -> Vec<&mailaudit::finding::Finding> {
        self.campaign()
            .findings
            .iter()
            .filter(|f| f.rule == rule)
            .collect()
    }

    fn domain(&self, name: &str) -> &TargetResult {
        self.results
            .iter()
            .find(|r| r.kind == Kind::Domain && r.target == name)
            .unwrap_or_else(|| panic!("no domain result for {name}"))
    }
}

fn check_text(text: &str) -> Checked {
    check_text_timing_out(text, &[])
}

/// [`check_text`] with queries for the names in `timeouts` timing out.
fn check_text_timing_out(text: &str, timeouts: &[&str]) -> Checked {
    let campaign = Campaign::parse(text, Path::new("campaign.toml"), false).expect("parses");
    let rules = Rules::builtin().unwrap();
    let mut zones = ZoneSet::load_files(&[zone()]).unwrap();
    for name in timeouts {
        zones.insert_timeout(name);
    }
    let resolver = Resolver::offline(zones);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut results = Vec::new();
    check_campaign::<Box<dyn std::error::Error>>(
        &campaign,
        &resolver,
        runtime.handle(),
        &rules,
        &CheckOptions::default(),
        |done| {
            results.push(TargetResult::from(done.expect("no audit panics")));
            Ok(())
        },
    )
    .expect("the check runs");
    let facts = results
        .iter()
        .map(|r| serde_json::to_value(&r.facts).unwrap())
        .collect();
    Checked { results, facts }
}

fn check(from: &str, envelope: &str, selector: &str, extra: &str) -> Checked {
    check_text(&campaign_text(from, envelope, selector, extra, &[IP]))
}

#[test]
fn spf_aligned_pass() {
    let c = check(
        "a@spf-aligned.example",
        "bounce@spf-aligned.example",
        "s1",
        "",
    );
    let ip = c.ip(0);
    assert_eq!(ip["spf"], "pass");
    assert_eq!(ip["spf_aligned_pass"], true);
    assert_eq!(ip["dkim_aligned_pass"], false);
    assert_eq!(ip["dmarc"], "pass");
    assert_eq!(ip["disposition"], "deliver");
    assert_eq!(c.sim()["dkim_key"]["status"], "missing");
    assert_eq!(c.campaign().result.as_deref(), Some("pass"));
    assert!(c.would_fail().is_empty());
    // The missing key is the domain audit's error, at the selector's line.
    let missing = c
        .domain("spf-aligned.example")
        .findings
        .iter()
        .find(|f| f.rule == "dkim/missing")
        .expect("dkim/missing for the campaign's selector");
    assert_eq!(missing.severity, Severity::Error);
    assert_eq!(
        missing.location,
        Some(Location::Line {
            file: "campaign.toml".into(),
            line: 6
        })
    );
}

#[test]
fn dkim_aligned_pass() {
    let c = check(
        "a@dkim-aligned.example",
        "bounce@dkim-aligned.example",
        "s1",
        "",
    );
    let ip = c.ip(0);
    assert_eq!(ip["spf"], "fail");
    assert_eq!(ip["spf_aligned_pass"], false);
    assert_eq!(ip["dkim_aligned_pass"], true);
    assert_eq!(ip["dmarc"], "pass");
    assert_eq!(c.sim()["dkim_key"]["status"], "usable");
    assert_eq!(c.sim()["dkim_key"]["key_bits"], 1024);
    assert!(
        c.sim()["dkim_assumption"]
            .as_str()
            .unwrap()
            .contains("assumed to produce a passing DKIM signature")
    );
    assert!(c.would_fail().is_empty());
}

#[test]
fn both_fail() {
    let c = check("a@both-fail.example", "bounce@both-fail.example", "s1", "");
    let ip = c.ip(0);
    assert_eq!(ip["spf"], "fail");
    assert_eq!(ip["dmarc"], "fail");
    assert_eq!(ip["disposition"], "p=reject");
    assert_eq!(c.campaign().result.as_deref(), Some("fail"));
    let fails = c.would_fail();
    assert_eq!(fails.len(), 1);
    let f = fails[0];
    assert_eq!(f.severity, Severity::Error);
    assert_eq!(f.target, "both-fail.example");
    assert!(
        f.message.contains("sent from 192.0.2.10 would fail DMARC"),
        "{}",
        f.message
    );
    assert!(
        f.message.contains("SPF fail for both-fail.example"),
        "{}",
        f.message
    );
    assert!(
        f.message
            .contains("no DKIM key is published at s1._domainkey.both-fail.example"),
        "{}",
        f.message
    );
    assert!(
        f.message
            .contains("receivers would apply p=reject (from _dmarc.both-fail.example)"),
        "{}",
        f.message
    );
    assert_eq!(
        f.evidence.record.as_deref(),
        Some("v=DMARC1; p=reject; rua=mailto:dmarc@both-fail.example")
    );
    // Located at the line of the IP in sending_ips (line 4: the array opens on line 3).
    assert_eq!(
        f.location,
        Some(Location::Line {
            file: "campaign.toml".into(),
            line: 4
        })
    );
}

#[test]
fn an_unusable_key_fails_like_a_missing_one() {
    let c = check(
        "a@both-fail.example",
        "bounce@both-fail.example",
        "weak",
        "",
    );
    assert_eq!(c.sim()["dkim_key"]["status"], "unusable");
    assert_eq!(c.ip(0)["dmarc"], "fail");
    let f = c.would_fail()[0];
    assert!(f.message.contains("512 bits"), "{}", f.message);
}

#[test]
fn spf_pass_but_not_aligned() {
    let c = check(
        "a@brand.example",
        "bounce@bounce.esp-mail.example",
        "s1",
        "",
    );
    assert_eq!(c.sim()["spf_aligned"], false);
    let ip = c.ip(0);
    assert_eq!(ip["spf"], "pass");
    assert_eq!(ip["spf_aligned_pass"], false);
    assert_eq!(ip["dmarc"], "fail");
    let f = c.would_fail()[0];
    assert!(
        f.message.contains(
            "SPF pass for bounce.esp-mail.example, not aligned with brand.example (aspf=r)"
        ),
        "{}",
        f.message
    );
    // The envelope domain is audited too, with the sending IP.
    let envelope = c.domain("bounce.esp-mail.example");
    assert_eq!(c.facts(envelope)["spf_results"][0]["result"], "pass");
}

#[test]
fn strict_alignment_fails_where_relaxed_passes() {
    let strict = check(
        "a@strict.example",
        "bounce@bounces.strict.example",
        "s1",
        "dkim_domain = \"mail.strict.example\"\n",
    );
    assert_eq!(strict.sim()["aspf"], "strict");
    assert_eq!(strict.sim()["adkim"], "strict");
    assert_eq!(strict.sim()["spf_aligned"], false);
    assert_eq!(strict.sim()["dkim_aligned"], false);
    assert_eq!(strict.sim()["dkim_key"]["status"], "usable");
    assert_eq!(strict.ip(0)["spf"], "pass");
    assert_eq!(strict.ip(0)["dmarc"], "fail");
    let f = strict.would_fail()[0];
    assert!(f.message.contains("(aspf=s)"), "{}", f.message);
    assert!(
        f.message.contains(
            "DKIM signs as mail.strict.example, not aligned with strict.example (adkim=s)"
        ),
        "{}",
        f.message
    );

    let relaxed = check(
        "a@relaxed.example",
        "bounce@bounces.relaxed.example",
        "s1",
        "dkim_domain = \"mail.relaxed.example\"\n",
    );
    assert_eq!(relaxed.sim()["aspf"], "relaxed");
    assert_eq!(relaxed.sim()["spf_aligned"], true);
    assert_eq!(relaxed.sim()["dkim_aligned"], true);
    assert_eq!(relaxed.ip(0)["spf_aligned_pass"], true);
    assert_eq!(relaxed.ip(0)["dkim_aligned_pass"], true);
    assert_eq!(relaxed.ip(0)["dmarc"], "pass");
    assert!(relaxed.would_fail().is_empty());
    // Three domains audited: From, envelope, signing domain.
    assert_eq!(
        relaxed.facts(relaxed.campaign())["domains"],
        serde_json::json!([
            "relaxed.example",
            "bounces.relaxed.example",
            "mail.relaxed.example"
        ])
    );
}

#[test]
fn subdomain_policy_sp_applies() {
    let c = check("a@news.parent.example", "bounce@parent.example", "s1", "");
    let policy = &c.sim()["policy"];
    assert_eq!(policy["tag"], "sp");
    assert_eq!(policy["policy"], "quarantine");
    assert_eq!(policy["location"], "_dmarc.parent.example");
    assert_eq!(c.ip(0)["dmarc"], "fail");
    assert_eq!(c.ip(0)["disposition"], "sp=quarantine");
    let f = c.would_fail()[0];
    assert!(
        f.message.contains("receivers would apply sp=quarantine"),
        "{}",
        f.message
    );
}

#[test]
fn a_subdomain_that_does_not_exist_gets_np() {
    let c = check("a@ghost.parent.example", "bounce@parent.example", "s1", "");
    let policy = &c.sim()["policy"];
    assert_eq!(policy["tag"], "np");
    assert_eq!(policy["policy"], "reject");
    assert_eq!(c.ip(0)["disposition"], "np=reject");
}

#[test]
fn pct_splits_the_policy_for_rfc7489_only() {
    let c = check("a@sampled.example", "bounce@sampled.example", "s1", "");
    // RFC 7489 §6.6.4 samples; RFC 9989 removed pct and applies the whole policy.
    let legacy = &c.sim()["receivers"]["rfc7489"]["policy"];
    assert_eq!(legacy["pct"], 50);
    assert_eq!(legacy["otherwise"], "quarantine");
    assert_eq!(
        c.ip(0)["receivers"]["rfc7489"]["disposition"],
        "p=reject to 50% of failing mail and quarantine to the rest (pct=50)"
    );
    let policy = &c.sim()["policy"];
    assert_eq!(policy["pct"], 100);
    assert_eq!(policy["otherwise"], Value::Null);
    assert_eq!(c.ip(0)["disposition"], "p=reject");
    assert_eq!(c.ip(0)["receivers"]["rfc9989"]["disposition"], "p=reject");
    let disagree = c.campaign_findings("dmarc/receivers-disagree");
    assert_eq!(disagree.len(), 1);
    assert_eq!(
        disagree[0].message,
        "the receiver models disagree on mail from sampled.example: from 192.0.2.10 an RFC 9989 receiver fails it and applies p=reject, an RFC 7489 receiver fails it and applies p=reject to 50% of failing mail and quarantine to the rest (pct=50)"
    );
}

#[test]
fn from_and_dkim_aligned_only_by_the_psl_fail_for_rfc9989_and_pass_for_rfc7489() {
    // Issue 13 acceptance: _dmarc.psd-parent.example says psd=y.
    let c = check(
        "a@mail.psd-parent.example",
        "bounce@mail.psd-parent.example",
        "s1",
        "dkim_domain = \"esp.psd-parent.example\"\n",
    );
    let sim = c.sim();
    let bis = &sim["receivers"]["rfc9989"];
    let legacy = &sim["receivers"]["rfc7489"];
    assert_eq!(bis["organizational_domain"], "mail.psd-parent.example");
    assert_eq!(bis["dkim_organizational_domain"], "esp.psd-parent.example");
    assert_eq!(bis["dkim_aligned"], false);
    assert_eq!(bis["policy_domain"], "psd-parent.example");
    assert_eq!(bis["verdict"], "fail");
    assert_eq!(legacy["organizational_domain"], "psd-parent.example");
    assert_eq!(legacy["dkim_organizational_domain"], "psd-parent.example");
    assert_eq!(legacy["dkim_aligned"], true);
    assert_eq!(legacy["verdict"], "pass");
    let ip = c.ip(0);
    assert_eq!(ip["dmarc"], "fail");
    assert_eq!(ip["receivers"]["rfc9989"]["dmarc"], "fail");
    assert_eq!(ip["receivers"]["rfc9989"]["disposition"], "sp=reject");
    assert_eq!(ip["receivers"]["rfc7489"]["dmarc"], "pass");
    assert_eq!(ip["receivers"]["rfc7489"]["disposition"], "deliver");
    assert_eq!(sim["verdict"], "fail");
    assert_eq!(c.campaign().result.as_deref(), Some("fail"));
    let fail = c.would_fail();
    assert_eq!(fail.len(), 1);
    assert_eq!(
        fail[0].message,
        "mail from mail.psd-parent.example sent from 192.0.2.10 would fail DMARC: SPF fail for mail.psd-parent.example; DKIM signs as esp.psd-parent.example, not aligned with mail.psd-parent.example (adkim=r: organizational domains esp.psd-parent.example and mail.psd-parent.example by the RFC 9989 tree walk); receivers would apply sp=reject (from _dmarc.psd-parent.example); an RFC 7489 receiver passes it (see dmarc/receivers-disagree)"
    );
    let disagree = c.campaign_findings("dmarc/receivers-disagree");
    assert_eq!(disagree.len(), 1);
    assert_eq!(
        disagree[0].message,
        "the receiver models disagree on mail from mail.psd-parent.example: from 192.0.2.10 an RFC 9989 receiver fails it and applies sp=reject, an RFC 7489 receiver passes it (the From domain mail.psd-parent.example's organizational domain is mail.psd-parent.example by the RFC 9989 tree walk and psd-parent.example by the Public Suffix List; the signing domain esp.psd-parent.example's organizational domain is esp.psd-parent.example by the RFC 9989 tree walk and psd-parent.example by the Public Suffix List)"
    );
    assert_eq!(disagree[0].severity, Severity::Warning);
    assert!(disagree[0].location.is_some());
}

#[test]
fn t_y_is_applied_one_level_weaker_by_rfc9989_only() {
    let c = check("a@testing.example", "bounce@testing.example", "s1", "");
    let ip = c.ip(0);
    assert_eq!(ip["dmarc"], "fail");
    assert_eq!(
        ip["disposition"],
        "p=reject applied as quarantine (t=y, testing)"
    );
    assert_eq!(c.sim()["policy"]["policy"], "quarantine");
    assert_eq!(c.sim()["policy"]["testing"], "reject");
    assert_eq!(ip["receivers"]["rfc7489"]["disposition"], "p=reject");
    assert_eq!(c.campaign_findings("dmarc/receivers-disagree").len(), 1);
}

#[test]
fn when_both_models_agree_the_campaign_has_no_disagreement() {
    for (from, envelope) in [
        ("a@spf-aligned.example", "bounce@spf-aligned.example"),
        ("a@both-fail.example", "bounce@both-fail.example"),
        ("a@news.parent.example", "bounce@parent.example"),
    ] {
        let c = check(from, envelope, "s1", "");
        assert!(
            c.campaign_findings("dmarc/receivers-disagree").is_empty(),
            "{from}: {:?}",
            c.campaign_findings("dmarc/receivers-disagree")
        );
        let ip = c.ip(0);
        assert_eq!(
            ip["receivers"]["rfc9989"]["dmarc"],
            ip["receivers"]["rfc7489"]["dmarc"]
        );
        assert_eq!(ip["dmarc"], ip["receivers"]["rfc9989"]["dmarc"]);
    }
}

#[test]
fn without_a_dmarc_record_nothing_would_fail() {
    let c = check("a@nopolicy.example", "bounce@nopolicy.example", "s1", "");
    assert_eq!(c.ip(0)["dmarc"], "none");
    assert!(c.sim()["policy"].is_null());
    assert!(c.would_fail().is_empty());
    assert!(
        c.domain("nopolicy.example")
            .findings
            .iter()
            .any(|f| f.rule == "dmarc/missing")
    );
}

#[test]
fn each_ip_is_judged_on_its_own() {
    let text = campaign_text(
        "a@spf-aligned.example",
        "bounce@spf-aligned.example",
        "s1",
        "",
        &[IP, "198.51.100.99"],
    );
    let c = check_text(&text);
    assert_eq!(c.ip(0)["dmarc"], "pass");
    assert_eq!(c.ip(1)["dmarc"], "fail");
    assert_eq!(c.sim()["verdict"], "fail");
    let fails = c.would_fail();
    assert_eq!(fails.len(), 1);
    assert!(fails[0].message.contains("198.51.100.99"));
    assert_eq!(
        fails[0].location,
        Some(Location::Line {
            file: "campaign.toml".into(),
            line: 5
        })
    );
    // The IP's own SPF finding points at its line too.
    let not_permitted = c
        .domain("spf-aligned.example")
        .findings
        .iter()
        .find(|f| f.rule == "spf/ip-not-permitted")
        .unwrap();
    assert_eq!(
        not_permitted.location,
        Some(Location::Line {
            file: "campaign.toml".into(),
            line: 5
        })
    );
}

#[test]
fn every_finding_of_a_check_has_a_location() {
    for (from, envelope) in [
        ("a@both-fail.example", "bounce@both-fail.example"),
        ("a@brand.example", "bounce@bounce.esp-mail.example"),
        ("a@nopolicy.example", "bounce@nopolicy.example"),
    ] {
        let c = check(from, envelope, "s1", "");
        for result in &c.results {
            for f in &result.findings {
                assert!(f.location.is_some(), "{} {}: no location", f.rule, f.target);
            }
        }
    }
}

#[test]
fn the_result_kinds_come_in_campaign_order() {
    let c = check(
        "a@brand.example",
        "bounce@bounce.esp-mail.example",
        "s1",
        "",
    );
    let order: Vec<(&str, &str)> = c
        .results
        .iter()
        .map(|r| (r.kind.as_str(), r.target.as_str()))
        .collect();
    assert_eq!(
        order,
        [
            ("domain", "brand.example"),
            ("domain", "bounce.esp-mail.example"),
            ("campaign", "campaign.toml"),
        ]
    );
}

#[test]
fn simulation_enums_serialize_as_documented() {
    assert_eq!(
        serde_json::to_value(DmarcResult::TempError).unwrap(),
        "temperror"
    );
    assert_eq!(
        serde_json::to_value(KeyStatus::Unusable).unwrap(),
        "unusable"
    );
}

#[test]
fn a_failed_tree_walk_leaves_rfc9989_alignment_unknown_never_failed() {
    let text = campaign_text(
        "a@walkfail.example",
        "bounce@bounces.walkfail.example",
        "s1",
        "",
        &[IP],
    );
    let c = check_text_timing_out(&text, &["_dmarc.bounces.walkfail.example"]);
    let bis = &c.sim()["receivers"]["rfc9989"];
    assert_eq!(bis["spf_aligned"], Value::Null);
    assert_eq!(bis["spf_organizational_domain"], Value::Null);
    let ip = c.ip(0);
    assert_eq!(ip["spf"], "pass");
    // SPF passes; whether it aligns is unknown: nothing is concluded from the failed query.
    assert_eq!(ip["dmarc"], "temperror");
    assert_eq!(ip["receivers"]["rfc7489"]["dmarc"], "pass");
    assert!(c.would_fail().is_empty());
    assert!(c.campaign_findings("dmarc/receivers-disagree").is_empty());
    let envelope = c.domain("bounces.walkfail.example");
    assert!(
        envelope
            .findings
            .iter()
            .any(|f| f.rule == "dns/inconclusive"),
        "{:?}",
        envelope.findings
    );
}
