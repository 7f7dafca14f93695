//! Customer segments: what kind of customer someone is, from their history as of a date.
//! Segments answer "which kinds of customers do we lose?" (`churn rate --by segment`,
//! `--by value`).
//!
//! **Behaviour**, the first that applies, in this order:
//! 1. `new`: first visit less than `history.new_days` (120) days before the date — the
//!    rules' own "too little history to judge", so it comes first: someone who first
//!    came last week is new, whether or not they have come back yet.
//! 2. `one_visit`: a single visit (and not new): came once and never again.
//! 3. `seasonal`: an off season that recurs a year later
//!    ([`crate::rules::seasonal::is_seasonal`], the test the rules excuse silences by).
//! 4. `infrequent`: a usual (median) gap between visits of [`INFREQUENT_GAP_DAYS`] (30)
//!    days or more: comes monthly or less often.
//! 5. `regular`: the rest: comes more often than monthly.
//!
//! **Value band**: `high`, `mid` or `low` by tertiles of last-12-month net revenue among
//! a set of customers (in `churn rate`: those active at the start of the period, as of
//! that date). The cut points are computed once per run ([`ValueBands::from_revenues`]):
//! low up to the 1/3 quantile, mid up to the 2/3 quantile, high above it.

use serde::Serialize;

use crate::history::History;
use crate::normalize::Day;
use crate::rules::config::HistoryConfig;
use crate::rules::seasonal::is_seasonal;
use crate::rules::{Figures, RuleConfig};

/// A usual gap this long or longer: an infrequent customer (monthly or less often).
pub const INFREQUENT_GAP_DAYS: f64 = 30.0;

/// What kind of customer someone is, by their visits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Behaviour {
    New,
    OneVisit,
    Seasonal,
    Infrequent,
    Regular,
}

impl Behaviour {
    pub const ALL: [Behaviour; 5] = [
        Behaviour::New,
        Behaviour::OneVisit,
        Behaviour::Seasonal,
        Behaviour::Infrequent,
        Behaviour::Regular,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Behaviour::New => "new",
            Behaviour::OneVisit => "one_visit",
            Behaviour::Seasonal => "seasonal",
            Behaviour::Infrequent => "infrequent",
            Behaviour::Regular => "regular",
        }
    }
}

/// The behavioural segment of a customer as of `as_of`: `history` must end on or before
/// it and `figures` be the rules' figures for the same date
/// ([`crate::rules::Judgement::figures`]).
pub fn behaviour(
    history: &History,
    figures: &Figures,
    as_of: Day,
    config: &HistoryConfig,
) -> Behaviour {
    if as_of - figures.first_visit < config.new_days as Day {
        Behaviour::New
    } else if figures.visits <= 1 {
        Behaviour::OneVisit
    } else if is_seasonal(history, as_of) {
        Behaviour::Seasonal
    } else if figures
        .usual_gap_days
        .is_some_and(|g| g >= INFREQUENT_GAP_DAYS)
    {
        Behaviour::Infrequent
    } else {
        Behaviour::Regular
    }
}

/// [`behaviour`] with the rules' whole config (the usual call site).
pub fn behaviour_of(
    history: &History,
    figures: &Figures,
    as_of: Day,
    config: &RuleConfig,
) -> Behaviour {
    behaviour(history, figures, as_of, &config.history)
}

/// A value band: tertiles of last-12-month revenue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueBand {
    High,
    Mid,
    Low,
}

impl ValueBand {
    pub const ALL: [ValueBand; 3] = [ValueBand::High, ValueBand::Mid, ValueBand::Low];

    pub fn as_str(self) -> &'static str {
        match self {
            ValueBand::High => "high",
            ValueBand::Mid => "mid",
            ValueBand::Low => "low",
        }
    }
}

/// The cut points of the value bands, computed once from a set of customers.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ValueBands {
    /// Revenue up to this (the 1/3 quantile) is `low`.
    pub low_max: f64,
    /// Revenue up to this (the 2/3 quantile) is `mid`; above it, `high`.
    pub mid_max: f64,
}

