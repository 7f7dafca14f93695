//! Deterministic synthetic loyalty-card purchase exports with planted
//! customer behaviours.
//!
//! Real till exports cannot be shipped with the project, and a churn detector
//! can only be judged against data whose answers are known. This module
//! therefore simulates a small chain of three stores and a population of card
//! holders, each of whom follows one [`Behaviour`] (loyal, seasonal, slowly
//! defecting, ...). [`generate`] returns both the purchase lines and the
//! [`Truth`] per customer, so tests and benchmarks can score a detector.
//!
//! The data deliberately carries the noise of real exports: anonymous
//! (card-less) purchases, refunds, exact duplicate lines, non-ASCII store and
//! staff names, and a European writer that produces Windows-1252 with `;`,
//! decimal commas and `dd.mm.yyyy` dates.
//!
//! [`generate_feedback`] adds the customer feedback of a sample, with planted
//! causes ([`feedback_truth`]): a reason for leaving tied to one employee, a
//! common reason given more by valuable customers, a rare reason with little
//! value behind it, praise from active customers, free-text reason variants,
//! expectation-versus-perceived ratings, typo'd and anonymous customer ids.
//! It draws from streams of its own, so the purchases never change with it.
//!
//! Everything is driven by `ChaCha8Rng::seed_from_u64(seed)`: every customer
//! draws from its own ChaCha stream (`stream = index + 1`, anonymous
//! walk-ins use stream 0), so the same configuration always yields
//! byte-identical output, and customer `C000017` looks the same whether the
//! sample has 300 or 120,000 customers.

use std::io::{self, Write};

use chrono::{Datelike, Months, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Gamma, StandardNormal};

/// What to generate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SampleConfig {
    /// Number of card holders (anonymous walk-ins come on top).
    pub customers: usize,
    /// Seed of the ChaCha8 generator; same seed, same bytes.
    pub seed: u64,
    /// Last day of the export ("today" for the analysis); nothing is dated later.
    pub as_of: NaiveDate,
    /// Length of the history: lines run from `as_of - months` to `as_of` inclusive.
    pub months: u32,
}

impl Default for SampleConfig {
    /// 300 customers over 24 months ending 2026-10-31: big enough that every
    /// behaviour appears several times, small enough for debug-build tests.
    fn default() -> Self {
        SampleConfig {
            customers: 300,
            seed: 42,
            as_of: NaiveDate::from_ymd_opt(2026, 10, 31).expect("2026-10-31 is a valid date"),
            months: 24,
        }
    }
}

/// The behaviour planted in one customer's purchase history.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Behaviour {
    /// Steady Poisson-like visits over the whole history.
    Loyal,
    /// Rare but regular visits (gamma gaps of 30–75 days).
    Infrequent,
    /// First visit 20–100 days before `as_of`, visiting ever since.
    New,
    /// Visits only during a 3–5 month season each year, every year.
    Seasonal,
    /// Visit rate falls to 25–50 % of its former level from the change date.
    PartialDefection,
    /// Same visit rate, but spend per visit falls to 30–55 % from the change date.
    SpendDrop,
    /// Same visits, but a habit category is never bought again from the change date.
    CategoryStop,
    /// Regular customer whose last visit was 2–5 months before `as_of`.
    StoppedRecently,
    /// Regular customer whose last visit was 9–18 months before `as_of`.
    GoneLongAgo,
}

impl Behaviour {
    /// Every behaviour, in the order used by [`summary_counts`] and the mixture.
    pub const ALL: [Behaviour; 9] = [
        Behaviour::Loyal,
        Behaviour::Infrequent,
        Behaviour::New,
        Behaviour::Seasonal,
        Behaviour::PartialDefection,
        Behaviour::SpendDrop,
        Behaviour::CategoryStop,
        Behaviour::StoppedRecently,
        Behaviour::GoneLongAgo,
    ];

    /// Stable snake_case name, as written to the truth file.
    pub fn name(self) -> &'static str {
        match self {
            Behaviour::Loyal => "loyal",
            Behaviour::Infrequent => "infrequent",
            Behaviour::New => "new",
            Behaviour::Seasonal => "seasonal",
            Behaviour::PartialDefection => "partial_defection",
            Behaviour::SpendDrop => "spend_drop",
            Behaviour::CategoryStop => "category_stop",
            Behaviour::StoppedRecently => "stopped_recently",
            Behaviour::GoneLongAgo => "gone_long_ago",
        }
    }

    /// Inverse of [`Behaviour::name`], so a truth file can be read back.
    pub fn from_name(name: &str) -> Option<Behaviour> {
        Behaviour::ALL.into_iter().find(|b| b.name() == name)
    }

    /// The status a good detector should report at `as_of`:
    /// `"active"`, `"at_risk"` or `"defected"`.
    pub fn expected_status(self) -> &'static str {
        match self {
            Behaviour::Loyal | Behaviour::Infrequent | Behaviour::New | Behaviour::Seasonal => {
                "active"
            }
            Behaviour::SpendDrop | Behaviour::CategoryStop => "at_risk",
            Behaviour::PartialDefection | Behaviour::StoppedRecently | Behaviour::GoneLongAgo => {
                "defected"
            }
        }
    }
}

/// One line (item) of a till export.
#[derive(Clone, Debug, PartialEq)]
pub struct PurchaseLine {
    /// Card number such as `C000123`; empty for anonymous (card-less) purchases.
    pub customer_id: String,
    pub date: NaiveDate,
    /// Rounded to cents; negative for refunds.
    pub amount: f64,
    pub store: String,
    pub employee: String,
    pub category: String,
}

/// The planted answer for one customer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Truth {
    pub customer_id: String,
    pub behaviour: Behaviour,
    /// When the planted change began: the first day of the lower rate, lower
    /// spend or missing category, or the day after the last visit for the
    /// stopped behaviours. `None` for the active behaviours.
    pub change_date: Option<NaiveDate>,
}

/// Generated purchase lines plus the truth per customer (in customer-id order).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sample {
    pub lines: Vec<PurchaseLine>,
    pub truth: Vec<Truth>,
}

/// Store names, kept in byte order so that sorting by store index equals
/// sorting by store name.
const STORES: [&str; 3] = ["Göteborg", "Malmö", "Västerås"];
/// Staff names; each works in exactly one store (see [`STAFF`]).
const EMPLOYEES: [&str; 8] = [
    "Åsa", "Björn", "Jörgen", "Märta", "Erik", "Lena", "Olof", "Karin",
];
/// Indices into [`EMPLOYEES`] of the staff of each store in [`STORES`].
const STAFF: [&[usize]; 3] = [&[0, 1, 2], &[3, 4, 5], &[6, 7]];
const CATEGORIES: [&str; 6] = ["coffee", "bakery", "lunch", "wine", "deli", "flowers"];
/// Relative price of one line of each category; a wine line costs about five
/// coffees, which makes category mix visible in spend.
const PRICE_WEIGHT: [f64; 6] = [0.45, 0.6, 1.3, 2.2, 1.1, 1.6];
/// How often each category is a favourite or an anonymous purchase.
const POPULARITY: [f64; 6] = [0.28, 0.22, 0.18, 0.10, 0.14, 0.08];
/// Per-visit probability of buying a category that is not a favourite.
const OTHER_CATEGORY_PROB: f64 = 0.04;
/// Most lines a single visit produces.
const MAX_LINES_PER_VISIT: usize = 4;

