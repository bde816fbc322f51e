//! The terminal report: grouped by target, one line per finding plus its help, a summary.
//!
//! Colour comes from `colored`, which the binary switches on or off (`colored::control`);
//! this module only asks for it. Every string that may hold input bytes (targets, messages,
//! records, file names) goes through [`escape_untrusted`] first.

use crate::campaign::{CampaignFacts, KeyStatus};
use crate::dmarc::{Alignment, Policy, ReceiverStatus, Receivers};
use crate::domain::DomainFacts;
use crate::feedback::{FeedbackFacts, FeedbackFormat};
use crate::finding::{Location, Severity};
use crate::list::ListFacts;
use crate::message::DraftFacts;
use crate::message::sequence::SequenceFacts;
use crate::report::sarif::is_file_kind;
use crate::reports::facts::{ReportDomainFacts, ReportFileFacts, ReportType};
use crate::run::{Facts, Gate, Kind, Mode, Report, Summary, TargetResult, Verdict};
use crate::sender::analysis::{Stage, StartSource};
use crate::sender::{ScopeFacts, SenderFacts};
use crate::spf::check_host::{CheckHostFacts, SpfResult};
use crate::text::{escape_untrusted, plural};
use colored::{ColoredString, Colorize};
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
            // A finding in a file says where, as compilers do (`drafts/02.eml:14: `), so
            // terminals and editors can jump to it.
            let at = match &finding.location {
                Some(Location::Line { file, line }) if is_file_kind(result.kind) => {
                    format!("{}:{line}: ", escape_untrusted(file))
                }
                _ => String::new(),
            };
            writeln!(
                out,
                "  {at}{} {}{}: {}",
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
    let summary = report.summary();
    writeln!(
        out,
        "{}; {}{}",
        summary_line(&summary),
        mode_line(&report.mode),
        config_note(&report.config)
    )?;
    if let Some(line) = suppressed_line(&summary) {
        writeln!(out, "{line}")?;
    }
    let gate = report.gate();
    let text = verdict_line(&gate);
    let text = match gate.verdict() {
        Verdict::Pass => text.green().bold(),
        Verdict::Fail => text.red().bold(),
        Verdict::Incomplete => text.yellow().bold(),
    };
    writeln!(out, "{text}")
}

/// "3 findings suppressed by ignores", when any were.
pub(crate) fn suppressed_line(summary: &Summary) -> Option<String> {
    (summary.suppressed > 0).then(|| {
        format!(
            "{} suppressed by ignores",
            plural(summary.suppressed, "finding", "findings")
        )
    })
}

/// At most this many targets are named in the INCOMPLETE line.
const NAMED_INCOMPLETE: usize = 3;

/// The gate's verdict in one line: `PASS: nothing at or above --fail-on error`,
/// `FAIL: 2 errors at or above --fail-on error`, `INCOMPLETE: DNS did not answer for 3
/// domains (a.example, b.example, c.example); nothing else at or above --fail-on error`.
pub(crate) fn verdict_line(gate: &Gate) -> String {
    let Some(threshold) = gate.fail_on else {
        return "PASS: --fail-on never".to_string();
    };
    let at = format!("at or above --fail-on {threshold}");
    let incomplete = incomplete_text(gate);
    match gate.verdict() {
        Verdict::Pass => format!("PASS: nothing {at}"),
        Verdict::Fail => {
            let counts: Vec<String> = [Severity::Error, Severity::Warning, Severity::Info]
                .into_iter()
                .filter(|severity| *severity >= threshold)
                .map(|severity| (severity, gate.failing.count(severity)))
                .filter(|(_, count)| *count > 0)
                .map(|(severity, count)| match severity {
                    Severity::Error => plural(count, "error", "errors"),
                    Severity::Warning => plural(count, "warning", "warnings"),
                    Severity::Info => plural(count, "info", "infos"),
                })
                .collect();
            let mut line = format!("FAIL: {} {at}", counts.join(", "));
            if let Some(incomplete) = incomplete {
                line.push_str("; and ");
                line.push_str(&incomplete);
            }
            line
        }
        Verdict::Incomplete => format!(
            "INCOMPLETE: {}; nothing else {at}",
            incomplete.unwrap_or_default()
        ),
    }
}

/// "DNS did not answer for 2 domains (a.example, b.example)", naming them when few.
fn incomplete_text(gate: &Gate) -> Option<String> {
    let targets = &gate.inconclusive;
    if targets.is_empty() {
        return None;
    }
    let domains = targets.iter().all(|(_, kind)| *kind == Kind::Domain);
    let counted = if domains {
        plural(targets.len(), "domain", "domains")
    } else {
        plural(targets.len(), "target", "targets")
    };
    let mut text = format!("DNS did not answer for {counted}");
    if targets.len() <= NAMED_INCOMPLETE {
        let names: Vec<String> = targets
            .iter()
            .map(|(target, _)| escape_untrusted(target).into_owned())
            .collect();
        text.push_str(&format!(" ({})", names.join(", ")));
    }
    Some(text)
}

/// `; config mailaudit.toml, strict.toml` when configuration files applied, else nothing.
pub(crate) fn config_note(files: &[String]) -> String {
    if files.is_empty() {
        return String::new();
    }
    let files: Vec<String> = files
        .iter()
        .map(|f| escape_untrusted(f).into_owned())
        .collect();
    format!("; config {}", files.join(", "))
}

