//! A hand-built report shared by the renderer snapshot tests: targets and findings out of
//! order, every kind of location and evidence, and hostile bytes in input-derived text.

// Each test binary uses a different part of this module.
#![allow(dead_code)]

use mailaudit::finding::{Location, Severity};
use mailaudit::report::{self, Format};
use mailaudit::rules::Rules;
use mailaudit::run::{Facts, Kind, Mode, Report, Suppression, SuppressionSource, TargetResult};
use serde_json::json;

pub fn report() -> Report {
    let rules = Rules::builtin().unwrap();

    let mut zulu = TargetResult::new("zulu.example", Kind::Domain);
    zulu.facts = Facts::given(
        json!({ "spf": { "record": "v=spf1 ptr:zulu.example ?all", "lookups": 1 } }),
        ["spf: v=spf1 ptr:zulu.example ?all"],
    );
    zulu.findings.push(
        rules
            .finding(
                mailaudit::spf::rules::PTR_MECHANISM,
                "zulu.example",
                "zulu.example uses the deprecated ptr mechanism at bytes 7..23",
            )
            .with_record("v=spf1 ptr:zulu.example ?all")
            .at(Location::RecordSpan {
                record: "zulu.example".into(),
                start: 7,
                end: 23,
            }),
    );
    zulu.findings.push(
        rules
            .finding(
                mailaudit::spf::rules::PERMISSIVE_ALL,
                "zulu.example",
                "the SPF record of zulu.example ends in ?all, so unlisted hosts get neutral",
            )
            .with_severity(Severity::Warning)
            .with_record("v=spf1 ptr:zulu.example ?all"),
    );

    let mut alpha = TargetResult::new("alpha.example", Kind::Domain);
    alpha.facts = Facts::given(
        json!({ "spf": { "record": "v=spf1 include:a include:b -all", "lookups": 12 } }),
        ["spf: v=spf1 include:a include:b -all"],
    );
    alpha.findings.push(
        rules
            .finding(
                mailaudit::spf::rules::LOOKUP_LIMIT,
                "alpha.example",
                "the SPF tree of alpha.example makes 12 DNS-querying lookups (limit 10)",
            )
            .with_chain(vec!["alpha.example".into(), "_spf.esp.example".into()])
            .with_measured(12)
            .with_threshold(10),
    );
    // A TXT record crafted to clear the screen and reverse the text on a terminal.
    alpha.findings.push(
        rules
            .finding(
                mailaudit::spf::rules::SYNTAX,
                "_spf.esp.example",
                "_spf.esp.example: unknown mechanism \"\u{1b}[2Jx\u{202e}lla-\" at bytes 7..15\r",
            )
            .with_record("v=spf1 \u{1b}[2Jx\u{202e}lla-")
            .at(Location::RecordSpan {
                record: "_spf.esp.example".into(),
                start: 7,
                end: 15,
            }),
    );
    alpha.findings.push(
        rules
            .finding(
                mailaudit::dns::rules::INCONCLUSIVE,
                "alpha.example",
                "TYPE99 alpha.example: SERVFAIL",
            )
            .with_severity(Severity::Info),
    );

    // A finding an [[ignore]] of mailaudit.toml waived: reported, never counted.
    alpha.suppressed.push(Suppression {
        finding: rules.finding(
            mailaudit::spf::rules::MX_LIMIT,
            "alpha.example",
            "the mx mechanism of alpha.example names 12 hosts (limit 10)",
        ),
        reason: "the relay pool shrinks in March (OPS-7)".into(),
        source: SuppressionSource::Config,
        file: "mailaudit.toml".into(),
        line: Some(9),
    });

    let quiet = TargetResult::new("quiet.example", Kind::Domain);

    let mut config = TargetResult::new("mailaudit.toml", Kind::Config);
    config.findings.push(
        rules
            .finding(
                mailaudit::config::rules::UNUSED_IGNORE,
                "mailaudit.toml",
                "the ignore of spf/mx-limit matched no finding",
            )
            .at(Location::Line {
                file: "mailaudit.toml".into(),
                line: 4,
            }),
    );

    Report {
        command: "domain".into(),
        mode: Mode::Offline {
            zone_files: vec!["fixtures/a.zone".into(), "fixtures/b.zone".into()],
        },
        fail_on: Some(Severity::Error),
        config: Vec::new(),
        results: vec![zulu, alpha, quiet, config],
    }
}

/// The JSON names the tool's version; keep it out of the snapshots.
pub fn without_version(text: &str) -> String {
    text.replace(
        &format!("\"version\": \"{}\"", env!("CARGO_PKG_VERSION")),
        "\"version\": \"[version]\"",
    )
}

/// `report` rendered in `format`, without colour.
pub fn render(report: &Report, format: Format) -> String {
    colored::control::set_override(false);
    let mut out = Vec::new();
    report::render(report, format, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}
