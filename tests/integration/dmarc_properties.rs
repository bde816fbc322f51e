//! Property tests: the DMARC record parser and the organizational domain never panic, keep
//! every span inside the record, and read well-formed records back.

use mailaudit::dmarc::{DmarcRecord, Outcome, Policy, Reading};
use mailaudit::dns::orgdomain::organizational_domain;
use proptest::prelude::*;

fn policy() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["none", "quarantine", "reject", "Reject", "QUARANTINE"])
}

fn blank() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["", " ", "\t", "  "])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    #[test]
    fn parser_never_panics_and_keeps_spans_in_bounds(
        prefix in prop::sample::select(vec!["", "v=DMARC1", "v=DMARC1;", "v=DMARC1; p=reject; rua=", " v=dmarc1;"]),
        bytes in prop::collection::vec(any::<u8>(), 0..200),
    ) {
        let mut input = prefix.as_bytes().to_vec();
        input.extend_from_slice(&bytes);
        let record = DmarcRecord::parse(&input);
        for problem in &record.problems {
            prop_assert!(problem.span.start <= problem.span.end && problem.span.end <= input.len(), "{:?}", problem);
        }
        for tag in &record.tags {
            prop_assert!(tag.name_span.end <= input.len() && tag.value_span.end <= input.len());
        }
        for uri in record.rua.iter().chain(&record.ruf) {
            prop_assert!(uri.span.start <= uri.span.end && uri.span.end <= input.len());
        }
        for reading in Reading::ALL {
            let outcome = record.outcome(reading);
            prop_assert_eq!(record.policy(reading).is_none(), outcome == Outcome::Invalid);
        }
    }

    #[test]
    fn text_records_never_panic(text in "\\PC{0,120}") {
        let record = DmarcRecord::parse(text.as_bytes());
        let _ = record.dmarcbis_notes();
        let _ = organizational_domain(&text);
    }

    #[test]
    fn well_formed_records_are_valid(
        p in policy(),
        sp in policy(),
        pct in 0u8..=100,
        local in "[a-z0-9._+-]{1,12}",
        domain in "[a-z0-9-]{1,10}\\.[a-z]{2,6}",
        b1 in blank(), b2 in blank(), b3 in blank(),
    ) {
        let text = format!("v=DMARC1;{b1}p{b2}={b3}{p}; sp={sp}; pct={pct}; rua=mailto:{local}@{domain}{b1};");
        let record = DmarcRecord::parse(text.as_bytes());
        prop_assert!(record.problems.is_empty(), "{} {:?}", text, record.problems);
        prop_assert_eq!(record.outcome(Reading::Rfc7489), Outcome::Valid);
        let want = match p.to_ascii_lowercase().as_str() {
            "none" => Policy::None,
            "quarantine" => Policy::Quarantine,
            _ => Policy::Reject,
        };
        prop_assert_eq!(record.p, Some(want));
        prop_assert_eq!(record.pct, Some(pct));
        prop_assert_eq!(record.rua.len(), 1);
        prop_assert_eq!(record.rua[0].host.as_deref(), Some(domain.as_str()));
    }

    #[test]
    fn organizational_domain_is_a_suffix_of_the_name(
        labels in prop::collection::vec("[a-z0-9-]{1,12}", 1..6),
        tld in prop::sample::select(vec!["com", "co.uk", "example", "jp", "kobe.jp", "ck"]),
    ) {
        let name = format!("{}.{tld}", labels.join("."));
        if let Some(org) = organizational_domain(&name) {
            prop_assert!(name == org || name.ends_with(&format!(".{org}")), "{} -> {}", name, org);
            prop_assert_eq!(organizational_domain(&org), Some(org.clone()));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, .. ProptestConfig::default() })]

    /// Whatever the TXT record at _dmarc holds, the audit ends with findings that point
    /// inside it, and never panics.
    #[test]
    fn audit_never_panics_on_hostile_records(
        prefix in prop::sample::select(vec!["v=DMARC1; ", "v=DMARC1; p=reject; rua=mailto:", "v=dmarc1;", ""]),
        bytes in prop::collection::vec(any::<u8>(), 0..160),
    ) {
        use mailaudit::dns::{Rdata, Resolver, ZoneSet};
        use mailaudit::finding::Location;
        let mut text = prefix.as_bytes().to_vec();
        text.extend_from_slice(&bytes);
        let mut zones = ZoneSet::new();
        zones.insert("_dmarc.example.com", Rdata::Txt(text.chunks(255).map(<[u8]>::to_vec).collect()));
        let resolver = Resolver::offline(zones);
        let rules = mailaudit::rules::Rules::builtin().unwrap();
        let audit = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(mailaudit::dmarc::audit_dmarc(&resolver, &rules, "example.com"));
        for f in &audit.findings {
            if let Some(Location::RecordSpan { start, end, .. }) = &f.location {
                prop_assert!(start <= end && *end <= text.len(), "{:?}", f);
            }
        }
    }
}
