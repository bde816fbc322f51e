//! The family contract, driven by the registry (`mailaudit::app::registry::FAMILIES`): every
//! rule of every family has an entry in `fixtures/contract/<family>.toml` with a firing and a
//! silent input, and
//! - fires: the firing input yields at least one finding of the rule, with help and a
//!   reference (and a location, where the manifest says the family gives locations);
//! - silent: the silent input yields none;
//! - documented example: the message its documentation shows (`rules/*.toml`, the text after
//!   "{severity} {id}: " in `example`) is what a finding of the rule says, on the entry's
//!   `example` input or else on the firing one (`example_unchecked = "why"` lists, with the
//!   reason, an example the harness cannot reproduce; `example_todo` one whose input is still
//!   to be written);
//! - DNS inputs: the firing input gives the same findings through an in-process DNS server
//!   on 127.0.0.1 (`Resolver::live`) as offline from the same zone files, and with a server
//!   that answers every query with SERVFAIL the audit yields `dns/inconclusive` and no
//!   finding of the rule (`servfail_unchecked = "why"` for a rule that is not about DNS
//!   answers);
//! - a manifest lists only rules its family has;
//! - the escape hatches (`example_todo`, `example_unchecked`, `servfail_unchecked`) are carried
//!   by exactly the rules of their lists here (`EXAMPLE_TODO`, ...), which may only shrink.
//!
//! An input is one of (the keys decide which):
//! - `domain` (+ `zones`, zone files; `zone`, inline zone text; `selectors`; `ips`;
//!   `timeout`, names that time out offline): the domain audit (`mailaudit domain`);
//! - `drafts` (files or directories; + `template`, `profile`, `max_size`, `fill_to` (files made
//!   that large at run time), and `zones`, and the clock `dkim_now`, to verify DKIM
//!   signatures): the draft lint (`mailaudit message`);
//! - `stats` (files; + `as_of`, `profile`): the sender checks (`mailaudit sender`);
//! - `campaign` (a campaign file): `mailaudit check`;
//! - `reports` (files or directories; + `zones`, `timeout` to attribute sources, `as_of`):
//!   `mailaudit reports`;
//! - `feedback` (files or directories): `mailaudit feedback`;
//! - `recipients` (a recipients CSV; + `suppressions`, and `zones`, `timeout` to check the
//!   domains' MX): `mailaudit list`;
//! - `config` (a configuration file; + `command`, `targets` it audited): the ignores the
//!   command's rules left unused.
//!
//! Paths are relative to the repository root.

use crate::support;

