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
            num(Some(c.revenue), 2),
            num(Some(c.revenue_12m), 2),
            num(c.baseline_visits_per_month, 2),
            num(c.recent_visits_per_month, 2),
            num(c.baseline_spend_per_visit, 2),
            num(c.recent_spend_per_visit, 2),
            num(c.usual_gap_days, 1),
            c.days_since_last_visit.to_string(),
            c.change_since.map_or(String::new(), |d| d.to_string()),
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

/// Skipped rows, verbatim, after their line number and the reason.
pub fn rejects(
    headers: &[String],
    rejected: &[crate::normalize::Rejected],
    w: &mut dyn Write,
) -> io::Result<()> {
    let mut out = csv::WriterBuilder::new().flexible(true).from_writer(w);
    let mut header = vec!["line".to_string(), "reason".to_string()];
    header.extend(headers.iter().cloned());
    out.write_record(&header)?;
    for r in rejected {
        let mut row = vec![r.line.to_string(), r.reason.clone()];
        row.extend(r.fields.iter().cloned());
        out.write_record(&row)?;
    }
    out.flush()
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
