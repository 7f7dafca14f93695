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

/// Runs a parsed command line.
pub fn run(cli: &cli::Cli) -> Result<()> {
    match &cli.command {
        cli::Command::Scan(args) => cmd::scan::run(args),
        cli::Command::Rate(args) => cmd::rate::run(args),
        cli::Command::Clv(args) => cmd::clv::run(args),
        cli::Command::Reasons(args) => cmd::reasons::run(args),
        cli::Command::Contacts(args) => cmd::contacts::run(args),
        cli::Command::Rules(args) => cmd::rules::run(args),
        cli::Command::Sample(args) => cmd::sample::run(args),
    }
}
