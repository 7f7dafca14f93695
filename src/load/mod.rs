//! Load: from a path to a stream of raw records with line numbers, knowing which column
//! is which. Handles the file's shape (compression, encoding, separator, header); what
//! the values mean is [`crate::normalize`]'s job.

pub mod columns;
pub mod input;

use std::io::Read;
use std::path::Path;

use anyhow::{Result, bail};
use csv::ByteRecord;

pub use columns::{ColumnMap, ColumnNames, Role};
pub use input::Charset;

/// Separators tried when the user does not name one.
const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

/// How to read the shape of a file; `None` means "detect from the data".
#[derive(Clone, Debug, Default)]
pub struct ReadOptions {
    pub charset: Option<Charset>,
    pub delimiter: Option<u8>,
    pub columns: ColumnNames,
    /// Show a progress bar on standard error while reading a large file (only when
    /// standard error is a terminal).
    pub progress: bool,
}

/// An open CSV table: header read, columns mapped, records not yet read.
pub struct Table {
    pub name: String,
    pub charset: Charset,
    pub delimiter: u8,
    pub headers: Vec<String>,
    pub columns: ColumnMap,
    /// The first decoded bytes of the file, for sniffing value formats.
    pub head: Vec<u8>,
    /// About how many data rows the file has, from its size and the sniffed head, so
    /// columns can be allocated once (growing them doubles memory at the peak).
    pub estimated_rows: Option<usize>,
    reader: csv::Reader<Box<dyn Read + Send>>,
}

impl Table {
    /// Reads the next record into `record`; false at the end. Records keep their line
    /// number (`record.position()`), and fields are raw UTF-8 bytes.
    pub fn read(&mut self, record: &mut ByteRecord) -> Result<bool> {
        match self.reader.read_byte_record(record) {
            Ok(more) => Ok(more),
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                bail!("{}:{line}: cannot read the CSV: {e}", self.name)
            }
        }
    }
}

/// Opens `path` as a table with a header row and maps `roles` to its columns.
pub fn open_table(path: &Path, opts: &ReadOptions, roles: &[Role]) -> Result<Table> {
    let input = input::open(path, opts.charset, opts.progress)?;
    let name = input.name.clone();
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
    if headers.iter().all(|h| h.is_empty()) {
        bail!(
            "{name}:1: the header row is empty; expected column names such as customer_id,date,amount"
        );
    }
    let columns = columns::map_columns(&name, &headers, roles, &opts.columns)?;
    let estimated_rows = input.size.and_then(|size| {
        let lines = input.head.iter().filter(|&&b| b == b'\n').count();
        // Only when the head is a sample, not the whole file.
        (lines > 10 && (input.head.len() as u64) < size).then(|| {
            let per_line = input.head.len() as f64 / lines as f64;
            (size as f64 / per_line * 1.05) as usize
        })
    });
    Ok(Table {
        name,
        charset: input.charset,
        delimiter,
        headers,
        columns,
        head: input.head,
        estimated_rows,
        reader,
    })
}

/// Stops early, with a useful message, on files that are not CSV at all.
fn refuse_non_csv(name: &str, head: &[u8]) -> Result<()> {
    if head.starts_with(b"PK\x03\x04") {
        bail!(
            "{name}: this is an Excel workbook or another zip file, not CSV; save it as CSV (File > Save As > CSV) and run churn on that"
        );
    }
    if head.starts_with(b"\xD0\xCF\x11\xE0") {
        bail!(
            "{name}: this is an old Excel (.xls) workbook, not CSV; save it as CSV and run churn on that"
        );
    }
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
    fn refuses_xlsx_json_and_binary() {
        assert!(
            refuse_non_csv("x", b"PK\x03\x04rest")
                .unwrap_err()
                .to_string()
                .contains("Excel")
        );
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
}
