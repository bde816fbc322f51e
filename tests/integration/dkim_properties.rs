//! Property tests: the DKIM tag-list and key-record parsers, and the audit over them, never
//! panic, and the spans they report always lie inside the input.

use mailaudit::dkim::{PublicKey, audit_dkim, parse_key_record, parse_tag_list};
use mailaudit::dns::{Rdata, Resolver, ZoneSet};
use mailaudit::finding::Location;
use mailaudit::rules::Rules;
use proptest::prelude::*;

/// Inputs that look like key records: tags, values, separators, folding white space, base64.
fn recordish() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"v=DKIM1".to_vec()),
        Just(b"k=rsa".to_vec()),
        Just(b"k=ed25519".to_vec()),
        Just(b"h=sha1:sha256".to_vec()),
        Just(b"t=y:s".to_vec()),
        Just(b"s=email".to_vec()),
        Just(b"p=".to_vec()),
        Just(b"p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB".to_vec()),
        Just(b"p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=".to_vec()),
        Just(b";".to_vec()),
        Just(b" ".to_vec()),
        Just(b"\r\n ".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"=".to_vec()),
        Just(b":".to_vec()),
        "[a-zA-Z0-9+/=_:;. -]{0,12}".prop_map(String::into_bytes),
        prop::collection::vec(any::<u8>(), 0..6),
    ];
    prop::collection::vec(piece, 0..12).prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn tag_list_never_panics_and_spans_are_in_bounds(input in prop::collection::vec(any::<u8>(), 0..300)) {
        check_tag_list(&input)?;
    }

    #[test]
    fn tag_list_on_recordish_input(input in recordish()) {
        check_tag_list(&input)?;
    }

    #[test]
    fn key_record_never_panics(input in prop::collection::vec(any::<u8>(), 0..300)) {
        check_key_record(&input)?;
    }

    #[test]
    fn key_record_on_recordish_input(input in recordish()) {
        check_key_record(&input)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever TXT records a selector name holds, the audit finishes and every location it
    /// reports is inside the record it names.
    #[test]
    fn audit_never_panics(records in prop::collection::vec(
        prop::collection::vec(prop_oneof![recordish(), prop::collection::vec(any::<u8>(), 0..80)], 1..3), 1..3)
    ) {
        let mut zones = ZoneSet::new();
        for record in &records {
            zones.insert("s1._domainkey.prop.test", Rdata::Txt(record.clone()));
        }
        let rules = Rules::builtin().expect("rules");
        let audit = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(audit_dkim(&Resolver::offline(zones), &rules, "prop.test", &["s1".to_string()]));
        let longest = records.iter().map(|strings| strings.concat().len()).max().unwrap_or(0);
        for f in &audit.findings {
            if let Some(Location::RecordSpan { start, end, .. }) = &f.location {
                prop_assert!(start <= end && *end <= longest, "{f:?}");
            }
        }
    }
}

fn check_tag_list(input: &[u8]) -> Result<(), TestCaseError> {
    match parse_tag_list(input) {
        Ok(tags) => {
            prop_assert!(!tags.is_empty());
            for tag in tags {
                prop_assert_eq!(
                    &input[tag.name_span.start..tag.name_span.end],
                    tag.name.as_bytes()
                );
                prop_assert_eq!(
                    &input[tag.value_span.start..tag.value_span.end],
                    tag.value.as_bytes()
                );
                prop_assert!(tag.name_span.end <= tag.value_span.start);
            }
        }
        Err(e) => {
            let span = e.span();
            prop_assert!(
                span.start <= span.end && span.end <= input.len(),
                "{e:?} for {} bytes",
                input.len()
            );
            prop_assert!(!e.to_string().is_empty());
        }
    }
    Ok(())
}

fn check_key_record(input: &[u8]) -> Result<(), TestCaseError> {
    match parse_key_record(input) {
        Ok(record) => {
            prop_assert!(record.tag("p").is_some());
            for tag in &record.tags {
                let span = tag.span();
                prop_assert!(span.end <= input.len());
            }
            if let PublicKey::Rsa { bits, .. } = record.key {
                prop_assert!(bits > 0);
            }
        }
        Err(e) => {
            let span = e.span();
            prop_assert!(
                span.start <= span.end && span.end <= input.len(),
                "{e:?} for {} bytes",
                input.len()
            );
            prop_assert!(!e.to_string().is_empty());
        }
    }
    Ok(())
}
