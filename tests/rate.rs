//! `churn rate` as a user runs it: the defection rate overall, by group and over time,
//! the cohort retention matrix and the tenure curve, on the shipped example and on
//! hand-built fixtures in testdata/rate/ whose answers are known.
//!
//! testdata/rate/stores.csv: eight weekly regulars from 2024-11-01 to 2026-10-31, four
//! at store Nord (employee Anna) and four at Syd (Bo). Two of Nord's (A3 at 30.00 a
//! visit, A4 at 25.00) stop after 2026-03-01; their last 12 months (2025-11-01 to
//! 2026-10-31) brought 540.00 and 425.00.
//!
//! testdata/rate/tenure.csv, as of 2026-10-31:
//! - T0: first visit 2023-03-10 (40.00), then 2024-04-01 (60.00) and 2025-03-09 (30.00):
//!   years 1, 2, 3 bring 40, 90, 0.
//! - T1: 10.00 on the 15th of every month from 2024-01-15: years 1 and 2 bring 120 each.
//! - T2: 50.00 on 2024-06-01, a 5.00 refund on 2024-07-01, then nothing: 45, then 0.
//! - T3: first visit 2026-01-01: no complete year.

#[allow(dead_code)]
mod common;

use common::{Csv, churn, error_line, json, run, stdout, success};

const STORES: &str = "testdata/rate/stores.csv";
const TENURE: &str = "testdata/rate/tenure.csv";
const EXAMPLE: &str = "examples/purchases.csv";

fn rate(args: &[&str]) -> String {
    let mut full = vec!["rate"];
    full.extend_from_slice(args);
    success(&run(&full))
}

fn rate_csv(args: &[&str]) -> Csv {
    let mut full = args.to_vec();
    full.extend(["--format", "csv"]);
    Csv::parse(&rate(&full))
}

fn num(row: &std::collections::HashMap<String, String>, column: &str) -> f64 {
    row[column]
        .parse()
        .unwrap_or_else(|_| panic!("{column}: {:?} is not a number", row[column]))
}

#[test]
fn the_overall_rate_is_the_rate_in_the_scan_summary() {
    let scan = json(&run(&["scan", EXAMPLE, "--format", "json"]))["summary"].clone();
    let out = json(&run(&["rate", EXAMPLE, "--format", "json"]));
    assert_eq!(out["schema_version"], 2);
    assert_eq!(out["summary"], scan);
    assert_eq!(out["view"], "rates");
    assert_eq!(out["dimension"], "period");
    let rows = out["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{out}");
    let row = &rows[0];
    assert_eq!(row["group"], "2025-10-31/2026-10-31");
    assert_eq!(row["period_start"], scan["period_start"]);
    assert_eq!(row["period_end"], scan["period_end"]);
    assert_eq!(row["customers"], scan["period_customers"]);
    assert_eq!(row["defected"], scan["period_defectors"]);
    assert_eq!(row["defection_rate"], scan["defection_rate"]);
    assert_eq!(row["rate_low"], scan["defection_rate_low"]);
    assert_eq!(row["rate_high"], scan["defection_rate_high"]);
    assert_eq!(row["revenue_lost"], scan["revenue_lost"]);
    assert_eq!(row["small"], false);
}

#[test]
fn the_table_names_its_period() {
    let out = rate(&[EXAMPLE]);
    assert!(
        out.starts_with("churn rate: examples/purchases.csv\n"),
        "{out}"
    );
    assert!(
        out.contains(
            "defection rate, 12 months to 2026-10-31: customers active on 2025-10-31, \
             defected by 2026-10-31"
        ),
        "{out}"
    );
    assert!(out.contains("31.0%"), "{out}");
}

