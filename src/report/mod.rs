//! Renderers of a run's [`Report`]: human, JSON, JSONL, SARIF and github. Renderers only
//! render: verdicts and severities are settled before a result reaches them.

pub mod cleanup;
pub mod csv;
pub mod github;
pub mod human;
pub mod json;
pub mod output;
pub mod rules;
pub mod sarif;
pub mod writer;

pub use json::JsonlWriter;
pub use output::{Output, OutputError};
pub use sarif::SarifContext;
pub use writer::ReportWriter;

use crate::rules::Rules;
use crate::run::Report;
use std::io::{self, Write};

/// The whole-report output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    Jsonl,
    /// SARIF 2.1.0 ([`sarif`]).
    Sarif,
    /// GitHub Actions workflow commands ([`github`]).
    Github,
    /// One row per DMARC aggregate record ([`csv`]); the other results have no rows.
    Csv,
}

/// What some renderers need beyond the report.
#[derive(Clone, Copy, Debug, Default)]
pub struct RenderContext<'a> {
    /// The run's effective rules: SARIF describes each rule that fired from its data. When
    /// absent, the built-in rules are used.
    pub rules: Option<&'a Rules>,
    /// Where the inputs named each target (SARIF and github locations for DNS findings).
    pub locations: Option<&'a SarifContext>,
}

/// Render a finished report. (For jsonl, [`JsonlWriter`] also streams results one by one.)
pub fn render(report: &Report, format: Format, out: &mut dyn Write) -> io::Result<()> {
    render_with(report, format, &RenderContext::default(), out)
}

/// [`render`] with the run's rules and input locations.
pub fn render_with(
    report: &Report,
    format: Format,
    ctx: &RenderContext<'_>,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Human => human::write(report, out),
        Format::Json => json::write(report, out),
        Format::Sarif => sarif::write(report, ctx, out),
        Format::Github => github::write(report, ctx, out),
        Format::Csv => {
            let mut writer = csv::CsvWriter::with_rows(out, csv::Rows::of_command(&report.command));
            for result in report.sorted_results() {
                writer.write_result(result)?;
            }
            writer.finish().map(drop)
        }
        Format::Jsonl => {
            let mut writer = JsonlWriter::with_fail_on(out, report.fail_on);
            for result in report.sorted_results() {
                writer.write_result(result)?;
            }
            writer.finish().map(drop)
        }
    }
}
