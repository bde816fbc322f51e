//! RFC 9989 policy discovery (src/dmarc/discovery.rs): the DNS Tree Walk's queries (§4.10),
//! the Organizational Domain from the walk and the psd tag (§4.10.2), the record and tag
//! applied (§4.10.1), DNS failures as inconclusive, and the walk's query budget and shared
//! cache against the in-process DNS server. Each expectation cites the section it follows.

use crate::support;

use mailaudit::dmarc::discovery::{
    Found, MAX_QUERIES, OrgRule, Question, Stop, organizational_domain_rfc9989, walk_targets,
};
use mailaudit::dmarc::{
    Discovery, DiscoveryError, Policy, PolicySource, PolicyTag, audit_dmarc, discover_policy,
    same_organization_rfc9989, tree_walk,
};
use mailaudit::dns::orgdomain::organizational_domain;
use mailaudit::dns::{DnsName, FailureKind, Rdata, RecordType, Resolver, ZoneSet};
use mailaudit::rules::Rules;
use proptest::prelude::*;
use std::net::Ipv4Addr;
use std::path::Path;
use support::block_on;
use support::dns_server::{self, TestDnsServer};

fn n(name: &str) -> DnsName {
    DnsName::parse(name).unwrap()
}

fn names(list: &[&str]) -> Vec<DnsName> {
    list.iter().map(|s| n(s)).collect()
}

/// Zone data: TXT records (owner, text) and hosts that exist (an A record each).
fn zones(txt: &[(&str, &str)], hosts: &[&str]) -> ZoneSet {
    let mut zones = ZoneSet::new();
    for (owner, text) in txt {
        zones.insert(owner, Rdata::Txt(vec![text.as_bytes().to_vec()]));
    }
    for host in hosts {
        zones.insert(host, Rdata::A(Ipv4Addr::new(192, 0, 2, 1)));
    }
    zones
}

fn discover(zones: ZoneSet, author: &str) -> Result<Discovery, DiscoveryError> {
    block_on(discover_policy(&Resolver::offline(zones), author))
}

/// Discovery for `author`, which exists (an A record), under the TXT records `txt`.
fn existing(txt: &[(&str, &str)], author: &str) -> Discovery {
    discover(zones(txt, &[author]), author).unwrap()
}

fn asked(discovery: &Discovery) -> Vec<DnsName> {
    discovery
        .walk
        .levels
        .iter()
        .map(|l| l.domain.clone())
        .collect()
}

/// The walk asked the `_dmarc` names of exactly these domains, in this order.
fn assert_asked(discovery: &Discovery, domains: &[&str]) {
    assert_eq!(asked(discovery), names(domains));
}

#[test]
fn psd_n_on_a_subdomain_makes_it_the_organizational_domain_where_the_psl_says_otherwise() {
    // The acceptance scenario, with a real TLD so that the PSL has an answer.
    let txt = [
        ("_dmarc.sub.example.com", "v=DMARC1; p=quarantine; psd=n"),
        ("_dmarc.example.com", "v=DMARC1; p=reject"),
    ];
    let hosts = ["mail.sub.example.com"];
    let found = discover(zones(&txt, &hosts), "mail.sub.example.com").unwrap();
    // §4.10 step 6: a single record with psd=n stops the walk.
    assert_asked(&found, &["mail.sub.example.com", "sub.example.com"]);
    assert_eq!(found.walk.stop, Stop::PsdTag);
    // §4.10.2 rule 1: "psd=n, this is the Organizational Domain".
    assert_eq!(found.organizational_domain.domain, n("sub.example.com"));
    assert_eq!(found.organizational_domain.rule, OrgRule::PsdNo);
    // §4.10.1: no record at the Author Domain, so the Organizational Domain's applies; the
    // author exists, so sp applies, and without sp, p (§4.7 sp): quarantine.
    let applied = found.applied.expect("a policy applies");
    assert_eq!(applied.source, PolicySource::OrganizationalDomain);
    assert_eq!(applied.domain, n("sub.example.com"));
    assert_eq!(applied.tag, PolicyTag::Sp);
    assert_eq!(applied.read_from, PolicyTag::P);
    assert_eq!(applied.policy, Some(Policy::Quarantine));
    assert_eq!(found.author_exists, Some(true));

    // RFC 7489 (§3.2, the PSL) picks example.com and its reject.
    assert_eq!(
        organizational_domain("mail.sub.example.com").as_deref(),
        Some("example.com")
    );
    let legacy = block_on(audit_dmarc(
        &Resolver::offline(zones(&txt, &hosts)),
        &Rules::builtin().unwrap(),
        "mail.sub.example.com",
    ));
    assert_eq!(legacy.facts.source_domain.as_deref(), Some("example.com"));
    assert_eq!(legacy.facts.policy, Some(Policy::Reject));
}

