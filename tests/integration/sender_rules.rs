//! The sender rules on the fixtures of `fixtures/stats/`: each rule fires on one and stays
//! silent on another, and the score, stage and next-day volume match values worked out by
//! hand (in the comments).

use mailaudit::config::Config;
use mailaudit::finding::{Finding, Location, Severity};
use mailaudit::rules::Rules;
use mailaudit::sender::analysis::{Stage, StartSource};
use mailaudit::sender::{Date, SenderOptions, SenderResult, SenderRun, StatsError, audit_files};
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/stats")
        .join(name)
}

fn date(text: &str) -> Date {
    Date::parse(text).unwrap()
}

fn run_with(names: &[&str], options: &SenderOptions, rules: &Rules) -> SenderRun {
    let paths: Vec<PathBuf> = names.iter().map(|n| fixture(n)).collect();
    audit_files(&paths, rules, options).unwrap()
}

fn run(name: &str) -> SenderResult {
    let mut run = run_with(
        &[name],
        &SenderOptions::default(),
        &Rules::builtin().unwrap(),
    );
    assert_eq!(run.results.len(), 1);
    run.results.remove(0)
}

fn fired<'a>(result: &'a SenderResult, rule: &str) -> Vec<&'a Finding> {
    result.findings.iter().filter(|f| f.rule == rule).collect()
}

fn rules_fired(result: &SenderResult) -> Vec<&str> {
    let mut rules: Vec<&str> = result.findings.iter().map(|f| f.rule.as_str()).collect();
    rules.sort_unstable();
    rules
}

fn line(finding: &Finding) -> u32 {
    match &finding.location {
        Some(Location::Line { line, .. }) => *line,
        other => panic!("no line: {other:?}"),
    }
}

/// steady.example: 14 days of 3,000 sent, 2,940 delivered, 15 hard bounces, 6
/// unsubscribes, a complaint every other day. An export that starts mid-history at the usual
/// volume: not a warm-up, and nothing fires.
#[test]
fn a_clean_established_sender_is_silent() {
    let r = run("established.csv");
    assert_eq!(r.findings, []);
    assert_eq!(
        r.facts.stage,
        Stage::Established {
            warm_up_ended: None
        }
    );
    // Score over 2024-05-08..14: 21,000 sent, 20,580 delivered, 105 hard bounces, 4
    // complaints (the 8th, 10th, 12th, 14th), 42 unsubscribes.
    //   complaints   40 * (1 - 0.000194/0.003) = 40 * 0.93533 = 37.41  (4/20580 = 0.000194)
    //   bounces      30 * (1 - 0.005/0.05)     = 27                    (105/21000)
    //   unsubscribes 10 * (1 - 0.002041/0.02)  = 8.98                  (42/20580)
    //   volume       20 (no breach)
    //   37.41 + 27 + 8.98 + 20 = 93.39 -> 93
    assert_eq!(r.facts.score.value, 93);
    assert_eq!(r.facts.score.parts.complaints, 37.4);
    assert_eq!(r.facts.score.parts.bounces, 27.0);
    assert_eq!(r.facts.window.complaint_rate, 0.000194);
    // Tomorrow: established, 3 x the median (3,000) of the last 7 days = 9,000.
    assert_eq!(r.facts.next_day.date, date("2024-05-15"));
    assert_eq!(r.facts.next_day.cap, 9_000);
    assert_eq!(
        (r.facts.next_day.basis, r.facts.next_day.action),
        ("trailing_median", "steady")
    );
    assert_eq!(r.facts.rows, 14);
    assert_eq!(r.facts.totals.sent, 42_000);
    assert!(r.facts.by_ip.is_empty() && r.facts.by_provider.is_empty());
}

