//! SPF macros (RFC 7208 §7): parsing `macro-string`s and expanding them.

use super::record::{MacroPart, MacroString};
use std::fmt;
use std::net::IpAddr;

/// Where a macro-string appears; decides which letters are allowed and how the result is used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MacroContext {
    /// A `domain-spec` in a mechanism, `redirect=` or `exp=`: no `c`, `r`, `t`.
    DomainSpec,
    /// The value of an unknown modifier: any letter (it is never expanded).
    ModifierValue,
    /// Explanation text fetched by `exp=` (§6.2): spaces and `c`, `r`, `t` allowed.
    Explanation,
}

/// A macro-string that does not follow §7.1. `offset` is a byte offset into the string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MacroSyntaxError {
    pub message: String,
    pub offset: usize,
}

impl fmt::Display for MacroSyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for MacroSyntaxError {}

/// A parsed macro-string plus where its trailing literal text starts (for `domain-end`).
pub(crate) struct ParsedMacroString {
    pub string: MacroString,
    /// Byte offset just after the last `macro-expand` token (0 when there is none).
    pub literal_tail_start: usize,
}

/// Parse a macro-string (§7.1) in the given context.
pub fn parse_macro_string(
    text: &str,
    context: MacroContext,
) -> Result<MacroString, MacroSyntaxError> {
    parse_tokens(text, context).map(|p| p.string)
}

/// Parse explanation text (§6.2 `explain-string`).
pub fn parse_explanation(text: &str) -> Result<MacroString, MacroSyntaxError> {
    parse_macro_string(text, MacroContext::Explanation)
}

pub(crate) fn parse_tokens(
    text: &str,
    context: MacroContext,
) -> Result<ParsedMacroString, MacroSyntaxError> {
    let bytes = text.as_bytes();
    let mut parts: Vec<MacroPart> = Vec::new();
    let mut literal = String::new();
    let mut tail_start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let Some(&next) = bytes.get(i + 1) else {
                return Err(err("'%' at the end of the string", i));
            };
            match next {
                b'%' => literal.push('%'),
                b'_' => literal.push(' '),
                b'-' => literal.push_str("%20"),
                b'{' => {
                    let close = bytes[i + 2..]
                        .iter()
                        .position(|&c| c == b'}')
                        .map(|p| p + i + 2)
                        .ok_or_else(|| err("unterminated macro: missing '}'", i))?;
                    let part = parse_macro_body(&text[i + 2..close], context, i)?;
                    if !literal.is_empty() {
                        parts.push(MacroPart::Literal(std::mem::take(&mut literal)));
                    }
                    parts.push(part);
                    i = close + 1;
                    tail_start = i;
                    continue;
                }
                _ => {
                    return Err(err(
                        "'%' must be followed by '{', '%', '_' or '-' (write %% for a literal %)",
                        i,
                    ));
                }
            }
            i += 2;
            tail_start = i;
            continue;
        }
        let allowed =
            (0x21..=0x7e).contains(&b) || (b == b' ' && context == MacroContext::Explanation);
        if !allowed {
            return Err(err(
                &format!("character {} is not allowed here", describe_byte(text, i)),
                i,
            ));
        }
        // Safe: only ASCII is accepted above.
        literal.push(b as char);
        i += 1;
    }
    if !literal.is_empty() {
        parts.push(MacroPart::Literal(literal));
    }
    Ok(ParsedMacroString {
        string: MacroString {
            raw: text.to_string(),
            parts,
        },
        literal_tail_start: tail_start,
    })
}

fn describe_byte(text: &str, i: usize) -> String {
    match text.get(i..).and_then(|s| s.chars().next()) {
        Some(c) if c.is_ascii_control() || c == ' ' => format!("0x{:02x}", c as u32),
        Some(c) => format!("{c:?}"),
        None => "?".to_string(),
    }
}

fn err(message: &str, offset: usize) -> MacroSyntaxError {
    MacroSyntaxError {
        message: message.to_string(),
        offset,
    }
}

