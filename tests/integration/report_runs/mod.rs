//! Real runs of the `mailaudit` binary for the report tests (schema, SARIF, github): offline
//! domain audits on `fixtures/zones/`, `spf`, `message` on `fixtures/drafts/`, and a run with a
//! configuration finding. Each run is made in every format the tests need; nothing touches
//! the network (every DNS run uses --zone).

// Each test binary uses a different part of this module.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

/// Domains of the fixture zones that fire a spread of rules, locations and evidence: record
/// spans (SPF and DMARC syntax, unauthorized report address), lookup chains, NXDOMAIN.
pub const DOMAINS: &[&str] = &[
    "acme-mail.example",
    "syntax.fixtures.test",
    "syntax-include.fixtures.test",
    "lookup-limit.fixtures.test",
    "missing.fixtures.test",
    "multiple.fixtures.test",
    "unauth.dmarc.fixtures.test",
    "syntax.dmarc.fixtures.test",
    "nosuch.example",
];

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// One run: a name for messages, the arguments without `--format`, the working directory.
pub struct Run {
    pub name: &'static str,
    pub args: Vec<String>,
    pub dir: PathBuf,
    /// Keeps a temporary working directory alive for the run's lifetime.
    _temp: Option<tempfile::TempDir>,
}

/// The output of one run in one format.
pub struct Output {
    pub stdout: String,
    pub stderr: String,
    pub status: i32,
}

impl Run {
    pub fn new(name: &'static str, args: &[&str]) -> Run {
        Run {
            name,
            args: args.iter().map(|a| a.to_string()).collect(),
            dir: repo(),
            _temp: None,
        }
    }

    /// A run in a fresh temporary directory holding `files` (path, content).
    pub fn in_temp(name: &'static str, args: &[&str], files: &[(&str, &str)]) -> Run {
        let temp = tempfile::tempdir().unwrap();
        for (path, content) in files {
            let file = temp.path().join(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, content).unwrap();
        }
        let fixtures = repo().join("fixtures");
        Run {
            name,
            args: args
                .iter()
                .map(|a| a.replace("{fixtures}", &fixtures.display().to_string()))
                .collect(),
            dir: temp.path().to_path_buf(),
            _temp: Some(temp),
        }
    }

    /// Run with `--format FORMAT` (and any extra arguments).
    pub fn format(&self, format: &str, extra: &[&str]) -> Output {
        let output = Command::new(env!("CARGO_BIN_EXE_mailaudit"))
            .args(&self.args)
            .args(["--format", format])
            .args(extra)
            .current_dir(&self.dir)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let out = Output {
            stdout: String::from_utf8(output.stdout).unwrap(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            status: output.status.code().unwrap_or(-1),
        };
        assert!(
            out.status == 0 || out.status == 1,
            "{} --format {format}: exit {}\n{}",
            self.name,
            out.status,
            out.stderr
        );
        out
    }

    pub fn json(&self, format: &str) -> serde_json::Value {
        let out = self.format(format, &[]);
        serde_json::from_str(&out.stdout)
            .unwrap_or_else(|e| panic!("{} --format {format}: {e}\n{}", self.name, out.stdout))
    }
}

/// The runs every report test covers.
pub fn runs() -> Vec<Run> {
    let mut domain = vec!["domain", "--zone", "fixtures/zones", "--ip", "203.0.113.7"];
    domain.extend_from_slice(DOMAINS);
    let domains_file = format!("# sending domains\n{}\n", DOMAINS.join("\n"));
    vec![
        Run::new("domain", &domain),
        Run::in_temp(
            "domain --domains-file",
            &[
                "domain",
                "--zone",
                "{fixtures}/zones",
                "--domains-file",
                "domains.txt",
                "--selector",
                "s1",
            ],
            &[("domains.txt", domains_file.as_str())],
        ),
        Run::new(
            "spf pass",
            &[
                "spf",
                "acme-mail.example",
                "--ip",
                "203.0.113.7",
                "--zone",
                "fixtures/zones",
            ],
        ),
        Run::new(
            "spf fail",
            &[
                "spf",
                "lookup-limit.fixtures.test",
                "--ip",
                "198.51.100.9",
                "--zone",
                "fixtures/zones",
            ],
        ),
        Run::new("message", &["message", "fixtures/drafts"]),
        Run::new(
            "message --template",
            &[
                "message",
                "--template",
                "--profile",
                "newsletter",
                "fixtures/drafts/rules",
            ],
        ),
        Run::new(
            "message --zone",
            &[
                "message",
                "fixtures/drafts/dkim",
                "--zone",
                "fixtures/zones/dkim-drafts.zone",
            ],
        ),
        Run::new("check", &["check", "fixtures/campaign/campaign.toml"]),
        Run::new(
            "sender",
            &[
                "sender",
                "fixtures/stats/complaint-spike.csv",
                "fixtures/stats/warmup-jump.csv",
                "fixtures/stats/providers.json",
            ],
        ),
        Run::new(
            "reports",
            &[
                "reports",
                "fixtures/reports",
                "fixtures/conformance/feedback/dmarc-aggregate",
                "fixtures/conformance/feedback/dmarc-failure",
                "fixtures/conformance/feedback/tlsrpt",
            ],
        ),
        Run::new(
            "feedback",
            &[
                "feedback",
                "fixtures/feedback/rules",
                "fixtures/feedback/broken",
                "fixtures/feedback/not-bounces",
                "fixtures/feedback/conformance/arf",
            ],
        ),
        Run::new(
            "reports --zone",
            &[
                "reports",
                "fixtures/reports",
                "--zone",
                "fixtures/zones/reports",
            ],
        ),
        Run::new(
            "list",
            &[
                "list",
                "fixtures/list/dirty.csv",
                "--suppressions",
                "fixtures/list/suppressions.csv",
                "fixtures/list/unsubscribes.txt",
            ],
        ),
        Run::new(
            "list --zone",
            &[
                "list",
                "fixtures/list/domains.csv",
                "--zone",
                "fixtures/zones/list",
            ],
        ),
        Run::in_temp(
            "config finding",
            &["message", "{fixtures}/drafts/report"],
            &[(
                "mailaudit.toml",
                "[[ignore]]\nrule = \"unsubscribe/missing\"\nreason = \"kept for the test\"\n",
            )],
        ),
    ]
}

/// The schema files, parsed.
pub fn schema(path: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(repo().join(path)).unwrap();
    serde_json::from_str(&text).unwrap()
}

pub fn validator(schema: &serde_json::Value) -> jsonschema::Validator {
    jsonschema::options()
        .should_validate_formats(true)
        .build(schema)
        .unwrap_or_else(|e| panic!("the schema does not compile: {e}"))
}

/// Every validation error of `instance`, as `path: message` lines (empty when valid).
pub fn errors(validator: &jsonschema::Validator, instance: &serde_json::Value) -> Vec<String> {
    validator
        .iter_errors(instance)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .take(20)
        .collect()
}
