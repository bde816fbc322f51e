//! DMARC failure reports: ARF messages (RFC 5965 §2 the `multipart/report` layout, §3 the
//! `message/feedback-report` fields; RFC 6591 §3 the `auth-failure` type and its fields;
//! RFC 7489 §7.3.1 and RFC 9991 for DMARC's use of them, `Auth-Failure: dmarc` and
//! `Identity-Alignment`), read into typed facts.
//!
//! Any ARF message is read: the caller tells a DMARC failure report from a complaint by
//! [`FailureReport::feedback_type`] ([`FailureReport::is_auth_failure`]); an abuse or opt-out
//! report is never one. Privacy (SPEC): no recipient address is kept, `Original-Rcpt-To` is a
//! count, and of the original message only the author's domain, Message-ID, a bounded Subject
//! and the Date.

use super::aggregate::{ReportError, ReportProblem};
use mail_parser::{Message, MessageParser, MimeHeaders, PartType};
use serde::{Serialize, Serializer};
use std::net::IpAddr;

/// A failure report larger than this is refused before it is parsed: one message and a
/// report about it, where a real one is at most a few MB.
pub const MAX_MESSAGE: usize = 64 << 20;

/// A feedback field's value (unfolded) longer than this is left out, with a problem.
pub const MAX_FIELD: usize = 4096;

/// Feedback fields read from one report, at most; the rest are left out, with a problem.
pub const MAX_FIELDS: usize = 1000;

/// The original Subject is cut to this many characters: it is evidence, not content.
pub const MAX_SUBJECT: usize = 200;

/// RFC 5965 §3.1 `Feedback-Type`, with the values IANA registers (RFC 5965 §7.3, RFC 6430
/// `not-spam`, RFC 6591 `auth-failure`); any other is kept lower-cased as written.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum FeedbackType {
    AuthFailure,
    Abuse,
    Fraud,
    Virus,
    NotSpam,
    Other,
    Unregistered(String),
}

const FEEDBACK_TYPES: &[(&str, FeedbackType)] = &[
    ("auth-failure", FeedbackType::AuthFailure),
    ("abuse", FeedbackType::Abuse),
    ("fraud", FeedbackType::Fraud),
    ("virus", FeedbackType::Virus),
    ("not-spam", FeedbackType::NotSpam),
    ("other", FeedbackType::Other),
];

impl FeedbackType {
    pub fn parse(value: &str) -> FeedbackType {
        let value = value.trim().to_ascii_lowercase();
        FEEDBACK_TYPES
            .iter()
            .find(|(name, _)| *name == value)
            .map_or(FeedbackType::Unregistered(value), |(_, t)| t.clone())
    }

    pub fn as_str(&self) -> &str {
        match self {
            FeedbackType::Unregistered(s) => s,
            known => FEEDBACK_TYPES
                .iter()
                .find(|(_, t)| t == known)
                .map_or("", |(name, _)| name),
        }
    }
}

