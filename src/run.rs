//! The run model: what one run of an audit command produced, target by target. Check
//! families fill it; renderers (`report`) read it.
//!
//! A result's facts stay typed ([`Facts`]) all the way to the renderers: the terminal report
//! reads their fields, and only the JSON writers (`report::json`) turn them into JSON, as
//! they write.

use crate::campaign::check::{CampaignFacts, CampaignResult, CheckResult};
use crate::config::Ignore;
use crate::domain::{DomainAudit, DomainFacts};
use crate::feedback::{FeedbackFacts, FeedbackResult};
use crate::finding::{Finding, Severity};
use crate::list::{ListFacts, ListResult};
use crate::message::MessageResult;
use crate::message::audit::DraftFacts;
use crate::message::sequence::SequenceFacts;
use crate::reports::ReportsResult;
use crate::reports::facts::{ReportDomainFacts, ReportFileFacts};
use crate::sender::{SenderFacts, SenderResult};
use crate::spf::check_host::CheckHostFacts;
use serde::ser::{Serialize, SerializeMap, Serializer};
use std::fmt;

/// Where DNS answers came from in this run, or, for a run that makes no DNS queries, how its
/// files were read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Offline: answered from these RFC 1035 master files.
    Offline { zone_files: Vec<String> },
    /// Live DNS through these servers (`ADDR:PORT`); empty means the system's resolvers.
    Live { nameservers: Vec<String> },
    /// Drafts linted with this profile, as templates (`--template`) or as rendered messages.
    /// `dns` is where their DKIM signatures were verified from (an `Offline` or `Live` mode),
    /// `None` when they were not (no DNS at all).
    Drafts {
        profile: String,
        template: bool,
        dns: Option<Box<Mode>>,
    },
    /// No DNS: sending statistics read from these files.
    Stats { files: Vec<String> },
    /// Receivers' reports read; `dns` is where their sources were attributed from (an
    /// `Offline` or `Live` mode), `None` when they were not.
    Reports { dns: Option<Box<Mode>> },
    /// No DNS: bounce and complaint messages read (`mailaudit feedback`).
    Feedback,
    /// A recipient list checked; `dns` is where its domains' MX records came from (an
    /// `Offline` or `Live` mode), `None` when they were not asked.
    List { dns: Option<Box<Mode>> },
}

/// What an audited target is: the `kind` of its result in every output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A sending domain (`mailaudit domain`, and each domain of `mailaudit check`).
    Domain,
    /// One `check_host()` evaluation (`mailaudit spf`).
    Spf,
    /// One draft (`.eml`) of `mailaudit message` or of a campaign.
    Draft,
    /// The drafts of one directory as a sequence.
    Sequence,
    /// A directory of drafts that could not be listed.
    Directory,
    /// A campaign file (`mailaudit check`).
    Campaign,
    /// A sending domain judged from its statistics (`mailaudit sender`, campaign stats).
    Sender,
    /// A configuration file (`config/unused-ignore`).
    Config,
    /// One DMARC aggregate, failure or TLS report (`mailaudit reports`).
    Report,
    /// A header_from domain judged from the reports that speak of it.
    ReportDomain,
    /// One bounce, complaint or other message read by `mailaudit feedback`.
    Feedback,
    /// A recipients file checked before a send (`mailaudit list`, a campaign's recipients).
    RecipientList,
}

impl Kind {
    pub const ALL: [Kind; 12] = [
        Kind::Domain,
        Kind::Spf,
        Kind::Draft,
        Kind::Sequence,
        Kind::Directory,
        Kind::Campaign,
        Kind::Sender,
        Kind::Config,
        Kind::Report,
        Kind::ReportDomain,
        Kind::Feedback,
        Kind::RecipientList,
    ];