/// Shares of customers per behaviour, in percent (sums to 100).
const MIXTURE: [(Behaviour, u32); 9] = [
    (Behaviour::Loyal, 30),
    (Behaviour::Infrequent, 12),
    (Behaviour::New, 8),
    (Behaviour::Seasonal, 8),
    (Behaviour::PartialDefection, 9),
    (Behaviour::SpendDrop, 8),
    (Behaviour::CategoryStop, 8),
    (Behaviour::StoppedRecently, 9),
    (Behaviour::GoneLongAgo, 8),
];

/// Share of visits followed by a refund of one of their lines.
const REFUND_RATE: f64 = 0.02;
/// Share of all lines that are anonymous walk-in purchases.
const ANONYMOUS_SHARE: f64 = 0.06;
/// Share of lines exported twice (an adjacent exact duplicate).
const DUPLICATE_RATE: f64 = 0.003;
/// Average month length, to turn visits per month into a daily probability.
const DAYS_PER_MONTH: f64 = 30.4375;
/// A "new" customer's latest visit is less than this many days before `as_of`.
const NEW_RECENCY_DAYS: u32 = 14;
/// A season occurrence overlapping the history by at least this many days
/// always has a visit ("they came every season").
const MIN_SEASON_OVERLAP_DAYS: u32 = 21;

/// Line endings of the European export: it imitates a Windows program.
const EUROPEAN_EOL: &str = "\r\n";
/// Writers flush their text buffer to the writer once it is this large.
const CHUNK_BYTES: usize = 1 << 18;

/// Days of the history as indices `0..=n` (day `n` is `as_of`), with the
/// calendar facts the processes need precomputed once for all customers.
struct Timeline {
    dates: Vec<NaiveDate>,
    /// Index of the calendar month of each day, counted from the first day's month.
    month_index: Vec<usize>,
    /// Month of year of each day, 0 = January.
    month_of_year: Vec<usize>,
    /// Number of distinct calendar months touched by the history.
    months: usize,
}

impl Timeline {
    fn new(as_of: NaiveDate, months: u32) -> Timeline {
        let start = as_of
            .checked_sub_months(Months::new(months))
            .unwrap_or(NaiveDate::MIN);
        let dates: Vec<NaiveDate> = start.iter_days().take_while(|d| *d <= as_of).collect();
        let month_key = |d: &NaiveDate| i64::from(d.year()) * 12 + i64::from(d.month0());
        let first_key = month_key(&start);
        let month_index: Vec<usize> = dates
            .iter()
            .map(|d| usize::try_from(month_key(d) - first_key).unwrap_or(0))
            .collect();
        let month_of_year = dates.iter().map(|d| d.month0() as usize).collect();
        let months = month_index.last().map_or(1, |m| m + 1);
        Timeline {
            dates,
            month_index,
            month_of_year,
            months,
        }
    }

    /// Index of `as_of`, the last day.
    fn last(&self) -> u32 {
        u32::try_from(self.dates.len().saturating_sub(1)).expect("history is far below 2^32 days")
    }

    fn date(&self, day: u32) -> NaiveDate {
        self.dates[day as usize]
    }

    /// Clamps a day computed in signed arithmetic into the history.
    fn clamp(&self, day: i64) -> u32 {
        u32::try_from(day.clamp(0, i64::from(self.last()))).expect("clamped into the history")
    }

    /// `last() - back`, clamped into the history.
    fn back(&self, back: u32) -> u32 {
        self.clamp(i64::from(self.last()) - i64::from(back))
    }

    /// A first-visit day within roughly the first six months, so that
    /// long-standing customers have a long history before anything changes.
    fn early_start(&self, rng: &mut ChaCha8Rng) -> u32 {
        rng.random_range(0..=(self.last() / 4).min(180))
    }
}

/// One till line before it becomes a [`PurchaseLine`]: small, so millions of
/// them sort quickly.
#[derive(Clone, Copy, Debug, Default)]
struct Rec {
    day: u32,
    /// 0 = anonymous, otherwise customer index + 1 (so ids sort like numbers).
    cust: u32,
    cents: i64,
    store: u8,
    employee: u8,
    category: u8,
}

/// Pushes a line and, rarely, its exact duplicate right behind it.
fn push_line(rng: &mut ChaCha8Rng, recs: &mut Vec<Rec>, rec: Rec) {
    recs.push(rec);
    if rng.random_bool(DUPLICATE_RATE) {
        recs.push(rec);
    }
}

/// Uniform draw in `[lo, hi]` (inclusive; `lo <= hi`).
fn uniform(rng: &mut ChaCha8Rng, lo: f64, hi: f64) -> f64 {
    rng.random_range(lo..=hi)
}

/// Log-normal factor with mean 1 and log-space sigma `sigma`.
fn lognormal_unit(rng: &mut ChaCha8Rng, sigma: f64) -> f64 {
    let z: f64 = rng.sample(StandardNormal);
    (sigma * z - sigma * sigma / 2.0).exp()
}

/// Log-space sigma of a log-normal with coefficient of variation `cv`.
fn sigma_for_cv(cv: f64) -> f64 {
    (1.0 + cv * cv).ln().sqrt()
}

/// Index drawn with probability proportional to `weights` (not all zero).
fn pick_weighted(rng: &mut ChaCha8Rng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut x = rng.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    // Rounding can leave x just above the last weight; take the last non-zero.
    weights.iter().rposition(|w| *w > 0.0).unwrap_or(0)
}

/// A visit rate in visits per month: log-normal with median 3.8 (so mostly
/// 2–6, with a tail up to 12), redrawn until it lies in `[lo, hi]` so no
/// artificial pile-up sits at the bounds.
fn draw_rate(rng: &mut ChaCha8Rng, lo: f64, hi: f64) -> f64 {
    for _ in 0..64 {
        let z: f64 = rng.sample(StandardNormal);
        let r = (3.8f64.ln() + 0.5 * z).exp();
        if (lo..=hi).contains(&r) {
            return r;
        }
    }
    (lo + hi) / 2.0
}

fn draw_behaviour(rng: &mut ChaCha8Rng) -> Behaviour {
    let mut x = rng.random_range(0..100u32);
    for (b, share) in MIXTURE {
        if x < share {
            return b;
        }
        x -= share;
    }
    Behaviour::Loyal
}

/// Per-customer habits: where, from whom and what they buy, and how much.
struct Profile {
    home: usize,
    home_share: f64,
    /// Favourite employee (index into [`EMPLOYEES`]) at each store.
    fav_staff: [usize; 3],
    fav_staff_share: f64,
    /// Categories with favourites first; `order[0]` is the habit category of
    /// a category_stop customer.
    order: [usize; 6],
    n_fav: usize,
    /// Per-visit probability of buying each category.
    incl: [f64; 6],
    /// Mean spend of a visit (before any planted spend drop).
    visit_mean: f64,
    /// Log-space sigma of a visit's spend (coefficient of variation 0.3–0.5).
    visit_sigma: f64,
}

