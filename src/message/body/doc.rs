//! A part's body as the reader sees it: the visible text, the links, the images, the
//! horizontal rules and the hidden text, with a map back to lines of the part.
//!
//! HTML is tokenized with html5gum (WHATWG tokenizer, no unsafe, no panics on any input) and
//! turned into text the way a mail client shows it: the contents of `<head>`, `<style>`,
//! `<script>`, `<title>`, `<template>`, `<noscript>`, `<svg>` and comments are skipped,
//! character references are decoded, block elements (`p`, `div`, `td`, `li`, `br`, headings,
//! ...) break words and lines, and runs of white space collapse to one space. Inline styles
//! are followed down the element tree to find text the reader cannot see.
//! Plain text is taken as it is.

use crate::text::truncate;
use html5gum::emitters::callback::{CallbackEmitter, CallbackEvent};
use html5gum::{Span, Tokenizer};
use std::convert::Infallible;

/// Deeper nesting than this is not tracked (the text is still extracted).
const MAX_DEPTH: usize = 256;
/// An end tag closes an open element at most this far down the stack.
const MAX_END_TAG_SEARCH: usize = 48;
/// Text kept per hidden run and per link text (the rest is counted, not kept).
const MAX_KEPT_TEXT: usize = 1024;
/// Hidden runs recorded per part.
const MAX_HIDDEN_RUNS: usize = 200;
/// Attribute values kept for merge-tag scanning, per part.
const MAX_ATTRS: usize = 2000;
/// Attributes per tag handed to the tokenizer; the rest are blanked out before tokenizing
/// (html5gum's attribute states call each other once per attribute of a tag, so a tag with
/// thousands of attributes would overflow the stack).
const MAX_TAG_ATTRS: usize = 128;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Html,
    Text,
}

#[derive(Clone, Debug)]
pub(crate) struct Link {
    pub href: String,
    /// Visible text of the link (HTML), or the URL itself (plain text).
    pub text: String,
    /// Offset in [`Doc::text`] where the link's text starts.
    pub text_start: usize,
    /// 0-based line in the part.
    pub line: u32,
    pub hidden: bool,
    /// An unsubscribe link ([`super::optout::is_unsubscribe_link`]), judged once per part by
    /// [`super::optout::mark_unsubscribe_links`]; false until then.
    pub unsubscribe: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct Image {
    pub line: u32,
    /// Width and height both given and at most 2 pixels: an open-tracking pixel.
    pub tracking_pixel: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct Hidden {
    /// Why the text is hidden (`display:none`, `font-size:0`, ...).
    pub reason: &'static str,
    pub text: String,
    pub line: u32,
    /// The first hidden run, before any visible word: the preview text ("preheader") slot.
    pub at_start: bool,
    /// Characters of text in the run (including what was not kept).
    pub chars: usize,
}

#[derive(Clone, Debug)]
pub(crate) struct Attr {
    pub value: String,
    pub line: u32,
}

#[derive(Clone, Debug)]
pub(crate) struct Doc {
    pub kind: Kind,
    /// Visible text: blocks separated by `\n`, white space collapsed (HTML).
    pub text: String,
    /// `(offset in text, 0-based line in the part)`, sorted by offset.
    lines: Vec<(usize, u32)>,
    pub links: Vec<Link>,
    pub images: Vec<Image>,
    /// Offsets in `text` where a horizontal rule (`<hr>`, a `----` line) stands.
    pub rules: Vec<usize>,
    pub hidden: Vec<Hidden>,
    /// Hidden runs beyond [`MAX_HIDDEN_RUNS`] are counted here.
    pub hidden_dropped: usize,
    /// `href`, `src`, `alt` and `title` values (HTML).
    pub attrs: Vec<Attr>,
}

impl Doc {
    /// The 0-based line of the part where the text at `offset` comes from.
    pub fn line_at(&self, offset: usize) -> u32 {
        match self.lines.partition_point(|&(o, _)| o <= offset) {
            0 => 0,
            i => self.lines[i - 1].1,
        }
    }

    /// Plain text, as it is; `----`-style lines and the `-- ` signature separator are rules.
    pub fn from_text(text: &str) -> Doc {
        let mut lines = Vec::new();
        let mut rules = Vec::new();
        let mut start = 0usize;
        let mut line = 0u32;
        for piece in text.split_inclusive('\n') {
            lines.push((start, line));
            let trimmed = piece.trim_end_matches(['\r', '\n']);
            if is_text_rule(trimmed) {
                rules.push(start);
            }
            start += piece.len();
            line = line.saturating_add(1);
        }
        let mut doc = Doc {
            kind: Kind::Text,
            text: text.to_string(),
            lines,
            links: Vec::new(),
            images: Vec::new(),
            rules,
            hidden: Vec::new(),
            hidden_dropped: 0,
            attrs: Vec::new(),
        };
        for m in crate::message::body::links::plain_urls(text) {
            let line = doc.line_at(m.start());
            doc.links.push(Link {
                href: m.as_str().to_string(),
                text: m.as_str().to_string(),
                text_start: m.start(),
                line,
                hidden: false,
                unsubscribe: false,
            });
        }
        doc
    }

    /// HTML, tokenized and rendered to text. Text whose colour is within `color_tolerance`
    /// (per RGB channel) of its background counts as hidden.
    pub fn from_html(html: &str, color_tolerance: u8) -> Doc {
        let capped = cap_tag_attributes(html, MAX_TAG_ATTRS);
        let html: &str = &capped;
        let mut builder = Builder::new(html, color_tolerance);
        {
            let mut emitter = CallbackEmitter::new(
                |event: CallbackEvent<'_>, span: Span<usize>| -> Option<Infallible> {
                    builder.event(event, span);
                    None
                },
            );
            emitter.naively_switch_states(true);
            for _ in Tokenizer::new_with_emitter(html, emitter) {}
        }
        builder.finish()
    }
}

/// `html` with the attributes of every tag beyond the first `max` replaced by spaces (line
/// breaks kept, so offsets and lines stay the same); borrowed when no tag has more.
///
/// One linear pass that follows the WHATWG tokenizer where it matters: comments, bogus
/// comments, raw-text elements (as html5gum's naive state switching), and the attribute
/// states of start and end tags exactly, so that the tag it bounds is the tag html5gum sees.
fn cap_tag_attributes(html: &str, max: usize) -> std::borrow::Cow<'_, str> {
    let b = html.as_bytes();
    let n = b.len();
    let mut blank: Vec<(usize, usize)> = Vec::new();
    let mut i = 0usize;
    while i < n {
        let Some(lt) = b[i..].iter().position(|&c| c == b'<') else {
            break;
        };
        i += lt;
        let rest = &b[i + 1..];
        if rest.starts_with(b"!--") {
            i = find_from(b, i + 4, b"-->").map_or(n, |e| e + 3);
        } else if rest.first().is_some_and(|&c| c == b'!' || c == b'?') {
            i = find_from(b, i + 1, b">").map_or(n, |e| e + 1);
        } else if rest.first().is_some_and(u8::is_ascii_alphabetic)
            || (rest.first() == Some(&b'/') && rest.get(1).is_some_and(u8::is_ascii_alphabetic))
        {
            let end_tag = rest[0] == b'/';
            let name_start = if end_tag { i + 2 } else { i + 1 };
            let (end, name_end, cut) = scan_tag(b, name_start, max);
            if let Some(cut) = cut {
                // Keep a closing `/` of a self-closing tag.
                let stop = if end < n && end > cut && b[end - 1] == b'/' {
                    end - 1
                } else {
                    end
                };
                blank.push((cut, stop));
            }
            i = end.saturating_add(1).min(n);
            if end_tag || end >= n {
                continue;
            }
            let name = html[name_start..name_end].to_ascii_lowercase();
            match name.as_str() {
                "plaintext" => break,
                "textarea" | "title" | "script" | "style" | "iframe" | "xmp" | "noembed"
                | "noframe" | "noscript" => {
                    i = find_end_tag(b, i, name.as_bytes()).unwrap_or(n);
                }
                _ => {}
            }
        } else {
            i += 1;
        }
    }
    if blank.is_empty() {
        return std::borrow::Cow::Borrowed(html);
    }
    let mut out = b.to_vec();
    for (from, to) in blank {
        for c in &mut out[from..to] {
            if *c != b'\n' {
                *c = b' ';
            }
        }
    }
    // Whole characters were replaced (every range starts and ends at an ASCII byte).
    std::borrow::Cow::Owned(
        String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
    )
}

