//! `mailaudit list` end to end: the cleaned list (`--clean-out`, `--strict`) row for row,
//! addresses masked in the terminal report and kept in the JSON, the three suppression
//! formats, a suppression list that cannot be read is exit 2 (never "nothing suppressed"),
//! the live DNS path asks each domain once and a SERVFAIL leaves the rows unconcluded.

use crate::support;

use mailaudit::dns::Resolver;
use mailaudit::list::audit::read_suppressions;
use mailaudit::list::{ListOptions, MxChecker, audit_list};
use mailaudit::rules::Rules;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const DIRTY: &str = "fixtures/list/dirty.csv";
const DOMAINS: &str = "fixtures/list/domains.csv";
const SUPPRESSIONS: &str = "fixtures/list/suppressions.csv";
const UNSUBSCRIBES: &str = "fixtures/list/unsubscribes.txt";
const ZONES: &str = "fixtures/zones/list";

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
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let (code, stdout, stderr) = mailaudit(&all);
    assert!(code == 0 || code == 1, "{args:?}: exit {code}: {stderr}");
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{args:?}: {e}: {stdout}"))
}

/// The Email column of a cleaned list, after its header.
fn emails(csv: &str) -> Vec<String> {
    csv.lines()
        .skip(1)
        .map(|line| line.split(',').nth(1).unwrap_or("").to_string())
        .collect()
}

#[test]
fn clean_out_keeps_the_good_rows_byte_for_byte_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("clean.csv");
    let out_arg = out.to_str().unwrap();
    let (code, stdout, stderr) = mailaudit(&[
        "list",
        DIRTY,
        "--suppressions",
        SUPPRESSIONS,
        UNSUBSCRIBES,
        "--zone",
        ZONES,
        "--clean-out",
        out_arg,
    ]);
    assert_eq!(code, 1, "{stderr}");
    let cleaned = std::fs::read_to_string(&out).unwrap();
    let original = std::fs::read_to_string(root().join(DIRTY)).unwrap();
    // The header as it was; role accounts and typo domains are warnings and stay without
    // --strict (gmial.com is outside the fixture zones: offline it does not exist, so its
    // row goes as no-mx); the first of the two Ana rows stays.
    assert_eq!(
        cleaned,
        [
            "First Name,Email,Plan",
            "Ana,ana@good.list.example,pro",
            "Front desk,info@good.list.example,team",
            "Carol,carol@implicit.list.example,pro",
            ""
        ]
        .join("\n")
    );
    assert_eq!(original.lines().next(), cleaned.lines().next());
    assert!(
        stdout.contains("cleaned list:") && stdout.contains("3 rows kept, 11 removed"),
        "{stdout}"
    );
}

#[test]
fn strict_also_removes_role_accounts_and_typo_domains() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("clean.csv");
    let out_arg = out.to_str().unwrap();
    // Without DNS the typo row is not a no-mx row: only --strict removes it.
    let (code, _, stderr) = mailaudit(&["list", DIRTY, "--clean-out", out_arg]);
    assert_eq!(code, 0, "{stderr}");
    let kept = emails(&std::fs::read_to_string(&out).unwrap());
    assert!(kept.contains(&"info@good.list.example".to_string()));
    assert!(kept.contains(&"user@gmial.com".to_string()));
    // Without suppressions the suppressed rows stay; the invalid, unreadable, duplicate and
    // disposable rows go.
    assert!(kept.contains(&"bounced@good.list.example".to_string()));
    assert!(
        !kept
            .iter()
            .any(|e| e == "not-an-address" || e.contains("mailinator"))
    );
    assert_eq!(
        kept.iter()
            .filter(|e| e.eq_ignore_ascii_case("ana@good.list.example"))
            .count(),
        1
    );

    let (code, _, stderr) = mailaudit(&["list", DIRTY, "--clean-out", out_arg, "--strict"]);
    assert_eq!(code, 0, "{stderr}");
    let strict = emails(&std::fs::read_to_string(&out).unwrap());
    assert!(!strict.contains(&"info@good.list.example".to_string()));
    assert!(!strict.contains(&"user@gmial.com".to_string()));
    assert_eq!(strict.len() + 2, kept.len());
}

#[test]
fn crlf_rows_are_written_back_with_crlf() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("r.csv");
    std::fs::write(
        &input,
        "\u{feff}id,email\r\n1,a@good.list.example\r\n2,A@good.list.example\r\n3,b@good.list.example\r\n",
    )
    .unwrap();
    let out = dir.path().join("clean.csv");
    let (code, _, stderr) = mailaudit(&[
        "list",
        input.to_str().unwrap(),
        "--clean-out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "id,email\r\n1,a@good.list.example\r\n3,b@good.list.example\r\n"
    );
}

