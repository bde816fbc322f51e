//! Calendar dates (`YYYY-MM-DD`, proleptic Gregorian, UTC days), kept as a day number so
//! windows and day-over-day steps are plain integer arithmetic: the days of the stats files,
//! a campaign's warm-up start, the day a DKIM signature expires.

use serde::{Serialize, Serializer};
use std::fmt;

/// A calendar date, as days since 1970-01-01. Only years 1 to 9999 can be parsed, so
/// arithmetic on a handful of days never overflows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(i32);

impl Date {
    /// 1970-01-01.
    pub const EPOCH: Date = Date(0);

    /// Parse exactly `YYYY-MM-DD` (four-digit year 0001-9999, two-digit month and day, a real
    /// calendar day). Anything else, including surrounding spaces, is `None`.
    pub fn parse(text: &str) -> Option<Date> {
        let b = text.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let num = |s: &[u8]| -> Option<u32> {
            s.iter().try_fold(0u32, |acc, &c| {
                c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
            })
        };
        let year = num(&b[0..4])?;
        let month = num(&b[5..7])?;
        let day = num(&b[8..10])?;
        if year == 0 || !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date(days_from_civil(year as i32, month, day)))
    }

    /// The date `days` days later (earlier when negative).
    pub fn add_days(self, days: i32) -> Date {
        Date(self.0.saturating_add(days))
    }

    /// Days from `earlier` to `self` (negative when `earlier` is later).
    pub fn days_since(self, earlier: Date) -> i32 {
        self.0.saturating_sub(earlier.0)
    }

    /// The UTC day of a Unix time in seconds (days beyond i32 are clamped).
    pub fn from_unix_seconds(seconds: u64) -> Date {
        Date(i32::try_from(seconds / 86_400).unwrap_or(i32::MAX))
    }

    /// Today, on the machine's local calendar (its time zone), or in UTC when the local
    /// offset cannot be known (the `time` crate refuses to read it once the process has
    /// several threads: ask early). The only reading of the wall clock for dates; the
    /// families never call it, the commands do when no `--as-of` is given.
    pub fn today() -> Date {
        let now = time::OffsetDateTime::now_utc();
        let local =
            time::UtcOffset::current_local_offset().map_or(now, |offset| now.to_offset(offset));
        Date(days_from_civil(
            local.year(),
            u32::from(u8::from(local.month())),
            u32::from(local.day()),
        ))
    }

    /// Days since 1970-01-01.
    pub fn day_number(self) -> i32 {
        self.0
    }

    /// (year, month, day).
    pub fn ymd(self) -> (i64, u32, u32) {
        civil_from_days(i64::from(self.0))
    }
}

/// A Unix time in seconds as RFC 3339 UTC (`2024-05-10T00:00:00Z`), for report dates; times
/// before 1970 or past year 9999 are clamped to those bounds.
pub fn rfc3339_utc(seconds: i64) -> String {
    let seconds = seconds.clamp(0, 253_402_300_799);
    let day = Date::from_unix_seconds(seconds.unsigned_abs());
    let rest = seconds % 86_400;
    format!(
        "{day}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

fn is_leap(year: u32) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(year) => 29,
        _ => 28,
    }
}

/// Howard Hinnant's `days_from_civil`: days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i32, month: u32, day: u32) -> i32 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400) as u32;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe as i32 - 719_468
}

/// The inverse of [`days_from_civil`], in i64 so that no day number can overflow it.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097) as u32;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = i64::from(yoe) + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_real_dates() {
        for text in [
            "1970-01-01",
            "2024-02-29",
            "2000-02-29",
            "0001-01-01",
            "9999-12-31",
            "2023-12-31",
        ] {
            assert_eq!(Date::parse(text).unwrap().to_string(), text);
        }
        assert_eq!(Date::parse("1970-01-01").unwrap().day_number(), 0);
        assert_eq!(Date::parse("1970-01-02").unwrap().day_number(), 1);
        assert_eq!(Date::parse("1969-12-31").unwrap().day_number(), -1);
    }

    #[test]
    fn rejects_everything_else() {
        for bad in [
            "",
            "2024-2-01",
            "2024-02-30",
            "2023-02-29",
            "1900-02-29",
            "0000-01-01",
            "2024-13-01",
            "2024-00-10",
            "2024-01-00",
            " 2024-01-01",
            "2024-01-01 ",
            "2024/01/01",
            "01/02/2024",
            "2024-01-01T00:00:00",
            "+024-01-01",
            "２０２４-01-01",
        ] {
            assert!(Date::parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn extreme_day_numbers_print_without_overflow() {
        for d in [
            Date(i32::MAX),
            Date(i32::MIN),
            Date::EPOCH.add_days(i32::MAX),
        ] {
            assert!(!d.to_string().is_empty());
        }
    }

    #[test]
    fn today_is_near_the_utc_day() {
        let utc = Date::from_unix_seconds(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs(),
        );
        // Time zones are at most 14 hours from UTC.
        assert!(Date::today().days_since(utc).abs() <= 1);
    }

    #[test]
    fn day_arithmetic_round_trips() {
        let start = Date::parse("2023-12-25").unwrap();
        assert_eq!(start.add_days(7).to_string(), "2024-01-01");
        assert_eq!(start.add_days(66).to_string(), "2024-02-29");
        assert_eq!(start.add_days(7).days_since(start), 7);
        for n in (-719_162..2_932_896).step_by(997) {
            let d = Date(n);
            assert_eq!(Date::parse(&d.to_string()), Some(d));
        }
    }
}