use mailaudit::app::registry::{CommandRules, FAMILIES, Family, rules_run_by};
use mailaudit::campaign::{Campaign, CheckOptions, check_campaign};
use mailaudit::config::{Config, Suppressor, unused_ignore_findings};
use mailaudit::date::Date;
use mailaudit::dns::{Resolver, ZoneSet};
use mailaudit::domain::{DomainRequest, audit_domain};
use mailaudit::feedback::{FeedbackOptions, audit_feedback};
use mailaudit::finding::Finding;
use mailaudit::list::audit::read_suppressions;
use mailaudit::list::{ListOptions, MxChecker, audit_list};
use mailaudit::message::{DkimVerifier, DraftOptions, audit_paths};
use mailaudit::reports::{Attributor, ReportsOptions, audit_reports};
use mailaudit::rules::Rules;
use mailaudit::run::TargetResult;
use mailaudit::sender::{SenderOptions, audit_files};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// One family's manifest, `fixtures/contract/<family>.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    /// Every finding of the family's firing inputs has a location (a header, a line, a record
    /// span); an entry's `located` overrides it.
    #[serde(default)]
    located: bool,
    #[serde(default)]
    rule: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    id: String,
    fires: Input,
    silent: Input,
    /// An input that reproduces the documented example, when the firing one does not.
    example: Option<Input>,
    /// Why the documented example cannot be reproduced (the documentation and the check
    /// disagree, or the example is not in the "{severity} {id}: MESSAGE" form).
    example_unchecked: Option<String>,
    /// The documented example is not reproduced yet: an `example` input is still to be
    /// written (what the firing input says instead).
    example_todo: Option<String>,
    /// Why the firing input is not checked against a SERVFAIL server.
    servfail_unchecked: Option<String>,
    located: Option<bool>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    domain: Option<String>,
    #[serde(default)]
    zones: Vec<String>,
    zone: Option<String>,
    #[serde(default)]
    selectors: Vec<String>,
    #[serde(default)]
    ips: Vec<String>,
    #[serde(default)]
    timeout: Vec<String>,
    mail_from: Option<String>,

    #[serde(default)]
    drafts: Vec<String>,
    #[serde(default)]
    template: bool,
    profile: Option<String>,
    max_size: Option<u64>,
    dkim_now: Option<u64>,
    /// Each draft is written, at run time, to a file of exactly this many bytes: its
    /// `@FILL@` line is replaced by lines of `A`s (for sizes too large to commit).
    fill_to: Option<usize>,

    #[serde(default)]
    stats: Vec<String>,
    as_of: Option<String>,

    campaign: Option<String>,

    /// Report files and directories (`mailaudit reports`); with `zones` (+ `timeout`) their
    /// sources are attributed from them; `as_of` ends the failing-source window.
    #[serde(default)]
    reports: Vec<String>,

    /// Bounce and complaint messages, and directories of them (`mailaudit feedback`).
    #[serde(default)]
    feedback: Vec<String>,
    /// A recipients file (`mailaudit list`), its suppression lists; with `zones` (+
    /// `timeout`) the domains' MX are checked from them.
    recipients: Option<String>,
    #[serde(default)]
    suppressions: Vec<String>,

    config: Option<String>,
    command: Option<String>,
    /// The targets the command audited (with no findings).
    #[serde(default)]
    targets: Vec<String>,

    /// Configuration text (`[rules."ID"]` levels and thresholds) applied to the rules.
    settings: Option<String>,
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn manifest_path(family: &str) -> PathBuf {
    root().join(format!("fixtures/contract/{family}.toml"))
}

fn rules_for(input: &Input) -> Rules {
    let mut rules = Rules::builtin().expect("builtin rules");
    if let Some(profile) = &input.profile {
        rules.apply_profile(profile).expect("profile");
    }
    if let Some(text) = &input.settings {
        let config = Config::parse(text, "settings").expect("settings parse");
        rules.apply(&config).expect("settings apply");
    }
    rules
}

impl Input {
    fn is_dns(&self) -> bool {
        self.domain.is_some()
    }

    /// The zone files of the input; its inline zone text is written to a file of its own.
    fn zone_files(&self) -> Vec<PathBuf> {
        let paths: Vec<PathBuf> = self.zones.iter().map(|z| root().join(z)).collect();
        let mut files = mailaudit::app::context::expand_zone_paths(&paths).expect("zone paths");
        if let Some(text) = &self.zone {
            use std::hash::{Hash, Hasher};
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            text.hash(&mut hasher);
            let file = Path::new(env!("CARGO_TARGET_TMPDIR"))
                .join(format!("contract-{:016x}.zone", hasher.finish()));
            // Written once per process and moved into place whole: tests run in parallel.
            static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
            let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let part = file.with_extension(format!("{}-{n}.part", std::process::id()));
            if !file.exists() {
                std::fs::write(&part, text).expect("inline zone written");
                std::fs::rename(&part, &file).expect("inline zone in place");
            }
            files.push(file);
        }
        files
    }

    /// The zones of the input, offline: its files, its inline text, its timeouts.
    fn zone_set(&self) -> ZoneSet {
        let mut zones = ZoneSet::load_files(&self.zone_files()).expect("zone files load");
        for name in &self.timeout {
            zones.insert_timeout(name);
        }
        zones
    }

