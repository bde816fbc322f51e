//! The rules of `mailaudit reports` ([`super::audit`]) and the thresholds they read.

use crate::dns::rules::INCONCLUSIVE;
use crate::rules::{RuleId, Threshold};

pub const INVALID_REPORT: RuleId = RuleId::new("reports/invalid-report");
pub const UNAUTHORISED_SOURCE: RuleId = RuleId::new("reports/unauthorised-source");
pub const AUTHORISED_SOURCE_FAILING: RuleId = RuleId::new("reports/authorised-source-failing");
pub const ENFORCEMENT_BLOCKED: RuleId = RuleId::new("reports/enforcement-blocked");
pub const ENFORCEMENT_READY: RuleId = RuleId::new("reports/enforcement-ready");
pub const TLS_FAILURES: RuleId = RuleId::new("reports/tls-failures");

/// Every rule the report checks emit (`dns/inconclusive` when an attribution query failed).
pub const RULES: &[RuleId] = &[
    INVALID_REPORT,
    UNAUTHORISED_SOURCE,
    AUTHORISED_SOURCE_FAILING,
    ENFORCEMENT_BLOCKED,
    ENFORCEMENT_READY,
    TLS_FAILURES,
    INCONCLUSIVE,
];

pub const UNAUTHORISED_SOURCE_MIN_MESSAGES: Threshold =
    Threshold::new(UNAUTHORISED_SOURCE, "min_messages");
pub const AUTHORISED_SOURCE_FAILING_MIN_MESSAGES: Threshold =
    Threshold::new(AUTHORISED_SOURCE_FAILING, "min_messages");
pub const AUTHORISED_SOURCE_FAILING_WINDOW_DAYS: Threshold =
    Threshold::new(AUTHORISED_SOURCE_FAILING, "window_days");
/// The readiness of a domain: both `enforcement-ready` and `enforcement-blocked` read these.
pub const ENFORCEMENT_READY_MIN_PASS_SHARE: Threshold =
    Threshold::new(ENFORCEMENT_READY, "min_pass_share");
pub const ENFORCEMENT_READY_MIN_MESSAGES: Threshold =
    Threshold::new(ENFORCEMENT_READY, "min_messages");
pub const TLS_FAILURES_MIN_SESSIONS: Threshold = Threshold::new(TLS_FAILURES, "min_sessions");

pub const THRESHOLDS: &[Threshold] = &[
    UNAUTHORISED_SOURCE_MIN_MESSAGES,
    AUTHORISED_SOURCE_FAILING_MIN_MESSAGES,
    AUTHORISED_SOURCE_FAILING_WINDOW_DAYS,
    ENFORCEMENT_READY_MIN_PASS_SHARE,
    ENFORCEMENT_READY_MIN_MESSAGES,
    TLS_FAILURES_MIN_SESSIONS,
];
