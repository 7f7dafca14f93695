//! The monthly report: every figure of the other commands, assembled for one reader.
//! [`MonthlyReport`] is the data (serialized as the JSON report); [`markdown`] and
//! [`html::write`] render it. Every section appears in [`SECTIONS`] order.

#[path = "html.rs"]
pub mod html;
#[path = "svg.rs"]
pub mod svg;

use std::io::{self, Write};

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::markdown::cell;
use super::summary::Figure;
use super::{count, money, percent};
use crate::metrics::Summary;
use crate::metrics::changes::Changes;
use crate::metrics::clv::{DAYS_PER_YEAR, Settings};
use crate::metrics::contacts::Contact;
use crate::metrics::rate::{CohortMatrix, RateTable};
use crate::metrics::reasons::{GapRow, Reasons};
use crate::rules::RuleConfig;

/// The section headings, in the order they appear in every format.
pub const SECTIONS: [&str; 12] = [
    "Headline figures",
    "What changed this month",
    "Defection-rate trend",
    "Status breakdown",
    "Defection rate by store",
    "Defection rate by employee",
    "Reasons for leaving",
    "Expectation gap",
    "Customers to contact",
    "Cohort retention",
    "Data quality",
    "Rules and assumptions",
];

/// The defection rate of the previous period: the same length, ending one month before
/// the as-of date, computed from the same data.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Previous {
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub customers: u64,
    pub defected: u64,
    pub rate: f64,
}

/// The expectation gap (expected − perceived rating) of each store and employee.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExpectationGap {
    pub by_store: Vec<GapRow>,
    pub by_employee: Vec<GapRow>,
}

/// The contacts list, highest value at stake first.
#[derive(Clone, Debug, Serialize)]
pub struct Contacts {
    /// Defected customers are listed while their change began at most this many days ago.
    pub recent_days: u32,
    /// Customers to call, before the list was cut to the `--contacts` shown.
    pub total: u64,
    /// Flagged customers left out because they already gave feedback since their change.
    pub already_heard: u64,
    /// `value_at_stake` is their revenue over the next 12 months, undiscounted.
    pub shown: Vec<Contact>,
}

/// How the value figures are computed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Assumptions {
    pub horizon_years: f64,
    pub annual_discount: f64,
    /// Share of revenue counted as value (1 = value in revenue).
    pub margin: f64,
    pub value_unit: &'static str,
    pub contacts_value: &'static str,
}

impl Assumptions {
    pub fn new(settings: &Settings) -> Assumptions {
        Assumptions {
            horizon_years: settings.horizon_days / DAYS_PER_YEAR,
            annual_discount: settings.annual_discount,
            margin: settings.margin,
            value_unit: if settings.margin == 1.0 {
                "revenue"
            } else {
                "profit"
            },
            contacts_value: "revenue over the next 12 months, undiscounted",
        }
    }
}

/// Everything in the report: the JSON output as it is.
#[derive(Clone, Debug, Serialize)]
pub struct MonthlyReport {
    pub schema_version: u32,
    pub source: String,
    pub feedback_source: Option<String>,
    pub as_of: NaiveDate,
    /// Only with `--stamp`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generated_at: Option<String>,
    /// The summary every command shares: the figures, statuses, row accounting.
    pub summary: Summary,
    /// The headline figures, each with its value at the previous month end.
    pub headline: Vec<Figure>,
    /// The same defection rate one month earlier.
    pub previous_period: Option<Previous>,
    /// `summary.defection_rate - previous_period.rate` (a fraction: 0.012 = 1.2 points).
    pub change: Option<f64>,
    /// Who moved since the previous month end.
    pub changes: Changes,
    /// The defection rate at each month end.
    pub trend: RateTable,
    /// None when the input has no store column.
    pub by_store: Option<RateTable>,
    pub by_employee: Option<RateTable>,
    /// None without `--feedback`.
    pub reasons: Option<Reasons>,
    pub expectation_gap: Option<ExpectationGap>,
    pub contacts: Contacts,
    pub cohorts: CohortMatrix,
    pub rules: RuleConfig,
    pub assumptions: Assumptions,
}

