//! The run model: what one run of an audit command produced, target by target. Check
//! families fill it; renderers (`report`) read it.
//!
//! A result's facts stay typed ([`Facts`]) all the way to the renderers: the terminal report
//! reads their fields, and only the JSON writers (`report::json`) turn them into JSON, as
//! they write.

use crate::campaign::check::{CampaignFacts, CampaignResult, CheckResult};
use crate::domain::{DomainAudit, DomainFacts};
use crate::finding::{Finding, Severity};
use crate::message::MessageResult;
use crate::message::audit::DraftFacts;
use crate::message::sequence::SequenceFacts;
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
    /// No DNS: drafts linted with this profile, as templates (`--template`) or as rendered
    /// messages.
    Drafts { profile: String, template: bool },
    /// No DNS: sending statistics read from these files.
    Stats { files: Vec<String> },
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
}

impl Kind {
    pub const ALL: [Kind; 8] = [
        Kind::Domain,
        Kind::Spf,
        Kind::Draft,
        Kind::Sequence,
        Kind::Directory,
        Kind::Campaign,
        Kind::Sender,
        Kind::Config,
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
}

impl Summary {
    /// Count one more target and its findings.
    pub fn add(&mut self, result: &TargetResult) {
        self.targets += 1;
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
            results: Vec::new(),
        }
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
    /// Kind `draft`, `sequence` or `directory`.
    fn from(done: MessageResult) -> TargetResult {
        let (target, kind, facts, findings) = match done {
            MessageResult::Draft(audit) => {
                let audit = *audit;
                (
                    audit.target,
                    Kind::Draft,
                    audit.facts.into(),
                    audit.findings,
                )
            }
            MessageResult::Sequence {
                dir,
                facts,
                findings,
            } => (dir, Kind::Sequence, facts.into(), findings),
            MessageResult::Directory { dir, findings } => {
                (dir, Kind::Directory, Facts::None, findings)
            }
        };
        let mut result = TargetResult::new(target, kind);
        result.facts = facts;
        result.findings = findings;
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
        }
    }
}
