//! `churn backtest`: how good would churn's forecasts have been on this data? Calibrate as
//! of a past date, forecast the following horizon, compare with what happened.

use anyhow::{Result, anyhow, bail};
use clap::Args;

use crate::cli::{InputArgs, OutputArgs};
use crate::metrics::backtest;
use crate::metrics::btyd::VisitModel;
use crate::metrics::clv;
use crate::normalize::date::to_date;
use crate::report::{self, Format, backtest::BacktestReport};

#[derive(Debug, Args)]
pub struct BacktestArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// How far after --as-of to forecast: days, weeks, months or years (90d, 26w, 6m, 1y).
    /// Without --as-of, the forecast ends on the last date in the data
    #[arg(long, default_value = "90d", value_name = "SPAN", value_parser = clv::parse_horizon)]
    pub horizon: f64,
    /// Visit model for churn's forecast: auto (chosen on the data), bgnbd, bgcnbd or mbgcnbd
    #[arg(long, default_value = "auto", value_name = "MODEL")]
    pub model: VisitModel,
}

pub fn run(args: &BacktestArgs) -> Result<()> {
    let super::Loaded {
        purchases,
        as_of,
        config,
        ..
    } = super::load_purchases(&args.input)?;
    let last = purchases.last_day.unwrap_or(as_of);
    // Without --as-of, calibrate one horizon before the end of the data.
    let as_of = match args.input.as_of {
        Some(_) => as_of,
        None => last - args.horizon.round() as crate::normalize::Day,
    };
    if as_of >= last {
        bail!(
            "{}: nothing happened after {} (the data end on {}): give --as-of a date at least \
             --horizon before the end",
            purchases.source,
            to_date(as_of),
            to_date(last)
        );
    }
    let result = backtest::backtest(
        &purchases,
        as_of,
        args.horizon,
        args.input.dedupe,
        &config.rule_config(),
        args.model,
    )
    .map_err(|e| {
        anyhow!(
            "{}: cannot backtest as of {}: {e}",
            purchases.source,
            to_date(as_of)
        )
    })?;
    let report = BacktestReport::new(&purchases.source, result);
    let format = args.output.format();
    args.output.write(format, |w| match format {
        Format::Table => report::backtest::table(&report, w),
        Format::Csv | Format::Xlsx => report::backtest::csv(&report, w),
        Format::Json => report::json::write(&report, w),
        Format::Markdown => report::backtest::markdown(&report, w),
    })
}
