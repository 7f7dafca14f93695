//! Rule 3, `spend_drop`: spend per visit fell well below the customer's baseline.
//!
//! Formula: over the last `recent_days` (k_r ≥ `min_recent_visits` visits) against the
//! `baseline_days` before (at least `history.min_visits` visits):
//! ratio = (net revenue / visits) recent ÷ (net revenue / visits) baseline, refunds
//! included. The rule fires when ratio ≤ `max_ratio` and a one-sided Welch t-test on
//! log(spend per visit) gives p < `alpha`.

use super::{Check, Customer, Finding, RuleId};
use crate::normalize::Day;
use crate::normalize::date::to_date;
use crate::stats::mean_fall_p;

pub fn check(c: &Customer) -> Check {
    let cfg = &c.config.rules.spend_drop;
    let hist = &c.config.history;
    let h = c.history;
    let end = c.as_of + 1;
    let from = end - hist.recent_days as Day;
    let Some(first) = h.first_day() else {
        return Check::Quiet;
    };
    let base_from = (from - hist.baseline_days as Day).max(first);
    let recent = h.visit_range(from, end);
    let base = h.visit_range(base_from, from);
    if recent.len() < cfg.min_recent_visits as usize || base.len() < hist.min_visits as usize {
        return Check::Quiet;
    }
    let before = h.revenue_between(base_from, from) / base.len() as f64;
    let now = h.revenue_between(from, end) / recent.len() as f64;
    if before <= 0.0 || now / before > cfg.max_ratio {
        return Check::Quiet;
    }
    let log = |r: std::ops::Range<usize>| -> Vec<f64> {
        h.visits[r].iter().map(|v| v.spend.max(0.01).ln()).collect()
    };
    let p = mean_fall_p(&log(recent.clone()), &log(base));
    if p >= cfg.alpha {
        return Check::Quiet;
    }
    Check::Fired(Finding {
        rule: RuleId::SpendDrop,
        status: cfg.status,
        evidence: format!(
            "spend per visit fell from {before:.2} to {now:.2} ({:+.0}%) since {} ({} visits)",
            (now / before - 1.0) * 100.0,
            to_date(from),
            recent.len()
        ),
        since: Some(from),
        measure: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleConfig;
    use crate::rules::testing::*;

    fn run(spend_after: f64) -> Check {
        let as_of = day(2026, 10, 31);
        let days = every(as_of - 500, as_of + 1, 5);
        let cut = as_of - 89;
        let b = Built::new(
            &days,
            |i| {
                let wobble = [0.9, 1.1, 1.0, 0.95, 1.05][i % 5];
                if days[i] >= cut {
                    spend_after * wobble
                } else {
                    40.0 * wobble
                }
            },
            |_| vec![],
        );
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
    fn a_big_drop_in_spend_per_visit_fires() {
        match run(16.0) {
            Check::Fired(f) => assert_eq!(
                f.evidence,
                "spend per visit fell from 40.00 to 15.91 (-60%) since 2026-08-03 (18 visits)"
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_small_drop_does_not() {
        assert_eq!(run(34.0), Check::Quiet);
    }
}
