//! The RFC 7208 suite through the real binary: each scenario's zone data is written as a
//! master file, and every test is one `mailaudit spf --zone FILE --format json` run whose
//! result must be one the suite lists. The suite's `TIMEOUT` entries cannot be zone data, so
//! the tests that expect their temperror are left out (5 of 203). Names with unusual
//! characters (`foo:bar/baz`, spaces, `%`) are written with master-file escapes, as a zone
//! administrator would; `check_host()` asks for them with the raw characters.
//!
//! Also here: the same kind of names served live by the in-process server agree with the
//! zone-file run.

use crate::cli_live::{run_live_and_offline, without_mode};
use crate::spf_conformance::{is_none_placeholder, strings, text};
use crate::support;
use serde::Deserialize;
use serde_yaml::Value;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

const SUITE: &str = "fixtures/conformance/spf/rfc7208-tests.yml";
/// Tests of the suite that run on zone files: all but the 5 temperror cases of `TIMEOUT`.
const EXPECTED_CASES: usize = 198;
const EXPECTED_SKIPPED: usize = 5;

struct Case {
    scenario: String,
    name: String,
    zone: PathBuf,
    host: String,
    mailfrom: String,
    helo: String,
    results: Vec<String>,
}

/// A name in master-file presentation form, absolute: anything but letters, digits, `-`, `_`
/// and `*` as `\DDD`.
fn master_name(name: &str) -> String {
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.is_empty() {
        return ".".to_string();
    }
    let mut out = String::new();
    for label in name.split('.') {
        for &b in label.as_bytes() {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'*') {
                out.push(char::from(b));
            } else {
                let _ = write!(out, "\\{b:03}");
            }
        }
        out.push('.');
    }
    out
}

/// Character-strings, quoted; one string of the suite longer than 255 octets becomes several
/// (the record's joined text is the same).
fn master_strings(strings: &[Vec<u8>]) -> String {
    // A TXT record holds one or more strings (RFC 1035 §3.3.14): the suite's record of none
    // (`SPF: [ ]`) is written as one empty string, which is no SPF record either.
    let none = [Vec::new()];
    let strings = if strings.is_empty() {
        &none[..]
    } else {
        strings
    };
    let mut out = String::new();
    for s in strings {
        let chunks: Vec<&[u8]> = if s.is_empty() {
            vec![&[]]
        } else {
            s.chunks(255).collect()
        };
        for chunk in chunks {
            out.push_str(" \"");
            for &b in chunk {
                match b {
                    b'"' | b'\\' => {
                        out.push('\\');
                        out.push(char::from(b));
                    }
                    0x20..=0x7e => out.push(char::from(b)),
                    _ => {
                        let _ = write!(out, "\\{b:03}");
                    }
                }
            }
            out.push('"');
        }
    }
    out
}

/// The zone data of one scenario as a master file (the harness conventions of
/// `spf_conformance.rs`: `SPF` is also served as TXT unless the name lists TXT, `NONE` is
/// nothing); whether it had `TIMEOUT` entries, which a file cannot hold.
fn master_file(zonedata: &Value) -> (String, bool) {
    let mut out = String::from("$TTL 3600\n");
    let mut had_timeout = false;
    for (owner, entries) in zonedata.as_mapping().into_iter().flatten() {
        let owner = master_name(&text(owner));
        let entries: Vec<&Value> = entries.as_sequence().into_iter().flatten().collect();
        let explicit_txt = entries
            .iter()
            .filter_map(|e| e.as_mapping())
            .any(|m| m.keys().any(|k| text(k) == "TXT"));
        for entry in entries {
            if matches!(entry, Value::String(s) if s == "TIMEOUT") {
                had_timeout = true;
                continue;
            }
            let (kind, value) = entry
                .as_mapping()
                .and_then(|m| m.iter().next())
                .unwrap_or_else(|| panic!("unexpected zonedata entry at {owner}: {entry:?}"));
            if is_none_placeholder(value) {
                continue;
            }
            let kind = text(kind);
            let rdata = match kind.as_str() {
                "SPF" | "TXT" => master_strings(&strings(value)),
                "A" | "AAAA" => format!(" {}", text(value)),
                "MX" => {
                    let pair = value.as_sequence().expect("MX [pref, host]");
                    format!(" {} {}", text(&pair[0]), master_name(&text(&pair[1])))
                }
                "PTR" | "CNAME" => format!(" {}", master_name(&text(value))),
                other => panic!("unknown record kind {other} at {owner}"),
            };
            writeln!(out, "{owner} IN {kind}{rdata}").unwrap();
            if kind == "SPF" && !explicit_txt {
                writeln!(out, "{owner} IN TXT{rdata}").unwrap();
            }
        }
    }
    (out, had_timeout)
}

/// Every test of the suite that zone files can express, with its scenario's zone file
/// written into `dir`; and how many were left out.
fn cases(dir: &Path) -> (Vec<Case>, usize) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(SUITE);
    let yaml = std::fs::read_to_string(&path).unwrap();
    let mut cases = Vec::new();
    let mut skipped = 0;
    for (n, doc) in serde_yaml::Deserializer::from_str(&yaml).enumerate() {
        let doc = Value::deserialize(doc).expect("YAML document");
        let scenario = doc.get("description").map(text).unwrap_or_default();
        let (master, had_timeout) = master_file(doc.get("zonedata").unwrap_or(&Value::Null));
        let zone = dir.join(format!("scenario-{n}.zone"));
        std::fs::write(&zone, master).unwrap();
        for (name, t) in doc.get("tests").and_then(Value::as_mapping).expect("tests") {
            let results: Vec<String> = match t.get("result").expect("result") {
                Value::Sequence(items) => items.iter().map(text).collect(),
                v => vec![text(v)],
            };
            if had_timeout && results.iter().any(|r| r == "temperror") {
                skipped += 1;
                continue;
            }
            cases.push(Case {
                scenario: scenario.clone(),
                name: text(name),
                zone: zone.clone(),
                host: text(t.get("host").expect("host")),
                mailfrom: t.get("mailfrom").map(text).unwrap_or_default(),
                helo: t.get("helo").map(text).unwrap_or_default(),
                results,
            });
        }
    }
    (cases, skipped)
}

