//! The zone-file reader on arbitrary bytes: an error naming a line, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = mailaudit::dns::ZoneSet::load_bytes(data, Some("fuzz.test"), "fuzz.zone");
});
