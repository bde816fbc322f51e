//! The DMARC policy record (RFC 7489 §6.3, §6.4; RFC 9989 §4.7, §4.8), parsed with the byte
//! span of every tag and of every problem, and read three ways: as RFC 7489 says, as RFC 9989
//! says (`Reading::Dmarcbis`: the name of the draft it was, kept for schema v1), and as lenient
//! receivers do.
//!
//! ```text
//! dmarc-record    = dmarc-version dmarc-sep [dmarc-request] [dmarc-sep dmarc-srequest] ...
//!                   [dmarc-sep]   ; components other than dmarc-version and dmarc-request
//!                                 ; may appear in any order
//! dmarc-sep       = *WSP %x3b *WSP
//! dmarc-version   = "v" *WSP "=" *WSP %x44 %x4d %x41 %x52 %x43 %x31      ; exactly "DMARC1"
//! dmarc-request   = "p" *WSP "=" *WSP ( "none" / "quarantine" / "reject" )
//! dmarc-uri       = URI [ "!" 1*DIGIT [ "k" / "m" / "g" / "t" ] ]
//! dmarc-percent   = "pct" *WSP "=" *WSP 1*3DIGIT
//! dmarc-fo        = "fo" *WSP "=" *WSP ( "0" / "1" / "d" / "s" ) *(*WSP ":" *WSP ( ... ))
//! ```
//!
//! ABNF string literals are case-insensitive (RFC 5234 §2.3), so tag names and the keyword
//! values (`p=Reject`) are too; only the version is hex-coded and must be exactly `DMARC1`.
//! The record never fails to parse: what is wrong is a [`Problem`] with its span, and each
//! reading ([`Reading`]) decides what the problems mean (§6.3: errors in `v` make the record
//! unusable, an invalid `p` or `sp` falls back to `p=none` when a valid `rua` remains (§6.6.3
//! step 6), other syntax errors are "discarded in favor of default values").

pub use crate::text::Span;
use serde::Serialize;
use std::fmt;

/// The version a DMARC record must declare, byte for byte.
pub const VERSION: &str = "DMARC1";

/// A requested policy, from weakest to strongest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Policy {
    None,
    Quarantine,
    Reject,
}

impl Policy {
    pub fn as_str(self) -> &'static str {
        match self {
            Policy::None => "none",
            Policy::Quarantine => "quarantine",
            Policy::Reject => "reject",
        }
    }

    /// The next weaker policy (reject as quarantine, quarantine as none; none stays none):
    /// what RFC 7489 applies to mail outside `pct` (§6.6.4) and RFC 9989 with `t=y` (§4.7).
    pub fn one_level_weaker(self) -> Policy {
        match self {
            Policy::Reject => Policy::Quarantine,
            Policy::Quarantine | Policy::None => Policy::None,
        }
    }

    fn parse(value: &str) -> Option<Policy> {
        match value.to_ascii_lowercase().as_str() {
            "none" => Some(Policy::None),
            "quarantine" => Some(Policy::Quarantine),
            "reject" => Some(Policy::Reject),
            _ => None,
        }
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Identifier alignment mode (`adkim`, `aspf`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Alignment {
    #[default]
    Relaxed,
    Strict,
}

impl Alignment {
    pub fn as_str(self) -> &'static str {
        match self {
            Alignment::Relaxed => "r",
            Alignment::Strict => "s",
        }
    }
}

/// Which specification a record is read by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Reading {
    /// RFC 7489 (with RFC 9091's `np`), to the letter.
    Rfc7489,
    /// RFC 9989 (the DMARCbis draft, hence the name): `pct`, `rf`, `ri` and the `!size`
    /// suffix removed (Appendix C.5.2); a missing `p` means `none` (§4.7); `np`, `psd` and `t`
    /// defined.
    Dmarcbis,
    /// What common receivers do where strict ABNF and practice differ: the version compared
    /// case-insensitively and leading blanks ignored; otherwise RFC 7489.
    Lenient,
}

impl Reading {
    pub const ALL: [Reading; 3] = [Reading::Rfc7489, Reading::Dmarcbis, Reading::Lenient];

    pub fn as_str(self) -> &'static str {
        match self {
            Reading::Rfc7489 => "rfc7489",
            Reading::Dmarcbis => "dmarcbis",
            Reading::Lenient => "lenient",
        }
    }
}

