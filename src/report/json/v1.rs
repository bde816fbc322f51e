//! JSON output, schema version 1. Field names and meanings never change within a version;
//! new fields may be added. These types borrow from the internal report and exist only to
//! be serialized, so a refactoring of the internals cannot change the output by accident.

use crate::finding::{Evidence, Finding, Location};
use crate::reports::facts::RecordRow;
use crate::rules::{RuleMeta, Rules};
use crate::run::{Facts, Mode, Report, Summary, Suppression, TargetResult, Verdict};
use serde::{Serialize, Serializer};

pub const SCHEMA_VERSION: u32 = 1;

/// The `json` format: the whole run in one object.
#[derive(Debug, Serialize)]
pub struct ReportV1<'a> {
    pub schema_version: u32,
    pub tool: ToolV1,
    pub command: &'a str,
    pub mode: ModeV1<'a>,
    /// The configuration files whose rules and ignores applied, lowest layer first.
    pub config: &'a [String],
    pub summary: SummaryV1,
    /// The gate's answer at the run's `--fail-on`: "pass", "fail" or "incomplete".
    pub verdict: &'static str,
    pub results: Vec<ResultV1<'a>>,
}

/// `mailaudit rules --format json`: the effective rule set with its documentation.
#[derive(Debug, Serialize)]
pub struct RulesV1<'a> {
    pub schema_version: u32,
    pub tool: ToolV1,
    pub rules: Vec<RuleV1<'a>>,
}

#[derive(Debug, Serialize)]
pub struct RuleV1<'a> {
    pub id: &'a str,
    /// "error", "warning", "info", or "off" when the user turned the rule off.
    pub severity: &'static str,
    pub title: &'a str,
    pub reference: &'a str,
    pub thresholds: &'a toml::Table,
    pub help: &'a str,
    pub what: &'a str,
    pub why: &'a str,
    pub example: &'a str,
    pub fix: &'a str,
}

#[derive(Debug, Serialize)]
pub struct ToolV1 {
    pub name: &'static str,
    pub version: &'static str,
}

/// `{"dns": "offline", "zone_files": [...]}` or `{"dns": "live", "nameservers": [...]}`
/// (no nameservers: the system's resolvers), or for drafts
/// `{"dns": "none", "profile": "cold-outreach", "template": false}` (with `zone_files` or
/// `nameservers` and `dns` offline or live when their DKIM signatures were verified), and for sending
/// statistics `{"dns": "none", "stats_files": [...]}`.
#[derive(Debug, Serialize)]
#[serde(tag = "dns", rename_all = "snake_case")]
pub enum ModeV1<'a> {
    Offline {
        zone_files: &'a [String],
    },
    Live {
        nameservers: &'a [String],
    },
    #[serde(rename = "none")]
    Drafts {
        profile: &'a str,
        template: bool,
    },
    /// Drafts whose DKIM signatures were verified from zone files.
    #[serde(rename = "offline")]
    DraftsOffline {
        zone_files: &'a [String],
        profile: &'a str,
        template: bool,
    },
    /// Drafts whose DKIM signatures were verified with live DNS.
    #[serde(rename = "live")]
    DraftsLive {
        nameservers: &'a [String],
        profile: &'a str,
        template: bool,
    },
    #[serde(rename = "none")]
    Stats {
        stats_files: &'a [String],
    },
    /// Reports read without DNS: their sources are not attributed.
    #[serde(rename = "none")]
    Reports {
        attribution: bool,
    },
    /// Bounces and complaints read (`mailaudit feedback`): `{"dns": "none", "feedback": true}`.
    #[serde(rename = "none")]
    Feedback {
        feedback: bool,
    },
    /// A recipient list checked without DNS: its domains' MX records were not asked.
    #[serde(rename = "none")]
    List {
        domains_checked: bool,
    },
}

