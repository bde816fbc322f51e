//! `mailaudit reports`: every file read (directories recursively, Maildir and mbox too), each
//! report in it a result of its own as soon as it is read (rows attributed through DNS
//! when there is DNS), then one result per header_from domain: who sends as it, how much of
//! its legitimate mail passes DMARC, and whether the policy can move up.
//!
//! Memory is bounded per report (the container caps, [`super::aggregate::MAX_RECORDS`]);
//! across reports only per-source counters are kept, never the rows.

use super::aggregate::{
    AggregateRecord, ParsedAggregate, PublishedPolicy, ReportError, ReportProblem, parse_aggregate,
};
use super::attribution::{AttributionCache, Attributor, SourceKey};
use super::container::{ContainerError, payloads};
use super::facts::{
    Attribution, HurtSource, Readiness, ReadinessVerdict, RecordRow, ReportDomainFacts,
    ReportFileFacts, ReportMeta, ReportType, SourceClass, SourceDay, SourceSummary,
};
use super::failure::{FailureReport, parse_failure};
use super::rules::*;
use super::tlsrpt::{ParsedTls, TlsReport, parse_tls};
use crate::date::{Date, rfc3339_utc};
use crate::dns::orgdomain::same_organization;
use crate::finding::{Finding, Location};
use crate::input::{self, InputKind};
use crate::rules::Rules;
use crate::text::{escape_untrusted, fmt_count, pct, plural};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Problems of one report shown as findings of their own; the rest are counted in one more.
const MAX_PROBLEM_FINDINGS: usize = 20;

/// Sources a finding names; the rest are counted.
const MAX_NAMED_SOURCES: usize = 5;

/// Legitimate sources the readiness lists as hurt.
const MAX_HURT: usize = 20;

/// Directories below a path given, at most (a loop of bind mounts ends here).
const MAX_DEPTH: usize = 32;

#[derive(Clone, Debug)]
pub struct ReportsOptions {
    /// The largest file read (`--max-report-size`).
    pub max_size: u64,
    /// The day the window of `reports/authorised-source-failing` ends on; by default the
    /// newest day the reports cover.
    pub as_of: Option<Date>,
}

impl Default for ReportsOptions {
    fn default() -> Self {
        ReportsOptions {
            max_size: InputKind::Report.default_limit(),
            as_of: None,
        }
    }
}

/// One result of the run.
#[derive(Clone, Debug, PartialEq)]
pub enum ReportsResult {
    /// One report (or one file that held none that could be read).
    Report(Box<ReportResult>),
    /// One header_from domain over all the reports.
    Domain(Box<DomainResult>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct ReportResult {
    /// The file, and the part of it when it held several reports (`FILE > PART`).
    pub target: String,
    pub facts: ReportFileFacts,
    pub findings: Vec<Finding>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DomainResult {
    pub domain: String,
    pub facts: ReportDomainFacts,
    pub findings: Vec<Finding>,
}

/// The report files under `paths`: files as given, directories walked (sorted, hidden
/// entries and non-regular files skipped, symlinked directories not followed).
pub fn report_files(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, 0, &mut out);
        } else {
            out.push(path.clone());
        }
    }
    out
}

fn walk(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    if depth > MAX_DEPTH {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        // Unreadable: the file list has the directory itself, whose read fails with a finding.
        out.push(dir.to_path_buf());
        return;
    };
    let mut entries: Vec<(PathBuf, std::fs::FileType)> = entries
        .filter_map(Result::ok)
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .filter_map(|e| Some((e.path(), e.file_type().ok()?)))
        .collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    for (path, kind) in entries {
        if kind.is_dir() {
            walk(&path, depth + 1, out);
        } else if kind.is_file() {
            out.push(crate::path::normalize(&path));
        }
    }
}

/// Read every report under `paths` and judge every domain they speak of. Each result goes to
/// `emit` as it is done: the reports in file order, then the domains in name order.
pub fn audit_reports<E>(
    paths: &[PathBuf],
    rules: &Rules,
    options: &ReportsOptions,
    attributor: Option<&Attributor>,
    mut emit: impl FnMut(ReportsResult) -> Result<(), E>,
) -> Result<(), E> {
    let mut run = Run {
        rules,
        attributor,
        cache: AttributionCache::default(),
        seen: HashMap::new(),
        domains: BTreeMap::new(),
        newest: None,
    };
    // Reading, unpacking and parsing take most of a run and are independent per file:
    // shared among the cores; duplicates, attribution and counting follow in file order.
    let files = report_files(paths);
    crate::ordered::for_each_in_order(
        &files,
        |path| parse_file(path, options.max_size),
        |parsed| {
            for result in run.integrate(parsed) {
                emit(ReportsResult::Report(Box::new(result)))?;
            }
            Ok(())
        },
    )?;
    let as_of = options.as_of.or(run.newest);
    let domains = std::mem::take(&mut run.domains);
    for (domain, state) in domains {
        let result = run.judge(&domain, state, as_of);
        emit(ReportsResult::Domain(Box::new(result)))?;
    }
    Ok(())
}

/// One file read and parsed, before anything of it is counted.
struct ParsedFile {
    file: String,
    blobs: Vec<Parsed>,
}

/// One report of a file (or the reason there is none), parsed.
enum Parsed {
    Refused {
        part: String,
        why: String,
    },
    Failure {
        part: String,
        parsed: Result<FailureReport, ReportError>,
    },
    Aggregate {
        part: String,
        parts: usize,
        parsed: Result<ParsedAggregate, ReportError>,
    },
    Tls {
        part: String,
        parts: usize,
        parsed: Result<ParsedTls, ReportError>,
    },
}

