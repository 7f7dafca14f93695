//! `churn contacts`: whom to call now. "When a customer stops buying, call them
//! immediately and ask why": at-risk and recently defected customers who have not given
//! feedback since their change began, highest value at stake first.

use std::collections::HashMap;

use anyhow::Result;
use clap::Args;
use serde::Serialize;

use crate::cli::{FeedbackArgs, InputArgs, OutputArgs};
use crate::metrics::clv::{self, Settings};
use crate::normalize::{Day, date::to_date};
use crate::report::{self, Format};
use crate::rules::{self, Status};

#[derive(Debug, Args)]
pub struct ContactsArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub feedback: FeedbackArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Columns of the purchases export to add to the list (their latest value), e.g.
    /// --keep-cols phone,email
    #[arg(long, value_delimiter = ',', value_name = "COLUMNS")]
    pub keep_cols: Vec<String>,
    /// Defected customers are listed while their change began at most this many days ago
    #[arg(long, default_value_t = 180, value_name = "DAYS")]
    pub recent_days: u32,
    /// Customers shown in table and Markdown output (CSV and JSON list everyone)
    #[arg(long, default_value_t = 50, value_name = "N")]
    pub limit: usize,
}

/// One customer to call.
#[derive(Clone, Debug, Serialize)]
pub struct Contact {
    pub customer_id: String,
    pub status: Status,
    pub rule: Option<rules::RuleId>,
    /// What changed, in words.
    pub evidence: String,
    pub change_since: Option<chrono::NaiveDate>,
    pub last_visit: chrono::NaiveDate,
    pub store: Option<String>,
    pub employee: Option<String>,
    /// Their expected revenue over the next year if they keep coming as before.
    pub value_at_stake: f64,
    /// Latest values of the `--keep-cols` columns, in their order.
    pub kept: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ContactsReport {
    pub schema_version: u32,
    pub source: String,
    pub as_of: chrono::NaiveDate,
    pub recent_days: u32,
    pub kept_columns: Vec<String>,
    /// Flagged customers left out because they already gave feedback since their change.
    pub already_heard: u64,
    pub contacts: Vec<Contact>,
}

pub fn run(args: &ContactsArgs) -> Result<()> {
    let loaded = super::load_purchases_keeping(&args.input, &args.keep_cols)?;
    let (purchases, as_of, config) = (&loaded.purchases, loaded.as_of, &loaded.config);
    // Who has already told us something since their change began.
    let mut heard: HashMap<String, Vec<Day>> = HashMap::new();
    if let Some(path) = &args.feedback.feedback {
        let feedback =
            super::reasons::load_feedback(path, &args.feedback, config, args.input.skip_bad_rows)?;
        for e in feedback.entries {
            heard.entry(e.customer).or_default().push(e.day);
        }
    }
    // The value at stake: a year of their custom, undiscounted.
    let settings = Settings {
        horizon_days: clv::DAYS_PER_YEAR,
        annual_discount: 0.0,
        margin: 1.0,
    };
    let super::Valued {
        customers: both,
        fitted,
    } = super::judge_and_value(&loaded, args.input.dedupe, settings.horizon_days)?;
    let (contacts, already_heard) = select(
        purchases,
        as_of,
        both.iter().map(|(v, c)| (v, c.as_ref())),
        Some(&fitted),
        &heard,
        args.recent_days,
        &settings,
    );
    let report = ContactsReport {
        schema_version: report::SCHEMA_VERSION,
        source: purchases.source.clone(),
        as_of: to_date(as_of),
        recent_days: args.recent_days,
        kept_columns: purchases.kept.names.clone(),
        already_heard,
        contacts,
    };
    let format = args.output.format();
    args.output.write(format, |w| match format {
        Format::Table => report::contacts::table(&report, args.limit, w),
        Format::Csv | Format::Xlsx => report::contacts::csv(&report, w),
        Format::Json => report::json::write(&report, w),
        Format::Markdown => report::contacts::markdown(&report, args.limit, w),
    })
}

/// The customers to call, highest value at stake first: at-risk customers, and defected
/// ones whose change began at most `recent_days` before `as_of`, who have not given
/// feedback (`heard`: feedback days by customer id) since their change began. Returns
/// them and how many flagged customers were left out because they had been heard.
pub fn select<'a>(
    purchases: &crate::normalize::Purchases,
    as_of: Day,
    customers: impl Iterator<Item = (&'a rules::Verdict, Option<&'a clv::CustomerInput>)>,
    fitted: Option<&clv::Fitted>,
    heard: &HashMap<String, Vec<Day>>,
    recent_days: u32,
    settings: &Settings,
) -> (Vec<Contact>, u64) {
    let name = |dict: &Option<crate::normalize::Dictionary>, code: Option<u32>| {
        dict.as_ref().zip(code).map(|(d, c)| d.name(c).to_string())
    };
    let mut contacts = Vec::new();
    let mut already_heard = 0;
    for (verdict, input) in customers {
        let j = &verdict.judgement;
        let since = j
            .findings
            .iter()
            .find(|f| Some(f.rule) == j.rule)
            .and_then(|f| f.since);
        let wanted = match j.status {
            Status::AtRisk => true,
            Status::Defected => since.is_some_and(|s| as_of - s <= recent_days as Day),
            Status::Active => false,
        };
        if !wanted {
            continue;
        }
        let id = purchases.customers.name(verdict.customer).to_string();
        let spoke = heard.get(&id).is_some_and(|days| {
            days.iter()
                .any(|&d| d <= as_of && since.is_none_or(|s| d >= s))
        });
        if spoke {
            already_heard += 1;
            continue;
        }
        let value_at_stake = input
            .zip(fitted)
            .and_then(|(c, f)| f.value(c, settings).ok())
            .map_or(0.0, |v| v.value_if_retained);
        contacts.push(Contact {
            kept: purchases
                .kept
                .values
                .get(&verdict.customer)
                .cloned()
                .unwrap_or_else(|| vec![String::new(); purchases.kept.names.len()]),
            customer_id: id,
            status: j.status,
            rule: j.rule,
            evidence: j.evidence.clone(),
            change_since: since.map(to_date),
            last_visit: to_date(j.figures.last_visit),
            store: name(&purchases.stores, verdict.main_store),
            employee: name(&purchases.employees, verdict.main_employee),
            value_at_stake,
        });
    }
    contacts.sort_by(|a, b| {
        b.value_at_stake
            .total_cmp(&a.value_at_stake)
            .then(a.customer_id.cmp(&b.customer_id))
    });
    (contacts, already_heard)
}
