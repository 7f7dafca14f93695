//! Seasonal customers: away in the same months last year too, and back after. Their
//! off season is not defection.

use chrono::Months;

use crate::history::History;
use crate::normalize::Day;
use crate::normalize::date::{to_date, to_day};

/// How much earlier (or later) than last year a seasonal customer may leave (or come
/// back) and still count as "the same months".
pub const TOLERANCE_DAYS: Day = 30;

/// The same day one year earlier (29 February becomes 28 February).
pub fn year_before(day: Day) -> Day {
    to_date(day)
        .checked_sub_months(Months::new(12))
        .map_or(day - 365, to_day)
}

/// When the customer was also away last year over the days `from..=to` shifted back a
/// year — having visited before that and come back after — returns last year's gap
/// (last visit before, first visit after).
pub fn away_last_year(h: &History, from: Day, to: Day) -> Option<(Day, Day)> {
    let (from_ly, to_ly) = (year_before(from), year_before(to));
    // Last year's gap around the end of this year's silence (a month's slack: they may
    // come back a little later this year).
    let probe = (to_ly - TOLERANCE_DAYS).max(from_ly);
    let after = h.visits.partition_point(|v| v.day <= probe);
    if after == 0 || after >= h.visits.len() {
        return None;
    }
    let (left, back) = (h.visits[after - 1].day, h.visits[after].day);
    // Left no later than about when they left this year, back only after the probe, and
    // all of it last year, not this year's own silence.
    (left < from_ly + TOLERANCE_DAYS && back < from).then_some((left, back))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    #[test]
    fn finds_last_years_off_season() {
        // Summer visits (May–September) in 2025 and 2026.
        let mut days = every(day(2025, 5, 1), day(2025, 10, 1), 7);
        days.extend(every(day(2026, 5, 3), day(2026, 10, 1), 7));
        let b = Built::new(&days, |_| 10.0, |_| vec![]);
        let h = b.history();
        let last = *days.last().unwrap();
        let gap = away_last_year(&h, last + 1, day(2026, 12, 1)).unwrap();
        assert_eq!(
            to_date(gap.1),
            chrono::NaiveDate::from_ymd_opt(2026, 5, 3).unwrap()
        );
        // In season last year: not away.
        assert_eq!(away_last_year(&h, day(2026, 6, 1), day(2026, 8, 1)), None);
    }

    #[test]
    fn year_before_handles_leap_days() {
        assert_eq!(year_before(day(2028, 2, 29)), day(2027, 2, 28));
        assert_eq!(year_before(day(2026, 10, 31)), day(2025, 10, 31));
    }
}
