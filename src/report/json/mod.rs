//! Machine-readable reports: one JSON object (`json`) or one result per line (`jsonl`),
//! both built from the versioned output types in [`v1`], never from internal structs.

pub mod v1;

use crate::finding::Severity;
use crate::rules::Rules;
use crate::run::{Gate, Report, Summary, TargetResult};
use crate::text::{is_printable_ascii, is_unsafe_for_terminal};
use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter, PrettyFormatter};
use std::io::{self, Write};

/// Write the whole report as one pretty-printed JSON object and a newline.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let formatter = TerminalSafe(PrettyFormatter::with_indent(b"  "));
    serialize(&v1::ReportV1::from_report(report), &mut *out, formatter)?;
    out.write_all(b"\n")
}

/// Write any serializable value as pretty-printed JSON and a newline, with the same escaping
/// of bidi and invisible characters as the `json` format (used by the SARIF renderer).
pub(crate) fn write_pretty(value: &impl Serialize, out: &mut dyn Write) -> io::Result<()> {
    let formatter = TerminalSafe(PrettyFormatter::with_indent(b"  "));
    serialize(value, &mut *out, formatter)?;
    out.write_all(b"\n")
}

/// Write the rule set, or only rule `only`, (`mailaudit rules [ID] --format json`) as one
/// JSON object and a newline.
pub fn write_rules(rules: &Rules, only: Option<&str>, out: &mut dyn Write) -> io::Result<()> {
    let formatter = TerminalSafe(PrettyFormatter::with_indent(b"  "));
    serialize(&v1::RulesV1::from_rules(rules, only), &mut *out, formatter)?;
    out.write_all(b"\n")
}

/// Streams a run as JSON Lines: one result object per line, written and flushed as each
/// target finishes, so a run over thousands of domains can be consumed while it goes on;
/// [`JsonlWriter::finish`] ends it with the summary line and the verdict.
#[derive(Debug)]
pub struct JsonlWriter<W: Write> {
    out: W,
    summary: Summary,
    gate: Gate,
    /// A result's lines are serialized here first and written in one piece: serde_json
    /// writes many small fragments, each a call through the output's layers otherwise.
    scratch: Vec<u8>,
}

impl<W: Write> JsonlWriter<W> {
    /// A writer whose verdict is taken at the default `--fail-on error`.
    pub fn new(out: W) -> JsonlWriter<W> {
        JsonlWriter::with_fail_on(out, Some(Severity::Error))
    }

    /// A writer whose verdict is taken at `fail_on` (`None`: never fail).
    pub fn with_fail_on(out: W, fail_on: Option<Severity>) -> JsonlWriter<W> {
        JsonlWriter {
            out,
            summary: Summary::default(),
            gate: Gate::new(fail_on),
            scratch: Vec::new(),
        }
    }

    /// One result's line; a report's rows come first, one line each
    /// (`{"kind": "record", ...}`), so a dashboard reads them without unpacking the report.
    pub fn write_result(&mut self, result: &TargetResult) -> io::Result<()> {
        self.summary.add(result);
        self.gate.add(result);
        match &result.facts {
            crate::run::Facts::Report(report) => {
                self.write_rows(&report.records, v1::RecordLineV1::new)?;
            }
            crate::run::Facts::Feedback(feedback) => {
                self.write_rows(&feedback.recipients, v1::RecipientLineV1::new)?;
            }
            _ => {}
        }
        self.write_line(&v1::JsonlResultV1::from_result(result))
    }

    /// One line per row, serialized a few hundred at a time into the scratch buffer and
    /// written in one piece.
    fn write_rows<'r, T, L: Serialize>(
        &mut self,
        rows: &'r [T],
        line: impl Fn(&'r T) -> L,
    ) -> io::Result<()> {
        for chunk in rows.chunks(256) {
            self.scratch.clear();
            for row in chunk {
                serialize(
                    &line(row),
                    &mut self.scratch,
                    TerminalSafe(CompactFormatter),
                )?;
                self.scratch.push(b'\n');
            }
            self.out.write_all(&self.scratch)?;
        }
        Ok(())
    }

    /// Write the summary line (counts and verdict) and hand back the output.
    pub fn finish(mut self) -> io::Result<W> {
        let line = v1::JsonlSummaryV1::new(&self.summary, self.gate.verdict());
        self.write_line(&line)?;
        Ok(self.out)
    }

    /// The output as it is, without the summary line.
    pub fn into_inner(self) -> W {
        self.out
    }

    fn write_line(&mut self, line: &impl Serialize) -> io::Result<()> {
        self.scratch.clear();
        serialize(line, &mut self.scratch, TerminalSafe(CompactFormatter))?;
        self.scratch.push(b'\n');
        self.out.write_all(&self.scratch)?;
        self.out.flush()
    }
}

fn serialize<W: Write, F: Formatter>(
    value: &impl Serialize,
    out: W,
    formatter: F,
) -> io::Result<()> {
    let mut serializer = serde_json::Serializer::with_formatter(out, formatter);
    value.serialize(&mut serializer).map_err(io::Error::from)
}

/// serde_json already escapes control characters; this also writes bidi overrides and
/// invisible formatting characters as `\uXXXX`, so JSON shown in a terminal cannot be made
/// to read differently from what it holds. Parsers see the same strings.
struct TerminalSafe<F>(F);

impl<F: Formatter> Formatter for TerminalSafe<F> {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        if is_printable_ascii(fragment) {
            return writer.write_all(fragment.as_bytes());
        }
        let mut rest = fragment;
        while let Some((at, c)) = rest
            .char_indices()
            .find(|(_, c)| is_unsafe_for_terminal(*c))
        {
            writer.write_all(&rest.as_bytes()[..at])?;
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                write!(writer, "\\u{unit:04x}")?;
            }
            rest = &rest[at + c.len_utf8()..];
        }
        writer.write_all(rest.as_bytes())
    }

    // The rest only delegates, so that pretty printing keeps its layout.
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn end_object_key<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_key(w)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidi_is_escaped_but_the_value_is_unchanged() {
        let text = "a\u{202e}b\u{e0041}c\u{1b}";
        let mut out = Vec::new();
        serialize(&text, &mut out, TerminalSafe(CompactFormatter)).unwrap();
        let json = String::from_utf8(out).unwrap();
        assert_eq!(json, r#""a\u202eb\udb40\udc41c\u001b""#);
        assert_eq!(serde_json::from_str::<String>(&json).unwrap(), text);
    }
}
