//! Audit of a domain's DKIM key records at `SELECTOR._domainkey.DOMAIN` (RFC 6376 §3.6,
//! RFC 8301, RFC 8463): the selectors given, or the common ones from
//! `rules/dkim-selectors.toml` when none is given.

use super::key::{KeyRecord, KeyRecordError, PublicKey, parse_key_record};
use super::selectors::common_selectors;
use super::tags::Span;
use crate::dkim::rules::{
    BAD_KEY, MISSING, MULTIPLE_RECORDS, NO_USABLE_HASH, NOT_FOR_EMAIL, REVOKED, SHA1_ONLY, SYNTAX,
    TESTING_MODE, UNKNOWN_KEY_TYPE, WEAK_KEY, WEAK_KEY_ERROR_BELOW, WEAK_KEY_WARN_BELOW,
};
use crate::dns::rules::inconclusive;
use crate::dns::{Answer, DnsFailure, RecordType, Resolver, normalize_name};
use crate::finding::{Finding, Location, Severity};
use crate::rules::{RuleId, Rules};
use serde::Serialize;

/// What the audit measured.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct DkimFacts {
    /// True when no selector was given and the common selectors were probed.
    pub probed: bool,
    /// Every given selector, in the order given; when probing, the probed selectors that had
    /// a TXT record.
    pub selectors: Vec<SelectorFacts>,
}

/// One selector's key record and key.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct SelectorFacts {
    pub selector: String,
    /// The DNS name queried, `SELECTOR._domainkey.DOMAIN`.
    pub name: String,
    /// The TXT record as published (strings joined; lossy UTF-8), when there is one.
    pub record: Option<String>,
    /// `rsa`, `ed25519`, or the unknown `k=` value as published.
    pub key_type: Option<String>,
    /// RSA modulus bits, or 256 for Ed25519, when the key decodes.
    pub key_bits: Option<u32>,
    /// `t=y`.
    pub testing: bool,
    /// `h=` as listed (lower-cased); absent means every algorithm.
    pub hash_algorithms: Option<Vec<String>>,
    /// `p=` is empty.
    pub revoked: bool,
}

/// What the DKIM key-record audit found.
pub type DkimAudit = crate::finding::Audit<DkimFacts>;

/// Audit the DKIM key records of `domain` at `selectors`, or at the common selectors when
/// `selectors` is empty. All queries run concurrently; findings come in selector order.
pub async fn audit_dkim(
    resolver: &Resolver,
    rules: &Rules,
    domain: &str,
    selectors: &[String],
) -> DkimAudit {
    let probed = selectors.is_empty();
    let list: Vec<String> = if probed {
        common_selectors().to_vec()
    } else {
        let mut list: Vec<String> = Vec::with_capacity(selectors.len());
        for s in selectors {
            let s = normalize_name(s.trim());
            if !list.contains(&s) {
                list.push(s);
            }
        }
        list
    };
    let apex = normalize_name(domain);
    let names: Vec<String> = list
        .iter()
        .map(|s| format!("{s}._domainkey.{apex}"))
        .collect();
    let answers =
        futures_util::future::join_all(names.iter().map(|n| resolver.lookup(n, RecordType::Txt)))
            .await;

    let mut audit = Audit {
        rules,
        target: domain,
        out: DkimAudit {
            facts: DkimFacts {
                probed,
                selectors: Vec::new(),
            },
            findings: Vec::new(),
        },
    };
    let mut found = 0usize;
    let mut failed = 0usize;
    for ((selector, name), answer) in list.iter().zip(&names).zip(answers) {
        let mut facts = SelectorFacts {
            selector: selector.clone(),
            name: name.clone(),
            ..SelectorFacts::default()
        };
        match answer {
            Answer::Failure(why) => {
                failed += 1;
                audit.inconclusive(selector, name, &why);
            }
            Answer::NxDomain | Answer::NoData => {
                if !probed {
                    let why = if answer == Answer::NxDomain {
                        "the name does not exist"
                    } else {
                        "the name has no TXT record"
                    };
                    let f = audit
                        .finding(
                            MISSING,
                            name,
                            format!("no DKIM key for selector {selector} at {name}: {why}"),
                        )
                        .with_measured(if answer == Answer::NxDomain {
                            "NXDOMAIN"
                        } else {
                            "no data"
                        });
                    audit.push(f);
                }
            }
            Answer::Records(records) => {
                let texts: Vec<Vec<u8>> = records.iter().filter_map(|r| r.txt_joined()).collect();
                if texts.is_empty() {
                    // The resolver only returns TXT here; nothing to audit if it did not.
                } else {
                    found += 1;
                    audit.selector(selector, name, &texts, &mut facts);
                }
            }
        }
        if !probed || facts.record.is_some() {
            audit.out.facts.selectors.push(facts);
        }
    }
    if probed && found > 0 {
        // Another probed selector gave a key: a selector that could not be asked decides
        // nothing the gate relies on.
        for f in &mut audit.out.findings {
            if f.rule == crate::dns::rules::INCONCLUSIVE {
                f.severity = Severity::Warning;
            }
        }
    }
    if probed && found == 0 && failed == 0 {
        let f = rules
            .finding(
                MISSING,
                domain,
                format!(
                    "no DKIM key found at any of the {} common selectors probed; if the domain signs with another selector, give it with --selector",
                    list.len()
                ),
            )
            .with_severity(Severity::Warning)
            .with_chain(names)
            .with_measured(0);
        audit.push(f);
    }
    audit.out
}

