//! What `mailaudit feedback` writes for the next steps: the daily counts `mailaudit sender`
//! reads (`--stats-out`), and a suppression list (`--suppress-out`) that `mailaudit list
//! --suppressions` reads, merged with the list already there.

use super::facts::{BounceClass, FeedbackFacts, FeedbackKind};
use crate::date::Date;
use std::collections::BTreeMap;

/// The header of `--stats-out`: the columns of a `mailaudit sender` stats file.
pub const STATS_HEADER: &str =
    "date,domain,sent,delivered,hard_bounces,soft_bounces,complaints,unsubscribes";

/// The header of `--suppress-out`.
pub const SUPPRESSION_HEADER: &str = "address,reason,first_date,last_date,source";

/// Per (UTC day, sending domain): hard bounces, soft bounces, complaints.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatsCounter {
    rows: BTreeMap<(Date, String), [u64; 3]>,
    /// Bounces and complaints left out: the bounced message's From domain is unknown.
    pub without_domain: u64,
    /// Left out: the feedback message has no date.
    pub without_date: u64,
}

fn day_of(rfc3339: Option<&str>) -> Option<Date> {
    rfc3339.and_then(|d| d.get(..10)).and_then(Date::parse)
}

impl StatsCounter {
    /// Count one message's rows: a bounce hard or soft, a complaint (delays, auto-replies
    /// and the rest are not counted).
    pub fn add(&mut self, facts: &FeedbackFacts) {
        for row in &facts.recipients {
            let column = match (row.kind, row.bounce) {
                (FeedbackKind::Bounce, Some(BounceClass::Hard)) => 0,
                (FeedbackKind::Bounce, _) => 1,
                (FeedbackKind::Complaint, _) => 2,
                _ => continue,
            };
            let Some(day) = day_of(row.date.as_deref()) else {
                self.without_date += 1;
                continue;
            };
            let Some(domain) = row.sending_domain.as_deref().filter(|d| is_domain(d)) else {
                self.without_domain += 1;
                continue;
            };
            let counts = self.rows.entry((day, domain.to_string())).or_default();
            counts[column] = counts[column].saturating_add(1);
        }
    }

    /// The file: the header and one row per (date, domain), sorted; `sent` and `delivered`
    /// are 0 (feedback does not know them), as are `unsubscribes`.
    pub fn csv(&self) -> String {
        let mut out = String::from(STATS_HEADER);
        out.push('\n');
        for ((day, domain), [hard, soft, complaints]) in &self.rows {
            out.push_str(&format!(
                "{day},{domain},0,0,{hard},{soft},{complaints},0\n"
            ));
        }
        out
    }

    pub fn rows(&self) -> usize {
        self.rows.len()
    }
}

/// What `mailaudit sender` takes as a domain: ASCII letters, digits, `-`, `_` and dots.
fn is_domain(name: &str) -> bool {
    name.contains('.')
        && name.len() <= 253
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Why an address is on the list. Feedback writes hard bounces and complaints; an
/// unsubscribe (from an ESP's export, or `mailaudit list`'s own) is kept as it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SuppressReason {
    Complaint,
    HardBounce,
    Unsubscribe,
}