/// The few facts a person wants above the findings; the rest are in the JSON.
fn write_facts(result: &TargetResult, out: &mut dyn Write) -> io::Result<()> {
    if let Some(verdict) = &result.result {
        // A campaign's result is its simulated DMARC outcome, not the gate's verdict.
        let label = match result.kind {
            Kind::Campaign => "dmarc simulation",
            _ => "result",
        };
        writeln!(out, "  {label}: {}", escape_untrusted(verdict).bold())?;
    }
    match &result.facts {
        Facts::None => Ok(()),
        Facts::Spf(facts) => write_spf_facts(facts, out),
        Facts::Domain(facts) => write_domain_facts(facts, out),
        Facts::Draft(facts) => write_draft_facts(facts, out),
        Facts::Campaign(facts) => write_campaign_facts(facts, out),
        Facts::Sender(facts) => write_sender_facts(facts, out),
        Facts::Sequence(facts) => write_sequence_facts(facts, out),
        Facts::Report(facts) => write_report_facts(facts, out),
        Facts::ReportDomain(facts) => write_report_domain_facts(facts, out),
        Facts::Feedback(facts) => write_feedback_facts(facts, out),
        Facts::List(facts) => write_list_facts(facts, out),
        Facts::Given(facts) => {
            for line in &facts.lines {
                writeln!(out, "  {}", escape_untrusted(line))?;
            }
            Ok(())
        }
    }
}

/// `check_host()`: the deciding term, explanation or problem, the lookups and the trace.
fn write_spf_facts(facts: &CheckHostFacts, out: &mut dyn Write) -> io::Result<()> {
    let outcome = &facts.outcome;
    if let Some(term) = &outcome.deciding_term {
        writeln!(
            out,
            "  decided by: {} (in {})",
            escape_untrusted(&term.term),
            escape_untrusted(&term.domain)
        )?;
    }
    for (value, label) in [
        (&outcome.explanation, "explanation"),
        (&outcome.problem, "problem"),
    ] {
        if let Some(value) = value {
            writeln!(out, "  {label}: {}", escape_untrusted(value))?;
        }
    }
    writeln!(
        out,
        "  lookups: {} (void: {})",
        outcome.lookups, outcome.void_lookups
    )?;
    writeln!(out, "  trace:")?;
    for step in &outcome.trace {
        let depth = step.depth.min(32) as usize;
        writeln!(
            out,
            "    {}{}",
            "  ".repeat(depth),
            escape_untrusted(&step.event)
        )?;
    }
    Ok(())
}

/// One line per DMARC receiver model: `dmarc rfc9989: sub.example.com (org sub.example.com)
/// quarantine`. Left out when neither model applies DMARC nor failed to conclude, so a
/// domain without any record keeps its short summary.
fn write_receivers(receivers: &Receivers, out: &mut dyn Write) -> io::Result<()> {
    let models = [
        ("rfc9989", &receivers.rfc9989),
        ("rfc7489", &receivers.rfc7489),
    ];
    if models
        .iter()
        .all(|(_, a)| a.policy.is_none() && a.status == ReceiverStatus::Concluded)
    {
        return Ok(());
    }
    for (model, answer) in models {
        let org = answer
            .organizational_domain
            .as_deref()
            .map_or_else(|| "?".into(), escape_untrusted);
        let said = match (answer.status, &answer.policy_domain, answer.policy) {
            (ReceiverStatus::Inconclusive, _, _) => {
                "inconclusive (see dns/inconclusive)".to_string()
            }
            (_, Some(domain), Some(policy)) => {
                format!(
                    "{} (org {org}) {}",
                    escape_untrusted(domain),
                    policy.as_str()
                )
            }
            _ => format!("no DMARC applies (org {org})"),
        };
        writeln!(out, "  dmarc {model}: {said}")?;
    }
    Ok(())
}

