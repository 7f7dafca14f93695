//! `churn report` as a cron job runs it: one self-contained HTML page, Markdown and JSON
//! with a schema_version, byte-identical across runs, the --fail-above alert, and a
//! failed run that leaves last month's report in place.
//!
//! testdata/report/escape.csv is testdata/rate/stores.csv with store Nord renamed
//! `<Nord & "Co">` and employee Anna renamed `Anna <b>`; escape_feedback.csv gives two of
//! its defectors reasons and comments full of markup.

#[allow(dead_code)]
mod common;

use std::path::Path;

use common::{churn, run, stdout, success};

const EXAMPLE: &str = "examples/purchases.csv";
const FEEDBACK: &str = "examples/feedback.csv";
const STORES: &str = "testdata/rate/stores.csv";
const ESCAPE: &str = "testdata/report/escape.csv";
const ESCAPE_FEEDBACK: &str = "testdata/report/escape_feedback.csv";

const SECTIONS: [&str; 11] = [
    "Headline figures",
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

fn path_arg(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 temporary path")
}

/// Every heading appears once, in order, as `open…heading…close`.
fn assert_sections_in_order(text: &str, open: &str, close: &str) {
    let mut at = 0;
    for s in SECTIONS {
        let needle = format!("{open}{s}{close}");
        let found = text[at..]
            .find(&needle)
            .unwrap_or_else(|| panic!("section {needle:?} missing or out of order"));
        at += found + needle.len();
    }
}

#[test]
fn html_report_is_one_self_contained_page_with_every_section_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("report.html");
    let second = dir.path().join("again.html");
    for out in [&first, &second] {
        let o = run(&[
            "report",
            EXAMPLE,
            "--feedback",
            FEEDBACK,
            "-o",
            path_arg(out),
        ]);
        success(&o);
        assert!(stdout(&o).is_empty(), "the report goes to the file only");
    }
    let html = std::fs::read_to_string(&first).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(!html.to_ascii_lowercase().contains("<script"));
    assert!(!html.contains("http://") && !html.contains("https://"));
    assert!(!html.contains("<link") && !html.contains("@import") && !html.contains("url("));
    assert!(html.contains("name=\"viewport\""), "readable on a phone");
    assert!(html.contains("@media print"), "printable");
    assert!(html.contains("overflow-x:auto"), "wide tables scroll");
    assert_sections_in_order(&html, "\">", "</h2>");
    // The trend (line), rate by store and by employee (intervals) and reasons (bar), each
    // drawn for a phone, a tablet and a desktop; the page's CSS shows one of them.
    assert_eq!(html.matches("<svg").count(), 12);
    for class in ["s", "m", "l"] {
        assert_eq!(
            html.matches(&format!("<svg class=\"chart {class}\""))
                .count(),
            4
        );
    }
    assert!(html.contains("viewBox=\"0 0 340 ") && html.contains("viewBox=\"0 0 800 "));
    assert!(html.contains("<polyline class=\"line\" fill=\"none\""));
    assert!(html.contains("<rect class=\"bar\""));
    assert!(
        html.contains("defection rate, % a year"),
        "the y axis has its unit"
    );
    // Headline figures as cards, as churn scan gives them, with the change from the data
    // itself: its direction and whether it is good news in words, not colour alone.
    assert!(html.contains(
        "<p class=\"big\">31.0% <span class=\"period\">a year</span></p>\
         <p class=\"chg bad\"><span class=\"nw\">▲ +8.1 points</span> <span class=\"verdict\">worse</span></p>\
         <p class=\"meaning\">35 of the 113 customers active on <span class=\"nw\">2025-10-31</span>"
    ));
    assert!(html.contains("<span class=\"nw\">▼ -2</span> <span class=\"verdict\">better</span>"));
    assert!(html.contains("the change since <span class=\"nw\">2026-09-30,</span>"));
    assert!(html.contains("3,603.67 <span class=\"period\">over 10 years</span>"));
    // The value model's assumptions, said once below the cards.
    assert_eq!(
        html.matches("discounted 10% a year, in revenue; BG/NBD")
            .count(),
        1
    );
    // Rates by store and employee carry intervals and flag small groups.
    assert!(html.contains("<td class=\"n\">24.1%</td><td class=\"n\">12.2%–42.1%</td>"));
    assert!(html.contains("too few to judge"));
    // Non-ASCII names are written as they are, escaped markup is not.
    assert!(html.contains("Västerås"));
    assert!(!html.contains("generated at"), "no time stamp unless asked");
    assert_eq!(
        std::fs::read(&first).unwrap(),
        std::fs::read(&second).unwrap(),
        "two runs give byte-identical files"
    );
}

