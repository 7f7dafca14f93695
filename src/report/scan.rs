//! The result of `churn scan`: the summary and one row per customer.

use std::io::{self, Write};

use chrono::NaiveDate;
use serde::Serialize;

use crate::metrics::Summary;
use crate::normalize::Purchases;
use crate::normalize::date::to_date;
use crate::rules::{RuleId, Status, Verdict};

/// One customer's status, why, and the figures behind it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CustomerRow {
    pub customer_id: String,
    pub status: Status,
    pub rule: Option<RuleId>,
    pub evidence: String,
    pub store: Option<String>,
    pub employee: Option<String>,
    pub category: Option<String>,
    pub first_visit: NaiveDate,
    pub last_visit: NaiveDate,
    pub visits: u32,
    pub revenue: f64,
    pub revenue_12m: f64,
    pub baseline_visits_per_month: Option<f64>,
    pub recent_visits_per_month: Option<f64>,
    pub baseline_spend_per_visit: Option<f64>,
    pub recent_spend_per_visit: Option<f64>,
    pub usual_gap_days: Option<f64>,
    pub days_since_last_visit: i32,
    /// When the change behind the status began, as far as the rule can tell.
    pub change_since: Option<NaiveDate>,
    /// The value model's probability that they are still a customer.
    pub p_alive: Option<f64>,
    /// ...and that they make no visit in the next 30 days.
    pub p_no_visit: Option<f64>,
    /// When their next visit is due, by their own rhythm, if they are still a customer.
    pub next_visit: Option<NaiveDate>,
    /// When an expected visit passed without them.
    pub overdue_since: Option<NaiveDate>,
    /// Their latest feedback (with `--feedback`): reason and date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub feedback: Option<LatestFeedback>,
}

/// A customer's latest feedback.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LatestFeedback {
    pub reason: String,
    pub date: NaiveDate,
}

/// Everything `churn scan` reports.
#[derive(Clone, Debug, Serialize)]
pub struct ScanReport {
    pub schema_version: u32,
    pub summary: Summary,
    pub customers: Vec<CustomerRow>,
    #[serde(skip)]
    pub has_store: bool,
    #[serde(skip)]
    pub has_employee: bool,
    #[serde(skip)]
    pub has_category: bool,
    #[serde(skip)]
    pub has_feedback: bool,
}

/// The version of the JSON output's shape; bumped when a field changes meaning or goes.
pub const SCHEMA_VERSION: u32 = 2;

impl ScanReport {
    /// Rows sorted by status (defected, at risk, active), then yearly value at stake
    /// (highest first), then customer id.
    /// `outlooks` are the value model's, per verdict (empty without one).
    pub fn new(
        summary: Summary,
        purchases: &Purchases,
        verdicts: &[Verdict],
        outlooks: &[Option<crate::metrics::clv::Outlook>],
    ) -> ScanReport {
        let name = |dict: &Option<crate::normalize::Dictionary>, code: Option<u32>| {
            dict.as_ref().zip(code).map(|(d, c)| d.name(c).to_string())
        };
        let mut customers: Vec<CustomerRow> = verdicts
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let j = &v.judgement;
                let f = &j.figures;
                let value = outlooks.get(i).and_then(Option::as_ref);
                CustomerRow {
                    customer_id: purchases.customers.name(v.customer).to_string(),
                    status: j.status,
                    rule: j.rule,
                    evidence: j.evidence.clone(),
                    store: name(&purchases.stores, v.main_store),
                    employee: name(&purchases.employees, v.main_employee),
                    category: name(&purchases.categories, v.main_category),
                    first_visit: to_date(f.first_visit),
                    last_visit: to_date(f.last_visit),
                    visits: f.visits,
                    revenue: f.revenue,
                    revenue_12m: f.revenue_12m,
                    baseline_visits_per_month: f.baseline_visits_per_month,
                    recent_visits_per_month: f.recent_visits_per_month,
                    baseline_spend_per_visit: f.baseline_spend_per_visit,
                    recent_spend_per_visit: f.recent_spend_per_visit,
                    usual_gap_days: f.usual_gap_days,
                    days_since_last_visit: f.days_since_last_visit,
                    change_since: j.since().map(to_date),
                    p_alive: value.map(|v| v.p_alive),
                    p_no_visit: value.map(|v| v.p_no_visit),
                    next_visit: value.and_then(|v| v.next_visit),
                    overdue_since: value.and_then(|v| v.overdue_since),
                    feedback: None,
                }
            })
            .collect();
        // Highest yearly value first; without amounts, most visits first.
        let amounts = summary.has_amounts;
        customers.sort_by(|a, b| {
            let by_value = if amounts {
                b.revenue_12m.total_cmp(&a.revenue_12m)
            } else {
                b.visits.cmp(&a.visits)
            };
            b.status
                .cmp(&a.status)
                .then(by_value)
                .then(a.customer_id.cmp(&b.customer_id))
        });
        ScanReport {
            schema_version: SCHEMA_VERSION,
            summary,
            customers,
            has_store: purchases.stores.is_some(),
            has_employee: purchases.employees.is_some(),
            has_category: purchases.categories.is_some(),
            has_feedback: false,
        }
    }

    /// Adds each customer's latest feedback (reason, day) by customer id.
    pub fn attach_feedback(
        &mut self,
        latest: &std::collections::HashMap<&str, (String, crate::normalize::Day)>,
    ) {
        self.has_feedback = true;
        for c in &mut self.customers {
            c.feedback = latest
                .get(c.customer_id.as_str())
                .map(|(reason, day)| LatestFeedback {
                    reason: reason.clone(),
                    date: to_date(*day),
                });
        }
    }

    /// How the flagged customers are ordered, in words.
    pub fn order(&self) -> &'static str {
        if self.summary.has_amounts {
            "highest yearly value first"
        } else {
            "most visits first"
        }
    }

    /// Flagged customers (at risk or defected), highest value at stake first.
    pub fn flagged(&self) -> impl Iterator<Item = &CustomerRow> {
        self.customers.iter().filter(|c| c.status != Status::Active)
    }
}

impl super::Render for ScanReport {
    const SHEET: &'static str = "scan";

    fn summary(&self) -> &crate::metrics::Summary {
        &self.summary
    }

    fn table(&self, limit: usize, w: &mut dyn Write) -> io::Result<()> {
        super::table::scan(self, limit, w)
    }

    fn csv(&self, w: &mut dyn Write) -> io::Result<()> {
        super::csv::scan(self, w)
    }

    fn markdown(&self, limit: usize, w: &mut dyn Write) -> io::Result<()> {
        super::markdown::scan(self, limit, w)
    }
}
