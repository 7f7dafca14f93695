//! Normalize: raw records become typed, validated [`Purchases`]. Every value that
//! cannot be read is reported with its file, line, column and text, or (with
//! `--skip-bad-rows`) counted and kept aside for the rejects file.

pub mod amount;
pub mod date;
pub mod feedback;

use std::hash::{Hash, Hasher};

use anyhow::{Result, bail};
use csv::ByteRecord;
use polars::prelude::*;
use rustc_hash::{FxHashMap, FxHasher};

use crate::load::{Role, Table};
pub use amount::DecimalMark;
use date::{DateColumn, Detected, Resolved};
pub use date::{DateFormat, Day};

/// Column names of the purchases frame.
pub mod col {
    pub const CUSTOMER: &str = "customer";
    pub const DATE: &str = "date";
    pub const AMOUNT: &str = "amount";
    pub const STORE: &str = "store";
    pub const EMPLOYEE: &str = "employee";
    pub const CATEGORY: &str = "category";
}

/// How values are written; `None` means "detect from the data".
#[derive(Clone, Debug, Default)]
pub struct ValueOptions {
    pub date_format: Option<DateFormat>,
    pub decimal: Option<DecimalMark>,
    pub skip_bad_rows: bool,
    /// Extra columns to keep per customer (their latest non-empty value), e.g. contact
    /// details for a call list.
    pub keep: Vec<String>,
}

/// Extra columns kept per customer: the latest non-empty value of each.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KeptColumns {
    /// The column names, as in the header.
    pub names: Vec<String>,
    /// Per customer code, one value per column ("" when never given).
    pub values: FxHashMap<u32, Vec<String>>,
}

/// A row that could not be used, kept for the summary and the rejects file.
#[derive(Clone, Debug, PartialEq)]
pub struct Rejected {
    pub line: u64,
    pub reason: String,
    /// The row's fields, as read.
    pub fields: Vec<String>,
}

/// What happened to the rows of the input. Rows are counted once, in the first of:
/// skipped (bad), anonymous, then, when rows are grouped into visits, duplicate
/// (dropped with `--dedupe`) or after the as-of date; the rest are used.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RowCounts {
    pub read: u64,
    pub anonymous: u64,
    pub skipped: Vec<Rejected>,
    pub empty_dates: u64,
}

/// A string column stored as codes into a list of distinct values.
#[derive(Clone, Debug, Default)]
pub struct Dictionary {
    pub values: Vec<String>,
    /// Values of up to 15 bytes, packed with their length into one integer: most ids
    /// and names are that short, and an integer key needs no byte comparison.
    short: FxHashMap<u128, u32>,
    long: FxHashMap<Box<[u8]>, u32>,
    /// The last short key and its code: lines of one visit, store or shift come
    /// together in exports, so most lookups repeat the previous value.
    last: Option<(u128, u32)>,
}

/// Packs up to 15 bytes and their length into a `u128`.
fn pack(bytes: &[u8]) -> Option<u128> {
    if bytes.len() > 15 {
        return None;
    }
    let mut buf = [0u8; 16];
    buf[..bytes.len()].copy_from_slice(bytes);
    buf[15] = bytes.len() as u8;
    Some(u128::from_le_bytes(buf))
}

impl Dictionary {
    /// The code of a value already known to be text.
    fn code_str(&mut self, text: &str) -> u32 {
        // Valid UTF-8 by construction, so `code` cannot fail here.
        self.code(text.as_bytes()).unwrap_or(0)
    }

    fn code(&mut self, bytes: &[u8]) -> Result<u32, std::str::Utf8Error> {
        let key = pack(bytes);
        if let (Some(k), Some((last, c))) = (key, self.last) {
            if k == last {
                return Ok(c);
            }
        }
        let found = match key {
            Some(k) => self.short.get(&k).copied(),
            None => self.long.get(bytes).copied(),
        };
        if let Some(c) = found {
            self.last = key.map(|k| (k, c));
            return Ok(c);
        }
        let text = std::str::from_utf8(bytes)?;
        let code = self.values.len() as u32;
        self.values.push(text.to_string());
        match key {
            Some(k) => self.short.insert(k, code),
            None => self.long.insert(bytes.into(), code),
        };
        self.last = key.map(|k| (k, code));
        Ok(code)
    }

