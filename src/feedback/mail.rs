//! A feedback message as the reader sees it: its header fields (raw, each parsed when asked
//! for), and its parts in document order (text decoded, the attached original message's
//! header fields only).
//!
//! Most messages are walked here without a full MIME parse ([`Mail::walk`]): the header
//! fields are split in place, and only the parts' bodies are decoded, with mail-parser's own
//! decoders and field parsers, so a part reads as mail-parser would read it. What the full
//! parse spends on a bounce goes mostly to the attached original (its parts decoded, its
//! Received fields parsed), which is never read. Whatever the walk is not sure to read as
//! mail-parser does (a header line without a colon, a boundary that is not there, an encoded
//! attached message, a broken quoted-printable part, ...) makes it give up, and the message
//! goes through the full parse ([`Mail::from_parsed`]); tests/integration/feedback_conformance.rs
//! checks that both read every fixture the same.

use mail_parser::decoders::charsets::map::charset_decoder;
use mail_parser::parsers::MessageStream;
use mail_parser::{Address, ContentType, DateTime, HeaderValue, Message, MimeHeaders, PartType};
use std::borrow::Cow;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Multiparts nested deeper than this are left to the full parse.
const MAX_DEPTH: usize = 8;

/// One header field: its name as written and its raw value (after the colon, through the
/// line break that ends it, folded lines included).
#[derive(Clone, Copy, Debug)]
pub struct Field<'a> {
    pub name: &'a str,
    pub value: &'a [u8],
    /// From the value to the end of the message: what mail-parser's field parsers read
    /// from (they may look past the line, and must read here what they read there).
    pub tail: &'a [u8],
}

