//! The rules of the DKIM checks and the thresholds they read: the key records of a domain
//! ([`super::audit`], run by `mailaudit domain`) and the signatures of a draft
//! ([`super::signature`], run by `mailaudit message`).

use crate::dns::rules::INCONCLUSIVE;
use crate::rules::{RuleId, Threshold, concat};

// Key records.
pub const MISSING: RuleId = RuleId::new("dkim/missing");
pub const SYNTAX: RuleId = RuleId::new("dkim/syntax");
pub const REVOKED: RuleId = RuleId::new("dkim/revoked");
pub const WEAK_KEY: RuleId = RuleId::new("dkim/weak-key");
pub const TESTING_MODE: RuleId = RuleId::new("dkim/testing-mode");
pub const SHA1_ONLY: RuleId = RuleId::new("dkim/sha1-only");
pub const NO_USABLE_HASH: RuleId = RuleId::new("dkim/no-usable-hash");
pub const UNKNOWN_KEY_TYPE: RuleId = RuleId::new("dkim/unknown-key-type");
pub const BAD_KEY: RuleId = RuleId::new("dkim/bad-key");
pub const NOT_FOR_EMAIL: RuleId = RuleId::new("dkim/not-for-email");
pub const MULTIPLE_RECORDS: RuleId = RuleId::new("dkim/multiple-records");

// Signatures.
pub const SIGNATURE_INVALID: RuleId = RuleId::new("dkim/signature-invalid");
pub const UNSUBSCRIBE_NOT_SIGNED: RuleId = RuleId::new("dkim/unsubscribe-not-signed");
pub const NOT_ALIGNED: RuleId = RuleId::new("dkim/not-aligned");

/// The rules the key-record audit emits.
pub const KEY_RULES: &[RuleId] = &[
    MISSING,
    SYNTAX,
    REVOKED,
    WEAK_KEY,
    TESTING_MODE,
    SHA1_ONLY,
    NO_USABLE_HASH,
    UNKNOWN_KEY_TYPE,
    BAD_KEY,
    NOT_FOR_EMAIL,
    MULTIPLE_RECORDS,
    INCONCLUSIVE,
];

/// The rules the signature checks emit.
pub const SIGNATURE_RULES: &[RuleId] = &[
    SIGNATURE_INVALID,
    UNSUBSCRIBE_NOT_SIGNED,
    NOT_ALIGNED,
    INCONCLUSIVE,
];

/// Every rule of the family.
pub const RULES: &[RuleId] = &ALL;
const ALL: [RuleId; KEY_RULES.len() + SIGNATURE_RULES.len()] =
    concat(&[KEY_RULES, SIGNATURE_RULES]);

pub const WEAK_KEY_ERROR_BELOW: Threshold = Threshold::new(WEAK_KEY, "error_below");
pub const WEAK_KEY_WARN_BELOW: Threshold = Threshold::new(WEAK_KEY, "warn_below");
pub const SIGNATURE_INVALID_MIN_RSA_BITS: Threshold =
    Threshold::new(SIGNATURE_INVALID, "min_rsa_bits");

/// Every threshold the DKIM checks read.
pub const THRESHOLDS: &[Threshold] = &[
    WEAK_KEY_ERROR_BELOW,
    WEAK_KEY_WARN_BELOW,
    SIGNATURE_INVALID_MIN_RSA_BITS,
];
