//! The sending-statistics reader (CSV and JSON) and the sender audit on arbitrary bytes: never
//! panic; a refusal is an input error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailaudit::rules::Rules;
use mailaudit::sender::dataset::Dataset;
use mailaudit::sender::input::read_from;
use mailaudit::sender::{ReadOptions, SenderOptions, audit};
use std::sync::OnceLock;

fn rules() -> &'static Rules {
    static RULES: OnceLock<Rules> = OnceLock::new();
    RULES.get_or_init(|| Rules::builtin().expect("built-in rules"))
}

fuzz_target!(|data: &[u8]| {
    let mut dataset = Dataset::new();
    let file = dataset.add_file("fuzz.csv");
    if read_from(data, "fuzz.csv", file, &ReadOptions::default(), &mut dataset).is_err() {
        return;
    }
    if let Ok(grouped) = dataset.finish() {
        let _ = audit(grouped, rules(), &SenderOptions::default());
    }
});
