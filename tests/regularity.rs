//! The regularity-aware visit models on real customers: BTYDplus's grocery visits, the data
//! set its authors use to show that (M)BG/CNBD-k fits regular shoppers better than BG/NBD.

mod real_data;

use churn::history;
use churn::metrics::btyd::{Cnbd, VisitModel};
use churn::metrics::clv::{self, CustomerInput, Options};
use churn::rules::{self, RuleConfig};

/// Every customer's model inputs as of `as_of` (52 weeks after the cohort's start).
fn inputs(
    purchases: &churn::normalize::Purchases,
    as_of: churn::normalize::Day,
) -> Vec<CustomerInput> {
    let config = RuleConfig::default();
    let (rows, _) = history::group(purchases, as_of, false, |h| {
        let judgement = rules::judge(h, as_of, &config);
        clv::customer_input(h, as_of, &judgement, 364.0)
    });
    rows.into_iter().flatten().collect()
}

#[test]
fn grocery_visits_are_regular() {
    let Some(purchases) = real_data::grocery() else {
        eprintln!("../shared/data/grocery is missing: skipped");
        return;
    };
    // The BTYDplus vignette's calibration: 2006 (the cohort joined in its first quarter).
    let inputs = inputs(&purchases, real_data::day(2006, 12, 31));
    assert_eq!(inputs.len(), 1525);
    let fitted = clv::fit(&inputs).unwrap();
    let visits = &fitted.model.visits;
    println!("{}\n{:#?}", visits.reason, visits.candidates);
    let bg = visits
        .candidates
        .iter()
        .find(|c| c.name == "BG/NBD")
        .unwrap();
    // BTYDplus's demo (demo/mbg-cnbd-k.R) on the same split finds k = 2 with MBG/CNBD-k.
    let chosen: &Cnbd = &visits.fit.params;
    assert_eq!(
        (chosen.k, chosen.dropout_at_first),
        (2, true),
        "{}",
        visits.reason
    );
    assert!(
        visits.fit.log_likelihood > bg.log_likelihood + 100.0,
        "{}",
        visits.reason
    );
    assert!(visits.fit.converged, "{:?}", visits.fit);
    // BG/NBD stays available on request, with the same likelihood as in the comparison.
    let options = Options {
        model: VisitModel::Bgnbd,
        ..Options::default()
    };
    let plain = clv::fit_with(&inputs, &options).unwrap();
    assert_eq!(plain.model.visits.name, "BG/NBD");
    assert!((plain.model.visits.fit.log_likelihood - bg.log_likelihood).abs() < 1e-6);
}
