//! Body analysis of a draft: the text parts and attachments the message core hands over,
//! turned into facts (word and link counts, opt-out, address, sender, merge tags) and the
//! findings of the `body/*` and `template/*` rules (SPEC §4.5).
//!
//! Which part is read for what:
//! - The *primary* part is the first `text/html` part, or else the first `text/plain` part:
//!   what most readers see. Word count, links, calls to action and sender identity are
//!   measured on it.
//! - Opt-out and postal address are required in every alternative a reader may be shown:
//!   the rules fire when no part has one, and also for a part that lacks what another has.
//! - Link, merge-tag, hidden-text and size checks look at every part.
//!
//! Thresholds come only from the rule data (`rules/body.toml`); a profile overrides the same
//! keys. A rule switched off (`rules.is_enabled`) is not checked.

mod address;
mod doc;
mod identity;
mod links;
pub mod lists;
mod merge;
mod optout;

use crate::finding::{Finding, Location};
use crate::message::rules::{
    BODY_ATTACHMENT, BODY_HIDDEN_TEXT, BODY_HIDDEN_TEXT_COLOR_TOLERANCE,
    BODY_HIDDEN_TEXT_PREHEADER_MAX_CHARS, BODY_HTML_TOO_LARGE, BODY_HTML_TOO_LARGE_MAX_BYTES,
    BODY_IMAGE_ONLY, BODY_IMAGE_ONLY_MIN_WORDS, BODY_INSECURE_LINK, BODY_LINK_DENSITY,
    BODY_LINK_DENSITY_MIN_WORDS_PER_LINK, BODY_LINK_TEXT_MISMATCH, BODY_MULTIPLE_CTAS,
    BODY_MULTIPLE_CTAS_MAX, BODY_NO_OPT_OUT, BODY_NO_POSTAL_ADDRESS, BODY_NO_SENDER_IDENTITY,
    BODY_NO_SENDER_IDENTITY_CLOSING_LINES, BODY_NO_SENDER_IDENTITY_REQUIRE_CONTACT,
    BODY_NO_TEXT_PART, BODY_TOO_MANY_LINKS, BODY_TOO_MANY_LINKS_MAX, BODY_UNRESOLVED_MERGE_TAG,
    BODY_URL_SHORTENER, BODY_WORD_COUNT, BODY_WORD_COUNT_MAX, BODY_WORD_COUNT_MIN,
    TEMPLATE_MERGE_TAG_SYNTAX, TEMPLATE_MIXED_SYNTAX, TEMPLATE_NO_FALLBACK,
};
use crate::rules::{RuleId, Rules, Threshold};
use crate::text::plural;
use doc::{Doc, Kind, is_blank};
use links::{Scheme, parse, redact, registrable};
use lists::{Lists, normalize_token};
use merge::{Tag, TagKind};
use serde::Serialize;
use std::collections::{BTreeSet, HashSet};

/// Findings of one rule per draft beyond this many are summarised in the last one.
const MAX_FINDINGS_PER_RULE: usize = 10;
/// Entries kept in the list facts.
const MAX_FACT_ENTRIES: usize = 50;

/// One decoded text part of a draft.
#[derive(Clone, Debug)]
pub struct BodyPart<'a> {
    /// "text/plain" or "text/html" (parameters and case are ignored; other types are skipped).
    pub content_type: &'a str,
    /// The decoded text of the part.
    pub text: &'a str,
    /// 1-based line of the file where the part's body starts.
    pub start_line: u32,
    /// True when the part is not quoted-printable or base64 encoded, so that decoded line k
    /// (0-based) is line `start_line + k` of the file.
    pub lines_match_file: bool,
}

/// One attachment of a draft.
#[derive(Clone, Debug)]
pub struct Attachment<'a> {
    pub filename: Option<&'a str>,
    pub content_type: &'a str,
    /// Decoded size in bytes.
    pub size: usize,
}

/// Everything the body analysis gets from the parsed draft.
#[derive(Clone, Debug)]
pub struct BodyInput<'a> {
    /// The draft's path, for `Location::Line`.
    pub file: &'a str,
    pub parts: Vec<BodyPart<'a>>,
    pub attachments: Vec<Attachment<'a>>,
    /// The domain of the From address, when it has one.
    pub from_domain: Option<&'a str>,
    /// `--template`: merge tags are expected, platform unsubscribe tokens count as links.
    pub template_mode: bool,
}

