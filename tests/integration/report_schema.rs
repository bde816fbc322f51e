//! The committed JSON Schema of `--format json` (docs/schema/report-v1.json) describes the
//! real output: reports of the binary on the fixtures validate against it, jsonl lines against
//! its `jsonl_result` definition, `mailaudit rules --format json` against `rules_document`;
//! and the SARIF of the same runs validates against the official SARIF 2.1.0 schema (vendored
//! in fixtures/schema/). The schemas are also shown to reject broken documents, so a schema
//! that accepts anything cannot pass.

use crate::report_runs;

use report_runs::{errors, runs, schema, validator};
use serde_json::{Value, json};

const REPORT_SCHEMA: &str = "docs/schema/report-v1.json";
const SARIF_SCHEMA: &str = "fixtures/schema/sarif-2.1.0.json";

/// A schema whose root is definition `name` of the report schema.
fn definition(name: &str) -> Value {
    let full = schema(REPORT_SCHEMA);
    json!({
        "$schema": full["$schema"],
        "$defs": full["$defs"],
        "$ref": format!("#/$defs/{name}"),
    })
}

#[test]
fn json_reports_validate_against_the_committed_schema() {
    let validator = validator(&schema(REPORT_SCHEMA));
    let mut kinds = std::collections::BTreeSet::new();
    let mut locations = std::collections::BTreeSet::new();
    for run in runs() {
        let report = run.json("json");
        let problems = errors(&validator, &report);
        assert!(
            problems.is_empty(),
            "{}:\n{}",
            run.name,
            problems.join("\n")
        );
        for result in report["results"].as_array().unwrap() {
            kinds.insert(result["kind"].as_str().unwrap().to_string());
            for finding in result["findings"].as_array().unwrap() {
                let kind = finding["location"]["kind"].as_str().unwrap_or("null");
                locations.insert(kind.to_string());
            }
        }
    }
    // The runs cover every kind of result and location the schema describes.
    for kind in [
        "domain",
        "spf",
        "draft",
        "sequence",
        "config",
        "sender",
        "campaign",
        "report",
        "report-domain",
        "feedback",
        "recipient-list",
    ] {
        assert!(kinds.contains(kind), "no {kind} result in {kinds:?}");
    }
    for kind in ["null", "record_span", "header", "line"] {
        assert!(
            locations.contains(kind),
            "no {kind} location in {locations:?}"
        );
    }
}

#[test]
fn jsonl_lines_validate_against_the_result_definition() {
    let result = validator(&definition("jsonl_result"));
    let summary = validator(&definition("jsonl_summary"));
    let record = validator(&definition("jsonl_record"));
    let recipient = validator(&definition("jsonl_recipient"));
    let any_line = validator(&definition("jsonl_line"));
    let mut records = 0;
    let mut recipients = 0;
    for run in runs() {
        let out = run.format("jsonl", &[]);
        assert!(!out.stdout.is_empty(), "{}: no jsonl output", run.name);
        let count = out.stdout.lines().count();
        for (number, line) in out.stdout.lines().enumerate() {
            let value: Value = serde_json::from_str(line).unwrap();
            assert!(
                errors(&any_line, &value).is_empty(),
                "{} line {}",
                run.name,
                number + 1
            );
            // Results (a report's rows before it), then the summary line last.
            let validator = if number + 1 == count {
                &summary
            } else if value["kind"] == "record" {
                records += 1;
                &record
            } else if value["row"] == "recipient" {
                recipients += 1;
                &recipient
            } else {
                &result
            };
            let problems = errors(validator, &value);
            assert!(
                problems.is_empty(),
                "{} line {}:\n{}",
                run.name,
                number + 1,
                problems.join("\n")
            );
        }
    }
    assert!(records > 30, "the reports runs write their rows: {records}");
    assert!(
        recipients >= 10,
        "the feedback run writes its recipients: {recipients}"
    );
}