fn find_from(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    let hay = b.get(from..)?;
    hay.windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// Where `</name` (any case, then white space, `/` or `>`) starts at or after `from`.
fn find_end_tag(b: &[u8], mut from: usize, name: &[u8]) -> Option<usize> {
    loop {
        let at = find_from(b, from, b"</")?;
        let after = at + 2 + name.len();
        if b.get(at + 2..after)
            .is_some_and(|s| s.eq_ignore_ascii_case(name))
            && b.get(after)
                .is_none_or(|&c| matches!(c, b'\t' | b'\n' | 0x0C | b'\r' | b' ' | b'/' | b'>'))
        {
            return Some(at);
        }
        from = at + 2;
    }
}

/// Scan one tag from its name: `(offset of the closing '>' or the end, end of the name,
/// offset where attribute `max + 1` starts)`. The attribute states of the WHATWG tokenizer.
fn scan_tag(b: &[u8], from: usize, max: usize) -> (usize, usize, Option<usize>) {
    #[derive(Clone, Copy)]
    enum S {
        Name,
        BeforeAttrName,
        AttrName,
        AfterAttrName,
        BeforeValue,
        Quoted(u8),
        Unquoted,
        AfterQuoted,
    }
    let ws = |c: u8| matches!(c, b'\t' | b'\n' | 0x0C | b'\r' | b' ');
    let mut state = S::Name;
    let mut name_end = from;
    let mut count = 0usize;
    let mut cut = None;
    let mut i = from;
    while i < b.len() {
        let c = b[i];
        let mut start_attr = false;
        state = match state {
            S::Name => {
                if ws(c) || c == b'/' {
                    name_end = i;
                    S::BeforeAttrName
                } else if c == b'>' {
                    return (i, i, cut);
                } else {
                    S::Name
                }
            }
            S::BeforeAttrName | S::AfterQuoted if c == b'>' => return (i, name_end, cut),
            S::BeforeAttrName | S::AfterQuoted if ws(c) || c == b'/' => S::BeforeAttrName,
            S::BeforeAttrName | S::AfterQuoted => {
                start_attr = true;
                S::AttrName
            }
            S::AttrName => match c {
                b'>' => return (i, name_end, cut),
                b'=' => S::BeforeValue,
                c if ws(c) || c == b'/' => S::AfterAttrName,
                _ => S::AttrName,
            },
            S::AfterAttrName => match c {
                b'>' => return (i, name_end, cut),
                b'=' => S::BeforeValue,
                c if ws(c) || c == b'/' => S::AfterAttrName,
                _ => {
                    start_attr = true;
                    S::AttrName
                }
            },
            S::BeforeValue => match c {
                b'>' => return (i, name_end, cut),
                b'"' | b'\'' => S::Quoted(c),
                c if ws(c) => S::BeforeValue,
                _ => S::Unquoted,
            },
            S::Quoted(q) => {
                // Skip to the closing quote at once.
                match b[i..].iter().position(|&x| x == q) {
                    Some(p) => {
                        i += p + 1;
                        state = S::AfterQuoted;
                        continue;
                    }
                    None => return (b.len(), name_end, cut),
                }
            }
            S::Unquoted => match c {
                b'>' => return (i, name_end, cut),
                c if ws(c) => S::BeforeAttrName,
                _ => S::Unquoted,
            },
        };
        if start_attr {
            count += 1;
            if count == max + 1 {
                cut = Some(i);
            }
        }
        i += 1;
    }
    (b.len(), name_end.max(from), cut)
}

/// A line that is a horizontal rule in plain text: three or more of one of `-_=*~`, or the
/// `-- ` signature separator.
fn is_text_rule(line: &str) -> bool {
    let t = line.trim();
    if line == "-- " || t == "--" {
        return true;
    }
    let Some(first) = t.chars().next() else {
        return false;
    };
    matches!(first, '-' | '_' | '=' | '*' | '~' | '—' | '─')
        && t.chars().count() >= 3
        && t.chars().all(|c| c == first || c == ' ')
}

/// White space and the invisible characters used to pad preview text.
pub(crate) fn is_blank(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '\u{200B}'..='\u{200D}' | '\u{034F}' | '\u{FEFF}' | '\u{00AD}' | '\u{2060}'
        )
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    pub fn close_to(self, other: Rgb, tolerance: u8) -> bool {
        self.0.abs_diff(other.0) <= tolerance
            && self.1.abs_diff(other.1) <= tolerance
            && self.2.abs_diff(other.2) <= tolerance
    }
}

