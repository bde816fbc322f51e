//! DMARC as both kinds of receivers evaluate it: RFC 9989 (which obsoletes RFC 7489 and RFC
//! 9091; its DNS Tree Walk, policy discovery and organizational domain in [`discovery`]) and
//! RFC 7489 (with RFC 9091's `np`; the organizational domain by the Public Suffix List,
//! [`crate::dns::orgdomain`]). The record parser reads a record by either; the audit reports
//! the record a domain publishes at `_dmarc.DOMAIN` or inherits, and both models' answers.

pub mod audit;
pub mod discovery;
pub mod record;
pub mod rules;

pub use audit::{DmarcAudit, DmarcFacts, ReceiverAnswer, ReceiverStatus, Receivers, audit_dmarc};
pub use discovery::{
    Discovery, DiscoveryError, Inconclusive, OrgDomain, PolicySource, PolicyTag, Walk,
    discover_policy, same_organization_rfc9989, tree_walk,
};
pub use record::{
    Alignment, BisNote, DmarcRecord, Effect, Outcome, Policy, Problem, ProblemKind, Reading,
    ReportUri, Span, Tag, has_valid_version, looks_like_dmarc,
};
