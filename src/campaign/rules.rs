//! The rules the campaign checks emit themselves (the domain audit, the draft lint and the
//! sender scoring they run have their own). They read no thresholds.

use crate::rules::{RuleId, Threshold};

pub const DMARC_WOULD_FAIL: RuleId = RuleId::new("dmarc/would-fail");
pub const FROM_MISMATCH: RuleId = RuleId::new("campaign/from-mismatch");

pub const RULES: &[RuleId] = &[DMARC_WOULD_FAIL, FROM_MISMATCH];

pub const THRESHOLDS: &[Threshold] = &[];