/// What a receiver does with a record, by one reading.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// The record applies as written.
    Valid,
    /// Some tags are in error and are discarded in favour of their defaults (§6.3); the
    /// record still applies.
    TagDiscarded,
    /// `p` or `sp` is missing or invalid but a valid `rua` remains: receivers act as if the
    /// record said `p=none` (§6.6.3 step 6).
    FallbackNone,
    /// The record is unusable: receivers apply no DMARC policy.
    Invalid,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Valid => "valid",
            Outcome::TagDiscarded => "tag-discarded",
            Outcome::FallbackNone => "fallback-none",
            Outcome::Invalid => "invalid",
        }
    }

    pub fn parse(s: &str) -> Option<Outcome> {
        match s {
            "valid" => Some(Outcome::Valid),
            "tag-discarded" => Some(Outcome::TagDiscarded),
            "fallback-none" => Some(Outcome::FallbackNone),
            "invalid" => Some(Outcome::Invalid),
            _ => None,
        }
    }

    /// Whether receivers apply the record's own policy (with defaults for discarded tags).
    pub fn applies(self) -> bool {
        matches!(self, Outcome::Valid | Outcome::TagDiscarded)
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What is wrong with (or merely notable in) a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProblemKind {
    /// Blanks before `v=`: the record does not start with the version tag (§6.6.3 step 3).
    LeadingWhitespace,
    /// No `v` tag at all.
    MissingVersion,
    /// A `v` tag, but not as the first tag (§6.3 "It MUST be the first tag").
    VersionNotFirst,
    /// `v=dmarc1` and the like: the version matches only case-insensitively.
    VersionCase,
    /// The version is not `DMARC1`.
    BadVersion,
    /// A tag appears twice: the whole tag-list is invalid (RFC 6376 §3.2).
    DuplicateTag,
    /// `;;`: an empty tag-spec.
    EmptyTagSpec,
    /// A tag-spec that is not `name=value`, or a name that is not ALPHA *(ALPHA/DIGIT/"_").
    MalformedTagSpec,
    /// No `p` tag.
    MissingPolicy,
    /// `p` is not none, quarantine or reject.
    InvalidPolicy,
    /// `sp` is not none, quarantine or reject.
    InvalidSubdomainPolicy,
    /// `np` (RFC 9091) is not none, quarantine or reject.
    InvalidNpPolicy,
    /// Any other known tag with a value outside its syntax (`pct`, `adkim`, `fo`, ...).
    InvalidValue,
    /// A `rua`/`ruf` entry that is not a URI (or a `mailto:` without an address).
    InvalidUri,
    /// A `!size` suffix that is not `1*DIGIT [k/m/g/t]` (RFC 7489 only: RFC 9989 has none).
    InvalidSizeLimit,
    /// An `rf` format that is not in the registry of reporting formats (RFC 7489 §6.3 rf,
    /// §11: only `afrf`): RFC 7489 receivers ignore it; RFC 9989 removes `rf` altogether.
    UnregisteredReportFormat,
    /// `p` is not the second tag, as RFC 7489's ABNF orders it. Receivers accept it.
    PolicyNotSecond,
    /// A tag no DMARC specification defines: receivers ignore it (§6.3).
    UnknownTag,
}

/// How one problem affects one reading.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Effect {
    /// No effect on what receivers do.
    None,
    /// The tag is discarded in favour of its default.
    Discard,
    /// §6.6.3 step 6: `p=none` if a valid `rua` URI remains, else no DMARC.
    Fallback,
    /// The record is unusable.
    Invalid,
}

/// One problem, where it is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub kind: ProblemKind,
    /// The tag concerned, lower-case (`None` for record-level problems).
    pub tag: Option<String>,
    /// What is wrong, in one phrase.
    pub message: String,
    #[serde(skip)]
    pub span: Span,
}

impl Problem {
    /// How this problem affects what receivers do under `reading`.
    pub fn effect(&self, reading: Reading) -> Effect {
        use ProblemKind::*;
        use Reading::*;
        let tag = self.tag.as_deref().unwrap_or("");
        match (self.kind, reading) {
            (LeadingWhitespace | VersionCase, Lenient) => Effect::None,
            (LeadingWhitespace | VersionCase, _) => Effect::Invalid,
            (MissingVersion | VersionNotFirst | BadVersion | DuplicateTag, _) => Effect::Invalid,
            (EmptyTagSpec | MalformedTagSpec, _) => Effect::Discard,
            (MissingPolicy, Dmarcbis) => Effect::None,
            (MissingPolicy | InvalidPolicy | InvalidSubdomainPolicy, _) => Effect::Fallback,
            (InvalidNpPolicy, Dmarcbis) => Effect::Fallback,
            (InvalidNpPolicy, _) => Effect::Discard,
            // pct, rf and ri are removed by RFC 9989 (Appendix C.5.2); psd and t exist only
            // there, so RFC 7489 ignores them as unknown tags (§6.3).
            (InvalidValue, Dmarcbis) if matches!(tag, "pct" | "rf" | "ri") => Effect::None,
            (InvalidValue, Rfc7489 | Lenient) if matches!(tag, "psd" | "t") => Effect::None,
            (InvalidValue | InvalidUri, _) => Effect::Discard,
            (InvalidSizeLimit | UnregisteredReportFormat, Dmarcbis) => Effect::None,
            // §6.3 rf: "SHOULD ignore it or MAY ignore the entire rf tag": either way the
            // default afrf is what applies.
            (InvalidSizeLimit | UnregisteredReportFormat, _) => Effect::Discard,
            (PolicyNotSecond | UnknownTag, _) => Effect::None,
        }
    }

