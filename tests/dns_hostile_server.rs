//! Hostile DNS servers scripted on 127.0.0.1 (hand-built datagrams, std sockets): one query
//! ends within one `--timeout` whatever the server does, and a UDP answer of any size is read
//! whole. A crate of its own: its timings must not share the CPU with the rest of the suite.

use mailaudit::dns::{Answer, DnsFailure, FailureKind, LiveConfig, Rdata, RecordType, Resolver};
use std::io::ErrorKind;
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The SPF record hidden among the filler of the oversized answer.
const SPF: &[u8] = b"v=spf1 ip4:192.0.2.10 -all";
/// Filler TXT records of the oversized answer, each one string of 240 octets.
const FILLER: usize = 24;

#[derive(Clone, Copy)]
enum Behaviour {
    /// Every UDP reply has TC=1; TCP accepts and never says a word.
    TruncatedThenSilentTcp,
    /// Every UDP reply has TC=1; TCP closes each connection at once.
    TruncatedThenClosedTcp,
    /// TXT questions get one answer of about 6,000 octets without TC; other types no data.
    OversizedAnswer,
}

/// A server on one port of 127.0.0.1, UDP and TCP; stops when dropped.
struct HostileServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    tcp_accepted: Arc<AtomicUsize>,
    threads: Vec<JoinHandle<()>>,
}

impl HostileServer {
    fn start(behaviour: Behaviour) -> HostileServer {
        // UDP and TCP on the same port number: another process may hold the TCP side.
        let (udp, tcp) = (0..20)
            .find_map(|_| {
                let udp = UdpSocket::bind("127.0.0.1:0").ok()?;
                let tcp = TcpListener::bind(udp.local_addr().ok()?).ok()?;
                Some((udp, tcp))
            })
            .expect("a free UDP and TCP port pair on 127.0.0.1");
        let addr = udp.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let tcp_accepted = Arc::new(AtomicUsize::new(0));
        udp.set_read_timeout(Some(Duration::from_millis(20)))
            .unwrap();
        tcp.set_nonblocking(true).unwrap();
        let udp_thread = {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || serve_udp(&udp, behaviour, &stop))
        };
        let tcp_thread = {
            let (stop, accepted) = (Arc::clone(&stop), Arc::clone(&tcp_accepted));
            std::thread::spawn(move || serve_tcp(&tcp, behaviour, &stop, &accepted))
        };
        HostileServer {
            addr,
            stop,
            tcp_accepted,
            threads: vec![udp_thread, tcp_thread],
        }
    }

    fn tcp_connections(&self) -> usize {
        self.tcp_accepted.load(Ordering::SeqCst)
    }
}

impl Drop for HostileServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

fn serve_udp(socket: &UdpSocket, behaviour: Behaviour, stop: &AtomicBool) {
    let mut buffer = vec![0u8; 65_535];
    while !stop.load(Ordering::SeqCst) {
        let (len, peer) = match socket.recv_from(&mut buffer) {
            Ok(received) => received,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => continue,
            Err(_) => return,
        };
        if let Some(reply) = reply(&buffer[..len], behaviour) {
            let _ = socket.send_to(&reply, peer);
        }
    }
}

fn serve_tcp(listener: &TcpListener, behaviour: Behaviour, stop: &AtomicBool, n: &AtomicUsize) {
    // Held open, unread and unanswered, until the server stops.
    let mut held: Vec<TcpStream> = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => {
                n.fetch_add(1, Ordering::SeqCst);
                match behaviour {
                    Behaviour::TruncatedThenClosedTcp => drop(stream),
                    _ => held.push(stream),
                }
            }
            Err(_) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
}

/// The end of the question section (header and one question) and the question's type.
fn question(query: &[u8]) -> Option<(usize, u16)> {
    let mut at = 12;
    loop {
        let len = usize::from(*query.get(at)?);
        if len == 0 {
            break;
        }
        at += 1 + len;
    }
    let end = at + 1 + 4;
    let qtype = u16::from_be_bytes([*query.get(at + 1)?, *query.get(at + 2)?]);
    (end <= query.len()).then_some((end, qtype))
}

/// One TXT record of one string, owned by the question's name (a pointer to offset 12).
fn txt_record(text: &[u8]) -> Vec<u8> {
    let mut record = vec![0xc0, 0x0c, 0, 16, 0, 1, 0, 0, 1, 44];
    record.extend_from_slice(&(text.len() as u16 + 1).to_be_bytes());
    record.push(text.len() as u8);
    record.extend_from_slice(text);
    record
}

/// The reply to `query`: its id and question echoed, no EDNS.
fn reply(query: &[u8], behaviour: Behaviour) -> Option<Vec<u8>> {
    let (end, qtype) = question(query)?;
    let mut answers = Vec::new();
    // QR, RD and RA; TC as well for the truncating servers.
    let flags: u16 = match behaviour {
        Behaviour::OversizedAnswer => {
            if qtype == 16 {
                answers.push(txt_record(SPF));
                for i in 0..FILLER {
                    answers.push(txt_record(&[b'a' + i as u8; 240]));
                }
            }
            0x8180
        }
        Behaviour::TruncatedThenSilentTcp | Behaviour::TruncatedThenClosedTcp => 0x8380,
    };
    let mut reply = query[..2].to_vec();
    reply.extend_from_slice(&flags.to_be_bytes());
    for count in [1, answers.len() as u16, 0, 0] {
        reply.extend_from_slice(&count.to_be_bytes());
    }
    reply.extend_from_slice(&query[12..end]);
    reply.extend(answers.concat());
    Some(reply)
}

