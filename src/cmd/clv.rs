//! `churn clv`: what each customer is worth, historically and over a horizon.

use anyhow::{Result, anyhow};
use clap::Args;

use crate::cli::{InputArgs, OutputArgs};
use crate::history;
use crate::metrics::clv::{self, Settings};
use crate::report::{self, Format, clv::ClvReport};
use crate::rules;

#[derive(Debug, Args)]
pub struct ClvArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// How far ahead to value: days, weeks, months or years (184d, 26w, 6m, 10y)
    #[arg(long, default_value = "1y", value_name = "SPAN", value_parser = clv::parse_horizon)]
    pub horizon: f64,
    /// Annual discount rate for future revenue (0.10 = 10% a year)
    #[arg(long, default_value_t = 0.10, value_name = "RATE", value_parser = parse_discount)]
    pub discount: f64,
    /// Share of revenue that is profit (1 = value in revenue)
    #[arg(long, default_value_t = 1.0, value_name = "SHARE", value_parser = parse_margin)]
    pub margin: f64,
    /// Customers shown in table and Markdown output
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub limit: usize,
}

pub fn parse_discount(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(r) if (0.0..1.0).contains(&r) => Ok(r),
        _ => Err(format!(
            "\"{text}\": the discount rate is a yearly fraction from 0 to below 1, e.g. 0.10"
        )),
    }
}

pub fn parse_margin(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(m) if m > 0.0 && m <= 1.0 => Ok(m),
        _ => Err(format!(
            "\"{text}\": the margin is a share of revenue above 0 and at most 1, e.g. 0.35"
        )),
    }
}

pub fn run(args: &ClvArgs) -> Result<()> {
    let super::Loaded {
        purchases,
        as_of,
        config,
        ..
    } = super::load_purchases(&args.input)?;
    let rule_config = config.rule_config();
    let names: &[String] = purchases.categories.as_ref().map_or(&[], |d| &d.values);
    let (inputs, _) = history::group(&purchases, as_of, args.input.dedupe, |h| {
        let judgement = rules::judge_named(h, as_of, &rule_config, names);
        clv::customer_input(h, as_of, &judgement, args.horizon)
    });
    let inputs: Vec<_> = inputs.into_iter().flatten().collect();
    let settings = Settings {
        horizon_days: args.horizon,
        annual_discount: args.discount,
        margin: args.margin,
    };
    let values = clv::lifetime_values(&inputs, &settings).map_err(|e| {
        anyhow!(
            "{}: cannot fit the lifetime-value model: {e}",
            purchases.source
        )
    })?;
    let report = ClvReport::new(&purchases, as_of, &inputs, values);
    let format = args.output.format();
    args.output.write(format, |w| match format {
        Format::Table => report::clv::table(&report, args.limit, w),
        Format::Csv | Format::Xlsx => report::clv::csv(&report, w),
        Format::Json => report::json::write(&report, w),
        Format::Markdown => report::clv::markdown(&report, args.limit, w),
    })
}
