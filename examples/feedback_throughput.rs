//! Throughput of the feedback reader (`read_message`) on the bounce corpus held in memory
//! (no file I/O, no output), next to the same reading through the full MIME parse
//! (`read_message_fully_parsed`) and mail-parser's parse alone, single-threaded.
//!
//!     cargo run --release --example feedback_throughput [ROUNDS]
//!
//! (A measurement, not a test: speed is measured by benchmarks, never by timed tests.)

use mailaudit::feedback::{read_message, read_message_fully_parsed};
use std::time::Instant;

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(50);
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/feedback/conformance/bounces"
    );
    let mut messages: Vec<Vec<u8>> = std::fs::read_dir(dir)
        .expect("the bounce corpus")
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    messages.sort();
    let bytes: usize = messages.iter().map(Vec::len).sum();
    let parser = mail_parser::MessageParser::new().with_minimal_headers();
    let time = |f: &dyn Fn(&[u8]) -> usize| {
        let start = Instant::now();
        let mut n = 0usize;
        for _ in 0..rounds {
            for m in &messages {
                n += f(m);
            }
        }
        let secs = start.elapsed().as_secs_f64();
        // Every message counted, so the work cannot be optimised away.
        assert_eq!(n, rounds * messages.len());
        (rounds * messages.len()) as f64 / secs
    };
    let parse = time(&|m| usize::from(parser.parse(m).is_some()));
    let full = time(&|m| usize::from(read_message_fully_parsed(m).is_ok()));
    let read = time(&|m| usize::from(read_message(m).is_ok()));
    println!(
        "{} messages ({} bytes) x {rounds}: mail-parser alone {:.0}/s; read through the full \
         parse {:.0}/s; read_message {:.0}/s ({:.0} MB/s)",
        messages.len(),
        bytes,
        parse,
        full,
        read,
        read * bytes as f64 / messages.len() as f64 / 1e6
    );
}