#[test]
fn the_terminal_report_masks_local_parts_and_the_json_keeps_them() {
    let args = ["list", DIRTY, "--suppressions", SUPPRESSIONS, UNSUBSCRIBES];
    let (code, stdout, stderr) = mailaudit(&args);
    assert_eq!(code, 1, "{stderr}");
    for full in [
        "bounced@good.list.example",
        "complained@good.list.example",
        "unsub@good.list.example",
        "info@good.list.example",
        "temp@mailinator.com",
        "user@gmial.com",
        "Ana@Good.List.Example",
        "not-an-address",
    ] {
        assert!(!stdout.contains(full), "{full} unmasked in:\n{stdout}");
    }
    for masked in [
        "b***@good.list.example",
        "c***@good.list.example",
        "u***@good.list.example",
        "i***@good.list.example",
        "t***@mailinator.com",
        "A***@Good.List.Example",
        "n***",
    ] {
        assert!(stdout.contains(masked), "{masked} not in:\n{stdout}");
    }

    let report = json(&args);
    let result = &support::results(&report, "recipient-list")[0];
    let flagged = result["facts"]["flagged"].as_array().unwrap();
    let suppressed = flagged
        .iter()
        .find(|f| f["rule"] == "list/suppressed")
        .unwrap();
    assert_eq!(suppressed["rows"], 3);
    assert_eq!(suppressed["removed"], true);
    assert_eq!(
        suppressed["examples"][0],
        serde_json::json!({
            "line": 4,
            "address": "bounced@good.list.example",
            "detail": "hard-bounce, fixtures/list/suppressions.csv:2",
        })
    );
    assert_eq!(result["facts"]["rows"], 14);
    assert_eq!(result["facts"]["valid"], 12);
    assert_eq!(result["facts"]["dns"], Value::Null);
    assert_eq!(
        report["mode"],
        serde_json::json!({"dns": "none", "domains_checked": false})
    );
}

/// The list's suppressed rows with these suppression lists, as the JSON counts them.
fn suppressed_rows(lists: &[&str], recipients: &Path) -> u64 {
    let mut args = vec!["list", recipients.to_str().unwrap(), "--suppressions"];
    args.extend_from_slice(lists);
    let report = json(&args);
    let result = &support::results(&report, "recipient-list")[0];
    result["facts"]["flagged"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "list/suppressed")
        .map_or(0, |f| f["rows"].as_u64().unwrap())
}

#[test]
fn every_suppression_format_suppresses_whatever_the_case() {
    let dir = tempfile::tempdir().unwrap();
    let recipients = dir.path().join("r.csv");
    std::fs::write(
        &recipients,
        "address\nUnsub@Good.List.Example\nother@good.list.example\n",
    )
    .unwrap();
    for list in [UNSUBSCRIBES, "fixtures/list/email-only.csv"] {
        assert_eq!(suppressed_rows(&[list], &recipients), 1, "{list}");
    }
    let feedback = dir.path().join("feedback.csv");
    std::fs::write(
        &feedback,
        "address,reason,first_date,last_date,source\r\n\
         other@GOOD.list.example,unsubscribe,2026-11-01,2026-11-01,ab.eml\r\n",
    )
    .unwrap();
    assert_eq!(
        suppressed_rows(&[feedback.to_str().unwrap()], &recipients),
        1
    );
    assert_eq!(
        suppressed_rows(&[feedback.to_str().unwrap(), UNSUBSCRIBES], &recipients),
        2
    );
}

#[test]
fn a_suppression_list_that_cannot_be_read_stops_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "address,reason\na@good.list.example,complaint\nb@good.list.example,bounced\n",
    )
    .unwrap();
    let bad_date = dir.path().join("bad-date.csv");
    std::fs::write(
        &bad_date,
        "address,reason,first_date\na@good.list.example,complaint,01/11/2026\n",
    )
    .unwrap();
    let not_a_list = dir.path().join("notes.txt");
    std::fs::write(&not_a_list, "these are my notes, not addresses\n").unwrap();
    for (file, want) in [
        (
            bad.to_str().unwrap().to_string(),
            ":3: reason `bounced` is not one of hard-bounce, complaint, unsubscribe".to_string(),
        ),
        (
            bad_date.to_str().unwrap().to_string(),
            ":2: first_date `01/11/2026` is not a date (YYYY-MM-DD)".to_string(),
        ),
        (
            not_a_list.to_str().unwrap().to_string(),
            ":1: not a suppression list".to_string(),
        ),
        (
            "fixtures/list/missing.csv".to_string(),
            "cannot read suppression list fixtures/list/missing.csv: no such file or directory"
                .to_string(),
        ),
    ] {
        let (code, stdout, stderr) = mailaudit(&["list", DIRTY, "--suppressions", &file]);
        assert_eq!(code, 2, "{file}: {stderr}");
        assert!(stdout.is_empty(), "{stdout}");
        assert!(
            stderr.contains(&want),
            "{file}: wanted {want:?} in {stderr}"
        );
    }
}

