//! The terminal report: grouped by target, one line per finding plus its help, a summary.
//!
//! Colour comes from `colored`, which the binary switches on or off (`colored::control`);
//! this module only asks for it. Every string that may hold input bytes (targets, messages,
//! records, file names) goes through [`escape_untrusted`] first.

use crate::finding::Severity;
use crate::run::{Mode, Report, Summary, TargetResult};
use crate::text::{escape_untrusted, plural};
use colored::{ColoredString, Colorize};
use serde_json::Value;
use std::io::{self, Write};

fn paint(severity: Severity) -> ColoredString {
    match severity {
        Severity::Error => severity.as_str().red().bold(),
        Severity::Warning => severity.as_str().yellow().bold(),
        Severity::Info => severity.as_str().blue().bold(),
    }
}

/// Write the report for a person at a terminal.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let results = report.sorted_results();
    for result in &results {
        writeln!(
            out,
            "{} ({})",
            escape_untrusted(&result.target).bold(),
            result.kind
        )?;
        write_facts(result, out)?;
        let findings = result.sorted_findings();
        if findings.is_empty() {
            writeln!(out, "  {}", "no findings".green())?;
        }
        for finding in findings {
            // Name the finding's own target when it is not the result's (an include, say).
            let elsewhere = if finding.target == result.target {
                String::new()
            } else {
                format!(" [{}]", escape_untrusted(&finding.target))
            };
            writeln!(
                out,
                "  {} {}{}: {}",
                paint(finding.severity),
                escape_untrusted(&finding.rule).bold(),
                elsewhere,
                escape_untrusted(&finding.message)
            )?;
            if !finding.help.is_empty() {
                writeln!(
                    out,
                    "    {} {}",
                    "help:".cyan(),
                    escape_untrusted(&finding.help)
                )?;
            }
        }
        writeln!(out)?;
    }
    writeln!(
        out,
        "{}; {}",
        summary_line(&report.summary()),
        mode_line(&report.mode)
    )
}

