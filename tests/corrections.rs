//! The rules' corrections are learned from the data's own history: on purchases where the
//! customers the rules flagged as halved stayed down, the learned correction trusts the rule;
//! where they came back, it does not.

mod real_data;

use std::fmt::Write as _;

use churn::metrics::btyd::VisitModel;
use churn::metrics::clv::{self, Corrections, Options, Settings};
use churn::normalize::{Day, date::to_date};
use churn::rules::RuleConfig;

/// 300 customers who come every 6 to 8 days from 2024 on, and 100 who do the same but come
/// only every 21 days from `slow_from` to `slow_until`.
fn purchases_csv(slow_from: Day, slow_until: Day, end: Day) -> String {
    let mut csv = String::from("customer_id,date,amount\n");
    for c in 0..400 {
        let period = 6 + c % 3;
        let mut day = real_data::day(2024, 1, 1) + (c % 7) as Day;
        while day <= end {
            writeln!(csv, "c{c},{},{}", to_date(day), 20 + c % 5).unwrap();
            let slowed = c >= 300 && day >= slow_from && day < slow_until;
            day += if slowed { 21 } else { period as Day };
        }
    }
    csv
}

/// The learned `partial_defection` correction, and how it changes the flagged customers'
/// expected visits over the next 26 weeks.
fn learned(slow_until: Day) -> (f64, usize, f64, f64) {
    let as_of = real_data::day(2025, 12, 31);
    // Slowed well before the learning date (as_of minus 26 weeks), so the rule sees it there.
    let slow_from = as_of - 182 - 75;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("purchases.csv");
    std::fs::write(&path, purchases_csv(slow_from, slow_until, as_of)).unwrap();
    let purchases = real_data::load(&path);
    let config = RuleConfig::default();
    let corrections =
        clv::learn_corrections(&purchases, as_of, false, &config, 182.0, VisitModel::Auto).unwrap();
    let factor = corrections
        .factor("partial_defection")
        .unwrap_or_else(|| panic!("no partial_defection group: {corrections:#?}"))
        .clone();
    // The same customers judged at the learning date, valued with and without the correction.
    let from = as_of - 182;
    let (inputs, _) = churn::history::group(&purchases, from, false, |h| {
        let j = churn::rules::judge(h, from, &config);
        clv::customer_input(h, from, &j, 182.0)
    });
    let inputs: Vec<_> = inputs.into_iter().flatten().collect();
    let settings = Settings {
        horizon_days: 182.0,
        annual_discount: 0.0,
        margin: 1.0,
    };
    let value = |corrections: Corrections| {
        let options = Options {
            model: VisitModel::Auto,
            corrections,
            ..Options::default()
        };
        let fitted = clv::fit_with(&inputs, &options).unwrap();
        inputs
            .iter()
            .filter(|c| clv::flag_of(c) == "partial_defection")
            .map(|c| fitted.value(c, &settings).unwrap().predicted_visits)
            .sum::<f64>()
    };
    let flagged = inputs
        .iter()
        .filter(|c| clv::flag_of(c) == "partial_defection")
        .count();
    (
        factor.strength,
        flagged,
        value(corrections),
        value(Corrections::none("plain")),
    )
}

#[test]
fn customers_who_stayed_down_teach_the_rule_to_be_trusted() {
    let as_of = real_data::day(2025, 12, 31);
    let (strength, flagged, corrected, plain) = learned(as_of + 1);
    println!(
        "stayed down: strength {strength:.3}, {flagged} flagged, {corrected:.1} vs {plain:.1}"
    );
    // About a third of them are called partial defectors at the learning date (the others
    // slowing or still within their baseline).
    assert!(flagged >= 25, "{flagged}");
    // 0.59 with the prior worth 20 customers.
    assert!(strength > 0.4, "{strength}");
    // They come every 21 days: about 8.7 visits in 26 weeks, not the ~17 of their past.
    assert!(corrected < 0.75 * plain, "{corrected} vs {plain}");
}

#[test]
fn customers_who_came_back_teach_the_rule_to_be_doubted() {
    let as_of = real_data::day(2025, 12, 31);
    let (strength, flagged, corrected, plain) = learned(as_of - 182);
    println!("came back: strength {strength:.3}, {flagged} flagged, {corrected:.1} vs {plain:.1}");
    assert!(flagged >= 25, "{flagged}");
    assert!(strength.abs() < 0.2, "{strength}");
    assert!(corrected > 0.95 * plain, "{corrected} vs {plain}");
}

#[test]
fn too_little_history_learns_nothing_and_says_why() {
    // Three weeks of weekly visits: nothing to learn from.
    let mut csv = String::from("customer_id,date,amount\n");
    for c in 0..50 {
        for w in 0..3 {
            writeln!(csv, "c{c},2025-12-{:02},10", 1 + 7 * w + c % 7).unwrap();
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("purchases.csv");
    std::fs::write(&path, csv).unwrap();
    let purchases = real_data::load(&path);
    let c = clv::learn_corrections(
        &purchases,
        real_data::day(2025, 12, 31),
        false,
        &RuleConfig::default(),
        90.0,
        VisitModel::Auto,
    )
    .unwrap();
    assert!(c.factors.is_empty() && c.learning.is_none(), "{c:#?}");
    let note = c.note.unwrap();
    assert!(note.contains("too little to learn"), "{note}");
}