    fn request(&self) -> DomainRequest {
        DomainRequest {
            domain: self.domain.clone().unwrap_or_default(),
            selectors: self.selectors.clone(),
            ips: self
                .ips
                .iter()
                .map(|ip| ip.parse().expect("an IP address"))
                .collect(),
            mail_from: self.mail_from.clone(),
            helo: None,
        }
    }

    /// The findings of the input's check, offline.
    fn run(&self) -> Vec<Finding> {
        let rules = rules_for(self);
        if self.is_dns() {
            let resolver = Resolver::offline(self.zone_set());
            return support::block_on(audit_domain(&resolver, &rules, &self.request())).findings;
        }
        if !self.drafts.is_empty() {
            return self.run_drafts(&rules);
        }
        if !self.stats.is_empty() {
            let paths: Vec<PathBuf> = self.stats.iter().map(|s| root().join(s)).collect();
            let options = SenderOptions {
                as_of: self
                    .as_of
                    .as_deref()
                    .map(|d| Date::parse(d).expect("as_of is a date")),
                ..SenderOptions::default()
            };
            let run = audit_files(&paths, &rules, &options).expect("stats read");
            return run.results.into_iter().flat_map(|r| r.findings).collect();
        }
        if let Some(campaign) = &self.campaign {
            return self.run_campaign(&root().join(campaign));
        }
        if !self.reports.is_empty() {
            return self.run_reports(&rules);
        }
        if !self.feedback.is_empty() {
            let paths: Vec<PathBuf> = self.feedback.iter().map(PathBuf::from).collect();
            let mut findings = Vec::new();
            with_root(|| {
                audit_feedback::<()>(&paths, &rules, &FeedbackOptions::default(), |done| {
                    findings.extend(TargetResult::from(done).findings);
                    Ok(())
                })
                .expect("the messages are read");
            });
            return findings;
        }
        if let Some(recipients) = &self.recipients {
            return self.run_list(&rules, recipients);
        }
        if let Some(config) = &self.config {
            let config = Config::load(&root().join(config)).expect("config loads");
            let command = match self.command.as_deref() {
                Some("domain") | None => CommandRules::Domain,
                Some("message") => CommandRules::Message,
                Some("sender") => CommandRules::Sender,
                Some("check") => CommandRules::Check,
                Some(other) => panic!("unknown command {other}"),
            };
            let mut suppressor = Suppressor::new(&config);
            for target in &self.targets {
                suppressor.suppress(target, &mut Vec::new());
            }
            return unused_ignore_findings(&rules, &suppressor.unused(&rules_run_by(command)));
        }
        panic!("an input names a domain, drafts, stats, a campaign or a config: {self:?}")
    }

