//! Reading the stats files: CSV with a header row, or a JSON array of objects with the same
//! names. Both are streamed: a file is never held in memory, each row goes to a
//! [`RowSink`] as soon as it is read, and a line (CSV) or a row (JSON) longer than
//! [`ReadOptions::max_record_bytes`] stops the read instead of growing a buffer.
//!
//! Validation is strict. Every problem is an [`StatsError::Input`] naming the file, the
//! 1-based line and the 1-based byte column: nothing is dropped, guessed or repaired.

use crate::date::Date;
use crate::input::{Bounded, InputKind};
use crate::text::escape_untrusted;
use std::fmt::{self, Write as _};
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

/// The six daily counts of a row.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub sent: u64,
    pub delivered: u64,
    pub hard_bounces: u64,
    pub soft_bounces: u64,
    pub complaints: u64,
    pub unsubscribes: u64,
}

impl Counts {
    /// Add another row's counts (saturating: sums never wrap).
    pub fn add(&mut self, other: &Counts) {
        self.sent = self.sent.saturating_add(other.sent);
        self.delivered = self.delivered.saturating_add(other.delivered);
        self.hard_bounces = self.hard_bounces.saturating_add(other.hard_bounces);
        self.soft_bounces = self.soft_bounces.saturating_add(other.soft_bounces);
        self.complaints = self.complaints.saturating_add(other.complaints);
        self.unsubscribes = self.unsubscribes.saturating_add(other.unsubscribes);
    }
}

/// Where a row (or one of its fields) is: an index into the list of files, a 1-based line
/// and a 1-based byte column.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    pub file: u32,
    pub line: u32,
    pub column: u32,
}

/// The columns (CSV) or keys (JSON) of a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Column {
    Date,
    Domain,
    Sent,
    Delivered,
    HardBounces,
    SoftBounces,
    Complaints,
    Unsubscribes,
    Ip,
    Provider,
}

impl Column {
    /// Every column, required ones first.
    pub const ALL: [Column; 10] = [
        Column::Date,
        Column::Domain,
        Column::Sent,
        Column::Delivered,
        Column::HardBounces,
        Column::SoftBounces,
        Column::Complaints,
        Column::Unsubscribes,
        Column::Ip,
        Column::Provider,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Column::Date => "date",
            Column::Domain => "domain",
            Column::Sent => "sent",
            Column::Delivered => "delivered",
            Column::HardBounces => "hard_bounces",
            Column::SoftBounces => "soft_bounces",
            Column::Complaints => "complaints",
            Column::Unsubscribes => "unsubscribes",
            Column::Ip => "ip",
            Column::Provider => "provider",
        }
    }

    pub fn is_required(self) -> bool {
        !matches!(self, Column::Ip | Column::Provider)
    }

    /// The column a header name or JSON key stands for: exact names, compared without
    /// regard to ASCII case and surrounding spaces.
    pub fn from_name(name: &str) -> Option<Column> {
        let name = name.trim();
        Column::ALL
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(name))
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What kind of input problem stopped the read (the message says more).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// Nothing but whitespace: no header, no JSON.
    Empty,
    /// A header (or `[]`) and no data rows.
    NoRows,
    /// The header is separated by something other than commas.
    Delimiter,
    MissingColumn,
    DuplicateColumn,
    /// A data row with more or fewer fields than the header.
    FieldCount,
    /// A quoted CSV field that is not closed on its line, or text after a closing quote.
    Quoting,
    /// Bytes that are not UTF-8 in a field that is read.
    Encoding,
    /// A date that is not a real `YYYY-MM-DD` day.
    Date,
    Negative,
    NotANumber,
    /// A required field that is empty, null or absent.
    Missing,
    /// A count larger than 2^64 - 1.
    TooLarge,
    DeliveredOverSent,
    /// Bounces above `sent`, or complaints or unsubscribes above `delivered`: the base of
    /// their rate (a rate above 100 % is a broken export, not a sender to judge).
    CountOverBase,
    /// A second row with the same (date, domain, ip, provider).
    DuplicateKey,
    /// JSON that is not an array of objects, or a field of the wrong JSON type.
    Shape,
    /// JSON that does not parse.
    Syntax,
    /// A CSV line, or a JSON row, longer than the limit.
    TooLong,
    Domain,
    Ip,
    Provider,
}

#[derive(Debug, thiserror::Error)]
pub enum StatsError {
    /// A bad file: where, and what is wrong.
    #[error("{file}:{line}:{column}: {message}")]
    Input {
        file: String,
        line: u64,
        column: u64,
        kind: ErrorKind,
        message: String,
    },
    #[error("cannot read {file}: {source}")]
    Read {
        file: String,
        #[source]
        source: io::Error,
    },
    /// An option that does not fit the data (`--warmup-start` for a domain without rows...).
    #[error("{0}")]
    Usage(String),
    /// Rule data or a warm-up schedule that cannot be used.
    #[error("{0}")]
    Data(String),
}

impl StatsError {
    pub fn kind(&self) -> Option<ErrorKind> {
        match self {
            StatsError::Input { kind, .. } => Some(*kind),
            _ => None,
        }
    }
}