const WHITE: Rgb = Rgb(255, 255, 255);

/// Style state of an element, inherited down the tree.
#[derive(Clone, Debug, Default)]
struct State {
    /// Inside `<head>`, `<style>`, `<script>`, ...: nothing is shown.
    skip: bool,
    /// Hidden for good (`display:none`, `hidden`, `opacity:0`, ...): children cannot undo it.
    hidden: Option<&'static str>,
    /// `visibility:hidden`, which a child may undo with `visibility:visible`.
    invisible: bool,
    /// Font size 0 (or under 1px), which a child may undo with its own size.
    tiny_font: bool,
    color: Option<Rgb>,
    bg: Option<Rgb>,
    /// A background image: the colour underneath is unknown.
    bg_image: bool,
}

struct Elem {
    name: Box<[u8]>,
    state: State,
}

/// Attributes of the start tag being read.
#[derive(Default)]
struct TagAttrs {
    href: Option<String>,
    src: Option<String>,
    alt: Option<String>,
    title: Option<String>,
    style: Option<String>,
    width: Option<String>,
    height: Option<String>,
    bgcolor: Option<String>,
    color: Option<String>,
    background: Option<String>,
    hidden: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum AttrName {
    Href,
    Src,
    Alt,
    Title,
    Style,
    Width,
    Height,
    Bgcolor,
    Color,
    Background,
}

struct OpenLink {
    href: String,
    text_start: usize,
    line: u32,
    hidden: bool,
}

struct Builder<'h> {
    doc: Doc,
    /// Offsets of `\n` in the HTML source, for byte offset → line.
    newlines: Vec<usize>,
    stack: Vec<Elem>,
    /// Elements not pushed because the stack was full.
    overflow: usize,
    tag_name: Vec<u8>,
    tag_start: usize,
    attrs: TagAttrs,
    attr: Option<AttrName>,
    link: Option<OpenLink>,
    pending_space: bool,
    /// The hidden run text is being appended to, if the last text was hidden.
    open_hidden: Option<usize>,
    /// A `<style>` block sets a background: the page background is not known to be white.
    style_sets_background: bool,
    in_style: bool,
    seen_visible_word: bool,
    color_tolerance: u8,
    html: &'h str,
}