    /// Whether this problem stops a receiver from reading the record as a tag-list at all.
    pub fn is_structural(&self) -> bool {
        use ProblemKind::*;
        matches!(
            self.kind,
            LeadingWhitespace
                | MissingVersion
                | VersionNotFirst
                | VersionCase
                | BadVersion
                | DuplicateTag
        )
    }
}

/// One `name=value` pair, with spans in the record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tag {
    /// Lower-case name.
    pub name: String,
    /// The value without the blanks around it (lossy UTF-8).
    pub value: String,
    pub name_span: Span,
    pub value_span: Span,
}

/// A DMARC URI of `rua` or `ruf` (§6.2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReportUri {
    /// The URI without the `!size` suffix.
    pub uri: String,
    /// Lower-case scheme (`mailto`, `https`, ...).
    pub scheme: String,
    /// For `mailto:`, the address (percent-decoded, without `?` header fields).
    pub address: Option<String>,
    /// For `mailto:`, the address's domain; for other schemes, the authority's host.
    /// Lower-case, without a trailing dot.
    pub host: Option<String>,
    /// The `!size` limit in bytes, if given.
    pub size_limit: Option<u64>,
    #[serde(skip)]
    pub span: Span,
}

/// A DMARC record as published, with the values of its known tags (as written; `None` when
/// the tag is absent or its value invalid) and its problems.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DmarcRecord {
    /// The record text (lossy UTF-8).
    pub text: String,
    pub tags: Vec<Tag>,
    pub p: Option<Policy>,
    pub sp: Option<Policy>,
    pub np: Option<Policy>,
    pub pct: Option<u8>,
    pub adkim: Option<Alignment>,
    pub aspf: Option<Alignment>,
    /// `fo` options, lower-case (`0`, `1`, `d`, `s`).
    pub fo: Vec<char>,
    pub rf: Vec<String>,
    pub ri: Option<u64>,
    /// Syntactically valid URIs of `rua` by RFC 7489.
    pub rua: Vec<ReportUri>,
    pub ruf: Vec<ReportUri>,
    /// `psd` (RFC 9091 / RFC 9989 §4.7): `y`, `n` or `u`.
    pub psd: Option<char>,
    /// `t` (RFC 9989 §4.7 testing flag).
    pub testing: Option<bool>,
    pub problems: Vec<Problem>,
    /// Whether `rua` holds a URI that is valid by RFC 9989 (which has no `!size` suffix).
    rua_valid_bis: bool,
}

/// Tags defined by RFC 7489, RFC 9091 or RFC 9989.
const KNOWN_TAGS: &[&str] = &[
    "v", "p", "sp", "np", "pct", "adkim", "aspf", "fo", "rf", "ri", "rua", "ruf", "psd", "t",
];

/// The registry of reporting formats (RFC 7489 §11, "Reporting Formats"): `afrf` only.
const REPORT_FORMATS: &[&str] = &["afrf"];

