//! `churn inspect`: what churn would read from an export, before any analysis: the
//! file's shape, each column's role with sample values, the rows it would leave out,
//! and the flags or `[columns]` block that change a pick.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, ValueEnum};

use crate::cli::{self, InputArgs};
use crate::normalize::inspect;
use crate::report;

#[derive(Debug, Args)]
pub struct InspectArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Output format
    #[arg(long, value_enum, default_value_t = InspectFormat::Table)]
    pub format: InspectFormat,
    /// Write to this file (whole or not at all) instead of standard output
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum InspectFormat {
    /// For reading in a terminal.
    Table,
    /// Everything, for tools.
    Json,
}

pub fn run(args: &InspectArgs, quiet: bool) -> Result<()> {
    let config = cli::resolve(&args.input, None, None, quiet)?;
    let input = &config.purchases;
    // Each file on its own: several monthly exports may come from different tills.
    let inspections = crate::load::expand_paths(&input.paths)?
        .iter()
        .map(|path| inspect::inspect(path, &input.read, &input.values))
        .collect::<Result<Vec<_>>>()?;
    report::write_output(args.output.as_deref(), |w| match args.format {
        InspectFormat::Table => {
            for (i, inspection) in inspections.iter().enumerate() {
                if i > 0 {
                    writeln!(w)?;
                }
                report::inspect::table(inspection, w)?;
            }
            Ok(())
        }
        InspectFormat::Json if inspections.len() == 1 => report::inspect::json(&inspections[0], w),
        InspectFormat::Json => report::json::write(&inspections, w),
    })
}
