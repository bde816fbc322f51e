//! GitHub Actions workflow commands (`--format github`): one `::error`, `::warning` or
//! `::notice` line per finding, which the runner turns into an annotation on the file and
//! line, then one plain summary line, and last the verdict (`::notice` when it is PASS,
//! `::error` when FAIL or INCOMPLETE). Suppressed findings are not annotated.
//!
//! ```text
//! ::error file=drafts/02-follow-up.eml,line=1,title=unsubscribe/one-click-missing::the draft has no List-Unsubscribe-Post header%0Ahelp: Add ...
//! mailaudit: 4 targets, 7 findings: 3 errors, 4 warnings, 0 infos; profile cold-outreach, rendered drafts
//! ::error title=mailaudit verdict::FAIL: 3 errors at or above --fail-on error
//! ```
//!
//! Files and lines are settled as for SARIF ([`super::sarif`]): a DNS finding points at the
//! input line that named its domain, else has no file.
//!
//! Escaping follows the runner's rules: in the message `%` -> `%25`, CR -> `%0D`, LF -> `%0A`;
//! in property values also `:` -> `%3A` and `,` -> `%2C`. Other control characters, bidi
//! overrides and invisible characters from the input are written as `\x1b` or `\u{202e}`
//! (see [`super::escape_untrusted`]), so no input byte can start a command, reach the log as
//! a terminal control sequence, or make the text read differently.

use super::RenderContext;
use super::human::{config_note, mode_line, summary_line, suppressed_line, verdict_line};
use super::sarif::{SarifContext, anchor, is_file_kind};
use crate::finding::Severity;
use crate::run::Report;
use crate::text::push_escaped;
use std::io::{self, Write};

/// The workflow command for a severity.
pub fn command(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    }
}

/// Write one workflow command per finding, in report order, and a summary line.
pub fn write(report: &Report, ctx: &RenderContext<'_>, out: &mut dyn Write) -> io::Result<()> {
    let default_locations = SarifContext::default();
    let locations = ctx.locations.unwrap_or(&default_locations);
    for result in report.sorted_results() {
        for finding in result.sorted_findings() {
            let anchor = anchor(locations, result, finding);
            let mut properties = Vec::with_capacity(3);
            if let Some((file, line)) = &anchor.file {
                properties.push(format!("file={}", escape_property(file)));
                properties.push(format!("line={line}"));
            }
            properties.push(format!("title={}", escape_property(&finding.rule)));
            let mut message = String::new();
            // Name the domain when the annotation's file (a campaign file, a zone file), or
            // its absence, does not say which one this is about, and the message does not.
            for (name, needed) in [
                (&result.target, !is_file_kind(result.kind)),
                (&finding.target, finding.target != result.target),
            ] {
                if needed && !finding.message.contains(name.as_str()) {
                    message.push_str(name);
                    message.push_str(": ");
                }
            }
            message.push_str(&finding.message);
            if !finding.help.is_empty() {
                message.push_str("\nhelp: ");
                message.push_str(&finding.help);
            }
            writeln!(
                out,
                "::{} {}::{}",
                command(finding.severity),
                properties.join(","),
                escape_data(&message)
            )?;
        }
    }
    let summary = report.summary();
    writeln!(
        out,
        "mailaudit: {}; {}{}",
        summary_line(&summary),
        mode_line(&report.mode),
        config_note(&report.config)
    )?;
    if let Some(line) = suppressed_line(&summary) {
        writeln!(out, "mailaudit: {line}")?;
    }
    // The verdict last, as an annotation of its own: a notice when the gate passes.
    let gate = report.gate();
    let severity = if gate.verdict().passes() {
        Severity::Info
    } else {
        Severity::Error
    };
    writeln!(
        out,
        "::{} title=mailaudit verdict::{}",
        command(severity),
        escape_data(&verdict_line(&gate))
    )
}

/// A command's message: `%`, CR and LF percent-encoded; other unsafe characters escaped.
pub fn escape_data(text: &str) -> String {
    escape(text, false)
}

/// A command property value: as [`escape_data`], and `:` and `,` percent-encoded too.
pub fn escape_property(text: &str) -> String {
    escape(text, true)
}

fn escape(text: &str, property: bool) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            ':' if property => out.push_str("%3A"),
            ',' if property => out.push_str("%2C"),
            c => push_escaped(&mut out, c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_escapes_percent_and_line_breaks_only() {
        assert_eq!(
            escape_data("100% sure:\r\nnext, line"),
            "100%25 sure:%0D%0Anext, line"
        );
    }

    #[test]
    fn properties_also_escape_colon_and_comma() {
        assert_eq!(escape_property("a:b,c%d"), "a%3Ab%2Cc%25d");
    }

    #[test]
    fn control_and_bidi_characters_never_pass() {
        let escaped = escape_data("x\u{1b}[2J\u{202e}y\u{7f}\u{0}");
        assert_eq!(escaped, "x\\x1b[2J\\u{202e}y\\x7f\\x00");
        assert!(!escaped.chars().any(|c| c.is_control()));
    }
}
