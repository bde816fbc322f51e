//! Conformance vectors for the two receiver models (issue 13 item 5): `dmarc_receivers/vectors.toml`
//! holds zone text, an audited domain and what an RFC 9989 receiver (DNS Tree Walk) and an
//! RFC 7489 receiver (Public Suffix List) apply to mail from it, each with its RFC reference.
//! Every vector runs through `audit_dmarc` and is compared with `facts.receivers` and with
//! whether `dmarc/receivers-disagree` fires; all mismatches are reported at once, and the counts
//! printed (`--nocapture`). Where we answer otherwise than the RFC, the vector keeps the RFC's
//! answer and [`KNOWN_BUGS`] holds ours. The 14 tests of
//! `fixtures/conformance/dmarc/dns-scenarios.yml` are among the vectors, checked against the
//! YAML (records and RFC 7489 answers). Relaxed alignment by each model's organizational
//! domains, and a handful of vectors through the binary, complete it.

use crate::support::block_on;
use mailaudit::dmarc::{audit_dmarc, same_organization_rfc9989};
use mailaudit::dns::orgdomain::same_organization;
use mailaudit::dns::{Answer, RecordType, Resolver, ZoneSet};
use mailaudit::rules::Rules;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

const DISAGREE: &str = "dmarc/receivers-disagree";

/// The receiver models, as keys of `facts.receivers`.
const MODELS: [&str; 2] = ["rfc9989", "rfc7489"];

/// A vector where the library gives an answer other than the RFC's. The test asserts that we
/// still give exactly `ours`, so an entry fails once the bug is fixed (then remove it) and
/// cannot silently rot.
struct KnownBug {
    vector: &'static str,
    model: &'static str,
    /// Our answer, as `facts.receivers` serialises it.
    ours: &'static str,
    /// Whether `dmarc/receivers-disagree` fires because of it.
    ours_disagree: bool,
    /// Why the vector's expectation is the RFC's.
    why: &'static str,
}

