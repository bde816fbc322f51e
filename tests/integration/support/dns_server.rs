//! An authoritative DNS server on 127.0.0.1 (UDP and TCP, one port) for tests.
//!
//! Zone files are read with mailaudit's own reader and served by hickory-server's
//! `InMemoryZoneHandler`, so live answers come from an independent DNS implementation. A
//! wrapping request handler counts every request and can make names misbehave.
//!
//! ```ignore
//! mod support;
//! let server = support::dns_server::start(&[Path::new("fixtures/zones/dns/example.com.zone")]).await;
//! let resolver = Resolver::live(server.live_config()).unwrap();
//! ```

use hickory_server::Server;
use hickory_server::net::runtime::{Time, TokioRuntimeProvider};
use hickory_server::proto::op::{Header, HeaderCounts, Metadata, ResponseCode};
use hickory_server::proto::rr::rdata::{A, AAAA, CNAME, MX, NS, NULL, PTR, SOA, TXT};
use hickory_server::proto::rr::{LowerName, Name, RData, Record, RecordSet, RecordType, RrKey};
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::store::in_memory::InMemoryZoneHandler;
use hickory_server::zone_handler::{
    AxfrPolicy, Catalog, MessageResponseBuilder, ZoneHandler, ZoneType,
};
use mailaudit::dns::{self, LiveConfig, Rdata, ZoneData, ZoneRecord};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::{TcpListener, UdpSocket};

type Zone = InMemoryZoneHandler<TokioRuntimeProvider>;

/// A running server; it stops when dropped.
pub struct TestDnsServer {
    addr: SocketAddr,
    state: Arc<State>,
    zones: Vec<(Name, Arc<Zone>)>,
    _server: Server<Handler>,
}

#[derive(Default)]
struct State {
    total: AtomicUsize,
    tcp: AtomicUsize,
    /// (lower-case name without trailing dot, type code) -> requests.
    per_query: Mutex<HashMap<(String, u16), usize>>,
    servfail: Mutex<HashSet<String>>,
    /// Answer every query with SERVFAIL.
    servfail_all: std::sync::atomic::AtomicBool,
    silent: Mutex<HashSet<String>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

struct Handler {
    catalog: Catalog,
    state: Arc<State>,
}

#[async_trait::async_trait]
impl RequestHandler for Handler {
    async fn handle_request<R: ResponseHandler, T: Time>(
        &self,
        request: &Request,
        mut response_handle: R,
    ) -> ResponseInfo {
        let state = &self.state;
        state.total.fetch_add(1, Ordering::SeqCst);
        if request.protocol().is_stream() {
            state.tcp.fetch_add(1, Ordering::SeqCst);
        }
        let query = request
            .queries
            .queries()
            .first()
            .map(|q| (wire_name(&Name::from(q.name())), u16::from(q.query_type())));
        if let Some(key) = &query {
            *lock(&state.per_query).entry(key.clone()).or_default() += 1;
        }
        let name = query.map(|(name, _)| name).unwrap_or_default();
        if lock(&state.silent).contains(&name) {
            // Never answer: the client must time out.
            return ResponseInfo::from(Header {
                metadata: Metadata::response_from_request(&request.metadata),
                counts: HeaderCounts::default(),
            });
        }
        if state.servfail_all.load(Ordering::SeqCst) || lock(&state.servfail).contains(&name) {
            let response = MessageResponseBuilder::from_message_request(request)
                .error_msg(&request.metadata, ResponseCode::ServFail);
            if let Ok(info) = response_handle.send_response(response).await {
                return info;
            }
            return ResponseInfo::from(Header {
                metadata: Metadata::response_from_request(&request.metadata),
                counts: HeaderCounts::default(),
            });
        }
        self.catalog
            .handle_request::<R, T>(request, response_handle)
            .await
    }
}

/// Serve `zone_files` authoritatively on 127.0.0.1, UDP and TCP on the same free port.
pub async fn start(zone_files: &[&Path]) -> TestDnsServer {
    let mut records = Vec::new();
    for file in zone_files {
        match dns::read_zone_file(file) {
            Ok(r) => records.extend(r),
            Err(e) => panic!("test zone {}: {e}", file.display()),
        }
    }
    let zones = build_zones(&records);
    let mut catalog = Catalog::new();
    for (origin, zone) in &zones {
        let handler: Arc<dyn ZoneHandler> = zone.clone();
        catalog.upsert(LowerName::new(origin), vec![handler]);
    }
    let state = Arc::new(State::default());

    // Bind UDP on port 0, then TCP on the same port (retry if that port is taken for TCP).
    let (udp, tcp) = {
        let mut bound = None;
        for _ in 0..20 {
            let udp = UdpSocket::bind("127.0.0.1:0").await.expect("bind udp");
            let addr = udp.local_addr().expect("udp addr");
            if let Ok(tcp) = TcpListener::bind(addr).await {
                bound = Some((udp, tcp));
                break;
            }
        }
        bound.expect("no port free for both UDP and TCP")
    };
    let addr = udp.local_addr().expect("udp addr");
    let mut server = Server::new(Handler {
        catalog,
        state: state.clone(),
    });
    server.register_socket(udp);
    server.register_listener(tcp, Duration::from_secs(5), 64);
    TestDnsServer {
        addr,
        state,
        zones,
        _server: server,
    }
}

impl TestDnsServer {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A live-resolver configuration pointed at this server only, one try per query.
    pub fn live_config(&self) -> LiveConfig {
        LiveConfig {
            nameservers: vec![self.addr],
            timeout: Duration::from_secs(3),
            attempts: 1,
        }
    }

