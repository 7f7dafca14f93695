//! Load: from a path to a stream of raw records with line numbers, knowing which column
//! is which. Handles the file's shape (compression, encoding, separator, header, or a
//! workbook's sheet) and the layout of orders (order-level fields filled down); what the
//! values mean is [`crate::normalize`]'s job.

pub mod columns;
pub mod input;
pub mod names;
pub mod parquet;
pub mod pick;
pub mod workbook;

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use csv::ByteRecord;

pub use columns::{ColumnMap, ColumnNames, PassedOver, Pick, Role, Why};
pub use input::Charset;

/// Separators tried when the user does not name one.
const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

/// Data records kept from the head of a file for sniffing value formats and roles.
const SAMPLE_ROWS: usize = 2000;

/// How to read the shape of a file; `None` means "detect from the data".
#[derive(Clone, Debug, Default)]
pub struct ReadOptions {
    pub charset: Option<Charset>,
    pub delimiter: Option<u8>,
    pub columns: ColumnNames,
    /// Show a progress bar on standard error while reading a large file (only when
    /// standard error is a terminal).
    pub progress: bool,
    /// The sheet of a workbook to read (`--sheet`); the first sheet when `None`.
    pub sheet: Option<String>,
}

/// Where the records come from.
enum Rows {
    Csv(csv::Reader<Box<dyn Read + Send>>),
    Sheet(std::vec::IntoIter<ByteRecord>),
}

/// Order-level fields (written on an order's first line only, as Shopify does) copied
/// onto the order's later lines.
struct FillDown {
    order: usize,
    columns: Vec<usize>,
    previous: ByteRecord,
}

impl FillDown {
    /// Fills `record`'s empty order-level fields from the previous line when both
    /// belong to the same order (consecutive lines with the same order id).
    fn apply(&mut self, record: &mut ByteRecord) {
        let same_order = match (record.get(self.order), self.previous.get(self.order)) {
            (Some(a), Some(b)) => !a.trim_ascii().is_empty() && a == b,
            _ => false,
        };
        let needs = same_order
            && self.columns.iter().any(|&c| {
                record.get(c).is_some_and(|f| f.trim_ascii().is_empty())
                    && self.previous.get(c).is_some_and(|f| !f.is_empty())
            });
        if needs {
            let mut filled = ByteRecord::with_capacity(record.as_slice().len() + 64, record.len());
            for (i, field) in record.iter().enumerate() {
                let from_order = self.columns.contains(&i) && field.trim_ascii().is_empty();
                match self.previous.get(i) {
                    Some(prev) if from_order => filled.push_field(prev),
                    _ => filled.push_field(field),
                }
            }
            filled.set_position(record.position().cloned());
            *record = filled;
        }
        self.previous.clone_from(record);
    }
}

/// An open table: header read, columns mapped, records not yet read.
pub struct Table {
    pub name: String,
    pub charset: Charset,
    pub delimiter: u8,
    /// The sheet read, for a workbook.
    pub sheet: Option<String>,
    pub headers: Vec<String>,
    pub columns: ColumnMap,
    /// The first data records, for sniffing value formats.
    pub sample: Vec<ByteRecord>,
    /// About how many data rows the file has, from its size and the sniffed head, so
    /// columns can be allocated once (growing them doubles memory at the peak).
    pub estimated_rows: Option<usize>,
    rows: Rows,
    fill: Option<FillDown>,
}

impl Table {
    /// Reads the next record into `record`; false at the end. Records keep their line
    /// number (`record.position()`), and fields are raw UTF-8 bytes.
    pub fn read(&mut self, record: &mut ByteRecord) -> Result<bool> {
        let more = match &mut self.rows {
            Rows::Csv(reader) => match reader.read_byte_record(record) {
                Ok(more) => more,
                Err(e) => {
                    let line = e.position().map(|p| p.line()).unwrap_or(0);
                    bail!("{}:{line}: cannot read the CSV: {e}", self.name)
                }
            },
            Rows::Sheet(rows) => match rows.next() {
                Some(r) => {
                    *record = r;
                    true
                }
                None => false,
            },
        };
        if more {
            if let Some(fill) = &mut self.fill {
                fill.apply(record);
            }
        }
        Ok(more)
    }

