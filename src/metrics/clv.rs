//! Lifetime value: what each customer is worth in money, historically and over a
//! horizon, from buy-till-you-die models fitted to all customers ([`super::btyd`]: a visit
//! model chosen on the data, BG/NBD or BG/NBD with regular visits, for visits and P(alive);
//! Gamma-Gamma for spend per visit) and corrected by what the defection rules know.
//!
//! Time is counted in weeks of exactly 7 days; a year is 365.25 days (52.18 weeks); a
//! month in `--horizon 6m` is 365.25 / 12 days. No hidden 30-day months.
//!
//! Where the textbook models fail, and what churn does instead:
//! - **Regular customers.** BG/NBD assumes Poisson visits, so a weekly shopper silent for
//!   three weeks looks as alive as one who comes at random. When the data are regular,
//!   the (M)BG/CNBD-k models (Erlang-k gaps) win on penalised likelihood and are used.
//! - **Customers the rules know are gone or halved.** The models assume each customer
//!   keeps their own constant rate until an unobserved "death". The rules measure more:
//!   for `gone`, the probability of a silence that long under the customer's own rhythm;
//!   for `partial_defection` and `slowing`, their recent / baseline visit-rate ratio; for
//!   `spend_drop`, their recent spend; for seasonal customers, their season. How much to
//!   trust each is learned from the data's own history ([`learn_corrections`]): judged as of
//!   an earlier date, did the flagged customers do what the model said, or what the rule
//!   measured? Little evidence leaves the model's prediction as it is.
//! - **One-time buyers and non-positive spend.** Gamma-Gamma is fitted on repeat
//!   customers whose mean net spend per repeat visit is positive (refunds included);
//!   everyone else gets the population's expected spend.
//! - **Fits that do not converge** are reported (iterations, `converged`), never a panic.

use serde::Serialize;

use super::btyd::{
    self, BgNbd, Cbs, ClvError, Cnbd, Discounting, Fit, GammaGamma, Rfm, Selection, Spend,
    VisitModel,
};
use crate::history::{self, History};
use crate::normalize::date::to_date;
use crate::normalize::{Day, Purchases};
use crate::rules::{self, Judgement, RuleConfig, RuleId, Status, seasonal};

pub const DAYS_PER_WEEK: f64 = 7.0;
pub const DAYS_PER_YEAR: f64 = 365.25;
pub const WEEKS_PER_YEAR: f64 = DAYS_PER_YEAR / DAYS_PER_WEEK;

/// A length of time: `184d`, `26w`, `6m`, `10y` (a month is 365.25 / 12 days).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Horizon {
    pub days: f64,
    /// As written, for output.
    pub label: &'static str,
}

/// Parses `184d`, `26w`, `6m` or `10y` into days.
pub fn parse_horizon(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let (number, unit) = t.split_at(t.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(t.len()));
    let n: f64 = number
        .parse()
        .map_err(|_| format!("\"{text}\" is not a horizon; write e.g. 184d, 26w, 6m or 10y"))?;
    let days = match unit {
        "d" => n,
        "w" => n * DAYS_PER_WEEK,
        "m" => n * DAYS_PER_YEAR / 12.0,
        "y" => n * DAYS_PER_YEAR,
        _ => {
            return Err(format!(
                "\"{text}\": the unit must be d, w, m or y (e.g. 26w)"
            ));
        }
    };
    if !(days > 0.0 && days <= 100.0 * DAYS_PER_YEAR) {
        return Err(format!(
            "\"{text}\": the horizon must be above 0 and at most 100 years"
        ));
    }
    Ok(days)
}

/// How to value the future.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Settings {
    pub horizon_days: f64,
    /// Annual discount rate (0.10 = 10% a year).
    pub annual_discount: f64,
    /// Share of revenue that is profit (1 = value in revenue).
    pub margin: f64,
}

/// What the model needs of one customer, as of a date.
#[derive(Clone, Debug, PartialEq)]
pub struct CustomerInput {
    pub customer: u32,
    /// Repeat visits, time of the last visit and tenure, in weeks since the first visit.
    pub rfm: Rfm,
    /// Sum of the logarithms of the gaps between visits, in weeks: how regular they are,
    /// for the regularity models ([`btyd::cnbd`]); 0 with fewer than two visits.
    pub litt: f64,
    /// Their last visit, and the date they are valued as of.
    pub last_visit: Day,
    pub as_of: Day,
    /// Mean net spend of their repeat visits, when positive.
    pub mean_spend: Option<f64>,
    pub historical_revenue: f64,
    pub visits_12m: u32,
    pub status: Status,
    pub rule: Option<RuleId>,
    /// What the deciding rule measured (see [`crate::rules::Finding::measure`]).
    pub measure: Option<f64>,
    /// Recent / baseline visit rate over the standard windows (last `recent_days`
    /// against the `baseline_days` before), shrunk toward 1 by its uncertainty.
    pub recent_ratio: Option<f64>,
    /// Net spend per visit over the last `recent_days`.
    pub recent_spend: Option<f64>,
    pub seasonal: bool,
    /// For seasonal customers: last year's visits over the same calendar days as the
    /// horizon, against what an even spread of last year's visits would give.
    pub season_factor: Option<f64>,
}

