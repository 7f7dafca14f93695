//! `churn reasons` on generated feedback with planted causes (issue #6): a reason tied
//! to one employee, a rare reason with little value behind it, a common high-value
//! reason, praise from customers who stayed, and reasons written in many spellings.

use assert_cmd::Command;
use churn::sample::feedback_truth;
use serde_json::Value;

fn churn() -> Command {
    Command::cargo_bin("churn").unwrap()
}

fn reasons_json(extra: &[&str]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    churn()
        .args([
            "sample",
            "--customers",
            "1500",
            "--seed",
            "42",
            "--feedback",
            "-o",
        ])
        .arg(dir.path())
        .assert()
        .success();
    let out = churn()
        .arg("reasons")
        .arg(dir.path().join("purchases.csv"))
        .arg("--feedback")
        .arg(dir.path().join("feedback.csv"))
        .args(["--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn names(rows: &Value) -> Vec<String> {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| r["reason"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn reasons_are_ranked_by_value_lost_and_praise_stays_apart() {
    let truth = feedback_truth();
    let r = reasons_json(&[]);
    let rows = &r["rows"];
    let reasons = names(rows);
    // The common reason of valuable customers leads; the rare one with little value
    // behind it comes last among reasons given by several customers.
    assert_eq!(reasons[0], truth.common_reason, "{reasons:?}");
    let row = |name: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|x| x["reason"] == name)
            .unwrap()
            .clone()
    };
    let rare = row(&truth.rare_reason);
    let top = row(&truth.common_reason);
    let cited = rare["defectors"].as_u64().unwrap() + rare["at_risk"].as_u64().unwrap();
    assert!(cited <= truth.rare_reason_max_customers as u64, "{rare}");
    assert!(rare["value_lost"].as_f64().unwrap() < 0.1 * top["value_lost"].as_f64().unwrap());
    // Spelling variants ("RUDE STAFF.", "Rude  staff!") are one reason.
    let mut keys: Vec<String> = reasons
        .iter()
        .map(|r| churn::metrics::reasons::reason_key(r))
        .collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), reasons.len(), "{reasons:?}");
    // Praise comes from customers who stayed: never a reason for leaving.
    for praise in &truth.praise_reasons {
        assert!(
            !reasons.contains(praise),
            "{praise} among reasons for leaving"
        );
        assert!(
            names(&r["active"]).contains(praise),
            "{praise} not shown apart"
        );
    }
    // Roughly the planted share of defectors gave feedback.
    let share = r["feedback_share"].as_f64().unwrap();
    assert!(
        (share - truth.defector_feedback_share).abs() < 0.1,
        "{share}"
    );
}

#[test]
fn the_reason_tied_to_one_employee_shows_in_the_by_employee_view() {
    let truth = feedback_truth();
    let r = reasons_json(&["--by", "employee"]);
    let groups = r["groups"].as_array().unwrap();
    let top_reason = |g: &Value| g["reasons"][0][0].as_str().map(str::to_string);
    let rude = groups
        .iter()
        .find(|g| g["group"] == truth.rude_employee.as_str())
        .unwrap();
    assert_eq!(
        top_reason(rude).as_deref(),
        Some(truth.rude_reason.as_str()),
        "{rude}"
    );
    // ...and nowhere else is it the top reason.
    for g in groups
        .iter()
        .filter(|g| g["group"] != truth.rude_employee.as_str())
    {
        assert_ne!(
            top_reason(g).as_deref(),
            Some(truth.rude_reason.as_str()),
            "{g}"
        );
    }
    // Their customers' expectation gap is the widest of all employees.
    let gaps = r["gap_by_employee"].as_array().unwrap();
    assert_eq!(gaps[0]["group"], truth.rude_employee.as_str(), "{gaps:?}");
}

#[test]
fn reasons_without_feedback_says_what_to_pass() {
    let out = churn()
        .args(["reasons", "examples/purchases.csv"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err.trim_end(),
        "churn: churn reasons needs the customers' feedback: pass --feedback FILE"
    );
}

#[test]
fn reasons_csv_has_the_documented_columns() {
    let out = churn()
        .args([
            "reasons",
            "examples/purchases.csv",
            "--feedback",
            "examples/feedback.csv",
            "--format",
            "csv",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with(
        "reason,defectors,at_risk,share,value_lost,expectation_gap,value_at_risk,ratings,examples\n"
    ));
    assert!(text.lines().count() > 4);
}

#[test]
fn scan_with_feedback_adds_the_latest_reason_and_date() {
    let out = churn()
        .args([
            "scan",
            "examples/purchases.csv",
            "--feedback",
            "examples/feedback.csv",
            "--format",
            "csv",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut rows = csv::Reader::from_reader(text.as_bytes());
    let header = rows.headers().unwrap().clone();
    let reason = header.iter().position(|h| h == "feedback_reason").unwrap();
    let date = header.iter().position(|h| h == "feedback_date").unwrap();
    assert_eq!(date, header.len() - 1);
    let with: Vec<csv::StringRecord> = rows
        .records()
        .map(|r| r.unwrap())
        .filter(|r| !r[reason].is_empty())
        .collect();
    assert!(with.len() > 20, "{}", with.len());
    for r in &with {
        assert!(
            chrono::NaiveDate::parse_from_str(&r[date], "%Y-%m-%d").is_ok(),
            "{r:?}"
        );
        assert!(!r[reason].contains("  "), "{r:?}");
    }
}

#[test]
fn the_config_maps_codes_and_texts_to_named_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("churn.toml");
    std::fs::write(
        &config,
        "[reasons]\n\"competitor cheaper\" = \"Price\"\n\"Quality dropped\" = \"Price\"\n",
    )
    .unwrap();
    let out = churn()
        .args([
            "reasons",
            "examples/purchases.csv",
            "--feedback",
            "examples/feedback.csv",
            "--format",
            "csv",
            "--config",
        ])
        .arg(&config)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let reasons: Vec<&str> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert!(reasons.contains(&"Price"), "{reasons:?}");
    assert!(
        !reasons.contains(&"Competitor cheaper") && !reasons.contains(&"Quality dropped"),
        "{reasons:?}"
    );
}
