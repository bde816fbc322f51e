//! List-Unsubscribe (RFC 2369) and one-click unsubscription (RFC 8058).
//!
//! RFC 2369 §2: the value is a comma-separated list of URIs in angle brackets; whitespace
//! inside the brackets is ignored (folding), and comments in parentheses may stand between
//! the entries. RFC 8058 §3.1: List-Unsubscribe-Post holds exactly
//! `List-Unsubscribe=One-Click`, and List-Unsubscribe must then contain one HTTPS URI.
//!
//! URIs go into the facts redacted (scheme and host only, a mailto address reduced to its
//! domain): in a rendered draft they often carry the recipient's address or id.

use super::lists;
use super::parse::Draft;
use crate::finding::{Finding, Location};
use crate::message::rules::{
    UNSUBSCRIBE_MISSING, UNSUBSCRIBE_NO_HTTPS, UNSUBSCRIBE_ONE_CLICK_INVALID,
    UNSUBSCRIBE_ONE_CLICK_MISSING, UNSUBSCRIBE_SYNTAX,
};
use crate::rules::Rules;
use serde::Serialize;

/// The only value RFC 8058 §3.1 allows in List-Unsubscribe-Post.
pub const ONE_CLICK_VALUE: &str = "List-Unsubscribe=One-Click";

/// What the unsubscribe headers offer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct UnsubscribeFacts {
    /// List-Unsubscribe is present.
    pub present: bool,
    /// The entries, redacted: `https://host/…`, `mailto:…@domain`, or a platform token.
    pub uris: Vec<String>,
    /// An https URI (or, in template mode, a platform unsubscribe token) is among them.
    pub https: bool,
    /// List-Unsubscribe-Post holds exactly `List-Unsubscribe=One-Click`.
    pub one_click: bool,
}

/// One entry of a List-Unsubscribe value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    /// A URI with its scheme, lower-case.
    Uri { uri: String, scheme: String },
    /// A platform unsubscribe token (template mode only).
    Token(String),
}

/// A List-Unsubscribe value that does not follow RFC 2369.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub reason: String,
}

