//! History: each customer's purchase lines grouped into visits, in date order.
//!
//! A **visit** is a day on which the customer bought something: all their lines of one
//! day are one visit. A day with only refund lines (negative amounts) is not a visit;
//! its amount still counts against their spend. Rows dated after the as-of date are
//! left out, and exact duplicate lines are found here (dropped with `--dedupe`).

use crate::normalize::{Day, Purchases};

/// One visit: a customer-day with at least one line that is not a refund.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Visit {
    pub day: Day,
    /// Net amount of the day's lines (refunds on the same day included).
    pub spend: f64,
    pub lines: u32,
}

/// A customer's history up to the as-of date. Slices borrow from per-thread buffers.
#[derive(Clone, Copy, Debug)]
pub struct History<'a> {
    pub customer: u32,
    pub visits: &'a [Visit],
    /// Days with refund lines only: (day, negative amount).
    pub refunds: &'a [(Day, f64)],
    /// Categories bought on visit `i` are `categories[offsets[i]..offsets[i + 1]]`.
    categories: &'a [u32],
    offsets: &'a [u32],
    /// The store, employee and category of most of their visits.
    pub main_store: Option<u32>,
    /// The store of their first visit.
    pub first_store: Option<u32>,
    pub main_employee: Option<u32>,
    pub main_category: Option<u32>,
}

impl<'a> History<'a> {
    /// Builds a history from parts (used by tests and by [`group`]).
    pub fn new(
        customer: u32,
        visits: &'a [Visit],
        refunds: &'a [(Day, f64)],
        categories: &'a [u32],
        offsets: &'a [u32],
    ) -> History<'a> {
        debug_assert!(offsets.len() == visits.len() + 1 || categories.is_empty());
        History {
            customer,
            visits,
            refunds,
            categories,
            offsets,
            main_store: None,
            first_store: None,
            main_employee: None,
            main_category: None,
        }
    }

    /// The categories bought on visit `i` (empty when the input has no category column).
    pub fn visit_categories(&self, i: usize) -> &'a [u32] {
        match (self.offsets.get(i), self.offsets.get(i + 1)) {
            (Some(&a), Some(&b)) => &self.categories[a as usize..b as usize],
            _ => &[],
        }
    }

    pub fn has_categories(&self) -> bool {
        !self.categories.is_empty()
    }

    /// The same history as it stood at the end of `day`.
    pub fn until(&self, day: Day) -> History<'a> {
        let n = self.visits.partition_point(|v| v.day <= day);
        let r = self.refunds.partition_point(|&(d, _)| d <= day);
        History {
            visits: &self.visits[..n],
            refunds: &self.refunds[..r],
            offsets: if self.offsets.is_empty() {
                self.offsets
            } else {
                &self.offsets[..=n]
            },
            ..*self
        }
    }

    pub fn first_day(&self) -> Option<Day> {
        self.visits.first().map(|v| v.day)
    }

    pub fn last_day(&self) -> Option<Day> {
        self.visits.last().map(|v| v.day)
    }

    /// Index range of the visits on days `from..to` (half-open).
    pub fn visit_range(&self, from: Day, to: Day) -> std::ops::Range<usize> {
        let a = self.visits.partition_point(|v| v.day < from);
        let b = self.visits.partition_point(|v| v.day < to);
        a..b.max(a)
    }

    /// Visits on days `from..to`.
    pub fn visits_between(&self, from: Day, to: Day) -> usize {
        self.visit_range(from, to).len()
    }

    /// Net revenue on days `from..to`: visits and refund-only days.
    pub fn revenue_between(&self, from: Day, to: Day) -> f64 {
        let visits: f64 = self.visits[self.visit_range(from, to)]
            .iter()
            .map(|v| v.spend)
            .sum();
        let refunds: f64 = self
            .refunds
            .iter()
            .filter(|(d, _)| *d >= from && *d < to)
            .map(|(_, a)| a)
            .sum();
        // `+ 0.0` turns the -0.0 of an empty f64 sum into 0.0.
        visits + refunds + 0.0
    }

    /// Net revenue over the whole history.
    pub fn revenue(&self) -> f64 {
        self.visits.iter().map(|v| v.spend).sum::<f64>()
            + self.refunds.iter().map(|(_, a)| a).sum::<f64>()
            + 0.0
    }
}

/// What grouping did with the rows it was given.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GroupCounts {
    /// Exact duplicate lines (a repeat of an earlier line of the same customer).
    pub duplicates: u64,
    /// Whether duplicates were dropped (`--dedupe`) or kept.
    pub duplicates_dropped: bool,
    pub after_as_of: u64,
    pub used: u64,
    pub refund_lines: u64,
}

