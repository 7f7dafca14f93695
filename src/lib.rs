//! churn: find defected and at-risk customers in loyalty-card purchase exports.
//!
//! The flow: [`load`] (files, encodings, columns) → [`normalize`] (typed purchases) →
//! [`history`] (visits per customer) → [`rules`] (the business's defection rules) and
//! [`metrics`] → [`report`] (table, CSV, JSON, Markdown).

pub mod load;
pub mod normalize;
pub mod history;
pub mod rules;
pub mod stats;