#[test]
fn without_psd_both_models_pick_the_registered_domain() {
    let txt = [
        ("_dmarc.sub.example.com", "v=DMARC1; p=quarantine"),
        ("_dmarc.example.com", "v=DMARC1; p=reject"),
    ];
    let found = existing(&txt, "mail.sub.example.com");
    // §4.10 step 6 stops only at psd=y or psd=n: the walk goes on to the single label.
    assert_asked(
        &found,
        &[
            "mail.sub.example.com",
            "sub.example.com",
            "example.com",
            "com",
        ],
    );
    assert_eq!(found.walk.stop, Stop::Exhausted);
    // §4.10.2 rule 3: the record at the name with the fewest labels.
    assert_eq!(found.organizational_domain.domain, n("example.com"));
    assert_eq!(found.organizational_domain.rule, OrgRule::FewestLabels);
    // §4.10.1: the Organizational Domain's record, not sub.example.com's (which a walk that
    // applies the first record found, as checkdmarc does, would pick).
    let applied = found.applied.unwrap();
    assert_eq!(applied.domain, n("example.com"));
    assert_eq!(applied.policy, Some(Policy::Reject));
    assert_eq!(
        organizational_domain("mail.sub.example.com").as_deref(),
        Some("example.com")
    );
}

#[test]
fn walk_targets_jump_to_seven_labels_and_never_exceed_eight() {
    // §4.10's own example: 13 labels, eight queries.
    let rfc = walk_targets(&n("a.b.c.d.e.f.g.h.i.j.mail.example.com"));
    assert_eq!(
        rfc,
        names(&[
            "a.b.c.d.e.f.g.h.i.j.mail.example.com",
            "g.h.i.j.mail.example.com",
            "h.i.j.mail.example.com",
            "i.j.mail.example.com",
            "j.mail.example.com",
            "mail.example.com",
            "example.com",
            "com",
        ])
    );
    // 12 labels: the name, then its last 7 labels, then 6, 5, 4, 3, 2, 1: eight queries.
    let twelve = walk_targets(&n("b.c.d.e.f.g.h.i.j.mail.example.com"));
    assert_eq!(twelve.len(), 8);
    assert_eq!(twelve[1], n("g.h.i.j.mail.example.com"));
    // 7 labels: seven queries; 8 labels (§4.10 step 4, x >= 8: "until 7 labels remain", one
    // label less) and 9 labels (a jump of two): eight.
    assert_eq!(walk_targets(&n("i.j.k.mail.a.example.com")).len(), 7);
    assert_eq!(walk_targets(&n("h.i.j.k.mail.a.example.com")).len(), 8);
    let nine = walk_targets(&n("g.h.i.j.k.mail.a.example.com"));
    assert_eq!(nine.len(), 8);
    assert_eq!(nine[1], n("i.j.k.mail.a.example.com"));
    // Short names: one query per label, down to the single label.
    assert_eq!(
        walk_targets(&n("mail.example.com")),
        names(&["mail.example.com", "example.com", "com"])
    );
    assert_eq!(walk_targets(&n("test")), names(&["test"]));
    // Any length up to the DNS limit stays within the budget: 120 one-letter labels.
    let long: Vec<String> = (0..120u8)
        .map(|i| char::from(b'a' + i % 26).to_string())
        .collect();
    let long = n(&long.join("."));
    let targets = walk_targets(&long);
    assert_eq!(targets.len(), MAX_QUERIES);
    assert_eq!(targets[1].labels().count(), 7);
}

#[test]
fn a_zone_cut_deeper_than_seven_labels_is_never_seen() {
    // §5.1.8: the psd=n record at b.c.d.e.f.g.example.com "will never be discovered" from
    // mail.a.b.c.d.e.f.g.example.com; the walk asks the eight names the section lists.
    let txt = [
        ("_dmarc.b.c.d.e.f.g.example.com", "v=DMARC1; p=none; psd=n"),
        ("_dmarc.example.com", "v=DMARC1; p=reject"),
    ];
    let found = existing(&txt, "mail.a.b.c.d.e.f.g.example.com");
    assert_asked(
        &found,
        &[
            "mail.a.b.c.d.e.f.g.example.com",
            "c.d.e.f.g.example.com",
            "d.e.f.g.example.com",
            "e.f.g.example.com",
            "f.g.example.com",
            "g.example.com",
            "example.com",
            "com",
        ],
    );
    assert_eq!(found.organizational_domain.domain, n("example.com"));
    assert_eq!(found.applied.unwrap().policy, Some(Policy::Reject));
}

