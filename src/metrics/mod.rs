//! Metrics: figures computed from the rules' verdicts. Pure: typed results, no output.

pub mod backtest;
pub mod btyd;
pub mod changes;
pub mod clv;
pub mod contacts;
pub mod rate;
pub mod reasons;
pub mod segment;
pub mod summary;

pub use summary::{Summary, summarize};