/// A customer's model inputs from their history and judgement as of `as_of`, for a
/// horizon of `horizon_days`.
pub fn customer_input(
    h: &History,
    as_of: Day,
    judgement: &Judgement,
    horizon_days: f64,
) -> Option<CustomerInput> {
    let first = h.first_day()?;
    let last = h.last_day()?;
    let weeks = |days: Day| f64::from(days) / DAYS_PER_WEEK;
    let repeat = &h.visits[1..];
    let spend: f64 = repeat.iter().map(|v| v.spend).sum();
    let mean_spend = (!repeat.is_empty() && spend > 0.0).then(|| spend / repeat.len() as f64);
    let deciding = judgement
        .findings
        .iter()
        .find(|f| Some(f.rule) == judgement.rule);
    let f = &judgement.figures;
    // Visits in the recent window, and what their baseline rate would have given: the
    // ratio of the two, shrunk toward 1 (a Gamma prior worth RATE_PRIOR_VISITS visits),
    // so a fall seen in a few visits is not taken at face value (regression to the mean).
    let months = f64::from(f.recent_days) / crate::stats::DAYS_PER_MONTH;
    let recent_ratio = match (f.recent_visits_per_month, f.baseline_visits_per_month) {
        (Some(r), Some(b)) if b > 0.0 => {
            Some((r * months + RATE_PRIOR_VISITS) / (b * months + RATE_PRIOR_VISITS))
        }
        _ => None,
    };
    let seasonal = seasonal::is_seasonal(h, as_of);
    let season_factor = seasonal
        .then(|| season_factor(h, as_of, horizon_days))
        .flatten();
    let litt = h
        .visits
        .windows(2)
        .map(|w| weeks(w[1].day - w[0].day).ln())
        .sum::<f64>();
    Some(CustomerInput {
        customer: h.customer,
        rfm: Rfm {
            x: repeat.len() as f64,
            t_x: weeks(last - first),
            t: weeks(as_of - first),
        },
        litt,
        last_visit: last,
        as_of,
        mean_spend,
        historical_revenue: h.revenue(),
        visits_12m: h.visits_between(as_of - 364, as_of + 1) as u32,
        status: judgement.status,
        rule: judgement.rule,
        measure: deciding.and_then(|f| f.measure),
        recent_ratio,
        recent_spend: f.recent_spend_per_visit,
        seasonal,
        season_factor,
    })
}

/// Last year's share of visits that fell in the same calendar days as the horizon's
/// first year, relative to an even spread: 0 when the horizon is all off season, above
/// 1 in season. Beyond a year, the rest of the horizon counts at the average rate.
fn season_factor(h: &History, as_of: Day, horizon_days: f64) -> Option<f64> {
    let year_start = seasonal::year_before(as_of) + 1;
    let last_year = h.visits_between(year_start, as_of + 1) as f64;
    if last_year == 0.0 {
        return None;
    }
    let first_year = horizon_days.min(DAYS_PER_YEAR);
    let window = h.visits_between(year_start, year_start + first_year.round() as Day) as f64;
    let factor_first_year = window / (last_year * first_year / DAYS_PER_YEAR);
    Some((factor_first_year * first_year + (horizon_days - first_year)) / horizon_days)
}

/// One customer's value.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CustomerValue {
    /// The customer's code (reports name the customer instead).
    #[serde(skip)]
    pub customer: u32,
    pub historical_revenue: f64,
    /// Expected visits over the horizon (undiscounted).
    pub predicted_visits: f64,
    /// Expected revenue over the horizon (undiscounted, before margin).
    pub predicted_revenue: f64,
    /// Probability that they are still a customer (the visit model's, lowered by a
    /// correction that lowers their visits).
    pub p_alive: f64,
    /// Probability of no visit in the next [`Options::quiet_days`] days (gone, or not due).
    pub p_no_visit: f64,
    /// When their next visit is expected: their last visit plus their usual gap (the
    /// median of the model's gap for them), or, once that has passed, the median wait from
    /// the as-of date if they are still a customer. None for gaps beyond 10,000 weeks.
    pub next_visit: Option<chrono::NaiveDate>,
    /// Their last visit plus their usual gap, when that date is on or before the as-of date:
    /// the visit they are overdue for.
    pub overdue_since: Option<chrono::NaiveDate>,
    /// Discounted expected profit over the horizon: visits × spend × margin.
    pub clv: f64,
    /// Expected spend per visit (Gamma-Gamma, conditional on their own mean).
    pub expected_spend: f64,
    /// The same customer's discounted value if they keep coming as before (P(alive) = 1,
    /// no rule correction): what a defection loses.
    pub value_if_retained: f64,
    /// The rule (or "seasonal") whose learned correction was applied, if any.
    pub correction: Option<&'static str>,
    pub frequency: f64,
    pub recency_weeks: f64,
    pub tenure_weeks: f64,
}

