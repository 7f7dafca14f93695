//! The `churn` binary as a user runs it: on the shipped examples, on the small fixtures
//! in testdata/, and on the malformed files in testdata/bad/. One test per behaviour.

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use chrono::NaiveDate;
use common::{
    Csv, churn, error_line, json, repo_file, run, scan_examples, stderr, success, summary_lines,
};

/// The first columns of `churn scan --format csv` on an input with store, employee and
/// category columns.
const CSV_HEADER_START: &str = "customer_id,status,rule,evidence,store,employee,category,first_visit,last_visit,visits,revenue,revenue_12m,";

/// Customers in examples/purchases.csv.
const EXAMPLE_CUSTOMERS: usize = 150;

/// Money as the table prints it: `34,718.73`.
fn money(v: f64) -> String {
    let text = format!("{v:.2}");
    let (int, cents) = text.split_once('.').unwrap();
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{out}.{cents}")
}

// ---------------------------------------------------------------------------------------
// churn scan: what a newcomer sees

#[test]
fn scan_prints_the_summary_and_the_flagged_customers() {
    let out = success(&scan_examples(&[]));
    let summary = json(&scan_examples(&["--format", "json"]))["summary"].clone();
    let lines = summary_lines(&out);
    let line = |label: &str| -> String {
        lines
            .iter()
            .find(|(l, _)| l == label)
            .map(|(l, text)| format!("{l} {text}"))
            .unwrap_or_else(|| panic!("no \"{label}\" line in:\n{out}"))
    };
    let count = |status: &str| summary[status].as_u64().unwrap();
    let (active, at_risk, defected) = (count("active"), count("at_risk"), count("defected"));

    assert!(
        out.starts_with("churn scan: examples/purchases.csv\n"),
        "{out}"
    );
    assert!(line("as of").ends_with("2026-10-31"));
    assert!(line("rows").ends_with("15,682 read: 14,740 used, 942 anonymous (no customer id)"));
    let customers = line("customers");
    assert!(customers.contains("150: "), "{customers}");
    assert!(
        customers.contains(&format!("{active} active (")),
        "{customers}"
    );
    assert!(
        customers.contains(&format!("{at_risk} at risk (")),
        "{customers}"
    );
    assert!(
        customers.contains(&format!("{defected} defected (")),
        "{customers}"
    );
    assert_eq!(active + at_risk + defected, EXAMPLE_CUSTOMERS as u64);
    let defectors = &summary["period_defectors"];
    assert!(line("defection rate").contains(&format!(
        "{:.1}% a year: {defectors} of the {} customers active on 2025-10-31 had defected by",
        summary["defection_rate"].as_f64().unwrap() * 100.0,
        summary["period_customers"]
    )));
    assert!(line("revenue lost").contains(&format!(
        "{} a year: last-12-month revenue of the {defectors} customers who defected in the",
        money(summary["revenue_lost"].as_f64().unwrap())
    )));
    assert!(line("revenue at risk").contains(&format!(
        "{} a year: last-12-month revenue of the {at_risk} at-risk customers",
        money(summary["revenue_at_risk"].as_f64().unwrap())
    )));

    let flagged = at_risk + defected;
    assert!(out.contains(&format!(
        "\nFlagged customers, highest yearly value first (20 of {flagged}):\n"
    )));
    // The first flagged customer of the table is the first of the CSV, which sorts the
    // same way (defected first, then value at stake).
    let csv = Csv::parse(&success(&scan_examples(&["--format", "csv"])));
    let first = &csv.rows[0];
    let first_line = out
        .lines()
        .find(|l| l.contains(&first["customer_id"]))
        .expect("the first flagged customer is in the table");
    assert!(first_line.contains(&first["status"]), "{first_line}");
    assert!(first_line.contains(&first["last_visit"]), "{first_line}");
    assert!(out.ends_with(&format!(
        "{} more: --limit {flagged} shows them all, --format csv lists every customer.\n",
        flagged - 20
    )));
}

