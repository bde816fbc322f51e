//! Body analysis of a draft: the interface the message audit calls.
//!
//! placeholder until the body branch merges: the types and the function below are the agreed
//! interface, with no analysis behind it (empty facts, no findings). The body branch's
//! `src/message/body/` replaces this file whole.

use crate::finding::Finding;
use crate::rules::Rules;
use serde::Serialize;

/// The rules the body analysis emits (none in the placeholder).
pub const RULES: &[&str] = &[];

/// One decoded text part of a draft.
#[derive(Clone, Debug)]
pub struct BodyPart<'a> {
    /// "text/plain" or "text/html".
    pub content_type: &'a str,
    /// The decoded text of the part.
    pub text: &'a str,
    /// 1-based line of the file where the part's body starts.
    pub start_line: u32,
    /// True when the part is not quoted-printable or base64 encoded, so that decoded line k
    /// (0-based) is line `start_line + k` of the file.
    pub lines_match_file: bool,
}

/// One attachment of a draft.
#[derive(Clone, Debug)]
pub struct Attachment<'a> {
    pub filename: Option<&'a str>,
    pub content_type: &'a str,
    /// Decoded size in bytes.
    pub size: usize,
}

/// Everything the body analysis gets from the parsed draft.
#[derive(Clone, Debug)]
pub struct BodyInput<'a> {
    /// The draft's path, for `Location::Line`.
    pub file: &'a str,
    pub parts: Vec<BodyPart<'a>>,
    pub attachments: Vec<Attachment<'a>>,
    /// The domain of the From address, when it has one.
    pub from_domain: Option<&'a str>,
    /// `--template`: merge tags are expected, platform unsubscribe tokens count as links.
    pub template_mode: bool,
}

/// Measured facts of the body (the placeholder measures nothing).
#[derive(Clone, Debug, Default, Serialize)]
pub struct BodyFacts {}

#[derive(Clone, Debug, Default)]
pub struct BodyAnalysis {
    pub facts: BodyFacts,
    pub findings: Vec<Finding>,
}

/// Analyse the body of one draft (the placeholder returns empty facts and no findings).
pub fn analyze_body(input: &BodyInput<'_>, rules: &Rules, target: &str) -> BodyAnalysis {
    let _ = (input, rules, target);
    BodyAnalysis::default()
}
