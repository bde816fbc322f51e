//! Suppressions of SPEC issue 6 item 4: the inline `X-Mailaudit-Ignore: RULE; REASON` header of
//! a draft (drops that draft's findings of the rule; without a reason or with an unknown rule
//! it is itself a finding; one that matches nothing is config/unused-ignore), and the
//! `[[ignore]]` entries of a campaign file going through the report's suppressor.

use mailaudit::app::registry::{CommandRules, rules_run_by};
use mailaudit::campaign::Campaign;
use mailaudit::config::{Config, Suppressor};
use mailaudit::finding::{Location, Severity};
use mailaudit::message::{DraftOptions, audit_draft};
use mailaudit::rules::Rules;
use std::path::Path;

/// A draft without List-Unsubscribe-Post (unsubscribe/one-click-missing fires), with
/// `headers` inserted after the first line.
fn draft(headers: &str) -> String {
    format!(
        "From: Ann Lee <ann@acme.example>\n{headers}To: Sam Doe <sam@prospect.example>\nSubject: Quick question about your Q3 pipeline\nDate: Tue, 04 Mar 2025 09:00:00 +0000\nMessage-ID: <intro-1@acme.example>\nMIME-Version: 1.0\nList-Unsubscribe: <https://acme.example/unsubscribe/opaque-1>\nContent-Type: text/plain; charset=utf-8\n\nHi Sam,\n\nI noticed Prospect is hiring two account executives this quarter. Teams at that\nstage usually lose a day a week to list cleaning before a campaign goes out.\n\nWe built a checker that catches broken unsubscribe headers and authentication\ngaps before the first send, so nothing lands in spam on day one.\n\nWould a fifteen-minute call next Tuesday or Wednesday be useful? If the timing\nis wrong, just tell me and I will not follow up.\n\nAnn Lee\nAcme Inc., 1 Main Street, Springfield, IL 62701, USA\nNot interested? Unsubscribe: https://acme.example/unsubscribe/opaque-1\n"
    )
}

fn audit(headers: &str) -> mailaudit::message::DraftAudit {
    let rules = Rules::builtin().unwrap();
    audit_draft(
        "d.eml",
        draft(headers).as_bytes(),
        &rules,
        &DraftOptions::default(),
    )
}

fn rules_of(audit: &mailaudit::message::DraftAudit) -> Vec<&str> {
    audit.findings.iter().map(|f| f.rule.as_str()).collect()
}

#[test]
fn without_a_header_the_finding_is_there() {
    let a = audit("");
    assert_eq!(rules_of(&a), ["unsubscribe/one-click-missing"]);
    assert!(a.facts.inline_ignores.is_empty());
    // Nothing about inline ignores in the JSON facts of a draft without them.
    let facts = serde_json::to_value(&a.facts).unwrap();
    assert!(facts.get("inline_ignores").is_none());
}

#[test]
fn an_inline_ignore_drops_the_rule_for_this_draft() {
    let a = audit(
        "X-Mailaudit-Ignore: unsubscribe/one-click-missing; transactional follow-up, not bulk\n",
    );
    assert!(a.findings.is_empty(), "{:?}", rules_of(&a));
    let applied = &a.facts.inline_ignores[0];
    assert_eq!(applied.rule, "unsubscribe/one-click-missing");
    assert_eq!(applied.reason, "transactional follow-up, not bulk");
    assert_eq!(applied.line, 2);
    assert_eq!(applied.suppressed, 1);
}

#[test]
fn the_header_is_read_folded_and_in_any_case() {
    let a = audit(
        "x-mailaudit-ignore: unsubscribe/one-click-missing;\n  the reason is on the next line\n",
    );
    assert!(a.findings.is_empty(), "{:?}", rules_of(&a));
    assert_eq!(
        a.facts.inline_ignores[0].reason,
        "the reason is on the next line"
    );
}