/// The inside of `%{...}`: letter, transformers, delimiters.
fn parse_macro_body(
    body: &str,
    context: MacroContext,
    offset: usize,
) -> Result<MacroPart, MacroSyntaxError> {
    let mut chars = body.char_indices();
    let Some((_, letter_written)) = chars.next() else {
        return Err(err("empty macro '%{}'", offset));
    };
    let letter = letter_written.to_ascii_lowercase();
    if !"slodiphcrtv".contains(letter) || !letter_written.is_ascii_alphabetic() {
        return Err(err(
            &format!("unknown macro letter {letter_written:?} in '%{{{body}}}'"),
            offset,
        ));
    }
    if context == MacroContext::DomainSpec && "crt".contains(letter) {
        return Err(err(
            &format!("macro '%{{{letter_written}}}' is allowed only in explanation text"),
            offset,
        ));
    }
    let rest = &body[letter_written.len_utf8()..];
    let digit_len = rest.bytes().take_while(u8::is_ascii_digit).count();
    let digits = if digit_len > 0 {
        // Saturate: more parts than exist means "all of them".
        let value = rest[..digit_len].bytes().fold(0u32, |acc, d| {
            acc.saturating_mul(10).saturating_add(u32::from(d - b'0'))
        });
        if value == 0 {
            return Err(err(
                &format!("macro '%{{{body}}}': the number of parts must not be zero"),
                offset,
            ));
        }
        Some(value)
    } else {
        None
    };
    let mut rest = &rest[digit_len..];
    let mut reverse = false;
    if let Some(r) = rest.strip_prefix(['r', 'R']) {
        reverse = true;
        rest = r;
    }
    if let Some(bad) = rest.chars().find(|c| !".-+,/_=".contains(*c)) {
        return Err(err(
            &format!("macro '%{{{body}}}': {bad:?} is not a delimiter (. - + , / _ =)"),
            offset,
        ));
    }
    Ok(MacroPart::Macro {
        letter,
        url_escape: letter_written.is_ascii_uppercase(),
        digits,
        reverse,
        delimiters: rest.to_string(),
    })
}

/// The values macros expand to (§7.3).
#[derive(Clone, Debug)]
pub struct MacroEnv<'a> {
    /// `s`: the sender, `postmaster@helo` when MAIL FROM is empty.
    pub sender: &'a str,
    /// `l`
    pub local_part: &'a str,
    /// `o`
    pub sender_domain: &'a str,
    /// `d`: the domain whose record is being evaluated.
    pub domain: &'a str,
    /// `i`, `c`, `v` (already unmapped from IPv4-mapped IPv6).
    pub ip: IpAddr,
    /// `p`: the validated name, `None` for "unknown".
    pub validated_name: Option<&'a str>,
    /// `h`
    pub helo: &'a str,
    /// `r`
    pub receiver: &'a str,
    /// `t`
    pub timestamp: u64,
}

/// Expansion failed (only possible for letters not allowed where they appear, or size).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MacroExpandError {
    pub message: String,
}

impl fmt::Display for MacroExpandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for MacroExpandError {}

/// Expanded text beyond this is refused, so hostile records cannot make us build huge strings.
const MAX_EXPANSION: usize = 64 * 1024;

/// Whether the string uses `%{p}`, which needs DNS work before expansion.
pub fn uses_validated_name(ms: &MacroString) -> bool {
    ms.parts
        .iter()
        .any(|p| matches!(p, MacroPart::Macro { letter: 'p', .. }))
}

/// Expand a macro-string as text (explanations).
pub fn expand(
    ms: &MacroString,
    env: &MacroEnv<'_>,
    context: MacroContext,
) -> Result<String, MacroExpandError> {
    let mut out = String::new();
    for part in &ms.parts {
        match part {
            MacroPart::Literal(s) => out.push_str(s),
            MacroPart::Macro {
                letter,
                url_escape,
                digits,
                reverse,
                delimiters,
            } => {
                if context == MacroContext::DomainSpec && "crt".contains(*letter) {
                    return Err(MacroExpandError {
                        message: format!("macro '{letter}' is allowed only in explanation text"),
                    });
                }
                let value = macro_value(*letter, env).ok_or_else(|| MacroExpandError {
                    message: format!("unknown macro letter '{letter}'"),
                })?;
                let transformed = transform(&value, *digits, *reverse, delimiters);
                if *url_escape {
                    url_escape_into(&transformed, &mut out);
                } else {
                    out.push_str(&transformed);
                }
            }
        }
        if out.len() > MAX_EXPANSION {
            return Err(MacroExpandError {
                message: format!("macro expansion longer than {MAX_EXPANSION} bytes"),
            });
        }
    }
    Ok(out)
}

