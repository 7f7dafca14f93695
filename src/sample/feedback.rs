//! Customer feedback for a sample, with planted causes: why defectors say they left.

use chrono::NaiveDate;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::generate::{EMPLOYEES, pick_weighted};
use super::{Behaviour, Sample, SampleConfig};

/// One row of a customer-feedback export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedbackLine {
    /// Card number; empty for anonymous feedback. A few are typos that match
    /// no card in the purchases.
    pub customer_id: String,
    pub date: NaiveDate,
    /// The reason as typed: a reason of [`feedback_truth`], about a quarter
    /// of them with case, spacing or punctuation variants ("COMPETITOR
    /// CHEAPER."); empty when the customer only commented or rated.
    pub reason: String,
    /// Free text; may be empty.
    pub comment: String,
    /// What the customer expected, 1 (little) to 5 (a lot).
    pub expected: Option<u8>,
    /// What they felt they got, 1 to 5.
    pub perceived: Option<u8>,
}

/// The planted causes of [`generate_feedback`], for tests.
///
/// The facts the plan rests on are computed from the sample's purchase lines:
/// a customer's **main employee** is the employee of most of their visits
/// (days with a purchase), ties to the one seen first; their **yearly value**
/// is their net revenue in the 365 days up to `as_of` (`as_of - 364 ..=
/// as_of`); their **value before the change** is their net revenue in the 365
/// days before their truth `change_date` (the yearly value for customers
/// without one).
#[derive(Clone, Debug, PartialEq)]
pub struct FeedbackTruth {
    /// Defectors and at-risk customers whose main employee is this one cite
    /// [`FeedbackTruth::rude_reason`] with probability
    /// [`FeedbackTruth::rude_share`]; other defectors and at-risk customers
    /// with probability [`FeedbackTruth::rude_share_elsewhere`]; active
    /// customers never. Their perceived ratings are
    /// the lowest (1–2), whatever reason they give, and active customers
    /// served by this employee rate below what they expected too.
    pub rude_employee: String,
    pub rude_reason: String,
    pub rude_share: f64,
    pub rude_share_elsewhere: f64,
    /// The most common reason for leaving (about 35 % of the defectors and
    /// at-risk customers not served by the rude employee), more often given
    /// the more valuable the customer was before the change.
    pub common_reason: String,
    /// Cited by at most [`FeedbackTruth::rare_reason_max_customers`] (3–5
    /// when the sample has them) defectors or at-risk customers, all in the
    /// bottom third both by yearly value (among all card holders and among
    /// defectors and at-risk customers) and by value before the change.
    pub rare_reason: String,
    pub rare_reason_max_customers: usize,
    /// Every reason for leaving, canonical spelling.
    pub leave_reasons: Vec<String>,
    /// Given only by active customers (loyal, infrequent, new, seasonal).
    pub praise_reasons: Vec<String>,
    /// The complaint a few active customers make (also a reason for leaving).
    pub active_complaint: String,
    /// Share of defectors (partial_defection, stopped_recently,
    /// gone_long_ago) who leave feedback (once or twice, dated after their
    /// change date; gone_long_ago within 90 days of it).
    pub defector_feedback_share: f64,
    /// The same for at-risk customers (spend_drop, category_stop).
    pub at_risk_feedback_share: f64,
    /// Share of active customers who leave feedback, on one of their visit
    /// days within the last year.
    pub active_feedback_share: f64,
    /// Share of feedback lines without ratings.
    pub no_ratings_share: f64,
}

/// The planted causes of [`generate_feedback`]: constants.
pub fn feedback_truth() -> FeedbackTruth {
    let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
    FeedbackTruth {
        rude_employee: EMPLOYEES[RUDE_EMPLOYEE].to_string(),
        rude_reason: REASON_RUDE.to_string(),
        rude_share: RUDE_SHARE,
        rude_share_elsewhere: RUDE_SHARE_ELSEWHERE,
        common_reason: REASON_COMPETITOR.to_string(),
        rare_reason: REASON_PARKING.to_string(),
        rare_reason_max_customers: RARE_REASON_MAX,
        leave_reasons: strings(&[
            REASON_COMPETITOR,
            REASON_RUDE,
            REASON_QUEUES,
            REASON_QUALITY,
            REASON_MOVED,
            REASON_PARKING,
        ]),
        praise_reasons: strings(&[REASON_COFFEE, REASON_FRIENDLY]),
        active_complaint: REASON_QUEUES.to_string(),
        defector_feedback_share: DEFECTOR_FEEDBACK_SHARE,
        at_risk_feedback_share: AT_RISK_FEEDBACK_SHARE,
        active_feedback_share: ACTIVE_FEEDBACK_SHARE,
        no_ratings_share: NO_RATINGS_SHARE,
    }
}

