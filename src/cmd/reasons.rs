//! `churn reasons`: why defectors leave, from their feedback, ranked by the value lost.

use anyhow::{Result, bail};
use clap::{Args, ValueEnum};

use crate::analysis::{Analysis, Needs};
use crate::cli::{self, FeedbackArgs, InputArgs, OutputArgs, ValueArgs};
use crate::metrics::clv;
use crate::metrics::reasons::{ByGroup, EXAMPLES};
use crate::report::{self, Format, reasons::ReasonsReport};

#[derive(Debug, Args)]
pub struct ReasonsArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub feedback: FeedbackArgs,
    #[command(flatten)]
    pub value: ValueArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Show the reasons behind each store's or employee's defections
    #[arg(long, value_enum, value_name = "GROUP")]
    pub by: Option<By>,
    /// Example comments per reason
    #[arg(long, default_value_t = EXAMPLES, value_name = "N")]
    pub examples: usize,
    /// How far ahead the value lost is counted (184d, 26w, 6m, 10y)
    #[arg(long, default_value = "10y", value_name = "SPAN", value_parser = clv::parse_horizon)]
    pub horizon: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum By {
    Store,
    Employee,
}

pub fn run(args: &ReasonsArgs, quiet: bool) -> Result<()> {
    let output = args
        .output
        .resolve("reasons", Format::Table, &report::TABULAR)?;
    if args.feedback.feedback.is_none() {
        bail!("churn reasons needs the customers' feedback: pass --feedback FILE");
    }
    let config = cli::resolve(&args.input, Some(&args.feedback), Some(&args.value), quiet)?;
    let needs = Needs {
        value: true,
        horizons: vec![args.horizon],
        ..Needs::default()
    };
    let analysis = Analysis::build(config, &needs)?;
    let by = args.by.map(|b| match b {
        By::Store => ByGroup::Store,
        By::Employee => ByGroup::Employee,
    });
    let (Some(reasons), Some(feedback)) = (
        analysis.reasons(args.horizon, by, args.examples),
        &analysis.feedback,
    ) else {
        bail!("churn reasons needs the customers' feedback: pass --feedback FILE");
    };
    let report = ReasonsReport::new(
        analysis.summary.clone(),
        &feedback.source,
        analysis.settings(args.horizon),
        reasons,
    );
    output.render(&report, 0)
}