#[derive(Debug, Serialize)]
pub struct SummaryV1 {
    pub targets: usize,
    pub findings: usize,
    pub error: usize,
    pub warning: usize,
    pub info: usize,
    /// Findings that ignores waived (not counted in `findings`).
    pub suppressed: usize,
}

/// One audited target.
#[derive(Debug, Serialize)]
pub struct ResultV1<'a> {
    pub target: &'a str,
    pub kind: &'a str,
    /// The verdict of a single-verdict command (`spf`: none, neutral, pass, fail, softfail,
    /// temperror, permerror); absent for audits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<&'a str>,
    pub facts: FactsV1<'a>,
    pub findings: Vec<FindingV1<'a>>,
    /// The findings ignores waived, with each ignore's reason and where it was written.
    pub suppressed: Vec<SuppressionV1<'a>>,
}

/// One waived finding: `{"rule", "severity", "message", "reason", "source", "file", "line"}`,
/// `source` "config" (an `[[ignore]]` of `file`) or "inline" (an `X-Mailaudit-Ignore`
/// header of the draft `file`); `line` is absent when unknown.
#[derive(Debug, Serialize)]
pub struct SuppressionV1<'a> {
    pub rule: &'a str,
    pub severity: &'static str,
    pub message: &'a str,
    pub reason: &'a str,
    pub source: &'static str,
    pub file: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
}

/// The last line of the `jsonl` format: `{"schema_version": 1, "kind": "summary",
/// "summary": {...}, "verdict": "pass"}`, written when the run is complete (a stream without
/// it was cut short).
#[derive(Debug, Serialize)]
pub struct JsonlSummaryV1 {
    pub schema_version: u32,
    pub kind: &'static str,
    pub summary: SummaryV1,
    pub verdict: &'static str,
}

impl JsonlSummaryV1 {
    pub fn new(summary: &Summary, verdict: Verdict) -> JsonlSummaryV1 {
        JsonlSummaryV1 {
            schema_version: SCHEMA_VERSION,
            kind: "summary",
            summary: SummaryV1::from_summary(summary),
            verdict: verdict.as_str(),
        }
    }
}

/// A result's typed facts, turned into JSON as the result is written. They go through
/// `serde_json::Value`, whose objects keep their keys sorted, so every facts object lists
/// its keys in sorted order (not in the order of the Rust fields). Facts that cannot be
/// represented in JSON make the write fail with that error; they are never written as an
/// empty object or `null`.
#[derive(Debug)]
pub struct FactsV1<'a> {
    pub facts: &'a Facts,
    /// A report's rows are written as lines of their own (`jsonl`): its facts hold
    /// `record_count` instead of `records`.
    pub rows_apart: bool,
}

impl Serialize for FactsV1<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut value = match self.facts {
            // The rows go straight to the output: a large report is not copied into a
            // `Value` tree first.
            Facts::Report(report) if self.rows_apart => {
                serde_json::to_value(report.without_rows()).map_err(serde::ser::Error::custom)?
            }
            Facts::Feedback(feedback) if self.rows_apart => {
                serde_json::to_value(feedback.without_rows()).map_err(serde::ser::Error::custom)?
            }
            facts => serde_json::to_value(facts).map_err(serde::ser::Error::custom)?,
        };
        if let Some(map) = value.as_object_mut() {
            map.sort_keys();
        }
        value.serialize(serializer)
    }
}

/// One row of a report in `jsonl`: `{"schema_version": 1, "kind": "record", ...the row}`.
#[derive(Debug, Serialize)]
pub struct RecordLineV1<'a> {
    pub schema_version: u32,
    pub kind: &'static str,
    #[serde(flatten)]
    pub row: &'a RecordRow,
}

impl<'a> RecordLineV1<'a> {
    pub fn new(row: &'a RecordRow) -> RecordLineV1<'a> {
        RecordLineV1 {
            schema_version: SCHEMA_VERSION,
            kind: "record",
            row,
        }
    }
}

/// One recipient of a feedback message in `jsonl`:
/// `{"schema_version": 1, "row": "recipient", ...the row}`. The row has a `kind` of its own
/// (bounce, complaint, ...), so the line says what it is with `row`.
#[derive(Debug, Serialize)]
pub struct RecipientLineV1<'a> {
    pub schema_version: u32,
    pub row: &'static str,
    #[serde(flatten)]
    pub fields: &'a crate::feedback::RecipientRow,
}

