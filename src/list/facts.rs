//! The facts of one recipients file, as the renderers read them. Addresses are kept as
//! written in the facts (the JSON needs them to act on); the terminal report masks them.

use super::suppression::SuppressionFile;
use serde::Serialize;

/// One flagged row shown (the first few of each rule).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FlaggedRow {
    pub line: u64,
    /// The address field as written (empty for a row that could not be read).
    pub address: String,
    /// Why: the suppression reason and list, the syntax error, the first row of a
    /// duplicate, the likely intended domain.
    pub detail: String,
}

/// The rows one rule flagged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Flagged {
    pub rule: String,
    pub rows: u64,
    /// Whether `--clean-out` leaves these rows out.
    pub removed: bool,
    /// The first rows, in file order.
    pub examples: Vec<FlaggedRow>,
}

/// What DNS said of the recipients' domains.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DomainCounts {
    /// Distinct domains asked about (address literals are not).
    pub checked: u64,
    /// With an MX set.
    pub mx: u64,
    /// No MX but an A or AAAA record: mail goes to that host (RFC 5321 §5.1).
    pub implicit_mx: u64,
    pub null_mx: u64,
    /// Neither MX nor A/AAAA, or the domain does not exist.
    pub no_mail: u64,
    /// A query failed: not concluded (`dns/inconclusive`).
    pub inconclusive: u64,
}

/// What `--clean-out` wrote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CleanOut {
    pub file: String,
    pub kept: u64,
    pub removed: u64,
}

/// One recipients file checked.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ListFacts {
    pub file: String,
    /// The header's address column as written.
    pub column: String,
    /// Data rows (lines after the header that are not blank).
    pub rows: u64,
    /// Rows with a valid address.
    pub valid: u64,
    /// Distinct addresses after normalisation.
    pub distinct: u64,
    /// Distinct domains of the valid addresses.
    pub domains: u64,
    pub suppression_files: Vec<SuppressionFile>,
    /// `None` when no DNS was asked (no --zone, --nameserver or --check-mx).
    pub dns: Option<DomainCounts>,
    /// The rules that flagged rows, in rule order.
    pub flagged: Vec<Flagged>,
    /// Role accounts and typo domains are removed too (`--strict`).
    pub strict: bool,
    pub clean_out: Option<CleanOut>,
}
