//! Syntax of the receiving-side TXT records: MTA-STS (`_mta-sts.DOMAIN`, RFC 8461 §3.1) and
//! SMTP TLS Reporting (`_smtp._tls.DOMAIN`, RFC 8460 §3). Parsing only: nothing is fetched.
//!
//! Both records share one shape (RFC 7405 case-sensitive literals):
//!
//! ```text
//! record      = version 1*(field-delim field) [field-delim]
//! field-delim = *WSP ";" *WSP
//! ext-name    = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
//! ext-value   = 1*(%x21-3A / %x3C / %x3E-7E)   ; VCHAR but "=" and ";"
//! ```
//!
//! MTA-STS: `version = %s"v=STSv1"`, required field `id = %s"id=" 1*32(ALPHA / DIGIT)`.
//! TLS-RPT: `version = %s"v=TLSRPTv1"`, required field
//! `rua = %s"rua=" uri *(*WSP "," *WSP uri)`, each URI `mailto:` or `https:`, with `,`, `!`
//! and `;` percent-encoded.

use serde::Serialize;
use std::ops::Range;

/// The version tag an MTA-STS record must begin with.
pub const MTA_STS_VERSION: &str = "v=STSv1";
/// The version tag a TLS-RPT record must begin with.
pub const TLS_RPT_VERSION: &str = "v=TLSRPTv1";

/// Longest `id` value (RFC 8461 §3.1).
const MAX_ID_LEN: usize = 32;
/// Longest extension name: one leading character and 31 more.
const MAX_EXT_NAME_LEN: usize = 32;

/// A record that does not match its grammar: what is wrong and where (byte span in the record
/// with its strings joined).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordSyntaxError {
    pub message: String,
    pub span: Range<usize>,
}

impl RecordSyntaxError {
    fn new(message: impl Into<String>, span: Range<usize>) -> RecordSyntaxError {
        RecordSyntaxError {
            message: message.into(),
            span,
        }
    }
}

/// A parsed `_mta-sts` TXT record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MtaStsRecord {
    /// The policy instance id.
    pub id: String,
    /// Fields other than `id` (ignored by senders), as `(name, value)`.
    pub extensions: Vec<(String, String)>,
}

/// A parsed `_smtp._tls` TXT record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TlsRptRecord {
    /// The report URIs of `rua=`, in order.
    pub rua: Vec<String>,
    /// Fields other than `rua` (ignored by senders), as `(name, value)`.
    pub extensions: Vec<(String, String)>,
}

/// Whether a TXT record looks like an attempt at an MTA-STS record: it begins with `v=STS`
/// in any case. Such records are audited; other TXT records at the name are ignored.
pub fn is_mta_sts_candidate(record: &[u8]) -> bool {
    starts_with_ignore_case(record, b"v=sts")
}

/// Whether a TXT record looks like an attempt at a TLS-RPT record (begins with `v=TLSRPT` in
/// any case).
pub fn is_tls_rpt_candidate(record: &[u8]) -> bool {
    starts_with_ignore_case(record, b"v=tlsrpt")
}