/// A domain: score, SPF record and lookups, DKIM keys, MX hosts, DMARC policy, and per
/// `--ip` its reverse DNS and SPF result.
fn write_domain_facts(facts: &DomainFacts, out: &mut dyn Write) -> io::Result<()> {
    if let Some(score) = &facts.score {
        writeln!(out, "  score: {}/100", score.value)?;
    } else if let Some(why) = &facts.score_incomplete {
        writeln!(out, "  score: incomplete ({})", escape_untrusted(why))?;
    }
    let spf = &facts.spf;
    if let Some(record) = &spf.record {
        writeln!(out, "  spf: {}", escape_untrusted(record))?;
    }
    writeln!(
        out,
        "  spf lookups: {} (void: {})",
        spf.lookup_count, spf.void_lookup_count
    )?;
    let keys: Vec<String> = facts
        .dkim
        .selectors
        .iter()
        .filter(|k| k.record.is_some())
        .map(|k| {
            let kind = k
                .key_type
                .as_deref()
                .map_or_else(|| "?".into(), escape_untrusted);
            let selector = escape_untrusted(&k.selector);
            match k.key_bits {
                Some(bits) => format!("{selector} ({kind} {bits})"),
                None => format!("{selector} ({kind})"),
            }
        })
        .collect();
    if !keys.is_empty() {
        writeln!(out, "  dkim: {}", keys.join(", "))?;
    }
    let mx: Vec<String> = facts
        .mx
        .iter()
        .flat_map(|mx| &mx.hosts)
        .map(|h| format!("{} {}", h.preference, escape_untrusted(&h.host)))
        .collect();
    if !mx.is_empty() {
        writeln!(out, "  mx: {}", mx.join(", "))?;
    }
    if let Some(dmarc) = &facts.dmarc
        && let Some(p) = dmarc.p
    {
        let rua: Vec<String> = dmarc
            .rua
            .iter()
            .map(|uri| escape_untrusted(uri).into_owned())
            .collect();
        let mut line = format!(
            "  dmarc: p={} sp={} pct={} rua={}",
            p.as_str(),
            dmarc.sp.map(Policy::as_str).unwrap_or_default(),
            // As the JSON has it: the number, or null without one.
            dmarc
                .pct
                .map_or_else(|| "null".to_string(), |pct| pct.to_string()),
            if rua.is_empty() {
                "none".to_string()
            } else {
                rua.join(",")
            }
        );
        if dmarc.inherited
            && let Some(location) = &dmarc.location
        {
            line.push_str(&format!(" (from {})", escape_untrusted(location)));
        }
        writeln!(out, "{line}")?;
    }
    if let Some(dmarc) = &facts.dmarc {
        write_receivers(&dmarc.receivers, out)?;
    }
    for rdns in &facts.reverse_dns {
        let ip = rdns.ip;
        match &rdns.confirmed_name {
            Some(name) => writeln!(
                out,
                "  rdns for {ip}: {} (forward-confirmed)",
                escape_untrusted(name)
            )?,
            // A failed query confirms nothing, and disproves nothing either.
            None if rdns.incomplete => {
                writeln!(out, "  rdns for {ip}: unknown (a DNS query failed)")?
            }
            None => writeln!(out, "  rdns for {ip}: not confirmed")?,
        }
    }
    for verdict in &facts.spf_results {
        writeln!(out, "  spf for {}: {}", verdict.ip, verdict.result.as_str())?;
    }
    Ok(())
}

/// A sequence: its touches and the From domains they use.
fn write_sequence_facts(facts: &SequenceFacts, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "  touches: {} ({})",
        facts.files.len(),
        escaped_list(&facts.files, ", ")
    )?;
    if !facts.from_domains.is_empty() {
        writeln!(out, "  from: {}", escaped_list(&facts.from_domains, ", "))?;
    }
    Ok(())
}

/// `items`, each escaped, joined with `separator`.
fn escaped_list(items: &[String], separator: &str) -> String {
    items
        .iter()
        .map(|item| escape_untrusted(item).into_owned())
        .collect::<Vec<_>>()
        .join(separator)
}

/// An alignment mode as the JSON names it.
fn alignment_name(mode: Alignment) -> &'static str {
    match mode {
        Alignment::Relaxed => "relaxed",
        Alignment::Strict => "strict",
    }
}

/// A DKIM key status as the JSON names it.
fn key_status_name(status: KeyStatus) -> &'static str {
    match status {
        KeyStatus::Usable => "usable",
        KeyStatus::Missing => "missing",
        KeyStatus::Unusable => "unusable",
        KeyStatus::Unknown => "unknown",
    }
}