/// The few facts a person wants above the findings; the rest are in the JSON.
fn write_facts(result: &TargetResult, out: &mut dyn Write) -> io::Result<()> {
    let facts = &result.facts;
    let text = |v: &Value| v.as_str().map(|s| escape_untrusted(s).into_owned());
    if let Some(verdict) = &result.result {
        writeln!(out, "  result: {}", escape_untrusted(verdict).bold())?;
    }
    match result.kind.as_str() {
        "spf" => {
            if let Some(term) = facts.get("deciding_term").filter(|t| !t.is_null()) {
                writeln!(
                    out,
                    "  decided by: {} (in {})",
                    text(&term["term"]).unwrap_or_default(),
                    text(&term["domain"]).unwrap_or_default()
                )?;
            }
            for (key, label) in [("explanation", "explanation"), ("problem", "problem")] {
                if let Some(value) = facts.get(key).and_then(text) {
                    writeln!(out, "  {label}: {value}")?;
                }
            }
            if let (Some(l), Some(v)) = (facts.get("lookups"), facts.get("void_lookups")) {
                writeln!(out, "  lookups: {l} (void: {v})")?;
            }
            if let Some(trace) = facts.get("trace").and_then(Value::as_array) {
                writeln!(out, "  trace:")?;
                for step in trace {
                    let depth = step["depth"].as_u64().unwrap_or(0).min(32) as usize;
                    writeln!(
                        out,
                        "    {}{}",
                        "  ".repeat(depth),
                        text(&step["event"]).unwrap_or_default()
                    )?;
                }
            }
        }
        "domain" => {
            if let Some(score) = facts["score"]["value"].as_u64() {
                let note = if facts["score"]["complete"] == false {
                    " (incomplete: a DNS query failed)"
                } else {
                    ""
                };
                writeln!(out, "  score: {score}/100{note}")?;
            }
            let spf = &facts["spf"];
            if let Some(record) = spf.get("record").and_then(text) {
                writeln!(out, "  spf: {record}")?;
            }
            if let (Some(l), Some(v)) = (
                spf["lookup_count"].as_u64(),
                spf["void_lookup_count"].as_u64(),
            ) {
                writeln!(out, "  spf lookups: {l} (void: {v})")?;
            }
            let keys: Vec<String> = facts["dkim"]["selectors"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|k| k["record"].is_string())
                .map(|k| {
                    let kind = text(&k["key_type"]).unwrap_or_else(|| "?".into());
                    match k["key_bits"].as_u64() {
                        Some(bits) => format!(
                            "{} ({kind} {bits})",
                            text(&k["selector"]).unwrap_or_default()
                        ),
                        None => format!("{} ({kind})", text(&k["selector"]).unwrap_or_default()),
                    }
                })
                .collect();
            if !keys.is_empty() {
                writeln!(out, "  dkim: {}", keys.join(", "))?;
            }
            let mx: Vec<String> = facts["mx"]["hosts"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|h| {
                    format!(
                        "{} {}",
                        h["preference"],
                        text(&h["host"]).unwrap_or_default()
                    )
                })
                .collect();
            if !mx.is_empty() {
                writeln!(out, "  mx: {}", mx.join(", "))?;
            }
            let dmarc = &facts["dmarc"];
            if let Some(p) = dmarc.get("p").and_then(text) {
                let list = |key: &str| {
                    let uris: Vec<String> = dmarc[key]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(text)
                        .collect();
                    if uris.is_empty() {
                        "none".to_string()
                    } else {
                        uris.join(",")
                    }
                };
                let mut line = format!(
                    "  dmarc: p={p} sp={} pct={} rua={}",
                    dmarc.get("sp").and_then(text).unwrap_or_default(),
                    dmarc["pct"],
                    list("rua")
                );
                if dmarc["inherited"].as_bool() == Some(true)
                    && let Some(location) = dmarc.get("location").and_then(text)
                {
                    line.push_str(&format!(" (from {location})"));
                }
                writeln!(out, "{line}")?;
            }
            for rdns in facts["reverse_dns"].as_array().into_iter().flatten() {
                let ip = text(&rdns["ip"]).unwrap_or_default();
                match rdns["confirmed_name"].as_str() {
                    Some(name) => writeln!(
                        out,
                        "  rdns for {ip}: {} (forward-confirmed)",
                        escape_untrusted(name)
                    )?,
                    None => writeln!(out, "  rdns for {ip}: not confirmed")?,
                }
            }
            for verdict in facts["spf_results"].as_array().into_iter().flatten() {
                writeln!(
                    out,
                    "  spf for {}: {}",
                    text(&verdict["ip"]).unwrap_or_default(),
                    text(&verdict["result"]).unwrap_or_default()
                )?;
            }
        }
        "draft" => write_draft_facts(facts, out)?,
        "campaign" => write_campaign_facts(facts, out)?,
        "sender" => write_sender_facts(facts, out)?,
        "sequence" => {
            let files: Vec<String> = facts["files"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(text)
                .collect();
            writeln!(out, "  touches: {} ({})", files.len(), files.join(", "))?;
            let domains: Vec<String> = facts["from_domains"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(text)
                .collect();
            if !domains.is_empty() {
                writeln!(out, "  from: {}", domains.join(", "))?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// A campaign: what it sends as, and the DMARC outcome simulated for each sending IP.
fn write_campaign_facts(facts: &Value, out: &mut dyn Write) -> io::Result<()> {
    let text = |v: &Value| v.as_str().map(|s| escape_untrusted(s).into_owned());
    if let Some(name) = facts.get("name").and_then(text) {
        writeln!(out, "  name: {name}")?;
    }
    writeln!(
        out,
        "  from: {}; envelope: {}; dkim: {}",
        text(&facts["from"]).unwrap_or_default(),
        text(&facts["envelope_from"]).unwrap_or_default(),
        text(&facts["dkim_key"]).unwrap_or_default()
    )?;
    let drafts: Vec<String> = facts["drafts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(text)
        .collect();
    let mode = format!(
        "profile {}, {}",
        text(&facts["profile"]).unwrap_or_default(),
        if facts["templates"] == Value::Bool(true) {
            "template mode"
        } else {
            "rendered drafts"
        }
    );
    if drafts.is_empty() {
        writeln!(out, "  drafts: none given")?;
    } else {
        writeln!(out, "  drafts: {} ({mode})", drafts.join(", "))?;
    }
    let sim = &facts["simulation"];
    let policy = &sim["policy"];
    if policy.is_object() {
        let mut line = format!(
            "  dmarc policy: {}={}",
            text(&policy["tag"]).unwrap_or_default(),
            text(&policy["policy"]).unwrap_or_default()
        );
        if policy["pct"].as_u64().is_some_and(|pct| pct < 100) {
            line.push_str(&format!(" pct={}", policy["pct"]));
        }
        if let Some(location) = policy.get("location").and_then(text) {
            line.push_str(&format!(" (from {location})"));
        }
        writeln!(
            out,
            "{line}; alignment aspf={} adkim={}",
            text(&sim["aspf"]).unwrap_or_default(),
            text(&sim["adkim"]).unwrap_or_default()
        )?;
    } else {
        writeln!(out, "  dmarc policy: none applies to the From domain")?;
    }
    let key = &sim["dkim_key"];
    let mut line = format!("  dkim key: {}", text(&key["status"]).unwrap_or_default());
    if let (Some(kind), Some(bits)) = (key.get("key_type").and_then(text), key["key_bits"].as_u64())
    {
        line.push_str(&format!(" ({kind} {bits})"));
    }
    line.push_str(if sim["dkim_aligned"] == Value::Bool(true) {
        ", aligned"
    } else {
        ", not aligned"
    });
    if key["status"] == "usable" {
        line.push_str("; assumed to verify (mailaudit does not sign)");
    }
    writeln!(out, "{line}")?;
    if let Some(note) = key.get("note").and_then(text) {
        writeln!(out, "    {note}")?;
    }
    for ip in sim["ips"].as_array().into_iter().flatten() {
        let spf = text(&ip["spf"]).unwrap_or_else(|| "not evaluated".into());
        let spf_part = if ip["spf_aligned_pass"] == Value::Bool(true) {
            "spf aligned pass".to_string()
        } else if sim["spf_aligned"] == Value::Bool(false) && ip["spf"] == "pass" {
            "spf pass, not aligned".to_string()
        } else {
            format!("spf {spf}")
        };
        let dkim_part = if ip["dkim_aligned_pass"] == Value::Bool(true) {
            "dkim aligned pass"
        } else {
            "no aligned dkim pass"
        };
        writeln!(
            out,
            "  dmarc for {}: {} ({spf_part}; {dkim_part}) -> {}",
            text(&ip["ip"]).unwrap_or_default(),
            text(&ip["dmarc"]).unwrap_or_default().bold(),
            text(&ip["disposition"]).unwrap_or_default()
        )?;
    }
    let stats = &facts["stats"];
    if let Some(path) = stats.get("path").and_then(text) {
        let scored: Vec<String> = stats["domains"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(text)
            .collect();
        if scored.is_empty() {
            writeln!(out, "  stats: {path} (no rows for the campaign's domains)")?;
        } else {
            writeln!(out, "  stats: {path} (scored: {})", scored.join(", "))?;
        }
    }
    if facts["bulk_sender"] == Value::Bool(true) {
        writeln!(
            out,
            "  bulk sender: the bulk-sender requirements are errors"
        )?;
    }
    Ok(())
}

/// Sparkline glyphs, lowest to highest.
const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// Daily volume: bar heights relative to the largest day shown; `·` for a day without mail.
fn volume_sparkline(values: &[u64]) -> String {
    let max = values.iter().copied().max().unwrap_or(0).max(1) as f64;
    values
        .iter()
        .map(|&v| {
            if v == 0 {
                '·'
            } else {
                let level = (v as f64 / max * 8.0).ceil() as usize;
                BARS[level.clamp(1, 8) - 1]
            }
        })
        .collect()
}

/// Daily complaint rate: `▁` for none, a full bar at `scale` (the error level) or above,
/// `·` for a day with nothing delivered.
fn rate_sparkline(values: &[Value], scale: f64) -> String {
    values
        .iter()
        .map(|v| match v.as_f64() {
            None => '·',
            Some(r) if r <= 0.0 || scale <= 0.0 => BARS[0],
            Some(r) => {
                let level = (r / scale * 7.0).ceil() as usize;
                BARS[level.clamp(1, 7)]
            }
        })
        .collect()
}

/// A sending domain: its data, stage, sparklines of daily volume and complaint rate, score
/// and tomorrow's largest safe volume, then the same in one line per IP and provider.
fn write_sender_facts(facts: &Value, out: &mut dyn Write) -> io::Result<()> {
    use crate::text::{factor, fmt_count, pct};
    let text = |v: &Value| v.as_str().map(|s| escape_untrusted(s).into_owned());
    let date = |v: &Value| text(v).unwrap_or_else(|| "?".to_string());
    let stage = |stage: &Value| -> String {
        match stage["state"].as_str() {
            Some("warming_up") => format!(
                "warm-up day {} of {} (since {}, {})",
                stage["day"],
                stage["days"],
                date(&stage["start"]),
                if stage["source"] == "option" {
                    "from --warmup-start"
                } else {
                    "detected from the data"
                }
            ),
            Some("scheduled") => format!("warm-up starts on {}", date(&stage["start"])),
            _ => match stage["warm_up_ended"].as_str() {
                Some(end) => format!("established (warm-up ended {})", escape_untrusted(end)),
                None => "established".to_string(),
            },
        }
    };
    let count = |v: &Value| v.as_u64().map(fmt_count).unwrap_or_else(|| "?".to_string());
    writeln!(
        out,
        "  data: {} to {}, {} with rows, as of {}",
        date(&facts["first_date"]),
        date(&facts["last_date"]),
        plural(
            facts["days_with_data"].as_u64().unwrap_or(0) as usize,
            "day",
            "days"
        ),
        date(&facts["as_of"])
    )?;
    writeln!(out, "  stage: {}", stage(&facts["stage"]))?;
    let recent = &facts["recent"];
    let sent: Vec<u64> = recent["sent"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| v.as_u64().unwrap_or(0))
        .collect();
    if !sent.is_empty() {
        writeln!(
            out,
            "  volume     {} {} to {}, peak {}/day",
            volume_sparkline(&sent),
            date(&recent["from"]),
            date(&recent["to"]),
            fmt_count(sent.iter().copied().max().unwrap_or(0))
        )?;
        let rates = recent["complaint_rate"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let scale = recent["complaint_scale"].as_f64().unwrap_or(0.0);
        let window = &facts["window"];
        writeln!(
            out,
            "  complaints {} {} from {} to {} (a full bar is {})",
            rate_sparkline(&rates, scale),
            pct(window["complaint_rate"].as_f64().unwrap_or(0.0)),
            date(&window["from"]),
            date(&window["to"]),
            pct(scale)
        )?;
    }
    let score = &facts["score"];
    if let Some(value) = score["value"].as_u64() {
        let part = |key: &str| factor(score["parts"][key].as_f64().unwrap_or(0.0));
        writeln!(
            out,
            "  score: {value}/100 (complaints {}, bounces {}, unsubscribes {}, volume {})",
            part("complaints"),
            part("bounces"),
            part("unsubscribes"),
            part("volume")
        )?;
    }
    let next = &facts["next_day"];
    writeln!(
        out,
        "  tomorrow ({}): at most {} ({})",
        date(&next["date"]),
        count(&next["cap"]),
        text(&next["reason"]).unwrap_or_default()
    )?;
    for (key, label) in [("by_ip", "ip"), ("by_provider", "provider")] {
        for scope in facts[key].as_array().into_iter().flatten() {
            let name = text(&scope[label]).unwrap_or_else(|| "(none)".to_string());
            writeln!(
                out,
                "  {label} {name}: {}, score {}, tomorrow at most {}",
                stage(&scope["stage"]),
                scope["score"]["value"],
                count(&scope["next_day"]["cap"])
            )?;
        }
    }
    Ok(())
}

/// A draft: sender, subject length, unsubscribe URIs, parts, and the body's counts.
fn write_draft_facts(facts: &Value, out: &mut dyn Write) -> io::Result<()> {
    let text = |v: &Value| v.as_str().map(|s| escape_untrusted(s).into_owned());
    let headers = &facts["headers"];
    if let Some(domain) = headers.get("from_domain").and_then(text) {
        match headers.get("from_name").and_then(text) {
            Some(name) => writeln!(out, "  from: {name} at {domain}")?,
            None => writeln!(out, "  from: {domain}")?,
        }
    }
    if let Some(length) = headers["subject_length"].as_u64() {
        writeln!(out, "  subject: {length} characters")?;
    }
    let unsubscribe = &facts["unsubscribe"];
    if unsubscribe.is_object() {
        let uris: Vec<String> = unsubscribe["uris"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(text)
            .collect();
        let one_click = if unsubscribe["one_click"] == Value::Bool(true) {
            "; one-click"
        } else {
            ""
        };
        if uris.is_empty() {
            writeln!(out, "  unsubscribe: none{one_click}")?;
        } else {
            writeln!(out, "  unsubscribe: {}{one_click}", uris.join(", "))?;
        }
    }
    let parts: Vec<String> = facts["parts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["role"] == "body")
        .filter_map(|p| text(&p["content_type"]))
        .collect();
    let attachments = facts["attachments"].as_u64().unwrap_or(0);
    if !parts.is_empty() || attachments > 0 {
        let mut line = parts.join(", ");
        if attachments > 0 {
            if !line.is_empty() {
                line.push_str("; ");
            }
            line.push_str(&plural(attachments as usize, "attachment", "attachments"));
        }
        writeln!(out, "  parts: {line}")?;
    }
    let body = &facts["body"];
    if let (Some(words), Some(links)) = (body["word_count"].as_u64(), body["link_count"].as_u64()) {
        writeln!(out, "  words: {words}, links: {links}")?;
    }
    Ok(())
}

pub(crate) fn summary_line(summary: &Summary) -> String {
    format!(
        "{}, {}: {}, {}, {}",
        plural(summary.targets, "target", "targets"),
        plural(summary.findings, "finding", "findings"),
        plural(summary.errors, "error", "errors"),
        plural(summary.warnings, "warning", "warnings"),
        plural(summary.infos, "info", "infos"),
    )
}

pub(crate) fn mode_line(mode: &Mode) -> String {
    let list = |items: &[String]| {
        items
            .iter()
            .map(|item| escape_untrusted(item).into_owned())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match mode {
        Mode::Offline { zone_files } if zone_files.is_empty() => "no DNS".to_string(),
        Mode::Offline { zone_files } => format!("DNS offline from {}", list(zone_files)),
        Mode::Live { nameservers } if nameservers.is_empty() => {
            "DNS live via the system resolver".to_string()
        }
        Mode::Live { nameservers } => format!("DNS live via {}", list(nameservers)),
        Mode::Drafts { profile, template } => format!(
            "profile {}, {}",
            escape_untrusted(profile),
            if *template {
                "template mode (merge tags expected)"
            } else {
                "rendered drafts"
            }
        ),
        Mode::Stats { files } => format!("no DNS; statistics from {}", list(files)),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sparklines_scale_volume_to_the_peak_and_rates_to_the_error_level() {
        use super::{rate_sparkline, volume_sparkline};
        use serde_json::json;
        assert_eq!(volume_sparkline(&[0, 1, 4, 8]), "·▁▄█");
        assert_eq!(volume_sparkline(&[]), "");
        assert_eq!(volume_sparkline(&[u64::MAX, 1]), "█▁");
        let rates = [
            json!(null),
            json!(0.0),
            json!(0.0015),
            json!(0.003),
            json!(0.01),
        ];
        assert_eq!(rate_sparkline(&rates, 0.003), "·▁▅██");
        assert_eq!(rate_sparkline(&rates, 0.0), "·▁▁▁▁");
    }
}
