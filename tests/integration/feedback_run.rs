//! `mailaudit feedback` end to end: the rows in JSON, JSONL and CSV, a broken file among good
//! ones, `--stats-out` in the columns `mailaudit sender` reads, and `--suppress-out` written,
//! merged with an existing list without losing entries, and refused (nothing written) when
//! the existing list is broken.

use serde_json::Value;
use std::path::Path;
use std::process::Command;

const RULES: &str = "fixtures/feedback/rules";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn mailaudit(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mailaudit"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(args: &[&str]) -> Value {
    let mut all = vec!["feedback"];
    all.extend(args);
    all.extend(["--format", "json", "--fail-on", "never"]);
    let (code, stdout, stderr) = mailaudit(&all);
    assert_eq!(code, 0, "{all:?}: {stderr}");
    serde_json::from_str(&stdout).unwrap()
}

#[test]
fn each_message_is_a_feedback_result_with_its_recipients() {
    let report = json(&[RULES, "fixtures/feedback/broken/empty.eml"]);
    assert_eq!(report["command"], "feedback");
    assert_eq!(report["mode"]["dns"], "none");
    let results = report["results"].as_array().unwrap();
    assert_eq!(results.len(), 5, "four messages and the empty file");
    let by_file = |name: &str| {
        results
            .iter()
            .find(|r| r["target"].as_str().unwrap().ends_with(name))
            .unwrap_or_else(|| panic!("no {name}"))
    };
    let gone = by_file("user-unknown.eml");
    assert_eq!(gone["kind"], "feedback");
    assert_eq!(gone["result"], "bounce");
    let row = &gone["facts"]["recipients"][0];
    assert_eq!(row["file"], "fixtures/feedback/rules/user-unknown.eml");
    assert_eq!(row["recipient"], "Gone@Example.ORG");
    assert_eq!(row["kind"], "bounce");
    assert_eq!(row["bounce"], "hard");
    assert_eq!(row["reason"], "user-unknown");
    assert_eq!(row["status"], "5.1.1");
    assert_eq!(row["remote_mta"], "mx.example.org");
    assert_eq!(row["sending_domain"], "example.com");
    assert_eq!(row["message_id"], "april-3@example.com");
    assert_eq!(row["date"], "2024-04-03T08:30:00Z");
    let auth = &by_file("authentication.eml")["facts"]["recipients"][0];
    assert_eq!(auth["bounce"], "soft");
    assert_eq!(auth["reason"], "authentication");
    assert_eq!(auth["feedback_id"], "april:news:example");
    assert_eq!(auth["list_id"], "<news.example.com>");
    assert_eq!(auth["campaign"], "april-news");
    let complaint = &by_file("complaint.eml")["facts"]["recipients"][0];
    assert_eq!(complaint["kind"], "complaint");
    assert_eq!(complaint["bounce"], Value::Null);
    assert_eq!(complaint["recipient"], "reader@example.net");
    assert_eq!(complaint["feedback_type"], "abuse");
    // The broken file is a finding, and the run went on.
    let empty = by_file("empty.eml");
    assert_eq!(empty["findings"][0]["rule"], "feedback/unreadable");
}

