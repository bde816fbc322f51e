//! The facts `mailaudit reports` produces: one [`ReportFileFacts`] per report read (its rows,
//! one per `<record>`), and one [`ReportDomainFacts`] per header_from domain (who sends as
//! it, how much passes, whether enforcement is safe). Row field names follow parsedmarc's
//! aggregate output where it has one, so dashboards built on it read these rows unchanged.

use super::aggregate::{AggregateRecord, PublishedPolicy, ReportProblem};
use crate::date::{Date, rfc3339_utc};
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use std::net::IpAddr;
use std::sync::Arc;

/// What kind of report a file held.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReportType {
    /// A DMARC aggregate report (`rua`).
    Aggregate,
    /// A DMARC failure report (`ruf`, RFC 6591 / RFC 9991).
    Failure,
    /// An SMTP TLS report (RFC 8460).
    Tls,
}

/// The metadata of one aggregate report, shared by its rows.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ReportMeta {
    /// The file, and inside it the part ("" for the file itself).
    pub file: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub part: String,
    pub xml_schema: Option<String>,
    pub org_name: String,
    pub org_email: Option<String>,
    pub report_id: String,
    /// Seconds since the epoch, as reported.
    #[serde(skip)]
    pub begin: i64,
    #[serde(skip)]
    pub end: i64,
    pub errors: Vec<String>,
    pub published_policy: PublishedPolicy,
}

impl ReportMeta {
    /// The UTC day the report's period begins on: the row's day.
    pub fn day(&self) -> Date {
        Date::from_unix_seconds(self.begin.max(0).unsigned_abs())
    }

    pub fn end_day(&self) -> Date {
        Date::from_unix_seconds(self.end.max(0).unsigned_abs())
    }
}

/// How a source relates to the domain it sends as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceClass {
    /// Authorised by the domain's SPF tree, or passing DMARC by its own aligned SPF.
    Compliant,
    /// Authorised by the domain's SPF tree, yet failing DMARC: fix its DKIM (or envelope).
    NonCompliant,
    /// Not authorised, DKIM passes and SPF does not: a forwarder or a mailing list.
    Forwarded,
    /// Not authorised and failing: someone else sending as the domain, or a sender nobody
    /// registered.
    Unknown,
}

impl SourceClass {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceClass::Compliant => "compliant",
            SourceClass::NonCompliant => "non-compliant",
            SourceClass::Forwarded => "forwarded",
            SourceClass::Unknown => "unknown",
        }
    }

    /// Mail the domain's owner sends or means to be delivered: what enforcement must not hurt.
    pub fn is_legitimate(self) -> bool {
        self != SourceClass::Unknown
    }
}

/// What the domain's DNS says about one source IP.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Attribution {
    /// The term of the domain's own SPF record that authorises the IP, as written
    /// (`include:_spf.google.com`); for an aligned envelope domain's record,
    /// `DOMAIN: TERM`. None: not authorised.
    pub authorised_by: Option<String>,
    /// The PTR name of the IP, and its organizational domain.
    pub reverse_dns: Option<String>,
    pub base_domain: Option<String>,
    /// Why the attribution is incomplete: a DNS query failed (the source is then not
    /// classified), or the SPF record is broken.
    pub problem: Option<String>,
    /// True when a query failed: nothing was concluded.
    pub inconclusive: bool,
}

/// One `<record>` of a report, with the results as reported and what the DNS says of the
/// source.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordRow {
    pub report: Arc<ReportMeta>,
    pub record: AggregateRecord,
    /// The domain the row counts for: header_from, else the policy's domain.
    pub header_from: String,
    pub spf_aligned: bool,
    pub dkim_aligned: bool,
    pub attribution: Option<Arc<Attribution>>,
    pub source_class: Option<SourceClass>,
}

impl RecordRow {
    pub fn passed_dmarc(&self) -> bool {
        self.spf_aligned || self.dkim_aligned
    }
}

/// The columns of a row, in order: the JSONL object's keys and the CSV header.
pub const ROW_COLUMNS: &[&str] = &[
    "file",
    "line",
    "report_type",
    "xml_schema",
    "org_name",
    "org_email",
    "report_id",
    "begin_date",
    "end_date",
    "day",
    "errors",
    "published_policy",
    "source_ip_address",
    "source_reverse_dns",
    "source_base_domain",
    "source_authorised_by",
    "source_class",
    "message_count",
    "disposition",
    "dkim",
    "spf",
    "spf_aligned",
    "dkim_aligned",
    "passed_dmarc",
    "policy_override_reasons",
    "envelope_from",
    "envelope_to",
    "header_from",
    "dkim_results",
    "spf_results",
];

