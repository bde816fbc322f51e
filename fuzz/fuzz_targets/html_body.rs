//! The HTML body reader on arbitrary bytes and on hostile shapes built from them (issue 12):
//! never panics, never overflows its stack.
//!
//! Every input is read three ways: as the HTML of a text/html part given to the body analysis
//! directly, as the body of a draft with a text/html Content-Type, and, when it has at least
//! three bytes, as a recipe for one of the bomb shapes: the first byte picks the shape and a
//! variant, the next two a repeat count, and the rest is the fragment the shape repeats or
//! embeds. So the attribute, nesting, comment, raw-text, end-tag and link bombs run on every
//! execution, with fuzzer-chosen content.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailaudit::message::audit::{DraftOptions, audit_draft};
use mailaudit::message::body::{BodyInput, BodyPart, analyze_body};
use mailaudit::rules::Rules;
use std::fmt::Write as _;
use std::sync::OnceLock;

fn rules() -> &'static Rules {
    static RULES: OnceLock<Rules> = OnceLock::new();
    RULES.get_or_init(|| Rules::builtin().expect("built-in rules"))
}

/// Largest document a shape builds: big enough to pass every cap of the reader many times
/// over (128 attributes a tag, 256 open elements, 200 hidden runs, 2,000 attributes kept),
/// small enough for many runs a second under the address sanitizer.
const MAX_SHAPE_BYTES: usize = 32 * 1024;

const HEADERS: &str = "From: News <news@example.com>\r\nTo: a@example.org\r\n\
Subject: Hello\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\nMessage-ID: <1@example.com>\r\n\
MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n";

const TAGS: &[&str] = &[
    "div",
    "b",
    "a href=\"https://x.example/\"",
    "table",
    "td",
    "tr",
    "p",
    "li",
    "span style=\"display:none\"",
    "font color=\"#ffffff\"",
    "svg",
    "math",
    "template",
    "select",
    "head",
    "body",
    "style",
    "a",
];

const RAW_TEXT: &[&str] = &[
    "script", "style", "textarea", "title", "iframe", "xmp", "noembed", "noscript",
];

/// Append `piece(i)` for i in 0..count while the document stays under the bound.
fn repeat(out: &mut String, count: usize, mut piece: impl FnMut(usize, &mut String)) {
    for i in 0..count {
        if out.len() >= MAX_SHAPE_BYTES {
            break;
        }
        piece(i, out);
    }
}

