//! Command-line flags shared by the commands, and their resolution into one validated
//! [`Config`] (fd's `cli.rs` → `config.rs`). Each command's own flags live with its
//! `run` in `cmd/`.

use std::path::PathBuf;

use anyhow::Result;
use chrono::NaiveDate;
use clap::Args;

use crate::UsageError;
use crate::config::{self, Config, ConfigFile, Input, ValueConfig};
use crate::load::{Charset, ColumnNames, ReadOptions};
use crate::normalize::{DecimalMark, ValueOptions, date};
use crate::report::{CsvStyle, Format, Output};

/// The purchase columns by name, over the config's `[columns]` and detection.
#[derive(Debug, Args)]
pub struct ColumnArgs {
    /// Column with the customer id / card number
    #[arg(long, value_name = "NAME", help_heading = "Columns")]
    pub customer_col: Option<String>,
    /// Column with the purchase date
    #[arg(long, value_name = "NAME", help_heading = "Columns")]
    pub date_col: Option<String>,
    /// Column with the amount (negative = refund)
    #[arg(long, value_name = "NAME", help_heading = "Columns")]
    pub amount_col: Option<String>,
    /// Column with the store
    #[arg(long, value_name = "NAME", help_heading = "Columns")]
    pub store_col: Option<String>,
    /// Column with the employee
    #[arg(long, value_name = "NAME", help_heading = "Columns")]
    pub employee_col: Option<String>,
    /// Column with the product category
    #[arg(long, value_name = "NAME", help_heading = "Columns")]
    pub category_col: Option<String>,
    /// Column with the quantity, when there is no line total (quantity × price)
    #[arg(long, value_name = "NAME", help_heading = "Columns")]
    pub quantity_col: Option<String>,
    /// Column with the unit price, when there is no line total
    #[arg(long, value_name = "NAME", help_heading = "Columns")]
    pub price_col: Option<String>,
    /// Column with a line discount, subtracted from the amount
    #[arg(long, value_name = "NAME", help_heading = "Columns")]
    pub discount_col: Option<String>,
    /// Column with the order or receipt number (order fields are filled down within it)
    #[arg(long, value_name = "NAME", help_heading = "Columns")]
    pub order_col: Option<String>,
    /// Column with the line type (Sale, Refund, Void, …)
    #[arg(long, value_name = "NAME", help_heading = "Columns")]
    pub type_col: Option<String>,
    /// Column marking void lines (true/false)
    #[arg(long, value_name = "NAME", help_heading = "Columns")]
    pub void_col: Option<String>,
    /// Column with the order's status (paid, refunded, voided, …)
    #[arg(long, value_name = "NAME", help_heading = "Columns")]
    pub status_col: Option<String>,
    /// Column with the order's cancellation time (filled: the order is left out)
    #[arg(long, value_name = "NAME", help_heading = "Columns")]
    pub cancelled_col: Option<String>,
    /// Column with an order's refunded amount (taken off its lines)
    #[arg(long, value_name = "NAME", help_heading = "Columns")]
    pub refunded_col: Option<String>,
    /// Column with the time of day, when the date column has none
    #[arg(long, value_name = "NAME", help_heading = "Columns")]
    pub time_col: Option<String>,
}

impl ColumnArgs {
    /// The names given, over the config file's `[columns]`.
    pub fn names(&self, file: &ConfigFile) -> ColumnNames {
        ColumnNames {
            customer: self.customer_col.clone(),
            date: self.date_col.clone(),
            amount: self.amount_col.clone(),
            store: self.store_col.clone(),
            employee: self.employee_col.clone(),
            category: self.category_col.clone(),
            quantity: self.quantity_col.clone(),
            price: self.price_col.clone(),
            discount: self.discount_col.clone(),
            order: self.order_col.clone(),
            line_type: self.type_col.clone(),
            void: self.void_col.clone(),
            status: self.status_col.clone(),
            cancelled: self.cancelled_col.clone(),
            refunded: self.refunded_col.clone(),
            time: self.time_col.clone(),
            ..ColumnNames::default()
        }
        .or(&file.columns)
    }
}

