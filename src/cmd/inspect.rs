//! `churn inspect`: what churn would read from an export, before any analysis: the
//! file's shape, each column's role with sample values, the rows it would leave out,
//! and the flags or `[columns]` block that change a pick.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use crate::cli::{ReadArgs, resolve_output};
use crate::normalize::inspect;
use crate::report::{self, CsvStyle, Format};

#[derive(Debug, Args)]
pub struct InspectArgs {
    #[command(flatten)]
    pub input: ReadArgs,
    /// Output format: table, or json for tools [default: table, or from the -o file's
    /// extension]
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write to this file (whole or not at all) instead of standard output
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run(args: &InspectArgs, quiet: bool) -> Result<()> {
    let output = resolve_output(
        "inspect",
        args.format,
        args.output.clone(),
        Format::Table,
        &[Format::Table, Format::Json],
        CsvStyle::default(),
    )?;
    let (input, _) = args.input.resolve(quiet)?;
    // Each file on its own: several monthly exports may come from different tills.
    let inspections = crate::load::expand_paths(&input.paths)?
        .iter()
        .map(|path| inspect::inspect(path, &input.read, &input.values))
        .collect::<Result<Vec<_>>>()?;
    output.write(|w| match output.format {
        Format::Json if inspections.len() == 1 => report::inspect::json(&inspections[0], w),
        Format::Json => report::json::write(&inspections, w),
        _ => {
            for (i, inspection) in inspections.iter().enumerate() {
                if i > 0 {
                    writeln!(w)?;
                }
                report::inspect::table(inspection, w)?;
            }
            Ok(())
        }
    })
}
