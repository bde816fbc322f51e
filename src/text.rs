//! Text helpers every layer shares: terminal escaping of untrusted bytes, truncation,
//! plurals, number formatting, and the byte span of a record.

use std::borrow::Cow;
use std::fmt::{self, Write as _};

/// Escape what a terminal would interpret or hide: control characters (C0 including ESC, CR
/// and LF, DEL, C1), bidirectional overrides and isolates, zero-width and other invisible
/// formatting characters. They become `\n`, `\r`, `\t`, `\x1b` or `\u{202e}`; everything
/// else passes unchanged, and text with nothing to escape is not copied.
pub fn escape_untrusted(text: &str) -> Cow<'_, str> {
    if is_printable_ascii(text) || !text.chars().any(is_unsafe_for_terminal) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => push_escaped(&mut out, c),
        }
    }
    Cow::Owned(out)
}

/// Push `c`, written `\t`, `\x1b` or `\u{202e}` when a terminal would interpret or hide it.
pub fn push_escaped(out: &mut String, c: char) {
    match c {
        '\t' => out.push_str("\\t"),
        c if is_unsafe_for_terminal(c) && (c as u32) < 0x80 => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c if is_unsafe_for_terminal(c) => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
        c => out.push(c),
    }
}

/// Only printable ASCII (space to `~`): nothing to escape. A byte scan, far cheaper than
/// decoding characters, and true of most text.
pub fn is_printable_ascii(text: &str) -> bool {
    text.bytes().all(|b| (0x20..0x7f).contains(&b))
}

/// Characters a terminal interprets (controls) or that change how text around them reads
/// (bidi, invisible formatting).
pub fn is_unsafe_for_terminal(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00ad}'                      // soft hyphen
            | '\u{061c}'                    // Arabic letter mark
            | '\u{180e}'                    // Mongolian vowel separator
            | '\u{200b}'..='\u{200f}'       // zero-width space/joiners, LRM, RLM
            | '\u{2028}' | '\u{2029}'       // line and paragraph separators
            | '\u{202a}'..='\u{202e}'       // bidi embeddings and overrides
            | '\u{2060}'..='\u{2064}'       // word joiner, invisible operators
            | '\u{2066}'..='\u{2069}'       // bidi isolates
            | '\u{feff}'                    // zero-width no-break space (BOM)
            | '\u{fff9}'..='\u{fffb}'       // interlinear annotation
            | '\u{e0000}'..='\u{e007f}' // tag characters
        )
}

/// At most `max` bytes of `s`, cut at a character boundary.
pub fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The 1-based line of byte `offset` in `text` (an offset past the end is on the last line).
/// Counts bytes, so any offset is safe, on a character boundary or not.
pub fn line_of(text: impl AsRef<[u8]>, offset: usize) -> usize {
    let bytes = text.as_ref();
    let end = offset.min(bytes.len());
    bytes[..end].iter().filter(|b| **b == b'\n').count() + 1
}

/// [`line_of`] for offsets met in order, as a streaming reader meets them: each call counts
/// only the bytes since the last, so a whole document costs one pass, not one per line asked.
pub struct LineCounter<'a> {
    text: &'a [u8],
    offset: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    pub fn new(text: &'a [u8]) -> LineCounter<'a> {
        LineCounter {
            text,
            offset: 0,
            line: 1,
        }
    }

    /// The 1-based line of byte `offset`; an offset before the last one asked is counted
    /// from the start.
    pub fn line_at(&mut self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        if offset < self.offset {
            return line_of(self.text, offset);
        }
        self.line += self.text[self.offset..offset]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        self.offset = offset;
        self.line
    }
}

/// "1 target", "3 targets".
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

pub fn fmt_count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// 0.0052 -> "0.52%", 0.003 -> "0.3%", 0.02 -> "2%", 0.001015 -> "0.102%".
pub fn pct(rate: f64) -> String {
    let text = format!("{:.3}", rate * 100.0);
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}%")
}

