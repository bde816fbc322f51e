//! The warm-up schedule (`rules/warmup-schedule.toml`): day-by-day volume caps.

use serde::Deserialize;

/// The schedule file, compiled into the binary.
pub const SCHEDULE_FILE: &str = include_str!("../../rules/warmup-schedule.toml");

/// Day-by-day caps of a domain's warm-up: `caps[N - 1]` for day N.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WarmupSchedule {
    /// Where the numbers come from.
    pub source: String,
    pub caps: Vec<u64>,
}

impl WarmupSchedule {
    /// Parse and check a schedule: 1 to 366 days, every cap at least 1 and none below the day
    /// before.
    pub fn parse(text: &str) -> Result<WarmupSchedule, String> {
        let schedule: WarmupSchedule = toml::from_str(text).map_err(|e| e.to_string())?;
        if schedule.caps.is_empty() || schedule.caps.len() > 366 {
            return Err(format!(
                "a warm-up schedule has 1 to 366 days, not {}",
                schedule.caps.len()
            ));
        }
        if let Some(day) = schedule.caps.iter().position(|&c| c == 0) {
            return Err(format!(
                "day {} of the warm-up schedule has a cap of 0",
                day + 1
            ));
        }
        if let Some(day) = schedule.caps.windows(2).position(|w| w[1] < w[0]) {
            return Err(format!(
                "day {} of the warm-up schedule has a lower cap than day {}",
                day + 2,
                day + 1
            ));
        }
        Ok(schedule)
    }

    /// The schedule shipped in `rules/`.
    pub fn builtin() -> Result<WarmupSchedule, String> {
        WarmupSchedule::parse(SCHEDULE_FILE).map_err(|e| format!("rules/warmup-schedule.toml: {e}"))
    }

    /// Number of days of the warm-up.
    pub fn days(&self) -> u32 {
        self.caps.len() as u32
    }

    /// The cap of day `day` (1-based), if the warm-up lasts that long.
    pub fn cap(&self, day: i64) -> Option<u64> {
        let index = usize::try_from(day.checked_sub(1)?).ok()?;
        self.caps.get(index).copied()
    }

    /// The last day's cap: a history that starts at or above it is not a warm-up.
    pub fn final_cap(&self) -> u64 {
        self.caps.last().copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Rules;

    #[test]
    fn the_builtin_schedule_is_valid_and_within_the_growth_limit() {
        let schedule = WarmupSchedule::builtin().unwrap();
        assert_eq!(schedule.days(), 30, "SPEC §4.6: the first 30 days");
        assert!(!schedule.source.trim().is_empty());
        let max_growth = Rules::builtin()
            .unwrap()
            .threshold(crate::sender::rules::WARMUP_RAMP_MAX_GROWTH);
        for (day, pair) in schedule.caps.windows(2).enumerate() {
            assert!(
                pair[1] as f64 <= max_growth * pair[0] as f64,
                "day {} grows {}x",
                day + 2,
                pair[1] as f64 / pair[0] as f64
            );
        }
        assert_eq!(schedule.cap(1), Some(50));
        assert_eq!(schedule.cap(30), Some(100_000));
        assert_eq!(schedule.cap(31), None);
        assert_eq!(schedule.cap(0), None);
        assert_eq!(schedule.cap(-3), None);
        assert_eq!(schedule.final_cap(), 100_000);
    }

    #[test]
    fn broken_schedules_are_refused() {
        for bad in [
            "source = \"x\"\ncaps = []",
            "source = \"x\"\ncaps = [10, 0]",
            "source = \"x\"\ncaps = [10, 5]",
            "caps = [10]",
            "source = \"x\"\ncaps = [10]\nextra = 1",
            "source = \"x\"\ncaps = [-1]",
        ] {
            assert!(WarmupSchedule::parse(bad).is_err(), "{bad}");
        }
    }
}
