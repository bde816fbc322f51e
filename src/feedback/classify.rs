//! Why a message was refused, and whether the address is to be given up: the reason from the
//! enhanced status code (RFC 3463) and the diagnostic text, with the patterns as data
//! (`rules/lists/bounce-reasons.toml`), and hard or soft from the status class and the reason.

use super::facts::{BounceClass, Reason};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use serde::Deserialize;
use std::sync::OnceLock;

/// `rules/lists/bounce-reasons.toml`: status codes and phrases per reason, in priority order.
pub const BOUNCE_REASONS_FILE: &str = include_str!("../../rules/lists/bounce-reasons.toml");

#[derive(Deserialize)]
struct ReasonsFile {
    #[serde(default)]
    sender_patterns: Vec<String>,
    reason: Vec<ReasonEntry>,
}

#[derive(Deserialize)]
struct ReasonEntry {
    name: String,
    #[serde(default)]
    status: Vec<String>,
    #[serde(default)]
    patterns: Vec<String>,
}

struct Table {
    /// (subject.detail, reason) for the codes that decide on their own.
    status: Vec<(String, Reason)>,
    /// Every pattern, and the reason and priority (block order) of each.
    matcher: AhoCorasick,
    pattern_reason: Vec<(usize, Reason)>,
    /// Phrases that say the text is about the sender's address.
    sender: AhoCorasick,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| build(BOUNCE_REASONS_FILE))
}

/// The table from the list file; a file that does not parse gives an empty one (the file is
/// compiled in, and a unit test checks that it parses and names only known reasons).
fn build(text: &str) -> Table {
    let (entries, sender) = toml::from_str::<ReasonsFile>(text)
        .map(|f| (f.reason, f.sender_patterns))
        .unwrap_or_default();
    let mut status = Vec::new();
    let mut patterns = Vec::new();
    let mut pattern_reason = Vec::new();
    for (priority, entry) in entries.iter().enumerate() {
        let Some(reason) = Reason::parse(&entry.name) else {
            continue;
        };
        status.extend(entry.status.iter().map(|s| (s.clone(), reason)));
        for pattern in &entry.patterns {
            patterns.push(pattern.to_ascii_lowercase());
            pattern_reason.push((priority, reason));
        }
    }
    let matcher = AhoCorasickBuilder::new()
        .kind(Some(AhoCorasickKind::DFA))
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::Standard)
        .build(&patterns)
        .unwrap_or_else(|_| AhoCorasick::new(Vec::<String>::new()).expect("an empty matcher"));
    let sender = AhoCorasickBuilder::new()
        .kind(Some(AhoCorasickKind::DFA))
        .ascii_case_insensitive(true)
        .build(&sender)
        .unwrap_or_else(|_| AhoCorasick::new(Vec::<String>::new()).expect("an empty matcher"));
    Table {
        status,
        matcher,
        pattern_reason,
        sender,
    }
}

/// An enhanced status code (RFC 3463 §2: class "." subject "." detail; class 2, 4 or 5,
/// subject up to 3 digits, detail up to 3 digits).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusCode {
    pub class: u8,
    pub subject: u16,
    pub detail: u16,
}

impl StatusCode {
    /// The code at the start of `text` (after blanks), as in a `Status:` field.
    pub fn parse(text: &str) -> Option<StatusCode> {
        let text = text.trim_start();
        let end = text
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(text.len());
        let mut parts = text[..end].split('.');
        let class = parts.next()?;
        let subject = parts.next()?;
        let detail = parts.next()?;
        if parts.next().is_some()
            || class.len() != 1
            || !(1..=3).contains(&subject.len())
            || !(1..=3).contains(&detail.len())
        {
            return None;
        }
        let class: u8 = class.parse().ok()?;
        if !matches!(class, 2 | 4 | 5) {
            return None;
        }
        Some(StatusCode {
            class,
            subject: subject.parse().ok()?,
            detail: detail.parse().ok()?,
        })
    }

    /// The first code found anywhere in `text` (a diagnostic line: "550 5.1.1 <a@b>: ...").
    pub fn find(text: &str) -> Option<StatusCode> {
        let bytes = text.as_bytes();
        // A code is a class digit then a dot: look at each dot.
        for dot in memchr::memchr_iter(b'.', bytes) {
            let Some(at) = dot.checked_sub(1) else {
                continue;
            };
            if at + 5 > bytes.len() {
                break;
            }
            let starts = matches!(bytes[at], b'2' | b'4' | b'5')
                && (at == 0 || !(bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'.'));
            if let Some(code) = starts.then(|| StatusCode::parse(&text[at..])).flatten() {
                // The code as written out again ("5.01.1" reads as 5.1.1, five long).
                let len = 3 + digits(code.subject) + digits(code.detail);
                let next = bytes.get(at + len).copied();
                if !next.is_some_and(|n| n.is_ascii_alphanumeric()) {
                    return Some(code);
                }
            }
        }
        None
    }

    fn key(&self) -> String {
        format!("{}.{}", self.subject, self.detail)
    }
}

fn digits(n: u16) -> usize {
    match n {
        0..=9 => 1,
        10..=99 => 2,
        100..=999 => 3,
        1000..=9999 => 4,
        _ => 5,
    }
}

impl std::fmt::Display for StatusCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

