//! The `v=spf1` record parser (RFC 7208 §4.5, §4.6, §5, §6, §7.1, §12).

use super::macros::{self, MacroContext};
use super::record::{
    DualCidr, MacroString, Mechanism, Modifier, Qualifier, Span, SpfRecord, Term, TermKind,
};
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// A record that does not follow the grammar; `span` is the offending term's byte range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpfSyntaxError {
    pub message: String,
    pub span: Span,
}

impl fmt::Display for SpfSyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (bytes {}..{})",
            self.message, self.span.start, self.span.end
        )
    }
}

impl std::error::Error for SpfSyntaxError {}

const VERSION: &[u8] = b"v=spf1";

/// Whether a (joined) TXT record is an SPF record: `v=spf1`, any case, then a space or the end.
pub fn is_spf_record(txt: &[u8]) -> bool {
    txt.len() >= VERSION.len()
        && txt[..VERSION.len()].eq_ignore_ascii_case(VERSION)
        && txt.get(VERSION.len()).is_none_or(|&b| b == b' ')
}

/// Parse a whole record, `v=spf1` included. Spans are byte offsets into `txt`.
pub fn parse(txt: &[u8]) -> Result<SpfRecord, SpfSyntaxError> {
    if !is_spf_record(txt) {
        let end = txt.iter().position(|&b| b == b' ').unwrap_or(txt.len());
        return Err(SpfSyntaxError {
            message: "record does not start with \"v=spf1\" followed by a space or the end"
                .to_string(),
            span: Span { start: 0, end },
        });
    }
    let mut terms = Vec::new();
    let mut seen_redirect = false;
    let mut seen_exp = false;
    let mut pos = VERSION.len();
    while pos < txt.len() {
        if txt[pos] == b' ' {
            pos += 1;
            continue;
        }
        let end = txt[pos..]
            .iter()
            .position(|&b| b == b' ')
            .map_or(txt.len(), |p| pos + p);
        let span = Span { start: pos, end };
        let raw = &txt[pos..end];
        if let Some(bad) = raw.iter().position(|b| !(0x21..=0x7e).contains(b)) {
            let what = if raw[bad] >= 0x80 {
                "non-ASCII byte"
            } else {
                "control character"
            };
            return Err(SpfSyntaxError {
                message: format!(
                    "{what} 0x{:02x} in a term (records are printable ASCII separated by spaces)",
                    raw[bad]
                ),
                span,
            });
        }
        // Printable ASCII only past this point.
        let text = String::from_utf8_lossy(raw);
        let kind = parse_term(&text).map_err(|message| SpfSyntaxError { message, span })?;
        if let TermKind::Modifier(m) = &kind {
            let dup = match m {
                Modifier::Redirect(_) => std::mem::replace(&mut seen_redirect, true),
                Modifier::Exp(_) => std::mem::replace(&mut seen_exp, true),
                Modifier::Unknown { .. } => false,
            };
            if dup {
                let name = if matches!(m, Modifier::Redirect(_)) {
                    "redirect"
                } else {
                    "exp"
                };
                return Err(SpfSyntaxError {
                    message: format!("{name}= appears more than once (RFC 7208 §6)"),
                    span,
                });
            }
        }
        terms.push(Term { span, kind });
        pos = end;
    }
    Ok(SpfRecord {
        text: String::from_utf8_lossy(txt).into_owned(),
        terms,
    })
}

fn is_name_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')
}