    /// The name outputs write: "domain", "spf", "draft", ...
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Domain => "domain",
            Kind::Spf => "spf",
            Kind::Draft => "draft",
            Kind::Sequence => "sequence",
            Kind::Directory => "directory",
            Kind::Campaign => "campaign",
            Kind::Sender => "sender",
            Kind::Config => "config",
            Kind::Report => "report",
            Kind::ReportDomain => "report-domain",
            Kind::Feedback => "feedback",
            Kind::RecipientList => "recipient-list",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The measured facts of one result, as the check family produced them: one variant per kind
/// of result that has facts.
///
/// `Serialize` writes the inner value's fields in declaration order; the JSON writers go
/// through `serde_json::Value` (sorted keys) instead, which is the order the JSON formats
/// have always had.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Facts {
    /// No facts (a configuration file, a directory that could not be listed): `{}` in JSON.
    #[default]
    None,
    Domain(Box<DomainFacts>),
    Spf(Box<CheckHostFacts>),
    Draft(Box<DraftFacts>),
    Sequence(SequenceFacts),
    Campaign(Box<CampaignFacts>),
    Sender(Box<SenderFacts>),
    Report(Box<ReportFileFacts>),
    ReportDomain(Box<ReportDomainFacts>),
    Feedback(Box<FeedbackFacts>),
    List(Box<ListFacts>),
    /// Facts that no check family of mailaudit produced (a caller's own check, a report
    /// built by hand).
    Given(Box<GivenFacts>),
}

/// Facts from outside mailaudit's check families: the JSON the machine formats write for
/// them, and the lines the terminal report shows above the findings (escaped and indented
/// by the renderer).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GivenFacts {
    pub json: serde_json::Value,
    pub lines: Vec<String>,
}

impl Facts {
    /// Facts given by the caller: `json` for the machine formats, `lines` for a person.
    pub fn given(
        json: serde_json::Value,
        lines: impl IntoIterator<Item = impl Into<String>>,
    ) -> Facts {
        Facts::Given(Box::new(GivenFacts {
            json,
            lines: lines.into_iter().map(Into::into).collect(),
        }))
    }
}

impl Serialize for Facts {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Facts::None => serializer.serialize_map(Some(0))?.end(),
            Facts::Domain(facts) => facts.serialize(serializer),
            Facts::Spf(facts) => facts.serialize(serializer),
            Facts::Draft(facts) => facts.serialize(serializer),
            Facts::Sequence(facts) => facts.serialize(serializer),
            Facts::Campaign(facts) => facts.serialize(serializer),
            Facts::Sender(facts) => facts.serialize(serializer),
            Facts::Report(facts) => facts.serialize(serializer),
            Facts::ReportDomain(facts) => facts.serialize(serializer),
            Facts::Feedback(facts) => facts.serialize(serializer),
            Facts::List(facts) => facts.serialize(serializer),
            Facts::Given(facts) => facts.json.serialize(serializer),
        }
    }
}

impl From<DomainFacts> for Facts {
    fn from(facts: DomainFacts) -> Facts {
        Facts::Domain(Box::new(facts))
    }
}

impl From<CheckHostFacts> for Facts {
    fn from(facts: CheckHostFacts) -> Facts {
        Facts::Spf(Box::new(facts))
    }
}

impl From<DraftFacts> for Facts {
    fn from(facts: DraftFacts) -> Facts {
        Facts::Draft(Box::new(facts))
    }
}

impl From<SequenceFacts> for Facts {
    fn from(facts: SequenceFacts) -> Facts {
        Facts::Sequence(facts)
    }
}

impl From<CampaignFacts> for Facts {
    fn from(facts: CampaignFacts) -> Facts {
        Facts::Campaign(Box::new(facts))
    }
}

impl From<SenderFacts> for Facts {
    fn from(facts: SenderFacts) -> Facts {
        Facts::Sender(Box::new(facts))
    }
}