/// What the body analysis measured (JSON facts of a draft).
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct BodyFacts {
    /// Words of visible text in the primary part, footer included.
    pub word_count: usize,
    /// Links in the primary part (web links and links standing for one; not `mailto:`,
    /// `tel:` or `#anchors`).
    pub link_count: usize,
    /// Distinct call-to-action targets of the primary part (links outside the footer that
    /// are not unsubscribe links), as host and path.
    pub cta_targets: Vec<String>,
    /// Unsubscribe and preference links of all parts (without their query).
    pub unsubscribe_links: Vec<String>,
    /// The first opt-out found: `link URL`, `text "..."` or `token ...`.
    pub opt_out: Option<String>,
    /// The primary part has a recognisable footer (horizontal rule or opt-out block).
    pub footer_found: bool,
    /// The postal address found, as written.
    pub postal_address: Option<String>,
    /// The sender's name found in the closing (company or person).
    pub sender_identity: Option<String>,
    /// Kind of contact found in the closing: `phone`, `email` or `web`.
    pub sender_contact: Option<String>,
    pub has_text_part: bool,
    pub has_html_part: bool,
    /// Size of the largest HTML part, in bytes (decoded).
    pub html_bytes: usize,
    /// Images in the HTML parts, tracking pixels excluded.
    pub image_count: usize,
    /// Blocks of hidden text in the HTML parts (preview text included).
    pub hidden_text_blocks: usize,
    /// Distinct merge tags and spintax found.
    pub merge_tags: Vec<String>,
    pub attachment_count: usize,
}

#[derive(Clone, Debug, Default)]
pub struct BodyAnalysis {
    pub facts: BodyFacts,
    pub findings: Vec<Finding>,
}

/// One text part, read.
struct Part<'p, 'a> {
    src: &'p BodyPart<'a>,
    doc: Doc,
    marks: Vec<optout::Mark>,
    footer: Option<usize>,
    address: Option<(usize, String)>,
    /// Merge tags with their 1-based file line; `Some(offset)` for tags in the visible text.
    tags: Vec<(Tag, u32, Option<usize>)>,
}

impl Part<'_, '_> {
    fn is_html(&self) -> bool {
        self.doc.kind == Kind::Html
    }

    fn kind_name(&self) -> &'static str {
        if self.is_html() {
            "text/html"
        } else {
            "text/plain"
        }
    }

    /// The 1-based file line of 0-based line `line` of the part.
    fn file_line(&self, line: u32) -> u32 {
        if self.src.lines_match_file {
            self.src.start_line.saturating_add(line)
        } else {
            self.src.start_line
        }
    }

    fn line_at(&self, offset: usize) -> u32 {
        self.file_line(self.doc.line_at(offset))
    }
}

struct Ctx<'i, 'a> {
    input: &'i BodyInput<'a>,
    rules: &'i Rules,
    target: &'i str,
    lists: &'static Lists,
    findings: Vec<Finding>,
}

impl Ctx<'_, '_> {
    fn on(&self, id: RuleId) -> bool {
        self.rules.is_enabled(id.as_str())
    }

    fn threshold(&self, threshold: Threshold) -> f64 {
        self.rules.threshold(threshold)
    }

    fn at_line(&self, line: u32) -> Location {
        Location::Line {
            file: self.input.file.to_string(),
            line: line.max(1),
        }
    }

    fn push(&mut self, finding: Finding) {
        self.findings.push(finding);
    }

    fn finding(&self, id: RuleId, message: impl Into<String>) -> Finding {
        self.rules.finding(id, self.target, message)
    }
}

/// Analyse the body of one draft.
pub fn analyze_body(input: &BodyInput<'_>, rules: &Rules, target: &str) -> BodyAnalysis {
    let lists = lists::lists();
    let mut ctx = Ctx {
        input,
        rules,
        target,
        lists,
        findings: Vec::new(),
    };
    let tolerance = ctx
        .threshold(BODY_HIDDEN_TEXT_COLOR_TOLERANCE)
        .clamp(0.0, 255.0) as u8;
    let mut parts: Vec<Part<'_, '_>> = input
        .parts
        .iter()
        .filter_map(|src| {
            let ct = src.content_type.trim().to_ascii_lowercase();
            let doc = if ct.starts_with("text/html") {
                Doc::from_html(src.text, tolerance)
            } else if ct.starts_with("text/plain") || ct.is_empty() {
                Doc::from_text(src.text)
            } else {
                return None;
            };
            Some(read_part(src, doc, lists, input.template_mode))
        })
        .collect();
    // Primary part first: the first HTML part, else the first plain-text part.
    if let Some(i) = parts.iter().position(Part::is_html) {
        let primary = parts.remove(i);
        parts.insert(0, primary);
    }

    let mut facts = BodyFacts {
        has_text_part: parts.iter().any(|p| !p.is_html()),
        has_html_part: parts.iter().any(Part::is_html),
        html_bytes: parts
            .iter()
            .filter(|p| p.is_html())
            .map(|p| p.src.text.len())
            .max()
            .unwrap_or(0),
        attachment_count: input.attachments.len(),
        ..BodyFacts::default()
    };

    check_structure(&mut ctx, &parts, &mut facts);
    if let Some(primary) = parts.first() {
        check_primary(&mut ctx, primary, &mut facts);
    } else {
        no_body(&mut ctx);
    }
    check_links(&mut ctx, &parts);
    check_images_and_hidden(&mut ctx, &parts, &mut facts);
    check_merge_tags(&mut ctx, &parts, &mut facts);
    check_compliance(&mut ctx, &parts, &mut facts);
    check_attachments(&mut ctx);

    BodyAnalysis {
        facts,
        findings: ctx.findings,
    }
}

