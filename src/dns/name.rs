//! The one DNS name type: labels of octets, compared case-insensitively as DNS does.
//!
//! Any octet may stand in a label (RFC 2181 §11; RFC 7208 §7.1 lets a domain-spec hold any
//! visible character but `%`). Text is the presentation form of RFC 1035 §5.1: characters
//! stand for themselves except `.` (a label separator) and `\` (`\X` is the octet X, `\DDD`
//! a decimal octet). So `foo:bar.example` and `foo\058bar.example` are the same name, and
//! Display gives a form that parses back to the same octets.

use std::fmt;
use std::str::FromStr;

/// Longest label, in octets (RFC 1035 §2.3.4).
pub const MAX_LABEL_LEN: usize = 63;
/// Longest name on the wire, length octets and the root label included (RFC 1035 §2.3.4).
pub const MAX_NAME_WIRE_LEN: usize = 255;

/// Why text or labels are not a DNS name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("empty name")]
    Empty,
    #[error("empty label")]
    EmptyLabel,
    #[error("label longer than 63 octets")]
    LabelTooLong,
    #[error("longer than 255 octets")]
    TooLong,
    #[error("bad escape sequence")]
    BadEscape,
    #[error("relative name but no origin")]
    Relative,
}

/// An absolute domain name. Held as its wire labels without the root (one length octet,
/// then the octets, per label), ASCII letters folded to lower case, so the derived equality
/// and hash are DNS's case-insensitive comparison and a name costs one small allocation.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DnsName(Box<[u8]>);

impl DnsName {
    /// The root, `.`.
    pub fn root() -> DnsName {
        DnsName(Box::default())
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// A name from its labels, most specific first; every octet is taken as it is.
    pub fn from_labels<I, L>(labels: I) -> Result<DnsName, NameError>
    where
        I: IntoIterator<Item = L>,
        L: AsRef<[u8]>,
    {
        let mut wire = Vec::new();
        for label in labels {
            push_label(&mut wire, label.as_ref())?;
        }
        DnsName::from_wire(wire)
    }

    /// Text in presentation form, absolute whether or not it ends with `.` (names from
    /// records, macros, the command line). `.` alone is the root; empty text is an error.
    pub fn parse(text: &str) -> Result<DnsName, NameError> {
        if text.is_empty() {
            return Err(NameError::Empty);
        }
        let (wire, _) = parse_labels(text.as_bytes())?;
        DnsName::from_wire(wire)
    }

    /// Master-file presentation form: a name without the final `.` is relative to `origin`.
    pub fn parse_relative(raw: &[u8], origin: Option<&DnsName>) -> Result<DnsName, NameError> {
        if raw.is_empty() {
            return Err(NameError::Empty);
        }
        let (mut wire, absolute) = parse_labels(raw)?;
        if !absolute {
            let origin = origin.ok_or(NameError::Relative)?;
            wire.extend_from_slice(&origin.0);
        }
        DnsName::from_wire(wire)
    }

    fn from_wire(wire: Vec<u8>) -> Result<DnsName, NameError> {
        // The stored form lacks only the root's length octet.
        if wire.len() + 1 > MAX_NAME_WIRE_LEN {
            return Err(NameError::TooLong);
        }
        Ok(DnsName(wire.into_boxed_slice()))
    }

    /// The text records and zone records hold: the Display form, but the root is empty
    /// (a null MX's exchange).
    pub fn to_text(&self) -> String {
        if self.is_root() {
            String::new()
        } else {
            self.to_string()
        }
    }

    /// The labels, most specific first, without the root.
    pub fn labels(&self) -> Labels<'_> {
        Labels { rest: &self.0 }
    }

    /// The name one label up; `None` for the root.
    pub fn parent(&self) -> Option<DnsName> {
        let (&len, _) = self.0.split_first()?;
        let rest = self.0.get(usize::from(len) + 1..).unwrap_or_default();
        Some(DnsName(rest.into()))
    }

    /// `label` prepended: `*` and `example.com` give `*.example.com`.
    pub fn child(&self, label: &[u8]) -> Result<DnsName, NameError> {
        let mut wire = Vec::with_capacity(self.0.len() + label.len() + 1);
        push_label(&mut wire, label)?;
        wire.extend_from_slice(&self.0);
        DnsName::from_wire(wire)
    }
}