/// What the model expects of a customer, short of their value.
#[derive(Clone, Debug, PartialEq)]
pub struct Outlook {
    /// The learned correction of their expected visits...
    pub visit_factor: f64,
    /// ...and their expected spend per visit, corrected.
    pub spend: f64,
    /// Whether a rule's flag changed the prediction, and which.
    pub corrected: bool,
    pub flag: &'static str,
    pub p_alive: f64,
    pub p_no_visit: f64,
    pub next_visit: Option<chrono::NaiveDate>,
    pub overdue_since: Option<chrono::NaiveDate>,
}

/// The fitted models, with their convergence.
#[derive(Clone, Debug, Serialize)]
pub struct Model {
    /// The visit model used for the predictions, and why it was chosen.
    pub visits: Selection,
    /// BG/NBD, fitted for comparison (and used when it is the one chosen).
    pub bgnbd: Fit<BgNbd>,
    pub gamma_gamma: Option<Fit<GammaGamma>>,
    /// Expected spend per visit of a customer the spend model knows nothing about.
    pub population_spend: f64,
    pub customers: usize,
    pub repeat_customers: usize,
    /// The rules' corrections applied to the predictions.
    pub corrections: Corrections,
    /// The N of each customer's "no visit in the next N days".
    pub quiet_days: f64,
}

/// The headline figures: what a regular is worth, what defection costs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Headline {
    /// Mean value over ten years of an active customer with at least 12 visits in the
    /// last 12 months (monthly or more), discounted, with margin.
    pub regular_worth_10y: Option<f64>,
    pub regulars: usize,
    /// Future value lost with the defected customers: their value over the horizon had
    /// they kept coming as before.
    pub value_lost: f64,
    /// The same for at-risk customers: what is at stake now.
    pub value_at_risk: f64,
    pub settings: Settings,
}

#[derive(Clone, Debug, Serialize)]
pub struct Values {
    pub model: Model,
    pub customers: Vec<CustomerValue>,
    pub headline: Headline,
}

/// Strength, in visits, of the prior that a customer's rate has not changed.
pub const RATE_PRIOR_VISITS: f64 = 5.0;

/// What makes a customer a "regular" in the headline.
pub const REGULAR_VISITS_12M: u32 = 12;

/// How to fit: options beyond [`Settings`] (which commands build as a struct literal).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Options {
    /// The visit model (`--model`): by default chosen on the data.
    pub model: VisitModel,
    /// How much the rules' flags correct the model, learned from the data's own history by
    /// [`learn_corrections`]; the default corrects nothing.
    pub corrections: Corrections,
    /// The N of [`CustomerValue::p_no_visit`], "no visit in the next N days".
    pub quiet_days: f64,
}

/// The most customers corrections are learned from (a systematic sample above it).
pub const LEARN_SAMPLE: usize = 50_000;

/// The default [`Options::quiet_days`]: a month.
pub const QUIET_DAYS: f64 = 30.0;

impl Default for Options {
    fn default() -> Options {
        Options {
            model: VisitModel::Auto,
            corrections: Corrections::default(),
            quiet_days: QUIET_DAYS,
        }
    }
}

/// The fitted models, ready to value customers.
pub struct Fitted {
    pub model: Model,
    visits: Cnbd,
    gamma_gamma: Option<GammaGamma>,
}

/// The most customers a model is fitted on: four parameters need far fewer, and a
/// fit's cost grows with the customers (all of them are still valued).
pub const FIT_SAMPLE: usize = 10_000;

/// [`fit_with`] the default [`Options`]: the visit model chosen on the data, no corrections.
pub fn fit(inputs: &[CustomerInput]) -> Result<Fitted, ClvError> {
    fit_with(inputs, &Options::default())
}

