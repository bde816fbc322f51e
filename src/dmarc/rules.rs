//! The rules of the DMARC audit ([`super::audit`]). It reads no thresholds.
//! `dmarc/would-fail` is the campaign simulation's ([`crate::campaign::rules`]).

use crate::dns::rules::INCONCLUSIVE;
use crate::rules::{RuleId, Threshold};

pub const MISSING: RuleId = RuleId::new("dmarc/missing");
pub const MULTIPLE_RECORDS: RuleId = RuleId::new("dmarc/multiple-records");
pub const SYNTAX: RuleId = RuleId::new("dmarc/syntax");
pub const POLICY_NONE: RuleId = RuleId::new("dmarc/policy-none");
pub const SUBDOMAIN_WEAKER: RuleId = RuleId::new("dmarc/subdomain-weaker");
pub const PCT_PARTIAL: RuleId = RuleId::new("dmarc/pct-partial");
pub const NO_REPORTS: RuleId = RuleId::new("dmarc/no-reports");
pub const REPORT_UNAUTHORIZED: RuleId = RuleId::new("dmarc/report-unauthorized");
pub const REPORT_UNDELIVERABLE: RuleId = RuleId::new("dmarc/report-undeliverable");
pub const INHERITED: RuleId = RuleId::new("dmarc/inherited");
pub const RECEIVERS_DISAGREE: RuleId = RuleId::new("dmarc/receivers-disagree");
pub const TAG_REMOVED: RuleId = RuleId::new("dmarc/tag-removed");

/// Every rule the DMARC audit emits.
pub const RULES: &[RuleId] = &[
    MISSING,
    MULTIPLE_RECORDS,
    SYNTAX,
    POLICY_NONE,
    SUBDOMAIN_WEAKER,
    PCT_PARTIAL,
    NO_REPORTS,
    REPORT_UNAUTHORIZED,
    REPORT_UNDELIVERABLE,
    INHERITED,
    RECEIVERS_DISAGREE,
    TAG_REMOVED,
    INCONCLUSIVE,
];

pub const THRESHOLDS: &[Threshold] = &[];