/// Groups purchases into histories and calls `judge` on each customer that has a visit
/// on or before `as_of`, in customer order. Work is split across threads.
pub fn group<R, F>(
    purchases: &Purchases,
    as_of: Day,
    dedupe: bool,
    judge: F,
) -> (Vec<R>, GroupCounts)
where
    R: Send,
    F: Fn(&History) -> R + Sync,
{
    let customers = purchases.customer_codes();
    let days = purchases.days();
    let n_customers = purchases.customers.len();

    // Counting sort of row indices by customer: O(rows), no comparison sort.
    let mut offsets = vec![0u32; n_customers + 1];
    let mut after_as_of = 0u64;
    for (row, (&c, &d)) in customers.iter().zip(days).enumerate() {
        if d > as_of {
            after_as_of += purchases.weight(row);
        } else {
            offsets[c as usize + 1] += 1;
        }
    }
    for i in 0..n_customers {
        offsets[i + 1] += offsets[i];
    }
    let mut order = vec![0u32; offsets[n_customers] as usize];
    let mut next = offsets.clone();
    for (row, (&c, &d)) in customers.iter().zip(days).enumerate() {
        if d <= as_of {
            let slot = &mut next[c as usize];
            order[*slot as usize] = row as u32;
            *slot += 1;
        }
    }
    drop(next);

    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8);
    let chunks = split_balanced(&offsets, threads * 4);
    let queue = std::sync::Mutex::new(chunks.iter().enumerate());
    let outputs = std::sync::Mutex::new(Vec::new());
    let (order, offsets, judge) = (&order, &offsets, &judge);
    std::thread::scope(|scope| {
        let mut handles = Vec::new();
        for _ in 0..threads {
            handles.push(scope.spawn(|| {
                let mut buffers = Buffers::default();
                loop {
                    let next = queue.lock().map(|mut q| q.next()).ok().flatten();
                    let Some((k, range)) = next else { break };
                    let mut counts = GroupCounts::default();
                    let mut out = Vec::with_capacity(range.len());
                    for c in range.clone() {
                        let rows = &order[offsets[c] as usize..offsets[c + 1] as usize];
                        if let Some(h) =
                            buffers.build(purchases, c as u32, rows, dedupe, &mut counts)
                        {
                            out.push(judge(&h));
                        }
                    }
                    if let Ok(mut o) = outputs.lock() {
                        o.push((k, out, counts));
                    }
                }
            }));
        }
        for h in handles {
            // A panic in a worker is a bug; surface it rather than hide it.
            if let Err(p) = h.join() {
                std::panic::resume_unwind(p);
            }
        }
    });
    let mut outputs = outputs.into_inner().unwrap_or_default();
    outputs.sort_by_key(|(k, _, _)| *k);
    let results: Vec<(Vec<R>, GroupCounts)> = outputs
        .into_iter()
        .map(|(_, out, counts)| (out, counts))
        .collect();

    let mut all = Vec::with_capacity(n_customers);
    let mut counts = GroupCounts {
        after_as_of,
        duplicates_dropped: dedupe,
        ..Default::default()
    };
    for (out, c) in results {
        all.extend(out);
        counts.duplicates += c.duplicates;
        counts.used += c.used;
        counts.refund_lines += c.refund_lines;
    }
    (all, counts)
}

/// Splits customers into about `parts` ranges with similar numbers of rows.
fn split_balanced(offsets: &[u32], parts: usize) -> Vec<std::ops::Range<usize>> {
    let n = offsets.len() - 1;
    let total = u64::from(offsets[n]);
    let per = (total / parts as u64).max(1);
    let mut ranges = Vec::new();
    let mut start = 0;
    for c in 0..n {
        if u64::from(offsets[c + 1] - offsets[start]) >= per {
            ranges.push(start..c + 1);
            start = c + 1;
        }
    }
    if start < n {
        ranges.push(start..n);
    }
    ranges
}

/// One purchase line, gathered from the columns for one customer.
#[derive(Clone, Copy, Debug)]
struct Line {
    day: Day,
    hash: u32,
    amount: f64,
    store: u32,
    employee: u32,
    category: u32,
    /// How many raw lines it stands for: 1, or a daily table's `lines`.
    weight: u32,
}

impl Line {
    /// Exact duplicates have the same raw fields: the hash says so, and the typed
    /// fields must agree as well (so a hash collision cannot drop a real line).
    fn same_as(&self, other: &Line) -> bool {
        self.hash == other.hash
            && self.day == other.day
            && self.amount.to_bits() == other.amount.to_bits()
            && self.store == other.store
            && self.employee == other.employee
            && self.category == other.category
    }
}

/// Visits per value of one dimension (store, employee or category).
#[derive(Default)]
struct Tally(Vec<(u32, u32)>);

impl Tally {
    fn add(&mut self, code: u32) {
        match self.0.iter_mut().find(|(c, _)| *c == code) {
            Some(t) => t.1 += 1,
            None => self.0.push((code, 1)),
        }
    }

