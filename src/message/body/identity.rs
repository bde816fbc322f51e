//! Who sends the message, as the closing of the body says (CAN-SPAM 15 U.S.C. 7704(a)(5);
//! CASL s. 6(2)(a)-(b) and the CRTC's Electronic Commerce Protection Regulations s. 2-3).
//!
//! The closing is the footer (see `optout.rs`) plus the last `closing_lines` non-empty lines
//! before it (the signature); without a footer, the last `closing_lines` non-empty lines.
//! In it, the sender is named by any of:
//! - a company with a legal-form suffix: "Acme Inc.", "Acme Labs LLC", "Muster GmbH",
//!   "Exemple SAS", "Voorbeeld B.V.", "Ejemplo S.L.", "Esempio S.r.l.", "Acme Pty Ltd", ...;
//! - a copyright line: "© 2025 Acme", "Copyright Acme Corporation";
//! - the name of the From domain ("Acme" for acme.io, "Blue Fox" for blue-fox.com), unless
//!   it is a mailbox provider's (gmail.com, outlook.com, ...);
//! - a person's name after a sign-off ("Best,\nJane Doe", "Cheers, Jane", "Cordialement,\n
//!   Jean Dupont", "Viele Grüße\nMax Mustermann") or after a "-- " signature separator;
//! - in template mode, a platform tag for the company (`*|LIST:COMPANY|*`) or a sender field
//!   (`{{sender.first_name}}`, `{{signature}}`).
//!
//! A contact is a phone number (with a country code, an area code in brackets, a US-style
//! 3-3-4 group, or after "Tel", "Phone", "Mobile", ...), an e-mail address, or a web address
//! (a link or a `www.`/`https://` text that is not an unsubscribe link).

use super::lists::{Lists, normalize_token};
use regex::Regex;
use std::sync::LazyLock;

/// Domains of mailbox providers: their name is not the sender's.
const MAILBOX_PROVIDERS: &[&str] = &[
    "gmail",
    "googlemail",
    "yahoo",
    "ymail",
    "outlook",
    "hotmail",
    "live",
    "msn",
    "icloud",
    "me",
    "mac",
    "aol",
    "proton",
    "protonmail",
    "pm",
    "gmx",
    "web",
    "yandex",
    "mail",
    "zoho",
    "fastmail",
    "hey",
    "tutanota",
    "tuta",
    "orange",
    "free",
    "laposte",
    "t-online",
    "libero",
    "qq",
    "163",
    "naver",
    "comcast",
    "att",
    "verizon",
    "btinternet",
    "sky",
    "wanadoo",
    "seznam",
];

static COMPANY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        (\p{Lu}[\p{L}\d&'’.\-]*(?:[\ \t]+(?:\p{Lu}[\p{L}\d&'’.\-]*|&|and|of|de|du|la|und|y|e)){0,5}),?[\ \t]+
        (Inc\.?|Incorporated|LLC|L\.L\.C\.|Ltd\.?|Limited|GmbH|gGmbH|AG|KG|OHG|UG|e\.[\ \t]?V\.|
         S\.A\.S\.?|SAS|SASU|SARL|S\.A\.R\.L\.|EURL|S\.A\.|SA|S\.L\.U?\.?|SLU|B\.V\.|BV|N\.V\.|NV|
         Pty\.?[\ \t]+Ltd\.?|PLC|plc|Corp\.?|Corporation|Co\.|LLP|LP|Oy|AB|ApS|A/S|ASA|
         S\.p\.A\.|SpA|S\.r\.l\.|Srl|SRL|Lda\.?|Ltda\.?|K\.K\.|Sp\.[\ \t]?z[\ \t]?o\.o\.|GmbH[\ \t]&[\ \t]Co\.[\ \t]KG)
        (?:$|[^\p{L}\d])",
    )
    .expect("valid company regex")
});

static COPYRIGHT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)(?:©|\((?i:c)\)|(?i:copyright))[\ \t]*(?:\d{4}(?:[\ \t]*[-–][\ \t]*\d{4})?)?[\ \t]*,?[\ \t]*
        (\p{Lu}[\p{L}\d&'’.\-]*(?:[\ \t]+(?:\p{Lu}[\p{L}\d&'’.\-]*|&)){0,4})",
    )
    .expect("valid copyright regex")
});