fn is_wsp(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Trim blanks (WSP) from both ends of `[start, end)` of `bytes`.
fn trim(bytes: &[u8], mut start: usize, mut end: usize) -> (usize, usize) {
    while start < end && bytes.get(start).copied().is_some_and(is_wsp) {
        start += 1;
    }
    while end > start && bytes.get(end - 1).copied().is_some_and(is_wsp) {
        end -= 1;
    }
    (start, end)
}

fn slice(bytes: &[u8], start: usize, end: usize) -> &[u8] {
    bytes.get(start..end).unwrap_or_default()
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn is_tag_name(name: &[u8]) -> bool {
    match name.split_first() {
        Some((first, rest)) => {
            first.is_ascii_alphabetic()
                && rest.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
        }
        None => false,
    }
}

/// Whether text is a DMARC record by the discovery rule (§6.6.3 step 3): it starts with a
/// `v` tag whose value is exactly `DMARC1`, followed by a separator or the end.
pub fn has_valid_version(text: &[u8]) -> bool {
    let Some(rest) = text.strip_prefix(b"v").or_else(|| text.strip_prefix(b"V")) else {
        return false;
    };
    let rest = skip_wsp(rest);
    let Some(rest) = rest.strip_prefix(b"=") else {
        return false;
    };
    let Some(rest) = skip_wsp(rest).strip_prefix(VERSION.as_bytes()) else {
        return false;
    };
    let rest = skip_wsp(rest);
    rest.is_empty() || rest.starts_with(b";")
}

fn skip_wsp(mut bytes: &[u8]) -> &[u8] {
    while let Some((first, rest)) = bytes.split_first() {
        if !is_wsp(*first) {
            break;
        }
        bytes = rest;
    }
    bytes
}

/// Whether a TXT record looks meant as DMARC (a `v` tag whose value begins with "dmarc", in
/// any case, anywhere in the record), so that its problems are worth reporting rather than
/// the record being ignored as unrelated text.
pub fn looks_like_dmarc(text: &[u8]) -> bool {
    let record = DmarcRecord::parse(text);
    record
        .tags
        .iter()
        .any(|t| t.name == "v" && t.value.to_ascii_lowercase().starts_with("dmarc"))
}

impl DmarcRecord {
    /// Parse a record (the TXT strings joined). Never fails and never panics.
    pub fn parse(bytes: &[u8]) -> DmarcRecord {
        let mut record = DmarcRecord {
            text: lossy(bytes),
            tags: Vec::new(),
            p: None,
            sp: None,
            np: None,
            pct: None,
            adkim: None,
            aspf: None,
            fo: Vec::new(),
            rf: Vec::new(),
            ri: None,
            rua: Vec::new(),
            ruf: Vec::new(),
            psd: None,
            testing: None,
            problems: Vec::new(),
            rua_valid_bis: false,
        };
        record.split_tags(bytes);
        record.check_version(bytes);
        record.check_duplicates();
        record.read_values(bytes);
        record
    }

    fn problem(&mut self, kind: ProblemKind, tag: Option<&str>, message: String, span: Span) {
        self.problems.push(Problem {
            kind,
            tag: tag.map(str::to_string),
            message,
            span,
        });
    }

    fn split_tags(&mut self, bytes: &[u8]) {
        let leading = bytes.iter().take_while(|b| is_wsp(**b)).count();
        if leading > 0 && leading < bytes.len() {
            self.problem(
                ProblemKind::LeadingWhitespace,
                None,
                "the record begins with blanks, not with \"v=DMARC1\"".into(),
                Span::new(0, leading),
            );
        }
        let mut segments = Vec::new();
        let mut start = 0;
        for (i, b) in bytes.iter().enumerate() {
            if *b == b';' {
                segments.push((start, i));
                start = i + 1;
            }
        }
        segments.push((start, bytes.len()));
        let last = segments.len() - 1;
        for (index, (seg_start, seg_end)) in segments.into_iter().enumerate() {
            let (s, e) = trim(bytes, seg_start, seg_end);
            if s == e {
                // A final empty segment is the optional trailing separator (or an empty record).
                if index != last {
                    self.problem(
                        ProblemKind::EmptyTagSpec,
                        None,
                        "an empty tag (two \";\" with nothing between them)".into(),
                        Span::new(seg_start, (seg_end + 1).min(bytes.len())),
                    );
                }
                continue;
            }
            let segment = slice(bytes, s, e);
            let Some(eq) = segment.iter().position(|b| *b == b'=') else {
                self.problem(
                    ProblemKind::MalformedTagSpec,
                    None,
                    format!("\"{}\" is not a tag of the form name=value", lossy(segment)),
                    Span::new(s, e),
                );
                continue;
            };
            let (ns, ne) = trim(bytes, s, s + eq);
            let (vs, ve) = trim(bytes, s + eq + 1, e);
            let name = slice(bytes, ns, ne);
            if !is_tag_name(name) {
                self.problem(
                    ProblemKind::MalformedTagSpec,
                    None,
                    format!(
                        "\"{}\" is not a tag name (a letter, then letters, digits or \"_\")",
                        lossy(name)
                    ),
                    Span::new(s, e),
                );
                continue;
            }
            self.tags.push(Tag {
                name: lossy(name).to_ascii_lowercase(),
                value: lossy(slice(bytes, vs, ve)),
                name_span: Span::new(ns, ne),
                value_span: Span::new(vs, ve),
            });
        }
    }

    fn check_version(&mut self, bytes: &[u8]) {
        let first_is_v = self.tags.first().is_some_and(|t| t.name == "v");
        let Some(v) = self.tags.iter().find(|t| t.name == "v").cloned() else {
            let end = bytes.len().min(40);
            self.problem(
                ProblemKind::MissingVersion,
                None,
                "the record has no v=DMARC1 tag".into(),
                Span::new(0, end),
            );
            return;
        };
        let span = Span::new(v.name_span.start, v.value_span.end);
        if !first_is_v {
            self.problem(
                ProblemKind::VersionNotFirst,
                Some("v"),
                "v=DMARC1 is not the first tag".into(),
                span,
            );
        }
        if v.value == VERSION {
            return;
        }
        if v.value.eq_ignore_ascii_case(VERSION) {
            self.problem(
                ProblemKind::VersionCase,
                Some("v"),
                format!(
                    "the version is \"{}\", not exactly \"DMARC1\" (the version is case-sensitive)",
                    v.value
                ),
                span,
            );
        } else {
            self.problem(
                ProblemKind::BadVersion,
                Some("v"),
                format!("the version is \"{}\", not \"DMARC1\"", v.value),
                span,
            );
        }
    }

    fn check_duplicates(&mut self) {
        let mut seen: Vec<&str> = Vec::new();
        let mut duplicates = Vec::new();
        for tag in &self.tags {
            if seen.contains(&tag.name.as_str()) {
                duplicates.push((
                    tag.name.clone(),
                    Span::new(tag.name_span.start, tag.value_span.end),
                ));
            } else {
                seen.push(&tag.name);
            }
        }
        for (name, span) in duplicates {
            self.problem(
                ProblemKind::DuplicateTag,
                Some(&name),
                format!("tag {name} appears more than once"),
                span,
            );
        }
    }

    fn read_values(&mut self, bytes: &[u8]) {
        let tags = self.tags.clone();
        let mut seen: Vec<&str> = Vec::new();
        for (index, tag) in tags.iter().enumerate() {
            // A duplicate makes the tag-list invalid; the first occurrence gives the value.
            if seen.contains(&tag.name.as_str()) {
                continue;
            }
            seen.push(&tag.name);
            let name = tag.name.as_str();
            let value = tag.value.as_str();
            let span = Span::new(tag.name_span.start, tag.value_span.end);
            let invalid = |expected: &str| format!("{name}={value} is not {expected}");
            match name {
                "v" => {}
                "p" | "sp" | "np" => match Policy::parse(value) {
                    Some(policy) => {
                        match name {
                            "p" => self.p = Some(policy),
                            "sp" => self.sp = Some(policy),
                            _ => self.np = Some(policy),
                        }
                        if name == "p"
                            && index != 1
                            && self.tags.first().is_some_and(|t| t.name == "v")
                        {
                            self.problem(
                                ProblemKind::PolicyNotSecond,
                                Some("p"),
                                "p is not the tag right after v=DMARC1, where RFC 7489's ABNF puts it".into(),
                                span,
                            );
                        }
                    }
                    None => {
                        let kind = match name {
                            "p" => ProblemKind::InvalidPolicy,
                            "sp" => ProblemKind::InvalidSubdomainPolicy,
                            _ => ProblemKind::InvalidNpPolicy,
                        };
                        self.problem(
                            kind,
                            Some(name),
                            invalid("none, quarantine or reject"),
                            span,
                        );
                    }
                },
                "pct" => match parse_pct(value) {
                    Some(pct) => self.pct = Some(pct),
                    None => self.problem(
                        ProblemKind::InvalidValue,
                        Some(name),
                        invalid("an integer from 0 to 100"),
                        span,
                    ),
                },
                "adkim" | "aspf" => {
                    let mode = match value.to_ascii_lowercase().as_str() {
                        "r" => Some(Alignment::Relaxed),
                        "s" => Some(Alignment::Strict),
                        _ => None,
                    };
                    match mode {
                        Some(mode) if name == "adkim" => self.adkim = Some(mode),
                        Some(mode) => self.aspf = Some(mode),
                        None => self.problem(
                            ProblemKind::InvalidValue,
                            Some(name),
                            invalid("r (relaxed) or s (strict)"),
                            span,
                        ),
                    }
                }
                "fo" => match parse_fo(value) {
                    Some(fo) => self.fo = fo,
                    None => self.problem(
                        ProblemKind::InvalidValue,
                        Some(name),
                        invalid("a colon-separated list of 0, 1, d and s"),
                        span,
                    ),
                },
                "rf" => match parse_rf(value) {
                    Some(rf) => {
                        let shown: Vec<&str> = rf
                            .iter()
                            .map(String::as_str)
                            .filter(|f| !REPORT_FORMATS.contains(f))
                            .collect();
                        if !shown.is_empty() {
                            self.problem(
                                ProblemKind::UnregisteredReportFormat,
                                Some(name),
                                format!(
                                    "rf={value}: {} {} not in the registry of failure-report formats, which holds only afrf (RFC 7489 §6.3, §11)",
                                    shown.join(", "),
                                    if shown.len() == 1 { "is" } else { "are" }
                                ),
                                span,
                            );
                        }
                        self.rf = rf;
                    }
                    None => self.problem(
                        ProblemKind::InvalidValue,
                        Some(name),
                        invalid("a colon-separated list of report formats such as afrf"),
                        span,
                    ),
                },
                "ri" => {
                    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
                        self.ri = Some(value.parse().unwrap_or(u64::MAX));
                    } else {
                        self.problem(
                            ProblemKind::InvalidValue,
                            Some(name),
                            invalid("a number of seconds"),
                            span,
                        );
                    }
                }
                "psd" => match value.to_ascii_lowercase().as_str() {
                    "y" => self.psd = Some('y'),
                    "n" => self.psd = Some('n'),
                    "u" => self.psd = Some('u'),
                    _ => self.problem(
                        ProblemKind::InvalidValue,
                        Some(name),
                        invalid("y, n or u"),
                        span,
                    ),
                },
                "t" => match value.to_ascii_lowercase().as_str() {
                    "y" => self.testing = Some(true),
                    "n" => self.testing = Some(false),
                    _ => self.problem(
                        ProblemKind::InvalidValue,
                        Some(name),
                        invalid("y or n"),
                        span,
                    ),
                },
                "rua" | "ruf" => self.read_uris(bytes, tag),
                _ => {
                    if !KNOWN_TAGS.contains(&name) {
                        self.problem(
                            ProblemKind::UnknownTag,
                            Some(name),
                            format!("{name} is not a DMARC tag"),
                            span,
                        );
                    }
                }
            }
        }
        if !self.tags.iter().any(|t| t.name == "p") {
            let end = self
                .tags
                .first()
                .map(|t| t.value_span.end)
                .unwrap_or(bytes.len());
            self.problem(
                ProblemKind::MissingPolicy,
                Some("p"),
                "the record has no p tag".into(),
                Span::new(0, end),
            );
        }
    }

    fn read_uris(&mut self, bytes: &[u8], tag: &Tag) {
        let name = tag.name.as_str();
        let (start, end) = (tag.value_span.start, tag.value_span.end);
        if start == end {
            self.problem(
                ProblemKind::InvalidUri,
                Some(name),
                format!(
                    "{name} is empty: it needs at least one URI such as mailto:dmarc@example.com"
                ),
                Span::new(tag.name_span.start, end),
            );
            return;
        }
        let mut pieces = Vec::new();
        let mut piece_start = start;
        for i in start..end {
            if bytes.get(i) == Some(&b',') {
                pieces.push((piece_start, i));
                piece_start = i + 1;
            }
        }
        pieces.push((piece_start, end));
        for (ps, pe) in pieces {
            let (s, e) = trim(bytes, ps, pe);
            match parse_uri(slice(bytes, s, e), Span::new(s, e)) {
                Ok(uri) => {
                    if name == "rua" {
                        self.rua_valid_bis = true;
                        self.rua.push(uri);
                    } else {
                        self.ruf.push(uri);
                    }
                }
                Err((kind, message)) => {
                    if kind == ProblemKind::InvalidSizeLimit && name == "rua" {
                        // RFC 9989 has no size suffix: the whole text is the URI.
                        self.rua_valid_bis = true;
                    }
                    self.problem(
                        kind,
                        Some(name),
                        format!("{name}: {message}"),
                        Span::new(s, e),
                    );
                }
            }
        }
    }

    /// What receivers make of the record under `reading`.
    pub fn outcome(&self, reading: Reading) -> Outcome {
        let worst = self
            .problems
            .iter()
            .map(|p| p.effect(reading))
            .max()
            .unwrap_or(Effect::None);
        match worst {
            Effect::Invalid => Outcome::Invalid,
            Effect::Fallback if self.has_valid_rua(reading) => Outcome::FallbackNone,
            Effect::Fallback => Outcome::Invalid,
            Effect::Discard => Outcome::TagDiscarded,
            Effect::None => Outcome::Valid,
        }
    }

    /// Whether `rua` holds at least one syntactically valid URI under `reading`.
    pub fn has_valid_rua(&self, reading: Reading) -> bool {
        match reading {
            Reading::Dmarcbis => self.rua_valid_bis,
            Reading::Rfc7489 | Reading::Lenient => !self.rua.is_empty(),
        }
    }

    /// Whether a receiver can read the record as a DMARC tag-list at all (version first and
    /// exact, no duplicate tags), by RFC 7489.
    pub fn is_structurally_valid(&self) -> bool {
        !self.problems.iter().any(Problem::is_structural)
    }

    /// The policy for the domain itself under `reading`: `p` (with the fallback to `none`),
    /// or `None` when receivers apply no DMARC.
    pub fn policy(&self, reading: Reading) -> Option<Policy> {
        match self.outcome(reading) {
            Outcome::Invalid => None,
            Outcome::FallbackNone => Some(Policy::None),
            Outcome::Valid | Outcome::TagDiscarded => Some(self.p.unwrap_or(Policy::None)),
        }
    }

    /// The policy for subdomains (`sp`, defaulting to `p`) under `reading`.
    pub fn subdomain_policy(&self, reading: Reading) -> Option<Policy> {
        let p = self.policy(reading)?;
        Some(match self.outcome(reading) {
            Outcome::FallbackNone => Policy::None,
            _ => self.sp.unwrap_or(p),
        })
    }

    /// Where RFC 9989 reads this record differently from RFC 7489, in words.
    pub fn dmarcbis_notes(&self) -> Vec<BisNote> {
        let mut notes = Vec::new();
        let has = |name: &str| self.tags.iter().any(|t| t.name == name);
        if has("pct") {
            notes.push(BisNote::PctRemoved);
        }
        if has("rf") {
            notes.push(BisNote::RfRemoved);
        }
        if has("ri") {
            notes.push(BisNote::RiRemoved);
        }
        let size_suffix = self
            .rua
            .iter()
            .chain(&self.ruf)
            .any(|u| u.size_limit.is_some())
            || self
                .problems
                .iter()
                .any(|p| p.kind == ProblemKind::InvalidSizeLimit);
        if size_suffix {
            notes.push(BisNote::SizeSuffixRemoved);
        }
        if self
            .problems
            .iter()
            .any(|p| p.kind == ProblemKind::MissingPolicy)
        {
            notes.push(BisNote::MissingPolicyIsNone);
        }
        if self.testing == Some(true) {
            notes.push(BisNote::TestingFlag);
        }
        if self
            .problems
            .iter()
            .any(|p| p.kind == ProblemKind::PolicyNotSecond)
        {
            notes.push(BisNote::AnyTagOrder);
        }
        notes
    }
}

/// A way RFC 9989 reads a record differently from RFC 7489.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BisNote {
    PctRemoved,
    RfRemoved,
    RiRemoved,
    SizeSuffixRemoved,
    MissingPolicyIsNone,
    TestingFlag,
    AnyTagOrder,
}

