//! Every row of the DKIM key-record vectors (`fixtures/conformance/dkim/key-records.tsv`, a
//! byte-for-byte copy of `../shared/conformance/dkim/`) through the key-record parser: the
//! expected outcome, the key facts in `key_info`, and the record's provenance in the copied
//! source files.

use base64::Engine;
use mailaudit::dkim::{
    KeyDataError, KeyRecordError, KeyType, PublicKey, RsaKeyEncoding, decode_key, parse_key_record,
    parse_tag_list,
};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Rows whose `expected` value we believe is wrong, keyed by (source, name, expected), with
/// what we produce instead and why. A disputed row still has its `key_info` checked; an entry
/// that matches no row, or whose row now agrees, fails the test, so the table only shrinks.
const DISPUTED: &[(&str, &str, &str, &str, &str)] = &[(
    "mail-dkim/FAKE_DNS.dat",
    "invalid._domainkey.wander.science",
    "invalid",
    "valid-syntax-bad-key",
    // The record `v=DKIM1; k=ed25519; p=MCowBQYDK2VwAyEA...` is a well-formed key record:
    // the tag list parses (RFC 6376 §3.2), v= is DKIM1 and first, k=ed25519 is a registered
    // key type (RFC 8463 §4.2), and p= matches the key-p-tag grammar (base64string, §3.6.1).
    // What is wrong is the key data: 44 bytes (a DER SubjectPublicKeyInfo around the key)
    // where RFC 8463 §4.2 wants the 32 raw bytes. That is the same class of defect as
    // dkimpy/test_bad.txt (base64 that is not a valid RSA key), which this file labels
    // `valid-syntax-bad-key`; RFC 6376 §3.6.1 says the content of p= is defined by k= for every
    // key type, so the two cannot fall into different classes. Both are rejected (PERMFAIL)
    // either way; we report both as dkim/bad-key.
    "well-formed record whose ed25519 key data is 44 bytes, not 32: same class as test_bad.txt",
)];

struct Row {
    line: usize,
    source: String,
    name: String,
    record: String,
    expected: String,
    key_info: String,
}

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/conformance/dkim")
}

fn rows() -> Vec<Row> {
    let text = std::fs::read_to_string(fixture_dir().join("key-records.tsv"))
        .expect("key-records.tsv is readable");
    let mut rows = Vec::new();
    let mut header_seen = false;
    for (i, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        if !header_seen {
            assert_eq!(
                cols,
                ["source", "name", "record", "expected", "note", "key_info"],
                "header of key-records.tsv"
            );
            header_seen = true;
            continue;
        }
        assert_eq!(cols.len(), 6, "line {}: 6 columns", i + 1);
        rows.push(Row {
            line: i + 1,
            source: cols[0].into(),
            name: cols[1].into(),
            record: cols[2].into(),
            expected: cols[3].into(),
            key_info: cols[5].into(),
        });
    }
    rows
}

/// The record's bytes. The file writes an empty TXT string as `""` (the row's note says so,
/// and FAKE_DNS.dat has the same); every other record is used exactly as written.
fn record_bytes(row: &Row) -> &[u8] {
    if row.record == "\"\"" {
        b""
    } else {
        row.record.as_bytes()
    }
}

/// The outcome of our parser in the file's vocabulary.
fn classify(record: &[u8]) -> &'static str {
    match parse_key_record(record) {
        Err(_) => "invalid",
        Ok(r) => match r.key {
            PublicKey::Revoked => "revoked",
            PublicKey::Invalid { .. } => "valid-syntax-bad-key",
            // Usable for the service it declares: s= names a registered DKIM service type
            // (email, RFC 6376 §3.6.1; tlsrpt, RFC 8460) or *, and h= allows one of the two
            // hash algorithms RFC 6376 defines. RFC 8301 policy (no sha1, no RSA under 1024
            // bits) is a lint of the audit, not part of parsing. A record usable only for
            // tlsrpt is valid here, and the audit still reports dkim/not-for-email on it.
            _ if !(r.allows_service("email") || r.allows_service("tlsrpt"))
                || !(r.allows_hash("sha256") || r.allows_hash("sha1")) =>
            {
                "valid-but-unusable"
            }
            _ => "valid",
        },
    }
}

