//! Renderers for `churn rate`: one [`RateReport`], four formats. Every figure names its
//! period ("defection rate, 12 months to 2026-10-31").

use std::io::{self, Write};

use super::markdown::cell;

use chrono::NaiveDate;
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, CellAlignment, ContentArrangement, Table};
use serde::Serialize;

use super::csv::plain;
use super::{SCHEMA_VERSION, count, money, percent};
use crate::metrics::Summary;
use crate::metrics::rate::{CohortMatrix, Dimension, RateTable, TenureCurve};
use crate::metrics::segment::INFREQUENT_GAP_DAYS;

/// Everything `churn rate` reports.
#[derive(Clone, Debug, Serialize)]
pub struct RateReport {
    pub schema_version: u32,
    pub source: String,
    pub as_of: NaiveDate,
    /// The summary every command shares.
    pub summary: Summary,
    #[serde(flatten)]
    pub view: RateView,
}

/// One of the three things `churn rate` computes.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "view", rename_all = "snake_case")]
pub enum RateView {
    Rates(RateTable),
    Cohorts(CohortMatrix),
    Tenure(TenureCurve),
}

impl RateReport {
    pub fn new(summary: Summary, view: RateView) -> RateReport {
        RateReport {
            schema_version: SCHEMA_VERSION,
            source: summary.source.clone(),
            as_of: summary.as_of,
            summary,
            view,
        }
    }

    /// What the figures are, and over which period, in one line.
    pub fn title(&self) -> String {
        match &self.view {
            RateView::Rates(t) => rates_title(t, self.as_of),
            RateView::Cohorts(m) => format!(
                "cohort retention as of {}: share of each first-visit {unit}'s customers never \
                 judged defected at a {unit} end since",
                self.as_of,
                unit = m.unit.name()
            ),
            RateView::Tenure(_) => format!(
                "net revenue per customer by year since their first visit, years complete by {}",
                self.as_of
            ),
        }
    }
}

fn rates_title(t: &RateTable, as_of: NaiveDate) -> String {
    let by = if t.kind == Dimension::Overall {
        String::new()
    } else {
        format!(" by {}", t.dimension)
    };
    match (t.rows.first(), t.rows.last()) {
        (Some(first), Some(last)) if first.period_end != last.period_end => {
            format!(
                "defection rate{by}, {} to each {} end, {} to {}",
                t.period.label(),
                t.dimension,
                first.group,
                last.group
            )
        }
        (Some(row), _) => format!(
            "defection rate{by}, {} to {}: customers active on {}, defected by {}",
            t.period.label(),
            row.period_end,
            row.period_start,
            row.period_end
        ),
        (None, _) => format!("defection rate{by}, {} to {as_of}", t.period.label()),
    }
}

/// When there is no row: why.
fn no_rows(t: &RateTable, as_of: NaiveDate) -> String {
    let data = t
        .data_start
        .map_or(String::new(), |d| format!(" The data begins on {d}."));
    if let Dimension::Trend(_) = t.kind {
        format!(
            "No {} end up to {as_of} has {} of data before it.{data} A shorter --period gives \
             a trend sooner.",
            t.dimension,
            t.period.label()
        )
    } else {
        format!(
            "No customer was active at the start of the period.{data} A shorter --period \
             (month, quarter) needs less history."
        )
    }
}

/// A share for a dense matrix: `87%`.
fn whole_percent(share: f64) -> String {
    format!("{:.0}%", share * 100.0)
}

const SMALL_NOTE: &str = "too few to judge";

/// What the groups of `--by segment` and `--by value` mean, and which trend rows come too
/// early, when they need saying.
fn groups_footer(t: &RateTable) -> Option<String> {
    let start = t.rows.first()?.period_start;
    match (t.kind, t.value_bands) {
        (Dimension::Trend(_), _) => t.warnings.first().map(|w| format!("{w}.")),
        (Dimension::Segment, _) => Some(format!(
            "Segments on {start}: new (first visit less than {} days before), one_visit, \
             seasonal (an off season that recurs), infrequent (usual gap {} days or more), \
             regular (the rest).",
            t.new_days, INFREQUENT_GAP_DAYS
        )),
        (Dimension::Value, Some(b)) => Some(format!(
            "Value bands by last-12-month revenue on {start} (tertiles): low up to {}, mid \
             up to {}, high above.",
            money(b.low_max),
            money(b.mid_max)
        )),
        _ => None,
    }
}