/// fresh.example sends exactly the schedule's caps for 12 days (50, 100, 200, ..., 4,000).
#[test]
fn a_warm_up_done_right_is_silent_and_gets_the_next_cap() {
    let r = run("warmup-good.csv");
    assert_eq!(r.findings, []);
    // First day 50 < 100,000 (the last cap); the median of the 11 later days is 1,000,
    // at least 2 x 50: a warm-up since the first day, on day 12 of 30 as of 2024-05-12.
    assert_eq!(
        r.facts.stage,
        Stage::WarmingUp {
            day: 12,
            days: 30,
            start: date("2024-05-01"),
            source: StartSource::Detected,
        }
    );
    // Tomorrow is day 13: the schedule allows 5,000 (the growth limit, 2 x 4,000 = 8,000, is
    // higher).
    assert_eq!(r.facts.next_day.cap, 5_000);
    assert_eq!(
        (r.facts.next_day.basis, r.facts.next_day.action),
        ("schedule", "ramp")
    );
    // Score over 2024-05-06..12: no bounces or complaints; 29 unsubscribes (sent/500 each
    // day: 1+2+3+4+5+6+8) of 14,652 delivered = 0.001979:
    //   40 + 30 + 10 * (1 - 0.001979/0.02) + 20 = 40 + 30 + 9.01 + 20 = 99.01 -> 99
    assert_eq!(r.facts.score.value, 99);
}

/// rush.example: 50, 100, then 5,000 and 6,000 a day.
#[test]
fn a_warm_up_that_jumps_breaks_the_ramp() {
    let r = run("warmup-jump.csv");
    let ramp = fired(&r, "sender/warmup-ramp");
    assert_eq!(ramp.len(), 1);
    let f = ramp[0];
    assert_eq!(f.severity, Severity::Error);
    // Days 3-7 are over their caps (200, 400, 600, 800, 1,000); day 3 is also 50x day 2.
    // The worst is day 3: 5,000 / 200 = 25x the cap (and 50x / 2x = 25 on growth).
    assert!(
        f.message.starts_with(
            "warm-up since 2024-05-01 (detected from the ramp of the data) broke the schedule \
             on 5 days; worst 2024-05-03 (day 3): 5,000 sent, 25x the day's cap of 200 and \
             50x the 100 sent on 2024-05-02 (at most 2x)"
        ),
        "{}",
        f.message
    );
    // The header is line 1, 2024-05-03 is line 4.
    assert_eq!(line(f), 4);
    let days = f.evidence.measured.as_ref().unwrap()["days"]
        .as_array()
        .unwrap();
    assert_eq!(days.len(), 5);
    // 6,000 the day after 5,000 is under 2x: only the cap was broken.
    assert_eq!(days[2]["over_growth"], false);
    assert_eq!(days[2]["over_cap"], true);
    // Score over 2024-05-01..07: 5 ramp days take the volume part (20 * max(0, 1 - 5 * 0.5)
    // = 0); hard bounces 140 / 28,150 sent = 0.004973 -> 30 * 0.90054 = 27.02; 28
    // unsubscribes / 27,587 delivered = 0.001015 -> 10 * 0.94925 = 9.49; no complaints: 40.
    //   40 + 27.02 + 9.49 + 0 = 76.51 -> 77
    assert_eq!(r.facts.score.value, 77);
    assert_eq!(r.facts.score.volume_breach_days, 5);
    assert_eq!(r.facts.score.parts.volume, 0.0);
    // Tomorrow is day 8: the schedule's 1,500, far under what the domain sends.
    assert_eq!(r.facts.next_day.cap, 1_500);
    assert!(fired(&r, "sender/low-score").is_empty());
}

