//! `churn reasons`: why defectors leave, from their feedback, ranked by the value lost.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};

use crate::cli::{FeedbackArgs, InputArgs, OutputArgs};
use crate::load::{self, ReadOptions, Role};
use crate::metrics::clv::{self, Settings};
use crate::metrics::reasons::{self, ByGroup, CustomerInfo, ReasonNames};
use crate::normalize::{self, ValueOptions, feedback::Feedback};
use crate::report::{self, Format, reasons::ReasonsReport};
use crate::rules;

#[derive(Debug, Args)]
pub struct ReasonsArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub feedback: FeedbackArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Show the reasons behind each store's or employee's defections
    #[arg(long, value_enum, value_name = "GROUP")]
    pub by: Option<By>,
    /// Example comments per reason
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub examples: usize,
    /// How far ahead the value lost is counted (184d, 26w, 6m, 10y)
    #[arg(long, default_value = "10y", value_name = "SPAN", value_parser = clv::parse_horizon)]
    pub horizon: f64,
    /// Annual discount rate of that future value
    #[arg(long, default_value_t = 0.10, value_name = "RATE", value_parser = super::clv::parse_discount)]
    pub discount: f64,
    /// Share of revenue that is profit (1 = value in revenue)
    #[arg(long, default_value_t = 1.0, value_name = "SHARE", value_parser = super::clv::parse_margin)]
    pub margin: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum By {
    Store,
    Employee,
}

/// Reads a feedback file with the same dialect detection as purchases.
pub fn load_feedback(
    path: &Path,
    args: &FeedbackArgs,
    config: &crate::config::Config,
    skip_bad_rows: bool,
) -> Result<Feedback> {
    let read = ReadOptions {
        columns: args.columns(config),
        ..ReadOptions::default()
    };
    let table = load::open_table(path, &read, &Role::FEEDBACK)?;
    normalize::feedback::normalize_feedback(
        table,
        &ValueOptions {
            skip_bad_rows,
            ..ValueOptions::default()
        },
    )
}

pub fn run(args: &ReasonsArgs) -> Result<()> {
    let path = args
        .feedback
        .feedback
        .as_ref()
        .context("churn reasons needs the customers' feedback: pass --feedback FILE")?;
    let loaded = super::load_purchases(&args.input)?;
    let (purchases, as_of, config) = (&loaded.purchases, loaded.as_of, &loaded.config);
    let feedback = load_feedback(path, &args.feedback, config, args.input.skip_bad_rows)?;
    let settings = Settings {
        horizon_days: args.horizon,
        annual_discount: args.discount,
        margin: args.margin,
    };
    let super::Valued {
        customers: both,
        fitted,
    } = super::judge_and_value(&loaded, args.input.dedupe, settings.horizon_days)?;
    let name = |dict: &Option<normalize::Dictionary>, code: Option<u32>| {
        dict.as_ref().zip(code).map(|(d, c)| d.name(c).to_string())
    };
    let mut customers = HashMap::with_capacity(both.len());
    for (verdict, input) in &both {
        let j = &verdict.judgement;
        let value = match input {
            Some(c) if j.status != rules::Status::Active => fitted
                .value(c, &settings)
                .map(|v| v.value_if_retained)
                .unwrap_or(0.0),
            _ => 0.0,
        };
        customers.insert(
            purchases.customers.name(verdict.customer).to_string(),
            CustomerInfo {
                status: j.status,
                since: j
                    .findings
                    .iter()
                    .find(|f| Some(f.rule) == j.rule)
                    .and_then(|f| f.since),
                value,
                store: name(&purchases.stores, verdict.main_store),
                employee: name(&purchases.employees, verdict.main_employee),
            },
        );
    }
    let by = args.by.map(|b| match b {
        By::Store => ByGroup::Store,
        By::Employee => ByGroup::Employee,
    });
    let result = reasons::rank_reasons(
        &feedback,
        &customers,
        &ReasonNames::new(&config.reasons),
        as_of,
        by,
        args.examples,
    );
    let report = ReasonsReport::new(&purchases.source, &feedback.source, as_of, settings, result);
    let format = args.output.format();
    args.output.write(format, |w| match format {
        Format::Table => report::reasons::table(&report, w),
        Format::Csv | Format::Xlsx => report::reasons::csv(&report, w),
        Format::Json => report::json::write(&report, w),
        Format::Markdown => report::reasons::markdown(&report, w),
    })
}
