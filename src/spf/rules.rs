//! The rules of the SPF policy audit ([`super::audit`]) and the thresholds it reads. The
//! `check_host()` verdict `spf/ip-not-permitted` is the domain audit's
//! ([`crate::domain::rules`]).

use crate::dns::rules::INCONCLUSIVE;
use crate::rules::{RuleId, Threshold};

pub const MISSING: RuleId = RuleId::new("spf/missing");
pub const MULTIPLE_RECORDS: RuleId = RuleId::new("spf/multiple-records");
pub const SYNTAX: RuleId = RuleId::new("spf/syntax");
pub const LOOKUP_LIMIT: RuleId = RuleId::new("spf/lookup-limit");
pub const VOID_LOOKUP_LIMIT: RuleId = RuleId::new("spf/void-lookup-limit");
pub const MX_LIMIT: RuleId = RuleId::new("spf/mx-limit");
pub const INCLUDE_LOOP: RuleId = RuleId::new("spf/include-loop");
pub const INCLUDE_MISSING: RuleId = RuleId::new("spf/include-missing");
pub const PERMISSIVE_ALL: RuleId = RuleId::new("spf/permissive-all");
pub const PTR_MECHANISM: RuleId = RuleId::new("spf/ptr-mechanism");
pub const RECORD_SIZE: RuleId = RuleId::new("spf/record-size");
pub const DEPRECATED_RR: RuleId = RuleId::new("spf/deprecated-rr");
pub const REDIRECT_IGNORED: RuleId = RuleId::new("spf/redirect-ignored");

/// Every rule the SPF audit emits.
pub const RULES: &[RuleId] = &[
    MISSING,
    MULTIPLE_RECORDS,
    SYNTAX,
    LOOKUP_LIMIT,
    VOID_LOOKUP_LIMIT,
    MX_LIMIT,
    INCLUDE_LOOP,
    INCLUDE_MISSING,
    PERMISSIVE_ALL,
    PTR_MECHANISM,
    RECORD_SIZE,
    DEPRECATED_RR,
    REDIRECT_IGNORED,
    INCONCLUSIVE,
];

pub const LOOKUP_LIMIT_MAX: Threshold = Threshold::new(LOOKUP_LIMIT, "max");
pub const LOOKUP_LIMIT_WARN_FROM: Threshold = Threshold::new(LOOKUP_LIMIT, "warn_from");
pub const VOID_LOOKUP_LIMIT_MAX: Threshold = Threshold::new(VOID_LOOKUP_LIMIT, "max");
pub const MX_LIMIT_MAX: Threshold = Threshold::new(MX_LIMIT, "max");
pub const RECORD_SIZE_MAX_STRING_OCTETS: Threshold =
    Threshold::new(RECORD_SIZE, "max_string_octets");
pub const RECORD_SIZE_MAX_RECORD_OCTETS: Threshold =
    Threshold::new(RECORD_SIZE, "max_record_octets");

/// Every threshold the SPF audit reads.
pub const THRESHOLDS: &[Threshold] = &[
    LOOKUP_LIMIT_MAX,
    LOOKUP_LIMIT_WARN_FROM,
    VOID_LOOKUP_LIMIT_MAX,
    MX_LIMIT_MAX,
    RECORD_SIZE_MAX_STRING_OCTETS,
    RECORD_SIZE_MAX_RECORD_OCTETS,
];