/// Expand a domain-spec into a name to query: trailing dot dropped, and names over 253
/// octets cut from the left one label at a time (§7.3).
pub fn expand_domain(ms: &MacroString, env: &MacroEnv<'_>) -> Result<String, MacroExpandError> {
    let expanded = expand(ms, env, MacroContext::DomainSpec)?;
    let mut name = expanded.strip_suffix('.').unwrap_or(&expanded);
    while name.len() > 253 {
        match name.split_once('.') {
            Some((_, rest)) => name = rest,
            None => break,
        }
    }
    Ok(name.to_string())
}

fn macro_value(letter: char, env: &MacroEnv<'_>) -> Option<String> {
    Some(match letter {
        's' => env.sender.to_string(),
        'l' => env.local_part.to_string(),
        'o' => env.sender_domain.to_string(),
        'd' => env.domain.to_string(),
        'i' => dotted_ip(env.ip),
        'p' => env.validated_name.unwrap_or("unknown").to_string(),
        'v' => match env.ip {
            IpAddr::V4(_) => "in-addr".to_string(),
            IpAddr::V6(_) => "ip6".to_string(),
        },
        'h' => env.helo.to_string(),
        'c' => env.ip.to_string(),
        'r' => env.receiver.to_string(),
        't' => env.timestamp.to_string(),
        _ => return None,
    })
}

/// `%{i}`: dotted quad, or dot-separated nibbles for IPv6 (upper-case, as the
/// RFC 7208 test suite expects in explanations; DNS does not care).
pub fn dotted_ip(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let mut s = String::with_capacity(63);
            for (n, byte) in v6.octets().iter().enumerate() {
                if n > 0 {
                    s.push('.');
                }
                s.push_str(&format!("{:X}.{:X}", byte >> 4, byte & 0x0f));
            }
            s
        }
    }
}

/// The reverse-mapping name (`in-addr.arpa` / `ip6.arpa`) of an address.
pub fn reverse_name(ip: IpAddr) -> String {
    let dotted = dotted_ip(ip);
    let mut labels: Vec<&str> = dotted.split('.').collect();
    labels.reverse();
    let suffix = match ip {
        IpAddr::V4(_) => "in-addr.arpa",
        IpAddr::V6(_) => "ip6.arpa",
    };
    format!("{}.{suffix}", labels.join(".")).to_ascii_lowercase()
}

fn transform(value: &str, digits: Option<u32>, reverse: bool, delimiters: &str) -> String {
    if digits.is_none() && !reverse && delimiters.is_empty() {
        return value.to_string();
    }
    let delims: &str = if delimiters.is_empty() {
        "."
    } else {
        delimiters
    };
    let mut parts: Vec<&str> = value.split(|c| delims.contains(c)).collect();
    if reverse {
        parts.reverse();
    }
    if let Some(n) = digits {
        let n = usize::try_from(n).unwrap_or(usize::MAX);
        if n < parts.len() {
            parts.drain(..parts.len() - n);
        }
    }
    parts.join(".")
}

