//! `churn scan`: judge every customer of a purchase export.

use anyhow::{Context, Result};
use clap::Args;

use crate::cli::{InputArgs, OutputArgs};
use crate::load::{self, Role};
use crate::metrics::summary::{self, period_start};
use crate::normalize::{self, date::to_day};
use crate::report::{self, Format, ScanReport};
use crate::rules;

#[derive(Debug, Args)]
pub struct ScanArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Flagged customers shown in table and Markdown output
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub limit: usize,
}

pub fn run(args: &ScanArgs) -> Result<()> {
    let settings = args.input.resolve()?;
    let table = load::open_table(&args.input.path, &settings.read, &Role::PURCHASE)?;
    let headers = table.headers.clone();
    let purchases = normalize::normalize_purchases(table, &settings.values)?;
    if let Some(path) = &args.input.rejects {
        report::write_output(Some(path), |w| {
            report::csv::rejects(&headers, &purchases.rows.skipped, w)
        })
        .with_context(|| format!("{}: cannot write the rejects file", path.display()))?;
    }
    let as_of = match args.input.as_of {
        Some(d) => to_day(d),
        None => purchases
            .last_day
            .with_context(|| format!("{}: no row has a date", purchases.source))?,
    };
    let start = period_start(as_of);
    let rule_config = settings.config.rule_config();
    let (verdicts, grouped) =
        rules::apply_rules(&purchases, as_of, start, args.input.dedupe, &rule_config);
    let summary = summary::summarize(
        &purchases.source,
        summary::date(as_of),
        summary::date(start),
        &purchases.rows,
        &grouped,
        &verdicts,
    );
    let report = ScanReport::new(summary, &purchases, &verdicts);
    let format = args.output.format();
    report::write_output(args.output.output.as_deref(), |w| match format {
        Format::Table => report::table::scan(&report, args.limit, w),
        Format::Csv => report::csv::scan(&report, w),
        Format::Json => report::json::scan(&report, w),
        Format::Markdown => report::markdown::scan(&report, args.limit, w),
    })
}
