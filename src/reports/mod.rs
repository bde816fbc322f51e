//! What receivers send back (SPEC: `mailaudit reports`): DMARC aggregate reports (RFC 7489
//! Appendix C, RFC 9990), taken out of their containers (bare, gzip, zip, attached to a
//! message) with bounded expansion, and read into typed rows.

pub mod aggregate;
pub mod attribution;
pub mod audit;
pub mod container;
pub mod facts;
pub mod failure;
pub mod rules;
pub mod tlsrpt;

pub use aggregate::{
    AggregateRecord, AggregateReport, ParsedAggregate, PublishedPolicy, ReportError, ReportProblem,
    parse_aggregate,
};
pub use attribution::Attributor;
pub use audit::{DomainResult, ReportResult, ReportsOptions, ReportsResult, audit_reports};
pub use container::{ContainerError, MAX_EXPANDED, Payload, payloads, payloads_within};
pub use failure::{FailureReport, FeedbackType, OriginalMessage, parse_arf, parse_failure};
pub use tlsrpt::{
    DateRange, FailureDetail, ParsedTls, PolicyDetails, ResultType, Summary, TlsPolicy, TlsReport,
    parse_tls,
};
