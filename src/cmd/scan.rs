//! `churn scan`: judge every customer of a purchase export.

use anyhow::Result;
use clap::Args;

use crate::cli::{InputArgs, OutputArgs};
use crate::metrics::summary::{self, period_start};
use crate::report::{self, Format, ScanReport};
use crate::rules;

#[derive(Debug, Args)]
pub struct ScanArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Flagged customers shown in table and Markdown output
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub limit: usize,
}

pub fn run(args: &ScanArgs) -> Result<()> {
    let super::Loaded {
        purchases,
        as_of,
        config,
    } = super::load_purchases(&args.input)?;
    let start = period_start(as_of);
    let rule_config = config.rule_config();
    let (verdicts, grouped) =
        rules::apply_rules(&purchases, as_of, start, args.input.dedupe, &rule_config);
    let summary = summary::summarize(
        &purchases.source,
        summary::date(as_of),
        summary::date(start),
        &purchases.rows,
        &grouped,
        &verdicts,
    );
    let report = ScanReport::new(summary, &purchases, &verdicts);
    let format = args.output.format();
    report::write_output(args.output.output.as_deref(), |w| match format {
        Format::Table => report::table::scan(&report, args.limit, w),
        Format::Csv => report::csv::scan(&report, w),
        Format::Json => report::json::scan(&report, w),
        Format::Markdown => report::markdown::scan(&report, args.limit, w),
    })
}
