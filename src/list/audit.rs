//! The list checks: every row of the recipients file read once, its findings aggregated per
//! rule (one finding per rule with the count and the first rows, never one per row); with
//! DNS, one MX query per distinct domain; with `--clean-out`, a second pass that copies the
//! rows no removing rule flagged.
//!
//! Per-row state is small: a 16-byte key per distinct address (for duplicates, with the line
//! of its first row) and one entry per distinct domain. What `--clean-out` removes:
//! suppressed, invalid, unreadable and duplicate rows (the first of a set is kept), rows at a
//! null MX domain, a domain that cannot receive mail (no MX, no A/AAAA, or no such domain)
//! and disposable domains. Role accounts and typo domains are warnings a person decides on:
//! kept, unless `strict`. A domain whose query failed is kept (nothing was concluded; the run
//! is incomplete and says so).

use super::address::{self, Address};
use super::facts::{CleanOut, DomainCounts, Flagged, FlaggedRow, ListFacts};
use super::recipients::{self, Event, Row};
use super::rules::*;
use super::suppression::Suppressions;
use super::{AddressKey, ListError, address_key, lists};
use crate::dns::bounded::map_bounded;
use crate::dns::{Answer, DnsFailure, Rdata, RecordType, Resolver};
use crate::finding::{Finding, Location};
use crate::input::InputKind;
use crate::rules::{RuleId, Rules};
use rustc_hash::FxHashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Rows of each rule kept in the facts (the JSON); the finding's message names fewer.
pub const EXAMPLES: usize = 10;
/// Rows a finding's message names.
const NAMED: usize = 3;

/// How to read the list.
#[derive(Clone, Debug)]
pub struct ListOptions {
    /// The largest recipients file read.
    pub max_size: u64,
    /// `--clean-out` removes role accounts and typo domains too.
    pub strict: bool,
}

impl Default for ListOptions {
    fn default() -> Self {
        ListOptions {
            max_size: InputKind::Recipients.default_limit(),
            strict: false,
        }
    }
}

/// What the domain checks need: the run's resolver, a runtime, how many queries at once.
pub type MxChecker = crate::dns::bounded::Lookups;

/// Where `--clean-out` goes: a name for the facts and a writer the caller commits.
pub struct CleanTarget<'a> {
    pub name: String,
    pub out: &'a mut dyn Write,
}

/// One recipients file checked.
#[derive(Clone, Debug, PartialEq)]
pub struct ListResult {
    pub target: String,
    pub facts: ListFacts,
    pub findings: Vec<Finding>,
}

/// Whether mail to a domain can be delivered, from DNS.
#[derive(Clone, Debug, PartialEq, Eq)]
enum DomainStatus {
    Mx,
    ImplicitMx,
    NullMx,
    /// No MX and no address record; `nxdomain` when the name does not exist.
    NoMail {
        nxdomain: bool,
    },
    Inconclusive {
        query: String,
        failure: DnsFailure,
    },
}

/// One distinct domain: its rows and the first of them.
#[derive(Debug, Default)]
struct DomainRows {
    rows: u64,
    first: Vec<(u64, String)>,
    status: Option<DomainStatus>,
}

/// The rows one rule flagged so far.
#[derive(Debug, Default)]
struct Tally {
    rows: u64,
    examples: Vec<FlaggedRow>,
}

impl Tally {
    fn add(&mut self, line: u64, address: &str, detail: impl FnOnce() -> String) {
        self.rows += 1;
        if self.examples.len() < EXAMPLES {
            self.examples.push(FlaggedRow {
                line,
                address: address.to_string(),
                detail: detail(),
            });
        }
    }
}

/// What one row is, from its text alone (DNS aside).
struct Classified {
    address: Option<Address>,
    key: AddressKey,
}

fn classify(row: &Row<'_>) -> Classified {
    match row.address.map(address::parse) {
        Ok(Ok(address)) => {
            let key = address_key(&address.normal());
            Classified {
                address: Some(address),
                key,
            }
        }
        _ => Classified {
            address: None,
            key: (0, 0),
        },
    }
}

