//! `mailaudit feedback`: every file read (directories recursively, Maildir and mbox too, as
//! `mailaudit reports` walks them), each message a result of its own as soon as it is read,
//! with the findings a sender acts on: per message, never per recipient.
//!
//! Memory is bounded per message ([`super::read::MAX_MESSAGE`], and the file's
//! [`InputKind::Feedback`] limit); nothing is kept across messages but what the caller keeps.

use super::facts::{
    BounceClass, FeedbackFacts, FeedbackFormat, FeedbackKind, Reason, RecipientRow,
};
use super::outputs::list_address;
use super::read::{Reading, read_message};
use super::rules::*;
use crate::date::rfc3339_utc;
use crate::finding::Finding;
use crate::input::{self, InputKind};
use crate::reports::audit::{report_files, split_mbox};
use crate::rules::Rules;
use crate::text::{escape_untrusted, plural};
use std::path::{Path, PathBuf};

#[derive(Clone, Debug)]
pub struct FeedbackOptions {
    /// The largest file read (`--max-feedback-size`): an mbox of many messages.
    pub max_size: u64,
}

impl Default for FeedbackOptions {
    fn default() -> Self {
        FeedbackOptions {
            max_size: InputKind::Feedback.default_limit(),
        }
    }
}

/// One message read (or one file that could not be).
#[derive(Clone, Debug, PartialEq)]
pub struct FeedbackResult {
    /// The file, and `> message N` inside an mbox.
    pub target: String,
    pub facts: FeedbackFacts,
    pub findings: Vec<Finding>,
}

/// Read every message under `paths`; each result goes to `emit` in file order.
pub fn audit_feedback<E>(
    paths: &[PathBuf],
    rules: &Rules,
    options: &FeedbackOptions,
    mut emit: impl FnMut(FeedbackResult) -> Result<(), E>,
) -> Result<(), E> {
    // Files are read and classified on every core (a worker holds one file's bytes at a
    // time); the results come in file order.
    let files = report_files(paths);
    crate::ordered::for_each_in_order(
        &files,
        |path| read_file(path, rules, options),
        |results| results.into_iter().try_for_each(&mut emit),
    )
}