fn parse_term(term: &str) -> Result<TermKind, String> {
    let bytes = term.as_bytes();
    // A modifier is a name then '=' before any ':' or '/' (§4.6.1).
    if bytes.first().is_some_and(u8::is_ascii_alphabetic) {
        let name_len = bytes.iter().take_while(|&&b| is_name_char(b)).count();
        if bytes.get(name_len) == Some(&b'=') {
            let name = &term[..name_len];
            let value = &term[name_len + 1..];
            return parse_modifier(name, value).map(TermKind::Modifier);
        }
    }
    let (qualifier, explicit, rest) = match bytes.first() {
        Some(b'+') => (Qualifier::Pass, true, &term[1..]),
        Some(b'-') => (Qualifier::Fail, true, &term[1..]),
        Some(b'~') => (Qualifier::SoftFail, true, &term[1..]),
        Some(b'?') => (Qualifier::Neutral, true, &term[1..]),
        _ => (Qualifier::Pass, false, term),
    };
    let name_end = rest.find([':', '/']).unwrap_or(rest.len());
    let name = rest[..name_end].to_ascii_lowercase();
    let arg = &rest[name_end..];
    let mechanism = parse_mechanism(&name, arg)?;
    Ok(TermKind::Directive {
        qualifier,
        explicit_qualifier: explicit,
        mechanism,
    })
}

fn parse_modifier(name: &str, value: &str) -> Result<Modifier, String> {
    if name.eq_ignore_ascii_case("redirect") {
        return domain_spec(value, "redirect=").map(Modifier::Redirect);
    }
    if name.eq_ignore_ascii_case("exp") {
        return domain_spec(value, "exp=").map(Modifier::Exp);
    }
    let value = macros::parse_macro_string(value, MacroContext::ModifierValue)
        .map_err(|e| format!("modifier {name}=: {e}"))?;
    Ok(Modifier::Unknown {
        name: name.to_string(),
        value,
    })
}

fn parse_mechanism(name: &str, arg: &str) -> Result<Mechanism, String> {
    match name {
        "all" => {
            if arg.is_empty() {
                Ok(Mechanism::All)
            } else {
                Err(format!("\"all\" takes no argument (found {arg:?})"))
            }
        }
        "include" | "exists" => {
            let spec = arg
                .strip_prefix(':')
                .ok_or_else(|| format!("{name} needs \":domain\""))?;
            let ms = domain_spec(spec, name)?;
            Ok(if name == "include" {
                Mechanism::Include(ms)
            } else {
                Mechanism::Exists(ms)
            })
        }
        "a" | "mx" => {
            let (domain, cidr) = if let Some(spec) = arg.strip_prefix(':') {
                let (spec, v4, v6) = split_dual_cidr(spec);
                (Some(domain_spec(spec, name)?), dual_cidr(v4, v6)?)
            } else {
                let (rest, v4, v6) = split_dual_cidr(arg);
                if !rest.is_empty() {
                    return Err(format!("{name}: malformed CIDR length {arg:?}"));
                }
                (None, dual_cidr(v4, v6)?)
            };
            Ok(if name == "a" {
                Mechanism::A { domain, cidr }
            } else {
                Mechanism::Mx { domain, cidr }
            })
        }
        "ptr" => {
            if arg.is_empty() {
                return Ok(Mechanism::Ptr(None));
            }
            let spec = arg
                .strip_prefix(':')
                .ok_or_else(|| format!("ptr takes no CIDR length (found {arg:?})"))?;
            Ok(Mechanism::Ptr(Some(domain_spec(spec, name)?)))
        }
        "ip4" => {
            let net = arg
                .strip_prefix(':')
                .ok_or_else(|| "ip4 needs \":address\"".to_string())?;
            let (addr, prefix) = split_network(net);
            let addr: Ipv4Addr = addr
                .parse()
                .map_err(|_| format!("ip4: {addr:?} is not a dotted-quad IPv4 address"))?;
            let prefix = match prefix {
                Some(p) => cidr_length(p, 32).map_err(|e| format!("ip4: {e}"))?,
                None => 32,
            };
            Ok(Mechanism::Ip4 { addr, prefix })
        }
        "ip6" => {
            let net = arg
                .strip_prefix(':')
                .ok_or_else(|| "ip6 needs \":address\"".to_string())?;
            let (addr, prefix) = split_network(net);
            let addr: Ipv6Addr = addr
                .parse()
                .map_err(|_| format!("ip6: {addr:?} is not an IPv6 address"))?;
            let prefix = match prefix {
                Some(p) => cidr_length(p, 128).map_err(|e| format!("ip6: {e}"))?,
                None => 128,
            };
            Ok(Mechanism::Ip6 { addr, prefix })
        }
        "redirect" | "exp" => Err(format!(
            "{name} is a modifier: write \"{name}=domain\", not \"{name}:\""
        )),
        _ => Err(format!("unknown mechanism {name:?}")),
    }
}

