//! The summary every command shows, in words: one (label, text) line per figure, each
//! with its period and unit. The table, Markdown and HTML renderers all print these
//! lines, so a figure reads the same everywhere; JSON has the [`Summary`] itself.

use crate::metrics::Summary;
use crate::metrics::summary::ValueFigures;
use crate::rules::Status;

use super::{count, money, percent};

/// Money with the summary's currency: `1,234.50 kr`, `$1,234.50`; `n/a` when the export
/// has no amounts (a visit log), so a 0.00 never passes for a real figure.
pub fn amount(s: &Summary, v: f64) -> String {
    if s.has_amounts {
        with_currency(s.currency.as_deref(), v)
    } else {
        "n/a".to_string()
    }
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
    for (n, what) in [
        (r.voided, "voided"),
        (r.cancelled, "of cancelled orders"),
        (r.not_sales, "not sales (floats, transfers)"),
    ] {
        if n > 0 {
            rows += &format!(", {} {what}", count(n));
        }
    }
    if r.after_as_of > 0 {
        rows += &format!(", {} after the as-of date", count(r.after_as_of));
    }
    rows
}

/// Every summary line: (label, text).
pub fn lines(s: &Summary) -> Vec<(&'static str, String)> {
    let r = &s.rows;
    let mut lines = vec![
        ("as of", s.as_of.to_string()),
        ("columns", s.columns.to_string()),
        ("rows", rows_line(s)),
    ];
    for f in &s.files {
        let sheet = f
            .sheet
            .as_ref()
            .map_or(String::new(), |n| format!(" ({n})"));
        let mut text = format!("{} read", count(f.read));
        for (n, what) in [
            (f.anonymous, "anonymous"),
            (f.skipped, "skipped"),
            (f.voided, "voided"),
            (f.cancelled, "cancelled"),
            (f.not_sales, "not sales"),
        ] {
            if n > 0 {
                text += &format!(", {} {what}", count(n));
            }
        }
        lines.push(("file", format!("{}{sheet}: {text}", f.name)));
    }
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

/// What a figure counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// A fraction (0.31 is 31%).
    Share,
    /// Money, in the summary's currency.
    Money,
    /// Customers.
    Count,
}

/// One headline figure: its value, what it counts and over what, what it means, and its
/// value at the previous month end when known. Every format renders these.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Figure {
    pub key: &'static str,
    pub label: &'static str,
    /// The value as shown: `31.0%`, `34,243.13 kr`, `20`.
    pub text: String,
    /// The number behind it (a fraction for shares); `None` when not available.
    pub value: Option<f64>,
    pub unit: Unit,
    /// Over what: `a year`, `over 3 months`, `over 10 years`, `now`.
    pub period: String,
    /// One line of meaning.
    pub meaning: String,
    /// The same figure at the previous month end.
    pub previous: Option<f64>,
    /// Whether a rise is bad news.
    pub higher_is_worse: bool,
}

impl Figure {
    /// `value - previous`, when both are known.
    pub fn change(&self) -> Option<f64> {
        Some(self.value? - self.previous?)
    }

    /// The change for people: `+8.1 points`, `-1,204.00 kr`, `+3`, with whether it is
    /// good news; `None` without a previous value.
    pub fn change_text(&self, s: &Summary) -> Option<(String, bool)> {
        let c = self.change()?;
        let sign = if c > 0.0 {
            "+"
        } else if c < 0.0 {
            "-"
        } else {
            "±"
        };
        let text = match self.unit {
            Unit::Share => format!("{sign}{:.1} points", (c * 100.0).abs()),
            Unit::Money => format!("{sign}{}", amount(s, c.abs())),
            Unit::Count => format!("{sign}{}", count(c.abs().round() as u64)),
        };
        let good = if self.higher_is_worse {
            c < 0.0
        } else {
            c > 0.0
        };
        Some((text, good || c == 0.0))
    }

    /// `31.0% a year: 35 of the 113 customers …`
    pub fn line(&self) -> String {
        match (self.period.is_empty(), self.meaning.is_empty()) {
            (true, true) => self.text.clone(),
            (true, false) => format!("{}: {}", self.text, self.meaning),
            (false, true) => format!("{} {}", self.text, self.period),
            (false, false) => format!("{} {}: {}", self.text, self.period, self.meaning),
        }
    }
}

