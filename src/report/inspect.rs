//! `churn inspect` output: what churn would read from a file, as a table for the
//! terminal or as JSON.

use std::io::{self, Write};

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table};

use super::count;
use super::table::summary_table;
use crate::normalize::inspect::Inspection;

/// The summary, the columns with their roles and sample values, then how to change a
/// pick.
pub fn table(r: &Inspection, w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, "churn inspect: {}", r.file)?;
    let mut lines: Vec<(&'static str, String)> = Vec::new();
    let mut shape = r.format.clone();
    if let Some(sheet) = &r.sheet {
        shape.push_str(&format!(", sheet \"{sheet}\""));
    }
    if let Some(encoding) = &r.encoding {
        shape.push_str(&format!(", {encoding}"));
    }
    if let Some(sep) = &r.separator {
        shape.push_str(&format!(", separator \"{sep}\""));
    }
    if let Some(mark) = &r.decimal_mark {
        shape.push_str(&format!(", decimal {mark}"));
    }
    lines.push(("format", shape));
    if let Some(dates) = &r.date_format {
        lines.push(("dates", dates.clone()));
    }
    lines.push((
        "rows",
        format!("{} read; {} customers", count(r.rows), count(r.customers)),
    ));
    lines.push(("columns", r.used.to_string()));
    lines.push(("amount", r.amount.clone()));
    if r.excluded.is_empty() {
        lines.push(("left out", "none".into()));
    }
    for (i, e) in r.excluded.iter().enumerate() {
        let at = if e.lines.is_empty() {
            String::new()
        } else {
            let shown: Vec<String> = e.lines.iter().map(u64::to_string).collect();
            format!(" (line {})", shown.join(", "))
        };
        lines.push((
            if i == 0 { "left out" } else { "" },
            format!("{} {}{at}", count(e.rows), e.reason),
        ));
    }
    if r.refund_lines > 0 {
        lines.push((
            "refund lines",
            format!(
                "{}: they reduce revenue and are not visits",
                count(r.refund_lines)
            ),
        ));
    }
    if let Some(problem) = &r.problem {
        lines.push(("problem", problem.clone()));
    }
    for (i, note) in r.notes.iter().enumerate() {
        lines.push((if i == 0 { "notes" } else { "" }, note.clone()));
    }
    writeln!(w, "{}", summary_table(lines))?;

    let mut columns = Table::new();
    columns
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(vec!["column", "role", "sample values", "note"]);
    for c in &r.columns {
        columns.add_row(vec![
            c.header.clone(),
            c.role
                .map_or("-".to_string(), |role| role.name().to_string()),
            c.samples.join(" | "),
            c.passed_over.join("; "),
        ]);
    }
    writeln!(w, "\n{columns}")?;

    if !r.alternatives.is_empty() {
        writeln!(w, "\nTo give a role another column:")?;
        for a in &r.alternatives {
            writeln!(w, "  {}  ({})", a.flag, a.passed_over)?;
        }
    }
    writeln!(
        w,
        "\nTo fix this mapping for a monthly job, put it in the config file (--config churn.toml):\n"
    )?;
    write!(w, "{}", r.columns_block)
}

pub fn json(r: &Inspection, w: &mut dyn Write) -> io::Result<()> {
    super::json::write(r, w)
}
