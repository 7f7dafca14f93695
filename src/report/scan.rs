//! The result of `churn scan`: the summary and one row per customer.

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
pub const SCHEMA_VERSION: u32 = 1;

impl ScanReport {
    /// Rows sorted by status (defected, at risk, active), then yearly value at stake
    /// (highest first), then customer id.
    pub fn new(summary: Summary, purchases: &Purchases, verdicts: &[Verdict]) -> ScanReport {
        let name = |dict: &Option<crate::normalize::Dictionary>, code: Option<u32>| {
            dict.as_ref().zip(code).map(|(d, c)| d.name(c).to_string())
        };
        let mut customers: Vec<CustomerRow> = verdicts
            .iter()
            .map(|v| {
                let j = &v.judgement;
                let f = &j.figures;
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
                    change_since: j
                        .findings
                        .iter()
                        .find(|x| Some(x.rule) == j.rule)
                        .and_then(|x| x.since)
                        .map(to_date),
                    feedback: None,
                }
            })
            .collect();
        customers.sort_by(|a, b| {
            b.status
                .cmp(&a.status)
                .then(b.revenue_12m.total_cmp(&a.revenue_12m))
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

    /// Adds each customer's latest feedback, by customer id.
    pub fn attach_feedback(&mut self, latest: &std::collections::HashMap<String, LatestFeedback>) {
        self.has_feedback = true;
        for c in &mut self.customers {
            c.feedback = latest.get(&c.customer_id).cloned();
        }
    }

    /// Flagged customers (at risk or defected), highest value at stake first.
    pub fn flagged(&self) -> impl Iterator<Item = &CustomerRow> {
        self.customers.iter().filter(|c| c.status != Status::Active)
    }
}

/// The summary as (label, text) lines, shared by the table and Markdown renderers.
pub fn summary_lines(s: &Summary) -> Vec<(&'static str, String)> {
    use super::{count, percent};
    let r = &s.rows;
    let mut rows = format!("{} read: {} used", count(r.read), count(r.used));
    if r.anonymous > 0 {
        rows += &format!(", {} anonymous (no customer id)", count(r.anonymous));
    }
    if r.duplicates_dropped > 0 {
        rows += &format!(", {} duplicate lines dropped", count(r.duplicates_dropped));
    }
    if r.skipped > 0 {
        let why: Vec<String> = r
            .skipped_reasons
            .iter()
            .map(|x| format!("{} {}", count(x.rows), x.reason))
            .collect();
        rows += &format!(", {} skipped ({})", count(r.skipped), why.join("; "));
    }
    if r.after_as_of > 0 {
        rows += &format!(", {} after the as-of date", count(r.after_as_of));
    }
    let mut lines = vec![("as of", s.as_of.to_string()), ("rows", rows)];
    if r.duplicates > 0 && r.duplicates_dropped == 0 {
        lines.push((
            "duplicates",
            format!(
                "{} exact duplicate lines kept (--dedupe drops them)",
                count(r.duplicates)
            ),
        ));
    }
    if r.refund_lines > 0 {
        lines.push((
            "refunds",
            format!(
                "{} refund lines (negative amounts) subtracted from spend",
                count(r.refund_lines)
            ),
        ));
    }
    let statuses: Vec<String> = [Status::Active, Status::AtRisk, Status::Defected]
        .iter()
        .filter_map(|&st| s.statuses.iter().find(|x| x.status == st))
        .map(|x| {
            format!(
                "{} {} ({})",
                count(x.customers),
                x.status.label(),
                percent(x.share)
            )
        })
        .collect();
    lines.push((
        "customers",
        format!("{}: {}", count(s.customers), statuses.join(", ")),
    ));
    lines.push((
        "defection rate",
        match &s.defection_rate {
            Some(d) => format!(
                "{} a year: {} of the {} customers active on {} had defected by {} (95% interval {}–{})",
                percent(d.rate),
                count(d.defected),
                count(d.customers),
                d.period_start,
                d.period_end,
                percent(d.low),
                percent(d.high)
            ),
            None => "not available: no customers were active 12 months before the as-of date".into(),
        },
    ));
    lines.push((
        "revenue lost",
        yearly_revenue_of(s.revenue_lost_12m, s.count(Status::Defected), "defected"),
    ));
    lines.push((
        "revenue at risk",
        yearly_revenue_of(s.revenue_at_risk_12m, s.count(Status::AtRisk), "at-risk"),
    ));
    let v = &s.value;
    match (&v.headline, &v.unavailable) {
        (Some(h), _) => {
            let assumptions = format!(
                "discounted {:.0}% a year, in revenue; see churn clv",
                h.settings.annual_discount * 100.0
            );
            lines.push((
                "a regular is worth",
                match h.regular_worth_10y {
                    Some(w) => format!(
                        "{} over ten years (mean of the {} active customers with {}+ visits in the last 12 months; {assumptions})",
                        super::money(w),
                        count(h.regulars as u64),
                        crate::metrics::clv::REGULAR_VISITS_12M
                    ),
                    None => "no regulars (active, 12+ visits in the last 12 months) to value".into(),
                },
            ));
            lines.push((
                "future value lost",
                format!(
                    "{} over ten years with the defected customers, had they kept coming ({assumptions})",
                    super::money(h.value_lost)
                ),
            ));
            lines.push((
                "future value at risk",
                format!(
                    "{} over ten years in the at-risk customers ({assumptions})",
                    super::money(h.value_at_risk)
                ),
            ));
        }
        (None, Some(why)) => lines.push(("lifetime value", format!("not available: {why}"))),
        (None, None) => {}
    }
    if !s.rules.is_empty() {
        let by: Vec<String> = s
            .rules
            .iter()
            .map(|r| format!("{} {}", r.rule.as_str(), count(r.customers)))
            .collect();
        lines.push(("flagged by", by.join(", ")));
    }
    lines
}

/// "12,345.67 a year (last-12-month revenue of the 12 defected customers)".
fn yearly_revenue_of(revenue: f64, n: u64, kind: &str) -> String {
    let money = super::money(revenue);
    match n {
        0 => format!("{money} a year (no {kind} customers)"),
        1 => format!("{money} a year (last-12-month revenue of the 1 {kind} customer)"),
        n => format!(
            "{money} a year (last-12-month revenue of the {} {kind} customers)",
            super::count(n)
        ),
    }
}