#[test]
fn jsonl_writes_a_line_per_recipient_before_its_message() {
    let (code, stdout, stderr) = mailaudit(&[
        "feedback",
        "fixtures/feedback/rules/user-unknown.eml",
        "--format",
        "jsonl",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert_eq!(lines[0]["row"], "recipient");
    assert_eq!(lines[0]["kind"], "bounce");
    assert_eq!(lines[0]["bounce"], "hard");
    assert_eq!(lines[1]["kind"], "feedback");
    assert_eq!(lines[1]["facts"]["recipient_count"], 1);
    assert!(lines[1]["facts"].get("recipients").is_none());
}

#[test]
fn csv_writes_the_recipient_rows() {
    let (code, stdout, stderr) = mailaudit(&["feedback", RULES, "--format", "csv"]);
    assert_eq!(code, 1, "an authentication bounce is an error: {stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[0],
        "file,recipient,kind,bounce,reason,status,diagnostic,remote_mta,sending_domain,\
         message_id,feedback_id,list_id,campaign,date,feedback_type"
    );
    assert_eq!(lines.len(), 5, "{stdout}");
    assert!(
        lines.iter().any(|l| l.starts_with(
            "fixtures/feedback/rules/user-unknown.eml,Gone@Example.ORG,bounce,hard,user-unknown,5.1.1,"
        )),
        "{stdout}"
    );
}

#[test]
fn stats_out_counts_per_day_and_domain_in_the_sender_columns() {
    let dir = tempfile::tempdir().unwrap();
    let stats = dir.path().join("feedback.csv");
    let stats_arg = stats.to_str().unwrap();
    let (code, _, stderr) = mailaudit(&[
        "feedback",
        RULES,
        "--stats-out",
        stats_arg,
        "--fail-on",
        "never",
    ]);
    assert_eq!(code, 0, "{stderr}");
    // Two soft bounces (authentication, blocked) on 2 April, a complaint on 4 April, a hard
    // bounce on 3 April; all sent as example.com.
    assert_eq!(
        std::fs::read_to_string(&stats).unwrap(),
        "date,domain,sent,delivered,hard_bounces,soft_bounces,complaints,unsubscribes\n\
         2024-04-02,example.com,0,0,0,2,0,0\n\
         2024-04-03,example.com,0,0,1,0,0,0\n\
         2024-04-04,example.com,0,0,0,0,1,0\n"
    );
    // `mailaudit sender` reads the header, dates and domains; alone, a row of bounces with
    // nothing sent is refused by its count check (it is meant to be summed with the
    // sender's own sent/delivered rows: `sender --merge`).
    let (code, _, stderr) = mailaudit(&["sender", stats_arg]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(":2:") && stderr.contains("soft_bounces (2) is more than sent (0)"),
        "{stderr}"
    );
}

#[test]
fn suppress_out_writes_hard_bounces_and_complaints_and_merges_an_existing_list() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("suppressions.csv");
    std::fs::write(
        &list,
        "address,reason,first_date,last_date,source\n\
         Gone@example.org,hard-bounce,2024-04-05,2024-04-06,old/bounce.eml\n\
         keep@example.com,complaint,2024-01-01,01/02/2024,esp-export.csv\n",
    )
    .unwrap();
    let list_arg = list.to_str().unwrap();
    let (code, _, stderr) = mailaudit(&[
        "feedback",
        RULES,
        "--suppress-out",
        list_arg,
        "--fail-on",
        "never",
    ]);
    assert_eq!(code, 2, "a bad row stops the run: {stderr}");
    assert!(
        stderr.contains("suppressions.csv:3: last_date \"01/02/2024\" is not a date"),
        "{stderr}"
    );
    // Nothing was written over the list that could not be read.
    assert!(
        std::fs::read_to_string(&list)
            .unwrap()
            .contains("keep@example.com")
    );

    std::fs::write(
        &list,
        "address,reason,first_date,last_date,source\n\
         Gone@example.org,hard-bounce,2024-04-05,2024-04-06,old/bounce.eml\n\
         keep@example.com,complaint,2024-01-01,2024-01-01,old/fbl.eml\n\
         reader@example.net,unsubscribe,2024-03-01,2024-03-01,esp-export.csv\n",
    )
    .unwrap();
    let (code, _, stderr) = mailaudit(&[
        "feedback",
        RULES,
        "--suppress-out",
        list_arg,
        "--fail-on",
        "never",
    ]);
    assert_eq!(code, 0, "{stderr}");
    // The hard bounce widens the existing entry (domain lower-cased, local part as written,
    // first source kept); the complaint is added; soft bounces (authentication, blocked) are
    // never suppressed; the entries already there (an ESP's unsubscribe too) are kept.
    assert_eq!(
        std::fs::read_to_string(&list).unwrap(),
        "address,reason,first_date,last_date,source\n\
         Gone@example.org,hard-bounce,2024-04-03,2024-04-06,old/bounce.eml\n\
         keep@example.com,complaint,2024-01-01,2024-01-01,old/fbl.eml\n\
         reader@example.net,complaint,2024-04-04,2024-04-04,fixtures/feedback/rules/complaint.eml\n\
         reader@example.net,unsubscribe,2024-03-01,2024-03-01,esp-export.csv\n"
    );
    // Run again: the same list (stable order, no duplicates).
    let before = std::fs::read_to_string(&list).unwrap();
    let (code, _, _) = mailaudit(&[
        "feedback",
        RULES,
        "--suppress-out",
        list_arg,
        "--fail-on",
        "never",
    ]);
    assert_eq!(code, 0);
    assert_eq!(std::fs::read_to_string(&list).unwrap(), before);
}

#[test]
fn hostile_bytes_in_a_bounce_stay_escaped_on_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("evil.eml");
    std::fs::write(
        &path,
        "From: MAILER-DAEMON@mx.example.com\nTo: a@example.com\n\
         Subject: Undelivered Mail Returned to Sender\nDate: Tue, 02 Apr 2024 10:00:00 +0000\n\
         MIME-Version: 1.0\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n\
         --b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.com\n\n\
         Final-Recipient: rfc822; evil\u{202e}user@example.net\nAction: failed\nStatus: 5.7.1\n\
         Remote-MTA: dns; mx\u{1b}[31m.example.net\n\
         Diagnostic-Code: smtp; 550 5.7.1 blocked \u{1b}]0;title\u{7} using spamhaus\n\n--b--\n",
    )
    .unwrap();
    for format in ["human", "csv"] {
        let (_, stdout, _) = mailaudit(&[
            "feedback",
            path.to_str().unwrap(),
            "--format",
            format,
            "--fail-on",
            "never",
        ]);
        assert!(stdout.contains("blocked"), "{stdout}");
        assert!(
            !stdout.contains(['\u{1b}', '\u{7}', '\u{202e}']),
            "{format}: raw control or bidi bytes: {stdout:?}"
        );
        assert!(stdout.contains(r"mx\x1b[31m.example.net"), "{stdout}");
        assert!(stdout.contains(r"evil\u{202e}user@example.net"), "{stdout}");
    }
}

