//! Rule 4, `category_stop`: stopped buying a category they bought on most visits.
//!
//! Formula: for each category, take the customer's last visit that included it. Of the
//! n visits in the `baseline_days` before that visit, b included it (share b/n); since
//! then there have been k visits without it. With the share shrunk toward ½
//! (p = (b + 1) / (n + 2)), the chance of k visits in a row without it is (1 − p)^k.
//! The rule fires when b/n ≥ `min_share`, n ≥ `min_baseline_visits`, the last purchase
//! is at least `min_days` old and (1 − p)^k · (categories tested) < `alpha`.

use super::{Check, Customer, Finding, RuleId};
use crate::normalize::Day;
use crate::normalize::date::to_date;

pub fn check(c: &Customer) -> Check {
    let name = |code: u32| match c.category_names.get(code as usize) {
        Some(n) if !n.is_empty() => format!("\"{n}\""),
        _ => format!("category {code}"),
    };
    let cfg = &c.config.rules.category_stop;
    let h = c.history;
    if !h.has_categories() || h.visits.is_empty() {
        return Check::Quiet;
    }
    // Categories bought at all, with the index of their last visit.
    let mut last_seen: Vec<(u32, usize)> = Vec::new();
    for i in 0..h.visits.len() {
        for &cat in h.visit_categories(i) {
            match last_seen.iter_mut().find(|(c, _)| *c == cat) {
                Some(entry) => entry.1 = i,
                None => last_seen.push((cat, i)),
            }
        }
    }
    struct Candidate {
        cat: u32,
        bought: usize,
        base: usize,
        after: usize,
        last_day: Day,
        p: f64,
    }
    let mut candidates = Vec::new();
    for &(cat, last) in &last_seen {
        let last_day = h.visits[last].day;
        let after = h.visits.len() - 1 - last;
        if c.as_of - last_day < cfg.min_days as Day || after == 0 {
            continue;
        }
        let base_range = h.visit_range(last_day - c.config.history.baseline_days as Day, last_day);
        let base = base_range.len();
        let bought = base_range
            .filter(|&i| h.visit_categories(i).contains(&cat))
            .count();
        if base < cfg.min_baseline_visits as usize || (bought as f64) < cfg.min_share * base as f64
        {
            continue;
        }
        let share = (bought as f64 + 1.0) / (base as f64 + 2.0);
        let p = (1.0 - share).powi(after as i32);
        candidates.push(Candidate {
            cat,
            bought,
            base,
            after,
            last_day,
            p,
        });
    }
    let tested = candidates.len() as f64;
    let best = candidates
        .into_iter()
        .filter(|k| k.p * tested < cfg.alpha)
        .min_by(|a, b| a.p.total_cmp(&b.p));
    match best {
        Some(k) => Check::Fired(Finding {
            rule: RuleId::CategoryStop,
            status: cfg.status,
            evidence: format!(
                "stopped buying {}: on {} of {} visits before {}, none of the {} visits since",
                name(k.cat),
                k.bought,
                k.base,
                to_date(k.last_day),
                k.after
            ),
            since: Some(k.last_day + 1),
            measure: None,
        }),
        None => Check::Quiet,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleConfig;
    use crate::rules::testing::*;

    fn run(stop_after: Day, visits_since: usize) -> Check {
        let as_of = day(2026, 10, 31);
        let days = every(as_of - 400, as_of + 1, 7);
        let n = days.len();
        let b = Built::new(
            &days,
            |_| 10.0,
            |i| {
                // category 1 on 9 of 10 visits until the stop; category 0 always
                if days[i] < stop_after && i % 10 != 3 && i < n - visits_since {
                    vec![0, 1]
                } else {
                    vec![0]
                }
            },
        );
        let h = b.history();
        let config = RuleConfig::default();
        check(&Customer {
            history: &h,
            as_of,
            config: &config,
            category_names: &["coffee".to_string(), "wine".to_string()],
        })
    }

    #[test]
    fn stopping_a_habit_fires() {
        let as_of = day(2026, 10, 31);
        match run(as_of - 90, 0) {
            Check::Fired(f) => {
                assert!(
                    f.evidence.starts_with("stopped buying \"wine\": on "),
                    "{}",
                    f.evidence
                );
                assert!(
                    f.evidence.ends_with("none of the 13 visits since"),
                    "{}",
                    f.evidence
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_short_pause_does_not() {
        let as_of = day(2026, 10, 31);
        assert_eq!(run(as_of - 15, 0), Check::Quiet);
    }
}
