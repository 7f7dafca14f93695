//! `churn backtest`: how good would churn's forecasts have been on this data? Calibrate as
//! of a past date, forecast the following horizon, compare with what happened.

use anyhow::{Result, anyhow, bail};
use clap::Args;

use crate::analysis::{Analysis, Needs};
use crate::cli::{self, InputArgs, OutputArgs};
use crate::metrics::backtest;
use crate::metrics::btyd::VisitModel;
use crate::metrics::clv;
use crate::normalize::Day;
use crate::normalize::date::{to_date, to_day};
use crate::report::{self, Format, backtest::BacktestReport};

#[derive(Debug, Args)]
#[command(
    after_help = "Here --as-of is the calibration date: the data after it are what \
the forecasts are checked against."
)]
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
    /// [default: auto, or the config's value.model]
    #[arg(long, value_name = "MODEL")]
    pub model: Option<VisitModel>,
}

pub fn run(args: &BacktestArgs, quiet: bool) -> Result<()> {
    let output = args
        .output
        .resolve("backtest", Format::Table, &report::TABULAR)?;
    // The analysis reads everything: the lines after the calibration date are the truth.
    let mut config = cli::resolve(&args.input, None, None, quiet)?;
    let calibration = config.as_of.take();
    let analysis = Analysis::build(config, &Needs::default())?;
    let purchases = &analysis.purchases;
    let last = analysis.as_of;
    // Without --as-of, calibrate one horizon before the end of the data.
    let as_of = match calibration {
        Some(d) => to_day(d),
        None => last - args.horizon.round() as Day,
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
        purchases,
        as_of,
        args.horizon,
        analysis.config.dedupe,
        &analysis.config.rules,
        args.model.unwrap_or(analysis.config.value.model),
    )
    .map_err(|e| {
        anyhow!(
            "{}: cannot backtest as of {}: {e}",
            purchases.source,
            to_date(as_of)
        )
    })?;
    let report = BacktestReport::new(analysis.summary.clone(), result);
    output.render(&report, 0)
}
