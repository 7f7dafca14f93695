//! The HTML report: one self-contained page (inline CSS and SVG, no scripts, nothing
//! fetched), readable on a phone and printable. All text is escaped.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::svg::{self, Point};
use super::{MonthlyReport, SECTIONS, esc, fixed, interval};
use crate::metrics::rate::RateTable;
use crate::report::{count, money, percent};

const CSS: &str = "\
:root{--ink:#1f2933;--muted:#52606d;--line:#d9e2ec;--accent:#2563eb;--band:#bfdbfe}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--ink);background:#fff}
main{max-width:60rem;margin:0 auto;padding:1rem}
h1{font-size:1.5rem;margin:.5rem 0}
h2{font-size:1.2rem;margin:2rem 0 .5rem;padding-top:.5rem;border-top:1px solid var(--line)}
p.note,.meta{color:var(--muted);font-size:.9rem}
dl.figures{display:grid;grid-template-columns:minmax(8rem,max-content) 1fr;gap:.25rem 1rem;margin:0}
dl.figures dt{font-weight:600}
dl.figures dd{margin:0}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;font-size:.9rem;min-width:100%}
th,td{padding:.3rem .5rem;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{background:#f5f7fa}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.small{color:var(--muted);font-style:italic}
.chart{width:100%;height:auto;max-width:40rem;display:block;margin:.5rem 0}
.chart text{font-size:11px;fill:var(--ink)}
.chart .axis-title{font-size:12px;fill:var(--muted)}
.chart .axis{stroke:var(--ink);stroke-width:1}
.chart .grid{stroke:var(--line);stroke-width:1}
.chart .band{fill:var(--band);opacity:.6}
.chart .line{fill:none;stroke:var(--accent);stroke-width:2}
.chart .dot{fill:var(--accent)}
.chart .bar{fill:var(--accent)}
@media (max-width:36rem){body{font-size:15px}dl.figures{grid-template-columns:1fr}dl.figures dd{margin-bottom:.5rem}}
@media print{body{font-size:11pt}main{max-width:none;padding:0}.scroll{overflow:visible}h2{break-after:avoid}table,svg{break-inside:avoid}th{background:none}td.cell{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
";

/// Writes the whole page.
pub fn write(r: &MonthlyReport, w: &mut dyn Write) -> io::Result<()> {
    w.write_all(page(r).as_bytes())
}

fn page(r: &MonthlyReport) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Churn report: {} as of {}</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n<main>\n",
        esc(&r.source),
        r.as_of
    );
    let _ = write!(
        h,
        "<h1>Churn report: {}</h1>\n<p class=\"meta\">As of {}",
        esc(&r.source),
        r.as_of
    );
    if let Some(f) = &r.feedback_source {
        let _ = write!(h, "; feedback from {}", esc(f));
    }
    if let Some(g) = &r.generated_at {
        let _ = write!(h, "; generated at {}", esc(g));
    }
    h.push_str(".</p>\n");

    section(&mut h, 0);
    figures(&mut h, &r.headline_lines());

    section(&mut h, 1);
    changes(&mut h, r);

    section(&mut h, 2);
    let period = r.trend.period;
    note(
        &mut h,
        &format!(
            "{} defection rate at each month end: of the customers active or at risk {} \
             earlier, the share defected by then. The band is the 95% interval.",
            period.adjective(),
            period.label()
        ),
    );
    let points: Vec<Point> = r
        .trend
        .rows
        .iter()
        .filter(|x| x.customers > 0)
        .map(|x| Point {
            label: x.group.clone(),
            value: x.defection_rate,
            low: x.rate_low,
            high: x.rate_high,
        })
        .collect();
    h.push_str(&svg::line_chart(
        &format!("{} defection rate by month end", period.adjective()),
        &format!("defection rate, % {}", period.per()),
        "month end",
        &points,
    ));
    h.push('\n');
    rate_table(&mut h, &r.trend, "month");
    for warning in &r.trend.warnings {
        note(&mut h, &format!("Note: {warning}."));
    }

    section(&mut h, 3);
    let _ = writeln!(h, "<p class=\"note\">Customers as of {}.</p>", r.as_of);
    let rows: Vec<Vec<Cell>> = crate::rules::Status::ALL
        .iter()
        .map(|&status| {
            vec![
                Cell::text(status.label()),
                Cell::num(count(r.summary.count(status))),
                Cell::num(percent(r.summary.share(status))),
            ]
        })
        .collect();
    table(
        &mut h,
        &[("status", false), ("customers", true), ("share", true)],
        &rows,
    );

    for (i, t, name, flag) in [
        (4, &r.by_store, "store", "--store-col"),
        (5, &r.by_employee, "employee", "--employee-col"),
    ] {
        section(&mut h, i);
        match t {
            Some(t) => {
                note(
                    &mut h,
                    &format!(
                        "{} defection rate ({} to {}) by main {name}, with 95% intervals; \
                         groups with fewer than {} customers at the start are too few to judge.",
                        t.period.adjective(),
                        t.period.label(),
                        r.as_of,
                        t.min_customers
                    ),
                );
                let rows: Vec<svg::Interval> = t
                    .rows
                    .iter()
                    .filter(|x| x.customers > 0)
                    .map(|x| svg::Interval {
                        label: x.group.clone(),
                        value: x.defection_rate,
                        low: x.rate_low,
                        high: x.rate_high,
                        small: x.small,
                    })
                    .collect();
                if !rows.is_empty() {
                    h.push_str(&svg::interval_chart(
                        &format!(
                            "{} defection rate by {name}, with 95% intervals",
                            t.period.adjective()
                        ),
                        &format!(
                            "defection rate, % {}; line: 95% interval; hollow: too few",
                            t.period.per()
                        ),
                        &rows,
                    ));
                    h.push('\n');
                }
                rate_table(&mut h, t, name);
            }
            None => note(
                &mut h,
                &format!("The input has no {name} column ({flag} maps one)."),
            ),
        }
    }

    section(&mut h, 6);
    let a = &r.assumptions;
    let value_unit = format!(
        "over {} years, discounted {}% a year, in {}",
        a.horizon_years,
        fixed(a.annual_discount * 100.0, 0),
        a.value_unit
    );
    match &r.reasons {
        None => note(
            &mut h,
            "No feedback given (--feedback FILE adds this section).",
        ),
        Some(reasons) if reasons.rows.is_empty() => {
            note(&mut h, "No defected or at-risk customer gave a reason.")
        }
        Some(reasons) => {
            note(
                &mut h,
                &format!(
                    "Ranked by the value lost with the defectors citing each reason ({value_unit}). \
                     {} of {} defectors gave feedback.",
                    count(reasons.defectors_with_feedback),
                    count(reasons.defectors)
                ),
            );
            let bars: Vec<(String, f64)> = reasons
                .rows
                .iter()
                .map(|x| (x.reason.clone(), x.value_lost))
                .collect();
            h.push_str(&svg::bar_chart(
                "Value lost by reason for leaving",
                &format!("value lost, {value_unit}"),
                &bars,
                money,
            ));
            h.push('\n');
            let rows: Vec<Vec<Cell>> = reasons
                .rows
                .iter()
                .map(|x| {
                    vec![
                        Cell::text(&x.reason),
                        Cell::num(count(x.defectors)),
                        Cell::num(count(x.at_risk)),
                        Cell::num(percent(x.share)),
                        Cell::num(money(x.value_lost)),
                        Cell::num(money(x.value_at_risk)),
                        Cell::num(x.expectation_gap.map_or(String::new(), |g| fixed(g, 2))),
                        Cell::text(x.examples.first().map_or("", String::as_str)),
                    ]
                })
                .collect();
            table(
                &mut h,
                &[
                    ("reason", false),
                    ("defectors", true),
                    ("at risk", true),
                    ("share of defectors with feedback", true),
                    ("value lost", true),
                    ("value at risk", true),
                    ("expectation gap", true),
                    ("example", false),
                ],
                &rows,
            );
        }
    }

    section(&mut h, 7);
    match &r.expectation_gap {
        None => note(
            &mut h,
            "No feedback given (--feedback FILE adds this section).",
        ),
        Some(g) => {
            note(
                &mut h,
                &format!(
                    "Mean expected − perceived rating (rating points, all feedback up to {}); \
                     above 0: worse than expected.",
                    r.as_of
                ),
            );
            for (name, rows) in [("store", &g.by_store), ("employee", &g.by_employee)] {
                if rows.is_empty() {
                    continue;
                }
                let rows: Vec<Vec<Cell>> = rows
                    .iter()
                    .map(|x| {
                        vec![
                            Cell::text(&x.group),
                            Cell::num(count(x.feedback)),
                            Cell::num(fixed(x.expectation_gap, 2)),
                        ]
                    })
                    .collect();
                table(
                    &mut h,
                    &[(name, false), ("feedback", true), ("gap", true)],
                    &rows,
                );
            }
        }
    }

    section(&mut h, 8);
    let c = &r.contacts;
    note(
        &mut h,
        &format!(
            "At-risk customers and customers defected in the last {} days, not heard from since \
             their change; highest value at stake (revenue over the next 12 months) first. {} of \
             {} shown; {} left out as they already gave feedback.",
            c.recent_days,
            count(c.shown.len() as u64),
            count(c.total),
            count(c.already_heard)
        ),
    );
    let rows: Vec<Vec<Cell>> = c
        .shown
        .iter()
        .map(|x| {
            vec![
                Cell::text(&x.customer_id),
                Cell::text(x.status.label()),
                Cell::text(x.rule.map_or("", |r| r.as_str())),
                Cell::text(&x.evidence),
                Cell::text(&x.change_since.map_or(String::new(), |d| d.to_string())),
                Cell::text(&x.last_visit.to_string()),
                Cell::text(x.store.as_deref().unwrap_or("")),
                Cell::num(money(x.value_at_stake)),
            ]
        })
        .collect();
    if !rows.is_empty() {
        table(
            &mut h,
            &[
                ("customer", false),
                ("status", false),
                ("rule", false),
                ("evidence", false),
                ("since", false),
                ("last visit", false),
                ("store", false),
                ("value at stake", true),
            ],
            &rows,
        );
    }

    section(&mut h, 9);
    note(
        &mut h,
        "Share of each first-visit month's customers retained (never judged defected so far), \
         by months since (%); darker is more retained.",
    );
    cohorts(&mut h, r);

    section(&mut h, 10);
    figures(&mut h, &r.quality_lines());

    section(&mut h, 11);
    h.push_str("<ul>\n");
    for line in r.assumption_lines() {
        let _ = writeln!(h, "<li>{}</li>", esc(&line));
    }
    h.push_str("</ul>\n");
    let rows: Vec<Vec<Cell>> = r
        .rule_lines()
        .iter()
        .map(|(k, v)| vec![Cell::text(k), Cell::text(v)])
        .collect();
    table(&mut h, &[("setting", false), ("value", false)], &rows);

    h.push_str("</main>\n</body>\n</html>\n");
    h
}

/// Who moved since the previous month end.
fn changes(h: &mut String, r: &MonthlyReport) {
    let c = &r.changes;
    let money = |v| crate::report::summary::amount(&r.summary, v);
    note(h, &crate::report::changes::intro(c, &r.summary));
    for (title, list) in [
        ("Newly defected", &c.newly_defected),
        ("Newly at risk", &c.newly_at_risk),
        ("Won back", &c.won_back),
    ] {
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(h, "<h3>{title}</h3>");
        let rows: Vec<Vec<Cell>> = list
            .iter()
            .take(super::CHANGES_SHOWN)
            .map(|m| {
                vec![
                    Cell::text(&m.customer_id),
                    Cell::text(m.before.label()),
                    Cell::text(m.now.label()),
                    Cell::text(&m.evidence),
                    Cell::num(money(m.value_at_stake)),
                ]
            })
            .collect();
        table(
            h,
            &[
                ("customer", false),
                ("was", false),
                ("now", false),
                ("what changed", false),
                ("value at stake", true),
            ],
            &rows,
        );
        if list.len() > super::CHANGES_SHOWN {
            note(
                h,
                &format!(
                    "{} more (the JSON report lists all).",
                    list.len() - super::CHANGES_SHOWN
                ),
            );
        }
    }
    if !c.movers.is_empty() {
        h.push_str("<h3>Biggest movers</h3>\n");
        note(
            h,
            "Last-12-month revenue then and now: the month just ended against the same month a \
             year earlier.",
        );
        let rows: Vec<Vec<Cell>> = c
            .movers
            .iter()
            .map(|m| {
                vec![
                    Cell::text(&m.customer_id),
                    Cell::text(m.status.label()),
                    Cell::num(money(m.revenue_12m_before)),
                    Cell::num(money(m.revenue_12m_now)),
                    Cell::num(format!(
                        "{}{}",
                        if m.change > 0.0 { "+" } else { "" },
                        money(m.change)
                    )),
                ]
            })
            .collect();
        table(
            h,
            &[
                ("customer", false),
                ("status", false),
                ("then", true),
                ("now", true),
                ("change", true),
            ],
            &rows,
        );
    }
}

fn section(h: &mut String, i: usize) {
    let id = SECTIONS[i].to_ascii_lowercase().replace(' ', "-");
    let _ = writeln!(h, "<h2 id=\"{}\">{}</h2>", esc(&id), esc(SECTIONS[i]));
}

fn note(h: &mut String, text: &str) {
    let _ = writeln!(h, "<p class=\"note\">{}</p>", esc(text));
}

fn figures(h: &mut String, lines: &[(String, String)]) {
    h.push_str("<dl class=\"figures\">\n");
    for (label, text) in lines {
        let _ = writeln!(h, "<dt>{}</dt><dd>{}</dd>", esc(label), esc(text));
    }
    h.push_str("</dl>\n");
}

/// A table cell: escaped text, right-aligned when a number.
struct Cell {
    text: String,
    numeric: bool,
}

impl Cell {
    fn text(t: &str) -> Cell {
        Cell {
            text: t.to_string(),
            numeric: false,
        }
    }
    fn num(t: String) -> Cell {
        Cell {
            text: t,
            numeric: true,
        }
    }
}

fn table(h: &mut String, header: &[(&str, bool)], rows: &[Vec<Cell>]) {
    h.push_str("<div class=\"scroll\"><table>\n<thead><tr>");
    for (name, numeric) in header {
        let class = if *numeric { " class=\"n\"" } else { "" };
        let _ = write!(h, "<th{class}>{}</th>", esc(name));
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    for row in rows {
        h.push_str("<tr>");
        for c in row {
            let class = if c.numeric { " class=\"n\"" } else { "" };
            let _ = write!(h, "<td{class}>{}</td>", esc(&c.text));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody>\n</table></div>\n");
}

fn rate_table(h: &mut String, t: &RateTable, name: &str) {
    if t.rows.is_empty() {
        note(h, "No period with customers at its start.");
        return;
    }
    let rows: Vec<Vec<Cell>> = t
        .rows
        .iter()
        .map(|x| {
            vec![
                Cell::text(&x.group),
                Cell::num(count(x.customers)),
                Cell::num(count(x.defected)),
                Cell::num(percent(x.defection_rate)),
                Cell::num(interval(x.rate_low, x.rate_high)),
                Cell::num(money(x.revenue_lost)),
                Cell::text(if x.small { "too few to judge" } else { "" }),
            ]
        })
        .collect();
    table(
        h,
        &[
            (name, false),
            ("customers at start", true),
            ("defected", true),
            ("rate a year", true),
            ("95% interval", true),
            ("revenue lost a year", true),
            ("note", false),
        ],
        &rows,
    );
}

/// The cohort matrix with cells shaded by the share retained.
fn cohorts(h: &mut String, r: &MonthlyReport) {
    let (rows, steps) = crate::report::rate::cohort_rows(&r.cohorts);
    if rows.is_empty() {
        note(h, "No cohorts.");
        return;
    }
    h.push_str("<div class=\"scroll\"><table class=\"cohorts\">\n<thead><tr><th>cohort</th><th class=\"n\">customers</th>");
    for s in 0..steps {
        let _ = write!(h, "<th class=\"n\">{s}</th>");
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    for (cohort, customers, shares) in &rows {
        let _ = write!(
            h,
            "<tr><th>{}</th><td class=\"n\">{}</td>",
            esc(cohort),
            count(*customers)
        );
        for s in shares {
            match s {
                Some(v) => {
                    let v = v.clamp(0.0, 1.0);
                    // White text on the darkest cells.
                    let ink = if v > 0.6 { ";color:#fff" } else { "" };
                    let _ = write!(
                        h,
                        "<td class=\"n cell\" style=\"background:rgba(37,99,235,{}){ink}\">{}</td>",
                        fixed(v * 0.9, 2),
                        fixed(v * 100.0, 0)
                    );
                }
                None => h.push_str("<td></td>"),
            }
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody>\n</table></div>\n");
}
