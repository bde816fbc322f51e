//! DKIM signatures on a draft (RFC 6376 §3.5, §6; RFC 8301; RFC 8463; RFC 8058 §4): static
//! checks of every `DKIM-Signature` header, and verification against the key published at
//! `SELECTOR._domainkey.DOMAIN`, fetched through our own [`Resolver`].
//!
//! The message is read by mail-auth (header split, `DKIM-Signature` tag parsing, body
//! canonicalization and hashing), the key record by mail-auth's `DomainKey` parser, and the
//! header hash and signature are checked by mail-auth's `VerifyingKey`. mail-auth never does
//! DNS here: no `MessageAuthenticator` is built; the key's TXT record is asked of our resolver
//! and handed to mail-auth as bytes. What mail-auth's verifier does not check is checked here:
//! the verification clock (`x=`, with a clock the caller may pin), `v=`, `q=`, `From` in `h=`,
//! `i=` within `d=`, the key's `s=`, `h=`, `k=` and `t=s`, and RFC 8301 (no `rsa-sha1`, no RSA
//! key under the `min_rsa_bits` threshold).
//!
//! The input is the draft as read: LF or CRLF line ends (LF is turned into CRLF, the form in
//! which the message is signed and sent), optionally an mbox `From ` first line.

use super::key::{KeyRecord, KeyType, PublicKey, parse_key_record};
use super::tags::{Tag, parse_tag_list};
use crate::dkim::rules::{
    NOT_ALIGNED, SIGNATURE_INVALID, SIGNATURE_INVALID_MIN_RSA_BITS, UNSUBSCRIBE_NOT_SIGNED,
};
use crate::dns::rules::INCONCLUSIVE;
use crate::dns::{Answer, RecordType, Resolver, normalize_name};
use crate::finding::{Finding, Location};
use crate::rules::Rules;
use mail_auth::common::crypto::{Algorithm, HashAlgorithm};
use mail_auth::common::parse::TxtRecordParser;
use mail_auth::common::verify::DomainKey;
use mail_auth::dkim::{Canonicalization, DkimError, Signature};
use mail_auth::{AuthenticatedMessage, DnsError, Error as AuthError};
use serde::Serialize;
use std::borrow::Cow;

/// Signatures of one message whose keys are fetched: a hostile draft with thousands of
/// signatures must not turn into thousands of DNS queries. The rest get the keyless checks.
pub const MAX_VERIFIED: usize = 16;

/// What [`check_signatures`] reads.
#[derive(Clone, Copy, Debug)]
pub struct SignatureInput<'a> {
    /// The whole message as read: LF or CRLF line ends, possibly an mbox `From ` first line.
    pub raw: &'a [u8],
    /// The domain of the `From` address, when the draft has one.
    pub from_domain: Option<&'a str>,
    /// Fetch the keys and verify the signatures. False when no DNS is available: the checks
    /// that need no key (tags, expiry, body hash, algorithm) still run.
    pub verify: bool,
    /// The verification clock for `x=` (Unix seconds); `None` is the system clock.
    pub now: Option<u64>,
}

impl<'a> SignatureInput<'a> {
    /// Verify against live keys with the system clock.
    pub fn new(raw: &'a [u8], from_domain: Option<&'a str>, verify: bool) -> SignatureInput<'a> {
        SignatureInput {
            raw,
            from_domain,
            verify,
            now: None,
        }
    }

    /// The same input with the verification clock pinned to `now` (Unix seconds).
    pub fn at(self, now: u64) -> SignatureInput<'a> {
        SignatureInput {
            now: Some(now),
            ..self
        }
    }
}

/// One `DKIM-Signature` header, in header order.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct SignatureFacts {
    /// `d=`, lower-cased (empty when the header has none).
    pub domain: String,
    /// `s=`, lower-cased.
    pub selector: String,
    /// `a=` as parsed (`rsa-sha256`, `ed25519-sha256`, `rsa-sha1`), or as written when unknown.
    pub algorithm: String,
    /// `h=`, in signing order, as written.
    pub signed_headers: Vec<String>,
    /// Whether `d=` aligns (relaxed) with the From domain; `None` without a From domain.
    pub aligned: Option<bool>,
    /// `pass`, `fail`, `permerror` or `temperror`; `None` when the key was not fetched and
    /// the checks that need no key found nothing wrong.
    pub result: Option<String>,
    /// Why the result is not `pass`, in one sentence.
    pub problem: Option<String>,
}

