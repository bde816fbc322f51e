//! Zone data held in memory, answered the way a recursive resolver would.

use super::{Answer, DnsFailure, FailureKind, Rdata, RecordType, normalize_name};
use rustc_hash::{FxHashMap, FxHashSet};
use std::sync::Arc;

/// How many CNAMEs a chain may have before it counts as a loop (resolvers use 8 to 16).
pub(super) const MAX_CNAME_CHAIN: usize = 16;

/// Records from any number of zones, keyed by owner name.
#[derive(Default, Clone, Debug)]
pub struct ZoneSet {
    /// Owner name -> its RRsets, each shared so an answer is a reference count, not a copy.
    /// A boxed slice, not a `Vec`: most names hold one or two RRsets, and a `Vec` would
    /// reserve four (issue 12: a million-record zone).
    names: FxHashMap<Box<str>, Box<[RrSet]>>,
    /// Names that exist only because something below them does (empty non-terminals).
    ancestors: FxHashSet<String>,
    /// Zone apexes loaded; a name under no apex and without records is NXDOMAIN either way.
    apexes: FxHashSet<String>,
    /// Names whose every query times out (test scenarios).
    timeouts: FxHashSet<String>,
}

/// Insert a name into a set, allocating its `String` only when it is new.
trait InsertIfNew {
    /// True when `name` was not in the set.
    fn insert_if_new(&mut self, name: &str) -> bool;
}

impl InsertIfNew for FxHashSet<String> {
    fn insert_if_new(&mut self, name: &str) -> bool {
        if self.contains(name) {
            return false;
        }
        self.insert(name.to_string())
    }
}

#[derive(Clone, Debug)]
struct RrSet {
    rtype: RecordType,
    records: Arc<[Rdata]>,
}

impl ZoneSet {
    pub fn new() -> ZoneSet {
        ZoneSet::default()
    }

    /// Declare a zone apex (from a master file's SOA or `$ORIGIN`).
    pub fn add_apex(&mut self, apex: &str) {
        self.apexes.insert(normalize_name(apex));
    }

    /// Add one record at `owner` (an RRset is a set: an identical record is kept once).
    pub fn insert(&mut self, owner: &str, rdata: Rdata) {
        let rtype = rdata.record_type();
        let sets = self.name_entry(owner);
        match sets.iter_mut().find(|set| set.rtype == rtype) {
            Some(set) if set.records.contains(&rdata) => {}
            Some(set) => {
                let mut records = set.records.to_vec();
                records.push(rdata);
                set.records = Arc::from(records);
            }
            None => {
                let mut grown = std::mem::take(sets).into_vec();
                grown.reserve_exact(1);
                grown.push(RrSet {
                    rtype,
                    records: Arc::from([rdata]),
                });
                *sets = grown.into_boxed_slice();
            }
        }
    }

    /// Make `owner` exist without records of the types we model (it holds SRV, CAA, ...).
    pub fn insert_name(&mut self, owner: &str) {
        self.name_entry(owner);
    }

    fn name_entry(&mut self, owner: &str) -> &mut Box<[RrSet]> {
        let owner = normalize_name(owner);
        let mut parent = owner.as_str();
        while let Some((_, rest)) = parent.split_once('.') {
            // A name that holds records, or a known ancestor, has its own ancestors known
            // already: stop, and allocate nothing for the names a large zone repeats on
            // every record (`records_at` looks in `names` before `ancestors`).
            if self.names.contains_key(rest) || !self.ancestors.insert_if_new(rest) {
                break;
            }
            parent = rest;
        }
        self.names.entry(owner.into_boxed_str()).or_default()
    }

    /// Give back what the maps reserved for growth (a large zone's tables are otherwise up
    /// to twice their content).
    pub fn shrink_to_fit(&mut self) {
        self.names.shrink_to_fit();
        self.ancestors.shrink_to_fit();
        self.apexes.shrink_to_fit();
    }

    /// Zone apexes declared so far.
    pub fn apexes(&self) -> impl Iterator<Item = &str> {
        self.apexes.iter().map(String::as_str)
    }

    /// Make every query for `owner` time out.
    pub fn insert_timeout(&mut self, owner: &str) {
        self.timeouts.insert(normalize_name(owner));
    }