#[test]
fn csv_lists_every_customer_with_plain_numbers_and_iso_dates() {
    let text = success(&scan_examples(&["--format", "csv"]));
    assert!(text.starts_with(CSV_HEADER_START), "{}", &text[..200]);
    assert_eq!(text.lines().count(), EXAMPLE_CUSTOMERS + 1);
    let csv = Csv::parse(&text);
    let ids: BTreeSet<&str> = csv.rows.iter().map(|r| r["customer_id"].as_str()).collect();
    assert_eq!(ids.len(), EXAMPLE_CUSTOMERS, "one row per customer");

    let is_number = |v: &str| {
        let digits = v.strip_prefix('-').unwrap_or(v);
        !digits.is_empty()
            && digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            && digits.matches('.').count() <= 1
    };
    for row in &csv.rows {
        let id = &row["customer_id"];
        assert!(
            ["active", "at_risk", "defected"].contains(&row["status"].as_str()),
            "{id}: status {}",
            row["status"]
        );
        for col in ["visits", "days_since_last_visit"] {
            assert!(
                row[col].bytes().all(|b| b.is_ascii_digit()),
                "{id}: {col} {}",
                row[col]
            );
        }
        for col in ["revenue", "revenue_12m"] {
            let v = &row[col];
            assert!(
                is_number(v) && v.split_once('.').is_some_and(|(_, f)| f.len() == 2),
                "{id}: {col} {v}"
            );
        }
        for col in [
            "baseline_visits_per_month",
            "recent_visits_per_month",
            "baseline_spend_per_visit",
            "recent_spend_per_visit",
            "usual_gap_days",
        ] {
            let v = &row[col];
            assert!(v.is_empty() || is_number(v), "{id}: {col} {v}");
        }
        for col in ["first_visit", "last_visit", "change_since"] {
            let v = &row[col];
            if col == "change_since" && v.is_empty() {
                continue;
            }
            assert!(
                v.len() == 10 && NaiveDate::parse_from_str(v, "%Y-%m-%d").is_ok(),
                "{id}: {col} {v}"
            );
        }
    }
}

#[test]
fn csv_never_writes_negative_zero() {
    let text = success(&scan_examples(&["--format", "csv"]));
    let csv = Csv::parse(&text);
    for row in &csv.rows {
        for (col, v) in row {
            assert!(
                !(v.starts_with("-0.") && v.trim_start_matches(['-', '0', '.']).is_empty()),
                "{}: {col} is {v}",
                row["customer_id"]
            );
        }
    }
}

#[test]
fn json_has_the_schema_version_and_every_customer() {
    let doc = json(&scan_examples(&["--format", "json"]));
    assert_eq!(doc["schema_version"], 2);
    let summary = &doc["summary"];
    assert_eq!(summary["source"], "examples/purchases.csv");
    assert_eq!(summary["as_of"], "2026-10-31");
    assert_eq!(summary["customers"], EXAMPLE_CUSTOMERS);
    assert_eq!(
        doc["customers"].as_array().unwrap().len(),
        EXAMPLE_CUSTOMERS
    );
    let by_status: u64 = ["active", "at_risk", "defected"]
        .iter()
        .map(|s| summary[*s].as_u64().unwrap())
        .sum();
    assert_eq!(by_status, EXAMPLE_CUSTOMERS as u64);
}

