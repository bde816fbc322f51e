//! DKIM key records (RFC 6376 §3.6.1, RFC 8463 §4.2) and the facts of the key they publish.
//!
//! [`parse_key_record`] applies the record grammar and semantics: the tag list (§3.2), `v=`
//! (`DKIM1`, first), `k=` (`rsa` or `ed25519`), the lists `h=`, `s=`, `t=`, and `p=` (required,
//! base64 with folding white space). Unknown tags are ignored, as §3.6.1 requires. The key
//! bytes are then decoded into a [`PublicKey`]; key bytes that are base64 but not a key of the
//! `k=` type give [`PublicKey::Invalid`], not a parse error: the record's syntax is fine.

use super::tags::{Span, Tag, TagListError, parse_tag_list};
use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use std::fmt;

/// `p=` decoding: the base64 alphabet of RFC 2045 with padding optional (the verifiers in use
/// accept a key without its final `=`), and non-zero trailing bits tolerated.
const P_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// rsaEncryption, 1.2.840.113549.1.1.1 (RFC 8017 Appendix A.1).
const OID_RSA_ENCRYPTION: spki::ObjectIdentifier =
    spki::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
/// id-Ed25519, 1.3.101.112 (RFC 8410 §3).
const OID_ED25519: spki::ObjectIdentifier = spki::ObjectIdentifier::new_unwrap("1.3.101.112");

/// The `k=` key types this auditor knows (RFC 6376 §3.6.1, RFC 8463 §4.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyType {
    Rsa,
    Ed25519,
}

impl KeyType {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyType::Rsa => "rsa",
            KeyType::Ed25519 => "ed25519",
        }
    }
}

impl fmt::Display for KeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How an RSA public key is wrapped in `p=`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RsaKeyEncoding {
    /// DER SubjectPublicKeyInfo (what `openssl rsa -pubout` prints; nearly every record).
    Spki,
    /// A bare DER RSAPublicKey (PKCS#1), the form RFC 6376 §3.6.1 names.
    Pkcs1,
}

impl RsaKeyEncoding {
    pub fn as_str(self) -> &'static str {
        match self {
            RsaKeyEncoding::Spki => "spki",
            RsaKeyEncoding::Pkcs1 => "pkcs1",
        }
    }
}

/// Why base64-valid key bytes are not a key of the record's type.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyDataError {
    #[error("the {len} key bytes are neither a DER SubjectPublicKeyInfo nor a PKCS#1 RSAPublicKey")]
    NotRsa { len: usize },
    #[error("the key is a SubjectPublicKeyInfo for algorithm {oid}, not RSA")]
    NotRsaAlgorithm { oid: String },
    #[error("the RSA modulus is zero")]
    EmptyModulus,
    #[error("an Ed25519 key is 32 raw bytes, this one is {len} bytes{}",
        if *.spki { " (a DER SubjectPublicKeyInfo wrapper: publish only the last 32 bytes)" } else { "" })]
    Ed25519Length { len: usize, spki: bool },
}

/// The key a record publishes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PublicKey {
    /// `p=` is empty: the key has been revoked (§3.6.1).
    Revoked,
    Rsa {
        /// Modulus length in bits.
        bits: u32,
        encoding: RsaKeyEncoding,
    },
    Ed25519 {
        key: [u8; 32],
    },
    /// Base64 that does not decode to a key of the `k=` type.
    Invalid {
        error: KeyDataError,
    },
}

/// A key record that parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRecord {
    /// `v=` when present (then always `DKIM1`).
    pub version: Option<String>,
    /// `k=`, `rsa` when absent.
    pub key_type: KeyType,
    /// `h=` as listed (lower-cased); `None` when absent, which allows every algorithm.
    pub hash_algorithms: Option<Vec<String>>,
    /// `s=` as listed (lower-cased); `None` when absent, which means `*`.
    pub services: Option<Vec<String>>,
    /// `t=` flags as listed (lower-cased), unknown ones included.
    pub flags: Vec<String>,
    /// `n=` as published.
    pub notes: Option<String>,
    pub key: PublicKey,
    /// Every tag with its spans, in record order, unknown tags included.
    pub tags: Vec<TagSpan>,
}

/// A tag of a parsed record, owned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagSpan {
    pub name: String,
    pub value: String,
    pub name_span: Span,
    pub value_span: Span,
}

impl TagSpan {
    pub fn span(&self) -> Span {
        Span::new(
            self.name_span.start,
            self.value_span.end.max(self.name_span.end),
        )
    }
}