#[test]
fn by_store_puts_the_store_that_lost_half_its_regulars_first() {
    let out = rate(&[STORES, "--by", "store", "--format", "csv"]);
    assert_eq!(
        out.lines().next(),
        Some("store,customers,defected,defection_rate,rate_low,rate_high,revenue_lost,small")
    );
    let csv = Csv::parse(&out);
    assert_eq!(csv.rows.len(), 2);
    let (nord, syd) = (&csv.rows[0], &csv.rows[1]);
    assert_eq!(nord["store"], "Nord");
    assert_eq!(
        (nord["customers"].as_str(), nord["defected"].as_str()),
        ("4", "2")
    );
    assert_eq!(num(nord, "defection_rate"), 0.5);
    assert_eq!(nord["revenue_lost"], "965.00", "540.00 + 425.00");
    assert_eq!(nord["small"], "true", "4 customers < 30");
    assert!(num(nord, "rate_low") < 0.5 && num(nord, "rate_high") > 0.5);
    assert_eq!(syd["store"], "Syd");
    assert_eq!(
        (syd["customers"].as_str(), syd["defected"].as_str()),
        ("4", "0")
    );
    assert_eq!(num(syd, "defection_rate"), 0.0);
    assert_eq!(syd["revenue_lost"], "0.00");

    let csv = rate_csv(&[STORES, "--by", "store", "--min-customers", "4"]);
    assert_eq!(csv.rows[0]["small"], "false", "4 is not fewer than 4");
}

#[test]
fn by_employee_and_by_segment_group_the_same_customers() {
    let csv = rate_csv(&[STORES, "--by", "employee"]);
    let anna = &csv.rows[0];
    assert_eq!(
        (anna["employee"].as_str(), anna["defected"].as_str()),
        ("Anna", "2")
    );
    // Eight weekly customers, all regular a year before the as-of date.
    let csv = rate_csv(&[STORES, "--by", "segment"]);
    assert_eq!(csv.rows.len(), 1);
    assert_eq!(csv.rows[0]["segment"], "regular");
    assert_eq!(
        (
            csv.rows[0]["customers"].as_str(),
            csv.rows[0]["defected"].as_str()
        ),
        ("8", "2")
    );
}

#[test]
fn by_value_splits_customers_in_three_bands() {
    let csv = rate_csv(&[EXAMPLE, "--by", "value"]);
    let mut bands: Vec<&str> = csv.rows.iter().map(|r| r["value"].as_str()).collect();
    bands.sort();
    assert_eq!(bands, ["high", "low", "mid"]);
    let total: f64 = csv.rows.iter().map(|r| num(r, "customers")).sum();
    let overall = rate_csv(&[EXAMPLE]);
    assert_eq!(total, num(&overall.rows[0], "customers"));
    for r in &csv.rows {
        assert!(
            (num(r, "customers") - total / 3.0).abs() <= 1.0,
            "tertiles: {r:?}"
        );
    }
}

#[test]
fn by_month_is_chronological_and_each_row_is_the_rate_to_that_month_end() {
    let trend = rate_csv(&[EXAMPLE, "--by", "month"]);
    let months: Vec<&str> = trend.rows.iter().map(|r| r["month"].as_str()).collect();
    // The data begins 2024-11-01: the first month end with 12 months of data before
    // it is 2025-11-30.
    assert_eq!(months.first(), Some(&"2025-11"));
    assert_eq!(months.last(), Some(&"2026-10"));
    assert_eq!(months.len(), 12);
    assert!(months.windows(2).all(|w| w[0] < w[1]), "{months:?}");

    let row = |csv: &Csv, month: &str| {
        csv.rows
            .iter()
            .find(|r| r["month"] == month)
            .unwrap_or_else(|| panic!("no {month}"))
            .clone()
    };
    let same = |a: &std::collections::HashMap<String, String>,
                b: &std::collections::HashMap<String, String>| {
        for c in ["customers", "defected", "defection_rate", "revenue_lost"] {
            assert_eq!(a[c], b[c], "{c}: {a:?} vs {b:?}");
        }
    };
    // Until the rules can judge anyone (120 days of data), everyone counts as active.
    let table = rate(&[EXAMPLE, "--by", "month"]);
    assert!(
        table.contains("defection rate by month, 12 months to each month end, 2025-11 to 2026-10"),
        "{table}"
    );
    assert!(
        table.contains(
            "2025-11 to 2026-02: the period starts less than 120 days after the data begins \
             (2024-11-01)"
        ),
        "{table}"
    );

    let single = rate_csv(&[EXAMPLE, "--as-of", "2026-05-31"]);
    same(&row(&trend, "2026-05"), &single.rows[0]);
    assert_eq!(single.rows[0]["period"], "2025-05-31/2026-05-31");

    let monthly = rate_csv(&[EXAMPLE, "--by", "month", "--period", "month"]);
    assert_eq!(
        monthly.rows[0]["month"], "2024-12",
        "one month of data suffices"
    );
    for (month, end) in [("2025-02", "2025-02-28"), ("2026-08", "2026-08-31")] {
        let single = rate_csv(&[EXAMPLE, "--period", "month", "--as-of", end]);
        same(&row(&monthly, month), &single.rows[0]);
    }
}

