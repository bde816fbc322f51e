//! The rules of `mailaudit list` ([`super::audit`]).

use crate::dns::rules::INCONCLUSIVE;
use crate::rules::{RuleId, Threshold};

pub const SUPPRESSED: RuleId = RuleId::new("list/suppressed");
pub const INVALID_ADDRESS: RuleId = RuleId::new("list/invalid-address");
pub const DUPLICATE: RuleId = RuleId::new("list/duplicate");
pub const ROLE_ACCOUNT: RuleId = RuleId::new("list/role-account");
pub const DISPOSABLE_DOMAIN: RuleId = RuleId::new("list/disposable-domain");
pub const TYPO_DOMAIN: RuleId = RuleId::new("list/typo-domain");
pub const NO_MX: RuleId = RuleId::new("list/no-mx");
pub const NULL_MX: RuleId = RuleId::new("list/null-mx");
pub const UNREADABLE_ROW: RuleId = RuleId::new("list/unreadable-row");

/// Every rule the list checks emit (`dns/inconclusive` when a domain's query failed).
pub const RULES: &[RuleId] = &[
    SUPPRESSED,
    INVALID_ADDRESS,
    DUPLICATE,
    ROLE_ACCOUNT,
    DISPOSABLE_DOMAIN,
    TYPO_DOMAIN,
    NO_MX,
    NULL_MX,
    UNREADABLE_ROW,
    INCONCLUSIVE,
];

pub const THRESHOLDS: &[Threshold] = &[];