/// Append one label (length octet, lower-cased octets), checking its size.
fn push_label(wire: &mut Vec<u8>, label: &[u8]) -> Result<(), NameError> {
    if label.is_empty() {
        return Err(NameError::EmptyLabel);
    }
    let len = u8::try_from(label.len())
        .ok()
        .filter(|&n| usize::from(n) <= MAX_LABEL_LEN)
        .ok_or(NameError::LabelTooLong)?;
    wire.push(len);
    wire.extend(label.iter().map(u8::to_ascii_lowercase));
    Ok(())
}

/// Split presentation text into wire labels; also says whether it ended with `.`.
fn parse_labels(raw: &[u8]) -> Result<(Vec<u8>, bool), NameError> {
    let mut wire = Vec::with_capacity(raw.len() + 1);
    if raw == b"." {
        return Ok((wire, true));
    }
    let mut label: Vec<u8> = Vec::new();
    let mut absolute = false;
    let mut i = 0;
    while let Some(&c) = raw.get(i) {
        match c {
            b'.' => {
                push_label(&mut wire, &label)?;
                label.clear();
                i += 1;
                absolute = i == raw.len();
            }
            b'\\' => {
                let (octet, len) = unescape_at(raw, i)?;
                label.push(octet);
                i += len;
            }
            _ => {
                label.push(c);
                i += 1;
            }
        }
    }
    if !label.is_empty() {
        push_label(&mut wire, &label)?;
    }
    Ok((wire, absolute))
}

/// The escape at `raw[i]` (a `\`): `\DDD` (decimal, at most 255) or `\X`. Returns the octet
/// and how many bytes the escape took.
pub(super) fn unescape_at(raw: &[u8], i: usize) -> Result<(u8, usize), NameError> {
    match raw.get(i + 1) {
        Some(d) if d.is_ascii_digit() => {
            let digits = raw.get(i + 1..i + 4).unwrap_or_default();
            if digits.len() != 3 || !digits.iter().all(u8::is_ascii_digit) {
                return Err(NameError::BadEscape);
            }
            let value = digits
                .iter()
                .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'));
            let octet = u8::try_from(value).map_err(|_| NameError::BadEscape)?;
            Ok((octet, 4))
        }
        Some(&other) => Ok((other, 2)),
        None => Err(NameError::BadEscape),
    }
}

/// Labels of a [`DnsName`], most specific first.
pub struct Labels<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Labels<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let (&len, rest) = self.rest.split_first()?;
        let (label, rest) = rest.split_at_checked(usize::from(len))?;
        self.rest = rest;
        Some(label)
    }
}

/// Presentation form without the trailing dot (the root is `.`): visible ASCII as itself,
/// `.` and `\` and the master-file specials `"();@$` as `\X`, anything else (space,
/// controls, octets over 127) as `\DDD`. What a terminal sees is plain ASCII.
impl fmt::Display for DnsName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_root() {
            return f.write_str(".");
        }
        for (n, label) in self.labels().enumerate() {
            if n > 0 {
                f.write_str(".")?;
            }
            for &b in label {
                match b {
                    b'.' | b'\\' | b'"' | b'(' | b')' | b';' | b'@' | b'$' => {
                        write!(f, "\\{}", char::from(b))?;
                    }
                    0x21..=0x7e => write!(f, "{}", char::from(b))?,
                    _ => write!(f, "\\{b:03}")?,
                }
            }
        }
        Ok(())
    }
}

impl fmt::Debug for DnsName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DnsName({self})")
    }
}

impl FromStr for DnsName {
    type Err = NameError;

