//! The draft rules on their fixtures in `fixtures/drafts/rules/` (`AREA-NAME-fires.eml` and
//! `AREA-NAME-silent.eml` for rule `AREA/NAME`; that each fires and stays silent is the family
//! contract, contract.rs): severities, locations, template mode. Sequence rules have
//! directories in `fixtures/drafts/sequences/` (see message_run.rs); unreadable and too-large
//! drafts are made by the tests below.

use mailaudit::finding::{Finding, Location, Severity};
use mailaudit::message::{self, DraftOptions, audit_draft, audit_file};
use mailaudit::rules::{RuleId, Rules};
use std::path::{Path, PathBuf};

fn rules() -> Rules {
    let mut rules = Rules::builtin().unwrap();
    rules.apply_profile("cold-outreach").unwrap();
    rules
}

fn fixture(name: &str) -> PathBuf {
    Path::new("fixtures/drafts/rules").join(name)
}

fn audit(name: &str, template: bool) -> Vec<Finding> {
    let options = DraftOptions {
        template,
        ..DraftOptions::default()
    };
    let audit = audit_file(&fixture(name), &rules(), &options);
    assert_eq!(audit.target, fixture(name).display().to_string());
    audit.findings
}

/// The rules with a fires/silent pair in fixtures/drafts/rules.
fn rules_with_fixtures() -> Vec<RuleId> {
    [
        &[message::rules::UNPARSEABLE][..],
        message::rules::HEADER_RULES,
        message::rules::UNSUBSCRIBE_RULES,
        message::rules::SUBJECT_RULES,
    ]
    .concat()
}

#[test]
fn the_good_draft_and_the_silent_fixtures_have_no_header_findings() {
    let mine = rules_with_fixtures();
    let dir = Path::new("fixtures/drafts/rules");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n == "good.eml" || n.ends_with("-silent.eml"))
        .collect();
    names.sort();
    for name in names {
        let own_rule = name.trim_end_matches("-silent.eml");
        let findings: Vec<String> = audit(&name, false)
            .into_iter()
            .filter(|f| mine.iter().any(|id| f.rule == *id))
            .filter(|f| name == "good.eml" || f.rule.replace('/', "-") != own_rule)
            .map(|f| format!("{}: {}", f.rule, f.message))
            .collect();
        assert!(findings.is_empty(), "{name}: {findings:#?}");
    }
}

#[test]
fn missing_from_is_an_error_and_missing_date_a_warning() {
    let findings = audit("message-missing-header-fires.eml", false);
    let from = findings
        .iter()
        .find(|f| f.message.contains("no From"))
        .unwrap();
    assert_eq!(from.severity, Severity::Error);
    assert_eq!(from.location, Some(Location::Header("From".into())));
    let date = findings
        .iter()
        .find(|f| f.message.contains("no Date"))
        .unwrap();
    assert_eq!(date.severity, Severity::Warning);
}

#[test]
fn duplicate_points_at_the_second_occurrence() {
    let findings = audit("message-duplicate-header-fires.eml", false);
    let dup = findings
        .iter()
        .find(|f| f.rule == "message/duplicate-header")
        .unwrap();
    assert!(
        dup.message.starts_with("Subject appears 2 times"),
        "{}",
        dup.message
    );
    let Some(Location::Line { line, .. }) = dup.location else {
        panic!("{:?}", dup.location)
    };
    assert_eq!(line, 5);
}

#[test]
fn mbox_crlf_and_8bit_headers_parse_with_file_lines() {
    let path = fixture("message-unparseable-silent.eml");
    let audit = audit_file(&path, &rules(), &DraftOptions::default());
    assert!(audit.facts.parsed);
    assert!(audit.facts.mbox_from_line);
    assert_eq!(audit.touch.from_line, Some(3), "line 1 is the mbox line");
    assert_eq!(audit.facts.parts[0].start_line, 15);
}

#[test]
fn unparseable_names_the_line_and_stops() {
    let findings = audit("message-unparseable-fires.eml", false);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(findings[0].severity, Severity::Error);
    assert!(matches!(
        findings[0].location,
        Some(Location::Line { line: 1, .. })
    ));
}