#[test]
fn by_quarter_has_one_row_per_quarter_end() {
    let csv = rate_csv(&[EXAMPLE, "--by", "quarter", "--period", "quarter"]);
    let quarters: Vec<&str> = csv.rows.iter().map(|r| r["quarter"].as_str()).collect();
    // 2026-10-31 is not a quarter end: the quarter in progress is left out.
    assert_eq!(
        quarters,
        [
            "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"
        ]
    );
}

#[test]
fn by_cohort_counts_each_customer_in_their_first_visit_month() {
    let csv = rate_csv(&[EXAMPLE, "--by", "cohort"]);
    let cohorts: Vec<&str> = csv.rows.iter().map(|r| r["cohort"].as_str()).collect();
    assert!(cohorts.windows(2).all(|w| w[0] < w[1]), "{cohorts:?}");
    let sum = |c: &str| csv.rows.iter().map(|r| num(r, c)).sum::<f64>();
    let overall = rate_csv(&[EXAMPLE]);
    assert_eq!(sum("customers"), num(&overall.rows[0], "customers"));
    assert_eq!(sum("defected"), num(&overall.rows[0], "defected"));

    let quarterly = rate_csv(&[EXAMPLE, "--by", "cohort", "--cohort-unit", "quarter"]);
    assert_eq!(quarterly.rows[0]["cohort"], "2024-Q4");
}

#[test]
fn cohort_shares_are_shares_and_fall_when_nobody_comes_back() {
    let out = rate(&[EXAMPLE, "--cohorts", "--format", "csv"]);
    assert_eq!(
        out.lines().next(),
        Some("cohort,months_since,customers,retained,share_retained,returned")
    );
    let csv = Csv::parse(&out);
    for r in &csv.rows {
        let share = num(r, "share_retained");
        let back = num(r, "returned");
        assert!(num(r, "retained") + back <= num(r, "customers"), "{r:?}");
        assert!((0.0..=1.0).contains(&share), "{r:?}");
        if r["months_since"] == "0" {
            // everyone is new in their first month, and new customers are active
            assert_eq!(share, 1.0, "{r:?}");
        }
    }
    let first: Vec<_> = csv
        .rows
        .iter()
        .filter(|r| r["cohort"] == "2024-11")
        .collect();
    assert_eq!(first.len(), 24, "months 0 to 23 have ended by 2026-10-31");
    assert!(
        first
            .iter()
            .all(|r| r["customers"] == first[0]["customers"])
    );

    // stores.csv: one cohort; two customers leave in March 2026 and never come back.
    let csv = rate_csv(&[STORES, "--cohorts"]);
    let shares: Vec<f64> = csv.rows.iter().map(|r| num(r, "share_retained")).collect();
    assert_eq!(shares.len(), 24);
    assert!(shares.windows(2).all(|w| w[1] <= w[0]), "{shares:?}");
    assert_eq!(shares[0], 1.0);
    assert_eq!(shares[23], 0.75, "6 of 8 retained");
    assert!(csv.rows.iter().all(|r| r["cohort"] == "2024-11"));
}