impl<'a> RecipientLineV1<'a> {
    pub fn new(fields: &'a crate::feedback::RecipientRow) -> RecipientLineV1<'a> {
        RecipientLineV1 {
            schema_version: SCHEMA_VERSION,
            row: "recipient",
            fields,
        }
    }
}

/// The `jsonl` format: one of these per line; each line carries its schema version.
#[derive(Debug, Serialize)]
pub struct JsonlResultV1<'a> {
    pub schema_version: u32,
    #[serde(flatten)]
    pub result: ResultV1<'a>,
}

#[derive(Debug, Serialize)]
pub struct FindingV1<'a> {
    pub rule: &'a str,
    pub severity: &'static str,
    pub target: &'a str,
    pub message: &'a str,
    pub evidence: EvidenceV1<'a>,
    pub location: Option<LocationV1<'a>>,
    pub reference: &'a str,
    pub help: &'a str,
}

/// Every key is always present (null or empty when unknown), so consumers need no guards.
#[derive(Debug, Serialize)]
pub struct EvidenceV1<'a> {
    pub record: Option<&'a str>,
    pub chain: &'a [String],
    pub measured: Option<&'a serde_json::Value>,
    pub threshold: Option<&'a serde_json::Value>,
}

#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LocationV1<'a> {
    /// Byte span `[start, end)` in the record published at DNS name `record`.
    RecordSpan {
        record: &'a str,
        start: usize,
        end: usize,
    },
    Header {
        header: &'a str,
    },
    Line {
        file: &'a str,
        line: u32,
    },
}

