//! `mailaudit message`: every draft on up to one thread per core (at most --concurrency),
//! results to the sink in walk order as they finish, then each directory's sequence result.

use super::context::{AuditContext, runtime};
use super::registry::{CommandRules, rules_run_by};
use super::sink::ResultSink;
use super::workers;
use crate::message::{DkimVerifier, DraftOptions};
use crate::run::Mode;
use anyhow::{Context, Result, bail};
use std::path::PathBuf;

#[derive(Clone, Debug)]
pub struct MessageOptions {
    /// Draft files and directories of drafts (.eml, searched recursively).
    pub paths: Vec<PathBuf>,
    /// The drafts are sequence templates: merge tags are expected, and a platform
    /// unsubscribe token counts as an https one-click link.
    pub template: bool,
    /// The profile (`rules/profiles/NAME.toml`) for this kind of mail.
    pub profile: String,
    /// Drafts larger than this are not parsed but reported (message/too-large).
    pub max_size: u64,
    /// Verify DKIM-Signature headers against keys from live DNS even without --zone or
    /// --nameserver.
    pub verify_dkim: bool,
    /// The clock for DKIM x= expiry, in Unix seconds.
    pub dkim_now: Option<u64>,
}

impl MessageOptions {
    /// The options with the draft paths normalised ([`crate::path::normalize`]).
    pub fn normalized(&self) -> MessageOptions {
        MessageOptions {
            paths: self
                .paths
                .iter()
                .map(|p| crate::path::normalize(p))
                .collect(),
            ..self.clone()
        }
    }
}

/// Every path named on the command line must exist, a directory must hold drafts and
/// anything else must be a regular file: a mistyped path, an empty directory or a FIFO is a
/// usage error (exit 2), not a clean run or a run that waits for a writer.
pub(super) fn check_paths(paths: &[PathBuf]) -> Result<()> {
    for path in paths {
        let meta =
            std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
        if meta.is_dir() {
            if !crate::message::run::has_drafts(path) {
                bail!("no .eml drafts under {}", path.display());
            }
        } else {
            crate::input::check(path, crate::input::InputKind::Draft)?;
        }
    }
    Ok(())
}

/// The report's mode: the profile and how drafts were read, and where DNS for their DKIM
/// signatures came from when they were verified (see [`run`]).
pub(super) fn mode(options: &MessageOptions, ctx: &AuditContext) -> Mode {
    Mode::Drafts {
        profile: options.profile.clone(),
        template: options.template,
        dns: verifies_dkim(options, ctx).then(|| Box::new(ctx.mode.clone())),
    }
}

/// DKIM signatures are verified when the run was given a DNS source or `--verify-dkim`.
fn verifies_dkim(options: &MessageOptions, ctx: &AuditContext) -> bool {
    ctx.dns_given() || options.verify_dkim
}

pub(super) fn run(
    options: &MessageOptions,
    ctx: &AuditContext,
    sink: &mut ResultSink,
) -> Result<()> {
    let runtime = runtime()?;
    let dkim = if verifies_dkim(options, ctx) {
        Some(DkimVerifier {
            resolver: ctx.resolver()?,
            runtime: runtime.handle().clone(),
            now: options.dkim_now,
        })
    } else {
        None
    };
    let draft_options = DraftOptions {
        template: options.template,
        max_size: options.max_size,
        dkim,
    };
    sink.checked(&rules_run_by(CommandRules::Message));
    let workers = workers(ctx.concurrency.get());
    crate::message::audit_paths(&options.paths, ctx.rules, &draft_options, workers, |done| {
        let done = done.map_err(|path| {
            anyhow::anyhow!("the audit of {path} stopped unexpectedly (a bug in mailaudit)")
        })?;
        Ok(sink.emit(done.into())?)
    })
}