fn read_part<'p, 'a>(
    src: &'p BodyPart<'a>,
    doc: Doc,
    lists: &'static Lists,
    template_mode: bool,
) -> Part<'p, 'a> {
    let mut doc = doc;
    optout::mark_unsubscribe_links(&mut doc, lists, template_mode);
    let marks = optout::opt_out_marks(&doc, lists, template_mode);
    let footer = optout::footer_start(&doc, &marks);
    let address = address::find_postal_address(&doc.text);
    let mut part = Part {
        src,
        doc,
        marks,
        footer,
        address,
        tags: Vec::new(),
    };
    let mut tags = Vec::new();
    for t in merge::scan(&part.doc.text, lists, false) {
        let line = part.line_at(t.offset);
        let offset = t.offset;
        tags.push((t, line, Some(offset)));
    }
    for h in &part.doc.hidden {
        for t in merge::scan(&h.text, lists, false) {
            tags.push((t, part.file_line(h.line), None));
        }
    }
    for a in &part.doc.attrs {
        for t in merge::scan(&a.value, lists, true) {
            tags.push((t, part.file_line(a.line), None));
        }
    }
    part.tags = tags;
    part
}

/// A template's text as a recipient would read it: each merge tag at its fallback, or an
/// eight-letter placeholder word when it has none (see [`merge::render`]). Subject length and
/// word counts of templates are measured on this.
pub(crate) fn render_template(text: &str) -> String {
    merge::render(text, lists::lists())
}

/// What a merge tag without a fallback stands for in a rendered template.
pub(crate) const TAG_PLACEHOLDER: &str = merge::PLACEHOLDER;

/// The visible words of a part; in template mode, as rendered ([`render_template`]).
fn part_words(ctx: &Ctx<'_, '_>, p: &Part<'_, '_>) -> usize {
    if ctx.input.template_mode {
        count_words(&merge::render(&p.doc.text, ctx.lists))
    } else {
        count_words(&p.doc.text)
    }
}

/// " as rendered with fallbacks" in template mode: what a count was measured on.
fn rendered_note(ctx: &Ctx<'_, '_>) -> &'static str {
    if ctx.input.template_mode {
        " as rendered with fallbacks"
    } else {
        ""
    }
}

/// Words: runs of non-blank characters holding at least one letter or digit.
pub(crate) fn count_words(text: &str) -> usize {
    // One pass: a word is a run of non-blank characters with a letter or digit in it.
    // ASCII bytes are judged without decoding (most text is ASCII).
    let bytes = text.as_bytes();
    let mut words = 0;
    let mut counted = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let (blank, alphanumeric, len) = if b.is_ascii() {
            (
                matches!(b, b' ' | b'\t'..=b'\r'),
                b.is_ascii_alphanumeric(),
                1,
            )
        } else {
            let c = text[i..].chars().next().unwrap_or(' ');
            (is_blank(c), c.is_alphanumeric(), c.len_utf8())
        };
        if blank {
            counted = false;
        } else if !counted && alphanumeric {
            counted = true;
            words += 1;
        }
        i += len;
    }
    words
}

fn is_counted_link(href: &str) -> bool {
    !matches!(parse(href).scheme, Scheme::NotCounted | Scheme::Mailto)
}

fn check_structure(ctx: &mut Ctx<'_, '_>, parts: &[Part<'_, '_>], facts: &mut BodyFacts) {
    if facts.has_html_part
        && !facts.has_text_part
        && ctx.on(BODY_NO_TEXT_PART)
        && let Some(html) = parts.iter().find(|p| p.is_html())
    {
        let f = ctx
            .finding(
                BODY_NO_TEXT_PART,
                "the message has an HTML part and no text/plain alternative",
            )
            .at(ctx.at_line(html.src.start_line));
        ctx.push(f);
    }
    if ctx.on(BODY_HTML_TOO_LARGE) {
        let max = ctx.threshold(BODY_HTML_TOO_LARGE_MAX_BYTES);
        for p in parts.iter().filter(|p| p.is_html()) {
            let bytes = p.src.text.len();
            if bytes as f64 > max {
                let f = ctx
                    .finding(
                        BODY_HTML_TOO_LARGE,
                        format!(
                            "the HTML part is {} KB ({bytes} bytes), over the {} KB at which Gmail clips a message",
                            bytes / 1024,
                            (max / 1024.0).round()
                        ),
                    )
                    .with_measured(bytes)
                    .with_threshold(max)
                    .at(ctx.at_line(p.src.start_line));
                ctx.push(f);
            }
        }
    }
}

