//! `mailaudit sender`: daily sending statistics (CSV or JSON) judged against the warm-up
//! schedule and the mailbox providers' complaint and bounce thresholds (SPEC §4.6).
//!
//! Facts first: [`input`] streams the rows of every file into a [`dataset::Dataset`], which
//! keeps one compact entry per (domain, ip, provider, date) and refuses duplicates. Then each
//! domain is judged ([`analysis`]): its warm-up stage, the days that broke a rate or volume
//! threshold, a 0-100 health score and the largest safe volume for the next day, the same
//! for each of its IPs and providers when the files name them, and the findings.

pub mod analysis;
mod csv;
pub mod dataset;
pub mod input;
mod json;
pub mod rules;
pub mod schedule;

pub use crate::date::Date;
pub use input::{Counts, ErrorKind, ReadOptions, StatsError};
pub use schedule::WarmupSchedule;

use crate::finding::{Finding, Location, Severity};
use crate::rules::Rules;
use crate::text::{escape_untrusted, factor, fmt_count, pct, plural};
use analysis::{
    Day, Declared, NextDay, Params, RateBreach, RateParams, SeriesAnalysis, Stage, Window,
    merge_days,
};
use dataset::{Dataset, DomainData, Grouped};
use rules::{BULK_SENDER, LOW_SCORE, NO_RECENT_DATA, VOLUME_SPIKE, WARMUP_RAMP};
use serde::Serialize;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Days shown in the facts' `recent` series (and the human report's sparklines).
pub const RECENT_DAYS: i32 = 30;

/// What a run is told besides the files.
#[derive(Clone, Debug, Default)]
pub struct SenderOptions {
    /// The day the report is for (`--as-of`): stale data and the next day are measured from
    /// it. It may not be before the newest row of the data.
    pub as_of: Option<Date>,
    /// Today's date, the report's day when `as_of` is not given (the commands pass the
    /// machine's date; when the data has rows after it, the newest date in the data is the
    /// day). Without either, the newest date in the data. The family never reads the clock.
    pub today: Option<Date>,
    /// Domains the user says are warming up, and since when (`--warmup-start DOMAIN=DATE`).
    pub warmup_start: BTreeMap<String, Date>,
    /// Domains the user says are established, whatever their history looks like.
    pub established: BTreeSet<String>,
    pub read: ReadOptions,
    /// Sum the rows of different files that share a (date, domain, ip, provider) key
    /// instead of refusing them as duplicates ([`read_files_merged`]).
    pub merge: bool,
    /// The warm-up schedule; the built-in one (`rules/warmup-schedule.toml`) when `None`.
    pub schedule: Option<WarmupSchedule>,
}

/// The judgement of one sending domain.
#[derive(Clone, Debug, PartialEq)]
pub struct SenderResult {
    pub domain: String,
    pub facts: SenderFacts,
    pub findings: Vec<Finding>,
}

/// A whole run: one result per domain, in domain order.
#[derive(Clone, Debug, PartialEq)]
pub struct SenderRun {
    pub results: Vec<SenderResult>,
    pub rows: u64,
    pub files: Vec<String>,
    pub as_of: Date,
}

/// The measured facts of a domain (`facts` of its JSON result).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SenderFacts {
    pub as_of: Date,
    pub first_date: Date,
    pub last_date: Date,
    /// Rows of the input for this domain, and distinct dates among them.
    pub rows: u64,
    pub days_with_data: usize,
    pub totals: CountsFacts,
    /// Totals and rates over the last days (the score's window) up to `last_date`.
    pub window: Window,
    pub stage: Stage,
    pub score: analysis::Score,
    pub next_day: NextDay,
    pub recent: Recent,
    /// One entry per IP, when the files have an ip column (`ip: null` for rows without).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub by_ip: Vec<ScopeFacts>,
    /// One entry per provider, when the files have a provider column.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub by_provider: Vec<ScopeFacts>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CountsFacts {
    pub sent: u64,
    pub delivered: u64,
    pub hard_bounces: u64,
    pub soft_bounces: u64,
    pub complaints: u64,
    pub unsubscribes: u64,
}

impl From<Counts> for CountsFacts {
    fn from(c: Counts) -> CountsFacts {
        CountsFacts {
            sent: c.sent,
            delivered: c.delivered,
            hard_bounces: c.hard_bounces,
            soft_bounces: c.soft_bounces,
            complaints: c.complaints,
            unsubscribes: c.unsubscribes,
        }
    }
}

