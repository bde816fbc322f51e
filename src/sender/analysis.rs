//! The judgement of one series of days (a domain's total, or one IP's or provider's share):
//! warm-up stage, rate and volume breaches, the health score and the next day's volume.
//! Everything here works on the sparse, date-ordered days of the series; no calendar is
//! materialised, so a history with gaps of years costs nothing.

use super::dataset::Entry;
use super::input::{Counts, Pos};
use super::rules::*;
use super::schedule::WarmupSchedule;
use crate::date::Date;
use crate::finding::Severity;
use crate::rules::{RuleId, Rules, Threshold};
use crate::text::{factor, fmt_count, pct};
use serde::Serialize;

/// One day of a series: the counts of all its rows of that date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Day {
    pub date: Date,
    pub counts: Counts,
    /// The first row of that day, in reading order.
    pub pos: Pos,
}

/// Merge the entries of several series into days, in date order.
pub fn merge_days<'a>(series: impl IntoIterator<Item = &'a [Entry]>) -> Vec<Day> {
    let mut all: Vec<Entry> = series.into_iter().flatten().copied().collect();
    all.sort_by_key(|e| (e.date, e.pos));
    let mut days: Vec<Day> = Vec::new();
    for entry in all {
        match days.last_mut() {
            Some(day) if day.date == entry.date => day.counts.add(&entry.counts),
            _ => days.push(Day {
                date: entry.date,
                counts: entry.counts,
                pos: entry.pos,
            }),
        }
    }
    days
}

