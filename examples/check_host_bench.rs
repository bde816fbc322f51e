//! `check_host()` throughput over the generated corpus, as `../shared/bench/peer-pyspf`
//! measures pyspf: every domain of `manifest.json` checked once with its sending IP, MAIL FROM
//! and HELO, against the local DNS server (live path) or the corpus zone files (offline).
//!
//!     ../shared/bench/gen-corpus && ../shared/bench/dns-serve start && ../shared/bench/dns-serve flush
//!     cargo run --release --example check_host_bench -- [--corpus DIR] [--nameserver ADDR:PORT | --offline] [--concurrency N]
//!
//! Prints checks/s (wall time of the checks, resolver setup excluded), the results by kind and
//! the DNS queries sent. A measurement, not a test (SPEC §7).

use mailaudit::dns::{LiveConfig, Resolver, ZoneSet};
use mailaudit::spf::{CheckHostInput, CheckHostOptions, check_host};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut corpus = PathBuf::from("target/bench-corpus");
    let mut nameserver: SocketAddr = "127.0.0.1:5353".parse()?;
    let mut offline = false;
    let mut concurrency = 64usize;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--corpus" => corpus = args.next().ok_or("--corpus needs a directory")?.into(),
            "--nameserver" => {
                nameserver = args.next().ok_or("--nameserver needs ADDR:PORT")?.parse()?
            }
            "--offline" => offline = true,
            "--concurrency" => {
                concurrency = args.next().ok_or("--concurrency needs N")?.parse()?;
            }
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    if !nameserver.ip().is_loopback() {
        return Err("the benchmark only talks to loopback servers".into());
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(corpus.join("manifest.json"))?)?;
    let mut inputs = Vec::new();
    for domain in manifest["domains"]
        .as_array()
        .ok_or("manifest without domains")?
    {
        let (Some(name), Some(ip)) = (domain["name"].as_str(), domain["sending_ip"].as_str())
        else {
            continue;
        };
        inputs.push(CheckHostInput {
            ip: ip.parse()?,
            domain: name.to_string(),
            sender: domain["mail_from"].as_str().unwrap_or_default().to_string(),
            helo: domain["helo"].as_str().unwrap_or(name).to_string(),
        });
    }

    let resolver = if offline {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(corpus.join("zones"))? {
            files.push(entry?.path());
        }
        files.sort();
        Resolver::offline(ZoneSet::load_files(&files)?)
    } else {
        Resolver::live(LiveConfig {
            nameservers: vec![nameserver],
            timeout: Duration::from_secs(5),
            ..LiveConfig::default()
        })?
    };
    let runtime = tokio::runtime::Runtime::new()?;
    let started = Instant::now();
    let results = runtime.block_on(async {
        let mut pending = inputs.into_iter();
        let mut running = tokio::task::JoinSet::new();
        let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
        loop {
            while running.len() < concurrency {
                let Some(input) = pending.next() else { break };
                let resolver = resolver.clone();
                running.spawn(async move {
                    check_host(&resolver, &input, &CheckHostOptions::default())
                        .await
                        .result
                        .as_str()
                });
            }
            match running.join_next().await {
                Some(done) => *counts.entry(done.unwrap_or("panicked")).or_default() += 1,
                None => break,
            }
        }
        counts
    });
    let elapsed = started.elapsed().as_secs_f64();
    let checks: usize = results.values().sum();
    println!(
        "check_host: {checks} checks in {elapsed:.3} s = {:.0} checks/s ({}; concurrency {concurrency})",
        checks as f64 / elapsed,
        if offline {
            "offline".to_string()
        } else {
            format!("live via {nameserver}")
        }
    );
    println!("results: {results:?}");
    println!("resolver: {:?}", resolver.stats());
    Ok(())
}
