//! Colour on: its own test binary, because `colored::control` is process-wide.

#[path = "integration/report_fixture/mod.rs"]
mod report_fixture;

use mailaudit::report::{self, Format};

#[test]
fn colour_never_lets_input_escapes_through() {
    colored::control::set_override(true);
    let mut out = Vec::new();
    report::render(&report_fixture::report(), Format::Human, &mut out).unwrap();
    let out = String::from_utf8(out).unwrap();
    assert!(
        out.contains("\u{1b}[1;31merror"),
        "severity is coloured: {out}"
    );
    assert!(
        out.contains(r"\x1b[2J"),
        "the record's ESC is shown escaped"
    );
    assert!(
        !out.contains("\u{1b}[2J"),
        "the record's ESC is not sent raw"
    );
    assert!(!out.contains('\u{202e}'));
}