impl Profile {
    fn draw(rng: &mut ChaCha8Rng, behaviour: Behaviour) -> Profile {
        let home = rng.random_range(0..STORES.len());
        let home_share = uniform(rng, 0.7, 0.9);
        let mut fav_staff = [0; 3];
        for (store, fav) in fav_staff.iter_mut().enumerate() {
            let staff = STAFF[store];
            *fav = staff[rng.random_range(0..staff.len())];
        }
        let fav_staff_share = uniform(rng, 0.6, 0.85);

        let n_fav = rng.random_range(2..=3);
        let mut weights = POPULARITY;
        let mut order = [0usize; 6];
        for slot in order.iter_mut().take(n_fav) {
            let c = pick_weighted(rng, &weights);
            weights[c] = 0.0;
            *slot = c;
        }
        let mut next = n_fav;
        for (c, w) in weights.iter().enumerate() {
            if *w > 0.0 {
                order[next] = c;
                next += 1;
            }
        }

        let mut incl = [OTHER_CATEGORY_PROB; 6];
        for (k, &c) in order.iter().take(n_fav).enumerate() {
            incl[c] = if behaviour == Behaviour::CategoryStop {
                if k == 0 {
                    uniform(rng, 0.85, 0.95)
                } else {
                    uniform(rng, 0.25, 0.55)
                }
            } else {
                uniform(rng, 0.35, 0.75)
            };
        }

        // Mean spend per visit, log-uniform in 8..80 (a coffee drinker to a
        // weekly wine-and-deli shopper).
        let visit_mean = uniform(rng, 8f64.ln(), 80f64.ln()).exp();
        let visit_sigma = sigma_for_cv(uniform(rng, 0.3, 0.5));

        Profile {
            home,
            home_share,
            fav_staff,
            fav_staff_share,
            order,
            n_fav,
            incl,
            visit_mean,
            visit_sigma,
        }
    }

    /// A favourite category other than `except`, in proportion to how often
    /// it is bought; any other category if no favourite is left.
    fn pick_favourite(&self, rng: &mut ChaCha8Rng, except: Option<usize>) -> usize {
        let mut w = [0.0; 6];
        for &c in &self.order[..self.n_fav] {
            w[c] = self.incl[c];
        }
        if let Some(e) = except {
            w[e] = 0.0;
        }
        if w.iter().all(|x| *x == 0.0) {
            w = POPULARITY;
            if let Some(e) = except {
                w[e] = 0.0;
            }
        }
        pick_weighted(rng, &w)
    }

    /// Emits the lines of one visit (plus, rarely, a later refund of one of
    /// them). `ctx.spend_mult` scales the visit's spend; `ctx.stopped` is a
    /// category no longer bought.
    fn emit_visit(&self, rng: &mut ChaCha8Rng, ctx: &VisitCtx, recs: &mut Vec<Rec>) {
        let store = if rng.random_bool(self.home_share) {
            self.home
        } else {
            let other = rng.random_range(0..STORES.len() - 1);
            if other >= self.home { other + 1 } else { other }
        };
        let staff = STAFF[store];
        let employee = if rng.random_bool(self.fav_staff_share) {
            self.fav_staff[store]
        } else {
            staff[rng.random_range(0..staff.len())]
        };

        // The basket as the customer's habits have it, stopped category
        // included: the visit's spend is split over this basket, so dropping
        // the stopped category afterwards removes exactly its share and the
        // per-visit spend keeps its planned coefficient of variation whatever
        // the number of lines.
        let mut cats = [0usize; MAX_LINES_PER_VISIT];
        let mut n_cats = 0;
        for &c in &self.order {
            if rng.random_bool(self.incl[c]) && n_cats < MAX_LINES_PER_VISIT {
                cats[n_cats] = c;
                n_cats += 1;
            }
        }
        if n_cats == 0 {
            // A visit buys something: fall back to a favourite, by habit.
            cats[0] = self.pick_favourite(rng, None);
            n_cats = 1;
        }
        let mut weights = [0.0; MAX_LINES_PER_VISIT];
        for (w, &c) in weights.iter_mut().zip(&cats[..n_cats]) {
            *w = PRICE_WEIGHT[c] * lognormal_unit(rng, 0.2);
        }
        let mut weight_sum: f64 = weights[..n_cats].iter().sum();

        if let Some(stopped) = ctx.stopped {
            let mut kept = 0;
            for k in 0..n_cats {
                if cats[k] != stopped {
                    cats[kept] = cats[k];
                    weights[kept] = weights[k];
                    kept += 1;
                }
            }
            if kept == 0 {
                // They came for the habit only; now they buy something else,
                // priced as its share had it come along.
                cats[0] = self.pick_favourite(rng, Some(stopped));
                weights[0] = PRICE_WEIGHT[cats[0]] * lognormal_unit(rng, 0.2);
                weight_sum += weights[0];
                kept = 1;
            }
            n_cats = kept;
        }

        let visit_total = self.visit_mean * lognormal_unit(rng, self.visit_sigma) * ctx.spend_mult;
        let mut amounts = [0i64; MAX_LINES_PER_VISIT];
        for k in 0..n_cats {
            let amount = visit_total * weights[k] / weight_sum;
            let cents = ((amount * 100.0).round() as i64).max(50);
            amounts[k] = cents;
            push_line(
                rng,
                recs,
                Rec {
                    day: ctx.day,
                    cust: ctx.cust,
                    cents,
                    store: store as u8,
                    employee: employee as u8,
                    category: cats[k] as u8,
                },
            );
        }

        if rng.random_bool(REFUND_RATE) {
            let k = rng.random_range(0..n_cats);
            let refund_day = ctx.day + rng.random_range(1..=10);
            if refund_day <= ctx.last_day {
                let clerk = staff[rng.random_range(0..staff.len())];
                push_line(
                    rng,
                    recs,
                    Rec {
                        day: refund_day,
                        cust: ctx.cust,
                        cents: -amounts[k],
                        store: store as u8,
                        employee: clerk as u8,
                        category: cats[k] as u8,
                    },
                );
            }
        }
    }
}

/// Per-visit inputs to [`Profile::emit_visit`].
struct VisitCtx {
    day: u32,
    cust: u32,
    last_day: u32,
    spend_mult: f64,
    stopped: Option<usize>,
}

/// A day-by-day Poisson-like visit process: on each day a visit happens with
/// probability `1 - exp(-rate/30.4)`, which gives at most one visit per day
/// (two arrivals on one day merge into one visit).
struct Process<'a> {
    /// Visits per month.
    rate: f64,
    /// Month-to-month multipliers of the rate (mild wobble, no trend).
    mult: &'a [f64],
    /// From this day on, the rate is multiplied by the factor.
    slowdown: Option<(u32, f64)>,
    /// If set, no visits in months (0 = January) marked false.
    season: Option<[bool; 12]>,
}

impl Process<'_> {
    fn run(&self, rng: &mut ChaCha8Rng, tl: &Timeline, from: u32, to: u32, out: &mut Vec<u32>) {
        let prob = |factor: f64| -> Vec<f64> {
            self.mult
                .iter()
                .map(|m| -(-(self.rate * m * factor) / DAYS_PER_MONTH).exp_m1())
                .collect()
        };
        let before = prob(1.0);
        let (slow_from, after) = match self.slowdown {
            Some((day, f)) => (day, prob(f)),
            None => (u32::MAX, Vec::new()),
        };
        for day in from..=to {
            let d = day as usize;
            if let Some(season) = &self.season
                && !season[tl.month_of_year[d]]
            {
                continue;
            }
            let m = tl.month_index[d];
            let p = if day >= slow_from {
                after[m]
            } else {
                before[m]
            };
            if rng.random::<f64>() < p {
                out.push(day);
            }
        }
    }
}

