//! The defection rate by period and group, the cohort retention matrix and the tenure
//! curve (`churn rate`). Pure: purchases in, typed results out.
//!
//! **Defection rate** of a period that starts on day *s* and ends on day *e*: of the
//! customers active at *s* (status `active` or `at_risk`), the share that is `defected`
//! at *e*, each status judged by the same rules as `churn scan` ([`rules::judge`]) on
//! the customer's history as it stood at that date ([`History::until`]):
//!
//! > rate = |{c : status(c, s) ≠ defected ∧ status(c, e) = defected}| / |{c : status(c, s) ≠ defected}|
//!
//! A customer whose first visit is after *s* is not counted. With the default period
//! (a year: *s* is the same date a year before the as-of date) this is exactly the
//! defection rate of `churn scan`'s summary. `month` and `quarter` periods are one and
//! three calendar months; a period that ends on a month's last day starts on the last
//! day of the month one (three) months earlier. The 95% interval is Wilson's score
//! interval. A customer judged defected can come back: someone defected at *s* is not
//! counted, and someone active at *s* and at *e* is not a defector even if they were
//! judged defected in between.
//!
//! Each defector's **revenue lost** is their net revenue in the 365 days up to *e*
//! ([`crate::rules::Figures::revenue_12m`] of the judgement at *e*), the yearly value
//! that walks out with them. (`churn scan`'s "revenue lost" sums the same figure over
//! every customer defected at the as-of date, including those already defected a year
//! earlier; here only the period's defectors count.)
//!
//! **Groups**: a customer belongs to their main store, employee and category (the one
//! of most of their visits over their whole history up to the as-of date, not only the
//! period); to the cohort of their first visit (month or quarter); and to the segment
//! ([`super::segment`]) and value band they were in at the start of the period, as of
//! that date. The trend (`month`, `quarter`) has one row per calendar month (quarter)
//! end up to the as-of date with a full period of data before it, each the rate of the
//! period ending that day.
//!
//! **Cohort retention**: customers by the month (quarter) of their first visit; for each
//! month (quarter) since, the share *retained*: not judged defected at the last day of
//! that month or of any month before it, each judged as of that day. Retention never
//! rises. A customer judged defected who comes back is counted apart, as *returned*
//! (defected at an earlier month end, not defected at this one): a win-back, not
//! retention.
//!
//! **Tenure curve**: net revenue per customer in their 1st, 2nd, 3rd… year since their
//! first visit (year *n* runs from the first visit's date *n* − 1 years later up to the
//! same date *n* years later). Only customers whose year *n* has ended by the as-of date
//! count for year *n*; customers who stopped coming count with what they spent (often
//! nothing), so the curve shows what a new customer brings in each year, retention
//! included. `visiting` and `revenue_per_visiting` count only the customers who came at
//! least once that year: what those who stay bring.

use anyhow::{Context, Result};
use chrono::{Datelike, Months, NaiveDate};
use polars::prelude::{
    Column, DataFrame, DataType, IntoLazy, PolarsResult, SortMultipleOptions, col, len,
};
use serde::Serialize;

use super::segment::{Behaviour, ValueBand, ValueBands, behaviour};
use crate::history::{self, History};
use crate::normalize::date::{to_date, to_day};
use crate::normalize::{Day, Purchases};
use crate::rules::{self, RuleConfig, Status};
use crate::stats::wilson;

/// The normal quantile of a two-sided 95% interval (as in `churn scan`'s summary).
pub const Z_95: f64 = 1.959_964;

/// Groups with fewer customers active at the start are flagged `small` by default.
pub const MIN_CUSTOMERS: u64 = 30;

/// Column names of the frames aggregated with polars.
mod col {
    pub const GROUP: &str = "group";
    pub const ACTIVE_AT_START: &str = "active_at_start";
    pub const DEFECTED_AT_END: &str = "defected_at_end";
    pub const REVENUE_LOST: &str = "revenue_lost";
    pub const CUSTOMERS: &str = "customers";
    pub const DEFECTED: &str = "defected";
    pub const COHORT: &str = "cohort";
    pub const SINCE: &str = "since";
    pub const RETAINED: &str = "retained";
    pub const RETURNED: &str = "returned";
    pub const TENURE_YEAR: &str = "tenure_year";
    pub const REVENUE: &str = "revenue";
    pub const VISITED: &str = "visited";
    pub const VISITING: &str = "visiting";
}

/// The length of the period a rate is measured over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Month,
    Quarter,
    Year,
}

impl Period {
    pub fn months(self) -> u32 {
        match self {
            Period::Month => 1,
            Period::Quarter => 3,
            Period::Year => 12,
        }
    }

    /// "Annual", for "annual defection rate".
    pub fn adjective(self) -> &'static str {
        match self {
            Period::Month => "Monthly",
            Period::Quarter => "Quarterly",
            Period::Year => "Annual",
        }
    }

    /// "a year", as a rate's unit.
    pub fn per(self) -> &'static str {
        match self {
            Period::Month => "a month",
            Period::Quarter => "a quarter",
            Period::Year => "a year",
        }
    }

    /// "12 months"
    pub fn label(self) -> &'static str {
        match self {
            Period::Month => "1 month",
            Period::Quarter => "3 months",
            Period::Year => "12 months",
        }
    }

    /// The first day (the day customers must be active on) of the period ending `end`.
    pub fn start(self, end: Day) -> Day {
        match self {
            // The same date a year earlier, exactly as `churn scan`'s summary.
            Period::Year => super::summary::period_start(end),
            _ => months_before(end, self.months()),
        }
    }
}

