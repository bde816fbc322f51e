//! DNS facts: one resolver abstraction over live DNS and zone files, with answers that keep
//! NXDOMAIN, "no data" and failure apart all the way to the findings.

pub mod bounded;
mod live;
mod name;
pub mod orgdomain;
pub mod rules;
mod udp;
mod zonefile;
mod zones;

pub use live::{DnsError, LiveConfig, parse_nameserver};
pub use name::{DnsName, Labels, MAX_LABEL_LEN, MAX_NAME_WIRE_LEN, NameError};
pub use zonefile::{
    Soa, ZoneData, ZoneFileError, ZoneRecord, ZoneSyntaxError, parse_zone, read_zone_file,
};
pub use zones::ZoneSet;

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::{OnceCell, Semaphore};

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

/// One resource record's data. Names are [`DnsName::to_text`]: presentation form, lower-case,
/// without the trailing dot, so [`Resolver::lookup`] finds the very octets the record holds.
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

/// What went wrong with a query that gave no usable answer. Never to be reported as "record
/// missing".
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum FailureKind {
    Timeout,
    ServFail,
    Refused,
    CnameLoop,
    /// The name is not a valid DNS name (label over 63 octets, empty label, ...).
    InvalidName,
    /// The server's host said nothing listens there (connection refused, ICMP unreachable).
    Unreachable,
    /// Not asked: the server had already failed [`DEAD_AFTER`] queries in a row with no
    /// answer, so it was judged dead for the rest of the run.
    ServerDead,
    Other(String),
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FailureKind::Timeout => f.write_str("timed out"),
            FailureKind::ServFail => f.write_str("SERVFAIL"),
            FailureKind::Refused => f.write_str("REFUSED"),
            FailureKind::CnameLoop => f.write_str("CNAME loop"),
            FailureKind::InvalidName => f.write_str("invalid domain name"),
            FailureKind::Unreachable => f.write_str("unreachable (connection refused)"),
            FailureKind::ServerDead => write!(
                f,
                "not asked: the server did not answer {DEAD_AFTER} queries in a row and is taken for dead"
            ),
            FailureKind::Other(s) => write!(f, "{s}"),
        }
    }
}

/// Who gave a failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FailureSource {
    /// The zone files of an offline run.
    Zones,
    /// A live DNS server.
    Server(SocketAddr),
    /// The resolver itself, before or between queries (an invalid name, a CNAME loop across
    /// queries).
    Resolver,
}

impl fmt::Display for FailureSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FailureSource::Zones => f.write_str("zone files"),
            FailureSource::Server(addr) => write!(f, "{addr}"),
            FailureSource::Resolver => f.write_str("resolver"),
        }
    }
}

/// Why a query gave no usable answer, and who said so. Displays as its kind.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DnsFailure {
    pub kind: FailureKind,
    pub source: FailureSource,
}

impl DnsFailure {
    /// A failure of the zone files (offline).
    pub fn zones(kind: FailureKind) -> DnsFailure {
        DnsFailure {
            kind,
            source: FailureSource::Zones,
        }
    }

    /// A failure of one live server.
    pub fn server(kind: FailureKind, server: SocketAddr) -> DnsFailure {
        DnsFailure {
            kind,
            source: FailureSource::Server(server),
        }
    }

    /// A failure the resolver found itself.
    pub fn resolver(kind: FailureKind) -> DnsFailure {
        DnsFailure {
            kind,
            source: FailureSource::Resolver,
        }
    }
}

impl fmt::Display for DnsFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.kind.fmt(f)
    }
}

/// A live server that failed this many queries in a row without an answer (timeouts,
/// connection refused) is judged dead: later queries to it fail at once
/// ([`FailureKind::ServerDead`]), so a run against a dead resolver ends within a few
/// timeouts. Any answer from the server, even an error code, resets its count.
pub const DEAD_AFTER: u32 = 4;

/// The answer to one (name, type) query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// At least one record of the asked type (after following CNAMEs).
    Records(Arc<[Rdata]>),
    /// The name asked does not exist. A CNAME chain that ends at a name that does not exist
    /// is [`Answer::NoData`]: the alias itself exists (it owns the CNAME), and RFC 6604 §3
    /// says the NXDOMAIN code speaks of the chain's last name only.
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

/// Whether `name` is a DNS name a query can ask for (RFC 1035 §2.3.4 sizes, counted in
/// octets after escapes; not the root).
pub fn is_valid_query_name(name: &str) -> bool {
    query_name(name).is_some()
}

/// The name a query for `name` asks about: `None` when it is not a name or is the root.
fn query_name(name: &str) -> Option<DnsName> {
    DnsName::parse(name).ok().filter(|n| !n.is_root())
}

/// Backend queries in flight at once unless [`Resolver::with_concurrency`] says otherwise.
pub const DEFAULT_CONCURRENCY: usize = 64;