/// Check every `DKIM-Signature` of a message; verify them when `input.verify` is set.
/// Facts come in header order; findings in header order, then the message-level ones.
/// Never panics and never prints, whatever the bytes.
pub async fn check_signatures(
    resolver: &Resolver,
    rules: &Rules,
    input: &SignatureInput<'_>,
    target: &str,
) -> (Vec<SignatureFacts>, Vec<Finding>) {
    let raw = wire_form(input.raw);
    let Some(message) = AuthenticatedMessage::parse_with_opts(&raw, None, false) else {
        return (Vec::new(), Vec::new());
    };
    let now = input.now.unwrap_or_else(system_now);
    let from_domain = input
        .from_domain
        .map(normalize_name)
        .filter(|d| !d.is_empty());
    let min_rsa_bits = rules.threshold(SIGNATURE_INVALID_MIN_RSA_BITS);

    let mut facts = Vec::new();
    let mut findings = Vec::new();
    let mut parsed_h: Vec<(String, Vec<String>)> = Vec::new();
    let signatures = message
        .headers
        .iter()
        .filter(|(name, _)| trim_ascii(name).eq_ignore_ascii_case(b"DKIM-Signature"));
    for (index, &(name, value)) in signatures.enumerate() {
        let verify = input.verify && index < MAX_VERIFIED;
        let mut check = Check {
            message: &message,
            name,
            value,
            now,
            min_rsa_bits,
            facts: SignatureFacts::default(),
            key_name: None,
        };
        let outcome = check.run(resolver, verify).await;
        let mut facts_one = check.facts;
        let key_name = check.key_name;
        facts_one.aligned = from_domain
            .as_deref()
            .filter(|_| !facts_one.domain.is_empty())
            .map(|from| aligned(&facts_one.domain, from));
        if outcome.parsed {
            parsed_h.push((facts_one.domain.clone(), facts_one.signed_headers.clone()));
        }
        let shown = String::from_utf8_lossy(trim_ascii(value)).into_owned();
        let who = describe(&facts_one);
        match &outcome.verdict {
            Verdict::Pass | Verdict::Unverified => {}
            Verdict::Fail(problem) | Verdict::PermError(problem) => {
                let mut f = rules
                    .finding(
                        SIGNATURE_INVALID,
                        target,
                        format!(
                            "DKIM signature {who} is invalid ({}): {problem}",
                            outcome.verdict.as_str()
                        ),
                    )
                    .with_record(shown)
                    .with_measured(outcome.verdict.as_str())
                    .at(Location::Header("DKIM-Signature".into()));
                if let Some(key_name) = &key_name {
                    f = f.with_chain(vec![key_name.clone()]);
                }
                findings.push(f);
            }
            Verdict::TempError(problem) => {
                let query = format!("TXT {}", key_name.clone().unwrap_or_default());
                let mut f = rules
                    .finding(
                        INCONCLUSIVE,
                        target,
                        format!(
                            "DNS query {query} failed ({problem}); DKIM signature {who} could not be verified"
                        ),
                    )
                    .with_measured(query)
                    .at(Location::Header("DKIM-Signature".into()));
                if let Some(key_name) = &key_name {
                    f = f.with_chain(vec![key_name.clone()]);
                }
                findings.push(f);
            }
        }
        facts_one.result = outcome.verdict.result().map(str::to_string);
        facts_one.problem = outcome.verdict.problem().map(str::to_string);
        if input.verify && !verify && outcome.verdict == Verdict::Unverified {
            facts_one.problem = Some(format!(
                "not verified: only the first {MAX_VERIFIED} signatures of a message are"
            ));
        }
        facts.push(facts_one);
    }

    if let Some(f) = unsubscribe_coverage(rules, &message, &parsed_h, target) {
        findings.push(f);
    }
    if let Some(from) = &from_domain {
        let domains: Vec<&str> = facts
            .iter()
            .map(|f| f.domain.as_str())
            .filter(|d| !d.is_empty())
            .collect();
        if !domains.is_empty() && !facts.iter().any(|f| f.aligned == Some(true)) {
            let mut listed: Vec<&str> = Vec::new();
            for d in domains {
                if !listed.contains(&d) {
                    listed.push(d);
                }
            }
            let f = rules
                .finding(
                    NOT_ALIGNED,
                    target,
                    format!(
                        "no DKIM signature aligns with the From domain {from}: signed by d={} (relaxed alignment needs the same organizational domain, {})",
                        listed.join(", d="),
                        organizational_domain(from)
                    ),
                )
                .with_measured(listed.join(", "))
                .with_threshold(organizational_domain(from))
                .at(Location::Header("DKIM-Signature".into()));
            findings.push(f);
        }
    }
    (facts, findings)
}

