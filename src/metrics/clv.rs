//! Lifetime value: what each customer is worth in money, historically and over a
//! horizon, from a buy-till-you-die model fitted to all customers ([`super::btyd`]:
//! BG/NBD for visits and P(alive), Gamma-Gamma for spend per visit) and corrected by
//! what the defection rules know.
//!
//! Time is counted in weeks of exactly 7 days; a year is 365.25 days (52.18 weeks); a
//! month in `--horizon 6m` is 365.25 / 12 days. No hidden 30-day months.
//!
//! Where the textbook models fail, and what churn does instead:
//! - **Customers the rules know are gone or halved.** BG/NBD assumes each customer
//!   keeps their own constant rate until an unobserved "death"; a regular who stopped
//!   two months ago still gets a sizeable P(alive), and a family now eating elsewhere
//!   half the time is predicted at their old rate. churn multiplies the prediction by
//!   what the rule measured: for `gone`, the probability of a silence that long under
//!   the customer's own rhythm; for `partial_defection` and `slowing`, their recent /
//!   baseline visit-rate ratio.
//! - **Seasonal customers** in their off season look dead to BG/NBD (a long silence).
//!   When the rules recognise the season, churn predicts them as of their last visit
//!   (the silence is explained): t_x is set to T.
//! - **One-time buyers and non-positive spend.** Gamma-Gamma is fitted on repeat
//!   customers whose mean net spend per repeat visit is positive (refunds included);
//!   everyone else gets the population's expected spend.
//! - **Fits that do not converge** are reported (iterations, `converged`), never a panic.

use serde::Serialize;

use super::btyd::{
    self, BgNbd, Cbs, ClvError, Cnbd, Discounting, Fit, GammaGamma, Rfm, Selection, Spend,
    VisitModel,
};
use crate::history::History;
use crate::normalize::Day;
use crate::rules::{Judgement, RuleId, Status, seasonal};

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
    pub p_alive: f64,
    /// Discounted expected profit over the horizon: visits × spend × margin.
    pub clv: f64,
    /// Expected spend per visit (Gamma-Gamma, conditional on their own mean).
    pub expected_spend: f64,
    /// The same customer's discounted value if they keep coming as before (P(alive) = 1,
    /// no rule correction): what a defection loses.
    pub value_if_retained: f64,
    /// How the rules corrected the textbook prediction, if they did.
    pub correction: Option<&'static str>,
    pub frequency: f64,
    pub recency_weeks: f64,
    pub tenure_weeks: f64,
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
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Options {
    /// The visit model (`--model`): by default chosen on the data.
    pub model: VisitModel,
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

/// [`fit_with`] the default [`Options`]: the visit model chosen on the data.
pub fn fit(inputs: &[CustomerInput]) -> Result<Fitted, ClvError> {
    fit_with(inputs, &Options::default())
}

/// Fits the visit model ([`btyd::select_visit_model`]: BG/NBD, or BG/NBD with regular visits
/// when the data say so) on the customers and Gamma-Gamma on the repeat customers; above
/// [`FIT_SAMPLE`] customers, on a systematic sample (every k-th, so the same input always
/// gives the same fit).
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
    let bgnbd = btyd::fit_bgnbd_with(&rfm, &fit_options)?;
    let cbs: Vec<Cbs> = sample()
        .map(|c| Cbs {
            rfm: c.rfm,
            litt: c.litt,
        })
        .collect();
    let visits = btyd::select_visit_model(&cbs, options.model, Some(&bgnbd), &fit_options)?;
    let spend: Vec<Spend> = sample()
        .filter_map(|c| c.mean_spend.map(|mean| Spend { x: c.rfm.x, mean }))
        .collect();
    let gamma_gamma = btyd::fit_gamma_gamma(&spend).ok();
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
        },
    })
}

