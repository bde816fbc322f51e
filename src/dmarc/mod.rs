//! DMARC (RFC 7489, with RFC 9091's `np` and notes where DMARCbis, RFC 9989, differs): the
//! policy record parser and the audit of the record a domain publishes at `_dmarc.DOMAIN` or
//! inherits from its organizational domain ([`crate::dns::orgdomain`]); RFC 9989's DNS Tree
//! Walk, policy discovery and organizational domain in [`discovery`].

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
