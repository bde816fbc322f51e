//! A draft's bytes become facts: the raw header block (names, values, 1-based lines), the
//! MIME tree as mail-parser reads it, and the decoded text parts and attachments that the body
//! analysis gets. No judgement here: the checks read these facts.
//!
//! What is accepted, because drafts and exports in the wild have it: LF or CRLF line ends, an
//! mbox `From ` envelope line before the headers (skipped, line numbers stay those of the
//! file), a UTF-8 byte order mark, 8-bit bytes in header values, any charset mail-parser
//! decodes. What is not an RFC 5322 message ([`Unparseable`]): an empty file, a file that does
//! not start with a header field, a header block with a line that is neither a field nor a
//! continuation, NUL bytes in the header block.

use crate::message::body::{Attachment, BodyInput, BodyPart};
use mail_parser::parsers::MessageStream;
use mail_parser::{Address, Encoding, HeaderValue, MessageParser, MimeHeaders, PartType};
use std::collections::HashSet;

/// A raw field value as mail-parser's field parsers expect it: ending in a line break.
fn terminated(value: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(value.len() + 1);
    bytes.extend_from_slice(value);
    bytes.push(b'\n');
    bytes
}

/// One field of the top-level header block, as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawHeader<'a> {
    /// The field name as written (ASCII, case preserved).
    pub name: &'a str,
    /// The raw value after the colon, folding line breaks included.
    pub value: &'a [u8],
    /// 1-based line of the file where the field starts.
    pub line: u32,
}

impl RawHeader<'_> {
    /// The value unfolded (line breaks removed, RFC 5322 §2.2.3), outer whitespace trimmed,
    /// bytes that are not UTF-8 replaced.
    pub fn unfolded(&self) -> String {
        let text = String::from_utf8_lossy(self.value);
        let mut out = String::with_capacity(text.len());
        for c in text.chars() {
            if c != '\r' && c != '\n' {
                out.push(c);
            }
        }
        out.trim().to_string()
    }

    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }
}

/// Why a file is not an RFC 5322 message, and the 1-based line where that shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unparseable {
    pub line: u32,
    pub reason: String,
}

/// One address of an address header, decoded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mailbox {
    pub name: Option<String>,
    pub address: Option<String>,
}

impl Mailbox {
    pub fn local_part(&self) -> Option<&str> {
        let address = self.address.as_deref()?;
        address.rsplit_once('@').map(|(local, _)| local)
    }

    /// The domain, lower-case, without a trailing dot.
    pub fn domain(&self) -> Option<String> {
        let address = self.address.as_deref()?;
        let (_, domain) = address.rsplit_once('@')?;
        let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
        (!domain.is_empty()).then_some(domain)
    }
}

/// A parsed draft: the header block as written and the message as mail-parser reads it.
#[derive(Debug)]
pub struct Draft<'a> {
    /// The message bytes, after a skipped mbox `From ` line and byte order mark.
    pub bytes: &'a [u8],
    /// Lines of the file before `bytes` (1 after an mbox `From ` line, else 0).
    pub lines_before: u32,
    pub mbox_from_line: bool,
    pub headers: Vec<RawHeader<'a>>,
    /// 1-based line of the first body line (the line after the empty line), if there is a body.
    pub body_line: Option<u32>,
    pub message: mail_parser::Message<'a>,
}

/// Lines of a draft's offsets, counted on from the previous offset asked for: the parts come
/// in file order, so the lines of all of them cost one pass over the bytes, not one each.
struct LineCounter<'d> {
    bytes: &'d [u8],
    lines_before: u32,
    offset: usize,
    newlines: usize,
}

impl<'d> LineCounter<'d> {
    fn new(draft: &'d Draft<'_>) -> Self {
        LineCounter {
            bytes: draft.bytes,
            lines_before: draft.lines_before,
            offset: 0,
            newlines: 0,
        }
    }