fn no_body(ctx: &mut Ctx<'_, '_>) {
    if ctx.on(BODY_WORD_COUNT) {
        let min = ctx.threshold(BODY_WORD_COUNT_MIN);
        let f = ctx
            .finding(
                BODY_WORD_COUNT,
                "the message has no text/plain or text/html part: 0 words of visible text",
            )
            .with_measured(0)
            .with_threshold(min)
            .at(Location::Header("Content-Type".into()));
        ctx.push(f);
    }
}

fn check_primary(ctx: &mut Ctx<'_, '_>, p: &Part<'_, '_>, facts: &mut BodyFacts) {
    let words = part_words(ctx, p);
    let rendered = rendered_note(ctx);
    facts.word_count = words;
    facts.footer_found = p.footer.is_some();
    let counted: Vec<&doc::Link> = p
        .doc
        .links
        .iter()
        .filter(|l| is_counted_link(&l.href))
        .collect();
    facts.link_count = counted.len();

    if ctx.on(BODY_WORD_COUNT) {
        let min = ctx.threshold(BODY_WORD_COUNT_MIN);
        let max = ctx.threshold(BODY_WORD_COUNT_MAX);
        let (bad, threshold) = if (words as f64) < min {
            (Some("under"), min)
        } else if words as f64 > max {
            (Some("over"), max)
        } else {
            (None, 0.0)
        };
        if let Some(side) = bad {
            let f = ctx
                .finding(
                    BODY_WORD_COUNT,
                    format!(
                        "{} of visible text (footer included){rendered}, {side} the {} to {} the profile allows",
                        plural(words, "word", "words"),
                        fmt_num(min),
                        fmt_num(max)
                    ),
                )
                .with_measured(words)
                .with_threshold(threshold)
                .at(ctx.at_line(p.src.start_line));
            ctx.push(f);
        }
    }

    if ctx.on(BODY_TOO_MANY_LINKS) {
        let max = ctx.threshold(BODY_TOO_MANY_LINKS_MAX);
        if counted.len() as f64 > max {
            let first_extra = counted
                .get(max.max(0.0) as usize)
                .map_or(p.src.start_line, |l| p.file_line(l.line));
            let f = ctx
                .finding(
                    BODY_TOO_MANY_LINKS,
                    format!(
                        "{}, more than the {} the profile allows",
                        plural(counted.len(), "link", "links"),
                        fmt_num(max)
                    ),
                )
                .with_measured(counted.len())
                .with_threshold(max)
                .at(ctx.at_line(first_extra));
            ctx.push(f);
        }
    }

    if ctx.on(BODY_LINK_DENSITY) && !counted.is_empty() {
        let min = ctx.threshold(BODY_LINK_DENSITY_MIN_WORDS_PER_LINK);
        let per_link = words as f64 / counted.len() as f64;
        if per_link < min {
            let f = ctx
                .finding(
                    BODY_LINK_DENSITY,
                    format!(
                        "{:.1} words per link ({}{rendered}, {}), under the {} the profile asks for",
                        per_link,
                        plural(words, "word", "words"),
                        plural(counted.len(), "link", "links"),
                        fmt_num(min)
                    ),
                )
                .with_measured((per_link * 10.0).round() / 10.0)
                .with_threshold(min)
                .at(ctx.at_line(p.src.start_line));
            ctx.push(f);
        }
    }

    // Calls to action: links outside the footer, not unsubscribe links, not hidden.
    let footer = p.footer.unwrap_or(usize::MAX);
    let mut ctas: Vec<(String, u32)> = Vec::new();
    // Seen keys in a hash set: a draft with n distinct links costs n look-ups, not n².
    let mut cta_keys: HashSet<String> = HashSet::new();
    for l in &counted {
        if l.hidden || l.text_start >= footer || l.unsubscribe {
            continue;
        }
        let url = parse(&l.href);
        let key = match url.scheme {
            Scheme::Http | Scheme::Https if !url.host.is_empty() => {
                let host = url.host.strip_prefix("www.").unwrap_or(&url.host);
                let path = url.path.trim_end_matches('/');
                crate::text::truncate(&format!("{host}{path}"), 200).to_string()
            }
            _ => crate::text::truncate(l.href.trim(), 200).to_string(),
        };
        if cta_keys.insert(key.clone()) {
            ctas.push((key, p.file_line(l.line)));
        }
    }
    facts.cta_targets = ctas.iter().map(|(k, _)| k.clone()).collect();
    if ctx.on(BODY_MULTIPLE_CTAS) {
        let max = ctx.threshold(BODY_MULTIPLE_CTAS_MAX);
        if ctas.len() as f64 > max {
            let line = ctas
                .get(max.max(0.0) as usize)
                .map_or(p.src.start_line, |c| c.1);
            let f = ctx
                .finding(
                    BODY_MULTIPLE_CTAS,
                    format!(
                        "{} distinct call-to-action targets, more than the {} the profile allows",
                        ctas.len(),
                        fmt_num(max)
                    ),
                )
                .with_measured(ctas.len())
                .with_threshold(max)
                .with_record(
                    ctas.iter()
                        .take(5)
                        .map(|(k, _)| k.as_str())
                        .collect::<Vec<_>>()
                        .join(" "),
                )
                .at(ctx.at_line(line));
            ctx.push(f);
        }
    }
}

