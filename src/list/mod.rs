//! List hygiene before a send (SPEC: `mailaudit list`): a recipients CSV checked against
//! suppression lists, address syntax, role accounts, duplicates after normalisation,
//! disposable and typo domains, and, with DNS, whether each domain can receive mail.
//!
//! - [`address`]: the accepted address syntax, the normal form, the mask for a person.
//! - [`suppression`]: the suppression lists (`mailaudit feedback --suppress-out`, ESP
//!   exports, plain text).
//! - [`recipients`]: the recipients file, streamed row by row.
//! - [`audit`]: the checks, aggregated per rule, and `--clean-out`.
//! - [`facts`]: what the renderers read.

pub mod address;
pub mod audit;
pub mod facts;
pub mod lists;
pub mod recipients;
pub mod rules;
pub mod suppression;

pub use audit::{ListOptions, ListResult, MxChecker, audit_list};
pub use facts::ListFacts;
pub use suppression::{Reason, Suppressions};

use crate::input::InputError;

/// Why the list could not be checked at all (exit 2). A bad recipient row is a finding
/// instead (`list/unreadable-row`, `list/invalid-address`).
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error("cannot read {file}: {reason}")]
    Read { file: String, reason: String },
    /// A suppression row that cannot be read: the list could not be honoured in full.
    #[error("{file}:{line}: {message}")]
    Suppression {
        file: String,
        line: u64,
        message: String,
    },
    /// The recipients file has no header or no address column.
    #[error("{file}:{line}: {message}")]
    Recipients {
        file: String,
        line: u64,
        message: String,
    },
    #[error("cannot write the cleaned list {file}: {reason}")]
    Write { file: String, reason: String },
}

/// The key duplicates and suppressions are compared by: 128 bits of SipHash of the normal
/// form (two keyed passes), so memory grows by 16 bytes per distinct address, not by its
/// text. Two different addresses share a key with probability about n²/2¹²⁹: never, for
/// any list that fits the input limit.
pub fn address_key(normal: &str) -> AddressKey {
    use std::hash::Hasher;
    let half = |salt: u8| {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        hasher.write_u8(salt);
        hasher.write(normal.as_bytes());
        hasher.finish()
    };
    (half(0), half(1))
}

/// The 128-bit key of an address ([`address_key`]): two halves, so a hash table entry is
/// aligned to 8 bytes, not 16.
pub type AddressKey = (u64, u64);