/// The visit days and planted change of one customer.
struct Plan {
    change: Option<u32>,
    spend_drop: Option<(u32, f64)>,
    stop_habit_from: Option<u32>,
}

/// Draws the visit days (sorted, distinct, into `visits`) for `behaviour`.
fn plan_visits(
    rng: &mut ChaCha8Rng,
    tl: &Timeline,
    behaviour: Behaviour,
    visits: &mut Vec<u32>,
) -> Plan {
    let n = tl.last();
    let mult: Vec<f64> = (0..tl.months).map(|_| uniform(rng, 0.85, 1.15)).collect();
    let mut plan = Plan {
        change: None,
        spend_drop: None,
        stop_habit_from: None,
    };
    let steady = |rate: f64| Process {
        rate,
        mult: &mult,
        slowdown: None,
        season: None,
    };
    match behaviour {
        Behaviour::Loyal => {
            let rate = draw_rate(rng, 1.5, 12.0);
            let first = tl.early_start(rng);
            visits.push(first);
            steady(rate).run(rng, tl, first + 1, n, visits);
        }
        Behaviour::Infrequent => {
            let mean_gap = uniform(rng, 30.0, 75.0);
            let shape = uniform(rng, 6.0, 10.0);
            let gamma = Gamma::new(shape, mean_gap / shape).expect("shape and scale are positive");
            // Random phase, but never past `as_of`: everyone has at least one visit.
            let mut day = f64::from(rng.random_range(0..mean_gap as u32).min(n));
            while day <= f64::from(n) {
                visits.push(day as u32);
                day += gamma.sample(rng).round().max(1.0);
            }
        }
        Behaviour::New => {
            let rate = draw_rate(rng, 2.0, 12.0);
            let first = tl.back(rng.random_range(20..=100));
            visits.push(first);
            steady(rate).run(rng, tl, first + 1, n, visits);
            // "Still visiting": make sure the newest visit is recent.
            let last = *visits.last().expect("first visit was pushed");
            if last + NEW_RECENCY_DAYS <= n {
                visits.push(rng.random_range(n + 1 - NEW_RECENCY_DAYS..=n));
            }
        }
        Behaviour::Seasonal => {
            let season = draw_season(rng);
            let rate = draw_rate(rng, 2.0, 12.0);
            Process {
                season: Some(season),
                ..steady(rate)
            }
            .run(rng, tl, 0, n, visits);
            ensure_every_season(rng, tl, &season, visits);
        }
        Behaviour::PartialDefection => {
            let rate = draw_rate(rng, 2.0, 12.0);
            let first = tl.early_start(rng);
            let change = tl.back(rng.random_range(90..=240)).max(first + 1);
            let factor = uniform(rng, 0.25, 0.5);
            visits.push(first);
            Process {
                slowdown: Some((change, factor)),
                ..steady(rate)
            }
            .run(rng, tl, first + 1, n, visits);
            plan.change = Some(change.min(n));
        }
        Behaviour::SpendDrop | Behaviour::CategoryStop => {
            let rate = draw_rate(rng, 2.0, 12.0);
            let first = tl.early_start(rng);
            let change = tl.back(rng.random_range(90..=180)).max(first + 1);
            visits.push(first);
            steady(rate).run(rng, tl, first + 1, n, visits);
            if behaviour == Behaviour::SpendDrop {
                plan.spend_drop = Some((change, uniform(rng, 0.3, 0.55)));
            } else {
                plan.stop_habit_from = Some(change);
            }
            plan.change = Some(change.min(n));
        }
        Behaviour::StoppedRecently | Behaviour::GoneLongAgo => {
            let rate = draw_rate(rng, 2.0, 12.0);
            let (first, last) = if behaviour == Behaviour::StoppedRecently {
                let first = tl.early_start(rng);
                (first, tl.back(rng.random_range(60..=150)).max(first))
            } else {
                let last = tl.back(rng.random_range(270..=540));
                // At least ~6 months of history before they left.
                let first = rng.random_range(0..=last.saturating_sub(180).min(180));
                (first, last)
            };
            visits.push(first);
            if last > first {
                steady(rate).run(rng, tl, first + 1, last - 1, visits);
                visits.push(last);
            }
            plan.change = Some((last + 1).min(n));
        }
    }
    plan
}

/// Half summer people (May–September-ish), half winter people
/// (October/November–February-ish), 3–5 consecutive months.
fn draw_season(rng: &mut ChaCha8Rng) -> [bool; 12] {
    // (first month 1-based, length in months)
    let (start, len) = if rng.random_bool(0.5) {
        match rng.random_range(0..2) {
            0 => (5, rng.random_range(3..=5)),
            _ => (6, rng.random_range(3..=4)),
        }
    } else {
        match rng.random_range(0..4) {
            0 => (10, 5),
            1 | 2 => (11, rng.random_range(3..=4)),
            _ => (12, 3),
        }
    };
    let mut season = [false; 12];
    for k in 0..len {
        season[(start - 1 + k) % 12] = true;
    }
    season
}

/// Adds a visit to every season occurrence that overlaps the history by at
/// least [`MIN_SEASON_OVERLAP_DAYS`] but drew none, so a seasonal customer
/// never looks like they skipped a year.
fn ensure_every_season(
    rng: &mut ChaCha8Rng,
    tl: &Timeline,
    season: &[bool; 12],
    visits: &mut Vec<u32>,
) {
    let n = tl.last();
    let in_season = |d: u32| season[tl.month_of_year[d as usize]];
    let mut added = false;
    let mut day = 0u32;
    while day <= n {
        if !in_season(day) {
            day += 1;
            continue;
        }
        let start = day;
        while day <= n && in_season(day) {
            day += 1;
        }
        let end = day - 1;
        let covered = visits.iter().any(|v| (start..=end).contains(v));
        if end - start + 1 >= MIN_SEASON_OVERLAP_DAYS && !covered {
            visits.push(rng.random_range(start..=end));
            added = true;
        }
    }
    if added {
        visits.sort_unstable();
    }
}

/// Digits of the card numbers: at least 6 (`C000123`), more only when the
/// sample needs them, so ids stay fixed-width and sort like numbers.
fn id_width(customers: usize) -> usize {
    customers.to_string().len().max(6)
}