/// loud.example: gmail 2,500 and yahoo 1,500 delivered a day; on 2024-05-11 yahoo gets 15
/// complaints (1%) and gmail 2, on 2024-05-12 yahoo 3 and gmail 1.
#[test]
fn a_complaint_spike_fires_for_the_domain_and_the_provider() {
    let r = run("complaint-spike.csv");
    let complaints = fired(&r, "sender/complaint-rate");
    assert_eq!(complaints.len(), 2, "{complaints:#?}");
    // The domain: 17 / 4,000 = 0.425% on the 11th (error, 1.42x the 0.3% limit), 4 / 4,000 =
    // 0.1% on the 12th (warning). The 7-day windows stay under 0.1% (26 / 28,000).
    let domain = complaints
        .iter()
        .find(|f| !f.message.contains(" to yahoo"))
        .unwrap();
    assert_eq!(domain.severity, Severity::Error);
    assert_eq!(
        domain.message,
        "complaint rate at or above 0.1% on 2 days (1 at or above 0.3%); worst 2024-05-11: \
         0.425%, 1.42x the 0.3% limit; also 2024-05-12 (0.1%)"
    );
    // 2024-05-11's first row is line 22 (two rows a day after the header).
    assert_eq!(line(domain), 22);
    // Yahoo alone: 15 / 1,500 = 1% on the 11th; the 12th: 3 / 1,500 = 0.2% (and 18 / 10,500
    // = 0.171% over its 7 days).
    let yahoo = complaints
        .iter()
        .find(|f| f.message.contains(" to yahoo"))
        .unwrap();
    assert!(
        yahoo.message.starts_with(
            "complaint rate to yahoo at or above 0.1% on 2 days (1 at or above 0.3%); worst \
             2024-05-11: 1%, 3.33x the 0.3% limit; also 2024-05-12 (0.2%)"
        ),
        "{}",
        yahoo.message
    );
    assert_eq!(
        rules_fired(&r),
        ["sender/complaint-rate", "sender/complaint-rate"]
    );
    // Tomorrow: the trailing median (4,032) would allow 12,096, but the newest day broke the
    // warning level: held at that day's 4,032.
    assert_eq!(r.facts.next_day.cap, 4_032);
    assert_eq!(r.facts.next_day.action, "hold");
    assert_eq!(r.facts.next_day.basis, "trailing_median");
    // Per provider: yahoo held at its 1,512; gmail steady at 3 x 2,520 = 7,560.
    let providers: Vec<(Option<String>, u64, &str)> = r
        .facts
        .by_provider
        .iter()
        .map(|s| {
            (
                s.provider.clone().unwrap(),
                s.next_day.cap,
                s.next_day.action,
            )
        })
        .collect();
    assert_eq!(
        providers,
        [
            (Some("gmail".to_string()), 7_560, "steady"),
            (Some("yahoo".to_string()), 1_512, "hold")
        ]
    );
    // Score over 2024-05-06..12: 26 complaints / 28,000 = 0.000929 -> 40 * 0.69033 = 27.61;
    // 56 hard bounces / 28,224 sent = 0.001984 -> 30 * 0.96032 = 28.81; 21 unsubscribes /
    // 28,000 = 0.00075 -> 10 * 0.9625 = 9.63; volume 20. 27.61 + 28.81 + 9.63 + 20 = 86.05
    assert_eq!(r.facts.score.value, 86);
}

/// dirty.example: 1% hard bounces for 7 days, then 130 of 2,000 (6.5%) on the last day.
#[test]
fn a_bounce_problem_fires_and_cuts_tomorrow() {
    let r = run("bounce-problem.csv");
    assert_eq!(rules_fired(&r), ["sender/bounce-rate"]);
    let f = fired(&r, "sender/bounce-rate")[0];
    assert_eq!(f.severity, Severity::Error);
    // The window ending on the 8th: 250 / 14,000 = 1.79%, under 2%: only the day fired.
    assert_eq!(
        f.message,
        "hard-bounce rate at or above 2% on 1 day (1 at or above 5%); worst 2024-05-08: 6.5%, \
         1.3x the 5% limit"
    );
    assert_eq!(line(f), 9);
    // Tomorrow: 3 x 2,000 = 6,000 by the median, cut to half the last day's 2,000 = 1,000.
    assert_eq!(r.facts.next_day.cap, 1_000);
    assert_eq!(r.facts.next_day.action, "cut");
    // Score: bounces 250 / 14,000 = 0.017857 -> 30 * 0.64286 = 19.29; no complaints 40;
    // 14 unsubscribes / 13,610 delivered = 0.001029 -> 10 * 0.94855 = 9.49; volume 20.
    // 19.29 + 40 + 9.49 + 20 = 88.77 -> 89
    assert_eq!(r.facts.score.value, 89);
}

/// spammy.example: 1,000 a day, all delivered, 4 complaints (0.4%), 40 hard bounces (4%),
/// 12 unsubscribes (1.2%) every day.
#[test]
fn list_problems_fire_every_rate_rule_and_the_score() {
    let r = run("list-problems.csv");
    assert_eq!(
        rules_fired(&r),
        [
            "sender/bounce-rate",
            "sender/complaint-rate",
            "sender/low-score",
            "sender/unsubscribe-rate"
        ]
    );
    assert_eq!(
        fired(&r, "sender/complaint-rate")[0].severity,
        Severity::Error
    );
    assert_eq!(
        fired(&r, "sender/bounce-rate")[0].severity,
        Severity::Warning
    );
    let unsub = fired(&r, "sender/unsubscribe-rate")[0];
    assert_eq!(unsub.severity, Severity::Warning);
    assert!(
        unsub.message.starts_with(
            "unsubscribe rate at or above 1% on 7 days; worst 2024-05-01: 1.2%, 1.2x the 1% limit"
        ),
        "{}",
        unsub.message
    );
    // Score: complaints 0.004 >= 0.003: 0; bounces 30 * (1 - 0.04/0.05) = 6; unsubscribes
    // 10 * (1 - 0.012/0.02) = 4; volume 20. 0 + 6 + 4 + 20 = 30, under 70.
    assert_eq!(r.facts.score.value, 30);
    let low = fired(&r, "sender/low-score")[0];
    assert_eq!(low.evidence.measured, Some(30.into()));
    assert!(
        low.message
            .starts_with("sending health score of spammy.example is 30/100, under 70")
    );
    // Error-level complaints on the last day: tomorrow is cut to half of 1,000.
    assert_eq!(
        (r.facts.next_day.cap, r.facts.next_day.action),
        (500, "cut")
    );
}