/// The last [`RECENT_DAYS`] calendar days up to `last_date`, one value per day (0 sent and a
/// null rate on days without rows): what the sparklines draw.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Recent {
    pub from: Date,
    pub to: Date,
    pub sent: Vec<u64>,
    /// complaints / delivered; null when nothing was delivered.
    pub complaint_rate: Vec<Option<f64>>,
    /// The complaint rate drawn as a full bar: the error level of sender/complaint-rate.
    pub complaint_scale: f64,
}

/// Stage, score and next day of one IP or provider of a domain.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScopeFacts {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<Option<String>>,
    pub first_date: Date,
    pub last_date: Date,
    pub totals: CountsFacts,
    pub window: Window,
    pub stage: Stage,
    pub score: analysis::Score,
    pub next_day: NextDay,
}

/// Read every file (in order) into one checked dataset.
pub fn read_files<P: AsRef<Path>>(
    paths: &[P],
    options: &ReadOptions,
) -> Result<Grouped, StatsError> {
    read_into(Dataset::new(), paths, options)
}

/// [`read_files`], summing the rows of different files that share a key
/// ([`Dataset::merging`], `mailaudit sender --merge`).
pub fn read_files_merged<P: AsRef<Path>>(
    paths: &[P],
    options: &ReadOptions,
) -> Result<Grouped, StatsError> {
    read_into(Dataset::merging(), paths, options)
}

fn read_into<P: AsRef<Path>>(
    mut dataset: Dataset,
    paths: &[P],
    options: &ReadOptions,
) -> Result<Grouped, StatsError> {
    for path in paths {
        let path = path.as_ref();
        let name = path.display().to_string();
        let index = dataset.add_file(&name);
        input::read_file(path, &name, index, options, &mut dataset)?;
    }
    dataset.finish()
}

/// Read and judge the files.
pub fn audit_files<P: AsRef<Path>>(
    paths: &[P],
    rules: &Rules,
    options: &SenderOptions,
) -> Result<SenderRun, StatsError> {
    let grouped = if options.merge {
        read_files_merged(paths, &options.read)?
    } else {
        read_files(paths, &options.read)?
    };
    audit(grouped, rules, options)
}

/// Judge data already read.
pub fn audit(
    grouped: Grouped,
    rules: &Rules,
    options: &SenderOptions,
) -> Result<SenderRun, StatsError> {
    let schedule = match &options.schedule {
        Some(schedule) => schedule.clone(),
        None => WarmupSchedule::builtin().map_err(StatsError::Data)?,
    };
    let params = Params::from_rules(rules, schedule);
    let Some((newest, newest_pos)) = grouped.newest else {
        return Err(StatsError::Usage(
            "the stats files hold no rows".to_string(),
        ));
    };
    let (as_of, reference) = match (options.as_of, options.today) {
        (Some(as_of), _) if as_of < newest => {
            return Err(StatsError::Usage(format!(
                "--as-of {as_of} is before the newest row of the data ({newest}, {}:{})",
                grouped.files[newest_pos.file as usize], newest_pos.line
            )));
        }
        (Some(as_of), _) => (as_of, format!("{as_of} (--as-of)")),
        (None, Some(today)) if today >= newest => (today, format!("{today}, today")),
        _ => (newest, format!("{newest}, the newest date in the data")),
    };
    let known: BTreeSet<&str> = grouped.domains.iter().map(|d| d.domain.as_str()).collect();
    for domain in options
        .warmup_start
        .keys()
        .chain(options.established.iter())
    {
        if !known.contains(domain.as_str()) {
            return Err(StatsError::Usage(format!(
                "{domain} is named in an option but has no rows in the stats files"
            )));
        }
        if options.warmup_start.contains_key(domain) && options.established.contains(domain) {
            return Err(StatsError::Usage(format!(
                "{domain} is given both --warmup-start and --established"
            )));
        }
    }
    let ctx = RunCtx {
        rules,
        params: &params,
        files: &grouped.files,
        as_of,
        reference,
    };
    let results = grouped
        .domains
        .into_iter()
        .map(|data| {
            let declared = if let Some(start) = options.warmup_start.get(&data.domain) {
                Declared::Start(*start)
            } else if options.established.contains(&data.domain) {
                Declared::Established
            } else {
                Declared::Auto
            };
            audit_domain(data, declared, &ctx)
        })
        .collect();
    Ok(SenderRun {
        results,
        rows: grouped.rows,
        files: grouped.files.clone(),
        as_of,
    })
}