/// The rate rules' thresholds.
#[derive(Clone, Debug, PartialEq)]
pub struct RateParams {
    pub rule: RuleId,
    /// "complaint rate", ...
    pub label: &'static str,
    pub warning: f64,
    pub error: Option<f64>,
    /// Below this denominator, a day (or window) is not judged.
    pub min_volume: u64,
    pub window_days: i32,
    /// After an error-level breach on the last day, tomorrow's volume is at most this
    /// fraction of the last sending day's (None: the rule does not change the next day).
    pub next_day_cut: Option<f64>,
    pub kind: RateKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RateKind {
    /// complaints / delivered
    Complaint,
    /// hard_bounces / sent
    Bounce,
    /// unsubscribes / delivered
    Unsubscribe,
}

impl RateKind {
    fn of(self, c: &Counts) -> (u64, u64) {
        match self {
            RateKind::Complaint => (c.complaints, c.delivered),
            RateKind::Bounce => (c.hard_bounces, c.sent),
            RateKind::Unsubscribe => (c.unsubscribes, c.delivered),
        }
    }
}

/// Every threshold the sender checks use, read from the rule data.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    pub complaint: RateParams,
    pub bounce: RateParams,
    pub unsubscribe: RateParams,
    pub max_growth: f64,
    pub detect_ratio: f64,
    pub spike_factor: f64,
    pub spike_window: i32,
    pub spike_min_days: usize,
    pub spike_min_volume: u64,
    pub bulk_daily: u64,
    pub stale_days: i32,
    pub score: ScoreParams,
    pub schedule: WarmupSchedule,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ScoreParams {
    pub min_score: f64,
    pub window_days: i32,
    pub weight_complaints: f64,
    pub weight_bounces: f64,
    pub weight_unsubscribes: f64,
    pub weight_volume: f64,
    pub complaints_zero_at: f64,
    pub bounces_zero_at: f64,
    pub unsubscribes_zero_at: f64,
    pub volume_penalty_per_day: f64,
}

/// Days are whole numbers of days: a threshold like 7.0 becomes 7.
fn days(value: f64) -> i32 {
    value.clamp(1.0, 3660.0) as i32
}

fn volume(value: f64) -> u64 {
    value.clamp(1.0, 1e18) as u64
}

/// The thresholds of one rate rule (the error level and the next-day cut are optional).
struct RateThresholds {
    warning: Threshold,
    error: Option<Threshold>,
    min_volume: Threshold,
    window_days: Threshold,
    next_day_cut: Option<Threshold>,
}

impl Params {
    pub fn from_rules(rules: &Rules, schedule: WarmupSchedule) -> Params {
        let get = |threshold: Threshold| rules.threshold(threshold);
        let rate =
            |rule: RuleId, label: &'static str, kind: RateKind, t: RateThresholds| RateParams {
                rule,
                label,
                warning: get(t.warning),
                error: t.error.map(get),
                min_volume: volume(get(t.min_volume)),
                window_days: days(get(t.window_days)),
                next_day_cut: t.next_day_cut.map(|cut| get(cut).clamp(0.0, 1.0)),
                kind,
            };
        Params {
            complaint: rate(
                COMPLAINT_RATE,
                "complaint rate",
                RateKind::Complaint,
                RateThresholds {
                    warning: COMPLAINT_RATE_WARNING,
                    error: Some(COMPLAINT_RATE_ERROR),
                    min_volume: COMPLAINT_RATE_MIN_VOLUME,
                    window_days: COMPLAINT_RATE_WINDOW_DAYS,
                    next_day_cut: Some(COMPLAINT_RATE_NEXT_DAY_CUT),
                },
            ),
            bounce: rate(
                BOUNCE_RATE,
                "hard-bounce rate",
                RateKind::Bounce,
                RateThresholds {
                    warning: BOUNCE_RATE_WARNING,
                    error: Some(BOUNCE_RATE_ERROR),
                    min_volume: BOUNCE_RATE_MIN_VOLUME,
                    window_days: BOUNCE_RATE_WINDOW_DAYS,
                    next_day_cut: Some(BOUNCE_RATE_NEXT_DAY_CUT),
                },
            ),
            unsubscribe: rate(
                UNSUBSCRIBE_RATE,
                "unsubscribe rate",
                RateKind::Unsubscribe,
                RateThresholds {
                    warning: UNSUBSCRIBE_RATE_WARNING,
                    error: None,
                    min_volume: UNSUBSCRIBE_RATE_MIN_VOLUME,
                    window_days: UNSUBSCRIBE_RATE_WINDOW_DAYS,
                    next_day_cut: None,
                },
            ),
            max_growth: get(WARMUP_RAMP_MAX_GROWTH).max(1.0),
            detect_ratio: get(WARMUP_RAMP_DETECT_RATIO).max(1.0),
            spike_factor: get(VOLUME_SPIKE_FACTOR).max(1.0),
            spike_window: days(get(VOLUME_SPIKE_WINDOW_DAYS)),
            spike_min_days: get(VOLUME_SPIKE_MIN_BASELINE_DAYS).clamp(1.0, 3660.0) as usize,
            spike_min_volume: volume(get(VOLUME_SPIKE_MIN_VOLUME)),
            bulk_daily: volume(get(BULK_SENDER_DAILY)),
            stale_days: days(get(NO_RECENT_DATA_MAX_AGE_DAYS)),
            score: ScoreParams {
                min_score: get(LOW_SCORE_MIN_SCORE),
                window_days: days(get(LOW_SCORE_WINDOW_DAYS)),
                weight_complaints: get(LOW_SCORE_WEIGHT_COMPLAINTS),
                weight_bounces: get(LOW_SCORE_WEIGHT_BOUNCES),
                weight_unsubscribes: get(LOW_SCORE_WEIGHT_UNSUBSCRIBES),
                weight_volume: get(LOW_SCORE_WEIGHT_VOLUME),
                complaints_zero_at: get(LOW_SCORE_COMPLAINTS_ZERO_AT),
                bounces_zero_at: get(LOW_SCORE_BOUNCES_ZERO_AT),
                unsubscribes_zero_at: get(LOW_SCORE_UNSUBSCRIBES_ZERO_AT),
                volume_penalty_per_day: get(LOW_SCORE_VOLUME_PENALTY_PER_DAY),
            },
            schedule,
        }
    }
}

