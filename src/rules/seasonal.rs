//! Seasonal customers: away in the same months last year too, and back after. Their
//! off season is not defection.

use chrono::Months;

use crate::history::History;
use crate::normalize::Day;
use crate::normalize::date::{to_date, to_day};
use crate::stats::median;

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
    let long_enough = back - left >= MIN_OFF_SEASON_DAYS.max(to_ly - from_ly - 2 * TOLERANCE_DAYS);
    (left < from_ly + TOLERANCE_DAYS && back < from && long_enough).then_some((left, back))
}

/// A gap is an off season when it is at least this long and at least
/// [`OFF_SEASON_FACTOR`] times the customer's usual gap.
pub const MIN_OFF_SEASON_DAYS: Day = 60;
pub const OFF_SEASON_FACTOR: f64 = 4.0;
/// How far (days) two off seasons a year apart may be shifted and still recur.
pub const RECUR_DAYS: Day = 45;

/// A seasonal customer: a long gap (off season) that recurred a year later, starting
/// and ending about the same time of year; or one that started about the same time of
/// year as their current silence.
pub fn is_seasonal(h: &History, as_of: Day) -> bool {
    if h.visits.len() < 4 {
        return false;
    }
    let gaps: Vec<f64> = h
        .visits
        .windows(2)
        .map(|w| f64::from(w[1].day - w[0].day))
        .collect();
    let long = (OFF_SEASON_FACTOR * median(&gaps)).max(f64::from(MIN_OFF_SEASON_DAYS));
    // (start, end, ongoing)
    let mut off: Vec<(Day, Day, bool)> = h
        .visits
        .windows(2)
        .filter(|w| f64::from(w[1].day - w[0].day) >= long)
        .map(|w| (w[0].day, w[1].day, false))
        .collect();
    if let Some(last) = h.last_day() {
        if f64::from(as_of - last) >= long {
            off.push((last, as_of, true));
        }
    }
    let near = |a: Day, b: Day| (year_before(a) - b).abs() <= RECUR_DAYS;
    off.iter().enumerate().any(|(i, later)| {
        off[..i]
            .iter()
            .any(|earlier| near(later.0, earlier.0) && (later.2 || near(later.1, earlier.1)))
    })
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
    fn recognises_seasonal_customers() {
        let winter = |y: i32| every(day(y, 11, 1), day(y + 1, 2, 28), 5);
        let mut days = winter(2024);
        days.extend(winter(2025));
        let b = Built::new(&days, |_| 10.0, |_| vec![]);
        // in the off season now, as last year
        assert!(is_seasonal(&b.history(), day(2026, 10, 31)));
        // a steady customer is not
        let steady = Built::new(
            &every(day(2024, 11, 1), day(2026, 10, 31), 5),
            |_| 10.0,
            |_| vec![],
        );
        assert!(!is_seasonal(&steady.history(), day(2026, 10, 31)));
        // one long break is not a season
        let mut once = every(day(2024, 11, 1), day(2025, 3, 1), 5);
        once.extend(every(day(2025, 7, 1), day(2026, 10, 31), 5));
        let once = Built::new(&once, |_| 10.0, |_| vec![]);
        assert!(!is_seasonal(&once.history(), day(2026, 10, 31)));
    }

    #[test]
    fn year_before_handles_leap_days() {
        assert_eq!(year_before(day(2028, 2, 29)), day(2027, 2, 28));
        assert_eq!(year_before(day(2026, 10, 31)), day(2025, 10, 31));
    }
}