impl BisNote {
    pub fn describe(self) -> &'static str {
        match self {
            BisNote::PctRemoved => {
                "RFC 9989 removes pct (Appendix C.5.2): its receivers ignore it and apply the policy to all failing mail (t=y is the testing signal, §4.7)"
            }
            BisNote::RfRemoved => {
                "RFC 9989 removes rf (failure-report format, Appendix C.5.2): its receivers ignore it and send failure reports in the RFC 9991 format"
            }
            BisNote::RiRemoved => {
                "RFC 9989 removes ri (report interval, Appendix C.5.2): its receivers send aggregate reports daily (RFC 9990)"
            }
            BisNote::SizeSuffixRemoved => {
                "RFC 9989 makes the !size suffix of report URIs obsolete (§4.8 obs-dmarc-report-size): its reporters ignore it"
            }
            BisNote::MissingPolicyIsNone => "RFC 9989 reads a missing p as p=none (§4.7 p)",
            BisNote::TestingFlag => {
                "t=y (RFC 9989 §4.7): its receivers apply the next weaker policy to failing mail (reject as quarantine, quarantine as none) and may apply special handling such as rewriting From"
            }
            BisNote::AnyTagOrder => "RFC 9989 lets p appear anywhere after v=DMARC1 (§4.8)",
        }
    }
}