/// Limits of a read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadOptions {
    /// The longest CSV line, or JSON row (from the end of one row to the end of the next),
    /// in bytes. A longer one is an input error, so a file of one 1 GB line costs at most
    /// this much memory.
    pub max_record_bytes: usize,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            max_record_bytes: crate::input::MAX_STATS_RECORD,
        }
    }
}

/// One row as read, borrowing its text from the reader's buffers.
#[derive(Clone, Copy, Debug)]
pub struct Row<'a> {
    pub date: Date,
    pub domain: &'a str,
    /// `None` when the file has no such column or the field is empty (JSON: absent or null).
    pub ip: Option<&'a str>,
    pub provider: Option<&'a str>,
    pub counts: Counts,
    /// Where the row starts (CSV: column 1 of its line; JSON: its `{`).
    pub pos: Pos,
}

/// A problem the receiver of a row found: with a field, or with the row as a whole.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RowProblem {
    Field {
        column: Column,
        kind: ErrorKind,
        message: String,
    },
    Row {
        kind: ErrorKind,
        message: String,
    },
}

/// Receives the rows of the files as they are read.
pub trait RowSink {
    fn push(&mut self, row: &Row<'_>) -> Result<(), RowProblem>;

    /// Whether each row's counts are checked against each other as it is read (delivered
    /// at most sent, bounces at most sent...). A sink that sums rows of several files
    /// (`--merge`) checks the sums instead: a bounce file's row has sent = 0.
    fn checks_counts(&self) -> bool {
        true
    }
}

/// Read one stats file into `sink`; `file` is its index in the run's list of files and
/// `name` how errors name it. Returns the number of rows read.
pub fn read_file(
    path: &Path,
    name: &str,
    file: u32,
    options: &ReadOptions,
    sink: &mut dyn RowSink,
) -> Result<u64, StatsError> {
    let limit = InputKind::StatsFile.default_limit();
    let handle = crate::input::open_limited(path, InputKind::StatsFile, limit).map_err(|e| {
        StatsError::Read {
            file: name.to_string(),
            source: e.into_io(),
        }
    })?;
    // Streamed, and bounded in total as well as per record: a file that grows without end
    // stops at the limit.
    let bounded = Bounded::new(handle, InputKind::StatsFile, name, limit);
    read_from(bounded, name, file, options, sink)
}

/// [`read_file`] from any reader: CSV, or JSON when the first byte that is not whitespace
/// (after a byte order mark) is `[` or `{`.
pub fn read_from<R: Read>(
    reader: R,
    name: &str,
    file: u32,
    options: &ReadOptions,
    sink: &mut dyn RowSink,
) -> Result<u64, StatsError> {
    let mut reader = BufReader::with_capacity(64 * 1024, reader);
    let looks_like_json = {
        let head = reader.fill_buf().map_err(|source| StatsError::Read {
            file: name.to_string(),
            source,
        })?;
        let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
        matches!(
            head.iter().find(|b| !b.is_ascii_whitespace()),
            Some(b'[' | b'{')
        )
    };
    let ctx = FileCtx {
        name,
        file,
        options: *options,
    };
    if looks_like_json {
        super::json::read(reader, &ctx, sink)
    } else {
        super::csv::read(reader, &ctx, sink)
    }
}

/// What the readers share about the file being read.
pub(crate) struct FileCtx<'a> {
    pub name: &'a str,
    pub file: u32,
    pub options: ReadOptions,
}

impl FileCtx<'_> {
    pub fn error(
        &self,
        line: u64,
        column: u64,
        kind: ErrorKind,
        message: impl Into<String>,
    ) -> StatsError {
        StatsError::Input {
            file: self.name.to_string(),
            line: line.max(1),
            column: column.max(1),
            kind,
            message: message.into(),
        }
    }

    pub fn read_error(&self, source: io::Error) -> StatsError {
        StatsError::Read {
            file: self.name.to_string(),
            source,
        }
    }

    pub fn pos(&self, line: u64, column: u64) -> Pos {
        Pos {
            file: self.file,
            line: u32::try_from(line).unwrap_or(u32::MAX),
            column: u32::try_from(column).unwrap_or(u32::MAX),
        }
    }
}

/// A value from the input, quoted and made safe for a terminal: at most 40 characters,
/// control and invisible characters escaped.
pub fn quoted(value: &[u8]) -> String {
    let text = String::from_utf8_lossy(value);
    let mut short: String = text.chars().take(40).collect();
    if text.chars().nth(40).is_some() {
        short.push('…');
    }
    format!("\"{}\"", escape_untrusted(&short))
}

/// Why a count field was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CountProblem {
    Missing,
    Negative,
    NotANumber,
    TooLarge,
}