#[test]
fn records_at_several_levels_follow_section_4_10_2_examples() {
    // §4.10.2, first example: records at mail.example.com and example.com, none at
    // a.mail.example.com or com: the Organizational Domain is example.com.
    let txt = [
        ("_dmarc.mail.example.com", "v=DMARC1; p=none"),
        ("_dmarc.example.com", "v=DMARC1; p=reject; sp=quarantine"),
    ];
    let found = existing(&txt, "a.mail.example.com");
    assert_eq!(found.organizational_domain.domain, n("example.com"));
    // §4.10.1: Author Domain (none), then the Organizational Domain: example.com's sp.
    let applied = found.applied.unwrap();
    assert_eq!(applied.domain, n("example.com"));
    assert_eq!(
        (applied.tag, applied.read_from),
        (PolicyTag::Sp, PolicyTag::Sp)
    );
    assert_eq!(applied.policy, Some(Policy::Quarantine));

    // §4.10.1: a record at the Author Domain is the one applied, with p, "however, this does
    // not necessarily mean that the Author Domain is the Organizational Domain".
    let found = discover(zones(&txt, &[]), "mail.example.com").unwrap();
    let applied = found.applied.unwrap();
    assert_eq!(applied.source, PolicySource::AuthorDomain);
    assert_eq!(applied.tag, PolicyTag::P);
    assert_eq!(applied.policy, Some(Policy::None));
    assert_eq!(
        found.author_exists, None,
        "the author's own record needs no existence test"
    );
    assert_eq!(found.organizational_domain.domain, n("example.com"));

    // §4.10.2, second example: psd=n at mail.example.com makes it the Organizational Domain.
    let txt = [
        ("_dmarc.mail.example.com", "v=DMARC1; p=none; psd=n"),
        ("_dmarc.example.com", "v=DMARC1; p=reject"),
    ];
    let found = existing(&txt, "a.mail.example.com");
    assert_eq!(found.organizational_domain.domain, n("mail.example.com"));
    assert_eq!(found.applied.unwrap().policy, Some(Policy::None));
}

#[test]
fn psd_y_makes_the_domain_one_label_below_it_the_organizational_domain() {
    // §4.10.2, last example: only _dmarc.com, with psd=y: the Organizational Domain of
    // a.mail.example.com is example.com.
    let txt = [("_dmarc.com", "v=DMARC1; p=reject; sp=quarantine; psd=y")];
    let found = existing(&txt, "a.mail.example.com");
    assert_eq!(found.organizational_domain.domain, n("example.com"));
    assert_eq!(found.organizational_domain.rule, OrgRule::BelowPsd);
    assert_eq!(found.organizational_domain.psd, Some(n("com")));
    // §4.10.1: neither the Author Domain nor example.com publishes: the PSD's record, sp.
    let applied = found.applied.unwrap();
    assert_eq!(applied.source, PolicySource::PublicSuffixDomain);
    assert_eq!(applied.domain, n("com"));
    assert_eq!(applied.policy, Some(Policy::Quarantine));

    // A PSD at a single label (`_dmarc.test`), with the organization publishing its own
    // record: the organization's applies ("PSD policy is not used for Organizational Domains
    // that have published a DMARC Policy Record", §4.10.1).
    let txt = [
        ("_dmarc.test", "v=DMARC1; p=reject; psd=y"),
        ("_dmarc.shop.test", "v=DMARC1; p=none"),
    ];
    let found = existing(&txt, "mail.shop.test");
    assert_asked(&found, &["mail.shop.test", "shop.test", "test"]);
    assert_eq!(found.organizational_domain.domain, n("shop.test"));
    let applied = found.applied.unwrap();
    assert_eq!(applied.source, PolicySource::OrganizationalDomain);
    assert_eq!(applied.policy, Some(Policy::None));

    // psd=y at the domain where the walk starts: rule 2 excludes it ("other than the one for
    // the domain where the tree walk started") and the walk stopped there (§4.10 step 2), so
    // rule 3 makes the domain itself the Organizational Domain.
    let txt = [
        ("_dmarc.gov.example", "v=DMARC1; p=reject; psd=y"),
        ("_dmarc.example", "v=DMARC1; p=none"),
    ];
    let found = discover(zones(&txt, &[]), "gov.example").unwrap();
    assert_asked(&found, &["gov.example"]);
    assert_eq!(found.organizational_domain.domain, n("gov.example"));
    assert_eq!(found.organizational_domain.rule, OrgRule::FewestLabels);
    assert_eq!(found.applied.unwrap().tag, PolicyTag::P);
    // From below it, the one label below gov.example is the Organizational Domain.
    let org = block_on(organizational_domain_rfc9989(
        &Resolver::offline(zones(&txt, &[])),
        "www.agency.gov.example",
    ))
    .unwrap();
    assert_eq!(org.domain, n("agency.gov.example"));
}

