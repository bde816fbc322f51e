//! Merge tags (personalisation placeholders) and spintax in body text.
//!
//! The delimiters come from `rules/lists/merge-tags.toml`. A scan finds, left to right, the
//! longest opening delimiter at each position and its closing delimiter on the same line
//! (at most [`MAX_TAG`] bytes on). Delimiters of two characters or more (`{{ }}`, `*| |*`,
//! `%% %%`, ...) are tags wherever they appear (an opening one without its closing one is a
//! malformed tag); those that also occur in ordinary text (`<< >>`, `## ##`, `[[ ]]`,
//! `%% %%`) need a field name right after the opening delimiter. Delimiters of one character
//! (`{ }`, `[ ]`, `% %`) need content that looks like a field (see the list file).
//! `{a|b}` is spintax, `{a|b` without its `}` is unbalanced spintax.

use super::lists::{Lists, Syntax, normalize_field, normalize_token};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, Input, MatchKind};
use std::sync::OnceLock;

/// Longest tag considered, in bytes (opening to closing delimiter).
pub(crate) const MAX_TAG: usize = 120;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum TagKind {
    /// A well-formed tag of a platform family.
    Tag,
    /// Spintax `{a|b|c}`.
    Spintax,
    /// Malformed: the reason.
    Malformed(&'static str),
}

#[derive(Clone, Debug)]
pub(crate) struct Tag {
    /// The tag as written (at most [`MAX_TAG`] bytes).
    pub text: String,
    pub family: String,
    pub kind: TagKind,
    /// The normalised field the tag names (`firstname`), if any.
    pub field: Option<String>,
    /// The tag carries a default value (`| default: "there"`, `,fallback=`, ...).
    pub has_fallback: bool,
    /// The default value itself, when it can be read (`there`).
    pub fallback: Option<String>,
    /// Byte offset of the tag in the scanned text.
    pub offset: usize,
}

struct Scanner {
    ac: AhoCorasick,
    syntaxes: Vec<Syntax>,
}

fn scanner(lists: &Lists) -> &'static Scanner {
    static SCANNER: OnceLock<Scanner> = OnceLock::new();
    SCANNER.get_or_init(|| {
        let syntaxes = lists.syntaxes.clone();
        let ac = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .build(syntaxes.iter().map(|s| s.open.as_str()))
            .unwrap_or_else(|_| {
                AhoCorasick::new(["\u{0}never"]).expect("a one-pattern automaton builds")
            });
        Scanner { ac, syntaxes }
    })
}

/// Every merge tag and spintax in `text`. `in_url`: the text is an attribute value such as an
/// `href`, where `%xx` is percent-encoding, not a tag.
pub(crate) fn scan(text: &str, lists: &Lists, in_url: bool) -> Vec<Tag> {
    let sc = scanner(lists);
    let mut tags = Vec::new();
    let mut pos = 0;
    while pos < text.len() {
        let Some(m) = sc.ac.find(Input::new(text).span(pos..text.len())) else {
            break;
        };
        let Some(syntax) = sc.syntaxes.get(m.pattern().as_usize()) else {
            break;
        };
        match read_tag(text, m.start(), m.end(), syntax, lists, in_url) {
            Some((tag, end)) => {
                let malformed = matches!(tag.kind, TagKind::Malformed(_));
                tags.push(tag);
                // After a malformed tag, look again right after its opening delimiter: the
                // text inside may hold well-formed tags.
                pos = if malformed { m.end() } else { end };
            }
            None => pos = m.start() + text[m.start()..].chars().next().map_or(1, char::len_utf8),
        }
        if tags.len() >= 500 {
            break;
        }
    }
    tags
}