/// `num / den`, with 0/0 = 0 and n/0 = 1 (everything went wrong, nothing was delivered).
pub fn ratio(num: u128, den: u128) -> f64 {
    if den == 0 {
        if num == 0 { 0.0 } else { 1.0 }
    } else {
        num as f64 / den as f64
    }
}

/// Rates are reported to the millionth, so reports do not change with float noise.
pub fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// A day on which a rate, or its trailing window, reached a threshold.
#[derive(Clone, Debug, PartialEq)]
pub struct RateBreach {
    pub date: Date,
    pub pos: Pos,
    /// The day's own rate, when the day had enough volume to be judged.
    pub day_rate: Option<f64>,
    /// The rate over the trailing window ending that day, when it had enough volume.
    pub window_rate: Option<f64>,
    pub day_level: Option<Severity>,
    pub window_level: Option<Severity>,
}

impl RateBreach {
    pub fn level(&self) -> Severity {
        self.day_level
            .max(self.window_level)
            .unwrap_or(Severity::Warning)
    }

    /// The rate that decided the level (the day's own rate on a tie), and whether it is the
    /// window's.
    pub fn shown(&self) -> (f64, bool) {
        match (self.day_rate, self.window_rate) {
            (Some(_), Some(window)) if self.window_level > self.day_level => (window, true),
            (Some(day), _) if self.day_level.is_some() => (day, false),
            (_, Some(window)) => (window, true),
            (Some(day), None) => (day, false),
            (None, None) => (0.0, false),
        }
    }
}

fn rate_level(rate: f64, p: &RateParams) -> Option<Severity> {
    if p.error.is_some_and(|e| rate >= e) {
        Some(Severity::Error)
    } else if rate >= p.warning {
        Some(Severity::Warning)
    } else {
        None
    }
}

/// Judge every day of the series, alone and over its trailing window.
pub fn judge_rate(days: &[Day], p: &RateParams) -> Vec<RateBreach> {
    let mut breaches = Vec::new();
    let min = u128::from(p.min_volume.max(1));
    let (mut lo, mut wn, mut wd) = (0usize, 0u128, 0u128);
    for day in days {
        let (n, d) = p.kind.of(&day.counts);
        wn += u128::from(n);
        wd += u128::from(d);
        let from = day.date.add_days(1 - p.window_days);
        while days[lo].date < from {
            let (n, d) = p.kind.of(&days[lo].counts);
            wn -= u128::from(n);
            wd -= u128::from(d);
            lo += 1;
        }
        let day_rate = (u128::from(d) >= min).then(|| ratio(u128::from(n), u128::from(d)));
        let window_rate = (wd >= min).then(|| ratio(wn, wd));
        let day_level = day_rate.and_then(|r| rate_level(r, p));
        let window_level = window_rate.and_then(|r| rate_level(r, p));
        if day_level.is_some() || window_level.is_some() {
            breaches.push(RateBreach {
                date: day.date,
                pos: day.pos,
                day_rate: day_rate.map(round6),
                window_rate: window_rate.map(round6),
                day_level,
                window_level,
            });
        }
    }
    breaches
}

/// Why a series is (or is not) treated as warming up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Declared {
    /// Detect it from the data.
    Auto,
    /// `--warmup-start DOMAIN=DATE`.
    Start(Date),
    /// `--established DOMAIN`.
    Established,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StartSource {
    /// Given with --warmup-start.
    Option,
    /// The history starts below the schedule's last cap and ramps.
    Detected,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Warmup {
    pub start: Date,
    pub source: StartSource,
}

fn median(values: &mut [u64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[mid] as f64
    } else {
        (values[mid - 1] as f64 + values[mid] as f64) / 2.0
    })
}

/// A warm-up is detected when the first sending day is below the schedule's last cap and
/// the median of the later sending days of the schedule's span is at least `detect_ratio`
/// times it.
pub fn detect_warmup(days: &[Day], p: &Params) -> Option<Date> {
    let first = days.iter().find(|d| d.counts.sent > 0)?;
    let v1 = first.counts.sent;
    if v1 >= p.schedule.final_cap() {
        return None;
    }
    let end = first.date.add_days(p.schedule.days() as i32 - 1);
    let mut later: Vec<u64> = days
        .iter()
        .filter(|d| d.date > first.date && d.date <= end && d.counts.sent > 0)
        .map(|d| d.counts.sent)
        .collect();
    let m = median(&mut later)?;
    (m >= p.detect_ratio * v1 as f64).then_some(first.date)
}