/// "3", "2.5", "1.67": a factor for a message.
pub fn factor(x: f64) -> String {
    let text = format!("{x:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A byte range `[start, end)` in a record as published (its strings joined).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_counter_agrees_with_line_of() {
        let text = "a\nbé\n\nc\n";
        let mut counter = LineCounter::new(text.as_bytes());
        for offset in (0..=text.len() + 2).chain([3, 0]) {
            assert_eq!(counter.line_at(offset), line_of(text, offset), "{offset}");
        }
    }

    #[test]
    fn line_of_counts_newlines_before_the_offset() {
        let text = "a\nbé\nc";
        assert_eq!(line_of(text, 0), 1);
        assert_eq!(line_of(text, 2), 2);
        // Inside the two bytes of é: still line 2, no panic.
        assert_eq!(line_of(text, 4), 2);
        assert_eq!(line_of(text, 6), 3);
        assert_eq!(line_of(text, 1000), 3);
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(fmt_count(0), "0");
        assert_eq!(fmt_count(999), "999");
        assert_eq!(fmt_count(1000), "1,000");
        assert_eq!(fmt_count(1234567), "1,234,567");
        assert_eq!(pct(0.0052), "0.52%");
        assert_eq!(pct(0.003), "0.3%");
        assert_eq!(pct(0.02), "2%");
        assert_eq!(pct(0.0), "0%");
        assert_eq!(pct(0.001015), "0.102%");
        assert_eq!(factor(3.0), "3");
        assert_eq!(factor(2.5), "2.5");
        assert_eq!(factor(1.0 / 0.6), "1.67");
    }

    #[test]
    fn plain_text_is_borrowed() {
        let text = "v=spf1 include:_spf.example.net -all ünïcode ✓";
        assert!(matches!(escape_untrusted(text), Cow::Borrowed(t) if t == text));
    }

    #[test]
    fn terminal_controls_are_escaped() {
        assert_eq!(escape_untrusted("a\x1b[31mred"), "a\\x1b[31mred");
        assert_eq!(escape_untrusted("over\rwrite"), "over\\rwrite");
        assert_eq!(escape_untrusted("two\nlines\there"), "two\\nlines\\there");
        assert_eq!(escape_untrusted("bell\x07del\x7f"), "bell\\x07del\\x7f");
        assert_eq!(escape_untrusted("nul\0"), "nul\\x00");
        // C1 CSI: some terminals treat it like ESC [.
        assert_eq!(escape_untrusted("c1\u{9b}31m"), "c1\\u{9b}31m");
    }

    #[test]
    fn bidi_and_invisible_characters_are_escaped() {
        assert_eq!(
            escape_untrusted("example.com\u{202e}moc.live"),
            "example.com\\u{202e}moc.live"
        );
        assert_eq!(escape_untrusted("\u{2066}x\u{2069}"), "\\u{2066}x\\u{2069}");
        assert_eq!(escape_untrusted("pay\u{200b}pal"), "pay\\u{200b}pal");
        assert_eq!(escape_untrusted("\u{feff}bom"), "\\u{feff}bom");
        assert_eq!(escape_untrusted("tag\u{e0041}"), "tag\\u{e0041}");
    }

    #[test]
    fn escaped_output_has_no_control_characters() {
        let all: String = (0u32..0x3000).filter_map(char::from_u32).collect();
        let escaped = escape_untrusted(&all);
        assert!(!escaped.chars().any(|c| c.is_control()));
        assert!(!escaped.contains('\u{202e}'));
    }

    #[test]
    fn truncation_keeps_whole_characters() {
        assert_eq!(truncate("héllo", 2), "h");
        assert_eq!(truncate("héllo", 3), "hé");
        assert_eq!(truncate("abc", 10), "abc");
        assert_eq!(plural(1, "target", "targets"), "1 target");
        assert_eq!(plural(2, "target", "targets"), "2 targets");
    }
}
