//! CSV lines and fields, for every CSV file mailaudit reads or writes (stats, recipients,
//! suppression lists, the csv report): RFC 4180 fields, one record per line (a quoted field
//! must end on its line), LF or CRLF line ends. Lines are read within a length limit: a
//! longer one is read to its end without being held.

use std::borrow::Cow;
use std::io::{self, BufRead};

/// What [`read_line`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum LineRead {
    Eof,
    /// A line is in the buffer, without its line end; `crlf` when it ended in CRLF.
    Line {
        crlf: bool,
    },
    /// The line was longer than the limit: it was read to its end and dropped.
    TooLong,
}

/// Read the next line into `line` (cleared first), at most `limit` bytes of it.
pub fn read_line<R: BufRead>(
    reader: &mut R,
    line: &mut Vec<u8>,
    limit: usize,
) -> io::Result<LineRead> {
    line.clear();
    let mut too_long = false;
    let mut any = false;
    loop {
        let buf = match reader.fill_buf() {
            Ok(buf) => buf,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            break;
        }
        any = true;
        let (chunk, done) = match memchr::memchr(b'\n', buf) {
            Some(i) => (&buf[..i], Some(i + 1)),
            None => (buf, None),
        };
        if !too_long {
            if line.len() + chunk.len() > limit {
                too_long = true;
                line.clear();
            } else {
                line.extend_from_slice(chunk);
            }
        }
        let used = done.unwrap_or(buf.len());
        reader.consume(used);
        if done.is_some() {
            break;
        }
    }
    if !any {
        return Ok(LineRead::Eof);
    }
    if too_long {
        return Ok(LineRead::TooLong);
    }
    let crlf = line.last() == Some(&b'\r');
    if crlf {
        line.pop();
    }
    Ok(LineRead::Line { crlf })
}

/// One field of a line: where it starts (1-based byte column) and its content's byte range
/// (without the quotes); `escaped` when it holds `""` pairs to undo.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    pub column: usize,
    pub start: usize,
    pub end: usize,
    pub escaped: bool,
}

/// Split a line into fields. The error is (1-based column, message).
pub fn split_fields(line: &[u8], out: &mut Vec<Field>) -> Result<(), (usize, &'static str)> {
    out.clear();
    let mut i = 0;
    loop {
        let column = i + 1;
        if line.get(i) == Some(&b'"') {
            let start = i + 1;
            let mut j = start;
            let mut escaped = false;
            loop {
                match memchr::memchr(b'"', &line[j..]) {
                    None => {
                        return Err((
                            column,
                            "a quoted field is not closed on its line (fields spanning lines are not supported)",
                        ));
                    }
                    Some(k) => {
                        j += k;
                        if line.get(j + 1) == Some(&b'"') {
                            escaped = true;
                            j += 2;
                        } else {
                            break;
                        }
                    }
                }
            }
            out.push(Field {
                column,
                start,
                end: j,
                escaped,
            });
            i = j + 1;
            match line.get(i) {
                None => return Ok(()),
                Some(b',') => i += 1,
                Some(_) => {
                    return Err((
                        i + 1,
                        "text after the closing quote of a field (expected a comma)",
                    ));
                }
            }
        } else {
            let end = memchr::memchr(b',', &line[i..]).map_or(line.len(), |k| i + k);
            out.push(Field {
                column,
                start: i,
                end,
                escaped: false,
            });
            if end == line.len() {
                return Ok(());
            }
            i = end + 1;
        }
    }
}

/// The raw bytes of a field, with `""` undone.
pub fn raw<'a>(line: &'a [u8], field: &Field) -> Cow<'a, [u8]> {
    let bytes = &line[field.start..field.end];
    if !field.escaped {
        return Cow::Borrowed(bytes);
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        out.push(bytes[i]);
        i += if bytes[i] == b'"' { 2 } else { 1 };
    }
    Cow::Owned(out)
}

