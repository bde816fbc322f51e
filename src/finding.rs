//! The finding: what every check produces and every renderer consumes.

use serde::{Deserialize, Serialize};
use std::fmt;

/// How serious a finding is. Ordered: `Info < Warning < Error`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "info" => Some(Severity::Info),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where in the input a finding points.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Location {
    /// Byte span `[start, end)` in the record named by `record` (a DNS name).
    RecordSpan {
        record: String,
        start: usize,
        end: usize,
    },
    /// A header of a draft.
    Header(String),
    /// A 1-based line of a file.
    Line { file: String, line: u32 },
}

/// Structured evidence for a finding: the raw record, the measured value and the threshold.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Evidence {
    /// The record (or header) text the finding is about, as published.
    pub record: Option<String>,
    /// The DNS query or chain of names that led here (`include` path, CNAME chain).
    pub chain: Vec<String>,
    /// The measured value (lookup count, size, ...).
    pub measured: Option<serde_json::Value>,
    /// The threshold the measured value was compared with.
    pub threshold: Option<serde_json::Value>,
}

/// One problem found in one target. Build it through [`crate::rules::Rules::finding`], which
/// fills severity, reference and help from the rule's data so none of them can be omitted.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub rule: String,
    pub severity: Severity,
    pub target: String,
    pub message: String,
    pub evidence: Evidence,
    pub location: Option<Location>,
    pub reference: String,
    pub help: String,
}

impl Finding {
    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    pub fn with_record(mut self, record: impl Into<String>) -> Self {
        self.evidence.record = Some(record.into());
        self
    }

    pub fn with_chain(mut self, chain: Vec<String>) -> Self {
        self.evidence.chain = chain;
        self
    }

    pub fn with_measured(mut self, value: impl Into<serde_json::Value>) -> Self {
        self.evidence.measured = Some(value.into());
        self
    }

    pub fn with_threshold(mut self, value: impl Into<serde_json::Value>) -> Self {
        self.evidence.threshold = Some(value.into());
        self
    }

    pub fn at(mut self, location: Location) -> Self {
        self.location = Some(location);
        self
    }

    /// Deterministic report order: target, then rule, then location, then message.
    pub fn sort_key(&self) -> (&str, &str, Option<&Location>, &str) {
        (
            &self.target,
            &self.rule,
            self.location.as_ref(),
            &self.message,
        )
    }
}

/// What a check of one target produced: its measured facts and its findings.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Audit<F> {
    pub facts: F,
    pub findings: Vec<Finding>,
}

/// Sort findings into the report's deterministic order.
pub fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
}
