//! The rules the domain audit emits itself (the SPF, DKIM, MX and DMARC audits it runs have
//! their own): the `check_host()` verdict of a sending IP, the domain name, and the
//! authentication score ([`crate::score`]) with the thresholds it reads.

use crate::rules::{RuleId, Threshold};

/// Defined in `rules/spf.toml` with the SPF rules; emitted by the domain audit and
/// `mailaudit spf`.
pub const SPF_IP_NOT_PERMITTED: RuleId = RuleId::new("spf/ip-not-permitted");
pub const INVALID_NAME: RuleId = RuleId::new("domain/invalid-name");
pub const LOW_AUTH_SCORE: RuleId = RuleId::new("domain/low-auth-score");

/// `dns/inconclusive` too: a `check_host()` that is temperror.
pub const RULES: &[RuleId] = &[
    SPF_IP_NOT_PERMITTED,
    INVALID_NAME,
    LOW_AUTH_SCORE,
    crate::dns::rules::INCONCLUSIVE,
];

pub const LOW_AUTH_SCORE_MIN_SCORE: Threshold = Threshold::new(LOW_AUTH_SCORE, "min_score");
pub const LOW_AUTH_SCORE_WEIGHT_SPF: Threshold = Threshold::new(LOW_AUTH_SCORE, "weight_spf");
pub const LOW_AUTH_SCORE_WEIGHT_DKIM: Threshold = Threshold::new(LOW_AUTH_SCORE, "weight_dkim");
pub const LOW_AUTH_SCORE_WEIGHT_DMARC: Threshold = Threshold::new(LOW_AUTH_SCORE, "weight_dmarc");
pub const LOW_AUTH_SCORE_WEIGHT_INFRASTRUCTURE: Threshold =
    Threshold::new(LOW_AUTH_SCORE, "weight_infrastructure");

/// Every threshold the domain audit reads.
pub const THRESHOLDS: &[Threshold] = &[
    LOW_AUTH_SCORE_MIN_SCORE,
    LOW_AUTH_SCORE_WEIGHT_SPF,
    LOW_AUTH_SCORE_WEIGHT_DKIM,
    LOW_AUTH_SCORE_WEIGHT_DMARC,
    LOW_AUTH_SCORE_WEIGHT_INFRASTRUCTURE,
];