    fn run_drafts(&self, rules: &Rules) -> Vec<Finding> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        // With zones, DKIM signatures are verified against them.
        let dkim = (!self.zones.is_empty() || self.zone.is_some()).then(|| DkimVerifier {
            resolver: Resolver::offline(self.zone_set()),
            runtime: runtime.handle().clone(),
            now: self.dkim_now,
        });
        let options = DraftOptions {
            template: self.template,
            max_size: self.max_size.unwrap_or(DraftOptions::default().max_size),
            dkim,
        };
        let paths: Vec<PathBuf> = match self.fill_to {
            Some(size) => self.drafts.iter().map(|d| filled(d, size)).collect(),
            None => self.drafts.iter().map(PathBuf::from).collect(),
        };
        let mut findings = Vec::new();
        with_root(|| {
            audit_paths::<()>(&paths, rules, &options, 1, |done| {
                findings.extend(TargetResult::from(done.expect("no audit panics")).findings);
                Ok(())
            })
            .expect("the drafts are audited");
        });
        findings
    }

    fn run_reports(&self, rules: &Rules) -> Vec<Finding> {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let attributor = (!self.zones.is_empty() || self.zone.is_some()).then(|| Attributor {
            resolver: Resolver::offline(self.zone_set()),
            runtime: runtime.handle().clone(),
            concurrency: 8,
        });
        let options = ReportsOptions {
            as_of: self
                .as_of
                .as_deref()
                .map(|d| Date::parse(d).expect("as_of is a date")),
            ..ReportsOptions::default()
        };
        let paths: Vec<PathBuf> = self.reports.iter().map(PathBuf::from).collect();
        let mut findings = Vec::new();
        with_root(|| {
            audit_reports::<()>(&paths, rules, &options, attributor.as_ref(), |done| {
                findings.extend(TargetResult::from(done).findings);
                Ok(())
            })
            .expect("the reports are read");
        });
        findings
    }

    fn run_list(&self, rules: &Rules, recipients: &str) -> Vec<Finding> {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let mx = (!self.zones.is_empty() || self.zone.is_some()).then(|| MxChecker {
            resolver: Resolver::offline(self.zone_set()),
            runtime: runtime.handle().clone(),
            concurrency: 8,
        });
        let mut findings = Vec::new();
        with_root(|| {
            let paths: Vec<PathBuf> = self.suppressions.iter().map(PathBuf::from).collect();
            let suppressions = read_suppressions(&paths).expect("the suppressions are read");
            let done = audit_list(
                Path::new(recipients),
                &suppressions,
                rules,
                &ListOptions::default(),
                mx.as_ref(),
                None,
            )
            .expect("the list is read");
            findings.extend(TargetResult::from(done).findings);
        });
        findings
    }

    fn run_campaign(&self, path: &Path) -> Vec<Finding> {
        let campaign = Campaign::load(path).expect("campaign loads");
        let rules = rules_for(self);
        let zones = if self.zones.is_empty() {
            mailaudit::app::context::expand_zone_paths(&campaign.zones).expect("campaign zones")
        } else {
            self.zone_files()
        };
        let resolver = Resolver::offline(ZoneSet::load_files(&zones).expect("zones load"));
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let mut findings = Vec::new();
        check_campaign::<Box<dyn std::error::Error>>(
            &campaign,
            &resolver,
            runtime.handle(),
            &rules,
            &CheckOptions::default(),
            |done| {
                findings.extend(TargetResult::from(done.expect("no audit panics")).findings);
                Ok(())
            },
        )
        .expect("the check runs");
        findings
    }
}

/// `draft` with its `@FILL@` line replaced by `A`s so that it is `size` bytes long, written
/// to a directory of its own under the target's temporary directory (same file name).
fn filled(draft: &str, size: usize) -> PathBuf {
    const MARK: &str = "@FILL@\n";
    let text = std::fs::read_to_string(root().join(draft)).expect("draft to fill read");
    let at = text
        .find(MARK)
        .unwrap_or_else(|| panic!("{draft}: `fill_to` needs a line `@FILL@`"));
    let need = (size + MARK.len())
        .checked_sub(text.len())
        .unwrap_or_else(|| panic!("{draft} is longer than fill_to = {size}"));
    let mut fill = String::with_capacity(need);
    while fill.len() < need {
        let line = (need - fill.len()).min(76);
        fill.extend(std::iter::repeat_n('A', line - 1));
        fill.push('\n');
    }
    let out = format!("{}{fill}{}", &text[..at], &text[at + MARK.len()..]);
    assert_eq!(out.len(), size, "{draft} filled");
    // Moved into place whole: tests run in parallel.
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "contract-fill-{size}-{}",
        draft.replace(['/', '.'], "-")
    ));
    std::fs::create_dir_all(&dir).expect("fill directory");
    let path = dir.join(Path::new(draft).file_name().expect("a draft file name"));
    let part = dir.join(format!(".{}-{n}.part", std::process::id()));
    std::fs::write(&part, out).expect("filled draft written");
    std::fs::rename(&part, &path).expect("filled draft in place");
    path
}

/// Run `f` with the repository root as the working directory (draft targets and locations are
/// the paths as given, as on the command line). Tests run in the package root already.
fn with_root(f: impl FnOnce()) {
    assert_eq!(
        std::env::current_dir().unwrap(),
        root(),
        "integration tests run in the package root"
    );
    f()
}

