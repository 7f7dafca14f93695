//! Records to typed rows, in parallel batches: what a line is (a sale, a refund, a
//! void, a line of a cancelled order), its customer, day and amount.

use std::hash::{Hash, Hasher};

use anyhow::Result;
use csv::ByteRecord;
use rustc_hash::{FxHashMap, FxHasher};

use super::amount::{self, DecimalMark};
use super::date::{self, DateColumn, Day};
use super::lines::{self, LineKind};
use super::{Dictionary, Rejected, RowCounts};
use crate::load::{Role, Table};

/// How a line's amount is read.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Money {
    /// No amount column: a visit log (amounts are 0).
    None,
    /// A line total; `discount` is subtracted when set (a gross total).
    Total {
        index: usize,
        discount: Option<usize>,
    },
    /// Quantity (1 without a column) × unit price, less the discount.
    Product {
        quantity: Option<usize>,
        price: usize,
        discount: Option<usize>,
    },
}

/// Where the columns are and how values are written: what converting a row needs.
pub(crate) struct Columns {
    pub name: String,
    pub headers: Vec<String>,
    pub customer: usize,
    pub date: usize,
    pub money: Money,
    pub store: Option<usize>,
    pub employee: Option<usize>,
    pub category: Option<usize>,
    pub order: Option<usize>,
    pub line_type: Option<usize>,
    pub void: Option<usize>,
    pub status: Option<usize>,
    pub cancelled: Option<usize>,
    pub refunded: Option<usize>,
    /// Whether any column says what a line is (void, status, cancelled, type).
    pub kinds: bool,
    pub decimal: DecimalMark,
    pub skip_bad_rows: bool,
    /// Extra columns kept per customer (indices).
    pub keep: Vec<usize>,
    /// A daily table's `lines` column: how many raw lines each row sums.
    pub weight: Option<usize>,
}

impl Columns {
    pub fn new(
        table: &Table,
        decimal: DecimalMark,
        skip_bad_rows: bool,
        keep: Vec<usize>,
    ) -> Option<Columns> {
        let map = &table.columns;
        let idx = |role| map.index(role);
        let discount = idx(Role::Discount).filter(|_| map.subtract_discount);
        let money = match (idx(Role::Amount), idx(Role::Price)) {
            (Some(index), _) => Money::Total { index, discount },
            (None, Some(price)) => Money::Product {
                quantity: idx(Role::Quantity),
                price,
                discount: idx(Role::Discount),
            },
            (None, None) => Money::None,
        };
        Some(Columns {
            name: table.name.clone(),
            headers: table.headers.clone(),
            customer: idx(Role::Customer)?,
            date: idx(Role::Date)?,
            money,
            store: idx(Role::Store),
            employee: idx(Role::Employee),
            category: idx(Role::Category),
            order: idx(Role::Order),
            line_type: idx(Role::LineType),
            void: idx(Role::Void),
            status: idx(Role::Status),
            cancelled: idx(Role::Cancelled),
            refunded: idx(Role::Refunded),
            kinds: [Role::Void, Role::Status, Role::Cancelled, Role::LineType]
                .iter()
                .any(|r| idx(*r).is_some()),
            decimal,
            skip_bad_rows,
            keep,
            weight: None,
        })
    }

    fn header(&self, i: usize) -> &str {
        self.headers.get(i).map_or("", String::as_str)
    }

    /// The money columns, for decimal-mark detection.
    pub fn money_columns(map: &crate::load::ColumnMap) -> Vec<usize> {
        [Role::Amount, Role::Price, Role::Discount, Role::Refunded]
            .iter()
            .filter_map(|r| map.index(*r))
            .collect()
    }
}

/// Rows per batch handed to a worker thread.
const BATCH_ROWS: usize = 8192;

/// A void record that reverses an earlier sale (Lightspeed writes a voided sale again
/// with negated amounts): that sale is excluded too.
#[derive(Clone, Debug)]
pub(crate) struct Reversal {
    pub customer: String,
    pub day: Day,
    pub alt_day: Day,
    /// The negative amount, in cents.
    pub cents: i64,
}