    pub fn name(&self, code: u32) -> &str {
        self.values.get(code as usize).map_or("", String::as_str)
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// Typed purchase lines of identified customers (anonymous rows are counted, not kept).
///
/// The frame holds `customer` (u32 code into `customers`), `date` (Date), `amount`
/// (f64, negative for refunds) and, when the input has them, `store`, `employee` and
/// `category` (u32 codes). It never has nulls: an empty store is the code of "".
pub struct Purchases {
    pub source: String,
    frame: DataFrame,
    /// A hash of each row's raw fields, to find exact duplicate lines (32 bits: lines
    /// are only compared within one customer-day, and their typed fields too).
    row_hash: Vec<u32>,
    pub customers: Dictionary,
    pub stores: Option<Dictionary>,
    pub employees: Option<Dictionary>,
    pub categories: Option<Dictionary>,
    pub rows: RowCounts,
    /// The last date in the data, anonymous rows included: the default as-of date.
    pub last_day: Option<Day>,
    pub date_format: DateFormat,
    pub decimal: DecimalMark,
    /// Columns kept with `--keep-cols`.
    pub kept: KeptColumns,
}

impl Purchases {
    pub fn frame(&self) -> &DataFrame {
        &self.frame
    }

    pub fn len(&self) -> usize {
        self.frame.height()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn codes(&self, name: &str) -> Option<&[u32]> {
        let column = self.frame.column(name).ok()?;
        column
            .as_materialized_series()
            .u32()
            .ok()?
            .cont_slice()
            .ok()
    }

    pub fn customer_codes(&self) -> &[u32] {
        self.codes(col::CUSTOMER).unwrap_or(&[])
    }

    pub fn days(&self) -> &[Day] {
        self.frame
            .column(col::DATE)
            .ok()
            .and_then(|c| c.as_materialized_series().date().ok())
            .and_then(|d| d.physical().cont_slice().ok())
            .unwrap_or(&[])
    }

    pub fn amounts(&self) -> &[f64] {
        self.frame
            .column(col::AMOUNT)
            .ok()
            .and_then(|c| c.as_materialized_series().f64().ok())
            .and_then(|a| a.cont_slice().ok())
            .unwrap_or(&[])
    }

    pub fn store_codes(&self) -> Option<&[u32]> {
        self.codes(col::STORE)
    }

    pub fn employee_codes(&self) -> Option<&[u32]> {
        self.codes(col::EMPLOYEE)
    }

    pub fn category_codes(&self) -> Option<&[u32]> {
        self.codes(col::CATEGORY)
    }

    pub fn row_hashes(&self) -> &[u32] {
        &self.row_hash
    }
}

/// Reads every record of `table` into typed purchases.
pub fn normalize_purchases(mut table: Table, opts: &ValueOptions) -> Result<Purchases> {
    let idx = |role| table.columns.index(role);
    let (Some(ci), Some(di), Some(ai)) = (idx(Role::Customer), idx(Role::Date), idx(Role::Amount))
    else {
        bail!(
            "{}: customer, date and amount columns are required",
            table.name
        );
    };
    let (si, ei, ki) = (idx(Role::Store), idx(Role::Employee), idx(Role::Category));
    let keep = keep_columns(&table, &opts.keep)?;
    let header_of = |role: Role| {
        table
            .columns
            .header(role)
            .unwrap_or(role.name())
            .to_string()
    };
    let (date_header, amount_header, customer_header) = (
        header_of(Role::Date),
        header_of(Role::Amount),
        header_of(Role::Customer),
    );

    let dates = DateColumn::new(match &opts.date_format {
        Some(f) => Detected::Format(f.clone()),
        None => {
            let sample = sample_column(&table, di);
            let refs: Vec<&str> = sample.iter().map(String::as_str).collect();
            date::detect(&refs)
        }
    });
    let decimal = match opts.decimal {
        Some(d) => d,
        None => {
            let sample = sample_column(&table, ai);
            let refs: Vec<&str> = sample.iter().map(String::as_str).collect();
            amount::detect_decimal_mark(&refs).unwrap_or(if table.delimiter == b',' {
                DecimalMark::Point
            } else {
                DecimalMark::Comma
            })
        }
    };

    let columns = Columns {
        name: table.name.clone(),
        width: table.headers.len(),
        customer: ci,
        date: di,
        amount: ai,
        store: si,
        employee: ei,
        category: ki,
        decimal,
        date_header,
        amount_header,
        customer_header,
        skip_bad_rows: opts.skip_bad_rows,
        keep: keep.clone(),
    };
    let mut merged = Merged::new(
        &columns,
        table.estimated_rows.unwrap_or(0),
        dates.undecided(),
    );
    let read_result =
        convert_in_parallel(&mut table, &columns, &dates, |chunk| merged.absorb(chunk))?;
    let dates = merged.dates.take().unwrap_or(dates);
    // A read error comes after every row merged so far.
    read_result?;
    let Merged {
        customers,
        stores,
        employees,
        categories,
        cust,
        mut days,
        alt_days,
        amounts,
        store_col,
        employee_col,
        category_col,
        row_hash,
        rows,
        mut last_day,
        last_alt,
        kept,
        ..
    } = merged;
    if rows.read == 0 {
        bail!("{}: the file has a header but no data rows", table.name);
    }
    let date_header = &columns.date_header;
    let date_format = match dates
        .resolve()
        .map_err(|e| anyhow::anyhow!("{}: column \"{date_header}\": {e}", table.name))?
    {
        Resolved::First(f) => f,
        Resolved::Alternative => {
            days = alt_days;
            last_day = last_alt;
            DateFormat::Mdy
        }
    };

    let mut frame_columns: Vec<Column> = vec![
        UInt32Chunked::from_vec(col::CUSTOMER.into(), cust)
            .into_series()
            .into(),
        Int32Chunked::from_vec(col::DATE.into(), days)
            .into_date()
            .into_series()
            .into(),
        Float64Chunked::from_vec(col::AMOUNT.into(), amounts)
            .into_series()
            .into(),
    ];
    for (name, values, present) in [
        (col::STORE, store_col, si.is_some()),
        (col::EMPLOYEE, employee_col, ei.is_some()),
        (col::CATEGORY, category_col, ki.is_some()),
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
        source: table.name,
        frame,
        row_hash,
        customers,
        stores,
        employees,
        categories,
        rows,
        last_day,
        date_format,
        decimal,
        kept: KeptColumns {
            names: keep.iter().map(|&i| table.headers[i].clone()).collect(),
            values: kept,
        },
    })
}

/// Where the columns are and how values are written: what converting a row needs.
struct Columns {
    name: String,
    width: usize,
    customer: usize,
    date: usize,
    amount: usize,
    store: Option<usize>,
    employee: Option<usize>,
    category: Option<usize>,
    decimal: DecimalMark,
    date_header: String,
    amount_header: String,
    customer_header: String,
    skip_bad_rows: bool,
    /// Extra columns kept per customer (indices).
    keep: Vec<usize>,
}

/// The indices of the `--keep-cols` columns; each must exist.
fn keep_columns(table: &Table, names: &[String]) -> Result<Vec<usize>> {
    names
        .iter()
        .map(|name| {
            let want = crate::load::columns::normalize_header(name);
            table
                .headers
                .iter()
                .position(|h| h == name || crate::load::columns::normalize_header(h) == want)
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "{}: --keep-cols names column \"{name}\", but the header has no such column; columns found: {}",
                        table.name,
                        table.headers.iter().map(|h| format!("\"{h}\"")).collect::<Vec<_>>().join(", ")
                    )
                })
        })
        .collect()
}

