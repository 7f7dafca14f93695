//! Renderers for `churn scan --changes`: who moved since the previous month end.

use std::io::{self, Write};

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, CellAlignment, ContentArrangement, Table};
use serde::Serialize;

use super::markdown::cell;
use super::summary::{Figure, amount, figures};
use super::{SCHEMA_VERSION, count};
use crate::metrics::Summary;
use crate::metrics::changes::{Changes, Moved};

/// Everything `churn scan --changes` reports.
#[derive(Clone, Debug, Serialize)]
pub struct ChangesReport {
    pub schema_version: u32,
    pub source: String,
    pub as_of: chrono::NaiveDate,
    /// The summary every command shares.
    pub summary: Summary,
    /// The headline figures, each with its value at the previous month end.
    pub headline: Vec<Figure>,
    #[serde(flatten)]
    pub changes: Changes,
}

impl ChangesReport {
    pub fn new(summary: Summary, previous: &Summary, changes: Changes) -> ChangesReport {
        ChangesReport {
            schema_version: SCHEMA_VERSION,
            source: summary.source.clone(),
            as_of: summary.as_of,
            headline: figures(&summary, Some(previous)),
            summary,
            changes,
        }
    }

    /// The three lists, by kind.
    fn lists(&self) -> [(&'static str, &'static str, &[Moved]); 3] {
        let c = &self.changes;
        [
            ("newly_defected", "Newly defected", &c.newly_defected),
            ("newly_at_risk", "Newly at risk", &c.newly_at_risk),
            ("won_back", "Won back", &c.won_back),
        ]
    }

    /// The figures with their change since the previous month end.
    fn figure_lines(&self) -> Vec<(&'static str, String)> {
        self.headline
            .iter()
            .filter_map(|f| {
                let (change, _) = f.change_text(&self.summary)?;
                let head = [f.text.as_str(), f.period.as_str()]
                    .iter()
                    .filter(|p| !p.is_empty())
                    .copied()
                    .collect::<Vec<_>>()
                    .join(" ");
                Some((
                    f.label,
                    format!("{head} ({change} since {})", self.changes.since),
                ))
            })
            .collect()
    }
}

/// CSV: one row per customer whose status changed; the movers are in the JSON.
pub const COLUMNS: [&str; 8] = [
    "change",
    "customer_id",
    "before",
    "now",
    "rule",
    "evidence",
    "change_since",
    "value_at_stake",
];

pub fn csv(report: &ChangesReport, w: &mut dyn Write) -> io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record(COLUMNS)?;
    for (kind, _, list) in report.lists() {
        for m in list {
            out.write_record([
                kind,
                &m.customer_id,
                m.before.as_str(),
                m.now.as_str(),
                m.rule.map_or("", |r| r.as_str()),
                &m.evidence,
                &m.change_since.map_or(String::new(), |d| d.to_string()),
                &super::csv::money(&report.summary, m.value_at_stake),
            ])?;
        }
    }
    out.flush()
}

/// What changed, in one line.
pub fn intro(c: &Changes, s: &Summary) -> String {
    format!(
        "Since {}: {} newly defected ({} at stake), {} newly at risk ({}), {} won back ({}). \
         Value at stake: revenue over the next year if they keep coming as before.",
        c.since,
        count(c.newly_defected.len() as u64),
        amount(s, c.value_newly_defected),
        count(c.newly_at_risk.len() as u64),
        amount(s, c.value_newly_at_risk),
        count(c.won_back.len() as u64),
        amount(s, c.value_won_back)
    )
}

fn table(report: &ChangesReport, limit: usize, w: &mut dyn Write) -> io::Result<()> {
    let s = &report.summary;
    writeln!(w, "churn scan --changes: {}", s.source)?;
    super::table::write(w, &mut super::table::summary_table(report.figure_lines()))?;
    writeln!(w, "\n{}", intro(&report.changes, s))?;
    for (_, title, list) in report.lists() {
        if list.is_empty() {
            continue;
        }
        writeln!(w, "\n{title} ({}):", count(list.len() as u64))?;
        let mut table = Table::new();
        table
            .load_preset(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_header(vec![
                "customer",
                "was",
                "now",
                "what changed",
                "value at stake",
            ]);
        for m in list.iter().take(limit) {
            table.add_row(vec![
                Cell::new(&m.customer_id),
                Cell::new(m.before.label()),
                Cell::new(m.now.label()),
                Cell::new(&m.evidence),
                Cell::new(amount(s, m.value_at_stake)).set_alignment(CellAlignment::Right),
            ]);
        }
        super::table::write(w, &mut table)?;
        if list.len() > limit {
            writeln!(
                w,
                "{} more: --limit {} shows them all.",
                list.len() - limit,
                list.len()
            )?;
        }
    }
    Ok(())
}

/// The three lists as Markdown tables under `heading` (`##`, `###`), at most `limit`
/// customers each.
pub fn markdown_lists(
    c: &Changes,
    s: &Summary,
    heading: &str,
    limit: usize,
    w: &mut dyn Write,
) -> io::Result<()> {
    for (title, list) in [
        ("Newly defected", &c.newly_defected),
        ("Newly at risk", &c.newly_at_risk),
        ("Won back", &c.won_back),
    ] {
        if list.is_empty() {
            continue;
        }
        writeln!(w, "\n{heading} {title}\n")?;
        writeln!(
            w,
            "| customer | was | now | what changed | value at stake |\n|---|---|---|---|---:|"
        )?;
        for m in list.iter().take(limit) {
            writeln!(
                w,
                "| {} | {} | {} | {} | {} |",
                cell(&m.customer_id),
                m.before.label(),
                m.now.label(),
                cell(&m.evidence),
                amount(s, m.value_at_stake)
            )?;
        }
        if list.len() > limit {
            writeln!(w, "\n{} more not shown.", list.len() - limit)?;
        }
    }
    Ok(())
}

fn markdown(report: &ChangesReport, limit: usize, w: &mut dyn Write) -> io::Result<()> {
    let s = &report.summary;
    writeln!(w, "# churn scan --changes: {}\n", cell(&s.source))?;
    for (label, text) in report.figure_lines() {
        writeln!(w, "- **{label}**: {}", cell(&text))?;
    }
    writeln!(w, "\n{}", cell(&intro(&report.changes, s)))?;
    markdown_lists(&report.changes, s, "##", limit, w)
}

impl super::Render for ChangesReport {
    const SHEET: &'static str = "changes";

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
