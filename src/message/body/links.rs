//! URLs: finding them in plain text, taking them apart, comparing their domains. No URL is
//! ever fetched.

use regex::{Match, Regex};
use std::sync::LazyLock;

/// `http(s)://...` and `www....` in plain text, without trailing punctuation.
pub(crate) fn plain_urls(text: &str) -> impl Iterator<Item = Match<'_>> {
    static URL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"(?i)(?:https?://|(?-u:\b)www\.)[^\s<>"'()\[\]{}]+[^\s<>"'()\[\]{}.,;:!?]"#)
            .expect("valid regex")
    });
    URL.find_iter(text)
}

/// What kind of target a link has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scheme {
    Http,
    Https,
    Mailto,
    /// `tel:`, `sms:`, `#fragment`, `javascript:`, empty: not a link to count.
    NotCounted,
    /// Anything else, including a merge tag standing for a URL (`{{cta_url}}`).
    Other,
}

#[derive(Clone, Debug)]
pub(crate) struct Url {
    pub scheme: Scheme,
    /// Lower-case host without `www.`-stripping, port or user info (http/https only).
    pub host: String,
    /// Path without query and fragment (http/https only).
    pub path: String,
}

pub(crate) fn parse(href: &str) -> Url {
    let href = href.trim();
    let lower_prefix: String = href
        .chars()
        .take(12)
        .collect::<String>()
        .to_ascii_lowercase();
    let (scheme, rest) = if lower_prefix.starts_with("https://") {
        (Scheme::Https, &href[8..])
    } else if lower_prefix.starts_with("http://") {
        (Scheme::Http, &href[7..])
    } else if lower_prefix.starts_with("www.") {
        // A plain-text "www.example.com": browsers and mail clients open it over http.
        (Scheme::Http, href)
    } else if lower_prefix.starts_with("mailto:") {
        return Url {
            scheme: Scheme::Mailto,
            host: String::new(),
            path: String::new(),
        };
    } else if href.is_empty()
        || href.starts_with('#')
        || ["tel:", "sms:", "javascript:", "callto:", "cid:", "data:"]
            .iter()
            .any(|p| lower_prefix.starts_with(p))
    {
        return Url {
            scheme: Scheme::NotCounted,
            host: String::new(),
            path: String::new(),
        };
    } else {
        return Url {
            scheme: Scheme::Other,
            host: String::new(),
            path: String::new(),
        };
    };
    let end = rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let host_port = authority.rsplit('@').next().unwrap_or(authority);
    let host = if host_port.starts_with('[') {
        host_port.split(']').next().unwrap_or(host_port).to_string() + "]"
    } else {
        host_port.split(':').next().unwrap_or(host_port).to_string()
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let after = &rest[end..];
    let path_end = after.find(['?', '#']).unwrap_or(after.len());
    Url {
        scheme,
        host,
        path: after[..path_end].to_string(),
    }
}

/// Two-label public suffixes common in commercial mail, under which the registrable domain
/// has three labels (`example.co.uk`). A heuristic, not the Public Suffix List.
const SECOND_LEVEL: &[&str] = &[
    "co.uk", "org.uk", "ac.uk", "gov.uk", "ltd.uk", "plc.uk", "me.uk", "com.au", "net.au",
    "org.au", "edu.au", "gov.au", "co.nz", "org.nz", "co.jp", "ne.jp", "or.jp", "com.br", "com.mx",
    "co.in", "com.cn", "com.tr", "co.za", "com.sg", "com.hk", "com.ar", "co.kr", "com.tw",
    "com.my", "co.id", "com.ph", "com.vn", "co.il", "com.co", "com.pe", "com.ua", "com.pl",
    "com.es", "co.at", "or.at", "com.pt", "com.sa", "com.eg", "com.ng", "co.ke", "co.th",
    "gouv.fr", "asso.fr",
];

/// The registrable part of a host ("registrable-ish": the last two labels, three under a
/// common two-label suffix such as `co.uk`). IP literals are returned whole.
pub(crate) fn registrable(host: &str) -> &str {
    let host = host.trim_end_matches('.');
    if host.starts_with('[') || host.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return host;
    }
    let dots: Vec<usize> = host.match_indices('.').map(|(i, _)| i).collect();
    if dots.len() < 2 {
        return host;
    }
    let last_two = &host[dots[dots.len() - 2] + 1..];
    if SECOND_LEVEL.contains(&last_two) && dots.len() >= 3 {
        return &host[dots[dots.len() - 3] + 1..];
    }
    if SECOND_LEVEL.contains(&last_two) {
        return host;
    }
    last_two
}

/// The host a link's visible text names, when the text is a URL or a bare domain
/// (`www.example.com`, `https://example.com/x`, `example.co.uk`); `None` for ordinary text,
/// e-mail addresses and file names.
pub(crate) fn text_host(text: &str) -> Option<String> {
    static DOMAINISH: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)^(?:https?://)?((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+([a-z]{2,24}))(?::\d{1,5})?(?:[/?#]\S*)?$",
        )
        .expect("valid regex")
    });
    const FILE_EXTENSIONS: &[&str] = &[
        "pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "png", "jpg", "jpeg", "gif", "zip",
        "html", "htm", "csv", "txt", "mp4", "mov", "mp3", "svg", "webp", "ics", "json", "xml",
        "php", "asp", "aspx", "js", "css", "md",
    ];
    let t = text
        .trim()
        .trim_end_matches(['.', ',', ';', ':', '!', '?', ')']);
    if t.contains('@') || t.len() > 2048 {
        return None;
    }
    let caps = DOMAINISH.captures(t)?;
    let tld = caps.get(2)?.as_str().to_ascii_lowercase();
    let has_scheme_or_www = {
        let l = t.to_ascii_lowercase();
        l.starts_with("http") || l.starts_with("www.")
    };
    if !has_scheme_or_www && FILE_EXTENSIONS.contains(&tld.as_str()) {
        return None;
    }
    Some(caps.get(1)?.as_str().to_ascii_lowercase())
}

