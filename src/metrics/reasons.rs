//! Why defectors leave: feedback reasons ranked by the value lost with the customers who
//! gave them, so the business invests in the fixes that matter.
//!
//! - A flagged (defected or at-risk) customer's feedback counts as a reason for leaving
//!   when it is dated no earlier than [`GRACE_DAYS`] before their change began (the
//!   deciding rule's `since`); older feedback, and all feedback of active customers, is
//!   shown apart (praise and complaints from people who stayed).
//! - Reasons given as free text are grouped by their normalised text (case, spacing and
//!   punctuation ignored); the config's `[reasons]` table maps texts or codes to named
//!   reasons. Feedback with a comment but no reason counts as "(no reason given)".
//! - A customer citing a reason twice counts once. **Value lost** is the sum, over the
//!   defectors citing the reason, of their value had they kept coming (see
//!   [`crate::metrics::clv`]); **share** is the share of defectors with feedback who cite
//!   it; the **expectation gap** is the mean of expected − perceived over the reason's
//!   feedback lines that carry both ratings.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::normalize::Day;
use crate::normalize::feedback::{Feedback, FeedbackEntry};
use crate::rules::Status;

/// Feedback up to this many days before a customer's change began still explains it.
pub const GRACE_DAYS: Day = 90;

/// The reason of feedback that has a comment but no reason.
pub const NO_REASON: &str = "(no reason given)";

/// Example comments shown per reason (`churn reasons --examples`, and the report).
pub const EXAMPLES: usize = 3;

/// What the reasons need to know of a customer.
#[derive(Clone, Debug, PartialEq)]
pub struct CustomerInfo {
    pub status: Status,
    /// When their change began (the deciding rule's `since`), if flagged.
    pub since: Option<Day>,
    /// Their value over the horizon had they kept coming.
    pub value: f64,
    pub store: Option<String>,
    pub employee: Option<String>,
}

/// `"  Competitor  cheaper!"` → `"competitor cheaper"`.
pub fn reason_key(text: &str) -> String {
    let mut key = String::with_capacity(text.len());
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !key.is_empty() {
            key.push(' ');
        }
        key.extend(word.chars().flat_map(char::to_lowercase));
    }
    key
}

/// Names reasons: the config's mapping first, else the first spelling seen.
#[derive(Clone, Debug, Default)]
pub struct ReasonNames {
    mapped: HashMap<String, String>,
}

impl ReasonNames {
    /// From the config's `[reasons]` table (text or code → name).
    pub fn new(table: &BTreeMap<String, String>) -> ReasonNames {
        ReasonNames {
            mapped: table
                .iter()
                .map(|(k, v)| (reason_key(k), v.clone()))
                .collect(),
        }
    }

    /// The name a reason as written is shown under.
    pub fn display(&self, raw: Option<&str>) -> String {
        self.name(raw).1
    }

    /// The grouping key and the display name of a reason as written.
    fn name(&self, raw: Option<&str>) -> (String, String) {
        let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
            return (reason_key(NO_REASON), NO_REASON.to_string());
        };
        let key = reason_key(raw);
        match self.mapped.get(&key) {
            Some(name) => (reason_key(name), name.clone()),
            None => (
                key,
                raw.trim_end_matches(|c: char| c.is_ascii_punctuation())
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
        }
    }
}

/// One reason for leaving.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReasonRow {
    pub reason: String,
    /// Defected customers citing it.
    pub defectors: u64,
    /// At-risk customers citing it.
    pub at_risk: u64,
    /// Share of the defectors with feedback who cite it.
    pub share: f64,
    pub value_lost: f64,
    pub value_at_risk: f64,
    /// Mean expected − perceived rating over its feedback with both ratings.
    pub expectation_gap: Option<f64>,
    pub ratings: u64,
    pub examples: Vec<String>,
}

/// Feedback from customers who stayed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ActiveRow {
    pub reason: String,
    pub customers: u64,
    pub expectation_gap: Option<f64>,
    pub examples: Vec<String>,
}

/// The reasons behind one store's or employee's defections.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GroupReasons {
    pub group: String,
    pub defectors: u64,
    pub value_lost: f64,
    /// (reason, defectors citing it), most cited first.
    pub reasons: Vec<(String, u64)>,
}