#[test]
fn html_escapes_store_names_reasons_and_comments() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.html");
    success(&run(&[
        "report",
        ESCAPE,
        "--feedback",
        ESCAPE_FEEDBACK,
        "-o",
        path_arg(&out),
    ]));
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.contains("&lt;Nord &amp; &quot;Co&quot;&gt;"));
    assert!(html.contains("Anna &lt;b&gt;"));
    assert!(html.contains("Rude &lt;staff"));
    assert!(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; never again"));
    assert!(!html.contains("<Nord") && !html.contains("<b>") && !html.contains("<staff>"));
    assert!(!html.to_ascii_lowercase().contains("<script"));
}

#[test]
fn markdown_report_snapshot() {
    let o = run(&["report", STORES, "--format", "markdown"]);
    let md = success(&o);
    assert_sections_in_order(&md, "## ", "\n");
    insta::assert_snapshot!("stores_markdown", md);
}

#[test]
fn markdown_escapes_markup_in_cells() {
    let md = success(&run(&["report", ESCAPE, "--feedback", ESCAPE_FEEDBACK]));
    assert!(md.contains("| \\<Nord & \"Co\"\\> |"));
    assert!(md.contains("\\<script\\>alert(\"x\")\\</script\\> & never again"));
    assert!(!md.contains(" <script"));
}

#[test]
fn markdown_is_the_default_without_an_output_file() {
    let md = success(&run(&["report", STORES]));
    assert!(md.starts_with("# Churn report: testdata/rate/stores.csv\n"));
}

#[test]
fn json_report_has_a_schema_version_and_every_section() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.json");
    success(&run(&["report", STORES, "-o", path_arg(&out)]));
    let text = std::fs::read_to_string(&out).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["schema_version"], 2);
    assert_eq!(v["as_of"], "2026-10-31");
    for key in [
        "summary",
        "previous_period",
        "change",
        "trend",
        "by_store",
        "by_employee",
        "reasons",
        "expectation_gap",
        "contacts",
        "cohorts",
        "rules",
        "assumptions",
    ] {
        assert!(v.get(key).is_some(), "section {key} missing");
    }
    // Two of Nord's four regulars stopped: 2 of 8 customers defected in the year.
    assert_eq!(v["summary"]["period_customers"], 8);
    assert_eq!(v["summary"]["period_defectors"], 2);
    assert_eq!(v["by_store"]["rows"][0]["group"], "Nord");
    assert_eq!(v["by_store"]["rows"][0]["defected"], 2);
    assert_eq!(v["summary"]["rows"]["read"], 767);
    assert_eq!(v["rules"]["history"]["new_days"], 120);
    assert_eq!(v["assumptions"]["horizon_years"], 10.0);
    insta::assert_snapshot!("stores_json", text);
}

#[test]
fn fail_above_alerts_with_exit_code_3_after_writing_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.html");
    let o = run(&[
        "report",
        EXAMPLE,
        "-o",
        path_arg(&out),
        "--fail-above",
        "0.1",
    ]);
    assert_eq!(o.status.code(), Some(3), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("alert"));
    assert!(std::fs::read_to_string(&out).unwrap().contains("</html>"));

    let out = dir.path().join("report.md");
    let o = run(&[
        "report",
        EXAMPLE,
        "-o",
        path_arg(&out),
        "--fail-above",
        "0.9",
        "--quiet",
    ]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert!(o.stderr.is_empty(), "--quiet: nothing on stderr");
    assert!(
        std::fs::read_to_string(&out)
            .unwrap()
            .starts_with("# Churn report")
    );
}