/// Ask `server` for the TXT records of example.com; the answer and how long it took.
async fn ask_txt(server: &HostileServer, timeout: Duration) -> (Answer, Duration) {
    let live = Resolver::live(LiveConfig {
        nameservers: vec![server.addr],
        timeout,
        attempts: 2,
    })
    .unwrap();
    let started = Instant::now();
    let answer = live.lookup("example.com", RecordType::Txt).await;
    (answer, started.elapsed())
}

/// Run the binary; exit status, stdout and the wall time.
fn mailaudit(args: &[&str]) -> (i32, String, Duration) {
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_mailaudit"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    (output.status.code().unwrap_or(-1), stdout, elapsed)
}

/// The budget of the timing tests: long enough that a loaded machine (the tests of this
/// crate run side by side, a debug binary starts slowly) stays far inside the slack below.
const BUDGET: Duration = Duration::from_secs(4);
/// The longest a query may take at [`BUDGET`]: one budget and 2.5 s of slack, well short of
/// the two budgets (8 s) a TCP retry with a fresh timeout took.
const WITHIN_ONE_BUDGET: Duration = Duration::from_millis(6_500);

#[tokio::test]
async fn truncated_answer_and_silent_tcp_time_out_within_one_budget() {
    let server = HostileServer::start(Behaviour::TruncatedThenSilentTcp);
    let (answer, elapsed) = ask_txt(&server, BUDGET).await;
    assert_eq!(
        answer,
        Answer::Failure(DnsFailure::server(FailureKind::Timeout, server.addr))
    );
    assert!(elapsed < WITHIN_ONE_BUDGET, "{elapsed:?}");
    // The retry did go to TCP: the budget ended it, not a skipped fallback.
    assert!(server.tcp_connections() >= 1);
}

#[test]
fn spf_and_domain_end_within_one_timeout_when_tcp_is_silent() {
    let server = HostileServer::start(Behaviour::TruncatedThenSilentTcp);
    let ns = server.addr.to_string();
    let timeout = BUDGET.as_secs().to_string();
    let common = ["--nameserver", ns.as_str(), "--timeout", timeout.as_str()];
    let spf = [&["spf", "example.com", "--ip", "192.0.2.10"], &common[..]].concat();
    let (status, stdout, elapsed) = mailaudit(&spf);
    assert_eq!(status, 1, "{stdout}");
    assert!(elapsed < WITHIN_ONE_BUDGET, "{elapsed:?}");
    assert!(stdout.contains("error dns/inconclusive"), "{stdout}");
    assert!(
        stdout.contains("TXT lookup for example.com failed: timed out"),
        "{stdout}"
    );
    assert!(stdout.contains(&format!("DNS live via {ns}")), "{stdout}");

    // The domain audit's queries run side by side: the whole run is one budget too.
    let domain = [&["--format", "json", "domain", "example.com"], &common[..]].concat();
    let (status, json, elapsed) = mailaudit(&domain);
    assert_eq!(status, 1, "{json}");
    assert!(elapsed < WITHIN_ONE_BUDGET, "{elapsed:?}");
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let findings = report["results"][0]["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    for f in findings {
        assert_eq!(f["rule"], "dns/inconclusive", "{f}");
    }
    assert!(json.contains(&format!("{ns}: timed out")), "{json}");
}

#[tokio::test]
async fn truncated_answer_and_tcp_closed_at_once_fail_without_waiting() {
    let server = HostileServer::start(Behaviour::TruncatedThenClosedTcp);
    let (answer, elapsed) = ask_txt(&server, BUDGET).await;
    match &answer {
        Answer::Failure(f) => {
            assert_eq!(f.source, mailaudit::dns::FailureSource::Server(server.addr))
        }
        other => panic!("a closed connection is not an answer: {other:?}"),
    }
    assert!(elapsed < WITHIN_ONE_BUDGET, "{elapsed:?}");
    assert!(server.tcp_connections() >= 1);
}

#[tokio::test]
async fn an_answer_over_4096_octets_without_tc_is_read_whole() {
    let server = HostileServer::start(Behaviour::OversizedAnswer);
    let (answer, elapsed) = ask_txt(&server, Duration::from_secs(5)).await;
    let records = answer.records();
    assert_eq!(records.len(), 1 + FILLER, "{answer:?}");
    assert!(records.contains(&Rdata::Txt(vec![SPF.to_vec()])));
    // Answered over UDP at once: no wait for a timeout, no TCP.
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
    assert_eq!(server.tcp_connections(), 0);
}

#[test]
fn spf_reads_its_record_from_an_answer_over_4096_octets() {
    let server = HostileServer::start(Behaviour::OversizedAnswer);
    let ns = server.addr.to_string();
    let (status, stdout, _) = mailaudit(&[
        "spf",
        "example.com",
        "--ip",
        "192.0.2.10",
        "--nameserver",
        &ns,
        "--timeout",
        "5",
    ]);
    assert_eq!(status, 0, "{stdout}");
    assert!(stdout.contains("result: pass"), "{stdout}");
    assert!(!stdout.contains("timed out"), "{stdout}");
    assert_eq!(server.tcp_connections(), 0);
}