#[test]
fn json_rows_account_for_every_row_read() {
    for args in [
        vec![],
        vec!["--dedupe"],
        vec!["--as-of", "2026-06-30"],
        vec!["--dedupe", "--as-of", "2026-06-30"],
    ] {
        let mut all = vec!["--format", "json"];
        all.extend(&args);
        let doc = json(&scan_examples(&all));
        let rows = &doc["summary"]["rows"];
        let n = |key: &str| rows[key].as_u64().unwrap_or_else(|| panic!("rows.{key}"));
        assert_eq!(n("read"), 15_682, "{args:?}");
        assert_eq!(
            n("read"),
            n("used") + n("anonymous") + n("duplicates_dropped") + n("skipped") + n("after_as_of"),
            "{args:?}: {rows}"
        );
        let dedupe = args.contains(&"--dedupe");
        assert!(n("duplicates") > 0, "{args:?}");
        assert_eq!(
            n("duplicates_dropped"),
            if dedupe { n("duplicates") } else { 0 },
            "{args:?}"
        );
        assert_eq!(n("after_as_of") > 0, args.contains(&"--as-of"), "{args:?}");
    }
}

// ---------------------------------------------------------------------------------------
// A small fixture with known behaviours (testdata/small.csv, two years to 2026-10-31):
// R001 comes every Monday; R002 came every Wednesday until 2026-06-24, then stopped;
// M003 comes on the first Saturday of each month; N004 first came in October 2026.

#[test]
fn small_fixture_customers_get_the_planted_statuses() {
    let csv = Csv::parse(&success(&run(&[
        "scan",
        "testdata/small.csv",
        "--format",
        "csv",
    ])));
    assert_eq!(csv.rows.len(), 4);
    let stopped = csv.customer("R002");
    assert_eq!(stopped["status"], "defected");
    assert_eq!(stopped["rule"], "gone");
    assert_eq!(stopped["last_visit"], "2026-06-24");
    assert_eq!(stopped["days_since_last_visit"], "129");
    assert_eq!(stopped["change_since"], "2026-06-25");
    for id in ["R001", "M003"] {
        assert_eq!(csv.customer(id)["status"], "active", "{id}");
        assert_eq!(csv.customer(id)["rule"], "", "{id}");
    }
    assert_eq!(csv.customer("R001")["usual_gap_days"], "7.0");
    let new = csv.customer("N004");
    assert_eq!(new["status"], "active");
    assert!(
        new["evidence"].starts_with("new customer"),
        "{}",
        new["evidence"]
    );
    assert_eq!(new["visits"], "3");
    assert_eq!(new["revenue"], "31.40");
}

#[test]
fn markdown_report_of_the_small_fixture() {
    let md = success(&run(&[
        "scan",
        "testdata/small.csv",
        "--format",
        "markdown",
    ]));
    insta::assert_snapshot!("small_markdown", md);
}

// ---------------------------------------------------------------------------------------
// -o FILE

#[test]
fn output_file_gets_the_format_of_its_extension() {
    let dir = tempfile::tempdir().unwrap();
    for (ext, format) in [("csv", "csv"), ("json", "json"), ("md", "markdown")] {
        let path = dir.path().join(format!("report.{ext}"));
        let out = churn()
            .args(["scan", "testdata/small.csv", "-o"])
            .arg(&path)
            .output()
            .unwrap();
        assert_eq!(success(&out), "", "-o {ext}: nothing on stdout");
        let written = std::fs::read_to_string(&path).unwrap();
        let expected = success(&run(&["scan", "testdata/small.csv", "--format", format]));
        assert_eq!(written, expected, "-o report.{ext}");
    }
    let names: BTreeSet<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        BTreeSet::from([
            "report.csv".into(),
            "report.json".into(),
            "report.md".into()
        ])
    );
}

#[test]
fn output_file_is_left_untouched_on_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.csv");
    std::fs::write(&path, "last month's report\n").unwrap();
    let out = churn()
        .args(["scan", "testdata/bad/bad_amount.csv", "-o"])
        .arg(&path)
        .output()
        .unwrap();
    error_line(&out);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "last month's report\n"
    );
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["report.csv"], "no .churn-* temporary file is left");
}

// ---------------------------------------------------------------------------------------
// --as-of

