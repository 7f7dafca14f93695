//! Renderers for `churn clv`.

use std::io::{self, Write};

use chrono::NaiveDate;
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, CellAlignment, ContentArrangement, Table};
use serde::Serialize;

use super::csv::plain;
use super::{SCHEMA_VERSION, count, money};
use crate::metrics::clv::{CustomerInput, CustomerValue, DAYS_PER_YEAR, Headline, Model, Values};
use crate::normalize::{Day, Purchases, date::to_date};
use crate::rules::Status;

/// One customer's row: who they are, then their value.
#[derive(Clone, Debug, Serialize)]
pub struct ClvRow {
    pub customer_id: String,
    pub status: Status,
    #[serde(flatten)]
    pub value: CustomerValue,
}

/// Everything `churn clv` reports.
#[derive(Clone, Debug, Serialize)]
pub struct ClvReport {
    pub schema_version: u32,
    pub source: String,
    pub as_of: NaiveDate,
    pub horizon_days: f64,
    pub model: Model,
    pub headline: Headline,
    pub customers: Vec<ClvRow>,
}

impl ClvReport {
    /// Rows sorted by lifetime value, highest first, then customer id.
    pub fn new(
        purchases: &Purchases,
        as_of: Day,
        inputs: &[CustomerInput],
        values: Values,
    ) -> ClvReport {
        let mut customers: Vec<ClvRow> = values
            .customers
            .into_iter()
            .zip(inputs)
            .map(|(value, c)| ClvRow {
                customer_id: purchases.customers.name(value.customer).to_string(),
                status: c.status,
                value,
            })
            .collect();
        customers.sort_by(|a, b| {
            b.value
                .clv
                .total_cmp(&a.value.clv)
                .then(a.customer_id.cmp(&b.customer_id))
        });
        ClvReport {
            schema_version: SCHEMA_VERSION,
            source: purchases.source.clone(),
            as_of: to_date(as_of),
            horizon_days: values.headline.settings.horizon_days,
            model: values.model,
            headline: values.headline,
            customers,
        }
    }

    /// "1 year", "26 weeks", "184 days".
    pub fn horizon(&self) -> String {
        let d = self.horizon_days;
        let years = d / DAYS_PER_YEAR;
        if (years - years.round()).abs() < 1e-9 && years >= 1.0 {
            format!(
                "{} year{}",
                years.round(),
                if years.round() == 1.0 { "" } else { "s" }
            )
        } else if (d / 7.0 - (d / 7.0).round()).abs() < 1e-9 {
            format!("{} weeks", (d / 7.0).round())
        } else {
            format!("{d:.0} days")
        }
    }

    /// The headline and model as (label, text) lines.
    pub fn summary_lines(&self) -> Vec<(&'static str, String)> {
        let h = &self.headline;
        let s = &h.settings;
        let bg = &self.model.bgnbd;
        let assumptions = format!(
            "discount {:.0}% a year, margin {:.0}% of revenue",
            s.annual_discount * 100.0,
            s.margin * 100.0
        );
        let mut lines = vec![("as of", self.as_of.to_string())];
        lines.push((
            "a regular is worth",
            match h.regular_worth_10y {
                Some(w) => format!(
                    "{} over ten years ({assumptions}; mean of the {} active customers with {}+ visits in the last 12 months)",
                    money(w),
                    count(h.regulars as u64),
                    crate::metrics::clv::REGULAR_VISITS_12M
                ),
                None => "no regulars (active, 12+ visits in the last 12 months) to value".into(),
            },
        ));
        lines.push((
            "value lost",
            format!(
                "{} over {} with the defected customers, had they kept coming ({assumptions})",
                money(h.value_lost),
                self.horizon()
            ),
        ));
        lines.push((
            "value at risk",
            format!(
                "{} over {} in at-risk customers ({assumptions})",
                money(h.value_at_risk),
                self.horizon()
            ),
        ));
        lines.push((
            "visit model",
            format!(
                "BG/NBD r={:.3} alpha={:.3} a={:.3} b={:.3} (weeks), log-likelihood {:.1}, {} after {} iterations, {} customers",
                bg.params.r,
                bg.params.alpha,
                bg.params.a,
                bg.params.b,
                bg.log_likelihood,
                if bg.converged { "converged" } else { "NOT converged" },
                bg.iterations,
                count(self.model.customers as u64)
            ),
        ));
        lines.push((
            "spend model",
            match &self.model.gamma_gamma {
                Some(g) => format!(
                    "Gamma-Gamma p={:.3} q={:.3} v={:.3}, {}, {} repeat customers",
                    g.params.p,
                    g.params.q,
                    g.params.v,
                    if g.converged { "converged" } else { "NOT converged" },
                    count(self.model.repeat_customers as u64)
                ),
                None => format!(
                    "not fitted (too few repeat customers with positive spend); {} per visit for everyone",
                    money(self.model.population_spend)
                ),
            },
        ));
        lines
    }
}

