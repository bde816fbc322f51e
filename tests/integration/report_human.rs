use crate::report_fixture;

use mailaudit::report::{self, Format};
use mailaudit::run::{Mode, Report};

fn render(report: &Report) -> String {
    colored::control::set_override(false);
    let mut out = Vec::new();
    report::render(report, Format::Human, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn human_report() {
    insta::assert_snapshot!(render(&report_fixture::report()));
}

#[test]
fn human_report_escapes_input_bytes() {
    let out = render(&report_fixture::report());
    assert!(!out.contains('\u{1b}'), "raw ESC reached the terminal");
    assert!(
        !out.contains('\u{202e}'),
        "raw bidi override reached the terminal"
    );
    assert!(!out.contains('\r'), "raw CR reached the terminal");
    assert!(out.contains(r"\x1b[2Jx\u{202e}lla-"));
}

#[test]
fn human_empty_live_report() {
    let report = Report::new(
        "domain",
        Mode::Live {
            nameservers: Vec::new(),
        },
    );
    insta::assert_snapshot!(render(&report), @r"
    0 targets, 0 findings: 0 errors, 0 warnings, 0 infos; DNS live via the system resolver
    PASS: nothing at or above --fail-on error
    ");
}
