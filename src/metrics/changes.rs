//! What changed since the previous month end: the reason a monthly report exists.
//! Customers are judged as of both dates by the same rules; those whose status moved
//! are listed with their value at stake, and the biggest movers in spend.
//!
//! - **Newly defected**: defected now, not defected at the previous month end.
//! - **Newly at risk**: at risk now, active then.
//! - **Won back**: defected or at risk then, active now.
//! - **Biggest movers**: the largest changes of last-12-month revenue between the two
//!   dates, that is, the spend of the month just ended against the same month a year
//!   earlier.

use serde::Serialize;

use crate::normalize::Day;
use crate::normalize::date::to_date;
use crate::rules::{RuleId, Status};

/// A customer as of the previous and the current date.
pub struct Pair<'a> {
    pub id: &'a str,
    /// `None`: not yet a customer at the previous date.
    pub before: Option<Status>,
    pub now: Status,
    pub rule: Option<RuleId>,
    pub evidence: &'a str,
    pub since: Option<Day>,
    pub revenue_12m_before: f64,
    pub revenue_12m_now: f64,
    /// Revenue over the next year if they keep coming as before (the contacts' value at
    /// stake).
    pub value_at_stake: f64,
}

/// One customer whose status changed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Moved {
    pub customer_id: String,
    pub before: Status,
    pub now: Status,
    /// The rule behind the status now (none for customers won back).
    pub rule: Option<RuleId>,
    pub evidence: String,
    pub change_since: Option<chrono::NaiveDate>,
    pub value_at_stake: f64,
}

/// One customer whose spend moved most.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Mover {
    pub customer_id: String,
    pub status: Status,
    pub revenue_12m_before: f64,
    pub revenue_12m_now: f64,
    /// `revenue_12m_now - revenue_12m_before`.
    pub change: f64,
}

/// Everything that changed between two dates.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Changes {
    /// The previous month end.
    pub since: chrono::NaiveDate,
    pub until: chrono::NaiveDate,
    pub newly_defected: Vec<Moved>,
    pub newly_at_risk: Vec<Moved>,
    pub won_back: Vec<Moved>,
    /// Value at stake of each list (undiscounted revenue over the next year).
    pub value_newly_defected: f64,
    pub value_newly_at_risk: f64,
    pub value_won_back: f64,
    /// The biggest falls and rises of yearly spend, largest first.
    pub movers: Vec<Mover>,
}

/// How many movers are listed.
pub const MOVERS: usize = 10;

/// Compares every customer's two judgements.
pub fn changes<'a>(customers: impl Iterator<Item = Pair<'a>>, since: Day, until: Day) -> Changes {
    let mut out = Changes {
        since: to_date(since),
        until: to_date(until),
        newly_defected: Vec::new(),
        newly_at_risk: Vec::new(),
        won_back: Vec::new(),
        value_newly_defected: 0.0,
        value_newly_at_risk: 0.0,
        value_won_back: 0.0,
        movers: Vec::new(),
    };
    for c in customers {
        if let Some(before) = c.before {
            let moved = |rule| Moved {
                customer_id: c.id.to_string(),
                before,
                now: c.now,
                rule,
                evidence: c.evidence.to_string(),
                change_since: c.since.map(to_date),
                value_at_stake: c.value_at_stake,
            };
            match (before, c.now) {
                (Status::Active | Status::AtRisk, Status::Defected) => {
                    out.value_newly_defected += c.value_at_stake;
                    out.newly_defected.push(moved(c.rule));
                }
                (Status::Active, Status::AtRisk) => {
                    out.value_newly_at_risk += c.value_at_stake;
                    out.newly_at_risk.push(moved(c.rule));
                }
                (Status::AtRisk | Status::Defected, Status::Active) => {
                    out.value_won_back += c.value_at_stake;
                    out.won_back.push(moved(None));
                }
                _ => {}
            }
        }
        let change = c.revenue_12m_now - c.revenue_12m_before;
        if change != 0.0 {
            out.movers.push(Mover {
                customer_id: c.id.to_string(),
                status: c.now,
                revenue_12m_before: c.revenue_12m_before,
                revenue_12m_now: c.revenue_12m_now,
                change,
            });
        }
    }
    let by_value = |a: &Moved, b: &Moved| {
        b.value_at_stake
            .total_cmp(&a.value_at_stake)
            .then_with(|| a.customer_id.cmp(&b.customer_id))
    };
    out.newly_defected.sort_by(by_value);
    out.newly_at_risk.sort_by(by_value);
    out.won_back.sort_by(by_value);
    out.movers.sort_by(|a, b| {
        b.change
            .abs()
            .total_cmp(&a.change.abs())
            .then_with(|| a.customer_id.cmp(&b.customer_id))
    });
    out.movers.truncate(MOVERS);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(id: &str, before: Option<Status>, now: Status, r: (f64, f64)) -> Pair<'_> {
        Pair {
            id,
            before,
            now,
            rule: None,
            evidence: "",
            since: None,
            revenue_12m_before: r.0,
            revenue_12m_now: r.1,
            value_at_stake: r.1,
        }
    }

    #[test]
    fn statuses_that_moved_are_listed_by_value() {
        use Status::*;
        let c = changes(
            [
                pair("a", Some(Active), Defected, (100.0, 90.0)),
                pair("b", Some(AtRisk), Defected, (300.0, 250.0)),
                pair("c", Some(Active), AtRisk, (50.0, 40.0)),
                pair("d", Some(Defected), Active, (10.0, 60.0)),
                pair("e", Some(Defected), Defected, (0.0, 0.0)),
                pair("f", None, Active, (0.0, 20.0)),
            ]
            .into_iter(),
            0,
            30,
        );
        let ids = |v: &[Moved]| v.iter().map(|m| m.customer_id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&c.newly_defected), ["b", "a"]);
        assert_eq!(ids(&c.newly_at_risk), ["c"]);
        assert_eq!(ids(&c.won_back), ["d"]);
        assert_eq!(c.value_newly_defected, 340.0);
        let movers: Vec<_> = c
            .movers
            .iter()
            .map(|m| (m.customer_id.as_str(), m.change))
            .collect();
        assert_eq!(
            movers,
            [
                ("b", -50.0),
                ("d", 50.0),
                ("f", 20.0),
                ("a", -10.0),
                ("c", -10.0)
            ]
        );
    }
}