fn parse_file(path: &Path, max_size: u64) -> ParsedFile {
    let file = crate::path::display(path);
    let mut blobs = Vec::new();
    match input::read(path, InputKind::Report, max_size) {
        Err(error) => blobs.push(Parsed::Refused {
            part: String::new(),
            why: error.reason(),
        }),
        Ok(bytes) => {
            let messages = split_mbox(&bytes);
            let many = messages.len() > 1;
            for (n, message) in messages.iter().enumerate() {
                let part = if many {
                    format!("message {}", n + 1)
                } else {
                    String::new()
                };
                parse_blob(&part, message, &mut blobs);
            }
        }
    }
    ParsedFile { file, blobs }
}

/// One file, or one message of an mbox: its reports taken out and parsed. A message with no
/// report attached is read as a failure report, the ARF message itself.
fn parse_blob(part: &str, bytes: &[u8], out: &mut Vec<Parsed>) {
    let found = match payloads(bytes) {
        Ok(found) => found,
        Err(ContainerError::NoReport) => {
            out.push(Parsed::Failure {
                part: part.to_string(),
                parsed: parse_failure(bytes),
            });
            return;
        }
        Err(error) => {
            out.push(Parsed::Refused {
                part: part.to_string(),
                why: error.to_string(),
            });
            return;
        }
    };
    let parts = found.len();
    for payload in found {
        let inner = match (part.is_empty(), payload.part.is_empty()) {
            (true, _) => payload.part.clone(),
            (false, true) => part.to_string(),
            (false, false) => format!("{part} > {}", payload.part),
        };
        let start = payload
            .bytes
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .map_or(&[][..], |at| &payload.bytes[at..]);
        let parts = if part.is_empty() { parts } else { 2 };
        if start.is_empty() {
            out.push(Parsed::Refused {
                part: inner,
                why: "the report is empty".to_string(),
            });
        } else if start.starts_with(b"{") {
            out.push(Parsed::Tls {
                part: inner,
                parts,
                parsed: parse_tls(&payload.bytes),
            });
        } else {
            out.push(Parsed::Aggregate {
                part: inner,
                parts,
                parsed: parse_aggregate(&payload.bytes),
            });
        }
    }
}

struct Run<'a> {
    rules: &'a Rules,
    attributor: Option<&'a Attributor>,
    cache: AttributionCache,
    /// (org, report_id) -> the first file that held it.
    seen: HashMap<(String, String), String>,
    domains: BTreeMap<String, DomainState>,
    /// The newest day any report covers.
    newest: Option<Date>,
}

/// What is kept of a domain across reports.
#[derive(Default)]
struct DomainState {
    reports: usize,
    first_day: Option<Date>,
    last_day: Option<Date>,
    /// The newest report's policy (by end date).
    policy: Option<(i64, PublishedPolicy)>,
    sources: BTreeMap<Option<IpAddr>, SourceAcc>,
    inconclusive: Vec<String>,
}

#[derive(Default)]
struct SourceAcc {
    message_count: u64,
    passed: u64,
    spf_aligned: u64,
    dkim_aligned: u64,
    quarantined: u64,
    rejected: u64,
    reporters: BTreeSet<String>,
    days: BTreeMap<Date, (u64, u64)>,
    /// Messages and passed messages per class (index: [`class_index`]); unclassified apart.
    class_messages: [u64; 4],
    class_passed: [u64; 4],
    unclassified: u64,
    attribution: Option<Arc<Attribution>>,
    /// The first record of the source: where its findings point.
    first_record: Option<Location>,
}

fn class_index(class: SourceClass) -> usize {
    match class {
        SourceClass::Compliant => 0,
        SourceClass::NonCompliant => 1,
        SourceClass::Forwarded => 2,
        SourceClass::Unknown => 3,
    }
}

const CLASSES: [SourceClass; 4] = [
    SourceClass::Compliant,
    SourceClass::NonCompliant,
    SourceClass::Forwarded,
    SourceClass::Unknown,
];

fn target_of(file: &str, part: &str, parts: usize) -> String {
    if part.is_empty() || parts <= 1 {
        file.to_string()
    } else {
        format!("{file} > {part}")
    }
}

