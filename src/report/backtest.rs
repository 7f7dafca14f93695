//! Renderers for `churn backtest`: one [`BacktestReport`], four formats.

use std::io::{self, Write};

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, CellAlignment, ContentArrangement, Table};
use serde::Serialize;

use super::csv::plain;
use super::{count, money, percent};
use crate::metrics::backtest::{Backtest, Errors, Method, Segment};

/// The version of the JSON output's shape; bumped when a field changes meaning or goes.
pub const SCHEMA_VERSION: u32 = 1;

/// Everything `churn backtest` reports.
#[derive(Clone, Debug, Serialize)]
pub struct BacktestReport {
    pub schema_version: u32,
    pub source: String,
    /// The summary every command shares, as of the end of the data.
    pub summary: crate::metrics::Summary,
    #[serde(flatten)]
    pub backtest: Backtest,
}

/// The two measures every method is scored on.
#[derive(Clone, Copy)]
enum Measure {
    Revenue,
    Visits,
}

impl Measure {
    const ALL: [Measure; 2] = [Measure::Revenue, Measure::Visits];

    fn name(self) -> &'static str {
        match self {
            Measure::Revenue => "revenue",
            Measure::Visits => "visits",
        }
    }

    fn of(self, m: &crate::metrics::backtest::MethodErrors) -> &Errors {
        match self {
            Measure::Revenue => &m.revenue,
            Measure::Visits => &m.visits,
        }
    }
}

impl BacktestReport {
    pub fn new(summary: crate::metrics::Summary, backtest: Backtest) -> BacktestReport {
        BacktestReport {
            schema_version: SCHEMA_VERSION,
            source: summary.source.clone(),
            summary,
            backtest,
        }
    }

    /// The setting and the model as (label, text) lines.
    pub fn summary_lines(&self) -> Vec<(&'static str, String)> {
        let b = &self.backtest;
        let mut lines = vec![
            (
                "calibrated",
                format!(
                    "on purchases up to {}; forecast {} days to {}",
                    b.as_of, b.horizon_days, b.until
                ),
            ),
            (
                "customers",
                format!("{} with a visit by {}", count(b.customers as u64), b.as_of),
            ),
            ("churn's visit model", b.visit_model_reason.clone()),
            ("corrections", corrections_line(b)),
        ];
        if !b.horizon_covered {
            lines.push((
                "warning",
                format!(
                    "the data end before {}: what happened after their last date is unknown, \
                     and the actual figures are too low",
                    b.until
                ),
            ));
        }
        lines
    }

    /// The segments in report order, each with its customer count.
    fn segments(&self) -> impl Iterator<Item = &Segment> {
        self.backtest.segments.iter()
    }
}

fn corrections_line(b: &Backtest) -> String {
    let c = &b.corrections;
    match (&c.learning, &c.note) {
        (Some(l), _) => {
            let factors: Vec<String> = c
                .factors
                .iter()
                .map(|f| {
                    format!(
                        "{} ({} customers) visits ×{:.2}{}, spend ×{:.2}{}",
                        f.flag,
                        count(f.customers as u64),
                        f.visits,
                        strength(f.strength),
                        f.spend,
                        strength(f.spend_strength)
                    )
                })
                .collect();
            format!(
                "learned judging as of {} and comparing with what customers did until {}: {}",
                l.judged_at,
                l.until,
                factors.join("; ")
            )
        }
        (None, Some(note)) => format!("none: {note}"),
        (None, None) => "none".to_string(),
    }
}

fn strength(s: f64) -> String {
    if s == 0.0 {
        String::new()
    } else {
        let sign = if s < 0.0 { '−' } else { '+' };
        format!(" {sign} {:.2} × (the rule's measure − 1)", s.abs())
    }
}

/// Predicted against actual total, as a signed percentage.
fn total_error(e: &Errors) -> String {
    if e.actual == 0.0 {
        String::new()
    } else {
        format!("{:+.1}%", (e.predicted / e.actual - 1.0) * 100.0)
    }
}

/// CSV column order: one row per segment, method and measure.
pub const COLUMNS: [&str; 9] = [
    "segment",
    "customers",
    "method",
    "measure",
    "mae",
    "rmse",
    "predicted",
    "actual",
    "total_error",
];

pub fn csv(report: &BacktestReport, w: &mut dyn Write) -> io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record(COLUMNS)?;
    for s in report.segments() {
        for m in &s.methods {
            for measure in Measure::ALL {
                let e = measure.of(m);
                out.write_record([
                    s.segment.to_string(),
                    s.customers.to_string(),
                    method_key(m.method).to_string(),
                    measure.name().to_string(),
                    plain(e.mae, 4),
                    plain(e.rmse, 4),
                    plain(e.predicted, 2),
                    plain(e.actual, 2),
                    if e.actual == 0.0 {
                        String::new()
                    } else {
                        plain(e.predicted / e.actual - 1.0, 4)
                    },
                ])?;
            }
        }
    }
    out.flush()
}