/// Read the tag whose opening delimiter is `text[start..open_end]`. Returns the tag and the
/// offset after it, or `None` when this is not a tag.
fn read_tag(
    text: &str,
    start: usize,
    open_end: usize,
    syntax: &Syntax,
    lists: &Lists,
    in_url: bool,
) -> Option<(Tag, usize)> {
    let single = syntax.open.chars().count() == 1;
    let far = floor_boundary(text, (start + MAX_TAG).max(open_end));
    let limit = text[open_end..far]
        .find(['\n', '\r'])
        .map_or(far, |i| open_end + i);
    let window = &text[open_end..limit];
    let close_at = window.find(syntax.close.as_str());
    let after_open = window.chars().next();
    // Delimiters that ordinary text also uses need a name right after them.
    let needs_name = single || matches!(syntax.open.as_str(), "<<" | "##" | "[[" | "%%");
    if needs_name && !after_open.is_some_and(|c| c.is_alphabetic() || c == '_') {
        return None;
    }
    let Some(close_rel) = close_at else {
        if syntax.open == "{" {
            // `{Hi|Hello` without its `}`: unbalanced spintax.
            let rest = &window[..window.len().min(MAX_TAG)];
            if rest.contains('|') {
                return Some((
                    tag(
                        text,
                        start,
                        limit,
                        syntax,
                        TagKind::Malformed("unbalanced spintax {a|b"),
                    ),
                    limit,
                ));
            }
            return None;
        }
        if single || needs_name {
            return None;
        }
        return Some((
            tag(
                text,
                start,
                limit.min(open_end + 40),
                syntax,
                TagKind::Malformed("no closing delimiter"),
            ),
            open_end,
        ));
    };
    let content = &window[..close_rel];
    let end = open_end + close_rel + syntax.close.len();
    let trimmed = content.trim();

    if syntax.open == "{" {
        return read_brace(text, start, end, content, syntax, lists);
    }
    if single {
        // `[ ]` and `% %`.
        let name = match trimmed.to_ascii_lowercase().find(",fallback=") {
            Some(i) if syntax.open == "[" => &trimmed[..i],
            _ => trimmed,
        };
        if !field_like(name) {
            return None;
        }
        if syntax.open == "%" {
            if !percent_like(trimmed, in_url) {
                return None;
            }
        } else if !bracket_like(trimmed, lists) {
            return None;
        }
        return Some((tag(text, start, end, syntax, TagKind::Tag), end));
    }
    if needs_name
        && !field_like(trimmed)
        && !trimmed.to_ascii_uppercase().starts_with("MISSING TOKEN")
    {
        return None;
    }
    if trimmed.is_empty() {
        return Some((
            tag(text, start, end, syntax, TagKind::Malformed("empty tag")),
            end,
        ));
    }
    let first_open = syntax.open.chars().next().unwrap_or('{');
    let last_close = syntax.close.chars().last().unwrap_or('}');
    if content.contains(syntax.open.as_str())
        || (matches!(first_open, '{' | '[' | '<') && content.contains(first_open))
        || (matches!(last_close, '}' | ']' | '>') && content.contains(last_close))
    {
        return Some((
            tag(
                text,
                start,
                end,
                syntax,
                TagKind::Malformed("nested or unbalanced delimiters"),
            ),
            end,
        ));
    }
    // A stray closing brace right after `}}` (`{{name}}}`) is an unbalanced tag.
    let stray_brace_counts = syntax.close.ends_with('}') && syntax.open != "{{{";
    Some(closed_tag(text, start, end, syntax, stray_brace_counts))
}

