//! SARIF 2.1.0 output (`--format sarif`), for code scanning (GitHub's `upload-sarif`) and
//! SARIF viewers.
//!
//! One run; `tool.driver.rules` holds only the rules that fired, sorted by id, each with its
//! title, what it checks, and help (why it matters, an example, how to fix) in text and
//! Markdown. Every result has a location:
//!
//! - a finding with a line in a file (`Location::Line`) points there;
//! - a finding about a file without a line (a missing header of a draft) points at line 1 of
//!   that file, with the header as a logical location;
//! - a finding about a DNS target (domain, IP) points at the input line that named the target
//!   when the caller knows one ([`SarifContext::fallback`]: the campaign file, the
//!   `--domains-file`), else at line 1 of [`SarifContext::default_uri`] when the command sets
//!   one (`check`: the campaign file; `sender`: the first stats file), else at no file (never
//!   a zone file: it is where answers came from, not where the target was named), and always
//!   carries the domain (and the DNS record of a record span) as logical locations.
//!
//! Each result has a stable partial fingerprint, [`FINGERPRINT_KEY`]; see [`fingerprint`].
//! A finding an ignore waived stays a result, after its target's findings, with a
//! `suppressions` entry (`external`: an `[[ignore]]`; `inSource`: the draft's
//! `X-Mailaudit-Ignore`); the run's properties carry the verdict.

use super::RenderContext;
use super::json::v1::ModeV1;
use crate::finding::{Finding, Location, Severity};
use crate::rules::{RuleMeta, Rules};
use crate::run::{Kind, Report, Suppression, SuppressionSource, TargetResult};
use serde::Serialize;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

pub const SARIF_VERSION: &str = "2.1.0";
/// The official schema of SARIF 2.1.0 (errata 01), a copy of which is in
/// `fixtures/schema/sarif-2.1.0.json`.
pub const SARIF_SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
/// The key of the one partial fingerprint each result carries.
pub const FINGERPRINT_KEY: &str = "mailauditFinding/v1";
/// Relative URIs are relative to the directory the tool ran in: the repository root in CI.
pub const SRCROOT: &str = "%SRCROOT%";

/// Where the inputs of a run named its targets, so that findings without a file of their own
/// (DNS findings about a domain or an IP) can point somewhere in the repository. The app
/// fills it: the campaign file's line for each domain and IP it names, the `--domains-file`
/// line of each domain, and a default file for `check` (the campaign) and `sender` (the
/// first stats file); zone files are never a location.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SarifContext {
    /// Target (domain or IP, compared case-insensitively and without a trailing dot) ->
    /// (path of the input file, 1-based line that names it).
    pub fallback: HashMap<String, (String, u32)>,
    /// The file (its line 1) for a target that no input line names; without it such a
    /// finding has only logical locations.
    pub default_uri: Option<String>,
    /// The directory the run's relative paths are relative to (the working directory).
    /// Absolute paths under it are written relative to it, so reports do not depend on
    /// where the repository was checked out.
    pub root: Option<PathBuf>,
}

impl SarifContext {
    pub fn new() -> SarifContext {
        SarifContext::default()
    }

    /// Record that `path` line `line` names `target`. The first line recorded for a target
    /// wins (a campaign naming the same domain as From and envelope domain).
    pub fn add_fallback(&mut self, target: &str, path: impl Into<String>, line: u32) {
        self.fallback
            .entry(target_key(target))
            .or_insert_with(|| (path.into(), line.max(1)));
    }

    /// The input line that names `target`, if one does.
    pub fn fallback_for(&self, target: &str) -> Option<(&str, u32)> {
        self.fallback
            .get(&target_key(target))
            .map(|(path, line)| (path.as_str(), *line))
    }

