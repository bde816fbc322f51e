//! Live DNS through hickory-resolver's name-server pool, mapped to [`Answer`].
//!
//! We drive `NameServerPool` (UDP, retried over TCP on truncation) rather than `TokioResolver`:
//! the pool hands back whole responses, so NXDOMAIN, no data and failures stay apart without
//! guessing from error kinds, hickory's own cache is not in the way (ours is in front), and
//! CNAME chains are followed here with loop detection like the zone backend.

use super::udp::{UdpError, UdpTransport};
use super::zonefile::character_strings;
use super::zones::MAX_CNAME_CHAIN;
use super::{Answer, DnsFailure, DnsName, FailureKind, Rdata, RecordType};
use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ProtocolConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::xfer::{DnsHandle, RetryDnsHandle};
use hickory_resolver::net::{DnsError as WireError, NetError};
use hickory_resolver::proto::op::{DnsRequestOptions, DnsResponse, Message, Query, ResponseCode};
use hickory_resolver::proto::rr::{Name, RData, RecordType as WireType};
use hickory_resolver::{NameServerPool, PoolContext, TlsConfig};
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::time::Instant;

/// EDNS buffer size (DNS flag day 2020); larger answers come back truncated and go over TCP.
const EDNS_PAYLOAD: u16 = 1232;
const DEFAULT_PORT: u16 = 53;

/// How to reach live DNS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveConfig {
    /// Recursive resolvers to ask, in order; empty means the system configuration.
    pub nameservers: Vec<SocketAddr>,
    /// Time allowed for one query to each server asked, UDP tries and TCP retry together.
    pub timeout: Duration,
    /// Tries per query, the first included (at least one is made).
    pub attempts: usize,
}

impl Default for LiveConfig {
    fn default() -> LiveConfig {
        LiveConfig {
            nameservers: Vec::new(),
            timeout: Duration::from_secs(5),
            attempts: 2,
        }
    }
}

/// Why a resolver could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum DnsError {
    #[error("invalid nameserver {0:?}: expected IP, IP:PORT or [IPv6]:PORT")]
    InvalidNameserver(String),
    #[error("cannot read the system DNS configuration: {0}")]
    SystemConfig(String),
    #[error("no nameserver configured")]
    NoNameservers,
    #[error("cannot set up the resolver: {0}")]
    Setup(String),
}

/// Parse a `--nameserver` value: `IP`, `IP:PORT`, `[IPv6]` or `[IPv6]:PORT` (default port 53).
pub fn parse_nameserver(s: &str) -> Result<SocketAddr, DnsError> {
    let s = s.trim();
    let invalid = || DnsError::InvalidNameserver(s.to_string());
    let addr = if let Ok(addr) = s.parse::<SocketAddr>() {
        addr
    } else if let Ok(ip) = s.parse::<IpAddr>() {
        SocketAddr::new(ip, DEFAULT_PORT)
    } else if let Some(inner) = s.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        let ip: Ipv6Addr = inner.parse().map_err(|_| invalid())?;
        SocketAddr::new(IpAddr::V6(ip), DEFAULT_PORT)
    } else {
        return Err(invalid());
    };
    if addr.port() == 0 {
        return Err(invalid());
    }
    Ok(addr)
}

type Handle = RetryDnsHandle<NameServerPool<TokioRuntimeProvider>>;

#[derive(Clone)]
pub(crate) struct LiveBackend {
    handle: Handle,
    /// The fast path: one lean UDP transport per server, asked in order.
    udp: Arc<[UdpTransport]>,
    attempts: usize,
    /// Time allowed for one query.
    pub(crate) timeout: Duration,
}