/// Mixed into the seed so feedback draws from streams of its own and the
/// purchases stay byte-identical.
const FEEDBACK_SALT: u64 = 0xFEED_BACC;
/// Index into [`EMPLOYEES`] of the employee the "Rude staff" reason is tied to (Jörgen).
const RUDE_EMPLOYEE: usize = 2;
const REASON_RUDE: &str = "Rude staff";
const REASON_COMPETITOR: &str = "Competitor cheaper";
const REASON_QUEUES: &str = "Long queues";
const REASON_QUALITY: &str = "Quality dropped";
const REASON_MOVED: &str = "Moved away";
const REASON_PARKING: &str = "Parking";
const REASON_COFFEE: &str = "Great coffee";
const REASON_FRIENDLY: &str = "Friendly staff";
const RUDE_SHARE: f64 = 0.7;
const RUDE_SHARE_ELSEWHERE: f64 = 0.03;
/// "Competitor cheaper" is given with probability `lo + span * rank`, the
/// rank (0..=1) of the customer's value before the change: 37 % on average
/// (35 % of those not citing "Rude staff").
const COMPETITOR_SHARE_LO: f64 = 0.22;
const COMPETITOR_SHARE_SPAN: f64 = 0.3;
const RARE_REASON_MIN: usize = 3;
const RARE_REASON_MAX: usize = 5;
const DEFECTOR_FEEDBACK_SHARE: f64 = 0.45;
const AT_RISK_FEEDBACK_SHARE: f64 = 0.35;
const ACTIVE_FEEDBACK_SHARE: f64 = 0.10;
/// Share of active feedback givers who complain instead of praising.
const ACTIVE_COMPLAINT_SHARE: f64 = 0.15;
/// Share of feedback givers who write twice.
const SECOND_FEEDBACK_SHARE: f64 = 0.3;
/// Share of reasons written with a case, spacing or punctuation variant.
const REASON_VARIANT_SHARE: f64 = 0.25;
const NO_RATINGS_SHARE: f64 = 0.2;
/// Share of feedback lines with an empty comment.
const NO_COMMENT_SHARE: f64 = 0.12;
/// Gone-long-ago customers write within this many days after their change date.
const GONE_FEEDBACK_DAYS: i64 = 90;

/// Comments per reason ("" stands for feedback without a reason).
fn comments(reason: &str) -> &'static [&'static str] {
    match reason {
        REASON_RUDE => &[
            "The cashier was rude to my kids",
            "Nobody greeted us anymore",
            "He sighed when I paid with coins",
            "The cashier said \"not my problem\" when the card reader failed",
            "Personalen var otrevlig",
        ],
        REASON_COMPETITOR => &[
            "Found the same cheaper at the new place",
            "The new bakery on the corner is much cheaper",
            "Same coffee, 10 kr less, across the street",
            "Prices went up again; the supermarket is cheaper",
            "Billigare hos konkurrenten",
        ],
        REASON_QUEUES => &[
            "Waited 15 minutes for a coffee",
            "Only one till open at lunch",
            "The queue is too long, I don't have time",
        ],
        REASON_QUALITY => &[
            "The bread isn't what it used to be",
            "Sandwiches were dry the last few times",
            "Smaller portions, same price",
        ],
        REASON_MOVED => &[
            "We moved to another town",
            "New job on the other side of the city",
            "Flyttade till Uppsala",
        ],
        REASON_PARKING => &[
            "Nowhere to park anymore",
            "The parking fees are too high",
            "Can't park near the store",
        ],
        REASON_COFFEE => &[
            "Best coffee in town",
            "The flat white is perfect",
            "Kaffet är fantastiskt",
        ],
        REASON_FRIENDLY => &[
            "Always a smile at the till",
            "The staff know us by name",
            "So friendly, thank you!",
        ],
        _ => &[
            "Not coming back",
            "Disappointed lately",
            "Used to love this place",
        ],
    }
}

/// What the sample's purchases say about one card holder.
#[derive(Clone, Debug, Default)]
struct CustomerFacts {
    /// (employee, visits), in order of first visit.
    employees: Vec<(String, u32)>,
    /// Days with a purchase, ascending.
    visit_days: Vec<NaiveDate>,
    yearly_value: f64,
    value_before_change: f64,
}

impl CustomerFacts {
    /// The employee of most visits; ties go to the one seen first.
    fn main_employee(&self) -> Option<&str> {
        let mut best: Option<&(String, u32)> = None;
        for e in &self.employees {
            if best.is_none_or(|b| e.1 > b.1) {
                best = Some(e);
            }
        }
        best.map(|b| b.0.as_str())
    }
}

