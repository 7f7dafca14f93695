//! One analysis behind every command: load → normalize → history → rules → value model
//! → summary, built once per run from a validated [`Config`]. Commands choose which
//! parts to render; every figure they show comes from here, so a figure has one value
//! whichever command shows it.

use std::collections::HashMap;

use anyhow::{Context, Result};

use crate::config::{Config, Input};
use crate::history::GroupCounts;
use crate::load::{self, Role};
use crate::metrics::changes::{self, Changes, Pair};
use crate::metrics::clv::{self, CustomerInput, CustomerValue, DAYS_PER_YEAR, Fitted, Settings};
use crate::metrics::contacts::{self, Candidate, Contact};
use crate::metrics::rate::{self, CohortMatrix, CohortUnit, RateQuery, RateTable, TenureCurve};
use crate::metrics::reasons::{self, ByGroup, CustomerInfo, ReasonNames, Reasons};
use crate::metrics::summary::{self, Period, Summary, ValueFigures};
use crate::normalize::date::{to_date, to_day};
use crate::normalize::feedback::Feedback;
use crate::normalize::{self, Day, Dictionary, Purchases};
use crate::rules::{self, Status, Verdict};

/// The horizon of the headline value figures: "a regular is worth … over ten years".
pub const HEADLINE_YEARS: f64 = 10.0;
/// [`HEADLINE_YEARS`] in days, the horizon the value model takes.
pub const HEADLINE_DAYS: f64 = HEADLINE_YEARS * DAYS_PER_YEAR;

/// Why an export without amounts has no revenue or value figures.
pub const NO_AMOUNTS: &str = "the export has no amounts (a visit log): the visit rules judge \
    every customer, but revenue and value figures need an amount column, a line total, or \
    quantity and unit price (--amount-col, or --quantity-col and --price-col)";

/// What a command needs beyond the rules' verdicts.
#[derive(Clone, Debug, Default)]
pub struct Needs {
    /// Fit the value model and compute the value figures.
    pub value: bool,
    /// Value customers over these horizons too (days), besides the headline's.
    pub horizons: Vec<f64>,
    /// Keep the latest value of these columns per customer (a call list's phone number).
    pub keep: Vec<String>,
}

/// The value model, or why there is none.
pub enum Valuation {
    Fitted(Box<Fitted>),
    Unavailable(String),
}

/// Everything the commands show, computed once.
pub struct Analysis {
    pub config: Config,
    pub purchases: Purchases,
    pub as_of: Day,
    pub period: Period,
    /// Every customer with a visit up to the as-of date, in customer-code order.
    pub verdicts: Vec<Verdict>,
    pub grouped: GroupCounts,
    /// Horizons (days) of `inputs`: the headline's first.
    horizons: Vec<f64>,
    /// Model inputs per horizon, per customer (`None`: no visit to model).
    inputs: Vec<Vec<Option<CustomerInput>>>,
    pub valuation: Option<Valuation>,
    pub feedback: Option<Feedback>,
    pub summary: Summary,
}

