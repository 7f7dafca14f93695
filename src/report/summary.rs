//! The summary every command shows, in words: one (label, text) line per figure, each
//! with its period and unit. The table, Markdown and HTML renderers all print these
//! lines, so a figure reads the same everywhere; JSON has the [`Summary`] itself.

use crate::metrics::Summary;
use crate::metrics::summary::ValueFigures;
use crate::rules::Status;

use super::{count, money, percent};

/// Money with the summary's currency: `1,234.50 kr`, `$1,234.50`.
pub fn amount(s: &Summary, v: f64) -> String {
    with_currency(s.currency.as_deref(), v)
}

/// Money with a currency label, when known.
pub fn with_currency(currency: Option<&str>, v: f64) -> String {
    let m = money(v);
    match currency {
        None => m,
        Some(c @ ("$" | "£" | "US$" | "A$" | "C$")) => match m.strip_prefix('-') {
            Some(abs) => format!("-{c}{abs}"),
            None => format!("{c}{m}"),
        },
        Some(c) => format!("{m} {c}"),
    }
}

/// "a year" or "over the 9 months of data".
fn revenue_period(s: &Summary) -> String {
    if s.full_year() {
        "a year".to_string()
    } else {
        format!(
            "over the {} month{} of data",
            s.revenue_months,
            if s.revenue_months == 1 { "" } else { "s" }
        )
    }
}

/// "12 months" / "3 months" / "1 month".
fn months(n: u32) -> String {
    format!("{n} month{}", if n == 1 { "" } else { "s" })
}

/// "1 customer", "12 customers".
fn customers(n: u64, kind: &str) -> String {
    let kind = if kind.is_empty() {
        String::new()
    } else {
        format!("{kind} ")
    };
    format!(
        "{} {kind}customer{}",
        count(n),
        if n == 1 { "" } else { "s" }
    )
}

/// The row accounting in one line.
pub fn rows_line(s: &Summary) -> String {
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
    rows
}

/// The defection rate in words, with its period and interval.
pub fn rate_line(s: &Summary) -> String {
    match (
        s.defection_rate,
        s.defection_rate_low,
        s.defection_rate_high,
        s.period_start,
        s.period_months,
    ) {
        (Some(rate), Some(low), Some(high), Some(start), Some(m)) => format!(
            "{} {}: {} of the {} active on {start} had defected by {} (95% interval {}–{})",
            percent(rate),
            if m == 12 {
                "a year".to_string()
            } else {
                format!("over {}", months(m))
            },
            count(s.period_defectors),
            customers(s.period_customers, ""),
            s.period_end,
            percent(low),
            percent(high)
        ),
        (_, _, _, Some(start), _) => {
            format!("not available: no customer was active on {start}")
        }
        _ => format!(
            "not available: {} of data; a rate needs at least 2 months",
            months(s.months_of_data)
        ),
    }
}

/// Every summary line: (label, text).
pub fn lines(s: &Summary) -> Vec<(&'static str, String)> {
    let r = &s.rows;
    let mut lines = vec![("as of", s.as_of.to_string()), ("rows", rows_line(s))];
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
    lines.extend(figure_lines(s));
    lines
}

/// The figures without the row accounting: customers, rate, revenue, value, rules,
/// warnings.
pub fn figure_lines(s: &Summary) -> Vec<(&'static str, String)> {
    let statuses: Vec<String> = Status::ALL
        .iter()
        .map(|&st| {
            format!(
                "{} {} ({})",
                count(s.count(st)),
                st.label(),
                percent(s.share(st))
            )
        })
        .collect();
    let mut lines = vec![
        (
            "customers",
            format!("{}: {}", count(s.customers), statuses.join(", ")),
        ),
        ("defection rate", rate_line(s)),
    ];
    let period = revenue_period(s);
    let last = if s.full_year() {
        "last-12-month revenue"
    } else {
        "revenue"
    };
    if s.period_start.is_some() {
        lines.push((
            "revenue lost",
            format!(
                "{} {period}: {last} of the {} who defected in the period",
                amount(s, s.revenue_lost),
                customers(s.period_defectors, "")
            ),
        ));
    }
    lines.push((
        "revenue at risk",
        if s.at_risk == 0 {
            format!("{} (no customer is at risk)", amount(s, 0.0))
        } else {
            format!(
                "{} {period}: {last} of the {}",
                amount(s, s.revenue_at_risk),
                customers(s.at_risk, "at-risk")
            )
        },
    ));
    if let Some(v) = &s.value {
        lines.extend(value_lines(s, v));
    }
    if !s.flagged_by.is_empty() {
        let by: Vec<String> = s
            .flagged_by
            .iter()
            .map(|r| format!("{} {}", r.rule.as_str(), count(r.customers)))
            .collect();
        lines.push(("flagged by", by.join(", ")));
    }
    for w in &s.warnings {
        lines.push(("note", w.clone()));
    }
    lines
}

/// How the value figures are counted, in words.
pub fn value_assumptions(v: &ValueFigures) -> String {
    format!(
        "discounted {:.0}% a year, {}; {}",
        v.annual_discount * 100.0,
        if v.margin == 1.0 {
            "in revenue".to_string()
        } else {
            format!("in profit at a {:.0}% margin", v.margin * 100.0)
        },
        v.model
    )
}

fn value_lines(s: &Summary, v: &ValueFigures) -> Vec<(&'static str, String)> {
    let over = format!("over {} years", v.horizon_years);
    let assumptions = value_assumptions(v);
    let mut lines = vec![(
        "a regular is worth",
        match v.regular_worth {
            Some(w) => format!(
                "{} {over}: the mean of the {} active customers with {}+ visits in the last 12 \
                 months ({assumptions})",
                amount(s, w),
                count(v.regulars),
                crate::metrics::clv::REGULAR_VISITS_12M
            ),
            None => "no regulars (active, 12+ visits in the last 12 months) to value".into(),
        },
    )];
    if s.period_start.is_some() {
        lines.push((
            "future value lost",
            format!(
                "{} {over}: what the {} who defected in the period would have brought, had they \
                 kept coming ({assumptions})",
                amount(s, v.value_lost),
                customers(s.period_defectors, "")
            ),
        ));
    }
    if s.at_risk > 0 {
        lines.push((
            "future value at risk",
            format!(
                "{} {over} in the {} ({assumptions})",
                amount(s, v.value_at_risk),
                customers(s.at_risk, "at-risk")
            ),
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_carries_its_currency() {
        assert_eq!(with_currency(None, 1234.5), "1,234.50");
        assert_eq!(with_currency(Some("kr"), 1234.5), "1,234.50 kr");
        assert_eq!(with_currency(Some("$"), -12.0), "-$12.00");
        assert_eq!(with_currency(Some("EUR"), 0.0), "0.00 EUR");
    }
}