impl ValueBands {
    /// Tertiles (linear interpolation between order statistics, as R's type 7) of the
    /// customers' last-12-month revenues. No customers: both cut points are 0.
    pub fn from_revenues(revenues: &[f64]) -> ValueBands {
        let mut v: Vec<f64> = revenues.iter().copied().filter(|x| x.is_finite()).collect();
        v.sort_by(f64::total_cmp);
        ValueBands {
            low_max: quantile(&v, 1.0 / 3.0),
            mid_max: quantile(&v, 2.0 / 3.0),
        }
    }

    pub fn band(&self, revenue_12m: f64) -> ValueBand {
        if revenue_12m <= self.low_max {
            ValueBand::Low
        } else if revenue_12m <= self.mid_max {
            ValueBand::Mid
        } else {
            ValueBand::High
        }
    }
}

/// The `q` quantile of sorted values (0 when empty).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    match sorted.len() {
        0 => 0.0,
        n => {
            let h = (n - 1) as f64 * q;
            let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
            sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{Built, day, every};
    use crate::rules::{RuleConfig, judge};

    fn segment_of(days: &[Day], as_of: Day) -> Behaviour {
        let b = Built::new(days, |_| 10.0, |_| vec![]);
        let h = b.history();
        let config = RuleConfig::default();
        let figures = judge(&h, as_of, &config).figures;
        behaviour_of(&h, &figures, as_of, &config)
    }

    #[test]
    fn each_behaviour_from_a_history_that_has_it() {
        let as_of = day(2026, 10, 31);
        // first came 10 days ago, once: new comes before one_visit
        assert_eq!(segment_of(&[as_of - 10], as_of), Behaviour::New);
        // first came 119 days ago, weekly since: still new
        assert_eq!(
            segment_of(&every(as_of - 119, as_of, 7), as_of),
            Behaviour::New
        );
        assert_eq!(segment_of(&[as_of - 300], as_of), Behaviour::OneVisit);
        assert_eq!(
            segment_of(&every(as_of - 700, as_of, 7), as_of),
            Behaviour::Regular
        );
        assert_eq!(
            segment_of(&every(as_of - 700, as_of, 29), as_of),
            Behaviour::Regular
        );
        assert_eq!(
            segment_of(&every(as_of - 700, as_of, 30), as_of),
            Behaviour::Infrequent
        );
        assert_eq!(
            segment_of(&every(as_of - 700, as_of, 45), as_of),
            Behaviour::Infrequent
        );
    }

    #[test]
    fn a_customer_away_every_winter_is_seasonal() {
        let as_of = day(2026, 10, 31);
        // weekly from April to September, two years running, and this year
        let mut days = Vec::new();
        for y in [2024, 2025, 2026] {
            days.extend(every(day(y, 4, 1), day(y, 9, 30), 7));
        }
        assert_eq!(segment_of(&days, as_of), Behaviour::Seasonal);
    }

    #[test]
    fn value_bands_are_tertiles() {
        let revenues: Vec<f64> = (1..=9).map(f64::from).collect();
        let bands = ValueBands::from_revenues(&revenues);
        // quantiles of 1..=9 at 1/3 and 2/3: 3.667 and 6.333
        assert!((bands.low_max - 11.0 / 3.0).abs() < 1e-9, "{bands:?}");
        assert!((bands.mid_max - 19.0 / 3.0).abs() < 1e-9, "{bands:?}");
        let counted = |band| revenues.iter().filter(|&&r| bands.band(r) == band).count();
        assert_eq!(counted(ValueBand::Low), 3);
        assert_eq!(counted(ValueBand::Mid), 3);
        assert_eq!(counted(ValueBand::High), 3);
        // ties at a cut point go to the lower band
        let flat = ValueBands::from_revenues(&[0.0, 0.0, 0.0, 5.0]);
        assert_eq!(flat.band(0.0), ValueBand::Low);
        assert_eq!(flat.band(5.0), ValueBand::High);
        assert_eq!(
            ValueBands::from_revenues(&[]).band(1.0),
            ValueBand::High,
            "no customers: cut points 0"
        );
    }
}