/// Main employee, visit days and values of every customer of `sample.truth`
/// (same order), from `sample.lines`.
fn customer_facts(sample: &Sample, as_of: NaiveDate) -> Vec<CustomerFacts> {
    let index: std::collections::HashMap<&str, usize> = sample
        .truth
        .iter()
        .enumerate()
        .map(|(i, t)| (t.customer_id.as_str(), i))
        .collect();
    let mut facts = vec![CustomerFacts::default(); sample.truth.len()];
    // Employees already counted on the customer's latest visit day.
    let mut seen_today: Vec<Vec<&str>> = vec![Vec::new(); sample.truth.len()];
    let year_start = as_of - chrono::Days::new(364);
    for l in &sample.lines {
        let Some(&i) = index.get(l.customer_id.as_str()) else {
            continue;
        };
        let f = &mut facts[i];
        if l.date >= year_start && l.date <= as_of {
            f.yearly_value += l.amount;
        }
        if let Some(change) = sample.truth[i].change_date
            && l.date < change
            && l.date >= change - chrono::Days::new(365)
        {
            f.value_before_change += l.amount;
        }
        if l.amount <= 0.0 {
            continue;
        }
        if f.visit_days.last() != Some(&l.date) {
            f.visit_days.push(l.date);
            seen_today[i].clear();
        }
        if !seen_today[i].contains(&l.employee.as_str()) {
            seen_today[i].push(&l.employee);
            match f.employees.iter_mut().find(|(e, _)| *e == l.employee) {
                Some(e) => e.1 += 1,
                None => f.employees.push((l.employee.clone(), 1)),
            }
        }
    }
    for (f, t) in facts.iter_mut().zip(&sample.truth) {
        if t.change_date.is_none() {
            f.value_before_change = f.yearly_value;
        }
    }
    facts
}

/// The value below which the bottom third of `values` lies (inclusive).
fn lower_third(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NEG_INFINITY,
        n => v[(n - 1) / 3],
    }
}

/// `reason` written with a case, spacing or punctuation variant.
fn reason_variant(rng: &mut ChaCha8Rng, reason: &str) -> String {
    match rng.random_range(0..5) {
        0 => reason.to_lowercase(),
        1 => format!("{}.", reason.to_uppercase()),
        2 => format!("{}!", reason.replacen(' ', "  ", 1)),
        3 => format!("{}.", reason.to_lowercase()),
        _ => reason
            .split(' ')
            .map(|w| {
                let mut c = w.chars();
                c.next()
                    .map_or(String::new(), |f| f.to_uppercase().chain(c).collect())
            })
            .collect::<Vec<_>>()
            .join(" "),
    }
}

/// A uniform date in `[from, to]` (`from <= to`).
fn date_between(rng: &mut ChaCha8Rng, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    let days = (to - from).num_days().max(0) as u64;
    from + chrono::Days::new(rng.random_range(0..=days))
}

/// One of `choices`, drawn with the given weights.
fn pick<T: Copy>(rng: &mut ChaCha8Rng, choices: &[(T, f64)]) -> T {
    let weights: Vec<f64> = choices.iter().map(|c| c.1).collect();
    choices[pick_weighted(rng, &weights)].0
}

/// Who is writing, for the ratings.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Voice {
    /// A defector or at-risk customer.
    Leaving,
    /// A defector or at-risk customer served by the rude employee.
    LeavingRude,
    Active,
    ActiveComplaint,
    /// An active customer served by the rude employee.
    ActiveRude,
}

/// (expected, perceived), or `None` for about a fifth of the lines.
fn ratings(rng: &mut ChaCha8Rng, voice: Voice) -> (Option<u8>, Option<u8>) {
    if rng.random_bool(NO_RATINGS_SHARE) {
        return (None, None);
    }
    let (expected, perceived) = match voice {
        Voice::Leaving | Voice::LeavingRude => {
            let expected = pick(rng, &[(4u8, 0.5), (5, 0.5)]);
            let perceived = if voice == Voice::LeavingRude {
                pick(rng, &[(1u8, 0.65), (2, 0.35)])
            } else {
                pick(rng, &[(1u8, 0.2), (2, 0.35), (3, 0.45)])
            };
            (expected, perceived)
        }
        Voice::Active | Voice::ActiveComplaint | Voice::ActiveRude => {
            let expected = pick(rng, &[(3u8, 0.3), (4, 0.5), (5, 0.2)]);
            let shift: &[(i8, f64)] = match voice {
                Voice::Active => &[(-1, 0.2), (0, 0.45), (1, 0.35)],
                Voice::ActiveComplaint => &[(-1, 0.6), (0, 0.4)],
                _ => &[(-2, 0.3), (-1, 0.5), (0, 0.2)],
            };
            let perceived = (expected as i8 + pick(rng, shift)).clamp(1, 5) as u8;
            (expected, perceived)
        }
    };
    (Some(expected), Some(perceived))
}