static SIGN_OFF: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?xim)^[\ \t]*(?:best(?:[\ \t]+regards|[\ \t]+wishes)?|regards|kind[\ \t]+regards|warm[\ \t]+regards|warmly|
        thanks(?:[\ \t]+again)?|thank[\ \t]+you|many[\ \t]+thanks|cheers|sincerely|yours(?:[\ \t]+sincerely|[\ \t]+truly)?|
        all[\ \t]+the[\ \t]+best|talk[\ \t]+soon|speak[\ \t]+soon|respectfully|
        saludos(?:[\ \t]+cordiales)?|un[\ \t]+saludo|atentamente|cordialmente|
        cordialement|bien[\ \t]+à[\ \t]+vous|bien[\ \t]+cordialement|salutations|
        viele[\ \t]+grüße|beste[\ \t]+grüße|mit[\ \t]+freundlichen[\ \t]+grüßen|liebe[\ \t]+grüße|freundliche[\ \t]+grüße|grüße|gruß|
        atenciosamente|abraços|abraço|obrigad[oa]|
        cordiali[\ \t]+saluti|distinti[\ \t]+saluti|saluti|un[\ \t]+saluto|
        met[\ \t]+vriendelijke[\ \t]+groet(?:en)?|vriendelijke[\ \t]+groet(?:en)?|hartelijke[\ \t]+groet(?:en)?|groeten|
        med[\ \t]+vänliga[\ \t]+hälsningar|mvh|hälsningar|venlig[\ \t]+hilsen|
        --|—|–)[\ \t]*[,.!:]?[\ \t]*(.*)$",
    )
    .expect("valid sign-off regex")
});

static PERSON: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\p{Lu}[\p{L}'’.\-]*(?:[ \t]+\p{Lu}[\p{L}'’.\-]*){0,3}$")
        .expect("valid name regex")
});

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
        .expect("valid email regex")
});

static PHONE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        \+\d[\d\ \t().\-]{5,18}\d
        | \(\d{2,5}\)[\ \t]?\d[\d\ \t.\-]{4,12}\d
        | (?-u:\b)\d{3}[.\-\ ]\d{3}[.\-\ ]\d{4}(?-u:\b)
        | (?i:(?-u:\b)(?:tel|phone|ph|mobile|mob|cell|fon|telefon|téléphone|tél|teléfono|telefone|telefono|call)(?-u:\b))
          \.?[\ \t]*:?[\ \t]*\+?\d[\d\ \t().\-/]{5,18}\d
        ",
    )
    .expect("valid phone regex")
});

static WEB: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:https?://|(?-u:\b)www\.)[^\s]+").expect("valid web regex")
});

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Identity {
    /// The sender's name as written (company or person).
    pub name: Option<String>,
    /// Kind of contact found: `phone`, `email` or `web`.
    pub contact: Option<&'static str>,
}

/// Look for the sender's name and a contact in `closing`. `web_links`: the closing has a
/// link that is not an unsubscribe link. `template_tags`: the normalised merge tags of the
/// closing (template mode).
pub(crate) fn find_identity(
    closing: &str,
    web_links: bool,
    from_domain: Option<&str>,
    lists: &Lists,
    template_tags: &[String],
) -> Identity {
    let name = company(closing)
        .or_else(|| copyright(closing))
        .or_else(|| domain_name(closing, from_domain))
        .or_else(|| person(closing))
        .or_else(|| tag_identity(template_tags, lists));
    let contact = if PHONE.find_iter(closing).any(|m| digits(m.as_str()) >= 7) {
        Some("phone")
    } else if EMAIL.is_match(closing) {
        Some("email")
    } else if web_links || WEB.is_match(closing) {
        Some("web")
    } else {
        None
    };
    Identity {
        name: name.map(|n| crate::text::truncate(n.trim(), 100).to_string()),
        contact,
    }
}

fn digits(s: &str) -> usize {
    s.bytes().filter(u8::is_ascii_digit).count()
}

fn company(text: &str) -> Option<String> {
    let caps = COMPANY.captures(text)?;
    let name = caps.get(1)?.as_str();
    let suffix = caps.get(2)?.as_str();
    Some(format!("{name} {suffix}"))
}

fn copyright(text: &str) -> Option<String> {
    COPYRIGHT
        .captures(text)
        .and_then(|c| c.get(1))
        .map(|m| m.as_str().to_string())
}