/// Generates the purchase lines and truth for `cfg`, deterministically.
///
/// Lines are sorted by date, then store name, then customer id (anonymous
/// first), as a till export would be; a duplicated line sits right after its
/// original.
pub fn generate(cfg: &SampleConfig) -> Sample {
    let tl = Timeline::new(cfg.as_of, cfg.months);
    let n = tl.last();
    let base = ChaCha8Rng::seed_from_u64(cfg.seed);
    let width = id_width(cfg.customers);
    let ids: Vec<String> = (1..=cfg.customers)
        .map(|i| format!("C{i:0width$}"))
        .collect();

    let mut recs: Vec<Rec> = Vec::new();
    let mut truth = Vec::with_capacity(cfg.customers);
    let mut visits: Vec<u32> = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let mut rng = base.clone();
        rng.set_stream(i as u64 + 1);
        let cust = u32::try_from(i + 1).expect("fewer than 2^32 customers");
        let behaviour = draw_behaviour(&mut rng);
        let profile = Profile::draw(&mut rng, behaviour);
        visits.clear();
        let plan = plan_visits(&mut rng, &tl, behaviour, &mut visits);
        for &day in &visits {
            let spend_mult = match plan.spend_drop {
                Some((from, f)) if day >= from => f,
                _ => 1.0,
            };
            let stopped = match plan.stop_habit_from {
                Some(from) if day >= from => Some(profile.order[0]),
                _ => None,
            };
            let ctx = VisitCtx {
                day,
                cust,
                last_day: n,
                spend_mult,
                stopped,
            };
            profile.emit_visit(&mut rng, &ctx, &mut recs);
        }
        truth.push(Truth {
            customer_id: id.clone(),
            behaviour,
            change_date: plan.change.map(|d| tl.date(d)),
        });
    }

    let anonymous = anonymous_lines(&base, n, recs.len());
    let sorted = till_order(&anonymous, &recs, n);
    drop(recs);
    drop(anonymous);
    let lines = sorted
        .into_iter()
        .map(|r| PurchaseLine {
            customer_id: match r.cust {
                0 => String::new(),
                c => ids[c as usize - 1].clone(),
            },
            date: tl.date(r.day),
            amount: r.cents as f64 / 100.0,
            store: STORES[r.store as usize].to_string(),
            employee: EMPLOYEES[r.employee as usize].to_string(),
            category: CATEGORIES[r.category as usize].to_string(),
        })
        .collect();
    Sample { lines, truth }
}

/// Puts lines in till-export order: by day, then store, then customer, with
/// ties (the lines of one visit, a duplicate pair) in generation order.
///
/// `anonymous` (customer 0) followed by `customers` (generated in customer
/// order) is already ordered by customer, so one stable counting sort on
/// (day, store) finishes the job in linear time: millions of lines would
/// otherwise spend most of their generation time in a comparison sort.
fn till_order(anonymous: &[Rec], customers: &[Rec], last_day: u32) -> Vec<Rec> {
    let key = |r: &Rec| r.day as usize * STORES.len() + r.store as usize;
    let mut start = vec![0usize; (last_day as usize + 1) * STORES.len() + 1];
    for r in anonymous.iter().chain(customers) {
        start[key(r) + 1] += 1;
    }
    for k in 1..start.len() {
        start[k] += start[k - 1];
    }
    let mut out = vec![Rec::default(); anonymous.len() + customers.len()];
    for r in anonymous.iter().chain(customers) {
        let slot = &mut start[key(r)];
        out[*slot] = *r;
        *slot += 1;
    }
    out
}

/// Card-less walk-in purchases (1–2 lines each) spread uniformly over the
/// history and stores, enough to make up [`ANONYMOUS_SHARE`] of all lines
/// next to the `known` card lines.
fn anonymous_lines(base: &ChaCha8Rng, last_day: u32, known: usize) -> Vec<Rec> {
    let mut rng = base.clone();
    rng.set_stream(0);
    let target = (known as f64 * ANONYMOUS_SHARE / (1.0 - ANONYMOUS_SHARE)).round() as usize;
    let mut recs = Vec::with_capacity(target + 16);
    while recs.len() < target {
        let day = rng.random_range(0..=last_day);
        let store = rng.random_range(0..STORES.len());
        let staff = STAFF[store];
        let employee = staff[rng.random_range(0..staff.len())];
        let items = if rng.random_bool(0.3) { 2 } else { 1 };
        for _ in 0..items {
            let c = pick_weighted(&mut rng, &POPULARITY);
            let amount = 10.0 * PRICE_WEIGHT[c] * lognormal_unit(&mut rng, 0.45);
            push_line(
                &mut rng,
                &mut recs,
                Rec {
                    day,
                    cust: 0,
                    cents: ((amount * 100.0).round() as i64).max(50),
                    store: store as u8,
                    employee: employee as u8,
                    category: c as u8,
                },
            );
        }
    }
    recs
}

/// Customers per behaviour, in [`Behaviour::ALL`] order (zero counts included).
pub fn summary_counts(sample: &Sample) -> Vec<(Behaviour, usize)> {
    Behaviour::ALL
        .iter()
        .map(|&b| (b, sample.truth.iter().filter(|t| t.behaviour == b).count()))
        .collect()
}

/// The two export dialects the writers produce.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Dialect {
    Standard,
    European,
}

impl Dialect {
    fn sep(self) -> char {
        match self {
            Dialect::Standard => ',',
            Dialect::European => ';',
        }
    }

    fn eol(self) -> &'static str {
        match self {
            Dialect::Standard => "\n",
            Dialect::European => EUROPEAN_EOL,
        }
    }

    fn decimal(self) -> char {
        match self {
            Dialect::Standard => '.',
            Dialect::European => ',',
        }
    }

    fn date(self, d: NaiveDate) -> String {
        match self {
            Dialect::Standard => d.format("%Y-%m-%d").to_string(),
            Dialect::European => d.format("%d.%m.%Y").to_string(),
        }
    }
}

/// Buffers text and hands it to the writer in big chunks, encoding to
/// Windows-1252 for the European dialect.
struct ChunkWriter<W: Write> {
    w: W,
    buf: String,
    dialect: Dialect,
}

impl<W: Write> ChunkWriter<W> {
    fn new(w: W, dialect: Dialect) -> Self {
        ChunkWriter {
            w,
            buf: String::with_capacity(CHUNK_BYTES + 1024),
            dialect,
        }
    }

    /// Appends a field, quoted only if it holds the separator, a quote or a
    /// line break.
    fn field(&mut self, s: &str) {
        let sep = self.dialect.sep() as u8;
        if s.bytes()
            .any(|b| b == sep || matches!(b, b'"' | b'\n' | b'\r'))
        {
            self.buf.push('"');
            for ch in s.chars() {
                if ch == '"' {
                    self.buf.push('"');
                }
                self.buf.push(ch);
            }
            self.buf.push('"');
        } else {
            self.buf.push_str(s);
        }
    }

    fn sep(&mut self) {
        self.buf.push(self.dialect.sep());
    }

    /// Appends an amount with exactly two decimals, formatted from whole
    /// cents so no float formatting can produce `1e-7` or `0.1000000001`.
    fn amount(&mut self, amount: f64) {
        let cents = (amount * 100.0).round() as i64;
        if cents < 0 {
            self.buf.push('-');
        }
        let abs = cents.unsigned_abs();
        push_u64(&mut self.buf, abs / 100);
        self.buf.push(self.dialect.decimal());
        let frac = abs % 100;
        self.buf.push(char::from(b'0' + (frac / 10) as u8));
        self.buf.push(char::from(b'0' + (frac % 10) as u8));
    }

    fn end_row(&mut self) -> io::Result<()> {
        self.buf.push_str(self.dialect.eol());
        if self.buf.len() >= CHUNK_BYTES {
            self.flush_buf()?;
        }
        Ok(())
    }

    fn flush_buf(&mut self) -> io::Result<()> {
        match self.dialect {
            Dialect::Standard => self.w.write_all(self.buf.as_bytes())?,
            Dialect::European => {
                let (bytes, _, had_errors) = encoding_rs::WINDOWS_1252.encode(&self.buf);
                if had_errors {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "text not representable in Windows-1252",
                    ));
                }
                self.w.write_all(&bytes)?;
            }
        }
        self.buf.clear();
        Ok(())
    }

    fn finish(mut self) -> io::Result<()> {
        self.flush_buf()?;
        self.w.flush()
    }
}