/// RFC 8058 §4: with one-click unsubscription (`List-Unsubscribe-Post`), both list headers
/// must be covered by a DKIM signature. One finding when no signature covers both.
fn unsubscribe_coverage(
    rules: &Rules,
    message: &AuthenticatedMessage<'_>,
    signatures: &[(String, Vec<String>)],
    target: &str,
) -> Option<Finding> {
    let has = |wanted: &str| {
        message
            .headers
            .iter()
            .any(|(name, _)| trim_ascii(name).eq_ignore_ascii_case(wanted.as_bytes()))
    };
    if !has("List-Unsubscribe-Post") || signatures.is_empty() {
        return None;
    }
    const NEEDED: [&str; 2] = ["List-Unsubscribe", "List-Unsubscribe-Post"];
    let missing_of = |h: &[String]| -> Vec<&'static str> {
        NEEDED
            .iter()
            .copied()
            .filter(|n| !h.iter().any(|s| s.trim().eq_ignore_ascii_case(n)))
            .collect()
    };
    if signatures.iter().any(|(_, h)| missing_of(h).is_empty()) {
        return None;
    }
    let details: Vec<String> = signatures
        .iter()
        .map(|(d, h)| format!("h= of d={d} lacks {}", missing_of(h).join(" and ")))
        .collect();
    let missing: Vec<&str> = NEEDED
        .iter()
        .copied()
        .filter(|n| signatures.iter().all(|(_, h)| missing_of(h).contains(n)))
        .collect();
    Some(
        rules
            .finding(
                UNSUBSCRIBE_NOT_SIGNED,
                target,
                format!(
                    "the message offers one-click unsubscription (List-Unsubscribe-Post) but no DKIM signature covers both List-Unsubscribe and List-Unsubscribe-Post: {}",
                    details.join("; ")
                ),
            )
            .with_measured(if missing.is_empty() {
                "no single signature covers both".to_string()
            } else {
                missing.join(", ")
            })
            .at(Location::Header("DKIM-Signature".into())),
    )
}

/// How one signature came out.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Verdict {
    Pass,
    /// The checks that need no key passed; the key was not fetched.
    Unverified,
    Fail(String),
    PermError(String),
    /// The key could not be fetched (DNS failure): the problem is the DNS failure.
    TempError(String),
}

impl Verdict {
    fn as_str(&self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Unverified => "none",
            Verdict::Fail(_) => "fail",
            Verdict::PermError(_) => "permerror",
            Verdict::TempError(_) => "temperror",
        }
    }

    fn result(&self) -> Option<&'static str> {
        match self {
            Verdict::Unverified => None,
            other => Some(other.as_str()),
        }
    }

    fn problem(&self) -> Option<&str> {
        match self {
            Verdict::Fail(p) | Verdict::PermError(p) | Verdict::TempError(p) => Some(p),
            Verdict::Pass | Verdict::Unverified => None,
        }
    }
}

struct Outcome {
    /// mail-auth parsed the signature (so `h=` is known).
    parsed: bool,
    verdict: Verdict,
}

struct Check<'m, 'x> {
    message: &'m AuthenticatedMessage<'x>,
    name: &'x [u8],
    value: &'x [u8],
    now: u64,
    min_rsa_bits: f64,
    facts: SignatureFacts,
    key_name: Option<String>,
}

