//! Hostile DNS data gives findings, never a panic, a hang or raw control bytes on a terminal.

use serde_json::Value;
use std::fmt::Write as _;
use std::process::{Command, Output};

fn run(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mailaudit"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

/// A zone with loops, thousands of includes, a 64 KB TXT record, bad UTF-8 and terminal
/// escape sequences in records.
fn hostile_zone() -> String {
    let mut zone = String::from("$ORIGIN hostile.test.\n$TTL 300\n");
    zone.push_str("@ IN SOA ns hostmaster 1 3600 600 86400 300\n");
    // A loop through redirect and include.
    zone.push_str("loop IN TXT \"v=spf1 include:loop2.hostile.test -all\"\n");
    zone.push_str("loop2 IN TXT \"v=spf1 redirect=loop.hostile.test\"\n");
    // 3,000 includes, each including three others.
    let mut wide = String::from("wide IN TXT \"v=spf1\"");
    for i in 0..3000 {
        write!(wide, " \" include:n{i}.hostile.test\"").unwrap();
    }
    zone.push_str(&wide);
    zone.push_str(" \" -all\"\n");
    for i in 0..3000 {
        let _ = writeln!(
            zone,
            "n{i} IN TXT \"v=spf1 include:n{}.hostile.test include:n{}.hostile.test ~all\"",
            (i * 7 + 1) % 3000,
            (i * 13 + 2) % 3000
        );
    }
    // 64 KB in 268 strings of 244 octets.
    let mut big = String::from("big IN TXT \"v=spf1 \"");
    for _ in 0..268 {
        big.push_str(" \"");
        big.push_str(&"ip4:192.0.2.1 ".repeat(17));
        big.push_str("ip4:19\"");
    }
    zone.push_str(&big);
    zone.push('\n');
    // Bytes that are not UTF-8, and an escape sequence that would recolour a terminal.
    zone.push_str("badutf8 IN TXT \"v=spf1 a:\\255\\254.hostile.test -all\"\n");
    zone.push_str("ansi IN TXT \"v=spf1 \\027[31mred\\027[0m -all\"\n");
    zone
}

#[test]
fn hostile_records_become_findings() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hostile.zone"), hostile_zone()).unwrap();
    let domains = [
        "loop.hostile.test",
        "wide.hostile.test",
        "big.hostile.test",
        "badutf8.hostile.test",
        "ansi.hostile.test",
    ];
    let mut args = vec!["--zone", "hostile.zone", "--format", "json", "domain"];
    args.extend(domains);
    args.extend(["--ip", "192.0.2.1"]);
    let out = run(dir.path(), &args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    let results = report["results"].as_array().unwrap();
    assert_eq!(results.len(), domains.len());
    let rules_of = |target: &str| -> Vec<String> {
        results.iter().find(|r| r["target"] == target).unwrap()["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(rules_of("loop.hostile.test").contains(&"spf/include-loop".to_string()));
    assert!(rules_of("wide.hostile.test").contains(&"spf/lookup-limit".to_string()));
    assert!(rules_of("big.hostile.test").contains(&"spf/record-size".to_string()));
    assert!(rules_of("badutf8.hostile.test").contains(&"spf/syntax".to_string()));
    assert!(rules_of("ansi.hostile.test").contains(&"spf/syntax".to_string()));
}

#[test]
fn terminal_output_escapes_record_bytes() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hostile.zone"), hostile_zone()).unwrap();
    let out = run(
        dir.path(),
        &[
            "--zone",
            "hostile.zone",
            "domain",
            "ansi.hostile.test",
            "badutf8.hostile.test",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).expect("human output is UTF-8");
    assert!(
        !stdout.contains('\u{1b}'),
        "raw ESC reached the terminal:\n{stdout}"
    );
    assert!(stdout.contains("\\x1b[31m"), "{stdout}");
}

/// Input errors quote the input (TOML shows the offending line): control bytes in it are
/// escaped on stderr too.
#[test]
fn input_errors_escape_the_bytes_they_quote() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("campaign.toml"),
        "from = \"\u{1b}[31mevil@x.example\"\nenvelope_from = \"b@x.example\"\nsending_ips = [\"192.0.2.1\"]\ndkim_selector = \"s1\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("stats.csv"),
        "date,domain,sent,delivered,hard_bounces,soft_bounces,complaints,unsubscribes\n2024-05-01,a.example,1\u{1b}[2J,1,0,0,0,0\n",
    )
    .unwrap();
    for args in [&["check"][..], &["sender", "stats.csv"][..]] {
        let out = run(dir.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains('\u{1b}'),
            "{args:?}: raw ESC on stderr: {stderr:?}"
        );
        assert!(stderr.contains("\\x1b["), "{args:?}: {stderr}");
    }
}