impl KeyRecord {
    /// `t=y`: the domain is testing DKIM (§3.6.1).
    pub fn is_testing(&self) -> bool {
        self.flags.iter().any(|f| f == "y")
    }

    /// `t=s`: the `i=` domain of a signature must equal `d=` (§3.6.1).
    pub fn is_strict_domain(&self) -> bool {
        self.flags.iter().any(|f| f == "s")
    }

    pub fn is_revoked(&self) -> bool {
        self.key == PublicKey::Revoked
    }

    /// Whether `s=` lets the key sign email (`*` or `email`, or no `s=`).
    pub fn allows_email(&self) -> bool {
        self.allows_service("email")
    }

    /// Whether `s=` lists `service` (compared without case) or `*`, or there is no `s=`.
    /// Service types: `email` (RFC 6376 §3.6.1), `tlsrpt` (RFC 8460).
    pub fn allows_service(&self, service: &str) -> bool {
        self.services.as_ref().is_none_or(|s| {
            s.iter()
                .any(|s| s == "*" || s.eq_ignore_ascii_case(service))
        })
    }

    /// Whether `h=` allows the hash algorithm `alg` (`sha256`, `sha1`), or there is no `h=`.
    pub fn allows_hash(&self, alg: &str) -> bool {
        self.hash_algorithms
            .as_ref()
            .is_none_or(|h| h.iter().any(|h| h.eq_ignore_ascii_case(alg)))
    }

    /// The RSA modulus size, for an RSA key that decoded.
    pub fn rsa_bits(&self) -> Option<u32> {
        match self.key {
            PublicKey::Rsa { bits, .. } => Some(bits),
            _ => None,
        }
    }

    /// The tag named `name` (case-sensitive), if the record has it.
    pub fn tag(&self, name: &str) -> Option<&TagSpan> {
        self.tags.iter().find(|t| t.name == name)
    }
}

/// Why a TXT record is not a usable DKIM key record.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyRecordError {
    #[error(transparent)]
    TagList(#[from] TagListError),
    #[error("v= is \"{value}\", not \"DKIM1\"; receivers discard the record")]
    BadVersion { value: String, span: Span },
    #[error("v=DKIM1 is not the first tag")]
    VersionNotFirst { span: Span },
    #[error("the record has no p= tag, so it is not a DKIM key record")]
    MissingKey { span: Span },
    #[error("k={value} is not a key type receivers know (rsa, ed25519)")]
    UnknownKeyType { value: String, span: Span },
    #[error("p= is not base64: {reason}")]
    NotBase64 { reason: String, span: Span },
    #[error("{tag}= is not a list of words separated by \":\": {reason}")]
    BadList {
        tag: String,
        reason: String,
        span: Span,
    },
}

impl KeyRecordError {
    /// Where in the record the problem is.
    pub fn span(&self) -> Span {
        match self {
            KeyRecordError::TagList(e) => e.span(),
            KeyRecordError::BadVersion { span, .. }
            | KeyRecordError::VersionNotFirst { span }
            | KeyRecordError::MissingKey { span }
            | KeyRecordError::UnknownKeyType { span, .. }
            | KeyRecordError::NotBase64 { span, .. }
            | KeyRecordError::BadList { span, .. } => *span,
        }
    }
}

/// Parse a key record (a TXT record's strings joined). Never panics, whatever the bytes.
pub fn parse_key_record(record: &[u8]) -> Result<KeyRecord, KeyRecordError> {
    let tags = parse_tag_list(record)?;
    let find = |name: &str| tags.iter().find(|t| t.name == name);

    // v= (§3.6.1): "DKIM1", and the first tag.
    let version = match tags.iter().position(|t| t.name == "v") {
        Some(index) => {
            let v = &tags[index];
            if v.value != "DKIM1" {
                return Err(KeyRecordError::BadVersion {
                    value: v.value.to_string(),
                    span: v.value_span,
                });
            }
            if index != 0 {
                return Err(KeyRecordError::VersionNotFirst { span: v.span() });
            }
            Some(v.value.to_string())
        }
        None => None,
    };

    let Some(p) = find("p") else {
        return Err(KeyRecordError::MissingKey {
            span: Span::new(0, record.len()),
        });
    };

    // k= (§3.6.1): one hyphenated word; rsa by default. Compared without case, as verifiers do.
    let key_type = match find("k") {
        None => KeyType::Rsa,
        Some(k) => {
            let words = word_list(k, false)?;
            let [word] = words.as_slice() else {
                return Err(KeyRecordError::BadList {
                    tag: "k".into(),
                    reason: "k= names exactly one key type".into(),
                    span: k.value_span,
                });
            };
            match word.as_str() {
                "rsa" => KeyType::Rsa,
                "ed25519" => KeyType::Ed25519,
                _ => {
                    return Err(KeyRecordError::UnknownKeyType {
                        value: k.value.to_string(),
                        span: k.value_span,
                    });
                }
            }
        }
    };

    let hash_algorithms = find("h").map(|h| word_list(h, false)).transpose()?;
    let services = find("s").map(|s| word_list(s, true)).transpose()?;
    let flags = find("t")
        .map(|t| word_list(t, false))
        .transpose()?
        .unwrap_or_default();

    let bytes = decode_p(p)?;
    let key = if bytes.is_empty() {
        PublicKey::Revoked
    } else {
        decode_key(key_type, &bytes)
    };

    Ok(KeyRecord {
        version,
        key_type,
        hash_algorithms,
        services,
        flags,
        notes: find("n").map(|n| n.value.to_string()),
        key,
        tags: tags
            .iter()
            .map(|t| TagSpan {
                name: t.name.to_string(),
                value: t.value.to_string(),
                name_span: t.name_span,
                value_span: t.value_span,
            })
            .collect(),
    })
}

