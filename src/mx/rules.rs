//! The rules of the receiving-side checks ([`super::audit`], [`super::rdns`]): MX, reverse
//! DNS, and the MTA-STS and TLS-RPT records. They read no thresholds.

use crate::dns::rules::INCONCLUSIVE;
use crate::rules::{RuleId, Threshold};

pub const MISSING: RuleId = RuleId::new("mx/missing");
pub const IMPLICIT_MX: RuleId = RuleId::new("mx/implicit-mx");
pub const NULL_MX: RuleId = RuleId::new("mx/null-mx");
pub const HOST_UNRESOLVABLE: RuleId = RuleId::new("mx/host-unresolvable");
pub const RDNS_MISSING: RuleId = RuleId::new("rdns/missing");
pub const RDNS_MISMATCH: RuleId = RuleId::new("rdns/mismatch");
pub const MTASTS_SYNTAX: RuleId = RuleId::new("mtasts/syntax");
pub const MTASTS_MULTIPLE_RECORDS: RuleId = RuleId::new("mtasts/multiple-records");
pub const TLSRPT_SYNTAX: RuleId = RuleId::new("tlsrpt/syntax");
pub const TLSRPT_MULTIPLE_RECORDS: RuleId = RuleId::new("tlsrpt/multiple-records");

/// Every rule the checks of `mx` emit.
pub const RULES: &[RuleId] = &[
    MISSING,
    IMPLICIT_MX,
    NULL_MX,
    HOST_UNRESOLVABLE,
    RDNS_MISSING,
    RDNS_MISMATCH,
    MTASTS_SYNTAX,
    MTASTS_MULTIPLE_RECORDS,
    TLSRPT_SYNTAX,
    TLSRPT_MULTIPLE_RECORDS,
    INCONCLUSIVE,
];

pub const THRESHOLDS: &[Threshold] = &[];
