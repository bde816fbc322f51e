//! A bulk domain audit over live DNS sends each (name, type) question at most once: the run's
//! cache and in-flight merging cover every domain, so a shared include is fetched once.

#[path = "integration/support/mod.rs"]
mod support;

use mailaudit::dns::Resolver;
use mailaudit::domain::{DomainRequest, audit_domains};
use mailaudit::rules::Rules;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Every name that owns a record in the fixture zones: audited as if each were a sending domain.
fn owner_names(resolver_zones: &[PathBuf]) -> Vec<String> {
    let mut names = Vec::new();
    for zone in resolver_zones {
        for record in mailaudit::dns::read_zone_file(zone).unwrap() {
            if !record.owner.starts_with('_') && !record.owner.contains("._") {
                names.push(record.owner);
            }
        }
    }
    names.sort();
    names.dedup();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_question_is_sent_once_per_run() {
    let zones = support::fixture_zone_files();
    let refs: Vec<&Path> = zones.iter().map(PathBuf::as_path).collect();
    let server = support::dns_server::start(&refs).await;
    let resolver = Resolver::live(server.live_config()).unwrap();
    let rules = Arc::new(Rules::builtin().unwrap());
    let domains = owner_names(&zones);
    assert!(domains.len() > 40, "{}", domains.len());
    // Two passes over the same list, 16 at a time: the second must be answered from the cache.
    let requests = domains.iter().chain(domains.iter()).map(|d| DomainRequest {
        domain: d.clone(),
        ips: vec!["192.0.2.25".parse().unwrap()],
        ..DomainRequest::default()
    });
    let mut audited = 0;
    audit_domains(&resolver, &rules, requests, 16, |audit| {
        assert!(audit.is_ok());
        audited += 1;
        Ok::<(), ()>(())
    })
    .await
    .unwrap();
    assert_eq!(audited, 2 * domains.len());
    let stats = resolver.stats();
    assert!(stats.cache_hits + stats.merged_in_flight > 0);
    assert_eq!(
        server.repeated_queries(),
        vec![],
        "questions asked more than once"
    );
    assert_eq!(server.query_count(), server.distinct_queries());
    assert_eq!(server.query_count() as u64, stats.queries_sent);
}

/// A CNAME loop across two zones, met from both ends at once, ends as a failure for both
/// (never a hang, never "missing").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_zone_cname_loop_met_from_both_ends_fails() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.zone");
    let b = dir.path().join("b.zone");
    std::fs::write(
        &a,
        "$ORIGIN a.test.\n@ 300 IN SOA ns hm 1 3600 600 86400 300\nx 300 IN CNAME x.b.test.\n",
    )
    .unwrap();
    std::fs::write(
        &b,
        "$ORIGIN b.test.\n@ 300 IN SOA ns hm 1 3600 600 86400 300\nx 300 IN CNAME x.a.test.\n",
    )
    .unwrap();
    let server = support::dns_server::start(&[a.as_path(), b.as_path()]).await;
    let mut config = server.live_config();
    config.timeout = std::time::Duration::from_millis(500);
    let resolver = Resolver::live(config).unwrap();
    let (one, two) = tokio::join!(
        resolver.lookup("x.a.test", mailaudit::dns::RecordType::Txt),
        resolver.lookup("x.b.test", mailaudit::dns::RecordType::Txt),
    );
    for answer in [one, two] {
        assert!(
            matches!(
                &answer,
                mailaudit::dns::Answer::Failure(f) if f.kind == mailaudit::dns::FailureKind::CnameLoop
            ),
            "{answer:?}"
        );
    }
}