/// Check the recipients file against the suppression lists (already read), the data lists
/// and, with `mx`, DNS; with `clean`, write the kept rows there.
pub fn audit_list(
    recipients: &Path,
    suppressions: &Suppressions,
    rules: &Rules,
    options: &ListOptions,
    mx: Option<&MxChecker>,
    clean: Option<CleanTarget<'_>>,
) -> Result<ListResult, ListError> {
    let target = crate::path::display(recipients);
    let mut tallies: FxHashMap<RuleId, Tally> = FxHashMap::default();
    // Address key -> line of its first row.
    let mut seen: FxHashMap<AddressKey, u32> = FxHashMap::default();
    let mut domains: FxHashMap<Box<str>, DomainRows> = FxHashMap::default();
    let mut valid = 0u64;
    let mut column = String::new();
    let rows = recipients::scan(recipients, options.max_size, |event| {
        let row = match event {
            Event::Header(header) => {
                column = header.column.clone();
                return Ok(());
            }
            Event::Row(row) => row,
        };
        let written = row.address.unwrap_or("");
        let addr = match row.address {
            Err(why) => {
                tallies
                    .entry(UNREADABLE_ROW)
                    .or_default()
                    .add(row.line, "", || why.to_string());
                return Ok(());
            }
            Ok(text) => match address::parse(text) {
                Err(why) => {
                    tallies
                        .entry(INVALID_ADDRESS)
                        .or_default()
                        .add(row.line, written, || why.to_string());
                    return Ok(());
                }
                Ok(addr) => addr,
            },
        };
        valid += 1;
        let key = address_key(&addr.normal());
        let line32 = u32::try_from(row.line).unwrap_or(u32::MAX);
        match seen.get(&key) {
            Some(first) => {
                let first = *first;
                tallies
                    .entry(DUPLICATE)
                    .or_default()
                    .add(row.line, written, || format!("first at line {first}"));
            }
            None => {
                seen.insert(key, line32);
            }
        }
        if let Some(entry) = suppressions.get(key) {
            let list = &suppressions.files[entry.file as usize].file;
            tallies
                .entry(SUPPRESSED)
                .or_default()
                .add(row.line, written, || {
                    format!("{}, {list}:{}", entry.reason.as_str(), entry.line)
                });
        }
        if lists::is_role_account(&addr.local) {
            tallies
                .entry(ROLE_ACCOUNT)
                .or_default()
                .add(row.line, written, String::new);
        }
        if !addr.literal {
            if lists::is_disposable(&addr.domain) {
                tallies
                    .entry(DISPOSABLE_DOMAIN)
                    .or_default()
                    .add(row.line, written, String::new);
            }
            if let Some(meant) = lists::typo_of(&addr.domain) {
                tallies
                    .entry(TYPO_DOMAIN)
                    .or_default()
                    .add(row.line, written, || format!("did you mean {meant}?"));
            }
            let domain = match domains.get_mut(addr.domain.as_str()) {
                Some(d) => d,
                None => domains.entry(addr.domain.as_str().into()).or_default(),
            };
            domain.rows += 1;
            if domain.first.len() < NAMED {
                domain.first.push((row.line, written.to_string()));
            }
        }
        Ok(())
    })?;

    let mut findings = Vec::new();
    let dns = mx.map(|checker| {
        check_domains(checker, &mut domains);
        domain_findings(rules, &target, &domains, &mut tallies, &mut findings)
    });

    let removed = |id: RuleId| removes(id, options.strict);
    let clean_out = match clean {
        Some(target_out) => Some(write_clean(
            recipients,
            options,
            suppressions,
            &seen,
            &domains,
            rows,
            target_out,
        )?),
        None => None,
    };

    let mut flagged = Vec::new();
    for id in RULES {
        let Some(tally) = tallies.remove(id) else {
            continue;
        };
        findings.push(rule_finding(rules, *id, &target, &tally));
        flagged.push(Flagged {
            rule: id.to_string(),
            rows: tally.rows,
            removed: removed(*id),
            examples: tally.examples,
        });
    }
    crate::dns::rules::collapse(&mut findings);
    let facts = ListFacts {
        file: target.clone(),
        column,
        rows,
        valid,
        distinct: seen.len() as u64,
        domains: domains.len() as u64,
        suppression_files: suppressions.files.clone(),
        dns,
        flagged,
        strict: options.strict,
        clean_out,
    };
    Ok(ListResult {
        target,
        facts,
        findings,
    })
}

/// Whether `--clean-out` leaves out the rows rule `id` flags.
pub fn removes(id: RuleId, strict: bool) -> bool {
    match id {
        SUPPRESSED | INVALID_ADDRESS | UNREADABLE_ROW | DUPLICATE | NULL_MX | NO_MX
        | DISPOSABLE_DOMAIN => true,
        ROLE_ACCOUNT | TYPO_DOMAIN => strict,
        _ => false,
    }
}

