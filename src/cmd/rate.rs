//! `churn rate`: the defection rate over time and by store, employee, category, cohort
//! and segment.

use anyhow::{Result, bail};
use clap::Args;

use crate::cli::{InputArgs, OutputArgs};

#[derive(Debug, Args)]
pub struct RateArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

pub fn run(_args: &RateArgs) -> Result<()> {
    bail!("churn rate is not built yet")
}
