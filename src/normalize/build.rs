//! Putting converted batches together: a file's batches in file order ([`FilePart`]),
//! then files one after another into one set of purchases ([`Builder`]), with one
//! dictionary per column across files so the same customer is the same code whichever
//! export their lines came from, and a line repeated across overlapping exports is an
//! exact duplicate like any other.

use anyhow::{Result, bail};
use polars::prelude::*;
use rustc_hash::FxHashMap;

use super::convert::{Chunk, Columns, Reversal};
use super::date::{DateColumn, Day, Resolved};
use super::plausible;
use super::{
    AmountSource, DateFormat, DecimalMark, Dictionary, FileRows, KeptColumns, Purchases, RowCounts,
    UsedColumns, col,
};

/// The rows of one file built so far from its batches, in file order.
pub(crate) struct FilePart {
    customers: Dictionary,
    stores: Option<Dictionary>,
    employees: Option<Dictionary>,
    categories: Option<Dictionary>,
    orders: Dictionary,
    cust: Vec<u32>,
    days: Vec<Day>,
    alt_days: Vec<Day>,
    amounts: Vec<f64>,
    store_col: Vec<u32>,
    employee_col: Vec<u32>,
    category_col: Vec<u32>,
    order_col: Vec<u32>,
    refund_col: Vec<f64>,
    row_hash: Vec<u32>,
    /// A daily table's weights (empty otherwise).
    weights: Vec<u32>,
    /// The line of each row, to name it if its date proves implausible.
    lines: Vec<u32>,
    /// Anonymous rows by (day, month-first day): their first line and how many.
    anonymous_days: FxHashMap<(Day, Day), (u64, u64)>,
    /// Whether the month-first readings were taken.
    month_first: bool,
    reversals: Vec<Reversal>,
    pub rows: RowCounts,
    last_day: Option<Day>,
    last_alt: Option<Day>,
    /// The date column's state, merged from the batches in order.
    pub dates: Option<DateColumn>,
    /// Kept columns per file customer code.
    kept: FxHashMap<u32, Vec<String>>,
}

fn remap(global: &mut Dictionary, local: &Dictionary) -> Vec<u32> {
    local.values.iter().map(|v| global.code_str(v)).collect()
}

fn extend(column: &mut Vec<u32>, codes: &[u32], map: &[u32]) {
    column.extend(codes.iter().map(|&c| map[c as usize]));
}

/// Adds later kept values (per local customer code, `map` to ours): later lines are
/// later in time, so their non-empty values win.
fn merge_kept(
    kept: &mut FxHashMap<u32, Vec<String>>,
    later: FxHashMap<u32, Vec<String>>,
    map: &[u32],
) {
    for (local, values) in later {
        let slot = kept
            .entry(map[local as usize])
            .or_insert_with(|| vec![String::new(); values.len()]);
        for (old, new) in slot.iter_mut().zip(values) {
            if !new.is_empty() {
                *old = new;
            }
        }
    }
}

impl FilePart {
    pub fn new(c: &Columns, capacity: usize, undecided: bool) -> FilePart {
        let cap = |present: bool| if present { capacity } else { 0 };
        FilePart {
            customers: Dictionary::default(),
            stores: c.store.map(|_| Dictionary::default()),
            employees: c.employee.map(|_| Dictionary::default()),
            categories: c.category.map(|_| Dictionary::default()),
            orders: Dictionary::default(),
            cust: Vec::with_capacity(capacity),
            days: Vec::with_capacity(capacity),
            alt_days: Vec::with_capacity(cap(undecided)),
            amounts: Vec::with_capacity(capacity),
            store_col: Vec::with_capacity(cap(c.store.is_some())),
            employee_col: Vec::with_capacity(cap(c.employee.is_some())),
            category_col: Vec::with_capacity(cap(c.category.is_some())),
            order_col: Vec::new(),
            refund_col: Vec::new(),
            row_hash: Vec::with_capacity(capacity),
            weights: Vec::new(),
            lines: Vec::with_capacity(capacity),
            anonymous_days: FxHashMap::default(),
            month_first: false,
            reversals: Vec::new(),
            rows: RowCounts::default(),
            last_day: None,
            last_alt: None,
            dates: None,
            kept: FxHashMap::default(),
        }
    }