/// Fits the visit model ([`btyd::select_visit_model`]: BG/NBD, or BG/NBD with regular visits
/// when the data say so) on the customers and Gamma-Gamma on the repeat customers; above
/// [`FIT_SAMPLE`] customers, on a systematic sample (every k-th, so the same input always
/// gives the same fit). The options' corrections are applied when valuing.
pub fn fit_with(inputs: &[CustomerInput], options: &Options) -> Result<Fitted, ClvError> {
    let stride = inputs.len().div_ceil(FIT_SAMPLE).max(1);
    let sample = || inputs.iter().step_by(stride);
    let rfm: Vec<Rfm> = sample().map(|c| c.rfm).collect();
    // Data where almost nobody "drops out" in BG/NBD's sense drives a and b to infinity;
    // extra starts and iterations buy nothing there, and the fit reports that it did
    // not converge.
    let fit_options = btyd::FitOptions {
        max_iters: 200,
        max_starts: 2,
        ..btyd::FitOptions::default()
    };
    let cbs: Vec<Cbs> = sample()
        .map(|c| Cbs {
            rfm: c.rfm,
            litt: c.litt,
        })
        .collect();
    let spend: Vec<Spend> = sample()
        .filter_map(|c| c.mean_spend.map(|mean| Spend { x: c.rfm.x, mean }))
        .collect();
    // The spend model on a second thread, while the visit models are fitted.
    let (visits, gamma_gamma) = std::thread::scope(|scope| {
        let gamma_gamma = scope.spawn(|| btyd::fit_gamma_gamma(&spend).ok());
        let visits = btyd::select_visit_model(&cbs, options.model, &fit_options);
        (visits, gamma_gamma.join().ok().flatten())
    });
    let mut visits = visits?;
    // BG/NBD, for comparison, whether or not it was a candidate.
    let bgnbd = match visits.bgnbd.take() {
        Some(f) => f,
        None => btyd::fit_bgnbd_with(&rfm, &fit_options)?,
    };
    let population_spend = match gamma_gamma.as_ref().map(|f| f.params.expected_spend()) {
        Some(Ok(s)) => s,
        // No usable spend model: the plain mean spend per visit.
        _ => {
            let (total, visits) = inputs.iter().fold((0.0, 0.0), |(t, n), c| {
                (t + c.historical_revenue, n + c.rfm.x + 1.0)
            });
            if visits > 0.0 {
                (total / visits).max(0.0)
            } else {
                0.0
            }
        }
    };
    Ok(Fitted {
        visits: visits.fit.params,
        gamma_gamma: gamma_gamma.as_ref().map(|f| f.params),
        model: Model {
            visits,
            bgnbd,
            gamma_gamma,
            population_spend,
            customers: rfm.len(),
            repeat_customers: spend.len(),
            corrections: options.corrections.clone(),
            quiet_days: options.quiet_days,
        },
    })
}

impl Fitted {
    /// Values every customer over the settings' horizon, in `inputs` order, on all cores.
    pub fn values(
        &self,
        inputs: &[CustomerInput],
        settings: &Settings,
    ) -> Result<Vec<CustomerValue>, ClvError> {
        let all: Vec<&CustomerInput> = inputs.iter().collect();
        self.values_of(&all, settings)
    }

