//! `mailaudit check`: the pre-send gate for one campaign. DNS from --zone/--nameserver when
//! given, else from the campaign's `zones`, else live.

use super::context::{AuditContext, runtime};
use super::registry::{CommandRules, rules_run_by};
use super::{Command, CommonOptions, ResultSink, Settings, audit_in, workers};
use crate::campaign::Campaign;
use crate::date::Date;
use crate::dns::Resolver;
use crate::message::DkimVerifier;
use crate::run::Verdict;
use anyhow::Result;
use std::path::PathBuf;

#[derive(Clone, Debug)]
pub struct CheckOptions {
    /// The campaign file (paths in it are relative to its directory).
    pub campaign: PathBuf,
    /// Drafts larger than this are not parsed but reported (message/too-large).
    pub max_size: u64,
    /// The day the statistics are judged on; default: today (the machine's local date).
    pub as_of: Option<Date>,
}

impl CheckOptions {
    /// The options with the campaign path normalised ([`crate::path::normalize`]); the
    /// paths the campaign file names are normalised when it is loaded ([`super::Settings`]).
    pub fn normalized(&self) -> CheckOptions {
        CheckOptions {
            campaign: crate::path::normalize(&self.campaign),
            ..self.clone()
        }
    }
}

pub(super) fn run(
    common: &CommonOptions,
    settings: &Settings,
    command: &Command,
    options: &CheckOptions,
) -> Result<Verdict> {
    let Some(campaign) = &settings.campaign else {
        unreachable!("the settings of `check` hold its campaign")
    };
    // The statistics first: a bulk sender's requirements are errors over the whole report,
    // whatever severity the profile or the user's files give them.
    let dating = crate::campaign::StatsDating {
        as_of: options.as_of,
        today: Some(Date::today()),
    };
    let stats = crate::campaign::score_stats(campaign, &settings.rules, dating)?;
    let mut settings = settings.clone();
    if crate::campaign::is_bulk(campaign, &stats) {
        settings
            .rules
            .raise_to_error(crate::campaign::bulk::bulk_requirements());
    }
    let ctx = AuditContext::for_campaign(&common.dns, &settings.rules, &campaign.zones)?;
    audit_in(common, &settings, command, None, &ctx, |ctx, sink| {
        let runtime = runtime()?;
        let resolver = ctx.resolver()?;
        check(options, campaign, stats, ctx, &resolver, &runtime, sink)
    })
}

/// The campaign's results, settled by the sink as they come.
fn check(
    options: &CheckOptions,
    campaign: &Campaign,
    stats: crate::campaign::StatsOutcome,
    ctx: &AuditContext,
    resolver: &Resolver,
    runtime: &tokio::runtime::Runtime,
    sink: &mut ResultSink,
) -> Result<()> {
    sink.checked(&rules_run_by(CommandRules::Check));
    // SARIF and github: a finding without a file of its own (a record span) points at the
    // campaign file's key that names its domain or IP, else at the campaign file.
    let locations = sink.locations_mut();
    for (target, line) in crate::campaign::check::target_lines(campaign) {
        locations.add_fallback(&target, campaign.source.clone(), line);
    }
    locations.default_uri = Some(campaign.source.clone());
    let check_options = crate::campaign::CheckOptions {
        concurrency: ctx.concurrency.get(),
        workers: workers(ctx.concurrency.get()),
        max_size: options.max_size,
        dkim: Some(DkimVerifier {
            resolver: resolver.clone(),
            runtime: runtime.handle().clone(),
            now: None,
        }),
        stats: Some(stats),
        // The stats are scored already; the reports' window ends on the same day.
        dating: crate::campaign::StatsDating {
            as_of: options.as_of,
            today: Some(Date::today()),
        },
    };
    crate::campaign::check_campaign(
        campaign,
        resolver,
        runtime.handle(),
        ctx.rules,
        &check_options,
        |done| {
            let result = done.map_err(|name| {
                anyhow::anyhow!("the audit of {name} stopped unexpectedly (a bug in mailaudit)")
            })?;
            Ok::<(), anyhow::Error>(sink.emit(result.into())?)
        },
    )
}