impl Serialize for RecordRow {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let meta = &*self.report;
        let record = &self.record;
        let attribution = self.attribution.as_deref();
        let mut map = serializer.serialize_map(Some(ROW_COLUMNS.len()))?;
        let file = if meta.part.is_empty() {
            meta.file.clone()
        } else {
            format!("{} > {}", meta.file, meta.part)
        };
        map.serialize_entry("file", &file)?;
        map.serialize_entry("line", &record.line)?;
        map.serialize_entry("report_type", &ReportType::Aggregate)?;
        map.serialize_entry("xml_schema", &meta.xml_schema)?;
        map.serialize_entry("org_name", &meta.org_name)?;
        map.serialize_entry("org_email", &meta.org_email)?;
        map.serialize_entry("report_id", &meta.report_id)?;
        map.serialize_entry("begin_date", &rfc3339_utc(meta.begin))?;
        map.serialize_entry("end_date", &rfc3339_utc(meta.end))?;
        map.serialize_entry("day", &meta.day())?;
        map.serialize_entry("errors", &meta.errors)?;
        map.serialize_entry("published_policy", &meta.published_policy)?;
        map.serialize_entry("source_ip_address", &record.source_ip_address)?;
        map.serialize_entry(
            "source_reverse_dns",
            &attribution.and_then(|a| a.reverse_dns.as_deref()),
        )?;
        map.serialize_entry(
            "source_base_domain",
            &attribution.and_then(|a| a.base_domain.as_deref()),
        )?;
        map.serialize_entry(
            "source_authorised_by",
            &attribution.and_then(|a| a.authorised_by.as_deref()),
        )?;
        map.serialize_entry("source_class", &self.source_class)?;
        map.serialize_entry("message_count", &record.message_count)?;
        map.serialize_entry("disposition", &record.disposition)?;
        map.serialize_entry("dkim", &record.dkim)?;
        map.serialize_entry("spf", &record.spf)?;
        map.serialize_entry("spf_aligned", &self.spf_aligned)?;
        map.serialize_entry("dkim_aligned", &self.dkim_aligned)?;
        map.serialize_entry("passed_dmarc", &self.passed_dmarc())?;
        map.serialize_entry("policy_override_reasons", &record.policy_override_reasons)?;
        map.serialize_entry("envelope_from", &record.envelope_from)?;
        map.serialize_entry("envelope_to", &record.envelope_to)?;
        map.serialize_entry("header_from", &self.header_from)?;
        map.serialize_entry("dkim_results", &record.dkim_results)?;
        map.serialize_entry("spf_results", &record.spf_results)?;
        map.end()
    }
}

/// The facts of one report (kind `report`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReportFileFacts {
    pub report_type: ReportType,
    pub file: String,
    /// Where in the file the report was ("" for the file itself).
    pub part: String,
    pub org_name: Option<String>,
    pub report_id: Option<String>,
    pub begin_date: Option<String>,
    pub end_date: Option<String>,
    /// The first file that held the same report (same org and report_id): this copy's rows
    /// are not counted again.
    pub duplicate_of: Option<String>,
    /// Problems that did not stop the read (a bad record, an unknown value), with lines.
    pub problems: Vec<ReportProblem>,
    pub message_count: u64,
    /// Aggregate reports: one row per record.
    pub records: Vec<RecordRow>,
    /// Failure and TLS reports: the report as read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<serde_json::Value>,
}

/// [`ReportFileFacts`] with `record_count` instead of the rows (the `jsonl` result line,
/// whose rows are lines of their own).
#[derive(Serialize)]
pub struct ReportFileSummary<'a> {
    pub report_type: ReportType,
    pub file: &'a str,
    pub part: &'a str,
    pub org_name: &'a Option<String>,
    pub report_id: &'a Option<String>,
    pub begin_date: &'a Option<String>,
    pub end_date: &'a Option<String>,
    pub duplicate_of: &'a Option<String>,
    pub problems: &'a [ReportProblem],
    pub message_count: u64,
    pub record_count: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: &'a Option<serde_json::Value>,
}

