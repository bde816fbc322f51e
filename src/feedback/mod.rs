//! What comes back after a send (SPEC: `mailaudit feedback`): bounces (RFC 3464 DSNs and the
//! text of MTAs that write none), complaints (RFC 5965 ARF, Amazon SES notifications) and
//! automatic replies (RFC 3834), each message read into one row per recipient with its kind,
//! hard or soft, reason and status code (RFC 3463); and from the rows the stats `mailaudit
//! sender` reads and a suppression list.

pub mod audit;
pub mod classify;
pub mod facts;
pub mod mail;
pub mod outputs;
pub mod read;
pub mod rules;

pub use audit::{FeedbackOptions, FeedbackResult, audit_feedback};
pub use facts::{BounceClass, FeedbackFacts, FeedbackFormat, FeedbackKind, Reason, RecipientRow};
pub use read::{ReadError, Reading, read_message, read_message_fully_parsed};
