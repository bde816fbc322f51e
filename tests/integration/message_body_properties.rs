//! Property tests: `analyze_body` never panics, on arbitrary text and on odd HTML (unbalanced
//! and deeply nested tags, huge attributes, invalid character references, stray merge-tag
//! delimiters), in both modes, and every finding it gives has a location in the file.

use mailaudit::finding::Location;
use mailaudit::message::body::{Attachment, BodyInput, BodyPart, analyze_body};
use mailaudit::rules::Rules;
use proptest::prelude::*;
use std::sync::OnceLock;

fn rules() -> &'static Rules {
    static RULES: OnceLock<Rules> = OnceLock::new();
    RULES.get_or_init(|| Rules::builtin().expect("built-in rules"))
}

/// Fragments that stress the tokenizer, the style tracking and the scanners.
fn fragment() -> impl Strategy<Value = String> {
    let fixed = prop::sample::select(vec![
        "<p>",
        "</p>",
        "<div style=\"display:none\">",
        "</div>",
        "<a href=\"http://bit.ly/x\">",
        "</a>",
        "<a href=\"{{x}}\">",
        "<a>",
        "<hr>",
        "<br/>",
        "<img src=x width=1 height=1>",
        "<table bgcolor=\"#fff\">",
        "<td style=\"color:#fff\">",
        "</td>",
        "<span style=\"font-size:0\">",
        "<style>",
        "</style>",
        "<script>",
        "</script>",
        "<head>",
        "<body>",
        "<!--",
        "-->",
        "<![CDATA[",
        "]]>",
        "<svg/>",
        "<math>",
        "&amp;",
        "&#x110000;",
        "&#0;",
        "&nbsp",
        "&zz;",
        "&#9999999999;",
        "{{",
        "}}",
        "{%",
        "%}",
        "*|",
        "|*",
        "[[",
        "]]",
        "<<",
        ">>",
        "##",
        "%",
        "{a|b",
        "}",
        "[First Name]",
        "unsubscribe",
        "548 Market St, San Francisco, CA 94104",
        "Best,\nJane Doe",
        "\r\n",
        "\n",
        " ",
        "\u{200b}",
        "é",
        "😀",
        "\u{0}",
        "<p style=\"",
        "\"",
        "'",
        "<",
        ">",
        "</",
        "<x y=\"",
        "style=\"color:rgb(255,255,255\"",
        "<a href=\"https://xn--pypal-4ve.example\">https://paypal.com</a>",
    ])
    .prop_map(str::to_string);
    prop_oneof![
        4 => fixed,
        1 => "[ -~]{0,20}",
        1 => any::<String>().prop_map(|s| s.chars().take(20).collect()),
    ]
}

fn html() -> impl Strategy<Value = String> {
    prop::collection::vec(fragment(), 0..60).prop_map(|v| v.concat())
}

fn check(text: &str, content_type: &str, template_mode: bool, lines_match_file: bool) {
    let input = BodyInput {
        file: "fuzz.eml",
        parts: vec![
            BodyPart {
                content_type,
                text,
                start_line: 7,
                lines_match_file,
            },
            BodyPart {
                content_type: "text/plain",
                text,
                start_line: 3,
                lines_match_file,
            },
        ],
        attachments: vec![Attachment {
            filename: None,
            content_type: text.get(..text.len().min(10)).unwrap_or(""),
            size: text.len(),
        }],
        from_domain: Some(text.get(..text.len().min(12)).unwrap_or("")),
        template_mode,
    };
    let analysis = analyze_body(&input, rules(), "fuzz.eml");
    let max_line = 7 + text.lines().count() as u32 + 1;
    for f in &analysis.findings {
        match &f.location {
            Some(Location::Line { line, .. }) => {
                assert!(
                    *line >= 1 && *line <= max_line.max(8),
                    "{}: line {line}",
                    f.rule
                )
            }
            Some(Location::Header(_)) => {}
            other => panic!("{}: unexpected location {other:?}", f.rule),
        }
    }
    serde_json::to_string(&analysis.facts).expect("facts serialise");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, .. ProptestConfig::default() })]

    #[test]
    fn never_panics_on_arbitrary_text(text in any::<String>(), template in any::<bool>(), lines in any::<bool>()) {
        check(&text, "text/html", template, lines);
        check(&text, "text/plain", template, lines);
    }

    #[test]
    fn never_panics_on_odd_html(text in html(), template in any::<bool>(), lines in any::<bool>()) {
        check(&text, "text/html; charset=utf-8", template, lines);
    }
}

#[test]
fn deep_nesting_huge_attributes_and_many_tags_finish() {
    let deep =
        "<div style=\"display:none\"><span>".repeat(5000) + "x" + &"</span></div>".repeat(5000);
    check(&deep, "text/html", false, true);
    let huge_attr = format!(
        "<a href=\"https://x.example/{}\" style=\"{}\">t</a>",
        "a".repeat(500_000),
        "color:red;".repeat(50_000)
    );
    check(&huge_attr, "text/html", true, true);
    let many_ends = "</p>".repeat(200_000);
    check(&many_ends, "text/html", false, true);
    let tags = "{{a}}".repeat(20_000) + &"{a|b".repeat(20_000) + &"%x".repeat(20_000);
    check(&tags, "text/plain", true, true);
    check(&tags, "text/html", false, false);
}