/// Rows per batch handed to a worker thread.
const BATCH_ROWS: usize = 8192;

/// Typed rows of one batch, with codes into the batch's own dictionaries.
struct Chunk {
    customers: Dictionary,
    stores: Dictionary,
    employees: Dictionary,
    categories: Dictionary,
    cust: Vec<u32>,
    days: Vec<Day>,
    alt_days: Vec<Day>,
    amounts: Vec<f64>,
    store: Vec<u32>,
    employee: Vec<u32>,
    category: Vec<u32>,
    hashes: Vec<u32>,
    rows: RowCounts,
    last_day: Option<Day>,
    last_alt: Option<Day>,
    dates: DateColumn,
    /// The first row that could not be read (without `--skip-bad-rows`).
    error: Option<anyhow::Error>,
    /// Kept columns: per local customer code, the latest non-empty values.
    kept: FxHashMap<u32, Vec<String>>,
}

/// Reads `table` on one thread and converts batches of records on the others; hands
/// each converted batch to `absorb` in file order. Returns the reader's own result
/// (a CSV syntax error) separately, since it comes after every batch before it.
fn convert_in_parallel(
    table: &mut Table,
    columns: &Columns,
    dates: &DateColumn,
    mut absorb: impl FnMut(Chunk) -> Result<()>,
) -> Result<Result<()>> {
    use std::collections::BTreeMap;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::mpsc::{channel, sync_channel};

    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 4);
    let (batch_tx, batch_rx) = sync_channel::<(usize, Vec<ByteRecord>, usize)>(workers * 2);
    let (done_tx, done_rx) = channel::<(usize, Chunk)>();
    let (recycle_tx, recycle_rx) = channel::<Vec<ByteRecord>>();
    let batch_rx = Mutex::new(batch_rx);
    let stop = AtomicBool::new(false);
    let stop_ref = &stop;

    std::thread::scope(|scope| {
        let reader = scope.spawn(move || -> Result<()> {
            let mut index = 0;
            loop {
                if stop_ref.load(Ordering::Relaxed) {
                    return Ok(());
                }
                let mut batch = recycle_rx.try_recv().unwrap_or_default();
                let mut n = 0;
                while n < BATCH_ROWS {
                    if batch.len() <= n {
                        batch.push(ByteRecord::new());
                    }
                    if !table.read(&mut batch[n])? {
                        break;
                    }
                    n += 1;
                }
                let last = n < BATCH_ROWS;
                if n > 0 && batch_tx.send((index, batch, n)).is_err() {
                    return Ok(());
                }
                index += 1;
                if last {
                    return Ok(());
                }
            }
        });
        for _ in 0..workers {
            let (done_tx, recycle_tx) = (done_tx.clone(), recycle_tx.clone());
            let (batch_rx, stop) = (&batch_rx, &stop);
            scope.spawn(move || {
                loop {
                    let next = batch_rx.lock().ok().and_then(|rx| rx.recv().ok());
                    let Some((index, batch, n)) = next else {
                        return;
                    };
                    let chunk = convert(&batch[..n], columns, dates.clone());
                    if chunk.error.is_some() {
                        stop.store(true, Ordering::Relaxed);
                    }
                    let _ = recycle_tx.send(batch);
                    if done_tx.send((index, chunk)).is_err() {
                        return;
                    }
                }
            });
        }
        drop((done_tx, recycle_tx));

        // Merge in file order as batches arrive.
        let mut pending = BTreeMap::new();
        let mut next = 0;
        let mut outcome: Result<()> = Ok(());
        for (index, chunk) in done_rx {
            pending.insert(index, chunk);
            while let Some(chunk) = pending.remove(&next) {
                next += 1;
                if outcome.is_err() {
                    continue;
                }
                outcome = absorb(chunk);
                if outcome.is_err() {
                    stop.store(true, Ordering::Relaxed);
                }
            }
        }
        let read = reader.join().unwrap_or_else(|_| {
            Err(anyhow::anyhow!(
                "{}: the reader thread failed",
                columns.name
            ))
        });
        outcome.map(|()| read)
    })
}