/// The one finding of a rule: how many rows, and the first few, masked.
fn rule_finding(rules: &Rules, id: RuleId, target: &str, tally: &Tally) -> Finding {
    let what = match id {
        SUPPRESSED => "on a suppression list",
        INVALID_ADDRESS => "with an address that is not valid",
        UNREADABLE_ROW => "that could not be read",
        DUPLICATE => "repeating an address of an earlier row",
        ROLE_ACCOUNT => "addressed to a role account",
        DISPOSABLE_DOMAIN => "at a disposable-mailbox domain",
        TYPO_DOMAIN => "at a likely misspelt domain",
        NULL_MX => "at a domain that accepts no mail (null MX)",
        NO_MX => "at a domain that cannot receive mail",
        _ => "flagged",
    };
    let rows = if tally.rows == 1 { "row" } else { "rows" };
    let named: Vec<String> = tally
        .examples
        .iter()
        .take(NAMED)
        .map(|row| {
            let mut text = format!("line {}", row.line);
            if !row.address.is_empty() {
                text.push(' ');
                text.push_str(&crate::text::escape_untrusted(&address::mask(&row.address)));
            }
            if !row.detail.is_empty() {
                text.push_str(&format!(
                    " ({})",
                    crate::text::escape_untrusted(&row.detail)
                ));
            }
            text
        })
        .collect();
    let rest = tally.rows.saturating_sub(named.len() as u64);
    let more = if rest > 0 {
        format!(", and {} more", crate::text::fmt_count(rest))
    } else {
        String::new()
    };
    let message = format!(
        "{} {rows} {what}: {}{more}",
        crate::text::fmt_count(tally.rows),
        named.join(", ")
    );
    let mut finding = rules.finding(id, target, message).with_measured(tally.rows);
    if let Some(first) = tally.examples.first() {
        finding = finding.at(Location::Line {
            file: target.to_string(),
            line: u32::try_from(first.line).unwrap_or(u32::MAX),
        });
    }
    finding
}

/// Ask each distinct domain's MX (and, without one, A and AAAA), `concurrency` at a time.
fn check_domains(checker: &MxChecker, domains: &mut FxHashMap<Box<str>, DomainRows>) {
    let mut names: Vec<Box<str>> = domains.keys().cloned().collect();
    names.sort_unstable();
    let resolver = checker.resolver.clone();
    // A panicking task is a bug: its domain stays unconcluded (domain_findings).
    let answers = map_bounded(&checker.runtime, checker.concurrency, names, |name| {
        let resolver = resolver.clone();
        async move {
            let status = domain_status(&resolver, &name).await;
            (name, status)
        }
    });
    for (name, status) in answers {
        if let Some(domain) = domains.get_mut(&name) {
            domain.status = Some(status);
        }
    }
}

async fn domain_status(resolver: &Resolver, domain: &str) -> DomainStatus {
    let failed = |rtype: RecordType, failure: DnsFailure| DomainStatus::Inconclusive {
        query: format!("{rtype} {domain}"),
        failure,
    };
    match resolver.lookup(domain, RecordType::Mx).await {
        Answer::Records(records) => {
            let null = records.iter().any(|r| {
                matches!(r, Rdata::Mx { exchange, .. } if exchange.is_empty() || exchange == ".")
            });
            if null {
                DomainStatus::NullMx
            } else {
                DomainStatus::Mx
            }
        }
        Answer::NxDomain => DomainStatus::NoMail { nxdomain: true },
        Answer::Failure(failure) => failed(RecordType::Mx, failure),
        Answer::NoData => {
            // RFC 5321 §5.1: without MX records the domain itself is the implicit MX.
            let mut failure = None;
            for rtype in [RecordType::A, RecordType::Aaaa] {
                match resolver.lookup(domain, rtype).await {
                    Answer::Records(_) => return DomainStatus::ImplicitMx,
                    Answer::Failure(why) => failure = failure.or(Some((rtype, why))),
                    Answer::NxDomain | Answer::NoData => {}
                }
            }
            match failure {
                Some((rtype, why)) => failed(rtype, why),
                None => DomainStatus::NoMail { nxdomain: false },
            }
        }
    }
}