    /// Appends a batch, turning its dictionary codes into the file's.
    pub fn absorb(&mut self, chunk: Chunk) -> Result<()> {
        // Rows before the bad one count; then the error stops the scan.
        let map = remap(&mut self.customers, &chunk.customers);
        extend(&mut self.cust, &chunk.cust, &map);
        merge_kept(&mut self.kept, chunk.kept, &map);
        for (global, local, column, codes) in [
            (
                &mut self.stores,
                &chunk.stores,
                &mut self.store_col,
                &chunk.store,
            ),
            (
                &mut self.employees,
                &chunk.employees,
                &mut self.employee_col,
                &chunk.employee,
            ),
            (
                &mut self.categories,
                &chunk.categories,
                &mut self.category_col,
                &chunk.category,
            ),
        ] {
            if let Some(global) = global.as_mut() {
                let map = remap(global, local);
                extend(column, codes, &map);
            }
        }
        if !chunk.order.is_empty() {
            let map = remap(&mut self.orders, &chunk.orders);
            extend(&mut self.order_col, &chunk.order, &map);
            self.refund_col.extend_from_slice(&chunk.refund);
        }
        self.days.extend_from_slice(&chunk.days);
        self.alt_days.extend_from_slice(&chunk.alt_days);
        self.amounts.extend_from_slice(&chunk.amounts);
        self.row_hash.extend_from_slice(&chunk.hashes);
        self.lines.extend_from_slice(&chunk.lines);
        self.weights.extend_from_slice(&chunk.weights);
        for (key, (line, n)) in chunk.anonymous_days {
            let slot = self.anonymous_days.entry(key).or_insert((line, 0));
            slot.0 = slot.0.min(line);
            slot.1 += n;
        }
        self.reversals.extend(chunk.reversals);
        self.rows.add(&chunk.rows);
        let later = |a: Option<Day>, b: Option<Day>| a.max(b);
        self.last_day = later(self.last_day, chunk.last_day);
        self.last_alt = later(self.last_alt, chunk.last_alt);
        match self.dates.as_mut() {
            Some(d) => d.absorb(chunk.dates),
            None => self.dates = Some(chunk.dates),
        }
        match chunk.error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Decides the date format once every value has been read, taking the month-first
    /// readings when the whole column says so.
    pub fn resolve_dates(&mut self, dates: DateColumn) -> Result<DateFormat> {
        Ok(match dates.resolve()? {
            Resolved::First(f) => f,
            Resolved::Alternative => {
                self.days = std::mem::take(&mut self.alt_days);
                self.last_day = self.last_alt;
                self.month_first = true;
                for r in &mut self.reversals {
                    r.day = r.alt_day;
                }
                DateFormat::Mdy
            }
        })
    }

    /// Finds implausible dates (see [`super::plausible`]): without `skip`, the first is an
    /// error naming its line and value; with it, their lines are skipped and counted.
    pub fn drop_implausible(&mut self, file: &str, column: &str, skip: bool) -> Result<()> {
        let anonymous: Vec<(Day, u64, u64)> = self
            .anonymous_days
            .iter()
            .map(|(&(day, alt), &(line, n))| (if self.month_first { alt } else { day }, line, n))
            .collect();
        let p = plausible::judge(
            self.days
                .iter()
                .map(|&d| (d, 1))
                .chain(anonymous.iter().map(|&(d, _, n)| (d, n))),
        );
        if p.bad.is_empty() {
            return Ok(());
        }
        let reason = |day: Day| {
            format!(
                "column \"{column}\": \"{}\" is far from the rest of the data ({}), a mistyped year",
                super::date::to_date(day),
                p.range()
            )
        };
        let mut found: Vec<(u64, Day, u64)> = self
            .days
            .iter()
            .zip(&self.lines)
            .filter(|(d, _)| p.bad.contains(d))
            .map(|(&d, &line)| (u64::from(line), d, 1))
            .chain(
                anonymous
                    .iter()
                    .filter(|(d, _, _)| p.bad.contains(d))
                    .map(|&(d, line, n)| (line, d, n)),
            )
            .collect();
        found.sort_unstable();
        if !skip {
            let (line, day, _) = found[0];
            bail!(
                "{file}:{line}: {}? Fix the export, or pass --skip-bad-rows to leave such lines out",
                reason(day)
            );
        }
        for &(line, day, n) in &found {
            for _ in 0..n {
                self.rows.skipped.push(super::Rejected {
                    line,
                    reason: reason(day),
                    fields: Vec::new(),
                });
            }
        }
        self.rows.anonymous -= anonymous
            .iter()
            .filter(|(d, _, _)| p.bad.contains(d))
            .map(|(_, _, n)| n)
            .sum::<u64>();
        let removed: Vec<bool> = self.days.iter().map(|d| p.bad.contains(d)).collect();
        keep(&mut self.cust, &removed);
        keep(&mut self.days, &removed);
        keep(&mut self.amounts, &removed);
        keep(&mut self.store_col, &removed);
        keep(&mut self.employee_col, &removed);
        keep(&mut self.category_col, &removed);
        keep(&mut self.order_col, &removed);
        keep(&mut self.refund_col, &removed);
        keep(&mut self.row_hash, &removed);
        keep(&mut self.weights, &removed);
        keep(&mut self.lines, &removed);
        self.last_day = p.last;
        Ok(())
    }

    /// Takes each order's refunded amount (written once per order, Shopify's
    /// `Refunded Amount`) off its lines in file order, no line below zero: the order
    /// keeps its visit, its revenue is what was kept. A refund beyond the order's line
    /// amounts (shipping, tax) is not revenue churn counted, so it is not taken off.
    pub fn spread_refunds(&mut self) {
        if self.refund_col.is_empty() {
            return;
        }
        let mut left: FxHashMap<u32, f64> = FxHashMap::default();
        for (&order, &refund) in self.order_col.iter().zip(&self.refund_col) {
            if refund > 0.0 {
                *left.entry(order).or_default() += refund;
            }
        }
        for (amount, order) in self.amounts.iter_mut().zip(&self.order_col) {
            if let Some(rest) = left.get_mut(order) {
                let take = rest.min(amount.max(0.0));
                *amount -= take;
                *rest -= take;
            }
        }
    }
}

/// Keeps the values whose `removed` flag is false (a column without values is left).
fn keep<T: Copy>(v: &mut Vec<T>, removed: &[bool]) {
    if v.len() == removed.len() {
        let mut i = 0;
        v.retain(|_| {
            i += 1;
            !removed[i - 1]
        });
    }
}

/// Purchases of several files, built one file after another.
#[derive(Default)]
pub(crate) struct Builder {
    customers: Dictionary,
    stores: Option<Dictionary>,
    employees: Option<Dictionary>,
    categories: Option<Dictionary>,
    cust: Vec<u32>,
    days: Vec<Day>,
    amounts: Vec<f64>,
    store_col: Vec<u32>,
    employee_col: Vec<u32>,
    category_col: Vec<u32>,
    row_hash: Vec<u32>,
    /// Daily tables' weights (empty when no file is one).
    weights: Vec<u32>,
    reversals: Vec<Reversal>,
    /// Index of the first row of each file.
    starts: Vec<usize>,
    rows: RowCounts,
    files: Vec<FileRows>,
    last_day: Option<Day>,
    kept: FxHashMap<u32, Vec<String>>,
    kept_names: Vec<String>,
    formats: Option<(DateFormat, DecimalMark)>,
}

/// Appends the codes of one optional column, creating the column when this file is the
/// first to have it (earlier rows get the empty value) and giving the empty value to
/// this file's rows when it lacks a column others have.
fn append_column(
    global: &mut Option<Dictionary>,
    column: &mut Vec<u32>,
    local: Option<Dictionary>,
    codes: Vec<u32>,
    before: usize,
    rows: usize,
) {
    match (global.as_mut(), local) {
        (None, None) => {}
        (None, Some(local)) if before == 0 => {
            *global = Some(local);
            *column = codes;
        }
        (None, Some(local)) => {
            let mut dict = Dictionary::default();
            let empty = dict.code_str("");
            column.resize(before, empty);
            let map = remap(&mut dict, &local);
            extend(column, &codes, &map);
            *global = Some(dict);
        }
        (Some(dict), None) => {
            let empty = dict.code_str("");
            column.resize(before + rows, empty);
        }
        (Some(dict), Some(local)) => {
            let map = remap(dict, &local);
            extend(column, &codes, &map);
        }
    }
}

impl Builder {
    /// Adds one file's rows.
    pub fn append(
        &mut self,
        part: FilePart,
        file: FileRows,
        date_format: DateFormat,
        decimal: DecimalMark,
    ) -> Result<()> {
        if let Some(first) = self.files.first() {
            if first.columns.has_amounts() != file.columns.has_amounts() {
                let (with, without) = if first.columns.has_amounts() {
                    (first, &file)
                } else {
                    (&file, first)
                };
                bail!(
                    "{}: has no amount column, but {} has one ({}); read them in separate runs, or map the amount with --amount-col NAME",
                    without.name,
                    with.name,
                    with.columns.amount
                );
            }
        }
        let before = self.cust.len();
        let rows = part.cust.len();
        self.starts.push(before);
        self.formats.get_or_insert((date_format, decimal));
        if before == 0 && self.customers.is_empty() {
            // The first file: its codes are the codes.
            self.customers = part.customers;
            self.cust = part.cust;
            self.kept = part.kept;
        } else {
            let map = remap(&mut self.customers, &part.customers);
            extend(&mut self.cust, &part.cust, &map);
            merge_kept(&mut self.kept, part.kept, &map);
        }
        append_column(
            &mut self.stores,
            &mut self.store_col,
            part.stores,
            part.store_col,
            before,
            rows,
        );
        append_column(
            &mut self.employees,
            &mut self.employee_col,
            part.employees,
            part.employee_col,
            before,
            rows,
        );
        append_column(
            &mut self.categories,
            &mut self.category_col,
            part.categories,
            part.category_col,
            before,
            rows,
        );
        if !part.weights.is_empty() || !self.weights.is_empty() {
            // One weight per row once any file is a daily table.
            self.weights.resize(before, 1);
            if part.weights.is_empty() {
                self.weights.resize(before + rows, 1);
            } else {
                self.weights.extend_from_slice(&part.weights);
            }
        }
        if before == 0 {
            self.days = part.days;
            self.amounts = part.amounts;
            self.row_hash = part.row_hash;
        } else {
            self.days.extend_from_slice(&part.days);
            self.amounts.extend_from_slice(&part.amounts);
            self.row_hash.extend_from_slice(&part.row_hash);
        }
        self.reversals.extend(part.reversals);
        self.rows.add(&part.rows);
        self.last_day = self.last_day.max(part.last_day);
        self.files.push(file);
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    pub fn set_kept_names(&mut self, names: Vec<String>) {
        self.kept_names = names;
    }

    /// Excludes the sale each void record reverses: the customer's line of that day
    /// with the opposite amount (the latest one, when several match).
    fn apply_reversals(&mut self) {
        if self.reversals.is_empty() {
            return;
        }
        let mut sales: FxHashMap<(u32, Day, i64), Vec<usize>> = FxHashMap::default();
        for (row, ((&c, &d), &a)) in self
            .cust
            .iter()
            .zip(&self.days)
            .zip(&self.amounts)
            .enumerate()
        {
            if a > 0.0 {
                sales
                    .entry((c, d, (a * 100.0).round() as i64))
                    .or_default()
                    .push(row);
            }
        }
        let mut removed = vec![false; self.cust.len()];
        let mut any = false;
        for r in std::mem::take(&mut self.reversals) {
            let Some(code) = self.customers.find(r.customer.as_bytes()) else {
                continue;
            };
            if let Some(row) = sales.get_mut(&(code, r.day, -r.cents)).and_then(Vec::pop) {
                removed[row] = true;
                any = true;
                let file = self.starts.partition_point(|&s| s <= row) - 1;
                self.files[file].rows.voided += 1;
                self.rows.voided += 1;
            }
        }
        if !any {
            return;
        }
        keep(&mut self.cust, &removed);
        keep(&mut self.days, &removed);
        keep(&mut self.amounts, &removed);
        keep(&mut self.store_col, &removed);
        keep(&mut self.employee_col, &removed);
        keep(&mut self.category_col, &removed);
        keep(&mut self.row_hash, &removed);
        keep(&mut self.weights, &removed);
    }

    /// The purchases of every file appended.
    pub fn finish(mut self) -> Result<Purchases> {
        let names: Vec<&str> = self.files.iter().map(|f| f.name.as_str()).collect();
        let source = match names.as_slice() {
            [] => bail!("no input files"),
            [one] => one.to_string(),
            [a, b] => format!("{a} and {b}"),
            [a, b, c] => format!("{a}, {b} and {c}"),
            [first, rest @ ..] => format!("{first} and {} more files", rest.len()),
        };
        if self.rows.read == 0 {
            if self.files.len() == 1 {
                bail!("{source}: the file has a header but no data rows");
            }
            bail!("{source}: the files have headers but no data rows");
        }
        self.apply_reversals();
        let columns = self.files[0].columns.clone();
        let (date_format, decimal) = self
            .formats
            .take()
            .unwrap_or((DateFormat::Ymd, DecimalMark::Point));
        let mut frame_columns: Vec<Column> = vec![
            UInt32Chunked::from_vec(col::CUSTOMER.into(), self.cust)
                .into_series()
                .into(),
            Int32Chunked::from_vec(col::DATE.into(), self.days)
                .into_date()
                .into_series()
                .into(),
            Float64Chunked::from_vec(col::AMOUNT.into(), self.amounts)
                .into_series()
                .into(),
        ];
        for (name, values, present) in [
            (col::STORE, self.store_col, self.stores.is_some()),
            (col::EMPLOYEE, self.employee_col, self.employees.is_some()),
            (col::CATEGORY, self.category_col, self.categories.is_some()),
        ] {
            if present {
                frame_columns.push(
                    UInt32Chunked::from_vec(name.into(), values)
                        .into_series()
                        .into(),
                );
            }
        }
        let frame = DataFrame::new_infer_height(frame_columns)?;
        Ok(Purchases {
            source,
            frame,
            row_hash: self.row_hash,
            customers: self.customers,
            stores: self.stores,
            employees: self.employees,
            categories: self.categories,
            rows: self.rows,
            last_day: self.last_day,
            date_format,
            decimal,
            kept: KeptColumns {
                names: self.kept_names,
                values: self.kept,
            },
            columns,
            files: self.files,
            weights: self.weights,
        })
    }
}

impl UsedColumns {
    pub(crate) fn has_amounts(&self) -> bool {
        self.amount != AmountSource::None
    }
}
