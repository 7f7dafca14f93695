//! The summary every command shows, one definition per figure: what happened to the
//! rows, how many customers are active, at risk or defected, the defection rate, and the
//! revenue and value behind it. Its JSON form is the contract for machines: every
//! command's `--format json` has this `summary` object, with the same keys and values.
//!
//! **The period.** The defection rate is measured over the longest of 12, 3 or 1 months
//! up to the as-of date that leaves some history before its start (at least 3 months of
//! data before a 12- or 3-month period, 1 month before a 1-month period), so a customer
//! counted at the start has been seen before it. With less data there is no rate.
//!
//! **Revenue lost** is the net revenue, over the last 12 months (or over the months of
//! data when there are fewer), of the customers who defected in the period: those counted
//! in the defection rate's numerator. **Revenue at risk** is the same for the customers at
//! risk now. Figures are "a year" only when 12 months of data lie behind them.

use chrono::NaiveDate;
use serde::Serialize;

use crate::history::GroupCounts;
use crate::metrics::rate::Period as Length;
use crate::normalize::date::to_date;
use crate::normalize::{Day, Purchases, RowCounts, UsedColumns};
use crate::rules::{RuleId, Status, Verdict};
use crate::stats::wilson;

/// Every row of the input, accounted for: `read = used + anonymous + duplicates_dropped +
/// skipped + after_as_of + voided + cancelled + not_sales`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RowSummary {
    pub read: u64,
    pub used: u64,
    /// Rows without a customer id (no card): not part of customer analysis.
    pub anonymous: u64,
    /// Void lines, and the sales a void record reversed: left out as if never made.
    pub voided: u64,
    /// Lines of orders cancelled or voided as a whole: left out as if never made.
    pub cancelled: u64,
    /// Records that are not sales (cash floats, transfers, paid-outs).
    pub not_sales: u64,
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

/// One input file of several: what was read from it, and what was left out before
/// customers were grouped (anonymous, skipped, voided, cancelled, not sales).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct FileSummary {
    pub name: String,
    pub sheet: Option<String>,
    pub read: u64,
    pub anonymous: u64,
    pub skipped: u64,
    pub voided: u64,
    pub cancelled: u64,
    pub not_sales: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReasonCount {
    pub reason: String,
    pub rows: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RuleCount {
    pub rule: RuleId,
    pub customers: u64,
}

/// The period the defection rate is measured over, and the data behind it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Period {
    /// The first day of the data (of identified customers, up to the as-of date).
    pub data_start: Option<Day>,
    /// Whole months from `data_start` to the as-of date.
    pub months_of_data: u32,
    /// The rate's period: its first day and length; `None` with too little data.
    pub start: Option<Day>,
    pub length: Option<Length>,
    pub end: Day,
}

/// The periods the rate can be measured over, longest first, with the months of data
/// each needs before its start.
const PERIODS: [(Length, u32); 3] = [(Length::Year, 3), (Length::Quarter, 3), (Length::Month, 1)];

impl Period {
    /// The period ending `as_of` for data starting `data_start`.
    pub fn new(data_start: Option<Day>, as_of: Day) -> Period {
        // The data cover whole days: 2026-02-01 to 2026-10-31 is 9 months.
        let months_of_data = data_start.map_or(0, |s| whole_months(s, as_of + 1));
        let length = PERIODS
            .iter()
            .find(|(length, before)| months_of_data >= length.months() + before)
            .map(|&(length, _)| length);
        Period {
            data_start,
            months_of_data,
            start: length.map(|l| l.start(as_of)),
            length,
            end: as_of,
        }
    }

    /// The period of the same `length` ending `as_of` (to compare with another date).
    pub fn with_length(data_start: Option<Day>, as_of: Day, length: Option<Length>) -> Period {
        Period {
            start: length.map(|l| l.start(as_of)),
            length,
            end: as_of,
            ..Period::new(data_start, as_of)
        }
    }

    /// Whether revenue figures cover a whole year.
    pub fn full_year(&self) -> bool {
        self.months_of_data >= 12
    }

    /// The months behind the revenue figures: 12, or the months of data when fewer.
    pub fn revenue_months(&self) -> u32 {
        self.months_of_data.min(12)
    }
}

/// Whole calendar months from `from` to `to`: 2026-01-31 to 2026-10-31 is 9.
fn whole_months(from: Day, to: Day) -> u32 {
    use chrono::Datelike;
    let (a, b) = (to_date(from), to_date(to));
    let months = (b.year() - a.year()) * 12 + b.month() as i32
        - a.month() as i32
        - i32::from(b.day() < a.day());
    months.max(0) as u32
}