/// Converts one batch of records.
fn convert(batch: &[ByteRecord], c: &Columns, mut dates: DateColumn) -> Chunk {
    let n = batch.len();
    let has = |col: Option<usize>| if col.is_some() { n } else { 0 };
    let mut chunk = Chunk {
        customers: Dictionary::default(),
        stores: Dictionary::default(),
        employees: Dictionary::default(),
        categories: Dictionary::default(),
        cust: Vec::with_capacity(n),
        days: Vec::with_capacity(n),
        alt_days: Vec::with_capacity(if dates.undecided() { n } else { 0 }),
        amounts: Vec::with_capacity(n),
        store: Vec::with_capacity(has(c.store)),
        employee: Vec::with_capacity(has(c.employee)),
        category: Vec::with_capacity(has(c.category)),
        hashes: Vec::with_capacity(n),
        rows: RowCounts::default(),
        last_day: None,
        last_alt: None,
        dates: dates.clone(),
        error: None,
        kept: FxHashMap::default(),
    };
    let fields = |record: &ByteRecord| -> Vec<String> {
        record
            .iter()
            .map(|f| String::from_utf8_lossy(f).into_owned())
            .collect()
    };
    for record in batch {
        let line = record.position().map_or(0, |p| p.line());
        // A blank line between records is not a row.
        if record.len() == 1 && record[0].is_empty() {
            continue;
        }
        chunk.rows.read += 1;
        let parsed = if record.len() != c.width {
            Err(format!(
                "expected {} fields as in the header, found {}{}",
                c.width,
                record.len(),
                if record.len() > c.width {
                    " (a separator inside an unquoted value?)"
                } else {
                    ""
                }
            ))
        } else {
            parse_row(
                record,
                line,
                c.date,
                c.amount,
                &mut dates,
                c.decimal,
                &c.date_header,
                &c.amount_header,
            )
        };
        let (day, amount) = match parsed {
            Ok(v) => v,
            Err(reason) => {
                if c.skip_bad_rows {
                    chunk.rows.skipped.push(Rejected {
                        line,
                        reason,
                        fields: fields(record),
                    });
                    continue;
                }
                chunk.error = Some(anyhow::anyhow!("{}:{line}: {reason}", c.name));
                break;
            }
        };
        let Some((day, alt)) = day else {
            chunk.rows.empty_dates += 1;
            chunk.rows.skipped.push(Rejected {
                line,
                reason: format!("column \"{}\": empty date", c.date_header),
                fields: fields(record),
            });
            continue;
        };
        if day != date::NO_DAY {
            chunk.last_day = Some(chunk.last_day.map_or(day, |d| d.max(day)));
        }
        if alt != date::NO_DAY {
            chunk.last_alt = Some(chunk.last_alt.map_or(alt, |d| d.max(alt)));
        }
        let id = trim(&record[c.customer]);
        if id.is_empty() {
            chunk.rows.anonymous += 1;
            continue;
        }
        let not_utf8 = |column: &str| {
            anyhow::anyhow!(
                "{}:{line}: column \"{column}\": the text is not valid UTF-8; the file is probably Windows-1252 or Latin-1: pass --encoding windows-1252",
                c.name
            )
        };
        let coded = (|| -> Result<()> {
            chunk.cust.push(
                chunk
                    .customers
                    .code(id)
                    .map_err(|_| not_utf8(&c.customer_header))?,
            );
            for (dict, index, column, role) in [
                (&mut chunk.stores, c.store, &mut chunk.store, Role::Store),
                (
                    &mut chunk.employees,
                    c.employee,
                    &mut chunk.employee,
                    Role::Employee,
                ),
                (
                    &mut chunk.categories,
                    c.category,
                    &mut chunk.category,
                    Role::Category,
                ),
            ] {
                if let Some(i) = index {
                    column.push(
                        dict.code(trim(&record[i]))
                            .map_err(|_| not_utf8(role.name()))?,
                    );
                }
            }
            Ok(())
        })();
        if let Err(e) = coded {
            chunk.error = Some(e);
            break;
        }
        chunk.days.push(day);
        if dates.undecided() {
            chunk.alt_days.push(alt);
        }
        chunk.amounts.push(amount);
        if !c.keep.is_empty() {
            let code = *chunk.cust.last().unwrap_or(&0);
            let slot = chunk
                .kept
                .entry(code)
                .or_insert_with(|| vec![String::new(); c.keep.len()]);
            for (value, &i) in slot.iter_mut().zip(&c.keep) {
                let text = String::from_utf8_lossy(trim(&record[i]));
                if !text.is_empty() {
                    *value = text.into_owned();
                }
            }
        }
        let mut h = FxHasher::default();
        for field in record.iter() {
            field.hash(&mut h);
        }
        let h = h.finish();
        chunk.hashes.push((h ^ (h >> 32)) as u32);
    }
    chunk.dates = dates;
    chunk
}