fn starts_with_ignore_case(record: &[u8], prefix: &[u8]) -> bool {
    record
        .get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

/// Parse an MTA-STS TXT record (strings already joined without separators).
pub fn parse_mta_sts(record: &[u8]) -> Result<MtaStsRecord, RecordSyntaxError> {
    let fields = parse_fields(record, MTA_STS_VERSION, |name| name == "id")?;
    let mut id: Option<(String, Range<usize>)> = None;
    let mut extensions = Vec::new();
    for field in fields {
        if field.name == "id" {
            if id.is_some() {
                return Err(RecordSyntaxError::new(
                    "id= appears twice; a record has one policy id",
                    field.span,
                ));
            }
            let value = field.values.into_iter().next().unwrap_or_default();
            check_id(&value.0, value.1.clone())?;
            id = Some(value);
        } else {
            extensions.push((
                field.name,
                field.values.into_iter().next().unwrap_or_default().0,
            ));
        }
    }
    match id {
        Some((id, _)) => Ok(MtaStsRecord { id, extensions }),
        None => Err(RecordSyntaxError::new(
            "no id= field; it is required (id=<1 to 32 letters and digits>)",
            0..record.len(),
        )),
    }
}

/// Parse a TLS-RPT TXT record (strings already joined without separators).
pub fn parse_tls_rpt(record: &[u8]) -> Result<TlsRptRecord, RecordSyntaxError> {
    let fields = parse_fields(record, TLS_RPT_VERSION, |name| name == "rua")?;
    let mut rua: Option<Vec<String>> = None;
    let mut extensions = Vec::new();
    for field in fields {
        if field.name == "rua" {
            if rua.is_some() {
                return Err(RecordSyntaxError::new(
                    "rua= appears twice; list every URI in one rua= separated by commas",
                    field.span,
                ));
            }
            let mut uris = Vec::with_capacity(field.values.len());
            for (uri, span) in field.values {
                check_report_uri(&uri, span)?;
                uris.push(uri);
            }
            rua = Some(uris);
        } else {
            extensions.push((
                field.name,
                field.values.into_iter().next().unwrap_or_default().0,
            ));
        }
    }
    match rua {
        Some(rua) => Ok(TlsRptRecord { rua, extensions }),
        None => Err(RecordSyntaxError::new(
            "no rua= field; it is required (rua=mailto:... or rua=https://...)",
            0..record.len(),
        )),
    }
}

struct Field {
    name: String,
    /// One value for an ordinary field; each URI for a comma-separated list.
    values: Vec<(String, Range<usize>)>,
    span: Range<usize>,
}

fn is_wsp(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// `ext-value` characters: VCHAR except `=` and `;`.
fn is_ext_value_char(b: u8) -> bool {
    matches!(b, 0x21..=0x3a | 0x3c | 0x3e..=0x7e)
}

/// Split a record into its fields after checking the version tag and the delimiters.
/// Fields for which `is_list` is true hold a comma-separated list (`*WSP "," *WSP`).
fn parse_fields(
    record: &[u8],
    version: &str,
    is_list: impl Fn(&str) -> bool,
) -> Result<Vec<Field>, RecordSyntaxError> {
    if let Some(pos) = record
        .iter()
        .position(|&b| !(b.is_ascii() && (b >= 0x20 || b == b'\t')) || b == 0x7f)
    {
        let what = if record.get(pos).is_some_and(u8::is_ascii) {
            "a control character"
        } else {
            "a non-ASCII byte"
        };
        return Err(RecordSyntaxError::new(
            format!("{what} at byte {pos}; the record must be printable US-ASCII"),
            pos..pos + 1,
        ));
    }
    let version_bytes = version.as_bytes();
    let head_end = record
        .iter()
        .position(|&b| b == b';' || is_wsp(b))
        .unwrap_or(record.len());
    let head = record.get(..head_end).unwrap_or_default();
    if head != version_bytes {
        let shown = String::from_utf8_lossy(head);
        let message = if head.eq_ignore_ascii_case(version_bytes) {
            format!(
                "the record begins with {shown:?}; the version tag is case-sensitive: {version}"
            )
        } else {
            format!("the record begins with {shown:?}, not {version}")
        };
        return Err(RecordSyntaxError::new(message, 0..head_end));
    }
    let mut fields = Vec::new();
    let mut pos = head_end;
    loop {
        // field-delim, or the end of the record.
        pos = skip_wsp(record, pos);
        match record.get(pos) {
            None => break,
            Some(b';') => pos += 1,
            Some(_) => {
                let end = token_end(record, pos);
                return Err(RecordSyntaxError::new(
                    format!(
                        "expected \";\" before {:?}; fields are separated by semicolons",
                        lossy(record, pos..end)
                    ),
                    pos..end,
                ));
            }
        }
        pos = skip_wsp(record, pos);
        if pos >= record.len() {
            // A trailing delimiter is allowed.
            break;
        }
        let (field, next) = parse_field(record, pos, &is_list)?;
        fields.push(field);
        pos = next;
    }
    if fields.is_empty() {
        return Err(RecordSyntaxError::new(
            format!("{version} is followed by no field"),
            0..record.len(),
        ));
    }
    Ok(fields)
}

fn skip_wsp(record: &[u8], mut pos: usize) -> usize {
    while record.get(pos).is_some_and(|&b| is_wsp(b)) {
        pos += 1;
    }
    pos
}

/// End of the run of characters starting at `pos` that are neither blank nor `;`.
fn token_end(record: &[u8], mut pos: usize) -> usize {
    while record.get(pos).is_some_and(|&b| b != b';' && !is_wsp(b)) {
        pos += 1;
    }
    pos
}

fn lossy(record: &[u8], span: Range<usize>) -> String {
    String::from_utf8_lossy(record.get(span).unwrap_or_default()).into_owned()
}

/// One `name=value` field starting at `start`; returns it and the position after it.
fn parse_field(
    record: &[u8],
    start: usize,
    is_list: &impl Fn(&str) -> bool,
) -> Result<(Field, usize), RecordSyntaxError> {
    let end = token_end(record, start);
    let token = record.get(start..end).unwrap_or_default();
    let Some(eq) = token.iter().position(|&b| b == b'=') else {
        return Err(RecordSyntaxError::new(
            format!("field {:?} has no \"=\"", lossy(record, start..end)),
            start..end,
        ));
    };
    let name_span = start..start + eq;
    let name = lossy(record, name_span.clone());
    check_ext_name(&name, name_span)?;
    let value_start = start + eq + 1;
    if !is_list(&name) {
        let value_span = value_start..end;
        let value = lossy(record, value_span.clone());
        if value.is_empty() {
            return Err(RecordSyntaxError::new(
                format!("{name}= has an empty value"),
                start..end,
            ));
        }
        if let Some(i) = value.bytes().position(|b| !is_ext_value_char(b)) {
            let at = value_start + i;
            return Err(RecordSyntaxError::new(
                format!("{name}= value {value:?} contains \"=\", which must not appear in a value"),
                at..at + 1,
            ));
        }
        let field = Field {
            name,
            values: vec![(value, value_span)],
            span: start..end,
        };
        return Ok((field, end));
    }
    // A list: uri *(*WSP "," *WSP uri); an item ends at a blank, a comma or a semicolon.
    let mut values = Vec::new();
    let mut pos = value_start;
    // Where the error for an empty entry points: the "name=" or the comma before it.
    let mut before = start..value_start;
    loop {
        let item_start = pos;
        while record
            .get(pos)
            .is_some_and(|&b| b != b';' && b != b',' && !is_wsp(b))
        {
            pos += 1;
        }
        if pos == item_start {
            let message = if values.is_empty() {
                format!("{name}= has an empty value")
            } else {
                format!("{name}= has an empty entry after a comma")
            };
            return Err(RecordSyntaxError::new(message, before));
        }
        values.push((lossy(record, item_start..pos), item_start..pos));
        let after = skip_wsp(record, pos);
        if record.get(after) == Some(&b',') {
            before = after..after + 1;
            pos = skip_wsp(record, after + 1);
        } else {
            break;
        }
    }
    let field = Field {
        name,
        values,
        span: start..pos,
    };
    Ok((field, pos))
}

fn check_ext_name(name: &str, span: Range<usize>) -> Result<(), RecordSyntaxError> {
    let bytes = name.as_bytes();
    let valid = bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.len() <= MAX_EXT_NAME_LEN
        && bytes
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if valid {
        Ok(())
    } else {
        Err(RecordSyntaxError::new(
            format!(
                "field name {name:?} is not 1 to 32 letters, digits, \"_\", \"-\" or \".\" starting with a letter or digit"
            ),
            span,
        ))
    }
}

fn check_id(id: &str, span: Range<usize>) -> Result<(), RecordSyntaxError> {
    if let Some((i, c)) = id.char_indices().find(|(_, c)| !c.is_ascii_alphanumeric()) {
        let at = span.start + i;
        return Err(RecordSyntaxError::new(
            format!("id {id:?} contains \"{c}\"; an id is letters and digits only"),
            at..at + 1,
        ));
    }
    if id.len() > MAX_ID_LEN {
        return Err(RecordSyntaxError::new(
            format!(
                "id {id:?} is {} characters long; at most {MAX_ID_LEN} are allowed",
                id.len()
            ),
            span,
        ));
    }
    Ok(())
}

/// One `rua=` URI: `mailto:` or `https:`, only URI characters, `!` percent-encoded.
fn check_report_uri(uri: &str, span: Range<usize>) -> Result<(), RecordSyntaxError> {
    let bytes = uri.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let at = span.start + i;
        match b {
            b'%' => {
                let hex = |k: usize| bytes.get(k).is_some_and(u8::is_ascii_hexdigit);
                if !(hex(i + 1) && hex(i + 2)) {
                    return Err(RecordSyntaxError::new(
                        format!("URI {uri:?}: \"%\" is not followed by two hex digits"),
                        at..(at + 3).min(span.end),
                    ));
                }
                i += 3;
                continue;
            }
            b'!' => {
                return Err(RecordSyntaxError::new(
                    format!("URI {uri:?}: \"!\" must be percent-encoded as %21 (RFC 8460 §3)"),
                    at..at + 1,
                ));
            }
            b if b.is_ascii_alphanumeric() || b"-._~:/?#[]@$&'()*+=".contains(&b) => {}
            _ => {
                return Err(RecordSyntaxError::new(
                    format!("URI {uri:?}: \"{}\" is not allowed in a URI", char::from(b)),
                    at..at + 1,
                ));
            }
        }
        i += 1;
    }
    let Some((scheme, rest)) = uri.split_once(':') else {
        return Err(RecordSyntaxError::new(
            format!("{uri:?} is not a URI: it has no scheme (mailto: or https:)"),
            span,
        ));
    };
    if scheme.eq_ignore_ascii_case("mailto") {
        let address = rest.split('?').next().unwrap_or_default();
        let valid = address
            .rsplit_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
        if !valid {
            return Err(RecordSyntaxError::new(
                format!("URI {uri:?}: mailto: must be followed by an address local@domain"),
                span,
            ));
        }
        return Ok(());
    }
    if scheme.eq_ignore_ascii_case("https") {
        let host = rest
            .strip_prefix("//")
            .map(|r| r.split(['/', '?', '#']).next().unwrap_or_default())
            .map(|authority| authority.rsplit_once('@').map_or(authority, |(_, h)| h))
            .unwrap_or_default();
        if host.is_empty() || host.starts_with(':') {
            return Err(RecordSyntaxError::new(
                format!("URI {uri:?}: https: must be followed by //host"),
                span,
            ));
        }
        return Ok(());
    }
    Err(RecordSyntaxError::new(
        format!("URI {uri:?}: scheme {scheme:?} is not supported; use mailto: or https:"),
        span.start..span.start + scheme.len(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_mta_sts_records() {
        let r = parse_mta_sts(b"v=STSv1; id=20160831085700Z;").unwrap();
        assert_eq!(r.id, "20160831085700Z");
        let r = parse_mta_sts(b"v=STSv1;id=abc").unwrap();
        assert_eq!(r.id, "abc");
        let r = parse_mta_sts(b"v=STSv1 ;\tid=abc ; ext.1=x:y/z ;").unwrap();
        assert_eq!(r.extensions, [("ext.1".to_string(), "x:y/z".to_string())]);
        let r = parse_mta_sts(b"v=STSv1; foo=bar; id=a1").unwrap();
        assert_eq!(r.id, "a1");
        assert!(parse_mta_sts(format!("v=STSv1; id={}", "a".repeat(32)).as_bytes()).is_ok());
    }

    #[test]
    fn invalid_mta_sts_records() {
        let cases: &[(&[u8], &str, Range<usize>)] = &[
            (b"v=STSv1", "no field", 0..7),
            (b"v=STSv1;", "no field", 0..8),
            (b"v=STSv1; ", "no field", 0..9),
            (b"v=stsv1; id=abc", "case-sensitive", 0..7),
            (b"v=STSv2; id=abc", "not v=STSv1", 0..7),
            (b"v=STSv1; id=abc-1", "letters and digits", 15..16),
            (b"v=STSv1; id=", "empty value", 9..12),
            (b"v=STSv1; mode=enforce", "no id=", 0..21),
            (b"v=STSv1; ID=abc", "no id=", 0..15),
            (b"v=STSv1 id=abc", "expected \";\"", 8..14),
            (b"v=STSv1; id=abc; id=abd", "twice", 17..23),
            (b"v=STSv1; id", "no \"=\"", 9..11),
            (b"v=STSv1; id=a; _x=1", "field name", 15..17),
            (b"v=STSv1; id=a; x=a=b", "contains \"=\"", 18..19),
            (b"v=STSv1; id=\xc3\xa9", "non-ASCII", 12..13),
            (b"v=STSv1; id=a\x01", "control", 13..14),
        ];
        for (record, needle, span) in cases {
            let e = parse_mta_sts(record).unwrap_err();
            assert!(
                e.message.contains(needle),
                "{:?}: {e:?}",
                String::from_utf8_lossy(record)
            );
            assert_eq!(
                &e.span,
                span,
                "{:?}: {e:?}",
                String::from_utf8_lossy(record)
            );
        }
        let long = format!("v=STSv1; id={}", "a".repeat(33));
        assert!(
            parse_mta_sts(long.as_bytes())
                .unwrap_err()
                .message
                .contains("33")
        );
    }

    #[test]
    fn valid_tls_rpt_records() {
        let r = parse_tls_rpt(b"v=TLSRPTv1; rua=mailto:reports@example.com").unwrap();
        assert_eq!(r.rua, ["mailto:reports@example.com"]);
        let r = parse_tls_rpt(
            b"v=TLSRPTv1;rua=mailto:a@example.com , https://reporting.example.com/v1/tlsrpt;",
        )
        .unwrap();
        assert_eq!(
            r.rua,
            [
                "mailto:a@example.com",
                "https://reporting.example.com/v1/tlsrpt"
            ]
        );
        let r = parse_tls_rpt(b"v=TLSRPTv1; rua=MAILTO:a%21b@example.com; x=1").unwrap();
        assert_eq!(r.extensions.len(), 1);
    }

    #[test]
    fn invalid_tls_rpt_records() {
        let cases: &[(&[u8], &str)] = &[
            (b"v=TLSRPTv1", "no field"),
            (b"v=tlsrptv1; rua=mailto:a@example.com", "case-sensitive"),
            (b"v=TLSRPTv1; rua=http://example.com/r", "not supported"),
            (b"v=TLSRPTv1; rua=reports@example.com", "scheme"),
            (b"v=TLSRPTv1; rua=mailto:reports", "local@domain"),
            (b"v=TLSRPTv1; rua=https:reports.example.com", "//host"),
            (b"v=TLSRPTv1; rua=mailto:a!b@example.com", "%21"),
            (b"v=TLSRPTv1; rua=mailto:a@example.com,", "empty entry"),
            (b"v=TLSRPTv1; rua=", "empty value"),
            (b"v=TLSRPTv1; rua=mailto:a@example.com x", "expected"),
            (b"v=TLSRPTv1; rua=mailto:a@example.com%2", "hex digits"),
            (b"v=TLSRPTv1; rua=mailto:<a@example.com>", "not allowed"),
            (b"v=TLSRPTv1; x=1", "no rua="),
            (
                b"v=TLSRPTv1; rua=mailto:a@example.com; rua=mailto:b@example.com",
                "twice",
            ),
        ];
        for (record, needle) in cases {
            let e = parse_tls_rpt(record).unwrap_err();
            assert!(
                e.message.contains(needle),
                "{:?}: {e:?}",
                String::from_utf8_lossy(record)
            );
            assert!(e.span.end <= record.len() && e.span.start <= e.span.end);
        }
    }

    #[test]
    fn candidates() {
        assert!(is_mta_sts_candidate(b"V=stsv1; id=1"));
        assert!(!is_mta_sts_candidate(b"v=spf1 -all"));
        assert!(is_tls_rpt_candidate(b"v=TLSRPTv1;"));
        assert!(!is_tls_rpt_candidate(b"v=TLS"));
    }
}