#[derive(Debug)]
pub enum Body<'a> {
    Text(Cow<'a, str>),
    Html(Cow<'a, str>),
    Bytes(Cow<'a, [u8]>),
    /// An attached message: its header fields only.
    Message(Mail<'a>),
    /// A multipart's own entry (the full parse lists them).
    Container,
}

#[derive(Debug)]
pub struct Part<'a> {
    pub content_type: Option<ContentType<'a>>,
    pub body: Body<'a>,
}

#[derive(Debug, Default)]
pub struct Mail<'a> {
    pub fields: Vec<Field<'a>>,
    pub parts: Vec<Part<'a>>,
}

impl<'a> Part<'a> {
    pub fn is_type(&self, ctype: &str, subtype: &str) -> bool {
        self.content_type.as_ref().is_some_and(|ct| {
            ct.ctype().eq_ignore_ascii_case(ctype)
                && ct
                    .subtype()
                    .is_some_and(|s| s.eq_ignore_ascii_case(subtype))
        })
    }

    /// The decoded body (empty for a container or an attached message).
    pub fn contents(&self) -> &[u8] {
        match &self.body {
            Body::Text(t) | Body::Html(t) => t.as_bytes(),
            Body::Bytes(b) => b,
            Body::Message(_) | Body::Container => b"",
        }
    }
}

impl<'a> Mail<'a> {
    pub fn has_part(&self, ctype: &str, subtype: &str) -> bool {
        self.parts.iter().any(|p| p.is_type(ctype, subtype))
    }

    /// The last field of that name, as mail-parser's accessors take it.
    fn last(&self, name: &str) -> Option<&Field<'a>> {
        self.fields
            .iter()
            .rev()
            .find(|f| f.name.eq_ignore_ascii_case(name))
    }

    /// The raw value of the last field of that name (None when it is not UTF-8).
    pub fn header_raw(&self, name: &str) -> Option<&'a str> {
        self.last(name)
            .and_then(|f| std::str::from_utf8(f.value).ok())
    }

    fn parsed(
        &self,
        name: &str,
        parse: fn(&mut MessageStream<'a>) -> HeaderValue<'a>,
    ) -> Option<HeaderValue<'a>> {
        let field = self.last(name)?;
        catch_unwind(AssertUnwindSafe(|| {
            parse(&mut MessageStream::new(field.tail))
        }))
        .ok()
    }

    pub fn date(&self) -> Option<DateTime> {
        match self.parsed("Date", MessageStream::parse_date)? {
            HeaderValue::DateTime(d) => Some(d),
            _ => None,
        }
    }

    pub fn subject(&self) -> Option<Cow<'a, str>> {
        match self.parsed("Subject", MessageStream::parse_unstructured)? {
            HeaderValue::Text(t) => Some(t),
            HeaderValue::TextList(mut l) if !l.is_empty() => Some(l.swap_remove(0)),
            _ => None,
        }
    }

    pub fn message_id(&self) -> Option<Cow<'a, str>> {
        match self.parsed("Message-ID", MessageStream::parse_id)? {
            HeaderValue::Text(t) => Some(t),
            HeaderValue::TextList(mut l) if !l.is_empty() => Some(l.swap_remove(0)),
            _ => None,
        }
    }

    fn address(&self, name: &str) -> Option<Address<'a>> {
        match self.parsed(name, MessageStream::parse_address)? {
            HeaderValue::Address(a) => Some(a),
            _ => None,
        }
    }

    pub fn from(&self) -> Option<Address<'a>> {
        self.address("From")
    }

    pub fn to(&self) -> Option<Address<'a>> {
        self.address("To")
    }

    /// The message as mail-parser parsed it.
    pub fn from_parsed(parsed: &'a Message<'a>) -> Mail<'a> {
        let mut mail = Mail::fields_of(parsed);
        mail.parts = parsed
            .parts
            .iter()
            .map(|part| Part {
                content_type: part.content_type().cloned(),
                body: match &part.body {
                    PartType::Text(t) => Body::Text(Cow::Borrowed(t.as_ref())),
                    PartType::Html(h) => Body::Html(Cow::Borrowed(h.as_ref())),
                    PartType::Binary(b) | PartType::InlineBinary(b) => {
                        Body::Bytes(Cow::Borrowed(b.as_ref()))
                    }
                    PartType::Message(inner) => Body::Message(Mail::fields_of(inner)),
                    PartType::Multipart(_) => Body::Container,
                },
            })
            .collect();
        mail
    }

    fn fields_of(parsed: &'a Message<'a>) -> Mail<'a> {
        let raw: &[u8] = parsed.raw_message.as_ref();
        let fields = parsed
            .parts
            .first()
            .map(|p| p.headers.as_slice())
            .unwrap_or_default()
            .iter()
            .map(|h| Field {
                name: h.name.as_str(),
                value: raw
                    .get(h.offset_start as usize..h.offset_end as usize)
                    .unwrap_or_default(),
                tail: raw.get(h.offset_start as usize..).unwrap_or_default(),
            })
            .collect();
        Mail {
            fields,
            parts: Vec::new(),
        }
    }

    /// A block of header fields only (a `text/rfc822-headers` part, a copy in a bounce's
    /// text), when it splits cleanly.
    pub fn header_block(data: &'a [u8]) -> Option<Mail<'a>> {
        let (fields, _) = catch_unwind(AssertUnwindSafe(|| split_fields(data, 0)))
            .ok()
            .flatten()
            .filter(|(f, _)| !f.is_empty())?;
        Some(Mail {
            fields,
            parts: Vec::new(),
        })
    }

    /// The message walked without the full parse, or None when the walk is not sure to read
    /// it as mail-parser does.
    pub fn walk(data: &'a [u8]) -> Option<Mail<'a>> {
        catch_unwind(AssertUnwindSafe(|| {
            let (fields, body) =
                split_fields(data, fields_start(data)?).filter(|(f, _)| !f.is_empty())?;
            let mut walker = Walker {
                data,
                stream: MessageStream::new(data),
                parts: Vec::new(),
                finders: Vec::new(),
            };
            walker.stream.skip_bytes(body);
            let top = Mail {
                fields,
                parts: Vec::new(),
            };
            walker.part(&top.fields, None, false, 0)?;
            Some(Mail {
                fields: top.fields,
                parts: walker.parts,
            })
        }))
        .ok()
        .flatten()
    }
}

/// Header fields from `at` up to the blank line that ends them, and where the body starts;
/// None for anything mail-parser would read in its own way (no blank line before the end, a
/// line that starts with a blank, a name with blanks inside or 8-bit bytes). A line without a
/// colon is dropped, as mail-parser drops it.
fn split_fields(data: &[u8], mut at: usize) -> Option<(Vec<Field<'_>>, usize)> {
    let mut fields = Vec::new();
    loop {
        match data.get(at)? {
            b'\n' => return Some((fields, at + 1)),
            b if b.is_ascii_whitespace() => return None,
            b':' => return None,
            _ => {}
        }
        let colon = at + memchr::memchr2(b':', b'\n', &data[at..])?;
        if data[colon] == b'\n' {
            at = colon + 1;
            continue;
        }
        let name = data[at..colon].trim_ascii_end();
        if !name.iter().all(|b| b.is_ascii_graphic()) {
            return None;
        }
        let end = match parser_ends_field(name) {
            // Where mail-parser's parser of this field stops is where the next field starts
            // for it.
            Some(parse) => {
                let mut stream = MessageStream::new(data);
                stream.skip_bytes(colon + 1);
                parse(&mut stream);
                stream.offset()
            }
            // Else the value runs to a line break not followed by a blank (RFC 5322 folding).
            None => {
                let mut end = colon + 1;
                loop {
                    end += memchr::memchr(b'\n', &data[end..])? + 1;
                    if !matches!(data.get(end), Some(b' ' | b'\t')) {
                        break;
                    }
                }
                end
            }
        };
        if end <= colon {
            return None;
        }
        fields.push(Field {
            name: std::str::from_utf8(name).ok()?,
            value: &data[colon + 1..end],
            tail: &data[colon + 1..],
        });
        at = end;
    }
}

/// The one field whose mail-parser parser may stop somewhere else than the folding rule
/// says: its date parser reads an obsolete zone (`UT`, RFC 5322 §4.3) two bytes at a time,
/// through the line break, and the field then runs on into the next line. The other parsers
/// of the fields the reader asks for stop at the first line break not followed by a blank.
fn parser_ends_field<'x>(name: &[u8]) -> Option<fn(&mut MessageStream<'x>) -> HeaderValue<'x>> {
    name.eq_ignore_ascii_case(b"date")
        .then_some(MessageStream::parse_date as fn(&mut MessageStream<'x>) -> HeaderValue<'x>)
}

