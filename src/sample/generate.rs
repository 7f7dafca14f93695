//! Drawing the purchase lines of a sample: a small chain's stores, staff and
//! categories, and one [`Behaviour`] per card holder.

use chrono::{Datelike, Months, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Gamma, StandardNormal};

use super::{Behaviour, PurchaseLine, Sample, SampleConfig, Truth};

/// Store names, kept in byte order so that sorting by store index equals
/// sorting by store name.
const STORES: [&str; 3] = ["Göteborg", "Malmö", "Västerås"];
/// Staff names; each works in exactly one store (see [`STAFF`]).
pub(super) const EMPLOYEES: [&str; 8] = [
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
pub(super) fn pick_weighted(rng: &mut ChaCha8Rng, weights: &[f64]) -> usize {
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

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::super::test_support::*;
    use super::super::*;
    use super::*;

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
}
