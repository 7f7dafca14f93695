//! `churn report`: the monthly report for managers and cron jobs. One file (HTML with
//! charts, Markdown or JSON) with every figure of scan, rate, reasons and contacts.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use crate::analysis::{Analysis, CONTACT_RECENT_DAYS, CONTACT_STAKE, HEADLINE_DAYS, Needs};
use crate::cli::{self, FeedbackArgs, InputArgs, ValueArgs, parse_rate};
use crate::metrics::rate::{CohortUnit, Dimension, MIN_CUSTOMERS, Period, RateQuery};
use crate::metrics::reasons::EXAMPLES;
use crate::report::monthly::{Assumptions, Contacts, MonthlyReport, Parts};
use crate::report::{self, CsvStyle, Format};

#[derive(Debug, Args)]
#[command(after_help = "\
The format comes from -o's extension (.html, .md, .json, .xlsx) or --format; without -o the \
report goes to standard output as Markdown. The same input and flags give byte-identical output. \
Exit codes: 0 success, 1 error, 2 usage, 3 alert (--fail-above).")]
pub struct ReportArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub feedback: FeedbackArgs,
    #[command(flatten)]
    pub value: ValueArgs,
    /// Output format: html, markdown, json or xlsx [default: from the -o file's
    /// extension, or markdown]
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write to this file (whole or not at all) instead of standard output
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Customers in the contacts list
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub contacts: usize,
    /// Exit with code 3 (after writing the report) when the defection rate is above this
    /// fraction, e.g. 0.25: an alert for cron jobs
    #[arg(long, value_name = "RATE", value_parser = parse_rate)]
    pub fail_above: Option<f64>,
    /// Add the time the report was generated (the output then differs run to run)
    #[arg(long)]
    pub stamp: bool,
}

const FORMATS: [Format; 4] = [Format::Html, Format::Markdown, Format::Json, Format::Xlsx];

pub fn run(args: &ReportArgs, quiet: bool) -> Result<crate::Outcome> {
    let output = cli::resolve_output(
        "report",
        args.format,
        args.output.clone(),
        Format::Markdown,
        &FORMATS,
        CsvStyle::default(),
    )?;
    let config = cli::resolve(&args.input, Some(&args.feedback), Some(&args.value), quiet)?;
    let needs = Needs {
        value: true,
        horizons: vec![CONTACT_STAKE.horizon_days],
        ..Needs::default()
    };
    let analysis = Analysis::build(config, &needs)?;
    let length = analysis.period.length.unwrap_or(Period::Year);
    let query = |dimension| RateQuery {
        dimension,
        period: length,
        min_customers: MIN_CUSTOMERS,
    };
    let previous = analysis.previous_month();
    let changes = analysis.changes(&previous);
    let trend = analysis.rates(&query(Dimension::Trend(CohortUnit::Month)))?;
    let by_store = match analysis.purchases.stores {
        Some(_) => Some(analysis.rates(&query(Dimension::Store))?),
        None => None,
    };
    let by_employee = match analysis.purchases.employees {
        Some(_) => Some(analysis.rates(&query(Dimension::Employee))?),
        None => None,
    };
    let cohorts = analysis.cohorts(CohortUnit::Month)?;
    // Reasons for leaving, as `churn reasons` ranks them (value over ten years).
    let reasons = analysis.reasons(HEADLINE_DAYS, None, EXAMPLES);
    let (mut list, already_heard) = analysis.contacts(CONTACT_RECENT_DAYS);
    let total = list.len() as u64;
    list.truncate(args.contacts);

    let report = MonthlyReport::new(Parts {
        summary: analysis.summary.clone(),
        previous: previous.summary,
        changes,
        feedback_source: analysis.feedback.as_ref().map(|f| f.source.clone()),
        generated_at: args.stamp.then(|| {
            chrono::Utc::now()
                .format("%Y-%m-%d %H:%M:%S UTC")
                .to_string()
        }),
        trend,
        by_store,
        by_employee,
        reasons,
        contacts: Contacts {
            recent_days: CONTACT_RECENT_DAYS,
            total,
            already_heard,
            shown: list,
        },
        cohorts,
        rules: analysis.config.rules.clone(),
        assumptions: Assumptions::new(&analysis.settings(HEADLINE_DAYS)),
    });
    match output.format {
        Format::Html => output.write(|w| report::monthly::html::write(&report, w))?,
        Format::Markdown => output.write(|w| report::monthly::markdown(&report, w))?,
        Format::Json => output.write(|w| report::json::write(&report, w))?,
        Format::Xlsx => output.write_bytes(&report::monthly::xlsx(&report)?)?,
        other => report::unsupported("report", other)?,
    }
    Ok(super::alert(&report.summary, args.fail_above, quiet))
}
