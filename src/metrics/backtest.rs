//! Backtest: how good would churn's forecasts have been on this data? Calibrate as of a past
//! date, forecast the following horizon, and compare with what the customers did.
//!
//! Three forecasts of each customer's visits and revenue in `(as_of, as_of + horizon]`:
//! - **churn**: the visit model chosen on the data ([`crate::metrics::btyd::select`]), with
//!   Gamma-Gamma spend and the rules' corrections learned from the history before `as_of`
//!   ([`clv::learn_corrections`]);
//! - **BG/NBD + Gamma-Gamma**: the textbook models, uncorrected;
//! - **naive**: each customer's own past rate carried forward: their visits and revenue per
//!   day over the year before `as_of` (or, for customers who joined within the year, their
//!   visits after the first one since their first visit — the first visit is how they became
//!   a customer; over at least [`NAIVE_MIN_DAYS`] days), times the horizon.
//!
//! Per-customer errors (mean absolute, root mean square) and totals, for everyone and by
//! behaviour ([`crate::metrics::segment`]: regular shoppers, and the rest). Customers count
//! from their first visit on or before `as_of`; later newcomers are nobody's forecast.
//!
//! The statuses are checked too: of the customers the rules call defected at `as_of`, the
//! share whose visit rate over the horizon stayed at half their own earlier rate or less
//! (their rate over the year before, or since their first visit), against the same share
//! for a plain "no visit for 90 days" rule.

use serde::Serialize;

use super::btyd::{ClvError, VisitModel};
use super::clv::{self, CustomerInput, Options, Settings};
use super::segment::{self, Behaviour};
use crate::history;
use crate::normalize::date::to_date;
use crate::normalize::{Day, Purchases};
use crate::rules::{self, RuleConfig, Status};

/// The shortest window a naive rate is taken over, in days.
pub const NAIVE_MIN_DAYS: f64 = 30.0;

/// The silence of the simple rule the statuses are compared with, in days.
pub const SILENCE_DAYS: Day = 90;

/// A forecast method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Churn,
    BgnbdGammaGamma,
    Naive,
}

impl Method {
    pub const ALL: [Method; 3] = [Method::Churn, Method::BgnbdGammaGamma, Method::Naive];

    pub fn label(self) -> &'static str {
        match self {
            Method::Churn => "churn",
            Method::BgnbdGammaGamma => "BG/NBD + Gamma-Gamma",
            Method::Naive => "naive (own past rate)",
        }
    }
}

/// Forecast errors of one method on one measure, over a set of customers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Errors {
    /// Mean absolute error per customer.
    pub mae: f64,
    /// Root mean squared error per customer.
    pub rmse: f64,
    /// Sum of the forecasts.
    pub predicted: f64,
    /// Sum of what happened.
    pub actual: f64,
}

/// One method's errors on visits and on revenue.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct MethodErrors {
    pub method: Method,
    pub visits: Errors,
    pub revenue: Errors,
}

/// The errors of every method over one set of customers.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Segment {
    /// "all", "regular" or "other".
    pub segment: &'static str,
    pub customers: usize,
    pub methods: Vec<MethodErrors>,
}

/// How well a way of calling customers defected held up.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StatusCheck {
    /// "churn rules" or "no visit for 90 days".
    pub flagged_by: String,
    pub flagged: usize,
    /// Of those, customers whose visit rate over the horizon was at most half their own
    /// earlier rate.
    pub stayed_down: usize,
    /// `stayed_down / flagged` (none flagged: none).
    pub share: Option<f64>,
}

/// Everything a backtest found.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Backtest {
    pub as_of: chrono::NaiveDate,
    pub horizon_days: f64,
    /// The end of the horizon (the last purchase date used).
    pub until: chrono::NaiveDate,
    pub customers: usize,
    /// Whether the horizon lies entirely within the data (otherwise "what happened" is
    /// partly unknown and the actuals are too low).
    pub horizon_covered: bool,
    /// The visit model churn used and why.
    pub visit_model: String,
    pub visit_model_reason: String,
    pub corrections: clv::Corrections,
    /// "all", "regular", "other".
    pub segments: Vec<Segment>,
    pub statuses: Vec<StatusCheck>,
}

/// What one customer did and was forecast to do.
struct Row {
    input: CustomerInput,
    regular: bool,
    actual_visits: f64,
    actual_revenue: f64,
    naive_visits: f64,
    naive_revenue: f64,
    /// Visits per day before `as_of` and over the horizon.
    rate_before: f64,
    rate_after: f64,
    silent_90: bool,
}