/// Calendar months or quarters: the unit of cohorts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum CohortUnit {
    #[default]
    Month,
    Quarter,
}

impl CohortUnit {
    fn months(self) -> i32 {
        match self {
            CohortUnit::Month => 1,
            CohortUnit::Quarter => 3,
        }
    }

    /// `month` or `quarter`.
    pub fn name(self) -> &'static str {
        match self {
            CohortUnit::Month => "month",
            CohortUnit::Quarter => "quarter",
        }
    }

    /// The column of a cohort matrix's steps: `months_since` or `quarters_since`.
    pub fn since_column(self) -> &'static str {
        match self {
            CohortUnit::Month => "months_since",
            CohortUnit::Quarter => "quarters_since",
        }
    }

    /// Index of the month (quarter) a day is in, counted from year 0.
    fn index(self, day: Day) -> i32 {
        month_index(day).div_euclid(self.months())
    }

    /// The last day of month (quarter) `index`.
    fn end(self, index: i32) -> Day {
        month_end(index * self.months() + self.months() - 1)
    }

    /// `2026-05` or `2026-Q2`.
    fn label(self, index: i32) -> String {
        match self {
            CohortUnit::Month => format!(
                "{:04}-{:02}",
                index.div_euclid(12),
                index.rem_euclid(12) + 1
            ),
            CohortUnit::Quarter => {
                format!("{:04}-Q{}", index.div_euclid(4), index.rem_euclid(4) + 1)
            }
        }
    }
}

/// What the rate is broken down by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dimension {
    /// One row: the whole customer base.
    Overall,
    /// The trend: one row per month (quarter) end.
    Trend(CohortUnit),
    Store,
    Employee,
    Category,
    /// The month (quarter) of the first visit.
    Cohort(CohortUnit),
    /// The behavioural segment at the start of the period.
    Segment,
    /// The value band at the start of the period.
    Value,
    /// The store of the customer's first visit.
    FirstStore,
    /// How long they had been a customer at the start of the period.
    Tenure,
}

/// Tenure bands at the start of a period, in years since the first visit.
const TENURE_BANDS: [&str; 4] = ["0-1 years", "1-2 years", "2-3 years", "3+ years"];

fn tenure_band(first_visit: Day, start: Day) -> i64 {
    let years = f64::from(start - first_visit) / crate::metrics::clv::DAYS_PER_YEAR;
    (years.max(0.0).floor() as i64).min(TENURE_BANDS.len() as i64 - 1)
}

impl Dimension {
    /// The name of the group column (first in the CSV header).
    pub fn column(self) -> &'static str {
        match self {
            Dimension::Overall => "period",
            Dimension::Trend(CohortUnit::Month) => "month",
            Dimension::Trend(CohortUnit::Quarter) => "quarter",
            Dimension::Store => "store",
            Dimension::Employee => "employee",
            Dimension::Category => "category",
            Dimension::Cohort(_) => "cohort",
            Dimension::Segment => "segment",
            Dimension::Value => "value",
            Dimension::FirstStore => "first_store",
            Dimension::Tenure => "tenure",
        }
    }

    /// Rows in time order (by their label) rather than highest rate first.
    pub fn chronological(self) -> bool {
        matches!(
            self,
            Dimension::Overall | Dimension::Trend(_) | Dimension::Cohort(_) | Dimension::Tenure
        )
    }
}

/// What to compute.
#[derive(Clone, Copy, Debug)]
pub struct RateQuery {
    pub dimension: Dimension,
    pub period: Period,
    /// Groups with fewer customers active at the start are flagged `small`.
    pub min_customers: u64,
}

/// The defection rate of one group over one period.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RateRow {
    /// The group: a store, a month (`2026-05`), a cohort, a segment… or the period
    /// (`2025-10-31/2026-10-31`) for the overall row.
    pub group: String,
    /// Customers are counted when active at the end of this day…
    pub period_start: NaiveDate,
    /// …and defectors when defected at the end of this one.
    pub period_end: NaiveDate,
    /// Customers active (or at risk) at the start.
    pub customers: u64,
    /// Of those, defected at the end.
    pub defected: u64,
    pub defection_rate: f64,
    /// 95% Wilson score interval.
    pub rate_low: f64,
    pub rate_high: f64,
    /// Last-12-month net revenue (as of the end) of the defectors.
    pub revenue_lost: f64,
    /// Fewer customers than `min_customers`: too few to judge.
    pub small: bool,
}

