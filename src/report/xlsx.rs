//! Excel workbooks: any command's table as a worksheet with typed cells, so a
//! spreadsheet gets numbers as numbers, dates as dates and shares as percentages.
//!
//! Built from the command's plain CSV (the same columns, in the same order): a column
//! whose non-empty values are all plain numbers becomes numeric (percent-formatted when
//! its name says it is a share or rate), one of ISO dates becomes dates; the rest stays
//! text. Identifiers stay text whatever they look like: id, store, employee and category
//! columns, and any column with a value a number cell would change (`00123`, 16+ digits). The header row is frozen and the column widths fit the content.

use std::io;

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

/// Columns shown as percentages (their values are fractions 0–1).
fn is_fraction(column: &str) -> bool {
    column == "share"
        || column == "p_alive"
        || column.starts_with("share_")
        || column.ends_with("rate")
        || column.starts_with("rate_")
}

/// Columns that name things, not quantities: their values stay text, so a card number
/// keeps its leading zeros and all its digits.
fn is_identifier(column: &str) -> bool {
    matches!(
        column,
        "customer_id" | "customer" | "store" | "employee" | "category" | "group" | "cohort"
    ) || column.ends_with("_id")
}

/// A value that only looks like a number: a leading zero (`00123`) or more digits than
/// a spreadsheet number holds (15).
fn is_code(f: &str) -> bool {
    let digits = f.strip_prefix('-').unwrap_or(f);
    let int = digits.split('.').next().unwrap_or("");
    (int.len() > 1 && int.starts_with('0'))
        || digits.bytes().filter(u8::is_ascii_digit).count() > 15
}

fn plain_number(f: &str) -> Option<f64> {
    let digits = f.strip_prefix('-').unwrap_or(f);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, "0"));
    (!int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit()))
    .then(|| f.parse().ok())
    .flatten()
}

fn iso_date(f: &str) -> Option<ExcelDateTime> {
    let b = f.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (
        f[..4].parse().ok()?,
        f[5..7].parse().ok()?,
        f[8..].parse().ok()?,
    );
    ExcelDateTime::from_ymd(y, m, d).ok()
}

/// Columns of money: revenue, value, spend.
fn is_money(column: &str) -> bool {
    (column.contains("revenue") || column.contains("value") || column.contains("spend"))
        && !column.contains("visits")
        || matches!(column, "clv" | "change")
}

