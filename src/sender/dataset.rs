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
                ),
            });
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

impl RowSink for Dataset {
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
