//! The audit of one draft: read it (within `--max-size`), parse it, run the header,
//! unsubscribe and subject checks and the body analysis, and collect the facts.

use super::body::{BodyFacts, analyze_body};
use super::headers::{self, Sender};
use super::ignore::{self, InlineIgnore};
use super::parse::{self, PartSummary};
use super::sequence::Touch;
use super::subject;
use super::unsubscribe::{self, UnsubscribeFacts};
use crate::config::Ignore;
use crate::dkim::signature::{SignatureFacts, SignatureInput, check_signatures};
use crate::dns::{Resolver, ZoneSet};
use crate::finding::{Finding, Location};
use crate::message::rules::{TOO_LARGE, UNPARSEABLE, UNREADABLE};
use crate::rules::Rules;
use serde::Serialize;
use std::io::Read;
use std::path::Path;

/// The default of `--max-size`: 10 MB.
pub const DEFAULT_MAX_SIZE: u64 = 10_000_000;

/// How drafts are audited.
#[derive(Clone, Debug)]
pub struct DraftOptions {
    /// `--template`: the drafts are sequence templates with merge tags.
    pub template: bool,
    /// Drafts larger than this many bytes are not parsed (`message/too-large`).
    pub max_size: u64,
    /// DNS for verifying `DKIM-Signature`s; without it only the checks that need no key run.
    pub dkim: Option<DkimVerifier>,
}

impl Default for DraftOptions {
    fn default() -> DraftOptions {
        DraftOptions {
            template: false,
            max_size: DEFAULT_MAX_SIZE,
            dkim: None,
        }
    }
}

/// Where signed drafts get their keys: a resolver and the runtime its queries run on. Draft
/// workers are plain threads, so they block on the runtime for the few signed drafts.
#[derive(Clone)]
pub struct DkimVerifier {
    pub resolver: Resolver,
    pub runtime: tokio::runtime::Handle,
    /// The clock for `x=` expiry (Unix seconds); the system clock when `None`.
    pub now: Option<u64>,
}

impl std::fmt::Debug for DkimVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DkimVerifier")
            .field("offline", &self.resolver.is_offline())
            .finish()
    }
}

/// A summary of the header block.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct HeaderFacts {
    /// Number of fields in the top-level header block.
    pub count: usize,
    pub from_domain: Option<String>,
    pub from_name: Option<String>,
    pub reply_to_domain: Option<String>,
    /// Characters of the decoded Subject; None without a Subject. In template mode, as
    /// rendered: each merge tag at its fallback, or an eight-letter placeholder.
    pub subject_length: Option<usize>,
    pub date: bool,
    pub message_id: bool,
    /// In-Reply-To or References is present (the draft is a reply).
    pub reply: bool,
}

/// Everything measured for one draft. Recipients (To, Cc) and body text are never kept.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct DraftFacts {
    /// Size of the file in bytes.
    pub size: u64,
    /// The file was read and parsed as a message.
    pub parsed: bool,
    /// The file started with an mbox `From ` line (skipped).
    pub mbox_from_line: bool,
    pub template: bool,
    pub headers: Option<HeaderFacts>,
    pub unsubscribe: Option<UnsubscribeFacts>,
    /// The MIME leaf parts, in order.
    pub parts: Vec<PartSummary>,
    pub attachments: usize,
    /// The body analysis's facts (absent when the draft was not parsed).
    pub body: Option<Box<BodyFacts>>,
    /// Each `DKIM-Signature`: d=, s=, signed headers, alignment and, with DNS, the result.
    pub dkim_signatures: Vec<SignatureFacts>,
    /// The draft's `X-Mailaudit-Ignore` headers that were applied (absent when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub inline_ignores: Vec<InlineIgnore>,
}

/// The audit of one draft.
#[derive(Clone, Debug, Default)]
pub struct DraftAudit {
    /// The draft's path.
    pub target: String,
    pub facts: DraftFacts,
    pub findings: Vec<Finding>,
    /// The findings the draft's own `X-Mailaudit-Ignore` headers waived, each with the
    /// header as an ignore (source: the draft; line: the header's).
    pub suppressed: Vec<(Finding, Ignore)>,
    /// What the sequence checks need of this touch.
    pub touch: Touch,
}

impl DraftAudit {
    /// The audit of `target` before anything is known of its content.
    fn start(target: &str, options: &DraftOptions) -> DraftAudit {
        let mut audit = DraftAudit {
            target: target.to_string(),
            touch: Touch {
                file: target.to_string(),
                ..Touch::default()
            },
            ..DraftAudit::default()
        };
        audit.facts.template = options.template;
        audit
    }
}