/// What the report is made of, computed by the analysis.
pub struct Parts {
    pub summary: Summary,
    /// The summary at the previous month end.
    pub previous: Summary,
    pub changes: Changes,
    pub feedback_source: Option<String>,
    pub generated_at: Option<String>,
    pub trend: RateTable,
    pub by_store: Option<RateTable>,
    pub by_employee: Option<RateTable>,
    pub reasons: Option<Reasons>,
    pub contacts: Contacts,
    pub cohorts: CohortMatrix,
    pub rules: RuleConfig,
    pub assumptions: Assumptions,
}

impl MonthlyReport {
    pub fn new(p: Parts) -> MonthlyReport {
        let previous = p.previous.defection_rate.map(|rate| Previous {
            period_start: p.previous.period_start.unwrap_or(p.previous.as_of),
            period_end: p.previous.period_end,
            customers: p.previous.period_customers,
            defected: p.previous.period_defectors,
            rate,
        });
        let change = p
            .summary
            .defection_rate
            .zip(previous.as_ref())
            .map(|(d, prev)| d - prev.rate);
        let expectation_gap = p.reasons.as_ref().map(|r| ExpectationGap {
            by_store: r.gap_by_store.clone(),
            by_employee: r.gap_by_employee.clone(),
        });
        MonthlyReport {
            schema_version: super::SCHEMA_VERSION,
            source: p.summary.source.clone(),
            feedback_source: p.feedback_source,
            as_of: p.summary.as_of,
            generated_at: p.generated_at,
            headline: super::summary::figures(&p.summary, Some(&p.previous)),
            summary: p.summary,
            previous_period: previous,
            change,
            changes: p.changes,
            trend: p.trend,
            by_store: p.by_store,
            by_employee: p.by_employee,
            reasons: p.reasons,
            expectation_gap,
            contacts: p.contacts,
            cohorts: p.cohorts,
            rules: p.rules,
            assumptions: p.assumptions,
        }
    }

    /// The headline figures as (label, text) lines, each with its period, unit and change
    /// since the previous month end; then the notes.
    pub fn headline_lines(&self) -> Vec<(String, String)> {
        let mut lines = Vec::new();
        for f in &self.headline {
            let mut text = f.line();
            if let Some((change, _)) = f.change_text(&self.summary) {
                let since = self.changes.since;
                text = match text.split_once(": ") {
                    Some((head, rest)) => format!("{head} ({change} since {since}): {rest}"),
                    None => format!("{text} ({change} since {since})"),
                };
            }
            lines.push((f.label.to_string(), text));
        }
        for w in &self.summary.warnings {
            lines.push(("note".to_string(), w.clone()));
        }
        lines
    }

    /// The data quality lines: every row accounted for.
    pub fn quality_lines(&self) -> Vec<(String, String)> {
        let r = &self.summary.rows;
        let mut lines = vec![
            ("rows read".to_string(), count(r.read)),
            ("rows used".to_string(), count(r.used)),
            (
                "anonymous".to_string(),
                format!(
                    "{} (no customer id; left out of customer analysis)",
                    count(r.anonymous)
                ),
            ),
            (
                "duplicates".to_string(),
                format!(
                    "{} exact duplicate lines, {} dropped (--dedupe drops them)",
                    count(r.duplicates),
                    count(r.duplicates_dropped)
                ),
            ),
        ];
        let why: Vec<String> = r
            .skipped_reasons
            .iter()
            .map(|x| format!("{} {}", count(x.rows), x.reason))
            .collect();
        lines.push((
            "skipped".to_string(),
            if why.is_empty() {
                count(r.skipped)
            } else {
                format!("{} ({})", count(r.skipped), why.join("; "))
            },
        ));
        lines.push((
            "after the as-of date".to_string(),
            format!("{} (ignored)", count(r.after_as_of)),
        ));
        lines.push((
            "refund lines".to_string(),
            format!(
                "{} (negative amounts, subtracted from spend)",
                count(r.refund_lines)
            ),
        ));
        if let Some(r) = &self.reasons {
            lines.push((
                "feedback".to_string(),
                format!(
                    "{} lines; {} from unknown customers, {} after the as-of date; {} of {} defectors gave feedback ({})",
                    count(r.feedback_lines),
                    count(r.unknown_customers),
                    count(r.after_as_of),
                    count(r.defectors_with_feedback),
                    count(r.defectors),
                    percent(r.feedback_share)
                ),
            ));
        }
        lines
    }

