//! The campaign gate, `mailaudit check` (SPEC §4.7): a campaign file names the From and
//! envelope addresses, the sending IPs, the DKIM selector, the drafts and the sending
//! statistics of one planned send; the check runs the domain audit, the draft lint and the
//! DMARC outcome simulation over them and produces one report.
//!
//! - [`file`]: the campaign file (`campaign.toml`), its keys and their lines.
//! - [`simulate`]: the DMARC outcome simulation and `dmarc/would-fail`.
//! - [`check`]: the orchestration, `campaign/from-mismatch`, and the locations of findings.
//! - [`stats`]: the sender scoring of the campaign's statistics, for its domains.
//! - [`bulk`]: the bulk-sender requirements raised to error for bulk senders.

pub mod bulk;
pub mod check;
pub mod file;
pub mod rules;
pub mod simulate;
pub mod stats;

pub use check::{
    CampaignFacts, CampaignResult, CheckOptions, CheckResult, ListInputError, StatsDating,
    StatsInputError, check_campaign, is_bulk, score_stats,
};
pub use file::{Campaign, CampaignError, KeyLines};
pub use simulate::{DmarcResult, KeyStatus, Simulation, simulate};
pub use stats::{StatsOutcome, stats_results};