    /// Requests received so far (UDP and TCP, answered or not).
    pub fn query_count(&self) -> usize {
        self.state.total.load(Ordering::SeqCst)
    }

    /// Requests received over TCP so far.
    pub fn tcp_query_count(&self) -> usize {
        self.state.tcp.load(Ordering::SeqCst)
    }

    /// Requests received for one (name, type).
    pub fn queries_for(&self, name: &str, rtype: dns::RecordType) -> usize {
        let key = (dns::normalize_name(name), type_code(rtype));
        lock(&self.state.per_query).get(&key).copied().unwrap_or(0)
    }

    /// Distinct (name, type code) pairs asked so far.
    pub fn distinct_queries(&self) -> usize {
        lock(&self.state.per_query).len()
    }

    /// The (name, type code) pairs asked more than once, with their counts.
    pub fn repeated_queries(&self) -> Vec<(String, u16, usize)> {
        let mut repeated: Vec<(String, u16, usize)> = lock(&self.state.per_query)
            .iter()
            .filter(|(_, n)| **n > 1)
            .map(|((name, t), n)| (name.clone(), *t, *n))
            .collect();
        repeated.sort();
        repeated
    }

    /// Answer every query for `name` with SERVFAIL.
    pub fn servfail(&self, name: &str) {
        lock(&self.state.servfail).insert(dns::normalize_name(name));
    }

    /// Answer every query, for any name, with SERVFAIL.
    pub fn servfail_everything(&self) {
        self.state.servfail_all.store(true, Ordering::SeqCst);
    }

    /// Never answer queries for `name`.
    pub fn never_answer(&self, name: &str) {
        lock(&self.state.silent).insert(dns::normalize_name(name));
    }