    /// `path` as reports show it: relative to [`SarifContext::root`] when it is under it,
    /// with `/` separators and without a leading `./`.
    pub fn display_path<'p>(&self, path: &'p str) -> Cow<'p, str> {
        let mut shown: Cow<'p, str> = Cow::Borrowed(path);
        if let Some(root) = &self.root
            && let Ok(rest) = Path::new(path).strip_prefix(root)
            && !rest.as_os_str().is_empty()
        {
            shown = Cow::Owned(rest.to_string_lossy().into_owned());
        }
        if shown.contains('\\') {
            shown = Cow::Owned(shown.replace('\\', "/"));
        }
        let mut trimmed: &str = &shown;
        while let Some(rest) = trimmed.strip_prefix("./") {
            trimmed = rest.trim_start_matches('/');
        }
        if trimmed.len() == shown.len() {
            shown
        } else {
            Cow::Owned(trimmed.to_string())
        }
    }
}

/// True for result kinds whose target is a path (a draft, a directory of drafts, a
/// configuration file): a finding about one of them without a line points at the path itself.
pub(crate) fn is_file_kind(kind: Kind) -> bool {
    match kind {
        Kind::Draft
        | Kind::Sequence
        | Kind::Directory
        | Kind::Config
        | Kind::Report
        | Kind::Feedback
        | Kind::RecipientList => true,
        Kind::Domain | Kind::Spf | Kind::Campaign | Kind::Sender | Kind::ReportDomain => false,
    }
}

fn target_key(target: &str) -> String {
    target.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// Where a finding is shown: a file and line when one is known, and logical locations (the
/// domain, the DNS record, the header) that say what in it the finding is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Anchor {
    /// Display path (see [`SarifContext::display_path`]) and 1-based line.
    pub file: Option<(String, u32)>,
    /// The file is the input line that named a DNS target, not the finding's own location.
    pub named_here: Option<String>,
    pub logical: Vec<Logical>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Logical {
    pub name: String,
    pub kind: &'static str,
    /// Byte span `[start, end)` in a DNS record.
    pub span: Option<(usize, usize)>,
}

/// Settle where `finding` (of `result`) is shown; see the module documentation.
pub(crate) fn anchor(ctx: &SarifContext, result: &TargetResult, finding: &Finding) -> Anchor {
    let file_kind = is_file_kind(result.kind);
    let mut logical = Vec::new();
    let mut file = None;
    let mut named_here = None;
    match &finding.location {
        Some(Location::Line { file: path, line }) => {
            file = Some((ctx.display_path(path).into_owned(), (*line).max(1)));
        }
        Some(Location::Header(header)) => logical.push(Logical {
            name: header.clone(),
            kind: "property",
            span: None,
        }),
        Some(Location::RecordSpan { record, start, end }) => logical.push(Logical {
            name: record.clone(),
            kind: "resource",
            span: Some((*start, *end)),
        }),
        None => {}
    }
    if file.is_none() && file_kind {
        // A draft (or directory, or configuration file) is its own artifact; a report is
        // the file that held it (its target may name a part inside).
        let path = match &result.facts {
            crate::run::Facts::Report(report) => report.file.as_str(),
            _ => result.target.as_str(),
        };
        file = Some((ctx.display_path(path).into_owned(), 1));
    }
    if file.is_none() {
        let named = [finding.target.as_str(), result.target.as_str()]
            .into_iter()
            .find_map(|target| ctx.fallback_for(target).map(|at| (target, at)));
        if let Some((target, (path, line))) = named {
            file = Some((ctx.display_path(path).into_owned(), line));
            named_here = Some(target.to_string());
        } else if let Some(path) = &ctx.default_uri {
            file = Some((ctx.display_path(path).into_owned(), 1));
        }
    }
    if !file_kind {
        // The finding's domain, then the audited domain it was found under (an include).
        for name in [&finding.target, &result.target] {
            if !logical.iter().any(|l| &l.name == name) {
                logical.push(Logical {
                    name: name.clone(),
                    kind: "resource",
                    span: None,
                });
            }
        }
    }
    Anchor {
        file,
        named_here,
        logical,
    }
}

/// The base of a finding's fingerprint: 64-bit FNV-1a, as 16 hex digits, over
/// `mailauditFinding/v1`, the rule id, the target (as a display path), the location without
/// its line or byte offsets (the file of a line, the header name, the DNS record name), and
/// the message with each run of digits replaced by `0` — so a finding keeps its identity when
/// a measured value changes (12 lookups -> 13) or lines move in the draft. The fields are
/// separated by NUL bytes. FNV-1a is fixed by its definition, unlike std's `DefaultHasher`,
/// so the value is the same on every platform and Rust version.
///
/// The partial fingerprint written to SARIF is this base, `:`, and the 1-based occurrence of
/// the base in report order, so two findings that normalize the same stay distinct.
pub fn fingerprint(ctx: &SarifContext, finding: &Finding) -> String {
    let mut hash = Fnv1a::new();
    hash.field(FINGERPRINT_KEY);
    hash.field(&finding.rule);
    hash.field(&ctx.display_path(&finding.target));
    match &finding.location {
        Some(Location::Line { file, .. }) => {
            hash.field("line");
            hash.field(&ctx.display_path(file));
        }
        Some(Location::Header(name)) => {
            hash.field("header");
            hash.field(&name.to_ascii_lowercase());
        }
        Some(Location::RecordSpan { record, .. }) => {
            hash.field("record");
            hash.field(&target_key(record));
        }
        None => hash.field("none"),
    }
    hash.field(&normalize_message(&finding.message));
    format!("{:016x}", hash.0)
}

/// Digit runs become `0`, whitespace runs one space.
fn normalize_message(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut in_digits = false;
    let mut in_space = false;
    for c in message.trim().chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                out.push('0');
            }
            in_digits = true;
            in_space = false;
        } else if c.is_whitespace() {
            if !in_space {
                out.push(' ');
            }
            in_space = true;
            in_digits = false;
        } else {
            out.push(c);
            in_digits = false;
            in_space = false;
        }
    }
    out
}

