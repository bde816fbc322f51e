//! `--format sarif`: the rules that fired and only those, levels, a location for every
//! result (files and lines for drafts, the input line that names a DNS target, else none),
//! stable partial fingerprints, deterministic output. Validation against the official schema
//! is in tests/report_schema.rs.

use crate::report_fixture;
use crate::report_runs;

use mailaudit::finding::{Location, Severity};
use mailaudit::report::sarif::{self, FINGERPRINT_KEY, SRCROOT};
use mailaudit::report::{self, Format, RenderContext, SarifContext};
use mailaudit::rules::Rules;
use mailaudit::run::{Kind, Mode, Report, TargetResult};
use report_runs::{Run, runs};
use serde_json::Value;
use std::collections::{BTreeSet, HashSet};

fn render(report: &Report, ctx: &RenderContext<'_>) -> String {
    let mut out = Vec::new();
    report::render_with(report, Format::Sarif, ctx, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn results(log: &Value) -> &Vec<Value> {
    log["runs"][0]["results"].as_array().unwrap()
}

fn rules(log: &Value) -> &Vec<Value> {
    log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
}

/// The structure of the log, pinned. The rule documentation (data in rules/*.toml, which
/// other work edits) is replaced by a placeholder; its rendering is checked below.
#[test]
fn sarif_snapshot() {
    let text = render(&report_fixture::report(), &RenderContext::default());
    let mut log: Value = serde_json::from_str(&text).unwrap();
    let driver = &mut log["runs"][0]["tool"]["driver"];
    driver["version"] = "[version]".into();
    driver["semanticVersion"] = "[version]".into();
    for rule in driver["rules"].as_array_mut().unwrap() {
        for field in ["shortDescription", "fullDescription", "help"] {
            for format in ["text", "markdown"] {
                if rule[field].get(format).is_some() {
                    rule[field][format] = "[rule data]".into();
                }
            }
        }
        rule["properties"]["reference"] = "[rule data]".into();
    }
    for result in log["runs"][0]["results"].as_array_mut().unwrap() {
        result["properties"]["reference"] = "[rule data]".into();
        result["properties"]["help"] = "[rule data]".into();
    }
    // Keys come out sorted; the bidi override of the fixture is written as an escape, as the
    // renderer writes it, so the snapshot file holds no raw bidi character.
    let pretty = serde_json::to_string_pretty(&log)
        .unwrap()
        .replace('\u{202e}', "\\u202e");
    insta::assert_snapshot!(pretty);
}

#[test]
fn rule_help_renders_the_documentation_sections() {
    let builtin = Rules::builtin().unwrap();
    let ctx = RenderContext {
        rules: Some(&builtin),
        locations: None,
    };
    let log: Value = serde_json::from_str(&render(&report_fixture::report(), &ctx)).unwrap();
    let rule = rules(&log)
        .iter()
        .find(|r| r["id"] == "spf/lookup-limit")
        .unwrap();
    let meta = builtin.get("spf/lookup-limit").unwrap();
    assert_eq!(rule["shortDescription"]["text"], meta.title.as_str());
    let text = rule["help"]["text"].as_str().unwrap();
    let markdown = rule["help"]["markdown"].as_str().unwrap();
    assert!(text.starts_with(meta.help.trim()));
    for heading in [
        "Why it matters: ",
        "\nExample:\n",
        "How to fix: ",
        "Reference: RFC 7208",
    ] {
        assert!(text.contains(heading), "{heading}: {text}");
    }
    for heading in [
        "**Why it matters**",
        "**Example**",
        "```text\n",
        "**How to fix**",
        "**Reference:**",
    ] {
        assert!(markdown.contains(heading), "{heading}: {markdown}");
    }
    // The example is verbatim inside its fence; prose lines are joined.
    assert!(markdown.contains(meta.example.trim()));
    assert!(
        !rule["fullDescription"]["text"]
            .as_str()
            .unwrap()
            .contains("that\nevaluates")
    );
    assert_eq!(rule["defaultConfiguration"]["level"], "error");
}

#[test]
fn only_the_rules_that_fired_are_described_and_indexed() {
    for run in runs() {
        let log = run.json("sarif");
        assert_eq!(log["version"], "2.1.0");
        assert_eq!(log["runs"].as_array().unwrap().len(), 1, "{}", run.name);
        let driver = &log["runs"][0]["tool"]["driver"];
        assert_eq!(driver["name"], "mailaudit");
        assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
        let ids: Vec<&str> = rules(&log)
            .iter()
            .map(|r| r["id"].as_str().unwrap())
            .collect();
        let fired: BTreeSet<&str> = results(&log)
            .iter()
            .map(|r| r["ruleId"].as_str().unwrap())
            .collect();
        assert_eq!(
            ids,
            fired.iter().copied().collect::<Vec<_>>(),
            "{}: rules are the fired ones, sorted",
            run.name
        );
        for result in results(&log) {
            let index = result["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules(&log)[index]["id"], result["ruleId"], "{}", run.name);
        }
        for rule in rules(&log) {
            let id = rule["id"].as_str().unwrap();
            let area = id.split('/').next().unwrap();
            assert_eq!(rule["properties"]["tags"][0], area, "{id}");
            for field in ["shortDescription", "fullDescription"] {
                assert!(
                    !rule[field]["text"].as_str().unwrap().is_empty(),
                    "{id} {field}"
                );
            }
            assert!(
                rule["help"]["text"]
                    .as_str()
                    .unwrap()
                    .contains("How to fix")
            );
            assert!(
                rule["help"]["markdown"]
                    .as_str()
                    .unwrap()
                    .contains("**How to fix**")
            );
            assert!(rule.get("helpUri").is_none());
            let level = rule["defaultConfiguration"]["level"].as_str().unwrap();
            assert!(
                ["error", "warning", "note"].contains(&level),
                "{id} {level}"
            );
        }
    }
}

#[test]
fn levels_follow_severities() {
    assert_eq!(sarif::level(Severity::Error), "error");
    assert_eq!(sarif::level(Severity::Warning), "warning");
    assert_eq!(sarif::level(Severity::Info), "note");
    let log = runs().remove(0).json("sarif");
    let json = runs().remove(0).json("json");
    let severities: Vec<String> = json["results"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["findings"].as_array().unwrap().iter())
        .map(|f| f["severity"].as_str().unwrap().replace("info", "note"))
        .collect();
    let levels: Vec<&str> = results(&log)
        .iter()
        .map(|r| r["level"].as_str().unwrap())
        .collect();
    assert_eq!(severities, levels, "same findings, same order");
}

/// A URI reference as RFC 3986 allows it (the draft-4 schema cannot check this format).
fn is_uri_reference(uri: &str) -> bool {
    let mut bytes = uri.bytes().peekable();
    while let Some(b) = bytes.next() {
        let ok = b.is_ascii_alphanumeric()
            || b"-._~/:?#[]@!$&'()*+,;=".contains(&b)
            || (b == b'%'
                && bytes.next().is_some_and(|h| h.is_ascii_hexdigit())
                && bytes.next().is_some_and(|h| h.is_ascii_hexdigit()));
        if !ok {
            return false;
        }
    }
    !uri.is_empty()
}

/// Every result has a physical location, except a DNS target's that no input line names (a
/// domain given on the command line): that one has only logical locations, never the zone
/// file the answers came from.
#[test]
fn every_result_has_a_physical_location_unless_no_input_names_its_dns_target() {
    let mut total = 0;
    let mut unnamed = 0;
    for run in runs() {
        let log = run.json("sarif");
        total += results(&log).len();
        let command_line_domains = matches!(run.name, "domain" | "spf pass" | "spf fail");
        for result in results(&log) {
            let locations = result["locations"].as_array().unwrap();
            assert_eq!(locations.len(), 1, "{}: {result}", run.name);
            let physical = &locations[0]["physicalLocation"];
            if command_line_domains {
                assert!(physical.is_null(), "{}: {result}", run.name);
                assert!(
                    !locations[0]["logicalLocations"]
                        .as_array()
                        .unwrap()
                        .is_empty(),
                    "{}: {result}",
                    run.name
                );
                unnamed += 1;
                continue;
            }
            let uri = physical["artifactLocation"]["uri"]
                .as_str()
                .unwrap_or_else(|| panic!("{}: no physical location: {result}", run.name));
            assert!(is_uri_reference(uri), "{}: {uri}", run.name);
            if uri.starts_with("file:") {
                assert!(physical["artifactLocation"].get("uriBaseId").is_none());
            } else {
                assert_eq!(physical["artifactLocation"]["uriBaseId"], SRCROOT, "{uri}");
            }
            assert!(physical["region"]["startLine"].as_u64().unwrap() >= 1);
        }
    }
    assert!(total > 50, "only {total} results");
    assert!(
        unnamed > 0 && unnamed < total,
        "{unnamed} of {total} without a file"
    );
}

/// The first result of `rule` for `target` in a log.
fn result_for<'a>(log: &'a Value, rule: &str, target: &str) -> &'a Value {
    results(log)
        .iter()
        .find(|r| r["ruleId"] == rule && r["properties"]["target"] == target)
        .unwrap_or_else(|| panic!("no {rule} for {target}"))
}

#[test]
fn dns_findings_point_at_the_domains_file_line_that_names_the_domain() {
    let run = Run::in_temp(
        "domains file",
        &[
            "domain",
            "--zone",
            "{fixtures}/zones",
            "--domains-file",
            "lists/domains.txt",
        ],
        &[(
            "lists/domains.txt",
            "# sending domains\nacme-mail.example\n\nNoSuch.Example.   # gone\n",
        )],
    );
    let log = run.json("sarif");
    let result = result_for(&log, "spf/missing", "nosuch.example");
    let location = &result["locations"][0];
    assert_eq!(
        location["physicalLocation"]["artifactLocation"]["uri"],
        "lists/domains.txt"
    );
    assert_eq!(location["physicalLocation"]["region"]["startLine"], 4);
    assert_eq!(location["logicalLocations"][0]["name"], "nosuch.example");
    assert_eq!(location["logicalLocations"][0]["kind"], "resource");
    assert_eq!(location["message"]["text"], "nosuch.example is named here");
}

#[test]
fn dns_findings_of_command_line_domains_have_no_file_location() {
    let run = Run::in_temp(
        "command line",
        &[
            "domain",
            "nosuch.example",
            "syntax.fixtures.test",
            "--zone",
            "zones/a.zone",
            "--zone",
            "{fixtures}/zones",
        ],
        &[("zones/a.zone", "unused.example. 300 IN A 192.0.2.1\n")],
    );
    let log = run.json("sarif");
    let result = result_for(&log, "spf/missing", "nosuch.example");
    let location = &result["locations"][0];
    // Not the alphabetically first zone file: it is where answers came from, not where the
    // domain was named.
    assert!(location.get("physicalLocation").is_none(), "{location}");
    assert_eq!(location["logicalLocations"][0]["name"], "nosuch.example");
    assert!(location.get("message").is_none());
    // A record span: the record is the first logical location, with its byte span.
    let syntax = result_for(&log, "spf/syntax", "syntax.fixtures.test");
    let logical = &syntax["locations"][0]["logicalLocations"][0];
    assert_eq!(logical["name"], "syntax.fixtures.test");
    assert!(logical["properties"]["byteStart"].as_u64().unwrap() > 0);
    assert!(
        logical["properties"]["byteEnd"].as_u64() > logical["properties"]["byteStart"].as_u64()
    );
}

#[test]
fn draft_findings_point_at_their_file_and_line() {
    let run = Run::in_temp(
        "drafts",
        &["message", "drafts"],
        &[(
            "drafts/touch 1.eml",
            "From: Ann <ann@acme.example>\nTo: sam@prospect.example\nSubject: Re: hello\n\
             Date: Tue, 04 Mar 2025 09:00:00 +0000\nMessage-ID: <1@acme.example>\n\nHi Sam.\n",
        )],
    );
    let log = run.json("sarif");
    let target = "drafts/touch 1.eml";
    let fake_reply = result_for(&log, "subject/fake-reply", target);
    let physical = &fake_reply["locations"][0]["physicalLocation"];
    assert_eq!(physical["artifactLocation"]["uri"], "drafts/touch%201.eml");
    assert_eq!(physical["region"]["startLine"], 3);
    // A missing header has no line: line 1 of the draft, and the header as logical location.
    let missing = result_for(&log, "unsubscribe/missing", target);
    let location = &missing["locations"][0];
    assert_eq!(location["physicalLocation"]["region"]["startLine"], 1);
    assert_eq!(location["logicalLocations"][0]["name"], "List-Unsubscribe");
    assert_eq!(location["logicalLocations"][0]["kind"], "property");
}

/// A report with one DNS target, for the library-level tests.
fn dns_report(message: &str) -> Report {
    let rules = Rules::builtin().unwrap();
    let mut result = TargetResult::new("example.com", Kind::Domain);
    result.findings.push(rules.finding(
        mailaudit::spf::rules::LOOKUP_LIMIT,
        "example.com",
        message.to_string(),
    ));
    Report {
        command: "check".into(),
        mode: Mode::Live {
            nameservers: vec![],
        },
        fail_on: Some(mailaudit::finding::Severity::Error),
        config: Vec::new(),
        results: vec![result],
    }
}

#[test]
fn a_caller_supplies_the_campaign_line_of_a_target() {
    let mut ctx = SarifContext::new();
    ctx.add_fallback("Example.com", "campaign.toml", 3);
    ctx.add_fallback("203.0.113.7", "campaign.toml", 5);
    let rules = Rules::builtin().unwrap();
    let render_ctx = RenderContext {
        rules: Some(&rules),
        locations: Some(&ctx),
    };
    let log: Value = serde_json::from_str(&render(&dns_report("12 lookups"), &render_ctx)).unwrap();
    let location = &results(&log)[0]["locations"][0];
    assert_eq!(
        location["physicalLocation"]["artifactLocation"]["uri"],
        "campaign.toml"
    );
    assert_eq!(location["physicalLocation"]["region"]["startLine"], 3);

    // Without any file, a logical location only: still a location.
    let log: Value = serde_json::from_str(&render(
        &dns_report("12 lookups"),
        &RenderContext::default(),
    ))
    .unwrap();
    let location = &results(&log)[0]["locations"][0];
    assert!(location.get("physicalLocation").is_none());
    assert_eq!(location["logicalLocations"][0]["name"], "example.com");
    // The run says which command and mode produced it.
    assert_eq!(log["runs"][0]["properties"]["command"], "check");
    assert_eq!(log["runs"][0]["properties"]["mode"]["dns"], "live");
}

fn fingerprints(log: &Value) -> Vec<String> {
    results(log)
        .iter()
        .map(|r| {
            r["partialFingerprints"][FINGERPRINT_KEY]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[test]
fn fingerprints_are_unique_stable_and_output_is_deterministic() {
    for run in runs() {
        let first = run.format("sarif", &[]).stdout;
        let second = run.format("sarif", &[]).stdout;
        assert_eq!(first, second, "{}: output differs between runs", run.name);
        let log: Value = serde_json::from_str(&first).unwrap();
        let prints = fingerprints(&log);
        let unique: HashSet<&String> = prints.iter().collect();
        assert_eq!(unique.len(), prints.len(), "{}: {prints:?}", run.name);
        for print in &prints {
            let (hash, occurrence) = print.split_once(':').unwrap();
            assert_eq!(hash.len(), 16);
            assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()));
            assert!(occurrence.parse::<u32>().unwrap() >= 1);
        }
    }
}

#[test]
fn fingerprints_ignore_measured_numbers_but_not_the_rule_or_target() {
    let ctx = SarifContext::new();
    let rules = Rules::builtin().unwrap();
    let a = rules.finding(
        mailaudit::spf::rules::LOOKUP_LIMIT,
        "example.com",
        "12 lookups (limit 10)",
    );
    let b = rules.finding(
        mailaudit::spf::rules::LOOKUP_LIMIT,
        "example.com",
        "13 lookups (limit 10)",
    );
    let c = rules.finding(
        mailaudit::spf::rules::LOOKUP_LIMIT,
        "example.net",
        "12 lookups (limit 10)",
    );
    let d = rules.finding(
        mailaudit::spf::rules::VOID_LOOKUP_LIMIT,
        "example.com",
        "12 lookups (limit 10)",
    );
    assert_eq!(sarif::fingerprint(&ctx, &a), sarif::fingerprint(&ctx, &b));
    assert_ne!(sarif::fingerprint(&ctx, &a), sarif::fingerprint(&ctx, &c));
    assert_ne!(sarif::fingerprint(&ctx, &a), sarif::fingerprint(&ctx, &d));
    // A draft finding keeps its fingerprint when its line moves, or the path is spelled ./x.
    let at = |file: &str, line: u32| {
        rules
            .finding(
                mailaudit::message::rules::SUBJECT_FAKE_REPLY,
                "drafts/a.eml",
                "the subject starts with Re:",
            )
            .at(Location::Line {
                file: file.into(),
                line,
            })
    };
    assert_eq!(
        sarif::fingerprint(&ctx, &at("drafts/a.eml", 3)),
        sarif::fingerprint(&ctx, &at("./drafts/a.eml", 7))
    );
    // Pinned: v1 fingerprints never change. This is FNV-1a 64 over "mailauditFinding/v1",
    // "spf/lookup-limit", "example.com", "none", "0 lookups (limit 0)", each followed by a
    // NUL byte (checked with an independent implementation). Changing the recipe needs a new
    // key (mailauditFinding/v2).
    assert_eq!(sarif::fingerprint(&ctx, &a), "af519a13db63753a");
}

#[test]
fn equal_fingerprints_in_one_run_are_told_apart_by_occurrence() {
    let rules = Rules::builtin().unwrap();
    let mut result = TargetResult::new("example.com", Kind::Domain);
    for n in [11, 12] {
        result.findings.push(rules.finding(
            mailaudit::spf::rules::LOOKUP_LIMIT,
            "example.com",
            format!("{n} lookups"),
        ));
    }
    let report = Report {
        command: "domain".into(),
        mode: Mode::Live {
            nameservers: vec![],
        },
        fail_on: Some(mailaudit::finding::Severity::Error),
        config: Vec::new(),
        results: vec![result],
    };
    let log: Value = serde_json::from_str(&render(&report, &RenderContext::default())).unwrap();
    let prints = fingerprints(&log);
    assert_eq!(prints.len(), 2);
    let (a, b) = (&prints[0], &prints[1]);
    assert_eq!(a.split_once(':').unwrap().0, b.split_once(':').unwrap().0);
    assert!(a.ends_with(":1") && b.ends_with(":2"), "{prints:?}");
}

#[test]
fn hostile_input_bytes_stay_escaped() {
    let text = render(&report_fixture::report(), &RenderContext::default());
    assert!(!text.contains('\u{1b}'));
    assert!(!text.contains('\u{202e}'));
    assert!(text.contains("\\u001b[2J"));
    assert!(text.contains("\\u202e"));
    let log: Value = serde_json::from_str(&text).unwrap();
    assert!(
        results(&log)
            .iter()
            .any(|r| r["message"]["text"].as_str().unwrap().contains('\u{202e}')),
        "the decoded message is unchanged"
    );
}