#[test]
fn template_tokens_count_as_https_one_click_uris() {
    let rendered = audit("unsubscribe-template-token.eml", false);
    let syntax = rendered
        .iter()
        .find(|f| f.rule == "unsubscribe/syntax")
        .expect("a placeholder in a rendered draft is not a URI");
    assert!(syntax.message.contains("--template"), "{}", syntax.message);
    assert!(rendered.iter().any(|f| f.rule == "message/missing-header"));

    let template = audit("unsubscribe-template-token.eml", true);
    let unsubscribe: Vec<&Finding> = template
        .iter()
        .filter(|f| f.rule.starts_with("unsubscribe/") || f.rule == "message/missing-header")
        .collect();
    assert!(unsubscribe.is_empty(), "{unsubscribe:#?}");
    let audit = audit_file(
        &fixture("unsubscribe-template-token.eml"),
        &rules(),
        &DraftOptions {
            template: true,
            ..DraftOptions::default()
        },
    );
    let facts = audit.facts.unsubscribe.unwrap();
    assert!(facts.https && facts.one_click);
    assert_eq!(
        facts.uris,
        ["{{unsubscribe_link}}", "mailto:…@acme.example"]
    );
}

#[test]
fn too_large_is_a_finding_not_a_crash() {
    let bytes = std::fs::read(fixture("good.eml")).unwrap();
    let rules = rules();
    let small = DraftOptions {
        max_size: 100,
        ..DraftOptions::default()
    };
    let audit = audit_draft("big.eml", &bytes, &rules, &small);
    assert_eq!(audit.findings.len(), 1);
    assert_eq!(audit.findings[0].rule, "message/too-large");
    assert_eq!(
        audit.findings[0].evidence.threshold,
        Some(serde_json::json!(100))
    );
    assert!(!audit.facts.parsed);
    // The same file through the file reader, and silent under the default limit.
    let audit = audit_file(&fixture("good.eml"), &rules, &small);
    assert_eq!(audit.findings[0].rule, "message/too-large");
    let audit = audit_file(&fixture("good.eml"), &rules, &DraftOptions::default());
    assert!(audit.findings.iter().all(|f| f.rule != "message/too-large"));
}

#[test]
fn unreadable_is_a_finding() {
    let rules = rules();
    let audit = audit_file(
        Path::new("fixtures/drafts/rules/no-such-draft.eml"),
        &rules,
        &DraftOptions::default(),
    );
    assert_eq!(audit.findings.len(), 1);
    assert_eq!(audit.findings[0].rule, "message/unreadable");
    assert!(audit.findings[0].message.contains("no such file"));
    let audit = audit_file(
        Path::new("fixtures/drafts"),
        &rules,
        &DraftOptions::default(),
    );
    assert_eq!(audit.findings[0].rule, "message/unreadable");
    // Silent: a readable draft.
    let audit = audit_file(&fixture("good.eml"), &rules, &DraftOptions::default());
    assert!(
        audit
            .findings
            .iter()
            .all(|f| f.rule != "message/unreadable")
    );
}

#[test]
fn facts_hold_no_recipient_and_no_body_text() {
    let audit = audit_file(&fixture("good.eml"), &rules(), &DraftOptions::default());
    let json = serde_json::to_string(&audit.facts).unwrap();
    for private in ["sam@prospect.example", "Sam Doe", "opaque-1", "Hi Sam"] {
        assert!(!json.contains(private), "{private} in {json}");
    }
    let headers = audit.facts.headers.unwrap();
    assert_eq!(headers.from_domain.as_deref(), Some("acme.example"));
    assert_eq!(headers.subject_length, Some(37));
}

#[test]
fn merge_tags_in_the_subject_are_expected_in_template_mode() {
    let rendered = audit("subject-unresolved-merge-tag-fires.eml", false);
    let hit = rendered
        .iter()
        .find(|f| f.rule == "subject/unresolved-merge-tag")
        .unwrap();
    assert!(hit.message.contains("{{first_name}}"), "{}", hit.message);
    let template = audit("subject-unresolved-merge-tag-fires.eml", true);
    assert!(
        template
            .iter()
            .all(|f| f.rule != "subject/unresolved-merge-tag"),
        "{template:#?}"
    );
}