/// CSV column order.
pub const COLUMNS: [&str; 13] = [
    "customer_id",
    "historical_revenue",
    "predicted_visits",
    "predicted_revenue",
    "p_alive",
    "clv",
    "status",
    "expected_spend",
    "value_if_retained",
    "correction",
    "frequency",
    "recency_weeks",
    "tenure_weeks",
];

pub fn csv(report: &ClvReport, w: &mut dyn Write) -> io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record(COLUMNS)?;
    for c in &report.customers {
        out.write_record([
            c.customer_id.clone(),
            plain(c.value.historical_revenue, 2),
            plain(c.value.predicted_visits, 3),
            plain(c.value.predicted_revenue, 2),
            plain(c.value.p_alive, 4),
            plain(c.value.clv, 2),
            c.status.as_str().to_string(),
            plain(c.value.expected_spend, 2),
            plain(c.value.value_if_retained, 2),
            c.value.correction.unwrap_or("").to_string(),
            plain(c.value.frequency, 0),
            plain(c.value.recency_weeks, 2),
            plain(c.value.tenure_weeks, 2),
        ])?;
    }
    out.flush()
}

pub fn table(report: &ClvReport, limit: usize, w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, "churn clv: {}", report.source)?;
    writeln!(w, "{}", super::table::summary_table(report.summary_lines()))?;
    writeln!(
        w,
        "\nMost valuable customers over {} ({} of {}):",
        report.horizon(),
        count(report.customers.len().min(limit) as u64),
        count(report.customers.len() as u64)
    )?;
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(vec![
            "customer",
            "status",
            "to date",
            "visits ahead",
            "P(alive)",
            "value",
            "note",
        ]);
    for c in report.customers.iter().take(limit) {
        let right = |text: String| Cell::new(text).set_alignment(CellAlignment::Right);
        table.add_row(vec![
            Cell::new(&c.customer_id),
            Cell::new(c.status.label()),
            right(money(c.value.historical_revenue)),
            right(format!("{:.1}", c.value.predicted_visits)),
            right(format!("{:.2}", c.value.p_alive)),
            right(money(c.value.clv)),
            Cell::new(c.value.correction.unwrap_or("")),
        ]);
    }
    writeln!(w, "{table}")
}

pub fn markdown(report: &ClvReport, limit: usize, w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, "# churn clv: {}\n", report.source)?;
    for (label, text) in report.summary_lines() {
        writeln!(w, "- **{label}**: {text}")?;
    }
    writeln!(
        w,
        "\n## Most valuable customers over {}\n",
        report.horizon()
    )?;
    writeln!(
        w,
        "| customer | status | to date | visits ahead | P(alive) | value | note |"
    )?;
    writeln!(w, "|---|---|---:|---:|---:|---:|---|")?;
    for c in report.customers.iter().take(limit) {
        writeln!(
            w,
            "| {} | {} | {} | {:.1} | {:.2} | {} | {} |",
            c.customer_id.replace('|', "\\|"),
            c.status.label(),
            money(c.value.historical_revenue),
            c.value.predicted_visits,
            c.value.p_alive,
            money(c.value.clv),
            c.value.correction.unwrap_or("")
        )?;
    }
    Ok(())
}