struct RunCtx<'a> {
    rules: &'a Rules,
    params: &'a Params,
    files: &'a [String],
    as_of: Date,
    /// The report's day as the stale finding names it: "2024-05-20 (--as-of)".
    reference: String,
}

impl RunCtx<'_> {
    fn location(&self, pos: input::Pos) -> Location {
        Location::Line {
            file: self
                .files
                .get(pos.file as usize)
                .cloned()
                .unwrap_or_default(),
            line: pos.line,
        }
    }
}

fn totals(days: &[Day]) -> Counts {
    let mut c = Counts::default();
    for d in days {
        c.add(&d.counts);
    }
    c
}

/// The domain's series split by IP (or provider), analysed one by one.
fn scopes(
    data: &DomainData,
    key: impl Fn(&dataset::SeriesData) -> Option<&str>,
    declared: Declared,
    ctx: &RunCtx<'_>,
) -> Vec<(Option<String>, SeriesAnalysis)> {
    let mut groups: BTreeMap<Option<&str>, Vec<&[dataset::Entry]>> = BTreeMap::new();
    for s in &data.series {
        groups.entry(key(s)).or_default().push(&s.entries);
    }
    groups
        .into_iter()
        .map(|(name, entries)| {
            let days = merge_days(entries);
            (
                name.map(str::to_string),
                analysis::analyse(days, declared, ctx.as_of, ctx.params),
            )
        })
        .collect()
}

fn scope_facts(a: &SeriesAnalysis) -> (Date, Date, CountsFacts) {
    let first = a.days.first().map_or(Date::EPOCH, |d| d.date);
    let last = a.days.last().map_or(first, |d| d.date);
    (first, last, totals(&a.days).into())
}

fn audit_domain(data: DomainData, declared: Declared, ctx: &RunCtx<'_>) -> SenderResult {
    let p = ctx.params;
    let rows: u64 = data.series.iter().map(|s| s.entries.len() as u64).sum();
    let has_ip = data.series.iter().any(|s| s.ip.is_some());
    let has_provider = data.series.iter().any(|s| s.provider.is_some());
    let by_ip = if has_ip {
        scopes(&data, |s| s.ip.as_deref(), declared, ctx)
    } else {
        Vec::new()
    };
    let by_provider = if has_provider {
        scopes(&data, |s| s.provider.as_deref(), declared, ctx)
    } else {
        Vec::new()
    };
    let days = merge_days(data.series.iter().map(|s| s.entries.as_slice()));
    let domain = data.domain;
    let a = analysis::analyse(days, declared, ctx.as_of, p);

    let mut findings = Vec::new();
    for (breaches, rp) in [
        (&a.complaint, &p.complaint),
        (&a.bounce, &p.bounce),
        (&a.unsubscribe, &p.unsubscribe),
    ] {
        findings.extend(rate_finding(ctx, &domain, None, breaches, rp));
    }
    if by_provider.len() > 1 {
        for (name, scope) in &by_provider {
            let label = format!("to {}", provider_label(name.as_deref()));
            findings.extend(rate_finding(
                ctx,
                &domain,
                Some(&label),
                &scope.complaint,
                &p.complaint,
            ));
        }
    }
    if let Some(w) = &a.warmup {
        findings.extend(ramp_finding(ctx, &domain, w, &a.ramp));
    }
    findings.extend(spike_finding(ctx, &domain, &a));
    if by_provider.is_empty() {
        findings.extend(bulk_finding(ctx, &domain, None, &a.days));
    } else {
        for (name, scope) in &by_provider {
            findings.extend(bulk_finding(
                ctx,
                &domain,
                Some(provider_label(name.as_deref())),
                &scope.days,
            ));
        }
    }
    let (first_date, last_date, totals) = scope_facts(&a);
    findings.extend(stale_finding(ctx, &domain, last_date, &a));
    findings.extend(score_finding(ctx, &domain, &a));

    let recent = recent(&a.days, last_date, p);
    let to_facts = |list: Vec<(Option<String>, SeriesAnalysis)>, ip: bool| -> Vec<ScopeFacts> {
        list.into_iter()
            .map(|(name, s)| {
                let (first_date, last_date, totals) = scope_facts(&s);
                ScopeFacts {
                    ip: ip.then(|| name.clone()),
                    provider: (!ip).then_some(name),
                    first_date,
                    last_date,
                    totals,
                    window: s.window,
                    stage: s.stage,
                    score: s.score,
                    next_day: s.next_day,
                }
            })
            .collect()
    };
    let facts = SenderFacts {
        as_of: ctx.as_of,
        first_date,
        last_date,
        rows,
        days_with_data: a.days.len(),
        totals,
        window: a.window,
        stage: a.stage,
        score: a.score,
        next_day: a.next_day,
        recent,
        by_ip: to_facts(by_ip, true),
        by_provider: to_facts(by_provider, false),
    };
    SenderResult {
        domain,
        facts,
        findings,
    }
}

