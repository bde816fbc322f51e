//! The DMARC discovery and report-destination scenarios
//! (`fixtures/conformance/dmarc/dns-scenarios.yml`, a byte-for-byte copy): each scenario's
//! zone data in memory, each test's domain through `audit_dmarc`, and the expected location
//! of the record, effective policy and findings compared with the facts and findings.

use mailaudit::dmarc::{DmarcAudit, audit_dmarc};
use mailaudit::dns::{Rdata, Resolver, ZoneSet, normalize_name};
use mailaudit::rules::Rules;
use serde::Deserialize;
use serde_yaml::Value;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;

/// Tests whose expectation we believe is wrong: (test name, field, what the file says, what
/// we say, why). An entry that matches nothing, or whose test now agrees, fails the test.
const DISPUTED: &[(&str, &str, &str, &str, &str)] = &[
    (
        "found-at-domain",
        "findings",
        "",
        "dmarc/subdomain-weaker",
        // _dmarc.good.example says p=reject; sp=quarantine. SPEC §4.3 defines
        // dmarc/subdomain-weaker as "sp weaker than p", and quarantine is weaker than reject
        // (RFC 7489 §6.6.4 makes quarantine the "next-lower policy" below reject): forged
        // mail from any subdomain is filed as spam instead of refused. The file's vocabulary
        // has only DMARC_SP_NONE (records.tsv d17), so it cannot say this; the warning is
        // this project's contract, not a misreading of the record.
        "sp=quarantine is weaker than p=reject (§6.6.4 next-lower policy): SPEC §4.3 dmarc/subdomain-weaker",
    ),
    (
        "subdomain-inherits-org-record",
        "findings",
        "",
        "dmarc/subdomain-weaker",
        // The same record, reached from sub.good.example: the weaker sp is exactly what
        // applies to this subdomain.
        "the same p=reject; sp=quarantine record, whose weaker sp is what applies to sub.good.example",
    ),
    (
        "rua-domain-without-mx",
        "findings",
        "dmarc/policy-none,dmarc/report-undeliverable",
        "dmarc/policy-none",
        // nomx.example has no MX but an A record (192.0.2.50). RFC 5321 §5.1: "If an empty list
        // of MXs is returned, the address is treated as if it was associated with an implicit MX
        // RR, with a preference of 0, pointing to that host." Reports to dmarc@nomx.example are
        // delivered to 192.0.2.50 like any other mail, so nothing is undeliverable. The
        // scenario's own description says the expectation comes from checkdmarc ignoring the
        // implicit MX. dmarc/report-undeliverable fires for a destination that really cannot
        // receive mail (NXDOMAIN, null MX, or no MX and no address), see tests/dmarc_audit.rs.
        "nomx.example has an A record: RFC 5321 §5.1 delivers to it as an implicit MX, so the reports arrive",
    ),
];

/// The file's finding codes and the rule that reports each here (`None`: not a finding of
/// this auditor, for the reason given).
const CODES: &[(&str, Option<&str>, &str)] = &[
    ("DMARC_MISSING", Some("dmarc/missing"), ""),
    ("DMARC_MULTIPLE_RECORDS", Some("dmarc/multiple-records"), ""),
    // The record at the domain itself is named in the dmarc/missing message.
    ("DMARC_WRONG_LOCATION", Some("dmarc/missing"), ""),
    // The SPF text at _dmarc is named in the dmarc/missing message.
    ("DMARC_SPF_AT_DMARC", Some("dmarc/missing"), ""),
    // A nonexistent domain has no DMARC record; dmarc/missing says NXDOMAIN.
    ("DOMAIN_NXDOMAIN", Some("dmarc/missing"), ""),
    ("DMARC_DNS_TEMPERROR", Some("dns/inconclusive"), ""),
    ("DMARC_P_NONE", Some("dmarc/policy-none"), ""),
    (
        "DMARC_RUA_UNAUTHORIZED_EXTERNAL",
        Some("dmarc/report-unauthorized"),
        "",
    ),
    ("DMARC_RUA_NO_MX", Some("dmarc/report-undeliverable"), ""),
    (
        "DMARC_UNRELATED_TXT",
        None,
        "RFC 7489 §6.6.3 step 3 discards TXT records that do not begin with v=DMARC1: one beside the DMARC record changes nothing for receivers",
    ),
];