    /// The value with the most visits; ties go to the name first in byte order, so the
    /// answer does not depend on the order of the lines (several files, a SQL engine's
    /// daily table).
    fn main(&self, names: Option<&crate::normalize::Dictionary>) -> Option<u32> {
        let name = |code: u32| names.map_or("", |d| d.name(code));
        self.0
            .iter()
            .max_by(|a, b| a.1.cmp(&b.1).then_with(|| name(b.0).cmp(name(a.0))))
            .map(|t| t.0)
    }
}

/// Per-thread scratch space, reused from customer to customer.
#[derive(Default)]
struct Buffers {
    lines: Vec<Line>,
    visits: Vec<Visit>,
    refunds: Vec<(Day, f64)>,
    categories: Vec<u32>,
    offsets: Vec<u32>,
    stores: Tally,
    employees: Tally,
    category_visits: Tally,
}

impl Buffers {
    fn build<'a>(
        &'a mut self,
        p: &Purchases,
        customer: u32,
        rows: &[u32],
        dedupe: bool,
        counts: &mut GroupCounts,
    ) -> Option<History<'a>> {
        let (days, amounts, hashes) = (p.days(), p.amounts(), p.row_hashes());
        let (stores, employees, categories) =
            (p.store_codes(), p.employee_codes(), p.category_codes());
        let code = |col: Option<&[u32]>, r: usize| col.map_or(0, |c| c[r]);
        // Gather once: sorting and grouping then work on contiguous memory.
        self.lines.clear();
        self.lines.extend(rows.iter().map(|&r| {
            let r = r as usize;
            Line {
                day: days[r],
                hash: hashes[r],
                amount: amounts[r],
                store: code(stores, r),
                employee: code(employees, r),
                category: code(categories, r),
                weight: p.weight(r) as u32,
            }
        }));
        // Date order, then the typed fields: the same data exported in another dialect
        // sums in the same order (to the last bit). Equal lines end up side by side.
        self.lines.sort_unstable_by_key(|l| {
            (
                l.day,
                l.amount.to_bits(),
                l.store,
                l.employee,
                l.category,
                l.hash,
            )
        });
        self.visits.clear();
        self.refunds.clear();
        self.categories.clear();
        self.offsets.clear();
        self.offsets.push(0);
        self.stores.0.clear();
        self.employees.0.clear();
        self.category_visits.0.clear();
        let lines = &self.lines;
        let mut i = 0;
        while i < lines.len() {
            let day = lines[i].day;
            let start = i;
            let (mut spend, mut n_lines) = (0.0, 0u32);
            let cat_start = self.categories.len();
            let mut j = i;
            while j < lines.len() && lines[j].day == day {
                let line = lines[j];
                let duplicate = j > start && line.same_as(&lines[j - 1]);
                j += 1;
                if duplicate {
                    counts.duplicates += u64::from(line.weight);
                    if dedupe {
                        continue;
                    }
                }
                counts.used += u64::from(line.weight);
                spend += line.amount;
                if line.amount < 0.0 {
                    counts.refund_lines += u64::from(line.weight);
                    continue;
                }
                n_lines += line.weight;
                // Count each value once per visit.
                let earlier = &lines[start..j - 1];
                let bought_before = |f: fn(&Line) -> u32| {
                    earlier.iter().any(|l| l.amount >= 0.0 && f(l) == f(&line))
                };
                if stores.is_some() && !bought_before(|l| l.store) {
                    self.stores.add(line.store);
                }
                if employees.is_some() && !bought_before(|l| l.employee) {
                    self.employees.add(line.employee);
                }
                if categories.is_some() && !bought_before(|l| l.category) {
                    self.category_visits.add(line.category);
                    self.categories.push(line.category);
                }
            }
            if n_lines > 0 {
                self.visits.push(Visit {
                    day,
                    spend,
                    lines: n_lines,
                });
                self.offsets.push(self.categories.len() as u32);
            } else {
                self.categories.truncate(cat_start);
                self.refunds.push((day, spend));
            }
            i = j;
        }
        if self.visits.is_empty() {
            // Refunds only: not a customer who visited. Their rows still count as used.
            return None;
        }
        let mut h = History::new(
            customer,
            &self.visits,
            &self.refunds,
            &self.categories,
            &self.offsets,
        );
        if categories.is_none() {
            h.offsets = &[];
        }
        h.main_store = stores.and(self.stores.main(p.stores.as_ref()));
        h.first_store = stores.and(self.lines.iter().find(|l| l.amount >= 0.0).map(|l| l.store));
        h.main_employee = employees.and(self.employees.main(p.employees.as_ref()));
        h.main_category = categories.and(self.category_visits.main(p.categories.as_ref()));
        Some(h)
    }
}