fn provider_label(name: Option<&str>) -> &str {
    name.unwrap_or("providers not named in the data")
}

fn recent(days: &[Day], last: Date, p: &Params) -> Recent {
    let first = days.first().map_or(last, |d| d.date);
    let from = last.add_days(1 - RECENT_DAYS).max(first);
    let len = usize::try_from(last.days_since(from) + 1).unwrap_or(0);
    let mut sent = vec![0u64; len];
    let mut rate = vec![None; len];
    let start = days.partition_point(|d| d.date < from);
    for day in &days[start..] {
        let Ok(i) = usize::try_from(day.date.days_since(from)) else {
            continue;
        };
        if i < len {
            sent[i] = day.counts.sent;
            rate[i] = (day.counts.delivered > 0).then(|| {
                analysis::round6(analysis::ratio(
                    u128::from(day.counts.complaints),
                    u128::from(day.counts.delivered),
                ))
            });
        }
    }
    Recent {
        from,
        to: last,
        sent,
        complaint_rate: rate,
        complaint_scale: p.complaint.error.unwrap_or(p.complaint.warning),
    }
}

/// [`also`] for every item but the one at `skip` (the worst, already named).
fn also_except<T>(items: &[T], skip: usize, show: impl Fn(&T) -> String) -> String {
    also(
        items
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != skip)
            .map(|(_, item)| show(item))
            .collect(),
    )
}

/// "; also A, B, C and 2 more" for the items after the worst.
fn also(items: Vec<String>) -> String {
    const SHOWN: usize = 4;
    if items.is_empty() {
        return String::new();
    }
    let more = items.len().saturating_sub(SHOWN);
    let mut text = format!(
        "; also {}",
        items.into_iter().take(SHOWN).collect::<Vec<_>>().join(", ")
    );
    if more > 0 {
        text.push_str(&format!(" and {more} more"));
    }
    text
}

fn rate_finding(
    ctx: &RunCtx<'_>,
    domain: &str,
    scope: Option<&str>,
    breaches: &[RateBreach],
    rp: &RateParams,
) -> Option<Finding> {
    let worst_index = (0..breaches.len()).max_by(|&a, &b| {
        let key = |b: &RateBreach| (b.level(), b.shown().0);
        let (la, ra) = key(&breaches[a]);
        let (lb, rb) = key(&breaches[b]);
        // On a tie the earlier day wins.
        la.cmp(&lb).then(ra.total_cmp(&rb)).then(b.cmp(&a))
    })?;
    let worst = &breaches[worst_index];
    let errors = breaches
        .iter()
        .filter(|b| b.level() == Severity::Error)
        .count();
    let shown = |b: &RateBreach| {
        let (rate, window) = b.shown();
        if window {
            format!("{} over {} days", pct(rate), rp.window_days)
        } else {
            pct(rate)
        }
    };
    let limit = match (worst.level(), rp.error) {
        (Severity::Error, Some(e)) => e,
        _ => rp.warning,
    };
    let mut message = format!(
        "{}{} at or above {} on {}",
        rp.label,
        scope.map(|s| format!(" {s}")).unwrap_or_default(),
        pct(rp.warning),
        plural(breaches.len(), "day", "days")
    );
    if let Some(error) = rp.error
        && errors > 0
    {
        message.push_str(&format!(" ({errors} at or above {})", pct(error)));
    }
    message.push_str(&format!(
        "; worst {}: {}, {}x the {} limit",
        worst.date,
        shown(worst),
        factor(worst.shown().0 / limit),
        pct(limit)
    ));
    message.push_str(&also_except(breaches, worst_index, |b| {
        format!("{} ({})", b.date, shown(b))
    }));
    let days: Vec<serde_json::Value> = breaches
        .iter()
        .map(|b| {
            json!({
                "date": b.date,
                "day_rate": b.day_rate,
                "window_rate": b.window_rate,
                "level": b.level().as_str(),
            })
        })
        .collect();
    let mut finding = ctx
        .rules
        .finding(rp.rule, domain, message)
        .with_measured(json!({
            "scope": scope,
            "worst": {"date": worst.date, "rate": worst.shown().0, "window": worst.shown().1},
            "days": days,
        }))
        .with_threshold(json!({
            "warning": rp.warning,
            "error": rp.error,
            "min_volume": rp.min_volume,
            "window_days": rp.window_days,
        }))
        .at(ctx.location(worst.pos));
    finding = finding.with_severity(if errors > 0 {
        Severity::Error
    } else {
        Severity::Warning
    });
    Some(finding)
}

