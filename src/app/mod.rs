//! The application: the one pipeline every command runs, and the only layer that knows the
//! commands. Options -> [`Settings`] (rule data, profile, the user's files, a campaign's own
//! rules) -> [`AuditContext`] (zones or live DNS, concurrency) -> the command's runner ->
//! [`ResultSink`] (settling: user levels, ignores, unused ignores; then rendering) -> the
//! [`Verdict`] at `--fail-on`, which the binary turns into an exit code.
//!
//! Errors here are `anyhow` chains: they end on the terminal with their context, and the
//! typed errors of the layers below (zone files, campaign files, stats rows) keep their
//! file:line messages inside them.

mod check;
pub mod context;
mod domain;
mod feedback;
mod list;
mod message;
pub mod registry;
mod reports;
mod rules;
mod sender;
pub mod settings;
pub mod settle;
pub mod sink;
mod spf;

pub use check::CheckOptions;
pub use context::{AuditContext, DnsOptions};
pub use domain::DomainOptions;
pub use feedback::FeedbackOptions;
pub use list::ListOptions;
pub use message::MessageOptions;
pub use reports::ReportsOptions;
pub use sender::SenderOptions;
pub use settings::Settings;
pub use sink::ResultSink;
pub use spf::SpfOptions;

use crate::finding::Severity;
use crate::report::Format;
use crate::run::{Mode, Verdict};
use anyhow::Result;
use std::path::PathBuf;

/// The options every command shares.
#[derive(Clone, Debug)]
pub struct CommonOptions {
    pub dns: DnsOptions,
    pub format: Format,
    /// Write the report here instead of standard output: a regular file (or a new path)
    /// atomically, a FIFO or device directly ([`crate::report::Output`]).
    pub output: Option<PathBuf>,
    /// Rule overrides and ignores, layered on ./mailaudit.toml when that exists.
    pub rules: Option<PathBuf>,
    /// `--fail-on`: findings at or above this severity fail the gate; `None` never fails.
    pub fail_on: Option<Severity>,
}

/// A command and its own options.
#[derive(Clone, Debug)]
pub enum Command {
    /// `mailaudit rules [RULE]`.
    Rules {
        rule: Option<String>,
    },
    Domain(DomainOptions),
    Spf(SpfOptions),
    Message(MessageOptions),
    Check(CheckOptions),
    Sender(SenderOptions),
    Reports(ReportsOptions),
    Feedback(FeedbackOptions),
    List(ListOptions),
}

impl CommonOptions {
    /// The options with every input path normalised ([`crate::path::normalize`]).
    pub fn normalized(&self) -> CommonOptions {
        CommonOptions {
            dns: self.dns.normalized(),
            rules: self.rules.as_deref().map(crate::path::normalize),
            ..self.clone()
        }
    }
}

impl Command {
    /// The command with every input path normalised ([`crate::path::normalize`]).
    pub fn normalized(&self) -> Command {
        match self {
            Command::Rules { .. } | Command::Spf(_) => self.clone(),
            Command::Domain(options) => Command::Domain(options.normalized()),
            Command::Message(options) => Command::Message(options.normalized()),
            Command::Check(options) => Command::Check(options.normalized()),
            Command::Sender(options) => Command::Sender(options.normalized()),
            Command::Reports(options) => Command::Reports(options.normalized()),
            Command::Feedback(options) => Command::Feedback(options.normalized()),
            Command::List(options) => Command::List(options.normalized()),
        }
    }

    /// The name a report gives its command.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Rules { .. } => "rules",
            Command::Domain(_) => "domain",
            Command::Spf(_) => "spf",
            Command::Message(_) => "message",
            Command::Check(_) => "check",
            Command::Sender(_) => "sender",
            Command::Reports(_) => "reports",
            Command::Feedback(_) => "feedback",
            Command::List(_) => "list",
        }
    }
}