/// Where the purchases are and how they are written. Every detection can be overridden.
/// `churn inspect` takes these alone; the analysing commands take [`InputArgs`].
#[derive(Debug, Args)]
pub struct ReadArgs {
    /// Purchase exports: CSV (`-` reads standard input; .gz is decompressed) or Excel
    /// (.xlsx, .xls, .ods); several files, or a directory of them, are one analysis
    #[arg(value_name = "PURCHASES", required = true, num_args = 1..)]
    pub paths: Vec<PathBuf>,
    /// The sheet of a workbook to read [default: the first]
    #[arg(long, value_name = "NAME", help_heading = "Input format")]
    pub sheet: Option<String>,

    #[command(flatten)]
    pub columns: ColumnArgs,

    /// Field separator: , ; tab or | [default: detected]
    #[arg(long, value_name = "CHAR", value_parser = config::parse_delimiter, help_heading = "Input format")]
    pub delimiter: Option<u8>,
    /// Text encoding: utf-8, utf-16le, utf-16be, windows-1252 [default: detected]
    #[arg(long, value_name = "NAME", value_parser = config::parse_encoding, help_heading = "Input format")]
    pub encoding: Option<Charset>,
    /// Date format (strftime, e.g. %d.%m.%Y) [default: detected]
    #[arg(long, value_name = "FORMAT", help_heading = "Input format")]
    pub date_format: Option<String>,
    /// Amounts use a decimal comma (49,26) [default: detected]
    #[arg(long, conflicts_with = "decimal_point", help_heading = "Input format")]
    pub decimal_comma: bool,
    /// Amounts use a decimal point (49.26) [default: detected]
    #[arg(long, help_heading = "Input format")]
    pub decimal_point: bool,

    /// Skip rows that cannot be read instead of stopping (they are counted and reported)
    #[arg(long, help_heading = "Bad rows")]
    pub skip_bad_rows: bool,

    /// Config file: column mapping, input format, defection rules and value settings
    /// (see `churn rules`)
    #[arg(long, visible_alias = "rules", value_name = "FILE")]
    pub config: Option<PathBuf>,
}

impl ReadArgs {
    /// The purchases these flags describe (flags over the config file's `[columns]` and
    /// `[input]`, over detection), and the config file.
    pub fn resolve(&self, quiet: bool) -> Result<(Input, ConfigFile)> {
        let file = ConfigFile::load(self.config.as_deref())?;
        let given = &file.input;
        let decimal = if self.decimal_comma {
            Some(DecimalMark::Comma)
        } else if self.decimal_point {
            Some(DecimalMark::Point)
        } else {
            given.decimal
        };
        let input = Input {
            paths: self.paths.clone(),
            read: ReadOptions {
                charset: self.encoding.or(given.encoding.map(|e| e.0)),
                delimiter: self.delimiter.or(given.delimiter.map(|d| d.0)),
                columns: self.columns.names(&file),
                progress: !quiet,
                sheet: self.sheet.clone(),
            },
            values: ValueOptions {
                date_format: self
                    .date_format
                    .as_deref()
                    .or(given.date_format.as_deref())
                    .map(date::parse_format),
                decimal,
                skip_bad_rows: self.skip_bad_rows,
                keep: Vec::new(),
                daily: false,
            },
        };
        Ok((input, file))
    }
}

/// The purchases, and how the analysing commands treat them.
#[derive(Debug, Args)]
pub struct InputArgs {
    #[command(flatten)]
    pub read: ReadArgs,

