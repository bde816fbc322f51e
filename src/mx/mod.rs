//! The receiving side of a sending domain (SPEC §4.4): where replies and bounces go (MX, null
//! MX, implicit MX), forward-confirmed reverse DNS of the sending IPs, and the syntax of the
//! MTA-STS and TLS-RPT TXT records. Nothing is fetched but DNS answers.

pub mod audit;
pub mod rdns;
pub mod records;
pub mod rules;

pub use audit::{
    Delivery, HostStatus, MtaStsFacts, MxAudit, MxFacts, MxHost, TlsRptFacts, audit_mx,
};
pub use rdns::{ForwardLookup, RdnsAudit, RdnsFacts, audit_reverse_dns, reverse_name};
pub use records::{MtaStsRecord, RecordSyntaxError, TlsRptRecord, parse_mta_sts, parse_tls_rpt};
