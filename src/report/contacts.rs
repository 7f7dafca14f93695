//! Renderers for `churn contacts`: the call sheet.

use std::io::{self, Write};

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, CellAlignment, ContentArrangement, Table};
use serde::Serialize;

use super::markdown::cell;
use super::{SCHEMA_VERSION, count};
use crate::metrics::Summary;
use crate::metrics::contacts::Contact;

/// Everything `churn contacts` reports.
#[derive(Clone, Debug, Serialize)]
pub struct ContactsReport {
    pub schema_version: u32,
    pub source: String,
    pub as_of: chrono::NaiveDate,
    /// The summary every command shares.
    pub summary: Summary,
    pub recent_days: u32,
    pub kept_columns: Vec<String>,
    /// Flagged customers left out because they already gave feedback since their change.
    pub already_heard: u64,
    pub contacts: Vec<Contact>,
}

impl ContactsReport {
    pub fn new(
        summary: Summary,
        recent_days: u32,
        kept_columns: Vec<String>,
        (contacts, already_heard): (Vec<Contact>, u64),
    ) -> ContactsReport {
        ContactsReport {
            schema_version: SCHEMA_VERSION,
            source: summary.source.clone(),
            as_of: summary.as_of,
            summary,
            recent_days,
            kept_columns,
            already_heard,
            contacts,
        }
    }
}

fn intro(report: &ContactsReport) -> String {
    format!(
        "{} customers to call as of {}: at risk, or defected within the last {} days, with no feedback since their change ({} already heard from), highest value at stake first (expected revenue over the next year if they stay)",
        count(report.contacts.len() as u64),
        report.as_of,
        report.recent_days,
        count(report.already_heard)
    )
}

/// Column order of the call sheet; the `--keep-cols` columns follow.
pub const COLUMNS: [&str; 11] = [
    "customer_id",
    "status",
    "rule",
    "evidence",
    "change_since",
    "last_visit",
    "store",
    "employee",
    "value_at_stake",
    "p_alive",
    "overdue_since",
];

pub fn csv(report: &ContactsReport, w: &mut dyn Write) -> io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    let mut header: Vec<String> = COLUMNS.iter().map(|c| c.to_string()).collect();
    header.extend(report.kept_columns.iter().cloned());
    out.write_record(&header)?;
    for c in &report.contacts {
        let mut row = vec![
            c.customer_id.clone(),
            c.status.as_str().to_string(),
            c.rule.map_or("", |r| r.as_str()).to_string(),
            c.evidence.clone(),
            c.change_since.map_or(String::new(), |d| d.to_string()),
            c.last_visit.to_string(),
            c.store.clone().unwrap_or_default(),
            c.employee.clone().unwrap_or_default(),
            super::csv::money(&report.summary, c.value_at_stake),
            c.p_alive.map_or(String::new(), |p| super::csv::plain(p, 4)),
            c.overdue_since.map_or(String::new(), |d| d.to_string()),
        ];
        row.extend(c.kept.iter().cloned());
        out.write_record(&row)?;
    }
    out.flush()
}

pub fn table(report: &ContactsReport, limit: usize, w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, "churn contacts: {}", report.source)?;
    writeln!(w, "{}.", intro(report))?;
    let mut table = Table::new();
    let mut header = vec![
        "customer",
        "status",
        "what changed",
        "last visit",
        "store",
        "employee",
        "value at stake",
    ];
    header.extend(report.kept_columns.iter().map(String::as_str));
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header);
    for c in report.contacts.iter().take(limit) {
        let mut cells = vec![
            Cell::new(&c.customer_id),
            Cell::new(c.status.label()),
            Cell::new(&c.evidence),
            Cell::new(c.last_visit),
            Cell::new(c.store.as_deref().unwrap_or("")),
            Cell::new(c.employee.as_deref().unwrap_or("")),
            Cell::new(super::summary::amount(&report.summary, c.value_at_stake))
                .set_alignment(CellAlignment::Right),
        ];
        cells.extend(c.kept.iter().map(Cell::new));
        table.add_row(cells);
    }
    super::table::write(w, &mut table)?;
    if report.contacts.len() > limit {
        writeln!(
            w,
            "{} more: --limit {} shows them all; --format csv writes the call sheet.",
            count((report.contacts.len() - limit) as u64),
            report.contacts.len()
        )?;
    }
    Ok(())
}

pub fn markdown(report: &ContactsReport, limit: usize, w: &mut dyn Write) -> io::Result<()> {
    writeln!(
        w,
        "# churn contacts: {}\n\n{}.\n",
        cell(&report.source),
        intro(report)
    )?;
    let mut header = vec![
        "customer",
        "status",
        "what changed",
        "last visit",
        "store",
        "employee",
        "value at stake",
    ];
    header.extend(report.kept_columns.iter().map(String::as_str));
    writeln!(w, "| {} |", header.join(" | "))?;
    writeln!(w, "|{}", "---|".repeat(header.len()))?;
    for c in report.contacts.iter().take(limit) {
        let mut cells = vec![
            cell(&c.customer_id),
            c.status.label().to_string(),
            cell(&c.evidence),
            c.last_visit.to_string(),
            cell(c.store.as_deref().unwrap_or("")),
            cell(c.employee.as_deref().unwrap_or("")),
            super::summary::amount(&report.summary, c.value_at_stake),
        ];
        cells.extend(c.kept.iter().map(|k| cell(k)));
        writeln!(w, "| {} |", cells.join(" | "))?;
    }
    Ok(())
}

impl super::Render for ContactsReport {
    const SHEET: &'static str = "contacts";

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
