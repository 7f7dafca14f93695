//! Does the lifetime-value model predict? Fit on purchases up to a cut-off, predict each
//! customer's revenue over the following weeks, and compare with what they really
//! spent (issue #5). Per-customer mean absolute error of:
//! - churn: the visit model chosen on the data + Gamma-Gamma, corrected by the defection
//!   rules with factors learned from the history before the cut-off,
//! - plain: BG/NBD + Gamma-Gamma without corrections,
//! - naive: the same revenue per week as in their last 12 months before the cut-off.

mod real_data;

use std::collections::HashMap;

use churn::history;
use churn::metrics::btyd::VisitModel;
use churn::metrics::clv::{self, Corrections, CustomerInput, Options, Settings};
use churn::normalize::{Day, Purchases, date::to_day};
use churn::rules::{self, RuleConfig};
use churn::sample::{self, SampleConfig};

struct Errors {
    churn: f64,
    plain: f64,
    naive: f64,
    customers: usize,
    /// Mean absolute errors among the customers the rules corrected.
    corrected: usize,
    corrected_churn: f64,
    corrected_plain: f64,
}

/// Fits at `cutoff`, predicts `weeks` ahead, and measures against the purchases after.
fn holdout(purchases: &Purchases, cutoff: Day, weeks: f64) -> Errors {
    let config = RuleConfig::default();
    let end = cutoff + (weeks * 7.0).round() as Day;
    // What each customer really spent after the cut-off.
    let (actual, _) = history::group(purchases, end, false, |h| {
        (h.customer, h.revenue_between(cutoff + 1, end + 1))
    });
    let actual: HashMap<u32, f64> = actual.into_iter().collect();
    let (rows, _) = history::group(purchases, cutoff, false, |h| {
        let judgement = rules::judge(h, cutoff, &config);
        let last_year = h.revenue_between(cutoff - 364, cutoff + 1);
        clv::customer_input(h, cutoff, &judgement, weeks * 7.0).map(|c| (c, last_year))
    });
    let rows: Vec<(CustomerInput, f64)> = rows.into_iter().flatten().collect();
    let inputs: Vec<CustomerInput> = rows.iter().map(|(c, _)| c.clone()).collect();
    let settings = Settings {
        horizon_days: weeks * 7.0,
        annual_discount: 0.0,
        margin: 1.0,
    };
    let learned = clv::learn_corrections(
        purchases,
        cutoff,
        false,
        &config,
        weeks * 7.0,
        VisitModel::Auto,
    )
    .unwrap();
    let options = Options {
        model: VisitModel::Auto,
        corrections: learned,
        ..Options::default()
    };
    let ours = clv::lifetime_values_with(&inputs, &settings, &options).unwrap();
    let textbook = Options {
        model: VisitModel::Bgnbd,
        corrections: Corrections::none("the textbook model"),
        ..Options::default()
    };
    let plain = clv::lifetime_values_with(&inputs, &settings, &textbook).unwrap();
    if std::env::var_os("CHURN_CLV_VERBOSE").is_some() {
        eprintln!("{:#?}", ours.model.corrections);
    }
    let mut e = Errors {
        churn: 0.0,
        plain: 0.0,
        naive: 0.0,
        customers: rows.len(),
        corrected: 0,
        corrected_churn: 0.0,
        corrected_plain: 0.0,
    };
    let mut by: HashMap<&str, (usize, f64, f64)> = HashMap::new();
    let (mut corrected, mut corrected_churn, mut corrected_plain) = (0usize, 0.0, 0.0);
    for (i, (c, last_year)) in rows.iter().enumerate() {
        let truth = actual.get(&c.customer).copied().unwrap_or(0.0);
        let k = ours.customers[i].correction.unwrap_or("none");
        let t = by.entry(k).or_insert((0, 0.0, 0.0));
        t.0 += 1;
        t.1 += (ours.customers[i].predicted_revenue - truth).abs();
        t.2 += (plain.customers[i].predicted_revenue - truth).abs();
        if k != "none" {
            corrected += 1;
            corrected_churn += (ours.customers[i].predicted_revenue - truth).abs();
            corrected_plain += (plain.customers[i].predicted_revenue - truth).abs();
        }
        e.churn += (ours.customers[i].predicted_revenue - truth).abs();
        e.plain += (plain.customers[i].predicted_revenue - truth).abs();
        e.naive += (last_year * weeks * 7.0 / 365.0 - truth).abs();
    }
    if std::env::var_os("CHURN_CLV_VERBOSE").is_some() {
        for (k, (n, a, b)) in &by {
            eprintln!(
                "  {k}: {n} customers, error churn {:.1} plain {:.1}",
                a / *n as f64,
                b / *n as f64
            );
        }
    }
    e.corrected = corrected;
    e.corrected_churn = corrected_churn / corrected.max(1) as f64;
    e.corrected_plain = corrected_plain / corrected.max(1) as f64;
    let n = e.customers as f64;
    e.churn /= n;
    e.plain /= n;
    e.naive /= n;
    eprintln!(
        "{} customers, {weeks} weeks: mean absolute error churn {:.2}, plain BG/NBD+GG {:.2}, naive {:.2}",
        e.customers, e.churn, e.plain, e.naive
    );
    eprintln!(
        "  among the {} customers the rules corrected: churn {:.2}, plain {:.2}",
        e.corrected, e.corrected_churn, e.corrected_plain
    );
    e
}

#[test]
fn on_generated_data_learned_corrections_cost_little() {
    let cfg = SampleConfig {
        customers: 2000,
        seed: 5,
        ..SampleConfig::default()
    };
    let data = sample::generate(&cfg);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("purchases.csv");
    let mut bytes = Vec::new();
    sample::write_purchases(&data.lines, &mut bytes).unwrap();
    std::fs::write(&path, bytes).unwrap();
    let purchases = real_data::load(&path);
    // Fit up to 26 weeks before the end, predict those 26 weeks.
    let cutoff = to_day(cfg.as_of) - 182;
    let e = holdout(&purchases, cutoff, 26.0);
    // The generator plants its defections shortly before its end: customers the rules
    // flagged a year before the end did what the model said, so the data's own history
    // gives the rules little weight (taken at face value, as before, they gained 3% here;
    // on the real data sets neither way was better throughout). Learning may cost a
    // little, never much.
    assert!(e.corrected > 200, "{}", e.corrected);
    assert!(
        e.churn < 1.02 * e.plain,
        "churn {} vs plain {}",
        e.churn,
        e.plain
    );
    assert!(e.churn < e.naive, "churn {} vs naive {}", e.churn, e.naive);
}

#[test]
fn on_cdnow_the_model_predicts_the_holdout_as_published() {
    // CDNOW: calibration to 1997-09-30, holdout the next 39 weeks (Fader, Hardie & Lee
    // 2005), through churn's own loader.
    let purchases = real_data::cdnow();
    let cutoff = to_day(chrono::NaiveDate::from_ymd_opt(1997, 9, 30).unwrap());
    let e = holdout(&purchases, cutoff, 39.0);
    assert_eq!(e.customers, 2357);
    // The rules have little to correct in CDNOW (few customers with a rhythm), so churn
    // must be at least as good as the plain model, and both better than naive.
    assert!(
        e.churn <= e.plain * 1.01,
        "churn {} vs plain {}",
        e.churn,
        e.plain
    );
    assert!(e.plain < e.naive, "plain {} vs naive {}", e.plain, e.naive);
}