impl Serialize for FeedbackType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// One ARF report: its feedback fields, and what the attached original shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FailureReport {
    pub feedback_type: FeedbackType,
    pub version: Option<String>,
    pub user_agent: Option<String>,
    /// `Arrival-Date` as written (or the historic `Received-Date`), and its Unix time when it
    /// parses as an RFC 5322 date.
    pub arrival_date: Option<String>,
    pub arrival_time: Option<i64>,
    pub source_ip: Option<IpAddr>,
    /// `Reported-Domain` (it may appear more than once), lower-cased.
    pub reported_domain: Vec<String>,
    /// The domain of `Original-Mail-From` (None for the null path `<>`); never the address.
    pub original_mail_from_domain: Option<String>,
    /// How many `Original-Rcpt-To` fields there were: the addresses are not kept.
    pub original_rcpt_to_count: usize,
    /// The `Original-Rcpt-To` addresses, only when the caller asked for them
    /// ([`parse_arf`] for a complaint's suppression row); never written with the report.
    #[serde(skip)]
    pub original_rcpt_to: Vec<String>,
    pub authentication_results: Vec<String>,
    /// `Delivery-Result` (RFC 6591 §3.1: delivered, spam, policy, reject, other), lower-cased.
    pub delivery_result: Option<String>,
    /// `Auth-Failure` (RFC 6591 §3.1: adsp, bodyhash, revoked, signature, spf; RFC 7489
    /// §7.3.1: dmarc), lower-cased.
    pub auth_failure: Option<String>,
    /// `Identity-Alignment` (RFC 7489 §7.3.1: none, or a list of dkim and spf), lower-cased.
    pub identity_alignment: Vec<String>,
    pub dkim_domain: Option<String>,
    pub dkim_identity: Option<String>,
    pub dkim_selector: Option<String>,
    pub spf_dns: Option<String>,
    pub original_envelope_id: Option<String>,
    pub incidents: Option<u64>,
    pub reporting_mta: Option<String>,
    /// The attached original (`message/rfc822` or `text/rfc822-headers`), if any.
    pub original: Option<OriginalMessage>,
    pub problems: Vec<ReportProblem>,
}

/// What is kept of the reported message: who it claimed to be from and which it was.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct OriginalMessage {
    /// The domain of the first From address, lower-cased (the DMARC identifier).
    pub header_from_domain: Option<String>,
    pub message_id: Option<String>,
    /// At most [`MAX_SUBJECT`] characters.
    pub subject: Option<String>,
    /// `Date` as written, and its Unix time when it parses.
    pub date: Option<String>,
    pub date_time: Option<i64>,
    /// Only the header was attached (`text/rfc822-headers`).
    pub headers_only: bool,
}

impl FailureReport {
    /// A DMARC (or other authentication) failure report, not a complaint.
    pub fn is_auth_failure(&self) -> bool {
        self.feedback_type == FeedbackType::AuthFailure
    }
}

/// `Auth-Failure` values registered for `auth-failure` reports.
const AUTH_FAILURES: &[&str] = &["adsp", "bodyhash", "revoked", "signature", "spf", "dmarc"];
const DELIVERY_RESULTS: &[&str] = &["delivered", "spam", "policy", "reject", "other"];

/// Read one ARF message (a DMARC failure report, or any other feedback report).
pub fn parse_failure(message: &[u8]) -> Result<FailureReport, ReportError> {
    parse_arf(message, false)
}

/// [`parse_failure`], keeping the `Original-Rcpt-To` addresses when `keep_recipients`: a
/// complaint names the recipient to suppress (`mailaudit feedback`); a DMARC failure report
/// keeps none (privacy, SPEC).
pub fn parse_arf(message: &[u8], keep_recipients: bool) -> Result<FailureReport, ReportError> {
    if message.len() > MAX_MESSAGE {
        return Err(ReportError {
            line: 1,
            message: format!(
                "a message of {} bytes, more than the {MAX_MESSAGE} a failure report may have: refused",
                message.len()
            ),
        });
    }
    let parsed = match crate::mime::parse(&MessageParser::default(), message) {
        Ok(Some(parsed)) => parsed,
        Ok(None) => {
            return Err(ReportError {
                line: 1,
                message: "not a message (no header fields): not an ARF report".into(),
            });
        }
        Err(failed) => {
            return Err(ReportError {
                line: 1,
                message: failed.to_string(),
            });
        }
    };
    read_arf(message, &parsed, keep_recipients)
}

