//! The command line and its dispatch. One file per subcommand holds its arguments and
//! its `run`: glue only (config in, one [`crate::analysis::Analysis`], render out).
//! Nothing below this layer imports it.

pub mod backtest;
pub mod clv;
pub mod completions;
pub mod contacts;
pub mod inspect;
pub mod rate;
pub mod reasons;
pub mod report;
pub mod rules;
pub mod sample;
pub mod scan;
pub mod sql;

use anyhow::Result;
use clap::{Parser, Subcommand};

use crate::Outcome;
use crate::metrics::Summary;
use crate::report::summary::figures;

#[derive(Debug, Parser)]
#[command(
    name = "churn",
    version,
    about = "Find defected and at-risk customers in loyalty-card purchase exports",
    long_about = "churn reads the CSV exports of point-of-sale and loyalty systems and tells, for every \
customer, whether they are active, at risk or defected, judged against their own history by the \
business's defection rules, why, and what it costs.",
    after_help = "Exit codes: 0 success, 1 error (bad input, unreadable file), 2 usage error, 3 alert (--fail-above)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// No messages on standard error but errors (no progress bar, no alert text; the exit
    /// code still tells an alert)
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Judge every customer: active, at risk or defected, why, and what it costs
    Scan(Box<scan::ScanArgs>),
    /// Defection rate over time and by store, employee, category, cohort or segment
    Rate(Box<rate::RateArgs>),
    /// Lifetime value: what each customer is worth, historically and over a horizon
    Clv(Box<clv::ClvArgs>),
    /// Check the value forecasts on your own data: calibrate to --as-of, compare with what happened
    Backtest(Box<backtest::BacktestArgs>),
    /// Why defectors leave: feedback reasons ranked by the value lost
    Reasons(Box<reasons::ReasonsArgs>),
    /// Whom to call now: at-risk and recently defected customers not yet heard from
    Contacts(Box<contacts::ContactsArgs>),
    /// The monthly report: HTML with charts, Markdown, JSON or xlsx (from -o's extension)
    Report(Box<report::ReportArgs>),
    /// Print the effective defection rules and settings as TOML (`churn rules > churn.toml`)
    Rules(rules::RulesArgs),
    /// SQL for DuckDB, Spark or a warehouse that sums purchase lines into a daily table
    Sql(Box<sql::SqlArgs>),
    /// What churn would read from an export: columns, roles, rows left out, flags to change them
    Inspect(Box<inspect::InspectArgs>),
    /// Generate a synthetic purchase log with planted behaviours, and its truth
    Sample(sample::SampleArgs),
    /// Print a shell completion script: churn completions bash > /etc/bash_completion.d/churn
    Completions(completions::CompletionsArgs),
    /// Print the manual page (roff): churn man > churn.1
    Man(completions::ManArgs),
}

/// Runs a parsed command line.
pub fn run(cli: &Cli) -> Result<Outcome> {
    let done = |r: Result<()>| r.map(|()| Outcome::Done);
    let quiet = cli.quiet;
    match &cli.command {
        Command::Scan(args) => scan::run(args, quiet),
        Command::Rate(args) => done(rate::run(args, quiet)),
        Command::Clv(args) => done(clv::run(args, quiet)),
        Command::Backtest(args) => done(backtest::run(args, quiet)),
        Command::Reasons(args) => done(reasons::run(args, quiet)),
        Command::Contacts(args) => done(contacts::run(args, quiet)),
        Command::Report(args) => report::run(args, quiet),
        Command::Rules(args) => done(rules::run(args)),
        Command::Sql(args) => done(sql::run(args)),
        Command::Inspect(args) => done(inspect::run(args, quiet)),
        Command::Sample(args) => done(sample::run(args, quiet)),
        Command::Completions(args) => done(completions::run(args)),
        Command::Man(args) => done(completions::man(args)),
    }
}

/// [`Outcome::Alert`] when the summary's defection rate is above the threshold, saying
/// so, with the rate's period, on standard error unless quiet.
pub fn alert(summary: &Summary, threshold: Option<f64>, quiet: bool) -> Outcome {
    match (summary.defection_rate, threshold) {
        (Some(rate), Some(limit)) if rate > limit => {
            if !quiet {
                let period = figures(summary, None)
                    .into_iter()
                    .find(|f| f.key == "defection_rate")
                    .map_or_else(String::new, |f| f.period);
                eprintln!(
                    "churn: alert: the defection rate {:.1}% is above --fail-above {:.1}% \
                     (the rate {period}, {} to {})",
                    rate * 100.0,
                    limit * 100.0,
                    summary
                        .period_start
                        .map_or_else(String::new, |d| d.to_string()),
                    summary.period_end
                );
            }
            Outcome::Alert
        }
        _ => Outcome::Done,
    }
}
