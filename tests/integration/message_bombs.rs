//! Hostile HTML drafts (a tag with 7,000 or 100,000 attributes, deep nesting) are audited like
//! any other draft: no crash, every draft of the run has its result.

use serde_json::Value;
use std::fmt::Write as _;
use std::process::Command;

const HEADERS: &str = "From: a@example.com\nTo: b@example.org\nSubject: hi\n\
Date: Mon, 1 Jan 2024 00:00:00 +0000\nMessage-ID: <x@example.com>\nMIME-Version: 1.0\n\
Content-Type: text/html; charset=utf-8\n\n";

/// `<a>` with `href` and then `n` attributes of the shape `attr(i)`, between visible words.
fn attribute_bomb(n: usize, attr: impl Fn(usize) -> String) -> String {
    let mut attrs = String::new();
    for i in 0..n {
        let _ = write!(attrs, " {}", attr(i));
    }
    format!(
        "{HEADERS}<html><body><p>Hello <a href=\"https://example.com/\"{attrs}>link</a> world</p></body></html>\n"
    )
}

#[test]
fn attribute_and_nesting_bombs_are_audited_and_the_other_drafts_reported() {
    let mut drafts: Vec<(String, String)> = vec![
        (
            "dq7000.eml".into(),
            attribute_bomb(7_000, |i| format!("x{i}=\"1\"")),
        ),
        (
            "dq100k.eml".into(),
            attribute_bomb(100_000, |i| format!("x{i}=\"1\"")),
        ),
        (
            "sq100k.eml".into(),
            attribute_bomb(100_000, |i| format!("x{i}='1'")),
        ),
        (
            "bare100k.eml".into(),
            attribute_bomb(100_000, |i| format!("x{i}")),
        ),
        (
            "unquoted100k.eml".into(),
            attribute_bomb(100_000, |i| format!("x{i}=1")),
        ),
    ];
    // Nesting: 100,000 open elements, and 50,000 links each with an inline style.
    drafts.push((
        "nest.eml".into(),
        format!(
            "{HEADERS}{}Hello <a href=\"https://example.com/\">link</a> world{}\n",
            "<div>".repeat(100_000),
            "</div>".repeat(100_000)
        ),
    ));
    drafts.push((
        "nest-links.eml".into(),
        format!(
            "{HEADERS}Hello {}link world\n",
            "<a href=\"https://example.com/\"><b style=\"color:red\">".repeat(50_000)
        ),
    ));
    // A quote in a comment must not hide the bomb after it from the attribute cap.
    drafts.push((
        "comment.eml".into(),
        format!(
            "{HEADERS}<!-- <a x=' -->{}",
            attribute_bomb(100_000, |i| format!("x{i}=\"1\"")).trim_start_matches(HEADERS)
        ),
    ));
    let good = format!("{HEADERS}<p>Hello <a href=\"https://example.org/\">link</a> world</p>\n");
    drafts.push(("good.eml".into(), good));
    for ((name, _), result) in drafts.iter().zip(audit_drafts(&drafts)) {
        let rules: Vec<&str> = result["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f["rule"].as_str())
            .collect();
        assert!(!rules.contains(&"message/unreadable"), "{name}: {rules:?}");
        let body = &result["facts"]["body"];
        // The words around the hostile tag are still read, and its link.
        assert_eq!(body["word_count"], 3, "{name}: {body}");
        assert!(body["link_count"].as_u64().unwrap() >= 1, "{name}: {body}");
    }
}

const PLAIN_HEADERS: &str = "From: a@example.com\nTo: b@example.org\nSubject: hi\n\
Date: Mon, 1 Jan 2024 00:00:00 +0000\nMessage-ID: <x@example.com>\nMIME-Version: 1.0\n";

/// Run `mailaudit message --format json` on `drafts` (written to a temp dir) and return each
/// draft's result by name.
fn audit_drafts<N: AsRef<str>>(drafts: &[(N, String)]) -> Vec<Value> {
    let dir = tempfile::tempdir().unwrap();
    for (name, body) in drafts {
        std::fs::write(dir.path().join(name.as_ref()), body).unwrap();
    }
    let out = Command::new(env!("CARGO_BIN_EXE_mailaudit"))
        .args(["message", "--format", "json"])
        .args(drafts.iter().map(|(n, _)| n.as_ref()))
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = report["results"].as_array().unwrap();
    drafts
        .iter()
        .map(|(name, _)| {
            results
                .iter()
                .find(|r| r["target"] == name.as_ref())
                .unwrap_or_else(|| panic!("no result for {}", name.as_ref()))
                .clone()
        })
        .collect()
}

fn findings_of<'r>(result: &'r Value, rule: &str) -> Vec<&'r Value> {
    result["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .collect()
}