/// Appends the decimal digits of `v`.
fn push_u64(buf: &mut String, mut v: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    buf.push_str(std::str::from_utf8(&digits[i..]).expect("ASCII digits"));
}

fn write_lines<W: Write>(lines: &[PurchaseLine], w: W, dialect: Dialect) -> io::Result<()> {
    let mut out = ChunkWriter::new(w, dialect);
    let header: [&str; 6] = match dialect {
        Dialect::Standard => [
            "customer_id",
            "date",
            "amount",
            "store",
            "employee",
            "category",
        ],
        Dialect::European => [
            "Kortnummer",
            "Datum",
            "Belopp",
            "Butik",
            "Personal",
            "Kategori",
        ],
    };
    for (i, h) in header.iter().enumerate() {
        if i > 0 {
            out.sep();
        }
        out.field(h);
    }
    out.end_row()?;
    // Lines are sorted by date, so formatting each date once is enough.
    let mut cached: Option<(NaiveDate, String)> = None;
    for line in lines {
        out.field(&line.customer_id);
        out.sep();
        let date = match &cached {
            Some((d, s)) if *d == line.date => s,
            _ => &cached.insert((line.date, dialect.date(line.date))).1,
        };
        out.buf.push_str(date);
        out.sep();
        out.amount(line.amount);
        out.sep();
        out.field(&line.store);
        out.sep();
        out.field(&line.employee);
        out.sep();
        out.field(&line.category);
        out.end_row()?;
    }
    out.finish()
}

/// Standard dialect: UTF-8, ',' separator, header
/// `customer_id,date,amount,store,employee,category`, ISO dates, amounts with
/// exactly 2 decimals and '.' point, quoting as needed.
pub fn write_purchases<W: Write>(lines: &[PurchaseLine], w: W) -> io::Result<()> {
    write_lines(lines, w, Dialect::Standard)
}

/// European variant of the SAME data: Windows-1252 bytes, ';' separator,
/// decimal comma ("49,26", refunds "-12,50"), dd.mm.yyyy dates, Swedish
/// headers `Kortnummer;Datum;Belopp;Butik;Personal;Kategori`, and CRLF line
/// endings as a Windows program would write. Fails with `InvalidData` if a
/// field cannot be represented in Windows-1252.
pub fn write_purchases_european<W: Write>(lines: &[PurchaseLine], w: W) -> io::Result<()> {
    write_lines(lines, w, Dialect::European)
}

/// Writes the truth as UTF-8 CSV with header
/// `customer_id,behaviour,expected_status,change_date` (ISO date, empty when
/// none).
pub fn write_truth<W: Write>(truth: &[Truth], w: W) -> io::Result<()> {
    let mut out = ChunkWriter::new(w, Dialect::Standard);
    out.buf
        .push_str("customer_id,behaviour,expected_status,change_date");
    out.end_row()?;
    for t in truth {
        out.field(&t.customer_id);
        out.sep();
        out.field(t.behaviour.name());
        out.sep();
        out.field(t.behaviour.expected_status());
        out.sep();
        if let Some(d) = t.change_date {
            out.buf.push_str(&Dialect::Standard.date(d));
        }
        out.end_row()?;
    }
    out.finish()
}

// ---------------------------------------------------------------------------
// Feedback
// ---------------------------------------------------------------------------

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