/// [`parse_arf`] of a message already parsed from `message` (its offsets point into it), so
/// a reader that parsed it to tell what it is does not parse it again.
pub fn read_arf(
    message: &[u8],
    parsed: &Message<'_>,
    keep_recipients: bool,
) -> Result<FailureReport, ReportError> {
    let mut feedback_parts = parsed.parts.iter().filter(|part| {
        part.content_type().is_some_and(|ct| {
            ct.ctype().eq_ignore_ascii_case("message")
                && ct
                    .subtype()
                    .is_some_and(|s| s.eq_ignore_ascii_case("feedback-report"))
        })
    });
    let Some(feedback) = feedback_parts.next() else {
        return Err(ReportError {
            line: 1,
            message: "no message/feedback-report part: not an ARF report (RFC 5965 §2)".into(),
        });
    };
    let mut problems = Vec::new();
    let extra = feedback_parts.count();
    // The line of the part's body in the file: each field's line is counted from it, unless
    // a transfer encoding hides the lines, when every field is on the part's first line.
    let body_offset = feedback.offset_body as usize;
    let body_line = crate::text::line_of(message, body_offset.min(message.len()));
    let encoded = feedback.encoding != mail_parser::Encoding::None;
    if extra > 0 {
        problems.push(ReportProblem {
            line: body_line,
            message: format!(
                "{extra} more message/feedback-report part(s): only the first is read"
            ),
        });
    }
    let fields = feedback_fields(feedback.contents(), body_line, encoded, &mut problems);
    let mut report = read_fields(&fields, body_line, &mut problems)?;
    if keep_recipients {
        report.original_rcpt_to = fields
            .iter()
            .filter(|f| f.name == "original-rcpt-to")
            .map(|f| {
                f.value
                    .trim_matches(|c: char| c == '<' || c == '>' || c.is_whitespace())
            })
            .filter(|a| !a.is_empty())
            .map(str::to_string)
            .collect();
    }
    report.original = original(parsed, &mut problems);
    report.problems = problems;
    Ok(report)
}

/// One feedback field: its name lower-cased, its value unfolded and trimmed, its line.
struct Field {
    name: String,
    value: String,
    line: usize,
}

/// The header-style fields of a `message/feedback-report` body (RFC 5965 §3: RFC 5322 field
/// syntax; a line starting with a blank continues the field before it).
fn feedback_fields(
    body: &[u8],
    first_line: usize,
    encoded: bool,
    problems: &mut Vec<ReportProblem>,
) -> Vec<Field> {
    let text = String::from_utf8_lossy(body);
    let mut fields: Vec<Field> = Vec::new();
    // The field being read, if it is kept; continuation lines of a field left out (no
    // colon, or past MAX_FIELDS) are left out with it.
    let mut current: Option<Field> = None;
    let mut dropped = 0usize;
    let mut finish = |field: Option<Field>, fields: &mut Vec<Field>| {
        if let Some(mut field) = field {
            if field.value.len() > MAX_FIELD {
                problems.push(ReportProblem {
                    line: field.line,
                    message: format!(
                        "the {} field is longer than {MAX_FIELD} bytes: left out",
                        field.name
                    ),
                });
            } else {
                field.value = field.value.trim().to_string();
                fields.push(field);
            }
        }
    };
    let mut not_fields = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let number = if encoded { first_line } else { first_line + i };
        if line.trim().is_empty() {
            // A blank line ends the fields (RFC 5322 §2.1: the header ends at one).
            if current.is_some() || !fields.is_empty() {
                break;
            }
            continue;
        }
        if line.starts_with([' ', '\t']) {
            // Unfolding (RFC 5322 §2.2.3) removes the line break and keeps the blanks;
            // past the bound the rest is not gathered, the field is already refused.
            if let Some(field) = &mut current
                && field.value.len() <= MAX_FIELD
            {
                field.value.push_str(line);
            }
            continue;
        }
        finish(current.take(), &mut fields);
        // RFC 5322 §2.2: a field name is printable ASCII other than the colon.
        let named = line.split_once(':').filter(|(name, _)| {
            let name = name.trim_end();
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_graphic())
        });
        let Some((name, value)) = named else {
            not_fields.push(ReportProblem {
                line: number,
                message: format!(
                    "{:?} is not a field (no name and colon): left out",
                    crate::text::escape_untrusted(&truncate_chars(line, 80))
                ),
            });
            continue;
        };
        if fields.len() >= MAX_FIELDS {
            dropped += 1;
            continue;
        }
        current = Some(Field {
            name: name.trim().to_ascii_lowercase(),
            value: value.to_string(),
            line: number,
        });
    }
    finish(current.take(), &mut fields);
    problems.extend(not_fields);
    if dropped > 0 {
        problems.push(ReportProblem {
            line: first_line,
            message: format!("{dropped} feedback fields past the first {MAX_FIELDS} are left out"),
        });
    }
    fields
}