    /// The currency of the amounts, as it should be shown (kr, €, USD) [default: none shown]
    #[arg(long, value_name = "TEXT", help_heading = "Input format")]
    pub currency: Option<String>,
    /// Write skipped rows, with line number and reason, to this CSV file
    #[arg(
        long,
        value_name = "FILE",
        requires = "skip_bad_rows",
        help_heading = "Bad rows"
    )]
    pub rejects: Option<PathBuf>,
    /// Drop exact duplicate lines (they are always counted)
    #[arg(long, help_heading = "Bad rows")]
    pub dedupe: bool,
    /// PURCHASES is the daily table of `churn sql` (CSV or Parquet): each row sums the
    /// raw lines its `lines` column counts, and the row accounting counts those lines
    #[arg(long, conflicts_with = "dedupe")]
    pub daily: bool,
    /// Analyse as of this date (yyyy-mm-dd), ignoring later rows [default: the last date in the data]
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<NaiveDate>,
}

/// A customer-feedback file and how to read its columns.
#[derive(Debug, Args)]
pub struct FeedbackArgs {
    /// Feedback CSV: customer id, date, and any of reason, comment, expected and
    /// perceived ratings (read like purchases: the same input format flags apply)
    #[arg(long, value_name = "FILE", help_heading = "Feedback")]
    pub feedback: Option<PathBuf>,
    /// Feedback column with the customer id
    #[arg(long, value_name = "NAME", help_heading = "Feedback")]
    pub feedback_customer_col: Option<String>,
    /// Feedback column with the date
    #[arg(long, value_name = "NAME", help_heading = "Feedback")]
    pub feedback_date_col: Option<String>,
    /// Feedback column with the reason (a code or a short text)
    #[arg(long, value_name = "NAME", help_heading = "Feedback")]
    pub reason_col: Option<String>,
    /// Feedback column with free-text comments
    #[arg(long, value_name = "NAME", help_heading = "Feedback")]
    pub comment_col: Option<String>,
    /// Feedback column with the expected quality (a rating, e.g. 1-5)
    #[arg(long, value_name = "NAME", help_heading = "Feedback")]
    pub expected_col: Option<String>,
    /// Feedback column with the perceived quality (same scale)
    #[arg(long, value_name = "NAME", help_heading = "Feedback")]
    pub perceived_col: Option<String>,
}

/// How future value is counted, for commands that show value figures.
#[derive(Debug, Args)]
pub struct ValueArgs {
    /// Yearly discount rate of future revenue [default: 0.10, or the config's value.discount]
    #[arg(long, value_name = "RATE", value_parser = parse_discount, help_heading = "Value")]
    pub discount: Option<f64>,
    /// Share of revenue that is profit; 1 counts value in revenue [default: 1, or the
    /// config's value.margin]
    #[arg(long, value_name = "SHARE", value_parser = parse_margin, help_heading = "Value")]
    pub margin: Option<f64>,
    /// Visit model: auto (chosen on the data: BG/NBD, or BG/CNBD-k or MBG/CNBD-k for
    /// customers who come back on a rhythm), bgnbd, bgcnbd or mbgcnbd [default: auto, or
    /// the config's value.model]
    #[arg(long, value_name = "MODEL", help_heading = "Value")]
    pub model: Option<crate::metrics::btyd::VisitModel>,
}

pub fn parse_discount(text: &str) -> Result<f64, String> {
    let rate = text
        .parse::<f64>()
        .map_err(|_| format!("\"{text}\" is not a number; write e.g. 0.10"))?;
    config::check_discount(rate).map(|()| rate)
}

pub fn parse_margin(text: &str) -> Result<f64, String> {
    let margin = text
        .parse::<f64>()
        .map_err(|_| format!("\"{text}\" is not a number; write e.g. 0.35"))?;
    config::check_margin(margin).map(|()| margin)
}

/// A defection rate threshold: a fraction from 0 to 1.
pub fn parse_rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(r) if (0.0..=1.0).contains(&r) => Ok(r),
        _ => Err(format!(
            "\"{text}\": a defection rate is a fraction from 0 to 1, e.g. 0.25"
        )),
    }
}