    /// Whether the table is a workbook's sheet (numbers in a date column are dates).
    pub fn is_workbook(&self) -> bool {
        self.sheet.is_some()
    }
}

/// Opens `path` as a table with a header row and maps `roles` to its columns: a
/// purchases file ([`Role::PURCHASE`]) by names and content, a feedback file
/// ([`Role::FEEDBACK`]) by names.
pub fn open_table(path: &Path, opts: &ReadOptions, roles: &[Role]) -> Result<Table> {
    let mut input = input::open(path, opts.charset, opts.progress)?;
    let name = input.name.clone();
    if input.workbook {
        let parquet = input::is_parquet(&input.head);
        let mut bytes = Vec::new();
        input
            .reader
            .read_to_end(&mut bytes)
            .with_context(|| format!("{name}: cannot read"))?;
        let sheet = if parquet {
            parquet::read(&name, bytes)?
        } else {
            workbook::read_sheet(&name, bytes, opts.sheet.as_deref())?
        };
        check_headers(&name, &sheet.headers)?;
        let sample: Vec<ByteRecord> = sheet.rows.iter().take(SAMPLE_ROWS).cloned().collect();
        // A workbook's numbers in a date column are serial dates; a Parquet file's
        // dates are already ISO text.
        let columns = map(&name, &sheet.headers, &sample, opts, roles, !parquet, b',')?;
        let estimated_rows = Some(sheet.rows.len());
        return Ok(Table {
            fill: fill_down(&columns, roles),
            name,
            charset: input.charset,
            delimiter: b',',
            sheet: (!parquet).then_some(sheet.name),
            headers: sheet.headers,
            columns,
            sample,
            estimated_rows,
            rows: Rows::Sheet(sheet.rows.into_iter()),
        });
    }
    refuse_non_csv(&name, &input.head)?;
    let delimiter = match opts.delimiter {
        Some(d) => d,
        None => sniff_delimiter(&input.head),
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(256 * 1024)
        .from_reader(input.reader);
    let mut header = ByteRecord::new();
    let has_header = reader
        .read_byte_record(&mut header)
        .map_err(|e| anyhow::anyhow!("{name}:1: cannot read the header row: {e}"))?;
    if !has_header {
        bail!("{name}: the file is empty; expected a CSV file with a header row");
    }
    let headers: Vec<String> = header
        .iter()
        .map(|h| String::from_utf8_lossy(h).trim().to_string())
        .collect();
    check_headers(&name, &headers)?;
    let sample = sample_records(&input.head, delimiter);
    let columns = map(&name, &headers, &sample, opts, roles, false, delimiter)?;
    let estimated_rows = input.size.and_then(|size| {
        let lines = input.head.iter().filter(|&&b| b == b'\n').count();
        // Only when the head is a sample, not the whole file.
        (lines > 10 && (input.head.len() as u64) < size).then(|| {
            let per_line = input.head.len() as f64 / lines as f64;
            (size as f64 / per_line * 1.05) as usize
        })
    });
    Ok(Table {
        fill: fill_down(&columns, roles),
        name,
        charset: input.charset,
        delimiter,
        sheet: None,
        headers,
        columns,
        sample,
        estimated_rows,
        rows: Rows::Csv(reader),
    })
}

fn check_headers(name: &str, headers: &[String]) -> Result<()> {
    if headers.iter().all(|h| h.is_empty()) {
        bail!(
            "{name}:1: the header row is empty; expected column names such as customer_id,date,amount"
        );
    }
    Ok(())
}

fn map(
    name: &str,
    headers: &[String],
    sample: &[ByteRecord],
    opts: &ReadOptions,
    roles: &[Role],
    workbook: bool,
    delimiter: u8,
) -> Result<ColumnMap> {
    let feedback = roles == Role::FEEDBACK.as_slice();
    let map = if feedback {
        columns::map_columns(name, headers, roles, &opts.columns)?
    } else {
        pick::map_purchase_columns(
            &pick::Sniffed {
                file: name,
                headers,
                sample,
                workbook,
                delimiter,
            },
            &opts.columns,
        )?
    };
    columns::check_repeated(name, headers, &map, &opts.columns, feedback)?;
    Ok(map)
}

/// Purchases with an order column get the order's customer, date, status and the like
/// on every line of the order.
fn fill_down(columns: &ColumnMap, roles: &[Role]) -> Option<FillDown> {
    if roles == Role::FEEDBACK.as_slice() {
        return None;
    }
    let order = columns.index(Role::Order)?;
    let filled: Vec<usize> = [
        Role::Customer,
        Role::Date,
        Role::Time,
        Role::Store,
        Role::Employee,
        Role::Status,
        Role::Cancelled,
    ]
    .iter()
    .filter_map(|r| columns.index(*r))
    .collect();
    (!filled.is_empty()).then(|| FillDown {
        order,
        columns: filled,
        previous: ByteRecord::new(),
    })
}

/// The data records in the sniffed head (whole lines only).
fn sample_records(head: &[u8], delimiter: u8) -> Vec<ByteRecord> {
    let end = head
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(head.len(), |i| i + 1);
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(true)
        .from_reader(&head[..end])
        .byte_records()
        .map_while(|r| r.ok())
        .take(SAMPLE_ROWS)
        .collect()
}

/// The files the paths name: a file as given (`-` is standard input); a directory's
/// exports (CSV, text, gzip and spreadsheet files, not hidden ones) in name order, so
/// monthly exports come in month order when named by date.
pub fn expand_paths(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if !path.is_dir() {
            files.push(path.clone());
            continue;
        }
        let entries = std::fs::read_dir(path)
            .with_context(|| format!("{}: cannot read the directory", path.display()))?;
        let mut found: Vec<PathBuf> = Vec::new();
        for entry in entries {
            let entry =
                entry.with_context(|| format!("{}: cannot read the directory", path.display()))?;
            let file = entry.path();
            let name = entry.file_name().to_string_lossy().to_lowercase();
            let export = [
                ".csv", ".tsv", ".txt", ".gz", ".xlsx", ".xlsm", ".xls", ".ods", ".parquet",
            ]
            .iter()
            .any(|ext| name.ends_with(ext));
            if export && !name.starts_with('.') && file.is_file() {
                found.push(file);
            }
        }
        if found.is_empty() {
            bail!(
                "{}: the directory has no exports (.csv, .txt, .gz, .xlsx, .xls, .ods or .parquet files)",
                path.display()
            );
        }
        found.sort();
        files.extend(found);
    }
    Ok(files)
}

