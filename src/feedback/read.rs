//! One feedback message read into what it says per recipient: a DSN (RFC 3464
//! `message/delivery-status`), an ARF complaint (RFC 5965, through the reader of
//! `crate::reports::failure`), an Amazon SES JSON notification, the text of a bounce from an
//! MTA that writes no DSN (qmail, Exim, Postfix without DSN, Exchange, ...), an automatic
//! reply (RFC 3834), or none of these, with the reason.
//!
//! Line endings are made LF before anything is read, so a message classifies the same with
//! LF, CRLF or bare CR. Of the bounced message only its header fields are read (the From
//! domain, Message-ID, Feedback-ID, List-Id); bodies are never kept, and the diagnostic is a
//! short piece of the receiver's reply.

use super::classify::{StatusCode, hardness, reason, reply_code};
use super::facts::{BounceClass, FeedbackFormat, FeedbackKind, Reason};
use super::mail::{Body, Mail};
use crate::reports::failure::{FeedbackType, read_arf};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use mail_parser::{HeaderName, Message, MessageParser};
use std::borrow::Cow;
use std::sync::OnceLock;

/// A message larger than this is refused before it is parsed: a bounce carries at most the
/// original message, and the limit is that of a draft.
pub const MAX_MESSAGE: usize = 10_000_000;

/// The diagnostic kept per recipient, in characters.
pub const MAX_DIAGNOSTIC: usize = 300;

/// Recipients read from one message, at most.
pub const MAX_RECIPIENTS: usize = 1000;

/// The text of a bounce searched for recipients and replies, in bytes.
const MAX_TEXT: usize = 64 << 10;

/// A header value kept (Message-ID, Feedback-ID, List-Id), in characters.
const MAX_VALUE: usize = 256;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReadError {
    #[error("a message of {0} bytes, more than the {MAX_MESSAGE} a feedback message may have")]
    TooLarge(usize),
    #[error("not a message: it has no header fields")]
    NotAMessage,
    #[error(transparent)]
    ParserFailed(#[from] crate::mime::ParserFailed),
}

/// What the bounced or reported message was, from its header fields.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Original {
    pub sending_domain: Option<String>,
    pub message_id: Option<String>,
    pub feedback_id: Option<String>,
    pub list_id: Option<String>,
    pub campaign: Option<String>,
}

/// One recipient the message speaks of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recipient {
    pub address: Option<String>,
    pub kind: FeedbackKind,
    pub bounce: Option<BounceClass>,
    pub reason: Option<Reason>,
    pub status: Option<String>,
    pub diagnostic: Option<String>,
    pub remote_mta: Option<String>,
}

/// One message read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reading {
    pub kind: FeedbackKind,
    pub format: FeedbackFormat,
    /// Why it is not feedback (or what kind of report it is instead).
    pub why: Option<String>,
    /// The message's date (Unix seconds): its Date, else the report's Arrival-Date.
    pub date: Option<i64>,
    pub original: Original,
    pub recipients: Vec<Recipient>,
    pub feedback_type: Option<String>,
}

/// Read one message.
pub fn read_message(raw: &[u8]) -> Result<Reading, ReadError> {
    read(raw, false)
}

/// The same reading, with the message always through the full MIME parse (mail-parser):
/// what [`read_message`] must agree with (tests/integration/feedback_conformance.rs).
pub fn read_message_fully_parsed(raw: &[u8]) -> Result<Reading, ReadError> {
    read(raw, true)
}

fn read(raw: &[u8], full: bool) -> Result<Reading, ReadError> {
    if raw.len() > MAX_MESSAGE {
        return Err(ReadError::TooLarge(raw.len()));
    }
    let bytes = lf(raw);
    // Most messages are walked without the full parse; an ARF report (read by
    // reports::failure from mail-parser's reading), or whatever the walk is unsure of, is
    // parsed in full.
    if !full
        && let Some(mail) = Mail::walk(&bytes)
        && !mail.has_part("message", "feedback-report")
    {
        return Ok(read_mail(&bytes, &mail, None));
    }
    let parsed = crate::mime::parse(parser(), bytes.as_ref())?
        .filter(|m| !m.headers().is_empty())
        .ok_or(ReadError::NotAMessage)?;
    let mail = Mail::from_parsed(&parsed);
    Ok(read_mail(&bytes, &mail, Some(&parsed)))
}

