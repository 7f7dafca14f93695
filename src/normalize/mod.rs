//! Normalize: raw records become typed, validated [`Purchases`]. Every value that
//! cannot be read is reported with its file, line, column and text, or (with
//! `--skip-bad-rows`) counted and kept aside for the rejects file.
//!
//! What a line is decides what happens to it ([`lines`]): a line marked void, and every
//! line of an order cancelled or voided as a whole, is left out as if it never happened
//! (and counted); a refund or return line keeps a negative amount, which reduces
//! revenue and is not a visit; an order's refunded amount comes off its lines. Several
//! files (monthly exports) become one set of purchases ([`read_purchases`]).

pub mod amount;
mod build;
mod convert;
pub mod date;
pub mod feedback;
pub mod inspect;
pub mod lines;
pub mod plausible;

use std::path::PathBuf;

use anyhow::{Context, Result};
use polars::prelude::*;
use rustc_hash::FxHashMap;

use crate::load::{self, ColumnMap, ReadOptions, Role, Table};
pub use amount::DecimalMark;
use build::{Builder, FilePart};
pub(crate) use convert::trim;
use convert::{Columns, Money, convert_in_parallel};
use date::{DateColumn, Detected};
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
    /// The input is `churn sql`'s daily table: each row sums the raw lines its `lines`
    /// column counts, and row accounting counts those lines.
    pub daily: bool,
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

impl Rejected {
    /// The kind of problem, without the value: `column "amount": "12,5x" is not a
    /// number` → `column "amount": value is not a number`, to group rows by.
    pub fn kind(&self) -> String {
        let mut out = String::new();
        let mut quotes = 0;
        for ch in self.reason.chars() {
            if ch == '"' {
                quotes += 1;
                // keep the column name (first quoted part), drop the value (second)
                if quotes == 3 {
                    continue;
                }
                if quotes == 4 {
                    out.push_str("value");
                    continue;
                }
            }
            if quotes != 3 {
                out.push(ch);
            }
        }
        out
    }
}

/// What happened to the rows of the input. Rows are counted once, in the first of:
/// skipped (bad: wrong number of fields), voided, cancelled, not a sale, skipped (a
/// value that cannot be read, an empty date), anonymous, then, when rows are grouped
/// into visits, duplicate (dropped with `--dedupe`) or after the as-of date; the rest
/// are used. So `read = used + anonymous + duplicates_dropped + skipped + after_as_of +
/// voided + cancelled + not_sales`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RowCounts {
    pub read: u64,
    pub anonymous: u64,
    pub skipped: Vec<Rejected>,
    pub empty_dates: u64,
    /// Lines marked void (Toast's `Void?`, a `Void` type), and the sales a void record
    /// reversed: left out as if they never happened.
    pub voided: u64,
    /// Lines of orders cancelled or voided as a whole (Shopify's `Cancelled at`, status
    /// `voided`): left out as if they never happened.
    pub cancelled: u64,
    /// Records that are not sales: cash-drawer floats, transfers, paid-outs.
    pub not_sales: u64,
}

impl RowCounts {
    /// Rows left out for what they are (voided, cancelled, not sales).
    pub fn excluded(&self) -> u64 {
        self.voided + self.cancelled + self.not_sales
    }

    pub(crate) fn add(&mut self, other: &RowCounts) {
        self.read += other.read;
        self.anonymous += other.anonymous;
        self.empty_dates += other.empty_dates;
        self.voided += other.voided;
        self.cancelled += other.cancelled;
        self.not_sales += other.not_sales;
        self.skipped.extend(other.skipped.iter().cloned());
    }
}

/// How a line's amount was read.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum AmountSource {
    /// No amount: a visit log. Amounts are 0 and mean nothing.
    #[default]
    None,
    /// A line-total column, less a discount column when the total is gross.
    Total {
        header: String,
        less: Option<String>,
    },
    /// Quantity × unit price (a unit price alone without a quantity column), less the
    /// line discount.
    Product {
        quantity: Option<String>,
        price: String,
        less: Option<String>,
    },
}

/// A header as shown in `key=value` text: quoted when it has spaces.
fn shown(header: &str) -> String {
    if header.is_empty() || header.contains(|c: char| c.is_whitespace() || c == '=' || c == '"') {
        format!("\"{}\"", header.replace('"', "'"))
    } else {
        header.to_string()
    }
}

impl std::fmt::Display for AmountSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let less = |l: &Option<String>| {
            l.as_deref()
                .map_or(String::new(), |d| format!("−{}", shown(d)))
        };
        match self {
            AmountSource::None => write!(f, "none"),
            AmountSource::Total { header, less: l } => write!(f, "{}{}", shown(header), less(l)),
            AmountSource::Product {
                quantity,
                price,
                less: l,
            } => {
                if let Some(q) = quantity {
                    write!(f, "{}×", shown(q))?;
                }
                write!(f, "{}{}", shown(price), less(l))
            }
        }
    }
}