    /// The 1-based line of the file holding `offset` of the message bytes.
    fn line_of(&mut self, offset: usize) -> u32 {
        let offset = offset.min(self.bytes.len());
        if offset < self.offset {
            // Out of order (not seen in practice): count again from the start.
            self.offset = 0;
            self.newlines = 0;
        }
        self.newlines += self.bytes[self.offset..offset]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        self.offset = offset;
        self.lines_before
            .saturating_add(u32::try_from(self.newlines).unwrap_or(u32::MAX))
            .saturating_add(1)
    }
}

/// Skip an mbox `From ` envelope line and a UTF-8 byte order mark.
fn strip_envelope(bytes: &[u8]) -> (&[u8], u32, bool) {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    if let Some(rest) = bytes.strip_prefix(b"From ") {
        // "From : x" (obsolete space before the colon) is a header field, not an envelope.
        let next = rest.iter().find(|b| **b != b' ' && **b != b'\t');
        if next != Some(&b':') {
            return match bytes.iter().position(|b| *b == b'\n') {
                Some(end) => (&bytes[end + 1..], 1, true),
                None => (&[], 1, true),
            };
        }
    }
    (bytes, 0, false)
}

/// The top-level header block: its fields and the line where the body starts.
pub fn scan_headers(
    bytes: &[u8],
    lines_before: u32,
) -> Result<(Vec<RawHeader<'_>>, Option<u32>), Unparseable> {
    let mut headers: Vec<RawHeader<'_>> = Vec::new();
    let mut line_no = lines_before;
    let mut pos = 0;
    // (index in `headers`, start of its value in `bytes`) of the field being read.
    let mut open: Option<(usize, usize)> = None;
    while pos < bytes.len() {
        line_no = line_no.saturating_add(1);
        let end = bytes[pos..]
            .iter()
            .position(|b| *b == b'\n')
            .map_or(bytes.len(), |i| pos + i);
        let raw = &bytes[pos..end];
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        let next = (end + 1).min(bytes.len());
        if line.is_empty() {
            if headers.is_empty() {
                return Err(Unparseable {
                    line: line_no,
                    reason: "the file starts with an empty line: there is no header block".into(),
                });
            }
            let body_line = (end < bytes.len()).then_some(line_no.saturating_add(1));
            return Ok((headers, body_line));
        }
        if line.contains(&0) {
            return Err(Unparseable {
                line: line_no,
                reason: "the header block holds NUL bytes (binary data, not a message)".into(),
            });
        }
        if line[0] == b' ' || line[0] == b'\t' {
            let Some((index, start)) = open else {
                return Err(Unparseable {
                    line: line_no,
                    reason: "the file starts with a continuation line, not a header field".into(),
                });
            };
            // Extend the open field's value over this line.
            if let Some(header) = headers.get_mut(index) {
                header.value = &bytes[start..end];
            }
        } else {
            let Some(colon) = line.iter().position(|b| *b == b':') else {
                return Err(not_a_field(line_no, headers.is_empty()));
            };
            let name = trim_trailing_wsp(&line[..colon]);
            if name.is_empty() || !name.iter().all(|b| (33..=126).contains(b)) {
                return Err(not_a_field(line_no, headers.is_empty()));
            }
            let name = std::str::from_utf8(name).unwrap_or_default();
            let value_start = pos + colon + 1;
            headers.push(RawHeader {
                name,
                value: &bytes[value_start..end],
                line: line_no,
            });
            open = Some((headers.len() - 1, value_start));
        }
        pos = next;
    }
    if headers.is_empty() {
        return Err(Unparseable {
            line: lines_before.saturating_add(1),
            reason: "the file is empty".into(),
        });
    }
    Ok((headers, None))
}

fn trim_trailing_wsp(mut bytes: &[u8]) -> &[u8] {
    while let [rest @ .., b' ' | b'\t'] = bytes {
        bytes = rest;
    }
    bytes
}

fn not_a_field(line: u32, first: bool) -> Unparseable {
    Unparseable {
        line,
        reason: if first {
            "the file does not start with a header field (\"Name: value\")".into()
        } else {
            "a line of the header block is neither a header field (\"Name: value\") nor a \
             continuation line"
                .into()
        },
    }
}