#[test]
fn quiet_alert_says_nothing_but_still_exits_3() {
    let o = run(&["report", STORES, "--fail-above", "0.1", "--quiet"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(o.stderr.is_empty());
}

#[test]
fn an_input_error_leaves_the_existing_report_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.html");
    std::fs::write(&out, "last month").unwrap();
    for args in [
        vec!["report", "testdata/no-such-file.csv"],
        vec![
            "report",
            STORES,
            "--feedback",
            "testdata/no-such-feedback.csv",
        ],
        vec!["report", "testdata/bad/bad_amount.csv"],
    ] {
        let o = churn()
            .args(&args)
            .args(["-o", path_arg(&out)])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "last month");
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary file left"
    );
}

#[test]
fn an_unknown_extension_asks_for_format() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.txt");
    let o = run(&["report", STORES, "-o", path_arg(&out)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("it writes html, markdown, json, xlsx"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!out.exists());
}

#[test]
fn stamp_adds_the_generation_time() {
    let md = success(&run(&["report", STORES, "--stamp"]));
    assert!(
        md.lines()
            .nth(2)
            .is_some_and(|l| l.contains("generated at"))
    );
}

#[test]
fn the_report_as_a_workbook_has_one_sheet_per_table() {
    use calamine::{Data, Reader, Xlsx};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.xlsx");
    let out = assert_cmd::Command::cargo_bin("churn")
        .unwrap()
        .args([
            "report",
            "examples/purchases.csv",
            "--feedback",
            "examples/feedback.csv",
            "-o",
        ])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut book: Xlsx<_> = calamine::open_workbook(&path).unwrap();
    assert_eq!(
        book.sheet_names(),
        vec![
            "Headline",
            "Changes",
            "Trend",
            "Statuses",
            "By store",
            "By employee",
            "Reasons",
            "Contacts",
            "Cohorts",
            "Data quality"
        ]
    );
    let trend = book.worksheet_range("Trend").unwrap();
    assert_eq!(trend.get((0, 0)), Some(&Data::String("month".into())));
    assert!(
        matches!(trend.get((1, 1)), Some(Data::Float(_))),
        "customers are numbers"
    );
    let quality = book.worksheet_range("Data quality").unwrap();
    assert_eq!(
        quality.get((1, 1)),
        Some(&Data::Float(15682.0)),
        "rows read"
    );
    // The headline: one row per figure, values as numbers and the date as a date.
    let headline = book.worksheet_range("Headline").unwrap();
    let row = |label: &str| {
        (0..headline.height() as u32)
            .find(|&r| headline.get((r as usize, 0)) == Some(&Data::String(label.into())))
            .unwrap_or_else(|| panic!("no {label} row"))
    };
    let cell = |label: &str, c: usize| headline.get((row(label) as usize, c)).cloned();
    assert!(matches!(cell("as of", 1), Some(Data::DateTime(_))));
    assert_eq!(
        cell("defection rate", 2),
        Some(Data::String("share".into()))
    );
    match cell("defection rate", 1) {
        Some(Data::Float(r)) => assert!((r - 35.0 / 113.0).abs() < 1e-9, "{r}"),
        other => panic!("the rate is a number: {other:?}"),
    }
    assert!(matches!(cell("revenue lost", 1), Some(Data::Float(_))));
    assert!(
        matches!(cell("revenue lost", 5), Some(Data::Float(_))),
        "last month's"
    );
    assert!(
        matches!(cell("at risk now", 6), Some(Data::Float(_))),
        "the change"
    );
    // Ids are text, booleans are booleans.
    let trend = book.worksheet_range("Trend").unwrap();
    let small = (0..trend.width())
        .find(|&c| trend.get((0, c)) == Some(&Data::String("small".into())))
        .unwrap();
    assert!(matches!(trend.get((1, small)), Some(Data::Bool(_))));
    let contacts = book.worksheet_range("Contacts").unwrap();
    assert!(matches!(contacts.get((1, 0)), Some(Data::String(_))));
}