fn normalize_token(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_ascii_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// True when `text` is one of the platform unsubscribe tokens (case and spaces ignored).
pub fn is_unsubscribe_token(text: &str) -> bool {
    let text = normalize_token(text);
    !text.is_empty()
        && lists::unsubscribe_tokens()
            .iter()
            .any(|token| normalize_token(token) == text)
}

/// Skip whitespace and (nested) comments; false when a comment is not closed.
fn skip_cfws(chars: &[char], pos: &mut usize) -> bool {
    loop {
        match chars.get(*pos) {
            Some(c) if c.is_whitespace() => *pos += 1,
            Some('(') => {
                let mut depth = 0usize;
                loop {
                    match chars.get(*pos) {
                        None => return false,
                        Some('\\') => *pos += 1,
                        Some('(') => depth += 1,
                        Some(')') => {
                            depth = depth.saturating_sub(1);
                            if depth == 0 {
                                *pos += 1;
                                break;
                            }
                        }
                        Some(_) => {}
                    }
                    *pos += 1;
                }
            }
            _ => return true,
        }
    }
}

fn scheme_of(uri: &str) -> Option<String> {
    let (scheme, _) = uri.split_once(':')?;
    let mut chars = scheme.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
    .then(|| scheme.to_ascii_lowercase())
}

fn short(text: &str) -> String {
    const MAX: usize = 40;
    let redacted = redact(text);
    if redacted.chars().count() <= MAX {
        redacted
    } else {
        let cut: String = redacted.chars().take(MAX).collect();
        format!("{cut}…")
    }
}

/// Check one URI taken from between the brackets.
fn entry(uri: &str, template: bool) -> Result<Entry, SyntaxError> {
    if template && is_unsubscribe_token(uri) {
        return Ok(Entry::Token(uri.to_string()));
    }
    let Some(scheme) = scheme_of(uri) else {
        let reason = if is_unsubscribe_token(uri) {
            format!(
                "`{}` is a platform placeholder, not a URI: a rendered draft must hold the real link (audit templates with --template)",
                short(uri)
            )
        } else {
            format!("`{}` is not a URI (no scheme)", short(uri))
        };
        return Err(SyntaxError { reason });
    };
    let rest = &uri[scheme.len() + 1..];
    match scheme.as_str() {
        "https" | "http" => {
            let host = rest
                .strip_prefix("//")
                .map(|r| r.split(['/', '?', '#']).next().unwrap_or_default());
            if host.is_none_or(str::is_empty) {
                return Err(SyntaxError {
                    reason: format!("`{}` has no host", short(uri)),
                });
            }
        }
        "mailto" => {
            let address = rest.split('?').next().unwrap_or_default();
            if !address.contains('@') {
                return Err(SyntaxError {
                    reason: format!("`{}` has no address", short(uri)),
                });
            }
        }
        other => {
            return Err(SyntaxError {
                reason: format!(
                    "the scheme `{}:` is not allowed (only mailto:, https: and http:)",
                    short(other)
                ),
            });
        }
    }
    Ok(Entry::Uri {
        uri: uri.to_string(),
        scheme,
    })
}

/// Parse a List-Unsubscribe value (unfolded) into its entries.
pub fn parse_list(value: &str, template: bool) -> Result<Vec<Entry>, SyntaxError> {
    let chars: Vec<char> = value.chars().collect();
    let mut pos = 0;
    let mut entries = Vec::new();
    loop {
        if !skip_cfws(&chars, &mut pos) {
            return Err(SyntaxError {
                reason: "a comment in parentheses is not closed".into(),
            });
        }
        match chars.get(pos) {
            None => break,
            // An empty element ("a, , b") is allowed by RFC 5322's obsolete list syntax.
            Some(',') => {
                pos += 1;
                continue;
            }
            Some('<') => {
                let start = pos + 1;
                let Some(len) = chars[start..].iter().position(|c| *c == '>') else {
                    return Err(SyntaxError {
                        reason: "a `<` has no closing `>`".into(),
                    });
                };
                let uri: String = chars[start..start + len]
                    .iter()
                    .filter(|c| !c.is_whitespace())
                    .collect();
                if uri.contains('<') {
                    return Err(SyntaxError {
                        reason: "a `<` opens inside another `<...>`".into(),
                    });
                }
                if uri.is_empty() {
                    return Err(SyntaxError {
                        reason: "`<>` holds no URI".into(),
                    });
                }
                entries.push(entry(&uri, template)?);
                pos = start + len + 1;
            }
            Some(_) => {
                let end = chars[pos..]
                    .iter()
                    .position(|c| *c == ',')
                    .map_or(chars.len(), |i| pos + i);
                let bare: String = chars[pos..end].iter().collect();
                let bare = bare.trim();
                if template && is_unsubscribe_token(bare) {
                    entries.push(Entry::Token(bare.to_string()));
                    pos = end;
                    continue;
                }
                return Err(SyntaxError {
                    reason: format!(
                        "`{}` is not enclosed in angle brackets (`<...>`)",
                        short(bare)
                    ),
                });
            }
        }
        if !skip_cfws(&chars, &mut pos) {
            return Err(SyntaxError {
                reason: "a comment in parentheses is not closed".into(),
            });
        }
        match chars.get(pos) {
            None => break,
            Some(',') => pos += 1,
            Some(_) => {
                return Err(SyntaxError {
                    reason: "entries must be separated by commas".into(),
                });
            }
        }
    }
    if entries.is_empty() {
        return Err(SyntaxError {
            reason: "the value holds no URI".into(),
        });
    }
    Ok(entries)
}

/// Replace what could identify a recipient: the local part of any address.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, piece) in text.split('@').enumerate() {
        if i > 0 {
            out.push('@');
        }
        let is_local = i + 1 < text.split('@').count();
        if is_local {
            let keep = piece
                .rfind(|c: char| {
                    c.is_whitespace() || matches!(c, '<' | '>' | ',' | ':' | '/' | '?' | '=' | '&')
                })
                .map_or(0, |at| at + 1);
            out.push_str(&piece[..keep]);
            out.push('…');
        } else {
            out.push_str(piece);
        }
    }
    out
}

/// The entry as the facts show it: scheme and host, or mailto and the domain.
fn redacted_entry(entry: &Entry) -> String {
    match entry {
        Entry::Token(token) => token.clone(),
        Entry::Uri { uri, scheme } => {
            let rest = &uri[scheme.len() + 1..];
            if scheme == "mailto" {
                let address = rest.split('?').next().unwrap_or_default();
                let domain = address.rsplit_once('@').map_or("", |(_, d)| d);
                format!("mailto:…@{domain}")
            } else {
                let after = rest.strip_prefix("//").unwrap_or(rest);
                let host_end = after.find(['/', '?', '#']).unwrap_or(after.len());
                let host = &after[..host_end];
                let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
                if host_end < after.len() {
                    format!("{scheme}://{host}/…")
                } else {
                    format!("{scheme}://{host}")
                }
            }
        }
    }
}