/// The bomb shape `data` asks for (see the module documentation).
fn shape(data: &[u8]) -> Option<String> {
    let (&pick, rest) = data.split_first()?;
    let (count, rest) = match rest {
        [hi, lo, rest @ ..] => (usize::from(u16::from_be_bytes([*hi, *lo])), rest),
        _ => return None,
    };
    let frag = String::from_utf8_lossy(rest);
    let variant = usize::from(pick >> 3);
    let mut out = String::new();
    match pick % 8 {
        // Attribute bomb: one tag with `count` attributes of varied quoting.
        0 => {
            let _ = write!(out, "<p>Hello <{} href=\"https://x.example/\"", TAGS[variant % TAGS.len()]);
            repeat(&mut out, count, |i, out| {
                let _ = match (i + variant) % 6 {
                    0 => write!(out, " a{i}=\"{frag}\""),
                    1 => write!(out, " a{i}='{frag}'"),
                    2 => write!(out, " a{i}={i}"),
                    3 => write!(out, " a{i}"),
                    4 => write!(out, "\na{i} = \"v\"/"),
                    _ => write!(out, " {frag}"),
                };
            });
            out.push_str(">link</a> world</p>");
        }
        // Nesting bomb: `count` open tags of various names, never closed.
        1 => repeat(&mut out, count, |i, out| {
            let _ = write!(out, "<{}>", TAGS[(i + variant) % TAGS.len()]);
            if i % 64 == 0 {
                out.push_str(&frag);
            }
        }),
        // Comment, CDATA, bogus-comment and processing-instruction bombs, closed or not.
        2 => repeat(&mut out, count, |i, out| {
            let _ = match (i + variant) % 6 {
                0 => write!(out, "<!--{frag}-->"),
                1 => write!(out, "<!--{frag}--"),
                2 => write!(out, "<![CDATA[{frag}]]>"),
                3 => write!(out, "<!{frag}"),
                4 => write!(out, "<?{frag}>"),
                _ => write!(out, "<!-- <a x=' -->{frag}"),
            };
        }),
        // Raw-text bombs: script, style, textarea ... with near-miss end tags.
        3 => repeat(&mut out, count, |i, out| {
            let name = RAW_TEXT[(i + variant) % RAW_TEXT.len()];
            let _ = match i % 3 {
                0 => write!(out, "<{name}>{frag}</{name}"),
                1 => write!(out, "<{name}>{frag}</{name}>"),
                _ => write!(out, "<{name} a=\"</{name}>\">{frag}"),
            };
        }),
        // Link bomb: distinct, repeated, unsubscribe, mismatched and odd-scheme links.
        4 => repeat(&mut out, count, |i, out| {
            let _ = match (i + variant) % 6 {
                0 => write!(out, "<a href=\"https://l{i}.example/{frag}\">x</a>\n"),
                1 => write!(out, "<a href=\"http://example.com/p\">{frag}</a>"),
                2 => write!(out, "<a href=\"https://u{i}.example/unsubscribe\">unsubscribe</a>"),
                3 => write!(out, "<a href=\"https://bit.ly/{i}\">www.s{i}.example</a>"),
                4 => write!(out, "<a href=\"{frag}\"><img src=\"i{i}.png\"></a>"),
                _ => write!(out, "<area href=\"mailto:a{i}@example.com\" alt=\"{frag}\">"),
            };
        }),
        // End-tag bomb: closes with nothing open, and misnested closes.
        5 => {
            out.push_str(&"<div><a href=\"https://x.example/\">".repeat(variant));
            repeat(&mut out, count, |i, out| {
                let _ = write!(out, "</{}>{frag}", TAGS[(i + variant) % TAGS.len()]);
            });
        }
        // Hidden-text bomb: styles that hide text, interleaved with visible words.
        6 => repeat(&mut out, count, |i, out| {
            let _ = match (i + variant) % 4 {
                0 => write!(out, "<div style=\"display:none\">{frag} {i}</div>v "),
                1 => write!(out, "<span style=\"font-size:0;color:#fff\">{frag}</span>"),
                2 => write!(out, "<font color=\"white\">{frag}</font>"),
                _ => write!(out, "<p style=\"visibility:hidden;background:url(x)\">{frag}"),
            };
        }),
        // The fragment itself, repeated: whatever the fuzzer finds, as a bomb.
        _ => repeat(&mut out, count, |_, out| out.push_str(&frag)),
    }
    Some(out)
}

fn audit_html(html: &str, template: bool) {
    let part = BodyPart {
        content_type: "text/html; charset=utf-8",
        text: html,
        start_line: 1,
        lines_match_file: true,
    };
    let input = BodyInput {
        file: "fuzz.eml",
        parts: vec![part],
        attachments: Vec::new(),
        from_domain: Some("example.com"),
        template_mode: template,
    };
    let _ = analyze_body(&input, rules(), "fuzz.eml");

    let mut draft = String::with_capacity(HEADERS.len() + html.len());
    draft.push_str(HEADERS);
    draft.push_str(html);
    let options = DraftOptions {
        template,
        ..DraftOptions::default()
    };
    let _ = audit_draft("fuzz.eml", draft.as_bytes(), rules(), &options);
}

fuzz_target!(|data: &[u8]| {
    // The top bit of the first byte says rendered draft or template.
    let template = data.first().is_some_and(|b| b & 0x80 != 0);
    audit_html(&String::from_utf8_lossy(data), template);
    // The bytes as the whole draft too, headers and all.
    let _ = audit_draft("fuzz.eml", data, rules(), &DraftOptions::default());
    if let Some(html) = shape(data) {
        audit_html(&html, template);
    }
});