    /// [`Fitted::values`] of some customers.
    fn values_of(
        &self,
        inputs: &[&CustomerInput],
        settings: &Settings,
    ) -> Result<Vec<CustomerValue>, ClvError> {
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, 8);
        let chunk = inputs.len().div_ceil(threads).max(1);
        std::thread::scope(|scope| {
            let parts: Vec<_> = inputs
                .chunks(chunk)
                .map(|part| {
                    scope.spawn(move || {
                        part.iter()
                            .map(|c| self.value(c, settings))
                            .collect::<Result<Vec<_>, _>>()
                    })
                })
                .collect();
            let mut out = Vec::with_capacity(inputs.len());
            for part in parts {
                let values = part
                    .join()
                    .map_err(|_| ClvError::FitFailed("a valuation thread stopped".into()))??;
                out.extend(values);
            }
            Ok(out)
        })
    }

    /// What the model expects of one customer, without valuing them: the corrections'
    /// factors, and the chances and dates people act on.
    pub fn outlook(&self, c: &CustomerInput) -> Result<Outlook, ClvError> {
        let m = &self.visits;
        let flag = flag_of(c);
        let model_spend = self.expected_spend(c)?;
        let p_alive = m.p_alive(&c.rfm)?;
        let (fv, fs) = match self.model.corrections.factor(flag) {
            Some(f) => {
                let (mv, ms) = measured(c, p_alive, model_spend);
                (
                    (f.visits + f.strength * (mv - 1.0)).max(0.0),
                    (f.spend + f.spend_strength * (ms - 1.0)).max(0.0),
                )
            }
            None => (1.0, 1.0),
        };
        // A correction that lowers their visits lowers the chance they are still there
        // alike (a factor above 1 says nothing about it).
        let p_alive_corrected = p_alive * fv.min(1.0);
        let quiet = self.model.quiet_days / DAYS_PER_WEEK;
        let visit_if_alive = if p_alive > 0.0 {
            (1.0 - m.p_no_transaction(&c.rfm, quiet)?) / p_alive
        } else {
            0.0
        };
        let (next_visit, overdue_since) = self.next_visit(c)?;
        Ok(Outlook {
            visit_factor: fv,
            spend: model_spend * fs,
            corrected: flag != UNFLAGGED && (fv != 1.0 || fs != 1.0),
            flag,
            p_alive: p_alive_corrected,
            p_no_visit: (1.0 - p_alive_corrected * visit_if_alive).clamp(0.0, 1.0),
            next_visit,
            overdue_since,
        })
    }

    /// Values one customer over the settings' horizon.
    pub fn value(&self, c: &CustomerInput, settings: &Settings) -> Result<CustomerValue, ClvError> {
        let horizon = settings.horizon_days / DAYS_PER_WEEK;
        let d = discounting(horizon, settings);
        let m = &self.visits;
        let o = self.outlook(c)?;
        let visits = m.conditional_expected_transactions(&c.rfm, horizon)? * o.visit_factor;
        let discounted = m.discounted_expected_transactions(&c.rfm, &d)? * o.visit_factor;
        // Had they kept coming as before: as if their last visit were today.
        let retained = Rfm {
            t_x: c.rfm.t,
            ..c.rfm
        };
        let retained_visits = m.discounted_expected_transactions(&retained, &d)?;
        Ok(CustomerValue {
            customer: c.customer,
            historical_revenue: c.historical_revenue,
            predicted_visits: visits,
            predicted_revenue: visits * o.spend,
            p_alive: o.p_alive,
            p_no_visit: o.p_no_visit,
            next_visit: o.next_visit,
            overdue_since: o.overdue_since,
            clv: discounted * o.spend * settings.margin,
            expected_spend: o.spend,
            value_if_retained: retained_visits * o.spend * settings.margin,
            correction: o.corrected.then_some(o.flag),
            frequency: c.rfm.x,
            recency_weeks: c.rfm.t_x,
            tenure_weeks: c.rfm.t,
        })
    }

    /// When the next visit is due (last visit + usual gap) and, if that has passed, since
    /// when it is overdue and the median wait from today (see [`CustomerValue::next_visit`]).
    fn next_visit(
        &self,
        c: &CustomerInput,
    ) -> Result<(Option<chrono::NaiveDate>, Option<chrono::NaiveDate>), ClvError> {
        let m = &self.visits;
        let days = |weeks: f64| (weeks * DAYS_PER_WEEK).round() as Day;
        let Some(gap) = m.median_gap(&c.rfm)? else {
            return Ok((None, None));
        };
        let due = c.last_visit + days(gap).max(1);
        if due > c.as_of {
            return Ok((Some(to_date(due)), None));
        }
        let next = m
            .median_wait(&c.rfm)?
            .map(|w| to_date(c.as_of + days(w).max(1)));
        Ok((next, Some(to_date(due))))
    }

    /// Expected spend per visit: Gamma-Gamma given their own mean, or the population's.
    fn expected_spend(&self, c: &CustomerInput) -> Result<f64, ClvError> {
        match (&self.gamma_gamma, c.mean_spend) {
            (Some(gg), Some(mean)) if c.rfm.x > 0.0 => gg.conditional_expected_spend(c.rfm.x, mean),
            _ => Ok(self.model.population_spend),
        }
    }

    /// The headline figures, valuing only the customers they need.
    pub fn headline(
        &self,
        inputs: &[CustomerInput],
        settings: &Settings,
    ) -> Result<Headline, ClvError> {
        let ten_years = Settings {
            horizon_days: 10.0 * DAYS_PER_YEAR,
            ..*settings
        };
        let regulars: Vec<&CustomerInput> = inputs
            .iter()
            .filter(|c| c.status == Status::Active && c.visits_12m >= REGULAR_VISITS_12M)
            .collect();
        let worth: f64 = self
            .values_of(&regulars, &ten_years)?
            .iter()
            .map(|v| v.clv)
            .sum();
        let value_of = |status: Status| -> Result<f64, ClvError> {
            let these: Vec<&CustomerInput> = inputs.iter().filter(|c| c.status == status).collect();
            let total: f64 = self
                .values_of(&these, settings)?
                .iter()
                .map(|v| v.value_if_retained)
                .sum();
            Ok(total + 0.0)
        };
        Ok(Headline {
            regular_worth_10y: (!regulars.is_empty()).then(|| worth / regulars.len() as f64),
            regulars: regulars.len(),
            value_lost: value_of(Status::Defected)?,
            value_at_risk: value_of(Status::AtRisk)?,
            settings: *settings,
        })
    }
}

/// Discounting over `horizon_weeks`: enough steps for a smooth discount curve, without a
/// step per week for ten years.
fn discounting(horizon_weeks: f64, settings: &Settings) -> Discounting {
    Discounting {
        horizon: horizon_weeks,
        step: (horizon_weeks / 26.0).max(1.0).min(horizon_weeks),
        annual_rate: settings.annual_discount,
        periods_per_year: WEEKS_PER_YEAR,
    }
}

/// Fits the models on every customer and values each of them.
pub fn lifetime_values(inputs: &[CustomerInput], settings: &Settings) -> Result<Values, ClvError> {
    lifetime_values_with(inputs, settings, &Options::default())
}

