//! The rows of all files, aggregated as they stream in: one compact entry per (domain, ip,
//! provider, date) key, with names interned. Memory grows with the number of distinct keys
//! and days, never with the text of the rows.

use super::input::{Column, Counts, ErrorKind, Pos, Row, RowProblem, RowSink, StatsError};
use crate::date::Date;
use rustc_hash::FxHashMap;
use std::net::IpAddr;

/// "No ip" / "no provider" in a series key.
const NONE: u32 = u32::MAX;

/// One day of one series.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    pub date: Date,
    pub pos: Pos,
    pub counts: Counts,
}

/// The days of one (domain, ip, provider).
#[derive(Debug)]
struct Series {
    domain: u32,
    ip: u32,
    provider: u32,
    entries: Vec<Entry>,
    /// False once an entry arrived out of date order (then the series is sorted at the end).
    sorted: bool,
}

#[derive(Debug, Default)]
struct Interner {
    ids: FxHashMap<Box<str>, u32>,
    names: Vec<Box<str>>,
}

impl Interner {
    fn get(&self, name: &str) -> Option<u32> {
        self.ids.get(name).copied()
    }

    fn insert(&mut self, name: &str) -> u32 {
        if let Some(id) = self.get(name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.into());
        self.ids.insert(name.into(), id);
        id
    }
}

/// Everything read so far.
#[derive(Debug, Default)]
pub struct Dataset {
    files: Vec<String>,
    domains: Interner,
    ips: Interner,
    /// Each IP as written in the files -> its id (the interner holds the canonical form).
    ip_spellings: FxHashMap<Box<str>, u32>,
    providers: Interner,
    series_ids: FxHashMap<(u32, u32, u32), u32>,
    series: Vec<Series>,
    rows: u64,
    newest: Option<(Date, Pos)>,
    has_ip: bool,
    has_provider: bool,
    /// `--merge`: rows of different files with the same key are summed, not duplicates.
    merge: bool,
}

/// One series, ready for analysis: its names and its days in date order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeriesData {
    pub ip: Option<String>,
    pub provider: Option<String>,
    pub entries: Vec<Entry>,
}

/// The series of one domain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DomainData {
    pub domain: String,
    pub series: Vec<SeriesData>,
}

/// The whole input, checked and grouped by domain (in name order).
#[derive(Debug)]
pub struct Grouped {
    pub files: Vec<String>,
    pub domains: Vec<DomainData>,
    pub rows: u64,
    /// The newest date of any row, and where it is.
    pub newest: Option<(Date, Pos)>,
    /// Whether any row names an ip / a provider.
    pub has_ip: bool,
    pub has_provider: bool,
}

impl Dataset {
    pub fn new() -> Dataset {
        Dataset::default()
    }

    /// A dataset that sums the rows of different files with the same (date, domain, ip,
    /// provider) key (`mailaudit sender --merge`): the sender's own sent and delivered
    /// figures with the bounces and complaints `mailaudit feedback --stats-out` counted.
    /// Two rows with one key in the same file are still a duplicate (an error): a file
    /// holds each key once, and summing inside one file would hide an export that wrote a
    /// day twice. The counts are checked against each other on the sums, not per row.
    pub fn merging() -> Dataset {
        Dataset {
            merge: true,
            ..Dataset::default()
        }
    }

    /// Register the next file; its rows carry the returned index.
    pub fn add_file(&mut self, name: &str) -> u32 {
        self.files.push(name.to_string());
        (self.files.len() - 1) as u32
    }

    pub fn rows(&self) -> u64 {
        self.rows
    }

    fn domain_id(&mut self, raw: &str) -> Result<u32, RowProblem> {
        if let Some(id) = self.domains.get(raw) {
            return Ok(id);
        }
        let name = raw.strip_suffix('.').unwrap_or(raw).to_ascii_lowercase();
        if let Some(id) = self.domains.get(&name) {
            return Ok(id);
        }
        let valid = crate::dns::is_valid_query_name(&name)
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if !valid {
            return Err(RowProblem::Field {
                column: Column::Domain,
                kind: ErrorKind::Domain,
                message: format!(
                    "{} is not a domain name (write it as example.com, in ASCII)",
                    super::input::quoted(raw.as_bytes())
                ),
            });
        }
        Ok(self.domains.insert(&name))
    }

