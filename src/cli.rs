//! Command-line arguments (clap derive). Flags shared by commands live here; each
//! command's own arguments live with its `run` in `cmd/`.

use std::path::PathBuf;

use anyhow::{Result, bail};
use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand};

use crate::cmd;
use crate::config::Config;
use crate::load::{Charset, ColumnNames, ReadOptions};
use crate::normalize::{DecimalMark, ValueOptions, date};

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
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Judge every customer: active, at risk or defected, why, and what it costs
    Scan(Box<cmd::scan::ScanArgs>),
    /// Defection rate over time and by store, employee, category, cohort or segment
    Rate(Box<cmd::rate::RateArgs>),
    /// Lifetime value: what each customer is worth, historically and over a horizon
    Clv(Box<cmd::clv::ClvArgs>),
    /// Check the value forecasts on your own data: calibrate to --as-of, compare with what happened
    Backtest(Box<cmd::backtest::BacktestArgs>),
    /// Why defectors leave: feedback reasons ranked by the value lost
    Reasons(Box<cmd::reasons::ReasonsArgs>),
    /// Whom to call now: at-risk and recently defected customers not yet heard from
    Contacts(Box<cmd::contacts::ContactsArgs>),
    /// The monthly report: HTML with charts, Markdown, JSON or xlsx (from -o's extension)
    Report(Box<cmd::report::ReportArgs>),
    /// Print the effective defection rules as TOML (`churn rules > churn.toml`)
    Rules(cmd::rules::RulesArgs),
    /// Generate a synthetic purchase log with planted behaviours, and its truth
    Sample(cmd::sample::SampleArgs),
    /// Print a shell completion script: churn completions bash > /etc/bash_completion.d/churn
    Completions(cmd::completions::CompletionsArgs),
    /// Print the manual page (roff): churn man > churn.1
    Man(cmd::completions::ManArgs),
}

/// Where the purchases are and how they are written. Every detection can be overridden.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Purchases CSV (`-` reads standard input; .gz is decompressed)
    #[arg(value_name = "PURCHASES")]
    pub path: PathBuf,

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

    /// Field separator: , ; tab or | [default: detected]
    #[arg(long, value_name = "CHAR", help_heading = "Input format")]
    pub delimiter: Option<String>,
    /// Text encoding: utf-8, utf-16le, utf-16be, windows-1252 [default: detected]
    #[arg(long, value_name = "NAME", help_heading = "Input format")]
    pub encoding: Option<String>,
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

    /// Config file: column mapping, input format and defection rules (see `churn rules`)
    #[arg(long, visible_alias = "rules", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Analyse as of this date (yyyy-mm-dd), ignoring later rows [default: the last date in the data]
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<NaiveDate>,
}

/// Validated input settings: flags over the config file over detection.
pub struct InputSettings {
    pub read: ReadOptions,
    pub values: ValueOptions,
    pub config: Config,
}

impl InputArgs {
    pub fn resolve(&self) -> Result<InputSettings> {
        let config = Config::load(self.config.as_deref())?;
        let input = &config.input;
        let delimiter = match self.delimiter.as_deref().or(input.delimiter.as_deref()) {
            None => None,
            Some(d) => Some(parse_delimiter(d)?),
        };
        let charset = match self.encoding.as_deref().or(input.encoding.as_deref()) {
            None => None,
            Some(name) => Some(Charset::parse(name).ok_or_else(|| {
                anyhow::anyhow!(
                    "unknown encoding \"{name}\": use utf-8, utf-16le, utf-16be or windows-1252"
                )
            })?),
        };
        let date_format = self
            .date_format
            .as_deref()
            .or(input.date_format.as_deref())
            .map(date::parse_format);
        let decimal = if self.decimal_comma {
            Some(DecimalMark::Comma)
        } else if self.decimal_point {
            Some(DecimalMark::Point)
        } else {
            match input.decimal.as_deref() {
                None => None,
                Some("comma") => Some(DecimalMark::Comma),
                Some("point") => Some(DecimalMark::Point),
                Some(other) => {
                    bail!("input.decimal must be \"point\" or \"comma\", got \"{other}\"")
                }
            }
        };
        let flags = ColumnNames {
            customer: self.customer_col.clone(),
            date: self.date_col.clone(),
            amount: self.amount_col.clone(),
            store: self.store_col.clone(),
            employee: self.employee_col.clone(),
            category: self.category_col.clone(),
            ..ColumnNames::default()
        };
        Ok(InputSettings {
            read: ReadOptions {
                charset,
                delimiter,
                columns: flags.or(&config.columns),
                progress: true,
            },
            values: ValueOptions {
                date_format,
                decimal,
                skip_bad_rows: self.skip_bad_rows,
                keep: Vec::new(),
            },
            config,
        })
    }
}