/// Calibrates as of `as_of`, forecasts `(as_of, as_of + horizon_days]` with each [`Method`],
/// and compares with the purchases in that window (see the module documentation).
pub fn backtest(
    purchases: &Purchases,
    as_of: Day,
    horizon_days: f64,
    dedupe: bool,
    config: &RuleConfig,
    model: VisitModel,
) -> Result<Backtest, ClvError> {
    if !(horizon_days.is_finite() && horizon_days >= 1.0) {
        return Err(ClvError::InvalidArgument(format!(
            "the horizon must be at least a day, not {horizon_days}"
        )));
    }
    let end = as_of + horizon_days.round() as Day;
    let horizon = f64::from(end - as_of);
    let names: &[String] = purchases.categories.as_ref().map_or(&[], |d| &d.values);
    let (rows, _) = history::group(purchases, end, dedupe, |h| {
        let past = h.until(as_of);
        let first = past.first_day()?;
        let judgement = rules::judge_named(&past, as_of, config, names);
        let behaviour = segment::behaviour_of(&past, &judgement.figures, as_of, config);
        let input = clv::customer_input(&past, as_of, &judgement, horizon)?;
        // Their rate over (from, as_of]: the last year, or since their first visit.
        let from = first.max(as_of - 365);
        let naive_days = f64::from(as_of - from).max(NAIVE_MIN_DAYS);
        let naive_visits = past.visits_between(from + 1, as_of + 1) as f64;
        let naive_revenue = past.revenue_between(from + 1, as_of + 1);
        let actual_visits = h.visits_between(as_of + 1, end + 1) as f64;
        Some(Row {
            input,
            regular: behaviour == Behaviour::Regular,
            actual_visits,
            actual_revenue: h.revenue_between(as_of + 1, end + 1),
            naive_visits: naive_visits / naive_days * horizon,
            naive_revenue: naive_revenue / naive_days * horizon,
            rate_before: naive_visits / naive_days,
            rate_after: actual_visits / horizon,
            silent_90: as_of - past.last_day().unwrap_or(first) >= SILENCE_DAYS,
        })
    });
    let rows: Vec<Row> = rows.into_iter().flatten().collect();
    let inputs: Vec<CustomerInput> = rows.iter().map(|r| r.input.clone()).collect();
    let settings = Settings {
        horizon_days: horizon,
        annual_discount: 0.0,
        margin: 1.0,
    };
    let corrections = clv::learn_corrections(purchases, as_of, dedupe, config, horizon, model)?;
    let ours = clv::fit_with(
        &inputs,
        &Options {
            model,
            corrections: corrections.clone(),
            ..Options::default()
        },
    )?;
    let textbook = clv::fit_with(
        &inputs,
        &Options {
            model: VisitModel::Bgnbd,
            corrections: clv::Corrections::none("the textbook model"),
            ..Options::default()
        },
    )?;
    // Forecasts per method: (visits, revenue) per customer, in `rows` order.
    let mut forecasts: Vec<Vec<(f64, f64)>> = Vec::new();
    for fitted in [&ours, &textbook] {
        let values = fitted.values(&inputs, &settings)?;
        forecasts.push(
            values
                .iter()
                .map(|v| (v.predicted_visits, v.predicted_revenue))
                .collect(),
        );
    }
    forecasts.push(
        rows.iter()
            .map(|r| (r.naive_visits, r.naive_revenue))
            .collect(),
    );
    let segment = |name: &'static str, keep: &dyn Fn(&Row) -> bool| {
        let chosen: Vec<usize> = (0..rows.len()).filter(|&i| keep(&rows[i])).collect();
        Segment {
            segment: name,
            customers: chosen.len(),
            methods: Method::ALL
                .iter()
                .zip(&forecasts)
                .map(|(&method, f)| MethodErrors {
                    method,
                    visits: errors(chosen.iter().map(|&i| (f[i].0, rows[i].actual_visits))),
                    revenue: errors(chosen.iter().map(|&i| (f[i].1, rows[i].actual_revenue))),
                })
                .collect(),
        }
    };
    let segments = vec![
        segment("all", &|_| true),
        segment("regular", &|r| r.regular),
        segment("other", &|r| !r.regular),
    ];
    let check = |flagged_by: &str, flagged: &dyn Fn(&Row) -> bool| {
        let (n, down) = rows
            .iter()
            .filter(|r| flagged(r))
            .fold((0, 0), |(n, d), r| {
                (n + 1, d + usize::from(r.rate_after <= 0.5 * r.rate_before))
            });
        StatusCheck {
            flagged_by: flagged_by.to_string(),
            flagged: n,
            stayed_down: down,
            share: (n > 0).then(|| down as f64 / n as f64),
        }
    };
    let statuses = vec![
        check("churn rules", &|r| r.input.status == Status::Defected),
        check(&format!("no visit for {SILENCE_DAYS} days"), &|r| {
            r.silent_90
        }),
    ];
    let covered = purchases.last_day.is_some_and(|d| d >= end);
    Ok(Backtest {
        as_of: to_date(as_of),
        horizon_days: horizon,
        until: to_date(end),
        customers: rows.len(),
        horizon_covered: covered,
        visit_model: ours.model.visits.name.clone(),
        visit_model_reason: ours.model.visits.reason.clone(),
        corrections,
        segments,
        statuses,
    })
}

/// MAE, RMSE and totals of `(forecast, actual)` pairs (zeros when there are none).
fn errors(pairs: impl Iterator<Item = (f64, f64)>) -> Errors {
    let (mut n, mut abs, mut sq, mut predicted, mut actual) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for (f, a) in pairs {
        n += 1.0;
        abs += (f - a).abs();
        sq += (f - a) * (f - a);
        predicted += f;
        actual += a;
    }
    if n == 0.0 {
        return Errors::default();
    }
    Errors {
        mae: abs / n,
        rmse: (sq / n).sqrt(),
        predicted,
        actual,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_of_known_pairs() {
        let e = errors([(1.0, 0.0), (2.0, 4.0), (3.0, 3.0)].into_iter());
        assert!((e.mae - 1.0).abs() < 1e-12);
        assert!((e.rmse - (5.0_f64 / 3.0).sqrt()).abs() < 1e-12);
        assert_eq!((e.predicted, e.actual), (6.0, 7.0));
        assert_eq!(errors(std::iter::empty()), Errors::default());
    }
}