fn small_footer(t: &RateTable) -> String {
    format!(
        "\"{SMALL_NOTE}\": fewer than {} customers active at the start (--min-customers).",
        t.min_customers
    )
}

/// Terminal tables.
pub fn table(report: &RateReport, w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, "churn rate: {}", report.source)?;
    writeln!(w, "{}", report.title())?;
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    let right = |text: String| Cell::new(text).set_alignment(CellAlignment::Right);
    match &report.view {
        RateView::Rates(t) => {
            if t.rows.is_empty() {
                return writeln!(w, "{}", no_rows(t, report.as_of));
            }
            let any_small = t.rows.iter().any(|r| r.small);
            let mut header = vec![
                t.dimension,
                "customers",
                "defected",
                "rate",
                "95% interval",
                "revenue lost/year",
            ];
            if any_small {
                header.push("note");
            }
            table.set_header(header);
            for r in &t.rows {
                let mut row = vec![
                    Cell::new(&r.group),
                    right(count(r.customers)),
                    right(count(r.defected)),
                    right(percent(r.defection_rate)),
                    right(format!("{}–{}", percent(r.rate_low), percent(r.rate_high))),
                    right(super::summary::amount(&report.summary, r.revenue_lost)),
                ];
                if any_small {
                    row.push(Cell::new(if r.small { SMALL_NOTE } else { "" }));
                }
                table.add_row(row);
            }
            super::table::write(w, &mut table)?;
            if let Some(text) = groups_footer(t) {
                writeln!(w, "{text}")?;
            }
            if any_small {
                writeln!(w, "{}", small_footer(t))?;
            }
        }
        RateView::Cohorts(m) => {
            let (rows, width) = cohort_rows(m);
            if rows.is_empty() {
                return writeln!(w, "No month has ended since the first visit.");
            }
            cohort_grid(&rows, width, usize::from(super::table::width()), w)?;
            writeln!(w, "{}", cohort_footer(m))?;
        }
        RateView::Tenure(c) => {
            if c.rows.is_empty() {
                return writeln!(w, "No customer has a complete year yet.");
            }
            table.set_header(vec![
                "year",
                "customers",
                "revenue",
                "per customer",
                "visiting",
                "per visiting customer",
            ]);
            for r in &c.rows {
                table.add_row(vec![
                    right(r.tenure_year.to_string()),
                    right(count(r.customers)),
                    right(super::summary::amount(&report.summary, r.revenue)),
                    right(super::summary::amount(
                        &report.summary,
                        r.revenue_per_customer,
                    )),
                    right(count(r.visiting)),
                    right(super::summary::amount(
                        &report.summary,
                        r.revenue_per_visiting,
                    )),
                ]);
            }
            super::table::write(w, &mut table)?;
        }
    }
    Ok(())
}

/// One first-visit month's row of the cohort matrix: (cohort, customers, share
/// retained by months since; None after the as-of date).
pub type CohortRow = (String, u64, Vec<Option<f64>>);

/// The cohort matrix as rows, and the number of steps (columns).
pub fn cohort_rows(m: &CohortMatrix) -> (Vec<CohortRow>, usize) {
    let steps = m
        .cells
        .iter()
        .map(|c| c.since as usize + 1)
        .max()
        .unwrap_or(0);
    let mut rows: Vec<CohortRow> = Vec::new();
    for c in &m.cells {
        if rows.last().is_none_or(|r| r.0 != c.cohort) {
            rows.push((c.cohort.clone(), c.customers, vec![None; steps]));
        }
        if let Some(r) = rows.last_mut() {
            r.2[c.since as usize] = Some(c.share_retained);
        }
    }
    (rows, steps)
}