impl Analysis {
    /// Reads the inputs of `config` and judges every customer.
    pub fn build(config: Config, needs: &Needs) -> Result<Analysis> {
        let mut input = config.purchases.clone();
        input.values.keep = needs.keep.clone();
        let purchases = normalize::read_purchases(&input.paths, &input.read, &input.values)?;
        if let Some(path) = &config.rejects {
            crate::report::write_output(Some(path), |w| {
                crate::report::csv::rejects(&purchases.files, w)
            })
            .with_context(|| format!("{}: cannot write the rejects file", path.display()))?;
        }
        let as_of = match config.as_of {
            Some(d) => to_day(d),
            None => purchases
                .last_day
                .with_context(|| format!("{}: no row has a date", purchases.source))?,
        };
        let feedback = config.feedback.as_ref().map(load_feedback).transpose()?;

        let mut horizons = vec![HEADLINE_DAYS];
        for &h in &needs.horizons {
            if !horizons.contains(&h) {
                horizons.push(h);
            }
        }
        // The period needs the first day of the data before the rules can judge at its
        // start; the rules' pass then sees every customer once.
        let data_start = rate::first_day(&purchases, as_of);
        let period = Period::new(data_start, as_of);
        let start = period.start.unwrap_or(Day::MIN);
        let (both, grouped) = rules::apply_rules_with(
            &purchases,
            as_of,
            start,
            config.dedupe,
            &config.rules,
            |h, j| {
                if !needs.value {
                    return Vec::new();
                }
                horizons
                    .iter()
                    .map(|&days| clv::customer_input(h, as_of, j, days))
                    .collect::<Vec<_>>()
            },
        );
        let mut verdicts = Vec::with_capacity(both.len());
        let mut inputs = vec![Vec::with_capacity(both.len()); horizons.len()];
        for (verdict, per_horizon) in both {
            verdicts.push(verdict);
            if needs.value {
                for (slot, input) in inputs.iter_mut().zip(per_horizon) {
                    slot.push(input);
                }
            }
        }
        let valuation = needs.value.then(|| {
            let modelled: Vec<CustomerInput> = inputs[0].iter().flatten().cloned().collect();
            let model = config.value.model;
            // How much the rules' flags change a customer's future, learned from what
            // flagged customers did after an earlier date; none when it cannot be. The
            // corrections only apply when valuing, so they are learned on a second thread
            // while the model is fitted.
            let (corrections, fitted) = std::thread::scope(|scope| {
                let learned = scope.spawn(|| {
                    clv::learn_corrections(
                        &purchases,
                        as_of,
                        config.dedupe,
                        &config.rules,
                        HEADLINE_DAYS,
                        model,
                    )
                });
                let options = clv::Options {
                    model,
                    ..clv::Options::default()
                };
                let fitted = clv::fit_with(&modelled, &options);
                let learned = learned
                    .join()
                    .unwrap_or_else(|e| std::panic::resume_unwind(e));
                (learned, fitted)
            });
            let corrections = corrections
                .unwrap_or_else(|e| clv::Corrections::none(format!("no corrections learned: {e}")));
            match fitted {
                Ok(mut fitted) => {
                    fitted.model.corrections = corrections;
                    Valuation::Fitted(Box::new(fitted))
                }
                Err(e) => Valuation::Unavailable(format!(
                    "the lifetime-value model could not be fitted: {e}"
                )),
            }
        });
        let mut analysis = Analysis {
            summary: Summary::default(),
            config,
            purchases,
            as_of,
            period,
            verdicts,
            grouped,
            horizons,
            inputs,
            valuation,
            feedback,
        };
        analysis.summary = analysis.summarize();
        analysis.check_finite()?;
        Ok(analysis)
    }

    fn summarize(&self) -> Summary {
        let mut warnings = Vec::new();
        if self.period.start.is_none() {
            warnings.push(format!(
                "no defection rate: the data cover {} whole month{} up to {}; a rate needs at \
                 least 2 (a month, with a month of history before it)",
                self.period.months_of_data,
                if self.period.months_of_data == 1 {
                    ""
                } else {
                    "s"
                },
                to_date(self.as_of)
            ));
        } else if !self.period.full_year() {
            warnings.push(format!(
                "less than a year of data ({} months): revenue figures cover those months, \
                 and the defection rate is over {} months, not a year",
                self.period.months_of_data,
                self.period.length.map_or(0, |l| l.months())
            ));
        }
        if !self.purchases.has_amounts() {
            warnings.push(NO_AMOUNTS.to_string());
        }
        let value = match &self.valuation {
            None => None,
            Some(Valuation::Unavailable(why)) => {
                if why != NO_AMOUNTS {
                    warnings.push(why.clone());
                }
                None
            }
            Some(Valuation::Fitted(_)) if !self.purchases.has_amounts() => None,
            Some(Valuation::Fitted(fitted)) => {
                warnings.extend(model_caveats(fitted));
                let (figures, failed) = self.value_figures(fitted);
                if failed > 0 {
                    warnings.push(format!(
                        "{failed} customer{} could not be valued (the model's series did not \
                         settle for their history) and count as worth nothing in the value \
                         figures",
                        if failed == 1 { "" } else { "s" }
                    ));
                }
                Some(figures)
            }
        };
        let verdicts: Vec<&Verdict> = self.verdicts.iter().collect();
        Summary {
            value,
            currency: self.currency(),
            warnings,
            ..summary::summarize(&self.purchases, &self.period, &self.grouped, &verdicts)
        }
    }