fn parse_pct(value: &str) -> Option<u8> {
    if value.is_empty() || value.len() > 3 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u16 = value.parse().ok()?;
    u8::try_from(n).ok().filter(|n| *n <= 100)
}

/// Colon-separated items with optional blanks around the colons.
fn colon_list(value: &str) -> Vec<&str> {
    value
        .split(':')
        .map(|s| s.trim_matches([' ', '\t']))
        .collect()
}

fn parse_fo(value: &str) -> Option<Vec<char>> {
    let mut out = Vec::new();
    for item in colon_list(value) {
        let c = match item.to_ascii_lowercase().as_str() {
            "0" => '0',
            "1" => '1',
            "d" => 'd',
            "s" => 's',
            _ => return None,
        };
        if !out.contains(&c) {
            out.push(c);
        }
    }
    Some(out)
}

/// `Keyword *(*WSP ":" Keyword)`; Keyword is an RFC 5321 Ldh-str.
fn parse_rf(value: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    for item in colon_list(value) {
        let ok = item
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
            && item
                .bytes()
                .last()
                .is_some_and(|b| b.is_ascii_alphanumeric())
            && item.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !ok {
            return None;
        }
        out.push(item.to_ascii_lowercase());
    }
    Some(out)
}

/// Bytes RFC 3986 allows in a URI: unreserved, reserved and `%` (checked for two hex digits).
fn is_uri_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=%".contains(&b)
}