// Empty since the two bugs these vectors found were fixed: a CNAME alias whose chain ends in
// NXDOMAIN exists (the CNAME question tells, RFC 6604 §3), and `_dmarc.` before a 253-octet
// name cannot exist, an empty set rather than a failed query (RFC 1035 §2.3.4).
const KNOWN_BUGS: &[KnownBug] = &[];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Vectors {
    zones: BTreeMap<String, Zone>,
    vector: Vec<Vector>,
    alignment: Vec<Alignment>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Zone {
    text: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Vector {
    name: String,
    zone: String,
    domain: String,
    reference: String,
    reason: String,
    #[serde(default)]
    timeout: Vec<String>,
    rfc9989: Expected,
    rfc7489: Expected,
    disagree: bool,
    #[serde(default)]
    cli: bool,
    scenario: Option<String>,
}

/// One model's expected answer; a field left out is null.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    status: Option<String>,
    policy_domain: Option<String>,
    organizational_domain: Option<String>,
    policy: Option<String>,
}

impl Expected {
    /// The answer as `facts.receivers` serialises it.
    fn json(&self) -> Value {
        json!({
            "status": self.status.as_deref().unwrap_or("concluded"),
            "policy_domain": self.policy_domain,
            "organizational_domain": self.organizational_domain,
            "policy": self.policy,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Alignment {
    zone: String,
    author: String,
    identifier: String,
    reference: String,
    rfc9989: bool,
    rfc7489: bool,
}

impl Vector {
    fn expected(&self, model: &str) -> &Expected {
        match model {
            "rfc9989" => &self.rfc9989,
            _ => &self.rfc7489,
        }
    }
}

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn vectors() -> Vectors {
    let path = manifest().join("tests/integration/dmarc_receivers/vectors.toml");
    let text = std::fs::read_to_string(&path).expect("vectors.toml is readable");
    toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

impl Vectors {
    fn zone_text(&self, name: &str) -> &str {
        &self
            .zones
            .get(name)
            .unwrap_or_else(|| panic!("no zone {name}"))
            .text
    }

    /// The zone set of `zone`, with every query for the names in `timeout` timing out.
    fn zone_set(&self, zone: &str, timeout: &[String]) -> ZoneSet {
        let mut zones = ZoneSet::load_str(self.zone_text(zone), None, zone)
            .unwrap_or_else(|e| panic!("zone {zone}: {e}"));
        for name in timeout {
            zones.insert_timeout(name);
        }
        zones
    }
}

/// What the library answers for one vector: `facts.receivers` and how often the disagreement
/// rule fired.
fn run(vectors: &Vectors, v: &Vector) -> (Value, usize) {
    let resolver = Resolver::offline(vectors.zone_set(&v.zone, &v.timeout));
    let audit = block_on(audit_dmarc(
        &resolver,
        &Rules::builtin().unwrap(),
        &v.domain,
    ));
    let facts = serde_json::to_value(&audit.facts).unwrap();
    let fired = audit.findings.iter().filter(|f| f.rule == DISAGREE).count();
    (facts["receivers"].clone(), fired)
}

/// The data is consistent with itself: unique names, every zone used, a disagreement only
/// between two concluded answers that differ, a reference and reason on every vector.
fn check_data(vectors: &Vectors) -> Vec<String> {
    let mut problems = Vec::new();
    let mut names = BTreeSet::new();
    let mut used = BTreeSet::new();
    for v in &vectors.vector {
        if !names.insert(v.name.as_str()) {
            problems.push(format!("{}: duplicate vector name", v.name));
        }
        used.insert(v.zone.as_str());
        if !vectors.zones.contains_key(&v.zone) {
            problems.push(format!("{}: no zone {}", v.name, v.zone));
        }
        if v.reference.is_empty() || v.reason.is_empty() {
            problems.push(format!("{}: reference and reason are required", v.name));
        }
        let concluded = MODELS.iter().all(|m| {
            v.expected(m).status.is_none() && v.expected(m).organizational_domain.is_some()
        });
        if v.disagree && (!concluded || v.rfc9989.json() == v.rfc7489.json()) {
            problems.push(format!(
                "{}: disagree needs two concluded answers that differ",
                v.name
            ));
        }
        if v.cli && !v.timeout.is_empty() {
            problems.push(format!("{}: a zone file cannot time out", v.name));
        }
        if v.cli && KNOWN_BUGS.iter().any(|b| b.vector == v.name) {
            problems.push(format!("{}: the CLI runs no known bug", v.name));
        }
    }
    for a in &vectors.alignment {
        used.insert(a.zone.as_str());
        if a.reference.is_empty() {
            problems.push(format!("alignment {}: no reference", a.author));
        }
    }
    for zone in vectors.zones.keys() {
        if !used.contains(zone.as_str()) {
            problems.push(format!("zone {zone} is used by no vector"));
        }
    }
    problems
}

#[test]
fn every_vector_gives_each_models_answer() {
    let vectors = vectors();
    let mut failures = check_data(&vectors);
    let mut agreed = BTreeMap::from(MODELS.map(|m| (m, 0usize)));
    let mut bugs_seen = vec![false; KNOWN_BUGS.len()];
    for v in &vectors.vector {
        let (receivers, fired) = run(&vectors, v);
        for model in MODELS {
            let want = v.expected(model).json();
            let got = &receivers[model];
            let bug = KNOWN_BUGS
                .iter()
                .position(|b| b.vector == v.name && b.model == model);
            match bug {
                Some(i) => {
                    bugs_seen[i] = true;
                    let ours: Value = serde_json::from_str(KNOWN_BUGS[i].ours).unwrap();
                    if *got == want {
                        failures.push(format!(
                            "{} {model}: gives the RFC's answer now: remove it from KNOWN_BUGS",
                            v.name
                        ));
                    } else if *got != ours {
                        failures.push(format!(
                            "{} {model}: known bug answered {ours}, got {got}",
                            v.name
                        ));
                    }
                }
                None if *got == want => *agreed.get_mut(model).unwrap() += 1,
                None => failures.push(format!(
                    "{} {model}: expected {want}, got {got} ({})",
                    v.name, v.reference
                )),
            }
        }
        // A known bug may make the rule fire (or not) where the RFC's answers would not.
        let disagree = KNOWN_BUGS
            .iter()
            .find(|b| b.vector == v.name)
            .map_or(v.disagree, |b| b.ours_disagree);
        if fired != usize::from(disagree) {
            failures.push(format!(
                "{}: {DISAGREE} expected {}, fired {fired} times",
                v.name,
                if disagree { "once" } else { "silent" }
            ));
        }
    }
    for (bug, seen) in KNOWN_BUGS.iter().zip(&bugs_seen) {
        if !seen {
            failures.push(format!("KNOWN_BUGS {} matches no vector", bug.vector));
        }
    }

    let total = vectors.vector.len();
    let differ = vectors
        .vector
        .iter()
        .filter(|v| v.rfc9989.json() != v.rfc7489.json())
        .count();
    let disagree = vectors.vector.iter().filter(|v| v.disagree).count();
    eprintln!(
        "dmarc receiver vectors: {total}; rfc9989 agreed {}/{total}, rfc7489 agreed {}/{total}; \
         the models' answers differ on {differ}, dmarc/receivers-disagree fires on {disagree}",
        agreed["rfc9989"], agreed["rfc7489"]
    );
    for v in vectors.vector.iter().filter(|v| v.disagree) {
        eprintln!("  {DISAGREE}: {} ({})", v.name, v.reference);
    }
    for bug in KNOWN_BUGS {
        eprintln!(
            "  KNOWN BUG {} {}: we give {}: {}",
            bug.vector,
            bug.model,
            bug.ours.split_whitespace().collect::<Vec<_>>().join(" "),
            bug.why
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(total >= 50, "{total} vectors");
    assert_eq!(
        agreed["rfc9989"] + agreed["rfc7489"] + KNOWN_BUGS.len(),
        2 * total
    );
}

/// The documents of dns-scenarios.yml.
fn scenario_documents() -> Vec<serde_yaml::Value> {
    let path = manifest().join("fixtures/conformance/dmarc/dns-scenarios.yml");
    let yaml = std::fs::read_to_string(path).expect("dns-scenarios.yml is readable");
    serde_yaml::Deserializer::from_str(&yaml)
        .map(|doc| serde_yaml::Value::deserialize(doc).expect("a YAML document"))
        .collect()
}

fn scalar(v: Option<&serde_yaml::Value>) -> Option<String> {
    v.and_then(serde_yaml::Value::as_str).map(String::from)
}

/// The file's tests: (description / name, domain, location, policy).
fn scenario_tests() -> Vec<(String, String, Option<String>, Option<String>)> {
    let mut out = Vec::new();
    for doc in scenario_documents() {
        let description = scalar(doc.get("description")).expect("description");
        let tests = doc
            .get("tests")
            .and_then(serde_yaml::Value::as_mapping)
            .expect("tests");
        for (name, test) in tests {
            let expected = test.get("expected").expect("expected");
            out.push((
                format!("{description} / {}", name.as_str().expect("test name")),
                scalar(test.get("domain")).expect("domain"),
                scalar(expected.get("location")),
                scalar(expected.get("policy")),
            ));
        }
    }
    out
}

#[test]
fn the_dns_scenarios_keep_their_rfc7489_answer_and_are_judged_for_rfc9989() {
    let vectors = vectors();
    let tests = scenario_tests();
    assert_eq!(tests.len(), 14, "SOURCE.md: 2 scenarios, 14 tests");
    let mut failures = Vec::new();
    let translated: Vec<&Vector> = vectors
        .vector
        .iter()
        .filter(|v| v.scenario.is_some())
        .collect();
    for (test, domain, location, policy) in &tests {
        let matching: Vec<&&Vector> = translated
            .iter()
            .filter(|v| v.scenario.as_deref() == Some(test))
            .collect();
        let [v] = matching[..] else {
            failures.push(format!("{test}: {} vectors translate it", matching.len()));
            continue;
        };
        // The file's location is `_dmarc.DOMAIN`; the vector's policy_domain is DOMAIN.
        let file_domain = location
            .as_deref()
            .map(|l| l.strip_prefix("_dmarc.").unwrap_or(l).to_string());
        let ours = (&v.domain, &v.rfc7489.policy_domain, &v.rfc7489.policy);
        if ours != (domain, &file_domain, policy) {
            failures.push(format!(
                "{test}: the file says {domain} -> {location:?} {policy:?}, vector {} says {ours:?}",
                v.name
            ));
        }
    }
    if translated.len() != tests.len() {
        failures.push(format!(
            "{} vectors name a scenario, the file has {} tests",
            translated.len(),
            tests.len()
        ));
    }
    let mut agreed = BTreeMap::from(MODELS.map(|m| (m, 0usize)));
    for v in &translated {
        let (receivers, _) = run(&vectors, v);
        for model in MODELS {
            if receivers[model] == v.expected(model).json() {
                *agreed.get_mut(model).unwrap() += 1;
            }
        }
    }
    let differ = translated
        .iter()
        .filter(|v| v.rfc9989.json() != v.rfc7489.json())
        .count();
    eprintln!(
        "dns-scenarios.yml re-judged: {} tests; rfc7489 agreed {}/{n}, rfc9989 agreed {}/{n}; the models differ on {differ}",
        tests.len(),
        agreed["rfc7489"],
        agreed["rfc9989"],
        n = translated.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Each vector's answers are asserted by every_vector_gives_each_models_answer.
}

#[test]
fn the_translated_scenario_zones_hold_the_files_records() {
    // Every (owner, type) of a scenario's zonedata has as many records in the zone text its
    // vectors use, the zone text no other owner, and a TIMEOUT owner times out in a vector.
    let vectors = vectors();
    let types = [
        RecordType::A,
        RecordType::Aaaa,
        RecordType::Mx,
        RecordType::Txt,
        RecordType::Cname,
    ];
    let mut failures = Vec::new();
    for doc in scenario_documents() {
        let description = scalar(doc.get("description")).expect("description");
        let prefix = format!("{description} / ");
        let users: Vec<&Vector> = vectors
            .vector
            .iter()
            .filter(|v| v.scenario.as_ref().is_some_and(|s| s.starts_with(&prefix)))
            .collect();
        let zones: BTreeSet<&str> = users.iter().map(|v| v.zone.as_str()).collect();
        let [zone] = zones.iter().copied().collect::<Vec<_>>()[..] else {
            failures.push(format!("{description}: its vectors use zones {zones:?}"));
            continue;
        };
        let set = vectors.zone_set(zone, &[]);
        let mut owners = 0;
        let zonedata = doc
            .get("zonedata")
            .and_then(serde_yaml::Value::as_mapping)
            .expect("zonedata");
        for (owner, entries) in zonedata {
            let owner = owner.as_str().expect("owner");
            let entries = entries.as_sequence().expect("entries");
            let mut count: BTreeMap<&str, usize> = BTreeMap::new();
            for entry in entries {
                match entry.as_mapping().and_then(|m| m.keys().next()) {
                    Some(kind) => *count.entry(kind.as_str().expect("type")).or_default() += 1,
                    None if entry.as_str() == Some("TIMEOUT") => {
                        if !users.iter().any(|v| v.timeout.iter().any(|t| t == owner)) {
                            failures.push(format!("{owner}: TIMEOUT in no vector"));
                        }
                    }
                    None => failures.push(format!("{owner}: entry {entry:?}")),
                }
            }
            if !count.is_empty() {
                owners += 1;
            }
            for (kind, want) in count {
                let Some(rtype) = types.iter().copied().find(|t| t.as_str() == kind) else {
                    failures.push(format!("{owner}: type {kind}"));
                    continue;
                };
                let got = match set.lookup(owner, rtype) {
                    Answer::Records(records) => records.len(),
                    _ => 0,
                };
                if got != want {
                    failures.push(format!(
                        "{zone}: {owner} {kind}: the file has {want}, the zone text {got}"
                    ));
                }
            }
        }
        if set.len() != owners {
            failures.push(format!("{zone}: {} owners, the file {owners}", set.len()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn relaxed_alignment_follows_each_models_organizational_domains() {
    let vectors = vectors();
    let mut failures = Vec::new();
    for a in &vectors.alignment {
        let resolver = Resolver::offline(vectors.zone_set(&a.zone, &[]));
        let bis = block_on(same_organization_rfc9989(
            &resolver,
            &a.author,
            &a.identifier,
        ));
        let legacy = same_organization(&a.author, &a.identifier);
        if bis != Ok(a.rfc9989) || legacy != a.rfc7489 {
            failures.push(format!(
                "{} / {} ({}): expected rfc9989 {} rfc7489 {}, got {bis:?} {legacy}",
                a.author, a.identifier, a.reference, a.rfc9989, a.rfc7489
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(vectors.alignment.len() >= 5);
}

/// `mailaudit domain DOMAIN --zone FILE --format json`: the domain result's
/// `facts.dmarc.receivers` and the rules of its findings.
fn cli_receivers(dir: &Path, zone_text: &str, domain: &str) -> (Value, Vec<String>) {
    let zone = dir.join("vector.zone");
    std::fs::write(&zone, zone_text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_mailaudit"))
        .args(["domain", domain, "--zone"])
        .arg(&zone)
        .args(["--format", "json"])
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{domain}: exit {:?}: {stderr}",
        out.status
    );
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{domain}: not JSON ({e}): {stderr}"));
    let result = &report["results"][0];
    assert_eq!(result["kind"], "domain", "{domain}");
    let rules = result["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["rule"].as_str().map(String::from))
        .collect();
    (result["facts"]["dmarc"]["receivers"].clone(), rules)
}

#[test]
fn the_cli_reports_the_same_answers_in_its_json() {
    let vectors = vectors();
    let dir = tempfile::tempdir().unwrap();
    // A repository root, so that no mailaudit.toml above the directory is read.
    std::fs::create_dir_all(dir.path().join(".git")).unwrap();
    std::fs::write(dir.path().join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
    let mut failures = Vec::new();
    let chosen: Vec<&Vector> = vectors.vector.iter().filter(|v| v.cli).collect();
    for v in &chosen {
        let (receivers, rules) = cli_receivers(dir.path(), vectors.zone_text(&v.zone), &v.domain);
        for model in MODELS {
            let want = v.expected(model).json();
            if receivers[model] != want {
                failures.push(format!(
                    "{} {model}: expected {want}, the CLI says {}",
                    v.name, receivers[model]
                ));
            }
        }
        let fired = rules.iter().filter(|r| *r == DISAGREE).count();
        if fired != usize::from(v.disagree) {
            failures.push(format!("{}: {DISAGREE} fired {fired} times", v.name));
        }
    }
    eprintln!("dmarc receiver vectors through the CLI: {}", chosen.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(chosen.len() >= 5);
    assert!(chosen.iter().any(|v| v.disagree) && chosen.iter().any(|v| !v.disagree));
}
