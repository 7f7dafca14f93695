//! `churn report`: the monthly report for managers and cron jobs. One file (HTML with
//! charts, Markdown or JSON) with every figure of scan, rate, reasons and contacts.

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use chrono::{Datelike, Months};
use clap::{Args, ValueEnum};

use crate::cli::{FeedbackArgs, InputArgs};
use crate::cmd::scan::parse_rate;
use crate::metrics::clv::{self, Settings};
use crate::metrics::rate::{self, CohortUnit, Dimension, MIN_CUSTOMERS, Period, RateQuery};
use crate::metrics::reasons::{self, CustomerInfo, ReasonNames};
use crate::metrics::summary::{self, period_start};
use crate::normalize::date::{to_date, to_day};
use crate::normalize::{Day, Dictionary};
use crate::report::monthly::{Assumptions, Contacts, MonthlyReport, Previous};
use crate::rules::{self, Status};

#[derive(Debug, Args)]
#[command(after_help = "\
The format comes from -o's extension (.html, .md, .json) or --format; without -o the report \
goes to standard output as Markdown. The same input and flags give byte-identical output. \
Exit codes: 0 success, 1 error, 2 usage, 3 alert (--fail-above).")]
pub struct ReportArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub feedback: FeedbackArgs,
    /// Output format [default: from the -o file's extension, or markdown]
    #[arg(long, value_enum)]
    pub format: Option<ReportFormat>,
    /// Write to this file (whole or not at all) instead of standard output
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Customers in the contacts list
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub contacts: usize,
    /// Exit with code 3 (after writing the report) when the annual defection rate is
    /// above this fraction, e.g. 0.25: an alert for cron jobs
    #[arg(long, value_name = "RATE", value_parser = parse_rate)]
    pub fail_above: Option<f64>,
    /// Add the time the report was generated (the output then differs run to run)
    #[arg(long)]
    pub stamp: bool,
    /// No messages on standard error except errors (the --fail-above alert is silent;
    /// the exit code still says it)
    #[arg(short, long)]
    pub quiet: bool,
}

/// The formats of the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// One self-contained page with charts
    Html,
    /// For wikis and e-mail
    Markdown,
    /// Every section as data, with a schema_version
    Json,
    /// An Excel workbook: one sheet per table
    Xlsx,
}

impl ReportArgs {
    fn format(&self) -> Result<ReportFormat> {
        if let Some(f) = self.format {
            return Ok(f);
        }
        let Some(path) = self
            .output
            .as_deref()
            .filter(|p| *p != std::path::Path::new("-"))
        else {
            return Ok(ReportFormat::Markdown);
        };
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("html" | "htm") => Ok(ReportFormat::Html),
            Some("md" | "markdown") => Ok(ReportFormat::Markdown),
            Some("json") => Ok(ReportFormat::Json),
            Some("xlsx") => Ok(ReportFormat::Xlsx),
            _ => bail!(
                "{}: cannot tell the report format from the file name; name it .html, .md or \
                 .json, or pass --format html|markdown|json",
                path.display()
            ),
        }
    }
}

/// The same date a month earlier; the last day of the month before when `day` is the last
/// of its month (2026-06-30 → 2026-05-31), as the monthly trend's month ends.
fn month_before(day: Day) -> Day {
    let date = to_date(day);
    if to_date(day + 1).month() != date.month() {
        return day - date.day() as Day;
    }
    date.checked_sub_months(Months::new(1))
        .map_or(day - 30, to_day)
}

/// Defected customers are listed for a call while their change began at most this many
/// days ago (as `churn contacts`' default).
const CONTACT_RECENT_DAYS: u32 = 180;