/// Where a message's header fields start: past an mbox `From ` line, or one an mbox writer
/// quoted (`>From `, mboxrd), which mail-parser reads as a field no one asks for, or drops.
fn fields_start(data: &[u8]) -> Option<usize> {
    let quoted = data.iter().take_while(|b| **b == b'>').count();
    if !data[quoted..].starts_with(b"From ") {
        return Some(0);
    }
    let end = memchr::memchr(b'\n', data)? + 1;
    (!matches!(data.get(end), Some(b' ' | b'\t'))).then_some(end)
}

fn last<'a>(fields: &[Field<'a>], name: &str) -> Option<Field<'a>> {
    fields
        .iter()
        .rev()
        .find(|f| f.name.eq_ignore_ascii_case(name))
        .copied()
}

struct Walker<'a> {
    data: &'a [u8],
    stream: MessageStream<'a>,
    parts: Vec<Part<'a>>,
    /// A searcher per boundary (`--` and the boundary), made once: a message looks for the
    /// same one or two many times.
    finders: Vec<memchr::memmem::Finder<'static>>,
}

impl<'a> Walker<'a> {
    /// The offset the stream is at.
    fn at(&self) -> usize {
        self.stream.offset()
    }

    fn seek(&mut self, at: usize) {
        self.stream = MessageStream::new(self.data);
        self.stream.skip_bytes(at);
    }