/// Resolves the flags of a command that reads purchases (and maybe feedback) into one
/// [`Config`]: flags over the config file over detection.
pub fn resolve(
    input: &InputArgs,
    feedback: Option<&FeedbackArgs>,
    value: Option<&ValueArgs>,
    quiet: bool,
) -> Result<Config> {
    let (mut purchases, file) = input.read.resolve(quiet)?;
    let feedback = feedback.and_then(|f| {
        let path = f.feedback.clone()?;
        let columns = ColumnNames {
            customer: f.feedback_customer_col.clone(),
            date: f.feedback_date_col.clone(),
            reason: f.reason_col.clone(),
            comment: f.comment_col.clone(),
            expected: f.expected_col.clone(),
            perceived: f.perceived_col.clone(),
            ..ColumnNames::default()
        };
        Some(Input {
            paths: vec![path],
            read: ReadOptions {
                columns: columns.or(&file.feedback_columns),
                progress: false,
                ..purchases.read.clone()
            },
            values: purchases.values.clone(),
        })
    });
    purchases.values.daily = input.daily;
    let value = ValueConfig {
        discount: value
            .and_then(|v| v.discount)
            .unwrap_or(file.value.discount),
        margin: value.and_then(|v| v.margin).unwrap_or(file.value.margin),
        model: value.and_then(|v| v.model).unwrap_or(file.value.model),
    };
    Ok(Config {
        purchases,
        feedback,
        as_of: input.as_of,
        dedupe: input.dedupe,
        rejects: input.rejects.clone(),
        rules: file.rule_config(),
        reasons: file.reasons.clone(),
        value,
        currency: input
            .currency
            .clone()
            .or_else(|| file.input.currency.clone())
            .filter(|c| !c.trim().is_empty()),
    })
}

/// Where and how to write the result.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Output format [default: table, or from the -o file's extension]
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write to this file (whole or not at all) instead of standard output
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// CSV: start with a byte-order mark, so Excel on Windows reads UTF-8 (Västerås)
    #[arg(long, help_heading = "CSV for spreadsheets")]
    pub bom: bool,
    /// CSV for European spreadsheets: ';' between fields and decimal commas (49,26)
    #[arg(long, help_heading = "CSV for spreadsheets")]
    pub european_csv: bool,
}

impl OutputArgs {
    /// The format (flag, else the `-o` file's extension, else `default`) and target,
    /// checked against the formats the command writes.
    pub fn resolve(&self, command: &str, default: Format, allowed: &[Format]) -> Result<Output> {
        resolve_output(
            command,
            self.format,
            self.output.clone(),
            default,
            allowed,
            CsvStyle {
                bom: self.bom,
                european: self.european_csv,
            },
        )
    }
}

/// Checks a command's output format and target: an `-o` extension that names no format
/// the command writes, or xlsx without a file, is a usage error.
pub fn resolve_output(
    command: &str,
    format: Option<Format>,
    path: Option<PathBuf>,
    default: Format,
    allowed: &[Format],
    csv: CsvStyle,
) -> Result<Output> {
    let file = path.as_deref().filter(|p| *p != std::path::Path::new("-"));
    let names = || {
        allowed
            .iter()
            .map(|f| f.name())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let format = match (format, file) {
        (Some(f), _) => f,
        (None, None) => default,
        (None, Some(p)) => match Format::from_path(p) {
            Some(f) => f,
            None if p.extension().is_none() || crate::report::is_special(p) => default,
            None => {
                return Err(UsageError(format!(
                    "{}: churn {command} cannot tell a format from this file name; it writes {} \
                     (name the file .{} or pass --format)",
                    p.display(),
                    names(),
                    allowed.first().map_or("csv", |f| f.extension())
                ))
                .into());
            }
        },
    };
    if !allowed.contains(&format) {
        let hint = if format == Format::Html {
            "; for an HTML page run churn report"
        } else {
            ""
        };
        return Err(UsageError(format!(
            "churn {command} does not write {}: it writes {}{hint}",
            format.name(),
            names()
        ))
        .into());
    }
    if format == Format::Xlsx && file.is_none() {
        return Err(UsageError(
            "--format xlsx writes a workbook: name the file with -o FILE.xlsx".into(),
        )
        .into());
    }
    Ok(Output { format, path, csv })
}