/// A colon-separated list of `hyphenated-word`s (and `*` where `star` is allowed), with
/// folding white space around the colons (§3.6.1 `key-h-tag`, `key-s-tag`, `key-t-tag`).
/// Words are lower-cased: verifiers compare them without case.
fn word_list(tag: &Tag<'_>, star: bool) -> Result<Vec<String>, KeyRecordError> {
    let mut words = Vec::new();
    let mut offset = tag.value_span.start;
    for raw in tag.value.split(':') {
        let word = raw.trim_matches(|c: char| c == ' ' || c == '\t' || c == '\r' || c == '\n');
        let lead = raw.len() - raw.trim_start_matches([' ', '\t', '\r', '\n']).len();
        let span = Span::new(offset + lead, offset + lead + word.len());
        offset += raw.len() + 1;
        if !(is_hyphenated_word(word) || (star && word == "*")) {
            let reason = if word.is_empty() {
                "an empty entry".to_string()
            } else {
                format!("\"{word}\" is not a word (a letter, then letters, digits or \"-\")")
            };
            return Err(KeyRecordError::BadList {
                tag: tag.name.to_string(),
                reason,
                span: if word.is_empty() {
                    tag.value_span
                } else {
                    span
                },
            });
        }
        words.push(word.to_ascii_lowercase());
    }
    Ok(words)
}

/// `hyphenated-word = ALPHA [ *(ALPHA / DIGIT / "-") (ALPHA / DIGIT) ]` (RFC 6376 §2.10).
fn is_hyphenated_word(word: &str) -> bool {
    let bytes = word.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(first), Some(last)) => {
            first.is_ascii_alphabetic()
                && last.is_ascii_alphanumeric()
                && bytes
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
        }
        _ => false,
    }
}

/// `p=`: `base64string = ALPHADIGITPS *([FWS] ALPHADIGITPS) [ [FWS] "=" [ [FWS] "=" ] ]`
/// (§2.10), folding white space removed before decoding.
fn decode_p(p: &Tag<'_>) -> Result<Vec<u8>, KeyRecordError> {
    let mut compact = Vec::with_capacity(p.value.len());
    let mut padding = 0usize;
    for (i, b) in p.value.bytes().enumerate() {
        let at = p.value_span.start + i;
        match b {
            b' ' | b'\t' | b'\r' | b'\n' => continue,
            b'=' => padding += 1,
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/' if padding == 0 => {}
            _ => {
                let reason = if padding > 0 {
                    "data after the \"=\" padding".to_string()
                } else {
                    format!(
                        "\"{}\" is not a base64 character",
                        char::from(b).escape_default()
                    )
                };
                return Err(KeyRecordError::NotBase64 {
                    reason,
                    span: Span::new(at, at + 1),
                });
            }
        }
        compact.push(b);
    }
    if padding > 2 {
        return Err(KeyRecordError::NotBase64 {
            reason: "more than two \"=\"".into(),
            span: p.value_span,
        });
    }
    P_BASE64
        .decode(&compact)
        .map_err(|e| KeyRecordError::NotBase64 {
            reason: match e {
                base64::DecodeError::InvalidLength(_) => {
                    "the length is not a whole number of base64 quanta".to_string()
                }
                base64::DecodeError::InvalidPadding => "wrong \"=\" padding".to_string(),
                other => other.to_string(),
            },
            span: p.value_span,
        })
}

