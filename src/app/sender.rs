//! `mailaudit sender`: every stats file read and checked first (a bad row stops the run with
//! exit 2 before any output), then one result per domain.

use super::context::AuditContext;
use super::registry::{CommandRules, rules_run_by};
use super::sink::ResultSink;
use crate::date::Date;
use anyhow::{Result, bail};
use std::path::PathBuf;

#[derive(Clone, Debug, Default)]
pub struct SenderOptions {
    /// Stats files (CSV or JSON).
    pub files: Vec<PathBuf>,
    /// The report's day; default: today (the machine's local date), or the newest date in
    /// the data when that is later.
    pub as_of: Option<Date>,
    /// (domain, date): the domain started its warm-up on that date.
    pub warmup_start: Vec<(String, Date)>,
    /// Domains that are established senders.
    pub established: Vec<String>,
    /// Sum rows of different files with the same key (`--merge`).
    pub merge: bool,
}

impl SenderOptions {
    /// The options with the stats files normalised ([`crate::path::normalize`]).
    pub fn normalized(&self) -> SenderOptions {
        SenderOptions {
            files: self
                .files
                .iter()
                .map(|p| crate::path::normalize(p))
                .collect(),
            ..self.clone()
        }
    }
}

pub(super) fn run(
    options: &SenderOptions,
    ctx: &AuditContext,
    sink: &mut ResultSink,
) -> Result<()> {
    // A finding without a row of its own (no recent data) points at the first stats file.
    sink.locations_mut().default_uri = options.files.first().map(|f| f.display().to_string());
    let mut sender = crate::sender::SenderOptions {
        as_of: options.as_of,
        today: Some(Date::today()),
        merge: options.merge,
        ..Default::default()
    };
    for (domain, date) in &options.warmup_start {
        if sender.warmup_start.insert(domain.clone(), *date).is_some() {
            bail!("--warmup-start is given twice for {domain}");
        }
    }
    for domain in &options.established {
        sender
            .established
            .insert(crate::dns::normalize_name(domain.trim()));
    }
    sink.checked(&rules_run_by(CommandRules::Sender));
    let run = crate::sender::audit_files(&options.files, ctx.rules, &sender)?;
    for result in run.results {
        sink.emit(result.into())?;
    }
    Ok(())
}