#[test]
fn np_applies_to_an_author_domain_that_does_not_exist_and_sp_to_one_that_does() {
    let txt = [(
        "_dmarc.example.com",
        "v=DMARC1; p=none; sp=quarantine; np=reject",
    )];
    let hosts = ["www.example.com"];
    // §4.10.1: "the sp tag ... if the Author Domain exists".
    let found = discover(zones(&txt, &hosts), "www.example.com").unwrap();
    assert_eq!(found.author_exists, Some(true));
    let applied = found.applied.unwrap();
    assert_eq!(applied.tag, PolicyTag::Sp);
    assert_eq!(applied.policy, Some(Policy::Quarantine));
    // "... or the np tag if the Author Domain does not exist" (NXDOMAIN, §3.2.13).
    let found = discover(zones(&txt, &hosts), "ghost.example.com").unwrap();
    assert_eq!(found.author_exists, Some(false));
    let applied = found.applied.unwrap();
    assert_eq!(applied.tag, PolicyTag::Np);
    assert_eq!(applied.policy, Some(Policy::Reject));
    // An empty non-terminal exists (NODATA, not NXDOMAIN): sp.
    let found = discover(zones(&txt, &["a.inner.example.com"]), "inner.example.com").unwrap();
    assert_eq!(found.applied.unwrap().tag, PolicyTag::Sp);

    // §4.7 np: "If the np tag is absent, the policy specified by the sp tag (if the sp tag is
    // present) or the policy specified by the p tag ... MUST be applied".
    let txt = [("_dmarc.example.com", "v=DMARC1; p=reject; sp=quarantine")];
    let applied = discover(zones(&txt, &[]), "ghost.example.com")
        .unwrap()
        .applied
        .unwrap();
    assert_eq!(
        (applied.tag, applied.read_from),
        (PolicyTag::Np, PolicyTag::Sp)
    );
    assert_eq!(applied.policy, Some(Policy::Quarantine));
    let txt = [("_dmarc.example.com", "v=DMARC1; p=reject")];
    let applied = discover(zones(&txt, &[]), "ghost.example.com")
        .unwrap()
        .applied
        .unwrap();
    assert_eq!(
        (applied.tag, applied.read_from),
        (PolicyTag::Np, PolicyTag::P)
    );
    assert_eq!(applied.policy, Some(Policy::Reject));
}

#[test]
fn several_dmarc_records_at_one_level_are_no_record_there() {
    // §4.10 step 6: "If multiple DMARC Policy Records are returned for a single target, they
    // are all discarded" -- the psd=n among them included, so the walk goes on.
    let mut z = zones(
        &[("_dmarc.example.com", "v=DMARC1; p=reject")],
        &["mail.sub.example.com"],
    );
    z.insert(
        "_dmarc.sub.example.com",
        Rdata::Txt(vec![b"v=DMARC1; p=none; psd=n".to_vec()]),
    );
    z.insert(
        "_dmarc.sub.example.com",
        Rdata::Txt(vec![b"v=DMARC1; p=quarantine".to_vec()]),
    );
    // Text that does not begin with v=DMARC1 is discarded first (step 6), so one DMARC
    // record beside it is still a record.
    z.insert(
        "_dmarc.example.com",
        Rdata::Txt(vec![b"google-site-verification=abc".to_vec()]),
    );
    let found = discover(z, "mail.sub.example.com").unwrap();
    assert_eq!(found.walk.levels[1].found, Found::Multiple(2));
    assert!(matches!(found.walk.levels[2].found, Found::Record(_)));
    assert_eq!(found.organizational_domain.domain, n("example.com"));
    let applied = found.applied.unwrap();
    assert_eq!(applied.domain, n("example.com"));
    assert_eq!(applied.policy, Some(Policy::Reject));
}

#[test]
fn no_record_anywhere_means_no_dmarc_and_the_domain_is_its_own_organization() {
    let found = discover(zones(&[], &["mail.example.com"]), "mail.example.com").unwrap();
    assert_eq!(asked(&found).len(), 3);
    // §4.10.2: "If this process does not determine the Organizational Domain, then the
    // initial target domain is the Organizational Domain".
    assert_eq!(found.organizational_domain.domain, n("mail.example.com"));
    assert_eq!(found.organizational_domain.rule, OrgRule::StartDomain);
    // §4.10.1: "Mail Receivers MUST NOT apply the DMARC mechanism".
    assert_eq!(found.applied, None);
}

