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

pub use file::{ConfigFile, Encoding, InputConfig, Separator, ValueConfig};

use crate::load::{Charset, ReadOptions};
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
    pub value: ValueConfig,
    /// How money is labelled; `None` when the export gives no sign of it.
    pub currency: Option<String>,
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

/// A field separator, as `--delimiter` and `[input] delimiter` take it.
pub fn parse_delimiter(text: &str) -> Result<u8, String> {
    Ok(match text {
        "tab" | "\\t" | "\t" => b'\t',
        "," | "comma" => b',',
        ";" | "semicolon" => b';',
        "|" | "pipe" => b'|',
        s if s.len() == 1 && s.is_ascii() => s.as_bytes()[0],
        other => {
            return Err(format!(
                "a separator is one character (, ; | or tab), got \"{other}\""
            ));
        }
    })
}

/// A text encoding, as `--encoding` and `[input] encoding` take it.
pub fn parse_encoding(text: &str) -> Result<Charset, String> {
    Charset::parse(text).ok_or_else(|| {
        format!("unknown encoding \"{text}\": use utf-8, utf-16le, utf-16be or windows-1252")
    })
}
