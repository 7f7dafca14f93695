//! Rules: each customer is judged against their own history (their baseline) by the
//! business's defection rules, as of a date. Pure: a history in, a [`Judgement`] out.
//!
//! Rules, in report order (each can be switched off or given another status in TOML):
//! 1. `gone` (defected): silent far longer than their own rhythm makes plausible.
//! 2. `partial_defection` (defected): visit rate down to half their baseline or less.
//! 3. `category_stop` (at risk): stopped buying a category they usually bought.
//! 4. `spend_drop` (at risk): spend per visit well below their baseline.
//! 5. `slowing` (at risk): visit rate down markedly, but not yet by half.
//!
//! When several rules fire, the status is the most severe, and the rule shown is the
//! first of those in this order (a stopped category explains a lower spend).

pub mod category_stop;
pub mod config;
pub mod gone;
pub mod rate_fall;
pub mod seasonal;
pub mod spend_drop;

use serde::{Deserialize, Serialize};

pub use config::RuleConfig;

use crate::history::History;
use crate::normalize::Day;
use crate::normalize::date::to_date;
use crate::stats::{DAYS_PER_MONTH, median};

/// A customer's status. Ordered by severity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Active,
    AtRisk,
    Defected,
}

impl Status {
    pub const ALL: [Status; 3] = [Status::Active, Status::AtRisk, Status::Defected];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::AtRisk => "at_risk",
            Status::Defected => "defected",
        }
    }

    /// For people: "at risk".
    pub fn label(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::AtRisk => "at risk",
            Status::Defected => "defected",
        }
    }
}

/// The rules, by the names used in TOML and in the `rule` output column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleId {
    Gone,
    PartialDefection,
    SpendDrop,
    CategoryStop,
    Slowing,
}

impl RuleId {
    pub const ALL: [RuleId; 5] = [
        RuleId::Gone,
        RuleId::PartialDefection,
        RuleId::CategoryStop,
        RuleId::SpendDrop,
        RuleId::Slowing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RuleId::Gone => "gone",
            RuleId::PartialDefection => "partial_defection",
            RuleId::SpendDrop => "spend_drop",
            RuleId::CategoryStop => "category_stop",
            RuleId::Slowing => "slowing",
        }
    }
}

/// A rule that fired, with its evidence in words.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub rule: RuleId,
    pub status: Status,
    pub evidence: String,
    /// When the change began, as far as the rule can tell.
    pub since: Option<Day>,
    /// What the rule measured, for predictions that build on it: `gone`, the
    /// probability of a silence this long under the customer's own rhythm;
    /// `partial_defection` and `slowing`, the recent / baseline visit-rate ratio.
    pub measure: Option<f64>,
}

/// What a rule concluded about one customer.
#[derive(Clone, Debug, PartialEq)]
pub enum Check {
    /// Nothing to report.
    Quiet,
    Fired(Finding),
    /// It would have fired, but a known pattern explains it (e.g. their off season).
    Excused(String),
}

/// The figures the rules looked at, for the output columns.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Figures {
    pub first_visit: Day,
    pub last_visit: Day,
    pub visits: u32,
    /// Net revenue to date (refunds subtracted).
    pub revenue: f64,
    /// Net revenue in the 365 days up to the as-of date: their yearly value.
    pub revenue_12m: f64,
    /// Visits per month in the baseline (the `baseline_days` before the recent window).
    pub baseline_visits_per_month: Option<f64>,
    /// Visits per month in the recent window (the last `recent_days`).
    pub recent_visits_per_month: Option<f64>,
    /// The length of that recent window, in days.
    pub recent_days: u32,
    pub baseline_spend_per_visit: Option<f64>,
    pub recent_spend_per_visit: Option<f64>,
    /// Median days between visits.
    pub usual_gap_days: Option<f64>,
    pub days_since_last_visit: i32,
}

