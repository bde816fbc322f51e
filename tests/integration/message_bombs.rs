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
    let dir = tempfile::tempdir().unwrap();
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
    for (name, body) in &drafts {
        std::fs::write(dir.path().join(name), body).unwrap();
    }
    let names: Vec<&str> = drafts.iter().map(|(n, _)| n.as_str()).collect();
    let out = Command::new(env!("CARGO_BIN_EXE_mailaudit"))
        .args(["message", "--format", "json"])
        .args(&names)
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
    for name in &names {
        let result = results
            .iter()
            .find(|r| r["target"] == *name)
            .unwrap_or_else(|| panic!("no result for {name}"));
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
