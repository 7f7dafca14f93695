//! `churn rules`: print the effective defection rules and settings as TOML.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use crate::config::ConfigFile;
use crate::report;

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Start from this config file instead of the defaults
    #[arg(long, visible_alias = "rules", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Write to this file (whole or not at all) instead of standard output
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run(args: &RulesArgs) -> Result<()> {
    let text = ConfigFile::load(args.config.as_deref())?.to_toml()?;
    report::write_output(args.output.as_deref(), |w| w.write_all(text.as_bytes()))
}