/// [`lifetime_values`] with [`Options`] (the visit model, learned corrections).
pub fn lifetime_values_with(
    inputs: &[CustomerInput],
    settings: &Settings,
    options: &Options,
) -> Result<Values, ClvError> {
    let fitted = fit_with(inputs, options)?;
    let customers = fitted.values(inputs, settings)?;
    let headline = fitted.headline(inputs, settings)?;
    Ok(Values {
        model: fitted.model,
        customers,
        headline,
    })
}

// ---------------------------------------------------------------------------------------------
// Corrections learned from the data's own history
// ---------------------------------------------------------------------------------------------

/// The correction group of customers no rule flagged (and who are not seasonal).
pub const UNFLAGGED: &str = "unflagged";

/// Which correction a customer gets: the rule behind their status, else "seasonal" when the
/// rules excuse their silences as their off season, else [`UNFLAGGED`].
pub fn flag_of(c: &CustomerInput) -> &'static str {
    match c.rule {
        Some(rule) => rule.as_str(),
        None if c.seasonal => "seasonal",
        None => UNFLAGGED,
    }
}

/// Weight of the prior "no correction" (factor 1), in customers: a rule that flagged `n`
/// customers moves its factor about `n / (n + 20)` of the way from 1 to what they did.
pub const CORRECTION_PRIOR_CUSTOMERS: f64 = 20.0;

/// The shortest window a correction is learned on, in days.
pub const MIN_LEARNING_DAYS: f64 = 28.0;

/// What one group's flag does to the model's predictions. A customer of the group gets
/// `visits + strength × (measured − 1)` times the model's expected visits, where `measured` is
/// what their rule measured of them ([`measured`]: the rate ratio of `partial_defection` and
/// `slowing`, the silence probability of `gone`, the season of `seasonal`); the same for spend
/// per visit (the recent spend of `spend_drop` and `category_stop`). `strength = 1` with
/// `visits = 1` would be the rule taken at face value; both are learned.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Factor {
    /// The rule ("gone", "partial_defection", ...), "seasonal" or [`UNFLAGGED`].
    pub flag: &'static str,
    /// Customers in the group when it was learned.
    pub customers: usize,
    /// The model's (uncorrected) expected visits for them over the learning window, and
    /// what they made.
    pub predicted_visits: f64,
    pub actual_visits: f64,
    /// The group's multiplier of expected visits...
    pub visits: f64,
    /// ...and the weight of each customer's own measured change.
    pub strength: f64,
    /// Their actual visits at the model's expected spend per visit, and what they spent.
    pub predicted_revenue: f64,
    pub actual_revenue: f64,
    /// The same two for spend per visit.
    pub spend: f64,
    pub spend_strength: f64,
}

/// The window corrections were learned on.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Learning {
    /// Customers were judged, and the model fitted, as of this date...
    pub judged_at: chrono::NaiveDate,
    /// ...and compared with what they did until this one.
    pub until: chrono::NaiveDate,
    pub customers: usize,
    pub visit_model: String,
}

/// The correction factors used, and how they were learned.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Corrections {
    pub learning: Option<Learning>,
    pub prior_customers: f64,
    pub factors: Vec<Factor>,
    /// Why there are no factors, when there are none.
    pub note: Option<String>,
}

impl Corrections {
    /// No correction, and why.
    pub fn none(note: impl Into<String>) -> Corrections {
        Corrections {
            note: Some(note.into()),
            ..Corrections::default()
        }
    }

    /// The factors of customers flagged `flag`, if any were learned.
    pub fn factor(&self, flag: &str) -> Option<&Factor> {
        self.factors.iter().find(|f| f.flag == flag)
    }
}

/// What the rule behind a customer's flag measured of them, as multipliers of the model's
/// visits and spend per visit (1: nothing measured). These were the corrections' fixed
/// strength before they were learned:
/// - `gone`: the rule's probability of a silence this long under their own rhythm, over the
///   model's P(alive) (when lower);
/// - `partial_defection` and `slowing`: their recent / baseline visit rate over the standard
///   windows, shrunk toward 1 ([`CustomerInput::recent_ratio`]);
/// - seasonal customers: last year's share of visits in the same calendar days
///   ([`CustomerInput::season_factor`]);
/// - `spend_drop` and `category_stop`: their recent spend per visit over the model's
///   expected spend, when lower.
pub fn measured(c: &CustomerInput, p_alive: f64, spend: f64) -> (f64, f64) {
    let ratio = c.recent_ratio.unwrap_or(1.0).clamp(0.0, 1.0);
    let visits = match (c.rule, c.measure) {
        (Some(RuleId::Gone), Some(p)) if p < p_alive && p_alive > 0.0 => p / p_alive,
        (Some(RuleId::PartialDefection | RuleId::Slowing), _) => ratio,
        (None, _) if c.seasonal => c.season_factor.unwrap_or(1.0).max(0.0),
        _ => 1.0,
    };
    let spend = match (c.rule, c.recent_spend) {
        (Some(RuleId::SpendDrop | RuleId::CategoryStop), Some(recent))
            if recent >= 0.0 && recent < spend && spend > 0.0 =>
        {
            recent / spend
        }
        _ => 1.0,
    };
    (visits, spend)
}