/// The headline figures of a summary, with the previous month end's values when given.
pub fn figures(s: &Summary, previous: Option<&Summary>) -> Vec<Figure> {
    let figure = |key, label, unit, higher_is_worse| Figure {
        key,
        label,
        text: String::new(),
        value: None,
        unit,
        period: String::new(),
        meaning: String::new(),
        previous: None,
        higher_is_worse,
    };
    let mut out = Vec::new();

    let mut rate = figure("defection_rate", "defection rate", Unit::Share, true);
    match (s.defection_rate, s.period_months) {
        (Some(r), Some(m)) => {
            rate.text = percent(r);
            rate.value = Some(r);
            rate.period = if m == 12 {
                "a year".into()
            } else {
                format!("over {}", months(m))
            };
            rate.meaning = format!(
                "{} of the {} active on {} had defected by {} (95% interval {}–{})",
                count(s.period_defectors),
                customers(s.period_customers, ""),
                s.period_start.map_or(String::new(), |d| d.to_string()),
                s.period_end,
                percent(s.defection_rate_low.unwrap_or(r)),
                percent(s.defection_rate_high.unwrap_or(r))
            );
            rate.previous = previous.and_then(|p| p.defection_rate);
        }
        _ => {
            rate.text = "not available".into();
            rate.meaning = match s.period_start {
                Some(start) => format!("no customer was active on {start}"),
                None => format!(
                    "{} of data; a rate needs at least 2 months",
                    months(s.months_of_data)
                ),
            };
        }
    }
    out.push(rate);

    let period = revenue_period(s);
    let last = if s.full_year() {
        "last-12-month revenue"
    } else {
        "revenue"
    };
    if let (Some(_), Some(revenue_lost)) = (s.period_start, s.revenue_lost) {
        let mut lost = figure("revenue_lost", "revenue lost", Unit::Money, true);
        lost.text = amount(s, revenue_lost);
        lost.value = Some(revenue_lost);
        lost.period = period.clone();
        lost.meaning = format!(
            "{last} of the {} who defected in the period",
            customers(s.period_defectors, "")
        );
        lost.previous = previous.and_then(|p| p.revenue_lost);
        out.push(lost);
    }

    let mut at_risk = figure("at_risk", "at risk now", Unit::Count, true);
    at_risk.text = count(s.at_risk);
    at_risk.value = Some(s.at_risk as f64);
    at_risk.meaning = format!(
        "customers whose visits, spend or habits fell against their own history ({} of {})",
        percent(s.share(Status::AtRisk)),
        count(s.customers)
    );
    at_risk.previous = previous.map(|p| p.at_risk as f64);
    out.push(at_risk);

    if let Some(revenue_at_risk) = s.revenue_at_risk {
        let mut risk = figure("revenue_at_risk", "revenue at risk", Unit::Money, true);
        risk.text = amount(s, revenue_at_risk);
        risk.value = Some(revenue_at_risk);
        if s.at_risk == 0 {
            risk.meaning = "no customer is at risk".into();
        } else {
            risk.period = period;
            risk.meaning = format!("{last} of the {}", customers(s.at_risk, "at-risk"));
        }
        risk.previous = previous.and_then(|p| p.revenue_at_risk);
        out.push(risk);
    }

    if let Some(v) = &s.value {
        let over = format!("over {} years", v.horizon_years);
        let assumptions = value_assumptions(v);
        let mut worth = figure("regular_worth", "a regular is worth", Unit::Money, false);
        match v.regular_worth {
            Some(w) => {
                worth.text = amount(s, w);
                worth.value = Some(w);
                worth.period = over.clone();
                worth.meaning = format!(
                    "the mean of the {} active customers with {}+ visits in the last 12 months \
                     ({assumptions})",
                    count(v.regulars),
                    crate::metrics::clv::REGULAR_VISITS_12M
                );
            }
            None => {
                worth.text = "not available".into();
                worth.meaning = "no regulars (active, 12+ visits in the last 12 months)".into();
            }
        }
        out.push(worth);
        if s.period_start.is_some() {
            let mut lost = figure("value_lost", "future value lost", Unit::Money, true);
            lost.text = amount(s, v.value_lost);
            lost.value = Some(v.value_lost);
            lost.period = over.clone();
            lost.meaning = format!(
                "what the {} who defected in the period would have brought, had they kept \
                 coming ({assumptions})",
                customers(s.period_defectors, "")
            );
            out.push(lost);
        }
        if s.at_risk > 0 {
            let mut risk = figure("value_at_risk", "future value at risk", Unit::Money, true);
            risk.text = amount(s, v.value_at_risk);
            risk.value = Some(v.value_at_risk);
            risk.period = over;
            risk.meaning = format!("in the {} ({assumptions})", customers(s.at_risk, "at-risk"));
            out.push(risk);
        }
    }
    out
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
    let mut lines = vec![(
        "customers",
        format!("{}: {}", count(s.customers), statuses.join(", ")),
    )];
    for f in figures(s, None) {
        // The customers line says how many are at risk.
        if f.key != "at_risk" {
            lines.push((f.label, f.line()));
        }
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
