//! Rule 2, `gone`: silent for far longer than the customer's own rhythm makes plausible.
//!
//! Formula: with gaps g between their visits in the last two years (mean m, variance v),
//! fit a gamma distribution with mean m and shape k = m²/v, shrunk toward 1 (the
//! exponential) when there are few gaps: k' = (n·k + 3) / (n + 3), capped to [0.3, 20].
//! The rule fires when the silence s (days since the last visit) has
//! P(G ≥ s) < alpha, s is longer than any gap they had before, and
//! s ≥ min_silence_days — unless they were away over the same months last year and came
//! back (seasonal). Steady customers (high k) are judged tightly, irregular ones
//! loosely, and infrequent-but-steady ones after what is long *for them*.
//! Customers with too few visits to have a rhythm are gone after `sparse_silence_days`.

use super::{Check, Customer, Finding, RuleId, plural, seasonal};
use crate::normalize::Day;
use crate::normalize::date::to_date;
use crate::stats::{gamma_survival, mean_var, median};

/// Gaps within this many days before the as-of date define the rhythm.
const RHYTHM_DAYS: Day = 730;
/// Pseudo-gaps pulling the shape toward 1 (exponential) when there are few gaps.
const SHAPE_PRIOR: f64 = 3.0;

pub fn check(c: &Customer) -> Check {
    let cfg = &c.config.rules.gone;
    let h = c.history;
    let Some(last) = h.last_day() else {
        return Check::Quiet;
    };
    let silence = c.as_of - last;
    if silence < cfg.min_silence_days as Day {
        return Check::Quiet;
    }
    let n_visits = h.visits.len();
    if n_visits < c.config.history.min_visits as usize {
        if silence >= cfg.sparse_silence_days as Day {
            return fired(
                c,
                format!(
                    "no visit for {silence} days (only {n_visits} visit{} before, too few for a rhythm)",
                    plural(n_visits)
                ),
                last,
                None,
            );
        }
        return Check::Quiet;
    }
    let recent = &h.visits[h.visit_range(c.as_of - RHYTHM_DAYS, c.as_of + 1)];
    let visits = if recent.len() >= 3 { recent } else { h.visits };
    let gaps: Vec<f64> = visits
        .windows(2)
        .map(|w| f64::from(w[1].day - w[0].day))
        .collect();
    if gaps.is_empty() {
        return Check::Quiet;
    }
    let longest = h
        .visits
        .windows(2)
        .map(|w| w[1].day - w[0].day)
        .max()
        .unwrap_or(0);
    let (mean, var) = mean_var(&gaps);
    let n = gaps.len() as f64;
    let raw_shape = if var > 0.0 { mean * mean / var } else { 20.0 };
    let shape = ((n * raw_shape + SHAPE_PRIOR) / (n + SHAPE_PRIOR)).clamp(0.3, 20.0);
    if silence <= longest {
        return Check::Quiet;
    }
    let p = gamma_survival(f64::from(silence), mean, shape);
    if p >= cfg.alpha {
        return Check::Quiet;
    }
    if cfg.seasonal {
        if let Some((left, back)) = seasonal::away_last_year(h, last + 1, c.as_of) {
            return Check::Excused(format!(
                "seasonal: no visit since {}, as last year (away {} to {})",
                to_date(last),
                to_date(left),
                to_date(back)
            ));
        }
    }
    fired(
        c,
        format!(
            "no visit for {silence} days, usual gap {:.0} days (longest before: {longest})",
            median(&gaps)
        ),
        last,
        Some(p),
    )
}

fn fired(c: &Customer, evidence: String, last: Day, p: Option<f64>) -> Check {
    Check::Fired(Finding {
        rule: RuleId::Gone,
        status: c.config.rules.gone.status,
        evidence,
        since: Some(last + 1),
        measure: p,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleConfig;
    use crate::rules::testing::*;

    fn run(days: &[Day], as_of: Day) -> Check {
        let b = Built::new(days, |_| 10.0, |_| vec![]);
        let h = b.history();
        let config = RuleConfig::default();
        check(&Customer {
            history: &h,
            as_of,
            config: &config,
            category_names: &[],
        })
    }

    #[test]
    fn a_weekly_regular_silent_for_months_is_gone() {
        let as_of = day(2026, 10, 31);
        let days = every(as_of - 600, as_of - 100, 7);
        match run(&days, as_of) {
            Check::Fired(f) => {
                assert_eq!(
                    f.evidence,
                    "no visit for 103 days, usual gap 7 days (longest before: 7)"
                );
                assert_eq!(f.since, Some(as_of - 102));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_infrequent_steady_customer_is_not_gone_after_a_normal_gap() {
        let as_of = day(2026, 10, 31);
        // every 60 days, last visit 70 days ago
        let days = every(as_of - 70 - 600, as_of - 69, 60);
        assert_eq!(run(&days, as_of), Check::Quiet);
        // ...but is after 200 days
        let days = every(as_of - 200 - 600, as_of - 199, 60);
        assert!(matches!(run(&days, as_of), Check::Fired(_)));
    }

    #[test]
    fn a_seasonal_customer_in_the_off_season_is_excused() {
        let mut days = every(day(2024, 5, 1), day(2024, 9, 20), 4);
        days.extend(every(day(2025, 5, 1), day(2025, 9, 20), 4));
        days.extend(every(day(2026, 5, 1), day(2026, 9, 10), 4));
        // Shorter than their off-season gaps: nothing to say.
        assert_eq!(run(&days, day(2026, 12, 31)), Check::Quiet);
        // Longer than any gap before, but last year they were away then too.
        match run(&days, day(2027, 4, 28)) {
            Check::Excused(why) => assert!(
                why.starts_with("seasonal: no visit since 2026-09-0"),
                "{why}"
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn sparse_customers_are_gone_after_a_year() {
        let as_of = day(2026, 10, 31);
        assert_eq!(run(&[as_of - 300, as_of - 200], as_of), Check::Quiet);
        match run(&[as_of - 500, as_of - 400], as_of) {
            Check::Fired(f) => assert!(
                f.evidence
                    .starts_with("no visit for 400 days (only 2 visits")
            ),
            other => panic!("{other:?}"),
        }
    }
}