pub fn warmup(days: &[Day], declared: Declared, p: &Params) -> Option<Warmup> {
    match declared {
        Declared::Start(start) => Some(Warmup {
            start,
            source: StartSource::Option,
        }),
        Declared::Established => None,
        Declared::Auto => detect_warmup(days, p).map(|start| Warmup {
            start,
            source: StartSource::Detected,
        }),
    }
}

/// 1-based day of the warm-up that `date` falls on.
fn warmup_day(w: &Warmup, date: Date) -> i64 {
    i64::from(date.days_since(w.start)) + 1
}

/// A day of the warm-up above its cap, or more than `max_growth` times the previous
/// sending day of the warm-up.
#[derive(Clone, Debug, PartialEq)]
pub struct RampBreach {
    pub date: Date,
    pub pos: Pos,
    pub day: i64,
    pub sent: u64,
    pub cap: u64,
    pub previous: Option<(Date, u64)>,
    pub over_cap: bool,
    pub over_growth: bool,
}

impl RampBreach {
    /// How far over: the larger of sent/cap and growth/max_growth.
    pub fn severity_ratio(&self, max_growth: f64) -> f64 {
        let cap = self.sent as f64 / self.cap.max(1) as f64;
        let growth = self.previous.map_or(0.0, |(_, prev)| {
            self.sent as f64 / prev.max(1) as f64 / max_growth
        });
        cap.max(growth)
    }
}

pub fn judge_ramp(days: &[Day], w: &Warmup, p: &Params) -> Vec<RampBreach> {
    let mut breaches = Vec::new();
    let mut previous: Option<(Date, u64)> = None;
    for day in days {
        let n = warmup_day(w, day.date);
        let Some(cap) = p.schedule.cap(n) else {
            continue;
        };
        let sent = day.counts.sent;
        if sent == 0 {
            continue;
        }
        let over_cap = sent > cap;
        let over_growth =
            previous.is_some_and(|(_, prev)| sent as f64 > p.max_growth * prev as f64);
        if over_cap || over_growth {
            breaches.push(RampBreach {
                date: day.date,
                pos: day.pos,
                day: n,
                sent,
                cap,
                previous,
                over_cap,
                over_growth,
            });
        }
        previous = Some((day.date, sent));
    }
    breaches
}

/// An established day above `factor` times the median of the sending days of the trailing
/// window before it.
#[derive(Clone, Debug, PartialEq)]
pub struct SpikeBreach {
    pub date: Date,
    pub pos: Pos,
    pub sent: u64,
    pub median: f64,
}

/// Whether `date` is past the warm-up (or there is none).
fn established_on(w: Option<&Warmup>, date: Date, p: &Params) -> bool {
    w.is_none_or(|w| warmup_day(w, date) > i64::from(p.schedule.days()))
}

/// Sending volumes of the days in `[from, to]`.
fn sending_in(days: &[Day], from: Date, to: Date) -> Vec<u64> {
    let start = days.partition_point(|d| d.date < from);
    days[start..]
        .iter()
        .take_while(|d| d.date <= to)
        .filter(|d| d.counts.sent > 0)
        .map(|d| d.counts.sent)
        .collect()
}

pub fn judge_spikes(days: &[Day], w: Option<&Warmup>, p: &Params) -> Vec<SpikeBreach> {
    let mut breaches = Vec::new();
    for day in days {
        let sent = day.counts.sent;
        if sent < p.spike_min_volume || !established_on(w, day.date, p) {
            continue;
        }
        let mut baseline = sending_in(
            days,
            day.date.add_days(-p.spike_window),
            day.date.add_days(-1),
        );
        if baseline.len() < p.spike_min_days {
            continue;
        }
        let Some(m) = median(&mut baseline) else {
            continue;
        };
        if sent as f64 > p.spike_factor * m {
            breaches.push(SpikeBreach {
                date: day.date,
                pos: day.pos,
                sent,
                median: m,
            });
        }
    }
    breaches
}