impl<'h> Builder<'h> {
    fn new(html: &'h str, color_tolerance: u8) -> Builder<'h> {
        Builder {
            doc: Doc {
                kind: Kind::Html,
                text: String::with_capacity(html.len() / 4),
                lines: Vec::new(),
                links: Vec::new(),
                images: Vec::new(),
                rules: Vec::new(),
                hidden: Vec::new(),
                hidden_dropped: 0,
                attrs: Vec::new(),
            },
            newlines: memchr_newlines(html),
            stack: Vec::new(),
            overflow: 0,
            tag_name: Vec::new(),
            tag_start: 0,
            attrs: TagAttrs::default(),
            attr: None,
            link: None,
            pending_space: false,
            open_hidden: None,
            style_sets_background: false,
            in_style: false,
            seen_visible_word: false,
            color_tolerance,
            html,
        }
    }

    fn line_of(&self, offset: usize) -> u32 {
        let offset = offset.min(self.html.len());
        u32::try_from(self.newlines.partition_point(|&n| n < offset)).unwrap_or(u32::MAX)
    }

    fn state(&self) -> State {
        self.stack
            .last()
            .map(|e| e.state.clone())
            .unwrap_or_default()
    }

    fn event(&mut self, event: CallbackEvent<'_>, span: Span<usize>) {
        match event {
            CallbackEvent::OpenStartTag { name } => {
                self.tag_name.clear();
                self.tag_name.extend_from_slice(name);
                self.tag_start = span.start;
                self.attrs = TagAttrs::default();
                self.attr = None;
            }
            CallbackEvent::AttributeName { name } => {
                self.attr = match name {
                    b"href" => Some(AttrName::Href),
                    b"src" => Some(AttrName::Src),
                    b"alt" => Some(AttrName::Alt),
                    b"title" => Some(AttrName::Title),
                    b"style" => Some(AttrName::Style),
                    b"width" => Some(AttrName::Width),
                    b"height" => Some(AttrName::Height),
                    b"bgcolor" => Some(AttrName::Bgcolor),
                    b"color" => Some(AttrName::Color),
                    b"background" => Some(AttrName::Background),
                    b"hidden" => {
                        self.attrs.hidden = true;
                        None
                    }
                    _ => None,
                };
            }
            CallbackEvent::AttributeValue { value } => {
                let Some(which) = self.attr.take() else {
                    return;
                };
                let slot = match which {
                    AttrName::Href => &mut self.attrs.href,
                    AttrName::Src => &mut self.attrs.src,
                    AttrName::Alt => &mut self.attrs.alt,
                    AttrName::Title => &mut self.attrs.title,
                    AttrName::Style => &mut self.attrs.style,
                    AttrName::Width => &mut self.attrs.width,
                    AttrName::Height => &mut self.attrs.height,
                    AttrName::Bgcolor => &mut self.attrs.bgcolor,
                    AttrName::Color => &mut self.attrs.color,
                    AttrName::Background => &mut self.attrs.background,
                };
                // The first of duplicate attributes wins, as in browsers.
                if slot.is_none() {
                    *slot = Some(String::from_utf8_lossy(value).into_owned());
                }
            }
            CallbackEvent::CloseStartTag { self_closing } => {
                let name = std::mem::take(&mut self.tag_name);
                self.start_tag(&name, self_closing);
                self.tag_name = name;
            }
            CallbackEvent::EndTag { name } => {
                let name = name.to_vec();
                self.end_tag(&name, span.start);
            }
            CallbackEvent::String { value } => {
                if self.in_style {
                    if memfind(value, b"background") {
                        self.style_sets_background = true;
                    }
                    return;
                }
                let text = String::from_utf8_lossy(value);
                self.text(&text, span.start);
            }
            CallbackEvent::Comment { .. }
            | CallbackEvent::Doctype { .. }
            | CallbackEvent::Error(_) => {}
        }
    }

    fn start_tag(&mut self, name: &[u8], self_closing: bool) {
        let attrs = std::mem::take(&mut self.attrs);
        let line = self.line_of(self.tag_start);
        for value in [&attrs.href, &attrs.src, &attrs.alt, &attrs.title]
            .into_iter()
            .flatten()
        {
            if self.doc.attrs.len() < MAX_ATTRS && !self.state().skip {
                self.doc.attrs.push(Attr {
                    value: value.clone(),
                    line,
                });
            }
        }
        match name {
            b"body" => {
                // Anything still open from <head> ends here.
                if let Some(i) = self.stack.iter().position(|e| &*e.name == b"head") {
                    self.stack.truncate(i);
                }
                self.in_style = false;
                self.push(name, &attrs, false);
                return;
            }
            b"br" => {
                self.block_break();
                return;
            }
            b"hr" => {
                self.block_break();
                if !self.state().skip {
                    self.doc.rules.push(self.doc.text.len());
                }
                return;
            }
            b"img" => {
                let state = self.state();
                if !state.skip && state.hidden.is_none() {
                    let w = attrs
                        .width
                        .as_deref()
                        .and_then(leading_number)
                        .or_else(|| style_px(attrs.style.as_deref(), "width"));
                    let h = attrs
                        .height
                        .as_deref()
                        .and_then(leading_number)
                        .or_else(|| style_px(attrs.style.as_deref(), "height"));
                    let tracking_pixel =
                        matches!((w, h), (Some(w), Some(h)) if w <= 2.0 && h <= 2.0);
                    self.doc.images.push(Image {
                        line,
                        tracking_pixel,
                    });
                }
                return;
            }
            b"area" => {
                if let Some(href) = attrs.href {
                    let state = self.state();
                    if !state.skip {
                        self.doc.links.push(Link {
                            href,
                            text: attrs.alt.unwrap_or_default(),
                            text_start: self.doc.text.len(),
                            line,
                            hidden: state.hidden.is_some(),
                            unsubscribe: false,
                        });
                    }
                }
                return;
            }
            _ => {}
        }
        if is_void(name) {
            return;
        }
        if (name == b"svg" || name == b"math") && self_closing {
            return;
        }
        // Elements whose start closes an open one of the same kind (<p><p>, <li><li>, ...).
        if let Some(top) = self.stack.last() {
            let top_name: &[u8] = &top.name;
            let closes = match name {
                b"li" | b"dt" | b"dd" | b"option" | b"tr" => top_name == name,
                b"td" | b"th" => top_name == b"td" || top_name == b"th",
                _ => is_block(name) && top_name == b"p",
            };
            if closes {
                self.pop_to(self.stack.len() - 1);
            }
        }
        if name == b"a" {
            self.close_link();
        }
        if is_block(name) {
            self.block_break();
        }
        let skip = is_skipped(name);
        if name == b"style" {
            self.in_style = true;
        }
        self.push(name, &attrs, skip);
        if name == b"a" {
            let state = self.state();
            if let Some(href) = attrs.href
                && !state.skip
            {
                self.link = Some(OpenLink {
                    href,
                    text_start: self.doc.text.len(),
                    line,
                    hidden: state.hidden.is_some(),
                });
            }
        }
    }

    fn push(&mut self, name: &[u8], attrs: &TagAttrs, skip: bool) {
        if self.stack.len() >= MAX_DEPTH {
            self.overflow += 1;
            return;
        }
        let mut state = self.state();
        state.skip |= skip;
        apply_attrs(&mut state, attrs);
        self.stack.push(Elem {
            name: name.into(),
            state,
        });
    }

    fn end_tag(&mut self, name: &[u8], offset: usize) {
        let _ = offset;
        match name {
            b"br" => {
                self.block_break();
                return;
            }
            b"style" => self.in_style = false,
            _ => {}
        }
        let len = self.stack.len();
        let lowest = len.saturating_sub(MAX_END_TAG_SEARCH);
        if let Some(i) = (lowest..len).rev().find(|&i| &*self.stack[i].name == name) {
            self.pop_to(i);
        } else if self.overflow > 0 {
            self.overflow -= 1;
        }
        if name == b"a" {
            self.close_link();
        }
        if is_block(name) {
            self.block_break();
        }
    }

    /// Pop the stack down to (and including) index `i`.
    fn pop_to(&mut self, i: usize) {
        let closes_link = self.stack[i..].iter().any(|e| &*e.name == b"a");
        self.stack.truncate(i);
        if closes_link {
            self.close_link();
        }
    }

    fn close_link(&mut self) {
        if let Some(open) = self.link.take() {
            let start = open.text_start.min(self.doc.text.len());
            let text = self.doc.text[start..].trim();
            let text = truncate(text, MAX_KEPT_TEXT).to_string();
            self.doc.links.push(Link {
                href: open.href,
                text,
                text_start: start,
                line: open.line,
                hidden: open.hidden,
                unsubscribe: false,
            });
        }
    }

    fn block_break(&mut self) {
        self.pending_space = false;
        if !self.doc.text.is_empty() && !self.doc.text.ends_with('\n') {
            self.doc.text.push('\n');
        }
        self.open_hidden = None;
    }

    fn text(&mut self, value: &str, offset: usize) {
        let state = self.state();
        if state.skip {
            return;
        }
        let mut line = self.line_of(offset);
        let reason = self.hidden_reason(&state);
        if let Some(reason) = reason {
            self.hidden_text(value, reason, line);
            return;
        }
        self.open_hidden = None;
        self.mark_line(line);
        // Alternating runs of blanks (collapsed to one space) and of other characters (copied
        // whole); newlines are blanks, so lines advance only in the blank runs.
        let mut rest = value;
        while !rest.is_empty() {
            let word_at = rest.find(|c: char| !is_blank(c)).unwrap_or(rest.len());
            if word_at > 0 {
                let newlines = rest.as_bytes()[..word_at]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count();
                line = line.saturating_add(u32::try_from(newlines).unwrap_or(u32::MAX));
                self.pending_space = true;
                rest = &rest[word_at..];
            }
            if rest.is_empty() {
                break;
            }
            let word_end = rest.find(is_blank).unwrap_or(rest.len());
            let word = &rest[..word_end];
            if self.pending_space {
                if !self.doc.text.is_empty() && !self.doc.text.ends_with('\n') {
                    self.doc.text.push(' ');
                }
                self.pending_space = false;
                self.mark_line(line);
            }
            if !self.seen_visible_word && word.chars().any(char::is_alphanumeric) {
                self.seen_visible_word = true;
            }
            self.doc.text.push_str(word);
            rest = &rest[word_end..];
        }
    }

    fn mark_line(&mut self, line: u32) {
        let at = self.doc.text.len();
        match self.doc.lines.last_mut() {
            Some(last) if last.1 == line => {}
            Some(last) if last.0 == at => last.1 = line,
            _ => self.doc.lines.push((at, line)),
        }
    }

    fn hidden_reason(&self, state: &State) -> Option<&'static str> {
        if let Some(reason) = state.hidden {
            return Some(reason);
        }
        if state.invisible {
            return Some("visibility:hidden");
        }
        if state.tiny_font {
            return Some("font-size:0");
        }
        if let Some(color) = state.color
            && !state.bg_image
        {
            let bg = match state.bg {
                Some(bg) => Some(bg),
                None if !self.style_sets_background => Some(WHITE),
                None => None,
            };
            if let Some(bg) = bg
                && color.close_to(bg, self.color_tolerance)
            {
                return Some("text colour equals the background");
            }
        }
        None
    }

