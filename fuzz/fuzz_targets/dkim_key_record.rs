//! The DKIM key-record parser on arbitrary bytes: never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = mailaudit::dkim::parse_tag_list(data);
    let _ = mailaudit::dkim::parse_key_record(data);
});