/// The finding message a rule's documented example shows: the text after
/// `"{severity} {id}: "` and the lines that continue it, up to a blank line, joined by spaces.
fn documented(rules: &Rules, id: &str) -> Option<String> {
    let meta = rules.get(id)?;
    let prefix = format!("{} {id}: ", meta.severity);
    let mut lines = meta.example.lines();
    let first = lines.find_map(|line| line.strip_prefix(&prefix))?;
    let mut text = first.trim().to_string();
    for line in lines.take_while(|l| !l.trim().is_empty()) {
        text.push(' ');
        text.push_str(line.trim());
    }
    Some(text)
}

fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn of_rule<'a>(findings: &'a [Finding], id: &str) -> Vec<&'a Finding> {
    findings.iter().filter(|f| f.rule == id).collect()
}

fn ids(findings: &[Finding]) -> Vec<&str> {
    findings.iter().map(|f| f.rule.as_str()).collect()
}

/// The rules whose documented example is not reproduced yet (`example_todo`). This list may
/// only shrink: a rule not on it cannot carry `example_todo` (a new rule comes with its
/// documented example), and a rule on it must still carry it (remove it here when its
/// `example` input lands).
const EXAMPLE_TODO: &[&str] = &[
    // Campaign rules: the example's campaign is still to be written, and its message may be
    // out of date.
    "dmarc/would-fail",
    // The harness loads the campaign by its absolute path, the example names it relatively.
    "campaign/from-mismatch",
    // Needs a file its reader cannot open (chmod 000), which root can read.
    "message/unreadable",
    // The documentation and the check disagree (see the manifest): for the lead to decide.
    "body/hidden-text",
    "template/merge-tag-syntax",
];

/// The rules whose documented example the check does not reproduce (`example_unchecked`, with
/// the reason in the manifest). This list may only shrink, as `EXAMPLE_TODO`.
const EXAMPLE_UNCHECKED: &[&str] = &[
    "spf/ip-not-permitted",
    "domain/low-auth-score",
    "message/missing-header",
];

/// The rules whose firing input is not checked against a SERVFAIL server
/// (`servfail_unchecked`, with the reason in the manifest). This list may only shrink, as
/// `EXAMPLE_TODO`.
const SERVFAIL_UNCHECKED: &[&str] = &["domain/invalid-name"];

/// An escape hatch of a manifest entry, and the list of the rules allowed to use it.
fn escape_hatches(entry: &Entry) -> [(&'static str, bool, &'static [&'static str]); 3] {
    [
        ("example_todo", entry.example_todo.is_some(), EXAMPLE_TODO),
        (
            "example_unchecked",
            entry.example_unchecked.is_some(),
            EXAMPLE_UNCHECKED,
        ),
        (
            "servfail_unchecked",
            entry.servfail_unchecked.is_some(),
            SERVFAIL_UNCHECKED,
        ),
    ]
}

/// The escape hatches of `entry` against their lists in this file.
fn check_hatches(shown: &str, entry: &Entry, problems: &mut Vec<String>) {
    let id = entry.id.as_str();
    for (key, used, allowed) in escape_hatches(entry) {
        let listed = allowed.contains(&id);
        if used && !listed {
            problems.push(format!(
                "{id} carries `{key}` in {shown}, but is not among the rules allowed to (tests/integration/contract.rs, {}): give it the input it lacks instead",
                key.to_uppercase()
            ));
        }
        if listed && !used {
            problems.push(format!(
                "{id} no longer carries `{key}` in {shown}: remove it from {} in tests/integration/contract.rs",
                key.to_uppercase()
            ));
        }
    }
}

/// Check every rule of `family` against its manifest; the problems found, one line each.
fn check_family(family: &Family) -> Vec<String> {
    let name = family.name;
    let path = manifest_path(name);
    let shown = format!("fixtures/contract/{name}.toml");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) => {
            return vec![format!(
                "family {name}: no contract manifest {shown} ({e}): add it with one [[rule]] per rule of the family"
            )];
        }
    };
    let manifest: Manifest = match toml::from_str(&text) {
        Ok(m) => m,
        Err(e) => return vec![format!("{shown}: {e}")],
    };
    let mut problems = Vec::new();
    for entry in &manifest.rule {
        if !family.rules.iter().any(|id| *id == entry.id.as_str()) {
            problems.push(format!(
                "{shown} lists {}, which is not a rule of the registry's {name} family",
                entry.id
            ));
        }
        if manifest.rule.iter().filter(|e| e.id == entry.id).count() > 1 {
            problems.push(format!("{shown} lists {} more than once", entry.id));
        }
    }
    for id in family.rules {
        let Some(entry) = manifest.rule.iter().find(|e| e.id == id.as_str()) else {
            problems.push(format!(
                "rule {id} of family {name} has no fixture pair: add [[rule]] id = \"{id}\" with a `fires` and a `silent` input to {shown} (drafts under fixtures/drafts/rules/, records in fixtures/zones/, stats in fixtures/stats/)"
            ));
            continue;
        };
        check_hatches(&shown, entry, &mut problems);
        check_entry(
            &shown,
            entry,
            entry.located.unwrap_or(manifest.located),
            &mut problems,
        );
    }
    problems.dedup();
    problems
}