/// One feedback line of `voice` citing `reason` ("" for none).
fn feedback_line(
    rng: &mut ChaCha8Rng,
    customer_id: &str,
    date: NaiveDate,
    reason: &str,
    voice: Voice,
) -> FeedbackLine {
    let written = if !reason.is_empty() && rng.random_bool(REASON_VARIANT_SHARE) {
        reason_variant(rng, reason)
    } else {
        reason.to_string()
    };
    // Without a reason, the comment is what they said.
    let comment = if !reason.is_empty() && rng.random_bool(NO_COMMENT_SHARE) {
        String::new()
    } else {
        let c = comments(reason);
        c[rng.random_range(0..c.len())].to_string()
    };
    let (expected, perceived) = ratings(rng, voice);
    FeedbackLine {
        customer_id: customer_id.to_string(),
        date,
        reason: written,
        comment,
        expected,
        perceived,
    }
}

/// The feedback stream of customer `i` (stream 0 is the sample-wide one).
fn feedback_rng(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ FEEDBACK_SALT);
    rng.set_stream(stream);
    rng
}

/// Whether customer `i` leaves feedback: the first draw of their stream.
fn leaves_feedback(rng: &mut ChaCha8Rng, behaviour: Behaviour) -> bool {
    let share = match behaviour.expected_status() {
        "defected" => DEFECTOR_FEEDBACK_SHARE,
        "at_risk" => AT_RISK_FEEDBACK_SHARE,
        _ => ACTIVE_FEEDBACK_SHARE,
    };
    rng.random_bool(share)
}

