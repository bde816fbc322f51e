//! `mailaudit spf`: `check_host()` for one (ip, domain, sender): the result, the deciding
//! term, the explanation and the trace go in the facts; a result other than pass is a
//! finding.

use super::context::{AuditContext, runtime};
use super::registry::{CommandRules, rules_run_by};
use super::sink::ResultSink;
use crate::run::{Kind, TargetResult};
use crate::spf::check_host::{CheckHostFacts, CheckHostInput, CheckHostOptions, check_host};
use anyhow::Result;
use std::net::IpAddr;

#[derive(Clone, Debug)]
pub struct SpfOptions {
    /// Domain whose SPF policy is evaluated.
    pub domain: String,
    /// Sending IP to evaluate.
    pub ip: IpAddr,
    /// Envelope sender (MAIL FROM); postmaster@DOMAIN when not given.
    pub mail_from: Option<String>,
    /// HELO/EHLO name of the sending server; the domain when not given.
    pub helo: Option<String>,
}

pub(super) fn run(options: &SpfOptions, ctx: &AuditContext, sink: &mut ResultSink) -> Result<()> {
    let runtime = runtime()?;
    let resolver = ctx.resolver()?;
    let domain = crate::dns::normalize_name(&options.domain);
    let input = CheckHostInput {
        ip: options.ip,
        domain: domain.clone(),
        sender: options
            .mail_from
            .clone()
            .unwrap_or_else(|| format!("postmaster@{domain}")),
        helo: options.helo.clone().unwrap_or_else(|| domain.clone()),
    };
    let outcome = runtime.block_on(check_host(&resolver, &input, &CheckHostOptions::default()));
    sink.checked(&rules_run_by(CommandRules::Spf));
    let mut result = TargetResult::new(domain.clone(), Kind::Spf);
    result.findings = crate::domain::ip_verdict_findings(ctx.rules, &domain, &input, &outcome);
    result.result = Some(outcome.result.as_str().to_string());
    result.facts = CheckHostFacts {
        outcome,
        ip: input.ip,
        sender: input.sender,
        helo: input.helo,
    }
    .into();
    Ok(sink.emit(result)?)
}