impl Check<'_, '_> {
    async fn run(&mut self, resolver: &Resolver, verify: bool) -> Outcome {
        // Our own reading of the tag list first: it fills the facts even when mail-auth
        // rejects the signature, and applies the rules mail-auth's parser leaves out.
        let trimmed = trim_ascii(self.value);
        let tags = parse_tag_list(trimmed);
        if let Ok(tags) = &tags {
            let find = |n: &str| tags.iter().find(|t| t.name == n);
            self.facts.domain = find("d")
                .map(|t| t.value.to_ascii_lowercase())
                .unwrap_or_default();
            self.facts.selector = find("s")
                .map(|t| t.value.to_ascii_lowercase())
                .unwrap_or_default();
            self.facts.algorithm = find("a").map(|t| t.value.to_string()).unwrap_or_default();
            self.facts.signed_headers = find("h").map(|t| colon_list(t.value)).unwrap_or_default();
        }
        let signature = match Signature::parse(self.value) {
            Ok(signature) => signature,
            Err(error) => {
                return Outcome {
                    parsed: false,
                    verdict: Verdict::PermError(match tags {
                        Err(e) => format!("the tag list does not parse: {e}"),
                        Ok(_) => signature_error(&error),
                    }),
                };
            }
        };
        self.facts.domain = signature.d.clone();
        self.facts.selector = signature.s.clone();
        self.facts.algorithm = signature.a.name().to_string();
        self.facts.signed_headers = signature.h.clone();
        let verdict = self
            .verdict(resolver, verify, &signature, tags.ok().as_deref())
            .await;
        Outcome {
            parsed: true,
            verdict,
        }
    }

