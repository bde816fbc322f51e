//! The SPF parser on arbitrary bytes after `v=spf1 `: never panics, spans stay in bounds.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut record = b"v=spf1 ".to_vec();
    record.extend_from_slice(data);
    match mailaudit::spf::parser::parse(&record) {
        Ok(parsed) => {
            for term in &parsed.terms {
                assert!(term.span.start <= term.span.end && term.span.end <= record.len());
            }
        }
        Err(e) => assert!(e.span.end <= record.len()),
    }
});
