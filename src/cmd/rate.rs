//! `churn rate`: the defection rate over time and by store, employee, category, cohort
//! and segment; the cohort retention matrix (`--cohorts`) and the tenure curve
//! (`--tenure`). Definitions in [`crate::metrics::rate`].

use anyhow::{Result, bail};
use clap::{Args, ValueEnum};

use crate::analysis::{Analysis, Needs};
use crate::cli::{self, InputArgs, OutputArgs, ValueArgs};
use crate::load::Role;
use crate::load::columns::list_headers;
use crate::metrics::rate::{CohortUnit, Dimension, MIN_CUSTOMERS, Period, RateQuery};
use crate::report::rate::{RateReport, RateView};
use crate::report::{self, Format};

#[derive(Debug, Args)]
#[command(after_help = "\
The defection rate of a period: of the customers active (or at risk) at its start, the share \
defected at its end, both judged by the rules as of that date, as in `churn scan`. \
Without --by: one row, the summary's period (12 months up to the as-of date when the data \
allow it).")]
pub struct RateArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// How the JSON summary's value figures are counted
    #[command(flatten)]
    pub value: ValueArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Break the rate down: by month or quarter (the trend, one row per month end), by
    /// main store, employee or category, by cohort (first-visit month), by segment
    /// (new, one_visit, seasonal, infrequent, regular), by value (yearly revenue band),
    /// by first store (of their first visit) or by tenure (years as a customer)
    #[arg(long, value_enum, value_name = "GROUP")]
    pub by: Option<By>,
    /// The period a rate is measured over [default: the summary's: year, or quarter or
    /// month when the data are too short for a year]
    #[arg(long, value_enum, value_name = "LENGTH")]
    pub period: Option<Period>,
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
    fn view(&self, default_period: Period) -> View {
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
            period: self.period.unwrap_or(default_period),
            min_customers: self.min_customers,
        })
    }
}

pub fn run(args: &RateArgs, quiet: bool) -> Result<()> {
    let output = args
        .output
        .resolve("rate", Format::Table, &report::TABULAR)?;
    let config = cli::resolve(&args.input, None, Some(&args.value), quiet)?;
    let analysis = Analysis::build(
        config,
        &Needs {
            // Only the JSON shows the summary's value figures.
            value: output.format == Format::Json,
            ..Needs::default()
        },
    )?;
    let view = args.view(analysis.period.length.unwrap_or(Period::Year));
    if let View::Rates(query) = &view {
        require_column(&analysis, args.by, query.dimension)?;
    }
    let result = match view {
        View::Rates(query) => RateView::Rates(analysis.rates(&query)?),
        View::Cohorts(unit) => RateView::Cohorts(analysis.cohorts(unit)?),
        View::Tenure => RateView::Tenure(analysis.tenure()?),
    };
    let report = RateReport::new(analysis.summary.clone(), result);
    output.render(&report, 0)
}

/// `--by store` (employee, category, first-store) needs that column in the input.
fn require_column(analysis: &Analysis, by: Option<By>, dimension: Dimension) -> Result<()> {
    let purchases = &analysis.purchases;
    let (present, role) = match dimension {
        Dimension::Store | Dimension::FirstStore => (purchases.stores.is_some(), Role::Store),
        Dimension::Employee => (purchases.employees.is_some(), Role::Employee),
        Dimension::Category => (purchases.categories.is_some(), Role::Category),
        _ => return Ok(()),
    };
    if !present {
        let by = by.and_then(|b| b.to_possible_value()).map_or_else(
            || dimension.column().to_string(),
            |v| v.get_name().to_string(),
        );
        let headers = purchases.files.first().map_or(&[][..], |f| &f.headers);
        bail!(
            "{}: --by {by} needs a {} column, and none was found; columns found: {}. \
             Map it with {} NAME",
            purchases.source,
            role.name(),
            list_headers(headers),
            role.flag(false),
        );
    }
    Ok(())
}