    fn from_str(text: &str) -> Result<DnsName, NameError> {
        DnsName::parse(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(text: &str) -> DnsName {
        DnsName::parse(text).unwrap()
    }

    #[test]
    fn escapes_and_raw_characters_are_the_same_octets() {
        assert_eq!(name("foo:bar.example"), name("foo\\058bar.example"));
        assert_eq!(name("a b.example"), name("a\\032b.example"));
        let parsed = name("foo\\058bar.Example.");
        let labels: Vec<&[u8]> = parsed.labels().collect();
        assert_eq!(labels, [&b"foo:bar"[..], b"example"]);
        // A dot inside a label is an octet, not a separator.
        assert_eq!(name("a\\.b.example").labels().count(), 2);
        assert_ne!(name("a\\.b.example"), name("a.b.example"));
    }

    #[test]
    fn display_round_trips_every_octet() {
        // Every octet, in two names (all 256 would not fit in one).
        for half in [0..=127u8, 128..=255u8] {
            let octets: Vec<u8> = half.collect();
            let labels: Vec<&[u8]> = octets.chunks(MAX_LABEL_LEN).collect();
            let original = DnsName::from_labels(&labels).unwrap();
            let shown = original.to_string();
            assert!(shown.bytes().all(|b| (0x21..0x7f).contains(&b)), "{shown}");
            let back = name(&shown);
            assert_eq!(back, original);
            // Letters fold to lower case; everything else keeps its octet.
            let folded: Vec<u8> = octets.iter().map(u8::to_ascii_lowercase).collect();
            assert_eq!(back.labels().collect::<Vec<_>>().concat(), folded);
        }
        assert_eq!(name("Foo:Bar.example").to_string(), "foo:bar.example");
        assert_eq!(name("a b.x").to_string(), "a\\032b.x");
        assert_eq!(name("a\\.b\\\\c.x").to_string(), "a\\.b\\\\c.x");
        assert_eq!(name(".").to_string(), ".");
    }

    #[test]
    fn equality_and_hash_ignore_ascii_case_only() {
        use std::collections::HashSet;
        let set: HashSet<DnsName> = ["EXAMPLE.com", "example.COM.", "ex\\065mple.com"]
            .iter()
            .map(|t| name(t))
            .collect();
        assert_eq!(set.len(), 1);
        // Octets over 127 are not letters to DNS (RFC 4343 §3).
        assert_ne!(name("\\196.x"), name("\\228.x"));
    }

    #[test]
    fn limits_are_those_of_the_wire() {
        let label63 = "a".repeat(63);
        assert!(DnsName::parse(&format!("{label63}.x")).is_ok());
        assert_eq!(
            DnsName::parse(&format!("a{label63}.x")),
            Err(NameError::LabelTooLong)
        );
        // 63-octet escapes count as octets, not characters.
        assert!(DnsName::parse(&"\\058".repeat(63)).is_ok());
        assert_eq!(
            DnsName::parse(&"\\058".repeat(64)),
            Err(NameError::LabelTooLong)
        );
        // 253 characters of text is 255 octets on the wire.
        let at_limit = [label63.as_str(); 4].join(".");
        let at_limit = &at_limit[..253];
        assert!(DnsName::parse(at_limit).is_ok());
        assert_eq!(
            DnsName::parse(&format!("a.{at_limit}")),
            Err(NameError::TooLong)
        );
        assert_eq!(DnsName::parse(""), Err(NameError::Empty));
        assert_eq!(DnsName::parse("a..b"), Err(NameError::EmptyLabel));
        assert_eq!(DnsName::parse(".a"), Err(NameError::EmptyLabel));
        assert_eq!(DnsName::parse("a\\2"), Err(NameError::BadEscape));
        assert_eq!(DnsName::parse("a\\256"), Err(NameError::BadEscape));
        assert_eq!(DnsName::parse("a\\"), Err(NameError::BadEscape));
        assert_eq!(
            DnsName::from_labels([b"".as_slice()]),
            Err(NameError::EmptyLabel)
        );
    }

    #[test]
    fn relative_names_take_the_origin() {
        let origin = name("example.com");
        assert_eq!(
            DnsName::parse_relative(b"www", Some(&origin)),
            Ok(name("www.example.com"))
        );
        assert_eq!(
            DnsName::parse_relative(b"www.", Some(&origin)),
            Ok(name("www"))
        );
        assert_eq!(
            DnsName::parse_relative(b"www", None),
            Err(NameError::Relative)
        );
        assert_eq!(name("a.b.c").parent(), Some(name("b.c")));
        assert_eq!(name("c").parent(), Some(DnsName::root()));
        assert_eq!(DnsName::root().parent(), None);
        assert_eq!(name("b.c").child(b"*"), Ok(name("*.b.c")));
    }
}