#[test]
fn the_rules_document_validates() {
    let validator = validator(&definition("rules_document"));
    let run = report_runs::Run::new("rules", &["rules"]);
    let doc = run.json("json");
    assert!(doc["rules"].as_array().unwrap().len() > 40);
    let problems = errors(&validator, &doc);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The first finding of a report.
fn finding(report: &mut Value) -> &mut Value {
    report["results"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|r| !r["findings"].as_array().unwrap().is_empty())
        .map(|r| &mut r["findings"][0])
        .unwrap()
}

#[test]
fn the_report_schema_rejects_what_the_format_never_writes() {
    let validator = validator(&schema(REPORT_SCHEMA));
    let good = runs().remove(0).json("json");
    assert!(errors(&validator, &good).is_empty());
    type Breakage = (&'static str, fn(&mut Value));
    let breakages: Vec<Breakage> = vec![
        ("schema version 2", |r| r["schema_version"] = json!(2)),
        ("an unknown top-level field", |r| r["extra"] = json!(true)),
        ("an unknown dns mode", |r| {
            r["mode"]["dns"] = json!("cached")
        }),
        ("a negative count", |r| r["summary"]["error"] = json!(-1)),
        ("a severity of fatal", |r| {
            finding(r)["severity"] = json!("fatal")
        }),
        ("a finding without help", |r| {
            finding(r).as_object_mut().unwrap().remove("help");
        }),
        ("evidence without chain", |r| {
            finding(r)["evidence"]
                .as_object_mut()
                .unwrap()
                .remove("chain");
        }),
        ("a line 0", |r| {
            finding(r)["location"] = json!({"kind": "line", "file": "a.eml", "line": 0})
        }),
        ("a location of an unknown kind", |r| {
            finding(r)["location"] = json!({"kind": "column", "file": "a.eml", "column": 3})
        }),
        ("a rule id without an area", |r| {
            finding(r)["rule"] = json!("missing")
        }),
        ("a verdict of maybe", |r| r["verdict"] = json!("maybe")),
        ("no verdict", |r| {
            r.as_object_mut().unwrap().remove("verdict");
        }),
        ("a result without its suppressed list", |r| {
            r["results"][0]
                .as_object_mut()
                .unwrap()
                .remove("suppressed");
        }),
        ("a suppression from nowhere", |r| {
            r["results"][0]["suppressed"] = json!([{"rule": "spf/mx-limit", "severity": "error",
                "message": "m", "reason": "r", "source": "cli", "file": "a.toml"}])
        }),
        ("a suppression without a reason", |r| {
            r["results"][0]["suppressed"] = json!([{"rule": "spf/mx-limit", "severity": "error",
                "message": "m", "reason": "", "source": "config", "file": "a.toml"}])
        }),
        ("a domain score that is a bare number", |r| {
            r["results"][0]["facts"]["score"] = json!(100)
        }),
        ("a domain without its score field", |r| {
            r["results"][0]["facts"]
                .as_object_mut()
                .unwrap()
                .remove("score");
        }),
    ];
    // A well-formed suppression is accepted.
    let mut waived = good.clone();
    waived["results"][0]["suppressed"] = json!([{"rule": "spf/mx-limit", "severity": "error",
        "message": "m", "reason": "r", "source": "inline", "file": "a.eml", "line": 4}]);
    assert!(errors(&validator, &waived).is_empty());
    for (what, breakage) in breakages {
        let mut report = good.clone();
        breakage(&mut report);
        assert!(
            !errors(&validator, &report).is_empty(),
            "the schema accepts {what}"
        );
    }
    // A jsonl line needs its schema version; a json result must not carry one.
    let result = good["results"][0].clone();
    assert!(
        !errors(
            &report_runs::validator(&definition("jsonl_result")),
            &result
        )
        .is_empty()
    );
    let mut with_version = result.clone();
    with_version["schema_version"] = json!(1);
    assert!(
        !errors(
            &report_runs::validator(&definition("result")),
            &with_version
        )
        .is_empty()
    );
    assert!(errors(&report_runs::validator(&definition("result")), &result).is_empty());
}

#[test]
fn a_dead_dns_run_validates_with_a_null_score() {
    // Nothing listens at 127.0.0.1:9: every query is refused, or not sent once the server is
    // judged dead. The audit could not conclude, so the score is null and says why.
    let validator = validator(&schema(REPORT_SCHEMA));
    let run = report_runs::Run::new(
        "domain on dead DNS",
        &[
            "domain",
            "example.com",
            "--nameserver",
            "127.0.0.1:9",
            "--timeout",
            "1",
        ],
    );
    let out = run.format("json", &[]);
    assert_eq!(out.status, 1, "an outage fails the gate at --fail-on error");
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    let problems = errors(&validator, &report);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let facts = &report["results"][0]["facts"];
    assert_eq!(facts["score"], Value::Null);
    assert!(
        facts["score_incomplete"]
            .as_str()
            .unwrap()
            .starts_with("DNS failed for 25 queries: "),
        "{facts}"
    );
    // A result whose score is a number still validates (the offline runs above), and a
    // dead-DNS result with a number does not.
    let mut numbered = report.clone();
    numbered["results"][0]["facts"]["score"] = json!({"value": 100});
    assert!(!errors(&validator, &numbered).is_empty());
}

#[test]
fn sarif_of_the_same_runs_validates_against_the_official_schema() {
    let validator = validator(&schema(SARIF_SCHEMA));
    for run in runs() {
        let log = run.json("sarif");
        let problems = errors(&validator, &log);
        assert!(
            problems.is_empty(),
            "{}:\n{}",
            run.name,
            problems.join("\n")
        );
    }
}

#[test]
fn the_sarif_schema_is_not_vacuous() {
    let validator = validator(&schema(SARIF_SCHEMA));
    let log = runs().remove(0).json("sarif");
    assert!(errors(&validator, &log).is_empty());
    let mut wrong_version = log.clone();
    wrong_version["version"] = json!("2.0.0");
    assert!(!errors(&validator, &wrong_version).is_empty());
    let mut bad_level = log.clone();
    bad_level["runs"][0]["results"][0]["level"] = json!("fatal");
    assert!(!errors(&validator, &bad_level).is_empty());
    let mut no_message = log.clone();
    no_message["runs"][0]["results"][0]
        .as_object_mut()
        .unwrap()
        .remove("message");
    assert!(!errors(&validator, &no_message).is_empty());
    // Formats are checked too: `$schema` must be an absolute URI. (Draft 4 has no
    // uri-reference format, so tests/report_sarif.rs checks artifact URIs itself.)
    let mut bad_uri = log.clone();
    bad_uri["$schema"] = json!("sarif 2.1.0");
    assert!(!errors(&validator, &bad_uri).is_empty());
    let mut line_zero = log;
    line_zero["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        json!(0);
    assert!(!errors(&validator, &line_zero).is_empty());
}

/// Issue 11 item 2: reports of every verdict validate, in json, jsonl and SARIF, and each
/// format states the same verdict. The incomplete run asks the in-process DNS server, which
/// answers SERVFAIL to everything, at --fail-on warning (dns/inconclusive at or above it and
/// nothing else).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_of_every_verdict_validate() {
    let zones = crate::support::fixture_zone_files();
    let refs: Vec<&std::path::Path> = zones.iter().map(|p| p.as_path()).collect();
    let server = crate::support::dns_server::start(&refs).await;
    server.servfail_everything();
    let nameserver = server.addr().to_string();
    let checked = tokio::task::spawn_blocking(move || {
        let dead = report_runs::Run::new(
            "servfail",
            &[
                "domain",
                "acme-mail.example",
                "--nameserver",
                &nameserver,
                "--timeout",
                "1",
                "--fail-on",
                "warning",
            ],
        );
        let report = validator(&schema(REPORT_SCHEMA));
        let summary = validator(&definition("jsonl_summary"));
        let sarif = validator(&schema(SARIF_SCHEMA));
        let mut verdicts = std::collections::BTreeMap::new();
        for run in runs().into_iter().chain([dead]) {
            let json = run.json("json");
            let problems = errors(&report, &json);
            assert!(
                problems.is_empty(),
                "{}:\n{}",
                run.name,
                problems.join("\n")
            );
            let verdict = json["verdict"].as_str().unwrap().to_string();
            let jsonl = run.format("jsonl", &[]);
            let last: Value = serde_json::from_str(jsonl.stdout.lines().last().unwrap()).unwrap();
            assert!(errors(&summary, &last).is_empty(), "{}: {last}", run.name);
            assert_eq!(last["verdict"], verdict.as_str(), "{}", run.name);
            let log = run.json("sarif");
            assert!(errors(&sarif, &log).is_empty(), "{}", run.name);
            assert_eq!(
                log["runs"][0]["properties"]["verdict"],
                verdict.as_str(),
                "{}",
                run.name
            );
            // The exit status follows the verdict: only pass is 0.
            assert_eq!(jsonl.status, i32::from(verdict != "pass"), "{}", run.name);
            verdicts.insert(run.name, verdict);
        }
        verdicts
    })
    .await
    .unwrap();
    assert_eq!(checked["servfail"], "incomplete");
    assert_eq!(checked["spf pass"], "pass");
    assert_eq!(checked["domain"], "fail");
}

#[test]
fn the_campaign_simulation_carries_both_receiver_models() {
    let validator = validator(&schema(REPORT_SCHEMA));
    let run = runs().into_iter().find(|r| r.name == "check").unwrap();
    let good = run.json("json");
    assert!(errors(&validator, &good).is_empty());
    let campaign = good["results"]
        .as_array()
        .unwrap()
        .iter()
        .position(|r| r["kind"] == "campaign")
        .unwrap();
    let sim = &good["results"][campaign]["facts"]["simulation"];
    for model in ["rfc9989", "rfc7489"] {
        assert!(sim["receivers"][model]["verdict"].is_string(), "{model}");
        assert!(
            sim["ips"][0]["receivers"][model]["dmarc"].is_string(),
            "{model}"
        );
    }
    type Breakage = (&'static str, fn(&mut Value));
    let breakages: Vec<Breakage> = vec![
        ("a simulation without receivers", |s| {
            s.as_object_mut().unwrap().remove("receivers");
        }),
        ("an IP without receivers", |s| {
            s["ips"][0].as_object_mut().unwrap().remove("receivers");
        }),
        ("an RFC 7489 result of maybe", |s| {
            s["ips"][0]["receivers"]["rfc7489"]["dmarc"] = json!("maybe")
        }),
        ("a third receiver model", |s| {
            s["receivers"]["rfc6376"] = s["receivers"]["rfc7489"].clone()
        }),
        ("an alignment that is a string", |s| {
            s["receivers"]["rfc9989"]["dkim_aligned"] = json!("yes")
        }),
    ];
    for (what, breakage) in breakages {
        let mut report = good.clone();
        breakage(&mut report["results"][campaign]["facts"]["simulation"]);
        assert!(
            !errors(&validator, &report).is_empty(),
            "the schema accepts {what}"
        );
    }
}
