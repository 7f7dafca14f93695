//! `churn scan`: judge every customer of a purchase export.

use anyhow::Result;
use clap::Args;

use crate::cli::{FeedbackArgs, InputArgs, OutputArgs};
use crate::metrics::clv;
use crate::metrics::reasons::ReasonNames;
use crate::metrics::summary::{self, period_start};
use crate::report::scan::LatestFeedback;
use crate::report::{self, Format, ScanReport};
use crate::rules;

#[derive(Debug, Args)]
pub struct ScanArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub feedback: FeedbackArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Flagged customers shown in table and Markdown output
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub limit: usize,
    /// Exit with code 3 (after writing the output) when the annual defection rate is
    /// above this fraction, e.g. 0.25: an alert for cron jobs
    #[arg(long, value_name = "RATE", value_parser = parse_rate)]
    pub fail_above: Option<f64>,
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

pub fn run(args: &ScanArgs) -> Result<crate::Outcome> {
    let super::Loaded {
        purchases,
        as_of,
        config,
        ..
    } = super::load_purchases(&args.input)?;
    let start = period_start(as_of);
    let rule_config = config.rule_config();
    let value_settings = clv::Settings {
        horizon_days: 10.0 * clv::DAYS_PER_YEAR,
        annual_discount: 0.10,
        margin: 1.0,
    };
    // The value figures are a bonus on top of the scan: a model that cannot be fitted
    // says so in the summary instead of failing the scan. CSV has no summary, so it
    // does not pay for them.
    let format = args.output.format();
    let with_value = format != Format::Csv;
    let (both, grouped) = rules::apply_rules_with(
        &purchases,
        as_of,
        start,
        args.input.dedupe,
        &rule_config,
        |h, j| {
            with_value
                .then(|| clv::customer_input(h, as_of, j, value_settings.horizon_days))
                .flatten()
        },
    );
    let (verdicts, inputs): (Vec<_>, Vec<_>) = both.into_iter().unzip();
    let inputs: Vec<_> = inputs.into_iter().flatten().collect();
    let value = if !with_value {
        summary::ValueSummary::default()
    } else {
        summary::ValueSummary::new(clv::fit(&inputs).as_ref(), &inputs, &value_settings)
    };
    let summary = summary::summarize(
        &purchases.source,
        summary::date(as_of),
        summary::date(start),
        &purchases.rows,
        &grouped,
        &verdicts,
        value,
    );
    let mut report = ScanReport::new(summary, &purchases, &verdicts);
    if let Some(path) = &args.feedback.feedback {
        let feedback =
            super::reasons::load_feedback(path, &args.feedback, &config, args.input.skip_bad_rows)?;
        report.attach_feedback(&latest_feedback(&feedback, &config, as_of));
    }
    args.output.write(format, |w| match format {
        Format::Table => report::table::scan(&report, args.limit, w),
        Format::Csv | Format::Xlsx => report::csv::scan(&report, w),
        Format::Json => report::json::scan(&report, w),
        Format::Markdown => report::markdown::scan(&report, args.limit, w),
    })?;
    Ok(alert(
        report.summary.defection_rate.as_ref().map(|d| d.rate),
        args.fail_above,
    ))
}

/// [`crate::Outcome::Alert`] when the rate is above the threshold, saying so on stderr.
pub fn alert(rate: Option<f64>, threshold: Option<f64>) -> crate::Outcome {
    match (rate, threshold) {
        (Some(rate), Some(limit)) if rate > limit => {
            eprintln!(
                "churn: alert: the defection rate {:.1}% is above --fail-above {:.1}%",
                rate * 100.0,
                limit * 100.0
            );
            crate::Outcome::Alert
        }
        _ => crate::Outcome::Done,
    }
}

/// Each customer's latest feedback on or before the as-of date.
fn latest_feedback(
    feedback: &crate::normalize::feedback::Feedback,
    config: &crate::config::Config,
    as_of: crate::normalize::Day,
) -> std::collections::HashMap<String, LatestFeedback> {
    let names = ReasonNames::new(&config.reasons);
    let mut latest: std::collections::HashMap<String, (crate::normalize::Day, &str, Option<&str>)> =
        std::collections::HashMap::new();
    for e in feedback.entries.iter().filter(|e| e.day <= as_of) {
        let slot = latest
            .entry(e.customer.clone())
            .or_insert((e.day, "", None));
        // Later wins; on the same day, the later line of the file.
        if e.day >= slot.0 {
            *slot = (e.day, e.customer.as_str(), e.reason.as_deref());
        }
    }
    latest
        .into_iter()
        .map(|(id, (day, _, reason))| {
            (
                id,
                LatestFeedback {
                    reason: names.display(reason),
                    date: crate::normalize::date::to_date(day),
                },
            )
        })
        .collect()
}