/// An HTML and a plain-text alternative, each with `n` links made by `url(i)`.
fn links_draft(n: usize, url: impl Fn(usize) -> String) -> String {
    let mut text = String::new();
    let mut html = String::new();
    for i in 0..n {
        let u = url(i);
        let _ = writeln!(text, "{u}");
        let _ = writeln!(html, "<a href=\"{u}\">x</a>");
    }
    format!(
        "{PLAIN_HEADERS}Content-Type: multipart/alternative; boundary=BB\n\n\
         --BB\nContent-Type: text/plain\n\n{text}\n\
         --BB\nContent-Type: text/html\n\n<html><body>{html}</body></html>\n--BB--\n"
    )
}

/// Issue 12 item 4: 100,000 distinct links took 35-42 s (a linear search per link among the
/// call-to-action targets seen so far). Each link is counted once, its target kept once in
/// the order first seen, and each rule gives one finding (or ten and a summary) per draft.
#[test]
fn a_hundred_thousand_links_are_counted_once_each_in_first_seen_order() {
    let targets = [
        "https://a.example/x",
        "https://www.a.example/x/",
        "https://b.example/y",
        "https://c.example/",
    ];
    // Plain http to one domain: 30,000 distinct URLs and 30,000 copies of one more.
    let mut http = String::new();
    for i in 0..30_000 {
        let _ = writeln!(
            http,
            "<a href=\"http://example.com/p{i}\">x</a><a href=\"http://example.com/same\">y</a>"
        );
    }
    let drafts = [
        (
            "distinct100k.eml",
            links_draft(100_000, |i| format!("https://l{i}.example/p")),
        ),
        (
            "distinct20k.eml",
            links_draft(20_000, |i| format!("https://l{i}.example/p")),
        ),
        (
            "distinct40k.eml",
            links_draft(40_000, |i| format!("https://l{i}.example/p")),
        ),
        (
            "repeated100k.eml",
            links_draft(100_000, |i| targets[i % targets.len()].to_string()),
        ),
        (
            "http60k.eml",
            format!("{PLAIN_HEADERS}Content-Type: text/html\n\n{http}"),
        ),
    ];
    let results = audit_drafts(&drafts);

    for (result, n) in results[..3].iter().zip([100_000u64, 20_000, 40_000]) {
        let body = &result["facts"]["body"];
        assert_eq!(body["link_count"], n);
        let ctas = body["cta_targets"].as_array().unwrap();
        assert_eq!(ctas.len() as u64, n);
        assert_eq!(ctas[0], "l0.example/p");
        assert_eq!(ctas[ctas.len() - 1], format!("l{}.example/p", n - 1));
        for rule in ["body/multiple-ctas", "body/too-many-links"] {
            let found = findings_of(result, rule);
            assert_eq!(found.len(), 1, "{rule}: {found:?}");
            assert_eq!(found[0]["evidence"]["measured"], n, "{rule}");
        }
    }

    // www. and a trailing slash name the same target: three targets, first-seen order.
    let body = &results[3]["facts"]["body"];
    assert_eq!(body["link_count"], 100_000);
    assert_eq!(
        body["cta_targets"],
        serde_json::json!(["a.example/x", "b.example/y", "c.example"])
    );
    assert_eq!(
        findings_of(&results[3], "body/multiple-ctas")[0]["evidence"]["measured"],
        3
    );

    // 30,001 distinct plain-http URLs: ten findings, the last one counting the rest.
    let insecure = findings_of(&results[4], "body/insecure-link");
    assert_eq!(insecure.len(), 10);
    let last = insecure[9]["message"].as_str().unwrap();
    assert!(last.ends_with("(and 29991 more like it)"), "{last}");
    let ctas = results[4]["facts"]["body"]["cta_targets"]
        .as_array()
        .unwrap();
    assert_eq!(ctas.len(), 30_001);
    assert_eq!(ctas[1], "example.com/same");
}