impl LiveBackend {
    pub(crate) fn new(config: &LiveConfig) -> Result<LiveBackend, DnsError> {
        let servers: Vec<NameServerConfig> = if config.nameservers.is_empty() {
            let (system, _) = hickory_resolver::system_conf::read_system_conf()
                .map_err(|e| DnsError::SystemConfig(e.to_string()))?;
            system.name_servers
        } else {
            config
                .nameservers
                .iter()
                .map(|addr| {
                    let mut udp = ConnectionConfig::udp();
                    udp.port = addr.port();
                    let mut tcp = ConnectionConfig::tcp();
                    tcp.port = addr.port();
                    NameServerConfig::new(addr.ip(), true, vec![udp, tcp])
                })
                .collect()
        };
        if servers.is_empty() {
            return Err(DnsError::NoNameservers);
        }
        let udp: Arc<[UdpTransport]> = servers
            .iter()
            .filter_map(|server| {
                let port = server
                    .connections
                    .iter()
                    .find(|c| matches!(c.protocol, ProtocolConfig::Udp))?
                    .port;
                Some(UdpTransport::new(
                    SocketAddr::new(server.ip, port),
                    EDNS_PAYLOAD,
                ))
            })
            .collect();

        let mut options = ResolverOpts::default();
        options.timeout = config.timeout;
        options.attempts = config.attempts.max(1);
        // One server at a time: parallel sends would double the queries a run makes.
        options.num_concurrent_reqs = 1;
        options.edns0 = true;
        options.edns_payload_len = EDNS_PAYLOAD;
        options.cache_size = 0;
        let tls = TlsConfig::new().map_err(|e| DnsError::Setup(e.to_string()))?;
        let context = Arc::new(PoolContext::new(options, tls));
        let pool = NameServerPool::from_config(servers, context, TokioRuntimeProvider::default());
        // RetryDnsHandle counts retries after the first try.
        let handle = RetryDnsHandle::new(pool, config.attempts.max(1) - 1);
        Ok(LiveBackend {
            handle,
            udp,
            attempts: config.attempts.max(1),
            timeout: config.timeout,
        })
    }

    /// Ask (name, type) once. A chain of CNAMEs inside the response is followed; when it ends
    /// on a name without records (an authoritative server answers with the CNAME only), the
    /// resolver asks for that name itself, through its cache. `sent` counts wire queries.
    pub(crate) async fn lookup_step(
        &self,
        name: &DnsName,
        rtype: RecordType,
        sent: &AtomicU64,
    ) -> LiveStep {
        let Some(qname) = wire_name(name) else {
            return LiveStep::Answer(Answer::Failure(DnsFailure::resolver(
                FailureKind::InvalidName,
            )));
        };
        // The failure to report when no server answers: the first server's own, unless it was
        // not asked (dead) and a later one was.
        let mut failure: Option<DnsFailure> = None;
        let mut over_tcp = None;
        for transport in self.udp.iter() {
            let server = transport.server();
            if transport.is_dead() {
                failure.get_or_insert(DnsFailure::server(FailureKind::ServerDead, server));
                continue;
            }
            // One budget per server asked: its UDP tries and the TCP retry after them share it.
            let deadline = Instant::now() + self.timeout;
            sent.fetch_add(1, Ordering::Relaxed);
            let kind = match transport
                .query(&qname, wire_type(rtype), self.timeout, self.attempts)
                .await
            {
                Ok(message) => return interpret(&message, name, rtype, server),
                Err(UdpError::Timeout) => FailureKind::Timeout,
                Err(UdpError::Refused) => FailureKind::Unreachable,
                // Truncated: the answer needs TCP, which hickory's client does.
                Err(UdpError::Truncated | UdpError::Io) => {
                    over_tcp = Some((server, deadline));
                    break;
                }
            };
            let asked = DnsFailure::server(kind, server);
            match &failure {
                Some(f) if f.kind != FailureKind::ServerDead => {}
                _ => failure = Some(asked),
            }
        }
        let Some((server, deadline)) = over_tcp else {
            return LiveStep::Answer(Answer::Failure(failure.unwrap_or_else(|| {
                DnsFailure::resolver(FailureKind::Other("no UDP nameserver".into()))
            })));
        };
        sent.fetch_add(1, Ordering::Relaxed);
        // hickory's own timeout is per connection and its retries each get one: only what is
        // left of this query's budget bounds them all.
        match tokio::time::timeout_at(deadline, self.query(qname, rtype)).await {
            Ok(Ok(response)) => interpret(&response, name, rtype, server),
            Ok(Err(error)) => LiveStep::Answer(map_error(&error, server)),
            Err(_) => LiveStep::Answer(Answer::Failure(DnsFailure::server(
                FailureKind::Timeout,
                server,
            ))),
        }
    }