    /// The rules and assumptions as (setting, value) lines.
    pub fn rule_lines(&self) -> Vec<(String, String)> {
        let mut lines = Vec::new();
        if let Ok(v) = serde_json::to_value(&self.rules) {
            flatten("", &v, &mut lines);
        }
        lines
    }

    /// The value assumptions, in words.
    pub fn assumption_lines(&self) -> Vec<String> {
        let a = &self.assumptions;
        vec![
            format!(
                "Future values are over {} years, discounted {}% a year, in {} (margin {}).",
                a.horizon_years,
                fixed(a.annual_discount * 100.0, 0),
                a.value_unit,
                a.margin
            ),
            format!("A contact's value at stake is their {}.", a.contacts_value),
            format!(
                "Defection rates are over {}: of the customers active or at risk at the start, \
                 the share defected at the end, both judged by the rules below; 95% Wilson intervals; \
                 groups with fewer than {} customers at the start are flagged as too small to judge.",
                self.trend.period.label(),
                self.trend.min_customers
            ),
            "A customer is defected or at risk when one of the rules below with that status fires \
             (see the README for the formulas)."
                .to_string(),
        ]
    }
}

/// `rules.gone.alpha = 0.001` lines from a JSON tree.
fn flatten(prefix: &str, v: &serde_json::Value, out: &mut Vec<(String, String)>) {
    use serde_json::Value;
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(scalar).collect();
            out.push((prefix.to_string(), items.join(", ")));
        }
        other => out.push((prefix.to_string(), scalar(other))),
    }
}

