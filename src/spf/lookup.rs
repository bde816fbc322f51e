//! Finding a domain's SPF record (RFC 7208 §4.4, §4.5).

use super::parser::is_spf_record;
use crate::dns::{Answer, DnsFailure, Rdata, RecordType, Resolver};

/// What a domain publishes, as far as SPF is concerned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SpfFetch {
    /// Exactly one `v=spf1` TXT record; `record` is its strings joined without separator (§3.3).
    Found {
        record: Vec<u8>,
        strings: Vec<Vec<u8>>,
    },
    /// No TXT records at all, or none that starts with `v=spf1`.
    NotFound {
        nxdomain: bool,
    },
    /// More than one `v=spf1` record (permerror, §4.5); each joined.
    Multiple(Vec<Vec<u8>>),
    Failure(DnsFailure),
}

/// Query TXT (never type 99, §4.4) and select the SPF record.
pub async fn fetch_spf_record(resolver: &Resolver, domain: &str) -> SpfFetch {
    select_spf_record(&resolver.lookup(domain, RecordType::Txt).await)
}

/// Select the SPF record from a TXT answer (§4.5).
pub fn select_spf_record(answer: &Answer) -> SpfFetch {
    match answer {
        Answer::NxDomain => SpfFetch::NotFound { nxdomain: true },
        Answer::NoData => SpfFetch::NotFound { nxdomain: false },
        Answer::Failure(f) => SpfFetch::Failure(f.clone()),
        Answer::Records(records) => {
            let mut found: Vec<&Vec<Vec<u8>>> = records
                .iter()
                .filter_map(|r| match r {
                    Rdata::Txt(strings) if is_spf_record(&strings.concat()) => Some(strings),
                    _ => None,
                })
                .collect();
            match found.len() {
                0 => SpfFetch::NotFound { nxdomain: false },
                1 => {
                    let strings = found.remove(0).clone();
                    SpfFetch::Found {
                        record: strings.concat(),
                        strings,
                    }
                }
                _ => SpfFetch::Multiple(found.into_iter().map(|s| s.concat()).collect()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::ZoneSet;

    fn txt(parts: &[&str]) -> Rdata {
        Rdata::Txt(parts.iter().map(|p| p.as_bytes().to_vec()).collect())
    }

    #[tokio::test]
    async fn selects_exactly_one_record() {
        let mut z = ZoneSet::new();
        z.insert("one.example", txt(&["google-site-verification=x"]));
        z.insert("one.example", txt(&["v=spf1 ip4:192.0.2.0/24", " -all"]));
        z.insert("none.example", txt(&["v=spf10 -all"]));
        z.insert("none.example", txt(&["v=spf1", "mx"]));
        z.insert("two.example", txt(&["v=spf1 -all"]));
        z.insert("two.example", txt(&["V=SPF1 +all"]));
        z.insert("type99.example", Rdata::Spf(vec![b"v=spf1 -all".to_vec()]));
        z.insert_timeout("slow.example");
        let r = Resolver::offline(z);
        assert_eq!(
            fetch_spf_record(&r, "one.example").await,
            SpfFetch::Found {
                record: b"v=spf1 ip4:192.0.2.0/24 -all".to_vec(),
                strings: vec![b"v=spf1 ip4:192.0.2.0/24".to_vec(), b" -all".to_vec()],
            }
        );
        assert_eq!(
            fetch_spf_record(&r, "none.example").await,
            SpfFetch::NotFound { nxdomain: false }
        );
        assert!(matches!(
            fetch_spf_record(&r, "two.example").await,
            SpfFetch::Multiple(v) if v.len() == 2
        ));
        assert_eq!(
            fetch_spf_record(&r, "type99.example").await,
            SpfFetch::NotFound { nxdomain: false }
        );
        assert_eq!(
            fetch_spf_record(&r, "missing.example").await,
            SpfFetch::NotFound { nxdomain: true }
        );
        assert_eq!(
            fetch_spf_record(&r, "slow.example").await,
            SpfFetch::Failure(DnsFailure::zones(crate::dns::FailureKind::Timeout))
        );
    }
}
