//! `churn rate`: the defection rate over time and by store, employee, category, cohort
//! and segment; the cohort retention matrix (`--cohorts`) and the tenure curve
//! (`--tenure`). Definitions in [`crate::metrics::rate`].

use anyhow::{Result, bail};
use clap::{Args, ValueEnum};

use crate::cli::{InputArgs, OutputArgs};

use crate::metrics::rate::{self, CohortUnit, Dimension, MIN_CUSTOMERS, Period, RateQuery};
use crate::normalize::Purchases;
use crate::report::rate::{RateReport, RateView};
use crate::report::{self, Format};

#[derive(Debug, Args)]
#[command(after_help = "\
The defection rate of a period: of the customers active (or at risk) at its start, the share \
defected at its end, both judged by the rules as of that date, as in `churn scan`. \
Without --by: one row, the 12 months up to the as-of date.")]
pub struct RateArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Break the rate down: by month or quarter (the trend, one row per month end), by
    /// main store, employee or category, by cohort (first-visit month), by segment
    /// (new, one_visit, seasonal, infrequent, regular), by value (yearly revenue band),
    /// by first store (of their first visit) or by tenure (years as a customer)
    #[arg(long, value_enum, value_name = "GROUP")]
    pub by: Option<By>,
    /// The period a rate is measured over
    #[arg(long, value_enum, default_value_t = Period::Year, value_name = "LENGTH")]
    pub period: Period,
    /// Cohorts by first-visit month or quarter (--by cohort, --cohorts)
    #[arg(long, value_enum, default_value_t, value_name = "UNIT")]
    pub cohort_unit: CohortUnit,
    /// Groups with fewer customers active at the start are flagged as too small to judge
    #[arg(long, default_value_t = MIN_CUSTOMERS, value_name = "N")]
    pub min_customers: u64,
    /// Cohort retention matrix instead: share of each first-visit month's customers not
    /// defected, month by month since
    #[arg(long, conflicts_with_all = ["by", "period", "tenure", "min_customers"])]
    pub cohorts: bool,
    /// Tenure curve instead: net revenue per customer in their 1st, 2nd, 3rd… year
    #[arg(long, conflicts_with_all = ["by", "period", "cohort_unit", "min_customers"])]
    pub tenure: bool,
}

/// What `--by` accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum By {
    Month,
    Quarter,
    Store,
    Employee,
    Category,
    Cohort,
    Segment,
    Value,
    FirstStore,
    Tenure,
}

/// What the flags ask for, validated once.
enum View {
    Rates(RateQuery),
    Cohorts(CohortUnit),
    Tenure,
}

impl RateArgs {
    fn view(&self) -> View {
        if self.cohorts {
            return View::Cohorts(self.cohort_unit);
        }
        if self.tenure {
            return View::Tenure;
        }
        let dimension = match self.by {
            None => Dimension::Overall,
            Some(By::Month) => Dimension::Trend(CohortUnit::Month),
            Some(By::Quarter) => Dimension::Trend(CohortUnit::Quarter),
            Some(By::Store) => Dimension::Store,
            Some(By::Employee) => Dimension::Employee,
            Some(By::Category) => Dimension::Category,
            Some(By::Cohort) => Dimension::Cohort(self.cohort_unit),
            Some(By::Segment) => Dimension::Segment,
            Some(By::Value) => Dimension::Value,
            Some(By::FirstStore) => Dimension::FirstStore,
            Some(By::Tenure) => Dimension::Tenure,
        };
        View::Rates(RateQuery {
            dimension,
            period: self.period,
            min_customers: self.min_customers,
        })
    }
}

pub fn run(args: &RateArgs) -> Result<()> {
    let view = args.view();
    let super::Loaded {
        purchases,
        as_of,
        config,
        headers,
    } = super::load_purchases(&args.input)?;
    if let View::Rates(query) = &view {
        require_column(&purchases, &headers, query.dimension)?;
    }
    let rules = config.rule_config();
    let dedupe = args.input.dedupe;
    let result = match view {
        View::Rates(query) => RateView::Rates(rate::defection_rates(
            &purchases, as_of, dedupe, &rules, &query,
        )?),
        View::Cohorts(unit) => RateView::Cohorts(rate::cohort_matrix(
            &purchases, as_of, dedupe, &rules, unit,
        )?),
        View::Tenure => RateView::Tenure(rate::tenure_curve(&purchases, as_of, dedupe)?),
    };
    let report = RateReport::new(&purchases.source, as_of, result);
    let format = args.output.format();
    args.output.write(format, |w| match format {
        Format::Table => report::rate::table(&report, w),
        Format::Csv | Format::Xlsx => report::rate::csv(&report, w),
        Format::Json => report::rate::json(&report, w),
        Format::Markdown => report::rate::markdown(&report, w),
    })
}

/// `--by store` (employee, category) needs that column in the input.
fn require_column(purchases: &Purchases, headers: &[String], dimension: Dimension) -> Result<()> {
    let (present, flag) = match dimension {
        Dimension::Store | Dimension::FirstStore => (purchases.stores.is_some(), "--store-col"),
        Dimension::Employee => (purchases.employees.is_some(), "--employee-col"),
        Dimension::Category => (purchases.categories.is_some(), "--category-col"),
        _ => return Ok(()),
    };
    if !present {
        let name = dimension.column();
        bail!(
            "{}: --by {name} needs a {name} column, and none was found; columns found: {}. \
             Map it with {flag} NAME",
            purchases.source,
            headers
                .iter()
                .map(|h| format!("\"{h}\""))
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    Ok(())
}