/// Decode the key bytes of a `k=` type.
pub fn decode_key(key_type: KeyType, bytes: &[u8]) -> PublicKey {
    match key_type {
        KeyType::Rsa => match rsa_key(bytes) {
            Ok((bits, encoding)) => PublicKey::Rsa { bits, encoding },
            Err(error) => PublicKey::Invalid { error },
        },
        KeyType::Ed25519 => match <[u8; 32]>::try_from(bytes) {
            Ok(key) => PublicKey::Ed25519 { key },
            Err(_) => PublicKey::Invalid {
                error: KeyDataError::Ed25519Length {
                    len: bytes.len(),
                    spki: is_ed25519_spki(bytes),
                },
            },
        },
    }
}

fn is_ed25519_spki(bytes: &[u8]) -> bool {
    use spki::der::Decode;
    spki::SubjectPublicKeyInfoRef::from_der(bytes).is_ok_and(|s| s.algorithm.oid == OID_ED25519)
}

/// The modulus size of an RSA key given as SubjectPublicKeyInfo or as bare PKCS#1.
fn rsa_key(bytes: &[u8]) -> Result<(u32, RsaKeyEncoding), KeyDataError> {
    use spki::der::Decode;
    if let Ok(info) = spki::SubjectPublicKeyInfoRef::from_der(bytes) {
        if info.algorithm.oid != OID_RSA_ENCRYPTION {
            return Err(KeyDataError::NotRsaAlgorithm {
                oid: info.algorithm.oid.to_string(),
            });
        }
        let inner = info
            .subject_public_key
            .as_bytes()
            .ok_or(KeyDataError::NotRsa { len: bytes.len() })?;
        let key = pkcs1::RsaPublicKey::from_der(inner)
            .map_err(|_| KeyDataError::NotRsa { len: bytes.len() })?;
        return modulus_bits(key.modulus.as_bytes()).map(|bits| (bits, RsaKeyEncoding::Spki));
    }
    match pkcs1::RsaPublicKey::from_der(bytes) {
        Ok(key) => modulus_bits(key.modulus.as_bytes()).map(|bits| (bits, RsaKeyEncoding::Pkcs1)),
        Err(_) => Err(KeyDataError::NotRsa { len: bytes.len() }),
    }
}

