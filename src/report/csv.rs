//! CSV for spreadsheets and pipes: plain numbers (`.` decimal, no thousands
//! separators), ISO dates, UTF-8, every customer.

use std::io::{self, Write};

use super::ScanReport;

/// Column order of `churn scan --format csv` (store, employee and category only when
/// the input has them).
pub fn scan_columns(report: &ScanReport) -> Vec<&'static str> {
    let mut cols = vec!["customer_id", "status", "rule", "evidence"];
    for (present, name) in [
        (report.has_store, "store"),
        (report.has_employee, "employee"),
        (report.has_category, "category"),
    ] {
        if present {
            cols.push(name);
        }
    }
    cols.extend([
        "first_visit",
        "last_visit",
        "visits",
        "revenue",
        "revenue_12m",
        "baseline_visits_per_month",
        "recent_visits_per_month",
        "baseline_spend_per_visit",
        "recent_spend_per_visit",
        "usual_gap_days",
        "days_since_last_visit",
        "change_since",
        "p_alive",
        "p_no_visit",
        "next_visit",
        "overdue_since",
    ]);
    if report.has_feedback {
        cols.extend(["feedback_reason", "feedback_date"]);
    }
    cols
}

pub fn scan(report: &ScanReport, w: &mut dyn Write) -> io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record(scan_columns(report))?;
    let num = |v: Option<f64>, places: usize| v.map_or(String::new(), |x| plain(x, places));
    let s = &report.summary;
    let cash = |v: Option<f64>| v.map_or(String::new(), |x| money(s, x));
    for c in &report.customers {
        let mut row = vec![
            c.customer_id.clone(),
            c.status.as_str().to_string(),
            c.rule.map_or("", |r| r.as_str()).to_string(),
            c.evidence.clone(),
        ];
        for (present, value) in [
            (report.has_store, &c.store),
            (report.has_employee, &c.employee),
            (report.has_category, &c.category),
        ] {
            if present {
                row.push(value.clone().unwrap_or_default());
            }
        }
        row.extend([
            c.first_visit.to_string(),
            c.last_visit.to_string(),
            c.visits.to_string(),
            cash(Some(c.revenue)),
            cash(Some(c.revenue_12m)),
            num(c.baseline_visits_per_month, 2),
            num(c.recent_visits_per_month, 2),
            cash(c.baseline_spend_per_visit),
            cash(c.recent_spend_per_visit),
            num(c.usual_gap_days, 1),
            c.days_since_last_visit.to_string(),
            c.change_since.map_or(String::new(), |d| d.to_string()),
            num(c.p_alive, 4),
            num(c.p_no_visit, 4),
            c.next_visit.map_or(String::new(), |d| d.to_string()),
            c.overdue_since.map_or(String::new(), |d| d.to_string()),
        ]);
        if report.has_feedback {
            let f = c.feedback.as_ref();
            row.push(f.map_or(String::new(), |f| f.reason.clone()));
            row.push(f.map_or(String::new(), |f| f.date.to_string()));
        }
        out.write_record(&row)?;
    }
    out.flush()
}

/// Skipped rows, verbatim, after their line number and the reason; with several input
/// files, after the file's name too (the header row is the first file's).
pub fn rejects(files: &[crate::normalize::FileRows], w: &mut dyn Write) -> io::Result<()> {
    let several = files.len() > 1;
    let mut out = csv::WriterBuilder::new().flexible(true).from_writer(w);
    let mut header: Vec<String> = Vec::new();
    if several {
        header.push("file".into());
    }
    header.extend(["line".to_string(), "reason".to_string()]);
    header.extend(
        files
            .first()
            .map_or(&[][..], |f| &f.headers)
            .iter()
            .cloned(),
    );
    out.write_record(&header)?;
    for f in files {
        for r in &f.rows.skipped {
            let mut row = Vec::with_capacity(r.fields.len() + 3);
            if several {
                row.push(f.name.clone());
            }
            row.extend([r.line.to_string(), r.reason.clone()]);
            row.extend(r.fields.iter().cloned());
            out.write_record(&row)?;
        }
    }
    out.flush()
}

/// Money as a plain number with 2 decimals, or an empty field when the export has no
/// amounts (a visit log): a 0.00 must not pass for a real figure.
pub fn money(s: &crate::metrics::Summary, x: f64) -> String {
    if s.has_amounts {
        plain(x, 2)
    } else {
        String::new()
    }
}

/// A plain number with `places` decimals; never "-0.00".
pub fn plain(x: f64, places: usize) -> String {
    let s = format!("{x:.places$}");
    if s.starts_with('-') && s[1..].bytes().all(|b| b == b'0' || b == b'.') {
        s[1..].to_string()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::plain;

    #[test]
    fn plain_numbers_have_no_negative_zero() {
        assert_eq!(plain(-0.0, 2), "0.00");
        assert_eq!(plain(-0.001, 2), "0.00");
        assert_eq!(plain(-0.01, 2), "-0.01");
        assert_eq!(plain(1234.5, 2), "1234.50");
    }
}