/// burst.example: 4,000 a day, 36,000 on 2024-05-11, 4,000 again on the 12th.
#[test]
fn a_volume_spike_fires_after_warm_up() {
    let r = run("spike.csv");
    let spikes = fired(&r, "sender/volume-spike");
    assert_eq!(spikes.len(), 1);
    assert_eq!(
        spikes[0].message,
        "volume above 3x the median of the previous 7 days on 1 day; worst 2024-05-11: 36,000 \
         sent, 9x the median of 4,000"
    );
    assert_eq!(spikes[0].severity, Severity::Warning);
    assert_eq!(line(spikes[0]), 12);
    // The spike day is in the score's window: volume 20 * (1 - 0.5) = 10. Hard bounces 150 /
    // 60,000 = 0.0025 -> 28.5; 60 unsubscribes / 59,400 delivered = 0.00101 -> 9.5; no
    // complaints 40. 40 + 28.5 + 9.5 + 10 = 88
    assert_eq!(r.facts.score.value, 88);
    // The median of the last 7 days is still 4,000: 12,000 tomorrow.
    assert_eq!(r.facts.next_day.cap, 12_000);
    // Silent on a flat sender and during a warm-up (the ramp rule covers that).
    assert!(fired(&run("established.csv"), "sender/volume-spike").is_empty());
    assert!(fired(&run("warmup-jump.csv"), "sender/volume-spike").is_empty());
}

#[test]
fn bulk_sender_is_counted_per_provider() {
    // big.example: gmail gets 5,000 a day from one IP, plus a new IP's ramp (up to 500).
    let r = run("providers.csv");
    assert_eq!(rules_fired(&r), ["sender/bulk-sender"]);
    let f = fired(&r, "sender/bulk-sender")[0];
    assert_eq!(f.severity, Severity::Info);
    assert_eq!(
        f.message,
        "sent 5,000 or more a day to gmail on 10 days (first 2024-05-01, most 5,500 on \
         2024-05-10): the bulk-sender requirements apply"
    );
    // Without a provider column the domain's total counts, and the message says so.
    let spike = run("spike.csv");
    let f = fired(&spike, "sender/bulk-sender")[0];
    assert!(
        f.message.contains("counting all providers together"),
        "{}",
        f.message
    );
    // Silent under 5,000 a day.
    assert!(fired(&run("established.csv"), "sender/bulk-sender").is_empty());
}

#[test]
fn ips_and_providers_get_their_own_stage_score_and_cap() {
    let r = run("providers.csv");
    let ips: Vec<(Option<String>, &Stage, u64)> = r
        .facts
        .by_ip
        .iter()
        .map(|s| (s.ip.clone().unwrap(), &s.stage, s.next_day.cap))
        .collect();
    // 192.0.2.10 sends 6,000 a day from the start: established, 3 x 6,000 tomorrow.
    // 192.0.2.11 starts on 2024-05-04 with 50, 100, ..., 1,000: warming up, day 7 of 30;
    // tomorrow is day 8 (1,500; 2 x 1,000 = 2,000 is higher).
    assert_eq!(ips.len(), 2);
    assert_eq!(ips[0].0.as_deref(), Some("192.0.2.10"));
    assert_eq!(ips[0].2, 18_000);
    assert_eq!(
        ips[1].1,
        &Stage::WarmingUp {
            day: 7,
            days: 30,
            start: date("2024-05-04"),
            source: StartSource::Detected
        }
    );
    assert_eq!(ips[1].2, 1_500);
    // The domain as a whole is established: its first day (6,000) is its usual volume.
    assert_eq!(
        r.facts.stage,
        Stage::Established {
            warm_up_ended: None
        }
    );
    assert_eq!(r.facts.by_provider.len(), 2);
}