impl Run<'_> {
    /// `line` is a line of the report's own text: a location only when that text is the file
    /// itself (not a part of an archive or a message), where the line can be opened.
    fn invalid(&self, target: &str, file: &str, line: Option<usize>, message: String) -> Finding {
        let finding = self.rules.finding(INVALID_REPORT, target, message);
        let unwrapped = target == file;
        match line
            .filter(|_| unwrapped)
            .and_then(|l| u32::try_from(l).ok())
            .filter(|l| *l > 0)
        {
            Some(line) => finding.at(Location::Line {
                file: file.to_string(),
                line,
            }),
            None => finding,
        }
    }

    /// A file that yields no report: one result with the finding that says why.
    fn refused(&self, file: &str, part: &str, why: String) -> ReportResult {
        let target = target_of(file, part, 2);
        let message = if part.is_empty() {
            format!("{file}: {why}")
        } else {
            format!("{file} > {part}: {why}")
        };
        ReportResult {
            findings: vec![self.invalid(&target, file, None, message)],
            target,
            facts: ReportFileFacts::new(ReportType::Aggregate, file, part),
        }
    }

    /// A file's parsed blobs turned into results, in order: dedup, attribution and counting
    /// happen here, on one thread, so the results do not depend on how the parsing was shared.
    fn integrate(&mut self, parsed: ParsedFile) -> Vec<ReportResult> {
        let file = parsed.file;
        parsed
            .blobs
            .into_iter()
            .map(|blob| match blob {
                Parsed::Refused { part, why } => self.refused(&file, &part, why),
                Parsed::Failure { part, parsed } => self.read_failure(&file, &part, parsed),
                Parsed::Aggregate {
                    part,
                    parts,
                    parsed,
                } => self.read_aggregate(&file, &part, parts, parsed),
                Parsed::Tls {
                    part,
                    parts,
                    parsed,
                } => self.read_tls(&file, &part, parts, parsed),
            })
            .collect()
    }

    fn read_aggregate(
        &mut self,
        file: &str,
        part: &str,
        parts: usize,
        parsed: Result<ParsedAggregate, ReportError>,
    ) -> ReportResult {
        let target = target_of(file, part, parts);
        let mut facts = ReportFileFacts::new(ReportType::Aggregate, file, part);
        let parsed = match parsed {
            Ok(parsed) => parsed,
            Err(error) => return self.unreadable(target, facts, "DMARC aggregate", &error),
        };
        let report = parsed.report;
        facts.org_name = Some(report.org_name.clone());
        facts.report_id = Some(report.report_id.clone());
        facts.begin_date = Some(rfc3339_utc(report.begin_date));
        facts.end_date = Some(rfc3339_utc(report.end_date));
        let findings = self.problem_findings(&target, file, &parsed.problems);
        facts.problems = parsed.problems;
        let key = (
            report.org_name.to_ascii_lowercase(),
            report.report_id.clone(),
        );
        if let Some(first) = self.seen.get(&key) {
            facts.duplicate_of = Some(first.clone());
            return ReportResult {
                target,
                facts,
                findings,
            };
        }
        self.seen.insert(key, target.clone());
        let meta = Arc::new(ReportMeta {
            file: file.to_string(),
            part: part.to_string(),
            xml_schema: report.xml_schema,
            org_name: report.org_name,
            org_email: report.org_email,
            report_id: report.report_id,
            begin: report.begin_date,
            end: report.end_date,
            errors: report.errors,
            published_policy: report.published_policy,
        });
        let mut rows: Vec<RecordRow> = report
            .records
            .into_iter()
            .map(|record| row(&meta, record))
            .collect();
        self.attribute(&mut rows);
        facts.message_count = rows.iter().map(|r| r.record.message_count).sum();
        self.count(&meta, &rows);
        facts.records = rows;
        ReportResult {
            target,
            facts,
            findings,
        }
    }

    /// An SMTP TLS report (RFC 8460): its facts, its problems and its failed sessions.
    fn read_tls(
        &mut self,
        file: &str,
        part: &str,
        parts: usize,
        parsed: Result<ParsedTls, ReportError>,
    ) -> ReportResult {
        let target = target_of(file, part, parts);
        let mut facts = ReportFileFacts::new(ReportType::Tls, file, part);
        let parsed = match parsed {
            Ok(parsed) => parsed,
            Err(error) => return self.unreadable(target, facts, "SMTP TLS", &error),
        };
        let report = parsed.report;
        facts.org_name = Some(report.organization_name.clone());
        facts.report_id = Some(report.report_id.clone());
        facts.begin_date = report.date_range.start.map(rfc3339_utc);
        facts.end_date = report.date_range.end.map(rfc3339_utc);
        facts.message_count = report
            .policies
            .iter()
            .map(|p| {
                p.summary.total_successful_session_count.unwrap_or(0)
                    + p.summary.total_failure_session_count.unwrap_or(0)
            })
            .fold(0u64, u64::saturating_add);
        let mut findings = self.problem_findings(&target, file, &parsed.problems);
        facts.problems = parsed.problems;
        // TLS report ids are the reporter's own, as for aggregate reports; kept apart from them.
        let key = (
            format!("tls:{}", report.organization_name.to_ascii_lowercase()),
            report.report_id.clone(),
        );
        if let Some(first) = self.seen.get(&key) {
            facts.duplicate_of = Some(first.clone());
        } else {
            self.seen.insert(key, target.clone());
            findings.extend(tls_failures_finding(self.rules, &target, &report));
        }
        facts.report = serde_json::to_value(&report).ok();
        ReportResult {
            target,
            facts,
            findings,
        }
    }

    /// A message with no report attached: a DMARC failure report (an ARF `auth-failure`
    /// message) when it is one, else said to be what it is.
    fn read_failure(
        &mut self,
        file: &str,
        part: &str,
        parsed: Result<FailureReport, ReportError>,
    ) -> ReportResult {
        let report = match parsed {
            Ok(report) => report,
            Err(error) => {
                return self.refused(
                    file,
                    part,
                    format!(
                        "{}; {}",
                        ContainerError::NoReport,
                        escape_untrusted(&error.message)
                    ),
                );
            }
        };
        if !report.is_auth_failure() {
            return self.refused(
                file,
                part,
                format!(
                    "an ARF report of Feedback-Type {}, not a DMARC failure report (auth-failure): \
                     complaints are read by `mailaudit feedback`",
                    escape_untrusted(report.feedback_type.as_str())
                ),
            );
        }
        let target = target_of(file, part, 2);
        let mut facts = ReportFileFacts::new(ReportType::Failure, file, part);
        facts.org_name = report
            .reporting_mta
            .clone()
            .or_else(|| report.user_agent.clone());
        facts.report_id = report.original.as_ref().and_then(|o| o.message_id.clone());
        facts.begin_date = report.arrival_time.map(rfc3339_utc);
        facts.end_date = facts.begin_date.clone();
        facts.message_count = report.incidents.unwrap_or(1);
        let findings = self.problem_findings(&target, file, &report.problems);
        facts.problems = report.problems.clone();
        facts.report = serde_json::to_value(&report).ok();
        ReportResult {
            target,
            facts,
            findings,
        }
    }

    /// A report that could not be read: one finding with the line that stopped it.
    fn unreadable(
        &self,
        target: String,
        facts: ReportFileFacts,
        what: &str,
        error: &ReportError,
    ) -> ReportResult {
        let finding = self.invalid(
            &target,
            &facts.file,
            Some(error.line),
            format!(
                "{target}: not a readable {what} report: line {}: {}",
                error.line,
                escape_untrusted(&error.message)
            ),
        );
        ReportResult {
            target,
            facts,
            findings: vec![finding],
        }
    }

    fn problem_findings(
        &self,
        target: &str,
        file: &str,
        problems: &[ReportProblem],
    ) -> Vec<Finding> {
        let mut findings: Vec<Finding> = problems
            .iter()
            .take(MAX_PROBLEM_FINDINGS)
            .map(|p| {
                self.invalid(
                    target,
                    file,
                    Some(p.line),
                    format!(
                        "{target}: line {}: {}",
                        p.line,
                        escape_untrusted(&p.message)
                    ),
                )
            })
            .collect();
        if problems.len() > MAX_PROBLEM_FINDINGS {
            findings.push(self.invalid(
                target,
                file,
                None,
                format!(
                    "{target}: {} more problems in the report",
                    problems.len() - MAX_PROBLEM_FINDINGS
                ),
            ));
        }
        findings
    }

    /// Attribute the rows' sources (with DNS) and classify them.
    fn attribute(&mut self, rows: &mut [RecordRow]) {
        let Some(attributor) = self.attributor else {
            return;
        };
        let keys: Vec<Option<SourceKey>> = rows.iter().map(source_key).collect();
        self.cache.fill(
            attributor,
            keys.iter().flatten().cloned().collect::<Vec<_>>(),
        );
        for (row, key) in rows.iter_mut().zip(keys) {
            let Some(key) = key else { continue };
            let attribution = self.cache.get(&key).unwrap_or_else(|| {
                Arc::new(Attribution {
                    problem: Some(format!("{}: the attribution did not finish", key.ip)),
                    inconclusive: true,
                    ..Attribution::default()
                })
            });
            row.source_class = classify(row, &attribution);
            row.attribution = Some(attribution);
        }
    }

    /// Add a report's rows to its domains' counters.
    fn count(&mut self, meta: &ReportMeta, rows: &[RecordRow]) {
        let (first, last) = (meta.day(), meta.end_day().max(meta.day()));
        self.newest = Some(self.newest.map_or(last, |d| d.max(last)));
        let mut counted: BTreeSet<&str> = BTreeSet::new();
        for row in rows {
            let state = self.domains.entry(row.header_from.clone()).or_default();
            if counted.insert(&row.header_from) {
                state.reports += 1;
                state.first_day = Some(state.first_day.map_or(first, |d| d.min(first)));
                state.last_day = Some(state.last_day.map_or(last, |d| d.max(last)));
                if state
                    .policy
                    .as_ref()
                    .is_none_or(|(end, _)| meta.end >= *end)
                {
                    state.policy = Some((meta.end, meta.published_policy.clone()));
                }
            }
            let record = &row.record;
            let n = record.message_count;
            let passed = if row.passed_dmarc() { n } else { 0 };
            let source = state.sources.entry(record.source_ip_address).or_default();
            if source.first_record.is_none() {
                source.first_record = Some(record_location(meta, record.line));
            }
            source.message_count += n;
            source.passed += passed;
            source.spf_aligned += if row.spf_aligned { n } else { 0 };
            source.dkim_aligned += if row.dkim_aligned { n } else { 0 };
            match record.disposition.as_deref() {
                Some("quarantine") => source.quarantined += n,
                Some("reject") => source.rejected += n,
                _ => {}
            }
            if !source.reporters.contains(&meta.org_name) {
                source.reporters.insert(meta.org_name.clone());
            }
            let day = source.days.entry(meta.day()).or_default();
            day.0 += n;
            day.1 += passed;
            match row.source_class {
                Some(class) => {
                    source.class_messages[class_index(class)] += n;
                    source.class_passed[class_index(class)] += passed;
                }
                None => source.unclassified += n,
            }
            if let Some(attribution) = &row.attribution {
                if attribution.inconclusive
                    && let Some(problem) = &attribution.problem
                    && state.inconclusive.len() < MAX_NAMED_SOURCES
                    && !state.inconclusive.contains(problem)
                {
                    state.inconclusive.push(problem.clone());
                }
                source.attribution = Some(attribution.clone());
            }
        }
    }

    /// Whether a subdomain that sends as header_from exists, when that decides its policy:
    /// with DNS, below the policy's domain, and `np` published (RFC 9091 §4.1, RFC 9989
    /// §4.7: `np` is for subdomains that do not exist, NXDOMAIN). Unknown (`Err`) when the
    /// query failed.
    fn existence(&self, domain: &str, policy: &PublishedPolicy) -> Existence {
        let policy_domain = norm(&policy.domain);
        let Some(attributor) = self.attributor else {
            return Existence::NotAsked;
        };
        if policy.np.is_none() || policy_domain.is_empty() || policy_domain == domain {
            return Existence::NotAsked;
        }
        let resolver = attributor.resolver.clone();
        let name = domain.to_string();
        match attributor
            .runtime
            .block_on(async move { resolver.lookup(&name, crate::dns::RecordType::A).await })
        {
            crate::dns::Answer::NxDomain => Existence::Missing,
            crate::dns::Answer::Failure(failure) => Existence::Unknown(failure.to_string()),
            crate::dns::Answer::Records(_) | crate::dns::Answer::NoData => Existence::Exists,
        }
    }

    /// The domain's result: its sources, its readiness and the findings on them.
    fn judge(&self, domain: &str, state: DomainState, as_of: Option<Date>) -> DomainResult {
        let rules = self.rules;
        let attributed = self.attributor.is_some();
        let policy = state.policy.clone().map(|(_, p)| p).unwrap_or_default();
        let mut sources: Vec<SourceSummary> = state
            .sources
            .iter()
            .map(|(ip, acc)| summary(*ip, acc))
            .collect();
        sources.sort_by(|a, b| {
            b.message_count
                .cmp(&a.message_count)
                .then(a.source_ip_address.cmp(&b.source_ip_address))
        });
        let mut classes = BTreeMap::new();
        for class in CLASSES {
            let n: u64 = state
                .sources
                .values()
                .map(|s| s.class_messages[class_index(class)])
                .sum();
            if n > 0 {
                classes.insert(class.as_str(), n);
            }
        }
        let message_count = sources.iter().map(|s| s.message_count).sum();
        let passed_dmarc = sources.iter().map(|s| s.passed_dmarc).sum();
        let existence = self.existence(domain, &policy);
        let readiness = readiness(rules, domain, &policy, &state, attributed, existence);
        let mut findings = Vec::new();
        if !state.inconclusive.is_empty() {
            let first = state.sources.values().find(|s| s.unclassified > 0);
            findings.push(located(
                rules.finding(
                    crate::dns::rules::INCONCLUSIVE,
                    domain,
                    format!(
                        "{domain}: sources of the reports could not be attributed, DNS failed: {}",
                        state.inconclusive.join("; ")
                    ),
                ),
                first,
            ));
        }
        findings.extend(unauthorised_finding(rules, domain, &state));
        findings.extend(failing_findings(rules, domain, &state, as_of));
        findings.extend(readiness_finding(rules, domain, &readiness, &state));
        DomainResult {
            domain: domain.to_string(),
            facts: ReportDomainFacts {
                domain: domain.to_string(),
                first_day: state.first_day.unwrap_or(Date::from_unix_seconds(0)),
                last_day: state.last_day.unwrap_or(Date::from_unix_seconds(0)),
                reports: state.reports,
                message_count,
                passed_dmarc,
                attributed,
                classes,
                sources,
                readiness,
            },
            findings,
        }
    }
}

