//! What people act on, per customer: the chance they are still a customer, the chance of no
//! visit in the next month, when their next visit is due and since when it is overdue.

mod real_data;

use std::fmt::Write as _;

use churn::history;
use churn::metrics::clv::{self, CustomerValue, Settings};
use churn::normalize::{Day, date::to_date};
use churn::rules::{self, RuleConfig};

/// 300 weekly customers for two years, and three more: one who came two days ago, one
/// silent for three weeks, one silent for 200 days.
fn values() -> (Day, Vec<(String, CustomerValue)>) {
    let as_of = real_data::day(2025, 12, 31);
    let start = real_data::day(2024, 1, 1);
    let mut csv = String::from("customer_id,date,amount\n");
    // Every 7 days back from `last` to no earlier than `first`.
    let mut weekly = |name: &str, first: Day, last: Day| {
        let mut day = last;
        while day >= first {
            writeln!(csv, "{name},{},25", to_date(day)).unwrap();
            day -= 7;
        }
    };
    for c in 0..300 {
        // Everyone's last visit within their last week.
        weekly(&format!("c{c}"), start + c % 7, as_of - 6 + c % 7);
    }
    weekly("recent", start, as_of - 2);
    weekly("three_weeks", start + 3, as_of - 21);
    weekly("long_gone", start + 1, as_of - 200);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("purchases.csv");
    std::fs::write(&path, csv).unwrap();
    let purchases = real_data::load(&path);
    let config = RuleConfig::default();
    let (inputs, _) = history::group(&purchases, as_of, false, |h| {
        let j = rules::judge(h, as_of, &config);
        clv::customer_input(h, as_of, &j, 365.0)
    });
    let inputs: Vec<_> = inputs.into_iter().flatten().collect();
    let fitted = clv::fit(&inputs).unwrap();
    println!("{}", fitted.model.visits.reason);

    let settings = Settings {
        horizon_days: 365.0,
        annual_discount: 0.0,
        margin: 1.0,
    };
    let named = inputs
        .iter()
        .map(|c| {
            (
                purchases.customers.name(c.customer).to_string(),
                fitted.value(c, &settings).unwrap(),
            )
        })
        .collect();
    (as_of, named)
}

fn find<'a>(values: &'a [(String, CustomerValue)], name: &str) -> &'a CustomerValue {
    &values.iter().find(|(n, _)| n == name).unwrap().1
}

#[test]
fn weekly_customers_are_due_a_week_after_their_last_visit() {
    let (as_of, values) = values();
    let recent = find(&values, "recent");
    println!("recent: {recent:?}");
    // Due five days from now (their last visit two days ago, weekly), not overdue.
    let due = recent.next_visit.unwrap();
    assert!(
        (to_date(as_of + 4)..=to_date(as_of + 6)).contains(&due),
        "{due}"
    );
    assert_eq!(recent.overdue_since, None);
    assert!(recent.p_alive > 0.95, "{}", recent.p_alive);
    assert!(recent.p_no_visit < 0.05, "{}", recent.p_no_visit);

    let late = find(&values, "three_weeks");
    println!("three weeks: {late:?}");
    // Overdue since a week after their last visit; still expected, if at all, soon.
    let overdue = late.overdue_since.unwrap();
    assert!(
        (to_date(as_of - 15)..=to_date(as_of - 13)).contains(&overdue),
        "{overdue}"
    );
    assert!(late.next_visit.unwrap() <= to_date(as_of + 7));
    assert!(late.next_visit.unwrap() > to_date(as_of));
    assert!(late.p_alive < recent.p_alive);
    assert!(late.p_no_visit > recent.p_no_visit);

    let gone = find(&values, "long_gone");
    println!("long gone: {gone:?}");
    assert!(gone.p_alive < 0.05, "{}", gone.p_alive);
    assert!(gone.p_no_visit > 0.95, "{}", gone.p_no_visit);
    assert!(gone.overdue_since.unwrap() < to_date(as_of - 180));
}