/// Retention never rises: a customer judged defected who comes back is "returned".
#[test]
fn cohort_retention_never_rises_and_comebacks_count_apart() {
    let csv = rate_csv(&[EXAMPLE, "--cohorts"]);
    let mut by_cohort: std::collections::BTreeMap<String, Vec<(f64, f64)>> = Default::default();
    for r in &csv.rows {
        by_cohort
            .entry(r["cohort"].clone())
            .or_default()
            .push((num(r, "share_retained"), num(r, "returned")));
    }
    let mut comebacks = 0.0;
    for (cohort, steps) in &by_cohort {
        assert!(
            steps.windows(2).all(|w| w[1].0 <= w[0].0),
            "{cohort}: {steps:?}"
        );
        comebacks += steps.iter().map(|s| s.1).sum::<f64>();
    }
    assert!(comebacks > 0.0, "the example has customers who came back");
}

#[test]
fn the_tenure_curve_sums_each_complete_year() {
    let out = rate(&[TENURE, "--tenure", "--format", "csv"]);
    assert_eq!(
        out,
        "tenure_year,customers,revenue,revenue_per_customer,visiting,revenue_per_visiting\n\
         1,3,205.00,68.33,3,68.33\n\
         2,3,210.00,70.00,2,105.00\n\
         3,1,0.00,0.00,0,0.00\n"
    );
}

#[test]
fn markdown_by_store() {
    let md = rate(&[STORES, "--by", "store", "--format", "markdown"]);
    insta::assert_snapshot!("stores_by_store_markdown", md);
}

#[test]
fn by_a_column_the_input_lacks_names_the_flag_that_maps_it() {
    let err = error_line(&run(&["rate", TENURE, "--by", "store"]));
    assert_eq!(
        err,
        "churn: testdata/rate/tenure.csv: --by store needs a store column, and none was \
         found; columns found: \"customer_id\", \"date\", \"amount\". Map it with --store-col NAME"
    );
}

#[test]
fn views_that_exclude_each_other_are_usage_errors() {
    for args in [
        &["rate", STORES, "--cohorts", "--by", "store"][..],
        &["rate", STORES, "--tenure", "--cohorts"],
        &["rate", STORES, "--tenure", "--period", "month"],
        &["rate", STORES, "--by", "weekday"],
    ] {
        let out = churn().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(stdout(&out), "");
    }
}

#[test]
fn a_trend_without_enough_history_says_why() {
    let out = rate(&[
        STORES,
        "--by",
        "month",
        "--period",
        "year",
        "--as-of",
        "2025-06-30",
    ]);
    assert!(
        out.contains("No month end up to 2025-06-30 has 12 months of data before it."),
        "{out}"
    );
    let csv = rate(&[
        STORES,
        "--by",
        "month",
        "--period",
        "year",
        "--as-of",
        "2025-06-30",
        "--format",
        "csv",
    ]);
    assert_eq!(csv.lines().count(), 1, "the header only: {csv}");
}

#[test]
fn defector_profiles_by_first_store_and_tenure() {
    let text = rate(&[
        "examples/purchases.csv",
        "--by",
        "first-store",
        "--format",
        "csv",
    ]);
    assert!(
        text.starts_with("first_store,customers,defected,defection_rate,"),
        "{text}"
    );
    // Every customer active at the start belongs to exactly one first store.
    let total: u64 = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(total, 113);
    let text = rate(&[
        "examples/purchases.csv",
        "--by",
        "tenure",
        "--format",
        "csv",
    ]);
    assert!(text.starts_with("tenure,customers,"), "{text}");
    assert!(text.contains("\n0-1 years,113,35,"), "{text}");
}

#[test]
fn by_first_store_names_the_flag_value_and_the_store_column() {
    let err = error_line(&run(&["rate", TENURE, "--by", "first-store"]));
    assert!(
        err.contains("--by first-store needs a store column")
            && err.ends_with("Map it with --store-col NAME"),
        "{err}"
    );
}