/// One DMARC URI: `URI [ "!" 1*DIGIT [ "k" / "m" / "g" / "t" ] ]`. Commas and `!` inside
/// the URI must be percent-encoded (§6.2), so the first `!` starts the size.
fn parse_uri(raw: &[u8], span: Span) -> Result<ReportUri, (ProblemKind, String)> {
    let shown = lossy(raw);
    if raw.is_empty() {
        return Err((ProblemKind::InvalidUri, "an empty URI in the list".into()));
    }
    let (uri, size) = match raw.iter().position(|b| *b == b'!') {
        Some(bang) => (slice(raw, 0, bang), Some(slice(raw, bang + 1, raw.len()))),
        None => (raw, None),
    };
    let Some(colon) = uri.iter().position(|b| *b == b':') else {
        return Err((
            ProblemKind::InvalidUri,
            format!("\"{shown}\" is not a URI (no scheme: write mailto:{shown})"),
        ));
    };
    let scheme = slice(uri, 0, colon);
    let scheme_ok = scheme.first().is_some_and(u8::is_ascii_alphabetic)
        && scheme
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    if !scheme_ok {
        return Err((
            ProblemKind::InvalidUri,
            format!(
                "\"{shown}\" is not a URI (\"{}\" is not a scheme)",
                lossy(scheme)
            ),
        ));
    }
    if let Some(bad) = uri.iter().find(|b| !is_uri_byte(**b)) {
        return Err((
            ProblemKind::InvalidUri,
            format!("\"{shown}\" is not a URI (byte 0x{bad:02x} must be percent-encoded)"),
        ));
    }
    let decoded = percent_decode(slice(uri, colon + 1, uri.len())).ok_or_else(|| {
        (
            ProblemKind::InvalidUri,
            format!("\"{shown}\" is not a URI (a % not followed by two hex digits)"),
        )
    })?;
    let scheme = lossy(scheme).to_ascii_lowercase();
    let (address, host) = if scheme == "mailto" {
        let to = decoded.split('?').next().unwrap_or_default().to_string();
        let domain = to
            .rsplit_once('@')
            .filter(|(local, _)| !local.is_empty())
            .map(|(_, domain)| crate::dns::normalize_name(domain))
            .filter(|d| is_host_name(d));
        let Some(domain) = domain else {
            return Err((
                ProblemKind::InvalidUri,
                format!("\"{shown}\" has no address of the form local@domain.example"),
            ));
        };
        (Some(to), Some(domain))
    } else {
        (None, authority_host(&decoded))
    };
    let size_limit = match size {
        None => None,
        Some(size) => Some(parse_size(size).ok_or_else(|| {
            (
                ProblemKind::InvalidSizeLimit,
                format!(
                    "the size limit \"!{}\" of {} is not digits with an optional unit k, m, g or t",
                    lossy(size),
                    lossy(uri)
                ),
            )
        })?),
    };
    Ok(ReportUri {
        uri: lossy(uri),
        scheme,
        address,
        host,
        size_limit,
        span,
    })
}