fn ramp_finding(
    ctx: &RunCtx<'_>,
    domain: &str,
    w: &analysis::Warmup,
    breaches: &[analysis::RampBreach],
) -> Option<Finding> {
    let p = ctx.params;
    let worst_index = (0..breaches.len()).max_by(|&a, &b| {
        breaches[a]
            .severity_ratio(p.max_growth)
            .total_cmp(&breaches[b].severity_ratio(p.max_growth))
            .then(b.cmp(&a))
    })?;
    let worst = &breaches[worst_index];
    let why = |b: &analysis::RampBreach| {
        let mut parts = Vec::new();
        if b.over_cap {
            parts.push(format!(
                "{}x the day's cap of {}",
                factor(b.sent as f64 / b.cap.max(1) as f64),
                fmt_count(b.cap)
            ));
        }
        if let (true, Some((date, prev))) = (b.over_growth, b.previous) {
            parts.push(format!(
                "{}x the {} sent on {} (at most {}x)",
                factor(b.sent as f64 / prev.max(1) as f64),
                fmt_count(prev),
                date,
                factor(p.max_growth)
            ));
        }
        parts.join(" and ")
    };
    let item = |b: &analysis::RampBreach| {
        format!(
            "{} (day {}): {} sent, {}",
            b.date,
            b.day,
            fmt_count(b.sent),
            why(b)
        )
    };
    let source = match w.source {
        analysis::StartSource::Option => "from --warmup-start",
        analysis::StartSource::Detected => "detected from the ramp of the data",
    };
    let message = format!(
        "warm-up since {} ({source}) broke the schedule on {}; worst {}{}",
        w.start,
        plural(breaches.len(), "day", "days"),
        item(worst),
        also_except(breaches, worst_index, |b| item(b))
    );
    let days: Vec<serde_json::Value> = breaches
        .iter()
        .map(|b| {
            json!({
                "date": b.date,
                "day": b.day,
                "sent": b.sent,
                "cap": b.cap,
                "previous": b.previous.map(|(date, sent)| json!({"date": date, "sent": sent})),
                "over_cap": b.over_cap,
                "over_growth": b.over_growth,
            })
        })
        .collect();
    Some(
        ctx.rules
            .finding(WARMUP_RAMP, domain, message)
            .with_measured(json!({"start": w.start, "days": days}))
            .with_threshold(json!({
                "schedule_days": p.schedule.days(),
                "max_growth": p.max_growth,
            }))
            .at(ctx.location(worst.pos)),
    )
}