/// The purchases built so far from the batches, in file order.
struct Merged {
    customers: Dictionary,
    stores: Option<Dictionary>,
    employees: Option<Dictionary>,
    categories: Option<Dictionary>,
    cust: Vec<u32>,
    days: Vec<Day>,
    alt_days: Vec<Day>,
    amounts: Vec<f64>,
    store_col: Vec<u32>,
    employee_col: Vec<u32>,
    category_col: Vec<u32>,
    row_hash: Vec<u32>,
    rows: RowCounts,
    last_day: Option<Day>,
    last_alt: Option<Day>,
    /// The date column's state, merged from the batches in order.
    dates: Option<DateColumn>,
    /// Kept columns per global customer code.
    kept: FxHashMap<u32, Vec<String>>,
}

impl Merged {
    fn new(c: &Columns, capacity: usize, undecided: bool) -> Merged {
        let cap = |present: bool| if present { capacity } else { 0 };
        Merged {
            customers: Dictionary::default(),
            stores: c.store.map(|_| Dictionary::default()),
            employees: c.employee.map(|_| Dictionary::default()),
            categories: c.category.map(|_| Dictionary::default()),
            cust: Vec::with_capacity(capacity),
            days: Vec::with_capacity(capacity),
            alt_days: Vec::with_capacity(cap(undecided)),
            amounts: Vec::with_capacity(capacity),
            store_col: Vec::with_capacity(cap(c.store.is_some())),
            employee_col: Vec::with_capacity(cap(c.employee.is_some())),
            category_col: Vec::with_capacity(cap(c.category.is_some())),
            row_hash: Vec::with_capacity(capacity),
            rows: RowCounts::default(),
            last_day: None,
            last_alt: None,
            dates: None,
            kept: FxHashMap::default(),
        }
    }