/// The value figures: what a regular is worth, what defection costs. Counted over
/// [`ValueFigures::horizon_years`], discounted, with the margin.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ValueFigures {
    pub horizon_years: f64,
    pub annual_discount: f64,
    pub margin: f64,
    /// Mean value of an active customer with 12+ visits in the last 12 months.
    pub regular_worth: Option<f64>,
    pub regulars: u64,
    /// The value the period's defectors would have brought, had they kept coming.
    pub value_lost: f64,
    /// The same for the customers at risk now.
    pub value_at_risk: f64,
    /// The models behind the figures.
    pub model: String,
    pub converged: bool,
}

/// The summary of one analysis. See the module documentation for each definition.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Summary {
    pub source: String,
    pub as_of: NaiveDate,
    /// The defection rate's period (`null` with too little data for one).
    pub period_start: Option<NaiveDate>,
    pub period_end: NaiveDate,
    pub period_months: Option<u32>,
    pub data_start: Option<NaiveDate>,
    pub months_of_data: u32,
    pub customers: u64,
    pub active: u64,
    pub at_risk: u64,
    pub defected: u64,
    /// Customers active or at risk at the period's start: the rate's denominator.
    pub period_customers: u64,
    /// Of those, defected at its end: the rate's numerator.
    pub period_defectors: u64,
    pub defection_rate: Option<f64>,
    /// 95% Wilson score interval.
    pub defection_rate_low: Option<f64>,
    pub defection_rate_high: Option<f64>,
    /// The months the revenue figures cover: 12, or the months of data when fewer.
    pub revenue_months: u32,
    /// Whether the export has amounts; without (a visit log), revenue and value figures
    /// are `null`.
    pub has_amounts: bool,
    /// Net revenue of all customers over those months.
    pub revenue: Option<f64>,
    pub revenue_lost: Option<f64>,
    pub revenue_at_risk: Option<f64>,
    /// How money is labelled (`null` when the export gives no sign of it).
    pub currency: Option<String>,
    /// `null` when the value figures are not available (see `warnings`).
    pub value: Option<ValueFigures>,
    /// Flagged customers by the rule that decided their status.
    pub flagged_by: Vec<RuleCount>,
    /// The columns read for each role: a wrong pick is visible at once.
    pub columns: UsedColumns,
    pub rows: RowSummary,
    /// Each input file, when several were read: its rows read and left out.
    pub files: Vec<FileSummary>,
    /// Caveats about the figures above, in words.
    pub warnings: Vec<String>,
}

impl Summary {
    pub fn count(&self, status: Status) -> u64 {
        match status {
            Status::Active => self.active,
            Status::AtRisk => self.at_risk,
            Status::Defected => self.defected,
        }
    }

    /// A status' share of all customers.
    pub fn share(&self, status: Status) -> f64 {
        if self.customers == 0 {
            0.0
        } else {
            self.count(status) as f64 / self.customers as f64
        }
    }

    /// Whether the revenue figures cover a whole year.
    pub fn full_year(&self) -> bool {
        self.revenue_months >= 12
    }
}

/// Whether a customer counts in the period's defection rate: active or at risk at its
/// start, and (then) whether defected at its end.
pub fn in_period(v: &Verdict) -> (bool, bool) {
    let counted = v.status_at_start.is_some_and(|s| s != Status::Defected);
    (counted, counted && v.judgement.status == Status::Defected)
}