    async fn verdict(
        &mut self,
        resolver: &Resolver,
        verify: bool,
        signature: &Signature,
        tags: Option<&[Tag<'_>]>,
    ) -> Verdict {
        let Some(tags) = tags else {
            // mail-auth is more lenient than RFC 6376 §3.2 (e.g. duplicate tags).
            let error = parse_tag_list(trim_ascii(self.value))
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            return Verdict::PermError(format!("the tag list does not parse: {error}"));
        };
        if let Some(problem) = static_problem(signature, tags) {
            return Verdict::PermError(problem);
        }
        if signature.x != 0 && self.now > signature.x {
            // The day, not the seconds since: the same draft gives the same finding all day.
            return Verdict::PermError(format!(
                "the signature expired on {} UTC (x={}), before the verification time",
                crate::date::Date::from_unix_seconds(signature.x),
                signature.x,
            ));
        }

        // RFC 6376 §6.1: the key (§6.1.2) before the hashes (§6.1.3), so a missing key or a
        // DNS failure is reported as such whatever the body.
        let key = if verify {
            match self.key(resolver, signature).await {
                Ok(key) => Some(key),
                Err(verdict) => return verdict,
            }
        } else {
            None
        };

        // Body hash (§3.7): computed by mail-auth while parsing the message.
        let hash = HashAlgorithm::from(signature.a);
        let body_hash = self
            .message
            .body_hashes
            .iter()
            .find(|(c, h, l, _)| *c == signature.cb && *h == hash && *l == signature.l)
            .map(|(_, _, _, bh)| bh);
        match body_hash {
            Some(bh) if *bh == signature.bh => {}
            Some(_) => {
                return Verdict::Fail(format!(
                    "body hash mismatch: the {} hash of the {} body does not match bh=, so the body was changed after signing",
                    hash.name(),
                    canonicalization_name(signature.cb),
                ));
            }
            None => {
                return Verdict::PermError("the body hash could not be computed".to_string());
            }
        }

        let Some((record, key)) = key else {
            return match rsa_sha1_problem(signature) {
                Some(problem) => Verdict::PermError(problem),
                None => Verdict::Unverified,
            };
        };
        let key_name = self.key_name.clone().unwrap_or_default();

        // Header hash and signature (§3.7, §6.1.3), over the signature header with b= emptied.
        let stripped = strip_b_value(self.value);
        let mut headers = self
            .message
            .signed_headers(&signature.h, self.name, &stripped);
        if let Err(error) = key
            .p
            .verify(&mut headers, &signature.b, signature.ch, signature.a)
        {
            return Verdict::Fail(format!(
                "the signature does not verify against the key at {key_name} ({}): a signed header was changed after signing, or the message was signed with another key",
                auth_error(&error)
            ));
        }

        // RFC 8301: verifiers must not accept these, however well they verify.
        if let Some(problem) = rsa_sha1_problem(signature) {
            return Verdict::PermError(format!(
                "{problem}, although the signature itself verifies"
            ));
        }
        if let Some(bits) = record.rsa_bits()
            && f64::from(bits) < self.min_rsa_bits
        {
            return Verdict::PermError(format!(
                "the RSA key at {key_name} is {bits} bits; receivers reject keys under {} bits (RFC 8301 §3.2), although the signature itself verifies",
                self.min_rsa_bits
            ));
        }
        Verdict::Pass
    }

    /// Fetch and check the key of `signature` (§6.1.2): the record a receiver would use, ours
    /// and mail-auth's readings of it. A failed lookup is a temperror, never a key problem.
    async fn key(
        &mut self,
        resolver: &Resolver,
        signature: &Signature,
    ) -> Result<(KeyRecord, DomainKey), Verdict> {
        let key_name = format!("{}._domainkey.{}", signature.s, signature.d);
        self.key_name = Some(key_name.clone());
        let texts: Vec<Vec<u8>> = match resolver.lookup(&key_name, RecordType::Txt).await {
            Answer::Failure(why) => return Err(Verdict::TempError(why.to_string())),
            Answer::NxDomain => {
                return Err(Verdict::PermError(format!(
                    "no key: {key_name} does not exist (NXDOMAIN)"
                )));
            }
            Answer::NoData => {
                return Err(Verdict::PermError(format!(
                    "no key: {key_name} has no TXT record"
                )));
            }
            Answer::Records(records) => records.iter().filter_map(|r| r.txt_joined()).collect(),
        };
        // The record a receiver would use: the first that parses (§3.6.2.2), else the first.
        let parsed: Vec<_> = texts.iter().map(|t| parse_key_record(t)).collect();
        let index = parsed.iter().position(Result::is_ok).unwrap_or(0);
        let (Some(result), Some(text)) = (parsed.into_iter().nth(index), texts.get(index)) else {
            return Err(Verdict::PermError(format!(
                "no key: {key_name} has no TXT record"
            )));
        };
        let record = match result {
            Ok(record) => record,
            Err(error) => {
                return Err(Verdict::PermError(format!(
                    "the key record at {key_name} does not parse: {error}"
                )));
            }
        };
        if let Some(problem) = key_problem(&record, signature, &key_name) {
            return Err(Verdict::PermError(problem));
        }
        match DomainKey::parse(text) {
            Ok(key) => Ok((record, key)),
            Err(error) => Err(Verdict::PermError(format!(
                "the key at {key_name} is not usable: {}",
                auth_error(&error)
            ))),
        }
    }
}

/// The rules of RFC 6376 that mail-auth's signature parser does not apply.
fn static_problem(signature: &Signature, tags: &[Tag<'_>]) -> Option<String> {
    let find = |n: &str| tags.iter().find(|t| t.name == n);
    // v= is required (§3.5); mail-auth rejects a value other than 1 but not its absence.
    if find("v").is_none() {
        return Some("the signature has no v= tag (RFC 6376 §3.5 requires v=1)".to_string());
    }
    // q= (§3.5): "dns/txt" is the only query method; unknown ones are ignored.
    if let Some(q) = find("q") {
        let methods = colon_list(q.value);
        if !methods
            .iter()
            .any(|m| m.eq_ignore_ascii_case("dns/txt") || m.eq_ignore_ascii_case("dns"))
        {
            return Some(format!(
                "q={} names no key query method receivers implement (dns/txt)",
                q.value
            ));
        }
    }
    // From must be signed (§5.4, §6.1.1).
    if !signature
        .h
        .iter()
        .any(|h| h.trim().eq_ignore_ascii_case("from"))
    {
        return Some(
            "h= does not include From, which every signature must cover (RFC 6376 §6.1.1)"
                .to_string(),
        );
    }
    // i= must be d= or a subdomain of it (§3.5).
    if !signature.i.is_empty() {
        let auid_domain = signature
            .i
            .rsplit_once('@')
            .map_or("", |(_, d)| d)
            .to_ascii_lowercase();
        let d = signature.d.to_ascii_lowercase();
        if auid_domain != d && !auid_domain.ends_with(&format!(".{d}")) {
            return Some(format!(
                "i={} is not in d={} or a subdomain of it (RFC 6376 §6.1.1)",
                signature.i, signature.d
            ));
        }
    }
    if signature.x != 0 && signature.x <= signature.t {
        return Some(format!(
            "x={} is not after t={} (RFC 6376 §3.5)",
            signature.x, signature.t
        ));
    }
    None
}

/// What makes a key record unusable for this signature (RFC 6376 §3.6.1, §6.1.2).
fn key_problem(record: &KeyRecord, signature: &Signature, key_name: &str) -> Option<String> {
    match &record.key {
        PublicKey::Revoked => return Some(format!("the key at {key_name} is revoked (empty p=)")),
        PublicKey::Invalid { error } => {
            return Some(format!(
                "the key at {key_name} is not a usable {} key: {error}",
                record.key_type
            ));
        }
        PublicKey::Rsa { .. } | PublicKey::Ed25519 { .. } => {}
    }
    if !record.allows_email() {
        return Some(format!(
            "the key at {key_name} is limited to s={}, which excludes email",
            record
                .tag("s")
                .map(|t| t.value.as_str())
                .unwrap_or_default()
        ));
    }
    let hash = HashAlgorithm::from(signature.a).name();
    if !record.allows_hash(hash) {
        return Some(format!(
            "the key at {key_name} allows only h={}, and the signature uses {hash}",
            record
                .tag("h")
                .map(|t| t.value.as_str())
                .unwrap_or_default()
        ));
    }
    let wanted = match signature.a {
        Algorithm::Ed25519Sha256 => KeyType::Ed25519,
        Algorithm::RsaSha1 | Algorithm::RsaSha256 => KeyType::Rsa,
    };
    if record.key_type != wanted {
        return Some(format!(
            "the key at {key_name} is a k={} key, and the signature is a={}",
            record.key_type,
            signature.a.name()
        ));
    }
    if record.is_strict_domain() && !signature.i.is_empty() {
        let auid_domain = signature.i.rsplit_once('@').map_or("", |(_, d)| d);
        if !auid_domain.eq_ignore_ascii_case(&signature.d) {
            return Some(format!(
                "the key at {key_name} has t=s, so i= must be in d={} itself, not {auid_domain}",
                signature.d
            ));
        }
    }
    None
}

fn rsa_sha1_problem(signature: &Signature) -> Option<String> {
    (signature.a == Algorithm::RsaSha1).then(|| {
        "a=rsa-sha1: receivers must not accept SHA-1 signatures (RFC 8301 §3.1)".to_string()
    })
}

fn signature_error(error: &AuthError) -> String {
    match error {
        AuthError::MissingParameters => {
            "a required tag is missing or empty (d=, s=, b=, bh= and h= are all required)"
                .to_string()
        }
        AuthError::Base64 => "b= or bh= is not base64".to_string(),
        AuthError::Dkim(DkimError::UnsupportedVersion) => {
            "v= is not 1, the only DKIM signature version".to_string()
        }
        AuthError::Dkim(DkimError::UnsupportedAlgorithm) => {
            "a= is not an algorithm receivers implement (rsa-sha256, ed25519-sha256)".to_string()
        }
        AuthError::Dkim(DkimError::UnsupportedCanonicalization) => {
            "c= is not simple or relaxed (header/body)".to_string()
        }
        other => auth_error(other),
    }
}

fn auth_error(error: &AuthError) -> String {
    match error {
        AuthError::Dns(DnsError::InvalidRecordType) => "not a DKIM key record".to_string(),
        other => other.to_string(),
    }
}

fn canonicalization_name(c: Canonicalization) -> &'static str {
    match c {
        Canonicalization::Relaxed => "relaxed",
        Canonicalization::Simple => "simple",
    }
}

/// `d=example.com s=sel` for messages.
fn describe(facts: &SignatureFacts) -> String {
    match (facts.domain.is_empty(), facts.selector.is_empty()) {
        (false, false) => format!("d={} s={}", facts.domain, facts.selector),
        (false, true) => format!("d={}", facts.domain),
        _ => "(without d= and s=)".to_string(),
    }
}

/// A ":"-separated list, items trimmed of folding white space, empty items dropped.
fn colon_list(value: &str) -> Vec<String> {
    value
        .split(':')
        .map(|s| {
            s.trim_matches(|c: char| c.is_ascii_whitespace())
                .to_string()
        })
        .filter(|s| !s.is_empty())
        .collect()
}

/// The signature header's value with the value of `b=` deleted (RFC 6376 §3.5 `b=`, §3.7),
/// and without its final line break, which is not hashed.
fn strip_b_value(value: &[u8]) -> Vec<u8> {
    let value = value
        .strip_suffix(b"\r\n")
        .or_else(|| value.strip_suffix(b"\n"))
        .unwrap_or(value);
    let mut out = Vec::with_capacity(value.len());
    for (i, segment) in value.split(|&c| c == b';').enumerate() {
        if i > 0 {
            out.push(b';');
        }
        let start = segment
            .iter()
            .position(|c| !c.is_ascii_whitespace())
            .unwrap_or(segment.len());
        let rest = segment.get(start..).unwrap_or_default();
        if rest.first() == Some(&b'b') {
            let after = rest.get(1..).unwrap_or_default();
            let eq = after
                .iter()
                .position(|c| !c.is_ascii_whitespace())
                .unwrap_or(after.len());
            if after.get(eq) == Some(&b'=') {
                out.extend_from_slice(segment.get(..start + eq + 2).unwrap_or(segment));
                continue;
            }
        }
        out.extend_from_slice(segment);
    }
    out
}

/// The message as it is signed and sent: without an mbox `From ` line, with CRLF line ends.
fn wire_form(raw: &[u8]) -> Cow<'_, [u8]> {
    let raw = if raw.starts_with(b"From ") {
        match raw.iter().position(|&b| b == b'\n') {
            Some(end) => raw.get(end + 1..).unwrap_or_default(),
            None => &[],
        }
    } else {
        raw
    };
    let bare_lf = raw
        .iter()
        .enumerate()
        .any(|(i, &b)| b == b'\n' && (i == 0 || raw[i - 1] != b'\r'));
    if !bare_lf {
        return Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 32);
    let mut previous = 0u8;
    for &b in raw {
        if b == b'\n' && previous != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        previous = b;
    }
    Cow::Owned(out)
}

