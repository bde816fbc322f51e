//! Lines and fields of the list family's CSV files (recipients, suppressions): RFC 4180
//! fields, one record per line (a quoted field must end on its line), LF or CRLF line ends,
//! an optional UTF-8 byte order mark on the first line. Lines are read within a length
//! limit: a longer one is skipped to its end without being held.

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
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            break;
        }
        any = true;
        let (chunk, done) = match memchr(buf) {
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

fn memchr(buf: &[u8]) -> Option<usize> {
    buf.iter().position(|b| *b == b'\n')
}

/// The fields of one line, unquoted, or `None` when a quote is not closed on the line or
/// a closing quote is followed by something other than a comma.
pub fn split(line: &str, fields: &mut Vec<String>) -> Option<()> {
    fields.clear();
    let mut chars = line.chars().peekable();
    loop {
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    None => return None,
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                }
            }
            match chars.next() {
                None => {
                    fields.push(field);
                    return Some(());
                }
                Some(',') => fields.push(field),
                Some(_) => return None,
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        fields.push(field);
                        return Some(());
                    }
                    Some(',') => break,
                    Some(c) => field.push(c),
                }
            }
            fields.push(field);
        }
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
}
