//! `churn scan`: judge every customer of a purchase export.

use anyhow::Result;
use clap::Args;

use crate::analysis::{Analysis, CONTACT_STAKE, Needs};
use crate::cli::{self, FeedbackArgs, InputArgs, OutputArgs, ValueArgs, parse_rate};
use crate::report::changes::ChangesReport;
use crate::report::{self, Format, ScanReport};

#[derive(Debug, Args)]
pub struct ScanArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub feedback: FeedbackArgs,
    #[command(flatten)]
    pub value: ValueArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Flagged customers shown in table and Markdown output
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub limit: usize,
    /// What changed since the previous month end instead: customers newly defected, newly
    /// at risk and won back, with their value at stake, and the figures then and now
    #[arg(long)]
    pub changes: bool,
    /// Exit with code 3 (after writing the output) when the defection rate is above this
    /// fraction, e.g. 0.25: an alert for cron jobs
    #[arg(long, value_name = "RATE", value_parser = parse_rate)]
    pub fail_above: Option<f64>,
}

pub fn run(args: &ScanArgs, quiet: bool) -> Result<crate::Outcome> {
    let output = args
        .output
        .resolve("scan", Format::Table, &report::TABULAR)?;
    let config = cli::resolve(&args.input, Some(&args.feedback), Some(&args.value), quiet)?;
    // The value model gives the summary's value figures and each customer's P(alive) and
    // next visit.
    let needs = Needs {
        value: true,
        horizons: if args.changes {
            vec![CONTACT_STAKE.horizon_days]
        } else {
            Vec::new()
        },
        ..Needs::default()
    };
    let analysis = Analysis::build(config, &needs)?;
    if args.changes {
        let previous = analysis.previous_month();
        let changes = analysis.changes(&previous);
        let report = ChangesReport::new(analysis.summary.clone(), &previous.summary, changes);
        output.render(&report, args.limit)?;
        return Ok(super::alert(&analysis.summary, args.fail_above, quiet));
    }
    let mut scan = ScanReport::new(
        analysis.summary.clone(),
        &analysis.purchases,
        &analysis.verdicts,
        &analysis.outlooks(),
    );
    if analysis.feedback.is_some() {
        scan.attach_feedback(&analysis.latest_feedback());
    }
    output.render(&scan, args.limit)?;
    Ok(super::alert(&analysis.summary, args.fail_above, quiet))
}