/// 64-bit FNV-1a (offset basis 0xcbf29ce484222325, prime 0x100000001b3).
struct Fnv1a(u64);

impl Fnv1a {
    fn new() -> Fnv1a {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 ^= u64::from(*byte);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    /// One field, then a NUL separator.
    fn field(&mut self, text: &str) {
        self.write(text.as_bytes());
        self.write(&[0]);
    }
}

/// SARIF's level for a severity.
pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// A URI reference for a display path: percent-encoded, relative to [`SRCROOT`] unless the
/// path is absolute (then a `file://` URI). Returns (uri, uriBaseId).
pub fn artifact_uri(path: &str) -> (String, Option<&'static str>) {
    let absolute = path.starts_with('/') || Path::new(path).is_absolute();
    let mut uri = String::with_capacity(path.len() + 8);
    if absolute {
        uri.push_str("file://");
        if !path.starts_with('/') {
            uri.push('/');
        }
    }
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                uri.push(char::from(byte))
            }
            _ => {
                let _ = write!(uri, "%{byte:02X}");
            }
        }
    }
    (uri, if absolute { None } else { Some(SRCROOT) })
}

/// Write the report as a SARIF 2.1.0 log (pretty-printed JSON and a newline).
pub fn write(report: &Report, ctx: &RenderContext<'_>, out: &mut dyn Write) -> io::Result<()> {
    let builtin;
    let rules = match ctx.rules {
        Some(rules) => Some(rules),
        None => {
            builtin = Rules::builtin().ok();
            builtin.as_ref()
        }
    };
    let default_locations = SarifContext::default();
    let locations = ctx.locations.unwrap_or(&default_locations);
    let log = build(report, rules, locations);
    super::json::write_pretty(&log, out)
}

