//! The report of `mailaudit message` on `fixtures/drafts/report/` (three touches of one
//! sequence: a clean one, one with header problems, one that changes the sender), in the
//! human and json formats, pinned with insta.

use crate::report_fixture;

use mailaudit::message::{DraftOptions, audit_paths};
use mailaudit::report::Format;
use mailaudit::rules::Rules;
use mailaudit::run::{Mode, Report, TargetResult};
use report_fixture::render;
use serde_json::Value;
use std::path::PathBuf;

fn report(template: bool) -> Report {
    let mut rules = Rules::builtin().unwrap();
    rules.apply_profile("cold-outreach").unwrap();
    let mut report = Report::new(
        "message",
        Mode::Drafts {
            profile: "cold-outreach".into(),
            template,
            dns: None,
        },
    );
    let options = DraftOptions {
        template,
        ..DraftOptions::default()
    };
    audit_paths(
        &[PathBuf::from("fixtures/drafts/report")],
        &rules,
        &options,
        2,
        |done| {
            let mut result = TargetResult::from(done.unwrap());
            rules.apply_levels(&mut result.findings);
            report.results.push(result);
            Ok::<(), ()>(())
        },
    )
    .unwrap();
    report
}

#[test]
fn human_message_report() {
    insta::assert_snapshot!(render(&report(false), Format::Human));
}

#[test]
fn json_message_report() {
    insta::assert_snapshot!(report_fixture::without_version(&render(
        &report(false),
        Format::Json
    )));
}

#[test]
fn json_message_report_shape() {
    let value: Value = serde_json::from_str(&render(&report(true), Format::Json)).unwrap();
    assert_eq!(value["command"], "message");
    assert_eq!(
        value["mode"],
        serde_json::json!({"dns": "none", "profile": "cold-outreach", "template": true})
    );
    let results = value["results"].as_array().unwrap();
    let kinds: Vec<(&str, &str)> = results
        .iter()
        .map(|r| (r["kind"].as_str().unwrap(), r["target"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("sequence", "fixtures/drafts/report"),
            ("draft", "fixtures/drafts/report/01-intro.eml"),
            ("draft", "fixtures/drafts/report/02-follow-up.eml"),
            ("draft", "fixtures/drafts/report/03-breakup.eml"),
        ]
    );
    let draft = &results[1]["facts"];
    assert_eq!(draft["parsed"], true);
    assert_eq!(draft["template"], true);
    assert_eq!(draft["headers"]["from_domain"], "acme.example");
    assert_eq!(draft["unsubscribe"]["one_click"], true);
    assert_eq!(draft["parts"][0]["content_type"], "text/plain");
    assert!(draft["body"].is_object());
    // The human summary line says which profile and mode ran; the verdict follows it.
    let human = render(&report(true), Format::Human);
    let mut last = human.trim_end().lines().rev();
    assert!(last.next().unwrap().starts_with("FAIL: "), "{human}");
    assert!(
        last.next()
            .unwrap()
            .ends_with("profile cold-outreach, template mode (merge tags expected)"),
        "{human}"
    );
}

#[test]
fn jsonl_lines_are_valid_json() {
    let text = render(&report(false), Format::Jsonl);
    // Four results, then the summary line.
    assert_eq!(text.lines().count(), 5);
    for line in text.lines() {
        let value: Value = serde_json::from_str(line).unwrap();
        assert_eq!(value["schema_version"], 1);
    }
    let last: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(last["kind"], "summary");
    assert_eq!(last["summary"]["targets"], 4);
}
