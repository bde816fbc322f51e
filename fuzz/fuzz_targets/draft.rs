//! The draft linter on arbitrary bytes, as a rendered draft and as a template: never panics.
//! (Finding messages may quote the draft; escaping for a terminal is the renderers' job and
//! is tested there, not here.)
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailaudit::message::audit::{DraftOptions, audit_draft};
use mailaudit::rules::Rules;
use std::sync::OnceLock;

fn rules() -> &'static Rules {
    static RULES: OnceLock<Rules> = OnceLock::new();
    RULES.get_or_init(|| Rules::builtin().expect("built-in rules"))
}

fuzz_target!(|data: &[u8]| {
    for template in [false, true] {
        let options = DraftOptions {
            template,
            ..DraftOptions::default()
        };
        let _ = audit_draft("fuzz.eml", data, rules(), &options);
    }
});