fn method_key(m: Method) -> &'static str {
    match m {
        Method::Churn => "churn",
        Method::BgnbdGammaGamma => "bgnbd_gamma_gamma",
        Method::Naive => "naive",
    }
}

/// Headers of the error tables.
const ERROR_HEADER: [&str; 7] = [
    "customers",
    "method",
    "mean abs. error",
    "root mean sq. error",
    "predicted",
    "actual",
    "total off by",
];

/// The error table of one measure, as text cells: segment, method, then figures.
fn error_rows(report: &BacktestReport, measure: Measure) -> Vec<[String; 7]> {
    let mut rows = Vec::new();
    for s in report.segments() {
        for m in &s.methods {
            let e = measure.of(m);
            rows.push([
                format!("{} ({})", s.segment, count(s.customers as u64)),
                m.method.label().to_string(),
                money(e.mae),
                money(e.rmse),
                money(e.predicted),
                money(e.actual),
                total_error(e),
            ]);
        }
    }
    rows
}

/// Headers of the status table.
const STATUS_HEADER: [&str; 4] = ["called defected by", "customers", "stayed down", "share"];

fn status_rows(report: &BacktestReport) -> Vec<[String; 4]> {
    report
        .backtest
        .statuses
        .iter()
        .map(|s| {
            [
                s.flagged_by.clone(),
                count(s.flagged as u64),
                count(s.stayed_down as u64),
                s.share.map_or_else(String::new, percent),
            ]
        })
        .collect()
}

fn error_title(report: &BacktestReport, measure: Measure) -> String {
    format!(
        "Forecast {} per customer, {} to {}",
        measure.name(),
        report.backtest.as_of,
        report.backtest.until
    )
}

fn status_title(report: &BacktestReport) -> String {
    format!(
        "Customers called defected on {} whose visit rate over the next {} days stayed at half \
         their own earlier rate or less",
        report.backtest.as_of, report.backtest.horizon_days
    )
}

/// A terminal table: the first `left` columns left-aligned, the rest right-aligned.
fn terminal<const N: usize>(header: [&str; N], rows: Vec<[String; N]>, left: usize) -> Table {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(header.to_vec());
    for row in rows {
        table.add_row(row.into_iter().enumerate().map(|(i, text)| {
            let cell = Cell::new(text);
            if i < left {
                cell
            } else {
                cell.set_alignment(CellAlignment::Right)
            }
        }));
    }
    table
}

/// A Markdown table: the first `left` columns left-aligned, the rest right-aligned.
fn markdown_table<const N: usize>(
    header: [&str; N],
    rows: Vec<[String; N]>,
    left: usize,
    w: &mut dyn Write,
) -> io::Result<()> {
    writeln!(w, "| {} |", header.join(" | "))?;
    let rule: Vec<&str> = (0..N)
        .map(|i| if i < left { "---" } else { "---:" })
        .collect();
    writeln!(w, "|{}|", rule.join("|"))?;
    for row in rows {
        let cells: Vec<String> = row.iter().map(|c| c.replace('|', "\\|")).collect();
        writeln!(w, "| {} |", cells.join(" | "))?;
    }
    Ok(())
}

pub fn table(report: &BacktestReport, w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, "churn backtest: {}", report.source)?;
    super::table::write(w, &mut super::table::summary_table(report.summary_lines()))?;
    for measure in Measure::ALL {
        writeln!(w, "\n{}:", error_title(report, measure))?;
        super::table::write(
            w,
            &mut terminal(ERROR_HEADER, error_rows(report, measure), 2),
        )?;
    }
    writeln!(w, "\n{}:", status_title(report))?;
    super::table::write(w, &mut terminal(STATUS_HEADER, status_rows(report), 1))
}

pub fn markdown(report: &BacktestReport, w: &mut dyn Write) -> io::Result<()> {
    writeln!(
        w,
        "# churn backtest: {}\n",
        super::markdown::cell(&report.source)
    )?;
    for (label, text) in report.summary_lines() {
        writeln!(w, "- **{label}**: {}", super::markdown::cell(&text))?;
    }
    for measure in Measure::ALL {
        writeln!(w, "\n## {}\n", error_title(report, measure))?;
        markdown_table(ERROR_HEADER, error_rows(report, measure), 2, w)?;
    }
    writeln!(w, "\n## {}\n", status_title(report))?;
    markdown_table(STATUS_HEADER, status_rows(report), 1, w)
}

impl super::Render for BacktestReport {
    const SHEET: &'static str = "backtest";

    fn summary(&self) -> &crate::metrics::Summary {
        &self.summary
    }

    fn table(&self, _limit: usize, w: &mut dyn Write) -> io::Result<()> {
        table(self, w)
    }

    fn csv(&self, w: &mut dyn Write) -> io::Result<()> {
        csv(self, w)
    }

    fn markdown(&self, _limit: usize, w: &mut dyn Write) -> io::Result<()> {
        markdown(self, w)
    }
}
