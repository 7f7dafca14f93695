//! Rules 1 and 5, `partial_defection` and `slowing`: the customer's visit rate fell.
//!
//! The family that now eats elsewhere half the times it goes out still comes, but half
//! as often. For each recent window of w days up to the as-of date (`windows`), the
//! baseline is the `baseline_days` before the window (from their first visit if later;
//! the first visit itself is not counted, it only marks the start). With k_r visits in
//! the window and k_b in the baseline of b days:
//!
//! - ratio = (k_r / w) / (k_b / b)
//! - p = P(X ≤ k_r), X ~ Binomial(k_r + k_b, w / (w + b)): the exact conditional test of
//!   two Poisson rates, one-sided (see [`crate::stats::rate_fall_p`]).
//!
//! The rule fires on the window with the smallest p where ratio ≤ `max_ratio` and
//! p · (number of windows) < `alpha` (Bonferroni). A customer with few visits needs a
//! larger fall to be judged. Seasonal customers are excused when the same window last
//! year was a low season too (at most half their baseline rate) and this year's window
//! is not significantly down against it (same test, same threshold).

use super::config::RateFallConfig;
use super::{Check, Customer, Finding, RuleId, per_month, seasonal};
use crate::normalize::Day;
use crate::normalize::date::to_date;
use crate::stats::rate_fall_p;

/// The baseline needs at least this many days.
const MIN_BASELINE_DAYS: Day = 60;

struct Fall {
    window: Day,
    from: Day,
    recent: u64,
    base: u64,
    base_days: Day,
    p: f64,
}

pub fn check(c: &Customer, cfg: &RateFallConfig, rule: RuleId) -> Check {
    let h = c.history;
    let Some(first) = h.first_day() else {
        return Check::Quiet;
    };
    let tried = cfg.windows.len().max(1) as f64;
    let end = c.as_of + 1;
    let mut best: Option<Fall> = None;
    let mut excused = None;
    for &w in &cfg.windows {
        let w = w as Day;
        let from = end - w;
        let base_from = (from - c.config.history.baseline_days as Day).max(first);
        let base_days = from - base_from;
        if base_days < MIN_BASELINE_DAYS {
            continue;
        }
        let mut base = h.visits_between(base_from, from) as u64;
        if base_from == first {
            base = base.saturating_sub(1);
        }
        if base < u64::from(c.config.history.min_visits) {
            continue;
        }
        let recent = h.visits_between(from, end) as u64;
        let ratio = (recent as f64 / f64::from(w)) / (base as f64 / f64::from(base_days));
        let p = rate_fall_p(recent, f64::from(w), base, f64::from(base_days)) * tried;
        if ratio > cfg.max_ratio || p >= cfg.alpha {
            continue;
        }
        if let Some(why) = seasonal_excuse(
            c,
            from,
            end,
            w,
            base as f64 / f64::from(base_days),
            recent,
            cfg,
        ) {
            excused.get_or_insert(why);
            continue;
        }
        if best.as_ref().is_none_or(|b| p < b.p) {
            best = Some(Fall {
                window: w,
                from,
                recent,
                base,
                base_days,
                p,
            });
        }
    }
    match (best, excused) {
        (Some(f), _) => Check::Fired(Finding {
            rule,
            status: cfg.status,
            evidence: evidence(&f),
            since: Some(f.from),
        }),
        (None, Some(why)) => Check::Excused(why),
        (None, None) => Check::Quiet,
    }
}

fn evidence(f: &Fall) -> String {
    let before = per_month(f.base as f64, f64::from(f.base_days));
    let now = per_month(f.recent as f64, f64::from(f.window));
    if f.recent == 0 {
        format!(
            "no visits in the last {} days (since {}), down from {before:.1}/month",
            f.window,
            to_date(f.from)
        )
    } else {
        format!(
            "visits fell from {before:.1}/month to {now:.1}/month since {} (last {} days)",
            to_date(f.from),
            f.window
        )
    }
}

/// Excuses a fall in the customer's low season: last year's same window was low as
/// well, and this year's is not down against it.
fn seasonal_excuse(
    c: &Customer,
    from: Day,
    end: Day,
    window: Day,
    base_rate: f64,
    recent: u64,
    cfg: &RateFallConfig,
) -> Option<String> {
    let h = c.history;
    let (from_ly, end_ly) = (seasonal::year_before(from), seasonal::year_before(end));
    // They must have been a customer for the whole of last year's window.
    if h.first_day()? >= from_ly {
        return None;
    }
    let last_year = h.visits_between(from_ly, end_ly) as u64;
    let low_season = (last_year as f64) <= 0.5 * base_rate * f64::from(window);
    // Down against last year's same window? Same test, equal window lengths.
    let ly_days = f64::from(end_ly - from_ly);
    let down = (recent as f64) < cfg.max_ratio * last_year as f64
        && rate_fall_p(recent, f64::from(window), last_year, ly_days) < cfg.alpha;
    (low_season && !down).then(|| {
        format!(
            "seasonal: {recent} visit{} in the last {window} days, as in the same months last year ({last_year:.0})",
            super::plural(recent as usize)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleConfig;
    use crate::rules::testing::*;

    fn run(days: &[Day], as_of: Day, rule: RuleId) -> Check {
        let b = Built::new(days, |_| 10.0, |_| vec![]);
        let h = b.history();
        let config = RuleConfig::default();
        let cfg = match rule {
            RuleId::Slowing => &config.rules.slowing,
            _ => &config.rules.partial_defection,
        };
        check(
            &Customer {
                history: &h,
                as_of,
                config: &config,
                category_names: &[],
            },
            cfg,
            rule,
        )
    }

    #[test]
    fn half_the_visits_for_months_is_partial_defection() {
        let as_of = day(2026, 10, 31);
        // twice a week for a year and a half, then every 10 days for 6 months
        let mut days = every(as_of - 730, as_of - 180, 3);
        days.extend(every(as_of - 180, as_of + 1, 10));
        match run(&days, as_of, RuleId::PartialDefection) {
            Check::Fired(f) => {
                assert_eq!(f.rule, RuleId::PartialDefection);
                assert!(
                    f.evidence
                        .starts_with("visits fell from 10.3/month to 3.0/month since"),
                    "{}",
                    f.evidence
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_small_fall_is_slowing_not_partial_defection() {
        let as_of = day(2026, 10, 31);
        // twice a week, then every 5 days for the last 9 months
        let mut days = every(as_of - 730, as_of - 270, 3);
        days.extend(every(as_of - 270, as_of + 1, 5));
        assert_eq!(run(&days, as_of, RuleId::PartialDefection), Check::Quiet);
        assert!(matches!(
            run(&days, as_of, RuleId::Slowing),
            Check::Fired(_)
        ));
    }

    #[test]
    fn few_visits_need_stronger_evidence() {
        let as_of = day(2026, 10, 31);
        // 6 visits in a year, then 1 in the last 120 days: could be chance.
        let days = [
            as_of - 480,
            as_of - 420,
            as_of - 360,
            as_of - 300,
            as_of - 240,
            as_of - 180,
            as_of - 60,
        ];
        assert_eq!(run(&days, as_of, RuleId::PartialDefection), Check::Quiet);
    }

    #[test]
    fn seasonal_customers_in_their_low_season_are_excused() {
        let mut days = Vec::new();
        for y in 2024..=2026 {
            days.extend(every(day(y, 5, 1), day(y, 9, 30), 3));
        }
        let check = run(&days, day(2026, 12, 31), RuleId::PartialDefection);
        assert!(matches!(check, Check::Excused(_)), "{check:?}");
    }
}
