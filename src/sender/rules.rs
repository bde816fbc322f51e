//! The rules of the sender checks ([`super::analysis`]) and the thresholds they read.

use crate::rules::{RuleId, Threshold};

pub const COMPLAINT_RATE: RuleId = RuleId::new("sender/complaint-rate");
pub const BOUNCE_RATE: RuleId = RuleId::new("sender/bounce-rate");
pub const UNSUBSCRIBE_RATE: RuleId = RuleId::new("sender/unsubscribe-rate");
pub const WARMUP_RAMP: RuleId = RuleId::new("sender/warmup-ramp");
pub const VOLUME_SPIKE: RuleId = RuleId::new("sender/volume-spike");
pub const BULK_SENDER: RuleId = RuleId::new("sender/bulk-sender");
pub const NO_RECENT_DATA: RuleId = RuleId::new("sender/no-recent-data");
pub const LOW_SCORE: RuleId = RuleId::new("sender/low-score");

/// Every rule the sender checks emit.
pub const RULES: &[RuleId] = &[
    COMPLAINT_RATE,
    BOUNCE_RATE,
    UNSUBSCRIBE_RATE,
    WARMUP_RAMP,
    VOLUME_SPIKE,
    BULK_SENDER,
    NO_RECENT_DATA,
    LOW_SCORE,
];

pub const COMPLAINT_RATE_WARNING: Threshold = Threshold::new(COMPLAINT_RATE, "warning");
pub const COMPLAINT_RATE_ERROR: Threshold = Threshold::new(COMPLAINT_RATE, "error");
pub const COMPLAINT_RATE_MIN_VOLUME: Threshold = Threshold::new(COMPLAINT_RATE, "min_volume");
pub const COMPLAINT_RATE_WINDOW_DAYS: Threshold = Threshold::new(COMPLAINT_RATE, "window_days");
pub const COMPLAINT_RATE_NEXT_DAY_CUT: Threshold = Threshold::new(COMPLAINT_RATE, "next_day_cut");

pub const BOUNCE_RATE_WARNING: Threshold = Threshold::new(BOUNCE_RATE, "warning");
pub const BOUNCE_RATE_ERROR: Threshold = Threshold::new(BOUNCE_RATE, "error");
pub const BOUNCE_RATE_MIN_VOLUME: Threshold = Threshold::new(BOUNCE_RATE, "min_volume");
pub const BOUNCE_RATE_WINDOW_DAYS: Threshold = Threshold::new(BOUNCE_RATE, "window_days");
pub const BOUNCE_RATE_NEXT_DAY_CUT: Threshold = Threshold::new(BOUNCE_RATE, "next_day_cut");

pub const UNSUBSCRIBE_RATE_WARNING: Threshold = Threshold::new(UNSUBSCRIBE_RATE, "warning");
pub const UNSUBSCRIBE_RATE_MIN_VOLUME: Threshold = Threshold::new(UNSUBSCRIBE_RATE, "min_volume");
pub const UNSUBSCRIBE_RATE_WINDOW_DAYS: Threshold = Threshold::new(UNSUBSCRIBE_RATE, "window_days");

pub const WARMUP_RAMP_MAX_GROWTH: Threshold = Threshold::new(WARMUP_RAMP, "max_growth");
pub const WARMUP_RAMP_DETECT_RATIO: Threshold = Threshold::new(WARMUP_RAMP, "detect_ratio");

pub const VOLUME_SPIKE_FACTOR: Threshold = Threshold::new(VOLUME_SPIKE, "factor");
pub const VOLUME_SPIKE_WINDOW_DAYS: Threshold = Threshold::new(VOLUME_SPIKE, "window_days");
pub const VOLUME_SPIKE_MIN_BASELINE_DAYS: Threshold =
    Threshold::new(VOLUME_SPIKE, "min_baseline_days");
pub const VOLUME_SPIKE_MIN_VOLUME: Threshold = Threshold::new(VOLUME_SPIKE, "min_volume");

pub const BULK_SENDER_DAILY: Threshold = Threshold::new(BULK_SENDER, "daily");

pub const NO_RECENT_DATA_MAX_AGE_DAYS: Threshold = Threshold::new(NO_RECENT_DATA, "max_age_days");

pub const LOW_SCORE_MIN_SCORE: Threshold = Threshold::new(LOW_SCORE, "min_score");
pub const LOW_SCORE_WINDOW_DAYS: Threshold = Threshold::new(LOW_SCORE, "window_days");
pub const LOW_SCORE_WEIGHT_COMPLAINTS: Threshold = Threshold::new(LOW_SCORE, "weight_complaints");
pub const LOW_SCORE_WEIGHT_BOUNCES: Threshold = Threshold::new(LOW_SCORE, "weight_bounces");
pub const LOW_SCORE_WEIGHT_UNSUBSCRIBES: Threshold =
    Threshold::new(LOW_SCORE, "weight_unsubscribes");
pub const LOW_SCORE_WEIGHT_VOLUME: Threshold = Threshold::new(LOW_SCORE, "weight_volume");
pub const LOW_SCORE_COMPLAINTS_ZERO_AT: Threshold = Threshold::new(LOW_SCORE, "complaints_zero_at");
pub const LOW_SCORE_BOUNCES_ZERO_AT: Threshold = Threshold::new(LOW_SCORE, "bounces_zero_at");
pub const LOW_SCORE_UNSUBSCRIBES_ZERO_AT: Threshold =
    Threshold::new(LOW_SCORE, "unsubscribes_zero_at");
pub const LOW_SCORE_VOLUME_PENALTY_PER_DAY: Threshold =
    Threshold::new(LOW_SCORE, "volume_penalty_per_day");

/// Every threshold the sender checks read.
pub const THRESHOLDS: &[Threshold] = &[
    COMPLAINT_RATE_WARNING,
    COMPLAINT_RATE_ERROR,
    COMPLAINT_RATE_MIN_VOLUME,
    COMPLAINT_RATE_WINDOW_DAYS,
    COMPLAINT_RATE_NEXT_DAY_CUT,
    BOUNCE_RATE_WARNING,
    BOUNCE_RATE_ERROR,
    BOUNCE_RATE_MIN_VOLUME,
    BOUNCE_RATE_WINDOW_DAYS,
    BOUNCE_RATE_NEXT_DAY_CUT,
    UNSUBSCRIBE_RATE_WARNING,
    UNSUBSCRIBE_RATE_MIN_VOLUME,
    UNSUBSCRIBE_RATE_WINDOW_DAYS,
    WARMUP_RAMP_MAX_GROWTH,
    WARMUP_RAMP_DETECT_RATIO,
    VOLUME_SPIKE_FACTOR,
    VOLUME_SPIKE_WINDOW_DAYS,
    VOLUME_SPIKE_MIN_BASELINE_DAYS,
    VOLUME_SPIKE_MIN_VOLUME,
    BULK_SENDER_DAILY,
    NO_RECENT_DATA_MAX_AGE_DAYS,
    LOW_SCORE_MIN_SCORE,
    LOW_SCORE_WINDOW_DAYS,
    LOW_SCORE_WEIGHT_COMPLAINTS,
    LOW_SCORE_WEIGHT_BOUNCES,
    LOW_SCORE_WEIGHT_UNSUBSCRIBES,
    LOW_SCORE_WEIGHT_VOLUME,
    LOW_SCORE_COMPLAINTS_ZERO_AT,
    LOW_SCORE_BOUNCES_ZERO_AT,
    LOW_SCORE_UNSUBSCRIBES_ZERO_AT,
    LOW_SCORE_VOLUME_PENALTY_PER_DAY,
];
