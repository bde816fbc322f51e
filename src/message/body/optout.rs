//! Opt-out marks (unsubscribe links, opt-out wording, platform unsubscribe tokens) and the
//! footer they define.
//!
//! The footer of a part is where the sender's identification and opt-out usually stand. It
//! starts at the earlier of:
//! - the last horizontal rule (`<hr>`, or a `----` / `-- ` line in plain text) in the second
//!   half of the text, and
//! - the start of the block (paragraph, cell, line) holding the last opt-out mark;
//!
//! and runs to the end. Without either, the part has no recognisable footer.

use super::doc::{Doc, Link};
use super::links::{Scheme, parse};
use super::lists::{Lists, normalize_token};

#[derive(Clone, Debug)]
pub(crate) struct Mark {
    /// Byte offset in the part's text.
    pub offset: usize,
    /// What was found, for the facts (`link https://...`, `text "opt out"`, `token ...`).
    pub what: String,
}

/// Is this link an unsubscribe or preferences link?
///
/// The URL's words count for real URLs (http, https, mailto) and, in template mode, for a
/// merge tag standing for a URL; in rendered mode `href="{{unsubscribe_link}}"` is a
/// placeholder that would go out unresolved, not a working link.
pub(crate) fn is_unsubscribe_link(link: &Link, lists: &Lists, template_mode: bool) -> bool {
    let scheme = parse(&link.href).scheme;
    let real = matches!(scheme, Scheme::Http | Scheme::Https | Scheme::Mailto)
        || (template_mode && scheme == Scheme::Other);
    let href = link.href.to_ascii_lowercase();
    if real && lists.url_keywords.iter().any(|k| href.contains(k.as_str())) {
        return true;
    }
    if lists.opt_out.is_match(&link.text) {
        return true;
    }
    template_mode && contains_token(&normalize_token(&link.href), &lists.unsubscribe_tokens)
}

/// Does normalised text contain one of the normalised tokens? A Liquid tag entry
/// (`{%unsubscribe%}`) also matches the tag with arguments (`{% unsubscribe 'here' %}`).
pub(crate) fn contains_token(normalized: &str, tokens: &[String]) -> bool {
    find_token(normalized, tokens).is_some()
}

fn find_token(normalized: &str, tokens: &[String]) -> Option<usize> {
    tokens
        .iter()
        .filter_map(|token| {
            if let Some(name) = token.strip_prefix("{%").and_then(|t| t.strip_suffix("%}")) {
                let open = format!("{{%{name}");
                normalized.match_indices(&open).find_map(|(i, _)| {
                    let rest = &normalized[i + open.len()..];
                    (rest.starts_with("%}") || rest.starts_with('\'') || rest.starts_with('"'))
                        .then_some(i)
                })
            } else {
                normalized.find(token.as_str())
            }
        })
        .min()
}

/// Judge every link of `doc` once: `Link::unsubscribe`.
pub(crate) fn mark_unsubscribe_links(doc: &mut Doc, lists: &Lists, template_mode: bool) {
    for link in &mut doc.links {
        link.unsubscribe = is_unsubscribe_link(link, lists, template_mode);
    }
}

/// Every opt-out mark of a part, in text order (after [`mark_unsubscribe_links`]).
pub(crate) fn opt_out_marks(doc: &Doc, lists: &Lists, template_mode: bool) -> Vec<Mark> {
    let mut marks = Vec::new();
    for m in lists.opt_out.find_iter(&doc.text) {
        marks.push(Mark {
            offset: m.start(),
            what: format!("text \"{}\"", crate::text::truncate(m.as_str(), 60)),
        });
    }
    for link in &doc.links {
        if parse(&link.href).scheme == Scheme::NotCounted {
            continue;
        }
        if link.unsubscribe {
            marks.push(Mark {
                offset: link.text_start,
                what: format!("link {}", super::links::redact(&link.href)),
            });
        }
    }
    // A token of a line is also one of the whole text: one search of the whole text spares
    // the line-by-line search (one per line and token) to a text without any.
    if template_mode && contains_token(&normalize_token(&doc.text), &lists.unsubscribe_tokens) {
        // Tokens in the visible text: search line by line so the offset is close enough to
        // find the footer block.
        let mut offset = 0;
        for line in doc.text.split_inclusive('\n') {
            let normalized = normalize_token(line);
            if find_token(&normalized, &lists.unsubscribe_tokens).is_some() {
                marks.push(Mark {
                    offset,
                    what: format!("token {}", crate::text::truncate(line.trim(), 60)),
                });
            }
            offset += line.len();
        }
    }
    marks.sort_by_key(|m| m.offset);
    marks
}

/// Where the footer starts (see the module documentation), if the part has one.
pub(crate) fn footer_start(doc: &Doc, marks: &[Mark]) -> Option<usize> {
    let half = doc.text.len() / 2;
    let rule = doc
        .rules
        .iter()
        .rev()
        .copied()
        .find(|&r| r >= half && r < doc.text.len());
    let block = marks.last().map(|m| block_start(&doc.text, m.offset));
    match (rule, block) {
        (Some(r), Some(b)) => Some(r.min(b)),
        (r, b) => r.or(b),
    }
}

/// Start of the line (block) holding `offset`.
pub(crate) fn block_start(text: &str, offset: usize) -> usize {
    let offset = floor_boundary(text, offset);
    text[..offset].rfind('\n').map_or(0, |i| i + 1)
}

pub(crate) fn floor_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}