/// `addr[/len]` for ip4/ip6; the length text is whatever follows the first '/'.
fn split_network(net: &str) -> (&str, Option<&str>) {
    match net.split_once('/') {
        Some((addr, len)) => (addr, Some(len)),
        None => (net, None),
    }
}

/// Split `[ip4-cidr-length] ["/" ip6-cidr-length]` off the end of a/mx arguments.
/// Only digit runs count, so `a:foo:bar/baz.example.com` keeps its slash.
fn split_dual_cidr(s: &str) -> (&str, Option<&str>, Option<&str>) {
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let (s, v6) = match s.rfind("//") {
        Some(i) if digits(&s[i + 2..]) => (&s[..i], Some(&s[i + 2..])),
        _ => (s, None),
    };
    let (s, v4) = match s.rfind('/') {
        Some(i) if digits(&s[i + 1..]) => (&s[..i], Some(&s[i + 1..])),
        _ => (s, None),
    };
    (s, v4, v6)
}

fn dual_cidr(v4: Option<&str>, v6: Option<&str>) -> Result<DualCidr, String> {
    let mut cidr = DualCidr::default();
    if let Some(v4) = v4 {
        cidr.v4 = cidr_length(v4, 32).map_err(|e| format!("IPv4 {e}"))?;
    }
    if let Some(v6) = v6 {
        cidr.v6 = cidr_length(v6, 128).map_err(|e| format!("IPv6 {e}"))?;
    }
    Ok(cidr)
}

/// A CIDR length: "0" or digits without a leading zero, at most `max`.
fn cidr_length(text: &str, max: u8) -> Result<u8, String> {
    let ok_digits = !text.is_empty()
        && text.len() <= 3
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'));
    let value = if ok_digits {
        text.parse::<u8>().ok()
    } else {
        None
    };
    match value {
        Some(v) if v <= max => Ok(v),
        _ => Err(format!("CIDR length {text:?} is not 0..{max}")),
    }
}

/// `domain-spec = macro-string domain-end` (§7.1), checked before any expansion.
fn domain_spec(spec: &str, what: &str) -> Result<MacroString, String> {
    if spec.is_empty() {
        return Err(format!("{what}: empty domain-spec"));
    }
    let parsed =
        macros::parse_tokens(spec, MacroContext::DomainSpec).map_err(|e| format!("{what}: {e}"))?;
    let tail = &spec[parsed.literal_tail_start..];
    if !tail.is_empty() && !has_domain_end(tail) {
        if spec.parse::<Ipv4Addr>().is_ok() {
            return Err(format!(
                "{what}: {spec:?} is an IP address; use ip4:{spec} instead"
            ));
        }
        return Err(format!(
            "{what}: {spec:?} does not end in a valid top-level label or a macro"
        ));
    }
    Ok(parsed.string)
}

/// `"." toplabel ["."]` at the end of literal text.
fn has_domain_end(tail: &str) -> bool {
    let tail = tail.strip_suffix('.').unwrap_or(tail);
    match tail.rsplit_once('.') {
        Some((_, top)) => is_toplabel(top),
        None => false,
    }
}

