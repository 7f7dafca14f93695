//! Markdown for wikis and e-mail.

use std::io::{self, Write};

use super::scan::summary_lines;
use super::{ScanReport, money};

/// Escapes text for a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

pub fn scan(report: &ScanReport, limit: usize, w: &mut dyn Write) -> io::Result<()> {
    let s = &report.summary;
    writeln!(w, "# churn scan: {}\n", cell(&s.source))?;
    for (label, text) in summary_lines(s) {
        writeln!(w, "- **{label}**: {}", cell(&text))?;
    }
    let flagged: Vec<_> = report.flagged().collect();
    writeln!(w, "\n## Flagged customers, highest yearly value first\n")?;
    if flagged.is_empty() {
        writeln!(w, "No customer is at risk or defected.")?;
        return Ok(());
    }
    writeln!(
        w,
        "| customer | status | rule | evidence | last visit | value/year |"
    )?;
    writeln!(w, "|---|---|---|---|---|---:|")?;
    for c in flagged.iter().take(limit) {
        writeln!(
            w,
            "| {} | {} | {} | {} | {} | {} |",
            cell(&c.customer_id),
            c.status.label(),
            c.rule.map_or("", |r| r.as_str()),
            cell(&c.evidence),
            c.last_visit,
            money(c.revenue_12m)
        )?;
    }
    if flagged.len() > limit {
        writeln!(w, "\n{} more not shown.", flagged.len() - limit)?;
    }
    Ok(())
}
