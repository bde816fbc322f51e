//! Header rules of a draft: required fields, fields given twice, more than one From address,
//! no-reply senders (SPEC §4.5).

use super::lists;
use super::parse::{Draft, Mailbox};
use crate::finding::{Finding, Location, Severity};
use crate::message::rules::{DUPLICATE_HEADER, MISSING_HEADER, MULTIPLE_FROM, NO_REPLY_SENDER};
use crate::rules::{RuleId, Rules};

/// Fields a message has at most once: RFC 5322 §3.6 (the table of §3.6 gives them a maximum
/// of 1) and the list fields of RFC 2369 / RFC 8058 that receivers read as one value.
pub const SINGLE_FIELDS: &[&str] = &[
    "From",
    "Sender",
    "Reply-To",
    "To",
    "Cc",
    "Bcc",
    "Date",
    "Message-ID",
    "In-Reply-To",
    "References",
    "Subject",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
];

/// Required fields and the severity of their absence: From is required by RFC 5322 §3.6 and
/// by every receiver; the others are expected (Gmail's sender guidelines ask for Message-ID
/// and Date; a message without a Subject is read as careless or automated).
const REQUIRED: &[(&str, Severity)] = &[
    ("From", Severity::Error),
    ("Subject", Severity::Warning),
    ("Date", Severity::Warning),
    ("Message-ID", Severity::Warning),
];

/// The sender facts the header checks measure, reused by the sequence checks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sender {
    pub from: Vec<Mailbox>,
    pub reply_to: Vec<Mailbox>,
    /// 1-based line of the (first) From field.
    pub from_line: Option<u32>,
}

impl Sender {
    pub fn read(draft: &Draft<'_>) -> Sender {
        Sender {
            from: draft.mailboxes("From"),
            reply_to: draft.mailboxes("Reply-To"),
            from_line: draft.header("From").map(|h| h.line),
        }
    }

    /// The first From address with an `@`.
    pub fn from_mailbox(&self) -> Option<&Mailbox> {
        self.from.iter().find(|m| m.domain().is_some())
    }
}

/// True when the text holds merge-tag syntax of a sending platform (`{{...}}`, `*|...|*`,
/// `{%...%}`, `[[...]]`, `%%...%%`): in template mode such a value is filled in at send time.
pub fn has_placeholder(text: &str) -> bool {
    ["{{", "*|", "{%", "[[", "%%"]
        .iter()
        .any(|open| text.contains(open))
}

pub fn check(
    draft: &Draft<'_>,
    sender: &Sender,
    rules: &Rules,
    target: &str,
    template: bool,
    out: &mut Vec<Finding>,
) {
    missing(draft, sender, rules, target, template, out);
    duplicates(draft, rules, target, out);
    multiple_from(draft, sender, rules, target, out);
    no_reply(draft, sender, rules, target, out);
}

fn line(target: &str, line: u32) -> Location {
    Location::Line {
        file: target.to_string(),
        line,
    }
}

fn missing(
    draft: &Draft<'_>,
    sender: &Sender,
    rules: &Rules,
    target: &str,
    template: bool,
    out: &mut Vec<Finding>,
) {
    const ID: RuleId = MISSING_HEADER;
    for (name, severity) in REQUIRED {
        let Some(header) = draft.header(name) else {
            out.push(
                rules
                    .finding(ID, target, format!("the draft has no {name} header"))
                    .with_severity(*severity)
                    .at(Location::Header((*name).to_string())),
            );
            continue;
        };
        let value = header.unfolded();
        let problem = if value.is_empty() {
            Some(format!("the {name} header is empty"))
        } else if *name == "From"
            && sender.from_mailbox().is_none()
            && !(template && has_placeholder(&value))
        {
            Some("the From header holds no address (local-part@domain)".to_string())
        } else {
            None
        };
        if let Some(message) = problem {
            out.push(
                rules
                    .finding(ID, target, message)
                    .with_severity(*severity)
                    .at(line(target, header.line)),
            );
        }
    }
}