    /// Where the next `--boundary` starts, from the stream on: anywhere in a line, as
    /// mail-parser looks for it (its byte loop, here memchr's).
    fn next_boundary(&mut self, boundary: &[u8]) -> Option<usize> {
        let known = self
            .finders
            .iter()
            .position(|f| f.needle().get(2..) == Some(boundary));
        let finder = match known {
            Some(at) => &self.finders[at],
            None => {
                let mut needle = Vec::with_capacity(boundary.len() + 2);
                needle.extend_from_slice(b"--");
                needle.extend_from_slice(boundary);
                self.finders
                    .push(memchr::memmem::Finder::new(&needle).into_owned());
                self.finders.last()?
            }
        };
        let from = self.stream.offset();
        finder.find(self.data.get(from..)?).map(|p| from + p)
    }

    /// Past the next `--boundary` (mail-parser's `seek_next_part`).
    fn skip_past_boundary(&mut self, boundary: &[u8]) -> Option<()> {
        let at = self.next_boundary(boundary)?;
        self.seek(at + 2 + boundary.len());
        Some(())
    }

    /// An unencoded body up to the next `--boundary` (mail-parser's `mime_part`: the line
    /// break before the boundary is not the body's), the stream past the boundary.
    fn plain_body(&mut self, boundary: &[u8]) -> Option<&'a [u8]> {
        let start = self.at();
        if boundary.is_empty() {
            self.seek(self.data.len());
            return self.data.get(start..);
        }
        let at = self.next_boundary(boundary)?;
        let end = if at > start && self.data[at - 1] == b'\n' {
            if at - 1 > start && self.data[at - 2] == b'\r' {
                at - 2
            } else {
                at - 1
            }
        } else {
            at
        };
        self.seek(at + 2 + boundary.len());
        self.data.get(start..end)
    }

    /// One part whose header fields are read and whose body the stream is at; after it the
    /// stream is past the boundary that ends it (`boundary`), or the message ended in it.
    fn part(
        &mut self,
        fields: &[Field<'a>],
        boundary: Option<&[u8]>,
        in_digest: bool,
        depth: usize,
    ) -> Option<Flow> {
        let content_type = match last(fields, "Content-Type") {
            Some(f) => match MessageStream::new(f.tail).parse_content_type() {
                HeaderValue::ContentType(ct) => Some(ct),
                _ => None,
            },
            None => None,
        };
        let (ctype, subtype) = content_type
            .as_ref()
            .map_or(("", None), |ct| (ct.ctype(), ct.subtype()));
        let encoding = last(fields, "Content-Transfer-Encoding")
            .map(|f| match MessageStream::new(f.tail).parse_unstructured() {
                HeaderValue::Text(t) => t.to_ascii_lowercase(),
                _ => String::new(),
            })
            .unwrap_or_default();
        if content_type.is_none() && in_digest {
            return None;
        }
        if ctype == "multipart" {
            if depth >= MAX_DEPTH {
                return None;
            }
            let own = content_type.as_ref()?.attribute("boundary")?.as_bytes();
            if own.is_empty() {
                return None;
            }
            self.skip_past_boundary(own)?;
            self.parts.push(Part {
                content_type: content_type.clone(),
                body: Body::Container,
            });
            self.stream.skip_crlf();
            let digest = subtype == Some("digest");
            loop {
                // A part may have no header fields (a blank line first): text/plain.
                let (fields, body) = split_fields(self.data, self.at())?;
                self.seek(body);
                if self.part(&fields, Some(own), digest, depth + 1)? == Flow::End {
                    return Some(Flow::End);
                }
                if self.stream.is_multipart_end() {
                    break;
                }
            }
            // Past the end of this multipart, the enclosing one's next boundary; without
            // one, mail-parser ends the message here.
            return Some(match boundary {
                Some(outer) if self.skip_past_boundary(outer).is_none() => Flow::End,
                _ => Flow::Next,
            });
        }
        if ctype == "message" && matches!(subtype, Some("rfc822" | "global")) {
            // An attached message: its header fields, and nothing of its body but where it
            // ends (the enclosing boundary). Encoded, or not inside a multipart, it is the
            // full parse's to read.
            let outer = boundary?;
            if !matches!(encoding.as_str(), "" | "7bit" | "8bit" | "binary") {
                return None;
            }
            let (fields, _) = split_fields(self.data, self.at()).filter(|(f, _)| !f.is_empty())?;
            // An attached message the bounce cut short runs to the end: mail-parser reads it
            // so, and nothing comes after it.
            let flow = match self.skip_past_boundary(outer) {
                Some(()) => Flow::Next,
                None => Flow::End,
            };
            self.parts.push(Part {
                content_type,
                body: Body::Message(Mail {
                    fields,
                    parts: Vec::new(),
                }),
            });
            return Some(flow);
        }
        let boundary_bytes = boundary.unwrap_or(b"");
        let start = self.at();
        if !matches!(encoding.as_str(), "base64" | "quoted-printable")
            && self.next_boundary(boundary_bytes).is_none()
            && !boundary_bytes.is_empty()
        {
            // A part the message ends in, its boundary never written: mail-parser keeps its
            // bytes as they are, as text whatever its type, and reads nothing after it.
            let text = match content_type
                .as_ref()
                .and_then(|ct| ct.attribute("charset"))
                .and_then(|c| charset_decoder(c.as_bytes()))
            {
                Some(decode) => Cow::Owned(decode(&self.data[start..])),
                None => String::from_utf8_lossy(&self.data[start..]),
            };
            self.parts.push(Part {
                content_type,
                body: Body::Text(text),
            });
            return Some(Flow::End);
        }
        let (end, bytes) = match encoding.as_str() {
            "base64" => self.stream.decode_base64_mime(boundary_bytes),
            "quoted-printable" => {
                let (end, resume, bytes) = quoted_printable(self.data, self.at(), boundary_bytes)?;
                self.seek(resume);
                (end, Cow::Owned(bytes))
            }
            _ => (0, Cow::Borrowed(self.plain_body(boundary_bytes)?)),
        };
        if end == usize::MAX {
            return None;
        }
        let (is_text, is_html) = match (ctype, subtype) {
            ("", _) => (true, false),
            ("text", Some("html")) => (true, true),
            ("text", _) => (true, false),
            _ => (false, false),
        };
        let body = if is_text {
            let charset = content_type.as_ref().and_then(|ct| ct.attribute("charset"));
            // ASCII text in a charset whose first 128 codes are ASCII decodes to itself:
            // no character-by-character decoding for it.
            let decoder = charset
                .filter(|c| !(bytes.is_ascii() && ascii_compatible(c)))
                .and_then(|c| charset_decoder(c.as_bytes()));
            let text = match (bytes, decoder) {
                (Cow::Owned(v), Some(decode)) => Cow::Owned(decode(&v)),
                (Cow::Owned(v), None) => Cow::Owned(
                    String::from_utf8(v)
                        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
                ),
                (Cow::Borrowed(b), Some(decode)) => Cow::Owned(decode(b)),
                (Cow::Borrowed(b), None) => String::from_utf8_lossy(b),
            };
            if is_html {
                Body::Html(text)
            } else {
                Body::Text(text)
            }
        } else {
            Body::Bytes(bytes)
        };
        self.parts.push(Part { content_type, body });
        Some(Flow::Next)
    }
}

