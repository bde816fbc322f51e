//! The rules of `mailaudit feedback` ([`super::audit`]).

use crate::rules::{RuleId, Threshold};

pub const UNREADABLE: RuleId = RuleId::new("feedback/unreadable");
pub const NOT_FEEDBACK: RuleId = RuleId::new("feedback/not-feedback");
pub const AUTHENTICATION_BOUNCE: RuleId = RuleId::new("feedback/authentication-bounce");
pub const BLOCKED: RuleId = RuleId::new("feedback/blocked");
pub const COMPLAINT: RuleId = RuleId::new("feedback/complaint");
pub const UNSUPPRESSIBLE: RuleId = RuleId::new("feedback/unsuppressible");

/// Every rule the feedback reader emits.
pub const RULES: &[RuleId] = &[
    UNREADABLE,
    NOT_FEEDBACK,
    AUTHENTICATION_BOUNCE,
    BLOCKED,
    COMPLAINT,
    UNSUPPRESSIBLE,
];

pub const THRESHOLDS: &[Threshold] = &[];
