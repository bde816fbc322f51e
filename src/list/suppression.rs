//! Suppression lists: addresses never to mail again, with why.
//!
//! Three forms, told apart by the first line that is not blank or a `#` comment:
//! - CSV with a header naming an `address` or `email` column (case-insensitive), as
//!   `mailaudit feedback --suppress-out` writes it (`address,reason,first_date,last_date,source`)
//!   and ESPs export it. `reason` is `hard-bounce`, `complaint` or `unsubscribe` (empty:
//!   `listed`); `first_date` and `last_date`, when present and not empty, are YYYY-MM-DD;
//!   other columns are ignored. Without a `reason` column every entry is `listed`.
//! - Plain text: one address per line, `#` comments; every entry is `listed`.
//!
//! A row that cannot be read (a reason or date that is not one, a missing address, a line
//! over 64 KiB, bytes that are not UTF-8) is an error naming the file and line: a
//! suppression list read in part would let its other entries be mailed.

use super::{AddressKey, ListError, address, address_key};
use crate::csv::{LineRead, read_line, split};
use crate::input::{self, Bounded, InputKind};
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::BufReader;
use std::path::Path;

/// The longest line of a suppression list or recipients file, in bytes.
pub const MAX_LINE: usize = 64 * 1024;

/// Why an address is suppressed, strongest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    Complaint,
    HardBounce,
    Unsubscribe,
    /// On a list that gives no reason.
    Listed,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Complaint => "complaint",
            Reason::HardBounce => "hard-bounce",
            Reason::Unsubscribe => "unsubscribe",
            Reason::Listed => "listed",
        }
    }

    fn parse(text: &str) -> Option<Reason> {
        match text.trim().to_ascii_lowercase().as_str() {
            "complaint" => Some(Reason::Complaint),
            "hard-bounce" => Some(Reason::HardBounce),
            "unsubscribe" => Some(Reason::Unsubscribe),
            "" => Some(Reason::Listed),
            _ => None,
        }
    }
}

/// One suppressed address: the strongest reason any list gives, and where it was first
/// listed with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    pub reason: Reason,
    pub file: u32,
    pub line: u32,
}

/// One suppression file as read.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SuppressionFile {
    pub file: String,
    pub entries: u64,
    pub by_reason: BTreeMap<&'static str, u64>,
}

/// Every suppression list of the run, by address key.
#[derive(Debug, Default)]
pub struct Suppressions {
    entries: FxHashMap<AddressKey, Entry>,
    pub files: Vec<SuppressionFile>,
}

/// The key of a suppressed address: its normal form when it is valid, else its text
/// lower-cased (it can then match only a recipient written the same way, which is invalid
/// and flagged anyway).
fn key_of(text: &str) -> AddressKey {
    match address::parse(text) {
        Ok(a) => address_key(&a.normal()),
        Err(_) => address_key(&text.to_lowercase()),
    }
}

impl Suppressions {
    pub fn get(&self, key: AddressKey) -> Option<Entry> {
        self.entries.get(&key).copied()
    }