#[test]
fn as_of_ignores_later_rows() {
    let doc = json(&scan_examples(&[
        "--format",
        "json",
        "--as-of",
        "2026-06-30",
    ]));
    let summary = &doc["summary"];
    assert_eq!(summary["as_of"], "2026-06-30");
    assert_eq!(summary["rows"]["after_as_of"], 2_415);
    let customers = doc["customers"].as_array().unwrap();
    assert_eq!(summary["customers"], customers.len());
    assert!(
        customers.len() < EXAMPLE_CUSTOMERS,
        "customers who came later are not judged"
    );
    for c in customers {
        let last = c["last_visit"].as_str().unwrap();
        assert!(
            last <= "2026-06-30",
            "{}: last visit {last}",
            c["customer_id"]
        );
    }
}

// ---------------------------------------------------------------------------------------
// churn rules and --config

#[test]
fn rules_prints_the_default_config_as_toml() {
    let text = success(&run(&["rules"]));
    assert!(text.contains("\n[rules.partial_defection]\n"), "{text}");
    for table in [
        "[history]",
        "[rules.gone]",
        "[rules.category_stop]",
        "[rules.spend_drop]",
        "[rules.slowing]",
    ] {
        assert!(text.contains(table), "{table} in:\n{text}");
    }
    let parsed: toml::Table = toml::from_str(&text).expect("churn rules prints valid TOML");
    assert!(parsed["rules"]["gone"]["enabled"].as_bool().unwrap());
}

#[test]
fn printed_rules_given_back_as_config_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("churn.toml");
    std::fs::write(&config, success(&run(&["rules"]))).unwrap();
    let with_config = churn()
        .args([
            "scan",
            "examples/purchases.csv",
            "--format",
            "csv",
            "--config",
        ])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(
        success(&with_config),
        success(&scan_examples(&["--format", "csv"]))
    );
}

#[test]
fn config_can_switch_a_rule_off() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("churn.toml");
    std::fs::write(&config, "[rules.gone]\nenabled = false\n").unwrap();
    let gone = |csv: &Csv| csv.rows.iter().filter(|r| r["rule"] == "gone").count();

    let default = Csv::parse(&success(&scan_examples(&["--format", "csv"])));
    assert!(gone(&default) > 0, "the default rules find gone customers");
    let out = churn()
        .args([
            "scan",
            "examples/purchases.csv",
            "--format",
            "csv",
            "--config",
        ])
        .arg(&config)
        .output()
        .unwrap();
    let without_gone = Csv::parse(&success(&out));
    assert_eq!(without_gone.rows.len(), EXAMPLE_CUSTOMERS);
    assert_eq!(gone(&without_gone), 0);
}

