//! The campaign's sending statistics (`stats` in the campaign file), scored as
//! `mailaudit sender --merge` scores them (the files' rows summed per key), for the
//! campaign's own domains.

use crate::dns::normalize_name;
use crate::finding::Finding;
use crate::rules::Rules;
use crate::sender::{SenderOptions, SenderResult, audit_files};
use std::path::PathBuf;

/// What the sender scoring contributes to a campaign check.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StatsOutcome {
    /// One result per campaign domain found in the statistics (kind `sender`).
    pub results: Vec<SenderResult>,
    /// The campaign's domains the statistics show as bulk senders (`sender/bulk-sender`: 5,000
    /// or more a day to one provider).
    pub bulk_domains: Vec<String>,
    /// The sending domains of the file that are none of the campaign's (not reported).
    pub other_domains: Vec<String>,
    /// The file was read and scored.
    pub scored: bool,
    /// `sender/no-recent-data` when the file has no row for any of the campaign's domains.
    pub finding: Option<Finding>,
}

/// Score `stats` for the campaign's `domains` (From, envelope, signing), the files' rows
/// summed per key whatever `options.merge` says. An `Err` is an input error of a file, with
/// its line and column, as `mailaudit sender` reports it (exit 2).
pub fn stats_results(
    stats: &[PathBuf],
    domains: &[String],
    options: &SenderOptions,
    rules: &Rules,
) -> Result<StatsOutcome, String> {
    let options = SenderOptions {
        merge: true,
        ..options.clone()
    };
    let run = audit_files(stats, rules, &options).map_err(|e| e.to_string())?;
    let wanted: Vec<String> = domains.iter().map(|d| normalize_name(d)).collect();
    let mut outcome = StatsOutcome {
        scored: true,
        ..StatsOutcome::default()
    };
    for result in run.results {
        let domain = normalize_name(&result.domain);
        if !wanted.contains(&domain) {
            outcome.other_domains.push(result.domain);
            continue;
        }
        if result
            .findings
            .iter()
            .any(|f| f.rule == crate::sender::rules::BULK_SENDER)
        {
            outcome.bulk_domains.push(domain);
        }
        outcome.results.push(result);
    }
    if outcome.results.is_empty() {
        let shown = if outcome.other_domains.is_empty() {
            String::new()
        } else {
            format!(" (it has rows for {})", outcome.other_domains.join(", "))
        };
        outcome.finding = Some(rules.finding(
            crate::sender::rules::NO_RECENT_DATA,
            &stats
                .first()
                .map(|s| s.display().to_string())
                .unwrap_or_default(),
            format!(
                "the statistics have no rows for {}{shown}: the campaign's sending history cannot be judged",
                domains.join(", ")
            ),
        ));
    }
    Ok(outcome)
}