fn duplicates(draft: &Draft<'_>, rules: &Rules, target: &str, out: &mut Vec<Finding>) {
    for name in SINGLE_FIELDS {
        let lines: Vec<u32> = draft
            .headers
            .iter()
            .filter(|h| h.is(name))
            .map(|h| h.line)
            .collect();
        if lines.len() < 2 {
            continue;
        }
        let mut list: Vec<String> = lines.iter().take(5).map(u32::to_string).collect();
        if lines.len() > 5 {
            list.push("…".into());
        }
        out.push(
            rules
                .finding(
                    DUPLICATE_HEADER,
                    target,
                    format!(
                        "{name} appears {} times (lines {})",
                        lines.len(),
                        list.join(", ")
                    ),
                )
                .with_measured(lines.len())
                .with_threshold(1)
                .at(line(target, lines[1])),
        );
    }
}

fn multiple_from(
    draft: &Draft<'_>,
    sender: &Sender,
    rules: &Rules,
    target: &str,
    out: &mut Vec<Finding>,
) {
    let count = sender.from.iter().filter(|m| m.address.is_some()).count();
    if count < 2 {
        return;
    }
    let line_no = draft.header("From").map_or(1, |h| h.line);
    let domains: Vec<String> = sender.from.iter().filter_map(Mailbox::domain).collect();
    out.push(
        rules
            .finding(
                MULTIPLE_FROM,
                target,
                format!(
                    "From holds {count} addresses (at {}); it must hold one",
                    domains.join(", ")
                ),
            )
            .with_measured(count)
            .with_threshold(1)
            .at(line(target, line_no)),
    );
}

/// True when `local` (a local part) is a no-reply name: equal to an entry of the list, or
/// starting or ending with one at a separator (`-`, `.`, `_`, a digit), after dropping a
/// `+tag` sub-address.
pub fn is_no_reply(local: &str) -> bool {
    let local = local.trim().trim_matches('"').to_ascii_lowercase();
    let local = local.split('+').next().unwrap_or_default();
    let separator = |c: char| matches!(c, '-' | '.' | '_') || c.is_ascii_digit();
    lists::no_reply_locals().iter().any(|entry| {
        let entry = entry.as_str();
        local == entry
            || local
                .strip_prefix(entry)
                .is_some_and(|rest| rest.starts_with(separator))
            || local
                .strip_suffix(entry)
                .is_some_and(|rest| rest.ends_with(separator))
    })
}

fn no_reply(
    draft: &Draft<'_>,
    sender: &Sender,
    rules: &Rules,
    target: &str,
    out: &mut Vec<Finding>,
) {
    for (name, mailboxes) in [("From", &sender.from), ("Reply-To", &sender.reply_to)] {
        let Some(header) = draft.header(name) else {
            continue;
        };
        for mailbox in mailboxes.iter() {
            let (Some(local), Some(address)) = (mailbox.local_part(), mailbox.address.as_deref())
            else {
                continue;
            };
            if is_no_reply(local) {
                out.push(
                    rules
                        .finding(
                            NO_REPLY_SENDER,
                            target,
                            format!("{name} is a no-reply address ({address})"),
                        )
                        .with_record(address)
                        .at(line(target, header.line)),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_reply_matching() {
        for yes in [
            "noreply",
            "NoReply",
            "no-reply",
            "noreply+news",
            "noreply-billing",
            "news.noreply",
            "noreply2",
            "do_not_reply",
            "\"no-reply\"",
        ] {
            assert!(is_no_reply(yes), "{yes}");
        }
        for no in ["ann", "noreplyer", "replies", "nobodyknows", "support"] {
            assert!(!is_no_reply(no), "{no}");
        }
    }

    #[test]
    fn placeholders() {
        assert!(has_placeholder("{{sender.name}} <{{sender.email}}>"));
        assert!(has_placeholder("*|FROM_EMAIL|*"));
        assert!(!has_placeholder("Ann <ann@example.com>"));
    }
}