#[test]
fn config_with_an_unknown_key_names_the_file_and_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("churn.toml");
    std::fs::write(&config, "[rules.gone]\nalfa = 0.1\n").unwrap();
    let out = churn()
        .args(["scan", "testdata/small.csv", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(out.stdout.is_empty());
    assert!(
        err.starts_with(&format!("churn: {}:2:1: ", config.display())),
        "{err}"
    );
    assert!(err.contains("unknown field `alfa`"), "{err}");
    assert!(err.contains("`alpha`"), "the valid keys are listed: {err}");
}

// ---------------------------------------------------------------------------------------
// Bad input: exit code 1 and one line on stderr that says what, where, and what to do

/// `churn scan testdata/bad/NAME`, which must fail; its error line.
fn bad_input(name: &str) -> String {
    error_line(&run(&["scan", &format!("testdata/bad/{name}")]))
}

#[test]
fn missing_file_is_named() {
    let err = error_line(&run(&["scan", "testdata/no-such-file.csv"]));
    assert!(
        err.starts_with("churn: testdata/no-such-file.csv: cannot open file: "),
        "{err}"
    );
}

/// Monthly exports: several files, or a directory of them, are one analysis.
#[test]
fn a_directory_of_monthly_exports_is_one_analysis() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(repo_file("examples/purchases.csv")).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let (mut first, mut second) = (format!("{header}\n"), format!("{header}\n"));
    for line in lines {
        let half = if line.split(',').nth(1).is_some_and(|d| d < "2025-11-01") {
            &mut first
        } else {
            &mut second
        };
        half.push_str(line);
        half.push('\n');
    }
    std::fs::write(dir.path().join("2025.csv"), first).unwrap();
    std::fs::write(dir.path().join("2026.csv"), second).unwrap();
    let whole = json(&scan_examples(&["--format", "json"]));
    let split = json(&run(&[
        "scan",
        dir.path().to_str().unwrap(),
        "--format",
        "json",
    ]));
    assert_eq!(split["customers"], whole["customers"]);
    for key in [
        "defection_rate",
        "revenue_lost",
        "period_defectors",
        "active",
    ] {
        assert_eq!(split["summary"][key], whole["summary"][key], "{key}");
    }
    let files = split["summary"]["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    let read: u64 = files.iter().map(|f| f["read"].as_u64().unwrap()).sum();
    assert_eq!(read, whole["summary"]["rows"]["read"].as_u64().unwrap());
    // An empty directory is an error that says so.
    let empty = tempfile::tempdir().unwrap();
    let err = error_line(&run(&["scan", empty.path().to_str().unwrap()]));
    assert!(err.contains(empty.path().to_str().unwrap()), "{err}");
}

#[test]
fn empty_file_is_refused() {
    let err = bad_input("empty.csv");
    assert!(
        err.starts_with("churn: testdata/bad/empty.csv: the file is empty"),
        "{err}"
    );
}

#[test]
fn header_without_rows_is_refused() {
    let err = bad_input("header_only.csv");
    assert!(
        err.starts_with("churn: testdata/bad/header_only.csv: "),
        "{err}"
    );
    assert!(err.contains("no data rows"), "{err}");
}

#[test]
fn missing_customer_column_lists_the_columns_and_the_flag() {
    let err = bad_input("no_customer_column.csv");
    assert!(
        err.starts_with("churn: testdata/bad/no_customer_column.csv: "),
        "{err}"
    );
    assert!(err.contains("customer column"), "{err}");
    assert!(err.contains(r#""receipt", "date", "amount""#), "{err}");
    assert!(err.contains("--customer-col"), "{err}");
}

#[test]
fn unreadable_amount_names_the_line_column_and_value() {
    // The other amounts (12.50, 9.95 …) make the decimal mark clearly a point.
    let err = bad_input("bad_amount.csv");
    assert_eq!(
        err,
        r#"churn: testdata/bad/bad_amount.csv:5: column "amount": "12,5x" is not a number"#
    );
}

#[test]
fn unreadable_date_names_the_line_column_and_value() {
    let err = bad_input("bad_date.csv");
    assert_eq!(
        err,
        r#"churn: testdata/bad/bad_date.csv:5: column "date": "2026-13-45" is not a date (expected yyyy-mm-dd like the rest of the column)"#
    );
    let skipped = json(&run(&[
        "scan",
        "testdata/bad/bad_date.csv",
        "--skip-bad-rows",
        "--format",
        "json",
    ]));
    assert_eq!(skipped["summary"]["rows"]["skipped"], 1);
}

#[test]
fn wrong_number_of_fields_names_the_line() {
    assert_eq!(
        bad_input("extra_field.csv"),
        "churn: testdata/bad/extra_field.csv:4: expected 3 fields as in the header, found 4 (a separator inside an unquoted value?)"
    );
    assert_eq!(
        bad_input("missing_field.csv"),
        "churn: testdata/bad/missing_field.csv:4: expected 3 fields as in the header, found 2"
    );
}

#[test]
fn excel_workbook_is_refused_with_advice() {
    let err = bad_input("excel.xlsx");
    assert!(err.starts_with("churn: testdata/bad/excel.xlsx: "), "{err}");
    assert!(
        err.contains("Excel") && err.contains("save it as CSV"),
        "{err}"
    );
}

#[test]
fn json_file_is_refused() {
    let err = bad_input("data.json");
    assert!(err.starts_with("churn: testdata/bad/data.json: "), "{err}");
    assert!(err.contains("JSON, not CSV"), "{err}");
}

#[test]
fn binary_file_is_refused() {
    let err = bad_input("binary.bin");
    assert!(err.starts_with("churn: testdata/bad/binary.bin: "), "{err}");
    assert!(
        err.contains("binary file") && err.contains("NUL bytes"),
        "{err}"
    );
}

#[test]
fn ambiguous_day_month_order_asks_for_the_date_format() {
    let err = bad_input("ambiguous_dates.csv");
    assert!(
        err.starts_with("churn: testdata/bad/ambiguous_dates.csv: "),
        "{err}"
    );
    assert!(err.contains(r#"--date-format "%d/%m/%Y""#), "{err}");
    assert!(err.contains(r#"--date-format "%m/%d/%Y""#), "{err}");
}

#[test]
fn every_malformed_file_gets_its_expected_message() {
    let dir = repo_file("testdata/bad");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".expected"))
        .collect();
    names.sort();
    assert!(names.len() >= 10, "{names:?}");
    let mut wrong = Vec::new();
    for name in &names {
        let expected = std::fs::read_to_string(dir.join(format!("{name}.expected")))
            .unwrap_or_else(|_| panic!("testdata/bad/{name}.expected is missing"));
        let out = run(&["scan", &format!("testdata/bad/{name}")]);
        let got = stderr(&out);
        if out.status.code() != Some(1) || !out.stdout.is_empty() || got != expected {
            wrong.push(format!(
                "{name}: exit {:?}\n  expected: {expected}  got:      {got}",
                out.status.code()
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn unknown_flag_is_a_usage_error() {
    let out = run(&["scan", "testdata/small.csv", "--no-such-flag"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(stderr(&out).contains("unexpected argument '--no-such-flag'"));
}

#[test]
fn missing_input_path_is_a_usage_error() {
    let out = run(&["scan"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(stderr(&out).contains("<PURCHASES>"));
}

// ---------------------------------------------------------------------------------------
// --skip-bad-rows and --rejects (testdata/bad_rows.csv: lines 4 to 7 are bad)

#[test]
fn bad_rows_stop_the_scan_by_default() {
    let err = error_line(&run(&["scan", "testdata/bad_rows.csv"]));
    assert_eq!(
        err,
        r#"churn: testdata/bad_rows.csv:4: column "amount": "12,5x" is not a number"#
    );
}

#[test]
fn skip_bad_rows_counts_them_and_writes_the_rejects_file() {
    let dir = tempfile::tempdir().unwrap();
    let rejects = dir.path().join("rejects.csv");
    let out = churn()
        .args([
            "scan",
            "testdata/bad_rows.csv",
            "--skip-bad-rows",
            "--format",
            "json",
            "--rejects",
        ])
        .arg(&rejects)
        .output()
        .unwrap();
    let rows = json(&out)["summary"]["rows"].clone();
    assert_eq!(rows["read"], 7);
    assert_eq!(rows["used"], 3);
    assert_eq!(rows["skipped"], 4);
    assert_eq!(rows["skipped_reasons"].as_array().unwrap().len(), 4);
    assert_eq!(
        std::fs::read_to_string(&rejects).unwrap(),
        r#"line,reason,customer_id,date,amount
4,"column ""amount"": ""12,5x"" is not a number",C2,2026-01-12,"12,5x"
5,"expected 3 fields as in the header, found 4 (a separator inside an unquoted value?)",C2,2026-01-19,4.20,extra
6,"expected 3 fields as in the header, found 2",C1,2026-01-19
7,"column ""amount"": the amount is empty",C2,2026-01-26,
"#
    );
}

// ---------------------------------------------------------------------------------------
// Broken pipe: `churn … | head -1` exits quietly

#[test]
fn closed_pipe_ends_the_output_quietly() {
    // 3,000 customers who each came twice in 2024, all gone by the as-of date: every
    // format (the flagged table too) prints far more than a pipe's buffer holds, so
    // churn is still writing when the reader leaves.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("purchases.csv");
    let mut data = String::from("customer_id,date,amount\n");
    for i in 0..3000 {
        data += &format!("C{i:05},2024-01-{:02},10.00\n", 1 + i % 28);
        data += &format!("C{i:05},2024-02-{:02},12.50\n", 1 + i % 28);
    }
    std::fs::write(&path, data).unwrap();

    for format in ["table", "csv", "json", "markdown"] {
        // As `churn scan … | head -1` does: read one line, then close the pipe.
        let mut child = Command::new(env!("CARGO_BIN_EXE_churn"))
            .arg("scan")
            .arg(&path)
            .args([
                "--as-of",
                "2026-10-31",
                "--limit",
                "5000",
                "--format",
                format,
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut reader = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        reader.read_line(&mut first).unwrap();
        assert!(!first.is_empty(), "{format}");
        drop(reader);
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{format}: {}: {err}", out.status);
        assert_eq!(err, "", "{format}: nothing on stderr, no \"Broken pipe\"");
    }
}

// ---------------------------------------------------------------------------------------
// Input dialects and sources

#[test]
fn european_export_gives_the_same_result_as_the_plain_one() {
    // Windows-1252, ';', decimal comma, dd.mm.yyyy and Swedish headers.
    let european = success(&run(&[
        "scan",
        "examples/purchases-european.csv",
        "--format",
        "csv",
    ]));
    assert_eq!(european, success(&scan_examples(&["--format", "csv"])));
}

#[test]
fn standard_input_gives_the_same_result_as_the_file() {
    let from_file = success(&run(&["scan", "testdata/small.csv", "--format", "csv"]));
    let out = churn()
        .args(["scan", "-", "--format", "csv"])
        .write_stdin(std::fs::read(repo_file("testdata/small.csv")).unwrap())
        .output()
        .unwrap();
    assert_eq!(success(&out), from_file);
}

#[test]
fn gzip_file_gives_the_same_result_as_the_file() {
    let dir = tempfile::tempdir().unwrap();
    // Detected from the content, not the name.
    let path = dir.path().join("small.csv.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&std::fs::read(repo_file("testdata/small.csv")).unwrap())
        .unwrap();
    std::fs::write(&path, gz.finish().unwrap()).unwrap();
    let out = churn()
        .arg("scan")
        .arg(&path)
        .args(["--format", "csv"])
        .output()
        .unwrap();
    assert_eq!(
        success(&out),
        success(&run(&["scan", "testdata/small.csv", "--format", "csv"]))
    );
}

// ---------------------------------------------------------------------------------------
// churn sample

#[test]
fn sample_with_the_same_seed_writes_the_same_files() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    for out_dir in [&a, &b] {
        let out = churn()
            .args(["sample", "--customers", "20", "--seed", "1", "-o"])
            .arg(out_dir)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(out.stdout.is_empty());
        assert!(
            stderr(&out).contains("purchase lines of 20 customers"),
            "{}",
            stderr(&out)
        );
    }
    for file in ["purchases.csv", "truth.csv"] {
        let first = std::fs::read(a.join(file)).unwrap();
        assert!(!first.is_empty(), "{file}");
        assert_eq!(first, std::fs::read(b.join(file)).unwrap(), "{file}");
    }
    let purchases = std::fs::read_to_string(a.join("purchases.csv")).unwrap();
    assert!(
        purchases.starts_with("customer_id,date,amount,"),
        "{}",
        &purchases[..80]
    );
    let truth = std::fs::read_to_string(a.join("truth.csv")).unwrap();
    assert_eq!(truth.lines().count(), 21, "a header and 20 customers");
}

#[test]
fn fail_above_is_an_alert_exit_code_after_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("scan.csv");
    let out = churn()
        .args([
            "scan",
            "examples/purchases.csv",
            "--fail-above",
            "0.25",
            "-o",
        ])
        .arg(&out_path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(out_path.exists(), "the output is written before the alert");
    assert!(
        stderr(&out)
            .starts_with("churn: alert: the defection rate 31.0% is above --fail-above 25.0%")
    );
    // Which rate: its period, so a monthly job's log says what crossed the line.
    assert!(
        stderr(&out).contains("(the rate a year, "),
        "{}",
        stderr(&out)
    );
    let out = churn()
        .args([
            "scan",
            "examples/purchases.csv",
            "--fail-above",
            "0.5",
            "--format",
            "csv",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn completions_and_man_page_are_generated() {
    for shell in ["bash", "zsh", "fish"] {
        let out = churn().args(["completions", shell]).output().unwrap();
        assert!(out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("scan"),
            "{shell}"
        );
    }
    let out = churn().arg("man").output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with(".ie"));
}

#[test]
fn csv_for_european_spreadsheets_on_every_command() {
    for command in [
        vec!["scan", "examples/purchases.csv"],
        vec!["rate", "examples/purchases.csv", "--by", "store"],
        vec!["clv", "examples/purchases.csv"],
    ] {
        let out = churn()
            .args(&command)
            .args(["--format", "csv", "--bom", "--european-csv"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{command:?}: {}", stderr(&out));
        assert!(out.stdout.starts_with(b"\xEF\xBB\xBF"), "{command:?}");
        let text = String::from_utf8(out.stdout[3..].to_vec()).unwrap();
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(b';')
            .from_reader(text.as_bytes());
        let header = reader.headers().unwrap().clone();
        assert!(header.len() > 3, "{command:?}: {header:?}");
        let first = reader.records().next().unwrap().unwrap();
        assert!(
            first.iter().any(|f| f.contains(',')
                && f.replace([',', '-'], "")
                    .bytes()
                    .all(|b| b.is_ascii_digit())),
            "{command:?}: {first:?}"
        );
    }
}

#[test]
fn xlsx_holds_the_csv_table_with_typed_cells() {
    use calamine::{Data, Reader, Xlsx};
    let dir = tempfile::tempdir().unwrap();
    let book_path = dir.path().join("rate.xlsx");
    let out = churn()
        .args(["rate", "examples/purchases.csv", "--by", "store", "-o"])
        .arg(&book_path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let csv_out = churn()
        .args([
            "rate",
            "examples/purchases.csv",
            "--by",
            "store",
            "--format",
            "csv",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(csv_out.stdout).unwrap();
    let mut book: Xlsx<_> = calamine::open_workbook(&book_path).unwrap();
    assert_eq!(book.sheet_names(), vec!["rate"]);
    let range = book.worksheet_range("rate").unwrap();
    for (r, line) in text.lines().enumerate() {
        for (c, value) in line.split(',').enumerate() {
            let cell = range.get((r, c)).unwrap_or(&Data::Empty);
            match cell {
                Data::String(s) => assert_eq!(s, value, "row {r} column {c}"),
                Data::Float(f) => assert!(
                    (f - value.parse::<f64>().unwrap()).abs() < 1e-9,
                    "row {r} column {c}"
                ),
                Data::Bool(b) => assert_eq!(b.to_string(), value),
                Data::Empty => assert!(value.is_empty(), "row {r} column {c}"),
                other => panic!("row {r} column {c}: {other:?}"),
            }
        }
    }
    // Numbers are numbers, not text.
    assert!(matches!(range.get((1, 1)), Some(Data::Float(_))));
    // A workbook needs a file.
    let out = churn()
        .args(["scan", "examples/purchases.csv", "--format", "xlsx"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("-o FILE.xlsx"));
}