struct Audit<'a> {
    rules: &'a Rules,
    target: &'a str,
    out: DkimAudit,
}

impl Audit<'_> {
    fn push(&mut self, finding: Finding) {
        self.out.findings.push(finding);
    }

    /// A finding about the record at `name`: the name is its evidence chain.
    fn finding(&self, rule: RuleId, name: &str, message: String) -> Finding {
        self.rules
            .finding(rule, self.target, message)
            .with_chain(vec![name.to_string()])
    }

    fn at(finding: Finding, name: &str, span: Span) -> Finding {
        finding.at(Location::RecordSpan {
            record: name.to_string(),
            start: span.start,
            end: span.end,
        })
    }

    fn inconclusive(&mut self, selector: &str, name: &str, why: &DnsFailure) {
        let query = format!("TXT {name}");
        let f = inconclusive(
            self.rules,
            self.target,
            query,
            why,
            format_args!("the DKIM key of selector {selector} could not be checked"),
        )
        .with_chain(vec![name.to_string()]);
        self.push(f);
    }

    /// Audit the TXT records found at one selector name.
    fn selector(
        &mut self,
        selector: &str,
        name: &str,
        texts: &[Vec<u8>],
        facts: &mut SelectorFacts,
    ) {
        let shown: Vec<String> = texts
            .iter()
            .map(|t| String::from_utf8_lossy(t).into_owned())
            .collect();
        if texts.len() > 1 {
            let f = self
                .finding(
                    MULTIPLE_RECORDS,
                    name,
                    format!(
                        "{name} has {} TXT records; receivers may use any one of them",
                        texts.len()
                    ),
                )
                .with_record(shown.join(" | "))
                .with_measured(texts.len());
            self.push(f);
        }
        // The record a receiver would use: the first that parses, else the first.
        let parsed: Vec<Result<KeyRecord, KeyRecordError>> =
            texts.iter().map(|t| parse_key_record(t)).collect();
        let index = parsed.iter().position(Result::is_ok).unwrap_or(0);
        let (Some(result), Some(text)) = (parsed.into_iter().nth(index), shown.get(index)) else {
            return;
        };
        facts.record = Some(text.clone());
        match result {
            Err(error) => self.record_error(selector, name, text, &error, facts),
            Ok(record) => self.key_record(selector, name, text, &record, facts),
        }
    }

    fn record_error(
        &mut self,
        selector: &str,
        name: &str,
        text: &str,
        error: &KeyRecordError,
        facts: &mut SelectorFacts,
    ) {
        let f = match error {
            KeyRecordError::UnknownKeyType { value, .. } => {
                facts.key_type = Some(value.clone());
                self.finding(
                    UNKNOWN_KEY_TYPE,
                    name,
                    format!(
                        "DKIM key record at {name} has k={value}, a key type receivers do not know, so they ignore the key of selector {selector}"
                    ),
                )
                .with_measured(value.clone())
            }
            _ => self.finding(
                SYNTAX,
                name,
                format!("DKIM key record at {name} does not parse: {error}"),
            ),
        };
        let f = Self::at(f.with_record(text), name, error.span());
        self.push(f);
    }

    fn key_record(
        &mut self,
        selector: &str,
        name: &str,
        text: &str,
        record: &KeyRecord,
        facts: &mut SelectorFacts,
    ) {
        facts.key_type = Some(record.key_type.as_str().to_string());
        facts.testing = record.is_testing();
        facts.hash_algorithms = record.hash_algorithms.clone();
        facts.revoked = record.is_revoked();
        let p_span = record.tag("p").map(|t| t.span()).unwrap_or_default();
        let tag_span = |tag: &str| record.tag(tag).map(|t| t.span()).unwrap_or_default();

        match &record.key {
            PublicKey::Revoked => {
                let f = self.finding(
                    REVOKED,
                    name,
                    format!(
                        "DKIM key at {name} is revoked (empty p=): mail signed with selector {selector} fails DKIM"
                    ),
                );
                let f = Self::at(f.with_record(text), name, p_span);
                self.push(f);
                // Nothing else about a revoked key matters.
                return;
            }
            PublicKey::Invalid { error } => {
                let f = self.finding(
                    BAD_KEY,
                    name,
                    format!(
                        "p= of the DKIM key at {name} is not a usable {} key: {error}",
                        record.key_type
                    ),
                );
                let f = Self::at(f.with_record(text), name, p_span);
                self.push(f);
            }
            PublicKey::Ed25519 { .. } => facts.key_bits = Some(256),
            PublicKey::Rsa { bits, .. } => {
                facts.key_bits = Some(*bits);
                self.weak_key(name, text, *bits, p_span);
            }
        }

        if record.is_testing() {
            let f = self.finding(
                TESTING_MODE,
                name,
                format!(
                    "DKIM key at {name} is in testing mode (t=y): receivers may treat mail signed with selector {selector} as unsigned"
                ),
            );
            let f = Self::at(f.with_record(text), name, tag_span("t"));
            self.push(f);
        }

        if !record.allows_hash("sha256") {
            let listed = record.tag("h").map(|t| t.value.clone()).unwrap_or_default();
            let (rule, message) = if record.allows_hash("sha1") {
                (
                    SHA1_ONLY,
                    format!(
                        "DKIM key at {name} allows only sha1 (h={listed}): receivers reject sha1 signatures (RFC 8301), so mail signed with selector {selector} fails DKIM"
                    ),
                )
            } else {
                (
                    NO_USABLE_HASH,
                    format!(
                        "DKIM key at {name} allows no hash algorithm receivers implement (h={listed}), so every signature with selector {selector} fails"
                    ),
                )
            };
            let f = self.finding(rule, name, message).with_measured(listed);
            let f = Self::at(f.with_record(text), name, tag_span("h"));
            self.push(f);
        }

        if !record.allows_email() {
            let listed = record.tag("s").map(|t| t.value.clone()).unwrap_or_default();
            let f = self
                .finding(
                    NOT_FOR_EMAIL,
                    name,
                    format!(
                        "DKIM key at {name} is limited to s={listed}, which excludes email: receivers ignore it when verifying mail"
                    ),
                )
                .with_measured(listed);
            let f = Self::at(f.with_record(text), name, tag_span("s"));
            self.push(f);
        }
    }

    fn weak_key(&mut self, name: &str, text: &str, bits: u32, p_span: Span) {
        let error_below = self.rules.threshold(WEAK_KEY_ERROR_BELOW);
        let warn_below = self.rules.threshold(WEAK_KEY_WARN_BELOW);
        let measured = f64::from(bits);
        let (severity, threshold, message) = if measured < error_below {
            (
                Severity::Error,
                error_below,
                format!(
                    "RSA key at {name} is {bits} bits; receivers reject signatures made with keys under {error_below} bits (RFC 8301)"
                ),
            )
        } else if measured < warn_below {
            (
                Severity::Warning,
                warn_below,
                format!(
                    "RSA key at {name} is {bits} bits; use at least {warn_below} bits (RFC 8301)"
                ),
            )
        } else {
            return;
        };
        let f = self
            .finding(WEAK_KEY, name, message)
            .with_severity(severity)
            .with_record(text)
            .with_measured(bits)
            .with_threshold(threshold);
        let f = Self::at(f, name, p_span);
        self.push(f);
    }
}