/// `toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum )`
fn is_toplabel(label: &str) -> bool {
    let b = label.as_bytes();
    let (Some(first), Some(last)) = (b.first(), b.last()) else {
        return false;
    };
    if !b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-') {
        return false;
    }
    if b.contains(&b'-') {
        first.is_ascii_alphanumeric() && last.is_ascii_alphanumeric()
    } else {
        b.iter().any(u8::is_ascii_alphabetic)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spf::record::MacroPart;

    fn ok(txt: &str) -> SpfRecord {
        parse(txt.as_bytes()).unwrap_or_else(|e| panic!("{txt:?}: {e}"))
    }

    fn bad(txt: &str) -> SpfSyntaxError {
        match parse(txt.as_bytes()) {
            Ok(r) => panic!("{txt:?} parsed: {r:?}"),
            Err(e) => e,
        }
    }

    fn mech(txt: &str) -> Mechanism {
        let rec = ok(&format!("v=spf1 {txt}"));
        match &rec.terms[0].kind {
            TermKind::Directive { mechanism, .. } => mechanism.clone(),
            other => panic!("{other:?}"),
        }
    }

    fn span(txt: &str, term: &str) -> Span {
        let start = txt.find(term).unwrap();
        Span {
            start,
            end: start + term.len(),
        }
    }

    #[test]
    fn version_detection() {
        assert!(is_spf_record(b"v=spf1"));
        assert!(is_spf_record(b"V=SpF1 -all"));
        assert!(!is_spf_record(b"v=spf10"));
        assert!(!is_spf_record(b"v=spf1mx"));
        assert!(!is_spf_record(b"v=spf"));
        assert!(!is_spf_record(b" v=spf1"));
        assert!(!is_spf_record(b"v=spf1\t-all"));
        assert_eq!(bad("v=spf2 -all").span, Span { start: 0, end: 6 });
        assert!(ok("v=spf1").terms.is_empty());
        assert!(ok("v=spf1   ").terms.is_empty());
    }

    #[test]
    fn every_mechanism() {
        let rec = ok(
            "v=spf1 +all -include:_spf.example.com ~a ?a:%{d}/24//64 mx mx:mx.example.com//0 ptr ptr:Example.com ip4:192.0.2.0/24 ip6:2001:db8::/32 exists:%{ir}.%{l1r+-}._spf.%{d}",
        );
        let kinds: Vec<_> = rec
            .terms
            .iter()
            .map(|t| match &t.kind {
                TermKind::Directive {
                    qualifier,
                    explicit_qualifier,
                    mechanism,
                } => (qualifier.symbol(), *explicit_qualifier, mechanism.name()),
                TermKind::Modifier(_) => panic!(),
            })
            .collect();
        assert_eq!(
            kinds,
            vec![
                ('+', true, "all"),
                ('-', true, "include"),
                ('~', true, "a"),
                ('?', true, "a"),
                ('+', false, "mx"),
                ('+', false, "mx"),
                ('+', false, "ptr"),
                ('+', false, "ptr"),
                ('+', false, "ip4"),
                ('+', false, "ip6"),
                ('+', false, "exists"),
            ]
        );
        assert_eq!(rec.terms[1].span, Span { start: 12, end: 37 });
        match mech("a:%{d}/24//64") {
            Mechanism::A {
                domain: Some(d),
                cidr,
            } => {
                assert_eq!(d.raw, "%{d}");
                assert_eq!(cidr, DualCidr { v4: 24, v6: 64 });
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            mech("MX//0"),
            Mechanism::Mx {
                domain: None,
                cidr: DualCidr { v4: 32, v6: 0 }
            }
        );
        assert_eq!(
            mech("ip4:192.0.2.1"),
            Mechanism::Ip4 {
                addr: Ipv4Addr::new(192, 0, 2, 1),
                prefix: 32
            }
        );
        assert_eq!(
            mech("ip6:::1.1.1.1/0"),
            Mechanism::Ip6 {
                addr: "::1.1.1.1".parse().unwrap(),
                prefix: 0
            }
        );
        match mech("a:foo:bar/baz.example.com") {
            Mechanism::A {
                domain: Some(d),
                cidr,
            } => {
                assert_eq!(d.raw, "foo:bar/baz.example.com");
                assert_eq!(cidr, DualCidr::default());
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn modifiers() {
        let rec =
            ok("v=spf1 Redirect=_spf.%{d} exp=explain.example.com moo.cow-far_out=man:dog/cat x=");
        match &rec.terms[0].kind {
            TermKind::Modifier(Modifier::Redirect(ms)) => assert_eq!(ms.raw, "_spf.%{d}"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            rec.terms[1].kind,
            TermKind::Modifier(Modifier::Exp(_))
        ));
        match &rec.terms[2].kind {
            TermKind::Modifier(Modifier::Unknown { name, value }) => {
                assert_eq!(name, "moo.cow-far_out");
                assert_eq!(value.raw, "man:dog/cat");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn macro_parts() {
        match mech("exists:%{ir}.%{L2r+-}.%%x%_%-.example.com") {
            Mechanism::Exists(ms) => {
                assert_eq!(
                    ms.parts,
                    vec![
                        MacroPart::Macro {
                            letter: 'i',
                            url_escape: false,
                            digits: None,
                            reverse: true,
                            delimiters: String::new()
                        },
                        MacroPart::Literal(".".into()),
                        MacroPart::Macro {
                            letter: 'l',
                            url_escape: true,
                            digits: Some(2),
                            reverse: true,
                            delimiters: "+-".into()
                        },
                        MacroPart::Literal(".%x %20.example.com".into()),
                    ]
                );
                assert!(!ms.is_literal());
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn errors_carry_the_term_span() {
        let cases = [
            ("v=spf1 ip4:1.2.3.4 -all moo", "moo"),
            (
                "v=spf1 moo.cow/far_out=man:dog/cat ip4:1.2.3.4 -all",
                "moo.cow/far_out=man:dog/cat",
            ),
            (
                "v=spf1 moo.cow:far_out=man:dog/cat -all",
                "moo.cow:far_out=man:dog/cat",
            ),
            (
                "v=spf1 ip4:1.2.3.4 redirect:t2.example.com",
                "redirect:t2.example.com",
            ),
            ("v=spf1 a:foo-bar -all", "a:foo-bar"),
            ("v=spf1 -all.", "-all."),
            ("v=spf1 -all:foobar", "-all:foobar"),
            ("v=spf1 -all/8", "-all/8"),
            ("v=spf1 ptr/0 -all", "ptr/0"),
            ("v=spf1 ptr:", "ptr:"),
            ("v=spf1 a/33 -all", "a/33"),
            ("v=spf1 a//129 -all", "a//129"),
            ("v=spf1 a/24/64 -all", "a/24/64"),
            ("v=spf1 a:example.com:8080", "a:example.com:8080"),
            ("v=spf1 a:111.222.33.44", "a:111.222.33.44"),
            ("v=spf1 a:abc.123", "a:abc.123"),
            ("v=spf1 a:example.-com", "a:example.-com"),
            ("v=spf1 a:museum", "a:museum"),
            ("v=spf1 a:museum.", "a:museum."),
            ("v=spf1 a:", "a:"),
            ("v=spf1 include +all", "include"),
            ("v=spf1 include: -all", "include:"),
            (
                "v=spf1 include:ip5.example.com/24 -all",
                "include:ip5.example.com/24",
            ),
            ("v=spf1 exists", "exists"),
            (
                "v=spf1 exists:mail.example.com/24",
                "exists:mail.example.com/24",
            ),
            ("v=spf1 ip4:1.2.3.4/33 -all", "ip4:1.2.3.4/33"),
            ("v=spf1 ip4:1.2.3.4/032 -all", "ip4:1.2.3.4/032"),
            ("v=spf1 ip4", "ip4"),
            ("v=spf1 ip4:1.2.3.4//32", "ip4:1.2.3.4//32"),
            ("v=spf1 ip4:1.2.3.4:8080", "ip4:1.2.3.4:8080"),
            ("v=spf1 ip4:1.2.3", "ip4:1.2.3"),
            ("v=spf1 -all ip6", "ip6"),
            ("v=spf1 ip6:::1.1.1.1/129", "ip6:::1.1.1.1/129"),
            ("v=spf1 ip6:::1.1.1.1//33", "ip6:::1.1.1.1//33"),
            ("v=spf1 ip6::CAFE::BABE", "ip6::CAFE::BABE"),
            ("v=spf1 1up=foo", "1up=foo"),
            ("v=spf1 =all", "=all"),
            ("v=spf1 -all foo=%abc", "foo=%abc"),
            ("v=spf1 exp= -all", "exp="),
            ("v=spf1 exp=-all", "exp=-all"),
            ("v=spf1 redirect=-all ?all", "redirect=-all"),
            ("v=spf1 ?all redirect=", "redirect="),
            (
                "v=spf1 -exists:%(ir).sbl.example.com ?all",
                "-exists:%(ir).sbl.example.com",
            ),
            (
                "v=spf1 exists:foo%.sbl.example.com ?all",
                "exists:foo%.sbl.example.com",
            ),
            ("v=spf1 -all exp=%{r}.example.com", "exp=%{r}.example.com"),
            ("v=spf1 a:%{a}.example.com -all", "a:%{a}.example.com"),
            ("v=spf1 a:%{d}. -all", "a:%{d}."),
            (
                "v=spf1 -all exp=a.example.com exp=b.example.com",
                "exp=b.example.com",
            ),
            (
                "v=spf1 redirect=a.example.com -all redirect=a.example.com",
                "redirect=a.example.com -all redirect=a.example.com",
            ),
        ];
        for (txt, term) in cases {
            let e = bad(txt);
            let want = if term.contains(' ') {
                // The duplicate case: the second occurrence.
                let start = txt.rfind("redirect=").unwrap();
                Span {
                    start,
                    end: txt.len(),
                }
            } else if term == "exp=b.example.com" {
                span(txt, term)
            } else {
                let start = txt[6..].find(term).unwrap() + 6;
                Span {
                    start,
                    end: start + term.len(),
                }
            };
            assert_eq!(e.span, want, "{txt}: {}", e.message);
            assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn bytes_outside_printable_ascii() {
        let e = parse(b"v=spf1 a:\xEF\xBB\xBFgarbage.example.net -all").unwrap_err();
        assert_eq!(e.span, Span { start: 7, end: 31 });
        assert!(e.message.contains("non-ASCII"));
        let e = parse(b"v=spf1 a:ctrl.example.com\rptr -all").unwrap_err();
        assert_eq!(e.span, Span { start: 7, end: 29 });
        assert!(e.message.contains("control"));
        let e = parse(b"v=spf1 a:foo.example.com\0").unwrap_err();
        assert_eq!(e.span.start, 7);
        assert!(parse(b"v=spf1 \x80a:example.net -all").is_err());
        assert!(parse(b"v=spf1 ip4:192.0.2.5\n include:x.example -all").is_err());
    }

    #[test]
    fn accepted_oddities() {
        ok("v=spf1 a:foo.example.xn--zckzah -all");
        ok("v=spf1 a:mail.example...com -all");
        ok("v=spf1 a:%{H}.bar -all");
        ok("v=spf1 a:macro%%percent%_%_space%-url-space.example.com -all");
        ok("v=spf1 redirect=%{d}.d.spf.example.com.");
        ok("v=spf1 default=+");
        ok("v=spf1 a  -all ");
        ok("v=spf1 exists:%{i}%-");
        ok("v=spf1 -all foo=%{c}");
    }

    #[test]
    fn never_panics_on_odd_bytes() {
        let mut inputs: Vec<Vec<u8>> = Vec::new();
        for b in 0u8..=255 {
            inputs.push([b"v=spf1 a:".as_slice(), &[b]].concat());
            inputs.push([b"v=spf1 %{".as_slice(), &[b]].concat());
            inputs.push([b"v=spf1 ip6:".as_slice(), &[b, b'/']].concat());
        }
        inputs.push(b"v=spf1 a:%{".to_vec());
        inputs.push(b"v=spf1 a:x.com/".to_vec());
        inputs.push(b"v=spf1 a:x.com//".to_vec());
        inputs.push(b"v=spf1 a:x.com///64".to_vec());
        inputs.push(b"v=spf1 mx/999999999999".to_vec());
        for input in inputs {
            let _ = parse(&input);
        }
    }
}
