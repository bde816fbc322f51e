//! `mailaudit sender --merge`: rows of different files with the same (date, domain, ip,
//! provider) are summed, so the sender's own sent/delivered figures and the bounces and
//! complaints `mailaudit feedback --stats-out` counts (sent = 0, delivered = 0) score one
//! domain together; without --merge they stay duplicates (exit 2), and with it one key twice
//! in one file is still an error. The counts are checked on the sums.

use mailaudit::date::Date;
use mailaudit::rules::Rules;
use mailaudit::sender::{SenderOptions, StatsError, audit_files};
use std::path::{Path, PathBuf};
use std::process::Command;

const SENT: &str = "fixtures/stats/merge/sent.csv";
const FEEDBACK: &str = "fixtures/stats/merge/feedback.csv";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn options(merge: bool) -> SenderOptions {
    SenderOptions {
        as_of: Date::parse("2026-11-14"),
        merge,
        ..SenderOptions::default()
    }
}

fn rules_fired(paths: &[PathBuf], merge: bool) -> Result<Vec<String>, StatsError> {
    let rules = Rules::builtin().unwrap();
    let run = audit_files(paths, &rules, &options(merge))?;
    Ok(run
        .results
        .iter()
        .flat_map(|r| r.findings.iter().map(|f| f.rule.clone()))
        .collect())
}

#[test]
fn feedback_counts_merged_with_the_sent_figures_score_the_domain() {
    let sent = root().join(SENT);
    let both = [sent.clone(), root().join(FEEDBACK)];
    assert_eq!(
        rules_fired(std::slice::from_ref(&sent), true).unwrap(),
        Vec::<String>::new()
    );
    let fired = rules_fired(&both, true).unwrap();
    assert!(
        fired.contains(&"sender/complaint-rate".to_string()),
        "{fired:?}"
    );

    let rules = Rules::builtin().unwrap();
    let run = audit_files(&both, &rules, &options(true)).unwrap();
    let finding = run.results[0]
        .findings
        .iter()
        .find(|f| f.rule == "sender/complaint-rate")
        .unwrap();
    // 8 complaints of 1,980 delivered a day from 2026-11-08: 0.404%.
    assert!(
        finding.message.contains("worst 2026-11-08: 0.404%"),
        "{}",
        finding.message
    );
    assert_eq!(run.rows, 28);
}

#[test]
fn without_merge_a_feedback_file_is_refused_and_so_is_a_key_in_two_files() {
    let both = [root().join(SENT), root().join(FEEDBACK)];
    let err = rules_fired(&both, false).unwrap_err().to_string();
    assert!(
        err.contains("hard_bounces (10) is more than sent (0)"),
        "{err}"
    );

    let twice = [root().join(SENT), root().join(SENT)];
    let err = rules_fired(&twice, false).unwrap_err().to_string();
    assert!(
        err.contains("a second row for date 2026-11-01")
            && err.ends_with("to sum the rows of several files, give --merge"),
        "{err}"
    );
    // With --merge the two copies are one day of twice the volume.
    let rules = Rules::builtin().unwrap();
    let run = audit_files(&twice, &rules, &options(true)).unwrap();
    let facts = &run.results[0].facts;
    assert_eq!(
        (facts.days_with_data, facts.totals.sent),
        (14, 2 * 14 * 2000)
    );
}

#[test]
fn with_merge_a_key_twice_in_one_file_is_still_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("twice.csv");
    std::fs::write(
        &file,
        "date,domain,sent,delivered,hard_bounces,soft_bounces,complaints,unsubscribes\n\
         2026-11-01,merged.example,100,100,0,0,0,0\n\
         2026-11-01,merged.example,100,100,0,0,0,0\n",
    )
    .unwrap();
    let err = rules_fired(&[file, root().join(SENT)], true)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("twice.csv:3") && err.contains("a second row for date 2026-11-01"),
        "{err}"
    );
    assert!(!err.contains("give --merge"), "{err}");
}

#[test]
fn the_sums_are_checked_and_the_error_names_every_row_summed() {
    let dir = tempfile::tempdir().unwrap();
    let sent = dir.path().join("sent.csv");
    std::fs::write(
        &sent,
        "date,domain,sent,delivered,hard_bounces,soft_bounces,complaints,unsubscribes\n\
         2026-11-01,merged.example,100,90,0,0,0,0\n",
    )
    .unwrap();
    let feedback = dir.path().join("feedback.csv");
    std::fs::write(
        &feedback,
        "date,domain,sent,delivered,hard_bounces,soft_bounces,complaints,unsubscribes\n\
         2026-11-01,merged.example,0,0,150,0,0,0\n",
    )
    .unwrap();
    let err = rules_fired(&[sent.clone(), feedback.clone()], true)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("hard_bounces (150) is more than sent (100) in the sum of rows")
            && err.contains(&format!("{}:2", sent.display()))
            && err.contains(&format!("{}:2", feedback.display())),
        "{err}"
    );
}

#[test]
fn the_command_takes_merge() {
    let out = Command::new(env!("CARGO_BIN_EXE_mailaudit"))
        .args(["sender", SENT, FEEDBACK, "--merge", "--as-of", "2026-11-14"])
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("error sender/complaint-rate"), "{stdout}");
}
