//! The sending statistics of `mailaudit check` (SPEC §4.6, §4.7): the campaign's `stats` file
//! is scored as `mailaudit sender` scores it, for the campaign's domains; a bulk sender gets
//! the bulk-sender requirements as errors even where the user's files lowered them; a file
//! without rows for the campaign is `sender/no-recent-data`; a bad file stops the run (exit 2,
//! file:line:column); `warmup_start` declares the From domain's warm-up.

use crate::support::results;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

const HEADER: &str =
    "date,domain,sent,delivered,hard_bounces,soft_bounces,complaints,unsubscribes,provider\n";

/// Fourteen days of `sent` a day to Gmail for `domain`, from 2025-06-01, with no complaints.
fn days(domain: &str, sent: u64) -> String {
    let mut text = String::from(HEADER);
    for day in 1..=14 {
        let delivered = sent - sent / 100;
        text.push_str(&format!(
            "2025-06-{day:02},{domain},{sent},{delivered},0,{},0,0,gmail\n",
            sent / 100
        ));
    }
    text
}

/// A draft sent from spf-aligned.example with List-Unsubscribe but no one-click header.
const DRAFT: &str = "From: Ann Lee <ann@spf-aligned.example>\r\nTo: Sam <sam@prospect.example>\r\nSubject: Shipping windows for June\r\nDate: Tue, 03 Jun 2025 09:00:00 +0000\r\nMessage-ID: <a1@spf-aligned.example>\r\nList-Unsubscribe: <https://spf-aligned.example/u/1>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHi Sam,\r\n\r\nWe moved our June shipping windows forward by two days so that orders placed\r\nbefore Thursday leave the warehouse the same week. If your team plans a restock\r\nthis month, booking before Wednesday keeps the earlier slot. I can send the\r\nupdated calendar and the rates for the new windows if that helps your planning.\r\n\r\nAnn Lee, Spf Aligned Logistics, 12 Harbour Road, Springfield, IL 62701, USA\r\nTo stop these emails, unsubscribe at https://spf-aligned.example/u/1\r\n";

/// The campaign (From and envelope spf-aligned.example, IP 192.0.2.10, selector s1 which has
/// no key there) with `extra` keys, a `mailaudit.toml` lowering two bulk requirements to
/// warnings (and ignoring the missing PTR of the simulation zone), and the given stats file; runs `check --format json` in a fresh directory, on 2025-06-15 (`--as-of`: the day after the
/// statistics of [`days`] end).
fn check(extra: &str, stats: &str) -> (i32, Value, String) {
    check_on(extra, stats, "2025-06-15")
}

/// [`check`] on another day (`--as-of`).
fn check_on(extra: &str, stats: &str, as_of: &str) -> (i32, Value, String) {
    let dir = tempfile::tempdir().unwrap();
    let zone =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/campaign/simulation/simulation.zone");
    std::fs::create_dir(dir.path().join("drafts")).unwrap();
    std::fs::write(dir.path().join("drafts/01.eml"), DRAFT).unwrap();
    std::fs::write(dir.path().join("stats.csv"), stats).unwrap();
    std::fs::write(
        dir.path().join("campaign.toml"),
        format!(
            "from = \"ann@spf-aligned.example\"\nenvelope_from = \"bounces@spf-aligned.example\"\nsending_ips = [\"192.0.2.10\"]\ndkim_selector = \"s1\"\ndrafts = \"drafts\"\nstats = \"stats.csv\"\nzones = [{:?}]\n{extra}",
            zone.display().to_string()
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("mailaudit.toml"),
        "[rules.\"dkim/missing\"]\nseverity = \"warning\"\n\n[rules.\"unsubscribe/one-click-missing\"]\nseverity = \"warning\"\n\n[[ignore]]\nrule = \"rdns/missing\"\nreason = \"the simulation zone has no reverse zone\"\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_mailaudit"))
        .args([
            "check",
            "--format",
            "json",
            "--fail-on",
            "error",
            "--as-of",
            as_of,
        ])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let report = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code().unwrap(), report, stderr)
}