fn build<'a>(report: &'a Report, rules: Option<&'a Rules>, ctx: &SarifContext) -> Log<'a> {
    let results = report.sorted_results();
    // Each result's findings, then the findings its ignores waived (which stay in the log,
    // with their suppressions, as code scanning expects).
    let entries: Vec<(&TargetResult, &Finding, Option<&Suppression>)> = results
        .iter()
        .flat_map(|result| {
            let findings = result
                .sorted_findings()
                .into_iter()
                .map(move |finding| (*result, finding, None));
            let waived = result
                .suppressed
                .iter()
                .map(move |s| (*result, &s.finding, Some(s)));
            findings.chain(waived)
        })
        .collect();
    let fired: BTreeSet<&str> = entries.iter().map(|(_, f, _)| f.rule.as_str()).collect();
    let index: HashMap<&str, usize> = fired.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let descriptors = fired
        .iter()
        .map(|id| descriptor(id, rules.and_then(|r| r.get(id))))
        .collect();

    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut sarif_results = Vec::new();
    for (result, finding, suppression) in entries {
        let base = fingerprint(ctx, finding);
        let count = seen.entry(base.clone()).or_insert(0);
        *count += 1;
        let mut fingerprints = BTreeMap::new();
        fingerprints.insert(FINGERPRINT_KEY, format!("{base}:{count}"));
        sarif_results.push(SarifResult {
            rule_id: &finding.rule,
            // Every fired rule is in the index: it was built from these findings.
            rule_index: index
                .get(finding.rule.as_str())
                .copied()
                .unwrap_or_default(),
            level: level(finding.severity),
            message: Message {
                text: finding.message.clone(),
            },
            locations: vec![location(ctx, result, finding)],
            suppressions: suppression
                .map(|s| vec![sarif_suppression(ctx, s)])
                .unwrap_or_default(),
            partial_fingerprints: fingerprints,
            properties: ResultProperties {
                target: &finding.target,
                kind: result.kind.as_str(),
                reference: &finding.reference,
                help: &finding.help,
            },
        });
    }

    Log {
        schema: SARIF_SCHEMA,
        version: SARIF_VERSION,
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: env!("CARGO_PKG_NAME"),
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    information_uri: information_uri(),
                    rules: descriptors,
                },
            },
            results: sarif_results,
            properties: RunProperties {
                command: &report.command,
                mode: ModeV1::from_mode(&report.mode),
                verdict: report.verdict().as_str(),
            },
        }],
    }
}

/// A waived finding's suppression: `external` for an `[[ignore]]` of a configuration file,
/// `inSource` for the draft's own `X-Mailaudit-Ignore` header; the reason as justification,
/// and the ignore's file and line as its location.
fn sarif_suppression(ctx: &SarifContext, suppression: &Suppression) -> SarifSuppression {
    let (uri, uri_base_id) = artifact_uri(&ctx.display_path(&suppression.file));
    SarifSuppression {
        kind: match suppression.source {
            SuppressionSource::Config => "external",
            SuppressionSource::Inline => "inSource",
        },
        justification: suppression.reason.clone(),
        location: SarifLocation {
            physical_location: Some(PhysicalLocation {
                artifact_location: ArtifactLocation { uri, uri_base_id },
                region: Region {
                    start_line: suppression.line.unwrap_or(1).max(1),
                },
            }),
            logical_locations: Vec::new(),
            message: None,
        },
    }
}

/// The project's homepage or repository from Cargo.toml, when it names one.
fn information_uri() -> Option<&'static str> {
    [env!("CARGO_PKG_HOMEPAGE"), env!("CARGO_PKG_REPOSITORY")]
        .into_iter()
        .find(|uri| !uri.is_empty())
}

