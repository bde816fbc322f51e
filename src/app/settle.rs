//! Settling: each target's findings get the user's rule levels, then the ignores, then the
//! report's order, before any renderer sees them. At the end, ignores that matched nothing
//! among the rules that ran become config/unused-ignore findings.

use crate::config::{self, Config, Suppressor};
use crate::dns::normalize_name;
use crate::finding::{self, Finding};
use crate::rules::{RuleId, Rules};
use crate::run::{Kind, Suppression, SuppressionSource, TargetResult};
use std::collections::{BTreeMap, BTreeSet};

pub struct Settler<'a> {
    rules: &'a Rules,
    suppressor: Suppressor<'a>,
    checked: Vec<RuleId>,
    /// Targets (normalised) where a DNS query failed.
    unevaluated: BTreeSet<String>,
}

impl<'a> Settler<'a> {
    pub fn new(rules: &'a Rules, config: &'a Config) -> Settler<'a> {
        Settler {
            rules,
            suppressor: Suppressor::new(config),
            checked: Vec::new(),
            unevaluated: BTreeSet::new(),
        }
    }

    /// Record that these rules ran, so an ignore of one of them that matched nothing is
    /// reported (config/unused-ignore), and ignores for rules that did not run are not.
    pub fn checked(&mut self, rules: &[RuleId]) {
        self.checked.extend_from_slice(rules);
    }

    /// Repeated DNS failures collapsed, the user's levels, then the ignores (the waived
    /// findings are kept as the result's suppressions), then report order.
    pub fn settle(&mut self, result: &mut TargetResult) {
        crate::dns::rules::collapse(&mut result.findings);
        // An ignore for a target whose DNS failed may have had nothing to match only because
        // its rule could not be evaluated: it is not reported as unused.
        for f in &result.findings {
            if f.rule == crate::dns::rules::INCONCLUSIVE {
                self.unevaluated.insert(normalize_name(&f.target));
                self.unevaluated.insert(normalize_name(&result.target));
            }
        }
        self.rules.apply_levels(&mut result.findings);
        // Inline ignores were applied by the family, before the user's levels.
        let inline = std::mem::take(&mut result.suppressed);
        result.suppressed = inline
            .into_iter()
            .filter_map(|mut suppression| {
                suppression.finding = self.rules.apply_level(suppression.finding)?;
                Some(suppression)
            })
            .collect();
        for (finding, ignore) in self.suppressor.waive(&result.target, &mut result.findings) {
            result
                .suppressed
                .push(Suppression::new(finding, ignore, SuppressionSource::Config));
        }
        finding::sort_findings(&mut result.findings);
        result
            .suppressed
            .sort_by(|a, b| a.finding.sort_key().cmp(&b.finding.sort_key()));
    }

    /// One `config` result per configuration file with ignores that matched nothing.
    pub fn unused_ignores(&self) -> Vec<TargetResult> {
        let mut unused = self.suppressor.unused(&self.checked);
        // Its rule may not have been evaluated where a query failed: for an ignore of that
        // target, or of any target when some query failed.
        unused.retain(|ignore| match ignore.target.as_deref() {
            Some(target) => !self.unevaluated.contains(&normalize_name(target)),
            None => self.unevaluated.is_empty() || !is_dns_rule(&ignore.rule),
        });
        let mut by_file: BTreeMap<String, Vec<Finding>> = BTreeMap::new();
        for finding in config::unused_ignore_findings(self.rules, &unused) {
            by_file
                .entry(finding.target.clone())
                .or_default()
                .push(finding);
        }
        by_file
            .into_iter()
            .map(|(file, mut findings)| {
                self.rules.apply_levels(&mut findings);
                finding::sort_findings(&mut findings);
                let mut result = TargetResult::new(file, Kind::Config);
                result.findings = findings;
                result
            })
            .collect()
    }
}

/// Whether `rule` belongs to a family that asks DNS (its verdicts rest on DNS answers).
fn is_dns_rule(rule: &str) -> bool {
    use crate::app::registry::FAMILIES;
    FAMILIES.iter().any(|family| {
        (family.rules.contains(&crate::dns::rules::INCONCLUSIVE) || family.name == "campaign")
            && family.rules.iter().any(|id| *id == rule)
    })
}