/// `{Field}`, `{Field|fallback}`, `{a|b|c}` spintax, `{contactfield=x}`.
fn read_brace(
    text: &str,
    start: usize,
    end: usize,
    content: &str,
    syntax: &Syntax,
    lists: &Lists,
) -> Option<(Tag, usize)> {
    if content.contains('{') {
        if content.contains('|') {
            return Some((
                tag(
                    text,
                    start,
                    end,
                    syntax,
                    TagKind::Malformed("unbalanced spintax {a|b"),
                ),
                start + 1,
            ));
        }
        return None;
    }
    if content.contains('|') {
        let first = content.split('|').next().unwrap_or("").trim();
        if lists
            .fields
            .contains(&normalize_field(strip_namespace(first)))
        {
            let mut t = tag(text, start, end, syntax, TagKind::Tag);
            t.has_fallback = content
                .split('|')
                .nth(1)
                .is_some_and(|f| !f.trim().is_empty());
            return Some((t, end));
        }
        let mut t = tag(text, start, end, syntax, TagKind::Spintax);
        t.family = "spintax".into();
        t.field = None;
        return Some((t, end));
    }
    let trimmed = content.trim();
    if !field_like(trimmed) {
        return None;
    }
    let normalized = normalize_field(strip_namespace(trimmed));
    let known = lists.fields.contains(&normalized)
        || upper_snake(trimmed)
        || trimmed.starts_with("contactfield=")
        || is_token(text, start, end, lists);
    if !known {
        return None;
    }
    Some(closed_tag(text, start, end, syntax, true))
}

/// The tag `text[start..end]` and where scanning goes on; with `stray_brace`, a `}` right
/// after it makes it an unbalanced tag that swallows the brace.
fn closed_tag(
    text: &str,
    start: usize,
    end: usize,
    syntax: &Syntax,
    stray_brace: bool,
) -> (Tag, usize) {
    if stray_brace && text[end..].starts_with('}') {
        let kind = TagKind::Malformed("unbalanced braces");
        return (tag(text, start, end + 1, syntax, kind), end + 1);
    }
    (tag(text, start, end, syntax, TagKind::Tag), end)
}

fn is_token(text: &str, start: usize, end: usize, lists: &Lists) -> bool {
    let t = normalize_token(&text[start..end]);
    lists.unsubscribe_tokens.contains(&t)
        || lists.address_tokens.contains(&t)
        || lists.identity_tokens.contains(&t)
}

fn tag(text: &str, start: usize, end: usize, syntax: &Syntax, kind: TagKind) -> Tag {
    let end = floor_boundary(text, end.min(text.len()).min(start + MAX_TAG));
    let raw = &text[start..end];
    let inner = raw
        .strip_prefix(syntax.open.as_str())
        .unwrap_or(raw)
        .strip_suffix(syntax.close.as_str())
        .unwrap_or_else(|| raw.strip_prefix(syntax.open.as_str()).unwrap_or(raw));
    let (field, has_fallback) = field_of(inner);
    Tag {
        text: raw.to_string(),
        family: syntax.family.clone(),
        kind,
        field,
        has_fallback,
        fallback: has_fallback.then(|| fallback_text(inner)).flatten(),
        offset: start,
    }
}

/// What a tag without a readable fallback stands for when a template is measured: one word
/// of eight letters, about the length of a first name or a short company name. Lower-case
/// letters, so that it moves no capitals or punctuation count.
pub(crate) const PLACEHOLDER: &str = "xxxxxxxx";

/// `text` as a recipient would read it once the platform filled in the tags: each tag's
/// fallback, or [`PLACEHOLDER`] when it has none (the field's value is unknown); a
/// conditional or loop tag (`{{#if x}}`, `{% endif %}`, `*|END:IF|*`) is nothing; spintax
/// is its first choice. A malformed tag stays as written (what it renders to is unknown).
pub(crate) fn render(text: &str, lists: &Lists) -> String {
    let tags = scan(text, lists, false);
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for t in &tags {
        let end = t.offset + t.text.len();
        if t.offset < pos || end > text.len() {
            continue;
        }
        let rendered = match &t.kind {
            TagKind::Malformed(_) => continue,
            TagKind::Spintax => {
                let inner = t.text.trim_start_matches('{').trim_end_matches('}');
                inner.split('|').next().unwrap_or("").trim().to_string()
            }
            TagKind::Tag if is_control(&t.text) => String::new(),
            TagKind::Tag => t
                .fallback
                .clone()
                .unwrap_or_else(|| PLACEHOLDER.to_string()),
        };
        out.push_str(&text[pos..t.offset]);
        out.push_str(&rendered);
        pos = end;
    }
    out.push_str(&text[pos..]);
    out
}