/// Everything one audited target produced: its measured facts and its findings.
#[derive(Clone, Debug, PartialEq)]
pub struct TargetResult {
    pub target: String,
    pub kind: Kind,
    /// Measured facts (record text, lookup count, policy, ...), as the check reports them.
    pub facts: Facts,
    /// The one verdict of a single-verdict command (`spf`: the check_host() result).
    pub result: Option<String>,
    pub findings: Vec<Finding>,
    /// The findings an ignore waived: kept to be reported, never counted in the verdict.
    pub suppressed: Vec<Suppression>,
}

/// A finding that an ignore waived, and the ignore that did.
#[derive(Clone, Debug, PartialEq)]
pub struct Suppression {
    /// The waived finding, with the user's level applied.
    pub finding: Finding,
    /// The reason the ignore gives.
    pub reason: String,
    pub source: SuppressionSource,
    /// The file that holds the ignore: the configuration (or campaign) file of an
    /// `[[ignore]]`, the draft of an `X-Mailaudit-Ignore` header.
    pub file: String,
    /// 1-based line of the ignore in `file`.
    pub line: Option<u32>,
}

/// Where an ignore was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SuppressionSource {
    /// An `[[ignore]]` of a configuration file (`mailaudit.toml`, `--rules`, a campaign file).
    Config,
    /// An `X-Mailaudit-Ignore` header of the draft itself.
    Inline,
}

impl SuppressionSource {
    /// The name outputs write: "config" or "inline".
    pub fn as_str(self) -> &'static str {
        match self {
            SuppressionSource::Config => "config",
            SuppressionSource::Inline => "inline",
        }
    }
}

impl Suppression {
    /// `finding`, waived by `ignore` (whose `source` is the file that holds it).
    pub fn new(finding: Finding, ignore: &Ignore, source: SuppressionSource) -> Suppression {
        Suppression {
            finding,
            reason: ignore.reason.clone(),
            source,
            file: ignore.source.clone(),
            line: u32::try_from(ignore.line).ok().filter(|line| *line > 0),
        }
    }
}

impl TargetResult {
    /// A result with no facts and no findings yet.
    pub fn new(target: impl Into<String>, kind: Kind) -> TargetResult {
        TargetResult {
            target: target.into(),
            kind,
            facts: Facts::None,
            result: None,
            findings: Vec::new(),
            suppressed: Vec::new(),
        }
    }

    pub fn max_severity(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }

    /// The findings in report order, whatever order the checks produced them in.
    pub fn sorted_findings(&self) -> Vec<&Finding> {
        let mut findings: Vec<&Finding> = self.findings.iter().collect();
        findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        findings
    }
}

/// One run of an audit command.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// The subcommand that produced it: "domain", "spf", ...
    pub command: String,
    pub mode: Mode,
    /// The run's `--fail-on`: findings at or above it fail the gate; `None` is `never`.
    pub fail_on: Option<Severity>,
    /// The configuration files whose rules and ignores applied, lowest layer first (the
    /// nearest `mailaudit.toml`, `--rules`, a campaign file with rules or ignores).
    pub config: Vec<String>,
    pub results: Vec<TargetResult>,
}

/// Counts over a whole report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub targets: usize,
    pub findings: usize,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    /// Findings that ignores waived (not counted in `findings`).
    pub suppressed: usize,
}

impl Summary {
    /// Count one more target and its findings.
    pub fn add(&mut self, result: &TargetResult) {
        self.targets += 1;
        self.suppressed += result.suppressed.len();
        for finding in &result.findings {
            self.findings += 1;
            match finding.severity {
                Severity::Error => self.errors += 1,
                Severity::Warning => self.warnings += 1,
                Severity::Info => self.infos += 1,
            }
        }
    }

    pub fn count(&self, severity: Severity) -> usize {
        match severity {
            Severity::Error => self.errors,
            Severity::Warning => self.warnings,
            Severity::Info => self.infos,
        }
    }
}

impl Report {
    pub fn new(command: impl Into<String>, mode: Mode) -> Report {
        Report {
            command: command.into(),
            mode,
            fail_on: Some(Severity::Error),
            config: Vec::new(),
            results: Vec::new(),
        }
    }