/// The expectation gap of one store or employee, over all its customers' feedback.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GapRow {
    pub group: String,
    pub feedback: u64,
    pub expectation_gap: f64,
}

/// Group the reasons by store or by employee.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ByGroup {
    Store,
    Employee,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Reasons {
    pub rows: Vec<ReasonRow>,
    pub active: Vec<ActiveRow>,
    pub defectors: u64,
    pub defectors_with_feedback: u64,
    /// How much the business knows: the share of defectors who gave any feedback.
    pub feedback_share: f64,
    pub feedback_lines: u64,
    /// Feedback from customer ids that are not in the purchases.
    pub unknown_customers: u64,
    pub after_as_of: u64,
    pub by: Option<ByGroup>,
    pub groups: Vec<GroupReasons>,
    pub gap_by_store: Vec<GapRow>,
    pub gap_by_employee: Vec<GapRow>,
}

#[derive(Default)]
struct Acc {
    name: String,
    defectors: Vec<String>,
    at_risk: Vec<String>,
    active: Vec<String>,
    gaps: Vec<f64>,
    active_gaps: Vec<f64>,
    examples: Vec<(f64, String)>,
    active_examples: Vec<String>,
}

fn mean(xs: &[f64]) -> Option<f64> {
    (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64)
}

fn push_unique(v: &mut Vec<String>, id: &str) {
    if !v.iter().any(|x| x == id) {
        v.push(id.to_string());
    }
}

/// Ranks the reasons in `feedback` for the customers in `customers` (by id).
pub fn rank_reasons(
    feedback: &Feedback,
    customers: &HashMap<String, CustomerInfo>,
    names: &ReasonNames,
    as_of: Day,
    by: Option<ByGroup>,
    examples: usize,
) -> Reasons {
    let mut acc: BTreeMap<String, Acc> = BTreeMap::new();
    let (mut unknown, mut after) = (0u64, 0u64);
    let mut with_feedback: Vec<String> = Vec::new();
    let mut gaps_store: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut gaps_employee: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    // Reasons per customer, for the by-group view.
    let mut cited: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for e in &feedback.entries {
        if e.day > as_of {
            after += 1;
            continue;
        }
        let Some(c) = customers.get(&e.customer) else {
            unknown += 1;
            continue;
        };
        if let Some(gap) = e.gap() {
            if let Some(s) = &c.store {
                gaps_store.entry(s.clone()).or_default().push(gap);
            }
            if let Some(m) = &c.employee {
                gaps_employee.entry(m.clone()).or_default().push(gap);
            }
        }
        let (key, name) = names.name(e.reason.as_deref());
        let a = acc.entry(key.clone()).or_insert_with(|| Acc {
            name,
            ..Acc::default()
        });
        let leaving = c.status != Status::Active && c.since.is_none_or(|s| e.day >= s - GRACE_DAYS);
        if leaving {
            match c.status {
                Status::Defected => {
                    push_unique(&mut a.defectors, &e.customer);
                    push_unique(&mut with_feedback, &e.customer);
                    push_unique(cited.entry(e.customer.clone()).or_default(), &key);
                }
                _ => push_unique(&mut a.at_risk, &e.customer),
            }
            a.gaps.extend(e.gap());
            add_example(&mut a.examples, e, c.value);
        } else {
            push_unique(&mut a.active, &e.customer);
            a.active_gaps.extend(e.gap());
            if let Some(comment) = &e.comment {
                if a.active_examples.len() < examples && !a.active_examples.contains(comment) {
                    a.active_examples.push(comment.clone());
                }
            }
        }
    }

    let defectors = customers
        .values()
        .filter(|c| c.status == Status::Defected)
        .count() as u64;
    let with = with_feedback.len() as u64;
    let value_of = |ids: &[String]| -> f64 {
        ids.iter()
            .filter_map(|id| customers.get(id))
            .map(|c| c.value)
            .sum::<f64>()
            + 0.0
    };
    let mut rows: Vec<ReasonRow> = acc
        .values()
        .filter(|a| !a.defectors.is_empty() || !a.at_risk.is_empty())
        .map(|a| {
            let mut ex = a.examples.clone();
            ex.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)));
            let mut examples_out: Vec<String> = Vec::new();
            for (_, text) in ex {
                if examples_out.len() < examples && !examples_out.contains(&text) {
                    examples_out.push(text);
                }
            }
            ReasonRow {
                reason: a.name.clone(),
                defectors: a.defectors.len() as u64,
                at_risk: a.at_risk.len() as u64,
                share: if with == 0 {
                    0.0
                } else {
                    a.defectors.len() as f64 / with as f64
                },
                value_lost: value_of(&a.defectors),
                value_at_risk: value_of(&a.at_risk),
                expectation_gap: mean(&a.gaps),
                ratings: a.gaps.len() as u64,
                examples: examples_out,
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        b.value_lost
            .total_cmp(&a.value_lost)
            .then(b.defectors.cmp(&a.defectors))
            .then(b.value_at_risk.total_cmp(&a.value_at_risk))
            .then(a.reason.cmp(&b.reason))
    });
    let mut active: Vec<ActiveRow> = acc
        .values()
        .filter(|a| !a.active.is_empty())
        .map(|a| ActiveRow {
            reason: a.name.clone(),
            customers: a.active.len() as u64,
            expectation_gap: mean(&a.active_gaps),
            examples: a.active_examples.clone(),
        })
        .collect();
    active.sort_by(|a, b| b.customers.cmp(&a.customers).then(a.reason.cmp(&b.reason)));

    let groups = by.map_or_else(Vec::new, |by| group_reasons(customers, &cited, &acc, by));
    let gap_rows = |m: BTreeMap<String, Vec<f64>>| -> Vec<GapRow> {
        let mut rows: Vec<GapRow> = m
            .into_iter()
            .filter_map(|(group, gaps)| {
                Some(GapRow {
                    feedback: gaps.len() as u64,
                    expectation_gap: mean(&gaps)?,
                    group,
                })
            })
            .collect();
        rows.sort_by(|a, b| {
            b.expectation_gap
                .total_cmp(&a.expectation_gap)
                .then(a.group.cmp(&b.group))
        });
        rows
    };
    Reasons {
        rows,
        active,
        defectors,
        defectors_with_feedback: with,
        feedback_share: if defectors == 0 {
            0.0
        } else {
            with as f64 / defectors as f64
        },
        feedback_lines: feedback.entries.len() as u64,
        unknown_customers: unknown,
        after_as_of: after,
        by,
        groups,
        gap_by_store: gap_rows(gaps_store),
        gap_by_employee: gap_rows(gaps_employee),
    }
}