fn read_file(path: &Path, rules: &Rules, options: &FeedbackOptions) -> Vec<FeedbackResult> {
    // Each worker reads its files into one buffer, kept while it works: no fresh pages per
    // file (an mbox is megabytes), and none of it outlives the file's results.
    thread_local! {
        static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    BUFFER.with_borrow_mut(|bytes| read_file_with(path, rules, options, bytes))
}

fn read_file_with(
    path: &Path,
    rules: &Rules,
    options: &FeedbackOptions,
    bytes: &mut Vec<u8>,
) -> Vec<FeedbackResult> {
    let file = crate::path::display(path);
    if let Err(error) = input::read_into(path, InputKind::Feedback, options.max_size, bytes) {
        return vec![unreadable(rules, &file, "", &error.reason())];
    }
    let bytes: &[u8] = bytes;
    let messages = split_mbox(bytes);
    if messages.is_empty() || bytes.iter().all(u8::is_ascii_whitespace) {
        return vec![unreadable(rules, &file, "", "the file is empty")];
    }
    let many = messages.len() > 1;
    let mut out = Vec::with_capacity(messages.len());
    for (n, message) in messages.iter().enumerate() {
        let part = if many {
            format!("message {}", n + 1)
        } else {
            String::new()
        };
        out.push(match read_message(message) {
            Ok(reading) => judged(rules, &file, &part, reading),
            Err(error) => unreadable(rules, &file, &part, &error.to_string()),
        });
    }
    out
}

fn target_of(file: &str, part: &str) -> String {
    if part.is_empty() {
        file.to_string()
    } else {
        format!("{file} > {part}")
    }
}

/// A file or message that could not be read as a message: one finding that says why.
pub fn unreadable(rules: &Rules, file: &str, part: &str, why: &str) -> FeedbackResult {
    let target = target_of(file, part);
    FeedbackResult {
        findings: vec![rules.finding(
            UNREADABLE,
            &target,
            format!(
                "{target}: not readable as a message: {}",
                escape_untrusted(why)
            ),
        )],
        facts: FeedbackFacts {
            file: file.to_string(),
            part: part.to_string(),
            kind: FeedbackKind::NotFeedback,
            format: FeedbackFormat::None,
            why: Some(why.to_string()),
            recipients: Vec::new(),
        },
        target,
    }
}

/// A message read: its rows and its findings.
pub fn judged(rules: &Rules, file: &str, part: &str, reading: Reading) -> FeedbackResult {
    let target = target_of(file, part);
    let date = reading.date.map(rfc3339_utc);
    let row_file = target.clone();
    let recipients: Vec<RecipientRow> = reading
        .recipients
        .iter()
        .map(|r| RecipientRow {
            file: row_file.clone(),
            recipient: r.address.clone(),
            kind: r.kind,
            bounce: r.bounce,
            reason: r.reason,
            status: r.status.clone(),
            diagnostic: r.diagnostic.clone(),
            remote_mta: r.remote_mta.clone(),
            sending_domain: reading.original.sending_domain.clone(),
            message_id: reading.original.message_id.clone(),
            feedback_id: reading.original.feedback_id.clone(),
            list_id: reading.original.list_id.clone(),
            campaign: reading.original.campaign.clone(),
            date: date.clone(),
            feedback_type: reading.feedback_type.clone(),
        })
        .collect();
    let mut findings = Vec::new();
    let domain = reading
        .original
        .sending_domain
        .as_deref()
        .map(|d| escape_untrusted(d).into_owned());
    if reading.kind == FeedbackKind::NotFeedback {
        findings.push(rules.finding(
            NOT_FEEDBACK,
            &target,
            format!(
                "{target}: not feedback: {}",
                escape_untrusted(reading.why.as_deref().unwrap_or("no recipient it speaks of"))
            ),
        ));
    }
    let refused = |reason: Reason| -> Vec<&RecipientRow> {
        recipients
            .iter()
            .filter(|r| r.kind == FeedbackKind::Bounce && r.reason == Some(reason))
            .collect()
    };
    let auth = refused(Reason::Authentication);
    if let Some(first) = auth.first() {
        findings.push(rules.finding(
            AUTHENTICATION_BOUNCE,
            &target,
            format!(
                "{target}: {} refused for authentication{}{}; check the domain with `mailaudit domain {}`",
                plural(auth.len(), "recipient", "recipients"),
                status_part(first),
                diagnostic_part(first),
                domain.as_deref().unwrap_or("DOMAIN"),
            ),
        ));
    }
    let blocked = refused(Reason::Blocked);
    if let Some(first) = blocked.first() {
        findings.push(rules.finding(
            BLOCKED,
            &target,
            format!(
                "{target}: {} refused for reputation or a blocklist{}{}{}",
                plural(blocked.len(), "recipient", "recipients"),
                first
                    .remote_mta
                    .as_deref()
                    .map(|m| format!(" by {}", escape_untrusted(m)))
                    .unwrap_or_default(),
                status_part(first),
                diagnostic_part(first),
            ),
        ));
    }
    if reading.kind == FeedbackKind::Complaint {
        findings.push(rules.finding(
            COMPLAINT,
            &target,
            format!(
                "{target}: a complaint (Feedback-Type {}) about a message from {}",
                escape_untrusted(reading.feedback_type.as_deref().unwrap_or("abuse")),
                domain.as_deref().unwrap_or("an unknown domain"),
            ),
        ));
    }
    // What --suppress-out would have to suppress but cannot: no address to put on the list.
    let unnamed = |kind: FeedbackKind| {
        recipients
            .iter()
            .filter(|r| suppressible(r) && r.kind == kind)
            .filter(|r| r.recipient.as_deref().and_then(list_address).is_none())
            .count()
    };
    let (complaints, bounces) = (
        unnamed(FeedbackKind::Complaint),
        unnamed(FeedbackKind::Bounce),
    );
    if complaints + bounces > 0 {
        let what = match (complaints, bounces) {
            (0, b) => plural(b, "hard bounce", "hard bounces"),
            (c, 0) => plural(c, "complaint", "complaints"),
            (c, b) => format!(
                "{} and {}",
                plural(c, "complaint", "complaints"),
                plural(b, "hard bounce", "hard bounces")
            ),
        };
        let verb = if complaints + bounces == 1 {
            "names"
        } else {
            "name"
        };
        findings.push(rules.finding(
            UNSUPPRESSIBLE,
            &target,
            format!(
                "{target}: {what} {verb} no recipient, so it cannot go on the suppression list; {}",
                match reading.original.message_id.as_deref() {
                    Some(id) => format!("the original's Message-ID is <{}>", escape_untrusted(id)),
                    None => "the original's Message-ID is not in the message either".to_string(),
                }
            ),
        ));
    }
    FeedbackResult {
        target,
        facts: FeedbackFacts {
            file: file.to_string(),
            part: part.to_string(),
            kind: reading.kind,
            format: reading.format,
            why: reading.why,
            recipients,
        },
        findings,
    }
}

/// A row `--suppress-out` turns into an entry: a hard bounce or a complaint.
pub fn suppressible(row: &RecipientRow) -> bool {
    matches!(
        (row.kind, row.bounce),
        (FeedbackKind::Bounce, Some(BounceClass::Hard)) | (FeedbackKind::Complaint, _)
    )
}

fn status_part(row: &RecipientRow) -> String {
    row.status
        .as_deref()
        .map(|s| format!(" ({})", escape_untrusted(s)))
        .unwrap_or_default()
}

fn diagnostic_part(row: &RecipientRow) -> String {
    row.diagnostic
        .as_deref()
        .map(|d| format!(": \"{}\"", escape_untrusted(crate::text::truncate(d, 160))))
        .unwrap_or_default()
}