/// Sums for a ridge fit of `actual ≈ level × p + strength × d` over a group, where `p` is the
/// model's prediction and `d = (measured − 1) × p` the rule's measured change.
#[derive(Clone, Copy, Debug, Default)]
struct Moments {
    n: f64,
    pp: f64,
    pd: f64,
    dd: f64,
    pa: f64,
    da: f64,
}

impl Moments {
    fn add(&mut self, p: f64, measured: f64, a: f64) {
        let d = (measured - 1.0) * p;
        self.n += 1.0;
        self.pp += p * p;
        self.pd += p * d;
        self.dd += d * d;
        self.pa += p * a;
        self.da += d * a;
    }

    /// `(level, strength)` minimising `Σ (a − level·p − strength·d)² + λ_p (level − 1)²
    /// + λ_d strength²` (a ridge regression toward "no correction"), with
    /// `λ_p = N₀ Σp²/n`, `λ_d = N₀ Σd²/n` and `N₀` = [`CORRECTION_PRIOR_CUSTOMERS`]: a prior
    /// worth `N₀` customers like the group's.
    ///
    /// Least squares rather than matching the sums: a flag's customers are a mix (most of a
    /// group called gone make no visit, a few come back often), and on the backtests
    /// (grocery, CDNOW, apparel, generated data) matching the sums made the per-customer
    /// errors worse than no correction at all.
    fn fit(&self) -> (f64, f64) {
        if self.pp.is_nan() || self.pp <= 0.0 {
            return (1.0, 0.0);
        }
        let lp = CORRECTION_PRIOR_CUSTOMERS * self.pp / self.n;
        let ld = CORRECTION_PRIOR_CUSTOMERS * self.dd / self.n;
        let (a11, a12, a22) = (self.pp + lp, self.pd, self.dd + ld);
        let (b1, b2) = (self.pa + lp, self.da);
        let det = a11 * a22 - a12 * a12;
        if self.dd > 0.0 && det > 0.0 {
            ((b1 * a22 - a12 * b2) / det, (a11 * b2 - a12 * b1) / det)
        } else {
            (b1 / a11, 0.0)
        }
    }
}