    /// The gate's reading of the whole report at its `fail_on`.
    pub fn gate(&self) -> Gate {
        let mut gate = Gate::new(self.fail_on);
        for result in &self.results {
            gate.add(result);
        }
        gate
    }

    pub fn verdict(&self) -> Verdict {
        self.gate().verdict()
    }

    pub fn summary(&self) -> Summary {
        let mut summary = Summary::default();
        for result in &self.results {
            summary.add(result);
        }
        summary
    }

    pub fn max_severity(&self) -> Option<Severity> {
        self.results.iter().filter_map(|r| r.max_severity()).max()
    }

    /// The results in report order: by target, then kind name (stable for equal keys).
    pub fn sorted_results(&self) -> Vec<&TargetResult> {
        let mut results: Vec<&TargetResult> = self.results.iter().collect();
        results.sort_by(|a, b| (&a.target, a.kind.as_str()).cmp(&(&b.target, b.kind.as_str())));
        results
    }
}

/// The gate's answer for a run: may the mail go out?
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// No finding at or above `--fail-on`.
    Pass,
    /// A finding at or above `--fail-on` that is not `dns/inconclusive`. Wins over
    /// [`Verdict::Incomplete`]: what was seen is enough to stop.
    Fail,
    /// Nothing seen fails, but a DNS query the audit needed failed (`dns/inconclusive` at or
    /// above `--fail-on`): the audit could not look, so it cannot pass.
    Incomplete,
}

impl Verdict {
    /// The name outputs write: "pass", "fail" or "incomplete".
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Incomplete => "incomplete",
        }
    }

    /// Whether the gate lets the run through (only [`Verdict::Pass`] does).
    pub fn passes(self) -> bool {
        self == Verdict::Pass
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The findings of a run that decide its [`Verdict`], counted as settled results come in
/// (the streaming formats know the verdict only at the end). Suppressed findings are not
/// findings here: they never count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gate {
    /// `--fail-on`; `None` is `never`, which always passes.
    pub fail_on: Option<Severity>,
    /// Findings at or above `fail_on` other than `dns/inconclusive`, by severity, and the
    /// results (`targets`) that hold them.
    pub failing: Summary,
    /// The results (target, kind) with a `dns/inconclusive` finding at or above `fail_on`,
    /// in the order they came.
    pub inconclusive: Vec<(String, Kind)>,
}

impl Gate {
    pub fn new(fail_on: Option<Severity>) -> Gate {
        Gate {
            fail_on,
            failing: Summary::default(),
            inconclusive: Vec::new(),
        }
    }

    /// Count one settled result.
    pub fn add(&mut self, result: &TargetResult) {
        let Some(threshold) = self.fail_on else {
            return;
        };
        let mut inconclusive = false;
        let before = self.failing.findings;
        for finding in result.findings.iter().filter(|f| f.severity >= threshold) {
            if finding.rule == crate::dns::rules::INCONCLUSIVE {
                inconclusive = true;
                continue;
            }
            self.failing.findings += 1;
            match finding.severity {
                Severity::Error => self.failing.errors += 1,
                Severity::Warning => self.failing.warnings += 1,
                Severity::Info => self.failing.infos += 1,
            }
        }
        if self.failing.findings > before {
            self.failing.targets += 1;
        }
        if inconclusive {
            self.inconclusive.push((result.target.clone(), result.kind));
        }
    }

    pub fn verdict(&self) -> Verdict {
        if self.failing.findings > 0 {
            Verdict::Fail
        } else if !self.inconclusive.is_empty() {
            Verdict::Incomplete
        } else {
            Verdict::Pass
        }
    }
}

// The families' typed results as the report holds them: target, kind, typed facts, findings.

impl From<DomainAudit> for TargetResult {
    fn from(audit: DomainAudit) -> TargetResult {
        let mut result = TargetResult::new(audit.domain, Kind::Domain);
        result.facts = audit.facts.into();
        result.findings = audit.findings;
        result
    }
}