/// Where a record is: its line in the file, or the file itself when the report was inside
/// an archive or a message (whose lines are not the report's).
fn record_location(meta: &ReportMeta, line: usize) -> Location {
    let line = if meta.part.is_empty() {
        u32::try_from(line).unwrap_or(u32::MAX).max(1)
    } else {
        1
    };
    Location::Line {
        file: meta.file.clone(),
        line,
    }
}

fn located(finding: Finding, acc: Option<&SourceAcc>) -> Finding {
    match acc.and_then(|a| a.first_record.clone()) {
        Some(location) => finding.at(location),
        None => finding,
    }
}

/// The messages of an mbox (`From ` lines at the start of a line), or the bytes as one.
pub fn split_mbox(bytes: &[u8]) -> Vec<&[u8]> {
    if !bytes.starts_with(b"From ") {
        return vec![bytes];
    }
    let mut out = Vec::new();
    let mut start = 0;
    for found in memchr::memmem::find_iter(bytes, b"\nFrom ") {
        out.push(&bytes[start..found + 1]);
        start = found + 1;
    }
    out.push(&bytes[start..]);
    // The `From ` separator line is not part of the message.
    out.into_iter()
        .map(|m| memchr::memchr(b'\n', m).map_or(&[][..], |nl| &m[nl + 1..]))
        .filter(|m| !m.iter().all(u8::is_ascii_whitespace))
        .collect()
}