fn location(ctx: &SarifContext, result: &TargetResult, finding: &Finding) -> SarifLocation {
    let anchor = anchor(ctx, result, finding);
    let physical_location = anchor.file.map(|(path, line)| {
        let (uri, uri_base_id) = artifact_uri(&path);
        PhysicalLocation {
            artifact_location: ArtifactLocation { uri, uri_base_id },
            region: Region { start_line: line },
        }
    });
    let logical_locations = anchor
        .logical
        .into_iter()
        .map(|logical| LogicalLocation {
            properties: logical.span.map(|(start, end)| SpanProperties {
                byte_start: start,
                byte_end: end,
            }),
            name: logical.name,
            kind: logical.kind,
        })
        .collect();
    SarifLocation {
        physical_location,
        logical_locations,
        message: anchor.named_here.map(|target| Message {
            text: format!("{target} is named here"),
        }),
    }
}

fn descriptor<'a>(id: &'a str, meta: Option<&'a RuleMeta>) -> Descriptor<'a> {
    let area = id.split('/').next().unwrap_or(id);
    let Some(meta) = meta else {
        return Descriptor {
            id,
            name: pascal_case(id),
            short_description: None,
            full_description: None,
            help: None,
            default_configuration: None,
            properties: DescriptorProperties {
                tags: vec![area],
                reference: None,
            },
        };
    };
    Descriptor {
        id,
        name: pascal_case(id),
        short_description: Some(Text {
            text: meta.title.trim().to_string(),
            markdown: None,
        }),
        full_description: Some(Text {
            text: unwrap_paragraphs(&meta.what),
            markdown: None,
        }),
        help: Some(help(meta)),
        default_configuration: Some(Configuration {
            level: level(meta.severity),
        }),
        properties: DescriptorProperties {
            tags: vec![area],
            reference: Some(meta.reference.trim()),
        },
    }
}

/// The rule's documentation: why it matters, an example, how to fix, the reference.
fn help(meta: &RuleMeta) -> Text {
    let why = unwrap_paragraphs(&meta.why);
    let example = meta.example.trim();
    let fix = unwrap_paragraphs(&meta.fix);
    let reference = meta.reference.trim();
    let text = format!(
        "{}\n\nWhy it matters: {why}\n\nExample:\n{example}\n\nHow to fix: {fix}\n\nReference: {reference}",
        meta.help.trim()
    );
    let fence = "`".repeat(longest_backtick_run(example).max(2) + 1);
    let markdown = format!(
        "{}\n\n**Why it matters**\n\n{}\n\n**Example**\n\n{fence}text\n{example}\n{fence}\n\n**How to fix**\n\n{}\n\n**Reference:** {}",
        markdown_escape(meta.help.trim()),
        markdown_paragraphs(&meta.why),
        markdown_paragraphs(&meta.fix),
        markdown_escape(reference),
    );
    Text {
        text,
        markdown: Some(markdown),
    }
}

/// A piece of rule documentation: prose (wrapped at ~95 columns in the data), a list of
/// `- ` items (continued on indented lines), or preformatted lines (records, commands).
#[derive(Debug, PartialEq, Eq)]
enum Block<'t> {
    Prose(String),
    List(Vec<String>),
    Pre(Vec<&'t str>),
}

/// The blocks of each blank-line separated paragraph. A paragraph that starts indented, or
/// has an indented line outside a list, is preformatted.
fn blocks(text: &str) -> Vec<Vec<Block<'_>>> {
    let mut paragraphs: Vec<Vec<&str>> = Vec::new();
    let mut current = Vec::new();
    for line in text.trim_matches('\n').lines() {
        if line.trim().is_empty() {
            if !current.is_empty() {
                paragraphs.push(std::mem::take(&mut current));
            }
        } else {
            current.push(line.trim_end());
        }
    }
    if !current.is_empty() {
        paragraphs.push(current);
    }
    paragraphs.into_iter().map(paragraph_blocks).collect()
}