/// Typed rows of one batch, with codes into the batch's own dictionaries.
pub(crate) struct Chunk {
    pub customers: Dictionary,
    pub stores: Dictionary,
    pub employees: Dictionary,
    pub categories: Dictionary,
    pub orders: Dictionary,
    pub cust: Vec<u32>,
    pub days: Vec<Day>,
    pub alt_days: Vec<Day>,
    pub amounts: Vec<f64>,
    pub store: Vec<u32>,
    pub employee: Vec<u32>,
    pub category: Vec<u32>,
    /// With a refunded-amount column: each row's order and the refund written on it.
    pub order: Vec<u32>,
    pub refund: Vec<f64>,
    pub hashes: Vec<u32>,
    /// A daily table's weights: how many raw lines each kept row sums.
    pub weights: Vec<u32>,
    /// The line of each kept row, to name it if its date proves implausible.
    pub lines: Vec<u32>,
    /// Anonymous rows by (day, month-first day): their first line and how many.
    pub anonymous_days: FxHashMap<(Day, Day), (u64, u64)>,
    pub reversals: Vec<Reversal>,
    pub rows: RowCounts,
    pub last_day: Option<Day>,
    pub last_alt: Option<Day>,
    pub dates: DateColumn,
    /// The first row that could not be read (without `--skip-bad-rows`).
    pub error: Option<anyhow::Error>,
    /// Kept columns: per local customer code, the latest non-empty values.
    pub kept: FxHashMap<u32, Vec<String>>,
}