#[test]
fn a_header_without_a_reason_is_a_finding_and_suppresses_nothing() {
    for headers in [
        "X-Mailaudit-Ignore: unsubscribe/one-click-missing\n",
        "X-Mailaudit-Ignore: unsubscribe/one-click-missing;   \n",
    ] {
        let a = audit(headers);
        let mut rules = rules_of(&a);
        rules.sort_unstable();
        assert_eq!(
            rules,
            ["config/invalid-ignore", "unsubscribe/one-click-missing"],
            "{headers}"
        );
        let invalid = a
            .findings
            .iter()
            .find(|f| f.rule == "config/invalid-ignore")
            .unwrap();
        assert_eq!(invalid.severity, Severity::Error);
        assert!(
            invalid.message.contains("gives no reason"),
            "{}",
            invalid.message
        );
        assert_eq!(
            invalid.location,
            Some(Location::Line {
                file: "d.eml".into(),
                line: 2
            })
        );
        assert!(a.facts.inline_ignores.is_empty());
    }
}

#[test]
fn an_unknown_rule_or_no_rule_is_a_finding() {
    let a = audit("X-Mailaudit-Ignore: unsubscribe/one-click-mising; typo\n");
    let invalid = a
        .findings
        .iter()
        .find(|f| f.rule == "config/invalid-ignore")
        .unwrap();
    assert!(
        invalid
            .message
            .contains("`unsubscribe/one-click-mising`, which is not a rule id")
    );
    assert!(rules_of(&a).contains(&"unsubscribe/one-click-missing"));

    let a = audit("X-Mailaudit-Ignore: ; no rule\n");
    assert!(
        a.findings
            .iter()
            .any(|f| f.rule == "config/invalid-ignore" && f.message.contains("names no rule"))
    );
}

#[test]
fn an_inline_ignore_that_matches_nothing_is_unused() {
    let a = audit(
        "X-Mailaudit-Ignore: unsubscribe/one-click-missing; not bulk\nX-Mailaudit-Ignore: subject/fake-reply; the subject is fine anyway\n",
    );
    assert_eq!(rules_of(&a), ["config/unused-ignore"]);
    let unused = &a.findings[0];
    assert_eq!(unused.severity, Severity::Warning);
    assert_eq!(unused.target, "d.eml");
    assert_eq!(
        unused.message,
        "the X-Mailaudit-Ignore of subject/fake-reply matched no finding of this draft"
    );
    assert_eq!(
        unused.location,
        Some(Location::Line {
            file: "d.eml".into(),
            line: 3
        })
    );
    assert_eq!(
        unused.evidence.record.as_deref(),
        Some("reason = \"the subject is fine anyway\"")
    );
    assert_eq!(a.facts.inline_ignores.len(), 2);
    assert_eq!(a.facts.inline_ignores[1].suppressed, 0);
}

#[test]
fn the_same_rule_twice_leaves_the_second_unused() {
    let a = audit(
        "X-Mailaudit-Ignore: unsubscribe/one-click-missing; one\nX-Mailaudit-Ignore: unsubscribe/one-click-missing; two\n",
    );
    assert_eq!(rules_of(&a), ["config/unused-ignore"]);
    assert_eq!(
        a.findings[0].location,
        Some(Location::Line {
            file: "d.eml".into(),
            line: 3
        })
    );
}

#[test]
fn campaign_ignores_suppress_and_report_when_unused() {
    let text = "from = \"a@x.example\"\nenvelope_from = \"b@x.example\"\nsending_ips = [\"192.0.2.10\"]\ndkim_selector = \"s1\"\n\n[[ignore]]\nrule = \"spf/ptr-mechanism\"\ntarget = \"x.example\"\nreason = \"vendor include\"\n\n[[ignore]]\nrule = \"spf/mx-limit\"\nreason = \"stale\"\n";
    let campaign = Campaign::parse(text, Path::new("campaign.toml"), false).unwrap();
    let mut config = Config::default();
    config.layer(campaign.config.clone());
    let rules = Rules::builtin().unwrap();
    let mut suppressor = Suppressor::new(&config);
    let mut findings =
        vec![rules.finding(mailaudit::spf::rules::PTR_MECHANISM, "x.example", "ptr")];
    assert_eq!(suppressor.suppress("x.example", &mut findings), 1);
    let unused = suppressor.unused(&rules_run_by(CommandRules::Check));
    assert_eq!(unused.len(), 1);
    assert_eq!(
        (unused[0].rule.as_str(), unused[0].line),
        ("spf/mx-limit", 11)
    );
    assert_eq!(unused[0].source, "campaign.toml");
}
