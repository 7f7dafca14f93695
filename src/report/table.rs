//! Tables for the terminal (comfy-table).

use std::io::{self, Write};

use comfy_table::presets::{NOTHING, UTF8_FULL_CONDENSED};
use comfy_table::{Cell, CellAlignment, ContentArrangement, Table};

use super::scan::summary_lines;
use super::{ScanReport, count, money};

/// (label, text) lines as a borderless two-column table.
pub fn summary_table(lines: Vec<(&'static str, String)>) -> Table {
    let mut table = Table::new();
    table
        .load_preset(NOTHING)
        .set_content_arrangement(ContentArrangement::Dynamic);
    for (label, text) in lines {
        table.add_row(vec![Cell::new(label), Cell::new(text)]);
    }
    table
}

/// The summary, then the flagged customers (at most `limit`), highest value first.
pub fn scan(report: &ScanReport, limit: usize, w: &mut dyn Write) -> io::Result<()> {
    let s = &report.summary;
    writeln!(w, "churn scan: {}", s.source)?;
    writeln!(w, "{}", summary_table(summary_lines(s)))?;

    let flagged: Vec<_> = report.flagged().collect();
    if flagged.is_empty() {
        writeln!(w, "\nNo customer is at risk or defected.")?;
        return Ok(());
    }
    writeln!(
        w,
        "\nFlagged customers, highest yearly value first ({} of {}):",
        count(flagged.len().min(limit) as u64),
        count(flagged.len() as u64)
    )?;
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header({
            let mut header = vec![
                "customer",
                "status",
                "rule",
                "evidence",
                "last visit",
                "value/year",
            ];
            if report.has_feedback {
                header.push("latest feedback");
            }
            header
        });
    for c in flagged.iter().take(limit) {
        let mut cells = vec![
            Cell::new(&c.customer_id),
            Cell::new(c.status.label()),
            Cell::new(c.rule.map_or("", |r| r.as_str())),
            Cell::new(&c.evidence),
            Cell::new(c.last_visit),
            Cell::new(money(c.revenue_12m)).set_alignment(CellAlignment::Right),
        ];
        if report.has_feedback {
            cells.push(Cell::new(
                c.feedback
                    .as_ref()
                    .map_or(String::new(), |f| format!("{} ({})", f.reason, f.date)),
            ));
        }
        table.add_row(cells);
    }
    writeln!(w, "{table}")?;
    if flagged.len() > limit {
        writeln!(
            w,
            "{} more: --limit {} shows them all, --format csv lists every customer.",
            count((flagged.len() - limit) as u64),
            flagged.len()
        )?;
    }
    Ok(())
}