#[test]
fn a_hard_bounce_without_a_date_is_still_suppressed_and_a_complaint_without_recipient_is_a_warning()
{
    let dir = tempfile::tempdir().unwrap();
    let undated = dir.path().join("undated.eml");
    let bounce = std::fs::read_to_string("fixtures/feedback/rules/user-unknown.eml").unwrap();
    let without_date: String = bounce
        .lines()
        .filter(|l| !l.starts_with("Date:"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&undated, without_date).unwrap();
    let list = dir.path().join("suppressions.csv");
    let (code, stdout, stderr) = mailaudit(&[
        "feedback",
        undated.to_str().unwrap(),
        "fixtures/feedback/unsuppressible/complaint-no-recipient.eml",
        "--suppress-out",
        list.to_str().unwrap(),
        "--fail-on",
        "warning",
    ]);
    assert_eq!(code, 1, "the warning fails a gate on warnings: {stderr}");
    let written = std::fs::read_to_string(&list).unwrap();
    assert!(
        written.contains("Gone@example.org,hard-bounce,,,"),
        "the dead address is listed, its dates unknown: {written}"
    );
    assert_eq!(written.lines().count(), 2, "{written}");
    assert!(
        stdout.contains("feedback/unsuppressible")
            && stdout.contains("1 complaint names no recipient")
            && stdout.contains("<april-4@example.com>"),
        "{stdout}"
    );
}