impl Fitted {
    /// Values one customer over the settings' horizon.
    pub fn value(&self, c: &CustomerInput, settings: &Settings) -> Result<CustomerValue, ClvError> {
        let horizon = settings.horizon_days / DAYS_PER_WEEK;
        value_one(
            &self.visits,
            self.gamma_gamma.as_ref(),
            self.model.population_spend,
            c,
            horizon,
            &discounting(horizon, settings),
            settings.margin,
        )
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
        let mut worth = 0.0;
        for c in &regulars {
            worth += self.value(c, &ten_years)?.clv;
        }
        let value_of = |status: Status| -> Result<f64, ClvError> {
            let mut total = 0.0;
            for c in inputs.iter().filter(|c| c.status == status) {
                total += self.value(c, settings)?.value_if_retained;
            }
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
    let fitted = fit(inputs)?;
    let customers = inputs
        .iter()
        .map(|c| fitted.value(c, settings))
        .collect::<Result<Vec<_>, _>>()?;
    let headline = fitted.headline(inputs, settings)?;
    Ok(Values {
        model: fitted.model,
        customers,
        headline,
    })
}

/// Values one customer over `horizon` weeks.
fn value_one(
    params: &Cnbd,
    gg: Option<&GammaGamma>,
    population_spend: f64,
    c: &CustomerInput,
    horizon: f64,
    discounting: &Discounting,
    margin: f64,
) -> Result<CustomerValue, ClvError> {
    // A seasonal customer's silence is their off season: predict as of their last visit.
    let rfm = if c.seasonal {
        Rfm {
            t_x: c.rfm.t,
            ..c.rfm
        }
    } else {
        c.rfm
    };
    let retained = Rfm {
        t_x: c.rfm.t,
        ..c.rfm
    };
    let mut spend = match (gg, c.mean_spend) {
        (Some(gg), Some(mean)) if c.rfm.x > 0.0 => gg.conditional_expected_spend(c.rfm.x, mean)?,
        _ => population_spend,
    };
    // Their spend per visit fell (or a category they always bought stopped): the model's
    // lifetime mean overstates what they spend now.
    let mut spend_fell = false;
    if matches!(c.rule, Some(RuleId::SpendDrop | RuleId::CategoryStop)) {
        if let Some(recent) = c.recent_spend.filter(|r| *r >= 0.0 && *r < spend) {
            spend = recent;
            spend_fell = true;
        }
    }
    let p_alive = params.p_alive(&rfm)?;
    let (factor, correction) = match (c.rule, c.measure) {
        // The rule's probability of a silence this long under their own rhythm replaces
        // the model's P(alive) when it is lower (not on top of it).
        (Some(RuleId::Gone), Some(p)) if p < p_alive => (p / p_alive, Some("gone")),
        // The standard windows' ratio: the rule's own window is the one with the
        // strongest fall, and would overstate it.
        (Some(RuleId::PartialDefection), _) => (
            c.recent_ratio.unwrap_or(1.0).clamp(0.0, 1.0),
            Some("visit rate fell"),
        ),
        _ if c.seasonal => (c.season_factor.unwrap_or(1.0), Some("seasonal")),
        _ if spend_fell => (1.0, Some("spend fell")),
        _ => (1.0, None),
    };
    let visits = params.conditional_expected_transactions(&rfm, horizon)? * factor;
    let discounted = params.discounted_expected_transactions(&rfm, discounting)? * factor;
    let p_alive = p_alive * factor.min(1.0);
    let retained_visits = params.discounted_expected_transactions(&retained, discounting)?;
    Ok(CustomerValue {
        customer: c.customer,
        historical_revenue: c.historical_revenue,
        predicted_visits: visits,
        predicted_revenue: visits * spend,
        p_alive,
        clv: discounted * spend * margin,
        expected_spend: spend,
        value_if_retained: retained_visits * spend * margin,
        correction,
        frequency: c.rfm.x,
        recency_weeks: c.rfm.t_x,
        tenure_weeks: c.rfm.t,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