struct Test {
    name: String,
    domain: String,
    location: Option<String>,
    policy: Option<String>,
    findings: Vec<String>,
}

struct Scenario {
    description: String,
    zones: ZoneSet,
    tests: Vec<Test>,
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => panic!("expected a scalar, got {other:?}"),
    }
}

fn optional(v: Option<&Value>) -> Option<String> {
    match v {
        None | Some(Value::Null) => None,
        Some(v) => Some(text(v)),
    }
}

/// `name -> [ {TYPE: value} | TIMEOUT ]`; TXT may be a list of strings (one record).
fn load_zones(zonedata: &Value) -> ZoneSet {
    let mut zones = ZoneSet::new();
    for (owner, entries) in zonedata.as_mapping().expect("zonedata") {
        let owner = normalize_name(&text(owner));
        for entry in entries.as_sequence().expect("entries") {
            if matches!(entry, Value::String(s) if s == "TIMEOUT") {
                zones.insert_timeout(&owner);
                continue;
            }
            let (kind, value) = entry
                .as_mapping()
                .and_then(|m| m.iter().next())
                .unwrap_or_else(|| panic!("entry at {owner}: {entry:?}"));
            let rdata = match text(kind).as_str() {
                "TXT" => Rdata::Txt(match value {
                    Value::Sequence(items) => items.iter().map(|s| text(s).into_bytes()).collect(),
                    v => vec![text(v).into_bytes()],
                }),
                "A" => Rdata::A(text(value).parse().expect("A")),
                "AAAA" => Rdata::Aaaa(text(value).parse().expect("AAAA")),
                "MX" => {
                    let pair = value.as_sequence().expect("MX [pref, host]");
                    Rdata::Mx {
                        preference: text(&pair[0]).parse().expect("preference"),
                        exchange: normalize_name(&text(&pair[1])),
                    }
                }
                "CNAME" => Rdata::Cname(normalize_name(&text(value))),
                other => panic!("record type {other} at {owner}"),
            };
            zones.insert(&owner, rdata);
        }
    }
    zones
}

fn scenarios() -> Vec<Scenario> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/conformance/dmarc/dns-scenarios.yml");
    let yaml = std::fs::read_to_string(path).expect("dns-scenarios.yml is readable");
    let mut out = Vec::new();
    for doc in serde_yaml::Deserializer::from_str(&yaml) {
        let doc = Value::deserialize(doc).expect("a YAML document");
        let mut tests = Vec::new();
        for (name, t) in doc.get("tests").and_then(Value::as_mapping).expect("tests") {
            let expected = t.get("expected").expect("expected");
            tests.push(Test {
                name: text(name),
                domain: text(t.get("domain").expect("domain")),
                location: optional(expected.get("location")),
                policy: optional(expected.get("policy")),
                findings: expected
                    .get("findings")
                    .and_then(Value::as_sequence)
                    .expect("findings")
                    .iter()
                    .map(text)
                    .collect(),
            });
        }
        out.push(Scenario {
            description: doc.get("description").map(text).unwrap_or_default(),
            zones: load_zones(doc.get("zonedata").expect("zonedata")),
            tests,
        });
    }
    out
}

fn audit(zones: &ZoneSet, domain: &str) -> DmarcAudit {
    let resolver = Resolver::offline(zones.clone());
    let rules = Rules::builtin().expect("builtin rules");
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(audit_dmarc(&resolver, &rules, domain))
}

