//! "What changed this month" on data where the changes are planted: customers who stop
//! coming in the last month, customers whose spend recovers, and steady customers.

#[allow(dead_code)]
mod common;

use chrono::{Days, NaiveDate};
use common::{json, run};

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// Weekly visits from `from` to `to`, spending `spend(day)`.
fn weekly(out: &mut String, id: &str, from: &str, to: &str, spend: impl Fn(NaiveDate) -> f64) {
    let (mut d, end) = (date(from), date(to));
    while d <= end {
        out.push_str(&format!("{id},{d},{:.2}\n", spend(d)));
        d = d + Days::new(7);
    }
}

#[test]
fn planted_defections_and_recoveries_are_the_changes() {
    let mut csv = String::from("customer_id,date,amount\n");
    for i in 0..6 {
        let start = format!("2025-01-0{}", i + 1);
        weekly(&mut csv, &format!("S{i}"), &start, "2026-10-31", |_| 20.0);
    }
    // Stopped six weeks ago: silent 14 days at the end of September, 45 days now.
    for i in 0..3 {
        weekly(
            &mut csv,
            &format!("A{i}"),
            "2025-01-02",
            "2026-09-16",
            |_| 30.0,
        );
    }
    // Spent a fifth of their usual for six weeks in July and August, then as before.
    for i in 0..3 {
        weekly(
            &mut csv,
            &format!("B{i}"),
            "2025-01-03",
            "2026-10-30",
            |d| {
                if d >= date("2026-07-01") && d <= date("2026-08-15") {
                    10.0
                } else {
                    50.0
                }
            },
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("planted.csv");
    std::fs::write(&file, csv).unwrap();
    let doc = json(&run(&[
        "scan",
        file.to_str().unwrap(),
        "--changes",
        "--as-of",
        "2026-10-31",
        "--format",
        "json",
    ]));
    let ids = |key: &str| -> Vec<String> {
        let mut v: Vec<String> = doc[key]
            .as_array()
            .unwrap_or_else(|| panic!("{key} in {doc}"))
            .iter()
            .map(|m| m["customer_id"].as_str().unwrap().to_string())
            .collect();
        v.sort();
        v
    };
    assert_eq!(doc["since"], "2026-09-30");
    assert_eq!(ids("newly_defected"), ["A0", "A1", "A2"], "{doc}");
    assert_eq!(ids("won_back"), ["B0", "B1", "B2"], "{doc}");
    assert_eq!(ids("newly_at_risk"), Vec::<String>::new(), "{doc}");
    for m in doc["won_back"].as_array().unwrap() {
        assert_eq!(m["before"], "at_risk");
        assert!(m["value_at_stake"].as_f64().unwrap() > 1000.0, "{m}");
    }
    // The headline figures carry their value at the previous month end.
    let headline = doc["headline"].as_array().unwrap();
    let at_risk = headline.iter().find(|f| f["key"] == "at_risk").unwrap();
    assert_eq!(at_risk["value"], 0.0);
    assert_eq!(at_risk["previous"], 3.0);
}