/// The domain `check_host()` starts from (RFC 7208 §2.3, §4.3): the MAIL FROM's domain, the
/// HELO name when there is no MAIL FROM.
fn domain_of(mailfrom: &str, helo: &str) -> String {
    if mailfrom.is_empty() {
        return helo.strip_suffix('.').unwrap_or(helo).to_string();
    }
    match mailfrom.rsplit_once('@') {
        Some((_, domain)) => domain.to_string(),
        None => mailfrom.to_string(),
    }
}

/// One run of the binary: the result it reports, or why there is none.
fn run_case(case: &Case) -> Result<String, String> {
    let mut args = vec![
        "spf".to_string(),
        "--format=json".into(),
        format!("--zone={}", case.zone.display()),
        format!("--ip={}", case.host),
        format!("--helo={}", case.helo),
    ];
    if !case.mailfrom.is_empty() {
        args.push(format!("--mail-from={}", case.mailfrom));
    }
    args.push("--".into());
    args.push(domain_of(&case.mailfrom, &case.helo));
    let output = Command::new(env!("CARGO_BIN_EXE_mailaudit"))
        .args(&args)
        .env("NO_COLOR", "1")
        .output()
        .map_err(|e| format!("cannot run: {e}"))?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("exit {:?}, no JSON ({e}); stderr: {stderr}", output.status))?;
    report["results"][0]["result"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("no result in the report; stderr: {stderr}"))
}

#[test]
fn rfc7208_suite_through_the_cli_on_zone_files() {
    let dir = tempfile::tempdir().unwrap();
    let (cases, skipped) = cases(dir.path());
    assert_eq!(
        skipped, EXPECTED_SKIPPED,
        "TIMEOUT temperror cases left out"
    );
    assert_eq!(cases.len(), EXPECTED_CASES);
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    // One process per test, on a few threads.
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                while let Some(case) = cases.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let why = match run_case(case) {
                        Ok(got) if case.results.contains(&got) => continue,
                        Ok(got) => format!("expected {:?}, got {got}", case.results),
                        Err(e) => e,
                    };
                    let failure = format!("{} / {}: {why}", case.scenario, case.name);
                    failures.lock().unwrap().push(failure);
                }
            });
        }
    });
    let mut failures = failures.into_inner().unwrap();
    failures.sort();
    let passed = cases.len() - failures.len();
    println!("rfc7208 through the CLI: {passed}/{}", cases.len());
    assert!(
        failures.is_empty(),
        "rfc7208 through the CLI on zone files: {passed}/{}; failed:\n{}",
        cases.len(),
        failures.join("\n")
    );
}

/// Names holding `:`, `/`, a space and a dot inside a label, as master-file escapes.
const UNUSUAL_NAMES_ZONE: &str = r#"$ORIGIN names.test.
$TTL 3600
@                 IN SOA ns.names.test. hostmaster.names.test. 1 3600 600 86400 300
@                 IN NS  ns.names.test.
ns                IN A   192.0.2.53
@                 IN TXT "v=spf1 a:foo:bar/baz.names.test mx:mx.names.test a:alias.names.test include:pct%%%_sp.names.test -all"
foo\058bar/baz    IN A   192.0.2.1
mx                IN MX  10 mail\032host.names.test.
mail\032host      IN A   192.0.2.2
alias             IN CNAME dot\.inside.names.test.
dot\.inside       IN A   192.0.2.3
pct\037\032sp     IN TXT "v=spf1 ip4:192.0.2.4 -all"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unusual_names_resolve_the_same_live_and_from_zone_files() {
    let dir = tempfile::tempdir().unwrap();
    let zone = dir.path().join("names.zone");
    std::fs::write(&zone, UNUSUAL_NAMES_ZONE).unwrap();
    let server = support::dns_server::start(&[zone.as_path()]).await;
    let live = ["--nameserver".to_string(), server.addr().to_string()];
    let offline = ["--zone".to_string(), zone.display().to_string()];
    for (ip, want) in [
        ("192.0.2.1", "pass"),
        ("192.0.2.2", "pass"),
        ("192.0.2.3", "pass"),
        ("192.0.2.4", "pass"),
        ("192.0.2.9", "fail"),
    ] {
        let base: Vec<String> = ["spf", "names.test", "--ip", ip, "--format", "json"]
            .map(String::from)
            .to_vec();
        let ((_, live_report), (_, offline_report)) =
            run_live_and_offline(&base, &live, &offline).await;
        assert_eq!(offline_report["results"][0]["result"], want, "--ip {ip}");
        assert_eq!(live_report["mode"]["dns"], "live");
        assert_eq!(
            without_mode(live_report),
            without_mode(offline_report),
            "--ip {ip}: live and zone files differ"
        );
    }
    assert!(server.queries_for("foo:bar/baz.names.test", mailaudit::dns::RecordType::A) > 0);
}