fn check_links(ctx: &mut Ctx<'_, '_>, parts: &[Part<'_, '_>]) {
    let mut seen: BTreeSet<(RuleId, String)> = BTreeSet::new();
    let mut counts = [0usize; 3];
    for p in parts {
        for l in &p.doc.links {
            let url = parse(&l.href);
            if !matches!(url.scheme, Scheme::Http | Scheme::Https) || url.host.is_empty() {
                continue;
            }
            let line = p.file_line(l.line);
            let shown = redact(&l.href);
            if ctx.on(BODY_URL_SHORTENER)
                && let Some(shortener) = ctx
                    .lists
                    .shorteners
                    .iter()
                    .find(|s| links::host_in(&url.host, s))
                && seen.insert((BODY_URL_SHORTENER, shown.clone()))
            {
                counts[0] += 1;
                if counts[0] <= MAX_FINDINGS_PER_RULE {
                    let f = ctx
                        .finding(
                            BODY_URL_SHORTENER,
                            format!("link through the URL shortener {shortener}: {shown}"),
                        )
                        .with_record(shown.clone())
                        .at(ctx.at_line(line));
                    ctx.push(f);
                }
            }
            if ctx.on(BODY_INSECURE_LINK)
                && l.href
                    .trim()
                    .get(..7)
                    .is_some_and(|s| s.eq_ignore_ascii_case("http://"))
                && seen.insert((BODY_INSECURE_LINK, shown.clone()))
            {
                counts[1] += 1;
                if counts[1] <= MAX_FINDINGS_PER_RULE {
                    let f = ctx
                        .finding(BODY_INSECURE_LINK, format!("plain http link: {shown}"))
                        .with_record(shown.clone())
                        .at(ctx.at_line(line));
                    ctx.push(f);
                }
            }
            if ctx.on(BODY_LINK_TEXT_MISMATCH)
                && p.is_html()
                && let Some(text_host) = links::text_host(&l.text)
            {
                let shown_host = text_host.strip_prefix("www.").unwrap_or(&text_host);
                let real = url.host.strip_prefix("www.").unwrap_or(&url.host);
                if registrable(shown_host) != registrable(real)
                    && seen.insert((BODY_LINK_TEXT_MISMATCH, format!("{shown_host} {shown}")))
                {
                    counts[2] += 1;
                    if counts[2] <= MAX_FINDINGS_PER_RULE {
                        let f = ctx
                            .finding(
                                BODY_LINK_TEXT_MISMATCH,
                                format!(
                                    "the link text shows {shown_host} but the link goes to {}",
                                    url.host
                                ),
                            )
                            .with_record(format!(
                                "{} -> {shown}",
                                crate::text::truncate(&l.text, 100)
                            ))
                            .at(ctx.at_line(line));
                        ctx.push(f);
                    }
                }
            }
        }
    }
    for (i, id) in [
        BODY_URL_SHORTENER,
        BODY_INSECURE_LINK,
        BODY_LINK_TEXT_MISMATCH,
    ]
    .into_iter()
    .enumerate()
    {
        summarise_overflow(ctx, id, counts[i]);
    }
}

/// When a rule fired more than [`MAX_FINDINGS_PER_RULE`] times, say so in its last finding.
fn summarise_overflow(ctx: &mut Ctx<'_, '_>, id: RuleId, count: usize) {
    if count > MAX_FINDINGS_PER_RULE
        && let Some(last) = ctx.findings.iter_mut().rev().find(|f| f.rule == id)
    {
        last.message.push_str(&format!(
            " (and {} more like it)",
            count - MAX_FINDINGS_PER_RULE
        ));
    }
}

