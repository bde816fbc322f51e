//! The RFC 7208 conformance suite (openspf.org / pyspf `rfc7208-tests.yml`), run offline.
//!
//! Harness conventions follow pyspf's `testspf.py` (see the fixture's SOURCE.md):
//! - `SPF:` records are served as type 99 and, unless the name lists `TXT:` entries, also as TXT.
//! - `NONE` values are placeholders; a bare `TIMEOUT` times out queries for types not listed
//!   before it. `ZoneSet` can only time out a whole name, so a name that serves some types
//!   before `TIMEOUT` is loaded normally and any query for another type there is reported as
//!   a harness failure (it would have timed out).
//! - A name absent from the zone data is NXDOMAIN, except that names starting with `error.`
//!   time out; such queries are likewise reported as harness failures.
//! - `\xNN` escapes are bytes; a test passes if the result is any listed one and the
//!   explanation (when given) matches exactly. Default explanation `DEFAULT`, receiver
//!   `unknown` (pyspf's default).

use mailaudit::dns::{Rdata, Resolver, ZoneSet, normalize_name};
use mailaudit::spf::{CheckHostInput, CheckHostOptions, CheckHostOutcome, check_host};
use serde::Deserialize;
use serde_yaml::Value;
use std::collections::{BTreeSet, HashMap};
use std::io::Write;
use std::net::IpAddr;

const SUITE: &str = "fixtures/conformance/spf/rfc7208-tests.yml";
const EXPECTED_TESTS: usize = 203;

struct Scenario {
    description: String,
    zones: ZoneSet,
    /// Names that time out only for types not in the set.
    partial_timeouts: HashMap<String, BTreeSet<String>>,
    tests: Vec<Case>,
}

struct Case {
    name: String,
    host: String,
    mailfrom: String,
    helo: String,
    results: Vec<String>,
    explanation: Option<String>,
}

pub(crate) fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => String::new(),
        other => panic!("expected a scalar, got {other:?}"),
    }
}

/// YAML `\xNN` escapes arrive as U+0000..U+00FF; each stands for one byte.
fn bytes(v: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    for c in text(v).chars() {
        match u8::try_from(u32::from(c)) {
            Ok(b) => out.push(b),
            Err(_) => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
        }
    }
    out
}

pub(crate) fn strings(v: &Value) -> Vec<Vec<u8>> {
    match v {
        Value::Sequence(items) => items.iter().map(bytes).collect(),
        other => vec![bytes(other)],
    }
}

pub(crate) fn is_none_placeholder(v: &Value) -> bool {
    matches!(v, Value::String(s) if s == "NONE")
}

fn load_zones(zonedata: &Value) -> (ZoneSet, HashMap<String, BTreeSet<String>>) {
    let mut zones = ZoneSet::new();
    let mut partial = HashMap::new();
    let Some(map) = zonedata.as_mapping() else {
        return (zones, partial);
    };
    for (owner, entries) in map {
        let owner = normalize_name(&text(owner));
        let mut records: Vec<Rdata> = Vec::new();
        let mut spf_strings: Vec<Vec<Vec<u8>>> = Vec::new();
        let mut explicit_txt = false;
        let mut timeout = false;
        let mut served_before_timeout: BTreeSet<String> = BTreeSet::new();
        for entry in entries.as_sequence().into_iter().flatten() {
            if matches!(entry, Value::String(s) if s == "TIMEOUT") {
                timeout = true;
                continue;
            }
            let Some((kind, value)) = entry.as_mapping().and_then(|m| m.iter().next()) else {
                panic!("unexpected zonedata entry at {owner}: {entry:?}");
            };
            let kind = text(kind);
            if kind == "TXT" {
                explicit_txt = true;
            }
            if is_none_placeholder(value) {
                continue;
            }
            if !timeout {
                served_before_timeout.insert(kind.clone());
            }
            let rdata = match kind.as_str() {
                "SPF" => {
                    spf_strings.push(strings(value));
                    Rdata::Spf(strings(value))
                }
                "TXT" => Rdata::Txt(strings(value)),
                "A" => Rdata::A(text(value).parse().expect("A")),
                "AAAA" => Rdata::Aaaa(text(value).parse().expect("AAAA")),
                "MX" => {
                    let pair = value.as_sequence().expect("MX [pref, host]");
                    Rdata::Mx {
                        preference: text(&pair[0]).parse().expect("MX preference"),
                        exchange: normalize_name(&text(&pair[1])),
                    }
                }
                "PTR" => Rdata::Ptr(normalize_name(&text(value))),
                "CNAME" => Rdata::Cname(normalize_name(&text(value))),
                other => panic!("unknown record kind {other} at {owner}"),
            };
            records.push(rdata);
        }
        if !explicit_txt {
            records.extend(spf_strings.into_iter().map(Rdata::Txt));
        }
        for r in records {
            zones.insert(&owner, r);
        }
        if timeout {
            if served_before_timeout.iter().all(|t| t == "SPF") {
                // Type 99 is never asked for, so "everything times out" is exact.
                zones.insert_timeout(&owner);
            } else {
                let mut types = served_before_timeout;
                if types.contains("SPF") && !explicit_txt {
                    types.insert("TXT".to_string());
                }
                partial.insert(owner.clone(), types);
            }
        }
    }
    (zones, partial)
}