/// The report's fields into a [`FailureReport`] (its original still to be read).
fn read_fields(
    fields: &[Field],
    body_line: usize,
    problems: &mut Vec<ReportProblem>,
) -> Result<FailureReport, ReportError> {
    let all = |name: &'static str| fields.iter().filter(move |f| f.name == name);
    let one =
        |name: &'static str, problems: &mut Vec<ReportProblem>| one_field(fields, name, problems);
    let Some((feedback_type, _)) = one("feedback-type", problems) else {
        return Err(ReportError {
            line: body_line,
            message: "the feedback report has no Feedback-Type field (RFC 5965 §3.1 requires it)"
                .into(),
        });
    };
    let feedback_type = FeedbackType::parse(&feedback_type);
    let lower = |v: Option<(String, usize)>| v.map(|(s, _)| s.to_ascii_lowercase());
    let version = one("version", problems).map(|(v, _)| v);
    let user_agent = one("user-agent", problems).map(|(v, _)| v);
    for (name, value) in [("Version", &version), ("User-Agent", &user_agent)] {
        if value.is_none() {
            problems.push(ReportProblem {
                line: body_line,
                message: format!("no {name} field (RFC 5965 §3.1 requires it)"),
            });
        }
    }
    let mut arrival = one("arrival-date", problems);
    if arrival.is_none()
        && let Some(historic) = one("received-date", problems)
    {
        problems.push(ReportProblem {
            line: historic.1,
            message:
                "Received-Date is the historic name of Arrival-Date (RFC 5965 §3.2): read as it"
                    .into(),
        });
        arrival = Some(historic);
    }
    let arrival_time = arrival.as_ref().and_then(|(text, line)| {
        let time = rfc5322_time(text);
        if time.is_none() {
            problems.push(ReportProblem {
                line: *line,
                message: format!(
                    "Arrival-Date {:?} is not an RFC 5322 date: kept as written",
                    crate::text::escape_untrusted(text)
                ),
            });
        }
        time
    });
    let source_ip = one("source-ip", problems).and_then(|(text, line)| {
        // "192.0.2.1 (host.example)" and "[192.0.2.1]" are both met.
        let token = text.split_whitespace().next().unwrap_or("");
        let ip = token
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .ok();
        if ip.is_none() {
            problems.push(ReportProblem {
                line,
                message: format!(
                    "Source-IP {:?} is not an IP address: left out",
                    crate::text::escape_untrusted(&text)
                ),
            });
        }
        ip
    });
    let original_mail_from_domain = one("original-mail-from", problems).and_then(|(v, _)| {
        let address = v.trim().trim_start_matches('<').trim_end_matches('>');
        address
            .rsplit_once('@')
            .map(|(_, domain)| domain.trim().to_ascii_lowercase())
            .filter(|d| !d.is_empty())
    });
    let auth_failure = lower(one("auth-failure", problems));
    let delivery_result = lower(one("delivery-result", problems));
    let is_auth_failure = feedback_type == FeedbackType::AuthFailure;
    if is_auth_failure {
        for (name, value, allowed) in [
            ("Auth-Failure", &auth_failure, AUTH_FAILURES),
            ("Delivery-Result", &delivery_result, DELIVERY_RESULTS),
        ] {
            if let Some(v) = value
                && !allowed.contains(&v.as_str())
            {
                problems.push(ReportProblem {
                    line: body_line,
                    message: format!(
                        "{name} {:?} is not one of {}: kept as written",
                        crate::text::escape_untrusted(v),
                        allowed.join(", ")
                    ),
                });
            }
        }
        if auth_failure.is_none() {
            problems.push(ReportProblem {
                line: body_line,
                message: "no Auth-Failure field (RFC 6591 §3.1 requires it)".into(),
            });
        }
        // Without it a reader cannot tell which identifier, if any, was aligned.
        if auth_failure.as_deref() == Some("dmarc")
            && one_field(fields, "identity-alignment", &mut Vec::new()).is_none()
        {
            problems.push(ReportProblem {
                line: body_line,
                message: "no Identity-Alignment field (a DMARC failure report has one: RFC 7489 §7.3.1, RFC 9991)".into(),
            });
        }
    }
    let incidents = one("incidents", problems).and_then(|(v, line)| {
        let n = v.parse::<u64>().ok();
        if n.is_none() {
            problems.push(ReportProblem {
                line,
                message: format!(
                    "Incidents {:?} is not a number: left out",
                    crate::text::escape_untrusted(&v)
                ),
            });
        }
        n
    });
    let identity_alignment = one("identity-alignment", problems)
        .map(|(v, _)| {
            v.split(',')
                .map(|s| s.trim().to_ascii_lowercase())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let report = FailureReport {
        feedback_type,
        version,
        user_agent,
        arrival_date: arrival.map(|(v, _)| v),
        arrival_time,
        source_ip,
        reported_domain: all("reported-domain")
            .map(|f| f.value.to_ascii_lowercase())
            .filter(|d| !d.is_empty())
            .collect(),
        original_mail_from_domain,
        original_rcpt_to_count: all("original-rcpt-to").count(),
        original_rcpt_to: Vec::new(),
        authentication_results: all("authentication-results")
            .map(|f| f.value.clone())
            .filter(|v| !v.is_empty())
            .collect(),
        delivery_result,
        auth_failure,
        identity_alignment,
        dkim_domain: lower(one("dkim-domain", problems)),
        dkim_identity: one("dkim-identity", problems).map(|(v, _)| v),
        dkim_selector: one("dkim-selector", problems).map(|(v, _)| v),
        spf_dns: one("spf-dns", problems).map(|(v, _)| v),
        original_envelope_id: one("original-envelope-id", problems).map(|(v, _)| v),
        incidents,
        // RFC 5965 §3.2 takes RFC 3464's form, "dns; mta.example": the name is kept.
        reporting_mta: one("reporting-mta", problems).map(|(v, _)| {
            v.split_once(';')
                .map_or(v.as_str(), |(_, name)| name)
                .trim()
                .to_string()
        }),
        original: None,
        problems: Vec::new(),
    };
    if is_auth_failure && report.source_ip.is_none() {
        problems.push(ReportProblem {
            line: body_line,
            message: "no usable Source-IP field: the sending host is unknown".into(),
        });
    }
    if is_auth_failure && report.authentication_results.is_empty() {
        problems.push(ReportProblem {
            line: body_line,
            message: "no Authentication-Results field (RFC 6591 §3.1 requires it)".into(),
        });
    }
    Ok(report)
}

/// The value and line of a field that may appear once; a repeat is a problem.
fn one_field(
    fields: &[Field],
    name: &str,
    problems: &mut Vec<ReportProblem>,
) -> Option<(String, usize)> {
    let mut found = fields
        .iter()
        .filter(|f| f.name == name && !f.value.is_empty());
    let first = found.next()?;
    if found.next().is_some() {
        problems.push(ReportProblem {
            line: first.line,
            message: format!(
                "the {name} field appears more than once (RFC 5965 §3.2 allows one): the first is read"
            ),
        });
    }
    Some((first.value.clone(), first.line))
}

/// The Unix time of an RFC 5322 date, when it is one.
fn rfc5322_time(text: &str) -> Option<i64> {
    mail_parser::DateTime::parse_rfc822(text)
        .filter(mail_parser::DateTime::is_valid)
        .map(|d| d.to_timestamp())
}

fn truncate_chars(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => text[..end].to_string(),
        None => text.to_string(),
    }
}

/// The first attached original of the report (RFC 5965 §2: the third part).
fn original(
    message: &mail_parser::Message<'_>,
    problems: &mut Vec<ReportProblem>,
) -> Option<OriginalMessage> {
    for part in &message.parts {
        let Some(ct) = part.content_type() else {
            continue;
        };
        let kind = (
            ct.ctype().to_ascii_lowercase(),
            ct.subtype().unwrap_or("").to_ascii_lowercase(),
        );
        match (kind.0.as_str(), kind.1.as_str(), &part.body) {
            ("message", "rfc822" | "global", PartType::Message(original)) => {
                return Some(describe(original, false, problems));
            }
            ("text", "rfc822-headers", _) => {
                let headers = part.contents();
                let parsed =
                    crate::mime::parse_headers(&MessageParser::default(), headers).ok()??;
                return Some(describe(&parsed, true, problems));
            }
            _ => {}
        }
    }
    None
}

fn describe(
    original: &mail_parser::Message<'_>,
    headers_only: bool,
    problems: &mut Vec<ReportProblem>,
) -> OriginalMessage {
    let header_from_domain = original
        .from()
        .and_then(|from| from.first())
        .and_then(|addr| addr.address())
        .and_then(|address| address.rsplit_once('@'))
        .map(|(_, domain)| domain.trim().trim_end_matches('>').to_ascii_lowercase())
        .filter(|d| !d.is_empty());
    let subject = original.subject().map(|s| {
        let cut = truncate_chars(s.trim(), MAX_SUBJECT);
        if cut.len() < s.trim().len() {
            problems.push(ReportProblem {
                line: 1,
                message: format!("the original Subject is cut to {MAX_SUBJECT} characters"),
            });
        }
        cut
    });
    let date = original
        .header_raw("Date")
        .map(|d| truncate_chars(d.trim(), 100))
        .filter(|d| !d.is_empty());
    let date_time = date.as_deref().and_then(rfc5322_time);
    OriginalMessage {
        header_from_domain,
        message_id: original
            .message_id()
            .map(|id| truncate_chars(id, 998))
            .filter(|id| !id.is_empty()),
        subject,
        date,
        date_time,
        headers_only,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = "From: r@receiver.example\r\n\
To: ruf@sender.example\r\n\
Subject: failure\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/report; report-type=feedback-report; boundary=b\r\n\
\r\n\
--b\r\n\
Content-Type: text/plain\r\n\
\r\n\
A failure.\r\n\
--b\r\n\
Content-Type: message/feedback-report\r\n\
\r\n\
feedback-type: Auth-Failure\r\n\
User-Agent: test/1\r\n\
Version: 1\r\n\
Original-Rcpt-To: <a@receiver.example>\r\n\
Original-Rcpt-To: <b@receiver.example>\r\n\
Authentication-Results: receiver.example;\r\n\
\t dmarc=fail header.from=sender.example\r\n\
Auth-Failure: dmarc\r\n\
Identity-Alignment: none\r\n\
Source-IP: 192.0.2.7\r\n\
Reported-Domain: Sender.Example\r\n\
Arrival-Date: Tue, 30 Apr 2019 02:09:00 +0000\r\n\
\r\n\
--b\r\n\
Content-Type: text/rfc822-headers\r\n\
\r\n\
From: Someone <someone@Sender.Example>\r\n\
To: <a@receiver.example>\r\n\
Subject: hello\r\n\
Message-ID: <m1@sender.example>\r\n\
\r\n\
--b--\r\n";

    #[test]
    fn fields_are_unfolded_case_insensitive_and_recipients_only_counted() {
        let r = parse_failure(REPORT.as_bytes()).unwrap();
        assert!(r.is_auth_failure());
        assert_eq!(r.original_rcpt_to_count, 2);
        assert_eq!(
            r.authentication_results,
            // RFC 5322 §2.2.3: unfolding removes the line break, not the blanks.
            ["receiver.example;\t dmarc=fail header.from=sender.example"]
        );
        assert_eq!(r.reported_domain, ["sender.example"]);
        assert_eq!(r.identity_alignment, ["none"]);
        assert_eq!(r.arrival_time, Some(1_556_590_140));
        let original = r.original.as_ref().unwrap();
        assert!(original.headers_only);
        assert_eq!(
            original.header_from_domain.as_deref(),
            Some("sender.example")
        );
        assert_eq!(original.message_id.as_deref(), Some("m1@sender.example"));
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        let json = serde_json::to_string(&r).unwrap();
        assert!(!json.contains("a@receiver.example"), "{json}");
    }

    #[test]
    fn an_over_long_field_is_a_problem_on_its_line() {
        let long = format!("Reported-Domain: {}\r\n", "x".repeat(MAX_FIELD + 10));
        let report = REPORT.replace("Reported-Domain: Sender.Example\r\n", &long);
        let r = parse_failure(report.as_bytes()).unwrap();
        assert!(r.reported_domain.is_empty());
        let p = &r.problems[0];
        assert!(p.message.contains("longer than"), "{p:?}");
        assert_eq!(p.line, 24, "{p:?}");
    }

    #[test]
    fn a_line_that_is_no_field_is_left_out_with_its_continuation() {
        let report = REPORT.replace(
            "Auth-Failure: dmarc\r\n",
            "Auth-Failure: dmarc\r\nnot a field\r\n Reported-Domain: evil.example\r\n",
        );
        let r = parse_failure(report.as_bytes()).unwrap();
        assert_eq!(r.auth_failure.as_deref(), Some("dmarc"));
        assert_eq!(r.reported_domain, ["sender.example"]);
        assert_eq!(r.problems.len(), 1, "{:?}", r.problems);
        assert!(r.problems[0].message.contains("not a field"));
        assert_eq!(r.problems[0].line, 22);
    }

    #[test]
    fn a_name_with_a_control_character_is_no_field() {
        let report = REPORT.replace(
            "Auth-Failure: dmarc\r\n",
            "Auth-Failure: dmarc\r\nSource\x1b-IP: 198.51.100.1\r\n",
        );
        let r = parse_failure(report.as_bytes()).unwrap();
        assert_eq!(r.source_ip, Some("192.0.2.7".parse().unwrap()));
        assert_eq!(r.problems.len(), 1, "{:?}", r.problems);
        let said = &r.problems[0].message;
        assert!(said.contains("x1b-IP") && !said.contains('\x1b'), "{said}");
    }

    #[test]
    fn an_oversized_report_is_refused_before_it_is_read() {
        let big = vec![b' '; MAX_MESSAGE + 1];
        assert!(parse_failure(&big).unwrap_err().message.contains("refused"));
    }

    #[test]
    fn a_complaint_is_told_apart_and_no_report_part_says_so() {
        let abuse = REPORT.replace("Auth-Failure\r\n", "abuse\r\n");
        let r = parse_failure(abuse.as_bytes()).unwrap();
        assert_eq!(r.feedback_type, FeedbackType::Abuse);
        assert!(!r.is_auth_failure());
        let e = parse_failure(b"Subject: hi\r\n\r\nbody\r\n").unwrap_err();
        assert!(e.message.contains("no message/feedback-report part"), "{e}");
    }
}