fn read_mail(bytes: &[u8], parsed: &Mail<'_>, full: Option<&Message<'_>>) -> Reading {
    let date = parsed
        .date()
        .filter(|d| d.is_valid())
        .map(|d| d.to_timestamp());
    // The bounce's own text, read once: every reader below looks at it.
    let text = body_text(parsed);
    let text = text.as_str();
    if let Some(reading) = dsn(parsed, date, text) {
        return reading;
    }
    if let Some(full) = full
        && parsed.has_part("message", "feedback-report")
    {
        return arf(bytes, parsed, full, date, text);
    }
    if let Some(reading) = ses(date, text) {
        return reading;
    }
    if let Some(reading) = jmrp(parsed, date) {
        return reading;
    }
    if looks_like_bounce(parsed) {
        return text_bounce(parsed, date, text);
    }
    if parsed
        .header_raw("X-Apple-Unsubscribe")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
    {
        return Reading {
            kind: FeedbackKind::NotFeedback,
            format: FeedbackFormat::None,
            why: Some(
                "an unsubscribe request sent by the recipient's mail client \
                 (X-Apple-Unsubscribe: true): not a bounce or a complaint; take the address off \
                 the list"
                    .into(),
            ),
            date,
            original: original_of(parsed, text),
            recipients: Vec::new(),
            feedback_type: None,
        };
    }
    if let Some(reading) = auto_reply(parsed, date, text) {
        return reading;
    }
    Reading {
        kind: FeedbackKind::NotFeedback,
        format: FeedbackFormat::None,
        why: Some(
            "no delivery-status or feedback-report part, no SES notification, not from a mail \
             system (MAILER-DAEMON, postmaster) nor with a bounce's subject, and no \
             auto-reply header (RFC 3834): an ordinary message"
                .into(),
        ),
        date,
        original: original_of(parsed, text),
        recipients: Vec::new(),
        feedback_type: None,
    }
}

/// The message parser: only the header fields read here are parsed (MIME, Date, Subject,
/// addresses, Message-ID); the rest, Received above all, are kept raw.
fn parser() -> &'static MessageParser {
    static PARSER: OnceLock<MessageParser> = OnceLock::new();
    PARSER.get_or_init(|| {
        MessageParser::new()
            .with_minimal_headers()
            .header_id(HeaderName::MessageId)
    })
}

/// CRLF and bare CR as LF.
fn lf(raw: &[u8]) -> Cow<'_, [u8]> {
    if !raw.contains(&b'\r') {
        return Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut at = 0;
    while at < raw.len() {
        let b = raw[at];
        if b == b'\r' {
            out.push(b'\n');
            if raw.get(at + 1) == Some(&b'\n') {
                at += 1;
            }
        } else {
            out.push(b);
        }
        at += 1;
    }
    Cow::Owned(out)
}

/// The words of `text` one blank apart, at most `max` characters of them, `…` marking a cut.
fn cut(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max * 4 + 4));
    let mut chars = 0;
    for word in text.split_whitespace() {
        for (n, piece) in [" ", word].into_iter().enumerate() {
            if n == 0 && out.is_empty() {
                continue;
            }
            for c in piece.chars() {
                if chars == max {
                    out.push('…');
                    return out;
                }
                out.push(c);
                chars += 1;
            }
        }
    }
    out
}

fn value(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| cut(text, MAX_VALUE))
}

/// The domain of an address, lower-cased.
fn domain_of(address: &str) -> Option<String> {
    let (_, domain) = address.trim().trim_end_matches('>').rsplit_once('@')?;
    let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    (!domain.is_empty() && domain.contains('.')).then_some(domain)
}

/// The bounced message's header fields: an attached `message/rfc822` (or `global`), a
/// `text/rfc822-headers` part, or the copy some MTAs put below a line in the text.
fn original_of(message: &Mail<'_>, text: &str) -> Original {
    original_with(message, text, || copy_marker(text))
}

/// [`original_of`], with where the copy starts in the text when the caller knows it.
fn original_with(
    message: &Mail<'_>,
    text: &str,
    marker: impl FnOnce() -> Option<usize>,
) -> Original {
    for part in &message.parts {
        if let Body::Message(inner) = &part.body {
            return original_fields(inner);
        }
        if part.is_type("text", "rfc822-headers")
            && let Some(original) = original_in_block(part.contents())
        {
            return original;
        }
    }
    if let Some(at) = marker() {
        let rest = text[at..].split_once('\n').map_or("", |(_, r)| r);
        let rest = rest.trim_start_matches(['\n', ' ', '\t']);
        if let Some(original) = original_in_block(rest.as_bytes()) {
            return original;
        }
    }
    Original::default()
}

/// The original's fields from a block of header fields: split in place, or parsed by
/// mail-parser when the block is not clean (it reads what it can of any text).
fn original_in_block(block: &[u8]) -> Option<Original> {
    if let Some(inner) = Mail::header_block(block) {
        return Some(original_fields(&inner));
    }
    let inner = crate::mime::parse_headers(parser(), block).ok()??;
    Some(original_fields(&Mail::from_parsed(&inner)))
}

fn original_fields(inner: &Mail<'_>) -> Original {
    let from = inner
        .from()
        .as_ref()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .map(str::to_string);
    Original {
        sending_domain: from.as_deref().and_then(domain_of),
        message_id: inner.message_id().as_deref().and_then(value),
        feedback_id: inner.header_raw("Feedback-ID").and_then(value),
        list_id: inner.header_raw("List-Id").and_then(value),
        // The campaign headers ESPs and mailing software write, the first present.
        campaign: [
            "X-Campaign-ID",
            "X-CampaignID",
            "X-Campaign",
            "X-Mailgun-Campaign-Id",
        ]
        .iter()
        .find_map(|h| inner.header_raw(h))
        .and_then(value),
    }
}