fn check_entry(shown: &str, entry: &Entry, located: bool, problems: &mut Vec<String>) {
    let id = entry.id.as_str();
    let rules = rules_for(&entry.fires);
    if rules.get(id).is_none() {
        problems.push(format!("{id}: no rule data in rules/*.toml"));
        return;
    }
    let fired = entry.fires.run();
    let hits = of_rule(&fired, id);
    if hits.is_empty() {
        problems.push(format!(
            "{id}: its firing input ({shown}) yields no {id} finding; it yields {:?}",
            ids(&fired)
        ));
    }
    for hit in &hits {
        if hit.help.is_empty() || hit.reference.is_empty() {
            problems.push(format!("{id}: a finding without help or reference"));
        }
        if located && hit.location.is_none() {
            problems.push(format!(
                "{id}: a finding without a location: {}",
                hit.message
            ));
        }
    }
    let silent = entry.silent.run();
    if let Some(f) = of_rule(&silent, id).first() {
        problems.push(format!(
            "{id}: its silent input ({shown}) yields {id}: {}",
            f.message
        ));
    }

    match (
        entry.example_unchecked.as_ref().or(entry.example_todo.as_ref()),
        documented(&rules, id),
    ) {
        (Some(_), _) => {}
        (None, None) => problems.push(format!(
            "{id}: the example in rules/ shows no \"{} {id}: ...\" line; say why in `example_unchecked` in {shown}",
            rules.get(id).unwrap().severity
        )),
        (None, Some(want)) => {
            let findings = match &entry.example {
                Some(example) => example.run(),
                None => fired.clone(),
            };
            let got: Vec<String> = of_rule(&findings, id)
                .iter()
                .map(|f| one_line(&f.message))
                .collect();
            let matches = |m: &String| match want.strip_suffix(" ...") {
                Some(head) => m.starts_with(head),
                None => *m == want,
            };
            if !got.iter().any(matches) {
                let input = if entry.example.is_some() {
                    "example"
                } else {
                    "firing"
                };
                problems.push(format!(
                    "{id}: documented example {want:?}, but its {input} input ({shown}) says {got:?}"
                ));
            }
        }
    }

    if entry.fires.is_dns() && !hits.is_empty() {
        check_live(id, &entry.fires, entry, &fired, problems);
    }
}

