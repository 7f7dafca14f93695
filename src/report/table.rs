//! Tables for the terminal (comfy-table).

use std::io::{self, Write};

use comfy_table::presets::{NOTHING, UTF8_FULL_CONDENSED};
use comfy_table::{Cell, CellAlignment, ContentArrangement, Table};

use super::{ScanReport, count, summary};

/// The width tables are fitted to: the terminal's when standard output is one, else
/// `COLUMNS`, else 100.
pub fn width() -> u16 {
    if let Some(w) = Table::new().width() {
        return w;
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<u16>().ok())
        .filter(|&c| c >= 20)
        .unwrap_or(100)
}

/// Writes a table fitted to [`width`], without trailing spaces.
pub fn write(w: &mut dyn Write, table: &mut Table) -> io::Result<()> {
    table.set_width(width());
    for line in table.lines() {
        writeln!(w, "{}", line.trim_end())?;
    }
    Ok(())
}

/// Writes terminal text with every line fitted to [`width`]: a longer line (a title, a
/// note) wraps at spaces, its continuation indented as the line itself.
pub fn write_fitted(text: &str, w: &mut dyn Write) -> io::Result<()> {
    let width = usize::from(width());
    for line in text.lines() {
        let line = line.trim_end();
        if textwrap::core::display_width(line) <= width {
            writeln!(w, "{line}")?;
            continue;
        }
        let indent = &line[..line.len() - line.trim_start().len()];
        let options = textwrap::Options::new(width)
            .initial_indent(indent)
            .subsequent_indent(indent);
        for part in textwrap::wrap(line.trim_start(), options) {
            writeln!(w, "{}", part.trim_end())?;
        }
    }
    Ok(())
}

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
    write(w, &mut summary_table(summary::lines(s)))?;

    let flagged: Vec<_> = report.flagged().collect();
    if flagged.is_empty() {
        writeln!(w, "\nNo customer is at risk or defected.")?;
        return Ok(());
    }
    writeln!(
        w,
        "\nFlagged customers, {} ({} of {}):",
        report.order(),
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
            Cell::new(summary::amount(s, c.revenue_12m)).set_alignment(CellAlignment::Right),
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
    write(w, &mut table)?;
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
