//! `churn sample`: a synthetic purchase log with planted behaviours, and its truth.

use std::path::PathBuf;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use clap::Args;

use crate::report;
use crate::sample::{self, SampleConfig};

#[derive(Debug, Args)]
pub struct SampleArgs {
    /// Number of customers
    #[arg(long, default_value_t = 300, value_name = "N")]
    pub customers: usize,
    /// Random seed: the same seed gives the same files
    #[arg(long, default_value_t = 42, value_name = "S")]
    pub seed: u64,
    /// Last day of the history
    #[arg(long, default_value = "2026-10-31", value_name = "DATE")]
    pub as_of: NaiveDate,
    /// Months of history
    #[arg(long, default_value_t = 24, value_name = "N")]
    pub months: u32,
    /// Also write purchases-european.csv: the same data with ';', decimal commas,
    /// dd.mm.yyyy dates, Windows-1252 and Swedish headers
    #[arg(long)]
    pub european: bool,
    /// Also write feedback.csv: customer feedback with planted causes (a reason tied to
    /// one employee, a rare low-value reason, praise from customers who stayed)
    #[arg(long)]
    pub feedback: bool,
    /// Directory to write purchases.csv and truth.csv into (created if missing)
    #[arg(short = 'o', long, value_name = "DIR")]
    pub output: PathBuf,
}

pub fn run(args: &SampleArgs, quiet: bool) -> Result<()> {
    let cfg = SampleConfig {
        customers: args.customers,
        seed: args.seed,
        as_of: args.as_of,
        months: args.months,
    };
    let data = sample::generate(&cfg);
    std::fs::create_dir_all(&args.output)
        .with_context(|| format!("{}: cannot create the directory", args.output.display()))?;
    let purchases = args.output.join("purchases.csv");
    report::write_output(Some(&purchases), |w| {
        sample::write_purchases(&data.lines, w)
    })?;
    if args.european {
        let path = args.output.join("purchases-european.csv");
        report::write_output(Some(&path), |w| {
            sample::write_purchases_european(&data.lines, w)
        })?;
    }
    if args.feedback {
        let feedback = sample::generate_feedback(&data, &cfg);
        report::write_output(Some(&args.output.join("feedback.csv")), |w| {
            sample::write_feedback(&feedback, w)
        })?;
    }
    report::write_output(Some(&args.output.join("truth.csv")), |w| {
        sample::write_truth(&data.truth, w)
    })?;
    if !quiet {
        eprintln!(
            "churn: wrote {} purchase lines of {} customers to {}",
            data.lines.len(),
            data.truth.len(),
            args.output.display()
        );
    }
    Ok(())
}