    fn hidden_text(&mut self, value: &str, reason: &'static str, line: u32) {
        let chars = value.chars().filter(|c| !is_blank(*c)).count();
        if chars == 0 {
            return;
        }
        if let Some(i) = self.open_hidden
            && let Some(run) = self.doc.hidden.get_mut(i)
            && run.reason == reason
        {
            if run.text.len() < MAX_KEPT_TEXT {
                run.text.push(' ');
                run.text.push_str(truncate(value.trim(), MAX_KEPT_TEXT));
            }
            run.chars += chars;
            return;
        }
        if self.doc.hidden.len() >= MAX_HIDDEN_RUNS {
            self.doc.hidden_dropped += 1;
            self.open_hidden = None;
            return;
        }
        self.doc.hidden.push(Hidden {
            reason,
            text: truncate(value.trim(), MAX_KEPT_TEXT).to_string(),
            line,
            at_start: !self.seen_visible_word && self.doc.hidden.is_empty(),
            chars,
        });
        self.open_hidden = Some(self.doc.hidden.len() - 1);
    }

    fn finish(mut self) -> Doc {
        self.close_link();
        while self.doc.text.ends_with(['\n', ' ']) {
            self.doc.text.pop();
        }
        self.doc
    }
}

fn memchr_newlines(s: &str) -> Vec<usize> {
    s.bytes()
        .enumerate()
        .filter(|&(_, b)| b == b'\n')
        .map(|(i, _)| i)
        .collect()
}