#[test]
fn dns_scenarios() {
    let scenarios = scenarios();
    let total: usize = scenarios.iter().map(|s| s.tests.len()).sum();
    assert_eq!(total, 14, "SOURCE.md: 2 scenarios, 14 tests");
    let mut agree = 0;
    let mut failures = Vec::new();
    let mut used = vec![false; DISPUTED.len()];
    for scenario in &scenarios {
        for test in &scenario.tests {
            let a = audit(&scenario.zones, &test.domain);
            let label = format!("{} / {}", scenario.description, test.name);
            let mut want = BTreeSet::new();
            for code in &test.findings {
                match CODES.iter().find(|(c, _, _)| c == code) {
                    Some((_, Some(rule), _)) => {
                        want.insert(rule.to_string());
                    }
                    Some((_, None, _)) => {}
                    None => failures.push(format!("{label}: unknown code {code}: add it to CODES")),
                }
            }
            // Inheritance is the file's `location` (checked below), not a finding code.
            let got: BTreeSet<String> = a
                .findings
                .iter()
                .map(|f| f.rule.clone())
                .filter(|r| r != "dmarc/inherited")
                .collect();
            let inherited_fired = a.findings.iter().any(|f| f.rule == "dmarc/inherited");
            let own = format!("_dmarc.{}", normalize_name(&test.domain));
            let expect_inherited = test.location.as_ref().is_some_and(|l| *l != own);
            let join = |s: &BTreeSet<String>| s.iter().cloned().collect::<Vec<_>>().join(",");
            let policy = a.facts.policy.map(|p| p.as_str().to_string());
            let fields = [
                (
                    "location",
                    test.location.clone().unwrap_or_default(),
                    a.facts.location.clone().unwrap_or_default(),
                ),
                (
                    "policy",
                    test.policy.clone().unwrap_or_default(),
                    policy.unwrap_or_default(),
                ),
                ("findings", join(&want), join(&got)),
                (
                    "inherited",
                    expect_inherited.to_string(),
                    inherited_fired.to_string(),
                ),
            ];
            let mut ok = true;
            for (field, file, ours) in fields {
                let dispute = DISPUTED
                    .iter()
                    .position(|(t, f, said, _, _)| *t == test.name && *f == field && *said == file);
                match dispute {
                    Some(i) => {
                        used[i] = true;
                        ok = false;
                        if ours == file {
                            failures.push(format!(
                                "{label} {field}: agrees now, remove it from DISPUTED"
                            ));
                        } else if ours != DISPUTED[i].3 {
                            failures.push(format!(
                                "{label} {field}: disputed as {}, got {ours}",
                                DISPUTED[i].3
                            ));
                        }
                    }
                    None if ours == file => {}
                    None => {
                        ok = false;
                        failures.push(format!(
                            "{label} {field}: file says {file:?}, we say {ours:?} ({:#?})",
                            a.findings.iter().map(|f| &f.message).collect::<Vec<_>>()
                        ));
                    }
                }
            }
            if ok {
                agree += 1;
            }
        }
    }
    for (i, used) in used.iter().enumerate() {
        if !used {
            failures.push(format!("DISPUTED {} matches no test", DISPUTED[i].0));
        }
    }
    let mut summary = format!(
        "dmarc scenarios: {agree}/{total} agree, {} disputed\n",
        DISPUTED.len()
    );
    for (name, field, said, ours, why) in DISPUTED {
        summary.push_str(&format!(
            "DISPUTED {name} {field}: file says {said:?}, we say {ours:?}: {why}\n"
        ));
    }
    for f in &failures {
        summary.push_str(&format!("FAIL {f}\n"));
    }
    let _ = std::io::stdout().write_all(summary.as_bytes());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(agree + DISPUTED.len(), total);
}

/// The messages carry what the file's extra codes name.
#[test]
fn missing_messages_name_the_cause() {
    let scenarios = scenarios();
    let zones = &scenarios[0].zones;
    let message = |domain: &str| {
        let a = audit(zones, domain);
        let f = a
            .findings
            .iter()
            .find(|f| f.rule == "dmarc/missing")
            .unwrap_or_else(|| panic!("{domain}: {:#?}", a.findings));
        f.message.clone()
    };
    assert!(message("apex.example").contains("published at apex.example itself"));
    assert!(message("spfleak.example").contains("holds SPF text"));
    assert!(message("missing.example").contains("does not exist (NXDOMAIN)"));
}