/// Where the copy of the bounced message starts in a bounce's text, if it has one.
fn copy_marker(text: &str) -> Option<usize> {
    const MARKERS: &[&str] = &[
        "this is a copy of the message",
        "original message follows",
        "below this line is a copy of the message",
        "message headers follow",
        "------ original message",
        "--- original message",
        "-----original message-----",
        "headers of the original message",
        "the original message was received",
        "original message headers",
        "------ this is a copy of the message header",
        "the first 5k of the message follows",
        "unsent message below",
        "original message header",
        "content-type: message/rfc822",
    ];
    static MATCHER: OnceLock<Option<AhoCorasick>> = OnceLock::new();
    MATCHER
        .get_or_init(|| {
            AhoCorasickBuilder::new()
                .kind(Some(AhoCorasickKind::DFA))
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::LeftmostFirst)
                .build(MARKERS)
                .ok()
        })
        .as_ref()?
        .find(text)
        .map(|m| m.start())
}

/// The bounce's own text: its text/plain parts (an HTML part only when there is none), at
/// most [`MAX_TEXT`] bytes.
fn body_text(message: &Mail<'_>) -> String {
    let mut text = String::new();
    for html in [false, true] {
        for part in &message.parts {
            if text.len() >= MAX_TEXT {
                break;
            }
            match (&part.body, html) {
                (Body::Text(t), false) if !part.is_type("text", "rfc822-headers") => {
                    text.push_str(t);
                    text.push('\n');
                }
                (Body::Html(h), true) => {
                    text.push_str(&strip_tags(h));
                    text.push('\n');
                }
                _ => {}
            }
        }
        if !text.trim().is_empty() {
            break;
        }
    }
    if text.len() > MAX_TEXT {
        let mut end = MAX_TEXT;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
        .replace("&nbsp;", " ")
}

/// RFC 3464 §2: the per-message fields, then one group of fields per recipient, groups apart
/// by blank lines; a line starting with a blank continues the field before it.
fn dsn_groups(body: &str) -> Vec<Vec<(String, String)>> {
    let mut groups: Vec<Vec<(String, String)>> = Vec::new();
    let mut current: Vec<(String, String)> = Vec::new();
    for line in body.lines() {
        if line.trim().is_empty() {
            if !current.is_empty() {
                groups.push(std::mem::take(&mut current));
            }
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, v)) = current.last_mut().filter(|(_, v)| v.len() < 4096) {
                v.push(' ');
                v.push_str(line.trim());
            }
            continue;
        }
        if let Some((name, v)) = line.split_once(':') {
            if groups.len() + 1 > MAX_RECIPIENTS + 1 {
                break;
            }
            current.push((name.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    if !current.is_empty() {
        groups.push(current);
    }
    groups
}

fn field<'a>(group: &'a [(String, String)], name: &str) -> Option<&'a str> {
    group
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// `type; value` (RFC 3464 address-type, diagnostic-type, mta-name-type): the value.
fn typed(value: &str) -> &str {
    value.split_once(';').map_or(value, |(_, v)| v).trim()
}

fn address(value: &str) -> Option<String> {
    let v = typed(value)
        .trim_matches(|c: char| c == '<' || c == '>' || c.is_whitespace())
        .to_string();
    (v.contains('@') && v.len() <= 320).then_some(v)
}

/// A message with a `message/delivery-status` part (or `global-delivery-status`, RFC 6533).
fn dsn(message: &Mail<'_>, date: Option<i64>, text: &str) -> Option<Reading> {
    let part = message.parts.iter().find(|p| {
        p.is_type("message", "delivery-status") || p.is_type("message", "global-delivery-status")
    })?;
    let body = String::from_utf8_lossy(part.contents());
    let groups = dsn_groups(&body);
    let mut recipients = Vec::new();
    let mut arrival = None;
    for group in &groups {
        if let Some(a) = field(group, "arrival-date") {
            arrival = arrival.or(mail_parser::DateTime::parse_rfc822(a).map(|d| d.to_timestamp()));
        }
        let rcpt = field(group, "final-recipient")
            .or_else(|| field(group, "original-recipient"))
            .and_then(address);
        let action = field(group, "action").map(str::to_ascii_lowercase);
        let status_field = field(group, "status").and_then(StatusCode::parse);
        if rcpt.is_none() && action.is_none() && status_field.is_none() {
            continue; // the per-message group
        }
        let diagnostic = field(group, "diagnostic-code").map(|d| typed(d).to_string());
        let remote_mta = field(group, "remote-mta").map(|m| typed(m).to_string());
        recipients.push(classify_one(
            rcpt,
            action.as_deref(),
            status_field,
            diagnostic,
            remote_mta,
            text,
        ));
        if recipients.len() >= MAX_RECIPIENTS {
            break;
        }
    }
    if recipients.is_empty() {
        // A delivery-status part without recipient fields: read as a text bounce.
        let mut reading = text_bounce(message, date, text);
        reading.format = FeedbackFormat::Rfc3464;
        return Some(reading);
    }
    let kind = message_kind(&recipients);
    let why = (kind == FeedbackKind::NotFeedback).then(|| {
        "a delivery status notification for successful delivery (Action: delivered, relayed or \
         expanded): no failure to act on"
            .to_string()
    });
    Some(Reading {
        kind,
        format: FeedbackFormat::Rfc3464,
        why,
        date: date.or(arrival),
        original: original_of(message, text),
        recipients,
        feedback_type: None,
    })
}

fn message_kind(recipients: &[Recipient]) -> FeedbackKind {
    recipients
        .iter()
        .map(|r| r.kind)
        .min()
        .unwrap_or(FeedbackKind::NotFeedback)
}

/// One DSN recipient: RFC 3464's Action and Status decide the kind and the class; the reason
/// comes from the code and the diagnostic (or the bounce's text when the DSN says nothing).
fn classify_one(
    rcpt: Option<String>,
    action: Option<&str>,
    status: Option<StatusCode>,
    diagnostic: Option<String>,
    remote_mta: Option<String>,
    text: &str,
) -> Recipient {
    // Without a Diagnostic-Code the reply is looked for in the bounce's text, near the
    // recipient's mention.
    let diagnostic = diagnostic.or_else(|| {
        rcpt.as_deref()
            .filter(|_| !text.is_empty())
            .and_then(|a| reply_line(window(text, a)))
    });
    let in_diagnostic = diagnostic.as_deref().and_then(StatusCode::find);
    // A generic Status (x.0.0) says less than the code in the reply it stands for.
    let status = match (status, in_diagnostic) {
        (Some(s), Some(d)) if s.subject == 0 && s.detail == 0 && d.class == s.class => Some(d),
        (None, d) => d,
        (s, _) => s,
    };
    let kind = match action {
        Some(a) if a.starts_with("failed") => FeedbackKind::Bounce,
        Some(a) if a.starts_with("delayed") => FeedbackKind::Delayed,
        Some(a)
            if a.starts_with("delivered")
                || a.starts_with("relayed")
                || a.starts_with("expanded") =>
        {
            FeedbackKind::NotFeedback
        }
        // No (or an unknown) Action: the Status class says it (RFC 3464 §2.3.4).
        _ => match status.as_ref().map(|s| s.class) {
            Some(2) => FeedbackKind::NotFeedback,
            Some(4) if action.is_none() && text_says_delayed(text) => FeedbackKind::Delayed,
            _ => FeedbackKind::Bounce,
        },
    };
    let mut recipient = Recipient {
        address: rcpt,
        kind,
        bounce: None,
        reason: None,
        status: status.as_ref().map(ToString::to_string),
        diagnostic: diagnostic.as_deref().map(|d| cut(d, MAX_DIAGNOSTIC)),
        remote_mta: remote_mta.map(|m| cut(&m, MAX_VALUE)),
    };
    if matches!(kind, FeedbackKind::Bounce | FeedbackKind::Delayed) {
        let permanent = match status.as_ref().map(|s| s.class) {
            Some(5) => true,
            Some(_) => false,
            None => diagnostic
                .as_deref()
                .and_then(reply_code)
                .is_none_or(|c| c >= 500),
        };
        let mut why = reason(status.as_ref(), diagnostic.as_deref().unwrap_or(""));
        if why == Reason::Other || (why == Reason::Policy && status.is_none()) {
            let near = recipient
                .address
                .as_deref()
                .map_or(text, |a| window(text, a));
            let again = reason(status.as_ref(), near);
            if again != Reason::Other {
                why = again;
            }
        }
        // RFC 3464 §2.3.3: a failed delivery with a temporary status was given up on: it
        // stayed in the queue until it expired.
        if kind == FeedbackKind::Bounce
            && status.as_ref().is_some_and(|s| s.class == 4)
            && why == Reason::Other
        {
            why = Reason::Expired;
        }
        recipient.reason = Some(why);
        recipient.bounce = Some(if kind == FeedbackKind::Delayed {
            BounceClass::Soft
        } else {
            hardness(permanent, why)
        });
        if recipient.diagnostic.is_none() {
            recipient.diagnostic = recipient
                .address
                .as_deref()
                .and_then(|a| reply_line(window(text, a)))
                .or_else(|| reply_line(text))
                .map(|d| cut(&d, MAX_DIAGNOSTIC));
        }
    }
    recipient
}

fn text_says_delayed(text: &str) -> bool {
    [
        "will continue",
        "will retry",
        "still trying",
        "delayed",
        "not yet been delivered",
    ]
    .iter()
    .any(|p| find_ignore_case(text, p).is_some())
}

/// Where `needle` (lower-case ASCII) first is in `text`, ASCII case ignored; no copy of the
/// text is made.
fn find_ignore_case(text: &str, needle: &str) -> Option<usize> {
    let (hay, needle) = (text.as_bytes(), needle.as_bytes());
    let first = *needle.first()?;
    let mut at = 0;
    while at + needle.len() <= hay.len() {
        let p = at
            + memchr::memchr2(
                first.to_ascii_lowercase(),
                first.to_ascii_uppercase(),
                &hay[at..],
            )?;
        if hay.len() - p >= needle.len() && hay[p..p + needle.len()].eq_ignore_ascii_case(needle) {
            return Some(p);
        }
        at = p + 1;
    }
    None
}

/// The text near the first mention of `address`: from the start of its line, up to 1,500
/// bytes.
fn window<'a>(text: &'a str, address: &str) -> &'a str {
    let Some(at) = find_ignore_case(text, &address.to_ascii_lowercase()) else {
        return text;
    };
    let at = text[..at].rfind('\n').map_or(0, |nl| nl + 1);
    let mut end = (at + 1500).min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[at..end]
}