fn norm(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

fn aligned(strict: bool, domain: &str, from: &str) -> bool {
    if strict {
        norm(domain) == norm(from)
    } else {
        same_organization(&norm(domain), &norm(from))
    }
}

fn is(value: &Option<String>, what: &str) -> bool {
    value
        .as_deref()
        .is_some_and(|v| v.eq_ignore_ascii_case(what))
}

/// A report's record as a row: its domain and its alignment. The reporter's evaluated
/// results count, and so does any aligned signature or SPF check it lists as passing (a
/// failing ed25519 signature next to a passing RSA one is no failure).
fn row(meta: &Arc<ReportMeta>, record: AggregateRecord) -> RecordRow {
    let header_from = record
        .header_from
        .as_deref()
        .filter(|d| !d.trim().is_empty())
        .map_or_else(|| norm(&meta.published_policy.domain), norm);
    let policy = &meta.published_policy;
    let strict_dkim = is(&policy.adkim, "s");
    let strict_spf = is(&policy.aspf, "s");
    let dkim_aligned = is(&record.dkim, "pass")
        || record.dkim_results.iter().any(|d| {
            is(&d.result, "pass")
                && d.domain
                    .as_deref()
                    .is_some_and(|domain| aligned(strict_dkim, domain, &header_from))
        });
    let spf_aligned = is(&record.spf, "pass")
        || record.spf_results.iter().any(|s| {
            is(&s.result, "pass")
                && !is(&s.scope, "helo")
                && s.domain
                    .as_deref()
                    .is_some_and(|domain| aligned(strict_spf, domain, &header_from))
        });
    RecordRow {
        report: meta.clone(),
        record,
        header_from,
        spf_aligned,
        dkim_aligned,
        attribution: None,
        source_class: None,
    }
}

/// What to attribute for a row: its IP against its domain's tree, and the envelope domain
/// the reporter checked SPF for when that is another name of the same organization.
fn source_key(row: &RecordRow) -> Option<SourceKey> {
    let ip = row.record.source_ip_address?;
    if row.header_from.is_empty() || !crate::dns::is_valid_query_name(&row.header_from) {
        return None;
    }
    let envelope = row
        .record
        .spf_results
        .iter()
        .filter(|s| !is(&s.scope, "helo"))
        .filter_map(|s| s.domain.as_deref())
        .chain(row.record.envelope_from.as_deref())
        .map(norm)
        .find(|d| {
            *d != row.header_from
                && crate::dns::is_valid_query_name(d)
                && same_organization(d, &row.header_from)
        });
    Some(SourceKey {
        domain: row.header_from.clone(),
        envelope,
        ip,
    })
}

/// The class of a row by what the DNS says of its source and what the reporter saw.
fn classify(row: &RecordRow, attribution: &Attribution) -> Option<SourceClass> {
    if attribution.inconclusive {
        return None;
    }
    let passed = row.passed_dmarc();
    if attribution.authorised_by.is_some() {
        return Some(if passed {
            SourceClass::Compliant
        } else {
            SourceClass::NonCompliant
        });
    }
    let dkim_pass = row.dkim_aligned
        || row
            .record
            .dkim_results
            .iter()
            .any(|d| is(&d.result, "pass"));
    let spf_pass = row.record.spf_results.iter().any(|s| is(&s.result, "pass"));
    Some(if dkim_pass && !spf_pass {
        SourceClass::Forwarded
    } else if passed {
        // Aligned SPF the domain's tree does not show (changed since, or a tree the
        // reporter resolved differently): it passed, it is not a stranger.
        SourceClass::Compliant
    } else {
        SourceClass::Unknown
    })
}

fn summary(ip: Option<IpAddr>, acc: &SourceAcc) -> SourceSummary {
    let class = CLASSES
        .iter()
        .copied()
        .filter(|c| acc.class_messages[class_index(*c)] > 0)
        .max_by_key(|c| (acc.class_messages[class_index(*c)], std::cmp::Reverse(*c)));
    let attribution = acc.attribution.as_deref();
    SourceSummary {
        source_ip_address: ip,
        source_reverse_dns: attribution.and_then(|a| a.reverse_dns.clone()),
        source_base_domain: attribution.and_then(|a| a.base_domain.clone()),
        source_authorised_by: attribution.and_then(|a| a.authorised_by.clone()),
        source_class: class,
        message_count: acc.message_count,
        passed_dmarc: acc.passed,
        spf_aligned: acc.spf_aligned,
        dkim_aligned: acc.dkim_aligned,
        quarantined: acc.quarantined,
        rejected: acc.rejected,
        reporters: acc.reporters.iter().cloned().collect(),
        days: acc
            .days
            .iter()
            .map(|(day, (n, passed))| SourceDay {
                day: *day,
                message_count: *n,
                passed_dmarc: *passed,
            })
            .collect(),
    }
}

fn ip_name(ip: Option<IpAddr>) -> String {
    ip.map_or_else(|| "(no source IP)".to_string(), |ip| ip.to_string())
}

/// `203.0.113.9 (mail.vendor.example)`.
fn source_name(ip: Option<IpAddr>, acc: &SourceAcc) -> String {
    match acc
        .attribution
        .as_deref()
        .and_then(|a| a.reverse_dns.as_deref())
    {
        Some(ptr) => format!("{} ({})", ip_name(ip), escape_untrusted(ptr)),
        None => ip_name(ip),
    }
}

fn legitimate(acc: &SourceAcc) -> (u64, u64) {
    CLASSES
        .iter()
        .filter(|c| c.is_legitimate())
        .map(|c| {
            (
                acc.class_messages[class_index(*c)],
                acc.class_passed[class_index(*c)],
            )
        })
        .fold((0, 0), |(a, b), (n, p)| (a + n, b + p))
}

/// Whether a subdomain sending as header_from exists in DNS ([`Run::existence`]).
enum Existence {
    /// Not a question here: the domain's own policy, no `np`, or no DNS.
    NotAsked,
    Exists,
    /// NXDOMAIN: its mail falls under `np`.
    Missing,
    /// The query failed.
    Unknown(String),
}

fn readiness(
    rules: &Rules,
    domain: &str,
    policy: &PublishedPolicy,
    state: &DomainState,
    attributed: bool,
    existence: Existence,
) -> Readiness {
    let policy_domain = norm(&policy.domain);
    let tag = if policy_domain.is_empty() || policy_domain == domain {
        "p"
    } else if matches!(existence, Existence::Missing) {
        "np"
    } else {
        "sp"
    };
    // RFC 9091 §4.1: without np, sp applies to a subdomain that does not exist, and
    // without sp, p.
    let current = match tag {
        "np" => policy
            .np
            .clone()
            .or_else(|| policy.sp.clone())
            .or_else(|| policy.p.clone()),
        "sp" => policy.sp.clone().or_else(|| policy.p.clone()),
        _ => policy.p.clone(),
    }
    .map(|p| p.to_ascii_lowercase());
    let pct = policy
        .pct
        .as_deref()
        .and_then(|p| p.trim().parse::<u32>().ok());
    let testing = is(&policy.testing, "y");
    let next = match current.as_deref() {
        Some("reject") if testing => Some("reject without t=y".to_string()),
        Some("reject") if pct.is_some_and(|p| p < 100) => Some("reject at pct=100".to_string()),
        Some("reject") => None,
        Some("quarantine") => Some("reject".to_string()),
        _ => Some("quarantine".to_string()),
    };
    let (mut legit, mut legit_passed) = (0, 0);
    let mut hurt: Vec<HurtSource> = Vec::new();
    for (ip, acc) in &state.sources {
        let (n, passed) = legitimate(acc);
        legit += n;
        legit_passed += passed;
        if n > passed {
            hurt.push(HurtSource {
                source_ip_address: *ip,
                source_authorised_by: acc
                    .attribution
                    .as_deref()
                    .and_then(|a| a.authorised_by.clone()),
                source_class: summary(*ip, acc).source_class,
                failed_dmarc: n - passed,
            });
        }
    }
    hurt.sort_by(|a, b| {
        b.failed_dmarc
            .cmp(&a.failed_dmarc)
            .then(a.source_ip_address.cmp(&b.source_ip_address))
    });
    hurt.truncate(MAX_HURT);
    let unclassified: u64 = state.sources.values().map(|s| s.unclassified).sum();
    let share = (legit > 0).then(|| legit_passed as f64 / legit as f64);
    let min_share = rules.threshold(ENFORCEMENT_READY_MIN_PASS_SHARE);
    let min_messages = rules.threshold(ENFORCEMENT_READY_MIN_MESSAGES);
    let (verdict, reason) = if !attributed {
        (
            ReadinessVerdict::Unknown,
            Some(
                "no DNS: the sources are not attributed, so legitimate mail cannot be told from \
                 the rest (run with --zone, --nameserver or --attribute)"
                    .to_string(),
            ),
        )
    } else if unclassified > 0 {
        (
            ReadinessVerdict::Unknown,
            Some(format!(
                "{} could not be attributed (DNS failed)",
                plural(unclassified as usize, "message", "messages")
            )),
        )
    } else if let Existence::Unknown(why) = &existence {
        (
            ReadinessVerdict::Unknown,
            Some(format!(
                "whether {domain} exists, which decides between sp and np, could not be learned: {}",
                escape_untrusted(why)
            )),
        )
    } else if next.is_none() {
        (ReadinessVerdict::Enforced, None)
    } else if (legit as f64) < min_messages {
        (ReadinessVerdict::TooLittleData, None)
    } else if share.is_some_and(|s| s >= min_share) {
        (ReadinessVerdict::Ready, None)
    } else {
        (ReadinessVerdict::Blocked, None)
    };
    Readiness {
        policy_domain: if policy_domain.is_empty() {
            domain.to_string()
        } else {
            policy_domain
        },
        tag,
        policy: current,
        pct,
        next,
        legitimate_messages: legit,
        legitimate_passed: legit_passed,
        pass_share: share,
        verdict,
        reason,
        hurt,
    }
}

/// `reports/tls-failures`: the failed sessions of a TLS report, per policy domain, by
/// result type and MX host.
fn tls_failures_finding(rules: &Rules, target: &str, report: &TlsReport) -> Option<Finding> {
    let min = rules.threshold(TLS_FAILURES_MIN_SESSIONS);
    let mut failed_total = 0u64;
    let mut parts = Vec::new();
    for policy in &report.policies {
        let failed = policy.summary.total_failure_session_count.unwrap_or(0);
        if failed == 0 {
            continue;
        }
        failed_total = failed_total.saturating_add(failed);
        let total =
            failed.saturating_add(policy.summary.total_successful_session_count.unwrap_or(0));
        // result type -> (sessions, MX hosts named)
        let mut types: BTreeMap<&str, (u64, BTreeSet<&str>)> = BTreeMap::new();
        for detail in &policy.failure_details {
            let entry = types.entry(detail.result_type.as_str()).or_default();
            entry.0 = entry
                .0
                .saturating_add(detail.failed_session_count.unwrap_or(0));
            if let Some(mx) = &detail.receiving_mx_hostname {
                entry.1.insert(mx.as_str());
            }
        }
        let mut types: Vec<_> = types.into_iter().collect();
        types.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(b.0)));
        let details: Vec<String> = types
            .iter()
            .take(MAX_NAMED_SOURCES)
            .map(|(kind, (count, hosts))| {
                let hosts: Vec<&str> = hosts.iter().copied().take(MAX_NAMED_SOURCES).collect();
                if hosts.is_empty() {
                    format!("{kind} {}", fmt_count(*count))
                } else {
                    format!("{kind} {} ({})", fmt_count(*count), hosts.join(", "))
                }
            })
            .collect();
        let domain = policy
            .policy
            .policy_domain
            .as_deref()
            .unwrap_or("(no policy-domain)");
        let mut text = format!(
            "{} of {} for {domain}",
            plural(failed as usize, "failed session", "failed sessions"),
            fmt_count(total)
        );
        if !details.is_empty() {
            text.push_str(": ");
            text.push_str(&details.join(", "));
        }
        parts.push(text);
    }
    if parts.is_empty() || (failed_total as f64) < min {
        return None;
    }
    Some(
        rules
            .finding(
                TLS_FAILURES,
                target,
                escape_untrusted(&format!(
                    "TLS report from {}: {}",
                    report.organization_name,
                    parts.join("; ")
                )),
            )
            .with_measured(failed_total)
            .with_threshold(min),
    )
}

