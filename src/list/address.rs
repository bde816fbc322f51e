//! The syntax of one recipient address, its normal form, and its mask for a person's eyes.
//!
//! Accepted (RFC 5321 §4.1.2 `Mailbox`, which is RFC 5322 §3.4.1 `addr-spec` without comments,
//! folding white space or obsolete forms):
//! - the local part a dot-atom (`atext` runs joined by single dots, RFC 5322 §3.2.3) or a
//!   quoted string (printable ASCII and spaces; `\` escapes one printable character); UTF-8
//!   beyond ASCII is allowed in both, as RFC 6532 §3.2 extends `atext` and `qtext`;
//! - the domain a host name of at least two labels (letters, digits, hyphens; no label
//!   starting or ending with a hyphen; a top label not all digits, RFC 3696 §2), written in
//!   ASCII or as a U-label (converted to its A-label, IDNA2008), or an address literal
//!   `[192.0.2.1]` / `[IPv6:2001:db8::1]` (RFC 5321 §4.1.3);
//! - lengths: local part at most 64 octets, domain at most 255, the whole address at most 254
//!   (RFC 5321 §4.5.3.1, the 256-octet path less its angle brackets).
//!
//! A one-label domain (`user@localhost`) is valid RFC 5321 syntax but never deliverable on
//! the Internet, so a list that holds one is wrong: it is refused.

use std::net::{Ipv4Addr, Ipv6Addr};

pub const MAX_LOCAL: usize = 64;
pub const MAX_DOMAIN: usize = 255;
pub const MAX_ADDRESS: usize = 254;

/// A valid address in its normal form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Address {
    /// The local part, case-folded; a quoted local part that needs no quotes is unquoted
    /// (`"jo"` and `jo` are the same mailbox, RFC 5321 §4.1.2).
    pub local: String,
    /// The domain: the A-label form, lower-case; an address literal as written, lower-case.
    pub domain: String,
    /// The domain is an address literal (no DNS is asked for it).
    pub literal: bool,
}

impl Address {
    /// `local@domain`, the key duplicates and suppressions are compared by.
    pub fn normal(&self) -> String {
        format!("{}@{}", self.local, self.domain)
    }
}

/// Why an address is not valid, as a finding says it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Invalid {
    Empty,
    NoAt,
    TooLong(usize),
    LocalTooLong(usize),
    DomainTooLong(usize),
    EmptyLocal,
    BadLocal,
    EmptyDomain,
    OneLabel,
    BadDomain,
    BadLiteral,
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Invalid::Empty => f.write_str("empty"),
            Invalid::NoAt => f.write_str("no @"),
            Invalid::TooLong(n) => write!(f, "{n} octets, over {MAX_ADDRESS}"),
            Invalid::LocalTooLong(n) => write!(f, "local part of {n} octets, over {MAX_LOCAL}"),
            Invalid::DomainTooLong(n) => write!(f, "domain of {n} octets, over {MAX_DOMAIN}"),
            Invalid::EmptyLocal => f.write_str("empty local part"),
            Invalid::BadLocal => f.write_str("local part is neither a dot-atom nor quoted"),
            Invalid::EmptyDomain => f.write_str("empty domain"),
            Invalid::OneLabel => f.write_str("domain of one label"),
            Invalid::BadDomain => f.write_str("domain is not a host name"),
            Invalid::BadLiteral => f.write_str("bad address literal"),
        }
    }
}

/// RFC 5322 §3.2.3 `atext`, with RFC 6532's UTF-8 beyond ASCII.
fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c) || !c.is_ascii()
}

fn is_dot_atom(text: &str) -> bool {
    !text.is_empty()
        && text
            .split('.')
            .all(|atom| !atom.is_empty() && atom.chars().all(is_atext))
}

/// The content of a quoted local part (quotes removed, escapes undone), or `None`.
fn unquote(text: &str) -> Option<String> {
    let inner = text.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let escaped = chars.next()?;
                if escaped.is_ascii_control() {
                    return None;
                }
                out.push(escaped);
            }
            '"' => return None,
            c if c.is_control() => return None,
            c => out.push(c),
        }
    }
    Some(out)
}

/// Parse `text` (already trimmed of surrounding white space by the reader).
pub fn parse(text: &str) -> Result<Address, Invalid> {
    if text.is_empty() {
        return Err(Invalid::Empty);
    }
    let at = text.rfind('@').ok_or(Invalid::NoAt)?;
    let (local, domain) = (&text[..at], &text[at + 1..]);
    if local.is_empty() {
        return Err(Invalid::EmptyLocal);
    }
    if domain.is_empty() {
        return Err(Invalid::EmptyDomain);
    }
    if local.len() > MAX_LOCAL {
        return Err(Invalid::LocalTooLong(local.len()));
    }
    let local = if local.starts_with('"') {
        let content = unquote(local).ok_or(Invalid::BadLocal)?;
        if is_dot_atom(&content) {
            content
        } else {
            // Kept quoted: the quotes are part of how the mailbox is written.
            local.to_string()
        }
    } else if is_dot_atom(local) {
        local.to_string()
    } else {
        return Err(Invalid::BadLocal);
    };
    let (domain, literal) = parse_domain(domain)?;
    let total = local.len() + 1 + domain.len();
    if total > MAX_ADDRESS {
        return Err(Invalid::TooLong(total));
    }
    Ok(Address {
        local: local.to_lowercase(),
        domain,
        literal,
    })
}