/// Writes feedback as UTF-8 CSV with header
/// `customer_id,date,reason,comment,expected,perceived`: ISO dates, ','
/// separator, quoting as needed, empty fields for missing values.
pub fn write_feedback<W: Write>(lines: &[FeedbackLine], w: W) -> io::Result<()> {
    let mut out = ChunkWriter::new(w, Dialect::Standard);
    out.buf
        .push_str("customer_id,date,reason,comment,expected,perceived");
    out.end_row()?;
    for l in lines {
        out.field(&l.customer_id);
        out.sep();
        out.buf.push_str(&Dialect::Standard.date(l.date));
        out.sep();
        out.field(&l.reason);
        out.sep();
        out.field(&l.comment);
        for rating in [l.expected, l.perceived] {
            out.sep();
            if let Some(r) = rating {
                push_u64(&mut out.buf, u64::from(r));
            }
        }
        out.end_row()?;
    }
    out.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};
    use std::sync::OnceLock;

    /// The default sample, generated once for all tests.
    fn default_sample() -> &'static Sample {
        static SAMPLE: OnceLock<Sample> = OnceLock::new();
        SAMPLE.get_or_init(|| generate(&SampleConfig::default()))
    }

    fn standard_bytes(sample: &Sample) -> Vec<u8> {
        let mut out = Vec::new();
        write_purchases(&sample.lines, &mut out).expect("writing to a Vec succeeds");
        out
    }

    fn small(seed: u64) -> SampleConfig {
        SampleConfig {
            customers: 30,
            seed,
            ..SampleConfig::default()
        }
    }

    fn history_start(cfg: &SampleConfig) -> NaiveDate {
        cfg.as_of
            .checked_sub_months(Months::new(cfg.months))
            .unwrap()
    }

    fn truth_by_id(sample: &Sample) -> HashMap<&str, &Truth> {
        sample
            .truth
            .iter()
            .map(|t| (t.customer_id.as_str(), t))
            .collect()
    }

    /// 64-bit FNV-1a: a hash that, unlike `DefaultHasher`, is fixed forever.
    fn fnv1a(bytes: &[u8]) -> u64 {
        bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
        })
    }

    #[test]
    fn purchases_unchanged_by_feedback() {
        // Hashes of the default sample (seed 42, 300 customers) taken before
        // feedback existed: feedback must draw from streams of its own.
        let sample = default_sample();
        let _ = generate_feedback(sample, &SampleConfig::default());
        assert_eq!(sample.lines.len(), 32805);
        assert_eq!(fnv1a(&standard_bytes(sample)), 0x4cd4_eecc_382c_d805);
        let mut truth = Vec::new();
        write_truth(&sample.truth, &mut truth).unwrap();
        assert_eq!(fnv1a(&truth), 0xe248_f0c2_dd40_5d6c);
        let mut european = Vec::new();
        write_purchases_european(&sample.lines, &mut european).unwrap();
        assert_eq!(fnv1a(&european), 0x0387_b7ca_cd42_5ca7);
    }

    #[test]
    fn same_seed_gives_identical_bytes() {
        let a = generate(&small(7));
        let b = generate(&small(7));
        assert_eq!(standard_bytes(&a), standard_bytes(&b));
        assert_eq!(a.truth, b.truth);
    }

    #[test]
    fn different_seeds_differ() {
        let a = generate(&small(7));
        let b = generate(&small(8));
        assert_ne!(standard_bytes(&a), standard_bytes(&b));
    }

    #[test]
    fn customers_do_not_depend_on_sample_size() {
        let few = generate(&small(42));
        let many = default_sample();
        assert_eq!(few.truth[..], many.truth[..few.truth.len()]);
        let card = |s: &Sample, id: &str| -> Vec<PurchaseLine> {
            s.lines
                .iter()
                .filter(|l| l.customer_id == id)
                .cloned()
                .collect()
        };
        assert_eq!(card(&few, "C000017"), card(many, "C000017"));
    }

    #[test]
    fn all_dates_within_history() {
        let cfg = SampleConfig::default();
        let start = history_start(&cfg);
        let sample = default_sample();
        assert!(!sample.lines.is_empty());
        for line in &sample.lines {
            assert!(line.date >= start && line.date <= cfg.as_of, "{line:?}");
        }
        for t in &sample.truth {
            if let Some(d) = t.change_date {
                assert!(d >= start && d <= cfg.as_of, "{t:?}");
            }
        }
    }

    #[test]
    fn every_behaviour_present() {
        let sample = default_sample();
        let counts = summary_counts(sample);
        assert_eq!(counts.len(), Behaviour::ALL.len());
        for (b, n) in &counts {
            assert!(*n > 0, "no {} customers", b.name());
        }
        assert_eq!(counts.iter().map(|(_, n)| n).sum::<usize>(), 300);
        // Active behaviours carry no change date; the others always do.
        for t in &sample.truth {
            assert_eq!(
                t.change_date.is_some(),
                t.behaviour.expected_status() != "active",
                "{t:?}"
            );
        }
    }

    #[test]
    fn customer_ids_fixed_width_and_ordered() {
        let sample = default_sample();
        assert_eq!(sample.truth[0].customer_id, "C000001");
        assert_eq!(sample.truth[299].customer_id, "C000300");
        assert_eq!(id_width(999_999), 6);
        assert_eq!(id_width(1_234_567), 7);
    }

    #[test]
    fn noise_present() {
        let sample = default_sample();
        let total = sample.lines.len() as f64;
        let anon = sample
            .lines
            .iter()
            .filter(|l| l.customer_id.is_empty())
            .count() as f64;
        assert!((0.04..0.08).contains(&(anon / total)), "anonymous share");
        let refunds: Vec<&PurchaseLine> = sample.lines.iter().filter(|l| l.amount < 0.0).collect();
        assert!(!refunds.is_empty());
        assert!(refunds.iter().all(|l| !l.customer_id.is_empty()));
        let dups = sample.lines.windows(2).filter(|w| w[0] == w[1]).count();
        assert!(dups > 0);
        assert!((dups as f64) < total * 0.01);
    }

    #[test]
    fn refunds_match_an_earlier_purchase() {
        let sample = default_sample();
        let mut by_customer: HashMap<&str, Vec<&PurchaseLine>> = HashMap::new();
        for l in &sample.lines {
            by_customer.entry(&l.customer_id).or_default().push(l);
        }
        for r in sample.lines.iter().filter(|l| l.amount < 0.0) {
            let found = by_customer[r.customer_id.as_str()].iter().any(|l| {
                l.store == r.store
                    && l.category == r.category
                    && l.amount == -r.amount
                    && l.date < r.date
                    && (r.date - l.date).num_days() <= 10
            });
            assert!(found, "orphan refund {r:?}");
        }
    }

    #[test]
    fn lines_sorted_like_a_till_export() {
        let sample = default_sample();
        for w in sample.lines.windows(2) {
            let a = (&w[0].date, &w[0].store, &w[0].customer_id);
            let b = (&w[1].date, &w[1].store, &w[1].customer_id);
            assert!(a <= b, "{:?} before {:?}", w[0], w[1]);
        }
    }

    #[test]
    fn employees_work_in_one_store() {
        let mut store_of: HashMap<&str, &str> = HashMap::new();
        for l in &default_sample().lines {
            let s = store_of.entry(&l.employee).or_insert(&l.store);
            assert_eq!(*s, l.store, "{} works in two stores", l.employee);
        }
        assert_eq!(store_of.len(), 8);
    }

    #[test]
    fn at_most_one_visit_per_customer_per_day() {
        let mut seen: HashMap<(&str, NaiveDate), &str> = HashMap::new();
        for l in default_sample().lines.iter().filter(|l| l.amount > 0.0) {
            if l.customer_id.is_empty() {
                continue;
            }
            let store = seen.entry((&l.customer_id, l.date)).or_insert(&l.store);
            assert_eq!(*store, l.store);
        }
    }

    #[test]
    fn standard_format() {
        let text = String::from_utf8(standard_bytes(default_sample())).unwrap();
        let mut rows = text.lines();
        assert_eq!(
            rows.next(),
            Some("customer_id,date,amount,store,employee,category")
        );
        for row in rows {
            let f: Vec<&str> = row.split(',').collect();
            assert_eq!(f.len(), 6, "{row}");
            assert!(NaiveDate::parse_from_str(f[1], "%Y-%m-%d").is_ok());
            let (_, dec) = f[2].split_once('.').unwrap();
            assert_eq!(dec.len(), 2, "{row}");
        }
        assert!(text.contains("Västerås"));
    }

    #[test]
    fn quoting_only_when_needed() {
        let d = NaiveDate::from_ymd_opt(2026, 1, 2).unwrap();
        let lines = vec![PurchaseLine {
            customer_id: "C1".into(),
            date: d,
            amount: -12.5,
            store: "A, \"B\"".into(),
            employee: "Åsa".into(),
            category: "x;y".into(),
        }];
        let mut out = Vec::new();
        write_purchases(&lines, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.ends_with("C1,2026-01-02,-12.50,\"A, \"\"B\"\"\",Åsa,x;y\n"));
        let mut out = Vec::new();
        write_purchases_european(&lines, &mut out).unwrap();
        let (text, _, bad) = encoding_rs::WINDOWS_1252.decode(&out);
        assert!(!bad);
        assert!(text.ends_with("C1;02.01.2026;-12,50;\"A, \"\"B\"\"\";Åsa;\"x;y\"\r\n"));
    }

    #[test]
    fn unencodable_text_is_an_error() {
        let lines = vec![PurchaseLine {
            customer_id: String::new(),
            date: NaiveDate::from_ymd_opt(2026, 1, 2).unwrap(),
            amount: 1.0,
            store: "☕".into(),
            employee: String::new(),
            category: String::new(),
        }];
        let err = write_purchases_european(&lines, Vec::new()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    }

    #[test]
    fn european_is_windows_1252_of_same_data() {
        let sample = default_sample();
        let mut out = Vec::new();
        write_purchases_european(&sample.lines, &mut out).unwrap();
        // 'ä' is the single byte 0xE4, so this is not UTF-8.
        assert!(out.contains(&0xE4));
        assert!(std::str::from_utf8(&out).is_err());
        let text = encoding_rs::WINDOWS_1252
            .decode_without_bom_handling_and_without_replacement(&out)
            .unwrap();
        assert!(text.contains("Västerås"));
        assert!(text.contains("Malmö"));
        let mut rows = text.split("\r\n");
        assert_eq!(
            rows.next(),
            Some("Kortnummer;Datum;Belopp;Butik;Personal;Kategori")
        );
        let rows: Vec<&str> = rows.filter(|r| !r.is_empty()).collect();
        assert_eq!(rows.len(), sample.lines.len());
        // Field-by-field comparison on a prefix keeps the debug test fast.
        let standard = String::from_utf8(standard_bytes(sample)).unwrap();
        for (eu, std_row) in rows.iter().zip(standard.lines().skip(1)).take(3000) {
            let e: Vec<&str> = eu.split(';').collect();
            let s: Vec<&str> = std_row.split(',').collect();
            assert_eq!(e.len(), 6);
            assert_eq!(e[0], s[0]);
            let date = NaiveDate::parse_from_str(e[1], "%d.%m.%Y").unwrap();
            assert_eq!(date.format("%Y-%m-%d").to_string(), s[1]);
            assert_eq!(e[2], s[2].replace('.', ","));
            assert!(e[2].contains(','));
            assert_eq!(e[3..], s[3..]);
        }
        assert!(
            text.contains(";-"),
            "a refund with a negative decimal-comma amount"
        );
    }

    #[test]
    fn truth_file_round_trips() {
        let sample = default_sample();
        let mut out = Vec::new();
        write_truth(&sample.truth, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let mut rows = text.lines();
        assert_eq!(
            rows.next(),
            Some("customer_id,behaviour,expected_status,change_date")
        );
        for (row, t) in rows.zip(&sample.truth) {
            let f: Vec<&str> = row.split(',').collect();
            assert_eq!(f[0], t.customer_id);
            assert_eq!(Behaviour::from_name(f[1]), Some(t.behaviour));
            assert_eq!(f[2], t.behaviour.expected_status());
            match t.change_date {
                Some(d) => assert_eq!(f[3], d.format("%Y-%m-%d").to_string()),
                None => assert_eq!(f[3], ""),
            }
        }
    }

    /// Visit days (days with a purchase line) per customer.
    fn visit_days(sample: &Sample) -> HashMap<&str, Vec<NaiveDate>> {
        let mut days: HashMap<&str, Vec<NaiveDate>> = HashMap::new();
        for l in sample.lines.iter().filter(|l| l.amount > 0.0) {
            let v = days.entry(&l.customer_id).or_default();
            if v.last() != Some(&l.date) {
                v.push(l.date);
            }
        }
        days
    }

    #[test]
    fn stopped_customers_have_no_visits_from_change_date() {
        let sample = default_sample();
        let days = visit_days(sample);
        let cfg = SampleConfig::default();
        for t in &sample.truth {
            let change = match t.behaviour {
                Behaviour::StoppedRecently | Behaviour::GoneLongAgo => t.change_date.unwrap(),
                _ => continue,
            };
            let v = &days[t.customer_id.as_str()];
            assert_eq!(*v.last().unwrap() + chrono::Days::new(1), change, "{t:?}");
            let gap = (cfg.as_of - change).num_days();
            let range = if t.behaviour == Behaviour::StoppedRecently {
                59..=150
            } else {
                269..=540
            };
            assert!(range.contains(&gap), "{t:?}");
        }
    }

    #[test]
    fn partial_defection_rate_drops() {
        let sample = default_sample();
        let days = visit_days(sample);
        let cfg = SampleConfig::default();
        let (mut before, mut before_days, mut after, mut after_days) = (0, 0, 0, 0);
        for t in sample
            .truth
            .iter()
            .filter(|t| t.behaviour == Behaviour::PartialDefection)
        {
            let change = t.change_date.unwrap();
            let v = &days[t.customer_id.as_str()];
            before += v.iter().filter(|d| **d < change).count();
            before_days += (change - v[0]).num_days();
            after += v.iter().filter(|d| **d >= change).count();
            after_days += (cfg.as_of - change).num_days() + 1;
        }
        let before_rate = before as f64 / before_days as f64;
        let after_rate = after as f64 / after_days as f64;
        assert!(after > 0, "they still come sometimes");
        assert!(
            after_rate < 0.6 * before_rate,
            "{after_rate} vs {before_rate}"
        );
    }

    #[test]
    fn spend_drops_and_habit_stops() {
        let sample = default_sample();
        let truth = truth_by_id(sample);
        // (spend before, visits before, spend after, visits after)
        let mut spend: HashMap<&str, [f64; 4]> = HashMap::new();
        let mut habit_after: HashMap<&str, usize> = HashMap::new();
        let mut cats_before: HashMap<(&str, &str), usize> = HashMap::new();
        for l in sample.lines.iter().filter(|l| l.amount > 0.0) {
            let Some(t) = truth.get(l.customer_id.as_str()) else {
                continue;
            };
            let Some(change) = t.change_date else {
                continue;
            };
            let s = spend.entry(&l.customer_id).or_default();
            let k = if l.date < change { 0 } else { 2 };
            s[k] += l.amount;
            if l.date < change {
                *cats_before
                    .entry((&l.customer_id, &l.category))
                    .or_default() += 1;
            } else {
                habit_after.entry(&l.customer_id).or_default();
            }
        }
        let days = visit_days(sample);
        let ratio = |b: Behaviour| {
            let (mut before, mut after) = (0.0, 0.0);
            for t in sample.truth.iter().filter(|t| t.behaviour == b) {
                let change = t.change_date.unwrap();
                let v = &days[t.customer_id.as_str()];
                let nb = v.iter().filter(|d| **d < change).count() as f64;
                let na = v.iter().filter(|d| **d >= change).count() as f64;
                let s = spend[t.customer_id.as_str()];
                before += s[0] / nb;
                after += s[2] / na;
            }
            after / before
        };
        let spend_ratio = ratio(Behaviour::SpendDrop);
        assert!((0.3..0.6).contains(&spend_ratio), "{spend_ratio}");

        // Category stop: the most bought category before the change is never
        // bought from the change date on.
        for t in sample
            .truth
            .iter()
            .filter(|t| t.behaviour == Behaviour::CategoryStop)
        {
            let id = t.customer_id.as_str();
            let habit = cats_before
                .iter()
                .filter(|((c, _), _)| *c == id)
                .max_by_key(|(_, n)| **n)
                .map(|((_, cat), _)| *cat)
                .unwrap();
            let change = t.change_date.unwrap();
            assert!(
                !sample.lines.iter().any(|l| l.customer_id == id
                    && l.amount > 0.0
                    && l.date >= change
                    && l.category == habit),
                "{id} bought {habit} after {change}"
            );
            assert!(habit_after.contains_key(id), "{id} kept visiting");
        }
    }

    #[test]
    fn new_and_seasonal_customers_look_right() {
        let sample = default_sample();
        let days = visit_days(sample);
        let as_of = SampleConfig::default().as_of;
        for t in &sample.truth {
            let v = &days[t.customer_id.as_str()];
            match t.behaviour {
                Behaviour::New => {
                    let age = (as_of - v[0]).num_days();
                    assert!((20..=100).contains(&age), "{t:?}");
                    assert!((as_of - *v.last().unwrap()).num_days() < i64::from(NEW_RECENCY_DAYS));
                }
                Behaviour::Seasonal => {
                    let months: std::collections::HashSet<u32> =
                        v.iter().map(|d| d.month()).collect();
                    assert!(months.len() <= 5, "{t:?}: {months:?}");
                    let years: std::collections::HashSet<i32> =
                        v.iter().map(|d| d.year()).collect();
                    assert!(years.len() >= 2);
                }
                _ => {}
            }
        }
    }

    #[test]
    fn tiny_and_empty_configs_do_not_panic() {
        for months in [0, 1, 3, 7] {
            let cfg = SampleConfig {
                customers: 40,
                months,
                ..SampleConfig::default()
            };
            let s = generate(&cfg);
            let start = history_start(&cfg);
            assert!(
                s.lines
                    .iter()
                    .all(|l| l.date >= start && l.date <= cfg.as_of)
            );
        }
        let empty = generate(&SampleConfig {
            customers: 0,
            ..SampleConfig::default()
        });
        assert!(empty.lines.is_empty() && empty.truth.is_empty());
    }

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