/// A tag that renders no text of its own: a conditional, a loop, or the end of one.
fn is_control(tag: &str) -> bool {
    let inner = tag
        .trim_matches(|c: char| !c.is_alphanumeric() && !matches!(c, '#' | '/' | '^'))
        .to_ascii_lowercase();
    if inner.starts_with(['#', '/', '^']) {
        return true;
    }
    let word = inner
        .split(|c: char| c.is_whitespace() || c == ':')
        .next()
        .unwrap_or("");
    matches!(
        word,
        "if" | "unless"
            | "ifnot"
            | "else"
            | "elsif"
            | "elseif"
            | "elif"
            | "end"
            | "endif"
            | "endunless"
            | "for"
            | "endfor"
            | "each"
            | "with"
    )
}

/// The default value of a tag's content (the tag without its delimiters):
/// `first_name | default: "there"` → `there`; `firstname,fallback=there` → `there`;
/// `FirstName|there` → `there`; `data:firstname:"there"` → `there`; `first_name or "friend"`
/// → `friend`. `None` when no value can be read.
fn fallback_text(inner: &str) -> Option<String> {
    let inner = inner.trim().trim_matches('-').trim();
    let lower = inner.to_ascii_lowercase();
    let after = |i: usize| &inner[i..];
    let rest = if let Some(i) = lower.find(",fallback=") {
        after(i + ",fallback=".len())
    } else if let Some(i) = lower.find("fallback:") {
        after(i + "fallback:".len())
    } else if let Some(i) = inner.find("??") {
        after(i + 2)
    } else if let Some(i) = lower.find(" or ") {
        after(i + " or ".len())
    } else if let Some(i) = inner.find('|') {
        let rest = after(i + 1).trim_start();
        let lower = rest.to_ascii_lowercase();
        match ["default:", "default", "fallback"]
            .iter()
            .find(|keyword| lower.starts_with(**keyword))
        {
            Some(keyword) => &rest[keyword.len()..],
            None => rest,
        }
    } else if let Some((ns, rest)) = inner.split_once(':')
        && matches!(ns.to_ascii_lowercase().as_str(), "data" | "var" | "lf")
    {
        rest.split_once(':').map_or("", |(_, default)| default)
    } else {
        // `defaultIfEmpty firstName "there"`: the quoted value.
        let quote = inner.find(['"', '\''])?;
        after(quote)
    };
    let rest = rest.trim();
    let value = match rest.chars().next() {
        Some(quote @ ('"' | '\'')) => rest[1..].split(quote).next().unwrap_or(""),
        // Unquoted: up to the next filter or delimiter.
        _ => rest.split(['|', '}', ']']).next().unwrap_or(""),
    };
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_string())
}

/// The field a tag's content names, and whether it carries a default:
/// `first_name | default: "there"` → (`firstname`, true); `FNAME` → (`fname`, false);
/// `firstname,fallback=` → (`firstname`, false: the fallback is empty).
fn field_of(inner: &str) -> (Option<String>, bool) {
    let inner = inner.trim().trim_matches('-').trim();
    let lower = inner.to_ascii_lowercase();
    let mut has_fallback = false;
    let mut name = inner;
    if let Some((n, rest)) = inner.split_once('|') {
        name = n;
        has_fallback = !rest.trim().is_empty();
    }
    if let Some(i) = lower.find(",fallback=") {
        name = &inner[..i];
        has_fallback = !inner[i + ",fallback=".len()..].trim().is_empty();
    }
    if let Some(i) = lower.find(" or ") {
        name = &inner[..i.min(name.len())];
        has_fallback = true;
    }
    if lower.contains("default") || lower.contains("fallback:") || inner.contains("??") {
        has_fallback = true;
    }
    // Mailjet-style `data:firstname:"there"`.
    let name = name.trim();
    let name = match name.split_once(':') {
        Some((ns, rest)) if matches!(ns.to_ascii_lowercase().as_str(), "data" | "var" | "lf") => {
            match rest.split_once(':') {
                Some((n, default)) => {
                    has_fallback |= !default.trim_matches(['"', '\'', ' ']).is_empty();
                    n
                }
                None => rest,
            }
        }
        _ => name,
    };
    let name = strip_namespace(name.trim());
    if name.is_empty() {
        return (None, has_fallback);
    }
    (Some(normalize_field(name)), has_fallback)
}

