//! `churn contacts`: whom to call now. At-risk and recently defected customers who have
//! not given feedback since their change began, highest value at stake first.

use anyhow::Result;
use clap::Args;

use crate::analysis::{Analysis, CONTACT_RECENT_DAYS, CONTACT_STAKE, Needs};
use crate::cli::{self, FeedbackArgs, InputArgs, OutputArgs, ValueArgs};
use crate::report::{self, Format, contacts::ContactsReport};

#[derive(Debug, Args)]
pub struct ContactsArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub feedback: FeedbackArgs,
    /// The model behind P(alive) and the value at stake (a year's revenue, undiscounted);
    /// --discount and --margin count the summary's value figures
    #[command(flatten)]
    pub value: ValueArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Columns of the purchases export to add to the list (their latest value), e.g.
    /// --keep-cols phone,email
    #[arg(long, value_delimiter = ',', value_name = "COLUMNS")]
    pub keep_cols: Vec<String>,
    /// Defected customers are listed while their change began at most this many days ago
    #[arg(long, default_value_t = CONTACT_RECENT_DAYS, value_name = "DAYS")]
    pub recent_days: u32,
    /// Customers shown in table and Markdown output (CSV and JSON list everyone)
    #[arg(long, default_value_t = 50, value_name = "N")]
    pub limit: usize,
}

pub fn run(args: &ContactsArgs, quiet: bool) -> Result<()> {
    let output = args
        .output
        .resolve("contacts", Format::Table, &report::TABULAR)?;
    let config = cli::resolve(&args.input, Some(&args.feedback), Some(&args.value), quiet)?;
    let needs = Needs {
        value: true,
        horizons: vec![CONTACT_STAKE.horizon_days],
        keep: args.keep_cols.clone(),
    };
    let analysis = Analysis::build(config, &needs)?;
    let report = ContactsReport::new(
        analysis.summary.clone(),
        args.recent_days,
        analysis.purchases.kept.names.clone(),
        analysis.contacts(args.recent_days),
    );
    output.render(&report, args.limit)
}