/// Where a series stands on the as-of date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Stage {
    /// Day `day` of `days` of the schedule.
    WarmingUp {
        day: i64,
        days: u32,
        start: Date,
        source: StartSource,
    },
    /// A warm-up given with --warmup-start that has not begun yet.
    Scheduled { start: Date, source: StartSource },
    /// Past the warm-up, or never warming up (`warm_up_ended` is null then).
    Established { warm_up_ended: Option<Date> },
}

pub fn stage(w: Option<&Warmup>, as_of: Date, p: &Params) -> Stage {
    let Some(w) = w else {
        return Stage::Established {
            warm_up_ended: None,
        };
    };
    let n = warmup_day(w, as_of);
    if n < 1 {
        Stage::Scheduled {
            start: w.start,
            source: w.source,
        }
    } else if n <= i64::from(p.schedule.days()) {
        Stage::WarmingUp {
            day: n,
            days: p.schedule.days(),
            start: w.start,
            source: w.source,
        }
    } else {
        Stage::Established {
            warm_up_ended: Some(w.start.add_days(p.schedule.days() as i32 - 1)),
        }
    }
}

/// The largest safe volume for the day after the as-of date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NextDay {
    pub date: Date,
    pub cap: u64,
    /// What set the cap before any hold or cut: "schedule", "growth_limit",
    /// "trailing_median", "last_day" or "first_day".
    pub basis: &'static str,
    /// "ramp" (warm-up), "steady" (established), "hold" or "cut" (after a breach).
    pub action: &'static str,
    /// One sentence for people.
    pub reason: String,
}

fn floor_volume(x: f64) -> u64 {
    if x.is_finite() && x > 0.0 {
        x.floor().min(u64::MAX as f64) as u64
    } else {
        0
    }
}