fn parse_domain(domain: &str) -> Result<(String, bool), Invalid> {
    if let Some(inner) = domain.strip_prefix('[') {
        let inner = inner.strip_suffix(']').ok_or(Invalid::BadLiteral)?;
        let ok = match inner.get(..5) {
            Some(tag) if tag.eq_ignore_ascii_case("ipv6:") => {
                inner[5..].parse::<Ipv6Addr>().is_ok()
            }
            _ => inner.parse::<Ipv4Addr>().is_ok(),
        };
        return if ok {
            Ok((domain.to_ascii_lowercase(), true))
        } else {
            Err(Invalid::BadLiteral)
        };
    }
    if domain.len() > MAX_DOMAIN {
        return Err(Invalid::DomainTooLong(domain.len()));
    }
    let ascii = if domain.is_ascii() {
        domain.to_ascii_lowercase()
    } else {
        idna::domain_to_ascii(domain).map_err(|_| Invalid::BadDomain)?
    };
    if ascii.len() > MAX_DOMAIN {
        return Err(Invalid::DomainTooLong(ascii.len()));
    }
    let labels: Vec<&str> = ascii.split('.').collect();
    let ldh = |label: &&str| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    if !labels.iter().all(ldh) {
        return Err(Invalid::BadDomain);
    }
    if labels.len() < 2 {
        return Err(Invalid::OneLabel);
    }
    if labels
        .last()
        .is_some_and(|top| top.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(Invalid::BadDomain);
    }
    Ok((ascii, false))
}

/// The address for a person's eyes: the first character of the local part, then `***`, then
/// the domain (`j***@example.com`). Text that is not an address keeps its first character
/// only. The result still needs escaping for a terminal.
pub fn mask(text: &str) -> String {
    let (local, domain) = match text.rfind('@') {
        Some(at) => (&text[..at], Some(&text[at + 1..])),
        None => (text, None),
    };
    let first: String = local.chars().take(1).collect();
    match domain {
        Some(domain) => format!("{first}***@{domain}"),
        None => format!("{first}***"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_addresses_in_their_normal_form() {
        let a = parse("John.Smith@Example.COM").unwrap();
        assert_eq!(a.normal(), "john.smith@example.com");
        assert_eq!(
            parse("\"jo\"@example.com").unwrap().normal(),
            "jo@example.com"
        );
        assert_eq!(
            parse("\"john smith\"@example.com").unwrap().normal(),
            "\"john smith\"@example.com"
        );
        assert!(parse("a+tag@example.com").is_ok());
        assert!(parse("user@[192.0.2.1]").unwrap().literal);
        assert!(parse("user@[IPv6:2001:db8::1]").is_ok());
        assert_eq!(
            parse("user@bücher.example").unwrap().domain,
            "xn--bcher-kva.example"
        );
    }

    #[test]
    fn invalid_addresses_say_why() {
        for (text, why) in [
            ("", Invalid::Empty),
            ("nobody", Invalid::NoAt),
            ("@example.com", Invalid::EmptyLocal),
            ("a@", Invalid::EmptyDomain),
            ("a..b@example.com", Invalid::BadLocal),
            (".a@example.com", Invalid::BadLocal),
            ("a b@example.com", Invalid::BadLocal),
            ("a@localhost", Invalid::OneLabel),
            ("a@-x.example", Invalid::BadDomain),
            ("a@example.123", Invalid::BadDomain),
            ("a@exa_mple.com", Invalid::BadDomain),
            ("a@[300.1.1.1]", Invalid::BadLiteral),
        ] {
            assert_eq!(parse(text), Err(why), "{text}");
        }
        let long_local = format!("{}@example.com", "a".repeat(65));
        assert_eq!(parse(&long_local), Err(Invalid::LocalTooLong(65)));
        let label = "b".repeat(63);
        let long = format!("{}@{label}.{label}.{label}.example", "a".repeat(64));
        assert!(matches!(parse(&long), Err(Invalid::TooLong(_))));
    }

    #[test]
    fn masks_keep_the_first_character_and_the_domain() {
        assert_eq!(mask("jane@example.com"), "j***@example.com");
        assert_eq!(mask("nobody"), "n***");
        assert_eq!(mask("é@x.example"), "é***@x.example");
    }
}
