//! Property tests: the draft parser and audit never panic, on any bytes, and the line
//! numbers they report are those of the file.

use mailaudit::finding::Location;
use mailaudit::message::parse::parse_draft;
use mailaudit::message::unsubscribe::{Entry, parse_list, redact};
use mailaudit::message::{DraftOptions, audit_draft};
use mailaudit::rules::Rules;
use proptest::prelude::*;
use std::sync::OnceLock;

fn rules() -> &'static Rules {
    static RULES: OnceLock<Rules> = OnceLock::new();
    RULES.get_or_init(|| {
        let mut rules = Rules::builtin().unwrap();
        rules.apply_profile("cold-outreach").unwrap();
        rules
    })
}

fn header_line() -> impl Strategy<Value = String> {
    let name = prop::sample::select(vec![
        "From",
        "from",
        "Reply-To",
        "Subject",
        "Date",
        "Message-ID",
        "In-Reply-To",
        "List-Unsubscribe",
        "List-Unsubscribe-Post",
        "Content-Type",
        "Content-Transfer-Encoding",
        "X-Custom",
        "Received",
    ]);
    let value = prop::sample::select(vec![
        "Ann <ann@example.com>",
        "noreply@example.com, b@example.org",
        "\"Lee, Ann\" <ann@example.com>",
        "<>",
        "",
        "=?utf-8?q?caf=C3=A9?= !!! $$$",
        "=?iso-8859-1?b?Y2Fm6Q==?=",
        "RE: FW: hello",
        "27 Jun 01 3:36:25 AM",
        "<https://e.example/u>, <mailto:u@e.example>",
        "(c) <https://e.example/u",
        "List-Unsubscribe=One-Click",
        "multipart/alternative; boundary=\"b\"",
        "multipart/mixed; boundary=b",
        "text/html; charset=\"windows-1252\"",
        "text/plain; charset=unknown-8bit",
        "base64",
        "quoted-printable",
        "caf\u{e9} \u{202e} \u{1b}[2J",
        "{{unsubscribe_link}}",
    ]);
    (name, value, any::<bool>()).prop_map(|(n, v, fold)| {
        if fold {
            format!("{n}: {v}\n\t{v}")
        } else {
            format!("{n}: {v}")
        }
    })
}

fn body_line() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "--b",
        "--b--",
        "Content-Type: text/html",
        "Content-Transfer-Encoding: base64",
        "",
        "PGI+aGk8L2I+",
        "=E9t=E9 =\n",
        "<p>Hello <a href=\"https://e.example\">there</a></p>",
        "Hi Sam,",
    ])
    .prop_map(str::to_string)
}

fn draft() -> impl Strategy<Value = Vec<u8>> {
    (
        any::<bool>(),
        any::<bool>(),
        prop::collection::vec(header_line(), 0..12),
        prop::collection::vec(body_line(), 0..12),
    )
        .prop_map(|(mbox, crlf, headers, body)| {
            let mut text = String::new();
            if mbox {
                text.push_str("From ann@example.com  Tue Mar  4 09:00:00 2025\n");
            }
            text.push_str(&headers.join("\n"));
            text.push_str("\n\n");
            text.push_str(&body.join("\n"));
            if crlf {
                text = text.replace('\n', "\r\n");
            }
            text.into_bytes()
        })
}

fn check_locations(bytes: &[u8], options: &DraftOptions) {
    let lines = bytes.iter().filter(|b| **b == b'\n').count() as u32 + 1;
    let audit = audit_draft("d.eml", bytes, rules(), options);
    for finding in &audit.findings {
        if let Some(Location::Line { line, .. }) = finding.location {
            assert!(line >= 1 && line <= lines, "{finding:?} in {lines} lines");
        }
    }
    for part in &audit.facts.parts {
        assert!(
            part.start_line >= 1 && part.start_line <= lines + 1,
            "{part:?}"
        );
    }
    serde_json::to_string(&audit.facts).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn any_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        check_locations(&bytes, &DraftOptions::default());
    }

    #[test]
    fn draft_like_input_never_panics(bytes in draft(), template in any::<bool>()) {
        check_locations(&bytes, &DraftOptions { template, ..DraftOptions::default() });
    }

    #[test]
    fn header_lines_are_the_files_lines(bytes in draft()) {
        if let Ok(draft) = parse_draft(&bytes) {
            let lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
            for header in &draft.headers {
                let line = lines[header.line as usize - 1];
                prop_assert!(line.starts_with(header.name.as_bytes()), "{:?} at {}", header.name, header.line);
            }
        }
    }

    #[test]
    fn unsubscribe_lists_never_panic(value in "[<>(),: a-z{}|*%@/.]{0,40}", template in any::<bool>()) {
        if let Ok(entries) = parse_list(&value, template) {
            for entry in entries {
                if let Entry::Uri { scheme, .. } = entry {
                    prop_assert!(["mailto", "https", "http"].contains(&scheme.as_str()));
                }
            }
        }
    }

    #[test]
    fn redaction_leaves_no_local_part(text in "[a-z@ .<>:/?=&]{0,40}") {
        let redacted = redact(&text);
        let chars: Vec<char> = redacted.chars().collect();
        for (i, c) in chars.iter().enumerate() {
            if *c == '@' {
                prop_assert!(i > 0 && chars[i - 1] == '…', "{redacted}");
            }
        }
    }
}