/// The first SMTP reply code (RFC 5321 §4.2: three digits, then a blank, `-` or the end) in
/// `text`, when it is a 4yz or 5yz one.
pub fn reply_code(text: &str) -> Option<u16> {
    let bytes = text.as_bytes();
    // A reply starts with 4 or 5: look only there.
    memchr::memchr2_iter(b'4', b'5', bytes).find_map(|at| {
        let digits = bytes.get(at..at + 3)?;
        let before_ok = at == 0 || !bytes[at - 1].is_ascii_alphanumeric() && bytes[at - 1] != b'.';
        let after = bytes.get(at + 3).copied();
        let after_ok = matches!(
            after,
            None | Some(b' ' | b'-' | b'\t' | b'\n' | b'\r' | b')' | b',')
        );
        (before_ok && after_ok && digits[1].is_ascii_digit() && digits[2].is_ascii_digit()).then(
            || {
                u16::from(digits[0] - b'0') * 100
                    + u16::from(digits[1] - b'0') * 10
                    + u16::from(digits[2] - b'0')
            },
        )
    })
}

/// The reason for a refusal: the first reason (in the list's order) whose phrase is in the
/// text, unless that is only `policy` (whose phrases, "rejected", "denied", are the
/// vaguest); else a deciding status code; else a `policy` phrase; else the code's subject;
/// else `other`. The receiver's words say more than its code: "552 mailbox is over quota
/// (#5.1.1)" is a full mailbox whatever 5.1.1 says.
pub fn reason(status: Option<&StatusCode>, text: &str) -> Reason {
    let table = table();
    let best = table
        .matcher
        .find_overlapping_iter(text)
        .map(|m| table.pattern_reason[m.pattern().as_usize()])
        .min_by_key(|(priority, _)| *priority)
        .map(|(_, reason)| reason);
    if let Some(reason) = best.filter(|r| *r != Reason::Policy) {
        if matches!(reason, Reason::UserUnknown | Reason::HostUnknown)
            && table.sender.is_match(text)
        {
            return Reason::Policy;
        }
        return reason;
    }
    if let Some(code) = status {
        let key = code.key();
        if let Some((_, reason)) = table.status.iter().find(|(s, _)| *s == key) {
            return *reason;
        }
    }
    if let Some(reason) = best {
        return reason;
    }
    match status.map(|c| c.subject) {
        Some(1) => Reason::UserUnknown,
        Some(2) => Reason::MailboxFull,
        Some(3) => Reason::Policy,
        Some(4) => Reason::Other,
        Some(7) => Reason::Policy,
        _ => Reason::Other,
    }
}

/// Hard or soft (docs/feedback.md "Hard and soft"): a permanent failure (class 5) of the
/// address itself is hard (it does not exist, its domain takes no mail); a temporary one
/// (class 4), or a permanent refusal of this sender or this message rather than of the
/// address (full mailbox, rate, reputation, policy, authentication, expiry), is soft: the
/// same address takes mail once the sender or the message is fixed. A permanent failure
/// whose reason is not known is soft too: nothing says the address is bad, and a hard
/// bounce is what gets an address suppressed.
pub fn hardness(permanent: bool, reason: Reason) -> BounceClass {
    match reason {
        Reason::UserUnknown | Reason::HostUnknown if permanent => BounceClass::Hard,
        _ => BounceClass::Soft,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reason_list_parses_and_names_known_reasons() {
        let entries = toml::from_str::<ReasonsFile>(BOUNCE_REASONS_FILE)
            .expect("bounce-reasons.toml parses")
            .reason;
        assert!(entries.len() >= 8);
        for entry in entries {
            assert!(Reason::parse(&entry.name).is_some(), "{}", entry.name);
            for code in &entry.status {
                assert!(StatusCode::parse(&format!("5.{code}")).is_some(), "{code}");
            }
        }
    }

    #[test]
    fn status_codes_are_found_in_text_and_not_in_numbers() {
        assert_eq!(
            StatusCode::find("550 5.1.1 <a@b.example>: user unknown").map(|c| c.to_string()),
            Some("5.1.1".into())
        );
        assert_eq!(StatusCode::find("version 10.5.1.2 here"), None);
        assert_eq!(StatusCode::find("ip 192.5.1.1"), None);
        assert_eq!(
            StatusCode::find("#5.7.515 Access denied").map(|c| c.to_string()),
            Some("5.7.515".into())
        );
        assert_eq!(reply_code("host said: 550 5.1.1 no"), Some(550));
        assert_eq!(reply_code("port 25000"), None);
    }

    #[test]
    fn codes_decide_then_text_then_the_subject() {
        let code = |s: &str| StatusCode::parse(s);
        assert_eq!(
            reason(code("5.1.1").as_ref(), "whatever"),
            Reason::UserUnknown
        );
        assert_eq!(
            reason(code("5.1.1").as_ref(), "552 sorry, mailbox is over quota"),
            Reason::MailboxFull
        );
        assert_eq!(
            reason(code("5.7.26").as_ref(), "message rejected"),
            Reason::Authentication
        );
        assert_eq!(
            reason(
                code("5.7.1").as_ref(),
                "client host blocked using zen.spamhaus.org"
            ),
            Reason::Blocked
        );
        assert_eq!(
            reason(code("5.7.26").as_ref(), "unauthenticated email"),
            Reason::Authentication
        );
        assert_eq!(reason(code("5.7.1").as_ref(), "no text"), Reason::Policy);
        assert_eq!(reason(None, "Mailbox is full"), Reason::MailboxFull);
        assert_eq!(reason(None, "nothing known"), Reason::Other);
        assert_eq!(
            reason(code("5.1.8").as_ref(), "501 5.1.8 Sender address rejected"),
            Reason::Policy
        );
        assert_eq!(hardness(true, Reason::UserUnknown), BounceClass::Hard);
        assert_eq!(hardness(true, Reason::MailboxFull), BounceClass::Soft);
        assert_eq!(hardness(false, Reason::UserUnknown), BounceClass::Soft);
    }
}