fn check_images_and_hidden(ctx: &mut Ctx<'_, '_>, parts: &[Part<'_, '_>], facts: &mut BodyFacts) {
    let preheader_max = ctx.threshold(BODY_HIDDEN_TEXT_PREHEADER_MAX_CHARS);
    let mut hidden_count = 0usize;
    for p in parts.iter().filter(|p| p.is_html()) {
        let images: Vec<&doc::Image> = p.doc.images.iter().filter(|i| !i.tracking_pixel).collect();
        facts.image_count += images.len();
        facts.hidden_text_blocks += p.doc.hidden.len() + p.doc.hidden_dropped;
        if ctx.on(BODY_IMAGE_ONLY) && !images.is_empty() {
            let min = ctx.threshold(BODY_IMAGE_ONLY_MIN_WORDS);
            let words = part_words(ctx, p);
            if (words as f64) < min {
                let f = ctx
                    .finding(
                        BODY_IMAGE_ONLY,
                        format!(
                            "{} and only {} of visible text{} (under {})",
                            plural(images.len(), "image", "images"),
                            plural(words, "word", "words"),
                            rendered_note(ctx),
                            fmt_num(min)
                        ),
                    )
                    .with_measured(words)
                    .with_threshold(min)
                    .at(ctx.at_line(p.file_line(images[0].line)));
                ctx.push(f);
            }
        }
        if ctx.on(BODY_HIDDEN_TEXT) {
            for h in &p.doc.hidden {
                if h.at_start && (h.chars as f64) <= preheader_max {
                    // The preview text ("preheader") slot: hidden by design, shown in the
                    // inbox list.
                    continue;
                }
                hidden_count += 1;
                if hidden_count <= MAX_FINDINGS_PER_RULE {
                    let snippet = crate::text::truncate(h.text.trim(), 40);
                    let f = ctx
                        .finding(
                            BODY_HIDDEN_TEXT,
                            format!(
                                "{} of text hidden with {}: \"{snippet}{}\"",
                                plural(h.chars, "character", "characters"),
                                h.reason,
                                if snippet.len() < h.text.trim().len() {
                                    "…"
                                } else {
                                    ""
                                }
                            ),
                        )
                        .with_measured(h.chars)
                        .with_record(format!("{}: {snippet}", h.reason))
                        .at(ctx.at_line(p.file_line(h.line)));
                    ctx.push(f);
                }
            }
            hidden_count += p.doc.hidden_dropped;
        }
    }
    summarise_overflow(ctx, BODY_HIDDEN_TEXT, hidden_count);
}