/// The number format of money, with its currency when known: `#,##0.00 "kr"`.
pub fn money_format(currency: Option<&str>) -> String {
    match currency {
        None => "#,##0.00".to_string(),
        Some(c) => {
            let c = c.replace('"', "");
            if matches!(c.as_str(), "$" | "£" | "US$" | "A$" | "C$") {
                format!("\"{c}\"#,##0.00")
            } else {
                format!("#,##0.00 \"{c}\"")
            }
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Number,
    Money,
    Fraction,
    Date,
    Bool,
    Text,
}

/// Writes the plain CSV `csv` as the single worksheet `sheet` of a workbook; money in
/// `currency` when known.
pub fn from_csv(csv: &[u8], sheet: &str, currency: Option<&str>) -> io::Result<Vec<u8>> {
    let mut workbook = Workbook::new();
    add_sheet(&mut workbook, csv, sheet, currency)?;
    workbook.save_to_buffer().map_err(xlsx_error)
}

pub(crate) fn xlsx_error(e: rust_xlsxwriter::XlsxError) -> io::Error {
    io::Error::other(e.to_string())
}

/// Adds the plain CSV `csv` as the worksheet `sheet`.
pub fn add_sheet(
    workbook: &mut Workbook,
    csv: &[u8],
    sheet: &str,
    currency: Option<&str>,
) -> io::Result<()> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(csv);
    let header: Vec<String> = reader
        .headers()
        .map_err(io::Error::other)?
        .iter()
        .map(str::to_string)
        .collect();
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.map(|r| r.iter().map(str::to_string).collect()))
        .collect::<Result<_, _>>()
        .map_err(io::Error::other)?;
    let kinds: Vec<Kind> = header
        .iter()
        .enumerate()
        .map(|(c, name)| {
            let values = || {
                rows.iter()
                    .filter_map(|r| r.get(c))
                    .filter(|v| !v.is_empty())
            };
            if values().next().is_none() || is_identifier(name) || values().any(|v| is_code(v)) {
                Kind::Text
            } else if values().all(|v| plain_number(v).is_some()) {
                if is_fraction(name) {
                    Kind::Fraction
                } else if is_money(name) {
                    Kind::Money
                } else {
                    Kind::Number
                }
            } else if values().all(|v| v == "true" || v == "false") {
                Kind::Bool
            } else if values().all(|v| iso_date(v).is_some()) {
                Kind::Date
            } else {
                Kind::Text
            }
        })
        .collect();

    let xlsx = xlsx_error;
    let ws = workbook.add_worksheet();
    ws.set_name(sheet).map_err(xlsx)?;
    let bold = Format::new().set_bold();
    let percent = Format::new().set_num_format("0.0%");
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let money = Format::new().set_num_format(money_format(currency));
    for (c, name) in header.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, name, &bold)
            .map_err(xlsx)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, value) in row.iter().enumerate() {
            if value.is_empty() {
                continue;
            }
            let c16 = c as u16;
            match kinds.get(c).copied().unwrap_or(Kind::Text) {
                Kind::Number => ws.write_number(r, c16, plain_number(value).unwrap_or(0.0)),
                Kind::Money => {
                    ws.write_number_with_format(r, c16, plain_number(value).unwrap_or(0.0), &money)
                }
                Kind::Bool => ws.write_boolean(r, c16, value == "true"),
                Kind::Fraction => ws.write_number_with_format(
                    r,
                    c16,
                    plain_number(value).unwrap_or(0.0),
                    &percent,
                ),
                Kind::Date => match iso_date(value) {
                    Some(d) => ws.write_datetime_with_format(r, c16, &d, &date),
                    None => ws.write_string(r, c16, value),
                },
                Kind::Text => ws.write_string(r, c16, value),
            }
            .map_err(xlsx)?;
        }
    }
    ws.set_freeze_panes(1, 0).map_err(xlsx)?;
    for (c, name) in header.iter().enumerate() {
        let widest = rows
            .iter()
            .filter_map(|r| r.get(c))
            .map(|v| v.chars().count())
            .chain([name.chars().count()])
            .max()
            .unwrap_or(8);
        ws.set_column_width(c as u16, (widest.min(60) + 2) as f64)
            .map_err(xlsx)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{Data, Reader, Xlsx};

    #[test]
    fn numbers_dates_and_shares_are_typed() {
        let csv = b"store,customers,defection_rate,first_visit,note\nV\xc3\xa4ster\xc3\xa5s,40,0.35,2026-01-02,x\nMalm\xc3\xb6,46,0.3261,,\n";
        let bytes = from_csv(csv, "rate", None).unwrap();
        let mut book: Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(book.sheet_names(), vec!["rate"]);
        let range = book.worksheet_range("rate").unwrap();
        assert_eq!(range.get((0, 0)), Some(&Data::String("store".into())));
        assert_eq!(range.get((1, 0)), Some(&Data::String("Västerås".into())));
        assert_eq!(range.get((1, 1)), Some(&Data::Float(40.0)));
        assert_eq!(range.get((2, 2)), Some(&Data::Float(0.3261)));
        assert!(
            matches!(range.get((1, 3)), Some(Data::DateTime(_))),
            "{:?}",
            range.get((1, 3))
        );
    }

    /// Card numbers lost their leading zeros, and ids over 15 digits their last digits.
    #[test]
    fn ids_stay_text() {
        let csv = b"customer_id,store,phone,visits\n00123,7,0701234567,3\n1234567890123456789,12,46701234567,4\n";
        let bytes = from_csv(csv, "scan", None).unwrap();
        let mut book: Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
        let range = book.worksheet_range("scan").unwrap();
        let text = |r, c| match range.get((r, c)) {
            Some(Data::String(s)) => s.clone(),
            other => panic!("({r}, {c}) is not text: {other:?}"),
        };
        assert_eq!(text(1, 0), "00123");
        assert_eq!(text(2, 0), "1234567890123456789");
        assert_eq!(text(1, 1), "7", "a store code is a name");
        assert_eq!(
            text(1, 2),
            "0701234567",
            "a leading zero makes a column text"
        );
        assert_eq!(range.get((1, 3)), Some(&Data::Float(3.0)));
    }
}