/// The fields of one line as text, unquoted, or `None` when a quote is not closed on the
/// line or a closing quote is followed by something other than a comma.
pub fn split(line: &str, fields: &mut Vec<String>) -> Option<()> {
    let mut spans = Vec::new();
    split_fields(line.as_bytes(), &mut spans).ok()?;
    fields.clear();
    // Quotes and commas are ASCII, so every field of a str is a str.
    fields.extend(
        spans
            .iter()
            .map(|f| String::from_utf8_lossy(&raw(line.as_bytes(), f)).into_owned()),
    );
    Some(())
}

/// One field as RFC 4180 writes it: quoted, its quotes doubled, when it holds a comma, a
/// quote or a line end.
pub fn quote(field: &str) -> Cow<'_, str> {
    if field.contains([',', '"', '\n', '\r']) {
        Cow::Owned(format!("\"{}\"", field.replace('"', "\"\"")))
    } else {
        Cow::Borrowed(field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_unquoted() {
        let mut fields = Vec::new();
        split(r#"a,"b,c","d""e",,"#, &mut fields).unwrap();
        assert_eq!(fields, ["a", "b,c", "d\"e", "", ""]);
        assert!(split(r#"a,"open"#, &mut fields).is_none());
        assert!(split(r#""x"y,z"#, &mut fields).is_none());
    }

    #[test]
    fn quoting_round_trips() {
        let mut fields = Vec::new();
        let line = ["plain", "a,b", "say \"hi\""]
            .map(|f| quote(f).into_owned())
            .join(",");
        split(&line, &mut fields).unwrap();
        assert_eq!(fields, ["plain", "a,b", "say \"hi\""]);
    }

    #[test]
    fn long_lines_are_skipped_whole() {
        let text = b"short\r\nthis one is long\nend";
        let mut reader = &text[..];
        let mut line = Vec::new();
        assert_eq!(
            read_line(&mut reader, &mut line, 8).unwrap(),
            LineRead::Line { crlf: true }
        );
        assert_eq!(line, b"short");
        assert_eq!(
            read_line(&mut reader, &mut line, 8).unwrap(),
            LineRead::TooLong
        );
        assert_eq!(
            read_line(&mut reader, &mut line, 8).unwrap(),
            LineRead::Line { crlf: false }
        );
        assert_eq!(line, b"end");
        assert_eq!(read_line(&mut reader, &mut line, 8).unwrap(), LineRead::Eof);
    }

    fn fields(line: &str) -> Vec<(usize, String)> {
        let mut out = Vec::new();
        split_fields(line.as_bytes(), &mut out).unwrap();
        out.iter()
            .map(|f| {
                (
                    f.column,
                    String::from_utf8(raw(line.as_bytes(), f).into_owned()).unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn splits_rfc4180_fields() {
        assert_eq!(
            fields("a,b,,c"),
            [(1, "a"), (3, "b"), (5, ""), (6, "c")].map(|(c, s)| (c, s.to_string()))
        );
        assert_eq!(
            fields("\"x, y\",\"say \"\"hi\"\"\",z"),
            [(1, "x, y"), (8, "say \"hi\""), (21, "z")].map(|(c, s)| (c, s.to_string()))
        );
        assert_eq!(
            fields("a,"),
            [(1, "a"), (3, "")].map(|(c, s)| (c, s.to_string()))
        );
        assert_eq!(fields(""), [(1, "")].map(|(c, s)| (c, s.to_string())));
    }

    #[test]
    fn refuses_broken_quoting() {
        let mut out = Vec::new();
        assert_eq!(split_fields(b"a,\"open", &mut out).unwrap_err().0, 3);
        assert_eq!(split_fields(b"\"a\"b,c", &mut out).unwrap_err().0, 4);
    }

    #[test]
    fn lines_are_bounded() {
        let text = b"short\r\nthis line is too long\nok";
        let mut reader = std::io::BufReader::with_capacity(4, &text[..]);
        let mut buf = Vec::new();
        assert!(matches!(
            read_line(&mut reader, &mut buf, 10).unwrap(),
            LineRead::Line { .. }
        ));
        assert_eq!(buf, b"short");
        assert!(matches!(
            read_line(&mut reader, &mut buf, 10).unwrap(),
            LineRead::TooLong
        ));
    }
}