fn check_merge_tags(ctx: &mut Ctx<'_, '_>, parts: &[Part<'_, '_>], facts: &mut BodyFacts) {
    let all: Vec<&(Tag, u32, Option<usize>)> = parts.iter().flat_map(|p| p.tags.iter()).collect();
    let mut distinct: Vec<&str> = Vec::new();
    let mut distinct_seen: HashSet<&str> = HashSet::new();
    for (t, _, _) in &all {
        if distinct.len() < MAX_FACT_ENTRIES && distinct_seen.insert(&t.text) {
            distinct.push(&t.text);
        }
    }
    facts.merge_tags = distinct.iter().map(|s| s.to_string()).collect();

    let mut emitted: BTreeSet<(RuleId, &str)> = BTreeSet::new();
    let mut counts = [0usize; 3];
    if !ctx.input.template_mode {
        if ctx.on(BODY_UNRESOLVED_MERGE_TAG) {
            for (t, line, _) in &all {
                if !emitted.insert((BODY_UNRESOLVED_MERGE_TAG, &t.text)) {
                    continue;
                }
                counts[0] += 1;
                if counts[0] > MAX_FINDINGS_PER_RULE {
                    continue;
                }
                let what = match t.kind {
                    TagKind::Spintax => "unresolved spintax".to_string(),
                    TagKind::Malformed(why) => format!("unresolved merge tag ({why})"),
                    TagKind::Tag => format!("unresolved merge tag ({} syntax)", t.family),
                };
                let f = ctx
                    .finding(
                        BODY_UNRESOLVED_MERGE_TAG,
                        format!(
                            "{what} {}: the draft would go out with the placeholder",
                            t.text
                        ),
                    )
                    .with_record(t.text.clone())
                    .at(ctx.at_line(*line));
                ctx.push(f);
            }
            summarise_overflow(ctx, BODY_UNRESOLVED_MERGE_TAG, counts[0]);
        }
        return;
    }

    if ctx.on(TEMPLATE_MERGE_TAG_SYNTAX) {
        for (t, line, _) in &all {
            let TagKind::Malformed(why) = t.kind else {
                continue;
            };
            if !emitted.insert((TEMPLATE_MERGE_TAG_SYNTAX, &t.text)) {
                continue;
            }
            counts[0] += 1;
            if counts[0] <= MAX_FINDINGS_PER_RULE {
                let f = ctx
                    .finding(
                        TEMPLATE_MERGE_TAG_SYNTAX,
                        format!("malformed merge tag {}: {why}", t.text),
                    )
                    .with_record(t.text.clone())
                    .at(ctx.at_line(*line));
                ctx.push(f);
            }
        }
        summarise_overflow(ctx, TEMPLATE_MERGE_TAG_SYNTAX, counts[0]);
    }

    if ctx.on(TEMPLATE_MIXED_SYNTAX) {
        let mut families: Vec<(&str, &str, u32)> = Vec::new();
        for (t, line, _) in &all {
            if t.kind == TagKind::Tag && !families.iter().any(|(f, _, _)| *f == t.family) {
                families.push((&t.family, &t.text, *line));
            }
        }
        if families.len() > 1 {
            let list = families
                .iter()
                .map(|(f, example, _)| format!("{f} ({example})"))
                .collect::<Vec<_>>()
                .join(", ");
            let f = ctx
                .finding(
                    TEMPLATE_MIXED_SYNTAX,
                    format!(
                        "merge tags of {} platform syntaxes in one draft: {list}",
                        families.len()
                    ),
                )
                .with_measured(families.len())
                .with_record(list.clone())
                .at(ctx.at_line(families[1].2));
            ctx.push(f);
        }
    }

    if ctx.on(TEMPLATE_NO_FALLBACK) {
        let tags: Vec<Tag> = all.iter().map(|(t, _, _)| t.clone()).collect();
        let guarded = merge::guarded_fields(&tags);
        for (t, line, _) in &all {
            let Some(field) = &t.field else {
                continue;
            };
            if t.kind != TagKind::Tag
                || t.has_fallback
                || !ctx.lists.fields.contains(field)
                || guarded.contains(field)
                || !emitted.insert((TEMPLATE_NO_FALLBACK, &t.text))
            {
                continue;
            }
            counts[1] += 1;
            if counts[1] <= MAX_FINDINGS_PER_RULE {
                let f = ctx
                    .finding(
                        TEMPLATE_NO_FALLBACK,
                        format!(
                            "merge tag {} has no default: a recipient without this field gets an empty gap",
                            t.text
                        ),
                    )
                    .with_record(t.text.clone())
                    .at(ctx.at_line(*line));
                ctx.push(f);
            }
        }
        summarise_overflow(ctx, TEMPLATE_NO_FALLBACK, counts[1]);
    }
}

fn check_compliance(ctx: &mut Ctx<'_, '_>, parts: &[Part<'_, '_>], facts: &mut BodyFacts) {
    let template = ctx.input.template_mode;
    // Opt-out.
    let mut unsubscribe = Vec::new();
    let mut unsubscribe_seen: HashSet<String> = HashSet::new();
    for p in parts {
        for l in &p.doc.links {
            if unsubscribe.len() < MAX_FACT_ENTRIES
                && l.unsubscribe
                && parse(&l.href).scheme != Scheme::NotCounted
            {
                let r = links::redact_to_host(&l.href);
                if unsubscribe_seen.insert(r.clone()) {
                    unsubscribe.push(r);
                }
            }
        }
    }
    facts.unsubscribe_links = unsubscribe;
    facts.opt_out = parts
        .iter()
        .find_map(|p| p.marks.first().map(|m| m.what.clone()));
    presence_rule(
        ctx,
        BODY_NO_OPT_OUT,
        parts,
        |p| !p.marks.is_empty(),
        "no opt-out in the body: no unsubscribe link and no opt-out wording",
        "has no opt-out (no unsubscribe link or wording), although the other part has one",
    );

    // Postal address.
    let address_token = |p: &Part<'_, '_>| {
        template
            && (optout::contains_token(&normalize_token(&p.doc.text), &ctx.lists.address_tokens)
                || p.tags
                    .iter()
                    .any(|(t, _, _)| ctx.lists.address_tokens.contains(&normalize_token(&t.text))))
    };
    facts.postal_address = parts
        .iter()
        .find_map(|p| p.address.as_ref().map(|a| a.1.clone()));
    if facts.postal_address.is_none()
        && let Some((t, _, _)) = parts.iter().flat_map(|p| p.tags.iter()).find(|(t, _, _)| {
            template && ctx.lists.address_tokens.contains(&normalize_token(&t.text))
        })
    {
        facts.postal_address = Some(t.text.clone());
    }
    presence_rule(
        ctx,
        BODY_NO_POSTAL_ADDRESS,
        parts,
        |p| p.address.is_some() || address_token(p),
        "no physical postal address in the body",
        "has no postal address, although the other part has one",
    );

    // Sender identity, in the closing of the primary part.
    let Some(p) = parts.first() else {
        return;
    };
    let closing_lines = ctx
        .threshold(BODY_NO_SENDER_IDENTITY_CLOSING_LINES)
        .max(0.0) as usize;
    let end = p.footer.unwrap_or(p.doc.text.len());
    let mut start = end;
    let mut seen = 0usize;
    while start > 0 && seen < closing_lines {
        let line_start = optout::block_start(&p.doc.text, start.saturating_sub(1));
        if !p.doc.text[line_start..start].trim().is_empty() {
            seen += 1;
        }
        start = line_start;
    }
    let closing = &p.doc.text[start..];
    let web_links = p.doc.links.iter().any(|l| {
        l.text_start >= start
            && matches!(parse(&l.href).scheme, Scheme::Http | Scheme::Https)
            && !l.unsubscribe
    });
    let closing_tags: Vec<String> = if template {
        p.tags
            .iter()
            .filter(|(_, _, off)| off.is_some_and(|o| o >= start))
            .map(|(t, _, _)| t.text.clone())
            .collect()
    } else {
        Vec::new()
    };
    let id = identity::find_identity(
        closing,
        web_links,
        ctx.input.from_domain,
        ctx.lists,
        &closing_tags,
    );
    facts.sender_identity = id.name.clone();
    facts.sender_contact = id.contact.map(str::to_string);
    if ctx.on(BODY_NO_SENDER_IDENTITY) {
        let require_contact = ctx.threshold(BODY_NO_SENDER_IDENTITY_REQUIRE_CONTACT) >= 1.0;
        let line = p.line_at(start);
        let message = match (&id.name, id.contact) {
            (None, _) => Some(
                "the closing of the message names no sender (no company or person)".to_string(),
            ),
            (Some(name), None) if require_contact => Some(format!(
                "the closing names the sender ({name}) but gives no phone, email or web contact"
            )),
            _ => None,
        };
        if let Some(message) = message {
            let f = ctx
                .finding(BODY_NO_SENDER_IDENTITY, message)
                .at(ctx.at_line(line));
            ctx.push(f);
        }
    }
}