/// Check `key_info` against what the parser found. Returns a problem description, if any.
fn check_key_info(row: &Row) -> Option<String> {
    let info = row.key_info.as_str();
    let parsed = parse_key_record(record_bytes(row));
    if let Some(rest) = info.strip_prefix("RSA ") {
        // "RSA 1024 bits, SPKI" | "RSA 1024 bits, PKCS#1 RSAPublicKey"
        let (bits, encoding) = rest.split_once(" bits, ")?;
        let bits: u32 = bits.parse().ok()?;
        let encoding = if encoding.starts_with("SPKI") {
            RsaKeyEncoding::Spki
        } else if encoding.starts_with("PKCS#1") {
            RsaKeyEncoding::Pkcs1
        } else {
            return Some(format!("unknown encoding in key_info {info:?}"));
        };
        // For a record rejected before its key is read (v=DKIM3, "t;", k=foobar), decode p=
        // as an RSA key directly: key_info describes the key bytes whatever the record says.
        let key = match &parsed {
            Ok(r) => r.key.clone(),
            Err(_) => decode_key(KeyType::Rsa, &raw_p(row)?),
        };
        let want = PublicKey::Rsa { bits, encoding };
        return (key != want).then(|| format!("key {key:?}, key_info says {want:?}"));
    }
    if let Some(rest) = info.strip_prefix("ed25519 raw ") {
        let len: usize = rest.split(' ').next()?.parse().ok()?;
        let key = decode_key(KeyType::Ed25519, &raw_p(row)?);
        let ok = match (&key, len) {
            (PublicKey::Ed25519 { .. }, 32) => true,
            (
                PublicKey::Invalid {
                    error: KeyDataError::Ed25519Length { len: got, .. },
                },
                want,
            ) => *got == want,
            _ => false,
        };
        if let Ok(r) = &parsed
            && r.key_type == KeyType::Ed25519
            && r.key != key
        {
            return Some(format!("record key {:?} differs from {key:?}", r.key));
        }
        return (!ok).then(|| format!("ed25519 key {key:?}, key_info says {len} bytes"));
    }
    match info {
        "revoked(empty p)" => match parsed {
            Ok(r) if r.key == PublicKey::Revoked => None,
            other => Some(format!("expected a revoked key, got {other:?}")),
        },
        "no-p" => match parsed {
            Err(KeyRecordError::MissingKey { .. })
            | Err(KeyRecordError::TagList(mailaudit::dkim::TagListError::Empty)) => None,
            other => Some(format!("expected no p=, got {other:?}")),
        },
        "undecodable (corrupted key bytes)" => match parsed {
            Ok(r) if matches!(r.key, PublicKey::Invalid { .. }) => None,
            other => Some(format!("expected undecodable key bytes, got {other:?}")),
        },
        _ => Some(format!("key_info {info:?} not understood by this test")),
    }
}

/// The base64-decoded p= of a row, read with the tag-list parser alone.
fn raw_p(row: &Row) -> Option<Vec<u8>> {
    let tags = parse_tag_list(record_bytes(row)).ok()?;
    let p = tags.iter().find(|t| t.name == "p")?;
    let compact: String = p.value.split_ascii_whitespace().collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .ok()
}

/// The row's record must be the one in its source file.
fn check_provenance(row: &Row) -> Option<String> {
    let path: PathBuf = fixture_dir().join(&row.source);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => return Some(format!("{}: {e}", rel(&path))),
    };
    let found = if row.name == "-" {
        // dkimpy key files hold the record alone.
        text.trim_end_matches(['\r', '\n']) == row.record
    } else {
        text.lines().any(|line| {
            line.strip_prefix(row.name.as_str())
                .is_some_and(|rest| rest.trim_start() == row.record && rest.starts_with(' '))
        })
    };
    (!found).then(|| format!("record not found in {}", row.source))
}

fn rel(path: &Path) -> String {
    path.strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .unwrap_or(path)
        .display()
        .to_string()
}

#[test]
fn key_record_vectors() {
    let rows = rows();
    assert_eq!(rows.len(), 38, "SOURCE.md §4 announces 38 records");
    let mut agree = 0usize;
    let mut failures = Vec::new();
    let mut disputed_used = vec![false; DISPUTED.len()];
    for row in &rows {
        let got = classify(record_bytes(row));
        let dispute = DISPUTED.iter().position(|(source, name, expected, _, _)| {
            *source == row.source && *name == row.name && *expected == row.expected
        });
        let label = format!("line {} {} {}", row.line, row.source, row.name);
        match dispute {
            Some(i) => {
                disputed_used[i] = true;
                let (_, _, _, ours, _) = DISPUTED[i];
                if got == row.expected {
                    failures.push(format!("{label}: agrees now, remove it from DISPUTED"));
                } else if got != ours {
                    failures.push(format!("{label}: disputed as {ours}, but got {got}"));
                }
            }
            None if got == row.expected => agree += 1,
            None => failures.push(format!(
                "{label}: expected {}, got {got} ({:?})",
                row.expected,
                parse_key_record(record_bytes(row)).map(|r| r.key)
            )),
        }
        if let Some(problem) = check_key_info(row) {
            failures.push(format!("{label}: key_info: {problem}"));
        }
        if let Some(problem) = check_provenance(row) {
            failures.push(format!("{label}: provenance: {problem}"));
        }
    }
    for (i, used) in disputed_used.iter().enumerate() {
        if !used {
            failures.push(format!("DISPUTED entry {} matches no row", DISPUTED[i].1));
        }
    }
    // Written to the stdout handle, not println!, so it shows without --nocapture.
    let mut summary = format!(
        "dkim key records: {agree}/{} agree, {} disputed\n",
        rows.len(),
        DISPUTED.len()
    );
    for (source, name, expected, ours, why) in DISPUTED {
        summary.push_str(&format!(
            "DISPUTED {source} {name}: file says {expected}, we say {ours}: {why}\n"
        ));
    }
    for f in &failures {
        summary.push_str(&format!("FAIL {f}\n"));
    }
    let _ = std::io::stdout().write_all(summary.as_bytes());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(agree + DISPUTED.len(), rows.len());
}

/// The expected classes the file uses, so a new class in an updated copy is noticed.
#[test]
fn the_file_uses_known_classes() {
    for row in rows() {
        assert!(
            [
                "valid",
                "invalid",
                "revoked",
                "valid-but-unusable",
                "valid-syntax-bad-key"
            ]
            .contains(&row.expected.as_str()),
            "line {}: class {}",
            row.line,
            row.expected
        );
    }
}