/// Keeps the comments of the most valuable customers as examples.
fn add_example(examples: &mut Vec<(f64, String)>, e: &FeedbackEntry, value: f64) {
    if let Some(comment) = &e.comment {
        examples.push((value, comment.clone()));
    }
}

/// The reasons behind each store's or employee's defections, most defectors first.
fn group_reasons(
    customers: &HashMap<String, CustomerInfo>,
    cited: &BTreeMap<String, Vec<String>>,
    acc: &BTreeMap<String, Acc>,
    by: ByGroup,
) -> Vec<GroupReasons> {
    let group_of = |c: &CustomerInfo| match by {
        ByGroup::Store => c.store.clone(),
        ByGroup::Employee => c.employee.clone(),
    };
    let mut groups: BTreeMap<String, (u64, f64, BTreeMap<String, u64>)> = BTreeMap::new();
    for (id, c) in customers {
        if c.status != Status::Defected {
            continue;
        }
        let Some(g) = group_of(c) else { continue };
        let entry = groups.entry(g).or_default();
        entry.0 += 1;
        entry.1 += c.value;
        for key in cited.get(id).into_iter().flatten() {
            let name = acc.get(key).map_or_else(|| key.clone(), |a| a.name.clone());
            *entry.2.entry(name).or_default() += 1;
        }
    }
    let mut out: Vec<GroupReasons> = groups
        .into_iter()
        .map(|(group, (defectors, value_lost, reasons))| {
            let mut reasons: Vec<(String, u64)> = reasons.into_iter().collect();
            reasons.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            GroupReasons {
                group,
                defectors,
                value_lost: value_lost + 0.0,
                reasons,
            }
        })
        .collect();
    out.sort_by(|a, b| b.defectors.cmp(&a.defectors).then(a.group.cmp(&b.group)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(
        customer: &str,
        day: Day,
        reason: &str,
        comment: &str,
        ratings: Option<(f64, f64)>,
    ) -> FeedbackEntry {
        FeedbackEntry {
            line: 2,
            customer: customer.into(),
            day,
            reason: Some(reason.into()).filter(|r: &String| !r.is_empty()),
            comment: Some(comment.into()).filter(|c: &String| !c.is_empty()),
            expected: ratings.map(|r| r.0),
            perceived: ratings.map(|r| r.1),
        }
    }

    fn info(status: Status, value: f64, employee: &str) -> CustomerInfo {
        CustomerInfo {
            status,
            since: Some(100),
            value,
            store: Some("Main".into()),
            employee: Some(employee.into()),
        }
    }

    #[test]
    fn keys_ignore_case_spacing_and_punctuation() {
        assert_eq!(reason_key("  Competitor  cheaper!"), "competitor cheaper");
        assert_eq!(reason_key("COMPETITOR-CHEAPER."), "competitor cheaper");
        assert_eq!(reason_key("Kö"), "kö");
    }

    #[test]
    fn reasons_rank_by_value_lost_and_praise_stays_apart() {
        let customers: HashMap<String, CustomerInfo> = [
            ("A", info(Status::Defected, 1000.0, "Jörgen")),
            ("B", info(Status::Defected, 800.0, "Jörgen")),
            ("C", info(Status::Defected, 50.0, "Åsa")),
            ("D", info(Status::AtRisk, 300.0, "Åsa")),
            ("E", info(Status::Active, 900.0, "Åsa")),
            ("F", info(Status::Defected, 400.0, "Åsa")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let feedback = Feedback {
            source: "f".into(),
            entries: vec![
                entry("A", 120, "Rude staff", "Rude to my kids", Some((5.0, 1.0))),
                entry(
                    "B",
                    130,
                    "rude  staff!",
                    "Nobody greeted us",
                    Some((4.0, 2.0)),
                ),
                entry("A", 140, "Rude staff", "", None),
                entry("C", 150, "Parking", "No space", Some((3.0, 2.0))),
                entry("D", 150, "Parking", "", None),
                entry("E", 150, "Great coffee", "Best in town", Some((4.0, 5.0))),
                entry("X", 150, "Parking", "", None),
                entry("C", 5, "Old complaint", "", None),
            ],
            rows: Default::default(),
        };
        let r = rank_reasons(
            &feedback,
            &customers,
            &ReasonNames::default(),
            200,
            Some(ByGroup::Employee),
            3,
        );
        assert_eq!(r.rows[0].reason, "Rude staff");
        assert_eq!(r.rows[0].defectors, 2, "A counts once");
        assert_eq!(r.rows[0].value_lost, 1800.0);
        assert_eq!(r.rows[0].expectation_gap, Some(3.0));
        assert_eq!(
            r.rows[0].examples,
            vec!["Rude to my kids", "Nobody greeted us"]
        );
        assert_eq!(r.rows[1].reason, "Parking");
        assert_eq!((r.rows[1].defectors, r.rows[1].at_risk), (1, 1));
        assert_eq!(
            r.rows.len(),
            2,
            "old feedback and praise are not reasons for leaving"
        );
        let apart: Vec<&str> = r.active.iter().map(|a| a.reason.as_str()).collect();
        assert_eq!(apart, vec!["Great coffee", "Old complaint"]);
        assert_eq!(r.defectors, 4);
        assert_eq!(r.defectors_with_feedback, 3);
        assert_eq!(r.unknown_customers, 1);
        assert_eq!(r.groups[0].group, "Jörgen");
        assert_eq!(r.groups[0].reasons, vec![("Rude staff".to_string(), 2)]);
        assert_eq!(r.gap_by_employee[0].group, "Jörgen");
    }

    #[test]
    fn the_config_maps_codes_to_named_reasons() {
        let table: BTreeMap<String, String> =
            [("CMP".to_string(), "Competitor cheaper".to_string())]
                .into_iter()
                .collect();
        let names = ReasonNames::new(&table);
        assert_eq!(names.name(Some("cmp")).1, "Competitor cheaper");
        assert_eq!(names.name(None).1, NO_REASON);
        assert_eq!(names.name(Some("Long queues!")).1, "Long queues");
        assert_eq!(
            names.display(Some("Competitor  cheaper")),
            "Competitor cheaper"
        );
    }
}
