//! `churn backtest`: the user's own check of the value forecasts, on CDNOW (where the
//! textbook model's holdout figures are known) and on BTYDplus's grocery visits.

#[allow(dead_code)]
mod common;
mod real_data;

use churn::metrics::backtest::{self, Method, MethodErrors};
use churn::metrics::btyd::VisitModel;
use churn::rules::RuleConfig;
use serde_json::Value;

/// CDNOW as `customer_id,date,amount` in a temporary directory.
fn cdnow_csv() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cdnow.csv");
    std::fs::write(&path, real_data::cdnow_csv()).unwrap();
    (dir, path)
}

/// `churn backtest CDNOW --as-of 1997-09-30 --horizon 39w --format FORMAT`, checked for success.
fn backtest_cdnow(path: &std::path::Path, format: &str) -> std::process::Output {
    let path = path.to_str().unwrap();
    let args = [
        "backtest",
        path,
        "--as-of",
        "1997-09-30",
        "--horizon",
        "39w",
    ];
    let out = common::run(&[&args[..], &["--format", format]].concat());
    common::success(&out);
    out
}

fn method<'a>(methods: &'a Value, key: &str) -> &'a Value {
    methods
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["method"] == key)
        .unwrap()
}

#[test]
fn cdnow_backtest_reproduces_the_textbook_holdout() {
    let (_dir, path) = cdnow_csv();
    let out = backtest_cdnow(&path, "json");
    let json: Value = common::json(&out);
    assert_eq!(json["customers"], 2357);
    assert_eq!(json["until"], "1998-06-30");
    let all = &json["segments"][0];
    assert_eq!(all["segment"], "all");
    // FHL05a's holdout: 1,882 transactions; BG/NBD (r = 0.243, α = 4.414, a = 0.793,
    // b = 2.426) forecasts 1,653.4 of them, customer by customer.
    let bg = method(&all["methods"], "bgnbd_gamma_gamma");
    assert_eq!(bg["visits"]["actual"], 1882.0);
    let predicted = bg["visits"]["predicted"].as_f64().unwrap();
    assert!((predicted - 1653.4).abs() < 1.0, "{predicted}");
    // Each method's errors are there, and churn's model is no worse per customer.
    let churn = method(&all["methods"], "churn");
    let mae = |m: &Value| m["revenue"]["mae"].as_f64().unwrap();
    assert!(mae(churn) <= mae(bg), "{} vs {}", mae(churn), mae(bg));
    assert!(mae(method(&all["methods"], "naive")) > mae(bg));
    // The statuses: 55 customers called defected, most of whom stayed down.
    let rules = &json["statuses"][0];
    assert_eq!(rules["flagged_by"], "churn rules");
    assert!(rules["share"].as_f64().unwrap() > 0.8, "{rules}");
    assert!(json["corrections"]["learning"]["judged_at"].is_string());
}

#[test]
fn every_format_shows_the_methods() {
    let (_dir, path) = cdnow_csv();
    let run = |format: &str| common::stdout(&backtest_cdnow(&path, format));
    let table = run("table");
    // Fitted to 100 columns, the method's name may wrap in its cell.
    assert!(
        table.contains("BG/NBD +") && table.contains("Gamma-Gamma"),
        "{table}"
    );
    assert!(
        table.contains("1,882.00"),
        "the actual holdout visits: {table}"
    );
    assert!(table.contains("no visit for 90 days"));
    let csv = run("csv");
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("segment,customers,method,measure,mae,rmse,predicted,actual,total_error")
    );
    // 3 segments × 3 methods × 2 measures.
    assert_eq!(lines.count(), 18);
    assert!(csv.contains("all,2357,bgnbd_gamma_gamma,visits,"));
    let md = run("markdown");
    assert!(md.starts_with("# churn backtest: "));
    assert!(md.contains("| all (2,357) | naive (own past rate) |"));
}

#[test]
fn without_as_of_the_forecast_ends_with_the_data() {
    let (_dir, path) = cdnow_csv();
    let out = common::run(&[
        "backtest",
        path.to_str().unwrap(),
        "--horizon",
        "26w",
        "--format",
        "json",
    ]);
    let json: Value = common::json(&out);
    assert_eq!(json["until"], "1998-06-30");
    assert_eq!(json["as_of"], "1997-12-30");
    assert_eq!(json["horizon_covered"], true);
}

#[test]
fn a_forecast_with_nothing_after_it_is_an_error() {
    let (_dir, path) = cdnow_csv();
    let out = common::run(&["backtest", path.to_str().unwrap(), "--as-of", "1998-06-30"]);
    let line = common::error_line(&out);
    assert!(line.contains("nothing happened after 1998-06-30"), "{line}");
    assert!(line.contains("--as-of"), "{line}");
}

fn errors(methods: &[MethodErrors], m: Method) -> &MethodErrors {
    methods.iter().find(|e| e.method == m).unwrap()
}

#[test]
fn on_grocery_visits_the_regularity_model_beats_bgnbd() {
    let Some(purchases) = real_data::grocery() else {
        eprintln!("../shared/data/grocery is missing: skipped");
        return;
    };
    // BTYDplus's split: 2006 to calibrate, 2007 to forecast.
    let b = backtest::backtest(
        &purchases,
        real_data::day(2006, 12, 31),
        364.0,
        false,
        &RuleConfig::default(),
        VisitModel::Auto,
    )
    .unwrap();
    assert_eq!(b.visit_model, "MBG/CNBD-2");
    let all = &b.segments[0];
    let churn = errors(&all.methods, Method::Churn).visits;
    let bg = errors(&all.methods, Method::BgnbdGammaGamma).visits;
    println!("grocery: churn {churn:?}\n BG/NBD {bg:?}");
    // 3,389 visits in 2007.
    assert_eq!(churn.actual, 3389.0);
    assert!(churn.mae < 0.92 * bg.mae, "{churn:?} vs {bg:?}");
    assert!(churn.rmse <= bg.rmse, "{churn:?} vs {bg:?}");
    assert!(
        (churn.predicted / churn.actual - 1.0).abs() < 0.1,
        "{churn:?}"
    );
    let regular = &b.segments[1];
    assert_eq!(regular.segment, "regular");
    let r_churn = errors(&regular.methods, Method::Churn).visits;
    let r_bg = errors(&regular.methods, Method::BgnbdGammaGamma).visits;
    assert!(r_churn.mae < 0.95 * r_bg.mae, "{r_churn:?} vs {r_bg:?}");
}