fn unauthorised_finding(rules: &Rules, domain: &str, state: &DomainState) -> Option<Finding> {
    let min = rules.threshold(UNAUTHORISED_SOURCE_MIN_MESSAGES);
    let unknown = class_index(SourceClass::Unknown);
    let mut strangers: Vec<(Option<IpAddr>, &SourceAcc)> = state
        .sources
        .iter()
        .filter(|(_, acc)| acc.class_messages[unknown] > 0)
        .map(|(ip, acc)| (*ip, acc))
        .collect();
    let total: u64 = strangers
        .iter()
        .map(|(_, a)| a.class_messages[unknown])
        .sum();
    if strangers.is_empty() || (total as f64) < min {
        return None;
    }
    strangers.sort_by(|a, b| {
        b.1.class_messages[unknown]
            .cmp(&a.1.class_messages[unknown])
            .then(a.0.cmp(&b.0))
    });
    let named: Vec<String> = strangers
        .iter()
        .take(MAX_NAMED_SOURCES)
        .map(|(ip, acc)| {
            format!(
                "{} ({})",
                source_name(*ip, acc),
                plural(acc.class_messages[unknown] as usize, "message", "messages")
            )
        })
        .collect();
    let more = strangers.len().saturating_sub(MAX_NAMED_SOURCES);
    let more = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    Some(located(
        rules
            .finding(
                UNAUTHORISED_SOURCE,
                domain,
                format!(
                    "{} sent {} as {domain} from {} that its SPF record does not authorise, and \
                     failed DMARC: {}{more}",
                    plural(strangers.len(), "source", "sources"),
                    plural(total as usize, "message", "messages"),
                    if strangers.len() == 1 {
                        "an address"
                    } else {
                        "addresses"
                    },
                    named.join(", ")
                ),
            )
            .with_measured(total)
            .with_threshold(min),
        Some(strangers[0].1),
    ))
}