fn memfind(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

fn is_void(name: &[u8]) -> bool {
    matches!(
        name,
        b"area"
            | b"base"
            | b"br"
            | b"col"
            | b"embed"
            | b"hr"
            | b"img"
            | b"input"
            | b"link"
            | b"meta"
            | b"param"
            | b"source"
            | b"track"
            | b"wbr"
            | b"basefont"
            | b"frame"
            | b"keygen"
    )
}

fn is_skipped(name: &[u8]) -> bool {
    matches!(
        name,
        b"head"
            | b"style"
            | b"script"
            | b"title"
            | b"template"
            | b"noscript"
            | b"svg"
            | b"math"
            | b"iframe"
            | b"object"
            | b"xmp"
            | b"noembed"
            | b"noframes"
            | b"select"
            | b"textarea"
    )
}

fn is_block(name: &[u8]) -> bool {
    matches!(
        name,
        b"p" | b"div"
            | b"table"
            | b"tbody"
            | b"thead"
            | b"tfoot"
            | b"tr"
            | b"td"
            | b"th"
            | b"caption"
            | b"ul"
            | b"ol"
            | b"li"
            | b"dl"
            | b"dt"
            | b"dd"
            | b"h1"
            | b"h2"
            | b"h3"
            | b"h4"
            | b"h5"
            | b"h6"
            | b"blockquote"
            | b"pre"
            | b"section"
            | b"article"
            | b"header"
            | b"footer"
            | b"nav"
            | b"aside"
            | b"main"
            | b"center"
            | b"address"
            | b"figure"
            | b"figcaption"
            | b"form"
            | b"fieldset"
            | b"legend"
            | b"hgroup"
            | b"details"
            | b"summary"
            | b"body"
            | b"html"
    )
}

/// Fold an element's attributes (inline style, `bgcolor`, `<font color>`, `hidden`) into
/// the inherited state.
fn apply_attrs(state: &mut State, attrs: &TagAttrs) {
    if attrs.hidden {
        state.hidden.get_or_insert("the hidden attribute");
    }
    if let Some(bg) = attrs.bgcolor.as_deref().and_then(parse_color) {
        state.bg = Some(bg);
        state.bg_image = false;
    }
    if attrs.background.is_some() {
        state.bg_image = true;
    }
    if let Some(color) = attrs.color.as_deref().and_then(parse_color) {
        state.color = Some(color);
    }
    if let Some(style) = attrs.style.as_deref() {
        apply_style(state, style);
    }
}

fn apply_style(state: &mut State, style: &str) {
    let mut clipped_size = false;
    let mut overflow_hidden = false;
    let mut absolute = false;
    let mut off_screen = false;
    for decl in style.split(';') {
        let Some((prop, value)) = decl.split_once(':') else {
            continue;
        };
        let prop = prop.trim().to_ascii_lowercase();
        let value = value.trim().to_ascii_lowercase();
        let value = value.trim_end_matches("!important").trim();
        match prop.as_str() {
            "display" if value == "none" => {
                state.hidden.get_or_insert("display:none");
            }
            "visibility" => match value {
                "hidden" | "collapse" => state.invisible = true,
                "visible" => state.invisible = false,
                _ => {}
            },
            "font-size" => {
                if let Some(size) = css_size(value) {
                    state.tiny_font = size.is_tiny();
                }
            }
            "opacity" => {
                let transparent = match value.strip_suffix('%') {
                    Some(percent) => leading_number(percent).is_some_and(|o| o <= 5.0),
                    None => leading_number(value).is_some_and(|o| o <= 0.05),
                };
                if transparent {
                    state.hidden.get_or_insert("opacity:0");
                }
            }
            "mso-hide" if value == "all" => {
                state.hidden.get_or_insert("mso-hide:all");
            }
            "max-height" | "height" | "max-width" | "width"
                if css_size(value).is_some_and(|s| s.value == 0.0) =>
            {
                clipped_size = true;
            }
            "overflow" if value == "hidden" => overflow_hidden = true,
            "text-indent" if css_size(value).is_some_and(|s| s.value <= -999.0) => {
                state.hidden.get_or_insert("text-indent off screen");
            }
            "position" if value == "absolute" || value == "fixed" => absolute = true,
            "left" | "top" if css_size(value).is_some_and(|s| s.value <= -999.0) => {
                off_screen = true;
            }
            "color" => {
                if let Some(c) = parse_color(value) {
                    state.color = Some(c);
                }
            }
            "background-color" => {
                if let Some(c) = parse_color(value) {
                    state.bg = Some(c);
                    state.bg_image = false;
                }
            }
            "background" => {
                if value.contains("url(") || value.contains("gradient(") {
                    state.bg_image = true;
                } else if let Some(c) = value.split_whitespace().find_map(parse_color) {
                    state.bg = Some(c);
                    state.bg_image = false;
                }
            }
            "background-image" if value.contains("url(") || value.contains("gradient(") => {
                state.bg_image = true;
            }
            _ => {}
        }
    }
    if clipped_size && overflow_hidden {
        state.hidden.get_or_insert("zero size with overflow:hidden");
    }
    if absolute && off_screen {
        state.hidden.get_or_insert("positioned off screen");
    }
}

struct CssSize {
    value: f64,
    unit: String,
}

impl CssSize {
    /// Zero in any unit, or under 1px / 1pt.
    fn is_tiny(&self) -> bool {
        self.value <= 0.0 || (matches!(self.unit.as_str(), "px" | "pt") && self.value < 1.0)
    }
}

fn css_size(value: &str) -> Option<CssSize> {
    let value = value.trim();
    let number_end = value
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || c == '.' || (i == 0 && (c == '-' || c == '+'))))
        .map(|(i, _)| i)
        .unwrap_or(value.len());
    let number: f64 = value[..number_end].parse().ok()?;
    Some(CssSize {
        value: number,
        unit: value[number_end..].trim().to_string(),
    })
}

