//! Renderers for `churn reasons`.

use std::io::{self, Write};

use super::markdown::cell;

use chrono::NaiveDate;
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, CellAlignment, ContentArrangement, Table};
use serde::Serialize;

use super::csv::plain;
use super::{SCHEMA_VERSION, count, percent};
use crate::metrics::Summary;
use crate::metrics::clv::{DAYS_PER_YEAR, Settings};
use crate::metrics::reasons::{ByGroup, Reasons};

#[derive(Clone, Debug, Serialize)]
pub struct ReasonsReport {
    pub schema_version: u32,
    pub source: String,
    pub feedback: String,
    pub as_of: NaiveDate,
    /// The summary every command shares.
    pub summary: Summary,
    pub value_settings: Settings,
    #[serde(flatten)]
    pub reasons: Reasons,
}

impl ReasonsReport {
    pub fn new(
        summary: Summary,
        feedback: &str,
        value_settings: Settings,
        reasons: Reasons,
    ) -> ReasonsReport {
        ReasonsReport {
            schema_version: SCHEMA_VERSION,
            source: summary.source.clone(),
            feedback: feedback.to_string(),
            as_of: summary.as_of,
            summary,
            value_settings,
            reasons,
        }
    }

    fn value_note(&self) -> String {
        let s = &self.value_settings;
        format!(
            "value lost = what the defectors citing it would have brought over {:.0} years had they kept coming, discounted {:.0}% a year, margin {:.0}%",
            s.horizon_days / DAYS_PER_YEAR,
            s.annual_discount * 100.0,
            s.margin * 100.0
        )
    }

    fn summary_lines(&self) -> Vec<(&'static str, String)> {
        let r = &self.reasons;
        let mut lines = vec![
            ("as of", self.as_of.to_string()),
            (
                "feedback",
                format!(
                    "{}; {} of {} defectors gave feedback ({}): that is how much the business knows",
                    line_count(r.feedback_lines),
                    count(r.defectors_with_feedback),
                    count(r.defectors),
                    percent(r.feedback_share)
                ),
            ),
        ];
        if r.unknown_customers > 0 || r.after_as_of > 0 {
            lines.push((
                "not used",
                format!(
                    "{} from customer ids not in the purchases, {} after the as-of date",
                    line_count(r.unknown_customers),
                    line_count(r.after_as_of)
                ),
            ));
        }
        lines
    }
}

/// "1 line", "12 lines".
fn line_count(n: u64) -> String {
    format!("{} line{}", count(n), if n == 1 { "" } else { "s" })
}

fn gap(g: Option<f64>) -> String {
    g.map_or_else(String::new, |g| format!("{g:+.1}"))
}

pub const COLUMNS: [&str; 9] = [
    "reason",
    "defectors",
    "at_risk",
    "share",
    "value_lost",
    "expectation_gap",
    "value_at_risk",
    "ratings",
    "examples",
];

/// One row per reason for leaving, highest value lost first.
pub fn csv(report: &ReasonsReport, w: &mut dyn Write) -> io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record(COLUMNS)?;
    for r in &report.reasons.rows {
        out.write_record([
            r.reason.clone(),
            r.defectors.to_string(),
            r.at_risk.to_string(),
            plain(r.share, 4),
            super::csv::money(&report.summary, r.value_lost),
            r.expectation_gap.map_or_else(String::new, |g| plain(g, 2)),
            super::csv::money(&report.summary, r.value_at_risk),
            r.ratings.to_string(),
            r.examples.join(" | "),
        ])?;
    }
    out.flush()
}