/// Learns the correction factors from the data's own history: every customer is judged,
/// and the model (uncorrected) fitted, as of an earlier date, `horizon_days` before `as_of`
/// (or half the history before `as_of`, if that is shorter); per group of customers (the rule
/// that decided their status, seasonal, or none), what they did until `as_of` is compared with
/// what the model predicted, visits and spend per visit: each group's [`Factor`] is the
/// least-squares fit of a level and of the weight of each customer's measured change
/// ([`measured`]), shrunk toward no correction. Customers no rule flagged get a level too: the
/// model's own drift over time. With under [`MIN_LEARNING_DAYS`] to learn from, or no model
/// that can be fitted at the earlier date, there are no factors (and the note says why).
///
/// Errors only if a valuation at the earlier date fails.
pub fn learn_corrections(
    purchases: &Purchases,
    as_of: Day,
    dedupe: bool,
    config: &RuleConfig,
    horizon_days: f64,
    model: VisitModel,
) -> Result<Corrections, ClvError> {
    let Some(first) = purchases
        .days()
        .iter()
        .copied()
        .filter(|&d| d <= as_of)
        .min()
    else {
        return Ok(Corrections::none("no purchases before the as-of date"));
    };
    let window = horizon_days.min(f64::from(as_of - first) / 2.0).floor();
    if window < MIN_LEARNING_DAYS {
        return Ok(Corrections::none(format!(
            "{} days of history before {}: too little to learn corrections from (the rules' \
             flags are not used)",
            as_of - first,
            to_date(as_of)
        )));
    }
    let from = as_of - window as Day;
    let names: &[String] = purchases.categories.as_ref().map_or(&[], |d| &d.values);
    // A systematic sample (every k-th customer) keeps each flag's share and bounds the
    // cost on large exports: judging and valuing half a million customers again would
    // cost more than everything else.
    let stride = purchases.customers.len().div_ceil(LEARN_SAMPLE).max(1);
    let (rows, _) = history::group(purchases, as_of, dedupe, |h| {
        if h.customer as usize % stride != 0 {
            return None;
        }
        let past = h.until(from);
        past.first_day()?;
        let judgement = rules::judge_named(&past, from, config, names);
        let input = customer_input(&past, from, &judgement, window)?;
        let visits = h.visits_between(from + 1, as_of + 1) as f64;
        let revenue = h.revenue_between(from + 1, as_of + 1);
        Some((input, visits, revenue))
    });
    let rows: Vec<(CustomerInput, f64, f64)> = rows.into_iter().flatten().collect();
    let inputs: Vec<CustomerInput> = rows.iter().map(|r| r.0.clone()).collect();
    let options = Options {
        model,
        corrections: Corrections::none("learning"),
        ..Options::default()
    };
    // Too little to fit a model on at that date is too little to learn from: no factors,
    // not a failure of what is being valued now.
    let fitted = match fit_with(&inputs, &options) {
        Ok(f) => f,
        Err(e) => {
            return Ok(Corrections::none(format!(
                "the model could not be fitted as of {}, to learn corrections from: {e}",
                to_date(from)
            )));
        }
    };
    let settings = Settings {
        horizon_days: window,
        annual_discount: 0.0,
        margin: 1.0,
    };
    let values = fitted.values(&inputs, &settings)?;
    let mut groups: Vec<(Factor, Moments, Moments)> = Vec::new();
    for ((c, visits, revenue), v) in rows.iter().zip(&values) {
        let (measured_visits, measured_spend) = measured(c, v.p_alive, v.expected_spend);
        let flag = flag_of(c);
        let i = match groups.iter().position(|g| g.0.flag == flag) {
            Some(i) => i,
            None => {
                groups.push((
                    Factor {
                        flag,
                        customers: 0,
                        predicted_visits: 0.0,
                        actual_visits: 0.0,
                        visits: 1.0,
                        strength: 0.0,
                        predicted_revenue: 0.0,
                        actual_revenue: 0.0,
                        spend: 1.0,
                        spend_strength: 0.0,
                    },
                    Moments::default(),
                    Moments::default(),
                ));
                groups.len() - 1
            }
        };
        let (g, mv, ms) = &mut groups[i];
        let at_their_spend = visits * v.expected_spend;
        g.customers += 1;
        g.predicted_visits += v.predicted_visits;
        g.actual_visits += visits;
        g.predicted_revenue += at_their_spend;
        g.actual_revenue += revenue;
        mv.add(v.predicted_visits, measured_visits, *visits);
        ms.add(at_their_spend, measured_spend, *revenue);
    }
    let mut groups: Vec<Factor> = groups
        .into_iter()
        .map(|(mut g, mv, ms)| {
            (g.visits, g.strength) = mv.fit();
            (g.spend, g.spend_strength) = ms.fit();
            g
        })
        .collect();
    groups.sort_by_key(|g| (g.flag == UNFLAGGED, g.flag));
    Ok(Corrections {
        learning: Some(Learning {
            judged_at: to_date(from),
            until: to_date(as_of),
            customers: rows.len(),
            visit_model: fitted.model.visits.name.clone(),
        }),
        prior_customers: CORRECTION_PRIOR_CUSTOMERS,
        factors: groups,
        note: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corrections_fit_level_and_strength() {
        // Customers who did exactly what the rule measured: strength 1, level 1 (within the
        // prior's pull: 20 of 2,000 customers, on two correlated regressors).
        let mut m = Moments::default();
        for i in 0..2000 {
            let p = 5.0 + f64::from(i % 7);
            let measured = 0.2 + 0.1 * f64::from(i % 8);
            m.add(p, measured, p * measured);
        }
        let (level, strength) = m.fit();
        assert!(
            (level - 1.0).abs() < 0.03 && (strength - 1.0).abs() < 0.06,
            "{level} {strength}"
        );
        // Customers who did what the model said: no correction.
        let mut m = Moments::default();
        for i in 0..2000 {
            let p = 5.0 + f64::from(i % 7);
            m.add(p, 0.3, p);
        }
        let (level, strength) = m.fit();
        assert!(
            (level - 1.0).abs() < 1e-9 && strength.abs() < 1e-9,
            "{level} {strength}"
        );
        // Two customers who made half their prediction, nothing measured: shrunk toward 1,
        // the prior worth 20 customers: (2·50 + 20·100) / (2·100 + 20·100) = 0.9545.
        let mut m = Moments::default();
        m.add(10.0, 1.0, 5.0);
        m.add(10.0, 1.0, 5.0);
        let (level, strength) = m.fit();
        assert!((level - 2100.0 / 2200.0).abs() < 1e-12 && strength == 0.0);
        assert_eq!(Moments::default().fit(), (1.0, 0.0));
    }

    #[test]
    fn horizons_have_explicit_units() {
        assert_eq!(parse_horizon("184d"), Ok(184.0));
        assert_eq!(parse_horizon("26w"), Ok(182.0));
        assert!((parse_horizon("6m").unwrap() - 182.625).abs() < 1e-9);
        assert!((parse_horizon("10y").unwrap() - 3652.5).abs() < 1e-9);
        assert!(parse_horizon("10").unwrap_err().contains("unit"));
        assert!(parse_horizon("x").is_err());
        assert!(parse_horizon("0d").is_err());
    }
}