/// Count the domains by status, tally their rows under `list/null-mx` and `list/no-mx`, and
/// add one `dns/inconclusive` per domain that could not be concluded.
fn domain_findings(
    rules: &Rules,
    target: &str,
    domains: &FxHashMap<Box<str>, DomainRows>,
    tallies: &mut FxHashMap<RuleId, Tally>,
    findings: &mut Vec<Finding>,
) -> DomainCounts {
    let mut counts = DomainCounts::default();
    let mut sorted: Vec<(&Box<str>, &DomainRows)> = domains.iter().collect();
    sorted.sort_unstable_by(|a, b| a.0.cmp(b.0));
    // Each domain's rows counted, the first of them shown: the rows of the first domains
    // (by name) come first, so the examples do not depend on hash order.
    let mut add = |id: RuleId, rows: &DomainRows, detail: String| {
        let tally = tallies.entry(id).or_default();
        tally.rows += rows.rows;
        for (line, written) in &rows.first {
            if tally.examples.len() < EXAMPLES {
                tally.examples.push(FlaggedRow {
                    line: *line,
                    address: written.clone(),
                    detail: detail.clone(),
                });
            }
        }
    };
    for (name, rows) in sorted {
        counts.checked += 1;
        match &rows.status {
            Some(DomainStatus::Mx) => counts.mx += 1,
            Some(DomainStatus::ImplicitMx) => counts.implicit_mx += 1,
            Some(DomainStatus::NullMx) => {
                counts.null_mx += 1;
                add(NULL_MX, rows, format!("{name} publishes MX 0 ."));
            }
            Some(DomainStatus::NoMail { nxdomain }) => {
                counts.no_mail += 1;
                let why = if *nxdomain {
                    format!("{name} does not exist")
                } else {
                    format!("{name} has no MX, A or AAAA record")
                };
                add(NO_MX, rows, why);
            }
            Some(DomainStatus::Inconclusive { query, failure }) => {
                counts.inconclusive += 1;
                findings.push(crate::dns::rules::inconclusive(
                    rules,
                    target,
                    query.clone(),
                    failure,
                    format_args!(
                        "whether {name} can receive mail is not known ({} {})",
                        crate::text::fmt_count(rows.rows),
                        if rows.rows == 1 { "row" } else { "rows" }
                    ),
                ));
            }
            None => {
                counts.inconclusive += 1;
                findings.push(
                    rules.finding(
                        crate::dns::rules::INCONCLUSIVE,
                        target,
                        format!("the MX check of {name} did not finish; whether it can receive mail is not known"),
                    ),
                );
            }
        }
    }
    // Examples in file order.
    for id in [NULL_MX, NO_MX] {
        if let Some(tally) = tallies.get_mut(&id) {
            tally.examples.sort_by_key(|row| row.line);
        }
    }
    counts
}

/// The second pass: the header and every row no removing rule flagged, byte for byte.
fn write_clean(
    recipients: &Path,
    options: &ListOptions,
    suppressions: &Suppressions,
    seen: &FxHashMap<AddressKey, u32>,
    domains: &FxHashMap<Box<str>, DomainRows>,
    first_pass_rows: u64,
    clean: CleanTarget<'_>,
) -> Result<CleanOut, ListError> {
    let CleanTarget { name, out } = clean;
    let write_error = |e: std::io::Error| ListError::Write {
        file: name.clone(),
        reason: e.to_string(),
    };
    let mut out = std::io::BufWriter::with_capacity(256 * 1024, out);
    let (mut kept, mut removed) = (0u64, 0u64);
    let mut failure = None;
    let rows = recipients::scan(recipients, options.max_size, |event| {
        let row = match event {
            Event::Header(header) => {
                return write_line(&mut out, &header.raw, header.crlf).map_err(write_error);
            }
            Event::Row(row) => row,
        };
        if keeps(row, options, suppressions, seen, domains) {
            kept += 1;
            if let Err(e) = write_line(&mut out, row.raw, row.crlf) {
                failure = Some(e);
            }
        } else {
            removed += 1;
        }
        Ok(())
    })?;
    if let Some(e) = failure {
        return Err(write_error(e));
    }
    out.flush().map_err(write_error)?;
    if rows != first_pass_rows {
        return Err(ListError::Read {
            file: crate::path::display(recipients),
            reason: "the file changed while it was read: the cleaned list is not written".into(),
        });
    }
    Ok(CleanOut {
        file: name,
        kept,
        removed,
    })
}

fn write_line(out: &mut impl Write, raw: &[u8], crlf: bool) -> std::io::Result<()> {
    out.write_all(raw)?;
    out.write_all(if crlf { b"\r\n" } else { b"\n" })
}

/// Whether a row stays in the cleaned list: the first pass's decisions, made again from the
/// row and the first pass's maps.
fn keeps(
    row: &Row<'_>,
    options: &ListOptions,
    suppressions: &Suppressions,
    seen: &FxHashMap<AddressKey, u32>,
    domains: &FxHashMap<Box<str>, DomainRows>,
) -> bool {
    let Classified { address, key } = classify(row);
    let Some(address) = address else {
        return false;
    };
    let line32 = u32::try_from(row.line).unwrap_or(u32::MAX);
    if seen.get(&key).is_some_and(|first| *first != line32) || suppressions.get(key).is_some() {
        return false;
    }
    if options.strict && lists::is_role_account(&address.local) {
        return false;
    }
    if address.literal {
        return true;
    }
    if lists::is_disposable(&address.domain)
        || (options.strict && lists::typo_of(&address.domain).is_some())
    {
        return false;
    }
    !matches!(
        domains
            .get(address.domain.as_str())
            .and_then(|d| d.status.as_ref()),
        Some(DomainStatus::NullMx | DomainStatus::NoMail { .. })
    )
}

/// Read every suppression list named, in order.
pub fn read_suppressions(paths: &[PathBuf]) -> Result<Suppressions, ListError> {
    let mut suppressions = Suppressions::default();
    for path in paths {
        suppressions.read(path)?;
    }
    Ok(suppressions)
}