/// Fields of which a message has at least one: a header block with none of them (say
/// `{"subject": "hi"}`, which has the shape of a field) is not a message.
const MESSAGE_FIELDS: &[&str] = &[
    "From",
    "Sender",
    "Reply-To",
    "To",
    "Cc",
    "Subject",
    "Date",
    "Message-ID",
    "MIME-Version",
    "Content-Type",
    "Received",
    "Return-Path",
];

/// Parse a draft's bytes.
pub fn parse_draft(file: &[u8]) -> Result<Draft<'_>, Unparseable> {
    let (bytes, lines_before, mbox_from_line) = strip_envelope(file);
    let (headers, body_line) = scan_headers(bytes, lines_before)?;
    if !headers
        .iter()
        .any(|h| MESSAGE_FIELDS.iter().any(|name| h.is(name)))
    {
        return Err(Unparseable {
            line: lines_before.saturating_add(1),
            reason: "the header block has none of the fields of a message (From, To, Subject, \
                     Date, Message-ID, Content-Type, ...)"
                .into(),
        });
    }
    // A panic in mail-parser is caught there (crate::mime) and reported on this draft.
    let parsed = crate::mime::parse(&MessageParser::default(), bytes);
    let message = match parsed {
        Ok(Some(message)) if !message.parts.is_empty() => message,
        Ok(_) => {
            return Err(Unparseable {
                line: lines_before.saturating_add(1),
                reason: "the MIME parser found no message in the file".into(),
            });
        }
        Err(_) => {
            return Err(Unparseable {
                line: lines_before.saturating_add(1),
                reason: "the MIME parser failed on this file".into(),
            });
        }
    };
    Ok(Draft {
        bytes,
        lines_before,
        mbox_from_line,
        headers,
        body_line,
        message,
    })
}

/// A part of the MIME tree, summarised for the facts.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PartSummary {
    pub content_type: String,
    pub charset: Option<String>,
    /// "7bit/8bit/binary" (none), "quoted-printable" or "base64".
    pub encoding: &'static str,
    /// Decoded size in bytes.
    pub size: usize,
    /// 1-based line of the file where the part's body starts.
    pub start_line: u32,
    /// "body" (a text or HTML body part), "attachment" or "inline" (an inline image).
    pub role: &'static str,
}

/// The text parts and attachments of a draft, owned where the body interface needs `&str`
/// that mail-parser does not hold (content types).
#[derive(Debug, Default)]
pub struct Parts {
    pub summaries: Vec<PartSummary>,
    /// (index into the message's parts, "text/plain" or "text/html", 1-based line of the
    /// file where its body starts).
    body: Vec<(usize, &'static str, u32)>,
    /// (index into the message's parts, content type).
    attachments: Vec<(usize, String)>,
}

fn encoding_name(encoding: Encoding) -> &'static str {
    match encoding {
        Encoding::None => "none",
        Encoding::QuotedPrintable => "quoted-printable",
        Encoding::Base64 => "base64",
    }
}

