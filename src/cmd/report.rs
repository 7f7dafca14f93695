//! `churn report`: the monthly report for managers and cron jobs.

use anyhow::{Result, bail};
use clap::Args;

use crate::cli::{FeedbackArgs, InputArgs};

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub feedback: FeedbackArgs,
}

pub fn run(_args: &ReportArgs) -> Result<crate::Outcome> {
    bail!("churn report is not built yet")
}