/// Stops early, with a useful message, on files that are neither CSV nor a workbook.
fn refuse_non_csv(name: &str, head: &[u8]) -> Result<()> {
    let first = head.iter().find(|b| !b.is_ascii_whitespace());
    if matches!(first, Some(b'{') | Some(b'[')) {
        bail!("{name}: this looks like JSON, not CSV; churn reads CSV exports with a header row");
    }
    if head.iter().take(8192).any(|&b| b == 0) {
        bail!(
            "{name}: this looks like a binary file, not CSV text (it contains NUL bytes); if it is UTF-16 without a byte-order mark, pass --encoding utf-16le"
        );
    }
    Ok(())
}

/// Picks the separator that splits the sniffed lines into the same number of fields most
/// consistently (more fields wins a tie). Quotes are respected by using the CSV parser.
pub fn sniff_delimiter(head: &[u8]) -> u8 {
    // Only whole lines: the head may end in the middle of one.
    let end = head
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(head.len(), |i| i + 1);
    let sample = &head[..end];
    let mut best = (b',', 0usize, 0usize);
    for &d in &DELIMITERS {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(d)
            .has_headers(false)
            .flexible(true)
            .from_reader(sample);
        let counts: Vec<usize> = reader
            .byte_records()
            .take(200)
            .map_while(|r| r.ok())
            .map(|r| r.len())
            .collect();
        let Some(&first) = counts.first() else {
            continue;
        };
        if first < 2 {
            continue;
        }
        let consistent = counts.iter().filter(|&&c| c == first).count();
        if (consistent, first) > (best.1, best.2) {
            best = (d, consistent, first);
        }
    }
    best.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_delimiters() {
        assert_eq!(sniff_delimiter(b"a,b,c\n1,2,3\n"), b',');
        assert_eq!(sniff_delimiter(b"a;b;c\n1;2,5;3\n4;5,5;6\n"), b';');
        assert_eq!(sniff_delimiter(b"a\tb\n1\t2\n"), b'\t');
        assert_eq!(sniff_delimiter(b"a|b|c\n1|2|3\n"), b'|');
        // a quoted separator does not fool it
        assert_eq!(sniff_delimiter(b"id;name\n1;\"a,b,c\"\n2;\"d,e\"\n"), b';');
    }

    #[test]
    fn refuses_json_and_binary() {
        assert!(
            refuse_non_csv("x", b"  [{\"a\":1}]")
                .unwrap_err()
                .to_string()
                .contains("JSON")
        );
        assert!(
            refuse_non_csv("x", b"a\0b")
                .unwrap_err()
                .to_string()
                .contains("binary")
        );
        assert!(refuse_non_csv("x", b"a,b\n").is_ok());
    }

    fn read_all(table: &mut Table) -> Vec<Vec<String>> {
        let mut out = Vec::new();
        let mut record = ByteRecord::new();
        while table.read(&mut record).unwrap() {
            out.push(
                record
                    .iter()
                    .map(|f| String::from_utf8_lossy(f).into_owned())
                    .collect(),
            );
        }
        out
    }

    #[test]
    fn order_fields_are_filled_down_within_an_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("orders.csv");
        std::fs::write(
            &path,
            "Name,Email,Created at,Lineitem quantity,Lineitem price\n\
             #1001,a@x.com,2025-10-07 09:50:26 +0200,1,12.00\n\
             #1001,,,2,8.00\n\
             #1002,,2025-10-08 10:00:00 +0200,1,5.00\n\
             #1002,,,1,5.00\n",
        )
        .unwrap();
        let mut table = open_table(&path, &ReadOptions::default(), &Role::PURCHASE).unwrap();
        let rows = read_all(&mut table);
        assert_eq!(rows[1][1], "a@x.com");
        assert_eq!(rows[1][2], "2025-10-07 09:50:26 +0200");
        // a new order does not inherit the previous order's customer
        assert_eq!(rows[2][1], "");
        assert_eq!(rows[3][2], "2025-10-08 10:00:00 +0200");
    }

    #[test]
    fn directories_expand_to_their_exports_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "2026-02.csv",
            "2026-01.csv",
            "notes.md",
            ".hidden.csv",
            "2026-03.xlsx",
        ] {
            std::fs::write(dir.path().join(name), "x").unwrap();
        }
        let files = expand_paths(&[dir.path().to_path_buf()]).unwrap();
        let names: Vec<String> = files
            .iter()
            .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["2026-01.csv", "2026-02.csv", "2026-03.xlsx"]);
        let empty = tempfile::tempdir().unwrap();
        assert!(
            expand_paths(&[empty.path().to_path_buf()])
                .unwrap_err()
                .to_string()
                .contains("has no exports")
        );
    }
}
