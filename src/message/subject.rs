//! Subject rules: length, ALL CAPS, repeated `!`/`$`, and a `Re:`/`Fwd:` prefix on a message
//! that replies to nothing.

use super::lists;
use super::parse::Draft;
use crate::finding::{Finding, Location};
use crate::message::rules::{
    SUBJECT_ALL_CAPS, SUBJECT_ALL_CAPS_MAX_UPPER_RATIO, SUBJECT_ALL_CAPS_MIN_LETTERS,
    SUBJECT_EXCESSIVE_PUNCTUATION, SUBJECT_EXCESSIVE_PUNCTUATION_MAX_DOLLAR,
    SUBJECT_EXCESSIVE_PUNCTUATION_MAX_EXCLAMATION, SUBJECT_EXCESSIVE_PUNCTUATION_MAX_RUN,
    SUBJECT_FAKE_REPLY, SUBJECT_TOO_LONG, SUBJECT_TOO_LONG_MAX_CHARS, SUBJECT_UNRESOLVED_MERGE_TAG,
};
use crate::rules::Rules;

/// Merge-tag syntaxes of sending platforms and sequence tools, as they appear in subjects:
/// `{{first_name}}`, `{% tag %}`, `*|FNAME|*`, `[[TOKEN]]`, `%%name%%`, `%FIRSTNAME%`,
/// `##Tag##`, `{FIRST_NAME}`, `[First Name]` (a bracketed field name) and spintax `{Hi|Hey}`.
/// The body analysis keeps its own list for bodies (rules/lists/merge-tags.toml).
fn merge_tag_pattern() -> &'static regex::Regex {
    static PATTERN: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    PATTERN.get_or_init(|| {
        regex::Regex::new(concat!(
            r"\{\{[^{}]*\}\}",
            r"|\{%[^{}]*%\}",
            r"|\*\|[^|]*\|\*",
            r"|\[\[[^\[\]]*\]\]",
            r"|%%[A-Za-z_][^%\s]*%%",
            r"|%[A-Za-z_]+%",
            r"|##[A-Za-z_][A-Za-z0-9_ ]*##",
            r"|\{[A-Z][A-Z0-9_]*\}",
            r"|(?i:\[(?:first|last|full|company|contact)?[ _]?(?:name|company|title|city)\])",
            r"|\{[^{}|]+(?:\|[^{}|]*)+\}",
        ))
        .expect("the merge-tag pattern is a valid regex (a constant, tested)")
    })
}

/// The merge tags of `subject`, in order.
pub fn merge_tags(subject: &str) -> Vec<&str> {
    merge_tag_pattern()
        .find_iter(subject)
        .map(|m| m.as_str())
        .collect()
}

/// A template's subject as a recipient would read it: each merge tag at its fallback, or an
/// eight-letter placeholder when it has none (the body's tag syntaxes first, then any tag
/// only the subject pattern knows).
pub fn rendered(subject: &str) -> String {
    let rendered = super::body::render_template(subject);
    merge_tag_pattern()
        .replace_all(&rendered, super::body::TAG_PLACEHOLDER)
        .into_owned()
}

/// The subject's length in characters; for a template, as rendered ([`rendered`]).
pub fn length(subject: &str, template: bool) -> usize {
    let subject = subject.trim();
    if template {
        rendered(subject).chars().count()
    } else {
        subject.chars().count()
    }
}

/// The subject as evidence: at most 200 characters.
fn evidence(subject: &str) -> String {
    if subject.chars().count() <= 200 {
        subject.to_string()
    } else {
        let cut: String = subject.chars().take(200).collect();
        format!("{cut}…")
    }
}

/// The reply or forward prefix the subject starts with (`Re`, `FW`, `Re[2]`...), if any.
pub fn reply_prefix(subject: &str) -> Option<&str> {
    let text = subject.trim_start();
    let word_end = text
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(text.len());
    let word = &text[..word_end];
    if word.is_empty()
        || !lists::reply_prefixes()
            .iter()
            .any(|p| p.eq_ignore_ascii_case(word))
    {
        return None;
    }
    let mut rest = &text[word_end..];
    // A counter: "Re[2]:" or "Re(2):".
    for (open, close) in [('[', ']'), ('(', ')')] {
        if let Some(inner) = rest.strip_prefix(open)
            && let Some(end) = inner.find(close)
            && end > 0
            && inner[..end].chars().all(|c| c.is_ascii_digit())
        {
            rest = &inner[end + 1..];
        }
    }
    let after_space = rest.trim_start_matches([' ', '\t']);
    after_space
        .starts_with(':')
        .then(|| &text[..text.len() - rest.len()])
}

