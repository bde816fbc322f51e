//! `mailaudit reports`: every report under the paths read and sent to the sink as it is
//! read, then one result per header_from domain. Sources are attributed through DNS when
//! the run was given a DNS source (`--zone`, `--nameserver`) or `--attribute`.

use super::context::{AuditContext, runtime};
use super::registry::{CommandRules, rules_run_by};
use super::sink::ResultSink;
use crate::date::Date;
use crate::reports::{Attributor, ReportsOptions as LibraryOptions, audit_reports};
use crate::run::Mode;
use anyhow::{Context, Result};
use std::path::PathBuf;

#[derive(Clone, Debug)]
pub struct ReportsOptions {
    /// Report files, directories of them (recursively; Maildir too) and mbox files.
    pub paths: Vec<PathBuf>,
    /// Attribute sources with the system's resolvers even without --zone or --nameserver.
    pub attribute: bool,
    /// The largest file read.
    pub max_size: u64,
    /// The day `reports/authorised-source-failing`'s window ends on.
    pub as_of: Option<Date>,
}

impl ReportsOptions {
    /// The options with the paths normalised ([`crate::path::normalize`]).
    pub fn normalized(&self) -> ReportsOptions {
        ReportsOptions {
            paths: self
                .paths
                .iter()
                .map(|p| crate::path::normalize(p))
                .collect(),
            ..self.clone()
        }
    }
}

/// Every path named must exist, and be a directory or a regular file: a mistyped path or a
/// FIFO is a usage error (exit 2), not a clean run or one that waits for a writer. What the
/// files hold is judged when they are read: a bad one is a finding and the run goes on.
pub(super) fn check_paths(paths: &[PathBuf]) -> Result<()> {
    for path in paths {
        let meta =
            std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
        if !meta.is_dir() {
            crate::input::check(path, crate::input::InputKind::Report)?;
        }
    }
    Ok(())
}

fn attributes(options: &ReportsOptions, ctx: &AuditContext) -> bool {
    ctx.dns_given() || options.attribute
}

/// The report's mode: where the sources were attributed from, if they were.
pub(super) fn mode(options: &ReportsOptions, ctx: &AuditContext) -> Mode {
    Mode::Reports {
        dns: attributes(options, ctx).then(|| Box::new(ctx.mode.clone())),
    }
}

pub(super) fn run(
    options: &ReportsOptions,
    ctx: &AuditContext,
    sink: &mut ResultSink,
) -> Result<()> {
    let runtime = runtime()?;
    let attributor = if attributes(options, ctx) {
        Some(Attributor {
            resolver: ctx.resolver()?,
            runtime: runtime.handle().clone(),
            concurrency: ctx.concurrency.get(),
        })
    } else {
        None
    };
    let library = LibraryOptions {
        max_size: options.max_size,
        as_of: options.as_of,
    };
    sink.checked(&rules_run_by(CommandRules::Reports));
    audit_reports::<anyhow::Error>(
        &options.paths,
        ctx.rules,
        &library,
        attributor.as_ref(),
        |done| Ok(sink.emit(done.into())?),
    )
}