#[test]
fn a_recipients_file_without_an_address_column_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("r.csv");
    std::fs::write(&file, "name,phone\nAna,123\n").unwrap();
    let (code, _, stderr) = mailaudit(&["list", file.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("r.csv:1: the header names no email or address column"),
        "{stderr}"
    );
}

fn live_checker(
    server: &support::dns_server::TestDnsServer,
    runtime: &tokio::runtime::Runtime,
) -> MxChecker {
    let resolver = {
        let _guard = runtime.enter();
        Resolver::live(server.live_config()).unwrap()
    };
    MxChecker {
        resolver,
        runtime: runtime.handle().clone(),
        concurrency: 4,
    }
}

#[test]
fn live_dns_asks_each_domain_once_and_agrees_with_the_zone_files() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("many.csv");
    // 3,000 rows over the five fixture domains.
    let domains = ["good", "implicit", "nullmx", "nomail", "gone"];
    let mut text = String::from("email\n");
    for i in 0..3000 {
        text.push_str(&format!("user{i}@{}.list.example\n", domains[i % 5]));
    }
    std::fs::write(&file, text).unwrap();
    let zone_files: Vec<PathBuf> =
        mailaudit::app::context::expand_zone_paths(&[root().join(ZONES)]).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let refs: Vec<&Path> = zone_files.iter().map(PathBuf::as_path).collect();
    let server = runtime.block_on(support::dns_server::start(&refs));
    let rules = Rules::builtin().unwrap();
    let none = read_suppressions(&[]).unwrap();
    let live = audit_list(
        &file,
        &none,
        &rules,
        &ListOptions::default(),
        Some(&live_checker(&server, &runtime)),
        None,
    )
    .unwrap();
    let dns = live.facts.dns.clone().unwrap();
    assert_eq!(
        (
            dns.checked,
            dns.mx,
            dns.implicit_mx,
            dns.null_mx,
            dns.no_mail,
            dns.inconclusive
        ),
        (5, 1, 1, 1, 2, 0)
    );
    let rows = |id: &str| {
        live.facts
            .flagged
            .iter()
            .find(|f| f.rule == id)
            .map_or(0, |f| f.rows)
    };
    assert_eq!((rows("list/null-mx"), rows("list/no-mx")), (600, 1200));
    // One MX query per domain; A and AAAA only for the two without MX that exist or not.
    assert!(
        server.repeated_queries().is_empty(),
        "{:?}",
        server.repeated_queries()
    );
    assert!(
        server.query_count() <= 5 + 2 * 3,
        "{} queries",
        server.query_count()
    );

    let offline = audit_list(
        &file,
        &none,
        &rules,
        &ListOptions::default(),
        Some(&MxChecker {
            resolver: Resolver::offline(mailaudit::dns::ZoneSet::load_files(&zone_files).unwrap()),
            runtime: runtime.handle().clone(),
            concurrency: 4,
        }),
        None,
    )
    .unwrap();
    assert_eq!(offline.findings, live.findings);
}

#[test]
fn a_servfail_is_inconclusive_never_no_mx_and_the_row_is_kept() {
    let zone_files: Vec<PathBuf> =
        mailaudit::app::context::expand_zone_paths(&[root().join(ZONES)]).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let refs: Vec<&Path> = zone_files.iter().map(PathBuf::as_path).collect();
    let server = runtime.block_on(support::dns_server::start(&refs));
    server.servfail("gone.list.example");
    let rules = Rules::builtin().unwrap();
    let mut out = Vec::new();
    let result = audit_list(
        &root().join(DOMAINS),
        &read_suppressions(&[]).unwrap(),
        &rules,
        &ListOptions::default(),
        Some(&live_checker(&server, &runtime)),
        Some(mailaudit::list::audit::CleanTarget {
            name: "clean.csv".into(),
            out: &mut out,
        }),
    )
    .unwrap();
    let inconclusive: Vec<_> = result
        .findings
        .iter()
        .filter(|f| f.rule == "dns/inconclusive")
        .collect();
    assert_eq!(inconclusive.len(), 1, "{:?}", result.findings);
    assert!(
        inconclusive[0].message.contains("MX gone.list.example")
            && inconclusive[0]
                .message
                .contains("whether gone.list.example can receive mail is not known"),
        "{}",
        inconclusive[0].message
    );
    let no_mx = result
        .findings
        .iter()
        .find(|f| f.rule == "list/no-mx")
        .unwrap();
    assert!(!no_mx.message.contains("gone"), "{}", no_mx.message);
    assert_eq!(result.facts.dns.as_ref().unwrap().inconclusive, 1);
    let cleaned = String::from_utf8(out).unwrap();
    assert_eq!(
        cleaned,
        "email\nmia@good.list.example\nnoor@implicit.list.example\nquinn@gone.list.example\n"
    );
}
