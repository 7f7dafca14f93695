//! `churn clv`: what each customer is worth, historically and over a horizon.

use anyhow::{Result, bail};
use clap::Args;

use crate::analysis::{Analysis, Needs, Valuation};
use crate::cli::{self, InputArgs, OutputArgs, ValueArgs};
use crate::metrics::clv;
use crate::report::{self, Format, clv::ClvReport};

#[derive(Debug, Args)]
pub struct ClvArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub value: ValueArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// How far ahead to value each customer: days, weeks, months or years (184d, 26w,
    /// 6m, 10y). The summary's value figures are always over ten years.
    #[arg(long, default_value = "1y", value_name = "SPAN", value_parser = clv::parse_horizon)]
    pub horizon: f64,
    /// Customers shown in table and Markdown output
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub limit: usize,
}

pub fn run(args: &ClvArgs, quiet: bool) -> Result<()> {
    let output = args
        .output
        .resolve("clv", Format::Table, &report::TABULAR)?;
    let config = cli::resolve(&args.input, None, Some(&args.value), quiet)?;
    let needs = Needs {
        value: true,
        horizons: vec![args.horizon],
        ..Needs::default()
    };
    let analysis = Analysis::build(config, &needs)?;
    let fitted = match &analysis.valuation {
        Some(Valuation::Fitted(f)) => f,
        Some(Valuation::Unavailable(why)) => bail!("{}: {why}", analysis.purchases.source),
        None => bail!("the value model was not asked for"),
    };
    let settings = analysis.settings(args.horizon);
    let values = analysis.values(&settings);
    let mut summary = analysis.summary.clone();
    let unvalued = values.iter().filter(|v| v.is_none()).count();
    if unvalued > 0 {
        summary.warnings.push(format!(
            "{unvalued} customer{} could not be valued over the horizon and are not listed",
            if unvalued == 1 { "" } else { "s" }
        ));
    }
    let customers = analysis
        .verdicts
        .iter()
        .zip(values)
        .filter_map(|(v, value)| {
            Some((
                analysis.customer_id(v.customer).to_string(),
                v.judgement.status,
                value?,
            ))
        });
    let report = ClvReport::new(summary, settings, fitted.model.clone(), customers);
    output.render(&report, args.limit)
}
