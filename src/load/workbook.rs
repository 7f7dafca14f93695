//! Spreadsheet exports (.xlsx, and .xls, .xlsb, .ods alike) read with calamine: one
//! sheet becomes records like a CSV file's, so everything after this module reads both
//! the same way. A record's line number is its row number in the sheet, as Excel shows
//! it; date cells become ISO text (`2025-10-07 09:50:26`), numbers their shortest text.

use std::io::Cursor;

use anyhow::{Result, bail};
use calamine::{Data, Reader};
use csv::{ByteRecord, Position};

/// One sheet: its name, header row and data rows.
pub struct Sheet {
    pub name: String,
    /// The sheet row number (1-based) of the header.
    pub header_line: u64,
    pub headers: Vec<String>,
    pub rows: Vec<ByteRecord>,
}

/// Reads sheet `wanted` (or the first sheet) of the workbook in `bytes`. `file` names
/// the input in messages.
pub fn read_sheet(file: &str, bytes: Vec<u8>, wanted: Option<&str>) -> Result<Sheet> {
    let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|e| {
        anyhow::anyhow!(
            "{file}: this is a zip or Office file, but not an Excel workbook churn can read ({e}); open it in Excel and save it again as .xlsx, or save it as CSV"
        )
    })?;
    let names = book.sheet_names();
    let name = match wanted {
        Some(w) => names
            .iter()
            .find(|n| n.as_str() == w)
            .or_else(|| names.iter().find(|n| n.eq_ignore_ascii_case(w)))
            .cloned()
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "{file}: the workbook has no sheet \"{w}\"; its sheets: {}",
                    quoted(&names)
                )
            })?,
        None => match names.first() {
            Some(n) => n.clone(),
            None => bail!("{file}: the workbook has no sheets"),
        },
    };
    let range = book
        .worksheet_range(&name)
        .map_err(|e| anyhow::anyhow!("{file}: cannot read sheet \"{name}\": {e}"))?;
    let first_row = range.start().map_or(0, |(row, _)| row);
    let mut rows = range.rows().enumerate().filter_map(|(k, cells)| {
        let line = u64::from(first_row) + k as u64 + 1;
        let fields: Vec<String> = cells.iter().map(text).collect();
        // An empty row is not a record, as a blank line in CSV is not.
        (!fields.iter().all(|f| f.trim().is_empty())).then_some((line, fields))
    });
    let Some((header_line, headers)) = rows.next() else {
        bail!(
            "{file}: sheet \"{name}\" is empty; expected a header row and purchase lines{}",
            if names.len() > 1 {
                format!(
                    " (the workbook's sheets: {}; pick one with --sheet NAME)",
                    quoted(&names)
                )
            } else {
                String::new()
            }
        );
    };
    let headers = headers.iter().map(|h| h.trim().to_string()).collect();
    let rows = rows
        .map(|(line, fields)| {
            let mut record = ByteRecord::from(fields);
            let mut position = Position::new();
            position.set_line(line);
            record.set_position(Some(position));
            record
        })
        .collect();
    Ok(Sheet {
        name,
        header_line,
        headers,
        rows,
    })
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A cell as the text a CSV export of the sheet would hold.
fn text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => number(*f),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::DateTime(dt) if dt.is_datetime() => {
            let (y, mo, d, h, mi, s, _) = dt.to_ymd_hms_milli();
            let value = dt.as_f64();
            if value < 1.0 {
                // a time cell: no date part
                format!("{h:02}:{mi:02}:{s:02}")
            } else if value.fract() == 0.0 {
                format!("{y:04}-{mo:02}-{d:02}")
            } else {
                format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
            }
        }
        Data::DateTime(dt) => number(dt.as_f64()),
        Data::Error(e) => e.to_string(),
    }
}

/// A number's shortest text: `17850`, not `17850.0`; `12.5`.
fn number(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

    fn book(build: impl FnOnce(&mut Workbook)) -> Vec<u8> {
        let mut wb = Workbook::new();
        build(&mut wb);
        wb.save_to_buffer().unwrap()
    }

    #[test]
    fn date_cells_numbers_and_serials() {
        let bytes = book(|wb| {
            let ws = wb.add_worksheet().set_name("Sales").unwrap();
            let date = Format::new().set_num_format("yyyy-mm-dd hh:mm");
            ws.write_row(0, 0, ["Date", "Member", "Total", "Serial"])
                .unwrap();
            let dt = ExcelDateTime::parse_from_str("2025-10-07 09:50:26").unwrap();
            ws.write_datetime_with_format(1, 0, &dt, &date).unwrap();
            ws.write_number(1, 1, 17850.0).unwrap();
            ws.write_number(1, 2, 12.5).unwrap();
            ws.write_number(1, 3, 45943.0).unwrap();
            // an empty row, then a row far down
            ws.write_string(5, 1, "A-7").unwrap();
            wb.add_worksheet().set_name("Summary").unwrap();
        });
        let sheet = read_sheet("x.xlsx", bytes.clone(), None).unwrap();
        assert_eq!(sheet.name, "Sales");
        assert_eq!(sheet.headers, ["Date", "Member", "Total", "Serial"]);
        assert_eq!(sheet.rows.len(), 2);
        let row = &sheet.rows[0];
        assert_eq!(&row[0], b"2025-10-07 09:50:26");
        assert_eq!(&row[1], b"17850");
        assert_eq!(&row[2], b"12.5");
        assert_eq!(&row[3], b"45943");
        assert_eq!(row.position().unwrap().line(), 2);
        assert_eq!(sheet.rows[1].position().unwrap().line(), 6);

        let err = read_sheet("x.xlsx", bytes.clone(), Some("Nope"))
            .err()
            .unwrap()
            .to_string();
        assert_eq!(
            err,
            "x.xlsx: the workbook has no sheet \"Nope\"; its sheets: \"Sales\", \"Summary\""
        );
        let err = read_sheet("x.xlsx", bytes, Some("summary"))
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("sheet \"Summary\" is empty"), "{err}");
    }

    #[test]
    fn a_broken_zip_says_what_to_do() {
        let err = read_sheet("x.xlsx", b"PK\x03\x04junk".to_vec(), None)
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.starts_with("x.xlsx: this is a zip or Office file, but not an Excel workbook"),
            "{err}"
        );
        assert!(err.contains("save it as CSV"), "{err}");
    }
}
