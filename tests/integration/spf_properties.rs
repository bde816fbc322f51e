//! Property tests: the SPF parser and check_host() never panic and keep their spans in bounds.

use mailaudit::dns::{Rdata, Resolver, ZoneSet};
use mailaudit::spf::check_host::{CheckHostInput, CheckHostOptions, check_host};
use mailaudit::spf::parser::parse;
use proptest::prelude::*;

fn term() -> impl Strategy<Value = String> {
    let qualifier = prop::sample::select(vec!["", "+", "-", "~", "?"]);
    let mechanism = prop::sample::select(vec![
        "all",
        "a",
        "mx",
        "ptr",
        "a:%{d}",
        "mx:mail.%{o}/24//64",
        "include:%{l}.x.test",
        "exists:%{ir}.%{v}._spf.%{d2}",
        "ip4:192.0.2.0/24",
        "ip6:2001:db8::/32",
        "a/33",
        "ip4:300.1.1.1",
        "include:",
        "redirect=r.test",
        "exp=e.test",
        "unknown=%{x}",
        "foo:bar",
        "%{",
    ]);
    (qualifier, mechanism).prop_map(|(q, m)| format!("{q}{m}"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    #[test]
    fn parse_never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let mut input = b"v=spf1 ".to_vec();
        input.extend_from_slice(&bytes);
        match parse(&input) {
            Ok(record) => for t in &record.terms {
                prop_assert!(t.span.start <= t.span.end && t.span.end <= input.len());
            },
            Err(e) => prop_assert!(e.span.start <= e.span.end && e.span.end <= input.len()),
        }
    }

    #[test]
    fn term_spans_slice_back_to_the_term(terms in prop::collection::vec(term(), 0..12)) {
        let text = format!("v=spf1 {}", terms.join(" "));
        if let Ok(record) = parse(text.as_bytes()) {
            prop_assert_eq!(record.terms.len(), terms.len());
            for (t, written) in record.terms.iter().zip(&terms) {
                prop_assert_eq!(&text[t.span.start..t.span.end], written.as_str());
            }
        }
    }

    #[test]
    fn check_host_ends_on_any_record_graph(
        records in prop::collection::vec(prop::collection::vec(term(), 0..6), 1..6),
        ip in any::<[u8; 4]>(),
    ) {
        let mut zones = ZoneSet::new();
        for (i, terms) in records.iter().enumerate() {
            // Each record may include the others, loops included.
            let mut text = format!("v=spf1 {}", terms.join(" "));
            text.push_str(&format!(" include:d{}.test", (i + 1) % records.len()));
            zones.insert(&format!("d{i}.test"), Rdata::Txt(vec![text.into_bytes()]));
        }
        let resolver = Resolver::offline(zones);
        let input = CheckHostInput::mail_from(ip.into(), "user@d0.test", "helo.test");
        let outcome = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(check_host(&resolver, &input, &CheckHostOptions::default()));
        prop_assert!(outcome.lookups <= 11, "lookups {}", outcome.lookups);
    }
}
