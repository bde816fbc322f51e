//! `mailaudit domain`: each domain of the list, up to `--concurrency` at once, all sharing
//! one resolver (and so one DNS cache); results go to the sink as each domain finishes.

use super::context::{AuditContext, runtime};
use super::registry::{CommandRules, rules_run_by};
use super::sink::ResultSink;
use crate::domain::{DomainRequest, audit_domains};
use crate::input::{self, InputKind};
use crate::report::SarifContext;
use anyhow::{Result, bail};
use std::io::{self, IsTerminal};
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Clone, Debug, Default)]
pub struct DomainOptions {
    /// Sending domains to audit.
    pub domains: Vec<String>,
    /// More domains, one per line (# starts a comment).
    pub domains_file: Option<PathBuf>,
    /// DKIM selectors to check; without any, common selectors are probed.
    pub selectors: Vec<String>,
    /// Sending IPs: the SPF result and reverse DNS for each.
    pub ips: Vec<IpAddr>,
    /// Envelope sender (MAIL FROM) whose domain SPF is checked for.
    pub mail_from: Option<String>,
    /// HELO/EHLO name of the sending server.
    pub helo: Option<String>,
}

impl DomainOptions {
    /// The options with the domains file normalised ([`crate::path::normalize`]).
    pub fn normalized(&self) -> DomainOptions {
        DomainOptions {
            domains_file: self.domains_file.as_deref().map(crate::path::normalize),
            ..self.clone()
        }
    }
}

impl DomainOptions {
    /// The domains from the command line, then those of the domains file; each domain of the
    /// file is recorded in `locations` with its line, for SARIF and github output.
    pub fn domain_list(&self, locations: &mut SarifContext) -> Result<Vec<String>> {
        let mut domains = self.domains.clone();
        if let Some(path) = &self.domains_file {
            let limit = InputKind::DomainsFile.default_limit();
            let text = input::read_to_string(path, InputKind::DomainsFile, limit)?;
            let file = path.display().to_string();
            for (number, line) in text.lines().enumerate() {
                let line = line.split('#').next().unwrap_or("").trim();
                if !line.is_empty() {
                    let number = u32::try_from(number + 1).unwrap_or(u32::MAX);
                    locations.add_fallback(line, &file, number);
                    domains.push(line.to_string());
                }
            }
        }
        if domains.is_empty() {
            bail!("no domains to audit");
        }
        // The same domain twice (any case, trailing dot or not) is audited once.
        let mut seen = std::collections::HashSet::new();
        domains.retain(|d| seen.insert(crate::dns::normalize_name(d)));
        Ok(domains)
    }
}

pub(super) fn run(
    options: &DomainOptions,
    ctx: &AuditContext,
    sink: &mut ResultSink,
) -> Result<()> {
    let domains = options.domain_list(sink.locations_mut())?;
    let runtime = runtime()?;
    let resolver = ctx.resolver()?;
    let rules = Arc::new(ctx.rules.clone());
    sink.checked(&rules_run_by(CommandRules::Domain));
    let domains_count = domains.len();
    let requests = domains.into_iter().map(|domain| DomainRequest {
        domain,
        selectors: options.selectors.clone(),
        ips: options.ips.clone(),
        mail_from: options.mail_from.clone(),
        helo: options.helo.clone(),
    });
    let progress = progress_bar(domains_count as u64);
    let outcome = runtime.block_on(audit_domains(
        &resolver,
        &rules,
        requests,
        ctx.concurrency.get(),
        |audit| {
            progress.inc(1);
            let audit = audit.map_err(|domain| {
                anyhow::anyhow!("the audit of {domain} stopped unexpectedly (a bug in mailaudit)")
            })?;
            Ok(sink.emit(audit.into())?)
        },
    ));
    progress.finish_and_clear();
    outcome
}

/// A progress bar on stderr, drawn only when stderr is a terminal and there is more than one
/// target; the report on stdout is never touched.
fn progress_bar(targets: u64) -> indicatif::ProgressBar {
    if targets < 2 || !io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(targets),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} domains {per_sec} {eta}")
    {
        bar.set_style(style);
    }
    bar
}