#[allow(clippy::too_many_arguments)]
pub fn next_day(
    days: &[Day],
    w: Option<&Warmup>,
    as_of: Date,
    complaint: &[RateBreach],
    bounce: &[RateBreach],
    p: &Params,
) -> NextDay {
    let tomorrow = as_of.add_days(1);
    let last_send = days.iter().rev().find(|d| d.counts.sent > 0);
    let first_cap = p.schedule.cap(1).unwrap_or(1);
    let established = |days: &[Day]| -> (u64, &'static str, String) {
        let mut baseline = sending_in(days, tomorrow.add_days(-p.spike_window), as_of);
        if baseline.len() >= p.spike_min_days
            && let Some(m) = median(&mut baseline)
        {
            return (
                floor_volume(p.spike_factor * m),
                "trailing_median",
                format!(
                    "{}x the median of the sending days of the last {} days ({})",
                    factor(p.spike_factor),
                    p.spike_window,
                    fmt_count(floor_volume(m))
                ),
            );
        }
        match last_send {
            Some(d) => (
                floor_volume(p.max_growth * d.counts.sent as f64),
                "last_day",
                format!(
                    "{}x the {} sent on {} (too few recent sending days for a median)",
                    factor(p.max_growth),
                    fmt_count(d.counts.sent),
                    d.date
                ),
            ),
            None => (
                first_cap,
                "first_day",
                "no mail sent yet: day 1 of the warm-up schedule".to_string(),
            ),
        }
    };
    let (mut cap, basis, mut reason, mut action) = match w {
        Some(w) => {
            let n = warmup_day(w, tomorrow);
            if n < 1 {
                (
                    first_cap,
                    "schedule",
                    format!(
                        "the warm-up starts on {}: day 1 of the schedule allows {}",
                        w.start,
                        fmt_count(first_cap)
                    ),
                    "ramp",
                )
            } else if let Some(scheduled) = p.schedule.cap(n) {
                let growth = last_send
                    .filter(|d| d.date >= w.start)
                    .map(|d| (floor_volume(p.max_growth * d.counts.sent as f64), d));
                match growth {
                    Some((limit, d)) if limit < scheduled => (
                        limit,
                        "growth_limit",
                        format!(
                            "{}x the {} sent on {} (day {} of the schedule would allow {})",
                            factor(p.max_growth),
                            fmt_count(d.counts.sent),
                            d.date,
                            n,
                            fmt_count(scheduled)
                        ),
                        "ramp",
                    ),
                    _ => (
                        scheduled,
                        "schedule",
                        format!("day {n} of the warm-up schedule"),
                        "ramp",
                    ),
                }
            } else {
                let (cap, basis, reason) = established(days);
                (cap, basis, reason, "steady")
            }
        }
        None => {
            let (cap, basis, reason) = established(days);
            (cap, basis, reason, "steady")
        }
    };

    // A complaint or bounce breach on the newest day holds or cuts the volume.
    if let (Some(last), Some(sent)) = (days.last(), last_send) {
        let mut worst: Option<(&RateBreach, &RateParams)> = None;
        for (breaches, rp) in [(complaint, &p.complaint), (bounce, &p.bounce)] {
            if let Some(b) = breaches.last().filter(|b| b.date == last.date)
                && worst.is_none_or(|(w, _)| b.level() > w.level())
            {
                worst = Some((b, rp));
            }
        }
        if let Some((b, rp)) = worst {
            let (rate, window) = b.shown();
            let over = if window {
                format!("{} over {} days", pct(rate), rp.window_days)
            } else {
                pct(rate)
            };
            let held = sent.counts.sent;
            if b.level() == Severity::Error {
                let fraction = rp.next_day_cut.unwrap_or(1.0);
                let cut = floor_volume(fraction * held as f64);
                if cut < cap {
                    cap = cut;
                    action = "cut";
                    reason = format!(
                        "cut to {} of the {} sent on {}: the {} of {} reached {}",
                        pct(fraction),
                        fmt_count(held),
                        sent.date,
                        rp.label,
                        last.date,
                        over
                    );
                }
            } else if held < cap {
                cap = held;
                action = "hold";
                reason = format!(
                    "held at the {} sent on {}: the {} of {} reached {}",
                    fmt_count(held),
                    sent.date,
                    rp.label,
                    last.date,
                    over
                );
            }
        }
    }
    NextDay {
        date: tomorrow,
        cap,
        basis,
        action,
        reason,
    }
}

/// Totals and rates over the trailing window ending on a series' newest day.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Window {
    pub from: Date,
    pub to: Date,
    pub sent: u64,
    pub delivered: u64,
    pub hard_bounces: u64,
    pub complaints: u64,
    pub unsubscribes: u64,
    pub complaint_rate: f64,
    pub hard_bounce_rate: f64,
    pub unsubscribe_rate: f64,
}

pub fn window(days: &[Day], to: Date, length: i32) -> Window {
    let from = to.add_days(1 - length);
    let mut c = Counts::default();
    let start = days.partition_point(|d| d.date < from);
    for day in days[start..].iter().take_while(|d| d.date <= to) {
        c.add(&day.counts);
    }
    let r = |n: u64, d: u64| round6(ratio(u128::from(n), u128::from(d)));
    Window {
        from,
        to,
        sent: c.sent,
        delivered: c.delivered,
        hard_bounces: c.hard_bounces,
        complaints: c.complaints,
        unsubscribes: c.unsubscribes,
        complaint_rate: r(c.complaints, c.delivered),
        hard_bounce_rate: r(c.hard_bounces, c.sent),
        unsubscribe_rate: r(c.unsubscribes, c.delivered),
    }
}

/// The 0-100 health score of a series: see the documentation of sender/low-score.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Score {
    pub value: u32,
    /// Points of each part: complaints, bounces, unsubscribes, volume.
    pub parts: ScoreParts,
    /// Days of the window with a warm-up or volume-spike breach.
    pub volume_breach_days: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScoreParts {
    pub complaints: f64,
    pub bounces: f64,
    pub unsubscribes: f64,
    pub volume: f64,
}