/// Defection rates by one dimension.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RateTable {
    /// The group column's name: `period`, `month`, `store`, `cohort`, …
    pub dimension: &'static str,
    #[serde(skip)]
    pub kind: Dimension,
    /// The rules' `history.new_days`, which defines the `new` segment.
    #[serde(skip)]
    pub new_days: u32,
    pub period: Period,
    pub period_months: u32,
    pub min_customers: u64,
    /// The first date in the data (as far as the as-of date).
    pub data_start: Option<NaiveDate>,
    /// The value bands' cut points (`--by value` only).
    pub value_bands: Option<ValueBands>,
    pub rows: Vec<RateRow>,
    /// Caveats about the rows, in words; every format shows them.
    pub warnings: Vec<String>,
}

/// Computes the defection rate of `query.period` up to `as_of`, by `query.dimension`.
/// Store, employee and category are None for customers when the input lacks the column.
pub fn defection_rates(
    purchases: &Purchases,
    as_of: Day,
    dedupe: bool,
    config: &RuleConfig,
    query: &RateQuery,
) -> Result<RateTable> {
    let data_start = first_day(purchases, as_of);
    let periods = periods(query, as_of, data_start);
    let mut dates: Vec<Day> = periods.iter().flat_map(|&(s, e)| [s, e]).collect();
    dates.sort_unstable();
    dates.dedup();
    let index = |d: Day| dates.partition_point(|&x| x < d);
    let slots: Vec<(usize, usize)> = periods.iter().map(|&(s, e)| (index(s), index(e))).collect();
    let wants_segment = query.dimension == Dimension::Segment;
    let config = &defection_only(config);

    let (customers, _) = history::group(purchases, as_of, dedupe, |h| {
        let mut looks = Looks::new(h, &dates, config, wants_segment);
        let entries = slots
            .iter()
            .enumerate()
            .filter_map(|(p, &(s, e))| {
                let start = looks.at(s)?;
                let active = start.status != Status::Defected;
                let end = if active { looks.at(e) } else { None };
                let defected = end.is_some_and(|l| l.status == Status::Defected);
                Some(Entry {
                    period: p,
                    active,
                    defected,
                    revenue_lost: end.filter(|_| defected).map_or(0.0, |l| l.revenue_12m),
                    revenue_at_start: start.revenue_12m,
                    behaviour: start.behaviour,
                })
            })
            .collect::<Vec<_>>();
        CustomerRates {
            first_visit: h.first_day().unwrap_or(as_of),
            main_store: h.main_store,
            first_store: h.first_store,
            main_employee: h.main_employee,
            main_category: h.main_category,
            entries,
        }
    });

    let value_bands = (query.dimension == Dimension::Value).then(|| {
        let revenues: Vec<f64> = customers
            .iter()
            .flat_map(|c| c.entries.iter().filter(|e| e.active))
            .map(|e| e.revenue_at_start)
            .collect();
        ValueBands::from_revenues(&revenues)
    });
    // Each customer-period's group as an integer key (a period's index, a store's code,
    // a cohort's month…), named once per group afterwards.
    let mut keys = Vec::new();
    let (mut active, mut defected, mut lost) = (Vec::new(), Vec::new(), Vec::new());
    let code = |c: Option<u32>| c.map_or(-1, i64::from);
    for c in &customers {
        for e in &c.entries {
            keys.push(match query.dimension {
                Dimension::Overall | Dimension::Trend(_) => e.period as i64,
                Dimension::Store => code(c.main_store),
                Dimension::Employee => code(c.main_employee),
                Dimension::Category => code(c.main_category),
                Dimension::Cohort(unit) => i64::from(unit.index(c.first_visit)),
                Dimension::Segment => e.behaviour.map_or(-1, |b| b as i64),
                Dimension::Value => value_bands.map_or(-1, |b| b.band(e.revenue_at_start) as i64),
                Dimension::FirstStore => code(c.first_store),
                Dimension::Tenure => tenure_band(c.first_visit, periods[e.period].0),
            });
            active.push(e.active);
            defected.push(e.defected);
            lost.push(e.revenue_lost);
        }
    }
    let sums = sum_by_group(keys, active, defected, lost).context("summing defectors by group")?;
    let name = |dict: &Option<crate::normalize::Dictionary>, key: i64| {
        let code = u32::try_from(key).ok();
        dict.as_ref()
            .zip(code)
            .map_or(String::new(), |(d, c)| d.name(c).to_string())
    };
    let at = |key: i64| usize::try_from(key).ok();
    let label = |key: i64| -> String {
        match query.dimension {
            Dimension::Overall => at(key)
                .and_then(|p| periods.get(p))
                .map_or(String::new(), |&(s, e)| {
                    format!("{}/{}", to_date(s), to_date(e))
                }),
            Dimension::Trend(unit) => at(key)
                .and_then(|p| periods.get(p))
                .map_or(String::new(), |&(_, e)| unit.label(unit.index(e))),
            Dimension::Store => name(&purchases.stores, key),
            Dimension::Employee => name(&purchases.employees, key),
            Dimension::Category => name(&purchases.categories, key),
            Dimension::Cohort(unit) => unit.label(key as i32),
            Dimension::Segment => at(key)
                .and_then(|i| Behaviour::ALL.get(i))
                .map_or("", |b| b.as_str())
                .to_string(),
            Dimension::Value => at(key)
                .and_then(|i| ValueBand::ALL.get(i))
                .map_or("", |b| b.as_str())
                .to_string(),
            Dimension::FirstStore => name(&purchases.stores, key),
            Dimension::Tenure => at(key)
                .and_then(|i| TENURE_BANDS.get(i))
                .map_or("", |b| b)
                .to_string(),
        }
    };
    let whole = (query.period.start(as_of), as_of);
    let mut rows: Vec<RateRow> = sums
        .into_iter()
        .map(|(key, customers, defected, revenue_lost)| {
            let period = match query.dimension {
                Dimension::Overall | Dimension::Trend(_) => {
                    at(key).and_then(|p| periods.get(p).copied())
                }
                _ => None,
            };
            rate_row(
                label(key),
                period.unwrap_or(whole),
                customers,
                defected,
                revenue_lost,
                query.min_customers,
            )
        })
        .collect();
    sort_rows(&mut rows, query.dimension);
    let mut table = RateTable {
        dimension: query.dimension.column(),
        kind: query.dimension,
        new_days: config.history.new_days,
        period: query.period,
        period_months: query.period.months(),
        min_customers: query.min_customers,
        data_start: data_start.map(to_date),
        value_bands,
        rows,
        warnings: Vec::new(),
    };
    table.warnings.extend(early_rows(&table));
    Ok(table)
}