/// The From domain's name ("acme" of mail.acme.co.uk), written as a word in the text.
fn domain_name(text: &str, from_domain: Option<&str>) -> Option<String> {
    let domain = from_domain?
        .trim()
        .trim_end_matches('.')
        .to_ascii_lowercase();
    let registrable = super::links::registrable(&domain);
    let label = registrable.split('.').next()?;
    if label.len() < 3 || MAILBOX_PROVIDERS.contains(&label) {
        return None;
    }
    // "blue-fox" is written "Blue Fox", "BlueFox" or "blue-fox".
    let words: Vec<&str> = label.split('-').filter(|w| !w.is_empty()).collect();
    find_words(text, &words).map(str::to_string)
}

/// The first place where `words` stand in `text` as one word or separated by one space or
/// hyphen, compared ASCII-case-insensitively, at word boundaries.
fn find_words<'t>(text: &'t str, words: &[&str]) -> Option<&'t str> {
    let bytes = text.as_bytes();
    let first = words.first()?.as_bytes();
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b >= 0x80;
    let starts_with_ci = |at: usize, w: &[u8]| {
        bytes.len() >= at + w.len() && bytes[at..at + w.len()].eq_ignore_ascii_case(w)
    };
    for i in 0..bytes.len() {
        if (i > 0 && is_word(bytes[i - 1])) || !starts_with_ci(i, first) {
            continue;
        }
        let mut j = i + first.len();
        let mut ok = true;
        for w in &words[1..] {
            if j < bytes.len() && matches!(bytes[j], b' ' | b'-' | b'\t' | b'\n') {
                j += 1;
            }
            if starts_with_ci(j, w.as_bytes()) {
                j += w.len();
            } else {
                ok = false;
                break;
            }
        }
        if ok
            && (j >= bytes.len() || !is_word(bytes[j]))
            && text.is_char_boundary(i)
            && text.is_char_boundary(j)
        {
            return Some(&text[i..j]);
        }
    }
    None
}

fn person(text: &str) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let Some(caps) = SIGN_OFF.captures(line) else {
            continue;
        };
        let rest = caps.get(1).map_or("", |m| m.as_str()).trim();
        let candidate = if rest.is_empty() {
            lines[i + 1..]
                .iter()
                .map(|l| l.trim())
                .find(|l| !l.is_empty())
        } else {
            Some(rest)
        };
        if let Some(candidate) = candidate {
            let candidate = candidate.trim_end_matches([',', '.']);
            if candidate.len() <= 60 && PERSON.is_match(candidate) {
                return Some(candidate.to_string());
            }
        }
    }
    None
}

fn tag_identity(tags: &[String], lists: &Lists) -> Option<String> {
    tags.iter()
        .find(|t| {
            let n = normalize_token(t);
            lists.identity_tokens.contains(&n)
                || n.contains("sender")
                || n.contains("signature")
                || n.contains("from_name")
                || n.contains("fromname")
        })
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::super::lists::lists;
    use super::*;

    fn id(text: &str, from: Option<&str>) -> Identity {
        find_identity(text, false, from, lists(), &[])
    }

    #[test]
    fn companies_people_and_domains() {
        assert_eq!(
            id("Acme Labs, Inc. · 1 Main St", None).name.as_deref(),
            Some("Acme Labs Inc.")
        );
        assert_eq!(
            id("Muster GmbH, Berlin", None).name.as_deref(),
            Some("Muster GmbH")
        );
        assert_eq!(
            id("© 2025 Blue Fox Media", None).name.as_deref(),
            Some("Blue Fox Media")
        );
        assert_eq!(
            id("Best,\n\nJane Doe\nHead of Sales", None).name.as_deref(),
            Some("Jane Doe")
        );
        assert_eq!(id("Cheers, Sam", None).name.as_deref(), Some("Sam"));
        assert_eq!(
            id("Cordialement,\nJean Dupont", None).name.as_deref(),
            Some("Jean Dupont")
        );
        assert_eq!(
            id("the team at BlueFox", Some("blue-fox.com"))
                .name
                .as_deref(),
            Some("BlueFox")
        );
        assert_eq!(id("sent from gmail", Some("gmail.com")).name, None);
        assert_eq!(id("Thanks for reading!", None).name, None);
        assert_eq!(id("Best,\nthe team", None).name, None);
    }

    #[test]
    fn contacts() {
        assert_eq!(id("Call +44 20 7946 0958", None).contact, Some("phone"));
        assert_eq!(id("(415) 555-0132", None).contact, Some("phone"));
        assert_eq!(id("Tel: 030 1234567", None).contact, Some("phone"));
        assert_eq!(id("jane@acme.example", None).contact, Some("email"));
        assert_eq!(id("www.acme.example", None).contact, Some("web"));
        assert_eq!(id("Updated 2024-03-12", None).contact, None);
    }
}