fn failing_findings(
    rules: &Rules,
    domain: &str,
    state: &DomainState,
    as_of: Option<Date>,
) -> Vec<Finding> {
    let min = rules.threshold(AUTHORISED_SOURCE_FAILING_MIN_MESSAGES);
    let window = rules.threshold(AUTHORISED_SOURCE_FAILING_WINDOW_DAYS);
    let since = as_of.map(|d| d.add_days(1 - window.clamp(1.0, 36_500.0) as i32));
    let mut out = Vec::new();
    for (ip, acc) in &state.sources {
        let non = class_index(SourceClass::NonCompliant);
        if acc.class_messages[non] == 0 {
            continue;
        }
        let recent: Vec<(&Date, &(u64, u64))> = acc
            .days
            .iter()
            .filter(|(day, _)| since.is_none_or(|s| **day >= s))
            .collect();
        let failed: u64 = recent.iter().map(|(_, (n, p))| n - p).sum();
        let sent: u64 = recent.iter().map(|(_, (n, _))| n).sum();
        let failed = failed.min(acc.class_messages[non] - acc.class_passed[non]);
        if failed == 0 || (failed as f64) < min {
            continue;
        }
        let (first, last) = (
            recent.first().map(|(d, _)| **d),
            recent.last().map(|(d, _)| **d),
        );
        let days = match (first, last) {
            (Some(a), Some(b)) if a != b => format!("from {a} to {b}"),
            (Some(a), _) => format!("on {a}"),
            _ => String::new(),
        };
        let by = acc
            .attribution
            .as_deref()
            .and_then(|a| a.authorised_by.as_deref())
            .unwrap_or("its SPF record");
        let fix = if acc.spf_aligned == 0 && acc.dkim_aligned == 0 {
            format!(
                "neither SPF nor DKIM aligns: sign its mail with DKIM as d={domain} (or a \
                 subdomain)"
            )
        } else {
            format!("sign all its mail with DKIM as d={domain}")
        };
        out.push(located(
            rules
                .finding(
                    AUTHORISED_SOURCE_FAILING,
                    domain,
                    format!(
                        "{} is authorised by {} of {domain} but {} of its {} failed DMARC {days}: \
                         {fix}",
                        source_name(*ip, acc),
                        escape_untrusted(by),
                        fmt_count(failed),
                        plural(sent as usize, "message", "messages"),
                    ),
                )
                .with_measured(failed)
                .with_threshold(min),
            Some(acc),
        ));
    }
    out
}