/// A draft of 20,000 parts and one of 20,000 attachments: the parts and their lines were
/// found with a linear search and a count from the start of the file per part.
#[test]
fn twenty_thousand_parts_have_their_own_lines() {
    let mut parts = String::new();
    let mut attachments = String::new();
    for i in 0..20_000 {
        let kind = if i % 2 == 0 { "plain" } else { "html" };
        let _ = write!(
            parts,
            "--BB\nContent-Type: text/{kind}\n\nhi {i} https://p{i}.example/\n"
        );
        let _ = write!(
            attachments,
            "--BB\nContent-Type: application/pdf\nContent-Disposition: attachment; filename=f{i}.pdf\n\nx\n"
        );
    }
    let wrap = |body: &str| {
        format!("{PLAIN_HEADERS}Content-Type: multipart/mixed; boundary=BB\n\n{body}--BB--\n")
    };
    let drafts = [
        ("parts.eml", wrap(&parts)),
        ("attach.eml", wrap(&attachments)),
    ];
    let results = audit_drafts(&drafts);

    // Part i's body is the line "hi i ..." (or "x") of the file.
    for ((name, text), result) in drafts.iter().zip(&results) {
        let summaries = result["facts"]["parts"].as_array().unwrap();
        assert_eq!(summaries.len(), 20_000, "{name}");
        let body_lines: Vec<u64> = text
            .lines()
            .enumerate()
            .filter(|(_, l)| l.starts_with("hi ") || *l == "x")
            .map(|(i, _)| i as u64 + 1)
            .collect();
        for (summary, line) in summaries.iter().zip(&body_lines) {
            assert_eq!(summary["start_line"], *line, "{name}: {summary}");
        }
    }
    assert!(
        results[0]["facts"]["parts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["role"] == "body")
    );
    assert_eq!(results[1]["facts"]["attachments"], 20_000);
    assert_eq!(results[1]["facts"]["body"]["attachment_count"], 20_000);
}

/// Many town lines before many street lines: each town line looked at every street line
/// after it. The address is still the street line nearest before the first town line that
/// has one in reach.
#[test]
fn many_town_and_street_lines_still_give_the_first_address() {
    let text = |tail: &str| {
        format!(
            "{PLAIN_HEADERS}Content-Type: text/plain\n\nHello there.\n{}{}{tail}",
            "10115 Berlin\n".repeat(20_000),
            "1 Main St\n".repeat(20_000)
        )
    };
    let drafts = [
        ("address.eml", text("Acme, 5 Main St\n75002 Paris\n")),
        ("none.eml", text("Bye.\n")),
    ];
    let results = audit_drafts(&drafts);
    assert_eq!(
        results[0]["facts"]["body"]["postal_address"],
        "5 Main St 75002 Paris"
    );
    assert!(findings_of(&results[0], "body/no-postal-address").is_empty());
    assert_eq!(results[1]["facts"]["body"]["postal_address"], Value::Null);
    assert_eq!(findings_of(&results[1], "body/no-postal-address").len(), 1);
}