fn paragraph_blocks(lines: Vec<&str>) -> Vec<Block<'_>> {
    let indented = |line: &str| line.starts_with(char::is_whitespace);
    let mut out = Vec::new();
    let mut prose: Vec<&str> = Vec::new();
    let mut items: Vec<String> = Vec::new();
    for line in &lines {
        if let Some(item) = line.strip_prefix("- ") {
            if !prose.is_empty() {
                out.push(Block::Prose(prose.join(" ")));
                prose.clear();
            }
            items.push(item.trim().to_string());
        } else if indented(line) {
            match items.last_mut() {
                Some(item) => {
                    item.push(' ');
                    item.push_str(line.trim());
                }
                None => return vec![Block::Pre(lines)],
            }
        } else {
            if !items.is_empty() {
                out.push(Block::List(std::mem::take(&mut items)));
            }
            prose.push(line.trim());
        }
    }
    if !items.is_empty() {
        out.push(Block::List(items));
    }
    if !prose.is_empty() {
        out.push(Block::Prose(prose.join(" ")));
    }
    out
}

/// Rule documentation as plain text: prose paragraphs on one line each, list items on their
/// own lines, preformatted lines as they are.
fn unwrap_paragraphs(text: &str) -> String {
    blocks(text)
        .into_iter()
        .map(|paragraph| {
            paragraph
                .into_iter()
                .map(|block| match block {
                    Block::Prose(text) => text,
                    Block::List(items) => items
                        .iter()
                        .map(|item| format!("- {item}"))
                        .collect::<Vec<_>>()
                        .join("\n"),
                    Block::Pre(lines) => lines.join("\n"),
                })
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// Rule documentation as Markdown: prose escaped, lists as lists, preformatted lines fenced.
fn markdown_paragraphs(text: &str) -> String {
    blocks(text)
        .into_iter()
        .flatten()
        .map(|block| match block {
            Block::Prose(text) => markdown_escape(&text),
            Block::List(items) => items
                .iter()
                .map(|item| format!("- {}", markdown_escape(item)))
                .collect::<Vec<_>>()
                .join("\n"),
            Block::Pre(lines) => {
                let body = lines
                    .iter()
                    .map(|line| line.strip_prefix("  ").unwrap_or(line))
                    .collect::<Vec<_>>()
                    .join("\n");
                let fence = "`".repeat(longest_backtick_run(&body).max(2) + 1);
                format!("{fence}text\n{body}\n{fence}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

/// Backslash-escape the ASCII punctuation Markdown would interpret.
fn markdown_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '{' | '}' | '!'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `spf/lookup-limit` -> `SpfLookupLimit`.
fn pascal_case(id: &str) -> String {
    id.split(['/', '-', '_', '.'])
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

// The SARIF object model, as far as this renderer uses it.

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run<'a>>,
}

#[derive(Serialize)]
struct Run<'a> {
    tool: Tool<'a>,
    results: Vec<SarifResult<'a>>,
    properties: RunProperties<'a>,
}

#[derive(Serialize)]
struct RunProperties<'a> {
    command: &'a str,
    mode: ModeV1<'a>,
    /// The gate's verdict at the run's `--fail-on` ("pass", "fail", "incomplete").
    verdict: &'static str,
}

#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    information_uri: Option<&'static str>,
    rules: Vec<Descriptor<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor<'a> {
    id: &'a str,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    short_description: Option<Text>,
    #[serde(skip_serializing_if = "Option::is_none")]
    full_description: Option<Text>,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<Text>,
    #[serde(skip_serializing_if = "Option::is_none")]
    default_configuration: Option<Configuration>,
    properties: DescriptorProperties<'a>,
}

#[derive(Serialize)]
struct DescriptorProperties<'a> {
    tags: Vec<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reference: Option<&'a str>,
}

#[derive(Serialize)]
struct Text {
    text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    markdown: Option<String>,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'a str,
    rule_index: usize,
    level: &'static str,
    message: Message,
    locations: Vec<SarifLocation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<SarifSuppression>,
    partial_fingerprints: BTreeMap<&'static str, String>,
    properties: ResultProperties<'a>,
}

#[derive(Serialize)]
struct SarifSuppression {
    kind: &'static str,
    justification: String,
    location: SarifLocation,
}

#[derive(Serialize)]
struct ResultProperties<'a> {
    target: &'a str,
    kind: &'a str,
    reference: &'a str,
    help: &'a str,
}

#[derive(Serialize)]
struct Message {
    text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifLocation {
    #[serde(skip_serializing_if = "Option::is_none")]
    physical_location: Option<PhysicalLocation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    logical_locations: Vec<LogicalLocation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Message>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
}

#[derive(Serialize)]
struct LogicalLocation {
    name: String,
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    properties: Option<SpanProperties>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SpanProperties {
    byte_start: usize,
    byte_end: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_the_published_test_vectors() {
        let hash = |text: &str| {
            let mut h = Fnv1a::new();
            h.write(text.as_bytes());
            h.0
        };
        assert_eq!(hash(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(hash("a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(hash("foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn messages_lose_their_numbers_and_extra_spaces() {
        assert_eq!(
            normalize_message(" 12 lookups  (limit 10) at 1.5% "),
            "0 lookups (limit 0) at 0.0%"
        );
    }

    #[test]
    fn paths_become_uri_references() {
        assert_eq!(
            artifact_uri("drafts/01 intro.eml"),
            ("drafts/01%20intro.eml".to_string(), Some(SRCROOT))
        );
        assert_eq!(
            artifact_uri("/tmp/a:b/c.eml"),
            ("file:///tmp/a%3Ab/c.eml".to_string(), None)
        );
        assert_eq!(artifact_uri("é.eml").0, "%C3%A9.eml");
    }

    #[test]
    fn display_paths_are_relative_to_the_root() {
        let ctx = SarifContext {
            root: Some(PathBuf::from("/repo")),
            ..SarifContext::default()
        };
        assert_eq!(ctx.display_path("/repo/drafts/a.eml"), "drafts/a.eml");
        assert_eq!(ctx.display_path("./drafts/a.eml"), "drafts/a.eml");
        assert_eq!(ctx.display_path("/elsewhere/a.eml"), "/elsewhere/a.eml");
        assert_eq!(ctx.display_path("drafts\\a.eml"), "drafts/a.eml");
    }

    #[test]
    fn fallback_targets_ignore_case_and_the_trailing_dot() {
        let mut ctx = SarifContext::new();
        ctx.add_fallback("Example.COM.", "campaign.toml", 3);
        ctx.add_fallback("example.com", "campaign.toml", 9);
        assert_eq!(ctx.fallback_for("example.com"), Some(("campaign.toml", 3)));
        assert_eq!(ctx.fallback_for("other.example"), None);
    }

    #[test]
    fn names_are_pascal_case() {
        assert_eq!(pascal_case("spf/lookup-limit"), "SpfLookupLimit");
        assert_eq!(pascal_case("dns/inconclusive"), "DnsInconclusive");
    }

    #[test]
    fn preformatted_paragraphs_keep_their_lines() {
        let text = "\nOne line\nwrapped here.\n\n  example.com.  TXT  \"v=spf1 -all\"\n  second.\n";
        assert_eq!(
            unwrap_paragraphs(text),
            "One line wrapped here.\n\n  example.com.  TXT  \"v=spf1 -all\"\n  second."
        );
        assert_eq!(
            markdown_paragraphs("Use <your provider> *now*."),
            "Use \\<your provider\\> \\*now\\*."
        );
    }

    #[test]
    fn lists_keep_their_items() {
        let text = "Counts terms:\n- include counts 1,\n  plus its terms.\n- ip4 does not.\nError over max.";
        assert_eq!(
            unwrap_paragraphs(text),
            "Counts terms:\n- include counts 1, plus its terms.\n- ip4 does not.\nError over max."
        );
        assert_eq!(
            markdown_paragraphs(text),
            "Counts terms:\n\n- include counts 1, plus its terms.\n- ip4 does not.\n\nError over max."
        );
    }
}
