//! Normalize: raw records become typed, validated [`Purchases`]. Every value that
//! cannot be read is reported with its file, line, column and text, or (with
//! `--skip-bad-rows`) counted and kept aside for the rejects file.

pub mod amount;
pub mod date;

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
    index: FxHashMap<Box<[u8]>, u32>,
}

impl Dictionary {
    fn code(&mut self, bytes: &[u8]) -> Result<u32, std::str::Utf8Error> {
        if let Some(&c) = self.index.get(bytes) {
            return Ok(c);
        }
        let text = std::str::from_utf8(bytes)?;
        let code = self.values.len() as u32;
        self.values.push(text.to_string());
        self.index.insert(bytes.into(), code);
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
    /// A hash of each row's raw fields, to find exact duplicate lines.
    row_hash: Vec<u64>,
    pub customers: Dictionary,
    pub stores: Option<Dictionary>,
    pub employees: Option<Dictionary>,
    pub categories: Option<Dictionary>,
    pub rows: RowCounts,
    /// The last date in the data, anonymous rows included: the default as-of date.
    pub last_day: Option<Day>,
    pub date_format: DateFormat,
    pub decimal: DecimalMark,
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

    pub fn row_hashes(&self) -> &[u64] {
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

    let mut dates = DateColumn::new(match &opts.date_format {
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

    let width = table.headers.len();
    let mut customers = Dictionary::default();
    let mut stores = si.map(|_| Dictionary::default());
    let mut employees = ei.map(|_| Dictionary::default());
    let mut categories = ki.map(|_| Dictionary::default());
    let cap = table.estimated_rows.unwrap_or(0);
    let codes = |present: bool| Vec::<u32>::with_capacity(if present { cap } else { 0 });
    let mut cust = codes(true);
    let mut days: Vec<Day> = Vec::with_capacity(cap);
    let mut amounts: Vec<f64> = Vec::with_capacity(cap);
    let (mut store_col, mut employee_col, mut category_col) = (
        codes(si.is_some()),
        codes(ei.is_some()),
        codes(ki.is_some()),
    );
    let mut row_hash: Vec<u64> = Vec::with_capacity(cap);
    // The month/day reading, kept only while the order is undecided.
    let mut alt_days: Vec<Day> = Vec::with_capacity(if dates.undecided() { cap } else { 0 });
    let mut last_alt: Option<Day> = None;
    let mut rows = RowCounts::default();
    let mut last_day: Option<Day> = None;
    let mut record = ByteRecord::new();

    while table.read(&mut record)? {
        let line = record.position().map_or(0, |p| p.line());
        // A blank line between records is not a row.
        if record.len() == 1 && record[0].is_empty() {
            continue;
        }
        rows.read += 1;
        let problem: Option<String> = (|| {
            if record.len() != width {
                return Some(format!(
                    "expected {width} fields as in the header, found {}{}",
                    record.len(),
                    if record.len() > width {
                        " (a separator inside an unquoted value?)"
                    } else {
                        ""
                    }
                ));
            }
            None
        })();
        let parsed = match problem {
            Some(p) => Err(p),
            None => parse_row(
                &record,
                line,
                di,
                ai,
                &mut dates,
                decimal,
                &date_header,
                &amount_header,
            ),
        };
        let (day, amount) = match parsed {
            Ok(v) => v,
            Err(reason) => {
                if opts.skip_bad_rows {
                    rows.skipped.push(Rejected {
                        line,
                        reason,
                        fields: record
                            .iter()
                            .map(|f| String::from_utf8_lossy(f).into_owned())
                            .collect(),
                    });
                    continue;
                }
                bail!("{}:{line}: {reason}", table.name);
            }
        };
        let Some((day, alt)) = day else {
            rows.empty_dates += 1;
            rows.skipped.push(Rejected {
                line,
                reason: format!("column \"{date_header}\": empty date"),
                fields: record
                    .iter()
                    .map(|f| String::from_utf8_lossy(f).into_owned())
                    .collect(),
            });
            continue;
        };
        if day != date::NO_DAY {
            last_day = Some(last_day.map_or(day, |d| d.max(day)));
        }
        if alt != date::NO_DAY {
            last_alt = Some(last_alt.map_or(alt, |d| d.max(alt)));
        }
        let id = trim(&record[ci]);
        if id.is_empty() {
            rows.anonymous += 1;
            continue;
        }
        let not_utf8 = |column: &str| {
            anyhow::anyhow!(
                "{}:{line}: column \"{column}\": the text is not valid UTF-8; the file is probably Windows-1252 or Latin-1: pass --encoding windows-1252",
                table.name
            )
        };
        cust.push(customers.code(id).map_err(|_| not_utf8(&customer_header))?);
        days.push(day);
        if dates.undecided() {
            alt_days.push(alt);
        }
        amounts.push(amount);
        for (dict, index, column, role) in [
            (&mut stores, si, &mut store_col, Role::Store),
            (&mut employees, ei, &mut employee_col, Role::Employee),
            (&mut categories, ki, &mut category_col, Role::Category),
        ] {
            if let (Some(dict), Some(i)) = (dict.as_mut(), index) {
                column.push(
                    dict.code(trim(&record[i]))
                        .map_err(|_| not_utf8(role.name()))?,
                );
            }
        }
        let mut h = FxHasher::default();
        for field in record.iter() {
            field.hash(&mut h);
        }
        row_hash.push(h.finish());
    }
    if rows.read == 0 {
        bail!("{}: the file has a header but no data rows", table.name);
    }
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

    let mut columns: Vec<Column> = vec![
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
            columns.push(
                UInt32Chunked::from_vec(name.into(), values)
                    .into_series()
                    .into(),
            );
        }
    }
    let frame = DataFrame::new_infer_height(columns)?;
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
    })
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

fn trim(bytes: &[u8]) -> &[u8] {
    bytes.trim_ascii()
}

/// Values of one column from the sniffed head of the file, for format detection.
fn sample_column(table: &Table, index: usize) -> Vec<String> {
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