impl From<MessageResult> for TargetResult {
    /// Kind `draft`, `sequence` or `directory`; a draft's inline ignores become its
    /// suppressions.
    fn from(done: MessageResult) -> TargetResult {
        let (target, kind, facts, findings, waived) = match done {
            MessageResult::Draft(audit) => {
                let audit = *audit;
                (
                    audit.target,
                    Kind::Draft,
                    audit.facts.into(),
                    audit.findings,
                    audit.suppressed,
                )
            }
            MessageResult::Sequence {
                dir,
                facts,
                findings,
            } => (dir, Kind::Sequence, facts.into(), findings, Vec::new()),
            MessageResult::Directory { dir, findings } => {
                (dir, Kind::Directory, Facts::None, findings, Vec::new())
            }
        };
        let mut result = TargetResult::new(target, kind);
        result.facts = facts;
        result.findings = findings;
        result.suppressed = waived
            .into_iter()
            .map(|(finding, ignore)| Suppression::new(finding, &ignore, SuppressionSource::Inline))
            .collect();
        result
    }
}

impl From<SenderResult> for TargetResult {
    /// Target = the sending domain, kind `sender`.
    fn from(sender: SenderResult) -> TargetResult {
        let mut result = TargetResult::new(sender.domain, Kind::Sender);
        result.facts = sender.facts.into();
        result.findings = sender.findings;
        result
    }
}

impl From<ReportsResult> for TargetResult {
    /// A report: target = the file (and part), kind `report`; a domain: kind
    /// `report-domain`, result = its readiness verdict.
    fn from(done: ReportsResult) -> TargetResult {
        match done {
            ReportsResult::Report(report) => {
                let report = *report;
                let mut result = TargetResult::new(report.target, Kind::Report);
                result.facts = Facts::Report(Box::new(report.facts));
                result.findings = report.findings;
                result
            }
            ReportsResult::Domain(domain) => {
                let domain = *domain;
                let mut result = TargetResult::new(domain.domain, Kind::ReportDomain);
                result.result = Some(domain.facts.readiness.verdict.as_str().to_string());
                result.facts = Facts::ReportDomain(Box::new(domain.facts));
                result.findings = domain.findings;
                result
            }
        }
    }
}

impl From<FeedbackResult> for TargetResult {
    /// Target = the file (and message of an mbox), kind `feedback`, result = what the
    /// message is (bounce, delayed, complaint, auto-reply, not-feedback).
    fn from(done: FeedbackResult) -> TargetResult {
        let mut result = TargetResult::new(done.target, Kind::Feedback);
        result.result = Some(done.facts.kind.as_str().to_string());
        result.facts = Facts::Feedback(Box::new(done.facts));
        result.findings = done.findings;
        result
    }
}

impl From<ListResult> for TargetResult {
    /// Target = the recipients file, kind `recipient-list`.
    fn from(list: ListResult) -> TargetResult {
        let mut result = TargetResult::new(list.target, Kind::RecipientList);
        result.facts = Facts::List(Box::new(list.facts));
        result.findings = list.findings;
        result
    }
}

impl From<CampaignResult> for TargetResult {
    /// Target = the campaign file, kind `campaign`, result = the simulated DMARC verdict.
    fn from(campaign: CampaignResult) -> TargetResult {
        let mut result = TargetResult::new(campaign.source, Kind::Campaign);
        result.facts = campaign.facts.into();
        result.findings = campaign.findings;
        result.result = Some(campaign.verdict);
        result
    }
}

