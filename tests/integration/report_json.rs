use crate::report_fixture;

use mailaudit::report::{self, Format};
use serde_json::Value;

fn render() -> String {
    let mut out = Vec::new();
    report::render(&report_fixture::report(), Format::Json, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn json_report() {
    insta::assert_snapshot!(report_fixture::without_version(&render()));
}

#[test]
fn json_report_shape() {
    let value: Value = serde_json::from_str(&render()).unwrap();
    assert_eq!(value["schema_version"], 1);
    assert_eq!(value["tool"]["name"], "mailaudit");
    assert_eq!(value["tool"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(value["mode"]["dns"], "offline");
    assert_eq!(value["summary"]["targets"], 4);
    assert_eq!(value["summary"]["findings"], 6);
    let targets: Vec<&str> = value["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["target"].as_str().unwrap())
        .collect();
    assert_eq!(
        targets,
        [
            "alpha.example",
            "mailaudit.toml",
            "quiet.example",
            "zulu.example"
        ]
    );
    // Findings sorted by target, then rule.
    let rules: Vec<&str> = value["results"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules,
        ["spf/syntax", "dns/inconclusive", "spf/lookup-limit"]
    );
}

#[test]
fn json_is_deterministic() {
    let mut shuffled = report_fixture::report();
    shuffled.results.reverse();
    for result in &mut shuffled.results {
        result.findings.reverse();
    }
    let mut out = Vec::new();
    report::render(&shuffled, Format::Json, &mut out).unwrap();
    assert_eq!(String::from_utf8(out).unwrap(), render());
}
