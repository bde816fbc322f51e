//! The report of `mailaudit sender` on three fixtures (a warm-up done right, a complaint
//! spike with providers, a new IP next to a bulk-sending one), in the human and json
//! formats, pinned with insta.

use crate::report_fixture;

use mailaudit::report::Format;
use mailaudit::rules::Rules;
use mailaudit::run::{Mode, Report, TargetResult};
use mailaudit::sender::{SenderOptions, audit_files};
use report_fixture::render;
use std::path::PathBuf;

fn report() -> Report {
    let rules = Rules::builtin().unwrap();
    let files: Vec<PathBuf> = ["warmup-good.csv", "complaint-spike.csv", "providers.csv"]
        .iter()
        .map(|name| PathBuf::from("fixtures/stats").join(name))
        .collect();
    let run = audit_files(&files, &rules, &SenderOptions::default()).unwrap();
    // The mode the binary writes for `mailaudit sender FILES`.
    let mut report = Report::new(
        "sender",
        Mode::Stats {
            files: files.iter().map(|f| f.display().to_string()).collect(),
        },
    );
    for result in run.results {
        let mut result = TargetResult::from(result);
        mailaudit::finding::sort_findings(&mut result.findings);
        report.results.push(result);
    }
    report
}

#[test]
fn human_sender_report() {
    insta::assert_snapshot!(render(&report(), Format::Human));
}

#[test]
fn json_sender_report() {
    let json = render(&report(), Format::Json);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["schema_version"], 1);
    assert_eq!(value["command"], "sender");
    insta::assert_snapshot!(report_fixture::without_version(&json));
}