    /// A sum that overflowed is an error, not a figure printed as `inf`.
    fn check_finite(&self) -> Result<()> {
        let s = &self.summary;
        let sums = [s.revenue, s.revenue_lost, s.revenue_at_risk];
        if sums.iter().flatten().all(|x| x.is_finite()) {
            return Ok(());
        }
        let largest = self
            .purchases
            .amounts()
            .iter()
            .copied()
            .max_by(|a, b| a.abs().total_cmp(&b.abs()))
            .unwrap_or(0.0);
        anyhow::bail!(
            "{}: the amounts add up to more than a number can hold (the largest is {largest:e}); \
             such an amount is surely a mistake in the export: check the amount column, or pass \
             --amount-col if churn took the wrong one",
            self.purchases.source
        )
    }

    /// The headline value figures over [`HEADLINE_YEARS`], and how many customers could
    /// not be valued.
    fn value_figures(&self, fitted: &Fitted) -> (ValueFigures, u64) {
        let settings = self.settings(HEADLINE_DAYS);
        let inputs = &self.inputs[0];
        let (mut worth, mut regulars, mut lost, mut at_risk) = (0.0, 0u64, 0.0, 0.0);
        let mut failed = 0;
        for (v, input) in self.verdicts.iter().zip(inputs) {
            let Some(c) = input else { continue };
            let status = v.judgement.status;
            let regular = status == Status::Active && c.visits_12m >= clv::REGULAR_VISITS_12M;
            let (_, defected_in_period) = summary::in_period(v);
            if !(regular || defected_in_period || status == Status::AtRisk) {
                continue;
            }
            let Ok(value) = fitted.value(c, &settings) else {
                failed += 1;
                continue;
            };
            if regular {
                worth += value.clv;
                regulars += 1;
            }
            if defected_in_period {
                lost += value.value_if_retained;
            }
            if status == Status::AtRisk {
                at_risk += value.value_if_retained;
            }
        }
        let m = &fitted.model;
        let figures = ValueFigures {
            horizon_years: HEADLINE_YEARS,
            annual_discount: settings.annual_discount,
            margin: settings.margin,
            regular_worth: (regulars > 0).then(|| worth / regulars as f64),
            regulars,
            value_lost: lost + 0.0,
            value_at_risk: at_risk + 0.0,
            model: match m.gamma_gamma {
                Some(_) => format!("{} + Gamma-Gamma", m.visits.name),
                None => m.visits.name.clone(),
            },
            converged: m.visits.fit.converged && m.gamma_gamma.as_ref().is_none_or(|g| g.converged),
        };
        (figures, failed)
    }

    /// How money is labelled: `--currency` or the config, else what the export says.
    fn currency(&self) -> Option<String> {
        self.config
            .currency
            .clone()
            .or_else(|| self.purchases.currency().map(str::to_string))
    }

    /// The value settings of the config over `horizon_days`.
    pub fn settings(&self, horizon_days: f64) -> Settings {
        Settings {
            horizon_days,
            annual_discount: self.config.value.discount,
            margin: self.config.value.margin,
        }
    }

    /// The fitted value model, if it was asked for and could be fitted.
    pub fn fitted(&self) -> Option<&Fitted> {
        match &self.valuation {
            Some(Valuation::Fitted(f)) => Some(f),
            _ => None,
        }
    }

    /// The model inputs over `horizon_days` (one of [`Needs::horizons`]), per customer.
    pub fn inputs(&self, horizon_days: f64) -> &[Option<CustomerInput>] {
        self.horizons
            .iter()
            .position(|&h| h == horizon_days)
            .map_or(&[], |i| &self.inputs[i])
    }

    /// Each customer's value under `settings` (its horizon one of [`Needs::horizons`]),
    /// in verdict order; `None` for a customer the model cannot value.
    pub fn values(&self, settings: &Settings) -> Vec<Option<CustomerValue>> {
        self.per_customer(settings.horizon_days, |f, c| f.value(c, settings).ok())
    }