/// What one backend query gave: an answer, or an alias to ask about next.
enum BackendStep {
    Answer(Answer),
    Alias(DnsName),
}

#[derive(Clone)]
enum Backend {
    Zones(ZoneSet),
    Live(live::LiveBackend),
}

/// What a resolver has done so far (all clones together).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ResolverStats {
    /// Queries the backend actually answered (wire queries for live DNS, CNAME hops included).
    pub queries_sent: u64,
    /// Lookups answered from the cache.
    pub cache_hits: u64,
    /// Lookups that waited for an identical query already in flight.
    pub merged_in_flight: u64,
}

type CacheKey = (DnsName, RecordType);

struct Inner {
    backend: Backend,
    /// How long a lookup reached through a CNAME waits for the same question in flight.
    chain_wait: Duration,
    /// One cell per (name, type); a cell being filled is a query in flight.
    cache: Mutex<HashMap<CacheKey, Arc<OnceCell<Answer>>>>,
    limiter: Semaphore,
    queries_sent: AtomicU64,
    cache_hits: AtomicU64,
    merged_in_flight: AtomicU64,
}

impl Inner {
    fn new(backend: Backend, concurrency: usize) -> Inner {
        let chain_wait = match &backend {
            Backend::Live(live) => live.timeout,
            Backend::Zones(_) => Duration::from_secs(1),
        };
        Inner {
            backend,
            chain_wait,
            cache: Mutex::new(HashMap::new()),
            limiter: Semaphore::new(concurrency.clamp(1, Semaphore::MAX_PERMITS)),
            queries_sent: AtomicU64::new(0),
            cache_hits: AtomicU64::new(0),
            merged_in_flight: AtomicU64::new(0),
        }
    }

    fn cache(&self) -> MutexGuard<'_, HashMap<CacheKey, Arc<OnceCell<Answer>>>> {
        // A panic elsewhere cannot leave the map half-updated: every operation is one call.
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn ask_backend(&self, name: &DnsName, rtype: RecordType) -> BackendStep {
        let Ok(_permit) = self.limiter.acquire().await else {
            return BackendStep::Answer(Answer::Failure(DnsFailure::resolver(FailureKind::Other(
                "resolver shut down".into(),
            ))));
        };
        match &self.backend {
            Backend::Zones(zones) => {
                self.queries_sent.fetch_add(1, Ordering::Relaxed);
                BackendStep::Answer(zones.lookup_name(name, rtype))
            }
            Backend::Live(live) => match live.lookup_step(name, rtype, &self.queries_sent).await {
                live::LiveStep::Answer(answer) => BackendStep::Answer(answer),
                live::LiveStep::Alias(target) => BackendStep::Alias(target),
            },
        }
    }
}

/// The one resolver every audit goes through. Cheap to clone; clones share state: one cache
/// per run, keyed by (name, type), in front of either backend.
#[derive(Clone)]
pub struct Resolver {
    inner: Arc<Inner>,
}

impl Resolver {
    /// A resolver that answers from zone data only (offline).
    pub fn offline(zones: ZoneSet) -> Resolver {
        Resolver {
            inner: Arc::new(Inner::new(Backend::Zones(zones), DEFAULT_CONCURRENCY)),
        }
    }

    /// A resolver that asks live DNS. Needs a Tokio runtime when queried, not when built.
    pub fn live(config: LiveConfig) -> Result<Resolver, DnsError> {
        let backend = live::LiveBackend::new(&config)?;
        Ok(Resolver {
            inner: Arc::new(Inner::new(Backend::Live(backend), DEFAULT_CONCURRENCY)),
        })
    }

    /// The same backend with at most `max_in_flight` backend queries at once, and a new,
    /// empty cache (call it before handing clones out).
    pub fn with_concurrency(self, max_in_flight: usize) -> Resolver {
        Resolver {
            inner: Arc::new(Inner::new(self.inner.backend.clone(), max_in_flight)),
        }
    }

    /// Whether answers come from zone files rather than the network.
    pub fn is_offline(&self) -> bool {
        matches!(self.inner.backend, Backend::Zones(_))
    }

    /// Counters for this resolver and all its clones.
    pub fn stats(&self) -> ResolverStats {
        ResolverStats {
            queries_sent: self.inner.queries_sent.load(Ordering::Relaxed),
            cache_hits: self.inner.cache_hits.load(Ordering::Relaxed),
            merged_in_flight: self.inner.merged_in_flight.load(Ordering::Relaxed),
        }
    }

    /// Ask one question. Never panics; every outcome is an [`Answer`].
    ///
    /// Answers are kept for the rest of the run; identical questions in flight share one
    /// backend query; failures are shared with those waiting but not kept, so a later asker
    /// tries again.
    ///
    /// `name` is presentation text (see [`DnsName`]): `foo:bar.example` and
    /// `foo\058bar.example` ask the same question.
    pub async fn lookup(&self, name: &str, rtype: RecordType) -> Answer {
        match query_name(name) {
            Some(name) => self.lookup_name(&name, rtype).await,
            None => Answer::Failure(DnsFailure::resolver(FailureKind::InvalidName)),
        }
    }