/// Run `command`: the report goes to the output, and the gate's verdict at `--fail-on` comes
/// back (the binary turns it into the exit status). `rules` always passes.
pub fn run(common: &CommonOptions, command: &Command) -> Result<Verdict> {
    // Every input path in its one form (`crate::path`) before anything else sees it.
    let (common, command) = (&common.normalized(), &command.normalized());
    if common.format == Format::Csv
        && !matches!(
            command,
            Command::Reports(_) | Command::Feedback(_) | Command::Rules { .. }
        )
    {
        anyhow::bail!(
            "--format csv writes the rows of DMARC aggregate reports and of feedback messages: \
             only `mailaudit reports` and `mailaudit feedback` take it (use json or jsonl)"
        );
    }
    let settings = Settings::load(common, command)?;
    match command {
        Command::Rules { rule } => rules::show(common, &settings.rules, rule.as_deref()),
        Command::Domain(options) => audit(common, &settings, command, None, |ctx, sink| {
            domain::run(options, ctx, sink)
        }),
        Command::Spf(options) => audit(common, &settings, command, None, |ctx, sink| {
            spf::run(options, ctx, sink)
        }),
        Command::Message(options) => {
            message::check_paths(&options.paths)?;
            let ctx = AuditContext::new(&common.dns, &settings.rules)?;
            let mode = message::mode(options, &ctx);
            audit_in(common, &settings, command, Some(mode), &ctx, |ctx, sink| {
                message::run(options, ctx, sink)
            })
        }
        Command::Check(options) => check::run(common, &settings, command, options),
        Command::Reports(options) => {
            reports::check_paths(&options.paths)?;
            let ctx = AuditContext::new(&common.dns, &settings.rules)?;
            let mode = reports::mode(options, &ctx);
            audit_in(common, &settings, command, Some(mode), &ctx, |ctx, sink| {
                reports::run(options, ctx, sink)
            })
        }
        Command::Feedback(options) => {
            let existing = feedback::check(options)?;
            audit(
                common,
                &settings,
                command,
                Some(Mode::Feedback),
                |ctx, sink| feedback::run(options, ctx.rules, existing, sink),
            )
        }
        Command::List(options) => {
            let ctx = AuditContext::new(&common.dns, &settings.rules)?;
            let mode = list::mode(options, &ctx);
            audit_in(common, &settings, command, Some(mode), &ctx, |ctx, sink| {
                list::run(options, ctx, sink)
            })
        }
        Command::Sender(options) => {
            let mode = Mode::Stats {
                files: options
                    .files
                    .iter()
                    .map(|f| f.display().to_string())
                    .collect(),
            };
            audit(common, &settings, command, Some(mode), |ctx, sink| {
                sender::run(options, ctx, sink)
            })
        }
    }
}

/// The shared path of every audit command: run it, settle and render its results, return
/// the verdict. `mode` is the report's mode when the command says how it read its
/// files instead of taking it from the DNS options.
fn audit(
    common: &CommonOptions,
    settings: &Settings,
    command: &Command,
    mode: Option<Mode>,
    run: impl FnOnce(&AuditContext, &mut ResultSink) -> Result<()>,
) -> Result<Verdict> {
    let ctx = AuditContext::new(&common.dns, &settings.rules)?;
    audit_in(common, settings, command, mode, &ctx, run)
}

/// [`audit`] in a context the command built itself (`check` may take its zones from the
/// campaign file).
fn audit_in(
    common: &CommonOptions,
    settings: &Settings,
    command: &Command,
    mode: Option<Mode>,
    ctx: &AuditContext,
    run: impl FnOnce(&AuditContext, &mut ResultSink) -> Result<()>,
) -> Result<Verdict> {
    let mode = mode.unwrap_or_else(|| ctx.mode.clone());
    let mut sink = ResultSink::open(
        &settings.rules,
        &settings.config,
        common,
        command.name(),
        mode,
    )?;
    // SARIF and github locations: paths relative to the working directory. A DNS target
    // that no input line names (a campaign file, a --domains-file) has no file location: a
    // zone file is where answers came from, not where the target was named.
    sink.locations_mut().root = std::env::current_dir().ok();
    run(ctx, &mut sink)?;
    Ok(sink.finish()?)
}

/// The cores to lint drafts on: one thread per core, at most `concurrency`.
fn workers(concurrency: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    cores.min(concurrency)
}