/// A customer-feedback file and how to read its columns.
#[derive(Debug, Args)]
pub struct FeedbackArgs {
    /// Feedback CSV: customer id, date, and any of reason, comment, expected and
    /// perceived ratings (read like purchases: any dialect, encoding, header language)
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

impl FeedbackArgs {
    /// Explicit feedback column names: flags over the config's `[feedback_columns]`.
    pub fn columns(&self, config: &Config) -> ColumnNames {
        ColumnNames {
            customer: self.feedback_customer_col.clone(),
            date: self.feedback_date_col.clone(),
            reason: self.reason_col.clone(),
            comment: self.comment_col.clone(),
            expected: self.expected_col.clone(),
            perceived: self.perceived_col.clone(),
            ..ColumnNames::default()
        }
        .or(&config.feedback_columns)
    }
}

fn parse_delimiter(d: &str) -> Result<u8> {
    Ok(match d {
        "tab" | "\\t" | "\t" => b'\t',
        "," | "comma" => b',',
        ";" | "semicolon" => b';',
        "|" | "pipe" => b'|',
        s if s.len() == 1 && s.is_ascii() => s.as_bytes()[0],
        other => bail!("--delimiter must be one character (, ; | or tab), got \"{other}\""),
    })
}

/// Where and how to write the result.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Output format [default: table, or from the -o file's extension]
    #[arg(long, value_enum)]
    pub format: Option<crate::report::Format>,
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
    /// Writes the result in `format` (see [`crate::report::write_output`]), applying the
    /// spreadsheet options to CSV.
    pub fn write(
        &self,
        format: crate::report::Format,
        render: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
    ) -> Result<()> {
        if format == crate::report::Format::Xlsx {
            // Renderers give xlsx their CSV; the workbook is binary, so it needs a file.
            let Some(path) = self
                .output
                .as_deref()
                .filter(|p| *p != std::path::Path::new("-"))
            else {
                bail!("--format xlsx writes a workbook: name the file with -o FILE.xlsx");
            };
            let mut plain = Vec::new();
            render(&mut plain)?;
            let sheet = path
                .file_stem()
                .and_then(|s| s.to_str())
                .map(|s| {
                    s.chars()
                        .filter(|c| !"[]:*?/\\".contains(*c))
                        .take(31)
                        .collect::<String>()
                })
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "churn".to_string());
            let book = crate::report::xlsx::from_csv(&plain, &sheet)?;
            return crate::report::write_output(Some(path), |w| w.write_all(&book));
        }
        let style = crate::report::CsvStyle {
            bom: self.bom,
            european: self.european_csv,
        };
        if format != crate::report::Format::Csv || style == crate::report::CsvStyle::default() {
            return crate::report::write_output(self.output.as_deref(), render);
        }
        let mut plain = Vec::new();
        render(&mut plain)?;
        let styled = crate::report::restyle_csv(&plain, style)?;
        crate::report::write_output(self.output.as_deref(), |w| w.write_all(&styled))
    }

    pub fn format(&self) -> crate::report::Format {
        self.format
            .or_else(|| {
                self.output
                    .as_deref()
                    .and_then(crate::report::Format::from_path)
            })
            .unwrap_or(crate::report::Format::Table)
    }
}
