//! The campaign's sending statistics (`stats` in the campaign file): the seam where the sender
//! scoring of `mailaudit sender` (issue 5, `src/sender/`) plugs into `check`.
//!
//! NOT WIRED YET. The sender scoring is being built on another branch. Until it is merged,
//! `check` only checks that the stats file exists and can be read (when the campaign file is
//! loaded); [`stats_results`] returns no results, and no campaign is considered bulk, so the
//! bulk-sender requirements ([`super::bulk`]) are never raised. The campaign result's facts
//! say so (`stats.scored: false`).

use crate::report::TargetResult;
use crate::rules::Rules;
use std::path::Path;

/// What the sender scoring contributes to a campaign check.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StatsOutcome {
    /// One result per sending domain of the statistics (kind `sender`), findings included.
    pub results: Vec<TargetResult>,
    /// The sending domains the statistics show as bulk senders (`sender/bulk-sender`: 5,000
    /// or more a day to one provider). The campaign's bulk-sender requirements are raised to
    /// error when its From domain is one of them.
    pub bulk_domains: Vec<String>,
    /// False while the scoring is not wired: the file was not read.
    pub scored: bool,
}

/// Score the campaign's sending statistics for its domains (From, envelope, signing).
///
/// Returns no results yet: the sender scoring is not part of this build. When it is, this is
/// the one place to call it: read `stats` (CSV or JSON, input errors as the `sender` command
/// reports them), score the rows of `domains`, return its target results and the bulk
/// domains, and set `scored`. An `Err` is an input error of the file (named, with its line
/// and column), which `check` turns into exit status 2 like `mailaudit sender` does.
pub fn stats_results(
    stats: &Path,
    domains: &[String],
    rules: &Rules,
) -> Result<StatsOutcome, String> {
    let _ = (stats, domains, rules);
    Ok(StatsOutcome::default())
}