fn percent_decode(bytes: &[u8]) -> Option<String> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// A DNS host name: labels of letters, digits, `-` and `_`, at least two labels.
fn is_host_name(name: &str) -> bool {
    crate::dns::is_valid_query_name(name)
        && name.contains('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// The host of `//authority/...` (after the scheme's colon), if any.
fn authority_host(rest: &str) -> Option<String> {
    let authority = rest.strip_prefix("//")?;
    let authority = authority.split(['/', '?', '#']).next()?;
    let host = authority.rsplit('@').next()?;
    let host = if host.starts_with('[') {
        host
    } else {
        host.split(':').next()?
    };
    (!host.is_empty()).then(|| crate::dns::normalize_name(host))
}

/// `1*DIGIT [ "k" / "m" / "g" / "t" ]` in bytes (units are powers of two, §6.2).
fn parse_size(size: &[u8]) -> Option<u64> {
    let (digits, unit) = match size.last() {
        Some(b) if b.is_ascii_alphabetic() => (slice(size, 0, size.len() - 1), Some(*b)),
        _ => (size, None),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n: u64 = std::str::from_utf8(digits)
        .ok()?
        .parse()
        .unwrap_or(u64::MAX);
    let shift = match unit.map(|u| u.to_ascii_lowercase()) {
        None => 0,
        Some(b'k') => 10,
        Some(b'm') => 20,
        Some(b'g') => 30,
        Some(b't') => 40,
        Some(_) => return None,
    };
    Some(n.saturating_mul(1u64 << shift))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_record_parses_with_spans() {
        let text = "v=DMARC1; p=quarantine; sp=reject; pct=50; rua=mailto:a@example.com!10m, https://r.example.net/x; fo=1:d";
        let r = DmarcRecord::parse(text.as_bytes());
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        assert_eq!(r.p, Some(Policy::Quarantine));
        assert_eq!(r.sp, Some(Policy::Reject));
        assert_eq!(r.pct, Some(50));
        assert_eq!(r.fo, ['1', 'd']);
        assert_eq!(r.rua.len(), 2);
        assert_eq!(r.rua[0].size_limit, Some(10 << 20));
        assert_eq!(r.rua[0].host.as_deref(), Some("example.com"));
        assert_eq!(r.rua[1].host.as_deref(), Some("r.example.net"));
        let s = r.rua[0].span;
        assert_eq!(&text[s.start..s.end], "mailto:a@example.com!10m");
        assert_eq!(r.outcome(Reading::Rfc7489), Outcome::Valid);
    }

    #[test]
    fn spans_point_at_the_problem() {
        let text = "v=DMARC1; p=reject; pct=150";
        let r = DmarcRecord::parse(text.as_bytes());
        let p = &r.problems[0];
        assert_eq!(p.kind, ProblemKind::InvalidValue);
        assert_eq!(&text[p.span.start..p.span.end], "pct=150");
        assert_eq!(r.outcome(Reading::Rfc7489), Outcome::TagDiscarded);
        assert_eq!(r.outcome(Reading::Dmarcbis), Outcome::Valid);
    }

    #[test]
    fn version_must_be_first_and_exact() {
        assert!(has_valid_version(b"v=DMARC1; p=none"));
        assert!(has_valid_version(b"v = DMARC1"));
        assert!(!has_valid_version(b"v=DMARC1, p=none"));
        assert!(!has_valid_version(b"v=dmarc1; p=none"));
        assert!(!has_valid_version(b" v=DMARC1; p=none"));
        assert!(!has_valid_version(b"v=DMARC10"));
        assert!(looks_like_dmarc(b"p=none; v=DMARC1"));
        assert!(!looks_like_dmarc(b"v=spf1 -all"));
    }
}
