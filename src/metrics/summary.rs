//! The scan summary: what happened to the rows, how many customers are active, at risk
//! or defected, the defection rate and the revenue behind it.

use chrono::NaiveDate;
use serde::Serialize;

use crate::history::GroupCounts;
use crate::normalize::RowCounts;
use crate::normalize::date::to_date;
use crate::rules::{RuleId, Status, Verdict};
use crate::stats::wilson;

/// Every row of the input, accounted for:
/// `read = used + anonymous + duplicates_dropped + skipped + after_as_of`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RowSummary {
    pub read: u64,
    pub used: u64,
    /// Rows without a customer id (no card): not part of customer analysis.
    pub anonymous: u64,
    /// Exact duplicate lines found (kept unless `--dedupe`).
    pub duplicates: u64,
    pub duplicates_dropped: u64,
    /// Bad rows skipped with `--skip-bad-rows`, and rows with an empty date.
    pub skipped: u64,
    pub after_as_of: u64,
    /// Refund lines (negative amounts): used, they reduce spend and are not visits.
    pub refund_lines: u64,
    /// Why rows were skipped, most common first.
    pub skipped_reasons: Vec<ReasonCount>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReasonCount {
    pub reason: String,
    pub rows: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StatusCount {
    pub status: Status,
    pub customers: u64,
    pub share: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RuleCount {
    pub rule: RuleId,
    pub customers: u64,
}

/// The defection rate: of the customers active (not defected) at the start of the
/// period, the share that had defected by its end, both judged by the same rules.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DefectionRate {
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    /// Customers active or at risk at the start.
    pub customers: u64,
    pub defected: u64,
    pub rate: f64,
    /// 95% Wilson score interval.
    pub low: f64,
    pub high: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    pub source: String,
    pub as_of: NaiveDate,
    pub rows: RowSummary,
    pub customers: u64,
    pub statuses: Vec<StatusCount>,
    /// Flagged customers by the rule that decided their status.
    pub rules: Vec<RuleCount>,
    /// None when no customer was active at the start of the period.
    pub defection_rate: Option<DefectionRate>,
    /// Last-12-month net revenue of all customers.
    pub revenue_12m: f64,
    /// Last-12-month net revenue of defected customers: revenue lost per year.
    pub revenue_lost_12m: f64,
    /// Last-12-month net revenue of at-risk customers: revenue at risk per year.
    pub revenue_at_risk_12m: f64,
    /// Lifetime-value headline figures (see `churn clv`), or why they are missing.
    pub value: ValueSummary,
}

/// The lifetime-value figures of the scan summary.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ValueSummary {
    pub headline: Option<crate::metrics::clv::Headline>,
    /// Why there are no figures (e.g. the model could not be fitted).
    pub unavailable: Option<String>,
}

impl ValueSummary {
    /// The headline figures from a fitted model, or why there are none: a model that
    /// cannot be fitted says so instead of failing the command.
    pub fn new(
        fitted: Result<&crate::metrics::clv::Fitted, &crate::metrics::btyd::ClvError>,
        inputs: &[crate::metrics::clv::CustomerInput],
        settings: &crate::metrics::clv::Settings,
    ) -> ValueSummary {
        match fitted
            .map_err(|e| e.to_string())
            .and_then(|f| f.headline(inputs, settings).map_err(|e| e.to_string()))
        {
            Ok(headline) => ValueSummary {
                headline: Some(headline),
                unavailable: None,
            },
            Err(e) => ValueSummary {
                headline: None,
                unavailable: Some(format!("the lifetime-value model could not be fitted: {e}")),
            },
        }
    }
}

impl Summary {
    pub fn count(&self, status: Status) -> u64 {
        self.statuses
            .iter()
            .find(|s| s.status == status)
            .map_or(0, |s| s.customers)
    }
}