    fn ip_id(&mut self, raw: &str) -> Result<u32, RowProblem> {
        if let Some(id) = self.ip_spellings.get(raw) {
            return Ok(*id);
        }
        let ip: IpAddr = raw.parse().map_err(|_| RowProblem::Field {
            column: Column::Ip,
            kind: ErrorKind::Ip,
            message: format!(
                "{} is not an IPv4 or IPv6 address",
                super::input::quoted(raw.as_bytes())
            ),
        })?;
        let id = self.ips.insert(&ip.to_string());
        self.ip_spellings.insert(raw.into(), id);
        Ok(id)
    }

    fn provider_id(&mut self, raw: &str) -> Result<u32, RowProblem> {
        if let Some(id) = self.providers.get(raw) {
            return Ok(id);
        }
        let name = raw.trim().to_lowercase();
        if name.len() > 255 || name.chars().any(crate::text::is_unsafe_for_terminal) {
            return Err(RowProblem::Field {
                column: Column::Provider,
                kind: ErrorKind::Provider,
                message: format!(
                    "{} is not a provider name (at most 255 bytes, no control characters)",
                    super::input::quoted(raw.as_bytes())
                ),
            });
        }
        Ok(self.providers.insert(&name))
    }

    /// Check for duplicate keys, sort each series by date and group the series by domain.
    pub fn finish(mut self) -> Result<Grouped, StatsError> {
        // The first duplicate in reading order: (second row, first row, series).
        let mut duplicate: Option<(Pos, Pos, usize)> = None;
        for (index, series) in self.series.iter_mut().enumerate() {
            if !series.sorted {
                series.entries.sort_by_key(|e| (e.date, e.pos));
            }
            for pair in series.entries.windows(2) {
                if pair[0].date == pair[1].date
                    && (!self.merge || pair[0].pos.file == pair[1].pos.file)
                    && duplicate.is_none_or(|(second, _, _)| pair[1].pos < second)
                {
                    duplicate = Some((pair[1].pos, pair[0].pos, index));
                }
            }
        }
        if let Some((second, first, index)) = duplicate {
            let s = &self.series[index];
            let name = |interner: &Interner, id: u32| -> String {
                if id == NONE {
                    "none".to_string()
                } else {
                    interner.names[id as usize].to_string()
                }
            };
            let date = s
                .entries
                .iter()
                .find(|e| e.pos == second)
                .map_or_else(String::new, |e| e.date.to_string());
            return Err(StatsError::Input {
                file: self.files[second.file as usize].clone(),
                line: u64::from(second.line),
                column: u64::from(second.column),
                kind: ErrorKind::DuplicateKey,
                message: format!(
                    "a second row for date {date}, domain {}, ip {}, provider {} (the first is {}:{})",
                    name(&self.domains, s.domain),
                    name(&self.ips, s.ip),
                    crate::text::escape_untrusted(&name(&self.providers, s.provider)),
                    self.files[first.file as usize],
                    first.line
                ) + if first.file != second.file {
                    "; to sum the rows of several files, give --merge"
                } else {
                    ""
                },
            });
        }

        if self.merge {
            self.sum_merged()?;
        }

        let mut by_domain: Vec<Vec<Series>> =
            (0..self.domains.names.len()).map(|_| Vec::new()).collect();
        for series in self.series.drain(..) {
            by_domain[series.domain as usize].push(series);
        }
        let mut domains: Vec<DomainData> = by_domain
            .into_iter()
            .enumerate()
            .map(|(id, series)| {
                let mut series: Vec<SeriesData> = series
                    .into_iter()
                    .map(|s| SeriesData {
                        ip: (s.ip != NONE).then(|| self.ips.names[s.ip as usize].to_string()),
                        provider: (s.provider != NONE)
                            .then(|| self.providers.names[s.provider as usize].to_string()),
                        entries: s.entries,
                    })
                    .collect();
                series.sort_by(|a, b| (&a.ip, &a.provider).cmp(&(&b.ip, &b.provider)));
                DomainData {
                    domain: self.domains.names[id].to_string(),
                    series,
                }
            })
            .collect();
        domains.sort_by(|a, b| a.domain.cmp(&b.domain));
        Ok(Grouped {
            files: self.files,
            domains,
            rows: self.rows,
            newest: self.newest,
            has_ip: self.has_ip,
            has_provider: self.has_provider,
        })
    }
}

