//! Prints, for each file named, what mailaudit reads in it as one JSON line: the TLS reports
//! (through the container, as `mailaudit reports` does) or the ARF report, or why neither.
//! For scripts/diff-feedback-parsedmarc, which compares it with parsedmarc's reading.
//!
//! `cargo run -q --example feedback_json -- FILE...`

use mailaudit::reports::{parse_failure, parse_tls, payloads};
use serde_json::{Value, json};

fn read(bytes: &[u8]) -> Value {
    // A message with a TLS report attached, or bare/gzipped JSON, is a TLS report; any
    // other message is read as ARF.
    if let Ok(parts) = payloads(bytes) {
        let tls: Vec<Value> = parts
            .iter()
            .filter(|p| p.bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{'))
            .map(|p| match parse_tls(&p.bytes) {
                Ok(parsed) => json!({"report": parsed.report, "problems": parsed.problems}),
                Err(e) => json!({"error": e.to_string()}),
            })
            .collect();
        if !tls.is_empty() {
            return json!({"tls": tls});
        }
    }
    match parse_failure(bytes) {
        Ok(report) => json!({"failure": report}),
        Err(e) => json!({"error": e.to_string()}),
    }
}

fn main() {
    for path in std::env::args().skip(1) {
        let line = match std::fs::read(&path) {
            Ok(bytes) => {
                let mut value = read(&bytes);
                value["file"] = Value::String(path);
                value
            }
            Err(e) => json!({"file": path, "error": e.to_string()}),
        };
        println!("{line}");
    }
}