    /// Each customer's outlook (P(alive), P(no visit), next visit; see
    /// [`clv::Fitted::outlook`]), in verdict order: cheaper than valuing them.
    pub fn outlooks(&self) -> Vec<Option<clv::Outlook>> {
        self.per_customer(self.horizons[0], |f, c| f.outlook(c).ok())
    }

    /// `each` of every customer with model inputs over `horizon_days`, on all cores.
    fn per_customer<T: Send>(
        &self,
        horizon_days: f64,
        each: impl Fn(&Fitted, &CustomerInput) -> Option<T> + Sync,
    ) -> Vec<Option<T>> {
        let inputs = self.inputs(horizon_days);
        let Some(f) = self.fitted() else {
            return (0..self.verdicts.len()).map(|_| None).collect();
        };
        let one = |c: &Option<CustomerInput>| c.as_ref().and_then(|c| each(f, c));
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, 8);
        let chunk = inputs.len().div_ceil(threads).max(1);
        let one = &one;
        std::thread::scope(|scope| {
            let parts: Vec<_> = inputs
                .chunks(chunk)
                .map(|part| scope.spawn(move || part.iter().map(one).collect::<Vec<_>>()))
                .collect();
            parts
                .into_iter()
                .flat_map(|p| p.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        })
    }

    pub fn customer_id(&self, code: u32) -> &str {
        self.purchases.customers.name(code)
    }

    /// A store's, employee's or category's name.
    pub fn name(dict: &Option<Dictionary>, code: Option<u32>) -> Option<String> {
        dict.as_ref().zip(code).map(|(d, c)| d.name(c).to_string())
    }

    /// Defection rates by one dimension (see [`rate::defection_rates`]).
    pub fn rates(&self, query: &RateQuery) -> Result<RateTable> {
        self.rates_at(query, self.as_of)
    }

    /// [`Analysis::rates`] as of another day.
    pub fn rates_at(&self, query: &RateQuery, as_of: Day) -> Result<RateTable> {
        rate::defection_rates(
            &self.purchases,
            as_of,
            self.config.dedupe,
            &self.config.rules,
            query,
        )
        .with_context(|| {
            format!(
                "{}: cannot compute the defection rates",
                self.purchases.source
            )
        })
    }

    pub fn cohorts(&self, unit: CohortUnit) -> Result<CohortMatrix> {
        rate::cohort_matrix(
            &self.purchases,
            self.as_of,
            self.config.dedupe,
            &self.config.rules,
            unit,
        )
        .with_context(|| {
            format!(
                "{}: cannot compute the cohort retention",
                self.purchases.source
            )
        })
    }

    pub fn tenure(&self) -> Result<TenureCurve> {
        rate::tenure_curve(&self.purchases, self.as_of, self.config.dedupe)
    }

    /// Why defectors leave, ranked by the value lost over `horizon_days` (one of
    /// [`Needs::horizons`]). `None` without feedback.
    pub fn reasons(
        &self,
        horizon_days: f64,
        by: Option<ByGroup>,
        examples: usize,
    ) -> Option<Reasons> {
        let feedback = self.feedback.as_ref()?;
        let values = self.values(&self.settings(horizon_days));
        let mut customers = HashMap::with_capacity(self.verdicts.len());
        for (v, value) in self.verdicts.iter().zip(values) {
            let j = &v.judgement;
            customers.insert(
                self.customer_id(v.customer).to_string(),
                CustomerInfo {
                    status: j.status,
                    since: j.since(),
                    value: match (j.status, value) {
                        (Status::Active, _) | (_, None) => 0.0,
                        (_, Some(value)) => value.value_if_retained,
                    },
                    store: Self::name(&self.purchases.stores, v.main_store),
                    employee: Self::name(&self.purchases.employees, v.main_employee),
                },
            );
        }
        Some(reasons::rank_reasons(
            feedback,
            &customers,
            &ReasonNames::new(&self.config.reasons),
            self.as_of,
            by,
            examples,
        ))
    }

