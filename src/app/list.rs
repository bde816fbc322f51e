//! `mailaudit list`: one recipients file checked against the suppression lists, the address
//! syntax and the data lists, and, when the run was given a DNS source (`--zone`,
//! `--nameserver`) or `--check-mx`, each distinct domain's MX. `--clean-out` writes the rows
//! no removing rule flagged, atomically ([`crate::report::Output`]).

use super::context::{AuditContext, runtime};
use super::registry::{CommandRules, rules_run_by};
use super::sink::ResultSink;
use crate::list::audit::{CleanTarget, read_suppressions};
use crate::list::{ListOptions as LibraryOptions, MxChecker, audit_list};
use crate::run::Mode;
use anyhow::{Context, Result};
use std::path::PathBuf;

#[derive(Clone, Debug)]
pub struct ListOptions {
    /// The recipients CSV.
    pub recipients: PathBuf,
    /// Suppression lists (CSV with an address or email column, or one address per line).
    pub suppressions: Vec<PathBuf>,
    /// Write the list without the rows the removing rules flagged.
    pub clean_out: Option<PathBuf>,
    /// `--clean-out` also removes role accounts and typo domains.
    pub strict: bool,
    /// Check the domains' MX with the system's resolvers even without --zone or --nameserver.
    pub check_mx: bool,
    /// The largest recipients file read.
    pub max_size: u64,
}

impl ListOptions {
    /// The options with the paths normalised ([`crate::path::normalize`]).
    pub fn normalized(&self) -> ListOptions {
        ListOptions {
            recipients: crate::path::normalize(&self.recipients),
            suppressions: self
                .suppressions
                .iter()
                .map(|p| crate::path::normalize(p))
                .collect(),
            clean_out: self.clean_out.as_deref().map(crate::path::normalize),
            ..self.clone()
        }
    }
}

fn checks_mx(options: &ListOptions, ctx: &AuditContext) -> bool {
    ctx.dns_given() || options.check_mx
}

/// The report's mode: where the domains' MX records came from, if they were asked.
pub(super) fn mode(options: &ListOptions, ctx: &AuditContext) -> Mode {
    Mode::List {
        dns: checks_mx(options, ctx).then(|| Box::new(ctx.mode.clone())),
    }
}

pub(super) fn run(options: &ListOptions, ctx: &AuditContext, sink: &mut ResultSink) -> Result<()> {
    // A suppression list that cannot be read in full stops the run: its entries would be
    // mailed otherwise.
    let suppressions = read_suppressions(&options.suppressions)?;
    let runtime = runtime()?;
    let mx = if checks_mx(options, ctx) {
        Some(MxChecker {
            resolver: ctx.resolver()?,
            runtime: runtime.handle().clone(),
            concurrency: ctx.concurrency.get(),
        })
    } else {
        None
    };
    let library = LibraryOptions {
        max_size: options.max_size,
        strict: options.strict,
    };
    sink.checked(&rules_run_by(CommandRules::List));
    let mut output = match &options.clean_out {
        Some(path) => Some((
            crate::report::Output::open(Some(path))
                .with_context(|| format!("cannot write the cleaned list {}", path.display()))?,
            crate::path::display(path),
        )),
        None => None,
    };
    let clean = output.as_mut().map(|(out, name)| CleanTarget {
        name: name.clone(),
        out,
    });
    let result = audit_list(
        &options.recipients,
        &suppressions,
        ctx.rules,
        &library,
        mx.as_ref(),
        clean,
    )?;
    if let Some((out, name)) = output {
        out.commit()
            .with_context(|| format!("cannot write the cleaned list {name}"))?;
    }
    sink.emit(result.into())?;
    Ok(())
}
