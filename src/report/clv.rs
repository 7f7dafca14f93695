//! Renderers for `churn clv`.

use std::io::{self, Write};

use super::markdown::cell;

use chrono::NaiveDate;
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, CellAlignment, ContentArrangement, Table};
use serde::Serialize;

use super::csv::plain;
use super::{SCHEMA_VERSION, count};
use crate::metrics::Summary;
use crate::metrics::clv::{CustomerValue, DAYS_PER_YEAR, Model, Settings};
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
    /// The summary every command shares (its value figures are over ten years).
    pub summary: Summary,
    /// The customers' values below: over this horizon, with these settings.
    pub settings: Settings,
    pub model: Model,
    pub customers: Vec<ClvRow>,
}

impl ClvReport {
    /// Rows sorted by lifetime value, highest first, then customer id.
    pub fn new(
        summary: Summary,
        settings: Settings,
        model: Model,
        customers: impl Iterator<Item = (String, Status, CustomerValue)>,
    ) -> ClvReport {
        let mut customers: Vec<ClvRow> = customers
            .map(|(customer_id, status, value)| ClvRow {
                customer_id,
                status,
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
            source: summary.source.clone(),
            as_of: summary.as_of,
            summary,
            settings,
            model,
            customers,
        }
    }

    /// "1 year", "26 weeks", "184 days".
    pub fn horizon(&self) -> String {
        let d = self.settings.horizon_days;
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

    /// The shared summary's figures, then the model, as (label, text) lines.
    pub fn summary_lines(&self) -> Vec<(&'static str, String)> {
        let s = &self.settings;
        let mut lines = vec![("as of", self.as_of.to_string())];
        lines.extend(super::summary::figure_lines(&self.summary));
        lines.push((
            "values below",
            format!(
                "over {}, discounted {:.0}% a year, margin {:.0}% of revenue",
                self.horizon(),
                s.annual_discount * 100.0,
                s.margin * 100.0
            ),
        ));
        let v = &self.model.visits;
        let p = &v.fit.params;
        lines.push((
            "visit model",
            format!(
                "{}: {} (k={} r={:.3} alpha={:.3} a={:.3} b={:.3}, weeks; log-likelihood {:.1}, {} \
                 after {} iterations, {} customers)",
                v.name,
                v.reason,
                p.k,
                p.r,
                p.alpha,
                p.a,
                p.b,
                v.fit.log_likelihood,
                if v.fit.converged {
                    "converged"
                } else {
                    "NOT converged"
                },
                v.fit.iterations,
                count(self.model.customers as u64)
            ),
        ));
        let c = &self.model.corrections;
        lines.push((
            "corrections",
            match (&c.learning, c.factors.is_empty()) {
                (Some(l), false) => {
                    let factors: Vec<String> = c
                        .factors
                        .iter()
                        .map(|f| {
                            format!(
                                "{} visits ×{:.2}{} ({} customers)",
                                f.flag,
                                f.visits,
                                if f.strength != 0.0 {
                                    format!(" {:+.2}×measured change", f.strength)
                                } else {
                                    String::new()
                                },
                                count(f.customers as u64)
                            )
                        })
                        .collect();
                    format!(
                        "learned from what {} customers judged on {} did until {}: {}",
                        count(l.customers as u64),
                        l.judged_at,
                        l.until,
                        factors.join("; ")
                    )
                }
                _ => c
                    .note
                    .clone()
                    .unwrap_or_else(|| "none: nothing to learn them from".to_string()),
            },
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
                    super::summary::amount(&self.summary, self.model.population_spend)
                ),
            },
        ));
        lines
    }
}

/// CSV column order.
pub const COLUMNS: [&str; 16] = [
    "customer_id",
    "historical_revenue",
    "predicted_visits",
    "predicted_revenue",
    "p_alive",
    "p_no_visit",
    "next_visit",
    "overdue_since",
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
            super::csv::money(&report.summary, c.value.historical_revenue),
            plain(c.value.predicted_visits, 3),
            super::csv::money(&report.summary, c.value.predicted_revenue),
            plain(c.value.p_alive, 4),
            plain(c.value.p_no_visit, 4),
            c.value.next_visit.map_or(String::new(), |d| d.to_string()),
            c.value
                .overdue_since
                .map_or(String::new(), |d| d.to_string()),
            super::csv::money(&report.summary, c.value.clv),
            c.status.as_str().to_string(),
            super::csv::money(&report.summary, c.value.expected_spend),
            super::csv::money(&report.summary, c.value.value_if_retained),
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
    super::table::write(w, &mut super::table::summary_table(report.summary_lines()))?;
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
            right(super::summary::amount(
                &report.summary,
                c.value.historical_revenue,
            )),
            right(format!("{:.1}", c.value.predicted_visits)),
            right(format!("{:.2}", c.value.p_alive)),
            right(super::summary::amount(&report.summary, c.value.clv)),
            Cell::new(c.value.correction.unwrap_or("")),
        ]);
    }
    super::table::write(w, &mut table)
}

pub fn markdown(report: &ClvReport, limit: usize, w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, "# churn clv: {}\n", cell(&report.source))?;
    for (label, text) in report.summary_lines() {
        writeln!(w, "- **{label}**: {}", cell(&text))?;
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
            cell(&c.customer_id),
            c.status.label(),
            super::summary::amount(&report.summary, c.value.historical_revenue),
            c.value.predicted_visits,
            c.value.p_alive,
            super::summary::amount(&report.summary, c.value.clv),
            c.value.correction.unwrap_or("")
        )?;
    }
    Ok(())
}

impl super::Render for ClvReport {
    const SHEET: &'static str = "clv";

    fn summary(&self) -> &crate::metrics::Summary {
        &self.summary
    }

    fn table(&self, limit: usize, w: &mut dyn Write) -> io::Result<()> {
        table(self, limit, w)
    }

    fn csv(&self, w: &mut dyn Write) -> io::Result<()> {
        csv(self, w)
    }

    fn markdown(&self, limit: usize, w: &mut dyn Write) -> io::Result<()> {
        markdown(self, limit, w)
    }
}