    /// The customers to call (see [`contacts::select`]): value at stake is revenue over
    /// the next year, undiscounted ([`CONTACT_STAKE`]; add its horizon to
    /// [`Needs::horizons`]). Returns them and how many were left out as already heard.
    pub fn contacts(&self, recent_days: u32) -> (Vec<Contact>, u64) {
        let mut heard: HashMap<String, Vec<Day>> = HashMap::new();
        if let Some(feedback) = &self.feedback {
            for e in &feedback.entries {
                heard.entry(e.customer.clone()).or_default().push(e.day);
            }
        }
        let values = self.values(&CONTACT_STAKE);
        let kept = &self.purchases.kept;
        let candidates = self
            .verdicts
            .iter()
            .zip(values)
            .filter(|(v, _)| v.judgement.status != Status::Active)
            .map(|(v, value)| Candidate {
                id: self.customer_id(v.customer),
                verdict: v,
                store: Self::name(&self.purchases.stores, v.main_store),
                employee: Self::name(&self.purchases.employees, v.main_employee),
                value_at_stake: value.as_ref().map_or(0.0, |v| v.value_if_retained),
                p_alive: value.as_ref().map(|v| v.p_alive),
                overdue_since: value.as_ref().and_then(|v| v.overdue_since),
                kept: kept
                    .values
                    .get(&v.customer)
                    .cloned()
                    .unwrap_or_else(|| vec![String::new(); kept.names.len()]),
            });
        contacts::select(candidates, self.as_of, &heard, recent_days)
    }

    /// The customers as judged at the end of the previous month (see [`month_before`]).
    pub fn previous_month(&self) -> Snapshot {
        let day = month_before(self.as_of);
        let period = Period::with_length(self.period.data_start, day, self.period.length);
        let (verdicts, grouped) = rules::apply_rules(
            &self.purchases,
            day,
            period.start.unwrap_or(Day::MIN),
            self.config.dedupe,
            &self.config.rules,
        );
        let refs: Vec<&Verdict> = verdicts.iter().collect();
        let summary = Summary {
            currency: self.currency(),
            ..summary::summarize(&self.purchases, &period, &grouped, &refs)
        };
        let mut by_customer = vec![None; self.purchases.customers.len()];
        for v in verdicts {
            let code = v.customer as usize;
            if let Some(slot) = by_customer.get_mut(code) {
                *slot = Some(v);
            }
        }
        Snapshot {
            as_of: day,
            summary,
            by_customer,
        }
    }

    /// What changed since `before` (see [`changes::changes`]); value at stake as the
    /// contacts' ([`CONTACT_STAKE`]; add its horizon to [`Needs::horizons`]).
    pub fn changes(&self, before: &Snapshot) -> Changes {
        let values = self.values(&CONTACT_STAKE);
        let pairs = self.verdicts.iter().zip(values).map(|(v, value)| {
            let then = before.verdict(v.customer);
            let j = &v.judgement;
            Pair {
                id: self.customer_id(v.customer),
                before: then.map(|t| t.judgement.status),
                now: j.status,
                rule: j.rule,
                evidence: &j.evidence,
                since: j.since(),
                revenue_12m_before: then.map_or(0.0, |t| t.judgement.figures.revenue_12m),
                revenue_12m_now: j.figures.revenue_12m,
                value_at_stake: value.map_or(0.0, |v| v.value_if_retained),
            }
        });
        changes::changes(pairs, before.as_of, self.as_of)
    }

    /// Each customer's latest feedback on or before the as-of date: (reason, day).
    pub fn latest_feedback(&self) -> HashMap<&str, (String, Day)> {
        let mut latest: HashMap<&str, (Option<&str>, Day)> = HashMap::new();
        let Some(feedback) = &self.feedback else {
            return HashMap::new();
        };
        for e in feedback.entries.iter().filter(|e| e.day <= self.as_of) {
            let slot = latest.entry(e.customer.as_str()).or_insert((None, e.day));
            // Later wins; on the same day, the later line of the file.
            if e.day >= slot.1 {
                *slot = (e.reason.as_deref(), e.day);
            }
        }
        let names = ReasonNames::new(&self.config.reasons);
        latest
            .into_iter()
            .map(|(id, (reason, day))| (id, (names.display(reason), day)))
            .collect()
    }
}

/// The same date a month earlier; the last day of the month before when `day` is the last
/// of its month (2026-06-30 → 2026-05-31), as the monthly trend's month ends.
pub fn month_before(day: Day) -> Day {
    use chrono::{Datelike, Months};
    let date = to_date(day);
    if to_date(day + 1).month() != date.month() {
        return day - date.day() as Day;
    }
    date.checked_sub_months(Months::new(1))
        .map_or(day - 30, to_day)
}

