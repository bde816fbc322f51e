//! `--format csv`: one RFC 4180 row per DMARC aggregate record, with parsedmarc's aggregate
//! CSV column names where it has one (`published_policy.*` flattened, the DKIM and SPF
//! results as comma-joined lists as parsedmarc writes them). Results without rows (domains,
//! findings) are not rows: the other formats carry them. Streams as results come.
//!
//! For `mailaudit feedback` the rows are the recipients of the messages read, in the
//! columns of [`crate::feedback::facts::ROW_COLUMNS`].

use crate::reports::facts::{ROW_COLUMNS, RecordRow};
use crate::run::{Facts, TargetResult};
use crate::text::escape_untrusted;
use serde_json::Value;
use std::io::{self, Write};

/// The policy's columns, in the order of `<policy_published>`.
const POLICY: &[&str] = &[
    "domain",
    "adkim",
    "aspf",
    "p",
    "sp",
    "np",
    "pct",
    "fo",
    "testing",
    "discovery_method",
];

/// A list column of ROW_COLUMNS and the columns it becomes: (name, field of its items).
const LISTS: &[(&str, &[(&str, &str)])] = &[
    (
        "dkim_results",
        &[
            ("dkim_domains", "domain"),
            ("dkim_selectors", "selector"),
            ("dkim_results", "result"),
        ],
    ),
    (
        "spf_results",
        &[
            ("spf_domains", "domain"),
            ("spf_scopes", "scope"),
            ("spf_results", "result"),
        ],
    ),
    (
        "policy_override_reasons",
        &[
            ("policy_override_reasons", "type"),
            ("policy_override_comments", "comment"),
        ],
    ),
];

/// The header: ROW_COLUMNS with the policy and the lists spread out.
pub fn header() -> Vec<String> {
    let mut out = Vec::new();
    for column in ROW_COLUMNS {
        if *column == "published_policy" {
            out.extend(POLICY.iter().map(|p| format!("published_policy.{p}")));
        } else if let Some((_, spread)) = LISTS.iter().find(|(name, _)| name == column) {
            out.extend(spread.iter().map(|(name, _)| (*name).to_string()));
        } else {
            out.push((*column).to_string());
        }
    }
    out
}

fn scalar(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(scalar).collect::<Vec<_>>().join("; "),
        other => other.to_string(),
    }
}

/// The row's fields in [`header`]'s order.
pub fn fields(row: &RecordRow) -> Vec<String> {
    let value = serde_json::to_value(row).unwrap_or(Value::Null);
    let mut out = Vec::new();
    for column in ROW_COLUMNS {
        let field = &value[*column];
        if *column == "published_policy" {
            out.extend(POLICY.iter().map(|p| scalar(&field[*p])));
        } else if let Some((_, spread)) = LISTS.iter().find(|(name, _)| name == column) {
            let items = field.as_array().map(Vec::as_slice).unwrap_or_default();
            for (_, key) in *spread {
                let joined: Vec<String> = items.iter().map(|item| scalar(&item[*key])).collect();
                out.push(joined.join(","));
            }
        } else {
            out.push(scalar(field));
        }
    }
    out
}

/// One field, quoted when RFC 4180 needs it; control and bidi characters escaped as
/// everywhere else untrusted text is shown.
fn quote(field: &str) -> String {
    crate::csv::quote(&escape_untrusted(field)).into_owned()
}

/// Which rows a run writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rows {
    /// DMARC aggregate records (`mailaudit reports`).
    Records,
    /// Recipients of feedback messages (`mailaudit feedback`).
    Recipients,
}

impl Rows {
    /// The rows of the command's results.
    pub fn of_command(command: &str) -> Rows {
        if command == "feedback" {
            Rows::Recipients
        } else {
            Rows::Records
        }
    }
}

#[derive(Debug)]
pub struct CsvWriter<W: Write> {
    out: W,
    header_written: bool,
    rows: Rows,
}

impl<W: Write> CsvWriter<W> {
    pub fn new(out: W) -> CsvWriter<W> {
        CsvWriter::with_rows(out, Rows::Records)
    }

    pub fn with_rows(out: W, rows: Rows) -> CsvWriter<W> {
        CsvWriter {
            out,
            header_written: false,
            rows,
        }
    }

    fn line(&mut self, fields: &[String]) -> io::Result<()> {
        let line: Vec<String> = fields.iter().map(|f| quote(f)).collect();
        self.out.write_all(line.join(",").as_bytes())?;
        self.out.write_all(b"\r\n")
    }

    fn write_header(&mut self) -> io::Result<()> {
        if !self.header_written {
            self.header_written = true;
            match self.rows {
                Rows::Records => self.line(&header())?,
                Rows::Recipients => {
                    let names: Vec<String> = crate::feedback::facts::ROW_COLUMNS
                        .iter()
                        .map(|c| (*c).to_string())
                        .collect();
                    self.line(&names)?;
                }
            }
        }
        Ok(())
    }

    /// The rows of one result (none unless it is an aggregate report).
    pub fn write_result(&mut self, result: &TargetResult) -> io::Result<()> {
        self.write_header()?;
        if let Facts::Report(facts) = &result.facts {
            for row in &facts.records {
                self.line(&fields(row))?;
            }
            self.out.flush()?;
        }
        if let Facts::Feedback(facts) = &result.facts {
            for row in &facts.recipients {
                self.line(&row.fields())?;
            }
            self.out.flush()?;
        }
        Ok(())
    }

    /// The header even when no row came, and the output back.
    pub fn finish(mut self) -> io::Result<W> {
        self.write_header()?;
        self.out.flush()?;
        Ok(self.out)
    }
}
