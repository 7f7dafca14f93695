//! One file per subcommand: its arguments and its `run`, glue only (load, compute,
//! render).

pub mod backtest;
pub mod clv;
pub mod completions;
pub mod contacts;
pub mod rate;
pub mod reasons;
pub mod report;
pub mod rules;
pub mod sample;
pub mod scan;

use anyhow::{Context, Result};

use crate::cli::InputArgs;
use crate::config::Config;
use crate::load::{self, Role};
use crate::normalize::{self, Day, Purchases, date::to_day};

/// Purchases loaded as the input flags say, with the as-of date they are judged at.
pub struct Loaded {
    pub purchases: Purchases,
    /// `--as-of`, or the last date in the data.
    pub as_of: Day,
    pub config: Config,
    /// The input's header row, as written.
    pub headers: Vec<String>,
}

/// Loads and normalizes the purchases of `input`, writing the rejects file if asked.
pub fn load_purchases(input: &InputArgs) -> Result<Loaded> {
    load_purchases_keeping(input, &[])
}

/// [`load_purchases`], keeping the latest value of the `keep` columns per customer.
pub fn load_purchases_keeping(input: &InputArgs, keep: &[String]) -> Result<Loaded> {
    let mut settings = input.resolve()?;
    settings.values.keep = keep.to_vec();
    let table = load::open_table(&input.path, &settings.read, &Role::PURCHASE)?;
    let headers = table.headers.clone();
    let purchases = normalize::normalize_purchases(table, &settings.values)?;
    if let Some(path) = &input.rejects {
        crate::report::write_output(Some(path), |w| {
            crate::report::csv::rejects(&headers, &purchases.rows.skipped, w)
        })
        .with_context(|| format!("{}: cannot write the rejects file", path.display()))?;
    }
    let as_of = match input.as_of {
        Some(d) => to_day(d),
        None => purchases
            .last_day
            .with_context(|| format!("{}: no row has a date", purchases.source))?,
    };
    Ok(Loaded {
        purchases,
        as_of,
        config: settings.config,
        headers,
    })
}

/// Every customer judged, with their lifetime-value inputs, and the value model fitted.
pub struct Valued {
    pub customers: Vec<(
        crate::rules::Verdict,
        Option<crate::metrics::clv::CustomerInput>,
    )>,
    pub fitted: crate::metrics::clv::Fitted,
}

/// Judges every customer of `loaded` and fits the value model, for commands that rank
/// customers or reasons by value (`horizon_days` sets the seasonal inputs' horizon).
pub fn judge_and_value(loaded: &Loaded, dedupe: bool, horizon_days: f64) -> Result<Valued> {
    use crate::metrics::clv;
    let Loaded {
        purchases,
        as_of,
        config,
        ..
    } = loaded;
    let as_of = *as_of;
    let (customers, _) = crate::rules::apply_rules_with(
        purchases,
        as_of,
        crate::metrics::summary::period_start(as_of),
        dedupe,
        &config.rule_config(),
        |h, j| clv::customer_input(h, as_of, j, horizon_days),
    );
    let inputs: Vec<_> = customers.iter().filter_map(|(_, c)| c.clone()).collect();
    let fitted = clv::fit(&inputs).map_err(|e| {
        anyhow::anyhow!(
            "{}: cannot fit the lifetime-value model: {e}",
            purchases.source
        )
    })?;
    Ok(Valued { customers, fitted })
}