pub fn check(
    draft: &Draft<'_>,
    rules: &Rules,
    target: &str,
    template: bool,
    out: &mut Vec<Finding>,
) -> UnsubscribeFacts {
    let at = |line: u32| Location::Line {
        file: target.to_string(),
        line,
    };
    let mut facts = UnsubscribeFacts::default();
    match draft.header("List-Unsubscribe") {
        None => out.push(
            rules
                .finding(
                    UNSUBSCRIBE_MISSING,
                    target,
                    "the draft has no List-Unsubscribe header",
                )
                .at(Location::Header("List-Unsubscribe".into())),
        ),
        Some(header) => {
            facts.present = true;
            let value = header.unfolded();
            match parse_list(&value, template) {
                Err(error) => out.push(
                    rules
                        .finding(
                            UNSUBSCRIBE_SYNTAX,
                            target,
                            format!(
                                "List-Unsubscribe does not follow RFC 2369: {}",
                                error.reason
                            ),
                        )
                        .with_record(short_value(&value))
                        .at(at(header.line)),
                ),
                Ok(entries) => {
                    facts.uris = entries.iter().map(redacted_entry).collect();
                    facts.https = entries.iter().any(|e| match e {
                        Entry::Token(_) => true,
                        Entry::Uri { scheme, .. } => scheme == "https",
                    });
                    if !facts.https {
                        let schemes: Vec<&str> = entries
                            .iter()
                            .filter_map(|e| match e {
                                Entry::Uri { scheme, .. } => Some(scheme.as_str()),
                                Entry::Token(_) => None,
                            })
                            .collect();
                        out.push(
                            rules
                                .finding(
                                    UNSUBSCRIBE_NO_HTTPS,
                                    target,
                                    format!(
                                        "List-Unsubscribe has no https: URI (only {}), so one-click unsubscription is impossible",
                                        schemes.join(", ")
                                    ),
                                )
                                .with_record(facts.uris.join(", "))
                                .at(at(header.line)),
                        );
                    }
                }
            }
        }
    }
    match draft.header("List-Unsubscribe-Post") {
        None => out.push(
            rules
                .finding(
                    UNSUBSCRIBE_ONE_CLICK_MISSING,
                    target,
                    "the draft has no List-Unsubscribe-Post header (RFC 8058 one-click)",
                )
                .at(Location::Header("List-Unsubscribe-Post".into())),
        ),
        Some(header) => {
            let value = header.unfolded();
            if value == ONE_CLICK_VALUE {
                facts.one_click = true;
            } else {
                out.push(
                    rules
                        .finding(
                            UNSUBSCRIBE_ONE_CLICK_INVALID,
                            target,
                            format!(
                                "List-Unsubscribe-Post is `{}`, not exactly `{ONE_CLICK_VALUE}`",
                                short(&value)
                            ),
                        )
                        .with_record(short_value(&value))
                        .with_threshold(ONE_CLICK_VALUE)
                        .at(at(header.line)),
                );
            }
        }
    }
    facts
}

/// The header value as evidence: redacted and at most 200 characters.
fn short_value(value: &str) -> String {
    let redacted = redact(value);
    if redacted.chars().count() <= 200 {
        redacted
    } else {
        let cut: String = redacted.chars().take(200).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uris(value: &str) -> Vec<String> {
        parse_list(value, false)
            .unwrap()
            .iter()
            .map(redacted_entry)
            .collect()
    }

    #[test]
    fn rfc_2369_lists() {
        assert_eq!(
            uris(
                "<mailto:unsub-123@list.example.com?subject=unsubscribe>, <https://list.example.com/u/abc?e=bob%40example.org>"
            ),
            ["mailto:…@list.example.com", "https://list.example.com/…"]
        );
        // Whitespace inside the brackets (folding) is ignored; comments may stand between.
        assert_eq!(
            uris(
                "(Use this to leave) <https://example.com/u\n  nsub>  ,<mailto:leave@example.com>"
            ),
            ["https://example.com/…", "mailto:…@example.com"]
        );
        assert_eq!(uris("<HTTPS://Example.com>"), ["https://Example.com"]);
    }

    #[test]
    fn syntax_errors() {
        for bad in [
            "",
            "https://example.com/unsub",
            "<https://example.com/unsub",
            "<https://example.com> <mailto:a@example.com>",
            "<ftp://example.com/unsub>",
            "<example.com/unsub>",
            "<https:///path>",
            "<mailto:>",
            "<>",
            "(unclosed <https://example.com>",
            "<{{unsubscribe_link}}>",
        ] {
            assert!(parse_list(bad, false).is_err(), "{bad:?}");
        }
        let err = parse_list("<{{unsubscribe_link}}>", false).unwrap_err();
        assert!(err.reason.contains("--template"), "{}", err.reason);
    }

    #[test]
    fn template_tokens_count_as_entries() {
        for value in [
            "<{{unsubscribe_link}}>",
            "{{ unsubscribe_link }}",
            "<mailto:u@example.com>, *|UNSUB|*",
            "<%unsubscribe_url%>",
            "<{% unsubscribe_link %}>",
        ] {
            let entries = parse_list(value, true).unwrap();
            assert!(
                entries.iter().any(|e| matches!(e, Entry::Token(_))),
                "{value}"
            );
        }
    }

    #[test]
    fn redaction_drops_local_parts() {
        assert_eq!(redact("<mailto:bob@example.com>"), "<mailto:…@example.com>");
        assert_eq!(
            redact("https://x.example/u?email=bob@example.org&x=1"),
            "https://x.example/u?email=…@example.org&x=1"
        );
        assert_eq!(redact("no address"), "no address");
    }
}
