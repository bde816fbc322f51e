//! DNS facts: one resolver abstraction over live DNS and zone files, with answers that keep
//! NXDOMAIN, "no data" and failure apart all the way to the findings.

mod zones;

pub use zones::ZoneSet;

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

/// The record types the audits ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecordType {
    A,
    Aaaa,
    Mx,
    Txt,
    Ptr,
    Cname,
    Ns,
    Soa,
    /// Type 99, the deprecated SPF RR (RFC 7208 §3.1).
    Spf,
}

impl RecordType {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordType::A => "A",
            RecordType::Aaaa => "AAAA",
            RecordType::Mx => "MX",
            RecordType::Txt => "TXT",
            RecordType::Ptr => "PTR",
            RecordType::Cname => "CNAME",
            RecordType::Ns => "NS",
            RecordType::Soa => "SOA",
            RecordType::Spf => "SPF",
        }
    }
}

impl fmt::Display for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One resource record's data. Names are lower-case, without the trailing dot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rdata {
    A(Ipv4Addr),
    Aaaa(Ipv6Addr),
    Mx {
        preference: u16,
        exchange: String,
    },
    /// The character-strings of a TXT record, as published (not joined).
    Txt(Vec<Vec<u8>>),
    /// The character-strings of a type-99 SPF record.
    Spf(Vec<Vec<u8>>),
    Ptr(String),
    Cname(String),
    Ns(String),
    /// SOA and anything else we keep only to know that the name exists.
    Other(RecordType),
}

impl Rdata {
    pub fn record_type(&self) -> RecordType {
        match self {
            Rdata::A(_) => RecordType::A,
            Rdata::Aaaa(_) => RecordType::Aaaa,
            Rdata::Mx { .. } => RecordType::Mx,
            Rdata::Txt(_) => RecordType::Txt,
            Rdata::Spf(_) => RecordType::Spf,
            Rdata::Ptr(_) => RecordType::Ptr,
            Rdata::Cname(_) => RecordType::Cname,
            Rdata::Ns(_) => RecordType::Ns,
            Rdata::Other(t) => *t,
        }
    }

    /// The character-strings of a TXT record joined without separators (RFC 7208 §3.3).
    pub fn txt_joined(&self) -> Option<Vec<u8>> {
        match self {
            Rdata::Txt(strings) | Rdata::Spf(strings) => Some(strings.concat()),
            _ => None,
        }
    }
}

/// Why a query gave no usable answer. Never to be reported as "record missing".
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DnsFailure {
    Timeout,
    ServFail,
    Refused,
    CnameLoop,
    /// The name is not a valid DNS name (label over 63 octets, empty label, ...).
    InvalidName,
    Other(String),
}

impl fmt::Display for DnsFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DnsFailure::Timeout => f.write_str("timed out"),
            DnsFailure::ServFail => f.write_str("SERVFAIL"),
            DnsFailure::Refused => f.write_str("REFUSED"),
            DnsFailure::CnameLoop => f.write_str("CNAME loop"),
            DnsFailure::InvalidName => f.write_str("invalid domain name"),
            DnsFailure::Other(s) => write!(f, "{s}"),
        }
    }
}

/// The answer to one (name, type) query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// At least one record of the asked type (after following CNAMEs).
    Records(Arc<[Rdata]>),
    /// The name does not exist.
    NxDomain,
    /// The name exists but has no record of this type.
    NoData,
    /// The query could not be answered (timeout, SERVFAIL, loop).
    Failure(DnsFailure),
}

impl Answer {
    pub fn records(&self) -> &[Rdata] {
        match self {
            Answer::Records(r) => r,
            _ => &[],
        }
    }

    /// NXDOMAIN or no data: what RFC 7208 §4.6.4 calls a void lookup.
    pub fn is_void(&self) -> bool {
        matches!(self, Answer::NxDomain | Answer::NoData)
    }

    pub fn is_failure(&self) -> bool {
        matches!(self, Answer::Failure(_))
    }
}

/// Canonical form of a domain name: lower-case ASCII, no trailing dot.
pub fn normalize_name(name: &str) -> String {
    let trimmed = name.strip_suffix('.').unwrap_or(name);
    trimmed.to_ascii_lowercase()
}

/// Whether `name` is a syntactically valid DNS name for a query (RFC 1035 §2.3.4 sizes).
pub fn is_valid_query_name(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.is_empty() || name.len() > 253 {
        return false;
    }
    name.split('.').all(|l| !l.is_empty() && l.len() <= 63)
}

enum Backend {
    Zones(ZoneSet),
}

struct Inner {
    backend: Backend,
}

/// The one resolver every audit goes through. Cheap to clone; clones share state.
#[derive(Clone)]
pub struct Resolver {
    inner: Arc<Inner>,
}

impl Resolver {
    /// A resolver that answers from zone data only (offline).
    pub fn offline(zones: ZoneSet) -> Resolver {
        Resolver {
            inner: Arc::new(Inner {
                backend: Backend::Zones(zones),
            }),
        }
    }

    /// Whether answers come from zone files rather than the network.
    pub fn is_offline(&self) -> bool {
        matches!(self.inner.backend, Backend::Zones(_))
    }

    /// Ask one question. Never panics; every outcome is an [`Answer`].
    pub async fn lookup(&self, name: &str, rtype: RecordType) -> Answer {
        if !is_valid_query_name(name) {
            return Answer::Failure(DnsFailure::InvalidName);
        }
        let name = normalize_name(name);
        match &self.inner.backend {
            Backend::Zones(zones) => zones.lookup(&name, rtype),
        }
    }
}