impl ToolV1 {
    pub fn this() -> ToolV1 {
        ToolV1 {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

impl<'a> RulesV1<'a> {
    /// All rules, or only the one with id `only`.
    pub fn from_rules(rules: &'a Rules, only: Option<&str>) -> RulesV1<'a> {
        RulesV1 {
            schema_version: SCHEMA_VERSION,
            tool: ToolV1::this(),
            rules: rules
                .iter()
                .filter(|meta| only.is_none_or(|query| crate::rules::in_query(&meta.id, query)))
                .map(|meta| RuleV1::from_meta(rules, meta))
                .collect(),
        }
    }
}

impl<'a> RuleV1<'a> {
    pub fn from_meta(rules: &Rules, meta: &'a RuleMeta) -> RuleV1<'a> {
        RuleV1 {
            id: &meta.id,
            severity: crate::report::rules::effective_level(rules, meta),
            title: &meta.title,
            reference: &meta.reference,
            thresholds: &meta.thresholds,
            help: &meta.help,
            what: meta.what.trim(),
            why: meta.why.trim(),
            example: meta.example.trim(),
            fix: meta.fix.trim(),
        }
    }
}

impl<'a> ReportV1<'a> {
    pub fn from_report(report: &'a Report) -> ReportV1<'a> {
        ReportV1 {
            schema_version: SCHEMA_VERSION,
            tool: ToolV1::this(),
            command: &report.command,
            mode: ModeV1::from_mode(&report.mode),
            config: &report.config,
            summary: SummaryV1::from_summary(&report.summary()),
            verdict: report.verdict().as_str(),
            results: report
                .sorted_results()
                .into_iter()
                .map(ResultV1::from_result)
                .collect(),
        }
    }
}

impl<'a> ModeV1<'a> {
    pub fn from_mode(mode: &'a Mode) -> ModeV1<'a> {
        match mode {
            Mode::Offline { zone_files } => ModeV1::Offline { zone_files },
            Mode::Live { nameservers } => ModeV1::Live { nameservers },
            Mode::Drafts {
                profile,
                template,
                dns,
            } => match dns.as_deref() {
                Some(Mode::Offline { zone_files }) => ModeV1::DraftsOffline {
                    zone_files,
                    profile,
                    template: *template,
                },
                Some(Mode::Live { nameservers }) => ModeV1::DraftsLive {
                    nameservers,
                    profile,
                    template: *template,
                },
                _ => ModeV1::Drafts {
                    profile,
                    template: *template,
                },
            },
            Mode::Stats { files } => ModeV1::Stats { stats_files: files },
            Mode::Reports { dns: Some(dns) } => ModeV1::from_mode(dns),
            Mode::Reports { dns: None } => ModeV1::Reports { attribution: false },
            Mode::Feedback => ModeV1::Feedback { feedback: true },
            Mode::List { dns: Some(dns) } => ModeV1::from_mode(dns),
            Mode::List { dns: None } => ModeV1::List {
                domains_checked: false,
            },
        }
    }
}

impl SummaryV1 {
    pub fn from_summary(summary: &Summary) -> SummaryV1 {
        SummaryV1 {
            targets: summary.targets,
            findings: summary.findings,
            error: summary.errors,
            warning: summary.warnings,
            info: summary.infos,
            suppressed: summary.suppressed,
        }
    }
}

impl<'a> ResultV1<'a> {
    pub fn from_result(result: &'a TargetResult) -> ResultV1<'a> {
        ResultV1 {
            target: &result.target,
            kind: result.kind.as_str(),
            result: result.result.as_deref(),
            facts: FactsV1 {
                facts: &result.facts,
                rows_apart: false,
            },
            findings: result
                .sorted_findings()
                .into_iter()
                .map(FindingV1::from_finding)
                .collect(),
            suppressed: result
                .suppressed
                .iter()
                .map(SuppressionV1::from_suppression)
                .collect(),
        }
    }
}

impl<'a> SuppressionV1<'a> {
    pub fn from_suppression(suppression: &'a Suppression) -> SuppressionV1<'a> {
        SuppressionV1 {
            rule: &suppression.finding.rule,
            severity: suppression.finding.severity.as_str(),
            message: &suppression.finding.message,
            reason: &suppression.reason,
            source: suppression.source.as_str(),
            file: &suppression.file,
            line: suppression.line,
        }
    }
}

impl<'a> JsonlResultV1<'a> {
    /// A report's rows are lines of their own ([`RecordLineV1`]), not part of this one.
    pub fn from_result(result: &'a TargetResult) -> JsonlResultV1<'a> {
        let mut line = ResultV1::from_result(result);
        line.facts.rows_apart = true;
        JsonlResultV1 {
            schema_version: SCHEMA_VERSION,
            result: line,
        }
    }
}

impl<'a> FindingV1<'a> {
    pub fn from_finding(finding: &'a Finding) -> FindingV1<'a> {
        FindingV1 {
            rule: &finding.rule,
            severity: finding.severity.as_str(),
            target: &finding.target,
            message: &finding.message,
            evidence: EvidenceV1::from_evidence(&finding.evidence),
            location: finding.location.as_ref().map(LocationV1::from_location),
            reference: &finding.reference,
            help: &finding.help,
        }
    }
}

impl<'a> EvidenceV1<'a> {
    pub fn from_evidence(evidence: &'a Evidence) -> EvidenceV1<'a> {
        EvidenceV1 {
            record: evidence.record.as_deref(),
            chain: &evidence.chain,
            measured: evidence.measured.as_ref(),
            threshold: evidence.threshold.as_ref(),
        }
    }
}

impl<'a> LocationV1<'a> {
    pub fn from_location(location: &'a Location) -> LocationV1<'a> {
        match location {
            Location::RecordSpan { record, start, end } => LocationV1::RecordSpan {
                record,
                start: *start,
                end: *end,
            },
            Location::Header(header) => LocationV1::Header { header },
            Location::Line { file, line } => LocationV1::Line { file, line: *line },
        }
    }
}