#[test]
fn a_failed_query_at_any_level_is_inconclusive_never_a_conclusion() {
    let txt = [("_dmarc.example.com", "v=DMARC1; p=reject")];
    // A timeout at the second level: the record above it must not be reported as applying,
    // nor "no record" concluded.
    let mut z = zones(&txt, &["mail.sub.example.com"]);
    z.insert_timeout("_dmarc.sub.example.com");
    let resolver = Resolver::offline(z);
    let walk = block_on(tree_walk(&resolver, &n("mail.sub.example.com")));
    assert_eq!(walk.stop, Stop::Failure);
    assert_eq!(walk.levels.len(), 2, "no query after the failure");
    let failure = walk.organizational_domain().unwrap_err();
    assert_eq!(failure.domain, n("sub.example.com"));
    assert_eq!(failure.failure.kind, FailureKind::Timeout);
    assert_eq!(failure.question, Question::PolicyRecord);
    assert_eq!(
        failure.to_string(),
        "the DMARC query at _dmarc.sub.example.com failed: timed out"
    );
    match block_on(discover_policy(&resolver, "mail.sub.example.com")) {
        Err(DiscoveryError::Inconclusive(inc)) => assert_eq!(inc.domain, n("sub.example.com")),
        other => panic!("expected inconclusive, got {other:?}"),
    }
    // Even with a record at the Author Domain: the Organizational Domain, needed for
    // alignment, is unknown.
    let mut z = zones(&[("_dmarc.mail.example.com", "v=DMARC1; p=none")], &[]);
    z.insert_timeout("_dmarc.com");
    assert!(matches!(
        discover(z, "mail.example.com"),
        Err(DiscoveryError::Inconclusive(_))
    ));
    // The existence test failing (sp or np?) is inconclusive too.
    let mut z = zones(&txt, &[]);
    z.insert_timeout("www.example.com");
    match discover(z, "www.example.com") {
        Err(DiscoveryError::Inconclusive(inc)) => {
            assert_eq!(inc.domain, n("www.example.com"));
            assert_eq!(inc.question, Question::Existence);
            assert_eq!(
                inc.to_string(),
                "the query asking whether www.example.com exists failed: timed out"
            );
        }
        other => panic!("expected inconclusive, got {other:?}"),
    }
    // And relaxed alignment cannot be decided.
    let mut z = zones(&txt, &[]);
    z.insert_timeout("_dmarc.com");
    assert!(matches!(
        block_on(same_organization_rfc9989(
            &Resolver::offline(z),
            "a.example.com",
            "b.example.com"
        )),
        Err(DiscoveryError::Inconclusive(_))
    ));
}

#[test]
fn invalid_domains_are_typed_errors() {
    let resolver = Resolver::offline(ZoneSet::new());
    assert_eq!(
        block_on(discover_policy(&resolver, ".")),
        Err(DiscoveryError::Root)
    );
    assert!(matches!(
        block_on(discover_policy(&resolver, "a..example.com")),
        Err(DiscoveryError::InvalidDomain(_))
    ));
    // A name so long that `_dmarc.` cannot be put in front of it: nothing is asked there,
    // and the walk goes on up.
    let label = "a".repeat(63);
    // 3 x 64 + 56 + 4 + 1 = 253 octets: valid, but 260 with `_dmarc.`.
    let long = format!("{label}.{label}.{label}.{}.com", "b".repeat(55));
    let found = block_on(discover_policy(&resolver, &long)).unwrap();
    assert_eq!(found.walk.levels[0].found, Found::Unaskable);
    assert_eq!(found.walk.levels.len(), 5);
}

#[test]
fn relaxed_alignment_compares_the_walks_organizational_domains() {
    // §4.10.2: relaxed alignment is "the same Organizational Domain". The PSL puts
    // a.sub.example.com and b.example.com together; psd=n on sub.example.com separates them.
    let txt = [
        ("_dmarc.sub.example.com", "v=DMARC1; p=none; psd=n"),
        ("_dmarc.example.com", "v=DMARC1; p=reject"),
    ];
    let resolver = Resolver::offline(zones(&txt, &[]));
    let same = |a: &str, b: &str| block_on(same_organization_rfc9989(&resolver, a, b)).unwrap();
    assert!(!same("a.sub.example.com", "b.example.com"));
    assert!(same("a.sub.example.com", "sub.example.com"));
    assert!(same("b.example.com", "EXAMPLE.com."));
    // Two subdomains below a PSD that publishes psd=y (`gov.example`) are different
    // organizations, though the PSL (which does not list gov.example) puts them together.
    let txt = [("_dmarc.gov.example", "v=DMARC1; p=reject; psd=y")];
    let resolver = Resolver::offline(zones(&txt, &[]));
    let same = |a: &str, b: &str| block_on(same_organization_rfc9989(&resolver, a, b)).unwrap();
    assert!(!same("mail.a.gov.example", "b.gov.example"));
    assert!(same("mail.a.gov.example", "a.gov.example"));
}