fn leading_number(value: &str) -> Option<f64> {
    css_size(value).map(|s| s.value)
}

/// `width:1px` in an inline style.
fn style_px(style: Option<&str>, prop: &str) -> Option<f64> {
    style?.split(';').find_map(|decl| {
        let (p, v) = decl.split_once(':')?;
        if p.trim().eq_ignore_ascii_case(prop) {
            leading_number(v.trim())
        } else {
            None
        }
    })
}

/// A CSS colour: `#rgb`, `#rrggbb` (alpha ignored), `rgb()`/`rgba()`, or a common name.
pub(crate) fn parse_color(value: &str) -> Option<Rgb> {
    let v = value.trim().trim_end_matches("!important").trim();
    let v = v.to_ascii_lowercase();
    if let Some(hex) = v.strip_prefix('#') {
        let digits: Vec<u8> = hex
            .chars()
            .map(|c| c.to_digit(16).and_then(|d| u8::try_from(d).ok()))
            .collect::<Option<Vec<u8>>>()?;
        return match digits.len() {
            3 | 4 => Some(Rgb(digits[0] * 17, digits[1] * 17, digits[2] * 17)),
            6 | 8 => Some(Rgb(
                digits[0] * 16 + digits[1],
                digits[2] * 16 + digits[3],
                digits[4] * 16 + digits[5],
            )),
            _ => None,
        };
    }
    if let Some(args) = v
        .strip_prefix("rgba(")
        .or_else(|| v.strip_prefix("rgb("))
        .and_then(|rest| rest.strip_suffix(')'))
    {
        let mut channels = args
            .split([',', ' ', '/'])
            .filter(|s| !s.is_empty())
            .map(|s| {
                if let Some(p) = s.strip_suffix('%') {
                    p.parse::<f64>().ok().map(|p| p * 2.55)
                } else {
                    s.parse::<f64>().ok()
                }
            });
        let mut next = || -> Option<u8> {
            let x = channels.next()??;
            Some(x.clamp(0.0, 255.0).round() as u8)
        };
        return Some(Rgb(next()?, next()?, next()?));
    }
    let named = match v.as_str() {
        "white" => Rgb(255, 255, 255),
        "black" => Rgb(0, 0, 0),
        "red" => Rgb(255, 0, 0),
        "green" => Rgb(0, 128, 0),
        "blue" => Rgb(0, 0, 255),
        "yellow" => Rgb(255, 255, 0),
        "gray" | "grey" => Rgb(128, 128, 128),
        "silver" => Rgb(192, 192, 192),
        "whitesmoke" => Rgb(245, 245, 245),
        "snow" => Rgb(255, 250, 250),
        "ivory" => Rgb(255, 255, 240),
        "ghostwhite" => Rgb(248, 248, 255),
        "lightgray" | "lightgrey" => Rgb(211, 211, 211),
        "darkgray" | "darkgrey" => Rgb(169, 169, 169),
        "navy" => Rgb(0, 0, 128),
        "maroon" => Rgb(128, 0, 0),
        "orange" => Rgb(255, 165, 0),
        "purple" => Rgb(128, 0, 128),
        "teal" => Rgb(0, 128, 128),
        "aqua" | "cyan" => Rgb(0, 255, 255),
        "fuchsia" | "magenta" => Rgb(255, 0, 255),
        "lime" => Rgb(0, 255, 0),
        "olive" => Rgb(128, 128, 0),
        _ => return None,
    };
    Some(named)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bomb(n: usize, attr: &str) -> String {
        let attrs: String = (0..n).map(|i| format!(" x{i}{attr}")).collect();
        format!("<p>Hello <a href=\"https://example.com/\"{attrs}>link</a>\nworld</p>")
    }

    #[test]
    fn tags_with_thousands_of_attributes_are_read_on_a_default_stack() {
        // Test threads have the default 2 MiB stack; 100,000 attributes overflowed it.
        for attr in ["=\"1\"", "='1'", "=1", "", " = \"1\""] {
            for n in [7_000, 100_000] {
                let doc = Doc::from_html(&bomb(n, attr), 16);
                assert_eq!(doc.text.split_whitespace().count(), 3, "{attr} {n}");
                assert_eq!(doc.links.len(), 1);
                assert_eq!(doc.links[0].href, "https://example.com/");
                assert_eq!(doc.line_at(doc.text.find("world").unwrap()), 1);
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn the_attribute_cap_keeps_offsets_and_lines(
            pieces in proptest::collection::vec(
                proptest::sample::select(vec![
                    "<a", "<p ", "</a ", " x=\"1\"", " y='2'", " z=3", " w", "=", "\"", "'",
                    ">", "/>", "\n", "<!--", "-->", "<script>", "</script>", "<!x", "é", " ",
                ]),
                0..200,
            ),
            max in 0usize..4,
        ) {
            let html: String = pieces.concat();
            let capped = cap_tag_attributes(&html, max);
            proptest::prop_assert_eq!(capped.len(), html.len());
            let lines = |s: &str| s.match_indices('\n').map(|(i, _)| i).collect::<Vec<_>>();
            proptest::prop_assert_eq!(lines(&capped), lines(&html));
            // No tag of the result has more than `max` attributes left to cut.
            proptest::prop_assert_eq!(cap_tag_attributes(&capped, max), capped.clone());
            let _ = Doc::from_html(&html, 16);
        }
    }

    #[test]
    fn the_attribute_cap_keeps_small_tags_and_the_first_attributes() {
        let html = "<p a=\"1\" b='2' c=3 d>x</p>";
        assert!(matches!(
            cap_tag_attributes(html, 4),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(cap_tag_attributes(html, 2), "<p a=\"1\" b='2'      >x</p>");
        // Quoted `>` and line breaks: the tag ends where the tokenizer ends it; lines stay.
        let html = "<img a=\">\" b=\"x\ny\" c=\"1\"/>";
        assert_eq!(cap_tag_attributes(html, 1), "<img a=\">\"     \n        />");
        // A quote inside a comment or a script is not an attribute value.
        let html = "<!-- <a x=' --><p a b c>x</p><script>'<a x='</script><i a b>";
        assert_eq!(
            cap_tag_attributes(html, 1),
            "<!-- <a x=' --><p a    >x</p><script>'<a x='</script><i a  >"
        );
    }

    #[test]
    fn html_text_skips_head_style_script_and_comments() {
        let doc = Doc::from_html(
            "<html><head><title>T</title><style>p{color:red}</style></head>\
             <body><!-- note --><p>Hello&nbsp;<b>world</b> &amp; you</p>\
             <script>var x = '{{a}}';</script><div>Second</div></body></html>",
            16,
        );
        assert_eq!(doc.text, "Hello world & you\nSecond");
    }

    #[test]
    fn links_images_rules_and_lines() {
        let html = "<p>Hi</p>\n<p><a href=\"https://a.example/x\">Go\n here</a></p>\n<hr>\n\
                    <img src=\"t.gif\" width=\"1\" height=\"1\"><img src=\"logo.png\">";
        let doc = Doc::from_html(html, 16);
        assert_eq!(doc.links.len(), 1);
        assert_eq!(doc.links[0].href, "https://a.example/x");
        assert_eq!(doc.links[0].text, "Go here");
        assert_eq!(doc.links[0].line, 1);
        assert_eq!(doc.line_at(doc.links[0].text_start), 1);
        assert_eq!(doc.rules.len(), 1);
        assert_eq!(doc.images.len(), 2);
        assert!(doc.images[0].tracking_pixel);
        assert!(!doc.images[1].tracking_pixel);
        assert_eq!(doc.images[1].line, 4);
    }

    #[test]
    fn hidden_text_is_found_and_not_visible() {
        let doc = Doc::from_html(
            "<div style=\"display:none\">secret words</div><p>Shown</p>\
             <p style=\"font-size:0\">tiny<span style=\"font-size:14px\">back</span></p>\
             <p style=\"color:#fff\">white on white</p>\
             <td bgcolor=\"#000000\"><span style=\"color:white\">white on black</span></td>",
            16,
        );
        assert_eq!(doc.text, "Shown\nback\nwhite on black");
        let reasons: Vec<&str> = doc.hidden.iter().map(|h| h.reason).collect();
        assert_eq!(
            reasons,
            [
                "display:none",
                "font-size:0",
                "text colour equals the background"
            ]
        );
        assert!(doc.hidden[0].at_start);
        assert!(!doc.hidden[1].at_start);
    }

    #[test]
    fn colours_parse() {
        assert_eq!(parse_color("#FFF"), Some(Rgb(255, 255, 255)));
        assert_eq!(parse_color("#0a0b0c"), Some(Rgb(10, 11, 12)));
        assert_eq!(parse_color("rgb(255, 0, 10)"), Some(Rgb(255, 0, 10)));
        assert_eq!(parse_color("rgba(1 2 3 / 50%)"), Some(Rgb(1, 2, 3)));
        assert_eq!(parse_color("White !important"), Some(Rgb(255, 255, 255)));
        assert_eq!(parse_color("#12"), None);
        assert_eq!(parse_color("url(x)"), None);
    }

    #[test]
    fn text_rules() {
        let doc = Doc::from_text("Hi\n\n-- \nJane\n-----\nfooter\n");
        assert_eq!(doc.rules, vec![4, 13]);
        assert_eq!(doc.line_at(14), 4);
    }
}