/// A customer's status, the rule that decided it and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Judgement {
    pub status: Status,
    /// The rule behind the status (none for active customers).
    pub rule: Option<RuleId>,
    /// Why, in words: the deciding rule's evidence first.
    pub evidence: String,
    pub findings: Vec<Finding>,
    pub figures: Figures,
}

impl Judgement {
    /// When the change behind the status began, as far as the deciding rule can tell.
    pub fn since(&self) -> Option<Day> {
        self.findings
            .iter()
            .find(|f| Some(f.rule) == self.rule)
            .and_then(|f| f.since)
    }
}

/// What a rule sees of a customer.
pub struct Customer<'a, 'h> {
    pub history: &'a History<'h>,
    pub as_of: Day,
    pub config: &'a RuleConfig,
    /// Category names by code, for the evidence (empty: codes are shown).
    pub category_names: &'a [String],
}

/// Judges one customer as of `as_of` (their history must end on or before it).
pub fn judge(history: &History, as_of: Day, config: &RuleConfig) -> Judgement {
    judge_named(history, as_of, config, &[])
}

/// [`judge`], naming categories in the evidence.
pub fn judge_named(
    history: &History,
    as_of: Day,
    config: &RuleConfig,
    category_names: &[String],
) -> Judgement {
    let c = Customer {
        history,
        as_of,
        config,
        category_names,
    };
    let figures = figures(&c);
    let first = figures.first_visit;
    if as_of - first < config.history.new_days as Day {
        return Judgement {
            status: Status::Active,
            rule: None,
            evidence: format!(
                "new customer: first visit {}, {} visit{}; too little history to judge",
                to_date(first),
                figures.visits,
                plural(figures.visits as usize)
            ),
            findings: Vec::new(),
            figures,
        };
    }

    let rules = &config.rules;
    let mut findings = Vec::new();
    let mut excuses = Vec::new();
    let mut take = |check: Check, findings: &mut Vec<Finding>| match check {
        Check::Fired(f) => findings.push(f),
        Check::Excused(why) => excuses.push(why),
        Check::Quiet => {}
    };
    if rules.gone.enabled {
        take(gone::check(&c), &mut findings);
    }
    // A customer who is gone has also "slowed": the rate rules would only repeat it.
    let gone = findings.iter().any(|f| f.rule == RuleId::Gone);
    if rules.partial_defection.enabled && !gone {
        take(
            rate_fall::check(&c, &rules.partial_defection, RuleId::PartialDefection),
            &mut findings,
        );
    }
    if rules.category_stop.enabled {
        take(category_stop::check(&c), &mut findings);
    }
    if rules.spend_drop.enabled {
        take(spend_drop::check(&c), &mut findings);
    }
    let fell_by_half = findings.iter().any(|f| f.rule == RuleId::PartialDefection);
    if rules.slowing.enabled && !fell_by_half && !gone {
        take(
            rate_fall::check(&c, &rules.slowing, RuleId::Slowing),
            &mut findings,
        );
    }

    let worst = findings
        .iter()
        .map(|f| f.status)
        .max()
        .unwrap_or(Status::Active);
    let primary = findings.iter().position(|f| f.status == worst);
    let (rule, evidence) = match primary {
        Some(i) if worst != Status::Active => {
            let mut parts = vec![findings[i].evidence.clone()];
            parts.extend(
                findings
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .map(|(_, f)| f.evidence.clone()),
            );
            (Some(findings[i].rule), parts.join("; "))
        }
        _ => {
            let mut parts = excuses.clone();
            parts.extend(findings.iter().map(|f| f.evidence.clone()));
            if parts.is_empty() {
                parts.push(steady_evidence(&figures, config));
            }
            (None, parts.join("; "))
        }
    };
    Judgement {
        status: worst,
        rule,
        evidence,
        findings,
        figures,
    }
}