    /// Appends a batch, turning its dictionary codes into the global ones.
    fn absorb(&mut self, chunk: Chunk) -> Result<()> {
        // Rows before the bad one count; then the error stops the scan.
        fn remap(global: &mut Dictionary, local: &Dictionary) -> Vec<u32> {
            local.values.iter().map(|v| global.code_str(v)).collect()
        }
        fn extend(column: &mut Vec<u32>, codes: &[u32], map: &[u32]) {
            column.extend(codes.iter().map(|&c| map[c as usize]));
        }
        let map = remap(&mut self.customers, &chunk.customers);
        extend(&mut self.cust, &chunk.cust, &map);
        // Later batches are later in the file: their non-empty values win.
        for (local, values) in chunk.kept {
            let slot = self
                .kept
                .entry(map[local as usize])
                .or_insert_with(|| vec![String::new(); values.len()]);
            for (old, new) in slot.iter_mut().zip(values) {
                if !new.is_empty() {
                    *old = new;
                }
            }
        }
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
        self.days.extend_from_slice(&chunk.days);
        self.alt_days.extend_from_slice(&chunk.alt_days);
        self.amounts.extend_from_slice(&chunk.amounts);
        self.row_hash.extend_from_slice(&chunk.hashes);
        self.rows.read += chunk.rows.read;
        self.rows.anonymous += chunk.rows.anonymous;
        self.rows.empty_dates += chunk.rows.empty_dates;
        self.rows.skipped.extend(chunk.rows.skipped);
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
}

/// Parses the date and amount of one row; the date is `None` when empty.
#[allow(clippy::too_many_arguments)]
fn parse_row(
    record: &ByteRecord,
    line: u64,
    di: usize,
    ai: usize,
    dates: &mut DateColumn,
    decimal: DecimalMark,
    date_header: &str,
    amount_header: &str,
) -> Result<(Option<(Day, Day)>, f64), String> {
    let text = |i: usize, header: &str| {
        std::str::from_utf8(&record[i]).map_err(|_| {
            format!(
                "column \"{header}\": the text is not valid UTF-8; pass --encoding windows-1252"
            )
        })
    };
    let date_text = text(di, date_header)?.trim();
    let day = if date_text.is_empty() {
        None
    } else {
        match dates.read(date_text, line) {
            Some(d) => Some(d),
            None => {
                return Err(format!(
                    "column \"{date_header}\": \"{date_text}\" is not a date ({})",
                    dates.expected()
                ));
            }
        }
    };
    let amount_text = text(ai, amount_header)?;
    let amount = match amount::parse_amount(amount_text, decimal) {
        Some(a) => a,
        None if amount_text.trim().is_empty() => {
            return Err(format!("column \"{amount_header}\": the amount is empty"));
        }
        None => {
            // Suggest the other decimal mark only when it would read the value.
            let hint = match decimal {
                DecimalMark::Point
                    if amount::parse_amount(amount_text, DecimalMark::Comma).is_some() =>
                {
                    " (if the file uses decimal commas, pass --decimal-comma)"
                }
                DecimalMark::Comma
                    if amount::parse_amount(amount_text, DecimalMark::Point).is_some() =>
                {
                    " (if the file uses decimal points, pass --decimal-point)"
                }
                _ => "",
            };
            return Err(format!(
                "column \"{amount_header}\": \"{}\" is not a number{hint}",
                amount_text.trim()
            ));
        }
    };
    Ok((day, amount))
}

pub(crate) fn trim(bytes: &[u8]) -> &[u8] {
    bytes.trim_ascii()
}

/// Values of one column from the sniffed head of the file, for format detection.
pub(crate) fn sample_column(table: &Table, index: usize) -> Vec<String> {
    let head = &table.head;
    let end = head
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(head.len(), |i| i + 1);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(table.delimiter)
        .has_headers(true)
        .flexible(true)
        .from_reader(&head[..end]);
    reader
        .byte_records()
        .map_while(|r| r.ok())
        .filter_map(|r| {
            r.get(index)
                .map(|f| String::from_utf8_lossy(f).trim().to_string())
        })
        .filter(|v| !v.is_empty())
        .take(2000)
        .collect()
}