    /// Number of owner names holding records.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Records at exactly `name`, or from a matching wildcard (RFC 4592) when `name` does not exist.
    fn records_at(&self, name: &str) -> Option<&[RrSet]> {
        if let Some(records) = self.names.get(name) {
            return Some(records);
        }
        if self.ancestors.contains(name) {
            return Some(&[]);
        }
        // Closest encloser's wildcard.
        let mut rest = name;
        while let Some((_, parent)) = rest.split_once('.') {
            if self.names.contains_key(parent) || self.ancestors.contains(parent) {
                return self
                    .names
                    .get(format!("*.{parent}").as_str())
                    .map(|sets| &sets[..]);
            }
            rest = parent;
        }
        None
    }

    /// Answer (name, type) as a recursive resolver would, following CNAMEs across zones.
    pub fn lookup(&self, name: &str, rtype: RecordType) -> Answer {
        let mut current = normalize_name(name);
        let mut seen: Vec<String> = Vec::new();
        loop {
            if self.timeouts.contains(&current) {
                return Answer::Failure(DnsFailure::zones(FailureKind::Timeout));
            }
            let Some(records) = self.records_at(&current) else {
                return Answer::NxDomain;
            };
            if let Some(set) = records.iter().find(|set| set.rtype == rtype) {
                return Answer::Records(Arc::clone(&set.records));
            }
            let cname = records
                .iter()
                .filter(|_| rtype != RecordType::Cname)
                .find(|set| set.rtype == RecordType::Cname)
                .and_then(|set| match set.records.first() {
                    Some(Rdata::Cname(target)) => Some(target.clone()),
                    _ => None,
                });
            match cname {
                Some(target) => {
                    if seen.contains(&target) || seen.len() >= MAX_CNAME_CHAIN {
                        return Answer::Failure(DnsFailure::zones(FailureKind::CnameLoop));
                    }
                    seen.push(current);
                    current = target;
                }
                None => return Answer::NoData,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn nxdomain_nodata_and_empty_non_terminal_differ() {
        let mut z = ZoneSet::new();
        z.insert("a.b.example.com", Rdata::A(Ipv4Addr::new(192, 0, 2, 1)));
        assert!(matches!(
            z.lookup("a.b.example.com", RecordType::A),
            Answer::Records(_)
        ));
        assert_eq!(z.lookup("a.b.example.com", RecordType::Txt), Answer::NoData);
        assert_eq!(z.lookup("b.example.com", RecordType::A), Answer::NoData);
        assert_eq!(z.lookup("c.example.com", RecordType::A), Answer::NxDomain);
    }

    #[test]
    fn cname_chains_are_followed_and_loops_fail() {
        let mut z = ZoneSet::new();
        z.insert(
            "s1._domainkey.example.com",
            Rdata::Cname("s1.provider.net".into()),
        );
        z.insert("s1.provider.net", Rdata::Txt(vec![b"v=DKIM1; p=".to_vec()]));
        z.insert(
            "loop1.example.com",
            Rdata::Cname("loop2.example.com".into()),
        );
        z.insert(
            "loop2.example.com",
            Rdata::Cname("loop1.example.com".into()),
        );
        assert!(matches!(
            z.lookup("S1._domainkey.example.com.", RecordType::Txt),
            Answer::Records(_)
        ));
        assert_eq!(
            z.lookup("loop1.example.com", RecordType::Txt),
            Answer::Failure(DnsFailure::zones(FailureKind::CnameLoop))
        );
    }

    #[test]
    fn wildcards_answer_names_that_do_not_exist() {
        let mut z = ZoneSet::new();
        z.insert(
            "*._report._dmarc.rua.net",
            Rdata::Txt(vec![b"v=DMARC1".to_vec()]),
        );
        z.insert(
            "x._report._dmarc.rua.net",
            Rdata::Txt(vec![b"v=DMARC1;".to_vec()]),
        );
        assert!(matches!(
            z.lookup("example.com._report._dmarc.rua.net", RecordType::Txt),
            Answer::Records(_)
        ));
        assert_eq!(z.lookup("other.rua.net", RecordType::Txt), Answer::NxDomain);
    }
}
