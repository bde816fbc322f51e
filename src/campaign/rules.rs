//! The rules the campaign checks emit themselves (the domain audit, the draft lint and the
//! sender scoring they run have their own). They read no thresholds.

use crate::dmarc::rules::RECEIVERS_DISAGREE;
use crate::rules::{RuleId, Threshold};

pub const DMARC_WOULD_FAIL: RuleId = RuleId::new("dmarc/would-fail");
pub const FROM_MISMATCH: RuleId = RuleId::new("campaign/from-mismatch");

/// `dmarc/receivers-disagree` is the DMARC family's; the campaign emits it too, on its own
/// target, when the simulated outcome of a sending IP differs between the receiver models.
pub const RULES: &[RuleId] = &[DMARC_WOULD_FAIL, FROM_MISMATCH, RECEIVERS_DISAGREE];

pub const THRESHOLDS: &[Threshold] = &[];
