//! Machine-readable reports: one JSON object (`json`) or one result per line (`jsonl`),
//! both built from the versioned output types in [`v1`], never from internal structs.

pub mod v1;

use super::{Report, TargetResult};
use std::io::{self, Write};

/// Write the whole report as one pretty-printed JSON object and a newline.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &v1::ReportV1::from_report(report))?;
    out.write_all(b"\n")
}

/// Streams a run as JSON Lines: one result object per line, written and flushed as each
/// target finishes, so a run over thousands of domains can be consumed while it goes on.
#[derive(Debug)]
pub struct JsonlWriter<W: Write> {
    out: W,
}

impl<W: Write> JsonlWriter<W> {
    pub fn new(out: W) -> JsonlWriter<W> {
        JsonlWriter { out }
    }

    pub fn write_result(&mut self, result: &TargetResult) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, &v1::JsonlResultV1::from_result(result))?;
        self.out.write_all(b"\n")?;
        self.out.flush()
    }

    pub fn into_inner(self) -> W {
        self.out
    }
}
