//! Throughput of `analyze_body` on a typical 300-word HTML cold email with its text
//! alternative, single-threaded and on every core.
//!
//!     cargo run --release --example body_throughput [ITERATIONS]
//!
//! (A measurement, not a test: SPEC §7 wants speed measured by benchmarks, never timed tests.)

use mailaudit::message::body::{BodyInput, BodyPart, analyze_body};
use mailaudit::rules::Rules;
use std::time::Instant;

const PARAGRAPH: &str = "Teams that grow as fast as yours often lose a week per new hire to \
onboarding: shadowing calls, reading playbooks nobody keeps current, and waiting for a manager \
to review their first demos. We built Ramp so that a new account executive gets guided call \
reviews from day one, with the playbooks your team already has, and managers see where each \
hire stands without sitting in on every call.";

fn draft() -> (String, String) {
    let mut html = String::from(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Onboarding</title>\
         <style>body{font-family:Arial,sans-serif} p{margin:0 0 12px} .btn{color:#fff;background:#0057ff}\
         @media (max-width:600px){.col{display:block!important;width:100%!important}}</style></head>\
         <body style=\"margin:0;padding:0;background-color:#f4f4f4\">\
         <div style=\"display:none;max-height:0;overflow:hidden;mso-hide:all\">A quick idea for your new AEs&zwnj;&nbsp;&zwnj;&nbsp;</div>\
         <table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" bgcolor=\"#f4f4f4\"><tr><td align=\"center\">\
         <table role=\"presentation\" width=\"600\" cellpadding=\"24\" cellspacing=\"0\" bgcolor=\"#ffffff\"><tr><td style=\"color:#222222;font-size:15px;line-height:22px\">\n\
         <p>Hi Sam,</p>\n",
    );
    let mut text = String::from("Hi Sam,\n\n");
    for i in 0..4 {
        html.push_str(&format!("<p>{PARAGRAPH} (point {i})</p>\n"));
        text.push_str(&format!("{PARAGRAPH} (point {i})\n\n"));
    }
    html.push_str(
        "<p>Would a short call next week be useful? <a href=\"https://cal.acme.example/jane\" \
         style=\"color:#0057ff\">Pick a time here</a>, or just reply.</p>\n\
         <p>Best,<br>Jane Doe<br>Head of Partnerships, Acme Inc.<br>+1 415 555 0132 · \
         <a href=\"https://acme.example\">acme.example</a></p>\n\
         <hr style=\"border:0;border-top:1px solid #eeeeee\">\n\
         <p style=\"color:#888888;font-size:12px\">Acme Inc · 548 Market St #12345 · San Francisco, CA 94104<br>\
         You received this because you work in sales at Northwind. \
         <a href=\"https://acme.example/unsubscribe?u=42\" style=\"color:#888888\">Unsubscribe</a></p>\n\
         </td></tr></table></td></tr></table>\
         <img src=\"https://t.acme.example/o.gif\" width=\"1\" height=\"1\" alt=\"\"></body></html>\n",
    );
    text.push_str(
        "Would a short call next week be useful? Pick a time: https://cal.acme.example/jane\n\n\
         Best,\nJane Doe\nHead of Partnerships, Acme Inc.\n+1 415 555 0132 · https://acme.example\n\n\
         -- \nAcme Inc · 548 Market St #12345 · San Francisco, CA 94104\n\
         Unsubscribe: https://acme.example/unsubscribe?u=42\n",
    );
    (html, text)
}

fn main() {
    let iterations: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(20_000);
    let rules = Rules::builtin().expect("built-in rules");
    let (html, text) = draft();
    let input = BodyInput {
        file: "bench.eml",
        parts: vec![
            BodyPart {
                content_type: "text/plain",
                text: &text,
                start_line: 12,
                lines_match_file: true,
            },
            BodyPart {
                content_type: "text/html",
                text: &html,
                start_line: 40,
                lines_match_file: true,
            },
        ],
        attachments: Vec::new(),
        from_domain: Some("acme.example"),
        template_mode: false,
    };
    let warm = analyze_body(&input, &rules, "bench.eml");
    println!(
        "draft: {} bytes of HTML, {} of text; {} visible words, {} links; findings: {:?}",
        html.len(),
        text.len(),
        warm.facts.word_count,
        warm.facts.link_count,
        warm.findings
            .iter()
            .map(|f| f.rule.as_str())
            .collect::<Vec<_>>()
    );

    let html_only = BodyInput {
        parts: vec![input.parts[1].clone()],
        ..input.clone()
    };
    for (label, input) in [("html+text", &input), ("html only", &html_only)] {
        let start = Instant::now();
        for _ in 0..iterations {
            std::hint::black_box(analyze_body(
                std::hint::black_box(input),
                &rules,
                "bench.eml",
            ));
        }
        let secs = start.elapsed().as_secs_f64();
        println!(
            "{label}, 1 thread: {:.0} drafts/s ({:.1} µs per draft)",
            iterations as f64 / secs,
            secs * 1e6 / iterations as f64
        );
    }

    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                for _ in 0..iterations / threads {
                    std::hint::black_box(analyze_body(
                        std::hint::black_box(&input),
                        &rules,
                        "bench.eml",
                    ));
                }
            });
        }
    });
    let secs = start.elapsed().as_secs_f64();
    println!(
        "html+text, {threads} threads: {:.0} drafts/s",
        (iterations / threads * threads) as f64 / secs
    );
}