#[test]
fn the_same_stats_in_json_give_the_same_report() {
    let rules = Rules::builtin().unwrap();
    let options = SenderOptions::default();
    let csv = run_with(&["providers.csv"], &options, &rules);
    let json = run_with(&["providers.json"], &options, &rules);
    let without_locations = |run: SenderRun| {
        run.results
            .into_iter()
            .map(|mut r| {
                for f in &mut r.findings {
                    f.location = None;
                }
                r
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(without_locations(csv), without_locations(json));
}

#[test]
fn stale_data_fires_against_the_newest_date_or_as_of() {
    let rules = Rules::builtin().unwrap();
    // stopped.example ends on the 5th, current.example on the 10th.
    let run = run_with(&["two-domains.csv"], &SenderOptions::default(), &rules);
    assert_eq!(run.as_of, date("2024-05-10"));
    let stale: Vec<&Finding> = run
        .results
        .iter()
        .flat_map(|r| r.findings.iter())
        .filter(|f| f.rule == "sender/no-recent-data")
        .collect();
    assert_eq!(stale.len(), 1);
    assert_eq!(
        stale[0].message,
        "the newest row for stopped.example is from 2024-05-05, 5 days before 2024-05-10, the \
         newest date in the data"
    );
    // With --as-of: more than 3 days fires, 3 days does not.
    let as_of = |day: &str| SenderOptions {
        as_of: Some(date(day)),
        ..Default::default()
    };
    let late = run_with(&["established.csv"], &as_of("2024-05-20"), &rules);
    let f = &late.results[0].findings;
    assert_eq!(f.len(), 1);
    assert_eq!(
        f[0].message,
        "the newest row for steady.example is from 2024-05-14, 6 days before 2024-05-20 \
         (--as-of)"
    );
    assert_eq!(late.results[0].facts.next_day.date, date("2024-05-21"));
    let fresh = run_with(&["established.csv"], &as_of("2024-05-17"), &rules);
    assert_eq!(fresh.results[0].findings, []);
    // An as-of date before the data is refused.
    let err = audit_files(&[fixture("established.csv")], &rules, &as_of("2024-05-13")).unwrap_err();
    assert!(matches!(err, StatsError::Usage(_)), "{err}");
    assert!(err.to_string().contains("before the newest row"), "{err}");
}

#[test]
fn the_user_can_say_a_domain_is_warming_up_or_established() {
    let rules = Rules::builtin().unwrap();
    // steady.example declared to start its warm-up on its first day: 3,000 is far over
    // day 1's cap of 50, and every day is over its cap up to day 11 (3,000 on day 11 is
    // within the cap of 3,000; days 12-14 too).
    let options = SenderOptions {
        warmup_start: [("steady.example".to_string(), date("2024-05-01"))].into(),
        ..Default::default()
    };
    let run = run_with(&["established.csv"], &options, &rules);
    let r = &run.results[0];
    let ramp = fired(r, "sender/warmup-ramp");
    assert_eq!(ramp.len(), 1);
    assert!(
        ramp[0].message.starts_with(
            "warm-up since 2024-05-01 (from --warmup-start) broke the schedule on 10 days; worst \
         2024-05-01 (day 1): 3,000 sent, 60x the day's cap of 50"
        ),
        "{}",
        ramp[0].message
    );
    assert_eq!(
        r.facts.stage,
        Stage::WarmingUp {
            day: 14,
            days: 30,
            start: date("2024-05-01"),
            source: StartSource::Option
        }
    );
    // Day 15's cap is 8,000; the growth limit 2 x 3,000 = 6,000 is lower.
    assert_eq!(
        (r.facts.next_day.cap, r.facts.next_day.basis),
        (6_000, "growth_limit")
    );

    // rush.example declared established: no ramp finding.
    let options = SenderOptions {
        established: ["rush.example".to_string()].into(),
        ..Default::default()
    };
    let run = run_with(&["warmup-jump.csv"], &options, &rules);
    assert!(fired(&run.results[0], "sender/warmup-ramp").is_empty());

    // A warm-up that starts after the as-of date: scheduled, tomorrow gets day 1's cap.
    let options = SenderOptions {
        warmup_start: [("steady.example".to_string(), date("2024-06-01"))].into(),
        ..Default::default()
    };
    let run = run_with(&["established.csv"], &options, &rules);
    let r = &run.results[0];
    assert!(matches!(r.facts.stage, Stage::Scheduled { .. }));
    assert_eq!(r.facts.next_day.cap, 50);

    // An option naming a domain without rows is a usage error, not a silent no-op.
    let options = SenderOptions {
        established: ["typo.example".to_string()].into(),
        ..Default::default()
    };
    let err = audit_files(&[fixture("established.csv")], &rules, &options).unwrap_err();
    assert!(matches!(err, StatsError::Usage(_)));
    assert!(err.to_string().contains("typo.example"));
}

#[test]
fn thresholds_come_from_the_rule_data() {
    // The score of rush.example is 77: a min_score of 80 makes sender/low-score fire; a
    // severity set by the user replaces the rule's own.
    let config = Config::parse(
        "[rules.\"sender/low-score\"]\nthresholds = { min_score = 80 }\n\n\
         [rules.\"sender/warmup-ramp\"]\nseverity = \"warning\"\n",
        "mailaudit.toml",
    )
    .unwrap();
    let mut rules = Rules::builtin().unwrap();
    rules.apply(&config).unwrap();
    let run = run_with(&["warmup-jump.csv"], &SenderOptions::default(), &rules);
    let r = &run.results[0];
    let low = fired(r, "sender/low-score");
    assert_eq!(low.len(), 1);
    assert!(
        low[0].message.contains("77/100, under 80"),
        "{}",
        low[0].message
    );
    // Severities set by the user win when the report is settled (ResultSink).
    let mut findings = r.findings.clone();
    rules.apply_levels(&mut findings);
    let ramp = findings
        .iter()
        .find(|f| f.rule == "sender/warmup-ramp")
        .unwrap();
    assert_eq!(ramp.severity, Severity::Warning);
}

/// The example of sender/low-score's documentation: 72.
#[test]
fn the_documented_score_example_holds() {
    use mailaudit::sender::analysis::{Params, Window, score};
    let rules = Rules::builtin().unwrap();
    let params = Params::from_rules(
        &rules,
        mailaudit::sender::WarmupSchedule::builtin().unwrap(),
    );
    let window = Window {
        from: date("2024-05-01"),
        to: date("2024-05-07"),
        sent: 10_100,
        delivered: 10_000,
        hard_bounces: 101,
        complaints: 15,
        unsubscribes: 50,
        complaint_rate: 0.0015,
        hard_bounce_rate: 0.01,
        unsubscribe_rate: 0.005,
    };
    let s = score(&window, &[], &[], &params.score);
    // 40 * 0.5 + 30 * 0.8 + 10 * 0.75 + 20 = 20 + 24 + 7.5 + 20 = 71.5 -> 72
    assert_eq!(s.value, 72);
    assert_eq!(
        (
            s.parts.complaints,
            s.parts.bounces,
            s.parts.unsubscribes,
            s.parts.volume
        ),
        (20.0, 24.0, 7.5, 20.0)
    );
    let doc = &rules.get("sender/low-score").unwrap().example;
    assert!(doc.contains("= 20 + 24 + 7.5 + 20 = 71.5 -> 72"), "{doc}");
}

#[test]
fn without_as_of_the_report_day_is_today_unless_the_data_is_newer() {
    let rules = Rules::builtin().unwrap();
    let today = |day: &str| SenderOptions {
        today: Some(date(day)),
        ..Default::default()
    };
    // The commands pass the machine's date: an export that stopped is stale against it.
    let late = run_with(&["established.csv"], &today("2024-05-20"), &rules);
    assert_eq!(late.as_of, date("2024-05-20"));
    let f = &late.results[0].findings;
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].severity, mailaudit::finding::Severity::Error);
    assert_eq!(
        f[0].message,
        "the newest row for steady.example is from 2024-05-14, 6 days before 2024-05-20, today"
    );
    // Rows after today (an export in another time zone): the newest date is the day, and
    // nothing is refused.
    let ahead = run_with(&["established.csv"], &today("2024-05-13"), &rules);
    assert_eq!(ahead.as_of, date("2024-05-14"));
    assert_eq!(ahead.results[0].findings, []);
}