/// The cohort matrix for the terminal: a compact heat table of percentages (without the
/// sign, 4 characters a cell), in bands of as many months as fit `width` when it is wider,
/// each band repeating the cohort column.
fn cohort_grid(
    rows: &[CohortRow],
    steps: usize,
    width: usize,
    w: &mut dyn Write,
) -> io::Result<()> {
    let label = rows
        .iter()
        .map(|r| r.0.chars().count())
        .max()
        .unwrap_or(6)
        .max("cohort".len());
    let customers = rows
        .iter()
        .map(|r| count(r.1).len())
        .max()
        .unwrap_or(1)
        .max("customers".len());
    let fixed = label + 1 + customers;
    let per_band = ((width.saturating_sub(fixed)) / 4).max(1);
    writeln!(
        w,
        "Share retained (%) by months since the first visit (0 = the month of the first visit):"
    )?;
    for start in (0..steps).step_by(per_band) {
        let end = (start + per_band).min(steps);
        let mut line = format!("{:<label$} {:>customers$}", "cohort", "customers");
        for k in start..end {
            line += &format!("{k:>4}");
        }
        writeln!(w, "\n{}", line.trim_end())?;
        for (cohort, n, shares) in rows {
            if shares[start..end].iter().all(Option::is_none) {
                continue;
            }
            let mut line = format!("{cohort:<label$} {:>customers$}", count(*n));
            for share in &shares[start..end] {
                match share {
                    Some(s) => line += &format!("{:>4.0}", s * 100.0),
                    None => line += "    ",
                }
            }
            writeln!(w, "{}", line.trim_end())?;
        }
    }
    Ok(())
}

/// What the cohort table's shares mean, and the customers who came back.
pub fn cohort_footer(m: &CohortMatrix) -> String {
    // The latest step of each cohort: cells come by cohort, then step.
    let returned: u64 = m
        .cells
        .iter()
        .zip(m.cells.iter().skip(1).map(Some).chain([None]))
        .filter(|(c, next)| next.is_none_or(|n| n.cohort != c.cohort))
        .map(|(c, _)| c.returned)
        .sum();
    let mut text = format!(
        "Columns: {unit}s since the first visit (0 = the {unit} of the first visit). Retained: \
         never judged defected at a {unit} end so far, so the share never rises.",
        unit = m.unit.name()
    );
    if returned > 0 {
        text += &format!(
            " {} customers judged defected earlier have come back since (not retained; \
             --format csv lists them per {} as `returned`).",
            count(returned),
            m.unit.name()
        );
    }
    text
}

/// Markdown for wikis and e-mail.
pub fn markdown(report: &RateReport, w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, "# churn rate: {}\n", cell(&report.source))?;
    writeln!(w, "{}\n", cell(&report.title()))?;
    match &report.view {
        RateView::Rates(t) => {
            if t.rows.is_empty() {
                return writeln!(w, "{}", no_rows(t, report.as_of));
            }
            let any_small = t.rows.iter().any(|r| r.small);
            let note = if any_small { " note |" } else { "" };
            let rule = if any_small { "---|" } else { "" };
            writeln!(
                w,
                "| {} | customers | defected | rate | 95% interval | revenue lost/year |{note}",
                t.dimension
            )?;
            writeln!(w, "|---|---:|---:|---:|---:|---:|{rule}")?;
            for r in &t.rows {
                let small = match (any_small, r.small) {
                    (false, _) => String::new(),
                    (true, false) => "  |".to_string(),
                    (true, true) => format!(" {SMALL_NOTE} |"),
                };
                writeln!(
                    w,
                    "| {} | {} | {} | {} | {}–{} | {} |{small}",
                    cell(&r.group),
                    count(r.customers),
                    count(r.defected),
                    percent(r.defection_rate),
                    percent(r.rate_low),
                    percent(r.rate_high),
                    super::summary::amount(&report.summary, r.revenue_lost)
                )?;
            }
            if let Some(text) = groups_footer(t) {
                writeln!(w, "\n{}", cell(&text))?;
            }
            if any_small {
                writeln!(w, "\n{}", small_footer(t))?;
            }
        }
        RateView::Cohorts(m) => {
            let (rows, width) = cohort_rows(m);
            if rows.is_empty() {
                return writeln!(w, "No month has ended since the first visit.");
            }
            let steps: String = (0..width).map(|k| format!(" {k} |")).collect();
            writeln!(w, "| cohort | customers |{steps}")?;
            writeln!(w, "|---|---:|{}", "---:|".repeat(width))?;
            for (cohort, customers, shares) in &rows {
                let cells: String = shares
                    .iter()
                    .map(|s| format!(" {} |", s.map_or(String::new(), whole_percent)))
                    .collect();
                writeln!(w, "| {} | {} |{cells}", cell(cohort), count(*customers))?;
            }
            writeln!(w, "\n{}", cell(&cohort_footer(m)))?;
        }
        RateView::Tenure(c) => {
            if c.rows.is_empty() {
                return writeln!(w, "No customer has a complete year yet.");
            }
            writeln!(
                w,
                "| year | customers | revenue | per customer | visiting | per visiting customer |"
            )?;
            writeln!(w, "|---:|---:|---:|---:|---:|---:|")?;
            for r in &c.rows {
                writeln!(
                    w,
                    "| {} | {} | {} | {} | {} | {} |",
                    r.tenure_year,
                    count(r.customers),
                    super::summary::amount(&report.summary, r.revenue),
                    super::summary::amount(&report.summary, r.revenue_per_customer),
                    count(r.visiting),
                    super::summary::amount(&report.summary, r.revenue_per_visiting)
                )?;
            }
        }
    }
    Ok(())
}