/// The longest run of `!`/`$` (mixed with `?`) and the counts of `!` and `$`.
fn punctuation(subject: &str) -> (usize, usize, usize) {
    let (mut longest, mut run, mut run_has_bang) = (0, 0, false);
    let (mut bangs, mut dollars) = (0, 0);
    for c in subject.chars() {
        match c {
            '!' | '$' | '?' => {
                run += 1;
                run_has_bang |= c != '?';
                if c == '!' {
                    bangs += 1;
                } else if c == '$' {
                    dollars += 1;
                }
                if run_has_bang {
                    longest = longest.max(run);
                }
            }
            _ => {
                run = 0;
                run_has_bang = false;
            }
        }
    }
    (longest, bangs, dollars)
}

pub fn check(
    draft: &Draft<'_>,
    rules: &Rules,
    target: &str,
    template: bool,
    out: &mut Vec<Finding>,
) {
    let Some(header) = draft.header("Subject") else {
        return;
    };
    let Some(subject) = draft.subject() else {
        return;
    };
    let subject = subject.trim();
    if subject.is_empty() {
        return;
    }
    let at = || Location::Line {
        file: target.to_string(),
        line: header.line,
    };

    // A rendered draft goes out as written: a merge tag left in the subject is what the
    // recipient reads. In a template, tags are expected.
    let tags = merge_tags(subject);
    if !template && !tags.is_empty() {
        let shown: Vec<&str> = tags.iter().take(3).copied().collect();
        out.push(
            rules
                .finding(
                    SUBJECT_UNRESOLVED_MERGE_TAG,
                    target,
                    format!(
                        "the subject holds {} unresolved merge tag{} ({})",
                        tags.len(),
                        if tags.len() == 1 { "" } else { "s" },
                        shown.join(", ")
                    ),
                )
                .with_record(evidence(subject))
                .with_measured(tags.len())
                .at(at()),
        );
    }
    // What the reader sees of the tags is unknown: the capitals test leaves them out.
    let visible = merge_tag_pattern().replace_all(subject, " ");

    // A template is measured as rendered: `{{first_name|there}}` is five characters.
    let written = subject.chars().count();
    let length = length(subject, template);
    let max = rules.threshold(SUBJECT_TOO_LONG_MAX_CHARS);
    if length as f64 > max {
        let message = if length == written {
            format!("the subject is {length} characters long (at most {max})")
        } else {
            format!(
                "the subject is {length} characters long as rendered with fallbacks (at most \
                 {max}; {written} as written)"
            )
        };
        out.push(
            rules
                .finding(SUBJECT_TOO_LONG, target, message)
                .with_record(evidence(subject))
                .with_measured(length)
                .with_threshold(max)
                .at(at()),
        );
    }

    let letters = visible.chars().filter(|c| c.is_alphabetic()).count();
    let cased: Vec<char> = visible
        .chars()
        .filter(|c| c.is_uppercase() || c.is_lowercase())
        .collect();
    let upper = cased.iter().filter(|c| c.is_uppercase()).count();
    let min_letters = rules.threshold(SUBJECT_ALL_CAPS_MIN_LETTERS);
    let max_ratio = rules.threshold(SUBJECT_ALL_CAPS_MAX_UPPER_RATIO);
    if !cased.is_empty() && letters as f64 >= min_letters {
        let ratio = upper as f64 / cased.len() as f64;
        if ratio >= max_ratio {
            let percent = (ratio * 100.0).round();
            out.push(
                rules
                    .finding(
                        SUBJECT_ALL_CAPS,
                        target,
                        format!("{percent}% of the subject's letters are capitals"),
                    )
                    .with_record(evidence(subject))
                    .with_measured((ratio * 100.0).round() / 100.0)
                    .with_threshold(max_ratio)
                    .at(at()),
            );
        }
    }

    let (run, bangs, dollars) = punctuation(subject);
    let max_run = rules.threshold(SUBJECT_EXCESSIVE_PUNCTUATION_MAX_RUN);
    let max_bangs = rules.threshold(SUBJECT_EXCESSIVE_PUNCTUATION_MAX_EXCLAMATION);
    let max_dollars = rules.threshold(SUBJECT_EXCESSIVE_PUNCTUATION_MAX_DOLLAR);
    let mut problems = Vec::new();
    if run as f64 > max_run {
        problems.push(format!("a run of {run} `!`/`$`/`?`"));
    }
    if bangs as f64 > max_bangs {
        problems.push(format!("{bangs} `!`"));
    }
    if dollars as f64 > max_dollars {
        problems.push(format!("{dollars} `$`"));
    }
    if !problems.is_empty() {
        out.push(
            rules
                .finding(
                    SUBJECT_EXCESSIVE_PUNCTUATION,
                    target,
                    format!("the subject has {}", problems.join(" and ")),
                )
                .with_record(evidence(subject))
                .with_measured(serde_json::json!({"run": run, "exclamation": bangs, "dollar": dollars}))
                .with_threshold(serde_json::json!({"max_run": max_run, "max_exclamation": max_bangs, "max_dollar": max_dollars}))
                .at(at()),
        );
    }

    if let Some(prefix) = reply_prefix(subject) {
        let replies = ["In-Reply-To", "References"]
            .iter()
            .any(|name| draft.header(name).is_some_and(|h| !h.unfolded().is_empty()));
        if !replies {
            out.push(
                rules
                    .finding(
                        SUBJECT_FAKE_REPLY,
                        target,
                        format!(
                            "the subject starts with `{}:` but the draft replies to nothing (no In-Reply-To or References)",
                            prefix.trim()
                        ),
                    )
                    .with_record(evidence(subject))
                    .at(at()),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_prefixes() {
        for (subject, prefix) in [
            ("Re: hello", Some("Re")),
            ("RE : hello", Some("RE")),
            ("Fwd: x", Some("Fwd")),
            ("FW:x", Some("FW")),
            ("  Re[2]: x", Some("Re[2]")),
            ("AW: x", Some("AW")),
            ("Regarding: x", None),
            ("Re x", None),
            ("Quick question", None),
            ("", None),
        ] {
            assert_eq!(reply_prefix(subject), prefix, "{subject}");
        }
    }

    #[test]
    fn merge_tags_in_subjects() {
        for (subject, tags) in [
            ("Quick question, {{first_name}}", vec!["{{first_name}}"]),
            ("*|FNAME|*, an idea", vec!["*|FNAME|*"]),
            ("[First Name], quick idea", vec!["[First Name]"]),
            (
                "{Hi|Hey} {{first_name}} - 15 minutes?",
                vec!["{Hi|Hey}", "{{first_name}}"],
            ),
            ("Idea for %COMPANY%", vec!["%COMPANY%"]),
            ("Hello {FIRST_NAME}", vec!["{FIRST_NAME}"]),
            ("{% if x %}", vec!["{% if x %}"]),
            ("Save 20% or 30% today", vec![]),
            ("[Update] our pricing", vec![]),
            ("Re: our call", vec![]),
        ] {
            assert_eq!(merge_tags(subject), tags, "{subject}");
        }
    }

    #[test]
    fn templates_are_measured_as_rendered() {
        // 28 characters as a recipient reads it, 53 as written.
        let subject = "Quick question for {{company | default: \"your team\"}}";
        assert_eq!(rendered(subject), "Quick question for your team");
        assert_eq!(length(subject, true), 28);
        assert_eq!(length(subject, false), 53);
        assert_eq!(rendered("{{first_name|there}}, hi"), "there, hi");
        // Without a fallback: the eight-letter placeholder, whichever syntax.
        assert_eq!(rendered("Idea for %COMPANY%"), "Idea for xxxxxxxx");
        assert_eq!(rendered("{Hi|Hey} *|FNAME|*"), "Hi xxxxxxxx");
    }

    #[test]
    fn punctuation_runs() {
        assert_eq!(punctuation("Act now!!!"), (3, 3, 0));
        assert_eq!(punctuation("Why?! $$$"), (3, 1, 3));
        assert_eq!(punctuation("Really??"), (0, 0, 0));
        assert_eq!(punctuation("Save $5 today!"), (1, 1, 1));
    }
}
