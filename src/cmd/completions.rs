//! `churn completions SHELL` and `churn man`: shell completions and the manual page,
//! generated from the command-line definition so they never drift from it.

use std::io::Write;

use anyhow::Result;
use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::Cli;

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh, fish, elvish or powershell
    #[arg(value_enum)]
    pub shell: Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {}

/// Writes the completion script for `args.shell` to standard output.
pub fn run(args: &CompletionsArgs) -> Result<()> {
    let mut command = Cli::command();
    let mut out = std::io::stdout().lock();
    clap_complete::generate(args.shell, &mut command, "churn", &mut out);
    out.flush()?;
    Ok(())
}

/// Writes the manual page (roff) to standard output: `churn man > churn.1`.
pub fn man(_args: &ManArgs) -> Result<()> {
    let page = clap_mangen::Man::new(Cli::command());
    let mut out = std::io::stdout().lock();
    page.render(&mut out)?;
    out.flush()?;
    Ok(())
}
