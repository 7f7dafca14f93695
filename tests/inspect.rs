//! `churn inspect` on each real-layout export: what churn would read, reviewed as a
//! snapshot (table and JSON), so a change in what churn picks is seen, not accidental.

#[allow(dead_code)]
mod common;

use churn::sample::exports::Layout;
use common::{run, stderr, success};

#[test]
fn inspect_each_export() {
    for layout in Layout::ALL {
        let path = format!("testdata/exports/{}", layout.file_name());
        let table = success(&run(&["inspect", &path]));
        insta::assert_snapshot!(format!("inspect_{}", layout.name()), table);
        let json = success(&run(&["inspect", &path, "--format", "json"]));
        insta::assert_snapshot!(format!("inspect_{}_json", layout.name()), json);
    }
}

#[test]
fn inspect_shows_a_bad_row_that_would_stop_a_scan() {
    let out = success(&run(&[
        "inspect",
        "testdata/bad_rows.csv",
        "--format",
        "json",
    ]));
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let problem = report["problem"].as_str().unwrap();
    assert!(
        problem
            .starts_with("testdata/bad_rows.csv:4: column \"amount\": \"12,5x\" is not a number"),
        "{problem}"
    );
    assert!(problem.contains("--skip-bad-rows"), "{problem}");
    let skipped: u64 = report["excluded"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["rows"].as_u64().unwrap())
        .sum();
    assert_eq!(skipped, 4);
}

#[test]
fn inspect_of_a_journal_without_customers_says_what_is_missing() {
    let out = run(&["inspect", "testdata/bad/no_customer_column.csv"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("churn needs a customer or loyalty-card id"));
}