impl Dataset {
    /// Sum the entries of each series that share a date (each from another file: same-file
    /// duplicates were refused), keeping the first row's position, then check every day's
    /// counts against each other; the first failing day in reading order is the error, and
    /// it names every row that was summed into it.
    fn sum_merged(&mut self) -> Result<(), StatsError> {
        let mut first_error: Option<(Pos, StatsError)> = None;
        for series in &mut self.series {
            let mut merged: Vec<(Entry, Vec<Pos>)> = Vec::with_capacity(series.entries.len());
            for entry in series.entries.drain(..) {
                match merged.last_mut() {
                    Some((last, rows)) if last.date == entry.date => {
                        last.counts.add(&entry.counts);
                        rows.push(entry.pos);
                    }
                    _ => merged.push((entry, vec![entry.pos])),
                }
            }
            for (entry, rows) in &merged {
                if let Err((_, kind, message)) = super::input::check_counts(&entry.counts)
                    && first_error.as_ref().is_none_or(|(pos, _)| entry.pos < *pos)
                {
                    let named: Vec<String> = rows
                        .iter()
                        .map(|p| format!("{}:{}", self.files[p.file as usize], p.line))
                        .collect();
                    let message = if rows.len() > 1 {
                        format!("{message} in the sum of rows {}", named.join(", "))
                    } else {
                        message
                    };
                    first_error = Some((
                        entry.pos,
                        StatsError::Input {
                            file: self.files[entry.pos.file as usize].clone(),
                            line: u64::from(entry.pos.line),
                            column: u64::from(entry.pos.column),
                            kind,
                            message,
                        },
                    ));
                }
            }
            series.entries = merged.into_iter().map(|(entry, _)| entry).collect();
        }
        match first_error {
            Some((_, error)) => Err(error),
            None => Ok(()),
        }
    }
}

impl RowSink for Dataset {
    fn checks_counts(&self) -> bool {
        !self.merge
    }

    fn push(&mut self, row: &Row<'_>) -> Result<(), RowProblem> {
        let domain = self.domain_id(row.domain)?;
        let ip = match row.ip {
            Some(ip) => {
                self.has_ip = true;
                self.ip_id(ip)?
            }
            None => NONE,
        };
        let provider = match row.provider {
            Some(p) => {
                self.has_provider = true;
                self.provider_id(p)?
            }
            None => NONE,
        };
        let key = (domain, ip, provider);
        let index = match self.series_ids.get(&key) {
            Some(index) => *index as usize,
            None => {
                self.series.push(Series {
                    domain,
                    ip,
                    provider,
                    entries: Vec::new(),
                    sorted: true,
                });
                let index = self.series.len() - 1;
                self.series_ids.insert(key, index as u32);
                index
            }
        };
        let series = &mut self.series[index];
        if series
            .entries
            .last()
            .is_some_and(|last| last.date >= row.date)
        {
            series.sorted = false;
        }
        series.entries.push(Entry {
            date: row.date,
            pos: row.pos,
            counts: row.counts,
        });
        self.rows += 1;
        if self.newest.is_none_or(|(date, _)| row.date > date) {
            self.newest = Some((row.date, row.pos));
        }
        Ok(())
    }
}