/// The customers as judged at an earlier date, by the same rules on the same purchases.
pub struct Snapshot {
    pub as_of: Day,
    /// The summary then, over a period of the same length (no value figures).
    pub summary: Summary,
    /// Each customer's verdict then, by customer code (`None`: no visit yet).
    by_customer: Vec<Option<Verdict>>,
}

impl Snapshot {
    pub fn verdict(&self, customer: u32) -> Option<&Verdict> {
        self.by_customer.get(customer as usize)?.as_ref()
    }
}

/// Defected customers are listed for a call while their change began at most this many
/// days ago (`churn contacts --recent-days`, and the report's call list).
pub const CONTACT_RECENT_DAYS: u32 = 180;

/// A contact's value at stake: a year of their custom, undiscounted, in revenue.
pub const CONTACT_STAKE: Settings = Settings {
    horizon_days: DAYS_PER_YEAR,
    annual_discount: 0.0,
    margin: 1.0,
};

/// What a reader of the value figures must know about the model's fit.
fn model_caveats(fitted: &Fitted) -> Vec<String> {
    let m = &fitted.model;
    let mut out = Vec::new();
    let visits = &m.visits;
    if !visits.fit.converged {
        let p = &visits.fit.params;
        out.push(if p.a > 1e3 || p.b > 1e3 {
            format!(
                "the visit model ({}) did not converge: its drop-out parameters grew without \
                 bound (a = {}, b = {}), that is, these customers show almost no drop-out in the \
                 model's sense; the value figures use the parameters where the fit stopped, so \
                 read them as rough",
                visits.name,
                sig(p.a),
                sig(p.b)
            )
        } else {
            format!(
                "the visit model ({}) did not converge after {} iterations: the value figures \
                 use the best parameters found, so read them as rough",
                visits.name, visits.fit.iterations
            )
        });
    }
    if let Some(g) = &m.gamma_gamma {
        if !g.converged {
            out.push(format!(
                "the spend model (Gamma-Gamma) did not converge after {} iterations: spend per \
                 visit uses the best parameters found",
                g.iterations
            ));
        }
    }
    out
}

/// A model parameter for people: `57,193`, `3.886`, `1.18e7`.
fn sig(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        format!("{x}")
    } else if x.abs() >= 1e6 || x.abs() < 1e-3 {
        format!("{x:.2e}")
    } else if x.abs() >= 1000.0 {
        let digits = crate::report::count(x.abs().round() as u64);
        if x < 0.0 {
            format!("-{digits}")
        } else {
            digits
        }
    } else {
        let digits = (3 - x.abs().log10().floor() as i32).clamp(0, 6) as usize;
        format!("{x:.digits$}")
    }
}

/// Reads a feedback file with the same dialect settings as the purchases.
fn load_feedback(input: &Input) -> Result<Feedback> {
    let path = input.paths.first().context("no feedback file was given")?;
    let table = load::open_table(path, &input.read, &Role::FEEDBACK)?;
    normalize::feedback::normalize_feedback(table, &input.values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_parameters_read_for_people_whatever_their_size() {
        assert_eq!(sig(57_193.4), "57,193");
        assert_eq!(sig(-57_193.4), "-57,193");
        assert_eq!(sig(3.886_12), "3.886");
        assert_eq!(sig(11_800_000.0), "1.18e7");
        assert_eq!(sig(0.000_12), "1.20e-4");
        // A parameter that underflowed to zero, or overflowed, is shown, not a panic.
        assert_eq!(sig(0.0), "0");
        assert_eq!(sig(f64::INFINITY), "inf");
    }

    #[test]
    fn the_month_before_a_month_end_is_the_previous_month_end() {
        let day = |s: &str| to_day(s.parse().unwrap());
        assert_eq!(month_before(day("2026-06-30")), day("2026-05-31"));
        assert_eq!(month_before(day("2026-03-31")), day("2026-02-28"));
        assert_eq!(month_before(day("2026-03-15")), day("2026-02-15"));
    }
}