/// Trend rows whose period starts before the rules can judge anyone: every customer is
/// new then, so counts as active at the start, and the rate looks higher than it is.
fn early_rows(t: &RateTable) -> Option<String> {
    let Dimension::Trend(_) = t.kind else {
        return None;
    };
    let data_start = t.data_start?;
    let new_days = i64::from(t.new_days);
    let early: Vec<&str> = t
        .rows
        .iter()
        .filter(|r| (r.period_start - data_start).num_days() < new_days)
        .map(|r| r.group.as_str())
        .collect();
    let (first, last) = (early.first()?, early.last()?);
    let rows = if first == last {
        first.to_string()
    } else {
        format!("{first} to {last}")
    };
    Some(format!(
        "{rows}: the period starts less than {} days after the data begins ({data_start}), \
         so every customer counts as active at its start (too new to judge)",
        t.new_days
    ))
}

/// Customers active at the start, defected at the end and the revenue lost, by group:
/// (group key, customers, defected, revenue lost). One input row per customer and period.
fn sum_by_group(
    groups: Vec<i64>,
    active_at_start: Vec<bool>,
    defected_at_end: Vec<bool>,
    revenue_lost: Vec<f64>,
) -> PolarsResult<Vec<(i64, u64, u64, f64)>> {
    let sums = DataFrame::new_infer_height(vec![
        Column::new(col::GROUP.into(), groups),
        Column::new(col::ACTIVE_AT_START.into(), active_at_start),
        Column::new(col::DEFECTED_AT_END.into(), defected_at_end),
        Column::new(col::REVENUE_LOST.into(), revenue_lost),
    ])?
    .lazy()
    .filter(col(col::ACTIVE_AT_START))
    .group_by([col(col::GROUP)])
    .agg([
        len().cast(DataType::UInt64).alias(col::CUSTOMERS),
        col(col::DEFECTED_AT_END)
            .cast(DataType::UInt64)
            .sum()
            .alias(col::DEFECTED),
        col(col::REVENUE_LOST).sum().alias(col::REVENUE_LOST),
    ])
    .collect()?;
    let group = sums.column(col::GROUP)?.i64()?;
    let n = sums.column(col::CUSTOMERS)?.u64()?;
    let k = sums.column(col::DEFECTED)?.u64()?;
    let revenue = sums.column(col::REVENUE_LOST)?.f64()?;
    Ok((0..sums.height())
        .map(|i| {
            (
                group.get(i).unwrap_or(-1),
                n.get(i).unwrap_or(0),
                k.get(i).unwrap_or(0),
                revenue.get(i).unwrap_or(0.0),
            )
        })
        .collect())
}

fn rate_row(
    group: String,
    (start, end): (Day, Day),
    customers: u64,
    defected: u64,
    revenue_lost: f64,
    min_customers: u64,
) -> RateRow {
    let (rate_low, rate_high) = wilson(defected, customers, Z_95);
    RateRow {
        group,
        period_start: to_date(start),
        period_end: to_date(end),
        customers,
        defected,
        defection_rate: if customers == 0 {
            0.0
        } else {
            defected as f64 / customers as f64
        },
        rate_low,
        rate_high,
        // `+ 0.0`: no -0.0 from an empty sum
        revenue_lost: revenue_lost + 0.0,
        small: customers < min_customers,
    }
}

/// Time in order; other groups highest rate first, then more customers, then name.
fn sort_rows(rows: &mut [RateRow], dimension: Dimension) {
    if dimension.chronological() {
        rows.sort_by(|a, b| a.period_end.cmp(&b.period_end).then(a.group.cmp(&b.group)));
    } else {
        rows.sort_by(|a, b| {
            b.defection_rate
                .total_cmp(&a.defection_rate)
                .then(b.customers.cmp(&a.customers))
                .then(a.group.cmp(&b.group))
        });
    }
}