/// The columns used for each role, as shown in every summary:
/// `customer=household_id date=transaction_timestamp amount=sales_value store=store_id`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UsedColumns {
    pub customer: String,
    pub date: String,
    pub amount: AmountSource,
    /// The other roles that change what churn reads (store, employee, category, order,
    /// type, void, status, cancelled, refunded), in that order.
    pub others: Vec<(Role, String)>,
}

impl UsedColumns {
    fn new(map: &ColumnMap) -> UsedColumns {
        let header = |role| map.header(role).map(str::to_string);
        let amount = match (header(Role::Amount), header(Role::Price)) {
            (Some(h), _) => AmountSource::Total {
                header: h,
                less: header(Role::Discount).filter(|_| map.subtract_discount),
            },
            (None, Some(price)) => AmountSource::Product {
                quantity: header(Role::Quantity),
                price,
                less: header(Role::Discount),
            },
            (None, None) => AmountSource::None,
        };
        UsedColumns {
            customer: header(Role::Customer).unwrap_or_default(),
            date: header(Role::Date).unwrap_or_default(),
            amount,
            // The roles that change what is read, but not those shown in the amount.
            others: Role::PURCHASE
                .into_iter()
                .chain(Role::LINE)
                .filter(|r| {
                    !matches!(
                        r,
                        Role::Customer
                            | Role::Date
                            | Role::Amount
                            | Role::Quantity
                            | Role::Price
                            | Role::Discount
                            | Role::Time
                    )
                })
                .filter_map(|r| header(r).map(|h| (r, h)))
                .collect(),
        }
    }

    /// (role, column) pairs in display order.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![
            ("customer", shown(&self.customer)),
            ("date", shown(&self.date)),
            ("amount", self.amount.to_string()),
        ];
        out.extend(self.others.iter().map(|(r, h)| (r.name(), shown(h))));
        out
    }
}

impl std::fmt::Display for UsedColumns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text: Vec<String> = self
            .pairs()
            .into_iter()
            .map(|(role, column)| format!("{role}={column}"))
            .collect();
        write!(f, "{}", text.join(" "))
    }
}

impl serde::Serialize for UsedColumns {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("customer", &self.customer)?;
        map.serialize_entry("date", &self.date)?;
        map.serialize_entry("amount", &self.amount.to_string())?;
        for (role, header) in &self.others {
            map.serialize_entry(role.name(), header)?;
        }
        map.end()
    }
}

/// One input file of a run: what was read from it.
#[derive(Clone, Debug, PartialEq)]
pub struct FileRows {
    pub name: String,
    /// The sheet read, for a workbook.
    pub sheet: Option<String>,
    /// The header row, as written (for the rejects file).
    pub headers: Vec<String>,
    pub columns: UsedColumns,
    pub rows: RowCounts,
    pub date_format: DateFormat,
    pub decimal: DecimalMark,
    /// The currency the file writes its amounts in, when it says (`$12.50`, `12,50 kr`, a
    /// `Currency` column); never guessed.
    pub currency: Option<String>,
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