    async fn query(&self, name: Name, rtype: RecordType) -> Result<DnsResponse, NetError> {
        let mut options = DnsRequestOptions::default();
        options.use_edns = true;
        options.edns_payload_len = EDNS_PAYLOAD;
        options.recursion_desired = true;
        let mut stream = self
            .handle
            .lookup(Query::query(name, wire_type(rtype)), options);
        futures_util::StreamExt::next(&mut stream)
            .await
            .unwrap_or(Err(NetError::Message("no response")))
    }
}

fn wire_type(rtype: RecordType) -> WireType {
    match rtype {
        RecordType::A => WireType::A,
        RecordType::Aaaa => WireType::AAAA,
        RecordType::Mx => WireType::MX,
        RecordType::Txt => WireType::TXT,
        RecordType::Ptr => WireType::PTR,
        RecordType::Cname => WireType::CNAME,
        RecordType::Ns => WireType::NS,
        RecordType::Soa => WireType::SOA,
        RecordType::Spf => WireType::Unknown(99),
    }
}

/// Turn a response into an answer, or into the alias its CNAME chain ends at.
fn interpret(message: &Message, name: &DnsName, rtype: RecordType, server: SocketAddr) -> LiveStep {
    let code = message.metadata.response_code;
    let failed = |kind| LiveStep::Answer(Answer::Failure(DnsFailure::server(kind, server)));
    match code {
        ResponseCode::NoError | ResponseCode::NXDomain => {}
        ResponseCode::ServFail => return failed(FailureKind::ServFail),
        ResponseCode::Refused => return failed(FailureKind::Refused),
        other => return failed(FailureKind::Other(format!("server answered {other}"))),
    }
    let mut seen = vec![name.clone()];
    LiveStep::Answer(match follow(message, name, rtype, &mut seen) {
        Chain::Found(records) => Answer::Records(Arc::from(records)),
        Chain::Loop => Answer::Failure(DnsFailure::server(FailureKind::CnameLoop, server)),
        // RFC 6604 §3: the code speaks of the last name in the chain; an alias before it
        // exists (it owns the CNAME), so only the name asked can be NXDOMAIN.
        Chain::End(end) if code == ResponseCode::NXDomain && end == *name => Answer::NxDomain,
        Chain::End(_) if code == ResponseCode::NXDomain => Answer::NoData,
        Chain::End(end) if end == *name => Answer::NoData,
        Chain::End(end) => return LiveStep::Alias(end),
    })
}

/// What one wire query gave.
pub(crate) enum LiveStep {
    Answer(Answer),
    /// The answer is an alias for this name, whose records were not in the response.
    Alias(DnsName),
}

enum Chain {
    Found(Vec<Rdata>),
    Loop,
    /// The chain inside this response ends at this name without records of the type.
    End(DnsName),
}

/// Walk the answer section from `start` through CNAMEs to records of `rtype`.
fn follow(
    response: &Message,
    start: &DnsName,
    rtype: RecordType,
    seen: &mut Vec<DnsName>,
) -> Chain {
    let want = u16::from(wire_type(rtype));
    // An owner that is not a name (it cannot be, off the wire) matches nothing.
    let answers: Vec<(Option<DnsName>, &RData)> = response
        .answers
        .iter()
        .map(|r| (our_name(&r.name), &r.data))
        .collect();
    let mut current = start.clone();
    let at = |owner: &Option<DnsName>, current: &DnsName| owner.as_ref() == Some(current);
    loop {
        let records: Vec<Rdata> = answers
            .iter()
            .filter(|(owner, data)| at(owner, &current) && u16::from(data.record_type()) == want)
            .filter_map(|(_, data)| convert(data))
            .collect();
        if !records.is_empty() {
            return Chain::Found(records);
        }
        let target = if rtype == RecordType::Cname {
            None
        } else {
            answers.iter().find_map(|(owner, data)| match data {
                RData::CNAME(target) if at(owner, &current) => our_name(&target.0),
                _ => None,
            })
        };
        match target {
            Some(target) => {
                if seen.contains(&target) || seen.len() > MAX_CNAME_CHAIN {
                    return Chain::Loop;
                }
                seen.push(target.clone());
                current = target;
            }
            None => return Chain::End(current),
        }
    }
}

