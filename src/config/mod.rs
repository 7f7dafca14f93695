//! Configuration: every setting of a run, validated once.
//!
//! The command line ([`crate::cli`]) and the config file ([`ConfigFile`], TOML) are
//! resolved into one [`Config`] before anything is read: flags win over the file, the
//! file over detection and churn's defaults. Later code trusts it and never looks at a
//! flag again.

mod file;

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::NaiveDate;

pub use file::{ConfigFile, InputConfig, ValueConfig};

use crate::load::ReadOptions;
use crate::normalize::ValueOptions;
use crate::rules::RuleConfig;

/// Data files to read and how they are written.
#[derive(Clone, Debug)]
pub struct Input {
    /// The files, or directories of them (`-` is standard input).
    pub paths: Vec<PathBuf>,
    pub read: ReadOptions,
    pub values: ValueOptions,
}

/// How future value is counted, in every figure that counts it.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct ValueSettings {
    /// Yearly discount rate (0.10 = 10% a year).
    pub annual_discount: f64,
    /// Share of revenue that is profit (1 = value in revenue).
    pub margin: f64,
    /// The visit model (`--model`).
    pub model: crate::metrics::btyd::VisitModel,
}

impl Default for ValueSettings {
    fn default() -> Self {
        let v = ValueConfig::default();
        ValueSettings {
            annual_discount: v.discount,
            margin: v.margin,
            model: v.model,
        }
    }
}

/// Everything a run needs to know, resolved from flags and the config file.
#[derive(Clone, Debug)]
pub struct Config {
    pub purchases: Input,
    /// The customers' feedback, read with the same input settings as the purchases.
    pub feedback: Option<Input>,
    /// Judge as of this date; `None`: the last date in the data.
    pub as_of: Option<NaiveDate>,
    /// Drop exact duplicate lines (they are counted either way).
    pub dedupe: bool,
    /// Write the skipped rows here.
    pub rejects: Option<PathBuf>,
    pub rules: RuleConfig,
    /// Feedback reasons by name (`[reasons]`).
    pub reasons: BTreeMap<String, String>,
    pub value: ValueSettings,
    /// How money is labelled; `None` when the export gives no sign of it.
    pub currency: Option<String>,
    /// No messages on standard error but errors.
    pub quiet: bool,
    /// The file's settings as read, for `churn rules`.
    pub file: ConfigFile,
}

/// A yearly discount rate: a fraction from 0 to below 1.
pub fn check_discount(rate: f64) -> Result<(), String> {
    if (0.0..1.0).contains(&rate) {
        Ok(())
    } else {
        Err(format!(
            "discount must be a yearly fraction from 0 to below 1, e.g. 0.10; got {rate}"
        ))
    }
}

/// A margin: a share of revenue above 0 and at most 1.
pub fn check_margin(margin: f64) -> Result<(), String> {
    if margin > 0.0 && margin <= 1.0 {
        Ok(())
    } else {
        Err(format!(
            "margin must be a share of revenue above 0 and at most 1, e.g. 0.35; got {margin}"
        ))
    }
}