/// The (start, end) days of the periods to measure.
fn periods(query: &RateQuery, as_of: Day, data_start: Option<Day>) -> Vec<(Day, Day)> {
    let Dimension::Trend(unit) = query.dimension else {
        return vec![(query.period.start(as_of), as_of)];
    };
    let Some(first) = data_start else {
        return Vec::new();
    };
    (unit.index(first)..=unit.index(as_of))
        .map(|i| unit.end(i))
        .filter(|&e| e <= as_of)
        .map(|e| (query.period.start(e), e))
        .filter(|&(s, _)| s >= first)
        .collect()
}

/// The first day in the data, up to `as_of`.
pub fn first_day(purchases: &Purchases, as_of: Day) -> Option<Day> {
    purchases
        .days()
        .iter()
        .copied()
        .filter(|&d| d <= as_of)
        .min()
}

/// One customer in one period: counted when a customer at its start.
struct Entry {
    period: usize,
    active: bool,
    defected: bool,
    revenue_lost: f64,
    revenue_at_start: f64,
    behaviour: Option<Behaviour>,
}

struct CustomerRates {
    first_visit: Day,
    main_store: Option<u32>,
    first_store: Option<u32>,
    main_employee: Option<u32>,
    main_category: Option<u32>,
    entries: Vec<Entry>,
}

/// What the rules said about a customer at one date.
#[derive(Clone, Copy, Debug)]
struct Look {
    status: Status,
    revenue_12m: f64,
    /// Their segment then (computed when asked for).
    behaviour: Option<Behaviour>,
}

/// One customer judged at a fixed list of dates, each at most once.
struct Looks<'a, 'h> {
    history: &'a History<'h>,
    dates: &'a [Day],
    config: &'a RuleConfig,
    segments: bool,
    seen: Vec<Option<Option<Look>>>,
}

impl<'a, 'h> Looks<'a, 'h> {
    fn new(
        history: &'a History<'h>,
        dates: &'a [Day],
        config: &'a RuleConfig,
        segments: bool,
    ) -> Self {
        Looks {
            history,
            dates,
            config,
            segments,
            seen: vec![None; dates.len()],
        }
    }

    /// The customer as of `dates[i]`; None before their first visit.
    fn at(&mut self, i: usize) -> Option<Look> {
        if let Some(look) = self.seen[i] {
            return look;
        }
        let look = look_at(self.history, self.dates[i], self.config, self.segments);
        self.seen[i] = Some(look);
        look
    }
}

/// The rules that can make a customer defected, and only those: every figure here asks
/// one question, defected or not, and the rules that can only say "at risk" (by default
/// `category_stop`, `spend_drop`, `slowing`) are most of the cost of judging.
///
/// Exact, because a status is the most severe among the rules that fire: a customer is
/// defected when some enabled rule with status `defected` fires. A rule with another
/// status matters only when it decides whether such a rule runs at all: in
/// [`rules::judge`], `partial_defection` runs only when `gone` did not fire, and
/// `slowing` only when neither did. Those are kept when what they gate can say
/// defected. (`defection_only_rules_judge_defection_alike` checks this on the
/// example data.)
pub fn defection_only(config: &RuleConfig) -> RuleConfig {
    let mut c = config.clone();
    let r = &mut c.rules;
    let defects = |enabled: bool, status: Status| enabled && status == Status::Defected;
    let slowing = defects(r.slowing.enabled, r.slowing.status);
    let partial = defects(r.partial_defection.enabled, r.partial_defection.status);
    let gone = defects(r.gone.enabled, r.gone.status);
    r.slowing.enabled = slowing;
    r.spend_drop.enabled = defects(r.spend_drop.enabled, r.spend_drop.status);
    r.category_stop.enabled = defects(r.category_stop.enabled, r.category_stop.status);
    r.partial_defection.enabled = r.partial_defection.enabled && (partial || slowing);
    r.gone.enabled = r.gone.enabled && (gone || partial || slowing);
    c
}

/// Judges a customer as of `day` on their history up to it (with [`defection_only`]
/// rules, only "defected or not" is meaningful).
fn look_at(h: &History, day: Day, config: &RuleConfig, segment: bool) -> Option<Look> {
    let first = h.first_day().filter(|&f| f <= day)?;
    if day - first < config.history.new_days as Day {
        // New customers are active, whatever else: the rules' first test, taken here
        // without judging (the cohort matrix asks about many young customers). Their
        // yearly revenue as in `rules::Figures::revenue_12m`.
        return Some(Look {
            status: Status::Active,
            revenue_12m: h.revenue_between(day - 364, day + 1),
            behaviour: segment.then_some(Behaviour::New),
        });
    }
    let cut = h.until(day);
    let j = rules::judge(&cut, day, config);
    Some(Look {
        status: j.status,
        revenue_12m: j.figures.revenue_12m,
        behaviour: segment.then(|| behaviour(&cut, &j.figures, day, &config.history)),
    })
}