    /// The number of distinct suppressed addresses.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn insert(&mut self, text: &str, entry: Entry) {
        let slot = self.entries.entry(key_of(text)).or_insert(entry);
        if entry.reason < slot.reason {
            *slot = entry;
        }
    }

    /// Read one more list.
    pub fn read(&mut self, path: &Path) -> Result<(), ListError> {
        let name = crate::path::display(path);
        let limit = InputKind::SuppressionList.default_limit();
        let file = input::open_limited(path, InputKind::SuppressionList, limit)?;
        let mut reader = BufReader::with_capacity(
            64 * 1024,
            Bounded::new(file, InputKind::SuppressionList, &name, limit),
        );
        let index = self.files.len() as u32;
        self.files.push(SuppressionFile {
            file: name.clone(),
            ..SuppressionFile::default()
        });
        let error = |line: u64, message: String| ListError::Suppression {
            file: name.clone(),
            line,
            message,
        };
        let mut buf = Vec::new();
        let mut fields = Vec::new();
        let mut line_no: u64 = 0;
        // The CSV columns: (address, reason, first_date, last_date); `None` for plain text
        // until the first line decides.
        let mut columns: Option<Columns> = None;
        let mut decided = false;
        loop {
            let read = read_line(&mut reader, &mut buf, MAX_LINE).map_err(|e| ListError::Read {
                file: name.clone(),
                reason: e.to_string(),
            })?;
            line_no += 1;
            let crlf_free = match read {
                LineRead::Eof => break,
                LineRead::TooLong => {
                    return Err(error(line_no, format!("a line over {MAX_LINE} bytes")));
                }
                LineRead::Line { .. } => &buf[..],
            };
            let bytes = if line_no == 1 {
                crlf_free.strip_prefix(b"\xef\xbb\xbf").unwrap_or(crlf_free)
            } else {
                crlf_free
            };
            let text = std::str::from_utf8(bytes)
                .map_err(|_| error(line_no, "the line is not UTF-8 text".into()))?;
            let trimmed = text.trim();
            if trimmed.is_empty() || (columns.is_none() && trimmed.starts_with('#')) {
                continue;
            }
            if !decided {
                decided = true;
                split(text, &mut fields)
                    .ok_or_else(|| error(line_no, "a quote that is not closed".into()))?;
                if let Some(found) = Columns::of(&fields) {
                    columns = Some(found);
                    continue;
                }
                if trimmed.contains(',') || !trimmed.contains('@') {
                    return Err(error(
                        line_no,
                        "not a suppression list: the first line is neither a CSV header with an \
                         address or email column nor an address"
                            .into(),
                    ));
                }
            }
            let entry = |reason| Entry {
                reason,
                file: index,
                line: u32::try_from(line_no).unwrap_or(u32::MAX),
            };
            let reason = match &columns {
                None => {
                    self.insert(trimmed, entry(Reason::Listed));
                    Reason::Listed
                }
                Some(columns) => {
                    split(text, &mut fields)
                        .ok_or_else(|| error(line_no, "a quote that is not closed".into()))?;
                    let (address, reason) = columns.read(&fields).map_err(|m| error(line_no, m))?;
                    self.insert(address, entry(reason));
                    reason
                }
            };
            let file = &mut self.files[index as usize];
            file.entries += 1;
            *file.by_reason.entry(reason.as_str()).or_default() += 1;
        }
        Ok(())
    }
}

/// The columns of a CSV suppression list.
struct Columns {
    address: usize,
    reason: Option<usize>,
    dates: Vec<(usize, &'static str)>,
}

impl Columns {
    fn of(header: &[String]) -> Option<Columns> {
        let find = |name: &str| {
            header
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(name))
        };
        let address = find("address").or_else(|| find("email"))?;
        let dates = [("first_date"), ("last_date")]
            .into_iter()
            .filter_map(|d| find(d).map(|i| (i, d)))
            .collect();
        Some(Columns {
            address,
            reason: find("reason"),
            dates,
        })
    }

    fn read<'a>(&self, fields: &'a [String]) -> Result<(&'a str, Reason), String> {
        let address = fields
            .get(self.address)
            .map(|a| a.trim())
            .filter(|a| !a.is_empty())
            .ok_or("no address in the row")?;
        let reason = match self.reason.and_then(|i| fields.get(i)) {
            None => Reason::Listed,
            Some(text) => Reason::parse(text).ok_or_else(|| {
                format!(
                    "reason {} is not one of hard-bounce, complaint, unsubscribe",
                    crate::text::escape_untrusted(&format!("`{}`", text.trim()))
                )
            })?,
        };
        for (i, name) in &self.dates {
            if let Some(text) = fields.get(*i).map(|t| t.trim()).filter(|t| !t.is_empty())
                && crate::date::Date::parse(text).is_none()
            {
                return Err(format!(
                    "{name} {} is not a date (YYYY-MM-DD)",
                    crate::text::escape_untrusted(&format!("`{text}`"))
                ));
            }
        }
        Ok((address, reason))
    }
}