/// Charsets whose bytes 0-127 are ASCII in mail-parser's decoders (ISO-2022-JP, UTF-7 and
/// UTF-16 are not: their ASCII bytes can be escapes or halves of characters).
fn ascii_compatible(charset: &str) -> bool {
    let c = charset.trim().to_ascii_lowercase();
    matches!(
        c.as_str(),
        "us-ascii" | "ascii" | "utf-8" | "utf8" | "latin1" | "windows-1252" | "cp1252"
    ) || (c.starts_with("iso-8859-") && c[9..].parse::<u8>().is_ok_and(|n| (1..=16).contains(&n)))
}

/// After a part: the next one, or the end of the message (mail-parser stops where a boundary
/// it looks for is missing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flow {
    Next,
    End,
}

/// mail-parser's `decode_quoted_printable_mime` over a slice (the same bytes out, the same
/// end, and where the stream would be after it), without its per-byte stream: runs of plain
/// bytes are copied whole. None where mail-parser gives up on the part (a second `=` in an
/// escape, no boundary) or would subtract past zero.
fn quoted_printable(data: &[u8], start: usize, boundary: &[u8]) -> Option<(usize, usize, Vec<u8>)> {
    use mail_parser::decoders::quoted_printable::HEX_MAP;
    let mut buf = Vec::with_capacity(data.len().saturating_sub(start).min(1 << 16));
    // After `=`, after `=` and one hex digit; neither: plain text.
    let (mut eq, mut hex) = (false, false);
    let mut hex1: i8 = 0;
    let (mut last, mut before_last) = (0u8, 0u8);
    // Blanks at the end of a line are dropped (RFC 2045 §6.7 (3)), but only blanks written
    // as such since the last escape or line break: `floor` is where those start.
    let mut floor = 0usize;
    let mut end_pos = start;
    let mut crlf: &[u8] = b"\n";
    let mut i = start;
    while i < data.len() {
        if !eq && !hex {
            let stop = memchr::memchr3(b'=', b'\n', b'-', &data[i..]).map_or(data.len(), |p| i + p);
            let stop = memchr::memchr(b'\r', &data[i..stop]).map_or(stop, |p| i + p);
            if stop > i {
                buf.extend_from_slice(&data[i..stop]);
                before_last = if stop - i >= 2 { data[stop - 2] } else { last };
                last = data[stop - 1];
                i = stop;
                continue;
            }
        }
        let ch = data[i];
        i += 1;
        match ch {
            b'=' => {
                if eq || hex {
                    return None;
                }
                eq = true;
            }
            b'\n' => {
                end_pos = if last == b'\r' { i - 2 } else { i - 1 };
                if eq {
                    eq = false;
                } else {
                    let blanks = buf[floor..]
                        .iter()
                        .rev()
                        .take_while(|b| b.is_ascii_whitespace())
                        .count();
                    buf.truncate(buf.len() - blanks);
                    buf.extend_from_slice(crlf);
                }
                floor = buf.len();
            }
            b'\r' => crlf = b"\r\n",
            b'-' if !boundary.is_empty() && last == b'-' && data[i..].starts_with(boundary) => {
                i += boundary.len();
                if before_last == b'\n' {
                    let cut = buf.len().checked_sub(crlf.len() + 1)?;
                    buf.truncate(cut);
                } else {
                    let cut = buf.len().checked_sub(1)?;
                    buf.truncate(cut);
                    end_pos = i - boundary.len() - 2;
                }
                return Some((end_pos, i, buf));
            }
            _ if eq => {
                hex1 = HEX_MAP[ch as usize];
                if hex1 != -1 {
                    eq = false;
                    hex = true;
                } else if !ch.is_ascii_whitespace() {
                    eq = false;
                    buf.extend_from_slice(&[b'=', ch]);
                    floor = buf.len();
                }
            }
            _ if hex => {
                hex = false;
                let hex2 = HEX_MAP[ch as usize];
                if hex2 != -1 {
                    buf.push(((hex1 as u8) << 4) | hex2 as u8);
                } else {
                    buf.extend_from_slice(&[b'=', last, ch]);
                }
                floor = buf.len();
            }
            _ => buf.push(ch),
        }
        before_last = last;
        last = ch;
    }
    boundary.is_empty().then_some((i, i, buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_printable_decodes_as_mail_parser_does() {
        // Random parts over the bytes that matter to the decoder, against mail-parser's own.
        const ALPHABET: &[u8] = b"=\n\n\r--  \tA3fgBxZ";
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut compared = 0;
        for round in 0..40_000 {
            let len = (next() % 48) as usize;
            let data: Vec<u8> = (0..len)
                .map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize])
                .collect();
            let boundary: &[u8] = if round % 3 == 0 { b"" } else { b"B" };
            let start = (next() % 3) as usize % (len + 1);
            let theirs = catch_unwind(|| {
                let mut stream = MessageStream::new(&data);
                stream.skip_bytes(start);
                let (end, bytes) = stream.decode_quoted_printable_mime(boundary);
                (end, stream.offset(), bytes.into_owned())
            });
            let ours = quoted_printable(&data, start, boundary);
            match (theirs, ours) {
                (Ok((end, offset, bytes)), Some(ours)) => {
                    assert_eq!(
                        (end, offset, bytes),
                        ours,
                        "{:?} from {start}",
                        String::from_utf8_lossy(&data)
                    );
                    compared += 1;
                }
                (Ok((usize::MAX, _, _)), None) | (Err(_), None) => {}
                (theirs, ours) => panic!(
                    "{:?} from {start}: mail-parser {theirs:?}, ours {ours:?}",
                    String::from_utf8_lossy(&data)
                ),
            }
        }
        assert!(compared > 10_000, "only {compared} parts decoded by both");
    }

    #[test]
    fn fields_split_with_folding_and_the_body_after_the_blank_line() {
        let data = b"From: a@b.example\nSubject: one\n two\nX-Empty:\n\nbody\n";
        let (fields, body) = split_fields(data, 0).unwrap();
        assert_eq!(fields.len(), 3);
        assert_eq!(fields[1].name, "Subject");
        assert_eq!(fields[1].value, b" one\n two\n");
        assert_eq!(&data[body..], b"body\n");
    }

    #[test]
    fn odd_header_lines_are_left_to_the_full_parse() {
        assert_eq!(
            split_fields(b"no colon here\n\nbody", 0).unwrap().0.len(),
            0
        );
        assert!(split_fields(b"Bad Name: x\n\n", 0).is_none());
        assert!(split_fields(b"From: a@b.example\n", 0).is_none());
        assert!(split_fields(b" From: a@b.example\n\n", 0).is_none());
    }

    #[test]
    fn a_multipart_report_walks_to_its_parts() {
        let data = b"From: MAILER-DAEMON@mx.example\nContent-Type: multipart/report; \
            report-type=delivery-status; boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\n\
            It failed.\n--B\nContent-Type: message/delivery-status\n\nStatus: 5.1.1\n--B\n\
            Content-Type: message/rfc822\n\nFrom: me@shop.example\nMessage-ID: <1@shop>\n\n\
            --inner\nnot read\n--B--\n";
        let mail = Mail::walk(data).unwrap();
        let kinds: Vec<_> = mail
            .parts
            .iter()
            .map(|p| match &p.body {
                Body::Text(t) => format!("text {t:?}"),
                Body::Bytes(b) => format!("bytes {:?}", String::from_utf8_lossy(b)),
                Body::Message(m) => format!("message {}", m.fields.len()),
                Body::Html(_) => "html".into(),
                Body::Container => "container".into(),
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "container",
                "text \"It failed.\"",
                "bytes \"Status: 5.1.1\"",
                "message 2"
            ]
        );
        let parsed = mail_parser::MessageParser::new().parse(&data[..]).unwrap();
        let full = Mail::from_parsed(&parsed);
        assert_eq!(full.parts.len(), 4);
        assert_eq!(full.parts[2].contents(), mail.parts[2].contents());
    }
}
