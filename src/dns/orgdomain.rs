//! The organizational domain (RFC 7489 §3.2): the public suffix of a name plus one label,
//! from the Public Suffix List compiled into the `psl` crate (ICANN and private sections,
//! with the implicit `*` rule for TLDs the list does not name).

/// The organizational domain of `domain`, in the form it was given (A-labels stay A-labels,
/// U-labels stay U-labels), lower-case, without a trailing dot. `None` when the name is
/// itself a public suffix (`com`, `co.uk`), has an empty label (`.example.com`), or is empty.
///
/// ```
/// use mailaudit::dns::orgdomain::organizational_domain;
/// assert_eq!(organizational_domain("mail.Example.CO.UK").as_deref(), Some("example.co.uk"));
/// assert_eq!(organizational_domain("co.uk"), None);
/// ```
pub fn organizational_domain(domain: &str) -> Option<String> {
    let name = domain.strip_suffix('.').unwrap_or(domain);
    if name.is_empty() || name.len() > 1024 || name.split('.').any(str::is_empty) {
        return None;
    }
    let lower = name.to_lowercase();
    psl::domain_str(&lower).map(str::to_string)
}

/// Whether two names share an organizational domain. Names that have none (public
/// suffixes) are compared as they are.
pub fn same_organization(a: &str, b: &str) -> bool {
    let key = |name: &str| {
        organizational_domain(name)
            .unwrap_or_else(|| name.strip_suffix('.').unwrap_or(name).to_lowercase())
    };
    key(a) == key(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subdomains_reduce_to_the_registrable_domain() {
        assert_eq!(
            organizational_domain("a.b.example.com").as_deref(),
            Some("example.com")
        );
        assert_eq!(
            organizational_domain("example.com.").as_deref(),
            Some("example.com")
        );
        assert_eq!(organizational_domain("com"), None);
        assert_eq!(organizational_domain(""), None);
        assert_eq!(organizational_domain("a..example.com"), None);
        assert!(same_organization("reports.example.com", "Example.com."));
        assert!(!same_organization("example.net", "example.com"));
    }
}
