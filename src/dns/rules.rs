//! The rule shared by every family that asks DNS: a query that failed (timeout, SERVFAIL,
//! REFUSED) leaves its check inconclusive instead of passing or failing it. Defined once here;
//! each family that emits it lists it in its own `RULES`.

use crate::rules::{RuleId, Threshold};

pub const INCONCLUSIVE: RuleId = RuleId::new("dns/inconclusive");

pub const RULES: &[RuleId] = &[INCONCLUSIVE];

pub const THRESHOLDS: &[Threshold] = &[];