/// Evidence for a customer no rule flagged.
fn steady_evidence(f: &Figures, config: &RuleConfig) -> String {
    if f.visits < config.history.min_visits {
        return format!(
            "only {} visit{} (last {}); too few to know their rhythm",
            f.visits,
            plural(f.visits as usize),
            to_date(f.last_visit)
        );
    }
    match (f.recent_visits_per_month, f.baseline_visits_per_month) {
        (Some(r), Some(b)) => format!("visits steady: {r:.1}/month recently, {b:.1}/month before"),
        _ => format!("{} visits, last {}", f.visits, to_date(f.last_visit)),
    }
}

fn figures(c: &Customer) -> Figures {
    let h = c.history;
    let hist = &c.config.history;
    let first = h.first_day().unwrap_or(c.as_of);
    let last = h.last_day().unwrap_or(c.as_of);
    let recent_from = c.as_of - hist.recent_days as Day + 1;
    let end = c.as_of + 1;
    let base_from = (recent_from - hist.baseline_days as Day).max(first);
    let base_len = recent_from - base_from;
    let k_base = h.visits_between(base_from, recent_from);
    let k_recent = h.visits_between(recent_from, end);
    let recent_len = end - recent_from.max(first);
    let gaps: Vec<f64> = h
        .visits
        .windows(2)
        .map(|w| f64::from(w[1].day - w[0].day))
        .collect();
    let per_visit = |revenue: f64, visits: usize| (visits > 0).then(|| revenue / visits as f64);
    Figures {
        first_visit: first,
        last_visit: last,
        visits: h.visits.len() as u32,
        revenue: h.revenue(),
        revenue_12m: h.revenue_between(c.as_of - 364, end),
        baseline_visits_per_month: (base_len > 0)
            .then(|| k_base as f64 / f64::from(base_len) * DAYS_PER_MONTH),
        recent_days: hist.recent_days,
        recent_visits_per_month: (recent_len > 0)
            .then(|| k_recent as f64 / f64::from(recent_len) * DAYS_PER_MONTH),
        baseline_spend_per_visit: per_visit(h.revenue_between(base_from, recent_from), k_base),
        recent_spend_per_visit: per_visit(h.revenue_between(recent_from, end), k_recent),
        usual_gap_days: (!gaps.is_empty()).then(|| median(&gaps)),
        days_since_last_visit: c.as_of - last,
    }
}

