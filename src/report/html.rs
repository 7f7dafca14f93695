//! The HTML report: one self-contained page (inline CSS and SVG, no scripts, nothing
//! fetched), readable on a phone and printable. All text is escaped.
//!
//! It fits any screen from 360 px up: the headline figures are cards in a wrapping grid,
//! wide tables scroll inside their own box with their first column kept in view, each
//! chart is drawn at several widths of which the page shows the one for its screen (so
//! chart text is never shrunk below about 12 px), and no date or number breaks across
//! lines.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::svg::{self, FRAMES, Frame, Point};
use super::{MonthlyReport, SECTIONS, esc, fixed, interval};
use crate::metrics::rate::RateTable;
use crate::report::summary::{Figure, with_currency};
use crate::report::{count, percent};

const CSS: &str = "\
:root{--ink:#1f2933;--muted:#52606d;--line:#d9e2ec;--accent:#2563eb;--band:#bfdbfe;--good:#047857;--bad:#b91c1c}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--ink);background:#fff;overflow-wrap:break-word}
main{max-width:60rem;margin:0 auto;padding:1rem}
h1{font-size:1.5rem;margin:.5rem 0}
h2{font-size:1.2rem;margin:2rem 0 .5rem;padding-top:.5rem;border-top:1px solid var(--line)}
h3{font-size:1.05rem;margin:1.25rem 0 .25rem}
p.note,.meta{color:var(--muted);font-size:.9rem}
.nw{white-space:nowrap}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,14rem),1fr));gap:.75rem;margin:.75rem 0}
.card{border:1px solid var(--line);border-radius:.5rem;padding:.6rem .8rem}
.card p{margin:0}
.card .label{color:var(--muted);font-size:.85rem;font-weight:600}
.card .big{font-size:1.6rem;font-weight:700;line-height:1.25}
.card .period{font-size:.9rem;font-weight:400;color:var(--muted)}
.card .chg{font-size:.9rem;font-weight:600;margin-top:.2rem}
.card .meaning{font-size:.85rem;color:var(--muted);margin-top:.3rem}
.chg.good{color:var(--good)}
.chg.bad{color:var(--bad)}
.chg.same{color:var(--muted)}
.verdict{font-size:.8rem;border:1px solid currentColor;border-radius:1rem;padding:0 .4rem;margin-left:.2rem}
dl.figures{display:grid;grid-template-columns:minmax(8rem,max-content) 1fr;gap:.25rem 1rem;margin:0}
dl.figures dt{font-weight:600}
dl.figures dd{margin:0}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;margin:.5rem 0;\
background:linear-gradient(to left,#fff 40%,rgba(255,255,255,0)) right/1.5rem 100% no-repeat local,\
radial-gradient(farthest-side at 100% 50%,rgba(31,41,51,.25),rgba(31,41,51,0)) right/.6rem 100% no-repeat scroll}
table{border-collapse:separate;border-spacing:0;font-size:.9rem;min-width:100%}
th,td{padding:.3rem .5rem;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{background:#f5f7fa;white-space:nowrap}
th.wrap{white-space:normal}
.scroll tr>:first-child{position:sticky;left:0;z-index:1;box-shadow:inset -1px 0 0 var(--line)}
.scroll tr>td:first-child{background:#fff}
th.n{text-align:right}
td.t{white-space:nowrap}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.w{min-width:12rem;max-width:32rem}
table.cohorts th,table.cohorts td{padding:.2rem .35rem;font-size:.8rem}
.chart{width:100%;height:auto;display:block;margin:.75rem 0}
.chart text{fill:var(--ink)}
.chart .axis-title{fill:var(--muted)}
.chart .axis{stroke:var(--ink);stroke-width:1}
.chart .grid{stroke:var(--line);stroke-width:1}
.chart .band{fill:var(--band);opacity:.6}
.chart .line{fill:none;stroke:var(--accent);stroke-width:2}
.chart .dot{fill:var(--accent)}
.chart .bar{fill:var(--accent)}
@media (max-width:36rem){body{font-size:15px}dl.figures{grid-template-columns:1fr}dl.figures dd{margin-bottom:.5rem}
table.reflow,table.reflow tbody,table.reflow td{display:block;min-width:0;max-width:none}
table.reflow thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
table.reflow tr{display:flex;flex-wrap:wrap;gap:0 .9rem;border:1px solid var(--line);border-radius:.5rem;margin:0 0 .5rem;padding:.35rem .6rem}
table.reflow td{border:0;padding:.05rem 0;text-align:left}
table.reflow td:first-child{position:static;box-shadow:none;font-weight:600;flex-basis:100%}
table.reflow td.w{order:1;flex-basis:100%;white-space:normal}
table.reflow td[data-label]::before{content:attr(data-label) \": \";color:var(--muted);font-size:.85rem}
table.reflow td:empty{display:none}}
";

/// Table headings longer than this many characters may wrap.
const LONG_HEADING: usize = 12;

/// The page's side padding (`main`), in CSS px: a chart drawn `w` wide is shown from a
/// screen `w + MAIN_PADDING` wide, so that it is never shrunk.
const MAIN_PADDING: f64 = 32.0;

/// Which drawing of each chart a screen shows: the widest that fits; print shows the
/// widest.
fn chart_css() -> String {
    let mut css = String::new();
    let (first, rest) = (&FRAMES[0], &FRAMES[1..]);
    let hidden: Vec<String> = rest.iter().map(|f| format!(".chart.{}", f.class)).collect();
    let _ = writeln!(css, "{}{{display:none}}", hidden.join(","));
    let mut shown = first;
    for f in rest {
        let _ = writeln!(
            css,
            "@media (min-width:{}px){{.chart.{}{{display:none}}.chart.{}{{display:block}}}}",
            fixed(f.width + MAIN_PADDING, 0),
            shown.class,
            f.class
        );
        shown = f;
    }
    let narrower: Vec<String> = FRAMES
        .iter()
        .filter(|f| f.class != shown.class)
        .map(|f| format!(".chart.{}", f.class))
        .collect();
    let _ = writeln!(
        css,
        "@media print{{body{{font-size:11pt}}main{{max-width:none;padding:0}}.scroll{{overflow:visible}}\
         .scroll tr>:first-child{{position:static;box-shadow:none}}h2,h3,p.note{{break-after:avoid}}\
         table,svg,.card{{break-inside:avoid}}th{{background:none}}\
         td.cell{{-webkit-print-color-adjust:exact;print-color-adjust:exact}}\
         {}{{display:none}}.chart.{}{{display:block}}}}",
        narrower.join(","),
        shown.class
    );
    css
}

/// Writes the whole page.
pub fn write(r: &MonthlyReport, w: &mut dyn Write) -> io::Result<()> {
    w.write_all(page(r).as_bytes())
}

/// The page being written, with the currency money figures in its text carry.
struct Page<'a> {
    h: String,
    /// The summary, for money: its currency, and whether there are amounts at all.
    summary: &'a crate::metrics::Summary,
}

fn page(r: &MonthlyReport) -> String {
    let mut p = Page {
        h: String::new(),
        summary: &r.summary,
    };
    let _ = write!(
        p.h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Churn report: {} as of {}</title>\n<style>\n{CSS}{}</style>\n</head>\n<body>\n<main>\n",
        esc(&r.source),
        r.as_of,
        chart_css()
    );
    let _ = write!(
        p.h,
        "<h1>Churn report: {}</h1>\n<p class=\"meta\">As of {}",
        esc(&r.source),
        p.text(&r.as_of.to_string())
    );
    if let Some(f) = &r.feedback_source {
        let _ = write!(p.h, "; feedback from {}", esc(f));
    }
    if let Some(g) = &r.generated_at {
        let _ = write!(p.h, "; generated at {}", p.text(g));
    }
    p.h.push_str(".</p>\n");

    p.section(0);
    p.headline(r);

    p.section(1);
    p.changes(r);

    p.section(2);
    let period = r.trend.period;
    p.note(&format!(
        "{} defection rate at each month end: of the customers active or at risk {} \
         earlier, the share defected by then. The band is the 95% interval.",
        period.adjective(),
        period.label()
    ));
    // Before the chart, so an early fall is read with its caveat.
    for warning in &r.trend.warnings {
        p.note(&format!("Note: {warning}."));
    }
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
    p.chart(|f| {
        svg::line_chart(
            f,
            &format!("{} defection rate by month end", period.adjective()),
            &format!("defection rate, % {}", period.per()),
            "month end",
            &points,
        )
    });
    p.rate_table(&r.trend, "month");

    p.section(3);
    p.note(&format!("Customers as of {}.", r.as_of));
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
    p.table(
        &[("status", false), ("customers", true), ("share", true)],
        &rows,
    );

    for (i, t, name, flag) in [
        (4, &r.by_store, "store", "--store-col"),
        (5, &r.by_employee, "employee", "--employee-col"),
    ] {
        p.section(i);
        match t {
            Some(t) => {
                p.note(&format!(
                    "{} defection rate ({} to {}) by main {name}, with 95% intervals; \
                     groups with fewer than {} customers at the start are too few to judge.",
                    t.period.adjective(),
                    t.period.label(),
                    r.as_of,
                    t.min_customers
                ));
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
                    p.chart(|f| {
                        svg::interval_chart(
                            f,
                            &format!(
                                "{} defection rate by {name}, with 95% intervals",
                                t.period.adjective()
                            ),
                            &format!(
                                "defection rate, % {}; line: 95% interval; hollow: too few",
                                t.period.per()
                            ),
                            &rows,
                        )
                    });
                }
                p.rate_table(t, name);
            }
            None => p.note(&format!(
                "The input has no {name} column ({flag} maps one)."
            )),
        }
    }

    p.section(6);
    let a = &r.assumptions;
    let value_unit = format!(
        "over {} years, discounted {}% a year, in {}",
        a.horizon_years,
        fixed(a.annual_discount * 100.0, 0),
        a.value_unit
    );
    match &r.reasons {
        None => p.note("No feedback given (--feedback FILE adds this section)."),
        Some(reasons) if reasons.rows.is_empty() => {
            p.note("No defected or at-risk customer gave a reason.")
        }
        Some(reasons) => {
            p.note(&format!(
                "Ranked by the value lost with the defectors citing each reason ({value_unit}). \
                 {} of {} defectors gave feedback.",
                count(reasons.defectors_with_feedback),
                count(reasons.defectors)
            ));
            let bars: Vec<(String, f64)> = reasons
                .rows
                .iter()
                .map(|x| (x.reason.clone(), x.value_lost))
                .collect();
            let currency = p.summary.currency.as_deref();
            p.chart(|f| {
                svg::bar_chart(
                    f,
                    "Value lost by reason for leaving",
                    &format!("value lost, {value_unit}"),
                    &bars,
                    |v| with_currency(currency, v),
                )
            });
            let rows: Vec<Vec<Cell>> = reasons
                .rows
                .iter()
                .map(|x| {
                    vec![
                        Cell::text(&x.reason),
                        Cell::num(count(x.defectors)),
                        Cell::num(count(x.at_risk)),
                        Cell::num(percent(x.share)),
                        Cell::num(p.money(x.value_lost)),
                        Cell::num(p.money(x.value_at_risk)),
                        Cell::num(x.expectation_gap.map_or(String::new(), |g| fixed(g, 2))),
                        Cell::wide(x.examples.first().map_or("", String::as_str)),
                    ]
                })
                .collect();
            p.list(
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

    p.section(7);
    match &r.expectation_gap {
        None => p.note("No feedback given (--feedback FILE adds this section)."),
        Some(g) => {
            p.note(&format!(
                "Mean expected − perceived rating (rating points, all feedback up to {}); \
                 above 0: worse than expected.",
                r.as_of
            ));
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
                p.table(&[(name, false), ("feedback", true), ("gap", true)], &rows);
            }
        }
    }

    p.section(8);
    let c = &r.contacts;
    p.note(&format!(
        "At-risk customers and customers defected in the last {} days, not heard from since \
         their change; highest value at stake (revenue over the next 12 months) first. {} of \
         {} shown; {} left out as they already gave feedback.",
        c.recent_days,
        count(c.shown.len() as u64),
        count(c.total),
        count(c.already_heard)
    ));
    let rows: Vec<Vec<Cell>> = c
        .shown
        .iter()
        .map(|x| {
            vec![
                Cell::text(&x.customer_id),
                Cell::text(x.status.label()),
                Cell::text(x.rule.map_or("", |r| r.as_str())),
                Cell::wide(&x.evidence),
                Cell::text(&x.change_since.map_or(String::new(), |d| d.to_string())),
                Cell::text(&x.last_visit.to_string()),
                Cell::text(x.store.as_deref().unwrap_or("")),
                Cell::num(p.money(x.value_at_stake)),
            ]
        })
        .collect();
    if !rows.is_empty() {
        p.list(
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

    p.section(9);
    p.note(
        "Share of each first-visit month's customers retained (never judged defected so far), \
         by months since (%); darker is more retained.",
    );
    p.cohorts(r);

    p.section(10);
    p.figures(&r.quality_lines());

    p.section(11);
    p.h.push_str("<ul>\n");
    for line in r.assumption_lines() {
        let _ = writeln!(p.h, "<li>{}</li>", p.text(&line));
    }
    p.h.push_str("</ul>\n");
    let rows: Vec<Vec<Cell>> = r
        .rule_lines()
        .iter()
        .map(|(k, v)| vec![Cell::prose(k), Cell::prose(v)])
        .collect();
    p.table(&[("setting", false), ("value", false)], &rows);

    p.h.push_str("</main>\n</body>\n</html>\n");
    p.h
}

/// The change of a figure since the previous month end, for people: its arrow, the
/// change and whether it is good news, in words as well as colour.
fn change_line(f: &Figure, r: &MonthlyReport) -> Option<(&'static str, String)> {
    let (text, good) = f.change_text(&r.summary)?;
    let c = f.change()?;
    if c == 0.0 {
        return Some(("same", "= no change".to_string()));
    }
    let arrow = if c > 0.0 { "▲" } else { "▼" };
    let (class, verdict) = if good {
        ("good", "better")
    } else {
        ("bad", "worse")
    };
    Some((
        class,
        format!(
            "<span class=\"nw\">{arrow} {}</span> <span class=\"verdict\">{verdict}</span>",
            esc(&text)
        ),
    ))
}

impl Page<'_> {
    /// Money with the currency, when known: `1,234.50 kr`, `$1,234.50`.
    fn money(&self, v: f64) -> String {
        crate::report::summary::amount(self.summary, v)
    }

    /// Escaped text in which no date, interval or signed number breaks across lines:
    /// every word holding a digit and a hyphen, dash or slash (`2026-07-04`,
    /// `23.2%–40.0%`, `-2,783.27`), and a number with the currency after it
    /// (`1,234.50 kr`), is kept on one line.
    fn text(&self, text: &str) -> String {
        let words: Vec<&str> = text.split(' ').collect();
        let mut out = String::with_capacity(text.len());
        let mut i = 0;
        while i < words.len() {
            if i > 0 {
                out.push(' ');
            }
            let word = words[i];
            let numeric = word.chars().any(|c| c.is_ascii_digit());
            let currency = words.get(i + 1).filter(|next| {
                numeric
                    && self.summary.currency.as_deref().is_some_and(|c| {
                        next.trim_end_matches(|x: char| x.is_ascii_punctuation()) == c
                    })
            });
            if let Some(next) = currency {
                let _ = write!(out, "<span class=\"nw\">{} {}</span>", esc(word), esc(next));
                i += 2;
                continue;
            }
            if numeric && word.contains(['-', '–', '−', '/']) {
                let _ = write!(out, "<span class=\"nw\">{}</span>", esc(word));
            } else {
                out.push_str(&esc(word));
            }
            i += 1;
        }
        out
    }

    fn section(&mut self, i: usize) {
        let id = SECTIONS[i].to_ascii_lowercase().replace(' ', "-");
        let _ = writeln!(self.h, "<h2 id=\"{}\">{}</h2>", esc(&id), esc(SECTIONS[i]));
    }

    fn note(&mut self, text: &str) {
        let text = self.text(text);
        let _ = writeln!(self.h, "<p class=\"note\">{text}</p>");
    }

    /// The headline figures as cards: the number, what it counts over what, its change
    /// since the previous month end, and one line of meaning; then the notes.
    fn headline(&mut self, r: &MonthlyReport) {
        // The value model's assumptions close each value figure's meaning: said once,
        // below the cards, rather than three times.
        let assumptions = r
            .summary
            .value
            .as_ref()
            .map(crate::report::summary::value_assumptions);
        let suffix = assumptions.as_ref().map(|a| format!(" ({a})"));
        let mut cut = false;
        if r.headline.iter().any(|f| f.change().is_some()) {
            self.note(&format!(
                "As of {}; ▲ ▼ the change since {}, the previous month end.",
                r.as_of, r.changes.since
            ));
        }
        self.h.push_str("<div class=\"cards\">\n");
        for f in &r.headline {
            let meaning = match suffix.as_deref().and_then(|s| f.meaning.strip_suffix(s)) {
                Some(m) => {
                    cut = true;
                    m
                }
                None => f.meaning.as_str(),
            };
            let _ = write!(
                self.h,
                "<div class=\"card\" id=\"figure-{}\"><p class=\"label\">{}</p><p class=\"big\">{}",
                esc(f.key),
                esc(f.label),
                self.text(&f.text)
            );
            if !f.period.is_empty() {
                let _ = write!(self.h, " <span class=\"period\">{}</span>", esc(&f.period));
            }
            self.h.push_str("</p>");
            if let Some((class, line)) = change_line(f, r) {
                let _ = write!(self.h, "<p class=\"chg {class}\">{line}</p>");
            }
            if !meaning.is_empty() {
                let _ = write!(self.h, "<p class=\"meaning\">{}</p>", self.text(meaning));
            }
            self.h.push_str("</div>\n");
        }
        self.h.push_str("</div>\n");
        if let (true, Some(a)) = (cut, &assumptions) {
            self.note(&format!("Future values: {a}."));
        }
        for w in &r.summary.warnings {
            self.note(&format!("Note: {w}."));
        }
    }

    /// Who moved since the previous month end.
    fn changes(&mut self, r: &MonthlyReport) {
        let c = &r.changes;
        self.note(&crate::report::changes::intro(c, &r.summary));
        for (title, list) in [
            ("Newly defected", &c.newly_defected),
            ("Newly at risk", &c.newly_at_risk),
            ("Won back", &c.won_back),
        ] {
            if list.is_empty() {
                continue;
            }
            let _ = writeln!(self.h, "<h3>{title}</h3>");
            let rows: Vec<Vec<Cell>> = list
                .iter()
                .take(super::CHANGES_SHOWN)
                .map(|m| {
                    vec![
                        Cell::text(&m.customer_id),
                        Cell::text(m.before.label()),
                        Cell::text(m.now.label()),
                        Cell::wide(&m.evidence),
                        Cell::num(self.money(m.value_at_stake)),
                    ]
                })
                .collect();
            self.list(
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
                self.note(&format!(
                    "{} more (the JSON report lists all).",
                    list.len() - super::CHANGES_SHOWN
                ));
            }
        }
        if !c.movers.is_empty() {
            self.h.push_str("<h3>Biggest movers</h3>\n");
            self.note(
                "Last-12-month revenue then and now: the month just ended against the same \
                 month a year earlier.",
            );
            let rows: Vec<Vec<Cell>> = c
                .movers
                .iter()
                .map(|m| {
                    vec![
                        Cell::text(&m.customer_id),
                        Cell::text(m.status.label()),
                        Cell::num(self.money(m.revenue_12m_before)),
                        Cell::num(self.money(m.revenue_12m_now)),
                        Cell::num(format!(
                            "{}{}",
                            if m.change > 0.0 { "+" } else { "" },
                            self.money(m.change)
                        )),
                    ]
                })
                .collect();
            self.list(
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

    fn figures(&mut self, lines: &[(String, String)]) {
        self.h.push_str("<dl class=\"figures\">\n");
        for (label, text) in lines {
            let text = self.text(text);
            let _ = writeln!(self.h, "<dt>{}</dt><dd>{text}</dd>", esc(label));
        }
        self.h.push_str("</dl>\n");
    }

    /// A chart drawn at each of the frames' widths; the page's CSS shows one.
    fn chart(&mut self, draw: impl Fn(Frame) -> String) {
        for frame in FRAMES {
            self.h.push_str(&draw(frame));
            self.h.push('\n');
        }
    }

    /// A table that scrolls in its own box when wider than the screen, its first column
    /// kept in view.
    fn table(&mut self, header: &[(&str, bool)], rows: &[Vec<Cell>]) {
        self.write_table(header, rows, false);
    }

    /// A list of customers or reasons: a table on a wide screen, a card per row on a
    /// phone (each cell labelled with its column), as rows of sentences read badly in a
    /// box scrolled sideways.
    fn list(&mut self, header: &[(&str, bool)], rows: &[Vec<Cell>]) {
        self.write_table(header, rows, true);
    }

    fn write_table(&mut self, header: &[(&str, bool)], rows: &[Vec<Cell>], reflow: bool) {
        let _ = write!(
            self.h,
            "<div class=\"scroll\"><table{}>\n<thead><tr>",
            if reflow { " class=\"reflow\"" } else { "" }
        );
        for (name, numeric) in header {
            // Short headings stay on one line; long ones wrap rather than widen a column
            // of short numbers.
            let class = match (*numeric, name.chars().count() > LONG_HEADING) {
                (false, false) => "",
                (true, false) => " class=\"n\"",
                (false, true) => " class=\"wrap\"",
                (true, true) => " class=\"n wrap\"",
            };
            let _ = write!(self.h, "<th{class}>{}</th>", esc(name));
        }
        self.h.push_str("</tr></thead>\n<tbody>\n");
        for row in rows {
            self.h.push_str("<tr>");
            for (i, c) in row.iter().enumerate() {
                let class = match c.kind {
                    Kind::Text => " class=\"t\"",
                    Kind::Number => " class=\"n\"",
                    Kind::Wide => " class=\"w\"",
                    Kind::Prose => "",
                };
                // Number cells never wrap (td.n); other text keeps its dates whole.
                let text = match c.kind {
                    Kind::Number => esc(&c.text),
                    _ => self.text(&c.text),
                };
                let label = match header.get(i) {
                    Some((name, _)) if reflow && i > 0 => format!(" data-label=\"{}\"", esc(name)),
                    _ => String::new(),
                };
                let _ = write!(self.h, "<td{class}{label}>{text}</td>");
            }
            self.h.push_str("</tr>\n");
        }
        self.h.push_str("</tbody>\n</table></div>\n");
    }

    fn rate_table(&mut self, t: &RateTable, name: &str) {
        if t.rows.is_empty() {
            self.note("No period with customers at its start.");
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
                    Cell::num(self.money(x.revenue_lost)),
                    Cell::text(if x.small { "too few to judge" } else { "" }),
                ]
            })
            .collect();
        self.table(
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
    fn cohorts(&mut self, r: &MonthlyReport) {
        let (rows, steps) = crate::report::rate::cohort_rows(&r.cohorts);
        if rows.is_empty() {
            self.note("No cohorts.");
            return;
        }
        let h = &mut self.h;
        h.push_str("<div class=\"scroll\"><table class=\"cohorts\">\n<thead><tr><th>cohort</th><th class=\"n\">customers</th>");
        for s in 0..steps {
            let _ = write!(h, "<th class=\"n\">{s}</th>");
        }
        h.push_str("</tr></thead>\n<tbody>\n");
        for (cohort, customers, shares) in &rows {
            let _ = write!(
                h,
                "<tr><th><span class=\"nw\">{}</span></th><td class=\"n\">{}</td>",
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
}

/// What a table cell holds.
enum Kind {
    /// A short label, id or date: one line.
    Text,
    /// Right-aligned, one line.
    Number,
    /// Sentences: wrapped in lines of readable length, the table scrolling if need be.
    Wide,
    /// Free text of any length that wraps where it must (settings).
    Prose,
}

/// A table cell: its text (escaped when written) and kind.
struct Cell {
    text: String,
    kind: Kind,
}

impl Cell {
    fn text(t: &str) -> Cell {
        Cell {
            text: t.to_string(),
            kind: Kind::Text,
        }
    }
    fn num(t: String) -> Cell {
        Cell {
            text: t,
            kind: Kind::Number,
        }
    }
    fn wide(t: &str) -> Cell {
        Cell {
            text: t.to_string(),
            kind: Kind::Wide,
        }
    }
    fn prose(t: &str) -> Cell {
        Cell {
            text: t.to_string(),
            kind: Kind::Prose,
        }
    }
}