/// The query name on the wire: the labels' octets as they are (hickory's text parsers refuse
/// or re-encode `foo:bar`; real servers answer it).
fn wire_name(name: &DnsName) -> Option<Name> {
    let mut wire = Name::from_labels(name.labels()).ok()?;
    wire.set_fqdn(true);
    Some(wire)
}

/// A name off the wire as ours: its labels' octets, whatever they hold.
fn our_name(name: &Name) -> Option<DnsName> {
    DnsName::from_labels(name.iter()).ok()
}

/// A name in a record's data, as [`Rdata`] holds it ([`DnsName::to_text`]).
fn name_text(name: &Name) -> String {
    our_name(name).map(|n| n.to_text()).unwrap_or_default()
}

fn convert(data: &RData) -> Option<Rdata> {
    Some(match data {
        RData::A(a) => Rdata::A(a.0),
        RData::AAAA(a) => Rdata::Aaaa(a.0),
        RData::MX(mx) => Rdata::Mx {
            preference: mx.preference,
            exchange: name_text(&mx.exchange),
        },
        RData::TXT(txt) => Rdata::Txt(txt.txt_data.iter().map(|s| s.to_vec()).collect()),
        RData::PTR(ptr) => Rdata::Ptr(name_text(&ptr.0)),
        RData::CNAME(cname) => Rdata::Cname(name_text(&cname.0)),
        RData::NS(ns) => Rdata::Ns(name_text(&ns.0)),
        RData::SOA(_) => Rdata::Other(RecordType::Soa),
        RData::Unknown { code, rdata } if u16::from(*code) == 99 => {
            Rdata::Spf(character_strings(&rdata.anything)?)
        }
        _ => return None,
    })
}

fn map_error(error: &NetError, server: SocketAddr) -> Answer {
    let code_failure = |code: ResponseCode| {
        DnsFailure::server(
            match code {
                ResponseCode::ServFail => FailureKind::ServFail,
                ResponseCode::Refused => FailureKind::Refused,
                other => FailureKind::Other(format!("server answered {other}")),
            },
            server,
        )
    };
    match error {
        // hickory reports empty NXDOMAIN and NOERROR answers as this one error kind.
        NetError::Dns(WireError::NoRecordsFound(no_records)) => match no_records.response_code {
            ResponseCode::NXDomain => Answer::NxDomain,
            ResponseCode::NoError => Answer::NoData,
            other => Answer::Failure(code_failure(other)),
        },
        NetError::Dns(WireError::ResponseCode(code)) => Answer::Failure(code_failure(*code)),
        NetError::Timeout => Answer::Failure(DnsFailure::server(FailureKind::Timeout, server)),
        other => Answer::Failure(DnsFailure::server(
            FailureKind::Other(other.to_string()),
            server,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nameserver_forms() {
        assert_eq!(
            parse_nameserver("192.0.2.1").unwrap(),
            "192.0.2.1:53".parse().unwrap()
        );
        assert_eq!(
            parse_nameserver("192.0.2.1:5353").unwrap(),
            "192.0.2.1:5353".parse().unwrap()
        );
        assert_eq!(
            parse_nameserver("[2001:db8::1]").unwrap(),
            "[2001:db8::1]:53".parse().unwrap()
        );
        assert_eq!(
            parse_nameserver("[2001:db8::1]:5300").unwrap(),
            "[2001:db8::1]:5300".parse().unwrap()
        );
        assert_eq!(
            parse_nameserver("2001:db8::1").unwrap(),
            "[2001:db8::1]:53".parse().unwrap()
        );
        for bad in [
            "",
            "example.com",
            "1.2.3.4:",
            "1.2.3.4:0",
            "[::1",
            "1.2.3.4:99999",
        ] {
            assert!(parse_nameserver(bad).is_err(), "{bad}");
        }
    }
}