/// A URL for reports: scheme, host and path only (a query often carries the recipient's
/// address or id), at most 200 bytes.
pub(crate) fn redact(href: &str) -> String {
    let href = href.trim();
    let cut = href.find(['?', '#']).unwrap_or(href.len());
    crate::text::truncate(&href[..cut], 200).to_string()
}

/// An unsubscribe link reduced to its scheme and host (`https://x.example/…`, `mailto:…@x.example`):
/// its path is usually a per-recipient token, which a report must not carry.
pub(crate) fn redact_to_host(href: &str) -> String {
    let href = href.trim();
    let Some((scheme, rest)) = href.split_once(':') else {
        return "…".to_string();
    };
    let scheme = scheme.to_ascii_lowercase();
    if scheme == "mailto" {
        let address = rest.split('?').next().unwrap_or_default();
        let domain = address.rsplit_once('@').map_or("", |(_, d)| d);
        return crate::text::truncate(&format!("mailto:…@{domain}"), 200).to_string();
    }
    let after = rest.strip_prefix("//").unwrap_or(rest);
    let host_end = after.find(['/', '?', '#']).unwrap_or(after.len());
    let host = &after[..host_end];
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let tail = if host_end < after.len() { "/…" } else { "" };
    crate::text::truncate(&format!("{scheme}://{host}{tail}"), 200).to_string()
}

/// True when `host` is `domain` or a subdomain of it.
pub(crate) fn host_in(host: &str, domain: &str) -> bool {
    host == domain
        || (host.len() > domain.len()
            && host.ends_with(domain)
            && host.as_bytes()[host.len() - domain.len() - 1] == b'.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_urls() {
        let u = parse("HTTPS://User@WWW.Example.COM:8443/a/b?x=1#f");
        assert_eq!(u.scheme, Scheme::Https);
        assert_eq!(u.host, "www.example.com");
        assert_eq!(u.path, "/a/b");
        assert_eq!(parse("http://x.io").scheme, Scheme::Http);
        assert_eq!(parse("mailto:a@b").scheme, Scheme::Mailto);
        assert_eq!(parse("#top").scheme, Scheme::NotCounted);
        assert_eq!(parse("tel:+1").scheme, Scheme::NotCounted);
        assert_eq!(parse("{{cta_url}}").scheme, Scheme::Other);
        assert_eq!(parse("https://").host, "");
        assert_eq!(parse("https://é.example/").host, "é.example");
    }

    #[test]
    fn registrable_domains() {
        assert_eq!(registrable("www.example.com"), "example.com");
        assert_eq!(registrable("a.b.example.co.uk"), "example.co.uk");
        assert_eq!(registrable("co.uk"), "co.uk");
        assert_eq!(registrable("example.com"), "example.com");
        assert_eq!(registrable("192.0.2.1"), "192.0.2.1");
        assert_eq!(registrable("localhost"), "localhost");
    }

    #[test]
    fn text_hosts() {
        assert_eq!(
            text_host("www.Example.com").as_deref(),
            Some("www.example.com")
        );
        assert_eq!(
            text_host("https://paypal.com/login").as_deref(),
            Some("paypal.com")
        );
        assert_eq!(text_host("example.co.uk."), Some("example.co.uk".into()));
        assert_eq!(text_host("Click here"), None);
        assert_eq!(text_host("jane@example.com"), None);
        assert_eq!(text_host("report.pdf"), None);
        assert_eq!(text_host("1.5"), None);
    }

    #[test]
    fn plain_text_urls() {
        let found: Vec<&str> =
            plain_urls("See https://a.example/x. Or www.b.example, (http://c.example/y)")
                .map(|m| m.as_str())
                .collect();
        assert_eq!(
            found,
            ["https://a.example/x", "www.b.example", "http://c.example/y"]
        );
    }

    #[test]
    fn hosts_in_domains() {
        assert!(host_in("bit.ly", "bit.ly"));
        assert!(host_in("x.bit.ly", "bit.ly"));
        assert!(!host_in("notbit.ly", "bit.ly"));
        assert!(!host_in("ly", "bit.ly"));
    }

    #[test]
    fn unsubscribe_links_keep_only_scheme_and_host() {
        assert_eq!(
            redact_to_host("https://x.example/u/opaque-1?e=a@b.example"),
            "https://x.example/…"
        );
        assert_eq!(
            redact_to_host("mailto:unsub+123@x.example?subject=u"),
            "mailto:…@x.example"
        );
        assert_eq!(redact_to_host("https://x.example"), "https://x.example");
    }

    #[test]
    fn redacted_urls_drop_the_query() {
        assert_eq!(
            redact("https://x.example/u?email=a@b.example"),
            "https://x.example/u"
        );
    }
}
