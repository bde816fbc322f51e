//! DMARC (RFC 7489, with RFC 9091's `np` and notes where DMARCbis, RFC 9989, differs): the
//! policy record parser and the audit of the record a domain publishes at `_dmarc.DOMAIN` or
//! inherits from its organizational domain ([`crate::dns::orgdomain`]).

pub mod audit;
pub mod record;
pub mod rules;

pub use audit::{DmarcAudit, DmarcFacts, audit_dmarc};
pub use record::{
    Alignment, BisNote, DmarcRecord, Effect, Outcome, Policy, Problem, ProblemKind, Reading,
    ReportUri, Span, Tag, has_valid_version, looks_like_dmarc,
};