pub(crate) fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// "4.2/month"
pub(crate) fn per_month(visits: f64, days: f64) -> f64 {
    if days <= 0.0 {
        0.0
    } else {
        visits / days * DAYS_PER_MONTH
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Hand-built histories for the rules' unit tests.
    use super::*;
    use crate::history::Visit;
    use chrono::NaiveDate;

    pub fn day(y: i32, m: u32, d: u32) -> Day {
        crate::normalize::date::to_day(NaiveDate::from_ymd_opt(y, m, d).unwrap())
    }

    /// Visits on the given days, each spending `spend`, buying the given categories.
    pub struct Built {
        pub visits: Vec<Visit>,
        pub categories: Vec<u32>,
        pub offsets: Vec<u32>,
    }

    impl Built {
        pub fn new(
            days: &[Day],
            spend: impl Fn(usize) -> f64,
            cats: impl Fn(usize) -> Vec<u32>,
        ) -> Built {
            let mut b = Built {
                visits: Vec::new(),
                categories: Vec::new(),
                offsets: vec![0],
            };
            for (i, &d) in days.iter().enumerate() {
                b.visits.push(Visit {
                    day: d,
                    spend: spend(i),
                    lines: 1,
                });
                b.categories.extend(cats(i));
                b.offsets.push(b.categories.len() as u32);
            }
            b
        }

        pub fn history(&self) -> History<'_> {
            History::new(0, &self.visits, &[], &self.categories, &self.offsets)
        }
    }

    /// Every `every` days from `from` (inclusive) to `to` (exclusive).
    pub fn every(from: Day, to: Day, every: i32) -> Vec<Day> {
        (0..)
            .map(|i| from + i * every)
            .take_while(|&d| d < to)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;

    #[test]
    fn a_steady_weekly_customer_is_active() {
        let as_of = day(2026, 10, 31);
        let b = Built::new(&every(as_of - 700, as_of, 7), |_| 20.0, |_| vec![0]);
        let j = judge(&b.history(), as_of, &RuleConfig::default());
        assert_eq!(j.status, Status::Active, "{}", j.evidence);
        assert!(j.evidence.starts_with("visits steady"), "{}", j.evidence);
        assert_eq!(j.figures.usual_gap_days, Some(7.0));
        assert!((j.figures.revenue_12m - 52.0 * 20.0).abs() < 40.0 + 1e-9);
    }

    #[test]
    fn new_customers_are_active_and_say_so() {
        let as_of = day(2026, 10, 31);
        let b = Built::new(&[as_of - 50, as_of - 40], |_| 10.0, |_| vec![]);
        let j = judge(&b.history(), as_of, &RuleConfig::default());
        assert_eq!(j.status, Status::Active);
        assert!(
            j.evidence
                .starts_with("new customer: first visit 2026-09-11, 2 visits"),
            "{}",
            j.evidence
        );
    }

    #[test]
    fn the_worst_status_wins_and_switched_off_rules_do_not_fire() {
        let as_of = day(2026, 10, 31);
        // weekly for two years, then nothing for 120 days
        let b = Built::new(&every(as_of - 730, as_of - 120, 7), |_| 20.0, |_| vec![0]);
        let j = judge(&b.history(), as_of, &RuleConfig::default());
        assert_eq!(j.status, Status::Defected);
        assert_eq!(j.rule, Some(RuleId::Gone));

        let mut config = RuleConfig::default();
        config.rules.gone.enabled = false;
        config.rules.partial_defection.status = Status::AtRisk;
        let j = judge(&b.history(), as_of, &config);
        assert_eq!(j.status, Status::AtRisk);
        assert_eq!(j.rule, Some(RuleId::PartialDefection));
    }
}

/// A customer's judgement now and, for the defection rate, at the start of the period.
#[derive(Clone, Debug)]
pub struct Verdict {
    pub customer: u32,
    pub judgement: Judgement,
    /// Their status at `period_start` (None: not yet a customer then).
    pub status_at_start: Option<Status>,
    pub main_store: Option<u32>,
    pub main_employee: Option<u32>,
    pub main_category: Option<u32>,
}

/// Applies the rules to every customer as of `as_of`, and as of `period_start` for the
/// defection rate (their history cut at that date).
pub fn apply_rules(
    purchases: &crate::normalize::Purchases,
    as_of: Day,
    period_start: Day,
    dedupe: bool,
    config: &RuleConfig,
) -> (Vec<Verdict>, crate::history::GroupCounts) {
    let (both, counts) =
        apply_rules_with(purchases, as_of, period_start, dedupe, config, |_, _| ());
    (both.into_iter().map(|(v, ())| v).collect(), counts)
}

/// [`apply_rules`], also computing `extra` from each customer's history and judgement
/// in the same pass (e.g. lifetime-value inputs).
pub fn apply_rules_with<R: Send>(
    purchases: &crate::normalize::Purchases,
    as_of: Day,
    period_start: Day,
    dedupe: bool,
    config: &RuleConfig,
    extra: impl Fn(&History, &Judgement) -> R + Sync,
) -> (Vec<(Verdict, R)>, crate::history::GroupCounts) {
    let names: &[String] = purchases.categories.as_ref().map_or(&[], |d| &d.values);
    crate::history::group(purchases, as_of, dedupe, |h| {
        let judgement = judge_named(h, as_of, config, names);
        let status_at_start = (judgement.figures.first_visit <= period_start)
            .then(|| judge_named(&h.until(period_start), period_start, config, names).status);
        let more = extra(h, &judgement);
        let verdict = Verdict {
            customer: h.customer,
            judgement,
            status_at_start,
            main_store: h.main_store,
            main_employee: h.main_employee,
            main_category: h.main_category,
        };
        (verdict, more)
    })
}
