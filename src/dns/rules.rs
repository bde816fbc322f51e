//! The rule shared by every family that asks DNS: a query that failed (timeout, SERVFAIL,
//! REFUSED) leaves its check inconclusive instead of passing or failing it. Defined once here;
//! each family that emits it lists it in its own `RULES`.

use crate::finding::Finding;
use crate::rules::{RuleId, Rules, Threshold};
use std::fmt::Display;

pub const INCONCLUSIVE: RuleId = RuleId::new("dns/inconclusive");

/// `dns/inconclusive` for one failed query (`query` is "TYPE name"): `consequence` says what
/// could not be concluded from it. The query is the finding's measured value.
pub fn inconclusive(
    rules: &Rules,
    target: &str,
    query: String,
    why: impl Display,
    consequence: impl Display,
) -> Finding {
    rules
        .finding(
            INCONCLUSIVE,
            target,
            format!("DNS query {query} failed ({why}); {consequence}"),
        )
        .with_measured(query)
}

/// [`inconclusive`] for a whole audit: "the {audit} could not conclude".
pub fn audit_inconclusive(
    rules: &Rules,
    target: &str,
    query: String,
    why: impl Display,
    audit: &str,
) -> Finding {
    inconclusive(
        rules,
        target,
        query,
        why,
        format_args!("the {audit} could not conclude"),
    )
}

pub const RULES: &[RuleId] = &[INCONCLUSIVE];

pub const THRESHOLDS: &[Threshold] = &[];
