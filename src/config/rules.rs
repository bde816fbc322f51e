//! The rules about the user's suppressions: an ignore that matched nothing (an `[[ignore]]`
//! of a configuration or campaign file, or a draft's inline `X-Mailaudit-Ignore`), and an
//! inline ignore that is not valid. They read no thresholds.

use crate::rules::{RuleId, Threshold};

pub const UNUSED_IGNORE: RuleId = RuleId::new("config/unused-ignore");
pub const INVALID_IGNORE: RuleId = RuleId::new("config/invalid-ignore");

pub const RULES: &[RuleId] = &[UNUSED_IGNORE, INVALID_IGNORE];

pub const THRESHOLDS: &[Threshold] = &[];