/// The CSV columns after the group column of the defection-rate table.
pub const RATE_COLUMNS: [&str; 7] = [
    "customers",
    "defected",
    "defection_rate",
    "rate_low",
    "rate_high",
    "revenue_lost",
    "small",
];

/// CSV: plain numbers, ISO dates; the rates table's first column is its dimension,
/// the cohort matrix in long form.
pub fn csv(report: &RateReport, w: &mut dyn Write) -> io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    match &report.view {
        RateView::Rates(t) => {
            let mut header = vec![t.dimension];
            header.extend(RATE_COLUMNS);
            out.write_record(&header)?;
            for r in &t.rows {
                out.write_record([
                    r.group.clone(),
                    r.customers.to_string(),
                    r.defected.to_string(),
                    plain(r.defection_rate, 4),
                    plain(r.rate_low, 4),
                    plain(r.rate_high, 4),
                    super::csv::money(&report.summary, r.revenue_lost),
                    r.small.to_string(),
                ])?;
            }
        }
        RateView::Cohorts(m) => {
            out.write_record([
                "cohort",
                m.unit.since_column(),
                "customers",
                "retained",
                "share_retained",
                "returned",
            ])?;
            for c in &m.cells {
                out.write_record([
                    c.cohort.clone(),
                    c.since.to_string(),
                    c.customers.to_string(),
                    c.retained.to_string(),
                    plain(c.share_retained, 4),
                    c.returned.to_string(),
                ])?;
            }
        }
        RateView::Tenure(c) => {
            out.write_record([
                "tenure_year",
                "customers",
                "revenue",
                "revenue_per_customer",
                "visiting",
                "revenue_per_visiting",
            ])?;
            for r in &c.rows {
                out.write_record([
                    r.tenure_year.to_string(),
                    r.customers.to_string(),
                    super::csv::money(&report.summary, r.revenue),
                    super::csv::money(&report.summary, r.revenue_per_customer),
                    r.visiting.to_string(),
                    super::csv::money(&report.summary, r.revenue_per_visiting),
                ])?;
            }
        }
    }
    out.flush()
}

impl super::Render for RateReport {
    const SHEET: &'static str = "rate";

    fn summary(&self) -> &crate::metrics::Summary {
        &self.summary
    }

    fn table(&self, limit: usize, w: &mut dyn Write) -> io::Result<()> {
        let _ = limit;
        table(self, w)
    }

    fn csv(&self, w: &mut dyn Write) -> io::Result<()> {
        csv(self, w)
    }

    fn markdown(&self, limit: usize, w: &mut dyn Write) -> io::Result<()> {
        let _ = limit;
        markdown(self, w)
    }
}