/// The first line of `text` that holds an SMTP reply or a status code, with the lines that
/// continue it.
fn reply_line(text: &str) -> Option<String> {
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if reply_code(line).is_some() || StatusCode::find(line).is_some() {
            let mut out = line.trim().to_string();
            for next in lines.by_ref().take(3) {
                let next = next.trim();
                // A blank line, or the next recipient's reply, ends this one.
                if next.is_empty()
                    || out.len() > MAX_DIAGNOSTIC
                    || !addresses_in(next).is_empty()
                    || StatusCode::find(next).is_some()
                {
                    break;
                }
                out.push(' ');
                out.push_str(next);
            }
            return Some(out);
        }
    }
    None
}

/// The line that names `address` and the two lines after it: what a bounce without a reply
/// code says about the recipient ("Unknown user: a@b", "a@b\n  all hosts have been failing").
fn mention_lines(text: &str, address: &str) -> Option<String> {
    let lower = address.to_ascii_lowercase();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.to_ascii_lowercase().contains(&lower) {
            let mut out = line.trim().to_string();
            for next in lines.by_ref().filter(|l| !l.trim().is_empty()).take(2) {
                out.push(' ');
                out.push_str(next.trim());
            }
            return Some(out);
        }
    }
    None
}

/// An ARF report: a complaint unless its Feedback-Type says otherwise.
fn arf(
    bytes: &[u8],
    message: &Mail<'_>,
    parsed: &Message<'_>,
    date: Option<i64>,
    text: &str,
) -> Reading {
    let mut original = original_of(message, text);
    let report = match read_arf(bytes, parsed, true) {
        Ok(report) => report,
        Err(error) => {
            return Reading {
                kind: FeedbackKind::NotFeedback,
                format: FeedbackFormat::Arf,
                why: Some(format!(
                    "a message/feedback-report part that could not be read: {}",
                    crate::text::escape_untrusted(&error.message)
                )),
                date,
                original,
                recipients: Vec::new(),
                feedback_type: None,
            };
        }
    };
    if let Some(o) = &report.original {
        original.sending_domain = original
            .sending_domain
            .or_else(|| o.header_from_domain.clone());
        original.message_id = original.message_id.or_else(|| o.message_id.clone());
    }
    let feedback_type = report.feedback_type.as_str().to_string();
    let (kind, why) = match report.feedback_type {
        FeedbackType::NotSpam => (
            FeedbackKind::NotFeedback,
            Some(
                "an ARF not-spam report (RFC 6430): the recipient says the message is wanted, \
                 the opposite of a complaint; nothing to suppress"
                    .to_string(),
            ),
        ),
        FeedbackType::AuthFailure => (
            FeedbackKind::NotFeedback,
            Some(
                "an ARF auth-failure report (RFC 6591): a DMARC failure report about \
                 authentication, not a complaint; read it with `mailaudit reports`"
                    .to_string(),
            ),
        ),
        _ => (FeedbackKind::Complaint, None),
    };
    let addresses: Vec<Option<String>> = if report.original_rcpt_to.is_empty() {
        vec![None]
    } else {
        report
            .original_rcpt_to
            .iter()
            .take(MAX_RECIPIENTS)
            .map(|a| address(a))
            .collect()
    };
    let recipients = addresses
        .into_iter()
        .map(|address| Recipient {
            address,
            kind,
            bounce: None,
            reason: None,
            status: None,
            diagnostic: None,
            remote_mta: report.reporting_mta.as_deref().map(|m| cut(m, MAX_VALUE)),
        })
        .collect();
    Reading {
        kind,
        format: FeedbackFormat::Arf,
        why,
        date: date.or(report.arrival_time),
        original,
        recipients,
        feedback_type: Some(feedback_type),
    }
}