/// URL-escape everything outside RFC 3986 `unreserved` (§7.3).
fn url_escape_into(value: &str, out: &mut String) {
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn env(ip: IpAddr) -> MacroEnv<'static> {
        MacroEnv {
            sender: "strong-bad@email.example.com",
            local_part: "strong-bad",
            sender_domain: "email.example.com",
            domain: "email.example.com",
            ip,
            validated_name: Some("mx.example.org"),
            helo: "mx.example.org",
            receiver: "example.net",
            timestamp: 1234,
        }
    }

    fn x(text: &str) -> String {
        let ms = parse_macro_string(text, MacroContext::Explanation).unwrap();
        expand(
            &ms,
            &env(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 3))),
            MacroContext::Explanation,
        )
        .unwrap()
    }

    #[test]
    fn rfc_examples_expand() {
        assert_eq!(x("%{s}"), "strong-bad@email.example.com");
        assert_eq!(x("%{o}"), "email.example.com");
        assert_eq!(x("%{d}"), "email.example.com");
        assert_eq!(x("%{d4}"), "email.example.com");
        assert_eq!(x("%{d3}"), "email.example.com");
        assert_eq!(x("%{d2}"), "example.com");
        assert_eq!(x("%{d1}"), "com");
        assert_eq!(x("%{dr}"), "com.example.email");
        assert_eq!(x("%{d2r}"), "example.email");
        assert_eq!(x("%{l}"), "strong-bad");
        assert_eq!(x("%{l-}"), "strong.bad");
        assert_eq!(x("%{lr}"), "strong-bad");
        assert_eq!(x("%{lr-}"), "bad.strong");
        assert_eq!(x("%{l1r-}"), "strong");
        assert_eq!(
            x("%{ir}.%{v}._spf.%{d2}"),
            "3.2.0.192.in-addr._spf.example.com"
        );
        assert_eq!(x("%{lr-}.lp._spf.%{d2}"), "bad.strong.lp._spf.example.com");
        assert_eq!(x("%{p}"), "mx.example.org");
        assert_eq!(x("%{p2}"), "example.org");
        assert_eq!(x("%{c} %{r} %{t}"), "192.0.2.3 example.net 1234");
        assert_eq!(x("%%%_%-"), "% %20");
        assert_eq!(x("%{L}"), "strong-bad");
        assert_eq!(x("%{S}"), "strong-bad%40email.example.com");
    }

    #[test]
    fn ipv6_macros() {
        let ip = IpAddr::V6("2001:db8::cb01".parse::<Ipv6Addr>().unwrap());
        let ms =
            parse_macro_string("%{ir}.%{v}._spf.%{d2} %{c}", MacroContext::Explanation).unwrap();
        assert_eq!(
            expand(&ms, &env(ip), MacroContext::Explanation).unwrap(),
            "1.0.B.C.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.B.D.0.1.0.0.2.ip6._spf.example.com 2001:db8::cb01"
        );
        assert_eq!(
            reverse_name(ip),
            "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"
        );
        assert_eq!(
            reverse_name(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 3))),
            "3.2.0.192.in-addr.arpa"
        );
    }

    #[test]
    fn syntax_errors() {
        for bad in [
            "%", "a%b", "%(ir)", "%{", "%{}", "%{a}", "%{d0}", "%{dx}", "%{d2r!}",
        ] {
            assert!(
                parse_macro_string(bad, MacroContext::ModifierValue).is_err(),
                "{bad}"
            );
        }
        assert!(parse_macro_string("%{c}", MacroContext::DomainSpec).is_err());
        assert!(parse_macro_string("%{c}", MacroContext::ModifierValue).is_ok());
        assert!(parse_macro_string("a b", MacroContext::DomainSpec).is_err());
        assert!(parse_macro_string("a b", MacroContext::Explanation).is_ok());
        assert!(parse_macro_string("é", MacroContext::Explanation).is_err());
        let e = parse_macro_string("ab%x", MacroContext::DomainSpec).unwrap_err();
        assert_eq!(e.offset, 2);
    }

    #[test]
    fn huge_digits_saturate_and_long_domains_are_cut_from_the_left() {
        assert_eq!(x("%{d99999999999999}"), "email.example.com");
        let long = format!("{}.example.com", "abcdefghi.".repeat(30));
        let ms = parse_macro_string(&format!("{long}."), MacroContext::DomainSpec).unwrap();
        let name = expand_domain(&ms, &env(IpAddr::V4(Ipv4Addr::LOCALHOST))).unwrap();
        assert!(name.len() <= 253);
        assert!(name.ends_with(".example.com"));
        assert!(name.starts_with("abcdefghi."));
    }
}