/// Customer feedback for `sample` (generated with `cfg`), with the planted
/// causes of [`feedback_truth`], sorted by date then customer id.
///
/// Deterministic per seed, and drawn from random streams of its own
/// (`seed ^ 0xFEED_BACC`, one stream per customer, stream 0 for the
/// sample-wide choices), so generating feedback never changes the purchases.
/// On top of the card holders' feedback come two or three lines whose
/// customer id is a typo matching no card, and one anonymous line (empty id).
pub fn generate_feedback(sample: &Sample, cfg: &SampleConfig) -> Vec<FeedbackLine> {
    let as_of = cfg.as_of;
    let facts = customer_facts(sample, as_of);
    let truth = &sample.truth;
    let rude_name = EMPLOYEES[RUDE_EMPLOYEE];
    let changed = |i: usize| truth[i].change_date.is_some();
    let rude_main = |i: usize| facts[i].main_employee() == Some(rude_name);

    // Values of the defectors and at-risk customers, for ranks and thirds.
    let changed_idx: Vec<usize> = (0..truth.len()).filter(|&i| changed(i)).collect();
    let mut before: Vec<f64> = changed_idx
        .iter()
        .map(|&i| facts[i].value_before_change)
        .collect();
    let changed_yearly: Vec<f64> = changed_idx.iter().map(|&i| facts[i].yearly_value).collect();
    let all_yearly: Vec<f64> = facts.iter().map(|f| f.yearly_value).collect();
    let low_yearly = lower_third(&all_yearly).min(lower_third(&changed_yearly));
    let low_before = lower_third(&before);
    before.sort_by(f64::total_cmp);
    let value_rank = |v: f64| -> f64 {
        let below = before.partition_point(|x| *x < v);
        below as f64 / (before.len().max(2) - 1) as f64
    };

    // First pass: who writes at all, and who among them has a date to write on.
    let window = |i: usize| -> Option<(NaiveDate, NaiveDate)> {
        let change = truth[i].change_date?;
        let from = change.succ_opt()?;
        let to = if truth[i].behaviour == Behaviour::GoneLongAgo {
            as_of.min(change + chrono::Days::new(GONE_FEEDBACK_DAYS as u64))
        } else {
            as_of
        };
        (from <= to).then_some((from, to))
    };
    let writes: Vec<bool> = truth
        .iter()
        .enumerate()
        .map(|(i, t)| leaves_feedback(&mut feedback_rng(cfg.seed, i as u64 + 1), t.behaviour))
        .collect();

    // The rare reason: a few low-value defectors or at-risk customers,
    // preferably among those who write anyway.
    let mut shared = feedback_rng(cfg.seed, 0);
    let low_value = |i: usize| {
        facts[i].yearly_value <= low_yearly
            && facts[i].value_before_change <= low_before
            && !rude_main(i)
            && window(i).is_some()
    };
    let mut rare: Vec<usize> = Vec::new();
    let wanted = shared.random_range(RARE_REASON_MIN..=RARE_REASON_MAX);
    for writers in [true, false] {
        let mut pool: Vec<usize> = changed_idx
            .iter()
            .copied()
            .filter(|&i| writes[i] == writers && low_value(i))
            .collect();
        while rare.len() < wanted && !pool.is_empty() {
            rare.push(pool.swap_remove(shared.random_range(0..pool.len())));
        }
    }

    let mut out: Vec<FeedbackLine> = Vec::new();
    for (i, t) in truth.iter().enumerate() {
        let mut rng = feedback_rng(cfg.seed, i as u64 + 1);
        let is_rare = rare.contains(&i);
        if !leaves_feedback(&mut rng, t.behaviour) && !is_rare {
            continue;
        }
        let twice = rng.random_bool(SECOND_FEEDBACK_SHARE);
        let id = t.customer_id.as_str();
        if changed(i) {
            let Some((from, to)) = window(i) else {
                continue;
            };
            let rude_share = if rude_main(i) {
                RUDE_SHARE
            } else {
                RUDE_SHARE_ELSEWHERE
            };
            let reason = if is_rare {
                REASON_PARKING
            } else if rng.random_bool(rude_share) {
                REASON_RUDE
            } else if rng.random_bool(
                COMPETITOR_SHARE_LO
                    + COMPETITOR_SHARE_SPAN * value_rank(facts[i].value_before_change),
            ) {
                REASON_COMPETITOR
            } else {
                pick(
                    &mut rng,
                    &[
                        (REASON_QUEUES, 0.27),
                        (REASON_QUALITY, 0.27),
                        (REASON_MOVED, 0.2),
                        ("", 0.26),
                    ],
                )
            };
            let voice = if rude_main(i) {
                Voice::LeavingRude
            } else {
                Voice::Leaving
            };
            let first = date_between(&mut rng, from, to);
            out.push(feedback_line(&mut rng, id, first, reason, voice));
            if twice {
                let second = date_between(&mut rng, from, to);
                if second != first {
                    out.push(feedback_line(&mut rng, id, second, reason, voice));
                }
            }
        } else {
            // Active: on a visit day of the last year (or any visit day).
            let days = &facts[i].visit_days;
            let year_start = as_of - chrono::Days::new(364);
            let recent_from = days.partition_point(|d| *d < year_start);
            let days = if recent_from < days.len() {
                &days[recent_from..]
            } else {
                &days[..]
            };
            if days.is_empty() {
                continue;
            }
            let complains = rng.random_bool(ACTIVE_COMPLAINT_SHARE);
            let (reason, voice) = if complains {
                (REASON_QUEUES, Voice::ActiveComplaint)
            } else if rude_main(i) {
                (REASON_COFFEE, Voice::ActiveRude)
            } else {
                let r = pick(&mut rng, &[(REASON_COFFEE, 0.55), (REASON_FRIENDLY, 0.45)]);
                (r, Voice::Active)
            };
            let first = days[rng.random_range(0..days.len())];
            out.push(feedback_line(&mut rng, id, first, reason, voice));
            if twice {
                let second = days[rng.random_range(0..days.len())];
                if second != first {
                    out.push(feedback_line(&mut rng, id, second, reason, voice));
                }
            }
        }
    }

    if !truth.is_empty() {
        let first_day = sample.lines.first().map_or(as_of, |l| l.date);
        let recent = (as_of - chrono::Days::new(364)).max(first_day);
        let known: std::collections::HashSet<&str> =
            truth.iter().map(|t| t.customer_id.as_str()).collect();
        // Typos: a digit dropped or doubled, so the id matches no card.
        for k in 0..shared.random_range(2..=3usize) {
            let real = &truth[shared.random_range(0..truth.len())].customer_id;
            let digits = real.len() - 1;
            let at = 1 + shared.random_range(0..digits);
            let mut typo = real.clone();
            if k % 2 == 0 {
                typo.remove(at);
            } else {
                typo.insert(at, real.as_bytes()[at] as char);
            }
            if known.contains(typo.as_str()) {
                typo.push('?');
            }
            let date = date_between(&mut shared, recent, as_of);
            let reason = if k % 2 == 0 {
                REASON_QUALITY
            } else {
                REASON_QUEUES
            };
            out.push(feedback_line(
                &mut shared,
                &typo,
                date,
                reason,
                Voice::Leaving,
            ));
        }
        let date = date_between(&mut shared, recent, as_of);
        out.push(FeedbackLine {
            customer_id: String::new(),
            date,
            reason: REASON_QUEUES.to_string(),
            comment: "Waited ages at the till and left without buying".to_string(),
            expected: Some(4),
            perceived: Some(2),
        });
    }

    out.sort_by(|a, b| (a.date, &a.customer_id).cmp(&(b.date, &b.customer_id)));
    out
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};
    use std::sync::OnceLock;

    use super::super::test_support::*;
    use super::super::*;
    use super::*;

    // ---- feedback ----

    fn default_feedback() -> &'static [FeedbackLine] {
        static FEEDBACK: OnceLock<Vec<FeedbackLine>> = OnceLock::new();
        FEEDBACK.get_or_init(|| generate_feedback(default_sample(), &SampleConfig::default()))
    }

    fn feedback_bytes(lines: &[FeedbackLine]) -> Vec<u8> {
        let mut out = Vec::new();
        write_feedback(lines, &mut out).expect("writing to a Vec succeeds");
        out
    }

    /// Reason text grouped as a reader would: lower case, punctuation as
    /// space, runs of spaces as one.
    fn normalise(reason: &str) -> String {
        reason
            .to_lowercase()
            .chars()
            .map(|c| if c.is_alphanumeric() { c } else { ' ' })
            .collect::<String>()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Customers (by id) citing `reason`, once each.
    fn citers<'a>(feedback: &'a [FeedbackLine], reason: &str) -> Vec<&'a str> {
        let want = normalise(reason);
        let mut ids: Vec<&str> = feedback
            .iter()
            .filter(|f| normalise(&f.reason) == want)
            .map(|f| f.customer_id.as_str())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// Facts per customer id.
    fn facts_by_id(sample: &Sample) -> HashMap<&str, CustomerFacts> {
        let facts = customer_facts(sample, SampleConfig::default().as_of);
        sample
            .truth
            .iter()
            .map(|t| t.customer_id.as_str())
            .zip(facts)
            .collect()
    }

    #[test]
    fn customer_facts_count_visits_not_lines() {
        let d = |day| NaiveDate::from_ymd_opt(2026, 10, day).unwrap();
        let line = |day, amount, employee: &str| PurchaseLine {
            customer_id: "C1".into(),
            date: d(day),
            amount,
            store: "S".into(),
            employee: employee.into(),
            category: "coffee".into(),
        };
        let sample = Sample {
            lines: vec![
                line(1, 5.0, "Åsa"),
                line(2, 5.0, "Jörgen"),
                line(2, 5.0, "Jörgen"),
                line(2, 5.0, "Jörgen"),
                line(3, 5.0, "Åsa"),
                line(4, -5.0, "Jörgen"),
                line(5, 5.0, "Jörgen"),
                line(6, 5.0, "Åsa"),
            ],
            truth: vec![Truth {
                customer_id: "C1".into(),
                behaviour: Behaviour::SpendDrop,
                change_date: Some(d(3)),
            }],
        };
        let f = &customer_facts(&sample, d(31))[0];
        // Three visits each with Åsa and Jörgen (refunds are no visits): the
        // tie goes to Åsa, seen first.
        assert_eq!(f.main_employee(), Some("Åsa"));
        assert_eq!(f.visit_days.len(), 5);
        assert!((f.yearly_value - 30.0).abs() < 1e-9);
        assert!((f.value_before_change - 20.0).abs() < 1e-9);
    }

    #[test]
    fn feedback_is_deterministic() {
        let cfg = small(7);
        let sample = generate(&cfg);
        let a = feedback_bytes(&generate_feedback(&sample, &cfg));
        let b = feedback_bytes(&generate_feedback(&generate(&cfg), &cfg));
        assert_eq!(a, b);
        let other = SampleConfig { seed: 8, ..cfg };
        let c = feedback_bytes(&generate_feedback(&generate(&other), &other));
        assert_ne!(a, c);
    }

    #[test]
    fn feedback_format_and_order() {
        let feedback = default_feedback();
        let bytes = feedback_bytes(feedback);
        let mut reader = csv::Reader::from_reader(bytes.as_slice());
        assert_eq!(
            reader.headers().unwrap().iter().collect::<Vec<_>>(),
            [
                "customer_id",
                "date",
                "reason",
                "comment",
                "expected",
                "perceived"
            ]
        );
        let mut rows = 0;
        for (record, line) in reader.records().zip(feedback) {
            let r = record.unwrap();
            assert_eq!(r.len(), 6);
            assert_eq!(r[0], line.customer_id);
            assert_eq!(
                NaiveDate::parse_from_str(&r[1], "%Y-%m-%d").unwrap(),
                line.date
            );
            assert_eq!(r[2], line.reason);
            assert_eq!(r[3], line.comment);
            for (field, rating) in [(&r[4], line.expected), (&r[5], line.perceived)] {
                match rating {
                    Some(v) => {
                        assert!((1..=5).contains(&v));
                        assert_eq!(field, v.to_string());
                    }
                    None => assert_eq!(field, ""),
                }
            }
            rows += 1;
        }
        assert_eq!(rows, feedback.len());
        assert!(feedback.len() > 50, "{}", feedback.len());
        for w in feedback.windows(2) {
            assert!((w[0].date, &w[0].customer_id) <= (w[1].date, &w[1].customer_id));
        }
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.contains("\"Same coffee, 10 kr less, across the street\""));
        let as_of = SampleConfig::default().as_of;
        assert!(feedback.iter().all(|f| f.date <= as_of));
    }

    #[test]
    fn feedback_quoting() {
        let lines = [FeedbackLine {
            customer_id: "C1".into(),
            date: NaiveDate::from_ymd_opt(2026, 1, 2).unwrap(),
            reason: "Rude, \"very\"".into(),
            comment: "Kaffet är kallt".into(),
            expected: Some(5),
            perceived: None,
        }];
        let text = String::from_utf8(feedback_bytes(&lines)).unwrap();
        assert_eq!(
            text,
            "customer_id,date,reason,comment,expected,perceived\n\
             C1,2026-01-02,\"Rude, \"\"very\"\"\",Kaffet är kallt,5,\n"
        );
    }

    #[test]
    fn feedback_dates_follow_the_change() {
        let sample = default_sample();
        let truth = truth_by_id(sample);
        let as_of = SampleConfig::default().as_of;
        let (mut defectors, mut defectors_writing) = (HashSet::new(), HashSet::new());
        let (mut at_risk, mut at_risk_writing) = (HashSet::new(), HashSet::new());
        for t in &sample.truth {
            match t.behaviour.expected_status() {
                "defected" => defectors.insert(t.customer_id.as_str()),
                "at_risk" => at_risk.insert(t.customer_id.as_str()),
                _ => false,
            };
        }
        for f in default_feedback() {
            let Some(t) = truth.get(f.customer_id.as_str()) else {
                continue;
            };
            if let Some(change) = t.change_date {
                assert!(f.date > change && f.date <= as_of, "{f:?} {t:?}");
                if t.behaviour == Behaviour::GoneLongAgo {
                    assert!((f.date - change).num_days() <= 90, "{f:?} {t:?}");
                }
                if t.behaviour.expected_status() == "defected" {
                    defectors_writing.insert(t.customer_id.as_str());
                } else {
                    at_risk_writing.insert(t.customer_id.as_str());
                }
            }
        }
        let d = defectors_writing.len() as f64 / defectors.len() as f64;
        let a = at_risk_writing.len() as f64 / at_risk.len() as f64;
        assert!((0.3..0.6).contains(&d), "defectors writing {d}");
        assert!((0.2..0.5).contains(&a), "at-risk writing {a}");
    }

    #[test]
    fn rude_staff_is_tied_to_one_employee() {
        let sample = default_sample();
        let truth = truth_by_id(sample);
        let facts = facts_by_id(sample);
        let planted = feedback_truth();
        assert_eq!(planted.rude_employee, "Jörgen");
        let rude = citers(default_feedback(), &planted.rude_reason);
        let served = rude
            .iter()
            .filter(|id| {
                facts.get(*id).and_then(|f| f.main_employee()) == Some(&planted.rude_employee)
            })
            .count();
        assert!(rude.len() >= 4, "{rude:?}");
        assert!(
            served as f64 >= 0.6 * rude.len() as f64,
            "{served} of {rude:?}"
        );
        // Most defectors and at-risk customers served by Jörgen who write cite it.
        let writers: HashSet<&str> = default_feedback()
            .iter()
            .map(|f| f.customer_id.as_str())
            .filter(|id| {
                truth.get(id).is_some_and(|t| t.change_date.is_some())
                    && facts[id].main_employee() == Some(&planted.rude_employee)
            })
            .collect();
        let citing = writers.iter().filter(|id| rude.contains(id)).count();
        assert!(
            citing as f64 >= 0.5 * writers.len() as f64,
            "{citing} of {writers:?}"
        );
        // Their ratings are the lowest by employee.
        let mut by_employee: HashMap<&str, (f64, f64)> = HashMap::new();
        for f in default_feedback() {
            let (Some(p), Some(main)) = (
                f.perceived,
                facts
                    .get(f.customer_id.as_str())
                    .and_then(|c| c.main_employee()),
            ) else {
                continue;
            };
            let e = by_employee.entry(main).or_default();
            e.0 += f64::from(p);
            e.1 += 1.0;
        }
        let mean = |e: &str| by_employee[e].0 / by_employee[e].1;
        for e in by_employee.keys() {
            assert!(mean(&planted.rude_employee) <= mean(e), "{by_employee:?}");
        }
    }

    #[test]
    fn rare_reason_has_little_value_behind_it() {
        let sample = default_sample();
        let truth = truth_by_id(sample);
        let facts = facts_by_id(sample);
        let planted = feedback_truth();
        let parking = citers(default_feedback(), &planted.rare_reason);
        assert!((3..=5).contains(&parking.len()), "{parking:?}");
        let mut yearly: Vec<f64> = facts.values().map(|f| f.yearly_value).collect();
        yearly.sort_by(f64::total_cmp);
        let third = yearly[yearly.len() / 3];
        for id in &parking {
            assert!(truth[id].change_date.is_some(), "{id}");
            assert!(facts[id].yearly_value <= third, "{id}");
        }
        // The common reason has far more customers and value behind it.
        let competitor = citers(default_feedback(), &planted.common_reason);
        let value = |ids: &[&str]| -> f64 {
            ids.iter()
                .filter_map(|id| facts.get(id))
                .map(|f| f.value_before_change)
                .sum()
        };
        assert!(competitor.len() >= 3 * parking.len());
        assert!(value(&competitor) > 10.0 * value(&parking));
    }

    #[test]
    fn competitor_is_the_common_reason_for_leaving() {
        let sample = default_sample();
        let truth = truth_by_id(sample);
        let planted = feedback_truth();
        let mut counts: HashMap<String, HashSet<&str>> = HashMap::new();
        for f in default_feedback() {
            if truth
                .get(f.customer_id.as_str())
                .is_some_and(|t| t.change_date.is_some())
                && !f.reason.is_empty()
            {
                counts
                    .entry(normalise(&f.reason))
                    .or_default()
                    .insert(&f.customer_id);
            }
        }
        let common = normalise(&planted.common_reason);
        for (reason, ids) in &counts {
            assert!(counts[&common].len() >= ids.len(), "{reason}: {counts:?}");
        }
        let leave: HashSet<String> = planted.leave_reasons.iter().map(|r| normalise(r)).collect();
        assert!(counts.keys().all(|r| leave.contains(r)), "{counts:?}");
        // More often given by customers who were worth more before the change.
        let facts = facts_by_id(sample);
        let mut writers: Vec<(f64, bool)> = counts
            .values()
            .flatten()
            .collect::<HashSet<_>>()
            .into_iter()
            .map(|id| (facts[id].value_before_change, counts[&common].contains(id)))
            .collect();
        writers.sort_by(|a, b| a.0.total_cmp(&b.0));
        let share =
            |half: &[(f64, bool)]| half.iter().filter(|w| w.1).count() as f64 / half.len() as f64;
        let (low, high) = writers.split_at(writers.len() / 2);
        assert!(
            share(high) > share(low) + 0.1,
            "{} vs {}",
            share(high),
            share(low)
        );
    }

    #[test]
    fn praise_comes_from_active_customers() {
        let sample = default_sample();
        let truth = truth_by_id(sample);
        let planted = feedback_truth();
        let mut praisers = 0;
        for reason in &planted.praise_reasons {
            for id in citers(default_feedback(), reason) {
                assert_eq!(truth[id].behaviour.expected_status(), "active", "{id}");
                praisers += 1;
            }
        }
        assert!(praisers >= 10, "{praisers}");
        let complaining_active = citers(default_feedback(), &planted.active_complaint)
            .into_iter()
            .filter(|id| truth.get(id).is_some_and(|t| t.change_date.is_none()))
            .count();
        assert!(complaining_active >= 1);
    }

    #[test]
    fn reasons_are_free_text_variants() {
        let planted = feedback_truth();
        let canonical: HashMap<String, &String> = planted
            .leave_reasons
            .iter()
            .chain(&planted.praise_reasons)
            .map(|r| (normalise(r), r))
            .collect();
        let given: Vec<&FeedbackLine> = default_feedback()
            .iter()
            .filter(|f| !f.reason.is_empty())
            .collect();
        let mut variants = 0;
        for f in &given {
            let r = canonical.get(&normalise(&f.reason));
            assert!(r.is_some(), "{f:?}");
            if *r.unwrap() != &f.reason {
                variants += 1;
            }
        }
        let share = f64::from(variants) / given.len() as f64;
        assert!((0.12..0.4).contains(&share), "{share}");
    }

    #[test]
    fn expectation_gaps() {
        let sample = default_sample();
        let truth = truth_by_id(sample);
        let (mut leaving, mut active) = (Vec::new(), Vec::new());
        let mut unrated = 0;
        for f in default_feedback() {
            let (Some(e), Some(p)) = (f.expected, f.perceived) else {
                assert_eq!((f.expected, f.perceived), (None, None));
                unrated += 1;
                continue;
            };
            let gap = f64::from(e) - f64::from(p);
            match truth.get(f.customer_id.as_str()) {
                Some(t) if t.change_date.is_some() => leaving.push(gap),
                Some(_) => active.push(gap),
                None => {}
            }
        }
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        assert!(mean(&leaving) > 1.5, "{}", mean(&leaving));
        assert!(mean(&active).abs() < 0.6, "{}", mean(&active));
        let share = f64::from(unrated) / default_feedback().len() as f64;
        assert!((0.1..0.3).contains(&share), "{share}");
    }

    #[test]
    fn unknown_and_anonymous_feedback() {
        let known: HashSet<&str> = default_sample()
            .truth
            .iter()
            .map(|t| t.customer_id.as_str())
            .collect();
        let unknown: Vec<&FeedbackLine> = default_feedback()
            .iter()
            .filter(|f| !known.contains(f.customer_id.as_str()))
            .collect();
        let anonymous = unknown.iter().filter(|f| f.customer_id.is_empty()).count();
        assert_eq!(anonymous, 1);
        assert!((3..=4).contains(&unknown.len()), "{unknown:?}");
        let empty = generate(&SampleConfig {
            customers: 0,
            ..SampleConfig::default()
        });
        assert!(generate_feedback(&empty, &SampleConfig::default()).is_empty());
    }
}