fn load_suite() -> Vec<Scenario> {
    let path = format!("{}/{SUITE}", env!("CARGO_MANIFEST_DIR"));
    let yaml = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut scenarios = Vec::new();
    for doc in serde_yaml::Deserializer::from_str(&yaml) {
        let doc = Value::deserialize(doc).expect("YAML document");
        let description = doc.get("description").map(text).unwrap_or_default();
        let (zones, partial_timeouts) = load_zones(doc.get("zonedata").unwrap_or(&Value::Null));
        let mut tests = Vec::new();
        for (name, t) in doc.get("tests").and_then(Value::as_mapping).expect("tests") {
            let results = match t.get("result").expect("result") {
                Value::Sequence(items) => items.iter().map(text).collect(),
                v => vec![text(v)],
            };
            tests.push(Case {
                name: text(name),
                host: text(t.get("host").expect("host")),
                mailfrom: t.get("mailfrom").map(text).unwrap_or_default(),
                helo: t.get("helo").map(text).unwrap_or_default(),
                results,
                explanation: t.get("explanation").map(text),
            });
        }
        scenarios.push(Scenario {
            description,
            zones,
            partial_timeouts,
            tests,
        });
    }
    scenarios
}

/// Queries the harness conventions say would have timed out, or type-99 queries (§4.4).
fn harness_violations(
    outcome: &CheckHostOutcome,
    partial: &HashMap<String, BTreeSet<String>>,
) -> Vec<String> {
    let mut out = Vec::new();
    for step in &outcome.trace {
        let Some(rest) = step.event.strip_prefix("dns ") else {
            continue;
        };
        let Some((rtype, rest)) = rest.split_once(' ') else {
            continue;
        };
        let (name, answer) = rest.rsplit_once(" -> ").unwrap_or((rest, ""));
        if name.starts_with("error.") && answer == "NXDOMAIN" {
            out.push(format!(
                "{rtype} query at {name} would have timed out (error. name)"
            ));
        }
        if rtype == "SPF" {
            out.push(format!("queried type SPF at {name}"));
        }
        if let Some(served) = partial.get(&normalize_name(name))
            && !served.contains(rtype)
        {
            out.push(format!("{rtype} query at {name} would have timed out"));
        }
    }
    out
}

#[tokio::test]
async fn rfc7208_suite() {
    let scenarios = load_suite();
    let options = CheckHostOptions {
        default_explanation: Some("DEFAULT".to_string()),
        receiver: "unknown".to_string(),
        timestamp: Some(1_400_000_000),
        ..CheckHostOptions::default()
    };
    // Debugging aid: SPF_CONFORMANCE_TRACE=<test name> prints that test's trace.
    let trace_for = std::env::var("SPF_CONFORMANCE_TRACE").ok();
    let mut total = 0;
    let mut passed = 0;
    let mut failures = Vec::new();
    for scenario in &scenarios {
        let resolver = Resolver::offline(scenario.zones.clone());
        for case in &scenario.tests {
            total += 1;
            let ip: IpAddr = case.host.parse().expect("host is an IP address");
            let input = CheckHostInput::mail_from(ip, &case.mailfrom, &case.helo);
            let outcome = check_host(&resolver, &input, &options).await;
            if trace_for.as_deref() == Some(case.name.as_str()) {
                for step in &outcome.trace {
                    println!("  [{}] {}: {}", step.depth, step.domain, step.event);
                }
                println!("  => {outcome:?}");
            }
            let got = outcome.result.as_str();
            let mut why = Vec::new();
            if !case.results.iter().any(|r| r == got) {
                why.push(format!("expected {:?}, got {got}", case.results));
            }
            if let Some(want) = &case.explanation
                && outcome.explanation.as_deref() != Some(want.as_str())
            {
                why.push(format!(
                    "expected explanation {want:?}, got {:?}",
                    outcome.explanation
                ));
            }
            why.extend(harness_violations(&outcome, &scenario.partial_timeouts));
            if why.is_empty() {
                passed += 1;
                if case.results.first().map(String::as_str) != Some(got) {
                    println!(
                        "note: {} / {}: {got} accepted; {} preferred",
                        scenario.description, case.name, case.results[0]
                    );
                }
            } else {
                failures.push(format!(
                    "{} / {}: {} (problem: {})",
                    scenario.description,
                    case.name,
                    why.join("; "),
                    outcome.problem.as_deref().unwrap_or("-")
                ));
            }
        }
    }
    // Written to the stdout handle, not println!, so it shows without --nocapture.
    let mut summary = format!("rfc7208: {passed}/{total}\n");
    for f in &failures {
        summary.push_str(&format!("FAIL {f}\n"));
    }
    let _ = std::io::stdout().write_all(summary.as_bytes());
    assert_eq!(
        total, EXPECTED_TESTS,
        "the suite should hold {EXPECTED_TESTS} tests"
    );
    assert!(
        failures.is_empty(),
        "{} of {total} conformance tests failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
