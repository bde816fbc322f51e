//! The campaign gate and the list (issue 15, item 4): a campaign file's `recipients` and
//! `suppressions` make `mailaudit check` run the list checks with the campaign's DNS and fail
//! on a suppressed recipient; its `stats` files are summed per key as `sender --merge` sums
//! them, so the sender is scored from its figures merged with feedback.

use crate::support;

use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn check(args: &[&str]) -> (i32, Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mailaudit"))
        .arg("check")
        .args(args)
        .args(["--format", "json"])
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let report = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    (out.status.code().unwrap_or(-1), report, stderr)
}

fn rules_of(result: &Value) -> Vec<String> {
    result["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_suppressed_recipient_fails_the_check() {
    let (code, report, stderr) = check(&["fixtures/campaign/list/campaign.toml"]);
    assert_eq!(code, 1, "{stderr}");
    let lists = support::results(&report, "recipient-list");
    assert_eq!(lists.len(), 1);
    let list = lists[0];
    assert_eq!(list["target"], "fixtures/list/dirty.csv");
    let suppressed = list["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "list/suppressed")
        .expect("list/suppressed");
    assert_eq!(suppressed["severity"], "error");
    assert_eq!(
        suppressed["location"],
        serde_json::json!({"kind": "line", "file": "fixtures/list/dirty.csv", "line": 4})
    );
    // The campaign's zones answer for the recipients' domains.
    let rules = rules_of(list);
    assert!(rules.contains(&"list/null-mx".to_string()), "{rules:?}");
    assert_eq!(list["facts"]["dns"]["null_mx"], 1);
    assert_eq!(report["verdict"], "fail");
}

#[test]
fn a_clean_recipient_list_passes_the_check() {
    let (code, report, stderr) = check(&["fixtures/campaign/list/clean.toml"]);
    assert_eq!(code, 0, "{stderr}");
    let list = support::results(&report, "recipient-list")[0];
    assert!(rules_of(list).is_empty(), "{list}");
    assert_eq!(list["facts"]["dns"]["checked"], 2);
}

#[test]
fn a_missing_suppression_list_is_refused_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join("fixtures/campaign/list/clean.toml"))
        .unwrap()
        .replace("../../", &format!("{}/fixtures/", root().display()))
        .replace("unsubscribes.txt", "gone.txt");
    let file = dir.path().join("c.toml");
    std::fs::write(&file, text).unwrap();
    let (code, _, stderr) = check(&[file.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("c.toml:8: `suppressions`") && stderr.contains("gone.txt"),
        "{stderr}"
    );
}

#[test]
fn the_sender_is_scored_from_its_stats_merged_with_feedback() {
    let (code, report, stderr) = check(&[
        "fixtures/campaign/list/merged.toml",
        "--as-of",
        "2026-11-14",
    ]);
    assert!(code == 1, "{stderr}");
    let sender = support::results(&report, "sender")
        .into_iter()
        .find(|r| r["target"] == "merged.example")
        .expect("merged.example scored");
    let complaint = sender["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "sender/complaint-rate")
        .expect("complaints from the feedback file");
    assert_eq!(complaint["severity"], "error");
    assert_eq!(sender["facts"]["totals"]["complaints"], 7 * 8);
    assert_eq!(sender["facts"]["totals"]["sent"], 14 * 2000);
    let campaign = support::results(&report, "campaign")[0];
    assert_eq!(
        campaign["facts"]["stats"]["files"],
        serde_json::json!([
            "fixtures/stats/merge/sent.csv",
            "fixtures/stats/merge/feedback.csv"
        ])
    );
}