/// The live server's zones: `com` and `example.com`, written to a temporary directory.
async fn live_server(dir: &Path) -> TestDnsServer {
    let com = dir.join("com.zone");
    std::fs::write(
        &com,
        "$ORIGIN com.\n$TTL 300\n@ IN SOA ns1.example.com. hostmaster.example.com. 1 3600 600 86400 300\n",
    )
    .unwrap();
    let example = dir.join("example.com.zone");
    std::fs::write(
        &example,
        "$ORIGIN example.com.\n$TTL 300\n@ IN SOA ns1 hostmaster 1 3600 600 86400 300\n\
         _dmarc IN TXT \"v=DMARC1; p=reject\"\nmail IN A 192.0.2.1\n",
    )
    .unwrap();
    dns_server::start(&[com.as_path(), example.as_path()]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_walk_asks_at_most_eight_queries_and_a_sibling_reuses_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let server = live_server(dir.path()).await;
    let resolver = Resolver::live(server.live_config()).unwrap();
    let twelve = n("b.c.d.e.f.g.h.i.j.mail.example.com");
    let walk = tree_walk(&resolver, &twelve).await;
    // §4.10: twelve labels, eight queries, each one a TXT query at the server.
    assert_eq!(walk.levels.len(), MAX_QUERIES);
    assert_eq!(walk.stop, Stop::Exhausted);
    assert_eq!(server.query_count(), 8);
    for target in walk_targets(&twelve) {
        let name = format!("_dmarc.{target}");
        assert_eq!(server.queries_for(&name, RecordType::Txt), 1, "{name}");
    }
    assert_eq!(
        walk.organizational_domain().unwrap().domain,
        n("example.com")
    );

    // A sibling shares every name but its first: one new query, seven from the cache.
    let before = resolver.stats();
    let sibling = tree_walk(&resolver, &n("z.c.d.e.f.g.h.i.j.mail.example.com")).await;
    assert_eq!(sibling.levels.len(), 8);
    assert_eq!(server.query_count(), 9);
    assert_eq!(resolver.stats().cache_hits - before.cache_hits, 7);

    // Alignment of the two, and policy discovery for mail.example.com: all asked already but
    // the author's own existence test (§4.10.1, sp or np).
    assert!(
        same_organization_rfc9989(
            &resolver,
            "b.c.d.e.f.g.h.i.j.mail.example.com",
            "z.c.d.e.f.g.h.i.j.mail.example.com"
        )
        .await
        .unwrap()
    );
    assert_eq!(server.query_count(), 9);
    let found = discover_policy(&resolver, "mail.example.com")
        .await
        .unwrap();
    assert_eq!(found.applied.unwrap().policy, Some(Policy::Reject));
    assert_eq!(found.author_exists, Some(true));
    assert_eq!(server.query_count(), 10);
    assert!(
        server.repeated_queries().is_empty(),
        "{:?}",
        server.repeated_queries()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_servfail_from_the_server_is_inconclusive_and_not_cached() {
    let dir = tempfile::tempdir().unwrap();
    let server = live_server(dir.path()).await;
    server.servfail("_dmarc.example.com");
    let resolver = Resolver::live(server.live_config()).unwrap();
    match discover_policy(&resolver, "mail.example.com").await {
        Err(DiscoveryError::Inconclusive(inc)) => {
            assert_eq!(inc.domain, n("example.com"));
            assert_eq!(inc.failure.kind, FailureKind::ServFail);
        }
        other => panic!("expected inconclusive, got {other:?}"),
    }
    // Nothing after the failed level was asked.
    assert_eq!(server.queries_for("_dmarc.com", RecordType::Txt), 0);
    // The failure is not kept as an answer: a second discovery asks again (the level below,
    // answered, comes from the cache).
    assert!(
        discover_policy(&resolver, "mail.example.com")
            .await
            .is_err()
    );
    assert_eq!(server.queries_for("_dmarc.example.com", RecordType::Txt), 2);
    assert_eq!(
        server.queries_for("_dmarc.mail.example.com", RecordType::Txt),
        1
    );
}

/// The Organizational Domain of `domain` under `resolver`, by the walk.
fn org_of(resolver: &Resolver, domain: &str) -> DnsName {
    block_on(organizational_domain_rfc9989(resolver, domain))
        .unwrap()
        .domain
}

#[test]
fn the_tree_walk_examples_of_appendix_b_4() {
    // B.4.1: records at example.com and signing.example.com, none at com.
    let txt = [
        ("_dmarc.example.com", "v=DMARC1; p=reject"),
        ("_dmarc.signing.example.com", "v=DMARC1; p=none"),
    ];
    let found = existing(&txt, "example.com");
    // "query _dmarc.example.com and _dmarc.com; example.com is the last element of the DNS
    // tree with a DMARC Policy Record".
    assert_asked(&found, &["example.com", "com"]);
    assert_eq!(found.organizational_domain.domain, n("example.com"));
    // "since the RFC5322.From domain has a DMARC Policy Record, that is the policy domain".
    assert_eq!(found.applied.unwrap().source, PolicySource::AuthorDomain);
    let resolver = Resolver::offline(zones(&txt, &[]));
    assert_eq!(org_of(&resolver, "signing.example.com"), n("example.com"));
    assert!(
        block_on(same_organization_rfc9989(
            &resolver,
            "example.com",
            "signing.example.com"
        ))
        .unwrap()
    );

    // B.4.2: the deep walk from a.b.c.d.e.f.g.h.i.j.k.example.com.
    let author = "a.b.c.d.e.f.g.h.i.j.k.example.com";
    let found = existing(&txt, author);
    assert_asked(
        &found,
        &[
            author,
            "g.h.i.j.k.example.com",
            "h.i.j.k.example.com",
            "i.j.k.example.com",
            "j.k.example.com",
            "k.example.com",
            "example.com",
            "com",
        ],
    );
    assert_eq!(found.organizational_domain.domain, n("example.com"));
    // "the Author Domain does not have a DMARC Policy Record, so the policy domain is the
    // highest element in the DNS tree with a DMARC Policy Record, example.com".
    let applied = found.applied.unwrap();
    assert_eq!(applied.source, PolicySource::OrganizationalDomain);
    assert_eq!(applied.domain, n("example.com"));

    // B.4.3: psd=y at bank.example, a record at giant.bank.example, none at example,
    // mega.bank.example or mail.mega.bank.example.
    let txt = [
        ("_dmarc.bank.example", "v=DMARC1; p=reject; psd=y"),
        ("_dmarc.giant.bank.example", "v=DMARC1; p=quarantine"),
    ];
    let found = existing(&txt, "giant.bank.example");
    // "finds the DMARC Policy Record at _dmarc.giant.bank.example, then ... at
    // _dmarc.bank.example, and stops because of the psd=y flag".
    assert_asked(&found, &["giant.bank.example", "bank.example"]);
    assert_eq!(found.organizational_domain.domain, n("giant.bank.example"));
    assert_eq!(found.organizational_domain.rule, OrgRule::BelowPsd);
    // "Since the Organizational Domain has a DMARC Policy Record, it is also the policy
    // domain".
    let applied = found.applied.unwrap();
    assert_eq!(applied.domain, n("giant.bank.example"));
    assert_eq!(applied.policy, Some(Policy::Quarantine));
    let resolver = Resolver::offline(zones(&txt, &[]));
    assert_eq!(
        org_of(&resolver, "mail.giant.bank.example"),
        n("giant.bank.example")
    );
    assert_eq!(
        org_of(&resolver, "mail.mega.bank.example"),
        n("mega.bank.example")
    );
    let aligned = |a: &str, b: &str| block_on(same_organization_rfc9989(&resolver, a, b)).unwrap();
    // "SPF is aligned" ... "DKIM is not aligned".
    assert!(aligned("giant.bank.example", "mail.giant.bank.example"));
    assert!(!aligned("giant.bank.example", "mail.mega.bank.example"));
}

proptest! {
    /// §4.10 for any name: at most eight targets; the name itself first; then suffixes of it,
    /// one label shorter each time after the jump to at most 7 labels, down to the single
    /// label. (28 labels of at most 8 letters: always a valid name, up to 253 octets.)
    #[test]
    fn walk_targets_are_bounded_suffixes(labels in prop::collection::vec("[a-z0-9]{1,8}", 1..28)) {
        let text = labels.join(".");
        let start = n(&text);
        let targets = walk_targets(&start);
        let count = labels.len();
        prop_assert_eq!(targets.len(), count.min(7) + usize::from(count > 7));
        prop_assert!(targets.len() <= MAX_QUERIES);
        prop_assert_eq!(&targets[0], &start);
        prop_assert_eq!(targets.last().unwrap().labels().count(), 1);
        for (i, target) in targets.iter().enumerate().skip(1) {
            let want = count.min(8) - i;
            prop_assert_eq!(target.labels().count(), want);
            let suffix = labels[count - want..].join(".");
            prop_assert_eq!(target, &n(&suffix));
        }
    }
}

/// The DMARC audit of `author` over `zones`: both receivers' answers as the JSON facts
/// have them (`facts.dmarc.receivers`), and the rules of the findings.
fn receivers_json(zones: ZoneSet, author: &str) -> (serde_json::Value, Vec<String>) {
    let audit = block_on(audit_dmarc(
        &Resolver::offline(zones),
        &Rules::builtin().unwrap(),
        author,
    ));
    let facts = serde_json::to_value(&audit.facts).unwrap();
    let rules = audit.findings.iter().map(|f| f.rule.to_string()).collect();
    (facts["receivers"].clone(), rules)
}

/// [`receivers_json`] with `_dmarc.example.com` saying reject and `timeout` timing out.
fn receivers_with_timeout(author: &str, timeout: &str) -> (serde_json::Value, Vec<String>) {
    let txt = [("_dmarc.example.com", "v=DMARC1; p=reject")];
    let mut zones = zones(&txt, &[author]);
    zones.insert_timeout(timeout);
    receivers_json(zones, author)
}

/// The acceptance zone: `_dmarc.example.com` says reject, `_dmarc.sub.example.com`
/// says `sub`; the audit of mail.sub.example.com.
fn acceptance(sub: &str) -> (serde_json::Value, Vec<String>) {
    let txt = [
        ("_dmarc.sub.example.com", sub),
        ("_dmarc.example.com", "v=DMARC1; p=reject"),
    ];
    let author = "mail.sub.example.com";
    receivers_json(zones(&txt, &[author]), author)
}

/// How many findings of `rule` the audit gave.
fn count(rules: &[String], rule: &str) -> usize {
    rules.iter().filter(|r| *r == rule).count()
}

#[test]
fn the_audit_facts_carry_both_receivers_and_psd_n_makes_them_disagree() {
    let (receivers, rules) = acceptance("v=DMARC1; p=quarantine; psd=n");
    assert_eq!(
        receivers,
        serde_json::json!({
            "rfc9989": {"status": "concluded", "policy_domain": "sub.example.com",
                        "organizational_domain": "sub.example.com", "policy": "quarantine"},
            "rfc7489": {"status": "concluded", "policy_domain": "example.com",
                        "organizational_domain": "example.com", "policy": "reject"},
        })
    );
    assert_eq!(count(&rules, "dmarc/receivers-disagree"), 1, "{rules:?}");
}

#[test]
fn without_psd_n_the_audit_receivers_agree_and_the_rule_is_silent() {
    let (receivers, rules) = acceptance("v=DMARC1; p=quarantine");
    let answer = serde_json::json!({"status": "concluded", "policy_domain": "example.com",
                                    "organizational_domain": "example.com", "policy": "reject"});
    assert_eq!(receivers["rfc9989"], answer);
    assert_eq!(receivers["rfc7489"], answer);
    assert_eq!(count(&rules, "dmarc/receivers-disagree"), 0, "{rules:?}");
}

#[test]
fn a_failed_walk_query_leaves_the_rfc9989_receiver_inconclusive_not_disagreeing() {
    // RFC 7489 never asks _dmarc.sub.example.com (the PSL jumps to example.com); the walk does.
    let (receivers, rules) =
        receivers_with_timeout("mail.sub.example.com", "_dmarc.sub.example.com");
    assert_eq!(
        receivers["rfc9989"],
        serde_json::json!({"status": "inconclusive", "policy_domain": null,
                           "organizational_domain": null, "policy": null})
    );
    assert_eq!(receivers["rfc7489"]["policy"], "reject");
    assert_eq!(receivers["rfc7489"]["status"], "concluded");
    assert_eq!(count(&rules, "dns/inconclusive"), 1, "{rules:?}");
    assert_eq!(count(&rules, "dmarc/receivers-disagree"), 0, "{rules:?}");
}

#[test]
fn a_failed_legacy_query_leaves_the_rfc7489_receiver_inconclusive_and_is_reported_once() {
    // _dmarc.mail.example.com is the first query of both models: one dns/inconclusive.
    let (receivers, rules) = receivers_with_timeout("mail.example.com", "_dmarc.mail.example.com");
    assert_eq!(receivers["rfc7489"]["status"], "inconclusive");
    assert_eq!(receivers["rfc7489"]["policy"], serde_json::Value::Null);
    assert_eq!(receivers["rfc9989"]["status"], "inconclusive");
    assert_eq!(rules, vec!["dns/inconclusive".to_string()]);
}

#[test]
fn a_subdomain_record_with_none_above_is_its_own_organization_only_for_rfc9989() {
    // The walk finds only _dmarc.mail.example.com, so it is the record with the fewest labels
    // (§4.10.2); the PSL says example.com. Same record and policy, different alignment.
    let txt = [("_dmarc.mail.example.com", "v=DMARC1; p=reject")];
    let author = "mail.example.com";
    let audit = block_on(audit_dmarc(
        &Resolver::offline(zones(&txt, &[author])),
        &Rules::builtin().unwrap(),
        author,
    ));
    let facts = serde_json::to_value(&audit.facts).unwrap();
    assert_eq!(
        facts["receivers"]["rfc9989"]["organizational_domain"],
        "mail.example.com"
    );
    assert_eq!(
        facts["receivers"]["rfc7489"]["organizational_domain"],
        "example.com"
    );
    let disagree: Vec<&str> = audit
        .findings
        .iter()
        .filter(|f| f.rule == "dmarc/receivers-disagree")
        .map(|f| f.message.as_str())
        .collect();
    assert_eq!(
        disagree,
        [
            "the receiver models disagree on mail.example.com: both apply mail.example.com's record (reject), but its organizational domain is mail.example.com for RFC 9989 (DNS tree walk) and example.com for RFC 7489 (Public Suffix List), so relaxed alignment differs"
        ]
    );
}

#[test]
fn t_y_makes_an_rfc9989_receiver_apply_one_level_weaker() {
    // §4.7 t=y: reject is applied as quarantine; RFC 7489 has no t and applies reject.
    let txt = [("_dmarc.example.com", "v=DMARC1; p=reject; t=y")];
    let author = "example.com";
    let (receivers, rules) = receivers_json(zones(&txt, &[author]), author);
    assert_eq!(receivers["rfc9989"]["policy"], "quarantine");
    assert_eq!(receivers["rfc7489"]["policy"], "reject");
    assert_eq!(count(&rules, "dmarc/receivers-disagree"), 1, "{rules:?}");
}

#[test]
fn with_no_policy_anywhere_a_different_organizational_domain_does_not_disagree() {
    // No record at all: RFC 9989's organizational domain is the domain itself (§4.10.2),
    // the PSL's is example.com; DMARC is not evaluated by either, so alignment is moot.
    let author = "mail.example.com";
    let (receivers, rules) = receivers_json(zones(&[], &[author]), author);
    assert_eq!(
        receivers["rfc9989"]["organizational_domain"],
        "mail.example.com"
    );
    assert_eq!(receivers["rfc7489"]["organizational_domain"], "example.com");
    assert_eq!(count(&rules, "dmarc/receivers-disagree"), 0, "{rules:?}");
}
