//! Markdown for wikis and e-mail.

use std::io::{self, Write};

use super::{ScanReport, summary};

/// Escapes text for Markdown: a table cell or a list item. `\`, `|` and `<` are escaped
/// (a wiki would otherwise take a comment's `<script>` for HTML), and line breaks become
/// spaces. Every Markdown renderer uses this one.
pub fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '|' | '<' | '>' | '*' | '_' | '`' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The summary as a Markdown list.
pub fn summary_list(w: &mut dyn Write, s: &crate::metrics::Summary) -> io::Result<()> {
    for (label, text) in summary::lines(s) {
        writeln!(w, "- **{label}**: {}", cell(&text))?;
    }
    Ok(())
}

pub fn scan(report: &ScanReport, limit: usize, w: &mut dyn Write) -> io::Result<()> {
    let s = &report.summary;
    writeln!(w, "# churn scan: {}\n", cell(&s.source))?;
    summary_list(w, s)?;
    let flagged: Vec<_> = report.flagged().collect();
    writeln!(w, "\n## Flagged customers, {}\n", report.order())?;
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
            cell(&summary::amount(s, c.revenue_12m))
        )?;
    }
    if flagged.len() > limit {
        writeln!(w, "\n{} more not shown.", flagged.len() - limit)?;
    }
    Ok(())
}