/// Bits of a big-endian unsigned integer (leading zero bytes allowed).
fn modulus_bits(modulus: &[u8]) -> Result<u32, KeyDataError> {
    let significant = match modulus.iter().position(|&b| b != 0) {
        Some(first) => &modulus[first..],
        None => return Err(KeyDataError::EmptyModulus),
    };
    let top = significant[0];
    let bits = (significant.len() as u64 - 1) * 8 + u64::from(8 - top.leading_zeros());
    Ok(u32::try_from(bits).unwrap_or(u32::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSA1024_SPKI: &str = "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB";

    fn parse(s: &str) -> Result<KeyRecord, KeyRecordError> {
        parse_key_record(s.as_bytes())
    }

    #[test]
    fn minimal_record_uses_the_defaults() {
        let r = parse(&format!("p={RSA1024_SPKI}")).unwrap();
        assert_eq!(r.version, None);
        assert_eq!(r.key_type, KeyType::Rsa);
        assert_eq!(
            r.key,
            PublicKey::Rsa {
                bits: 1024,
                encoding: RsaKeyEncoding::Spki
            }
        );
        assert!(r.allows_email() && r.allows_hash("sha256") && r.allows_hash("sha1"));
        assert!(!r.is_testing());
    }

    #[test]
    fn base64_may_be_folded_and_unpadded() {
        let (a, b) = RSA1024_SPKI.split_at(100);
        let r = parse(&format!("v=DKIM1; p={a} \r\n\t{b}")).unwrap();
        assert_eq!(r.rsa_bits(), Some(1024));
        let ed = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo";
        let r = parse(&format!("k=ed25519; p={ed}")).unwrap();
        assert!(matches!(r.key, PublicKey::Ed25519 { .. }));
    }

    #[test]
    fn version_must_be_dkim1_and_first() {
        assert!(matches!(
            parse("v=DKIM3; p="),
            Err(KeyRecordError::BadVersion { ref value, .. }) if value == "DKIM3"
        ));
        assert!(matches!(
            parse("k=rsa; v=DKIM1; p="),
            Err(KeyRecordError::VersionNotFirst { span }) if span == Span::new(7, 14)
        ));
        assert!(matches!(
            parse("v=dkim1; p="),
            Err(KeyRecordError::BadVersion { .. })
        ));
    }

    #[test]
    fn missing_p_is_not_a_key_record() {
        // An SPF record at a selector name is a tag list whose v= is not DKIM1.
        assert!(matches!(
            parse("v=spf1 -all"),
            Err(KeyRecordError::BadVersion { ref value, .. }) if value == "spf1 -all"
        ));
        assert!(matches!(
            parse("v=DKIM1; k=rsa"),
            Err(KeyRecordError::MissingKey { span }) if span == Span::new(0, 14)
        ));
        assert!(matches!(
            parse("google-site-verification=abc"),
            Err(KeyRecordError::TagList(
                TagListError::ExpectedTagName { .. }
            ))
        ));
    }

    #[test]
    fn key_types() {
        assert!(matches!(
            parse("k=dsa; p=AAAA"),
            Err(KeyRecordError::UnknownKeyType { ref value, span }) if value == "dsa" && span == Span::new(2, 5)
        ));
        assert!(matches!(
            parse("k=ed25519-sha256; p=AAAA"),
            Err(KeyRecordError::UnknownKeyType { .. })
        ));
        assert!(matches!(
            parse("k=rsa:ed25519; p=AAAA"),
            Err(KeyRecordError::BadList { .. })
        ));
        let r = parse(&format!("k=RSA; p={RSA1024_SPKI}")).unwrap();
        assert_eq!(r.key_type, KeyType::Rsa);
    }

    #[test]
    fn lists_and_flags() {
        let r = parse(&format!(
            "v=DKIM1; h=SHA1 : sha256; s=email:web; t=y:s:extra; p={RSA1024_SPKI}"
        ))
        .unwrap();
        assert_eq!(
            r.hash_algorithms.as_deref(),
            Some(&["sha1".to_string(), "sha256".into()][..])
        );
        assert!(r.is_testing() && r.is_strict_domain());
        assert!(r.allows_email());
        let r = parse(&format!("s=chat; h=sha1; p={RSA1024_SPKI}")).unwrap();
        assert!(!r.allows_email());
        assert!(!r.allows_hash("sha256") && r.allows_hash("sha1"));
        assert!(matches!(
            parse("h=sha1:; p="),
            Err(KeyRecordError::BadList { ref tag, .. }) if tag == "h"
        ));
        assert!(matches!(
            parse("t=y,s; p="),
            Err(KeyRecordError::BadList { ref tag, span, .. }) if tag == "t" && span == Span::new(2, 5)
        ));
        assert!(parse("s=*; p=").is_ok());
        assert!(parse("t=*; p=").is_err());
    }

    #[test]
    fn revoked_and_bad_base64() {
        assert_eq!(parse("k=rsa; t=y; p=").unwrap().key, PublicKey::Revoked);
        assert_eq!(parse("p= ").unwrap().key, PublicKey::Revoked);
        assert!(matches!(
            parse("p=MIGf!*MA"),
            Err(KeyRecordError::NotBase64 { span, .. }) if span == Span::new(6, 7)
        ));
        assert!(matches!(
            parse("p=AAAA=A"),
            Err(KeyRecordError::NotBase64 { .. })
        ));
        assert!(matches!(
            parse("p=AAAAA"),
            Err(KeyRecordError::NotBase64 { .. })
        ));
    }

    #[test]
    fn key_data_problems_are_not_syntax_errors() {
        let r = parse("k=rsa; p=AAAA").unwrap();
        assert!(matches!(
            r.key,
            PublicKey::Invalid {
                error: KeyDataError::NotRsa { len: 3 }
            }
        ));
        // An Ed25519 SubjectPublicKeyInfo under k=rsa, and under k=ed25519.
        let spki = "MCowBQYDK2VwAyEA3SUqa9UbfciWkk7tlcJ9P1VD5pXAasg0JUn/OgjVbKE=";
        let r = parse(&format!("p={spki}")).unwrap();
        assert!(matches!(
            r.key,
            PublicKey::Invalid { error: KeyDataError::NotRsaAlgorithm { ref oid } } if oid == "1.3.101.112"
        ));
        let r = parse(&format!("k=ed25519; p={spki}")).unwrap();
        assert_eq!(
            r.key,
            PublicKey::Invalid {
                error: KeyDataError::Ed25519Length {
                    len: 44,
                    spki: true
                }
            }
        );
    }

    #[test]
    fn modulus_bits_counts_significant_bits() {
        assert_eq!(modulus_bits(&[0x00, 0x80, 0]), Ok(16));
        assert_eq!(modulus_bits(&[0x01]), Ok(1));
        assert_eq!(modulus_bits(&[0, 0]), Err(KeyDataError::EmptyModulus));
        assert_eq!(modulus_bits(&[]), Err(KeyDataError::EmptyModulus));
    }
}