pub fn table(report: &ReasonsReport, w: &mut dyn Write) -> io::Result<()> {
    let r = &report.reasons;
    writeln!(
        w,
        "churn reasons: {} with feedback from {}",
        report.source, report.feedback
    )?;
    super::table::write(w, &mut super::table::summary_table(report.summary_lines()))?;
    writeln!(
        w,
        "\nWhy customers leave, highest value lost first ({}):",
        report.value_note()
    )?;
    let right = |t: String| Cell::new(t).set_alignment(CellAlignment::Right);
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(vec![
            "reason",
            "defectors",
            "at risk",
            "share",
            "value lost",
            "gap",
            "for example",
        ]);
    for row in &r.rows {
        t.add_row(vec![
            Cell::new(&row.reason),
            right(count(row.defectors)),
            right(count(row.at_risk)),
            right(percent(row.share)),
            right(super::summary::amount(&report.summary, row.value_lost)),
            right(gap(row.expectation_gap)),
            Cell::new(row.examples.join("\n")),
        ]);
    }
    super::table::write(w, &mut t)?;
    writeln!(
        w,
        "share = of the defectors who gave feedback; gap = expected − perceived rating."
    )?;
    if !r.active.is_empty() {
        writeln!(w, "\nFrom customers who stayed (not reasons for leaving):")?;
        let mut t = Table::new();
        t.load_preset(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_header(vec!["reason", "customers", "gap", "for example"]);
        for row in &r.active {
            t.add_row(vec![
                Cell::new(&row.reason),
                right(count(row.customers)),
                right(gap(row.expectation_gap)),
                Cell::new(row.examples.join("\n")),
            ]);
        }
        super::table::write(w, &mut t)?;
    }
    if let Some(by) = r.by {
        let what = match by {
            ByGroup::Store => "store",
            ByGroup::Employee => "employee",
        };
        writeln!(w, "\nReasons behind each {what}'s defections:")?;
        let mut t = Table::new();
        t.load_preset(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_header(vec![
                what,
                "defectors",
                "value lost",
                "reasons cited (defectors)",
            ]);
        for g in &r.groups {
            let reasons: Vec<String> = g
                .reasons
                .iter()
                .map(|(n, k)| format!("{n} ({k})"))
                .collect();
            t.add_row(vec![
                Cell::new(&g.group),
                right(count(g.defectors)),
                right(super::summary::amount(&report.summary, g.value_lost)),
                Cell::new(reasons.join(", ")),
            ]);
        }
        super::table::write(w, &mut t)?;
    }
    for (title, rows) in [("store", &r.gap_by_store), ("employee", &r.gap_by_employee)] {
        if rows.is_empty() {
            continue;
        }
        writeln!(
            w,
            "\nExpectation gap by {title} (expected − perceived, all feedback with both ratings):"
        )?;
        let mut t = Table::new();
        t.load_preset(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_header(vec![title, "feedback", "gap"]);
        for g in rows {
            t.add_row(vec![
                Cell::new(&g.group),
                right(count(g.feedback)),
                right(format!("{:+.2}", g.expectation_gap)),
            ]);
        }
        super::table::write(w, &mut t)?;
    }
    Ok(())
}

pub fn markdown(report: &ReasonsReport, w: &mut dyn Write) -> io::Result<()> {
    let r = &report.reasons;
    writeln!(w, "# churn reasons: {}\n", cell(&report.source))?;
    for (label, text) in report.summary_lines() {
        writeln!(w, "- **{label}**: {}", cell(&text))?;
    }
    writeln!(
        w,
        "\n## Why customers leave, highest value lost first\n\n{}.\n",
        report.value_note()
    )?;
    writeln!(
        w,
        "| reason | defectors | at risk | share | value lost | gap | for example |"
    )?;
    writeln!(w, "|---|---:|---:|---:|---:|---:|---|")?;
    for row in &r.rows {
        writeln!(
            w,
            "| {} | {} | {} | {} | {} | {} | {} |",
            cell(&row.reason),
            row.defectors,
            row.at_risk,
            percent(row.share),
            super::summary::amount(&report.summary, row.value_lost),
            gap(row.expectation_gap),
            cell(&row.examples.join("; "))
        )?;
    }
    if !r.active.is_empty() {
        writeln!(w, "\n## From customers who stayed\n")?;
        writeln!(w, "| reason | customers | gap | for example |")?;
        writeln!(w, "|---|---:|---:|---|")?;
        for row in &r.active {
            writeln!(
                w,
                "| {} | {} | {} | {} |",
                cell(&row.reason),
                row.customers,
                gap(row.expectation_gap),
                cell(&row.examples.join("; "))
            )?;
        }
    }
    Ok(())
}

impl super::Render for ReasonsReport {
    const SHEET: &'static str = "reasons";

    fn summary(&self) -> &crate::metrics::Summary {
        &self.summary
    }

    fn table(&self, limit: usize, w: &mut dyn Write) -> io::Result<()> {
        let _ = limit;
        table(self, w)
    }

    fn csv(&self, w: &mut dyn Write) -> io::Result<()> {
        csv(self, w)
    }

    fn markdown(&self, limit: usize, w: &mut dyn Write) -> io::Result<()> {
        let _ = limit;
        markdown(self, w)
    }
}
