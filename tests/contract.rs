//! The contract for machines: every command's `--format json` has a top-level `summary`
//! with the same keys and, on the same input and flags, the same values.

#[allow(dead_code)]
mod common;

use common::{json, run};

const PURCHASES: &str = "examples/purchases.csv";
const FEEDBACK: &str = "examples/feedback.csv";

/// The keys the README documents, in every command's summary.
const KEYS: [&str; 15] = [
    "as_of",
    "period_start",
    "period_end",
    "months_of_data",
    "customers",
    "active",
    "at_risk",
    "defected",
    "defection_rate",
    "defection_rate_low",
    "defection_rate_high",
    "revenue_lost",
    "revenue_at_risk",
    "currency",
    "warnings",
];

#[test]
fn every_command_shows_the_same_summary() {
    let feedback = ["--feedback", FEEDBACK];
    let runs: Vec<(&str, Vec<&str>)> = vec![
        ("scan", vec!["scan", PURCHASES, "--format", "json"]),
        ("rate", vec!["rate", PURCHASES, "--format", "json"]),
        ("clv", vec!["clv", PURCHASES, "--format", "json"]),
        ("contacts", vec!["contacts", PURCHASES, "--format", "json"]),
        ("reasons", vec!["reasons", PURCHASES, "--format", "json"]),
        ("report", vec!["report", PURCHASES, "--format", "json"]),
        (
            "rate --by store",
            vec!["rate", PURCHASES, "--by", "store", "--format", "json"],
        ),
    ];
    let mut summaries = Vec::new();
    for (name, mut args) in runs {
        if matches!(name, "reasons" | "report" | "contacts") {
            args.extend(feedback);
        }
        let doc = json(&run(&args));
        assert_eq!(doc["schema_version"], 2, "{name}");
        let summary = doc["summary"].clone();
        for key in KEYS {
            assert!(
                summary.get(key).is_some(),
                "{name}: summary.{key} missing in {summary}"
            );
        }
        summaries.push((name, summary));
    }
    let (first, reference) = &summaries[0];
    for (name, summary) in &summaries[1..] {
        for (key, value) in reference.as_object().unwrap() {
            assert_eq!(
                &summary[key], value,
                "summary.{key}: {first} and {name} differ"
            );
        }
        assert_eq!(summary, reference, "{first} and {name}");
    }
    // The figures themselves, once: 35 of 113 defected in the year.
    assert_eq!(reference["period_customers"], 113);
    assert_eq!(reference["period_defectors"], 35);
    assert_eq!(reference["months_of_data"], 24);
    assert_eq!(reference["currency"], serde_json::Value::Null);
}

#[test]
fn the_same_flags_change_every_summary_alike() {
    let args = ["--as-of", "2026-06-30", "--dedupe", "--currency", "kr"];
    let scan = json(&run(
        &[&["scan", PURCHASES, "--format", "json"][..], &args].concat()
    ));
    let rate = json(&run(
        &[&["rate", PURCHASES, "--format", "json"][..], &args].concat()
    ));
    assert_eq!(scan["summary"], rate["summary"]);
    assert_eq!(scan["summary"]["as_of"], "2026-06-30");
    assert_eq!(scan["summary"]["currency"], "kr");
}