fn spike_finding(ctx: &RunCtx<'_>, domain: &str, a: &SeriesAnalysis) -> Option<Finding> {
    let p = ctx.params;
    let breaches = &a.spikes;
    let ratio = |b: &analysis::SpikeBreach| b.sent as f64 / b.median.max(1.0);
    let worst_index = (0..breaches.len()).max_by(|&x, &y| {
        ratio(&breaches[x])
            .total_cmp(&ratio(&breaches[y]))
            .then(y.cmp(&x))
    })?;
    let worst = &breaches[worst_index];
    let item = |b: &analysis::SpikeBreach| {
        format!(
            "{}: {} sent, {}x the median of {}",
            b.date,
            fmt_count(b.sent),
            factor(ratio(b)),
            fmt_count(b.median.round() as u64)
        )
    };
    let message = format!(
        "volume above {}x the median of the previous {} days on {}; worst {}{}",
        factor(p.spike_factor),
        p.spike_window,
        plural(breaches.len(), "day", "days"),
        item(worst),
        also_except(breaches, worst_index, |b| item(b))
    );
    let days: Vec<serde_json::Value> = breaches
        .iter()
        .map(|b| json!({"date": b.date, "sent": b.sent, "median": b.median}))
        .collect();
    Some(
        ctx.rules
            .finding(VOLUME_SPIKE, domain, message)
            .with_measured(json!({"days": days}))
            .with_threshold(json!({
                "factor": p.spike_factor,
                "window_days": p.spike_window,
                "min_baseline_days": p.spike_min_days,
                "min_volume": p.spike_min_volume,
            }))
            .at(ctx.location(worst.pos)),
    )
}

fn bulk_finding(
    ctx: &RunCtx<'_>,
    domain: &str,
    provider: Option<&str>,
    days: &[Day],
) -> Option<Finding> {
    let limit = ctx.params.bulk_daily;
    let bulk: Vec<&Day> = days.iter().filter(|d| d.counts.sent >= limit).collect();
    let first = bulk.first()?;
    let most = bulk
        .iter()
        .max_by(|a, b| a.counts.sent.cmp(&b.counts.sent).then(b.date.cmp(&a.date)))?;
    let whom = match provider {
        Some(name) => format!(" to {}", escape_untrusted(name)),
        None => String::new(),
    };
    let mut message = format!(
        "sent {} or more a day{whom} on {} (first {}, most {} on {})",
        fmt_count(limit),
        plural(bulk.len(), "day", "days"),
        first.date,
        fmt_count(most.counts.sent),
        most.date
    );
    if provider.is_none() {
        message.push_str(
            ", counting all providers together (the data has no provider column, and providers count what they receive)",
        );
    }
    message.push_str(": the bulk-sender requirements apply");
    Some(
        ctx.rules
            .finding(BULK_SENDER, domain, message)
            .with_measured(json!({
                "provider": provider,
                "days": bulk.len(),
                "first": first.date,
                "max": most.counts.sent,
                "max_date": most.date,
            }))
            .with_threshold(limit)
            .at(ctx.location(first.pos)),
    )
}

fn stale_finding(
    ctx: &RunCtx<'_>,
    domain: &str,
    last: Date,
    a: &SeriesAnalysis,
) -> Option<Finding> {
    let age = ctx.as_of.days_since(last);
    if age <= ctx.params.stale_days {
        return None;
    }
    let reference = &ctx.reference;
    let pos = a.days.last().map(|d| d.pos)?;
    Some(
        ctx.rules
            .finding(
                NO_RECENT_DATA,
                domain,
                format!(
                    "the newest row for {domain} is from {last}, {} before {reference}",
                    plural(age as usize, "day", "days")
                ),
            )
            .with_measured(json!({"last_date": last, "as_of": ctx.as_of, "age_days": age}))
            .with_threshold(ctx.params.stale_days)
            .at(ctx.location(pos)),
    )
}

fn score_finding(ctx: &RunCtx<'_>, domain: &str, a: &SeriesAnalysis) -> Option<Finding> {
    let sp = &ctx.params.score;
    if f64::from(a.score.value) >= sp.min_score {
        return None;
    }
    let parts = &a.score.parts;
    let message = format!(
        "sending health score of {domain} is {}/100, under {} (complaints {}/{}, bounces {}/{}, unsubscribes {}/{}, volume {}/{} over {} to {})",
        a.score.value,
        sp.min_score,
        parts.complaints,
        sp.weight_complaints,
        parts.bounces,
        sp.weight_bounces,
        parts.unsubscribes,
        sp.weight_unsubscribes,
        parts.volume,
        sp.weight_volume,
        a.window.from,
        a.window.to
    );
    let pos = a.days.last().map(|d| d.pos)?;
    Some(
        ctx.rules
            .finding(LOW_SCORE, domain, message)
            .with_measured(a.score.value)
            .with_threshold(sp.min_score)
            .at(ctx.location(pos)),
    )
}