fn scalar(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A number with fixed decimals (deterministic, no locale).
pub fn fixed(v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    // -0.0 prints as "-0"
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

/// Escapes text for HTML and SVG.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The 95% interval of a rate: `23.2%–40.0%`.
pub fn interval(low: f64, high: f64) -> String {
    format!("{}–{}", percent(low), percent(high))
}

/// The Markdown report.
pub fn markdown(r: &MonthlyReport, w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, "# Churn report: {}\n", cell(&r.source))?;
    write!(w, "As of {}", r.as_of)?;
    if let Some(f) = &r.feedback_source {
        write!(w, "; feedback from {}", cell(f))?;
    }
    if let Some(g) = &r.generated_at {
        write!(w, "; generated at {g}")?;
    }
    writeln!(w, ".")?;
    let section = |w: &mut dyn Write, i: usize| writeln!(w, "\n## {}\n", SECTIONS[i]);

    section(w, 0)?;
    for (label, text) in r.headline_lines() {
        writeln!(w, "- **{label}**: {}", cell(&text))?;
    }

    section(w, 1)?;
    changes_md(r, w)?;

    section(w, 2)?;
    writeln!(
        w,
        "{} defection rate (%, the {} up to each month end).\n",
        r.trend.period.adjective(),
        r.trend.period.label()
    )?;
    rate_table_md(&r.trend, "month", w)?;
    for note in &r.trend.warnings {
        writeln!(w, "\nNote: {}.", cell(note))?;
    }

    section(w, 3)?;
    writeln!(w, "Customers as of {}.\n", r.as_of)?;
    writeln!(w, "| status | customers | share |\n|---|---:|---:|")?;
    for status in crate::rules::Status::ALL {
        writeln!(
            w,
            "| {} | {} | {} |",
            status.label(),
            count(r.summary.count(status)),
            percent(r.summary.share(status))
        )?;
    }

    for (i, table, name, flag) in [
        (4, &r.by_store, "store", "--store-col"),
        (5, &r.by_employee, "employee", "--employee-col"),
    ] {
        section(w, i)?;
        match table {
            Some(t) => {
                writeln!(
                    w,
                    "{} defection rate (%, {} to {}) by main {name}.\n",
                    t.period.adjective(),
                    t.period.label(),
                    r.as_of
                )?;
                rate_table_md(t, name, w)?;
            }
            None => writeln!(w, "The input has no {name} column ({flag} maps one).")?,
        }
    }

    section(w, 6)?;
    match &r.reasons {
        None => writeln!(w, "No feedback given (--feedback FILE adds this section).")?,
        Some(reasons) if reasons.rows.is_empty() => {
            writeln!(w, "No defected or at-risk customer gave a reason.")?
        }
        Some(reasons) => {
            writeln!(
                w,
                "Ranked by the value lost with the defectors citing each reason (over {} years, \
                 discounted {}% a year, in {}).\n",
                r.assumptions.horizon_years,
                fixed(r.assumptions.annual_discount * 100.0, 0),
                r.assumptions.value_unit
            )?;
            writeln!(
                w,
                "| reason | defectors | at risk | share of defectors with feedback | value lost | value at risk | expectation gap | example |"
            )?;
            writeln!(w, "|---|---:|---:|---:|---:|---:|---:|---|")?;
            for x in &reasons.rows {
                writeln!(
                    w,
                    "| {} | {} | {} | {} | {} | {} | {} | {} |",
                    cell(&x.reason),
                    count(x.defectors),
                    count(x.at_risk),
                    percent(x.share),
                    money(x.value_lost),
                    money(x.value_at_risk),
                    x.expectation_gap.map_or(String::new(), |g| fixed(g, 2)),
                    cell(x.examples.first().map_or("", String::as_str))
                )?;
            }
        }
    }

    section(w, 7)?;
    match &r.expectation_gap {
        None => writeln!(w, "No feedback given (--feedback FILE adds this section).")?,
        Some(g) => {
            writeln!(
                w,
                "Mean expected − perceived rating (rating points, all feedback up to {}); above 0: \
                 worse than expected.\n",
                r.as_of
            )?;
            let mut first = true;
            for (name, rows) in [("store", &g.by_store), ("employee", &g.by_employee)] {
                if rows.is_empty() {
                    continue;
                }
                if !first {
                    writeln!(w)?;
                }
                first = false;
                writeln!(w, "| {name} | feedback | gap |\n|---|---:|---:|")?;
                for x in rows {
                    writeln!(
                        w,
                        "| {} | {} | {} |",
                        cell(&x.group),
                        count(x.feedback),
                        fixed(x.expectation_gap, 2)
                    )?;
                }
            }
        }
    }

    section(w, 8)?;
    let c = &r.contacts;
    writeln!(
        w,
        "At-risk customers and customers defected in the last {} days, not heard from since \
         their change; highest value at stake (revenue over the next 12 months) first. {} of {} \
         shown; {} left out as they already gave feedback.\n",
        c.recent_days,
        count(c.shown.len() as u64),
        count(c.total),
        count(c.already_heard)
    )?;
    if !c.shown.is_empty() {
        writeln!(
            w,
            "| customer | status | rule | evidence | since | last visit | store | value at stake |"
        )?;
        writeln!(w, "|---|---|---|---|---|---|---|---:|")?;
        for x in &c.shown {
            writeln!(
                w,
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                cell(&x.customer_id),
                x.status.label(),
                x.rule.map_or("", |r| r.as_str()),
                cell(&x.evidence),
                x.change_since.map_or(String::new(), |d| d.to_string()),
                x.last_visit,
                cell(x.store.as_deref().unwrap_or("")),
                money(x.value_at_stake)
            )?;
        }
    }

    section(w, 9)?;
    let (rows, steps) = super::rate::cohort_rows(&r.cohorts);
    writeln!(
        w,
        "Share of each first-visit month's customers retained (never judged defected so far), \
         by months since (%).\n"
    )?;
    if !rows.is_empty() {
        write!(w, "| cohort | customers |")?;
        for s in 0..steps {
            write!(w, " {s} |")?;
        }
        write!(w, "\n|---|---:|")?;
        for _ in 0..steps {
            write!(w, "---:|")?;
        }
        writeln!(w)?;
        for (cohort, customers, shares) in &rows {
            write!(w, "| {cohort} | {} |", count(*customers))?;
            for s in shares {
                write!(w, " {} |", s.map_or(String::new(), |v| fixed(v * 100.0, 0)))?;
            }
            writeln!(w)?;
        }
    }

    section(w, 10)?;
    for (label, text) in r.quality_lines() {
        writeln!(w, "- **{label}**: {}", cell(&text))?;
    }

    section(w, 11)?;
    for line in r.assumption_lines() {
        writeln!(w, "- {line}")?;
    }
    writeln!(w, "\n| setting | value |\n|---|---|")?;
    for (k, v) in r.rule_lines() {
        writeln!(w, "| `{k}` | {} |", cell(&v))?;
    }
    Ok(())
}

fn rate_table_md(t: &RateTable, name: &str, w: &mut dyn Write) -> io::Result<()> {
    if t.rows.is_empty() {
        return writeln!(w, "No period with customers at its start.");
    }
    writeln!(
        w,
        "| {name} | customers at start | defected | rate | 95% interval | revenue lost a year | note |"
    )?;
    writeln!(w, "|---|---:|---:|---:|---:|---:|---|")?;
    for x in &t.rows {
        writeln!(
            w,
            "| {} | {} | {} | {} | {} | {} | {} |",
            cell(&x.group),
            count(x.customers),
            count(x.defected),
            percent(x.defection_rate),
            interval(x.rate_low, x.rate_high),
            money(x.revenue_lost),
            if x.small { "too few to judge" } else { "" }
        )?;
    }
    Ok(())
}

/// Customers listed per change in the Markdown and HTML reports (JSON lists all).
pub const CHANGES_SHOWN: usize = 10;

fn changes_md(r: &MonthlyReport, w: &mut dyn Write) -> io::Result<()> {
    let c = &r.changes;
    let money = |v| super::summary::amount(&r.summary, v);
    writeln!(w, "{}", cell(&super::changes::intro(c, &r.summary)))?;
    super::changes::markdown_lists(c, &r.summary, "###", CHANGES_SHOWN, w)?;
    if !c.movers.is_empty() {
        writeln!(
            w,
            "\n### Biggest movers\n\nLast-12-month revenue then and now: the month just ended \
             against the same month a year earlier.\n"
        )?;
        writeln!(
            w,
            "| customer | status | then | now | change |\n|---|---|---:|---:|---:|"
        )?;
        for m in &c.movers {
            writeln!(
                w,
                "| {} | {} | {} | {} | {}{} |",
                cell(&m.customer_id),
                m.status.label(),
                money(m.revenue_12m_before),
                money(m.revenue_12m_now),
                if m.change > 0.0 { "+" } else { "" },
                money(m.change)
            )?;
        }
    }
    Ok(())
}

/// The report as an Excel workbook: one sheet per table, in the report's order.
pub fn xlsx(report: &MonthlyReport) -> std::io::Result<Vec<u8>> {
    use crate::report::rate::{RateReport, RateView};
    let mut sheets: Vec<(String, Vec<u8>)> = Vec::new();
    let mut table = |name: &str,
                     render: &dyn Fn(&mut dyn std::io::Write) -> std::io::Result<()>|
     -> std::io::Result<()> {
        let mut csv = Vec::new();
        render(&mut csv)?;
        sheets.push((name.to_string(), csv));
        Ok(())
    };
    let pairs = |rows: Vec<(String, String)>, w: &mut dyn std::io::Write| -> std::io::Result<()> {
        let mut out = csv::Writer::from_writer(w);
        out.write_record(["figure", "value"])?;
        for (k, v) in rows {
            out.write_record([k, v])?;
        }
        out.flush()
    };
    let changed = |w: &mut dyn std::io::Write| super::changes::csv(&r_changes(report), w);
    let rates = |t: &crate::metrics::rate::RateTable, w: &mut dyn std::io::Write| {
        crate::report::rate::csv(
            &RateReport::new(report.summary.clone(), RateView::Rates(t.clone())),
            w,
        )
    };
    table("Changes", &changed)?;
    table("Trend", &|w| rates(&report.trend, w))?;
    table("Statuses", &|w| {
        let mut out = csv::Writer::from_writer(w);
        out.write_record(["status", "customers", "share"])?;
        for status in crate::rules::Status::ALL {
            out.write_record([
                status.as_str().to_string(),
                report.summary.count(status).to_string(),
                crate::report::csv::plain(report.summary.share(status), 4),
            ])?;
        }
        out.flush()
    })?;
    if let Some(t) = &report.by_store {
        table("By store", &|w| rates(t, w))?;
    }
    if let Some(t) = &report.by_employee {
        table("By employee", &|w| rates(t, w))?;
    }
    if let Some(r) = &report.reasons {
        table("Reasons", &|w| {
            let settings = crate::metrics::clv::Settings {
                horizon_days: report.assumptions.horizon_years * crate::metrics::clv::DAYS_PER_YEAR,
                annual_discount: report.assumptions.annual_discount,
                margin: report.assumptions.margin,
            };
            let feedback = report.feedback_source.clone().unwrap_or_default();
            let rr = crate::report::reasons::ReasonsReport::new(
                report.summary.clone(),
                &feedback,
                settings,
                r.clone(),
            );
            crate::report::reasons::csv(&rr, w)
        })?;
    }
    table("Contacts", &|w| {
        let c = crate::report::contacts::ContactsReport::new(
            report.summary.clone(),
            report.contacts.recent_days,
            Vec::new(),
            (report.contacts.shown.clone(), report.contacts.already_heard),
        );
        crate::report::contacts::csv(&c, w)
    })?;
    table("Cohorts", &|w| {
        crate::report::rate::csv(
            &RateReport::new(
                report.summary.clone(),
                RateView::Cohorts(report.cohorts.clone()),
            ),
            w,
        )
    })?;
    table("Data quality", &|w| {
        let q = &report.summary.rows;
        pairs(
            vec![
                ("rows read".into(), q.read.to_string()),
                ("used".into(), q.used.to_string()),
                ("anonymous".into(), q.anonymous.to_string()),
                ("duplicate lines".into(), q.duplicates.to_string()),
                (
                    "duplicates dropped".into(),
                    q.duplicates_dropped.to_string(),
                ),
                ("skipped".into(), q.skipped.to_string()),
                ("after the as-of date".into(), q.after_as_of.to_string()),
                ("refund lines".into(), q.refund_lines.to_string()),
            ],
            w,
        )
    })?;
    let currency = report.summary.currency.as_deref();
    let mut book = rust_xlsxwriter::Workbook::new();
    headline_sheet(&mut book, report)?;
    for (name, csv) in &sheets {
        crate::report::xlsx::add_sheet(&mut book, csv, name, currency)?;
    }
    book.save_to_buffer()
        .map_err(crate::report::xlsx::xlsx_error)
}

/// The changes as `churn scan --changes` reports them, for the workbook's sheet.
fn r_changes(report: &MonthlyReport) -> super::changes::ChangesReport {
    super::changes::ChangesReport {
        schema_version: report.schema_version,
        source: report.source.clone(),
        as_of: report.as_of,
        summary: report.summary.clone(),
        headline: report.headline.clone(),
        changes: report.changes.clone(),
    }
}

/// The headline sheet: one row per figure, its value a number cell (a percentage, money
/// in the currency, a count), with its unit, period, meaning and last month's value.
fn headline_sheet(book: &mut rust_xlsxwriter::Workbook, r: &MonthlyReport) -> io::Result<()> {
    use super::summary::Unit;
    use rust_xlsxwriter::Format;
    let err = crate::report::xlsx::xlsx_error;
    let currency = r.summary.currency.as_deref();
    let bold = Format::new().set_bold();
    let formats = |unit: Unit| match unit {
        Unit::Share => Format::new().set_num_format("0.0%"),
        Unit::Money => Format::new().set_num_format(crate::report::xlsx::money_format(currency)),
        Unit::Count => Format::new().set_num_format("#,##0"),
    };
    let ws = book.add_worksheet();
    ws.set_name("Headline").map_err(err)?;
    let header = [
        "figure",
        "value",
        "unit",
        "period",
        "meaning",
        "previous month end",
        "change",
    ];
    for (c, name) in header.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *name, &bold)
            .map_err(err)?;
    }
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let mut row = 1;
    let as_of = rust_xlsxwriter::ExcelDateTime::from_ymd(
        r.as_of.year() as u16,
        r.as_of.month() as u8,
        r.as_of.day() as u8,
    )
    .map_err(err)?;
    ws.write_string(row, 0, "as of").map_err(err)?;
    ws.write_datetime_with_format(row, 1, &as_of, &date)
        .map_err(err)?;
    ws.write_string(row, 2, "date").map_err(err)?;
    row += 1;
    for f in &r.headline {
        let format = formats(f.unit);
        ws.write_string(row, 0, f.label).map_err(err)?;
        match f.value {
            Some(v) => ws.write_number_with_format(row, 1, v, &format),
            None => ws.write_string(row, 1, &f.text),
        }
        .map_err(err)?;
        let unit = match f.unit {
            Unit::Share => "share".to_string(),
            Unit::Money => currency.unwrap_or("money").to_string(),
            Unit::Count => "customers".to_string(),
        };
        ws.write_string(row, 2, unit).map_err(err)?;
        ws.write_string(row, 3, &f.period).map_err(err)?;
        ws.write_string(row, 4, &f.meaning).map_err(err)?;
        if let Some(p) = f.previous {
            ws.write_number_with_format(row, 5, p, &format)
                .map_err(err)?;
        }
        if let Some(c) = f.change() {
            ws.write_number_with_format(row, 6, c, &format)
                .map_err(err)?;
        }
        row += 1;
    }
    for w in &r.summary.warnings {
        ws.write_string(row, 0, "note").map_err(err)?;
        ws.write_string(row, 4, w).map_err(err)?;
        row += 1;
    }
    ws.set_freeze_panes(1, 0).map_err(err)?;
    for (c, width) in [18, 14, 10, 14, 80, 18, 14].iter().enumerate() {
        ws.set_column_width(c as u16, *width).map_err(err)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_for_html_and_markdown() {
        assert_eq!(
            esc(r#"<Väst & "erås">'"#),
            "&lt;Väst &amp; &quot;erås&quot;&gt;&#39;"
        );
        assert_eq!(cell("a|b<c>\nd"), "a\\|b\\<c\\> d");
    }

    #[test]
    fn fixed_numbers_have_no_negative_zero() {
        assert_eq!(fixed(-0.001, 1), "0.0");
        assert_eq!(fixed(-1.25, 1), "-1.2");
        assert_eq!(fixed(12.0, 0), "12");
    }

    #[test]
    fn rule_settings_flatten_to_dotted_keys() {
        let v = serde_json::json!({"a": {"b": 1, "c": [60, 90]}, "d": "x"});
        let mut out = Vec::new();
        flatten("", &v, &mut out);
        assert_eq!(
            out,
            [
                ("a.b".to_string(), "1".to_string()),
                ("a.c".to_string(), "60, 90".to_string()),
                ("d".to_string(), "x".to_string())
            ]
        );
    }
}