/// The firing input over live DNS: the same findings as offline, and SERVFAIL for every query
/// is `dns/inconclusive`, never the rule.
fn check_live(
    id: &str,
    input: &Input,
    entry: &Entry,
    offline: &[Finding],
    problems: &mut Vec<String>,
) {
    if !input.timeout.is_empty() {
        // A zone file cannot say "this name times out"; the timeout is the SERVFAIL check.
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let files = input.zone_files();
    let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let server = runtime.block_on(support::dns_server::start(&refs));
    let rules = rules_for(input);
    let request = input.request();
    let live = {
        let _guard = runtime.enter();
        Resolver::live(server.live_config()).expect("live resolver")
    };
    let got = runtime
        .block_on(audit_domain(&live, &rules, &request))
        .findings;
    if got != offline {
        problems.push(format!(
            "{id}: live DNS gives {:?}, offline {:?}",
            ids(&got),
            ids(offline)
        ));
    }
    if entry.servfail_unchecked.is_some() {
        return;
    }
    server.servfail_everything();
    let fresh = {
        let _guard = runtime.enter();
        Resolver::live(server.live_config()).expect("live resolver")
    };
    let got = runtime
        .block_on(audit_domain(&fresh, &rules, &request))
        .findings;
    if !got.iter().any(|f| f.rule == "dns/inconclusive")
        || (id != "dns/inconclusive" && got.iter().any(|f| f.rule == id))
    {
        problems.push(format!(
            "{id}: with SERVFAIL for every query, the audit gives {:?}: want dns/inconclusive and no {id}",
            ids(&got)
        ));
    }
}

fn family(name: &str) -> &'static Family {
    FAMILIES
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no family {name} in the registry"))
}

fn assert_contract(name: &str) {
    let problems = check_family(family(name));
    assert!(
        problems.is_empty(),
        "family contract of {name}:\n{}",
        problems.join("\n")
    );
}

/// The families a test below checks; `every_family_has_a_contract_test` holds it to the
/// registry.
const TESTED: &[&str] = &[
    "spf", "domain", "dkim", "dmarc", "mx", "message", "sender", "reports", "list", "feedback",
    "campaign", "config", "dns",
];

#[test]
fn every_family_has_a_contract_test() {
    let registered: Vec<&str> = FAMILIES.iter().map(|f| f.name).collect();
    assert_eq!(
        registered, TESTED,
        "a family was added to or removed from the registry: add or remove its contract test and fixtures/contract/<family>.toml"
    );
}

#[test]
fn no_manifest_without_a_family() {
    for entry in std::fs::read_dir(root().join("fixtures/contract")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            assert!(
                TESTED.contains(&stem.as_str()),
                "{}: no family {stem} in the registry",
                path.display()
            );
        }
    }
}

#[test]
fn escape_hatch_lists_name_registered_rules() {
    for (key, list) in [
        ("EXAMPLE_TODO", EXAMPLE_TODO),
        ("EXAMPLE_UNCHECKED", EXAMPLE_UNCHECKED),
        ("SERVFAIL_UNCHECKED", SERVFAIL_UNCHECKED),
    ] {
        for id in list {
            assert!(
                FAMILIES.iter().any(|f| f.rules.iter().any(|r| *r == *id)),
                "{key} lists {id}, which is not a rule of the registry: remove it"
            );
        }
    }
}

#[test]
fn spf() {
    assert_contract("spf");
}

#[test]
fn domain() {
    assert_contract("domain");
}

#[test]
fn dkim() {
    assert_contract("dkim");
}

#[test]
fn dmarc() {
    assert_contract("dmarc");
}

#[test]
fn mx() {
    assert_contract("mx");
}

#[test]
fn message() {
    assert_contract("message");
}

#[test]
fn sender() {
    assert_contract("sender");
}

#[test]
fn reports() {
    assert_contract("reports");
}

#[test]
fn feedback() {
    assert_contract("feedback");
}

#[test]
fn list() {
    assert_contract("list");
}

#[test]
fn campaign() {
    assert_contract("campaign");
}

#[test]
fn config() {
    assert_contract("config");
}

#[test]
fn dns() {
    assert_contract("dns");
}
