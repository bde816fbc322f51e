//! The DMARC record parser on arbitrary bytes: never panics, and its spans stay inside the
//! record.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = mailaudit::dmarc::record::looks_like_dmarc(data);
    let _ = mailaudit::dmarc::record::has_valid_version(data);
    let _ = mailaudit::dmarc::record::DmarcRecord::parse(data);
    if let Ok(name) = std::str::from_utf8(data) {
        let _ = mailaudit::dns::orgdomain::organizational_domain(name);
    }
});
