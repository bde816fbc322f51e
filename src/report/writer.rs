//! Writes a run's results in one format as they come: jsonl streams each result at once;
//! the other formats need the whole report, rendered at [`ReportWriter::finish`].

use super::output::{Output, OutputError};
use super::{Format, JsonlWriter, RenderContext};
use crate::run::{Report, TargetResult};

pub struct ReportWriter {
    format: Format,
    stream: Option<JsonlWriter<Output>>,
    output: Option<Output>,
    report: Report,
}

impl ReportWriter {
    /// `report` holds the run's command and mode; its results come through [`Self::write`].
    pub fn new(format: Format, output: Output, report: Report) -> ReportWriter {
        let (stream, output) = match format {
            Format::Jsonl => (Some(JsonlWriter::new(output)), None),
            _ => (None, Some(output)),
        };
        ReportWriter {
            format,
            stream,
            output,
            report,
        }
    }

    /// One settled result.
    pub fn write(&mut self, result: TargetResult) -> Result<(), OutputError> {
        match &mut self.stream {
            Some(writer) => writer.write_result(&result)?,
            None => self.report.results.push(result),
        }
        Ok(())
    }

    /// Render what is left and put the output in place.
    pub fn finish(self, ctx: &RenderContext<'_>) -> Result<(), OutputError> {
        let output = match (self.stream, self.output) {
            (Some(writer), _) => writer.into_inner(),
            (None, Some(mut output)) => {
                super::render_with(&self.report, self.format, ctx, &mut output)?;
                output
            }
            (None, None) => unreachable!("a writer has a stream or an output"),
        };
        output.commit()?;
        Ok(())
    }
}