impl ReportFileFacts {
    pub fn without_rows(&self) -> ReportFileSummary<'_> {
        ReportFileSummary {
            report_type: self.report_type,
            file: &self.file,
            part: &self.part,
            org_name: &self.org_name,
            report_id: &self.report_id,
            begin_date: &self.begin_date,
            end_date: &self.end_date,
            duplicate_of: &self.duplicate_of,
            problems: &self.problems,
            message_count: self.message_count,
            record_count: self.records.len(),
            report: &self.report,
        }
    }

    pub fn new(report_type: ReportType, file: &str, part: &str) -> ReportFileFacts {
        ReportFileFacts {
            report_type,
            file: file.to_string(),
            part: part.to_string(),
            org_name: None,
            report_id: None,
            begin_date: None,
            end_date: None,
            duplicate_of: None,
            problems: Vec::new(),
            message_count: 0,
            records: Vec::new(),
            report: None,
        }
    }
}

/// One source IP of a domain over the reports' period.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SourceSummary {
    pub source_ip_address: Option<IpAddr>,
    pub source_reverse_dns: Option<String>,
    pub source_base_domain: Option<String>,
    pub source_authorised_by: Option<String>,
    /// The class of most of its messages (None without DNS, or when attribution failed).
    pub source_class: Option<SourceClass>,
    pub message_count: u64,
    pub passed_dmarc: u64,
    pub spf_aligned: u64,
    pub dkim_aligned: u64,
    /// Messages the receivers quarantined or rejected (disposition as reported).
    pub quarantined: u64,
    pub rejected: u64,
    /// The reporters that saw it.
    pub reporters: Vec<String>,
    /// Per UTC day: (day, messages, passed).
    pub days: Vec<SourceDay>,
}

impl SourceSummary {
    pub fn failed_dmarc(&self) -> u64 {
        self.message_count - self.passed_dmarc
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SourceDay {
    pub day: Date,
    pub message_count: u64,
    pub passed_dmarc: u64,
}

/// Whether the domain's policy can move one step up without hurting its own mail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReadinessVerdict {
    /// The legitimate volume passes aligned well enough: the next step is safe.
    Ready,
    /// Legitimate sources would be hurt: fix them first.
    Blocked,
    /// Already p=reject at 100%: nothing further to move to.
    Enforced,
    /// Too little legitimate volume to judge.
    TooLittleData,
    /// The sources could not be told apart (no DNS, or attribution failed).
    Unknown,
}

impl ReadinessVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            ReadinessVerdict::Ready => "ready",
            ReadinessVerdict::Blocked => "blocked",
            ReadinessVerdict::Enforced => "enforced",
            ReadinessVerdict::TooLittleData => "too-little-data",
            ReadinessVerdict::Unknown => "unknown",
        }
    }
}

/// A legitimate source that the next policy step would hurt.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HurtSource {
    pub source_ip_address: Option<IpAddr>,
    pub source_authorised_by: Option<String>,
    pub source_class: Option<SourceClass>,
    /// Its messages that failed DMARC over the period.
    pub failed_dmarc: u64,
}

/// Enforcement readiness of one domain over the reports' period.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Readiness {
    /// The domain whose record the reporters applied, and the tag that applies to the
    /// header_from domain (`p` on the domain itself, `sp` below it).
    pub policy_domain: String,
    pub tag: &'static str,
    /// The policy as the newest report published it, and its pct.
    pub policy: Option<String>,
    pub pct: Option<u32>,
    /// The next step: `quarantine`, `reject`, or `reject at pct=100`; None when enforced.
    pub next: Option<String>,
    pub legitimate_messages: u64,
    pub legitimate_passed: u64,
    pub pass_share: Option<f64>,
    pub verdict: ReadinessVerdict,
    /// Why the verdict is unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub hurt: Vec<HurtSource>,
}

/// The facts of one header_from domain (kind `report-domain`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReportDomainFacts {
    pub domain: String,
    /// The period the reports cover: the first begin and last end day.
    pub first_day: Date,
    pub last_day: Date,
    pub reports: usize,
    pub message_count: u64,
    pub passed_dmarc: u64,
    /// Whether sources were attributed through DNS.
    pub attributed: bool,
    /// Messages per source class (classes with none left out).
    pub classes: std::collections::BTreeMap<&'static str, u64>,
    pub sources: Vec<SourceSummary>,
    pub readiness: Readiness,
}