/// One cell of the cohort retention matrix.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CohortCell {
    /// The month (`2025-03`) or quarter (`2025-Q1`) of the first visit.
    pub cohort: String,
    /// Months (quarters) since the cohort's: 0 is the cohort's own month.
    pub since: u32,
    /// The day the cohort is judged on: the last day of that month (quarter).
    pub date: NaiveDate,
    /// Customers of the cohort.
    pub customers: u64,
    /// Of those, not judged defected on `date` nor at any earlier month (quarter) end.
    pub retained: u64,
    pub share_retained: f64,
    /// Judged defected at an earlier month (quarter) end, and not defected on `date`.
    pub returned: u64,
}

/// Cohorts by first visit × months (quarters) since: the share retained (never judged
/// defected so far), and the customers who came back after being judged defected.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CohortMatrix {
    pub unit: CohortUnit,
    /// Cells by cohort, then step; a step whose last day is after the as-of date is left
    /// out.
    pub cells: Vec<CohortCell>,
}

/// The cohort retention matrix as of `as_of`.
pub fn cohort_matrix(
    purchases: &Purchases,
    as_of: Day,
    dedupe: bool,
    config: &RuleConfig,
    unit: CohortUnit,
) -> Result<CohortMatrix> {
    let config = &defection_only(config);
    // The last day of every month (quarter) from the data's first to the as-of date.
    let base = first_day(purchases, as_of).map_or(0, |d| unit.index(d));
    let ends: Vec<Day> = (base..=unit.index(as_of))
        .map(|i| unit.end(i))
        .take_while(|&e| e <= as_of)
        .collect();
    let (per_customer, _) = history::group(purchases, as_of, dedupe, |h| {
        let Some(first) = h.first_day() else {
            return (0, Vec::new());
        };
        let cohort = unit.index(first);
        let from = usize::try_from(cohort - base).unwrap_or(0).min(ends.len());
        // (retained, returned) at each step.
        let mut lost = false;
        let steps: Vec<(bool, bool)> = ends[from..]
            .iter()
            .map(|&e| {
                let defected =
                    look_at(h, e, config, false).is_none_or(|l| l.status == Status::Defected);
                let step = (!lost && !defected, lost && !defected);
                lost |= defected;
                step
            })
            .collect();
        (cohort, steps)
    });
    let mut columns = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (cohort, steps) in &per_customer {
        for (k, &(retained, returned)) in steps.iter().enumerate() {
            columns.0.push(*cohort);
            columns.1.push(k as u32);
            columns.2.push(retained);
            columns.3.push(returned);
        }
    }
    let sums = count_by_cohort(columns).context("counting customers by cohort")?;
    let cells = sums
        .into_iter()
        .map(|(c, k, customers, retained, returned)| CohortCell {
            cohort: unit.label(c),
            since: k,
            date: to_date(unit.end(c + k as i32)),
            customers,
            retained,
            share_retained: if customers == 0 {
                0.0
            } else {
                retained as f64 / customers as f64
            },
            returned,
        })
        .collect();
    Ok(CohortMatrix { unit, cells })
}

/// One input row per customer and step: cohort, step, retained, returned.
type CohortColumns = (Vec<i32>, Vec<u32>, Vec<bool>, Vec<bool>);

/// Customers, retained and returned of one (cohort, step).
type CohortSum = (i32, u32, u64, u64, u64);

/// Sums [`CohortColumns`] by (cohort, step), in that order.
fn count_by_cohort(
    (cohorts, since, retained, returned): CohortColumns,
) -> PolarsResult<Vec<CohortSum>> {
    let sum = |name: &str| col(name).cast(DataType::UInt64).sum().alias(name);
    let sums = DataFrame::new_infer_height(vec![
        Column::new(col::COHORT.into(), cohorts),
        Column::new(col::SINCE.into(), since),
        Column::new(col::RETAINED.into(), retained),
        Column::new(col::RETURNED.into(), returned),
    ])?
    .lazy()
    .group_by([col(col::COHORT), col(col::SINCE)])
    .agg([
        len().cast(DataType::UInt64).alias(col::CUSTOMERS),
        sum(col::RETAINED),
        sum(col::RETURNED),
    ])
    .sort([col::COHORT, col::SINCE], SortMultipleOptions::default())
    .collect()?;
    let cohort = sums.column(col::COHORT)?.i32()?;
    let since = sums.column(col::SINCE)?.u32()?;
    let n = sums.column(col::CUSTOMERS)?.u64()?;
    let retained = sums.column(col::RETAINED)?.u64()?;
    let returned = sums.column(col::RETURNED)?.u64()?;
    Ok((0..sums.height())
        .map(|i| {
            (
                cohort.get(i).unwrap_or(0),
                since.get(i).unwrap_or(0),
                n.get(i).unwrap_or(0),
                retained.get(i).unwrap_or(0),
                returned.get(i).unwrap_or(0),
            )
        })
        .collect())
}

/// Net revenue of customers in one year of their tenure.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TenureRow {
    /// 1 for the year from the first visit, 2 for the next, …
    pub tenure_year: u32,
    /// Customers whose year `tenure_year` ended by the as-of date.
    pub customers: u64,
    /// Their net revenue in that year (refunds subtracted).
    pub revenue: f64,
    pub revenue_per_customer: f64,
    /// Of those customers, the ones with a visit in that year.
    pub visiting: u64,
    pub revenue_per_visiting: f64,
}