/// A rule that every part must satisfy: one finding when no part does, else one per part
/// that does not.
fn presence_rule(
    ctx: &mut Ctx<'_, '_>,
    id: RuleId,
    parts: &[Part<'_, '_>],
    has: impl Fn(&Part<'_, '_>) -> bool,
    none_message: &str,
    part_message: &str,
) {
    if !ctx.on(id) {
        return;
    }
    if parts.is_empty() {
        let f = ctx
            .finding(id, none_message)
            .at(Location::Header("Content-Type".into()));
        ctx.push(f);
        return;
    }
    let with: Vec<bool> = parts.iter().map(&has).collect();
    if !with.iter().any(|&b| b) {
        let f = ctx
            .finding(id, none_message)
            .at(ctx.at_line(parts[0].src.start_line));
        ctx.push(f);
        return;
    }
    for (p, ok) in parts.iter().zip(with) {
        if !ok {
            let f = ctx
                .finding(id, format!("the {} part {part_message}", p.kind_name()))
                .at(ctx.at_line(p.src.start_line));
            ctx.push(f);
        }
    }
}

fn check_attachments(ctx: &mut Ctx<'_, '_>) {
    if !ctx.on(BODY_ATTACHMENT) {
        return;
    }
    for a in &ctx.input.attachments {
        let name = a
            .filename
            .map(|n| crate::text::truncate(n, 100).to_string())
            .unwrap_or_else(|| "(unnamed)".to_string());
        let f = ctx
            .finding(
                BODY_ATTACHMENT,
                format!(
                    "attachment {name} ({}, {} KB)",
                    crate::text::truncate(a.content_type, 60),
                    a.size.div_ceil(1024)
                ),
            )
            .with_measured(a.size)
            .with_record(name)
            .at(Location::Header("Content-Disposition".into()));
        ctx.push(f);
    }
}

fn fmt_num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

#[cfg(test)]
mod word_count_tests {
    use super::count_words;
    use super::doc::is_blank;

    /// The definition: runs between blanks that hold a letter or digit.
    fn by_definition(text: &str) -> usize {
        text.split(is_blank)
            .filter(|w| w.chars().any(char::is_alphanumeric))
            .count()
    }

    #[test]
    fn one_pass_count_matches_the_definition() {
        for text in [
            "",
            "   ",
            "Hi Sam,\n\nwe met -- at the fair.",
            "a\u{200B}b c\u{00A0}d — 42 … ¡Hola! naïve café 東京 ",
            "--- *** ... !!!",
            "x",
            "\u{FEFF}start end\u{2060}",
            "tab\tsep\r\nline\u{0085}next",
        ] {
            assert_eq!(count_words(text), by_definition(text), "{text:?}");
        }
    }
}
