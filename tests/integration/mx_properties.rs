//! Property tests: the MTA-STS and TLS-RPT parsers never panic, keep their spans in bounds and
//! accept every record their grammar generates; the MX and reverse-DNS audits end on any data.

use mailaudit::dns::{Rdata, Resolver, ZoneSet};
use mailaudit::mx::{audit_mx, audit_reverse_dns, parse_mta_sts, parse_tls_rpt};
use mailaudit::rules::Rules;
use proptest::prelude::*;
use std::net::IpAddr;

fn blank() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["", " ", "\t", "  "]).prop_map(str::to_string)
}

/// `ext-name "=" ext-value` per RFC 8461 §3.1 / RFC 8460 §3.
fn extension() -> impl Strategy<Value = String> {
    ("[A-Za-z0-9][A-Za-z0-9_.-]{0,31}", "[!-:<>-~]{1,20}")
        .prop_filter("not a known field", |(name, _)| {
            name != "id" && name != "rua"
        })
        .prop_map(|(name, value)| format!("{name}={value}"))
}

fn uri() -> impl Strategy<Value = String> {
    prop_oneof![
        ("[a-z0-9._+-]{1,12}", "[a-z0-9-]{1,10}\\.[a-z]{2,6}")
            .prop_map(|(local, domain)| format!("mailto:{local}@{domain}")),
        (
            "[a-z0-9-]{1,10}\\.[a-z]{2,6}",
            "(/[a-zA-Z0-9._~-]{0,8}){0,3}"
        )
            .prop_map(|(host, path)| format!("https://{host}{path}")),
    ]
}

/// Joins fields with `*WSP ";" *WSP` delimiters, the version first.
fn record(
    version: &str,
    fields: Vec<String>,
    blanks: Vec<(String, String)>,
    trailing: bool,
) -> String {
    let mut text = version.to_string();
    for (field, (before, after)) in fields.iter().zip(blanks) {
        text.push_str(&format!("{before};{after}{field}"));
    }
    if trailing {
        text.push(';');
    }
    text
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    #[test]
    fn parsers_never_panic_and_keep_spans_in_bounds(
        prefix in prop::sample::select(vec!["v=STSv1", "v=TLSRPTv1", "v=STSv1;", "v=TLSRPTv1; rua=", ""]),
        bytes in prop::collection::vec(any::<u8>(), 0..200),
    ) {
        let mut input = prefix.as_bytes().to_vec();
        input.extend_from_slice(&bytes);
        if let Err(e) = parse_mta_sts(&input) {
            prop_assert!(e.span.start <= e.span.end && e.span.end <= input.len(), "{:?}", e);
        }
        if let Err(e) = parse_tls_rpt(&input) {
            prop_assert!(e.span.start <= e.span.end && e.span.end <= input.len(), "{:?}", e);
        }
    }

    #[test]
    fn generated_mta_sts_records_parse(
        id in "[A-Za-z0-9]{1,32}",
        extensions in prop::collection::vec(extension(), 0..4),
        at in 0usize..5,
        blanks in prop::collection::vec((blank(), blank()), 5),
        trailing in any::<bool>(),
    ) {
        let mut fields = extensions.clone();
        fields.insert(at.min(fields.len()), format!("id={id}"));
        let text = record("v=STSv1", fields, blanks, trailing);
        let parsed = parse_mta_sts(text.as_bytes());
        prop_assert!(parsed.is_ok(), "{:?}: {:?}", text, parsed);
        let parsed = parsed.unwrap();
        prop_assert_eq!(parsed.id, id);
        prop_assert_eq!(parsed.extensions.len(), extensions.len());
    }

    #[test]
    fn generated_tls_rpt_records_parse(
        uris in prop::collection::vec(uri(), 1..4),
        comma_blanks in prop::collection::vec((blank(), blank()), 4),
        extensions in prop::collection::vec(extension(), 0..3),
        blanks in prop::collection::vec((blank(), blank()), 5),
        trailing in any::<bool>(),
    ) {
        let mut rua = String::from("rua=");
        for (i, (uri, (before, after))) in uris.iter().zip(comma_blanks).enumerate() {
            if i > 0 {
                rua.push_str(&format!("{before},{after}"));
            }
            rua.push_str(uri);
        }
        let mut fields = vec![rua];
        fields.extend(extensions);
        let text = record("v=TLSRPTv1", fields, blanks, trailing);
        let parsed = parse_tls_rpt(text.as_bytes());
        prop_assert!(parsed.is_ok(), "{:?}: {:?}", text, parsed);
        prop_assert_eq!(parsed.unwrap().rua, uris);
    }

    #[test]
    fn audits_end_on_any_records(
        exchanges in prop::collection::vec(("[a-c]{0,2}", 0u16..3), 0..6),
        txt in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..60), 0..3),
        ptrs in prop::collection::vec("[a-c]{0,2}", 0..4),
        octet in 0u8..4,
    ) {
        let mut zones = ZoneSet::new();
        zones.add_apex("p.test");
        for (host, preference) in &exchanges {
            let exchange = if host.is_empty() { String::new() } else { format!("{host}.p.test") };
            zones.insert("p.test", Rdata::Mx { preference: *preference, exchange });
            if host.len() == 1 {
                zones.insert(&format!("{host}.p.test"), Rdata::A([192, 0, 2, 1].into()));
            }
        }
        for strings in &txt {
            let mut record = b"v=STSv1".to_vec();
            record.extend_from_slice(strings);
            zones.insert("_mta-sts.p.test", Rdata::Txt(vec![record]));
            let mut record = b"v=TLSRPTv1".to_vec();
            record.extend_from_slice(strings);
            zones.insert("_smtp._tls.p.test", Rdata::Txt(vec![record]));
        }
        for name in &ptrs {
            let target = if name.is_empty() { String::new() } else { format!("{name}.p.test") };
            zones.insert(&format!("{octet}.2.0.192.in-addr.arpa"), Rdata::Ptr(target));
        }
        let resolver = Resolver::offline(zones);
        let rules = Rules::builtin().unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let mx = runtime.block_on(audit_mx(&resolver, &rules, "p.test"));
        prop_assert!(serde_json::to_string(&mx.facts).is_ok());
        let hosts = &mx.facts.hosts;
        prop_assert!(hosts.windows(2).all(|w| (w[0].preference, &w[0].host) <= (w[1].preference, &w[1].host)));
        let ip = IpAddr::from([192, 0, 2, 1]);
        let rdns = runtime.block_on(audit_reverse_dns(&resolver, &rules, "p.test", ip));
        prop_assert!(rdns.facts.confirmed == rdns.findings.is_empty() || rdns.facts.ptr_names.is_empty());
    }
}