/// (severity, message) of every finding of `rule` in the report.
fn findings(report: &Value, rule: &str) -> Vec<(String, String)> {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["findings"].as_array().unwrap())
        .filter(|f| f["rule"] == rule)
        .map(|f| {
            (
                f["severity"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn a_small_sender_keeps_the_users_severities() {
    let (status, report, stderr) = check("", &days("spf-aligned.example", 800));
    // dkim/missing and one-click-missing were lowered to warnings: nothing reaches error.
    assert_eq!(status, 0, "{stderr}\n{report:#}");
    let sender = results(&report, "sender");
    assert_eq!(sender.len(), 1);
    assert_eq!(sender[0]["target"], "spf-aligned.example");
    assert!(findings(&report, "sender/bulk-sender").is_empty());
    let campaign = &results(&report, "campaign")[0]["facts"];
    assert_eq!(campaign["bulk_sender"], false);
    assert_eq!(campaign["stats"]["domains"][0], "spf-aligned.example");
    for rule in ["dkim/missing", "unsubscribe/one-click-missing"] {
        let found = findings(&report, rule);
        assert_eq!(found.len(), 1, "{rule}: {found:?}");
        assert_eq!(found[0].0, "warning", "{rule}");
        assert!(!found[0].1.contains("bulk-sender requirement"), "{rule}");
    }
}

#[test]
fn a_bulk_sender_gets_the_requirements_as_errors_over_the_users_severities() {
    // 6,000 a day to Gmail: over the 5,000 of the bulk-sender rule.
    let (status, report, stderr) = check("", &days("spf-aligned.example", 6000));
    assert_eq!(status, 1, "{stderr}\n{report:#}");
    let bulk = findings(&report, "sender/bulk-sender");
    assert_eq!(bulk.len(), 1, "{bulk:?}");
    assert_eq!(bulk[0].0, "info");
    assert_eq!(
        results(&report, "campaign")[0]["facts"]["bulk_sender"],
        true
    );
    for rule in ["dkim/missing", "unsubscribe/one-click-missing"] {
        let found = findings(&report, rule);
        assert_eq!(found.len(), 1, "{rule}: {found:?}");
        assert_eq!(found[0].0, "error", "{rule}");
        assert!(
            found[0]
                .1
                .contains("(a bulk-sender requirement, always an error"),
            "{rule}: {}",
            found[0].1
        );
    }
}

#[test]
fn a_rule_the_user_turned_off_stays_off_for_a_bulk_sender() {
    let (_, report, stderr) = check(
        "\n[rules.\"unsubscribe/one-click-missing\"]\nseverity = \"off\"\n",
        &days("spf-aligned.example", 6000),
    );
    assert!(report.is_object(), "{stderr}");
    assert!(findings(&report, "unsubscribe/one-click-missing").is_empty());
    assert_eq!(findings(&report, "dkim/missing")[0].0, "error");
}

#[test]
fn statistics_of_other_domains_only_are_no_recent_data_at_the_stats_line() {
    let (status, report, stderr) = check("", &days("elsewhere.example", 800));
    // sender/no-recent-data is an error: a campaign whose sending history cannot be judged
    // does not pass the gate.
    assert_eq!(status, 1, "{stderr}");
    assert!(results(&report, "sender").is_empty());
    let campaign = results(&report, "campaign")[0];
    assert_eq!(
        campaign["facts"]["stats"]["other_domains"][0],
        "elsewhere.example"
    );
    let finding = campaign["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "sender/no-recent-data")
        .unwrap_or_else(|| panic!("no sender/no-recent-data in {campaign:#}"));
    assert!(
        finding["message"]
            .as_str()
            .unwrap()
            .contains("no rows for spf-aligned.example"),
        "{finding}"
    );
    assert_eq!(finding["severity"], "error");
    assert_eq!(finding["location"]["file"], "campaign.toml");
    assert_eq!(finding["location"]["line"], 6);
}

#[test]
fn a_bad_stats_file_stops_the_check_with_its_line_and_column() {
    let mut stats = days("spf-aligned.example", 800);
    stats.push_str("2025-06-15,spf-aligned.example,100,101,0,0,0,0,gmail\n");
    let (status, report, stderr) = check("", &stats);
    assert_eq!(status, 2, "{report:#}");
    assert!(report.is_null(), "no report on an input error");
    assert!(stderr.contains("stats.csv:16:"), "{stderr}");
    assert!(
        stderr.contains("delivered (101) is more than sent (100)"),
        "{stderr}"
    );
}

#[test]
fn warmup_start_declares_the_from_domains_warm_up() {
    let (_, report, stderr) = check(
        "warmup_start = \"2025-06-01\"\n",
        &days("spf-aligned.example", 800),
    );
    let sender = results(&report, "sender");
    assert_eq!(sender.len(), 1, "{stderr}");
    let stage = &sender[0]["facts"]["stage"];
    assert_eq!(stage["state"], "warming_up", "{stage}");
    assert_eq!(stage["start"], "2025-06-01");
    assert_eq!(stage["source"], "option");
    // 800 a day from day 1 is over the schedule's first caps.
    assert!(!findings(&report, "sender/warmup-ramp").is_empty());

    let (status, _, stderr) = check(
        "warmup_start = \"2025-13-01\"\n",
        &days("spf-aligned.example", 800),
    );
    assert_eq!(status, 2);
    assert!(
        stderr.contains("campaign.toml:8: `warmup_start`"),
        "{stderr}"
    );
}

#[test]
fn statistics_that_stopped_fail_the_gate_on_the_as_of_day() {
    // The same fourteen days, judged on 2025-06-30: the newest row is 16 days old.
    let stats = days("spf-aligned.example", 800);
    let (status, report, stderr) = check_on("", &stats, "2025-06-30");
    assert_eq!(status, 1, "{stderr}");
    assert_eq!(
        findings(&report, "sender/no-recent-data"),
        [(
            "error".to_string(),
            "the newest row for spf-aligned.example is from 2025-06-14, 16 days before 2025-06-30 \
             (--as-of)"
                .to_string()
        )]
    );
    // Three days is still recent (max_age_days = 3).
    let (_, report, _) = check_on("", &stats, "2025-06-17");
    assert_eq!(findings(&report, "sender/no-recent-data"), []);
}