    /// The code of a value, if it is in the dictionary.
    pub fn find(&self, bytes: &[u8]) -> Option<u32> {
        match pack(bytes) {
            Some(k) => self.short.get(&k).copied(),
            None => self.long.get(bytes).copied(),
        }
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
/// (f64, negative for refunds; 0 when the export has no amounts, see
/// [`Purchases::has_amounts`]) and, when the input has them, `store`, `employee` and
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
    /// The columns used for each role (of the first file, when several were read).
    pub columns: UsedColumns,
    /// Each input file, with its own row accounting (`rows` is their sum).
    pub files: Vec<FileRows>,
    /// With `--daily`: how many raw lines each row sums (empty: one each).
    pub(crate) weights: Vec<u32>,
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

    /// How many raw lines row `row` stands for: 1, or its `lines` in a daily table.
    pub fn weight(&self, row: usize) -> u64 {
        self.weights.get(row).map_or(1, |&w| u64::from(w))
    }

    /// The currency of the amounts, when the (first) export says.
    pub fn currency(&self) -> Option<&str> {
        self.files.iter().find_map(|f| f.currency.as_deref())
    }

    /// Whether the lines have amounts. Without (a visit log such as a grocery's visit
    /// export), every amount is 0 and value figures have nothing to say.
    pub fn has_amounts(&self) -> bool {
        self.columns.has_amounts()
    }
}

/// Reads every record of `table` into typed purchases.
pub fn normalize_purchases(table: Table, opts: &ValueOptions) -> Result<Purchases> {
    let mut builder = Builder::default();
    add_table(&mut builder, table, opts)?;
    builder.finish()
}

/// Reads several exports (files, and directories of them in name order) into one set
/// of purchases, with row accounting per file ([`Purchases::files`]).
pub fn read_purchases(
    paths: &[PathBuf],
    read: &ReadOptions,
    values: &ValueOptions,
) -> Result<Purchases> {
    let mut builder = Builder::default();
    for path in load::expand_paths(paths)? {
        let table = load::open_table(&path, read, &Role::PURCHASE)?;
        add_table(&mut builder, table, values)?;
    }
    builder.finish()
}

/// Reads one table's records into `builder`.
fn add_table(builder: &mut Builder, mut table: Table, opts: &ValueOptions) -> Result<()> {
    let keep = keep_columns(&table, &opts.keep)?;
    let decimal = match opts.decimal {
        Some(d) => d,
        None => {
            let values: Vec<String> = Columns::money_columns(&table.columns)
                .into_iter()
                .flat_map(|i| sample_column(&table, i))
                .collect();
            let refs: Vec<&str> = values.iter().map(String::as_str).collect();
            amount::detect_decimal_mark(&refs).unwrap_or(if table.delimiter == b',' {
                DecimalMark::Point
            } else {
                DecimalMark::Comma
            })
        }
    };
    let currency = detect_currency(&table);
    let mut columns = Columns::new(&table, decimal, opts.skip_bad_rows, keep.clone())
        .with_context(|| format!("{}: customer and date columns are required", table.name))?;
    if opts.daily {
        let lines = table
            .headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(crate::sql::LINES));
        columns.weight = Some(lines.with_context(|| {
            format!(
                "{}: --daily reads the daily table of churn sql, which has a \"{}\" column; \
                 this file has none (columns found: {}). Scan raw lines without --daily",
                table.name,
                crate::sql::LINES,
                crate::load::columns::list_headers(&table.headers)
            )
        })?);
    }
    let date_header = table
        .columns
        .header(Role::Date)
        .unwrap_or("date")
        .to_string();
    let sample = sample_column(&table, columns.date);
    let refs: Vec<&str> = sample.iter().map(String::as_str).collect();
    let dates = DateColumn::new(match &opts.date_format {
        Some(f) => Detected::Format(f.clone()),
        None => date::detect_with(&refs, table.is_workbook()),
    })
    .prefer_month_first(date::twelve_hour_clock(&refs));

    let mut part = FilePart::new(
        &columns,
        table.estimated_rows.unwrap_or(0),
        dates.undecided(),
    );
    let read_result =
        convert_in_parallel(&mut table, &columns, &dates, |chunk| part.absorb(chunk))?;
    let dates = part.dates.take().unwrap_or(dates);
    // A read error comes after every row merged so far.
    read_result?;
    let date_format = part
        .resolve_dates(dates)
        .map_err(|e| anyhow::anyhow!("{}: column \"{date_header}\": {e}", table.name))?;
    part.spread_refunds();
    part.drop_implausible(&table.name, &date_header, opts.skip_bad_rows)?;
    if builder.is_empty() {
        builder.set_kept_names(keep.iter().map(|&i| table.headers[i].clone()).collect());
    }
    let file = FileRows {
        name: table.name.clone(),
        sheet: table.sheet.clone(),
        headers: table.headers.clone(),
        columns: UsedColumns::new(&table.columns),
        rows: part.rows.clone(),
        date_format: date_format.clone(),
        decimal,
        currency,
    };
    debug_assert!(matches!(columns.money, Money::None) != file.columns.has_amounts());
    builder.append(part, file, date_format, decimal)
}

/// The currency of a table's amounts: a currency column's code (Shopify's `Currency`),
/// else the sign or code the amounts carry; `None` when the file says nothing.
fn detect_currency(table: &Table) -> Option<String> {
    const NAMES: [&str; 6] = ["currency", "valuta", "wahrung", "devise", "moneda", "moeda"];
    let column = table.headers.iter().position(|h| {
        let h = crate::load::columns::normalize_header(h);
        NAMES.iter().any(|n| h == *n)
    });
    if let Some(i) = column {
        let values = sample_column(table, i);
        let first = values.first()?;
        let code = first.trim().to_ascii_uppercase();
        let same = values.iter().all(|v| v.trim().eq_ignore_ascii_case(&code));
        if same && code.len() == 3 && code.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Some(code);
        }
    }
    let values: Vec<String> = Columns::money_columns(&table.columns)
        .into_iter()
        .flat_map(|i| sample_column(table, i))
        .collect();
    let refs: Vec<&str> = values.iter().map(String::as_str).collect();
    amount::detect_currency(&refs)
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

/// Values of one column from the first records of the file, for format detection.
pub(crate) fn sample_column(table: &Table, index: usize) -> Vec<String> {
    table
        .sample
        .iter()
        .filter_map(|r| {
            r.get(index)
                .map(|f| String::from_utf8_lossy(f).trim().to_string())
        })
        .filter(|v| !v.is_empty())
        .collect()
}