impl Draft<'_> {
    /// The first field named `name`.
    pub fn header(&self, name: &str) -> Option<&RawHeader<'_>> {
        self.headers.iter().find(|h| h.is(name))
    }

    pub fn has_header(&self, name: &str) -> bool {
        self.header(name).is_some()
    }

    /// The 1-based file line of byte `offset` of `bytes`.
    pub fn line_of(&self, offset: usize) -> u32 {
        LineCounter::new(self).line_of(offset)
    }

    /// The decoded addresses of the first `From`, `Reply-To`, ... field.
    ///
    /// Each field is parsed on its own, from the raw value the header scan found: mail-parser
    /// reading the whole header block can let one malformed field swallow the next (a Date
    /// such as "27 Jun 01 3:36:25 AM" takes the following From line with it).
    pub fn mailboxes(&self, name: &str) -> Vec<Mailbox> {
        let Some(header) = self.header(name) else {
            return Vec::new();
        };
        let value = terminated(header.value);
        let HeaderValue::Address(address) = MessageStream::new(&value).parse_address() else {
            return Vec::new();
        };
        let addrs: Vec<&mail_parser::Addr<'_>> = match &address {
            Address::List(list) => list.iter().collect(),
            Address::Group(groups) => groups.iter().flat_map(|g| g.addresses.iter()).collect(),
        };
        addrs
            .into_iter()
            .map(|a| Mailbox {
                name: a
                    .name
                    .as_deref()
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
                    .map(str::to_string),
                address: a
                    .address
                    .as_deref()
                    .map(str::trim)
                    .filter(|a| !a.is_empty())
                    .map(str::to_string),
            })
            .collect()
    }

    /// The decoded Subject (RFC 2047 encoded words decoded), if there is one.
    pub fn subject(&self) -> Option<String> {
        let header = self.header("Subject")?;
        let value = terminated(header.value);
        match MessageStream::new(&value).parse_unstructured() {
            HeaderValue::Text(text) => Some(text.into_owned()),
            HeaderValue::TextList(list) => Some(list.join(" ")),
            _ => Some(String::new()),
        }
    }

    /// Sort the top-level parts into body parts and attachments.
    pub fn parts(&self) -> Parts {
        let message = &self.message;
        let mut parts = Parts::default();
        // Looked up once per part: a set, so that a draft of n parts costs n look-ups.
        let attachments: HashSet<u32> = message.attachments.iter().copied().collect();
        let mut lines = LineCounter::new(self);
        for (index, part) in message.parts.iter().enumerate() {
            let id = u32::try_from(index).unwrap_or(u32::MAX);
            let content_type = match part.content_type() {
                Some(ct) => match ct.subtype() {
                    Some(sub) => format!("{}/{}", ct.ctype(), sub).to_ascii_lowercase(),
                    None => ct.ctype().to_ascii_lowercase(),
                },
                None => "text/plain".to_string(),
            };
            let charset = part
                .content_type()
                .and_then(|ct| ct.attribute("charset"))
                .map(|c| c.to_ascii_lowercase());
            let is_attachment = attachments.contains(&id);
            let role = match &part.body {
                PartType::Multipart(_) => continue,
                PartType::Text(_) | PartType::Html(_) if !is_attachment => "body",
                PartType::InlineBinary(_) => "inline",
                _ => "attachment",
            };
            let start_line = lines.line_of(part.offset_body as usize);
            parts.summaries.push(PartSummary {
                content_type: content_type.clone(),
                charset,
                encoding: encoding_name(part.encoding),
                size: part.body.len(),
                start_line,
                role,
            });
            match &part.body {
                PartType::Html(_) if role == "body" => {
                    parts.body.push((index, "text/html", start_line));
                }
                PartType::Text(_) if role == "body" => {
                    parts.body.push((index, "text/plain", start_line));
                }
                _ => parts.attachments.push((index, content_type)),
            }
        }
        parts
    }

    /// The input of the body analysis: decoded text parts with their lines, attachments.
    pub fn body_input<'p>(
        &'p self,
        parts: &'p Parts,
        file: &'p str,
        from_domain: Option<&'p str>,
        template_mode: bool,
    ) -> BodyInput<'p> {
        let message = &self.message;
        let body = parts
            .body
            .iter()
            .filter_map(|(index, content_type, start_line)| {
                let part = message.parts.get(*index)?;
                let text = match &part.body {
                    PartType::Text(text) | PartType::Html(text) => text.as_ref(),
                    _ => return None,
                };
                Some(BodyPart {
                    content_type,
                    text,
                    start_line: *start_line,
                    lines_match_file: part.encoding == Encoding::None && !part.is_encoding_problem,
                })
            })
            .collect();
        let attachments = parts
            .attachments
            .iter()
            .filter_map(|(index, content_type)| {
                let part = message.parts.get(*index)?;
                Some(Attachment {
                    filename: part.attachment_name(),
                    content_type,
                    size: part.body.len(),
                })
            })
            .collect();
        BodyInput {
            file,
            parts: body,
            attachments,
            from_domain,
            template_mode,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mbox_line_is_skipped_and_lines_stay_those_of_the_file() {
        let text = b"From someone@example.com  Mon Jul 29 11:27:54 2002\nFrom: A <a@example.com>\nSubject: hi\n\nbody\n";
        let draft = parse_draft(text).unwrap();
        assert!(draft.mbox_from_line);
        assert_eq!(draft.headers[0].name, "From");
        assert_eq!(draft.headers[0].line, 2);
        assert_eq!(draft.headers[1].line, 3);
        assert_eq!(draft.body_line, Some(5));
        let from = draft.mailboxes("From");
        assert_eq!(from[0].domain().as_deref(), Some("example.com"));
    }

    #[test]
    fn a_from_header_with_space_before_the_colon_is_not_an_envelope() {
        let draft = parse_draft(b"From : a@example.com\n\nx").unwrap();
        assert!(!draft.mbox_from_line);
        assert_eq!(draft.headers[0].name, "From");
    }

    #[test]
    fn a_malformed_date_does_not_hide_the_from_line() {
        let text = b"Date: 27 Jun 01 3:36:25 AM\nFrom: chol@example.com\nSubject: =?utf-8?q?caf=C3=A9?=\n\nx";
        let draft = parse_draft(text).unwrap();
        let from = draft.mailboxes("From");
        assert_eq!(from[0].address.as_deref(), Some("chol@example.com"));
        assert_eq!(draft.subject().as_deref(), Some("café"));
    }

    #[test]
    fn crlf_and_folding() {
        let text = b"Subject: a\r\n  folded\r\nFrom: a@example.com\r\n\r\nbody\r\n";
        let draft = parse_draft(text).unwrap();
        assert_eq!(draft.headers[0].unfolded(), "a  folded");
        assert_eq!(draft.headers[1].line, 3);
        assert_eq!(draft.body_line, Some(5));
    }

    #[test]
    fn not_a_message() {
        let cases: [(&[u8], u32); 8] = [
            (b"", 1),
            (b"\nbody", 1),
            (b"hello world\nFrom: a@b\n\n", 1),
            (b"From: a@b\nnot a header\n\n", 2),
            (b" continued\n\n", 1),
            (b"From: a@b\nX-Bin: \0\x01\x02\n\n", 2),
            (b"{\"subject\": \"hi\", \"body\": \"json export\"}\n", 1),
            (b"X-Only: custom\n\nbody", 1),
        ];
        for (bytes, line) in cases {
            let err = parse_draft(bytes).unwrap_err();
            assert_eq!(err.line, line, "{bytes:?}: {}", err.reason);
        }
    }

    #[test]
    fn body_parts_have_their_file_lines() {
        let text = b"From: a@example.com\nContent-Type: multipart/alternative; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nplain text\n--b\nContent-Type: text/html\nContent-Transfer-Encoding: quoted-printable\n\n<p>html</p>\n--b--\n";
        let draft = parse_draft(text).unwrap();
        let parts = draft.parts();
        let input = draft.body_input(&parts, "d.eml", Some("example.com"), false);
        assert_eq!(input.parts.len(), 2);
        assert_eq!(input.parts[0].content_type, "text/plain");
        assert_eq!(input.parts[0].start_line, 7);
        assert!(input.parts[0].lines_match_file);
        assert!(input.parts[0].text.starts_with("plain text"));
        assert_eq!(input.parts[1].content_type, "text/html");
        assert_eq!(input.parts[1].start_line, 12);
        assert!(!input.parts[1].lines_match_file);
    }

    #[test]
    fn attachments_are_listed() {
        let text = b"From: a@example.com\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nhi\n--b\nContent-Type: application/pdf; name=x.pdf\nContent-Disposition: attachment; filename=x.pdf\nContent-Transfer-Encoding: base64\n\nJVBERi0=\n--b--\n";
        let draft = parse_draft(text).unwrap();
        let parts = draft.parts();
        let input = draft.body_input(&parts, "d.eml", None, false);
        assert_eq!(input.parts.len(), 1);
        assert_eq!(input.attachments.len(), 1);
        assert_eq!(input.attachments[0].content_type, "application/pdf");
        assert_eq!(input.attachments[0].filename, Some("x.pdf"));
        assert_eq!(input.attachments[0].size, 5);
    }
}
