//! Whom to call now: "when a customer stops buying, call them immediately and ask why".
//! At-risk customers, and defected ones whose change began recently, who have not given
//! feedback since their change began, highest value at stake first.

use std::collections::HashMap;

use serde::Serialize;

use crate::normalize::{Day, date::to_date};
use crate::rules::{RuleId, Status, Verdict};

/// One customer to call.
#[derive(Clone, Debug, Serialize)]
pub struct Contact {
    pub customer_id: String,
    pub status: Status,
    pub rule: Option<RuleId>,
    /// What changed, in words.
    pub evidence: String,
    pub change_since: Option<chrono::NaiveDate>,
    pub last_visit: chrono::NaiveDate,
    pub store: Option<String>,
    pub employee: Option<String>,
    /// Their expected revenue over the next year if they keep coming as before.
    pub value_at_stake: f64,
    /// The value model's probability that they are still a customer.
    pub p_alive: Option<f64>,
    /// When an expected visit passed without them.
    pub overdue_since: Option<chrono::NaiveDate>,
    /// Latest values of the `--keep-cols` columns, in their order.
    pub kept: Vec<String>,
}

/// A flagged customer, as the selection sees them.
pub struct Candidate<'a> {
    pub id: &'a str,
    pub verdict: &'a Verdict,
    pub store: Option<String>,
    pub employee: Option<String>,
    pub value_at_stake: f64,
    pub p_alive: Option<f64>,
    pub overdue_since: Option<chrono::NaiveDate>,
    pub kept: Vec<String>,
}

/// The customers to call, highest value at stake first: at-risk customers, and defected
/// ones whose change began at most `recent_days` before `as_of`, who have not given
/// feedback (`heard`: feedback days by customer id) since their change began. Returns
/// them and how many flagged customers were left out because they had been heard.
pub fn select<'a>(
    candidates: impl Iterator<Item = Candidate<'a>>,
    as_of: Day,
    heard: &HashMap<String, Vec<Day>>,
    recent_days: u32,
) -> (Vec<Contact>, u64) {
    let mut contacts = Vec::new();
    let mut already_heard = 0;
    for c in candidates {
        let j = &c.verdict.judgement;
        let since = j.since();
        let wanted = match j.status {
            Status::AtRisk => true,
            Status::Defected => since.is_some_and(|s| as_of - s <= recent_days as Day),
            Status::Active => false,
        };
        if !wanted {
            continue;
        }
        let spoke = heard.get(c.id).is_some_and(|days| {
            days.iter()
                .any(|&d| d <= as_of && since.is_none_or(|s| d >= s))
        });
        if spoke {
            already_heard += 1;
            continue;
        }
        contacts.push(Contact {
            customer_id: c.id.to_string(),
            status: j.status,
            rule: j.rule,
            evidence: j.evidence.clone(),
            change_since: since.map(to_date),
            last_visit: to_date(j.figures.last_visit),
            store: c.store,
            employee: c.employee,
            value_at_stake: c.value_at_stake,
            p_alive: c.p_alive,
            overdue_since: c.overdue_since,
            kept: c.kept,
        });
    }
    contacts.sort_by(|a, b| {
        b.value_at_stake
            .total_cmp(&a.value_at_stake)
            .then(a.customer_id.cmp(&b.customer_id))
    });
    (contacts, already_heard)
}