/// A campaign: what it sends as, and the DMARC outcome simulated for each sending IP.
fn write_campaign_facts(facts: &CampaignFacts, out: &mut dyn Write) -> io::Result<()> {
    if let Some(name) = &facts.name {
        writeln!(out, "  name: {}", escape_untrusted(name))?;
    }
    writeln!(
        out,
        "  from: {}; envelope: {}; dkim: {}",
        escape_untrusted(&facts.from),
        escape_untrusted(&facts.envelope_from),
        escape_untrusted(&facts.dkim_key)
    )?;
    let mode = format!(
        "profile {}, {}",
        escape_untrusted(&facts.profile),
        if facts.templates {
            "template mode"
        } else {
            "rendered drafts"
        }
    );
    if facts.drafts.is_empty() {
        writeln!(out, "  drafts: none given")?;
    } else {
        writeln!(
            out,
            "  drafts: {} ({mode})",
            escaped_list(&facts.drafts, ", ")
        )?;
    }
    let sim = &facts.simulation;
    if let Some(policy) = &sim.policy {
        let mut line = if policy.testing.is_some() {
            format!("  dmarc policy: {}", escape_untrusted(&policy.describe()))
        } else {
            format!(
                "  dmarc policy: {}={}",
                escape_untrusted(policy.tag),
                policy.policy.as_str()
            )
        };
        if policy.pct < 100 {
            line.push_str(&format!(" pct={}", policy.pct));
        }
        if let Some(location) = &policy.location {
            line.push_str(&format!(" (from {})", escape_untrusted(location)));
        }
        writeln!(
            out,
            "{line}; alignment aspf={} adkim={}",
            alignment_name(sim.aspf),
            alignment_name(sim.adkim)
        )?;
    } else if sim.policy_unknown {
        writeln!(
            out,
            "  dmarc policy: unknown (the DMARC query for the From domain failed)"
        )?;
    } else {
        writeln!(out, "  dmarc policy: none applies to the From domain")?;
    }
    // The RFC 7489 model, where it applies another record or policy than RFC 9989 above.
    let (bis, legacy) = (&sim.receivers.rfc9989, &sim.receivers.rfc7489);
    if legacy.policy != bis.policy || legacy.policy_unknown != bis.policy_unknown {
        let shown = match &legacy.policy {
            Some(policy) => {
                let from = policy
                    .location
                    .as_deref()
                    .map(|l| format!(" (from {})", escape_untrusted(l)))
                    .unwrap_or_default();
                format!("{}{from}", escape_untrusted(&policy.describe()))
            }
            None if legacy.policy_unknown => "unknown (a DMARC query failed)".to_string(),
            None => "none applies".to_string(),
        };
        writeln!(out, "  dmarc policy rfc7489: {shown}")?;
    }
    let key = &sim.dkim_key;
    let mut line = format!("  dkim key: {}", key_status_name(key.status));
    if let (Some(kind), Some(bits)) = (&key.key_type, key.key_bits) {
        line.push_str(&format!(" ({} {bits})", escape_untrusted(kind)));
    }
    line.push_str(if sim.dkim_aligned {
        ", aligned"
    } else {
        ", not aligned"
    });
    if key.status == KeyStatus::Usable {
        line.push_str("; assumed to verify (mailaudit does not sign)");
    }
    writeln!(out, "{line}")?;
    if let Some(note) = &key.note {
        writeln!(out, "    {}", escape_untrusted(note))?;
    }
    for ip in &sim.ips {
        let spf_part = if ip.spf_aligned_pass {
            "spf aligned pass".to_string()
        } else if !sim.spf_aligned && ip.spf == Some(SpfResult::Pass) {
            "spf pass, not aligned".to_string()
        } else {
            format!("spf {}", ip.spf.map_or("not evaluated", SpfResult::as_str))
        };
        let dkim_part = if ip.dkim_aligned_pass {
            "dkim aligned pass"
        } else {
            "no aligned dkim pass"
        };
        writeln!(
            out,
            "  dmarc for {}: {} ({spf_part}; {dkim_part}) -> {}",
            ip.ip,
            ip.dmarc.as_str().bold(),
            escape_untrusted(&ip.disposition)
        )?;
        if ip.receivers.differ() {
            let legacy = &ip.receivers.rfc7489;
            writeln!(
                out,
                "    an RFC 7489 receiver: {} -> {}",
                legacy.dmarc.as_str().bold(),
                escape_untrusted(&legacy.disposition)
            )?;
        }
    }
    if let Some(stats) = &facts.stats {
        let path = escape_untrusted(&stats.path);
        if stats.domains.is_empty() {
            writeln!(out, "  stats: {path} (no rows for the campaign's domains)")?;
        } else {
            writeln!(
                out,
                "  stats: {path} (scored: {})",
                escaped_list(&stats.domains, ", ")
            )?;
        }
    }
    if facts.bulk_sender {
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
/// `·` for a day with nothing delivered (no rate, or one that is not a number, which the
/// JSON writes as null).
fn rate_sparkline(values: &[Option<f64>], scale: f64) -> String {
    values
        .iter()
        .map(|v| match v.filter(|r| r.is_finite()) {
            None => '·',
            Some(r) if r <= 0.0 || scale <= 0.0 => BARS[0],
            Some(r) => {
                let level = (r / scale * 7.0).ceil() as usize;
                BARS[level.clamp(1, 7)]
            }
        })
        .collect()
}

/// A rate or factor as the report uses it: one that is not a number (null in the JSON)
/// counts as 0.
fn finite_or_zero(value: f64) -> f64 {
    if value.is_finite() { value } else { 0.0 }
}

/// A warm-up stage in words.
fn stage_text(stage: &Stage) -> String {
    match stage {
        Stage::WarmingUp {
            day,
            days,
            start,
            source,
        } => format!(
            "warm-up day {day} of {days} (since {start}, {})",
            match source {
                StartSource::Option => "from --warmup-start",
                StartSource::Detected => "detected from the data",
            }
        ),
        Stage::Scheduled { start, .. } => format!("warm-up starts on {start}"),
        Stage::Established {
            warm_up_ended: Some(end),
        } => format!("established (warm-up ended {end})"),
        Stage::Established {
            warm_up_ended: None,
        } => "established".to_string(),
    }
}

/// A sending domain: its data, stage, sparklines of daily volume and complaint rate, score
/// and tomorrow's largest safe volume, then the same in one line per IP and provider.
/// A report: who sent it, for when, how many records and messages.
fn write_report_facts(facts: &ReportFileFacts, out: &mut dyn Write) -> io::Result<()> {
    if facts.report_type == ReportType::Failure {
        return write_failure_facts(facts, out);
    }
    let (Some(org), Some(id)) = (&facts.org_name, &facts.report_id) else {
        return Ok(());
    };
    let period = match (&facts.begin_date, &facts.end_date) {
        (Some(begin), Some(end)) => format!(", {begin} to {end}"),
        _ => String::new(),
    };
    writeln!(
        out,
        "  {} report from {}, id {}{period}",
        match facts.report_type {
            ReportType::Aggregate => "aggregate",
            ReportType::Failure => "failure",
            ReportType::Tls => "TLS",
        },
        escape_untrusted(org),
        escape_untrusted(id)
    )?;
    if let Some(first) = &facts.duplicate_of {
        return writeln!(
            out,
            "  duplicate of {}: not counted again",
            escape_untrusted(first)
        );
    }
    match facts.report_type {
        ReportType::Aggregate => writeln!(
            out,
            "  {}, {}",
            plural(facts.records.len(), "record", "records"),
            messages(facts.message_count)
        )?,
        ReportType::Tls => {
            let policies = facts
                .report
                .as_ref()
                .and_then(|r| r.get("policies"))
                .and_then(|p| p.as_array());
            for policy in policies.into_iter().flatten() {
                let text = |v: Option<&serde_json::Value>| -> Option<String> {
                    v.and_then(|v| v.as_str())
                        .map(|t| escape_untrusted(t).into_owned())
                };
                let count = |name: &str| {
                    policy
                        .pointer(&format!("/summary/{name}"))
                        .and_then(|v| v.as_u64())
                        .unwrap_or(0)
                };
                writeln!(
                    out,
                    "  {} ({}): {} successful, {} failed sessions",
                    text(policy.pointer("/policy/policy_domain"))
                        .unwrap_or_else(|| "(no policy-domain)".into()),
                    text(policy.pointer("/policy/policy_type")).unwrap_or_else(|| "?".into()),
                    crate::text::fmt_count(count("total_successful_session_count")),
                    crate::text::fmt_count(count("total_failure_session_count")),
                )?;
            }
        }
        ReportType::Failure => {}
    }
    Ok(())
}

/// Recipients a feedback message shows; the rest are counted.
const MAX_FEEDBACK_ROWS: usize = 20;

/// A feedback message: how it was read, then one line per recipient: the address, the
/// class and reason, the status code and the start of the diagnostic.
fn write_feedback_facts(facts: &FeedbackFacts, out: &mut dyn Write) -> io::Result<()> {
    let format = match facts.format {
        FeedbackFormat::Rfc3464 => "a delivery status notification (RFC 3464)",
        FeedbackFormat::Arf => "an ARF feedback report (RFC 5965)",
        FeedbackFormat::SesJson => "an Amazon SES notification",
        FeedbackFormat::Text => "the text of a bounce (no DSN part)",
        FeedbackFormat::AutoReply => "an automatic reply (RFC 3834)",
        FeedbackFormat::None => "",
    };
    if !format.is_empty() {
        writeln!(out, "  read as {format}")?;
    }
    if let Some(domain) = facts
        .recipients
        .iter()
        .find_map(|r| r.sending_domain.as_deref())
    {
        writeln!(out, "  sent as {}", escape_untrusted(domain))?;
    }
    for row in facts.recipients.iter().take(MAX_FEEDBACK_ROWS) {
        let mut line = format!(
            "  {}: {}",
            row.recipient.as_deref().map_or_else(
                || "(no recipient named)".to_string(),
                |r| escape_untrusted(r).into_owned()
            ),
            row.kind.as_str()
        );
        if let Some(bounce) = row.bounce {
            line.push_str(&format!(" {}", bounce.as_str()));
        }
        if let Some(reason) = row.reason {
            line.push_str(&format!(", {}", reason.as_str()));
        }
        if let Some(status) = &row.status {
            line.push_str(&format!(" ({})", escape_untrusted(status)));
        }
        if let Some(diagnostic) = &row.diagnostic {
            line.push_str(&format!(
                ": {}",
                escape_untrusted(crate::text::truncate(diagnostic, 120))
            ));
        }
        writeln!(out, "{line}")?;
    }
    if facts.recipients.len() > MAX_FEEDBACK_ROWS {
        writeln!(
            out,
            "  and {} more",
            plural(
                facts.recipients.len() - MAX_FEEDBACK_ROWS,
                "recipient",
                "recipients"
            )
        )?;
    }
    Ok(())
}

/// A DMARC failure report: who reported which message, from where, and what failed.
fn write_failure_facts(facts: &ReportFileFacts, out: &mut dyn Write) -> io::Result<()> {
    let Some(report) = &facts.report else {
        return Ok(());
    };
    let text = |pointer: &str| {
        report
            .pointer(pointer)
            .and_then(|v| v.as_str())
            .map(|t| escape_untrusted(t).into_owned())
    };
    let mut line = format!(
        "  failure report from {}",
        facts
            .org_name
            .as_deref()
            .map(|t| escape_untrusted(t).into_owned())
            .unwrap_or_else(|| "an unnamed reporter".into())
    );
    if let Some(date) = &facts.begin_date {
        line += &format!(", arrived {date}");
    }
    writeln!(out, "{line}")?;
    let from = text("/original/header_from_domain")
        .or_else(|| {
            report
                .pointer("/reported_domain/0")
                .and_then(|v| v.as_str())
                .map(|t| escape_untrusted(t).into_owned())
        })
        .unwrap_or_else(|| "?".into());
    let mut what = format!("  a message from {from}");
    if let Some(ip) = text("/source_ip") {
        what += &format!(" sent by {ip}");
    }
    if let Some(failure) = text("/auth_failure") {
        what += &format!(": {failure} failed");
    }
    if let Some(result) = text("/delivery_result") {
        what += &format!(", delivery {result}");
    }
    writeln!(out, "{what}")
}

/// `1 message`, `12,400 messages`.
fn messages(n: u64) -> String {
    let unit = if n == 1 { "message" } else { "messages" };
    format!("{} {unit}", crate::text::fmt_count(n))
}

/// A recipient list: its rows, the suppression lists, what DNS said of its domains, which
/// rules flagged how many rows and whether --clean-out removed them. Addresses are never
/// shown here (the findings name the first rows, masked).
fn write_list_facts(facts: &ListFacts, out: &mut dyn Write) -> io::Result<()> {
    use crate::text::fmt_count;
    writeln!(
        out,
        "  {} rows ({} column {}): {} valid, {} distinct addresses at {}",
        fmt_count(facts.rows),
        escape_untrusted(&facts.file),
        escape_untrusted(&facts.column),
        fmt_count(facts.valid),
        fmt_count(facts.distinct),
        plural(facts.domains as usize, "domain", "domains")
    )?;
    for list in &facts.suppression_files {
        let reasons: Vec<String> = list
            .by_reason
            .iter()
            .map(|(reason, n)| format!("{reason} {}", fmt_count(*n)))
            .collect();
        writeln!(
            out,
            "  suppressions: {} with {} ({})",
            escape_untrusted(&list.file),
            plural(list.entries as usize, "entry", "entries"),
            if reasons.is_empty() {
                "none".to_string()
            } else {
                reasons.join(", ")
            }
        )?;
    }
    match &facts.dns {
        None => writeln!(out, "  domains: MX not checked (no DNS)")?,
        Some(d) => writeln!(
            out,
            "  domains: {} checked: {} with MX, {} with only A/AAAA (implicit MX), {} null MX, \
             {} cannot receive mail, {} not concluded",
            fmt_count(d.checked),
            fmt_count(d.mx),
            fmt_count(d.implicit_mx),
            fmt_count(d.null_mx),
            fmt_count(d.no_mail),
            fmt_count(d.inconclusive)
        )?,
    }
    for flagged in &facts.flagged {
        let fate = match (&facts.clean_out, flagged.removed) {
            (Some(_), true) => "removed from the cleaned list",
            (Some(_), false) => "kept in the cleaned list",
            (None, true) => "--clean-out removes them",
            (None, false) => "--clean-out keeps them",
        };
        writeln!(
            out,
            "  {}: {} ({fate})",
            flagged.rule,
            plural(flagged.rows as usize, "row", "rows")
        )?;
    }
    if let Some(clean) = &facts.clean_out {
        writeln!(
            out,
            "  cleaned list: {}: {} kept, {} removed",
            escape_untrusted(&clean.file),
            plural(clean.kept as usize, "row", "rows"),
            fmt_count(clean.removed)
        )?;
    }
    Ok(())
}

/// Sources of one domain shown, most messages first; the rest are in the JSON.
const SHOWN_SOURCES: usize = 10;

/// A domain from its reports: the volume, the classes, the top sources and the readiness.
fn write_report_domain_facts(facts: &ReportDomainFacts, out: &mut dyn Write) -> io::Result<()> {
    use crate::text::{fmt_count, pct};
    let share = |passed: u64, total: u64| {
        if total == 0 {
            "-".to_string()
        } else {
            pct(passed as f64 / total as f64)
        }
    };
    writeln!(
        out,
        "  {} to {}: {} in {}, {} passed DMARC",
        facts.first_day,
        facts.last_day,
        messages(facts.message_count),
        plural(facts.reports, "report", "reports"),
        share(facts.passed_dmarc, facts.message_count)
    )?;
    if !facts.classes.is_empty() {
        let classes: Vec<String> = facts
            .classes
            .iter()
            .map(|(class, n)| format!("{class} {}", fmt_count(*n)))
            .collect();
        writeln!(out, "  classes: {}", classes.join(", "))?;
    }
    for source in facts.sources.iter().take(SHOWN_SOURCES) {
        let ip = source
            .source_ip_address
            .map_or_else(|| "(no IP)".to_string(), |ip| ip.to_string());
        let mut line = format!(
            "    {ip:<39} {:>9} msgs, {} pass",
            fmt_count(source.message_count),
            share(source.passed_dmarc, source.message_count)
        );
        if let Some(class) = source.source_class {
            line.push_str(&format!(", {}", class.as_str()));
        }
        if let Some(by) = &source.source_authorised_by {
            line.push_str(&format!(", {}", escape_untrusted(by)));
        }
        if let Some(ptr) = &source.source_reverse_dns {
            line.push_str(&format!(", {}", escape_untrusted(ptr)));
        }
        writeln!(out, "{line}")?;
    }
    if facts.sources.len() > SHOWN_SOURCES {
        writeln!(
            out,
            "    ... {} more (see --format json)",
            plural(facts.sources.len() - SHOWN_SOURCES, "source", "sources")
        )?;
    }
    let readiness = &facts.readiness;
    let step = match &readiness.next {
        Some(next) => format!(
            "{}={} -> {}",
            readiness.tag,
            readiness.policy.as_deref().unwrap_or("none"),
            next
        ),
        None => format!(
            "{}={}",
            readiness.tag,
            readiness.policy.as_deref().unwrap_or("none")
        ),
    };
    let why = readiness
        .reason
        .as_deref()
        .map(|r| format!(": {r}"))
        .unwrap_or_default();
    writeln!(
        out,
        "  enforcement ({}): {}{why}",
        escape_untrusted(&step),
        readiness.verdict.as_str()
    )
}

fn write_sender_facts(facts: &SenderFacts, out: &mut dyn Write) -> io::Result<()> {
    use crate::text::{factor, fmt_count, pct};
    writeln!(
        out,
        "  data: {} to {}, {} with rows, as of {}",
        facts.first_date,
        facts.last_date,
        plural(facts.days_with_data, "day", "days"),
        facts.as_of
    )?;
    writeln!(out, "  stage: {}", stage_text(&facts.stage))?;
    let recent = &facts.recent;
    if !recent.sent.is_empty() {
        writeln!(
            out,
            "  volume     {} {} to {}, peak {}/day",
            volume_sparkline(&recent.sent),
            recent.from,
            recent.to,
            fmt_count(recent.sent.iter().copied().max().unwrap_or(0))
        )?;
        let scale = finite_or_zero(recent.complaint_scale);
        let window = &facts.window;
        writeln!(
            out,
            "  complaints {} {} from {} to {} (a full bar is {})",
            rate_sparkline(&recent.complaint_rate, scale),
            pct(finite_or_zero(window.complaint_rate)),
            window.from,
            window.to,
            pct(scale)
        )?;
    }
    let score = &facts.score;
    let parts = &score.parts;
    writeln!(
        out,
        "  score: {}/100 (complaints {}, bounces {}, unsubscribes {}, volume {})",
        score.value,
        factor(finite_or_zero(parts.complaints)),
        factor(finite_or_zero(parts.bounces)),
        factor(finite_or_zero(parts.unsubscribes)),
        factor(finite_or_zero(parts.volume))
    )?;
    let next = &facts.next_day;
    writeln!(
        out,
        "  tomorrow ({}): at most {} ({})",
        next.date,
        fmt_count(next.cap),
        escape_untrusted(&next.reason)
    )?;
    type Name = fn(&ScopeFacts) -> Option<&str>;
    let ip: Name = |scope| scope.ip.as_ref().and_then(|ip| ip.as_deref());
    let provider: Name = |scope| scope.provider.as_ref().and_then(|p| p.as_deref());
    for (scopes, label, name) in [
        (&facts.by_ip, "ip", ip),
        (&facts.by_provider, "provider", provider),
    ] {
        for scope in scopes {
            let name = name(scope).map_or_else(|| "(none)".into(), escape_untrusted);
            writeln!(
                out,
                "  {label} {name}: {}, score {}, tomorrow at most {}",
                stage_text(&scope.stage),
                scope.score.value,
                fmt_count(scope.next_day.cap)
            )?;
        }
    }
    Ok(())
}

/// A template's lengths and counts are measured on the text as rendered (each merge tag at
/// its fallback, or a placeholder word): the facts say so.
fn rendered_note(facts: &DraftFacts) -> &'static str {
    if facts.template {
        " as rendered with fallbacks"
    } else {
        ""
    }
}

/// A draft: sender, subject length, unsubscribe URIs, parts, and the body's counts.
fn write_draft_facts(facts: &DraftFacts, out: &mut dyn Write) -> io::Result<()> {
    if let Some(headers) = &facts.headers {
        if let Some(domain) = &headers.from_domain {
            let domain = escape_untrusted(domain);
            match &headers.from_name {
                Some(name) => writeln!(out, "  from: {} at {domain}", escape_untrusted(name))?,
                None => writeln!(out, "  from: {domain}")?,
            }
        }
        if let Some(length) = headers.subject_length {
            writeln!(
                out,
                "  subject: {}{}",
                plural(length, "character", "characters"),
                rendered_note(facts)
            )?;
        }
    }
    if let Some(unsubscribe) = &facts.unsubscribe {
        let one_click = if unsubscribe.one_click {
            "; one-click"
        } else {
            ""
        };
        if unsubscribe.uris.is_empty() {
            writeln!(out, "  unsubscribe: none{one_click}")?;
        } else {
            writeln!(
                out,
                "  unsubscribe: {}{one_click}",
                escaped_list(&unsubscribe.uris, ", ")
            )?;
        }
    }
    let parts: Vec<String> = facts
        .parts
        .iter()
        .filter(|p| p.role == "body")
        .map(|p| escape_untrusted(&p.content_type).into_owned())
        .collect();
    let attachments = facts.attachments;
    if !parts.is_empty() || attachments > 0 {
        let mut line = parts.join(", ");
        if attachments > 0 {
            if !line.is_empty() {
                line.push_str("; ");
            }
            line.push_str(&plural(attachments, "attachment", "attachments"));
        }
        writeln!(out, "  parts: {line}")?;
    }
    if let Some(body) = &facts.body {
        writeln!(
            out,
            "  words: {}{}, links: {}",
            body.word_count,
            rendered_note(facts),
            body.link_count
        )?;
    }
    // Each signature that was verified (a key fetched): its result, domain and selector.
    for signature in &facts.dkim_signatures {
        if let Some(result) = &signature.result {
            writeln!(
                out,
                "  dkim: {} d={} s={}",
                escape_untrusted(result),
                escape_untrusted(&signature.domain),
                escape_untrusted(&signature.selector)
            )?;
        }
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
        Mode::Drafts {
            profile,
            template,
            dns,
        } => {
            let mut line = format!(
                "profile {}, {}",
                escape_untrusted(profile),
                if *template {
                    "template mode (merge tags expected)"
                } else {
                    "rendered drafts"
                }
            );
            if let Some(dns) = dns {
                line.push_str("; DKIM verified with ");
                line.push_str(&mode_line(dns));
            }
            line
        }
        Mode::Stats { files } => format!("no DNS; statistics from {}", list(files)),
        Mode::Reports { dns: None } => "no DNS: sources not attributed".to_string(),
        Mode::Reports { dns: Some(dns) } => format!("sources attributed with {}", mode_line(dns)),
        Mode::Feedback => "no DNS: bounce and complaint messages read".to_string(),
        Mode::List { dns: None } => {
            "no DNS: recipients' domains not checked for MX (give --zone, --nameserver or \
             --check-mx)"
                .to_string()
        }
        Mode::List { dns: Some(dns) } => {
            format!("recipients' domains checked with {}", mode_line(dns))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The human report names enum values as the JSON does.
    #[test]
    fn names_are_the_json_names() {
        for mode in [Alignment::Relaxed, Alignment::Strict] {
            assert_eq!(json_name(&mode), alignment_name(mode));
        }
        for status in [
            KeyStatus::Usable,
            KeyStatus::Missing,
            KeyStatus::Unusable,
            KeyStatus::Unknown,
        ] {
            assert_eq!(json_name(&status), key_status_name(status));
        }
        for policy in [Policy::None, Policy::Quarantine, Policy::Reject] {
            assert_eq!(json_name(&policy), policy.as_str());
        }
        for result in [
            SpfResult::None,
            SpfResult::Neutral,
            SpfResult::Pass,
            SpfResult::Fail,
            SpfResult::SoftFail,
            SpfResult::TempError,
            SpfResult::PermError,
        ] {
            assert_eq!(json_name(&result), result.as_str());
        }
        use crate::campaign::DmarcResult;
        for result in [
            DmarcResult::Pass,
            DmarcResult::Fail,
            DmarcResult::TempError,
            DmarcResult::None,
        ] {
            assert_eq!(json_name(&result), result.as_str());
        }
    }

    /// The JSON of a value that serializes as a string.
    fn json_name(value: &impl serde::Serialize) -> String {
        let json = serde_json::to_value(value).unwrap();
        json.as_str().unwrap().to_string()
    }

    #[test]
    fn the_verdict_line_says_why_with_counts() {
        use crate::rules::Rules;
        let rules = Rules::builtin().unwrap();
        let result = |target: &str, kind: Kind, rule, severity| {
            let mut result = TargetResult::new(target, kind);
            result
                .findings
                .push(rules.finding(rule, target, "m").with_severity(severity));
            result
        };
        let dns = crate::dns::rules::INCONCLUSIVE;
        let ptr = crate::spf::rules::PTR_MECHANISM;
        let line = |fail_on, results: Vec<TargetResult>| {
            let mut gate = Gate::new(fail_on);
            for result in &results {
                gate.add(result);
            }
            verdict_line(&gate)
        };
        let error = Some(Severity::Error);
        assert_eq!(
            line(error, vec![]),
            "PASS: nothing at or above --fail-on error"
        );
        assert_eq!(line(None, vec![]), "PASS: --fail-on never");
        let dead: Vec<TargetResult> = ["a.example", "b.example", "c.example\u{1b}"]
            .into_iter()
            .map(|d| result(d, Kind::Domain, dns, Severity::Error))
            .collect();
        assert_eq!(
            line(error, dead.clone()),
            "INCOMPLETE: DNS did not answer for 3 domains (a.example, b.example, c.example\\x1b); \
             nothing else at or above --fail-on error"
        );
        let mut four = dead.clone();
        four.push(result("d.example", Kind::Domain, dns, Severity::Error));
        assert_eq!(
            line(error, four),
            "INCOMPLETE: DNS did not answer for 4 domains; nothing else at or above --fail-on error"
        );
        let mut failing = vec![
            result("x.example", Kind::Domain, ptr, Severity::Error),
            result("y.example", Kind::Domain, ptr, Severity::Warning),
            result("y.example", Kind::Domain, ptr, Severity::Warning),
            result("z.example", Kind::Domain, ptr, Severity::Info),
        ];
        assert_eq!(
            line(Some(Severity::Warning), failing.clone()),
            "FAIL: 1 error, 2 warnings at or above --fail-on warning"
        );
        failing.push(result(
            "fixtures/c.toml",
            Kind::Campaign,
            dns,
            Severity::Error,
        ));
        assert_eq!(
            line(error, failing),
            "FAIL: 1 error at or above --fail-on error; and DNS did not answer for 1 target \
             (fixtures/c.toml)"
        );
    }

    #[test]
    fn sparklines_scale_volume_to_the_peak_and_rates_to_the_error_level() {
        use super::{rate_sparkline, volume_sparkline};
        assert_eq!(volume_sparkline(&[0, 1, 4, 8]), "·▁▄█");
        assert_eq!(volume_sparkline(&[]), "");
        assert_eq!(volume_sparkline(&[u64::MAX, 1]), "█▁");
        let rates = [None, Some(0.0), Some(0.0015), Some(0.003), Some(0.01)];
        assert_eq!(rate_sparkline(&rates, 0.003), "·▁▅██");
        assert_eq!(rate_sparkline(&rates, 0.0), "·▁▁▁▁");
    }
}