/// Sums up a scan.
pub fn summarize(
    source: &str,
    as_of: NaiveDate,
    period_start: NaiveDate,
    rows: &RowCounts,
    grouped: &GroupCounts,
    verdicts: &[Verdict],
    value: ValueSummary,
) -> Summary {
    let mut reasons: Vec<ReasonCount> = Vec::new();
    for r in &rows.skipped {
        // Group by the kind of problem, not the value: `column "amount": "x" is not...`
        let kind = reason_kind(&r.reason);
        match reasons.iter_mut().find(|c| c.reason == kind) {
            Some(c) => c.rows += 1,
            None => reasons.push(ReasonCount {
                reason: kind,
                rows: 1,
            }),
        }
    }
    reasons.sort_by(|a, b| b.rows.cmp(&a.rows).then(a.reason.cmp(&b.reason)));
    let duplicates_dropped = if grouped.duplicates_dropped {
        grouped.duplicates
    } else {
        0
    };
    let row_summary = RowSummary {
        read: rows.read,
        used: grouped.used,
        anonymous: rows.anonymous,
        duplicates: grouped.duplicates,
        duplicates_dropped,
        skipped: rows.skipped.len() as u64,
        after_as_of: grouped.after_as_of,
        refund_lines: grouped.refund_lines,
        skipped_reasons: reasons,
    };

    let customers = verdicts.len() as u64;
    let statuses = Status::ALL
        .iter()
        .map(|&status| {
            let n = verdicts
                .iter()
                .filter(|v| v.judgement.status == status)
                .count() as u64;
            StatusCount {
                status,
                customers: n,
                share: if customers == 0 {
                    0.0
                } else {
                    n as f64 / customers as f64
                },
            }
        })
        .collect();
    let rules = RuleId::ALL
        .iter()
        .map(|&rule| RuleCount {
            rule,
            customers: verdicts
                .iter()
                .filter(|v| v.judgement.rule == Some(rule))
                .count() as u64,
        })
        .filter(|r| r.customers > 0)
        .collect();

    let at_start: Vec<&Verdict> = verdicts
        .iter()
        .filter(|v| v.status_at_start.is_some_and(|s| s != Status::Defected))
        .collect();
    let defected = at_start
        .iter()
        .filter(|v| v.judgement.status == Status::Defected)
        .count() as u64;
    let base = at_start.len() as u64;
    let defection_rate = (base > 0).then(|| {
        let (low, high) = wilson(defected, base, 1.959_964);
        DefectionRate {
            period_start,
            period_end: as_of,
            customers: base,
            defected,
            rate: defected as f64 / base as f64,
            low,
            high,
        }
    });
    let revenue_of = |status: Status| -> f64 {
        verdicts
            .iter()
            .filter(|v| v.judgement.status == status)
            .map(|v| v.judgement.figures.revenue_12m)
            .sum::<f64>()
            + 0.0
    };
    Summary {
        source: source.to_string(),
        as_of,
        rows: row_summary,
        customers,
        statuses,
        rules,
        defection_rate,
        revenue_12m: verdicts
            .iter()
            .map(|v| v.judgement.figures.revenue_12m)
            .sum::<f64>()
            + 0.0,
        revenue_lost_12m: revenue_of(Status::Defected),
        revenue_at_risk_12m: revenue_of(Status::AtRisk),
        value,
    }
}

/// `column "amount": "12,5x" is not a number` → `column "amount": not a number`.
fn reason_kind(reason: &str) -> String {
    let mut out = String::new();
    let mut in_quote = false;
    let mut quotes = 0;
    for ch in reason.chars() {
        if ch == '"' {
            quotes += 1;
            // keep the column name (first quoted part), drop the value (second)
            if quotes == 3 {
                in_quote = true;
                continue;
            }
            if quotes == 4 {
                in_quote = false;
                out.push_str("value");
                continue;
            }
        }
        if !in_quote {
            out.push(ch);
        }
    }
    out
}

/// The first day of the period that ends on `as_of`: the same date a year earlier.
pub fn period_start(as_of: crate::normalize::Day) -> crate::normalize::Day {
    crate::rules::seasonal::year_before(as_of)
}

/// Shorthand for tests and reports.
pub fn date(day: crate::normalize::Day) -> NaiveDate {
    to_date(day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_grouped_by_kind() {
        assert_eq!(
            reason_kind("column \"amount\": \"12,5x\" is not a number"),
            "column \"amount\": value is not a number"
        );
        assert_eq!(
            reason_kind("expected 6 fields as in the header, found 7"),
            "expected 6 fields as in the header, found 7"
        );
    }
}