/// A daily count: ASCII digits, optionally surrounded by spaces. No sign, no decimal point,
/// no thousands separator.
pub(crate) fn parse_count(raw: &[u8]) -> Result<u64, CountProblem> {
    let text = raw.trim_ascii();
    if text.is_empty() {
        return Err(CountProblem::Missing);
    }
    if let Some(rest) = text.strip_prefix(b"-") {
        return Err(if !rest.is_empty() && rest.iter().all(u8::is_ascii_digit) {
            CountProblem::Negative
        } else {
            CountProblem::NotANumber
        });
    }
    let mut value: u64 = 0;
    for &b in text {
        if !b.is_ascii_digit() {
            return Err(CountProblem::NotANumber);
        }
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(b - b'0')))
            .ok_or(CountProblem::TooLarge)?;
    }
    Ok(value)
}

/// The error for a refused count of `column`, as (kind, message).
pub(crate) fn count_problem(
    column: Column,
    raw: &[u8],
    problem: CountProblem,
) -> (ErrorKind, String) {
    match problem {
        CountProblem::Missing => (ErrorKind::Missing, format!("{column} is empty")),
        CountProblem::Negative => (
            ErrorKind::Negative,
            format!(
                "{column} is negative ({}): counts are 0 or more",
                quoted(raw)
            ),
        ),
        CountProblem::NotANumber => (
            ErrorKind::NotANumber,
            format!(
                "{column} is not a whole number: {} (write digits only, without signs, decimals or separators)",
                quoted(raw)
            ),
        ),
        CountProblem::TooLarge => (
            ErrorKind::TooLarge,
            format!("{column} is too large: {}", quoted(raw)),
        ),
    }
}

/// Cross-field checks of a complete row, as (column to point at, kind, message).
pub(crate) fn check_counts(counts: &Counts) -> Result<(), (Column, ErrorKind, String)> {
    if counts.delivered > counts.sent {
        return Err((
            Column::Delivered,
            ErrorKind::DeliveredOverSent,
            format!(
                "delivered ({}) is more than sent ({})",
                counts.delivered, counts.sent
            ),
        ));
    }
    // Each count against the base of its rate (analysis.rs): bounces of what was sent,
    // complaints and unsubscribes of what was delivered.
    for (column, count, base, base_name) in [
        (
            Column::HardBounces,
            counts.hard_bounces,
            counts.sent,
            "sent",
        ),
        (
            Column::SoftBounces,
            counts.soft_bounces,
            counts.sent,
            "sent",
        ),
        (
            Column::Complaints,
            counts.complaints,
            counts.delivered,
            "delivered",
        ),
        (
            Column::Unsubscribes,
            counts.unsubscribes,
            counts.delivered,
            "delivered",
        ),
    ] {
        if count > base {
            return Err((
                column,
                ErrorKind::CountOverBase,
                format!("{column} ({count}) is more than {base_name} ({base})"),
            ));
        }
    }
    Ok(())
}

/// The date of a row, or the error message for it.
pub(crate) fn parse_date(raw: &[u8]) -> Result<Date, (ErrorKind, String)> {
    let text = std::str::from_utf8(raw.trim_ascii()).unwrap_or("");
    if text.is_empty() && raw.trim_ascii().is_empty() {
        return Err((ErrorKind::Missing, "date is empty".to_string()));
    }
    Date::parse(text).ok_or_else(|| {
        (
            ErrorKind::Date,
            format!(
                "date {} is not a calendar day written YYYY-MM-DD",
                quoted(raw)
            ),
        )
    })
}

/// "a, b and c".
pub(crate) fn join_names(names: &[&str]) -> String {
    let mut out = String::new();
    for (i, name) in names.iter().enumerate() {
        if i > 0 {
            out.push_str(if i + 1 == names.len() { " and " } else { ", " });
        }
        let _ = write!(out, "{name}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_plain_digits() {
        assert_eq!(parse_count(b"0"), Ok(0));
        assert_eq!(parse_count(b" 1200 "), Ok(1200));
        assert_eq!(parse_count(b"18446744073709551615"), Ok(u64::MAX));
        assert_eq!(
            parse_count(b"18446744073709551616"),
            Err(CountProblem::TooLarge)
        );
        assert_eq!(parse_count(b""), Err(CountProblem::Missing));
        assert_eq!(parse_count(b"  "), Err(CountProblem::Missing));
        assert_eq!(parse_count(b"-5"), Err(CountProblem::Negative));
        for bad in [
            &b"-"[..],
            b"+5",
            b"1.0",
            b"1,200",
            b"1e3",
            b"ten",
            b"0x10",
            b"--1",
        ] {
            assert_eq!(parse_count(bad), Err(CountProblem::NotANumber), "{bad:?}");
        }
    }

    #[test]
    fn quoted_values_are_short_and_safe() {
        assert_eq!(quoted(b"abc"), "\"abc\"");
        assert_eq!(quoted(b"a\x1b[31m"), "\"a\\x1b[31m\"");
        let long = quoted(&[b'x'; 100]);
        assert!(long.ends_with("…\""), "{long}");
        assert!(long.len() < 50);
        assert_eq!(quoted(b"\xff"), "\"\u{fffd}\"");
    }

    #[test]
    fn names_join_in_prose() {
        assert_eq!(join_names(&["a"]), "a");
        assert_eq!(join_names(&["a", "b"]), "a and b");
        assert_eq!(join_names(&["a", "b", "c"]), "a, b and c");
    }
}
