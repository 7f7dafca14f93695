//! churn: find defected and at-risk customers in loyalty-card purchase exports.
//!
//! The flow: [`load`] (files, encodings, columns) → [`normalize`] (typed purchases) →
//! [`history`] (visits per customer) → [`rules`] (the business's defection rules) and
//! [`metrics`] → [`report`] (table, CSV, JSON, Markdown).

pub mod cli;
pub mod cmd;
pub mod config;
pub mod history;
pub mod load;
pub mod metrics;
pub mod normalize;
pub mod report;
pub mod rules;
pub mod sample;
pub mod stats;

use anyhow::Result;

/// How a successful run ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Done,
    /// `--fail-above RATE` was given and the defection rate exceeded it: the output was
    /// written, and the exit code ([`ALERT_EXIT_CODE`]) tells the cron job.
    Alert,
}

/// The exit code of [`Outcome::Alert`] (1 is an error, 2 a usage error).
pub const ALERT_EXIT_CODE: u8 = 3;

/// Runs a parsed command line.
pub fn run(cli: &cli::Cli) -> Result<Outcome> {
    let done = |r: Result<()>| r.map(|()| Outcome::Done);
    match &cli.command {
        cli::Command::Scan(args) => cmd::scan::run(args),
        cli::Command::Rate(args) => done(cmd::rate::run(args)),
        cli::Command::Clv(args) => done(cmd::clv::run(args)),
        cli::Command::Backtest(args) => done(cmd::backtest::run(args)),
        cli::Command::Reasons(args) => done(cmd::reasons::run(args)),
        cli::Command::Contacts(args) => done(cmd::contacts::run(args)),
        cli::Command::Report(args) => cmd::report::run(args),
        cli::Command::Rules(args) => done(cmd::rules::run(args)),
        cli::Command::Sample(args) => done(cmd::sample::run(args)),
        cli::Command::Completions(args) => done(cmd::completions::run(args)),
        cli::Command::Man(args) => done(cmd::completions::man(args)),
    }
}
