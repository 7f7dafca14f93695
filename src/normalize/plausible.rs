//! Implausible dates: a line dated 1900-01-01 or 2100-01-01, or with a mistyped year far
//! from the rest of the data, would move the as-of date decades away and give every
//! customer a silence of thousands of days. Such lines are bad rows, named with their
//! line and value, and skipped with `--skip-bad-rows` like any other.
//!
//! **The rule.** A date before 1970 or after 2099 is implausible. So is a date in a
//! cluster at either end of the data that holds less than [`MINOR_SHARE`] of the dated
//! lines and is separated from the rest by more than [`GAP_DAYS`] days without a line:
//! the dates are split into clusters wherever [`GAP_DAYS`] pass without one. A quiet
//! season between busy ones is not at an end, so it stays.

use chrono::NaiveDate;
use rustc_hash::FxHashSet;

use super::date::{Day, to_date, to_day};

/// More days than this without a line separate two clusters of dates.
pub const GAP_DAYS: Day = 180;

/// An end cluster with less than this share of the dated lines is implausible.
pub const MINOR_SHARE: f64 = 0.02;

/// The first and last plausible day, and the implausible days.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plausible {
    pub first: Option<Day>,
    pub last: Option<Day>,
    pub bad: FxHashSet<Day>,
}

impl Plausible {
    /// The plausible range in words, for messages.
    pub fn range(&self) -> String {
        match (self.first, self.last) {
            (Some(a), Some(b)) => format!("{} to {}", to_date(a), to_date(b)),
            _ => "none".to_string(),
        }
    }
}

fn bounds() -> (Day, Day) {
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).map_or(0, to_day);
    (day(1970, 1, 1), day(2099, 12, 31))
}

/// Judges the days of a file: `(day, lines)` pairs in any order.
pub fn judge(days: impl IntoIterator<Item = (Day, u64)>) -> Plausible {
    let (lo, hi) = bounds();
    // Lines per distinct day, without holding a pair per line: runs of one day (exports
    // come in date order) are summed before the map sees them.
    let mut per_day: rustc_hash::FxHashMap<Day, u64> = rustc_hash::FxHashMap::default();
    let mut run: Option<(Day, u64)> = None;
    for (d, n) in days {
        match &mut run {
            Some((day, count)) if *day == d => *count += n,
            _ => {
                if let Some((day, count)) = run.replace((d, n)) {
                    *per_day.entry(day).or_default() += count;
                }
            }
        }
    }
    if let Some((day, count)) = run {
        *per_day.entry(day).or_default() += count;
    }
    let mut counted: Vec<(Day, u64)> = per_day.into_iter().filter(|(_, n)| *n > 0).collect();
    counted.sort_unstable();
    let mut bad: FxHashSet<Day> = counted
        .iter()
        .filter(|(d, _)| *d < lo || *d > hi)
        .map(|(d, _)| *d)
        .collect();
    let inside: Vec<(Day, u64)> = counted
        .iter()
        .copied()
        .filter(|(d, _)| !bad.contains(d))
        .collect();
    let total: u64 = inside.iter().map(|(_, n)| n).sum();
    // Clusters: index ranges into `inside`.
    let mut clusters: Vec<(usize, usize, u64)> = Vec::new();
    for (i, &(d, n)) in inside.iter().enumerate() {
        match clusters.last_mut() {
            Some(c) if d - inside[c.1 - 1].0 <= GAP_DAYS => {
                c.1 = i + 1;
                c.2 += n;
            }
            _ => clusters.push((i, i + 1, n)),
        }
    }
    let minor = |c: &(usize, usize, u64)| (c.2 as f64) < MINOR_SHARE * total as f64;
    // Peel minor clusters off both ends while a major one remains.
    let (mut from, mut to) = (0, clusters.len());
    if clusters.iter().any(|c| !minor(c)) {
        while from < to && minor(&clusters[from]) {
            from += 1;
        }
        while to > from && minor(&clusters[to - 1]) {
            to -= 1;
        }
    }
    for c in clusters[..from].iter().chain(&clusters[to..]) {
        bad.extend(inside[c.0..c.1].iter().map(|(d, _)| *d));
    }
    let kept = &clusters[from..to];
    Plausible {
        first: kept.first().map(|c| inside[c.0].0),
        last: kept.last().map(|c| inside[c.1 - 1].0),
        bad,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Day {
        to_day(s.parse().unwrap())
    }

    fn daily(from: &str, n: i32, lines: u64) -> Vec<(Day, u64)> {
        (0..n).map(|i| (day(from) + i, lines)).collect()
    }

    #[test]
    fn far_off_dates_are_implausible() {
        let mut days = daily("2025-01-01", 600, 10);
        days.push((day("2100-01-01"), 1));
        days.push((day("1900-01-01"), 1));
        days.push((day("2062-03-01"), 2));
        let p = judge(days);
        assert_eq!(p.bad.len(), 3);
        assert!(p.bad.contains(&day("2062-03-01")));
        assert_eq!(p.first, Some(day("2025-01-01")));
        assert_eq!(p.last, Some(day("2025-01-01") + 599));
    }

    #[test]
    fn seasons_and_steady_data_are_plausible() {
        // Two summer seasons with a closed winter between them.
        let mut days = daily("2025-05-01", 120, 5);
        days.extend(daily("2026-05-01", 120, 5));
        let p = judge(days);
        assert!(p.bad.is_empty());
        // A quiet stretch between busy ones is not at an end.
        let mut days = daily("2024-01-01", 300, 10);
        days.extend(daily("2025-06-01", 3, 1));
        days.extend(daily("2026-01-01", 300, 10));
        assert!(judge(days).bad.is_empty());
        // Tiny files: nothing to compare with, only the absolute bounds.
        assert!(judge([(day("2026-01-01"), 1)]).bad.is_empty());
        assert_eq!(judge([(day("2101-01-01"), 1)]).bad.len(), 1);
    }
}