    /// Publish at `name` a TXT record of `count` 255-octet strings, too big for UDP; returns
    /// the strings. `name` must be inside a served zone.
    pub async fn huge_txt(&self, name: &str, count: usize) -> Vec<Vec<u8>> {
        let strings: Vec<Vec<u8>> = (0..count)
            .map(|i| {
                let c = b'a' + (i % 26) as u8;
                vec![c; 255]
            })
            .collect();
        let record = to_record(
            &dns::normalize_name(name),
            60,
            &ZoneData::Rdata(Rdata::Txt(strings.clone())),
        )
        .expect("huge TXT record");
        let zone = self
            .zones
            .iter()
            .filter(|(origin, _)| origin.zone_of(&record.name))
            .max_by_key(|(origin, _)| origin.num_labels())
            .map(|(_, zone)| zone.clone())
            .expect("huge_txt: name outside every served zone");
        assert!(zone.upsert(record, 2).await, "huge TXT not inserted");
        strings
    }
}

fn type_code(rtype: dns::RecordType) -> u16 {
    match rtype {
        dns::RecordType::A => 1,
        dns::RecordType::Ns => 2,
        dns::RecordType::Cname => 5,
        dns::RecordType::Soa => 6,
        dns::RecordType::Ptr => 12,
        dns::RecordType::Mx => 15,
        dns::RecordType::Txt => 16,
        dns::RecordType::Aaaa => 28,
        dns::RecordType::Spf => 99,
    }
}

/// A queried name as the library writes it ([`dns::DnsName::to_text`]).
fn wire_name(name: &Name) -> String {
    dns::DnsName::from_labels(name.iter()).map_or_else(|e| format!("<{e}>"), |n| n.to_text())
}

/// A name of our zone data, label octets as they are (hickory's text parsers refuse `foo:bar`).
fn name(text: &str) -> Name {
    if text.is_empty() {
        return Name::root();
    }
    let parsed = dns::DnsName::parse(text).unwrap_or_else(|e| panic!("test name {text:?}: {e}"));
    let mut name = Name::from_labels(parsed.labels()).expect("labels of a DnsName");
    name.set_fqdn(true);
    name
}

fn character_strings(strings: &[Vec<u8>]) -> Vec<u8> {
    let mut wire = Vec::new();
    for s in strings {
        wire.push(s.len() as u8);
        wire.extend_from_slice(s);
    }
    wire
}

/// A hickory record for one of ours; `None` for types we do not model.
fn to_record(owner: &str, ttl: u32, data: &ZoneData) -> Option<Record> {
    let rdata = match data {
        ZoneData::Soa(soa) => RData::SOA(SOA::new(
            name(&soa.mname),
            name(&soa.rname),
            soa.serial,
            soa.refresh as i32,
            soa.retry as i32,
            soa.expire as i32,
            soa.minimum,
        )),
        ZoneData::Other { .. } => return None,
        ZoneData::Rdata(rdata) => match rdata {
            Rdata::A(ip) => RData::A(A(*ip)),
            Rdata::Aaaa(ip) => RData::AAAA(AAAA(*ip)),
            Rdata::Mx {
                preference,
                exchange,
            } => RData::MX(MX::new(*preference, name(exchange))),
            Rdata::Txt(strings) => {
                RData::TXT(TXT::from_bytes(strings.iter().map(Vec::as_slice).collect()))
            }
            Rdata::Spf(strings) => RData::Unknown {
                code: RecordType::Unknown(99),
                rdata: NULL::with(character_strings(strings)),
            },
            Rdata::Ptr(target) => RData::PTR(PTR(name(target))),
            Rdata::Cname(target) => RData::CNAME(CNAME(name(target))),
            Rdata::Ns(target) => RData::NS(NS(name(target))),
            Rdata::Other(_) => return None,
        },
    };
    Some(Record::from_rdata(name(owner), ttl, rdata))
}

/// Group records into zones: one per SOA owner; records under no SOA get a zone (with a made-up
/// SOA) at their last two labels.
fn build_zones(records: &[ZoneRecord]) -> Vec<(Name, Arc<Zone>)> {
    let mut apexes: Vec<Name> = records
        .iter()
        .filter(|r| matches!(r.data, ZoneData::Soa(_)))
        .map(|r| name(&r.owner))
        .collect();
    let mut maps: HashMap<Name, BTreeMap<RrKey, RecordSet>> = HashMap::new();
    for r in records {
        let Some(record) = to_record(&r.owner, r.ttl, &r.data) else {
            continue;
        };
        let apex = match apexes
            .iter()
            .filter(|apex| apex.zone_of(&record.name))
            .max_by_key(|apex| apex.num_labels())
        {
            Some(apex) => apex.clone(),
            None => {
                let labels = record.name.num_labels();
                let apex = record.name.trim_to(labels.min(2) as usize);
                apexes.push(apex.clone());
                apex
            }
        };
        let key = RrKey::new(LowerName::new(&record.name), record.record_type());
        let map = maps.entry(apex).or_default();
        match map.get_mut(&key) {
            Some(set) => {
                set.insert(record, 0);
            }
            None => {
                map.insert(key, RecordSet::from(record));
            }
        }
    }
    // An empty root zone answers NXDOMAIN for every name outside the served zones, as the
    // offline zone files and a recursive resolver do, instead of REFUSED (the RFC 9989 tree
    // walk asks up to the single-label name, `_dmarc.test`).
    apexes.push(Name::root());
    let mut zones = Vec::new();
    apexes.sort();
    apexes.dedup();
    for apex in apexes {
        let mut map = maps.remove(&apex).unwrap_or_default();
        let soa_key = RrKey::new(LowerName::new(&apex), RecordType::SOA);
        map.entry(soa_key).or_insert_with(|| {
            let soa = SOA::new(
                Name::from_ascii("ns.invalid.").expect("ns name"),
                Name::from_ascii("hostmaster.invalid.").expect("rname"),
                1,
                3600,
                600,
                86400,
                60,
            );
            RecordSet::from(Record::from_rdata(apex.clone(), 60, RData::SOA(soa)))
        });
        let zone = Zone::new(apex.clone(), map, ZoneType::Primary, AxfrPolicy::Deny)
            .unwrap_or_else(|e| panic!("zone {apex}: {e}"));
        zones.push((apex, Arc::new(zone)));
    }
    zones
}
