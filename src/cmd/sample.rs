//! `churn sample`: a synthetic purchase log with planted behaviours, and its truth.

use std::path::PathBuf;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use clap::Args;

use crate::report;
use crate::sample::exports::{self, Layout};
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
    /// Instead, write a small export in a real system's layout, with its quirks, and
    /// its truth (LAYOUT.truth.csv: each customer's visits and net revenue): shopify,
    /// square, toast, lightspeed, online-retail, loyalty-card, swedish-till, excel, or
    /// all
    #[arg(long, value_name = "LAYOUT", value_parser = parse_layout)]
    pub layout: Option<Layouts>,
    /// Directory to write purchases.csv and truth.csv into (created if missing)
    #[arg(short = 'o', long, value_name = "DIR")]
    pub output: PathBuf,
}

/// `--layout`: one layout or all.
#[derive(Clone, Debug)]
pub struct Layouts(Vec<Layout>);

fn parse_layout(text: &str) -> Result<Layouts, String> {
    if text == "all" {
        return Ok(Layouts(Layout::ALL.to_vec()));
    }
    Layout::from_name(text)
        .map(|l| Layouts(vec![l]))
        .ok_or_else(|| {
            let names: Vec<&str> = Layout::ALL.iter().map(|l| l.name()).collect();
            format!("unknown layout \"{text}\": use {} or all", names.join(", "))
        })
}

/// Writes each layout's export and truth into `dir`.
fn write_layouts(layouts: &Layouts, dir: &std::path::Path, quiet: bool) -> Result<()> {
    for &layout in &layouts.0 {
        let export = exports::export(layout)?;
        report::write_output(Some(&dir.join(layout.file_name())), |w| {
            w.write_all(&export.bytes)
        })?;
        report::write_output(Some(&dir.join(layout.truth_name())), |w| {
            exports::write_truth(&export.truth, w)
        })?;
        if !quiet {
            eprintln!(
                "churn: wrote {} ({} customers) to {}",
                layout.file_name(),
                export.truth.len(),
                dir.display()
            );
        }
    }
    Ok(())
}

pub fn run(args: &SampleArgs, quiet: bool) -> Result<()> {
    if let Some(layouts) = &args.layout {
        std::fs::create_dir_all(&args.output)
            .with_context(|| format!("{}: cannot create the directory", args.output.display()))?;
        return write_layouts(layouts, &args.output, quiet);
    }
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
