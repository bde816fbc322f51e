//! Writes a run's results in one format as they come: jsonl streams each result at once;
//! the other formats need the whole report, rendered at [`ReportWriter::finish`].

use super::csv::CsvWriter;
use super::output::{Output, OutputError};
use super::{Format, JsonlWriter, RenderContext};
use crate::run::{Report, TargetResult};

pub enum ReportWriter {
    /// jsonl: each result is written as it comes.
    Stream(JsonlWriter<Output>),
    /// csv: each report's rows are written as they come.
    Rows(CsvWriter<Output>),
    /// Every other format: the results are kept and rendered at the end.
    Whole {
        format: Format,
        output: Output,
        report: Report,
    },
}

impl ReportWriter {
    /// `report` holds the run's command and mode; its results come through [`Self::write`].
    pub fn new(format: Format, output: Output, report: Report) -> ReportWriter {
        match format {
            Format::Jsonl => {
                ReportWriter::Stream(JsonlWriter::with_fail_on(output, report.fail_on))
            }
            Format::Csv => ReportWriter::Rows(CsvWriter::with_rows(
                output,
                super::csv::Rows::of_command(&report.command),
            )),
            _ => ReportWriter::Whole {
                format,
                output,
                report,
            },
        }
    }

    /// One settled result.
    pub fn write(&mut self, result: TargetResult) -> Result<(), OutputError> {
        match self {
            ReportWriter::Stream(writer) => writer.write_result(&result)?,
            ReportWriter::Rows(writer) => writer.write_result(&result)?,
            ReportWriter::Whole { report, .. } => report.results.push(result),
        }
        Ok(())
    }

    /// Render what is left and put the output in place.
    pub fn finish(self, ctx: &RenderContext<'_>) -> Result<(), OutputError> {
        let output = match self {
            ReportWriter::Stream(writer) => writer.finish()?,
            ReportWriter::Rows(writer) => writer.finish()?,
            ReportWriter::Whole {
                format,
                mut output,
                report,
            } => {
                super::render_with(&report, format, ctx, &mut output)?;
                output
            }
        };
        output.commit()?;
        Ok(())
    }
}