fn trim_ascii(bytes: &[u8]) -> &[u8] {
    bytes.trim_ascii()
}

fn system_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Relaxed alignment (RFC 7489 §3.1.1): the same organizational domain (Public Suffix List).
fn aligned(signing_domain: &str, from_domain: &str) -> bool {
    crate::dns::orgdomain::same_organization(signing_domain, from_domain)
}

/// The organizational domain of `domain`, or the name itself when it is a public suffix.
fn organizational_domain(domain: &str) -> String {
    crate::dns::orgdomain::organizational_domain(domain).unwrap_or_else(|| normalize_name(domain))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn b_value_is_emptied_and_the_line_break_dropped() {
        let v = b" v=1; a=rsa-sha256; bh=abc=;\r\n b=AbC\r\n dEf=; h=from\r\n";
        assert_eq!(
            strip_b_value(v),
            b" v=1; a=rsa-sha256; bh=abc=;\r\n b=; h=from".to_vec()
        );
        assert_eq!(strip_b_value(b"v=1; b =x y\r\n"), b"v=1; b =".to_vec());
        assert_eq!(strip_b_value(b"bh=x; b=y;"), b"bh=x; b=;".to_vec());
        assert_eq!(strip_b_value(b""), b"".to_vec());
    }

    #[test]
    fn wire_form_strips_mbox_line_and_adds_cr() {
        assert_eq!(
            &*wire_form(b"From x\nA: b\n\nbody\n"),
            b"A: b\r\n\r\nbody\r\n"
        );
        assert_eq!(&*wire_form(b"A: b\r\n\r\nx\r\n"), b"A: b\r\n\r\nx\r\n");
        assert_eq!(&*wire_form(b"\n"), b"\r\n");
        assert_eq!(&*wire_form(b"From "), b"");
    }

    #[test]
    fn alignment_is_relaxed() {
        assert!(aligned("example.com", "news.example.com"));
        assert!(aligned("mail.example.com", "example.com"));
        assert!(aligned("EXAMPLE.com.", "example.COM"));
        assert!(!aligned("esp.net", "example.com"));
        // The Public Suffix List, not the last two labels.
        assert!(aligned("mail.example.co.uk", "example.co.uk"));
        assert!(!aligned("other.co.uk", "example.co.uk"));
        assert_eq!(organizational_domain("a.b.example.co.uk"), "example.co.uk");
        assert_eq!(organizational_domain("CO.UK."), "co.uk");
    }
}