impl SuppressReason {
    pub fn as_str(self) -> &'static str {
        match self {
            SuppressReason::Complaint => "complaint",
            SuppressReason::HardBounce => "hard-bounce",
            SuppressReason::Unsubscribe => "unsubscribe",
        }
    }

    fn parse(text: &str) -> Option<SuppressReason> {
        match text {
            "complaint" => Some(SuppressReason::Complaint),
            "hard-bounce" => Some(SuppressReason::HardBounce),
            "unsubscribe" => Some(SuppressReason::Unsubscribe),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SuppressionEntry {
    /// The first and last day the address bounced or complained; None when no message that
    /// put it here had a date (the address is suppressed all the same).
    pub dates: Option<(Date, Date)>,
    pub source: String,
}

/// A line of an existing suppression list that cannot be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{file}:{line}: {message}")]
pub struct SuppressionError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

/// The suppression list: one entry per (address, reason), sorted by them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SuppressionList {
    entries: BTreeMap<(String, &'static str), (SuppressReason, SuppressionEntry)>,
    /// Hard bounces and complaints that name no usable recipient (an ARF report without
    /// Original-Rcpt-To): no row can be made.
    pub without_address: u64,
    /// Rows made from messages without a date (their dates are left empty).
    pub without_date: u64,
    /// Rows added or widened by this run.
    pub added: u64,
}

/// The address as the list compares and writes it: the domain lower-cased, the local part as
/// written (RFC 5321 §2.4: only the receiving host may treat it case-insensitively). None for
/// text that is not one address (blanks, control characters, no `@`).
pub fn list_address(address: &str) -> Option<String> {
    let address = address.trim();
    let (local, domain) = address.rsplit_once('@')?;
    if local.is_empty()
        || domain.is_empty()
        || address.len() > 320
        || address
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '<' || c == '>')
    {
        return None;
    }
    Some(format!("{local}@{}", domain.to_ascii_lowercase()))
}

impl SuppressionList {
    /// An existing list, as `--suppress-out` writes it (the header, then rows). Any bad row
    /// is an error naming the file and line: nothing is written over a file that could not
    /// be read whole.
    pub fn read(text: &str, file: &str) -> Result<SuppressionList, SuppressionError> {
        let error = |line: usize, message: String| SuppressionError {
            file: file.to_string(),
            line,
            message,
        };
        let mut list = SuppressionList::default();
        let mut lines = text.lines().enumerate();
        match lines.next() {
            Some((_, header)) if header.trim_end() == SUPPRESSION_HEADER => {}
            Some((_, header)) => {
                return Err(error(
                    1,
                    format!(
                        "the header is {:?}, not {SUPPRESSION_HEADER:?}",
                        crate::text::escape_untrusted(crate::text::truncate(header, 200))
                    ),
                ));
            }
            None => return Ok(list),
        }
        for (n, line) in lines {
            let number = n + 1;
            if line.trim().is_empty() {
                continue;
            }
            let mut fields = Vec::new();
            crate::csv::split(line, &mut fields).ok_or_else(|| {
                error(
                    number,
                    "a quote is not closed, or text follows a closing quote".into(),
                )
            })?;
            let [address, reason, first, last, source] = fields.as_slice() else {
                return Err(error(
                    number,
                    format!("{} fields, not the 5 of {SUPPRESSION_HEADER}", fields.len()),
                ));
            };
            let address = list_address(address).ok_or_else(|| {
                error(
                    number,
                    format!(
                        "{:?} is not an address",
                        crate::text::escape_untrusted(crate::text::truncate(address, 200))
                    ),
                )
            })?;
            let reason = SuppressReason::parse(reason).ok_or_else(|| {
                error(
                    number,
                    format!(
                        "reason {:?} is not hard-bounce, complaint or unsubscribe",
                        crate::text::escape_untrusted(crate::text::truncate(reason, 100))
                    ),
                )
            })?;
            let date = |text: &str, name: &str| {
                Date::parse(text).ok_or_else(|| {
                    error(
                        number,
                        format!(
                            "{name} {:?} is not a date (YYYY-MM-DD)",
                            crate::text::escape_untrusted(crate::text::truncate(text, 100))
                        ),
                    )
                })
            };
            // Both dates, or neither (a row made from messages without a date).
            let dates = match (first.trim().is_empty(), last.trim().is_empty()) {
                (true, true) => None,
                (false, false) => {
                    let (first_date, last_date) =
                        (date(first, "first_date")?, date(last, "last_date")?);
                    if last_date < first_date {
                        return Err(error(number, "last_date is before first_date".into()));
                    }
                    Some((first_date, last_date))
                }
                _ => {
                    return Err(error(
                        number,
                        "first_date and last_date are both dates or both empty".into(),
                    ));
                }
            };
            let key = (address, reason.as_str());
            if list.entries.contains_key(&key) {
                return Err(error(
                    number,
                    format!("a second row for {} and {}", key.0, reason.as_str()),
                ));
            }
            list.entries.insert(
                key,
                (
                    reason,
                    SuppressionEntry {
                        dates,
                        source: source.to_string(),
                    },
                ),
            );
        }
        Ok(list)
    }

    /// The hard bounces and complaints of one message (soft bounces and delays never).
    pub fn add(&mut self, facts: &FeedbackFacts, source: &str) {
        for row in &facts.recipients {
            let reason = match (row.kind, row.bounce) {
                (FeedbackKind::Bounce, Some(BounceClass::Hard)) => SuppressReason::HardBounce,
                (FeedbackKind::Complaint, _) => SuppressReason::Complaint,
                _ => continue,
            };
            let Some(address) = row.recipient.as_deref().and_then(list_address) else {
                self.without_address += 1;
                continue;
            };
            // A hard bounce or complaint without a date is suppressed all the same.
            let day = day_of(row.date.as_deref());
            if day.is_none() {
                self.without_date += 1;
            }
            self.insert(address, reason, day, source);
        }
    }

    fn insert(&mut self, address: String, reason: SuppressReason, day: Option<Date>, source: &str) {
        let key = (address, reason.as_str());
        match self.entries.get_mut(&key) {
            Some((_, entry)) => {
                let widened = match (entry.dates, day) {
                    (_, None) => entry.dates,
                    (None, Some(day)) => Some((day, day)),
                    (Some((first, last)), Some(day)) => Some((first.min(day), last.max(day))),
                };
                if widened != entry.dates {
                    self.added += 1;
                    entry.dates = widened;
                }
            }
            None => {
                self.added += 1;
                self.entries.insert(
                    key,
                    (
                        reason,
                        SuppressionEntry {
                            dates: day.map(|d| (d, d)),
                            source: source.to_string(),
                        },
                    ),
                );
            }
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The file: the header, then the rows sorted by (address, reason).
    pub fn csv(&self) -> String {
        let mut out = String::from(SUPPRESSION_HEADER);
        out.push('\n');
        for ((address, reason), (_, entry)) in &self.entries {
            let (first, last) = entry
                .dates
                .map_or((String::new(), String::new()), |(f, l)| {
                    (f.to_string(), l.to_string())
                });
            out.push_str(&format!(
                "{},{reason},{first},{last},{}\n",
                crate::csv::quote(address),
                crate::csv::quote(&entry.source)
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_round_trips_and_keeps_what_it_had() {
        let text = "address,reason,first_date,last_date,source\n\
                    Kiji@Example.COM,complaint,2024-01-02,2024-01-05,\"old,1.eml\"\n";
        let mut list = SuppressionList::read(text, "s.csv").unwrap();
        assert_eq!(list.len(), 1);
        list.insert(
            "Kiji@example.com".into(),
            SuppressReason::Complaint,
            Date::parse("2024-01-01"),
            "new.eml",
        );
        assert_eq!(
            list.csv(),
            "address,reason,first_date,last_date,source\n\
             Kiji@example.com,complaint,2024-01-01,2024-01-05,\"old,1.eml\"\n"
        );
        let again = SuppressionList::read(&list.csv(), "s.csv").unwrap();
        assert_eq!(again.csv(), list.csv());
    }

    #[test]
    fn an_address_without_a_date_is_kept_and_dated_when_a_dated_message_comes() {
        let mut list = SuppressionList::default();
        list.insert(
            "gone@example.org".into(),
            SuppressReason::HardBounce,
            None,
            "a.eml",
        );
        assert_eq!(
            list.csv(),
            "address,reason,first_date,last_date,source\n\
             gone@example.org,hard-bounce,,,a.eml\n"
        );
        let mut again = SuppressionList::read(&list.csv(), "s.csv").unwrap();
        assert_eq!(again.csv(), list.csv());
        again.insert(
            "gone@example.org".into(),
            SuppressReason::HardBounce,
            Date::parse("2024-03-01"),
            "b.eml",
        );
        assert_eq!(again.added, 1);
        assert!(
            again
                .csv()
                .ends_with("gone@example.org,hard-bounce,2024-03-01,2024-03-01,a.eml\n")
        );
        let half =
            "address,reason,first_date,last_date,source\nx@y.example,complaint,2024-01-01,,f\n";
        let err = SuppressionList::read(half, "s.csv").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(
            err.to_string().contains("both dates or both empty"),
            "{err}"
        );
    }

    #[test]
    fn a_bad_row_names_its_line() {
        let text = "address,reason,first_date,last_date,source\nx@y.example,soft,2024-01-01,2024-01-01,f\n";
        let err = SuppressionList::read(text, "s.csv").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(
            err.to_string().starts_with("s.csv:2: reason \"soft\""),
            "{err}"
        );
    }

    #[test]
    fn addresses_keep_the_local_part_and_lower_the_domain() {
        assert_eq!(
            list_address("Kiji@EXAMPLE.jp").as_deref(),
            Some("Kiji@example.jp")
        );
        assert_eq!(list_address("no at"), None);
        assert_eq!(list_address("a b@c.example"), None);
    }
}