/// Revenue per customer by year of tenure.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TenureCurve {
    pub rows: Vec<TenureRow>,
}

/// The tenure curve as of `as_of`.
pub fn tenure_curve(purchases: &Purchases, as_of: Day, dedupe: bool) -> Result<TenureCurve> {
    let (per_customer, _) = history::group(purchases, as_of, dedupe, |h| {
        let mut years = Vec::new();
        let Some(first) = h.first_day() else {
            return years;
        };
        let first = to_date(first);
        for year in 1u32.. {
            let at = |n: u32| first.checked_add_months(Months::new(12 * n)).map(to_day);
            let (Some(from), Some(to)) = (at(year - 1), at(year)) else {
                break;
            };
            // Year `year` is days from..to; complete when its last day is on or before as_of.
            if to - 1 > as_of {
                break;
            }
            years.push((
                year,
                h.revenue_between(from, to),
                h.visits_between(from, to) > 0,
            ));
        }
        years
    });
    let (mut year, mut revenue, mut visited) = (Vec::new(), Vec::new(), Vec::new());
    for &(y, r, v) in per_customer.iter().flatten() {
        year.push(y);
        revenue.push(r);
        visited.push(v);
    }
    let sums =
        sum_by_tenure_year(year, revenue, visited).context("summing revenue by tenure year")?;
    let per = |r: f64, n: u64| if n == 0 { 0.0 } else { r / n as f64 + 0.0 };
    let rows = sums
        .into_iter()
        .map(|(tenure_year, customers, revenue, visiting)| {
            let revenue = revenue + 0.0;
            TenureRow {
                tenure_year,
                customers,
                revenue,
                revenue_per_customer: per(revenue, customers),
                visiting,
                revenue_per_visiting: per(revenue, visiting),
            }
        })
        .collect();
    Ok(TenureCurve { rows })
}

/// Customers, revenue and customers who visited, by tenure year, in order:
/// (year, customers, revenue, visiting). One input row per customer and year.
fn sum_by_tenure_year(
    year: Vec<u32>,
    revenue: Vec<f64>,
    visited: Vec<bool>,
) -> PolarsResult<Vec<(u32, u64, f64, u64)>> {
    let sums = DataFrame::new_infer_height(vec![
        Column::new(col::TENURE_YEAR.into(), year),
        Column::new(col::REVENUE.into(), revenue),
        Column::new(col::VISITED.into(), visited),
    ])?
    .lazy()
    .group_by([col(col::TENURE_YEAR)])
    .agg([
        len().cast(DataType::UInt64).alias(col::CUSTOMERS),
        col(col::REVENUE).sum().alias(col::REVENUE),
        col(col::VISITED)
            .cast(DataType::UInt64)
            .sum()
            .alias(col::VISITING),
    ])
    .sort([col::TENURE_YEAR], SortMultipleOptions::default())
    .collect()?;
    let year = sums.column(col::TENURE_YEAR)?.u32()?;
    let n = sums.column(col::CUSTOMERS)?.u64()?;
    let revenue = sums.column(col::REVENUE)?.f64()?;
    let visiting = sums.column(col::VISITING)?.u64()?;
    Ok((0..sums.height())
        .map(|i| {
            (
                year.get(i).unwrap_or(0),
                n.get(i).unwrap_or(0),
                revenue.get(i).unwrap_or(0.0),
                visiting.get(i).unwrap_or(0),
            )
        })
        .collect())
}

/// Months since year 0 of the month `day` is in.
fn month_index(day: Day) -> i32 {
    let d = to_date(day);
    d.year() * 12 + d.month0() as i32
}

/// The last day of month `index` (months since year 0).
fn month_end(index: i32) -> Day {
    let next = index + 1;
    NaiveDate::from_ymd_opt(next.div_euclid(12), next.rem_euclid(12) as u32 + 1, 1)
        .map_or(0, |d| to_day(d) - 1)
}

