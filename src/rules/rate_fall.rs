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
//! p · m < `alpha`, with m = 1 + (windows − 1) / 2 for the nested windows (see
//! [`multiplicity`]). A customer with few visits needs a
//! larger fall to be judged. Seasonal customers (an off season that recurred a year
//! later, see [`seasonal::is_seasonal`]) are compared with the same window last year
//! instead (b = w), so their off season is not a fall.

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
    /// Compared with the same window last year.
    seasonal: bool,
}

pub fn check(c: &Customer, cfg: &RateFallConfig, rule: RuleId) -> Check {
    let h = c.history;
    let Some(first) = h.first_day() else {
        return Check::Quiet;
    };
    let seasonal = seasonal::is_seasonal(h, c.as_of);
    let tried = multiplicity(cfg.windows.len());
    let end = c.as_of + 1;
    let mut best: Option<Fall> = None;
    for &w in &cfg.windows {
        let w = w as Day;
        let from = end - w;
        // Seasonal customers: the same window last year; others: the year before it.
        let (base_from, base_to) = if seasonal {
            (seasonal::year_before(from), seasonal::year_before(end))
        } else {
            (
                (from - c.config.history.baseline_days as Day).max(first),
                from,
            )
        };
        let base_days = base_to - base_from;
        if base_days < MIN_BASELINE_DAYS.min(w) || base_from < first && seasonal {
            continue;
        }
        let mut base = h.visits_between(base_from, base_to) as u64;
        if base_from == first {
            base = base.saturating_sub(1);
        }
        if base < u64::from(c.config.history.min_visits) {
            continue;
        }
        let recent = h.visits_between(from, end) as u64;
        let ratio = (recent as f64 / f64::from(w)) / (base as f64 / f64::from(base_days));
        // The ratio is cheap; the test only runs when the ratio could fire.
        if ratio > cfg.max_ratio {
            continue;
        }
        let p = rate_fall_p(recent, f64::from(w), base, f64::from(base_days)) * tried;
        if p >= cfg.alpha {
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
                seasonal,
            });
        }
    }
    match best {
        Some(f) => Check::Fired(Finding {
            rule,
            status: cfg.status,
            evidence: evidence(&f),
            since: Some(f.from),
            measure: Some(
                (f.recent as f64 / f64::from(f.window)) / (f.base as f64 / f64::from(f.base_days)),
            ),
        }),
        None => Check::Quiet,
    }
}

/// The multiple-testing factor for `n` nested windows: 1 + (n − 1) / 2 (3 for the
/// default five). Nested windows share most of their visits, so Bonferroni's n is far
/// too strict: simulated on steady Poisson customers (test `calibration` below), the
/// default windows fire on 2.4% of them at alpha = 5% with this factor, 1.6% with 5.
fn multiplicity(n: usize) -> f64 {
    1.0 + (n.max(1) - 1) as f64 / 2.0
}

fn evidence(f: &Fall) -> String {
    let before = per_month(f.base as f64, f64::from(f.base_days));
    let now = per_month(f.recent as f64, f64::from(f.window));
    if f.seasonal {
        format!(
            "seasonal customer: {} visit{} in the last {} days (since {}), {} in the same days last year",
            f.recent,
            super::plural(f.recent as usize),
            f.window,
            to_date(f.from),
            f.base
        )
    } else if f.recent == 0 {
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
                        .starts_with("visits fell from 10.2/month to 3.0/month since"),
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
    fn seasonal_customers_are_compared_with_last_year() {
        let mut days = Vec::new();
        for y in 2024..=2026 {
            days.extend(every(day(y, 5, 1), day(y, 9, 30), 3));
        }
        assert_eq!(
            run(&days, day(2026, 12, 31), RuleId::PartialDefection),
            Check::Quiet
        );
        // ...but a season at half last year's visits is partial defection
        let mut days = Vec::new();
        for y in 2024..=2025 {
            days.extend(every(day(y, 5, 1), day(y, 9, 30), 3));
        }
        days.extend(every(day(2026, 5, 1), day(2026, 9, 30), 9));
        match run(&days, day(2026, 10, 15), RuleId::PartialDefection) {
            Check::Fired(f) => assert!(
                f.evidence.starts_with("seasonal customer: "),
                "{}",
                f.evidence
            ),
            other => panic!("{other:?}"),
        }
    }
}

#[cfg(test)]
mod calibration {
    //! The window scan tests several nested windows; this checks by simulation that,
    //! for customers whose rate did not change, it fires on at most `alpha` of them.
    use super::*;
    use crate::rules::RuleConfig;
    use crate::rules::testing::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Share of steady Poisson customers on which the rule fires, with the ratio
    /// threshold lifted so that only the significance test decides.
    fn false_alarm_rate(customers: usize, seed: u64) -> f64 {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut config = RuleConfig::default();
        config.rules.partial_defection.max_ratio = 1.0;
        let as_of = day(2026, 10, 31);
        let mut fired = 0;
        for _ in 0..customers {
            let per_month: f64 = rng.random_range(1.5..12.0);
            let p_day = per_month / crate::stats::DAYS_PER_MONTH;
            let days: Vec<Day> = (as_of - 730..=as_of)
                .filter(|_| rng.random_bool(p_day))
                .collect();
            let b = Built::new(&days, |_| 10.0, |_| vec![]);
            let h = b.history();
            let c = Customer {
                history: &h,
                as_of,
                config: &config,
                category_names: &[],
            };
            if matches!(
                check(
                    &c,
                    &config.rules.partial_defection,
                    RuleId::PartialDefection
                ),
                Check::Fired(_)
            ) {
                fired += 1;
            }
        }
        fired as f64 / customers as f64
    }

    #[test]
    fn the_window_scan_keeps_its_false_alarm_rate() {
        let rate = false_alarm_rate(3000, 11);
        eprintln!("false alarms on steady customers: {:.2}%", rate * 100.0);
        assert!(
            rate <= RuleConfig::default().rules.partial_defection.alpha,
            "{rate}"
        );
    }
}
