//! `churn clv`: what each customer is worth, historically and over a horizon.

use anyhow::{Result, bail};
use clap::Args;

use crate::cli::{InputArgs, OutputArgs};

#[derive(Debug, Args)]
pub struct ClvArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

pub fn run(_args: &ClvArgs) -> Result<()> {
    bail!("churn clv is not built yet")
}