    /// [`Resolver::lookup`] of a name already parsed.
    pub async fn lookup_name(&self, name: &DnsName, rtype: RecordType) -> Answer {
        if name.is_root() {
            return Answer::Failure(DnsFailure::resolver(FailureKind::InvalidName));
        }
        // Zone data is already an in-memory map: a cache in front would only copy it.
        if let Backend::Zones(zones) = &self.inner.backend {
            self.inner.queries_sent.fetch_add(1, Ordering::Relaxed);
            return zones.lookup_name(name, rtype);
        }
        self.lookup_chain(name.clone(), rtype, Vec::new()).await
    }

    /// `chain` holds the names whose CNAMEs led here, so a loop ends as a failure. The
    /// target of a CNAME is asked through the cache like any other question, so a name that
    /// is both asked for and reached through an alias goes on the wire once.
    fn lookup_chain(
        &self,
        name: DnsName,
        rtype: RecordType,
        chain: Vec<DnsName>,
    ) -> Pin<Box<dyn Future<Output = Answer> + Send + '_>> {
        Box::pin(async move {
            if chain.contains(&name) || chain.len() > zones::MAX_CNAME_CHAIN {
                return Answer::Failure(DnsFailure::resolver(FailureKind::CnameLoop));
            }
            let key = (name, rtype);
            let cell = {
                let mut cache = self.inner.cache();
                match cache.get(&key) {
                    Some(cell) => {
                        let counter = if cell.initialized() {
                            &self.inner.cache_hits
                        } else {
                            &self.inner.merged_in_flight
                        };
                        counter.fetch_add(1, Ordering::Relaxed);
                        cell.clone()
                    }
                    None => {
                        let cell = Arc::new(OnceCell::new());
                        cache.insert(key.clone(), cell.clone());
                        cell
                    }
                }
            };
            let resolve = || async {
                match self.inner.ask_backend(&key.0, rtype).await {
                    BackendStep::Answer(answer) => answer,
                    BackendStep::Alias(target) => {
                        let mut chain = chain.clone();
                        chain.push(key.0.clone());
                        match self.lookup_chain(target, rtype, chain).await {
                            Answer::NxDomain => Answer::NoData,
                            answer => answer,
                        }
                    }
                }
            };
            // Waiting inside an alias chain could wait on a task that waits on us (a CNAME
            // loop across zones, met from both ends at once): give up waiting after the query
            // timeout and ask without the cache; the loop check then ends it.
            let answer = if chain.is_empty() || cell.initialized() {
                cell.get_or_init(resolve).await.clone()
            } else {
                match tokio::time::timeout(self.inner.chain_wait, cell.get_or_init(resolve)).await {
                    Ok(answer) => answer.clone(),
                    Err(_) => resolve().await,
                }
            };
            if answer.is_failure() {
                let mut cache = self.inner.cache();
                if cache.get(&key).is_some_and(|c| Arc::ptr_eq(c, &cell)) {
                    cache.remove(&key);
                }
            }
            answer
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn offline_answers_come_straight_from_the_zone_data() {
        // The cache sits in front of live DNS only (tests/integration/dns_live.rs covers it): zone data
        // is already in memory, and answers share its records instead of copying them.
        let mut zones = ZoneSet::new();
        zones.insert("example.com", Rdata::A(Ipv4Addr::new(192, 0, 2, 1)));
        zones.insert_timeout("slow.example.com");
        let resolver = Resolver::offline(zones);
        let clone = resolver.clone();
        let first = resolver.lookup("example.com", RecordType::A).await;
        let second = clone.lookup("Example.COM.", RecordType::A).await;
        match (&first, &second) {
            (Answer::Records(a), Answer::Records(b)) => assert!(Arc::ptr_eq(a, b)),
            other => panic!("expected records, got {other:?}"),
        }
        for _ in 0..2 {
            assert_eq!(
                resolver.lookup("slow.example.com", RecordType::A).await,
                Answer::Failure(DnsFailure::zones(FailureKind::Timeout))
            );
        }
        assert_eq!(
            resolver.stats(),
            ResolverStats {
                queries_sent: 4,
                cache_hits: 0,
                merged_in_flight: 0
            }
        );
    }

    #[test]
    fn live_resolver_builds_without_a_runtime() {
        let config = LiveConfig {
            nameservers: vec!["127.0.0.1:53".parse().unwrap()],
            ..LiveConfig::default()
        };
        let resolver = Resolver::live(config).unwrap();
        assert!(!resolver.is_offline());
        // The system configuration may be missing here; that is an error, not a panic.
        let _ = Resolver::live(LiveConfig::default());
    }
}
