//! `churn sql`: print the query that sums raw purchase lines into the daily table,
//! for an engine that holds more lines than one machine should read.

use std::path::PathBuf;

use anyhow::Result;
use chrono::NaiveDate;
use clap::{Args, ValueEnum};

use crate::cli::ColumnArgs;
use crate::config::ConfigFile;
use crate::load::Role;
use crate::report;
use crate::sql::{self, DailyQuery, Dialect};

#[derive(Debug, Args)]
#[command(
    after_help = "Run the query where the lines live and export its result as CSV, then \
`churn scan --daily daily.csv` with the same column flags or config: the same statuses, rates and \
values as from the lines themselves. With DuckDB:\n  \
churn sql --dialect duckdb --table \"'purchases.parquet'\" > daily.sql\n  \
duckdb -c \"COPY ($(cat daily.sql)) TO 'daily.csv' (HEADER)\"\n  \
churn scan --daily daily.csv"
)]
pub struct SqlArgs {
    /// The SQL engine that will run the query
    #[arg(long, value_enum, value_name = "ENGINE")]
    pub dialect: Dialect,
    /// The table (or view) of purchase lines: a name, optionally qualified
    /// (schema.table, project.dataset.table), or the engine's own SQL when quoted,
    /// e.g. DuckDB's 'purchases.csv'
    #[arg(long, value_name = "NAME")]
    pub table: String,

    #[command(flatten)]
    pub columns: ColumnArgs,
    /// Optional columns the table does not have
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        value_name = "COLUMNS",
        help_heading = "Columns"
    )]
    pub without: Vec<Optional>,

    /// Drop exact duplicate lines (every column equal), as `churn scan --dedupe` does
    #[arg(long)]
    pub dedupe: bool,
    /// Leave out lines after this date (yyyy-mm-dd) [default: none]
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<NaiveDate>,
    /// Config file: its [columns] table names the columns (flags win)
    #[arg(long, visible_alias = "rules", value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// A column the purchase table may lack.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Optional {
    Store,
    Employee,
    Category,
}

pub fn run(args: &SqlArgs) -> Result<()> {
    let file = ConfigFile::load(args.config.as_deref())?;
    let query = sql::daily_query(&DailyQuery {
        dialect: args.dialect,
        table: args.table.clone(),
        columns: args.columns.names(&file),
        without: args
            .without
            .iter()
            .map(|o| match o {
                Optional::Store => Role::Store,
                Optional::Employee => Role::Employee,
                Optional::Category => Role::Category,
            })
            .collect(),
        as_of: args.as_of,
        dedupe: args.dedupe,
    })?;
    report::write_output(None, |w| writeln!(w, "{query}"))
}