fn readiness_finding(
    rules: &Rules,
    domain: &str,
    readiness: &Readiness,
    state: &DomainState,
) -> Option<Finding> {
    // Blocked: at the worst hurt source; ready: at the largest source.
    let at = match readiness.hurt.first() {
        Some(hurt) => state.sources.get(&hurt.source_ip_address),
        None => state.sources.values().max_by_key(|s| s.message_count),
    };
    readiness_message(rules, domain, readiness).map(|f| located(f, at))
}

fn readiness_message(rules: &Rules, domain: &str, readiness: &Readiness) -> Option<Finding> {
    let share = readiness.pass_share?;
    let next = readiness.next.as_deref()?;
    let current = readiness.policy.as_deref().unwrap_or("none");
    let step = format!("{}={current} -> {next}", readiness.tag);
    let volume = format!(
        "{} of {} legitimate messages ({}) passed DMARC aligned",
        fmt_count(readiness.legitimate_passed),
        fmt_count(readiness.legitimate_messages),
        pct(share)
    );
    match readiness.verdict {
        ReadinessVerdict::Ready => Some(
            rules
                .finding(
                    ENFORCEMENT_READY,
                    domain,
                    format!("{domain} is ready for {step}: {volume}"),
                )
                .with_measured(share)
                .with_threshold(rules.threshold(ENFORCEMENT_READY_MIN_PASS_SHARE)),
        ),
        ReadinessVerdict::Blocked => {
            let hurt: Vec<String> = readiness
                .hurt
                .iter()
                .take(MAX_NAMED_SOURCES)
                .map(|h| {
                    let by = h
                        .source_authorised_by
                        .as_deref()
                        .map(|b| format!(", {}", escape_untrusted(b)))
                        .unwrap_or_default();
                    let class = h.source_class.map_or("", SourceClass::as_str);
                    format!(
                        "{} ({class}{by}): {} failing",
                        ip_name(h.source_ip_address),
                        fmt_count(h.failed_dmarc)
                    )
                })
                .collect();
            Some(
                rules
                    .finding(
                        ENFORCEMENT_BLOCKED,
                        domain,
                        format!(
                            "{domain} is not ready for {step}: only {volume}; it would hurt {}",
                            hurt.join("; ")
                        ),
                    )
                    .with_measured(share)
                    .with_threshold(rules.threshold(ENFORCEMENT_READY_MIN_PASS_SHARE)),
            )
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::split_mbox;

    #[test]
    fn an_mbox_splits_at_from_lines_only_at_a_line_start() {
        let mbox = b"From a@x Thu Jan  1 00:00:00 2026\nSubject: one\n\nsent From here\n\n\
                     From b@x Thu Jan  1 00:00:00 2026\r\nSubject: two\r\n\r\nbody\r\n\
                     From c@x Thu Jan  1 00:00:00 2026\n\n \n";
        let messages = split_mbox(mbox);
        assert_eq!(
            messages,
            vec![
                &b"Subject: one\n\nsent From here\n\n"[..],
                &b"Subject: two\r\n\r\nbody\r\n"[..],
            ]
        );
    }

    #[test]
    fn a_file_not_starting_with_from_is_one_message() {
        let message = b"Subject: x\n\nFrom the start\nFrom here\n";
        assert_eq!(split_mbox(message), vec![&message[..]]);
    }
}
