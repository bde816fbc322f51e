//! `mailaudit feedback`: every bounce, complaint and auto-reply under the paths read and sent
//! to the sink as it is read; with `--stats-out` the daily counts `mailaudit sender` reads,
//! with `--suppress-out` the suppression list merged into the one already there. Both files
//! are written atomically once every message was read.

use super::registry::{CommandRules, rules_run_by};
use super::sink::ResultSink;
use crate::feedback::outputs::{StatsCounter, SuppressionList};
use crate::feedback::{FeedbackOptions as LibraryOptions, audit_feedback};
use crate::input::{self, InputKind};
use crate::report::Output;
use crate::run::TargetResult;
use anyhow::{Context, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Clone, Debug)]
pub struct FeedbackOptions {
    /// Message files, directories of them (recursively; Maildir too) and mbox files.
    pub paths: Vec<PathBuf>,
    /// The largest file read.
    pub max_size: u64,
    /// Write per (date, domain) bounce and complaint counts here, as a stats file.
    pub stats_out: Option<PathBuf>,
    /// Merge hard bounces and complaints into this suppression list.
    pub suppress_out: Option<PathBuf>,
}

impl FeedbackOptions {
    /// The options with the paths normalised ([`crate::path::normalize`]).
    pub fn normalized(&self) -> FeedbackOptions {
        FeedbackOptions {
            paths: self
                .paths
                .iter()
                .map(|p| crate::path::normalize(p))
                .collect(),
            stats_out: self.stats_out.as_deref().map(crate::path::normalize),
            suppress_out: self.suppress_out.as_deref().map(crate::path::normalize),
            ..self.clone()
        }
    }
}

/// Every path named must exist and be a directory or a regular file (exit 2 otherwise), and
/// an existing suppression list must read whole before anything is done: a bad one stops the
/// run, naming the file and line, and nothing is written.
pub(super) fn check(options: &FeedbackOptions) -> Result<Option<SuppressionList>> {
    for path in &options.paths {
        let meta =
            std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
        if !meta.is_dir() {
            input::check(path, InputKind::Feedback)?;
        }
    }
    let Some(path) = &options.suppress_out else {
        return Ok(None);
    };
    if !path.exists() {
        return Ok(Some(SuppressionList::default()));
    }
    let limit = InputKind::SuppressionList.default_limit();
    let bytes = input::read(path, InputKind::SuppressionList, limit)?;
    let text = String::from_utf8(bytes).map_err(|e| {
        anyhow::anyhow!(
            "{}: byte {} is not UTF-8: not a suppression list",
            crate::path::display(path),
            e.utf8_error().valid_up_to() + 1
        )
    })?;
    Ok(Some(SuppressionList::read(
        &text,
        &crate::path::display(path),
    )?))
}

pub(super) fn run(
    options: &FeedbackOptions,
    rules: &crate::rules::Rules,
    existing: Option<SuppressionList>,
    sink: &mut ResultSink,
) -> Result<()> {
    sink.checked(&rules_run_by(CommandRules::Feedback));
    let library = LibraryOptions {
        max_size: options.max_size,
    };
    let mut stats = StatsCounter::default();
    let mut suppressions = existing;
    audit_feedback::<anyhow::Error>(&options.paths, rules, &library, |done| {
        stats.add(&done.facts);
        if let Some(list) = suppressions.as_mut() {
            list.add(&done.facts, &done.facts.file);
        }
        Ok(sink.emit(TargetResult::from(done))?)
    })?;
    if let Some(path) = &options.stats_out {
        write_atomically(path, &stats.csv())?;
        if stats.without_domain + stats.without_date > 0 {
            eprintln!(
                "mailaudit: {}: {} left out (the bounced message's From domain is unknown), {} left out (no date)",
                crate::path::display(path),
                stats.without_domain,
                stats.without_date
            );
        }
    }
    if let (Some(path), Some(list)) = (&options.suppress_out, &suppressions) {
        write_atomically(path, &list.csv())?;
        if list.without_address + list.without_date > 0 {
            eprintln!(
                "mailaudit: {}: {} hard bounces or complaints name no recipient (an ARF report without Original-Rcpt-To): no row made for them; {} have no date: their rows have empty dates",
                crate::path::display(path),
                list.without_address,
                list.without_date
            );
        }
    }
    Ok(())
}

fn write_atomically(path: &Path, text: &str) -> Result<()> {
    let mut output =
        Output::open(Some(path)).with_context(|| format!("cannot write {}", path.display()))?;
    output
        .write_all(text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    output
        .commit()
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
