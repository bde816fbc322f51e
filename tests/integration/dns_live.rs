//! The live resolver against an in-process authoritative server, compared with the offline
//! resolver on the same zone files; failures, truncation and the per-run cache.

use crate::support;

use mailaudit::dns::{
    Answer, DEAD_AFTER, DnsFailure, FailureKind, FailureSource, LiveConfig, Rdata, RecordType,
    Resolver, ZoneSet,
};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use support::dns_server::{self, TestDnsServer};

const ZONES: [&str; 4] = [
    "example.com.zone",
    "example.net.zone",
    "2.0.192.in-addr.arpa.zone",
    "absolute.zone",
];

fn zone_paths() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/zones/dns");
    ZONES.iter().map(|z| dir.join(z)).collect()
}

async fn server() -> TestDnsServer {
    let paths = zone_paths();
    let refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
    dns_server::start(&refs).await
}

/// The kind of failure an answer is, if it is one.
fn failure_kind(answer: &Answer) -> Option<FailureKind> {
    match answer {
        Answer::Failure(f) => Some(f.kind.clone()),
        _ => None,
    }
}

fn live(server: &TestDnsServer) -> Resolver {
    Resolver::live(server.live_config()).expect("live resolver")
}

/// Record order within an RRset is not significant, nor who gave a failure (the server live,
/// the zone files offline).
fn sorted(answer: Answer) -> Answer {
    match answer {
        Answer::Failure(f) => Answer::Failure(DnsFailure::resolver(f.kind)),
        Answer::Records(records) => {
            let mut records = records.to_vec();
            records.sort_by_key(|r| format!("{r:?}"));
            Answer::Records(records.into())
        }
        other => other,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_and_offline_answer_alike() {
    let server = server().await;
    let live = live(&server);
    let offline = Resolver::offline(ZoneSet::load_files(&zone_paths()).expect("zones"));

    let cases: &[(&str, RecordType)] = &[
        ("example.com", RecordType::A),
        ("example.com", RecordType::Aaaa),
        ("MAIL.Example.COM.", RecordType::Aaaa),
        ("example.com", RecordType::Mx),
        ("example.com", RecordType::Txt),
        ("example.com", RecordType::Ns),
        ("example.com", RecordType::Soa),
        ("sel1._domainkey.example.com", RecordType::Txt),
        ("escaped.example.com", RecordType::Txt),
        ("old.example.com", RecordType::Spf),
        ("25.2.0.192.in-addr.arpa", RecordType::Ptr),
        ("nope.example.com", RecordType::A),
        ("mail.example.com", RecordType::Txt),
        ("b.ent.example.com", RecordType::A),
        ("alias.example.com", RecordType::A),
        ("alias.example.com", RecordType::Txt),
        ("alias.example.com", RecordType::Cname),
        ("chain.example.com", RecordType::A),
        ("loop1.example.com", RecordType::A),
        ("dangling.example.com", RecordType::Txt),
        ("dangling-out.example.com", RecordType::Txt),
        ("anything.wild.example.com", RecordType::Txt),
        ("www.example.org", RecordType::A),
        ("example.org", RecordType::Mx),
    ];
    for (name, rtype) in cases {
        let from_zones = sorted(offline.lookup(name, *rtype).await);
        let from_wire = sorted(live.lookup(name, *rtype).await);
        assert_eq!(from_wire, from_zones, "{name} {rtype}");
    }

    // Spot-check that the comparison is about real data.
    let txt = live.lookup("example.com", RecordType::Txt).await;
    assert_eq!(
        txt.records(),
        [Rdata::Txt(vec![
            b"v=spf1 ip4:192.0.2.0/24 ".to_vec(),
            b"include:_spf.example.net -all".to_vec()
        ])]
    );
    let escaped = live.lookup("escaped.example.com", RecordType::Txt).await;
    assert_eq!(
        escaped.records(),
        [Rdata::Txt(vec![
            "semi;colon \"quoted\" café".as_bytes().to_vec(),
            b"\xffraw".to_vec()
        ])]
    );
    assert_eq!(
        live.lookup("chain.example.com", RecordType::A)
            .await
            .records(),
        [Rdata::A("198.51.100.7".parse().unwrap())]
    );
    assert_eq!(
        live.lookup("nope.example.com", RecordType::A).await,
        Answer::NxDomain
    );
    assert_eq!(
        live.lookup("b.ent.example.com", RecordType::A).await,
        Answer::NoData
    );
    // RFC 6604 §3: the NXDOMAIN of a CNAME chain is the last name's; the alias exists, so
    // its answer is NoData, whether the server follows the chain (same zone) or we do.
    for alias in ["dangling.example.com", "dangling-out.example.com"] {
        assert_eq!(
            live.lookup(alias, RecordType::Txt).await,
            Answer::NoData,
            "{alias}"
        );
    }
    assert_eq!(
        live.lookup("nowhere.example.net", RecordType::Txt).await,
        Answer::NxDomain
    );
    assert_eq!(
        failure_kind(&live.lookup("loop1.example.com", RecordType::Txt).await),
        Some(FailureKind::CnameLoop)
    );
    assert_eq!(
        live.lookup("example.org", RecordType::Mx).await.records(),
        [Rdata::Mx {
            preference: 0,
            exchange: String::new()
        }]
    );
}

#[tokio::test]
async fn cname_to_another_zone_is_asked_for_separately() {
    let server = server().await;
    let live = live(&server);
    let answer = live.lookup("alias.example.com", RecordType::A).await;
    assert_eq!(
        answer.records(),
        [Rdata::A("198.51.100.7".parse().unwrap())]
    );
    assert_eq!(server.queries_for("alias.example.com", RecordType::A), 1);
    assert_eq!(server.queries_for("host.example.net", RecordType::A), 1);
    assert_eq!(live.stats().queries_sent, 2);
}

#[tokio::test]
async fn servfail_is_a_failure_and_not_kept() {
    let server = server().await;
    server.servfail("mail.example.com");
    let live = live(&server);
    for round in 1..=2 {
        assert_eq!(
            live.lookup("mail.example.com", RecordType::A).await,
            Answer::Failure(DnsFailure::server(FailureKind::ServFail, server.addr()))
        );
        // The second lookup goes to the server again.
        assert_eq!(server.queries_for("mail.example.com", RecordType::A), round);
    }
    assert_eq!(live.stats().queries_sent, 2);
    assert_eq!(live.stats().cache_hits, 0);
}

#[tokio::test]
async fn silence_is_a_timeout_not_nxdomain() {
    let server = server().await;
    server.never_answer("example.com");
    let live = Resolver::live(LiveConfig {
        timeout: Duration::from_millis(400),
        ..server.live_config()
    })
    .unwrap();
    assert_eq!(
        live.lookup("example.com", RecordType::Txt).await,
        Answer::Failure(DnsFailure::server(FailureKind::Timeout, server.addr()))
    );
    assert!(server.queries_for("example.com", RecordType::Txt) >= 1);
}

#[tokio::test]
async fn truncated_udp_answer_is_fetched_over_tcp() {
    let server = server().await;
    let strings = server.huge_txt("big.example.com", 20).await;
    let live = live(&server);
    let answer = live.lookup("big.example.com", RecordType::Txt).await;
    assert_eq!(answer.records(), [Rdata::Txt(strings)]);
    assert!(server.tcp_query_count() >= 1, "no TCP query");
    assert!(server.query_count() >= 2, "expected UDP then TCP");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identical_lookups_share_one_query() {
    let server = server().await;
    let live = live(&server);
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let resolver = live.clone();
        tasks.push(tokio::spawn(async move {
            resolver.lookup("example.com", RecordType::Mx).await
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap().records().len(), 2);
    }
    assert_eq!(server.queries_for("example.com", RecordType::Mx), 1);
    let stats = live.stats();
    assert_eq!(stats.queries_sent, 1);
    assert_eq!(stats.cache_hits + stats.merged_in_flight, 49);

    // Later lookups, by any clone, are answered from the cache; another type is a new query.
    live.clone().lookup("EXAMPLE.com.", RecordType::Mx).await;
    live.lookup("example.com", RecordType::Txt).await;
    assert_eq!(server.queries_for("example.com", RecordType::Mx), 1);
    assert_eq!(live.stats().queries_sent, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_failures_are_merged_too() {
    let server = server().await;
    // A query that hangs until the timeout keeps the first lookup in flight long enough
    // for the other nine to join it, however busy the machine is.
    server.never_answer("example.net");
    let mut config = server.live_config();
    config.timeout = Duration::from_millis(800);
    config.attempts = 1;
    let live = Resolver::live(config).unwrap();
    let lookups = (0..10).map(|_| {
        let resolver = live.clone();
        tokio::spawn(async move { resolver.lookup("example.net", RecordType::Txt).await })
    });
    for task in lookups.collect::<Vec<_>>() {
        assert!(task.await.unwrap().is_failure());
    }
    // Waiters share the failure of the query in flight; it is not kept afterwards.
    assert_eq!(server.queries_for("example.net", RecordType::Txt), 1);
    assert_eq!(live.stats().queries_sent, 1);
    assert!(
        live.lookup("example.net", RecordType::Txt)
            .await
            .is_failure()
    );
    assert_eq!(server.queries_for("example.net", RecordType::Txt), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backend_concurrency_is_bounded() {
    let server = server().await;
    server.never_answer("a.example.com");
    server.never_answer("b.example.com");
    let timeout = Duration::from_millis(300);
    let live = Resolver::live(LiveConfig {
        timeout,
        ..server.live_config()
    })
    .unwrap()
    .with_concurrency(1);
    let started = Instant::now();
    let (a, b) = tokio::join!(
        live.lookup("a.example.com", RecordType::A),
        live.lookup("b.example.com", RecordType::A)
    );
    assert!(a.is_failure() && b.is_failure());
    // One at a time: the second waited for the first to time out.
    assert!(started.elapsed() >= timeout * 2, "{:?}", started.elapsed());
}

#[tokio::test]
async fn invalid_names_are_not_sent() {
    let server = server().await;
    let live = live(&server);
    let long_label = format!("{}.example.com", "a".repeat(64));
    for name in ["", "a..example.com", long_label.as_str()] {
        assert_eq!(
            live.lookup(name, RecordType::A).await,
            Answer::Failure(DnsFailure::resolver(FailureKind::InvalidName))
        );
    }
    assert_eq!(server.query_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_lookup_does_not_strand_the_next() {
    let server = server().await;
    server.never_answer("example.com");
    let live = Resolver::live(LiveConfig {
        timeout: Duration::from_millis(300),
        ..server.live_config()
    })
    .unwrap();
    let first = {
        let live = live.clone();
        tokio::spawn(async move { live.lookup("example.com", RecordType::A).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    first.abort();
    // The waiter takes the query over instead of waiting forever.
    assert_eq!(
        live.lookup("example.com", RecordType::A).await,
        Answer::Failure(DnsFailure::server(FailureKind::Timeout, server.addr()))
    );
    assert_eq!(live.stats().queries_sent, 2);
}

/// A UDP port on 127.0.0.1 that receives and never answers: the real timeout case.
fn silent_socket() -> (std::net::UdpSocket, SocketAddr) {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
    let addr = socket.local_addr().unwrap();
    (socket, addr)
}

/// A port on 127.0.0.1 where nothing listens (bound, then closed).
fn closed_port() -> SocketAddr {
    let (socket, addr) = silent_socket();
    drop(socket);
    addr
}

fn resolver_at(servers: Vec<SocketAddr>) -> Resolver {
    Resolver::live(LiveConfig {
        nameservers: servers,
        timeout: Duration::from_millis(300),
        attempts: 1,
    })
    .unwrap()
}

#[tokio::test]
async fn a_server_that_never_answers_is_judged_dead_and_not_asked_again() {
    let (_socket, addr) = silent_socket();
    let live = resolver_at(vec![addr]);
    for i in 0..DEAD_AFTER {
        let answer = live.lookup(&format!("n{i}.example"), RecordType::Txt).await;
        assert_eq!(
            answer,
            Answer::Failure(DnsFailure::server(FailureKind::Timeout, addr))
        );
    }
    assert_eq!(live.stats().queries_sent, u64::from(DEAD_AFTER));
    // Judged dead: the remaining queries fail at once, saying so, and are not sent.
    let started = Instant::now();
    for i in 0..50 {
        let answer = live.lookup(&format!("m{i}.example"), RecordType::A).await;
        assert_eq!(
            answer,
            Answer::Failure(DnsFailure::server(FailureKind::ServerDead, addr))
        );
    }
    assert!(started.elapsed() < Duration::from_millis(300));
    assert_eq!(live.stats().queries_sent, u64::from(DEAD_AFTER));
}

#[tokio::test]
async fn connection_refused_counts_as_no_answer() {
    let addr = closed_port();
    let live = resolver_at(vec![addr]);
    let first = live.lookup("example.com", RecordType::Txt).await;
    // ICMP port unreachable reaches the connected socket: refused, not a timeout.
    assert_eq!(failure_kind(&first), Some(FailureKind::Unreachable));
    for i in 1..DEAD_AFTER {
        live.lookup(&format!("n{i}.example"), RecordType::Txt).await;
    }
    assert_eq!(
        failure_kind(&live.lookup("last.example", RecordType::Txt).await),
        Some(FailureKind::ServerDead)
    );
    assert_eq!(live.stats().queries_sent, u64::from(DEAD_AFTER));
}

#[tokio::test]
async fn an_answer_resets_the_count() {
    let server = server().await;
    let live = Resolver::live(LiveConfig {
        timeout: Duration::from_millis(300),
        ..server.live_config()
    })
    .unwrap();
    // Timeouts interleaved with answers never reach DEAD_AFTER in a row.
    for round in 0..DEAD_AFTER * 2 {
        let silent = format!("n{round}.example.net");
        server.never_answer(&silent);
        let failed = live.lookup(&silent, RecordType::Txt).await;
        assert_eq!(failure_kind(&failed), Some(FailureKind::Timeout));
        let answered = live
            .lookup(&format!("n{round}.example.com"), RecordType::Txt)
            .await;
        assert!(!answered.is_failure(), "{answered:?}");
    }
    // SERVFAIL is an answer too: the server is alive.
    server.servfail_everything();
    for i in 0..DEAD_AFTER * 2 {
        let answer = live
            .lookup(&format!("s{i}.example.com"), RecordType::A)
            .await;
        assert_eq!(failure_kind(&answer), Some(FailureKind::ServFail));
    }
}

#[tokio::test]
async fn a_dead_server_is_skipped_for_the_next_one() {
    let server = server().await;
    let dead = closed_port();
    let live = resolver_at(vec![dead, server.addr()]);
    for _ in 0..DEAD_AFTER {
        // The first server refuses; the second answers.
        let answer = live.lookup("host.example.net", RecordType::A).await;
        assert_eq!(answer.records().len(), 1, "{answer:?}");
        // Answers are cached: ask a new name each round.
        live.lookup(
            &format!("x{}.example.com", live.stats().queries_sent),
            RecordType::A,
        )
        .await;
    }
    let before = live.stats().queries_sent;
    let answer = live.lookup("example.com", RecordType::Mx).await;
    assert_eq!(answer.records().len(), 2);
    // The dead server was not asked: one query, to the live one.
    assert_eq!(live.stats().queries_sent, before + 1);
}

#[tokio::test]
async fn every_server_dead_fails_at_once() {
    let (first, second) = (closed_port(), closed_port());
    let live = resolver_at(vec![first, second]);
    for i in 0..DEAD_AFTER {
        live.lookup(&format!("n{i}.example"), RecordType::Txt).await;
    }
    let sent = live.stats().queries_sent;
    assert_eq!(sent, u64::from(DEAD_AFTER) * 2);
    let answer = live.lookup("example.com", RecordType::Txt).await;
    match answer {
        Answer::Failure(f) => {
            assert_eq!(f.kind, FailureKind::ServerDead);
            assert_eq!(f.source, FailureSource::Server(first));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(live.stats().queries_sent, sent);
}

/// Run the binary in `dir`; exit status and stdout.
fn mailaudit(dir: &Path, args: &[String]) -> (i32, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_mailaudit"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servfail_for_everything_is_an_incomplete_audit_through_the_binary() {
    let server = server().await;
    server.servfail_everything();
    let ns = server.addr().to_string();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("campaign.toml"),
        "from = \"a@example.com\"\nenvelope_from = \"b@example.com\"\nsending_ips = [\"192.0.2.10\"]\ndkim_selector = \"sel1\"\n\n[[ignore]]\nrule = \"dkim/weak-key\"\ntarget = \"example.com\"\nreason = \"rolling the key (OPS-7)\"\n\n[[ignore]]\nrule = \"dmarc/policy-none\"\nreason = \"monitoring first\"\n",
    )
    .unwrap();
    let path = dir.path().to_path_buf();
    let args = |extra: &[&str]| -> Vec<String> {
        let mut args: Vec<String> = extra.iter().map(|a| a.to_string()).collect();
        args.extend([
            "--nameserver".into(),
            ns.clone(),
            "--timeout".into(),
            "3".into(),
        ]);
        args
    };
    let domain = args(&[
        "--format",
        "json",
        "domain",
        "example.com",
        "--ip",
        "192.0.2.10",
    ]);
    let check = args(&["check", "--fail-on", "error"]);
    let ((domain_status, json), (check_status, human)) =
        tokio::task::spawn_blocking(move || (mailaudit(&path, &domain), mailaudit(&path, &check)))
            .await
            .unwrap();

    // SERVFAIL is an answer: the server is not judged dead, every query is asked.
    assert_eq!(domain_status, 1, "{json}");
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let result = &report["results"][0];
    assert_eq!(result["facts"]["score"], serde_json::Value::Null);
    let findings = result["findings"].as_array().unwrap();
    let mut groups = Vec::new();
    for f in findings {
        assert_eq!(f["rule"], "dns/inconclusive", "{f}");
        if let Some(record) = f["evidence"]["record"].as_str() {
            // One finding per (server, failure) per target.
            assert!(!groups.contains(&record.to_string()), "{record} twice");
            groups.push(record.to_string());
        }
    }
    assert_eq!(groups, [format!("{ns}: SERVFAIL")], "{findings:#?}");
    let collapsed = findings
        .iter()
        .find(|f| f["evidence"]["record"].is_string())
        .unwrap();
    assert_eq!(collapsed["severity"], "error");
    assert!(collapsed["evidence"]["chain"].as_array().unwrap().len() > 20);
    assert!(
        collapsed["message"]
            .as_str()
            .unwrap()
            .contains(&format!("DNS queries failed ({ns}: SERVFAIL): ")),
        "{collapsed}"
    );
    // check_host() is temperror: nothing is claimed about the IP.
    assert!(!json.contains("spf/ip-not-permitted"));

    assert_eq!(check_status, 1, "{human}");
    assert!(human.contains("dmarc policy: unknown"), "{human}");
    assert!(!human.contains("none applies"), "{human}");
    assert!(!human.contains("config/unused-ignore"), "{human}");
    assert!(human.contains("score: incomplete ("), "{human}");
}