/// Sums up an analysis. The value figures, currency and warnings are the caller's to
/// add.
pub fn summarize(
    purchases: &Purchases,
    period: &Period,
    grouped: &GroupCounts,
    verdicts: &[&Verdict],
) -> Summary {
    let rows = &purchases.rows;
    let money = |v: f64| purchases.has_amounts().then_some(v + 0.0);
    let count = |status: Status| {
        verdicts
            .iter()
            .filter(|v| v.judgement.status == status)
            .count() as u64
    };
    let mut flagged_by: Vec<RuleCount> = RuleId::ALL
        .iter()
        .map(|&rule| RuleCount {
            rule,
            customers: verdicts
                .iter()
                .filter(|v| v.judgement.rule == Some(rule))
                .count() as u64,
        })
        .collect();
    flagged_by.retain(|r| r.customers > 0);

    let (mut base, mut defectors, mut revenue_lost) = (0u64, 0u64, 0.0);
    for v in verdicts {
        let (counted, defected) = in_period(v);
        base += u64::from(counted);
        if defected {
            defectors += 1;
            revenue_lost += v.judgement.figures.revenue_12m;
        }
    }
    let rate = (base > 0 && period.start.is_some()).then(|| {
        let (low, high) = wilson(defectors, base, 1.959_964);
        (defectors as f64 / base as f64, low, high)
    });
    let revenue_of = |status: Option<Status>| -> f64 {
        verdicts
            .iter()
            .filter(|v| status.is_none_or(|s| v.judgement.status == s))
            .map(|v| v.judgement.figures.revenue_12m)
            .sum::<f64>()
            + 0.0
    };
    let files = if purchases.files.len() > 1 {
        purchases
            .files
            .iter()
            .map(|f| FileSummary {
                name: f.name.clone(),
                sheet: f.sheet.clone(),
                read: f.rows.read,
                anonymous: f.rows.anonymous,
                skipped: f.rows.skipped.len() as u64,
                voided: f.rows.voided,
                cancelled: f.rows.cancelled,
                not_sales: f.rows.not_sales,
            })
            .collect()
    } else {
        Vec::new()
    };
    Summary {
        source: purchases.source.clone(),
        as_of: to_date(period.end),
        period_start: period.start.map(to_date),
        period_end: to_date(period.end),
        period_months: period.length.map(Length::months),
        data_start: period.data_start.map(to_date),
        months_of_data: period.months_of_data,
        customers: verdicts.len() as u64,
        active: count(Status::Active),
        at_risk: count(Status::AtRisk),
        defected: count(Status::Defected),
        period_customers: base,
        period_defectors: defectors,
        defection_rate: rate.map(|r| r.0),
        defection_rate_low: rate.map(|r| r.1),
        defection_rate_high: rate.map(|r| r.2),
        revenue_months: period.revenue_months(),
        has_amounts: purchases.has_amounts(),
        revenue: money(revenue_of(None)),
        revenue_lost: money(revenue_lost),
        revenue_at_risk: money(revenue_of(Some(Status::AtRisk))),
        currency: None,
        value: None,
        flagged_by,
        columns: purchases.columns.clone(),
        rows: row_summary(rows, grouped),
        files,
        warnings: Vec::new(),
    }
}

/// Every row accounted for.
fn row_summary(rows: &RowCounts, grouped: &GroupCounts) -> RowSummary {
    let mut reasons: Vec<ReasonCount> = Vec::new();
    for r in &rows.skipped {
        // Group by the kind of problem, not the value: `column "amount": "x" is not...`
        let kind = r.kind();
        match reasons.iter_mut().find(|c| c.reason == kind) {
            Some(c) => c.rows += 1,
            None => reasons.push(ReasonCount {
                reason: kind,
                rows: 1,
            }),
        }
    }
    reasons.sort_by(|a, b| b.rows.cmp(&a.rows).then(a.reason.cmp(&b.reason)));
    RowSummary {
        read: rows.read,
        used: grouped.used,
        anonymous: rows.anonymous,
        voided: rows.voided,
        cancelled: rows.cancelled,
        not_sales: rows.not_sales,
        duplicates: grouped.duplicates,
        duplicates_dropped: if grouped.duplicates_dropped {
            grouped.duplicates
        } else {
            0
        },
        skipped: rows.skipped.len() as u64,
        after_as_of: grouped.after_as_of,
        refund_lines: grouped.refund_lines,
        skipped_reasons: reasons,
    }
}

/// The first day of the year that ends on `as_of`: the same date a year earlier.
pub fn period_start(as_of: Day) -> Day {
    crate::rules::seasonal::year_before(as_of)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::date::to_day;

    fn day(text: &str) -> Day {
        to_day(text.parse().unwrap())
    }

    #[test]
    fn the_period_leaves_history_before_its_start() {
        let as_of = day("2026-10-31");
        let p = Period::new(Some(day("2024-11-01")), as_of);
        assert_eq!((p.months_of_data, p.length), (24, Some(Length::Year)));
        assert_eq!(p.start, Some(day("2025-10-31")));
        assert!(p.full_year());
        // 9 months of data: a quarter, and revenue over the 9 months.
        let p = Period::new(Some(day("2026-02-01")), as_of);
        assert_eq!((p.months_of_data, p.length), (9, Some(Length::Quarter)));
        assert_eq!(p.start, Some(day("2026-07-31")));
        assert_eq!(p.revenue_months(), 9);
        assert!(!p.full_year());
        // 14 months: not yet 3 months before a year.
        let p = Period::new(Some(day("2025-08-25")), as_of);
        assert_eq!((p.months_of_data, p.length), (14, Some(Length::Quarter)));
        let p = Period::new(Some(day("2026-10-01")), as_of);
        assert_eq!((p.months_of_data, p.length), (1, None));
        assert_eq!(Period::new(None, as_of).start, None);
    }
}