/// Reads `table` on one thread and converts batches of records on the others; hands
/// each converted batch to `absorb` in file order. Returns the reader's own result
/// (a CSV syntax error) separately, since it comes after every batch before it.
pub(crate) fn convert_in_parallel(
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
    // Bounded too: when the merging thread falls behind (another program takes the CPU),
    // converted batches must wait instead of piling up in memory.
    let (done_tx, done_rx) = sync_channel::<(usize, Chunk)>(workers * 4);
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

/// Why a line is left out as if it never happened.
enum Excluded {
    Voided,
    Cancelled,
    NotSale,
}

/// A field as text ("" when it is missing or not UTF-8: flags and types are ASCII words).
fn word(record: &ByteRecord, i: Option<usize>) -> Option<&str> {
    i.map(|i| std::str::from_utf8(record.get(i).unwrap_or_default()).unwrap_or(""))
}

/// Whether the line is excluded by its void flag, its order's status or cancellation,
/// or its type; else its kind.
fn classify(record: &ByteRecord, c: &Columns) -> Result<LineKind, Excluded> {
    if !c.kinds {
        return Ok(LineKind::Sale);
    }
    if word(record, c.void).and_then(lines::flag) == Some(true) {
        return Err(Excluded::Voided);
    }
    if word(record, c.status).is_some_and(lines::status_cancels)
        || word(record, c.cancelled).is_some_and(lines::cancelled)
    {
        return Err(Excluded::Cancelled);
    }
    match word(record, c.line_type).map_or(LineKind::Sale, lines::line_kind) {
        LineKind::NotSale => Err(Excluded::NotSale),
        kind => Ok(kind),
    }
}

/// The fields of a record as text, for the rejects file.
fn fields(record: &ByteRecord) -> Vec<String> {
    record
        .iter()
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect()
}

/// A row that cannot be read: kept aside with `--skip-bad-rows`, else the batch's
/// error. Whether reading goes on.
fn bad_row(chunk: &mut Chunk, c: &Columns, record: &ByteRecord, line: u64, reason: String) -> bool {
    if c.skip_bad_rows {
        chunk.rows.skipped.push(Rejected {
            line,
            reason,
            fields: fields(record),
        });
        return true;
    }
    chunk.error = Some(anyhow::anyhow!("{}:{line}: {reason}", c.name));
    false
}

/// Converts one batch of records.
pub(crate) fn convert(batch: &[ByteRecord], c: &Columns, mut dates: DateColumn) -> Chunk {
    let n = batch.len();
    let has = |col: Option<usize>| if col.is_some() { n } else { 0 };
    let with_refunds = c.refunded.is_some();
    let mut chunk = Chunk {
        customers: Dictionary::default(),
        stores: Dictionary::default(),
        employees: Dictionary::default(),
        categories: Dictionary::default(),
        orders: Dictionary::default(),
        cust: Vec::with_capacity(n),
        days: Vec::with_capacity(n),
        alt_days: Vec::with_capacity(if dates.undecided() { n } else { 0 }),
        amounts: Vec::with_capacity(n),
        store: Vec::with_capacity(has(c.store)),
        employee: Vec::with_capacity(has(c.employee)),
        category: Vec::with_capacity(has(c.category)),
        order: Vec::with_capacity(has(c.refunded)),
        refund: Vec::with_capacity(has(c.refunded)),
        hashes: Vec::with_capacity(n),
        weights: Vec::with_capacity(if c.weight.is_some() { n } else { 0 }),
        lines: Vec::with_capacity(n),
        anonymous_days: FxHashMap::default(),
        reversals: Vec::new(),
        rows: RowCounts::default(),
        last_day: None,
        last_alt: None,
        dates: dates.clone(),
        error: None,
        kept: FxHashMap::default(),
    };
    let mut id_buf = Vec::new();
    for record in batch {
        let line = record.position().map_or(0, |p| p.line());
        // A blank line between records is not a row.
        if record.len() == 1 && record[0].is_empty() {
            continue;
        }
        chunk.rows.read += 1;
        if record.len() != c.width() {
            let reason = format!(
                "expected {} fields as in the header, found {}{}",
                c.width(),
                record.len(),
                if record.len() > c.width() {
                    " (a separator inside an unquoted value?)"
                } else {
                    ""
                }
            );
            if bad_row(&mut chunk, c, record, line, reason) {
                continue;
            }
            break;
        }
        // A daily table's row stands for `lines` raw lines: count them all.
        let weight = match c.weight {
            None => 1,
            Some(i) => match std::str::from_utf8(trim(&record[i]))
                .ok()
                .and_then(|t| t.parse::<u32>().ok())
                .filter(|&w| w > 0)
            {
                Some(w) => w,
                None => {
                    let reason = format!(
                        "column \"{}\": \"{}\" is not a positive whole number of lines",
                        c.header(i),
                        String::from_utf8_lossy(&record[i]).trim()
                    );
                    if bad_row(&mut chunk, c, record, line, reason) {
                        continue;
                    }
                    break;
                }
            },
        };
        chunk.rows.read += u64::from(weight) - 1;
        let kind = match classify(record, c) {
            Ok(kind) => kind,
            Err(Excluded::Voided) => {
                chunk.rows.voided += 1;
                continue;
            }
            Err(Excluded::Cancelled) => {
                chunk.rows.cancelled += 1;
                continue;
            }
            Err(Excluded::NotSale) => {
                chunk.rows.not_sales += 1;
                continue;
            }
        };
        let parsed = parse_row(record, line, c, &mut dates);
        if kind == LineKind::Void {
            // Excluded whatever its values; a reversal of a sale also takes the sale.
            chunk.rows.voided += 1;
            if let Ok((Some((day, alt)), amount, _)) = parsed {
                let id = lines::customer_id(&record[c.customer], &mut id_buf);
                if amount < 0.0 && !id.is_empty() {
                    chunk.reversals.push(Reversal {
                        customer: String::from_utf8_lossy(id).into_owned(),
                        day,
                        alt_day: alt,
                        cents: (amount * 100.0).round() as i64,
                    });
                }
            }
            continue;
        }
        let (day, amount, refund) = match parsed {
            Ok(v) => v,
            Err(reason) => {
                if bad_row(&mut chunk, c, record, line, reason) {
                    continue;
                }
                break;
            }
        };
        // A refund line takes money back, however its amount is signed.
        let amount = match kind {
            LineKind::Refund => -amount.abs(),
            _ => amount,
        };
        let Some((day, alt)) = day else {
            chunk.rows.empty_dates += 1;
            chunk.rows.skipped.push(Rejected {
                line,
                reason: format!("column \"{}\": empty date", c.header(c.date)),
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
        let id = lines::customer_id(&record[c.customer], &mut id_buf);
        if id.is_empty() {
            chunk.rows.anonymous += u64::from(weight);
            let slot = chunk.anonymous_days.entry((day, alt)).or_insert((line, 0));
            slot.1 += 1;
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
                    .map_err(|_| not_utf8(c.header(c.customer)))?,
            );
            for (dict, index, column) in [
                (&mut chunk.stores, c.store, &mut chunk.store),
                (&mut chunk.employees, c.employee, &mut chunk.employee),
                (&mut chunk.categories, c.category, &mut chunk.category),
            ] {
                if let Some(i) = index {
                    column.push(
                        dict.code(trim(&record[i]))
                            .map_err(|_| not_utf8(c.header(i)))?,
                    );
                }
            }
            if with_refunds {
                let order = c.order.map_or(&b""[..], |i| trim(&record[i]));
                chunk.order.push(
                    chunk
                        .orders
                        .code(order)
                        .map_err(|_| not_utf8(c.header(c.order.unwrap_or(0))))?,
                );
                chunk.refund.push(refund);
            }
            Ok(())
        })();
        if let Err(e) = coded {
            chunk.error = Some(e);
            break;
        }
        chunk.days.push(day);
        chunk.lines.push(u32::try_from(line).unwrap_or(u32::MAX));
        if c.weight.is_some() {
            chunk.weights.push(weight);
        }
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

impl Columns {
    fn width(&self) -> usize {
        self.headers.len()
    }
}

/// A row's (day, alternative day) or `None` when the date is empty, its amount, and
/// the refund written on it.
type Parsed = (Option<(Day, Day)>, f64, f64);

/// A field as text; an error naming the column when it is not UTF-8.
#[inline]
fn text<'r>(record: &'r ByteRecord, i: usize, c: &Columns) -> Result<&'r str, String> {
    std::str::from_utf8(&record[i]).map_err(|_| {
        format!(
            "column \"{}\": the text is not valid UTF-8; pass --encoding windows-1252",
            c.header(i)
        )
    })
}

/// A number from column `i`. `empty` is its value when the field is empty, or `None`
/// when an empty field is an error (`what` names it).
#[inline(always)]
fn number(
    record: &ByteRecord,
    i: usize,
    c: &Columns,
    what: &str,
    empty: Option<f64>,
) -> Result<f64, String> {
    let t = text(record, i, c)?;
    match amount::parse_amount(t, c.decimal) {
        Some(v) => Ok(v),
        None => not_a_number(t, i, c, what, empty),
    }
}

/// The value of an empty field, or why a field is not a number.
#[cold]
fn not_a_number(
    t: &str,
    i: usize,
    c: &Columns,
    what: &str,
    empty: Option<f64>,
) -> Result<f64, String> {
    if t.trim().is_empty() {
        return empty.ok_or_else(|| format!("column \"{}\": the {what} is empty", c.header(i)));
    }
    Err(format!(
        "column \"{}\": \"{}\" is not a number{}",
        c.header(i),
        t.trim(),
        other_mark_hint(t, c.decimal)
    ))
}

/// `gross` less the discount in column `discount`, which takes the line's sign: it
/// reduces a sale and a refund alike.
#[inline]
fn less(
    record: &ByteRecord,
    c: &Columns,
    gross: f64,
    discount: Option<usize>,
) -> Result<f64, String> {
    Ok(match discount {
        Some(d) => {
            gross
                - number(record, d, c, "discount", Some(0.0))?
                    .abs()
                    .copysign(gross)
        }
        None => gross,
    })
}

/// Parses the date, amount and refund of one row.
fn parse_row(
    record: &ByteRecord,
    line: u64,
    c: &Columns,
    dates: &mut DateColumn,
) -> Result<Parsed, String> {
    let date_text = text(record, c.date, c)?.trim();
    let day = if date_text.is_empty() {
        None
    } else {
        match dates.read(date_text, line) {
            Some(d) => Some(d),
            None => {
                return Err(format!(
                    "column \"{}\": \"{date_text}\" is not a date ({})",
                    c.header(c.date),
                    dates.expected()
                ));
            }
        }
    };
    let amount = match &c.money {
        Money::None => 0.0,
        Money::Total { index, discount } => {
            let total = number(record, *index, c, "amount", None)?;
            less(record, c, total, *discount)?
        }
        Money::Product {
            quantity,
            price,
            discount,
        } => {
            let q = match quantity {
                Some(q) => number(record, *q, c, "quantity", None)?,
                None => 1.0,
            };
            let p = number(record, *price, c, "unit price", None)?;
            less(record, c, q * p, *discount)?
        }
    };
    let refund = match c.refunded {
        Some(r) => number(record, r, c, "refunded amount", Some(0.0))?.abs(),
        None => 0.0,
    };
    Ok((day, amount, refund))
}

/// Suggests the other decimal mark only when it would read the value.
fn other_mark_hint(text: &str, decimal: DecimalMark) -> &'static str {
    match decimal {
        DecimalMark::Point if amount::parse_amount(text, DecimalMark::Comma).is_some() => {
            " (if the file uses decimal commas, pass --decimal-comma)"
        }
        DecimalMark::Comma if amount::parse_amount(text, DecimalMark::Point).is_some() => {
            " (if the file uses decimal points, pass --decimal-point)"
        }
        _ => "",
    }
}

pub(crate) fn trim(bytes: &[u8]) -> &[u8] {
    bytes.trim_ascii()
}