/// An Amazon SES notification (bounce, complaint or delivery), bare or in an SNS envelope.
fn ses(date: Option<i64>, text: &str) -> Option<Reading> {
    let start = text.find('{')?;
    let first = |json: &str| {
        serde_json::Deserializer::from_str(json)
            .into_iter::<serde_json::Value>()
            .next()
            .and_then(Result::ok)
    };
    // SNS wraps long lines: a notification that does not parse is tried unwrapped.
    let mut value = first(&text[start..]).or_else(|| first(&text[start..].replace('\n', "")))?;
    if let Some(inner) = value.get("Message").and_then(|m| m.as_str()) {
        value = serde_json::from_str(inner).ok()?;
    }
    let kind_name = value
        .get("notificationType")
        .or_else(|| value.get("eventType"))
        .and_then(|v| v.as_str())?
        .to_ascii_lowercase();
    let mail = value.get("mail");
    let str_at = |v: Option<&serde_json::Value>, key: &str| {
        v.and_then(|v| v.get(key))
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    let from = mail
        .and_then(|m| m.get("commonHeaders"))
        .and_then(|h| h.get("from"))
        .and_then(|f| f.get(0))
        .and_then(|f| f.as_str())
        .map(str::to_string)
        .or_else(|| str_at(mail, "source"));
    let original = Original {
        sending_domain: from
            .as_deref()
            .map(|f| f.rsplit('<').next().unwrap_or(f))
            .and_then(domain_of),
        message_id: mail
            .and_then(|m| m.get("commonHeaders"))
            .and_then(|h| str_at(Some(h), "messageId"))
            .or_else(|| str_at(mail, "messageId"))
            .and_then(|v| value_of(&v)),
        feedback_id: None,
        list_id: None,
        campaign: None,
    };
    let mut recipients = Vec::new();
    let (kind, why) = match kind_name.as_str() {
        "bounce" => {
            let bounce = value.get("bounce");
            let permanent = str_at(bounce, "bounceType").is_some_and(|t| t == "Permanent");
            let subtype = str_at(bounce, "bounceSubType").unwrap_or_default();
            let mta = str_at(bounce, "reportingMTA").map(|m| typed(&m).to_string());
            for r in bounce
                .and_then(|b| b.get("bouncedRecipients"))
                .and_then(|r| r.as_array())
                .into_iter()
                .flatten()
                .take(MAX_RECIPIENTS)
            {
                let diagnostic = str_at(Some(r), "diagnosticCode").map(|d| typed(&d).to_string());
                let status = str_at(Some(r), "status")
                    .as_deref()
                    .and_then(StatusCode::parse);
                let mut one = classify_one(
                    str_at(Some(r), "emailAddress").and_then(|a| address(&a)),
                    Some(if permanent { "failed" } else { "delayed" }),
                    status,
                    diagnostic.or_else(|| (!subtype.is_empty()).then(|| subtype.clone())),
                    mta.clone(),
                    "",
                );
                if one.reason == Some(Reason::Other) {
                    one.reason = Some(match subtype.as_str() {
                        "NoEmail" => Reason::UserUnknown,
                        "MailboxFull" => Reason::MailboxFull,
                        "MessageTooLarge" | "ContentRejected" => Reason::Policy,
                        _ => Reason::Other,
                    });
                }
                if permanent {
                    one.kind = FeedbackKind::Bounce;
                }
                recipients.push(one);
            }
            (message_kind(&recipients), None)
        }
        "complaint" => {
            let complaint = value.get("complaint");
            for r in complaint
                .and_then(|b| b.get("complainedRecipients"))
                .and_then(|r| r.as_array())
                .into_iter()
                .flatten()
                .take(MAX_RECIPIENTS)
            {
                recipients.push(Recipient {
                    address: str_at(Some(r), "emailAddress").and_then(|a| address(&a)),
                    kind: FeedbackKind::Complaint,
                    bounce: None,
                    reason: None,
                    status: None,
                    diagnostic: None,
                    remote_mta: None,
                });
            }
            (FeedbackKind::Complaint, None)
        }
        _ => (
            FeedbackKind::NotFeedback,
            Some(format!(
                "an Amazon SES {} notification: not a bounce or a complaint",
                crate::text::escape_untrusted(&cut(&kind_name, 40))
            )),
        ),
    };
    Some(Reading {
        kind,
        format: FeedbackFormat::SesJson,
        why,
        date,
        original,
        recipients,
        feedback_type: None,
    })
}

fn value_of(v: &str) -> Option<String> {
    value(v)
}

/// A Microsoft JMRP complaint (Outlook.com's junk mail reporting program): no ARF part, the
/// reported message attached with the complaining recipient in `X-HmXmrOriginalRecipient`.
fn jmrp(message: &Mail<'_>, date: Option<i64>) -> Option<Reading> {
    let inner = message.parts.iter().find_map(|p| match &p.body {
        Body::Message(inner) => Some(inner),
        _ => None,
    })?;
    let rcpt = inner.header_raw("X-HmXmrOriginalRecipient")?;
    Some(Reading {
        kind: FeedbackKind::Complaint,
        format: FeedbackFormat::Arf,
        why: None,
        date,
        original: original_fields(inner),
        recipients: vec![Recipient {
            address: address(rcpt),
            kind: FeedbackKind::Complaint,
            bounce: None,
            reason: None,
            status: None,
            diagnostic: None,
            remote_mta: None,
        }],
        // JMRP reports are the recipient's "junk" button: RFC 5965's abuse.
        feedback_type: Some("abuse".to_string()),
    })
}

/// From a mail system, or with a bounce's subject, or naming failed recipients.
fn looks_like_bounce(message: &Mail<'_>) -> bool {
    if message.header_raw("X-Failed-Recipients").is_some() {
        return true;
    }
    let from = message
        .from()
        .as_ref()
        .and_then(|a| a.first())
        .map(|a| {
            format!(
                "{} {}",
                a.name().unwrap_or_default(),
                a.address().unwrap_or_default()
            )
            .to_ascii_lowercase()
        })
        .unwrap_or_default();
    const SENDERS: &[&str] = &[
        "mailer-daemon",
        "mailer_daemon",
        "post_master",
        "maildaemon",
        "mail-daemon",
        "postmaster",
        "mail delivery",
        "mail system",
        "mailadmin",
        "mail administrator",
        "mmdf",
    ];
    if SENDERS.iter().any(|s| from.contains(s)) {
        return true;
    }
    let subject = message.subject().unwrap_or_default().to_ascii_lowercase();
    const SUBJECTS: &[&str] = &[
        "undeliver",
        "undelivered",
        "delivery status notification",
        "delivery failure",
        "delivery failed",
        "failure notice",
        "returned mail",
        "mail delivery failed",
        "delivery has failed",
        "could not be delivered",
        "couldn't be delivered",
        "non-delivery",
        "nondeliverable",
        "non delivery",
        "not delivered",
        "delivery notification",
        "mail system error",
        "returned to sender",
        "delivery problem",
        "failed delivery",
        "delivery error",
        "mail failure",
        "permanent error",
        "unable to deliver",
        "warning: could not send",
        "delayed mail",
        "delivery delayed",
        "mail could not",
        "error sending",
        "メールエラー",
        "配信エラー",
        "送信エラー",
        "配送エラー",
    ];
    SUBJECTS.iter().any(|s| subject.contains(s))
}

/// A bounce without a DSN part: its recipients and replies read from its text.
fn text_bounce(message: &Mail<'_>, date: Option<i64>, text: &str) -> Reading {
    let marker = copy_marker(text);
    let head = match marker {
        Some(at) if at > 0 => &text[..at],
        _ => text,
    };
    let mut exclude: Vec<String> = Vec::new();
    for addr in [message.from(), message.to()].into_iter().flatten() {
        exclude.extend(
            addr.iter()
                .filter_map(|a| a.address())
                .map(str::to_ascii_lowercase),
        );
    }
    let original = original_with(message, text, || marker);
    let mut addresses: Vec<String> = message
        .header_raw("X-Failed-Recipients")
        .map(|v| {
            v.split(',')
                .filter_map(address)
                .map(|a| a.to_string())
                .collect()
        })
        .unwrap_or_default();
    if addresses.is_empty() {
        addresses = text_recipients(head, &exclude);
    }
    let subject = message.subject().unwrap_or_default().to_ascii_lowercase();
    let delayed = subject.contains("delay")
        || subject.contains("warning")
        || (find_ignore_case(head, "will continue").is_some()
            && find_ignore_case(head, "permanent").is_none());
    let action = if delayed { "delayed" } else { "failed" };
    let mut recipients: Vec<Recipient> = Vec::new();
    let mentions: Vec<Option<String>> = if addresses.is_empty() {
        vec![None]
    } else {
        addresses.into_iter().map(Some).collect()
    };
    for (n, rcpt) in mentions.iter().enumerate() {
        let near = rcpt.as_deref().map_or(head, |a| {
            let w = window(head, a);
            // Up to the next recipient's mention, so a reply is not read for the wrong one.
            match mentions.get(n + 1).and_then(|next| next.as_deref()) {
                Some(next) => {
                    let skip = w.chars().next().map_or(0, char::len_utf8);
                    match find_ignore_case(&w[skip..], &next.to_ascii_lowercase()) {
                        Some(at) => &w[..at + skip],
                        None => w,
                    }
                }
                None => w,
            }
        });
        let diagnostic = reply_line(near)
            .or_else(|| rcpt.as_deref().and_then(|a| mention_lines(near, a)))
            .or_else(|| reply_line(head));
        let status = diagnostic
            .as_deref()
            .and_then(StatusCode::find)
            .or_else(|| StatusCode::find(near));
        let mut one = classify_one(
            rcpt.clone(),
            Some(action),
            status,
            diagnostic.clone(),
            None,
            near,
        );
        // Without a code the permanence is what the text says.
        if one.status.is_none() && diagnostic.as_deref().and_then(reply_code).is_none() {
            let temporary = find_ignore_case(near, "temporar").is_some()
                || find_ignore_case(near, "try again").is_some();
            if temporary && one.kind == FeedbackKind::Bounce {
                let why = one.reason.unwrap_or(Reason::Other);
                one.bounce = Some(hardness(false, why));
            }
        }
        recipients.push(one);
    }
    Reading {
        kind: message_kind(&recipients),
        format: FeedbackFormat::Text,
        why: None,
        date,
        original,
        recipients,
        feedback_type: None,
    }
}

/// The addresses a bounce's text names as recipients: those on a line with a reply code, in
/// angle brackets before a colon, or alone on their line, when there are such; else every
/// address, leaving out the bounce's own From and To and mail-system mailboxes.
fn text_recipients(text: &str, exclude: &[String]) -> Vec<String> {
    let mut strong: Vec<String> = Vec::new();
    let mut weak: Vec<String> = Vec::new();
    for line in text.lines() {
        let start = line.trim_start();
        if [
            "message-id",
            "in-reply-to",
            "references",
            "received",
            "from:",
            "return-path",
            "sender:",
            "reply-to",
            "date:",
            "subject:",
            "reporting-mta",
            "x-",
            "id ",
            "for <",
            "by ",
            "with ",
        ]
        .iter()
        .any(|h| {
            start
                .as_bytes()
                .get(..h.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(h.as_bytes()))
        }) || find_ignore_case(line, "envelope-from").is_some()
        {
            continue;
        }
        for (start, end) in addresses_in(line) {
            let addr = &line[start..end];
            let lower_addr = addr.to_ascii_lowercase();
            let local = lower_addr.split('@').next().unwrap_or_default();
            if exclude.contains(&lower_addr)
                || [
                    "mailer-daemon",
                    "postmaster",
                    "mailer_daemon",
                    "root",
                    "double-bounce",
                ]
                .contains(&local)
            {
                continue;
            }
            let rest = &line[end..];
            let is_strong = reply_code(line).is_some()
                || StatusCode::find(line).is_some()
                || rest.trim_start_matches('>').trim_start().starts_with(':')
                || line
                    .trim()
                    .trim_matches(['<', '>'])
                    .eq_ignore_ascii_case(addr)
                || find_ignore_case(line, "rcpt to").is_some()
                || find_ignore_case(line, "recipient").is_some();
            let list = if is_strong { &mut strong } else { &mut weak };
            if !list.iter().any(|a| a.eq_ignore_ascii_case(addr)) && list.len() < MAX_RECIPIENTS {
                list.push(addr.to_string());
            }
        }
    }
    if strong.is_empty() { weak } else { strong }
}

/// The (start, end) byte ranges of the addresses in one line: a local part of atom and
/// dot characters, `@`, and a domain with a dot.
fn addresses_in(line: &str) -> Vec<(usize, usize)> {
    let bytes = line.as_bytes();
    let local = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~.-".contains(&b);
    let domain = |b: u8| b.is_ascii_alphanumeric() || b == b'.' || b == b'-';
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(p) = bytes[at..].iter().position(|b| *b == b'@') {
        let at_sign = at + p;
        let mut start = at_sign;
        while start > 0 && local(bytes[start - 1]) {
            start -= 1;
        }
        let mut end = at_sign + 1;
        while end < bytes.len() && domain(bytes[end]) {
            end += 1;
        }
        while start < at_sign && bytes[start] == b'.' {
            start += 1;
        }
        while end > at_sign + 1 && matches!(bytes[end - 1], b'.' | b'-') {
            end -= 1;
        }
        let dom = &line[at_sign + 1..end];
        if start < at_sign && dom.contains('.') && !dom.starts_with('.') {
            out.push((start, end));
        }
        at = end.max(at_sign + 1);
        if at >= bytes.len() {
            break;
        }
    }
    out
}

/// An automatic reply (RFC 3834 `Auto-Submitted: auto-replied`, the vendors' `X-Autoreply`
/// and `X-Autorespond`, `Precedence: auto_reply`, or an auto-reply subject).
fn auto_reply(message: &Mail<'_>, date: Option<i64>, text: &str) -> Option<Reading> {
    let header = |name: &str| {
        message
            .header_raw(name)
            .map(|v| v.trim().to_ascii_lowercase())
    };
    let by_header = header("Auto-Submitted").is_some_and(|v| v.starts_with("auto-replied"))
        || header("X-Autoreply").is_some()
        || header("X-Autorespond").is_some()
        || header("Precedence").is_some_and(|v| v == "auto_reply");
    let subject = message.subject().unwrap_or_default().to_ascii_lowercase();
    const SUBJECTS: &[&str] = &[
        "auto:",
        "automatic reply",
        "auto reply",
        "auto-reply",
        "autoreply",
        "auto response",
        "autoresponse",
        "out of office",
        "out of the office",
        "vacation",
        "abwesenheit",
        "absence",
    ];
    if !by_header
        && !SUBJECTS
            .iter()
            .any(|s| subject.starts_with(s) || subject.contains(s))
    {
        return None;
    }
    let from = message
        .from()
        .as_ref()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .and_then(address);
    Some(Reading {
        kind: FeedbackKind::AutoReply,
        format: FeedbackFormat::AutoReply,
        why: None,
        date,
        original: original_of(message, text),
        recipients: vec![Recipient {
            address: from,
            kind: FeedbackKind::AutoReply,
            bounce: None,
            reason: None,
            status: None,
            diagnostic: None,
            remote_mta: None,
        }],
        feedback_type: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_endings_become_lf() {
        assert_eq!(lf(b"a\r\nb\rc\n").as_ref(), b"a\nb\nc\n");
        assert!(matches!(lf(b"plain\n"), Cow::Borrowed(_)));
    }

    #[test]
    fn addresses_are_found_in_a_line() {
        let line = "<kijitora@example.jp>: host mx.example.jp said: 550";
        let found: Vec<&str> = addresses_in(line)
            .iter()
            .map(|(s, e)| &line[*s..*e])
            .collect();
        assert_eq!(found, ["kijitora@example.jp"]);
        assert!(addresses_in("no at sign here").is_empty());
        assert!(addresses_in("@@@ a@ @b").is_empty());
    }

    #[test]
    fn a_newsletter_that_mentions_delivery_is_not_a_bounce() {
        let newsletter = b"From: Shop Delivery <delivery-news@shop.example>\n\
            To: reader@example.net\n\
            Subject: Your order was delivered - rate it\n\
            Date: Tue, 02 Apr 2024 10:00:00 +0000\n\n\
            Hello reader@example.net, your parcel was delivered. The old address\n\
            old@shop.example does not exist any more.\n";
        let reading = read_message(newsletter).unwrap();
        assert_eq!(reading.kind, FeedbackKind::NotFeedback);
        assert!(reading.recipients.is_empty());
    }

    #[test]
    fn cut_keeps_words_one_blank_apart_up_to_the_limit() {
        assert_eq!(
            cut("  550  5.1.1\n\tno such  user ", 300),
            "550 5.1.1 no such user"
        );
        assert_eq!(cut("abc def", 5), "abc d…");
        assert_eq!(cut("abc def", 7), "abc def");
        assert_eq!(cut("abc def", 3), "abc…");
        assert_eq!(cut("ünï cödé", 4), "ünï …");
        assert_eq!(cut("", 4), "");
    }

    #[test]
    fn garbage_is_not_a_message() {
        assert_eq!(read_message(b""), Err(ReadError::NotAMessage));
    }
}
