//! The receiving side of a sending domain (SPEC §4.4): where replies and bounces go (MX, null
//! MX, implicit MX), forward-confirmed reverse DNS of the sending IPs, and the syntax of the
//! MTA-STS and TLS-RPT TXT records. Nothing is fetched but DNS answers.

pub mod audit;
pub mod rdns;
pub mod records;

pub use audit::{
    Delivery, HostStatus, MtaStsFacts, MxAudit, MxFacts, MxHost, TlsRptFacts, audit_mx,
};
pub use rdns::{ForwardLookup, RdnsAudit, RdnsFacts, audit_reverse_dns, reverse_name};
pub use records::{MtaStsRecord, RecordSyntaxError, TlsRptRecord, parse_mta_sts, parse_tls_rpt};

/// The rules the checks of this module emit.
pub const RULES: &[&str] = &[
    "mx/missing",
    "mx/implicit-mx",
    "mx/null-mx",
    "mx/host-unresolvable",
    "rdns/missing",
    "rdns/mismatch",
    "mtasts/syntax",
    "mtasts/multiple-records",
    "tlsrpt/syntax",
    "tlsrpt/multiple-records",
    "dns/inconclusive",
];

use crate::dns::DnsFailure;
use crate::finding::Finding;
use crate::rules::Rules;

/// `dns/inconclusive` for one failed query (`query` is "TYPE name").
fn inconclusive(
    rules: &Rules,
    target: &str,
    query: String,
    why: &DnsFailure,
    what: &str,
) -> Finding {
    rules
        .finding(
            "dns/inconclusive",
            target,
            format!("DNS query {query} failed ({why}); the {what} could not conclude"),
        )
        .with_measured(query)
}