pub fn run(args: &ReportArgs) -> Result<crate::Outcome> {
    let format = args.format()?;
    if format == ReportFormat::Xlsx
        && args
            .output
            .as_deref()
            .is_none_or(|p| p == std::path::Path::new("-"))
    {
        bail!("--format xlsx writes a workbook: name the file with -o FILE.xlsx");
    }
    let super::Loaded {
        purchases,
        as_of,
        config,
        ..
    } = super::load_purchases(&args.input)?;
    let feedback = match &args.feedback.feedback {
        Some(path) => Some(super::reasons::load_feedback(
            path,
            &args.feedback,
            &config,
            args.input.skip_bad_rows,
        )?),
        None => None,
    };
    let dedupe = args.input.dedupe;
    let start = period_start(as_of);
    let rule_config = config.rule_config();
    // The value figures: ten years, discounted 10% a year, in revenue (as `churn scan`).
    let value_settings = Settings {
        horizon_days: 10.0 * clv::DAYS_PER_YEAR,
        annual_discount: 0.10,
        margin: 1.0,
    };
    // The value at stake of a contact: a year of their custom, undiscounted (as
    // `churn contacts`).
    let stake_settings = Settings {
        horizon_days: clv::DAYS_PER_YEAR,
        annual_discount: 0.0,
        margin: 1.0,
    };
    let (both, grouped) =
        rules::apply_rules_with(&purchases, as_of, start, dedupe, &rule_config, |h, j| {
            (
                clv::customer_input(h, as_of, j, value_settings.horizon_days),
                clv::customer_input(h, as_of, j, stake_settings.horizon_days),
            )
        });
    let (verdicts, extras): (Vec<_>, Vec<_>) = both.into_iter().unzip();
    let inputs: Vec<_> = extras.iter().filter_map(|(a, _)| a.clone()).collect();
    let stake_inputs: Vec<_> = extras.iter().filter_map(|(_, b)| b.clone()).collect();
    let fitted = clv::fit(&inputs);
    let value = summary::ValueSummary::new(fitted.as_ref(), &inputs, &value_settings);
    let summary = summary::summarize(
        &purchases.source,
        summary::date(as_of),
        summary::date(start),
        &purchases.rows,
        &grouped,
        &verdicts,
        value,
    );

    let rates = |dimension, day| {
        rate::defection_rates(
            &purchases,
            day,
            dedupe,
            &rule_config,
            &RateQuery {
                dimension,
                period: Period::Year,
                min_customers: MIN_CUSTOMERS,
            },
        )
        .with_context(|| format!("{}: cannot compute the defection rates", purchases.source))
    };
    // The previous period: the same computation as of one month earlier.
    let previous_as_of = month_before(as_of);
    let previous = rates(Dimension::Overall, previous_as_of)?
        .rows
        .into_iter()
        .find(|r| r.customers > 0)
        .map(|r| Previous {
            period_start: r.period_start,
            period_end: r.period_end,
            customers: r.customers,
            defected: r.defected,
            rate: r.defection_rate,
        });
    let trend = rates(Dimension::Trend(CohortUnit::Month), as_of)?;
    let by_store = match purchases.stores {
        Some(_) => Some(rates(Dimension::Store, as_of)?),
        None => None,
    };
    let by_employee = match purchases.employees {
        Some(_) => Some(rates(Dimension::Employee, as_of)?),
        None => None,
    };
    let cohorts = rate::cohort_matrix(&purchases, as_of, dedupe, &rule_config, CohortUnit::Month)
        .with_context(|| {
        format!("{}: cannot compute the cohort retention", purchases.source)
    })?;

    let name = |dict: &Option<Dictionary>, code: Option<u32>| {
        dict.as_ref().zip(code).map(|(d, c)| d.name(c).to_string())
    };
    let since_of = |j: &rules::Judgement| {
        j.findings
            .iter()
            .find(|f| Some(f.rule) == j.rule)
            .and_then(|f| f.since)
    };

    // Reasons for leaving, as `churn reasons` ranks them (value over ten years).
    let reasons = feedback.as_ref().map(|feedback| {
        let mut customers = HashMap::with_capacity(verdicts.len());
        for (verdict, (input, _)) in verdicts.iter().zip(&extras) {
            let j = &verdict.judgement;
            let value = match (input, &fitted) {
                (Some(c), Ok(f)) if j.status != Status::Active => f
                    .value(c, &value_settings)
                    .map_or(0.0, |v| v.value_if_retained),
                _ => 0.0,
            };
            customers.insert(
                purchases.customers.name(verdict.customer).to_string(),
                CustomerInfo {
                    status: j.status,
                    since: since_of(j),
                    value,
                    store: name(&purchases.stores, verdict.main_store),
                    employee: name(&purchases.employees, verdict.main_employee),
                },
            );
        }
        reasons::rank_reasons(
            feedback,
            &customers,
            &ReasonNames::new(&config.reasons),
            as_of,
            None,
            3,
        )
    });

    // Whom to call: the selection of `churn contacts`.
    let mut heard: HashMap<String, Vec<Day>> = HashMap::new();
    if let Some(feedback) = &feedback {
        for e in &feedback.entries {
            heard.entry(e.customer.clone()).or_default().push(e.day);
        }
    }
    let stake_fit = clv::fit(&stake_inputs).ok();
    let (mut list, already_heard) = crate::cmd::contacts::select(
        &purchases,
        as_of,
        verdicts
            .iter()
            .zip(&extras)
            .map(|(v, (_, c))| (v, c.as_ref())),
        stake_fit.as_ref(),
        &heard,
        CONTACT_RECENT_DAYS,
        &stake_settings,
    );
    let total = list.len() as u64;
    list.truncate(args.contacts);

    let report = MonthlyReport::new(
        summary,
        feedback.as_ref().map(|f| f.source.clone()),
        args.stamp.then(|| {
            chrono::Utc::now()
                .format("%Y-%m-%d %H:%M:%S UTC")
                .to_string()
        }),
        previous,
        trend,
        by_store,
        by_employee,
        reasons,
        Contacts {
            recent_days: CONTACT_RECENT_DAYS,
            total,
            already_heard,
            shown: list,
        },
        cohorts,
        rule_config,
        Assumptions::new(&value_settings),
    );
    let path = args.output.as_deref();
    crate::report::write_output(path, |w| match format {
        ReportFormat::Html => crate::report::monthly::html::write(&report, w),
        ReportFormat::Markdown => crate::report::monthly::markdown(&report, w),
        ReportFormat::Json => crate::report::json::write(&report, w),
        ReportFormat::Xlsx => w.write_all(&crate::report::monthly::xlsx(&report)?),
    })?;
    let rate = report.summary.defection_rate.as_ref().map(|d| d.rate);
    Ok(if args.quiet {
        match (rate, args.fail_above) {
            (Some(r), Some(limit)) if r > limit => crate::Outcome::Alert,
            _ => crate::Outcome::Done,
        }
    } else {
        crate::cmd::scan::alert(rate, args.fail_above)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> Day {
        to_day(text.parse().unwrap())
    }

    #[test]
    fn the_previous_period_ends_a_month_earlier() {
        assert_eq!(month_before(day("2026-06-30")), day("2026-05-31"));
        assert_eq!(month_before(day("2026-03-31")), day("2026-02-28"));
        assert_eq!(month_before(day("2026-03-15")), day("2026-02-15"));
        assert_eq!(month_before(day("2026-03-30")), day("2026-02-28"));
    }
}