/// `contact.firstname` → `firstname`; `lead.First Name` → `First Name`.
fn strip_namespace(name: &str) -> &str {
    let name = name.trim();
    let name = name.strip_prefix("contactfield=").unwrap_or(name);
    match name.rsplit_once('.') {
        Some((_, last)) if !last.trim().is_empty() => last.trim(),
        _ => name,
    }
}

/// Letters, digits, `_ . : - =` and at most two inner spaces, starting with a letter or `_`,
/// at most 60 bytes.
fn field_like(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 60
        && s.starts_with(|c: char| c.is_alphabetic() || c == '_')
        && s.chars().filter(|&c| c == ' ').count() <= 2
        && s.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | ':' | '-' | '=' | ' '))
}

fn upper_snake(s: &str) -> bool {
    s.contains('_')
        && s.chars().any(|c| c.is_ascii_uppercase())
        && s.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// `%FIRSTNAME%`, `%recipient.first_name%`: no spaces, not a percent-encoded byte pair.
fn percent_like(s: &str, in_url: bool) -> bool {
    if s.contains(' ') || s.len() < 3 {
        return false;
    }
    if in_url {
        // In a URL `%41bc%` is percent-encoding followed by text: require a name that
        // cannot be that (an underscore or a dot, or five letters and nothing else).
        return s.contains('_')
            || s.contains('.')
            || (s.len() >= 5 && s.chars().all(|c| c.is_ascii_alphabetic()));
    }
    s.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
}

/// `[First Name]`, `[FNAME]`, `[firstname,fallback=]`, `[UNSUBSCRIBE_URL]`, `[Your Name]`.
fn bracket_like(s: &str, lists: &Lists) -> bool {
    let lower = s.to_lowercase();
    if lower.contains(",fallback=") {
        return true;
    }
    let norm = normalize_field(strip_namespace(s));
    let norm = norm
        .strip_prefix("your")
        .or_else(|| norm.strip_prefix("recipient"))
        .or_else(|| norm.strip_prefix("prospect"))
        .or_else(|| norm.strip_prefix("contact"))
        .or_else(|| norm.strip_prefix("insert"))
        .unwrap_or(&norm);
    lists.fields.contains(norm)
        || upper_snake(s)
        || lists
            .unsubscribe_tokens
            .contains(&format!("[{}]", normalize_token(s)))
        || lists
            .address_tokens
            .contains(&format!("[{}]", normalize_token(s)))
        || lists
            .identity_tokens
            .contains(&format!("[{}]", normalize_token(s)))
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Fields guarded by a conditional somewhere in the text (`{{#if first_name}}`,
/// `{% if first_name %}`, `*|IF:FNAME|*`): their tags do not need a default.
pub(crate) fn guarded_fields(tags: &[Tag]) -> Vec<String> {
    let mut out = Vec::new();
    for t in tags {
        let inner = t.text.trim_matches(|c: char| !c.is_alphanumeric());
        let lower = inner.to_ascii_lowercase();
        for prefix in [
            "#if ", "if ", "if:", "#unless ", "unless ", "ifnot:", "#with ",
        ] {
            if let Some(rest) = lower.strip_prefix(prefix) {
                let name = rest
                    .split(|c: char| c.is_whitespace() || matches!(c, '|' | '%' | '}' | '='))
                    .next()
                    .unwrap_or("");
                out.push(normalize_field(strip_namespace(name)));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::lists::lists;
    use super::*;

    fn tags(text: &str) -> Vec<(String, TagKind)> {
        scan(text, lists(), false)
            .into_iter()
            .map(|t| (t.text, t.kind))
            .collect()
    }

    fn found(text: &str) -> Vec<String> {
        tags(text).into_iter().map(|(t, _)| t).collect()
    }

    #[test]
    fn rendered_placeholders_are_found() {
        for (text, tag) in [
            ("Hi {{first_name}},", "{{first_name}}"),
            (
                "Hi {{ contact.firstname | default: 'there' }}!",
                "{{ contact.firstname | default: 'there' }}",
            ),
            ("Hi {FIRST_NAME},", "{FIRST_NAME}"),
            ("Hi {FirstName},", "{FirstName}"),
            ("Hi %FIRSTNAME%,", "%FIRSTNAME%"),
            ("Hi *|FNAME|*,", "*|FNAME|*"),
            ("Hi [First Name],", "[First Name]"),
            (
                "Hi [[MISSING TOKEN first_name]],",
                "[[MISSING TOKEN first_name]]",
            ),
            ("Hi ##FirstName##,", "##FirstName##"),
            ("Hi %%FirstName%%,", "%%FirstName%%"),
            ("Hi <<First name>>,", "<<First name>>"),
            (
                "Hi [firstname,fallback=there],",
                "[firstname,fallback=there]",
            ),
            ("{% unsubscribe_link %}", "{% unsubscribe_link %}"),
            ("{Hi|Hello} there", "{Hi|Hello}"),
        ] {
            assert_eq!(found(text), [tag], "{text}");
        }
    }

    #[test]
    fn ordinary_text_is_not_a_tag() {
        for text in [
            "See note [1] and [2].",
            "We grew 100% last year and 50% this year.",
            "Save 20%! Only 5% left",
            "[PDF] Annual report",
            "[video] Watch it",
            "A set {x} in maths",
            "{ \"@context\": \"https://schema.org\" }",
            "email me at jo@example.com",
            "<< Back",
            "## Heading",
            "C# and F# are languages",
        ] {
            assert!(found(text).is_empty(), "{text}: {:?}", found(text));
        }
    }

    #[test]
    fn percent_encoding_in_urls_is_not_a_tag() {
        let t = scan(
            "https://x.example/?q=caf%C3%A9t%C3%A9&n=%E2%80%99",
            lists(),
            true,
        );
        assert!(t.is_empty(), "{t:?}");
        let t = scan("https://x.example/u?id=%recipient.id%", lists(), true);
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn malformed_tags() {
        let t = tags("Hi {{first_name}, welcome");
        assert!(matches!(t[0].1, TagKind::Malformed(_)), "{t:?}");
        let t = tags("Hi {{first_name}}}");
        assert!(matches!(t[0].1, TagKind::Malformed(_)), "{t:?}");
        let t = tags("Hi *|FNAME| there");
        assert!(matches!(t[0].1, TagKind::Malformed(_)), "{t:?}");
        let t = tags("{Hi|Hello there, how are you");
        assert_eq!(t[0].1, TagKind::Malformed("unbalanced spintax {a|b"));
        let t = tags("Hi {{}}");
        assert_eq!(t[0].1, TagKind::Malformed("empty tag"));
        let t = tags("{{first_name} and {{company}}");
        assert!(matches!(t[0].1, TagKind::Malformed(_)));
        assert!(
            t.iter()
                .any(|(x, k)| x == "{{company}}" && *k == TagKind::Tag),
            "{t:?}"
        );
    }

    #[test]
    fn fields_and_fallbacks() {
        let l = lists();
        let f = |text: &str| {
            let t = scan(text, l, false);
            (t[0].field.clone(), t[0].has_fallback)
        };
        assert_eq!(f("{{first_name}}"), (Some("firstname".into()), false));
        assert_eq!(
            f("{{ first_name | default: \"there\" }}"),
            (Some("firstname".into()), true)
        );
        assert_eq!(
            f("{{ contact.FIRSTNAME }}"),
            (Some("firstname".into()), false)
        );
        assert_eq!(f("*|FNAME|*"), (Some("fname".into()), false));
        assert_eq!(
            f("[firstname,fallback=there]"),
            (Some("firstname".into()), true)
        );
        assert_eq!(
            f("[firstname,fallback=]"),
            (Some("firstname".into()), false)
        );
        assert_eq!(f("{FirstName|there}"), (Some("firstname".into()), true));
        assert!(f("{{defaultIfEmpty firstName \"there\"}}").1);
    }

    #[test]
    fn fallback_values_are_read() {
        let fallback = |text: &str| scan(text, lists(), false)[0].fallback.clone();
        for (text, want) in [
            ("{{first_name|there}}", Some("there")),
            ("{{ first_name | default: \"there\" }}", Some("there")),
            (
                "{{ contact.firstname | default: 'friend' }}",
                Some("friend"),
            ),
            ("[firstname,fallback=there]", Some("there")),
            ("{FirstName|there}", Some("there")),
            ("{{defaultIfEmpty firstName \"there\"}}", Some("there")),
            ("{{first_name}}", None),
            ("*|FNAME|*", None),
            ("[firstname,fallback=]", None),
        ] {
            assert_eq!(fallback(text).as_deref(), want, "{text}");
        }
    }

    #[test]
    fn templates_render_with_fallbacks_or_a_placeholder() {
        let render = |text: &str| render(text, lists());
        assert_eq!(
            render("Hi {{first_name|there}}, quick one"),
            "Hi there, quick one"
        );
        assert_eq!(
            render("Hi {{first_name}} at {{ company | default: \"your team\" }}"),
            format!("Hi {PLACEHOLDER} at your team")
        );
        assert_eq!(render("{Hi|Hello} *|FNAME|*"), format!("Hi {PLACEHOLDER}"));
        assert_eq!(
            render("{{#if first_name}}Hi {{first_name}}{{else}}Hi{{/if}}"),
            format!("Hi {PLACEHOLDER}Hi")
        );
        assert_eq!(render("No tags here."), "No tags here.");
        // A malformed tag stays as written.
        assert_eq!(render("Hi {{first_name}, x"), "Hi {{first_name}, x");
        for text in [
            "{{",
            "{{é}",
            "\u{0}{{\u{0}}}",
            "{{a|\"}}",
            "[x,fallback=\"]",
        ] {
            let _ = render(text);
        }
    }

    #[test]
    fn conditionals_guard_fields() {
        let t = scan(
            "{{#if first_name}}Hi {{first_name}}{{else}}Hi{{/if}}",
            lists(),
            false,
        );
        assert_eq!(guarded_fields(&t), ["firstname"]);
        let t = scan("*|IF:FNAME|*Hi *|FNAME|**|END:IF|*", lists(), false);
        assert_eq!(guarded_fields(&t), ["fname"]);
    }

    #[test]
    fn hostile_input_does_not_panic() {
        for text in [
            "{{",
            "{{{{{{{{",
            "*|",
            "%",
            "{é|",
            "[[é",
            "{{é}",
            "\u{0}{{\u{0}}}",
            "{{a\n}}",
            "{{İİ,fallback=x}}",
            "{{İstanbul or \"x\"}}",
            "[İx,fallback=]",
        ] {
            let _ = scan(text, lists(), false);
            let _ = scan(text, lists(), true);
            let _ = render(text, lists());
        }
    }
}