impl From<CheckResult> for TargetResult {
    fn from(done: CheckResult) -> TargetResult {
        match done {
            CheckResult::Domain(audit) => (*audit).into(),
            CheckResult::Campaign(campaign) => (*campaign).into(),
            CheckResult::Message(message) => message.into(),
            CheckResult::Sender(sender) => (*sender).into(),
            CheckResult::Reports(reports) => reports.into(),
            CheckResult::List(list) => (*list).into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Rules;

    fn result(target: &str, findings: &[(crate::rules::RuleId, Severity)]) -> TargetResult {
        let rules = Rules::builtin().unwrap();
        let mut result = TargetResult::new(target, Kind::Domain);
        result.findings = findings
            .iter()
            .map(|(rule, severity)| rules.finding(*rule, target, "m").with_severity(*severity))
            .collect();
        result
    }

    fn verdict(fail_on: Option<Severity>, results: &[TargetResult]) -> Verdict {
        let mut report = Report::new(
            "domain",
            Mode::Live {
                nameservers: vec![],
            },
        );
        report.fail_on = fail_on;
        report.results = results.to_vec();
        report.verdict()
    }

    const PTR: crate::rules::RuleId = crate::spf::rules::PTR_MECHANISM;
    const DNS: crate::rules::RuleId = crate::dns::rules::INCONCLUSIVE;

    #[test]
    fn fail_wins_over_incomplete_and_both_need_fail_on() {
        use Severity::*;
        let error = Some(Error);
        let warning = Some(Warning);
        let dead = result("dead.example", &[(DNS, Error)]);
        let bad = result("bad.example", &[(PTR, Error)]);
        let warned = result("w.example", &[(PTR, Warning), (DNS, Warning)]);
        assert_eq!(verdict(error, &[]), Verdict::Pass);
        assert_eq!(
            verdict(error, std::slice::from_ref(&dead)),
            Verdict::Incomplete
        );
        assert_eq!(verdict(error, &[dead.clone(), bad.clone()]), Verdict::Fail);
        // Below fail-on neither counts.
        assert_eq!(verdict(error, std::slice::from_ref(&warned)), Verdict::Pass);
        assert_eq!(
            verdict(warning, std::slice::from_ref(&warned)),
            Verdict::Fail
        );
        assert_eq!(
            verdict(warning, &[result("w.example", &[(DNS, Warning)])]),
            Verdict::Incomplete
        );
        assert_eq!(verdict(None, &[dead, bad, warned]), Verdict::Pass);
    }

    #[test]
    fn suppressed_findings_never_count() {
        let rules = Rules::builtin().unwrap();
        let mut waived = result("a.example", &[]);
        let ignore = Ignore {
            rule: PTR.as_str().to_string(),
            target: None,
            reason: "vendor".into(),
            source: "mailaudit.toml".into(),
            line: 3,
        };
        for rule in [PTR, DNS] {
            waived.suppressed.push(Suppression::new(
                rules
                    .finding(rule, "a.example", "m")
                    .with_severity(Severity::Error),
                &ignore,
                SuppressionSource::Config,
            ));
        }
        assert_eq!(
            verdict(Some(Severity::Info), &[waived.clone()]),
            Verdict::Pass
        );
        let mut report = Report::new(
            "domain",
            Mode::Live {
                nameservers: vec![],
            },
        );
        report.results.push(waived);
        let summary = report.summary();
        assert_eq!((summary.findings, summary.suppressed), (0, 2));
        assert_eq!(report.results[0].suppressed[0].line, Some(3));
    }

    #[test]
    fn the_gate_counts_failing_findings_and_names_incomplete_targets() {
        use Severity::*;
        let mut gate = Gate::new(Some(Warning));
        gate.add(&result(
            "b.example",
            &[(PTR, Error), (PTR, Warning), (PTR, Info)],
        ));
        gate.add(&result("a.example", &[(DNS, Warning), (DNS, Error)]));
        gate.add(&result("c.example", &[(DNS, Info)]));
        assert_eq!(
            (
                gate.failing.errors,
                gate.failing.warnings,
                gate.failing.infos
            ),
            (1, 1, 0)
        );
        assert_eq!(gate.failing.targets, 1);
        assert_eq!(gate.inconclusive, [("a.example".to_string(), Kind::Domain)]);
        assert_eq!(gate.verdict(), Verdict::Fail);
    }
}
