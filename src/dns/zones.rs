//! Zone data held in memory, answered the way a recursive resolver would.

use super::{Answer, DnsFailure, DnsName, FailureKind, Rdata, RecordType};
use rustc_hash::{FxHashMap, FxHashSet};
use std::sync::Arc;

/// How many CNAMEs a chain may have before it counts as a loop (resolvers use 8 to 16).
pub(super) const MAX_CNAME_CHAIN: usize = 16;

/// Records from any number of zones, keyed by owner name.
///
/// Methods taking `&str` take presentation text (see [`DnsName`]); text that is not a name
/// is ignored, as no query could reach it.
#[derive(Default, Clone, Debug)]
pub struct ZoneSet {
    /// Owner name -> its RRsets, each shared so an answer is a reference count, not a copy.
    /// A boxed slice, not a `Vec`: most names hold one or two RRsets, and a `Vec` would
    /// reserve four (issue 12: a million-record zone).
    names: FxHashMap<DnsName, Box<[RrSet]>>,
    /// Names that exist only because something below them does (empty non-terminals).
    ancestors: FxHashSet<DnsName>,
    /// Zone apexes loaded; a name under no apex and without records is NXDOMAIN either way.
    apexes: FxHashSet<DnsName>,
    /// Names whose every query times out (test scenarios).
    timeouts: FxHashSet<DnsName>,
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
        if let Ok(apex) = DnsName::parse(apex) {
            self.apexes.insert(apex);
        }
    }

    /// Add one record at `owner` (an RRset is a set: an identical record is kept once).
    pub fn insert(&mut self, owner: &str, rdata: Rdata) {
        let rtype = rdata.record_type();
        let Some(sets) = self.name_entry(owner) else {
            return;
        };
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

    fn name_entry(&mut self, owner: &str) -> Option<&mut Box<[RrSet]>> {
        let owner = DnsName::parse(owner).ok()?;
        let mut parent = owner.parent();
        while let Some(name) = parent.filter(|p| !p.is_root()) {
            // A name that holds records, or a known ancestor, has its own ancestors known
            // already: stop, so the names a large zone repeats on every record are not
            // inserted again (`records_at` looks in `names` before `ancestors`).
            if self.names.contains_key(&name) || self.ancestors.contains(&name) {
                break;
            }
            parent = name.parent();
            self.ancestors.insert(name);
        }
        Some(self.names.entry(owner).or_default())
    }

    /// Give back what the maps reserved for growth (a large zone's tables are otherwise up
    /// to twice their content).
    pub fn shrink_to_fit(&mut self) {
        self.names.shrink_to_fit();
        self.ancestors.shrink_to_fit();
        self.apexes.shrink_to_fit();
    }

    /// Zone apexes declared so far.
    pub fn apexes(&self) -> impl Iterator<Item = &DnsName> {
        self.apexes.iter()
    }

    /// Make every query for `owner` time out.
    pub fn insert_timeout(&mut self, owner: &str) {
        if let Ok(owner) = DnsName::parse(owner) {
            self.timeouts.insert(owner);
        }
    }

    /// Number of owner names holding records.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Records at exactly `name`, or from a matching wildcard (RFC 4592) when `name` does not exist.
    fn records_at(&self, name: &DnsName) -> Option<&[RrSet]> {
        if let Some(records) = self.names.get(name) {
            return Some(records);
        }
        if self.ancestors.contains(name) {
            return Some(&[]);
        }
        // Closest encloser's wildcard.
        let mut rest = name.parent();
        while let Some(parent) = rest.filter(|p| !p.is_root()) {
            if self.names.contains_key(&parent) || self.ancestors.contains(&parent) {
                let wildcard = parent.child(b"*").ok()?;
                return self.names.get(&wildcard).map(|sets| &sets[..]);
            }
            rest = parent.parent();
        }
        None
    }

    /// Answer (name, type) as a recursive resolver would, following CNAMEs across zones.
    /// Text that is not a name is [`FailureKind::InvalidName`].
    pub fn lookup(&self, name: &str, rtype: RecordType) -> Answer {
        match DnsName::parse(name) {
            Ok(name) => self.lookup_name(&name, rtype),
            Err(_) => Answer::Failure(DnsFailure::zones(FailureKind::InvalidName)),
        }
    }

    /// [`ZoneSet::lookup`] of a name already parsed.
    pub fn lookup_name(&self, name: &DnsName, rtype: RecordType) -> Answer {
        let mut current = name.clone();
        let mut seen: Vec<DnsName> = Vec::new();
        loop {
            if self.timeouts.contains(&current) {
                return Answer::Failure(DnsFailure::zones(FailureKind::Timeout));
            }
            let Some(records) = self.records_at(&current) else {
                // Past a CNAME the alias exists: see [`Answer::NxDomain`].
                return if seen.is_empty() {
                    Answer::NxDomain
                } else {
                    Answer::NoData
                };
            };
            if let Some(set) = records.iter().find(|set| set.rtype == rtype) {
                return Answer::Records(Arc::clone(&set.records));
            }
            let cname = records
                .iter()
                .filter(|_| rtype != RecordType::Cname)
                .find(|set| set.rtype == RecordType::Cname)
                .and_then(|set| match set.records.first() {
                    Some(Rdata::Cname(target)) => DnsName::parse(target).ok(),
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
