//! `mailaudit domain`, `mailaudit spf` and `mailaudit check` give the same answers over live
//! DNS (an in-process server on 127.0.0.1 serving the fixture zones) as offline from the same
//! zone files.

use crate::support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Every owner name of the SPF rule fixtures that publishes something, plus the demo domains.
fn fixture_domains() -> Vec<String> {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/zones/spf-rules.zone"),
    )
    .unwrap();
    let mut domains: Vec<String> = text
        .lines()
        .filter(|l| l.contains(" IN TXT") && !l.starts_with(';'))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| !name.starts_with('_') && !name.contains('.'))
        .map(|name| format!("{name}.fixtures.test"))
        .collect();
    domains.extend(["acme-mail.example".into(), "news.acme-mail.example".into()]);
    domains.push("nonexistent.fixtures.test".into());
    domains.sort();
    domains.dedup();
    domains
}

fn run(args: &[String]) -> (i32, Value) {
    let output = Command::new(env!("CARGO_BIN_EXE_mailaudit"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let json: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("invalid JSON ({e}); stderr: {stderr}"));
    (output.status.code().unwrap_or(-1), json)
}

/// Exit status and report of `base` run with the `live` arguments, then with the `offline`
/// ones.
pub(crate) async fn run_live_and_offline(
    base: &[String],
    live: &[String],
    offline: &[String],
) -> ((i32, Value), (i32, Value)) {
    let live_args = [base, live].concat();
    let offline_args = [base, offline].concat();
    let live = tokio::task::spawn_blocking(move || run(&live_args))
        .await
        .unwrap();
    let offline = tokio::task::spawn_blocking(move || run(&offline_args))
        .await
        .unwrap();
    (live, offline)
}

/// The report without its mode, which is the one thing that must differ.
pub(crate) fn without_mode(mut report: Value) -> Value {
    report.as_object_mut().unwrap().remove("mode");
    report
}

fn offline_args(zones: &[PathBuf]) -> Vec<String> {
    zones
        .iter()
        .flat_map(|z| ["--zone".to_string(), z.display().to_string()])
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn domain_and_spf_agree_live_and_offline() {
    let zones = support::fixture_zone_files();
    let zone_refs: Vec<&Path> = zones.iter().map(PathBuf::as_path).collect();
    let server = support::dns_server::start(&zone_refs).await;
    let live = vec![
        "--nameserver".to_string(),
        server.addr().to_string(),
        "--timeout".to_string(),
        "3".to_string(),
    ];
    let offline = offline_args(&zones);
    let domains = fixture_domains();
    assert!(domains.len() > 20, "{domains:?}");

    let mut base = vec!["domain".to_string(), "--format".into(), "json".into()];
    base.extend(["--ip".into(), "192.0.2.25".into()]);
    base.extend(domains.iter().cloned());
    let ((live_status, live_report), (offline_status, offline_report)) =
        run_live_and_offline(&base, &live, &offline).await;
    assert_eq!(live_report["mode"]["dns"], "live");
    assert_eq!(offline_report["mode"]["dns"], "offline");
    assert_eq!(live_report["summary"]["targets"], domains.len());
    assert_eq!(
        without_mode(live_report),
        without_mode(offline_report),
        "live and offline domain reports differ"
    );
    assert_eq!(live_status, offline_status);

    for (domain, ip) in [
        ("acme-mail.example", "192.0.2.200"),
        ("acme-mail.example", "203.0.113.99"),
        ("news.acme-mail.example", "192.0.2.200"),
        ("news.acme-mail.example", "198.18.0.1"),
        ("good.fixtures.test", "2001:db8::1"),
        ("loop-a.fixtures.test", "192.0.2.1"),
        ("void.fixtures.test", "192.0.2.1"),
    ] {
        let base: Vec<String> = ["spf", domain, "--ip", ip, "--format", "json"]
            .map(String::from)
            .to_vec();
        let ((_, live_report), (_, offline_report)) =
            run_live_and_offline(&base, &live, &offline).await;
        assert!(live_report["results"][0]["result"].is_string());
        assert_eq!(
            without_mode(live_report),
            without_mode(offline_report),
            "spf {domain} --ip {ip}"
        );
    }
    assert!(server.query_count() > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_campaign_checks_the_same_live_and_offline() {
    let zones = support::fixture_zone_files();
    let zone_refs: Vec<&Path> = zones.iter().map(PathBuf::as_path).collect();
    let server = support::dns_server::start(&zone_refs).await;
    let campaign = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/campaign/campaign.toml")
        .display()
        .to_string();
    // Offline from the campaign's own `zones`; live when --nameserver replaces them.
    let offline: Vec<String> = ["check", campaign.as_str(), "--format", "json"]
        .map(String::from)
        .to_vec();
    let mut live = offline.clone();
    live.extend(["--nameserver".into(), server.addr().to_string()]);
    let (offline_status, offline_report) = tokio::task::spawn_blocking(move || run(&offline))
        .await
        .unwrap();
    let (live_status, live_report) = tokio::task::spawn_blocking(move || run(&live))
        .await
        .unwrap();
    assert_eq!(offline_report["mode"]["dns"], "offline");
    assert_eq!(live_report["mode"]["dns"], "live");
    let campaign_result = offline_report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "campaign")
        .expect("a campaign result");
    assert_eq!(campaign_result["result"], "pass");
    assert_eq!(
        without_mode(live_report),
        without_mode(offline_report),
        "live and offline campaign reports differ"
    );
    assert_eq!((live_status, offline_status), (1, 1));
    assert!(server.query_count() > 0);
}

/// `v=spf1 mx a:nx1 a:nx2 -all` whose only MX host has no address: three void lookups and
/// permerror over live DNS too (RFC 7208 §4.6.4; pyspf agrees), in check_host() and the audit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mx_host_without_an_address_is_a_void_lookup_live() {
    let dir = tempfile::tempdir().unwrap();
    let zone = dir.path().join("void-mx.zone");
    std::fs::write(
        &zone,
        "void-mx.example. 300 IN SOA ns.void-mx.example. hostmaster.void-mx.example. 1 3600 600 86400 300\n\
         void-mx.example. 300 IN MX 10 mx.void-mx.example.\n\
         void-mx.example. 300 IN TXT \"v=spf1 mx a:nx1.void-mx.example a:nx2.void-mx.example -all\"\n\
         mx.void-mx.example. 300 IN TXT \"exists, no address\"\n",
    )
    .unwrap();
    let server = support::dns_server::start(&[zone.as_path()]).await;
    let live: Vec<String> = ["--nameserver", &server.addr().to_string(), "--timeout", "3"]
        .map(String::from)
        .to_vec();
    let spf: Vec<String> = [
        "spf",
        "void-mx.example",
        "--ip",
        "192.0.2.1",
        "--format",
        "json",
    ]
    .map(String::from)
    .to_vec();
    let args = [spf, live.clone()].concat();
    let (status, report) = tokio::task::spawn_blocking(move || run(&args))
        .await
        .unwrap();
    assert_eq!(status, 1);
    let result = &report["results"][0];
    assert_eq!(result["result"], "permerror", "{result}");
    assert_eq!(result["facts"]["void_lookups"], 3, "{result}");
    assert_eq!(
        server.queries_for("mx.void-mx.example", mailaudit::dns::RecordType::A),
        1
    );

    let domain: Vec<String> = ["domain", "void-mx.example", "--format", "json"]
        .map(String::from)
        .to_vec();
    let args = [domain, live].concat();
    let (_, report) = tokio::task::spawn_blocking(move || run(&args))
        .await
        .unwrap();
    let text = report.to_string();
    assert!(text.contains("spf/void-lookup-limit"), "{text}");
}