/// The day `n` months before `end`: a month's last day goes to the last day of the
/// month `n` months earlier (30 April → 31 March), other days to the same day of the
/// month, or the month's last day when it has no such day (31 May → 30 April).
fn months_before(end: Day, n: u32) -> Day {
    let month = month_index(end);
    if month_end(month) == end {
        month_end(month - n as i32)
    } else {
        to_date(end)
            .checked_sub_months(Months::new(n))
            .map_or(end - 30 * n as Day, to_day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::day;

    #[test]
    fn periods_end_on_month_ends() {
        assert_eq!(months_before(day(2026, 4, 30), 1), day(2026, 3, 31));
        assert_eq!(months_before(day(2026, 3, 31), 1), day(2026, 2, 28));
        assert_eq!(months_before(day(2026, 2, 28), 1), day(2026, 1, 31));
        assert_eq!(months_before(day(2026, 5, 31), 3), day(2026, 2, 28));
        assert_eq!(months_before(day(2026, 5, 15), 1), day(2026, 4, 15));
        assert_eq!(months_before(day(2026, 1, 15), 1), day(2025, 12, 15));
        assert_eq!(Period::Year.start(day(2026, 10, 31)), day(2025, 10, 31));
        assert_eq!(Period::Quarter.start(day(2026, 12, 31)), day(2026, 9, 30));
        assert_eq!(month_end(month_index(day(2028, 2, 3))), day(2028, 2, 29));
    }

    #[test]
    fn cohort_units_label_and_end() {
        let m = CohortUnit::Month;
        let q = CohortUnit::Quarter;
        let d = day(2026, 5, 17);
        assert_eq!(m.label(m.index(d)), "2026-05");
        assert_eq!(q.label(q.index(d)), "2026-Q2");
        assert_eq!(m.end(m.index(d)), day(2026, 5, 31));
        assert_eq!(q.end(q.index(d)), day(2026, 6, 30));
        assert_eq!(q.end(q.index(d) + 2), day(2026, 12, 31));
        assert_eq!(m.label(m.index(day(2025, 12, 1)) + 1), "2026-01");
    }

    #[test]
    fn the_trend_needs_a_full_period_of_data() {
        let query = RateQuery {
            dimension: Dimension::Trend(CohortUnit::Month),
            period: Period::Year,
            min_customers: MIN_CUSTOMERS,
        };
        let p = periods(&query, day(2026, 10, 31), Some(day(2024, 11, 1)));
        assert_eq!(p.len(), 12);
        assert_eq!(p[0], (day(2024, 11, 30), day(2025, 11, 30)));
        assert_eq!(p[11], (day(2025, 10, 31), day(2026, 10, 31)));
        // a month in progress at the as-of date is left out
        let p = periods(&query, day(2026, 10, 15), Some(day(2024, 11, 1)));
        assert_eq!(p.last(), Some(&(day(2025, 9, 30), day(2026, 9, 30))));
        let quarterly = RateQuery {
            dimension: Dimension::Trend(CohortUnit::Quarter),
            period: Period::Quarter,
            ..query
        };
        let p = periods(&quarterly, day(2026, 10, 31), Some(day(2024, 11, 1)));
        assert_eq!(p[0], (day(2024, 12, 31), day(2025, 3, 31)));
        assert_eq!(p.last(), Some(&(day(2026, 6, 30), day(2026, 9, 30))));
    }

    #[test]
    fn defection_only_rules_judge_defection_alike() {
        use crate::load::{self, ReadOptions, Role};
        use crate::normalize::{self, ValueOptions};
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/purchases.csv");
        let table = load::open_table(&path, &ReadOptions::default(), &Role::PURCHASE).unwrap();
        let purchases = normalize::normalize_purchases(table, &ValueOptions::default()).unwrap();
        let as_of = purchases.last_day.unwrap();
        let mut configs = vec![RuleConfig::default()];
        // slowing can defect while partial_defection only warns: partial still gates it
        let mut c = RuleConfig::default();
        c.rules.slowing.status = Status::Defected;
        c.rules.partial_defection.status = Status::AtRisk;
        configs.push(c);
        let mut c = RuleConfig::default();
        c.rules.gone.status = Status::AtRisk;
        c.rules.category_stop.status = Status::Defected;
        configs.push(c);
        for config in &configs {
            let reduced = defection_only(config);
            let (counts, _) = history::group(&purchases, as_of, false, |h| {
                let (mut defected, mut differ) = (0, 0);
                for k in 0..24 {
                    let day = as_of - 30 * k;
                    if h.first_day().is_none_or(|f| f > day) {
                        continue;
                    }
                    let cut = h.until(day);
                    let full = rules::judge(&cut, day, config).status == Status::Defected;
                    let fast = rules::judge(&cut, day, &reduced).status == Status::Defected;
                    defected += usize::from(full);
                    differ += usize::from(full != fast);
                }
                (defected, differ)
            });
            let defected: usize = counts.iter().map(|c| c.0).sum();
            let differ: usize = counts.iter().map(|c| c.1).sum();
            assert!(defected > 100, "{defected} defected judgements");
            assert_eq!(differ, 0, "{config:?}");
        }
        let fast = defection_only(&RuleConfig::default());
        assert!(!fast.rules.category_stop.enabled && !fast.rules.spend_drop.enabled);
        assert!(!fast.rules.slowing.enabled && fast.rules.gone.enabled);
    }

    #[test]
    fn rows_sort_by_rate_then_customers_then_name() {
        let row = |g: &str, n: u64, k: u64| rate_row(g.into(), (0, 365), n, k, 0.0, MIN_CUSTOMERS);
        let mut rows = vec![
            row("b", 10, 1),
            row("a", 10, 1),
            row("c", 40, 4),
            row("d", 4, 2),
        ];
        sort_rows(&mut rows, Dimension::Store);
        let order: Vec<&str> = rows.iter().map(|r| r.group.as_str()).collect();
        assert_eq!(order, ["d", "c", "a", "b"]);
        assert!(rows[0].small && !rows[1].small);
        assert_eq!(rows[0].defection_rate, 0.5);
        let (lo, hi) = wilson(2, 4, Z_95);
        assert_eq!((rows[0].rate_low, rows[0].rate_high), (lo, hi));
    }
}
