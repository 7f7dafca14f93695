//! churn: find defected and at-risk customers in loyalty-card purchase exports.
//!
//! The flow: [`load`] (files, encodings, columns) → [`normalize`] (typed purchases) →
//! [`history`] (visits per customer) → [`rules`] (the business's defection rules) and
//! [`metrics`] → [`report`] (table, CSV, JSON, Markdown, HTML, xlsx).
//!
//! [`analysis::Analysis`] runs that flow once from a validated [`config::Config`]; every
//! command renders parts of it, so a figure has one value whichever command shows it.

// The library's API: the analysis builder, its config and result types, the generator of
// sample data, and the daily-table SQL.
pub mod analysis;
pub mod config;
pub mod sample;
pub mod sql;

// The flow's stages, public so tests and benchmarks can drive one stage on its own (load a
// file, group histories, judge a customer, fit a model); their items may change.
pub mod history;
pub mod load;
pub mod metrics;
pub mod normalize;
pub mod rules;

// The command line and the output formats: internal, so the compiler finds their dead
// code.
pub(crate) mod cli;
pub(crate) mod cmd;
pub(crate) mod report;
pub(crate) mod stats;

pub use cmd::{Cli, run};

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

/// The exit code of a usage error (as clap's own).
pub const USAGE_EXIT_CODE: u8 = 2;

/// A usage error found after parsing (flags that do not fit together, an output file
/// name that names no format the command writes): exit code [`USAGE_EXIT_CODE`].
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}