/// Audit a draft held in memory; `target` names it (its path).
pub fn audit_draft(
    target: &str,
    bytes: &[u8],
    rules: &Rules,
    options: &DraftOptions,
) -> DraftAudit {
    let mut audit = DraftAudit::start(target, options);
    audit.facts.size = bytes.len() as u64;
    if bytes.len() as u64 > options.max_size {
        audit.findings.push(too_large(
            rules,
            target,
            bytes.len() as u64,
            options.max_size,
        ));
        return audit;
    }
    let draft = match parse::parse_draft(bytes) {
        Ok(draft) => draft,
        Err(problem) => {
            audit.findings.push(
                rules
                    .finding(
                        UNPARSEABLE,
                        target,
                        format!(
                            "not an RFC 5322 message: {} (line {})",
                            problem.reason, problem.line
                        ),
                    )
                    .at(Location::Line {
                        file: target.to_string(),
                        line: problem.line,
                    }),
            );
            return audit;
        }
    };
    audit.facts.parsed = true;
    audit.facts.mbox_from_line = draft.mbox_from_line;

    let sender = Sender::read(&draft);
    let from = sender.from_mailbox();
    let from_domain = from.and_then(|m| m.domain());
    let from_name = from.and_then(|m| m.name.clone());
    audit.touch.from_domain = from_domain.clone();
    audit.touch.from_name = from_name.clone();
    audit.touch.from_line = sender.from_line;
    audit.facts.headers = Some(HeaderFacts {
        count: draft.headers.len(),
        from_domain: from_domain.clone(),
        from_name,
        reply_to_domain: sender.reply_to.iter().find_map(|m| m.domain()),
        subject_length: draft
            .subject()
            .map(|s| subject::length(&s, options.template)),
        date: draft.has_header("Date"),
        message_id: draft.has_header("Message-ID"),
        reply: draft.has_header("In-Reply-To") || draft.has_header("References"),
    });

    let findings = &mut audit.findings;
    headers::check(&draft, &sender, rules, target, options.template, findings);
    audit.facts.unsubscribe = Some(unsubscribe::check(
        &draft,
        rules,
        target,
        options.template,
        findings,
    ));
    subject::check(&draft, rules, target, options.template, findings);
    if draft.has_header("DKIM-Signature") {
        let (facts, found) = signatures(bytes, from_domain.as_deref(), rules, target, options);
        audit.facts.dkim_signatures = facts;
        audit.findings.extend(found);
    }
    let findings = &mut audit.findings;

    let parts = draft.parts();
    let input = draft.body_input(&parts, target, from_domain.as_deref(), options.template);
    let analysis = analyze_body(&input, rules, target);
    findings.extend(analysis.findings);
    audit.facts.body = Some(Box::new(analysis.facts));
    audit.facts.attachments = input.attachments.len();
    audit.facts.parts = parts.summaries;
    audit.facts.inline_ignores = ignore::apply(
        &draft,
        rules,
        target,
        &mut audit.findings,
        &mut audit.suppressed,
    );
    audit
}

/// The draft's DKIM signatures: verified against published keys when DNS is available.
fn signatures(
    bytes: &[u8],
    from_domain: Option<&str>,
    rules: &Rules,
    target: &str,
    options: &DraftOptions,
) -> (Vec<SignatureFacts>, Vec<Finding>) {
    let mut input = SignatureInput::new(bytes, from_domain, options.dkim.is_some());
    if let Some(now) = options.dkim.as_ref().and_then(|d| d.now) {
        input = input.at(now);
    }
    match &options.dkim {
        Some(dkim) => {
            dkim.runtime
                .block_on(check_signatures(&dkim.resolver, rules, &input, target))
        }
        None => {
            // No DNS is asked without a verifier: an empty zone set stands in.
            let resolver = Resolver::offline(ZoneSet::new());
            match tokio::runtime::Builder::new_current_thread().build() {
                Ok(runtime) => runtime.block_on(check_signatures(&resolver, rules, &input, target)),
                Err(_) => (Vec::new(), Vec::new()),
            }
        }
    }
}

fn too_large(rules: &Rules, target: &str, size: u64, max: u64) -> Finding {
    rules
        .finding(
            TOO_LARGE,
            target,
            format!("the draft is {size} bytes, over --max-size ({max} bytes); it was not audited"),
        )
        .with_measured(size)
        .with_threshold(max)
}

/// Read and audit one draft file. A file that cannot be read, or is over `--max-size`, is a
/// finding on that file: the run goes on with the others.
pub fn audit_file(path: &Path, rules: &Rules, options: &DraftOptions) -> DraftAudit {
    let target = path.display().to_string();
    let unreadable = |error: std::io::Error| {
        let mut audit = DraftAudit::start(&target, options);
        audit
            .findings
            .push(unreadable_finding(rules, &target, &error));
        audit
    };
    // Never blocks: a FIFO or device is refused by what it is (the command line refuses
    // them before any draft is read; this is for library callers and files that changed).
    let mut file = match crate::input::open(path, crate::input::InputKind::Draft) {
        Ok(file) => file,
        Err(error) => return unreadable(error.into_io()),
    };
    let size = match file.metadata() {
        Ok(meta) => meta.len(),
        Err(error) => return unreadable(error),
    };
    if size > options.max_size {
        let mut audit = DraftAudit::start(&target, options);
        audit.facts.size = size;
        audit
            .findings
            .push(too_large(rules, &target, size, options.max_size));
        return audit;
    }
    // Read at most one byte more than allowed: a file that grows meanwhile stays bounded.
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0).saturating_add(1));
    if let Err(error) = (&mut file)
        .take(options.max_size.saturating_add(1))
        .read_to_end(&mut bytes)
    {
        return unreadable(error);
    }
    audit_draft(&target, &bytes, rules, options)
}

/// The audit of a draft whose audit panicked (a bug): `message/unreadable` on that draft, so
/// the run goes on with the others and the draft is never silently missing.
pub fn audit_failed(path: &Path, rules: &Rules, options: &DraftOptions) -> DraftAudit {
    let target = path.display().to_string();
    let mut audit = DraftAudit::start(&target, options);
    audit.findings.push(rules.finding(
        UNREADABLE,
        &target,
        format!(
            "cannot audit {target}: the audit stopped unexpectedly (a bug in mailaudit; please report it with the draft)"
        ),
    ));
    audit
}

/// `message/unreadable` for a file or directory that could not be read.
pub fn unreadable_finding(rules: &Rules, target: &str, error: &std::io::Error) -> Finding {
    rules.finding(
        UNREADABLE,
        target,
        format!("cannot read {target}: {}", io_reason(error)),
    )
}

/// The I/O error without the OS's error number.
fn io_reason(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => {
            let text = error.to_string();
            match text.find(" (os error") {
                Some(at) => text[..at].to_string(),
                None => text,
            }
        }
    }
}
