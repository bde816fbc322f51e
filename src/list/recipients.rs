//! The recipients file, streamed: a CSV header naming an `email` or `address` column
//! (case-insensitive; `email` wins when both are there), then one row per line. Only the
//! current line is held, never the file. Blank lines are skipped. Other columns are not
//! read, and `--clean-out` copies each kept line byte for byte.

use super::ListError;
use super::suppression::MAX_LINE;
use crate::csv::{LineRead, read_line, split};
use crate::input::{self, Bounded, InputKind};
use std::io::{BufReader, Read};
use std::path::Path;

/// Why a row could not be read (`list/unreadable-row`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unreadable {
    TooLong,
    NotUtf8,
    Quotes,
    NoAddressField,
}

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Unreadable::TooLong => "a line over 64 KiB",
            Unreadable::NotUtf8 => "not UTF-8 text",
            Unreadable::Quotes => "a quote that is not closed on its line",
            Unreadable::NoAddressField => "fewer fields than the header: no address field",
        })
    }
}

/// One data row.
pub struct Row<'a> {
    /// 1-based line number in the file.
    pub line: u64,
    /// The line as read, without its line end (empty for a line too long to hold).
    pub raw: &'a [u8],
    pub crlf: bool,
    /// The address field, trimmed, or why the row could not be read.
    pub address: Result<&'a str, Unreadable>,
}

/// What the header said.
#[derive(Clone, Debug)]
pub struct Header {
    pub raw: Vec<u8>,
    pub crlf: bool,
    pub column: String,
}

/// What [`scan`] hands its callback: the header once, then each data row.
pub enum Event<'a, 'b> {
    Header(&'a Header),
    Row(&'a Row<'b>),
}

/// Open `path` within `limit` and call `each` with the header, then every data row.
/// Returns the number of data rows.
pub fn scan(
    path: &Path,
    limit: u64,
    each: impl FnMut(Event<'_, '_>) -> Result<(), ListError>,
) -> Result<u64, ListError> {
    let name = crate::path::display(path);
    let file = input::open_limited(path, InputKind::Recipients, limit)?;
    let reader = BufReader::with_capacity(
        256 * 1024,
        Bounded::new(file, InputKind::Recipients, &name, limit),
    );
    scan_from(reader, &name, each)
}

/// [`scan`] from any reader (tests, properties).
pub fn scan_from<R: Read>(
    mut reader: BufReader<R>,
    name: &str,
    mut each: impl FnMut(Event<'_, '_>) -> Result<(), ListError>,
) -> Result<u64, ListError> {
    let read_error = |e: std::io::Error| ListError::Read {
        file: name.to_string(),
        reason: e.to_string(),
    };
    let refuse = |line: u64, message: &str| ListError::Recipients {
        file: name.to_string(),
        line,
        message: message.to_string(),
    };
    let mut buf = Vec::new();
    let mut fields = Vec::new();
    let mut line_no: u64 = 0;
    let (index, found) = loop {
        line_no += 1;
        match read_line(&mut reader, &mut buf, MAX_LINE).map_err(read_error)? {
            LineRead::Eof => {
                return Err(refuse(
                    line_no,
                    "the file is empty: expected a CSV header with an email or address column",
                ));
            }
            LineRead::TooLong => return Err(refuse(line_no, "the header is over 64 KiB")),
            LineRead::Line { crlf } => {
                if line_no == 1 && buf.starts_with(b"\xef\xbb\xbf") {
                    buf.drain(..3);
                }
                if buf.trim_ascii().is_empty() {
                    continue;
                }
                let text = std::str::from_utf8(&buf)
                    .map_err(|_| refuse(line_no, "the header is not UTF-8 text"))?;
                split(text, &mut fields)
                    .ok_or_else(|| refuse(line_no, "the header has a quote that is not closed"))?;
                let find = |name: &str| {
                    fields
                        .iter()
                        .position(|h| h.trim().eq_ignore_ascii_case(name))
                };
                let Some(index) = find("email").or_else(|| find("address")) else {
                    return Err(refuse(
                        line_no,
                        "the header names no email or address column",
                    ));
                };
                let found = Header {
                    raw: buf.clone(),
                    crlf,
                    column: fields[index].trim().to_string(),
                };
                break (index, found);
            }
        }
    };
    each(Event::Header(&found))?;
    let mut rows = 0u64;
    loop {
        line_no += 1;
        let read = read_line(&mut reader, &mut buf, MAX_LINE).map_err(read_error)?;
        let (crlf, address) = match read {
            LineRead::Eof => break,
            LineRead::TooLong => (false, Err(Unreadable::TooLong)),
            LineRead::Line { crlf } => {
                if buf.trim_ascii().is_empty() {
                    continue;
                }
                (crlf, address_field(&buf, index, &mut fields))
            }
        };
        rows += 1;
        let row = Row {
            line: line_no,
            raw: &buf,
            crlf,
            address,
        };
        each(Event::Row(&row))?;
    }
    Ok(rows)
}

fn address_field<'a>(
    line: &'a [u8],
    index: usize,
    fields: &'a mut Vec<String>,
) -> Result<&'a str, Unreadable> {
    let text = std::str::from_utf8(line).map_err(|_| Unreadable::NotUtf8)?;
    split(text, fields).ok_or(Unreadable::Quotes)?;
    fields
        .get(index)
        .map(|f| f.trim())
        .ok_or(Unreadable::NoAddressField)
}

/// One row as [`read_all`] returns it: the line and the address field.
pub type ReadRow = (u64, Result<String, Unreadable>);

/// Reads a whole list's rows into memory: for tests only (the command streams).
pub fn read_all(text: &[u8]) -> Result<Vec<ReadRow>, ListError> {
    let mut out = Vec::new();
    scan_from(BufReader::new(text), "test.csv", |event| {
        if let Event::Row(row) = event {
            out.push((row.line, row.address.map(str::to_string)));
        }
        Ok(())
    })?;
    Ok(out)
}