pub fn score(w: &Window, ramp: &[RampBreach], spikes: &[SpikeBreach], p: &ScoreParams) -> Score {
    let part = |weight: f64, rate: f64, zero_at: f64| {
        if zero_at <= 0.0 {
            return if rate > 0.0 { 0.0 } else { weight };
        }
        weight * (1.0 - rate / zero_at).clamp(0.0, 1.0)
    };
    let mut breach_days: Vec<Date> = ramp
        .iter()
        .map(|b| b.date)
        .chain(spikes.iter().map(|b| b.date))
        .filter(|d| *d >= w.from && *d <= w.to)
        .collect();
    breach_days.sort_unstable();
    breach_days.dedup();
    let n = breach_days.len() as u32;
    let parts = ScoreParts {
        complaints: part(p.weight_complaints, w.complaint_rate, p.complaints_zero_at),
        bounces: part(p.weight_bounces, w.hard_bounce_rate, p.bounces_zero_at),
        unsubscribes: part(
            p.weight_unsubscribes,
            w.unsubscribe_rate,
            p.unsubscribes_zero_at,
        ),
        volume: p.weight_volume * (1.0 - p.volume_penalty_per_day * f64::from(n)).clamp(0.0, 1.0),
    };
    let total = parts.complaints + parts.bounces + parts.unsubscribes + parts.volume;
    let one = |x: f64| (x * 10.0).round() / 10.0;
    Score {
        value: total.round().clamp(0.0, 100.0) as u32,
        parts: ScoreParts {
            complaints: one(parts.complaints),
            bounces: one(parts.bounces),
            unsubscribes: one(parts.unsubscribes),
            volume: one(parts.volume),
        },
        volume_breach_days: n,
    }
}

/// Everything judged about one series.
#[derive(Clone, Debug, PartialEq)]
pub struct SeriesAnalysis {
    pub days: Vec<Day>,
    pub warmup: Option<Warmup>,
    pub stage: Stage,
    pub complaint: Vec<RateBreach>,
    pub bounce: Vec<RateBreach>,
    pub unsubscribe: Vec<RateBreach>,
    pub ramp: Vec<RampBreach>,
    pub spikes: Vec<SpikeBreach>,
    pub window: Window,
    pub score: Score,
    pub next_day: NextDay,
}

/// Judge a series (days in date order, none after `as_of`).
pub fn analyse(days: Vec<Day>, declared: Declared, as_of: Date, p: &Params) -> SeriesAnalysis {
    let warmup = warmup(&days, declared, p);
    let complaint = judge_rate(&days, &p.complaint);
    let bounce = judge_rate(&days, &p.bounce);
    let unsubscribe = judge_rate(&days, &p.unsubscribe);
    let ramp = warmup
        .as_ref()
        .map(|w| judge_ramp(&days, w, p))
        .unwrap_or_default();
    let spikes = judge_spikes(&days, warmup.as_ref(), p);
    let newest = days.last().map_or(as_of, |d| d.date);
    let window = window(&days, newest, p.score.window_days);
    let score = score(&window, &ramp, &spikes, &p.score);
    let next_day = next_day(&days, warmup.as_ref(), as_of, &complaint, &bounce, p);
    SeriesAnalysis {
        stage: stage(warmup.as_ref(), as_of, p),
        days,
        warmup,
        complaint,
        bounce,
        unsubscribe,
        ramp,
        spikes,
        window,
        score,
        next_day,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_ratios() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [5]), Some(5.0));
        assert_eq!(median(&mut [9, 1, 5]), Some(5.0));
        assert_eq!(median(&mut [1, 2, 3, 10]), Some(2.5));
        assert_eq!(ratio(0, 0), 0.0);
        assert_eq!(ratio(3, 0), 1.0);
        assert_eq!(ratio(1, 4), 0.25);
    }
}
