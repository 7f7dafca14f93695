//! Mapping a purchases file's columns to roles by their names and their content.
//!
//! Each role's candidates are the headers whose names fit it ([`super::names`]), best
//! ranked first; a candidate is taken only when the values in the sniffed head of the
//! file fit the role too (dates parse, amounts are numbers, an id is not a date), so a
//! wrong guess by name falls through to the next candidate and is listed, with why, in
//! [`ColumnMap::passed_over`]. Explicit names (flags, `[columns]`) always win.
//!
//! The amount, in this order of preference:
//! 1. a line total, net before plain before gross (`Net Sales`, then `Total`, then
//!    `Gross Sales`), that is filled on every line of an order (an order-level total
//!    such as Shopify's `Total`, written on an order's first line only, is not a line
//!    amount) and, when quantity and unit price columns exist, agrees with quantity ×
//!    unit price on most lines (a total with shipping or tax does not);
//! 2. quantity × unit price (a unit price alone when there is no quantity);
//! 3. none: the file is a visit log.
//!
//! A discount column is subtracted from quantity × unit price and from a gross total,
//! never from a net one; a plain total's lines say which it is.

use anyhow::{Result, bail};
use csv::ByteRecord;

use super::columns::{
    ColumnMap, ColumnNames, PassedOver, Pick, Role, Why, explicit_index, list_headers,
    missing_message, normalize_header,
};
use super::names;
use crate::normalize::amount::{self, DecimalMark};
use crate::normalize::date::{self, DateFormat};
use crate::normalize::lines;

/// The order roles are picked in: the amount after quantity, price and discount (it is
/// checked against them), the informational columns last.
const ORDER: [Role; 16] = [
    Role::Customer,
    Role::Date,
    Role::Order,
    Role::Quantity,
    Role::Price,
    Role::Discount,
    Role::Amount,
    Role::Refunded,
    Role::Cancelled,
    Role::Status,
    Role::Void,
    Role::LineType,
    Role::Time,
    Role::Store,
    Role::Employee,
    Role::Category,
];

/// What the mapper needs to know about the file.
pub struct Sniffed<'a> {
    pub file: &'a str,
    pub headers: &'a [String],
    /// The first data records (after the header).
    pub sample: &'a [ByteRecord],
    /// A workbook: numbers in a date column are Excel serial days.
    pub workbook: bool,
    /// The field separator, for the decimal mark when the values do not tell.
    pub delimiter: u8,
}

impl Sniffed<'_> {
    /// The non-empty values of column `i` in the sample, trimmed.
    fn values(&self, i: usize) -> Vec<&str> {
        self.sample
            .iter()
            .filter_map(|r| r.get(i))
            .filter_map(|f| std::str::from_utf8(f).ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect()
    }
}

/// The share of `values` for which `test` holds (1 for no values).
fn share(values: &[&str], test: impl Fn(&str) -> bool) -> f64 {
    if values.is_empty() {
        return 1.0;
    }
    values.iter().filter(|v| test(v)).count() as f64 / values.len() as f64
}

/// A value that reads as a date written as text.
fn looks_like_date(v: &str) -> bool {
    [
        DateFormat::Ymd,
        DateFormat::Dmy,
        DateFormat::Mdy,
        DateFormat::Compact,
    ]
    .iter()
    .any(|f| f.parse(v).is_some())
}

fn example(values: &[&str], test: impl Fn(&str) -> bool) -> String {
    values
        .iter()
        .find(|v| !test(v))
        .map_or(String::new(), |v| format!(", e.g. \"{v}\""))
}

/// Maps the purchase roles to the columns of a file, by explicit names, then by names
/// and content. Fails when there is no customer or no date column.
pub fn map_purchase_columns(s: &Sniffed, explicit: &ColumnNames) -> Result<ColumnMap> {
    let normalized: Vec<String> = s.headers.iter().map(|h| normalize_header(h)).collect();
    let mut map = ColumnMap::default();
    for role in Role::PURCHASE.into_iter().chain(Role::LINE) {
        if let Some(name) = explicit.get(role) {
            let index = explicit_index(s.file, s.headers, role, name, false)?;
            map.picks.push(Pick {
                role,
                index,
                header: s.headers[index].clone(),
                why: Why::Explicit,
            });
        }
    }
    let decimal = decimal_mark(s, &normalized);
    // Quantity and unit price named explicitly make the amount their product, unless
    // the amount is named too.
    let product_named = explicit.get(Role::Price).is_some() && explicit.get(Role::Amount).is_none();
    for role in ORDER {
        if map.index(role).is_some() || (role == Role::Amount && product_named) {
            continue;
        }
        let mut candidates: Vec<(names::Rank, usize)> = normalized
            .iter()
            .enumerate()
            .filter(|(i, _)| !map.picks.iter().any(|p| p.index == *i))
            .filter_map(|(i, h)| names::rank(role, h).map(|r| (r, i)))
            .collect();
        candidates.sort();
        for (rank, i) in candidates {
            match fits(s, &map, role, rank, i, decimal) {
                Ok(()) => {
                    map.picks.push(Pick {
                        role,
                        index: i,
                        header: s.headers[i].clone(),
                        why: Why::Name,
                    });
                    break;
                }
                Err(reason) => map.passed_over.push(PassedOver {
                    role,
                    header: s.headers[i].clone(),
                    reason,
                }),
            }
        }
    }
    map.subtract_discount = subtract_discount(s, &map, &normalized, decimal);
    let missing: Vec<Role> = [Role::Customer, Role::Date]
        .into_iter()
        .filter(|r| map.index(*r).is_none())
        .collect();
    if missing.contains(&Role::Customer) {
        bail!("{}", no_customer_message(s, &map, &missing));
    }
    if !missing.is_empty() {
        bail!("{}", missing_message(s.file, s.headers, &missing, false));
    }
    Ok(map)
}

/// The decimal mark of the money columns in the sample.
fn decimal_mark(s: &Sniffed, normalized: &[String]) -> DecimalMark {
    let money = [
        Role::Amount,
        Role::Price,
        Role::Discount,
        Role::Refunded,
        Role::Quantity,
    ];
    let values: Vec<&str> = normalized
        .iter()
        .enumerate()
        .filter(|(_, h)| money.iter().any(|r| names::rank(*r, h).is_some()))
        .flat_map(|(i, _)| s.values(i))
        .collect();
    amount::detect_decimal_mark(&values).unwrap_or(if s.delimiter == b',' {
        DecimalMark::Point
    } else {
        DecimalMark::Comma
    })
}

/// Whether column `i`'s values fit `role`; the reason when not.
fn fits(
    s: &Sniffed,
    map: &ColumnMap,
    role: Role,
    rank: names::Rank,
    i: usize,
    decimal: DecimalMark,
) -> Result<(), String> {
    let values = s.values(i);
    let number = |v: &str| amount::parse_amount(v, decimal).is_some();
    // Mostly, not all: a bad value on a line is that line's error, reported with its
    // line number; the content check is there to catch a wrong pick by name.
    let numbers = |what: &str| {
        if share(&values, number) >= 0.5 {
            Ok(())
        } else {
            Err(format!(
                "its values are not {what}{}",
                example(&values, number)
            ))
        }
    };
    let not_dates = || {
        if !values.is_empty() && share(&values, looks_like_date) >= 0.5 {
            Err(format!(
                "its values are dates{}",
                example(&values, |v| !looks_like_date(v))
            ))
        } else {
            Ok(())
        }
    };
    match role {
        Role::Customer => {
            not_dates()?;
            // `**** 4821`: the last digits of a payment card say nothing about who paid.
            let masked = |v: &str| {
                v.contains("**") || v.contains("••") || v.contains("XXXX") || v.contains("xxxx")
            };
            if !values.is_empty() && share(&values, masked) >= 0.5 {
                return Err(format!(
                    "its values are masked payment-card numbers{}",
                    example(&values, |v| !masked(v))
                ));
            }
            // An e-mail column must hold e-mail addresses.
            if rank.0 == 2 && share(&values, |v| v.contains('@')) < 0.5 {
                return Err(format!(
                    "its values are not e-mail addresses{}",
                    example(&values, |v| v.contains('@'))
                ));
            }
            Ok(())
        }
        Role::Date => {
            let is_date = |v: &str| {
                looks_like_date(v) || (s.workbook && DateFormat::ExcelSerial.parse(v).is_some())
            };
            if share(&values, is_date) >= 0.5 {
                Ok(())
            } else {
                Err(format!(
                    "its values are not dates{}",
                    example(&values, is_date)
                ))
            }
        }
        Role::Time => {
            if !values.is_empty() && share(&values, date::is_time_of_day) >= 0.8 {
                Ok(())
            } else {
                Err(format!(
                    "its values are not times of day{}",
                    example(&values, date::is_time_of_day)
                ))
            }
        }
        Role::Order => {
            // Lines are grouped by it: it must be on (nearly) every line.
            if values.len() * 10 < s.sample.len() * 9 {
                return Err("it is empty on many lines".into());
            }
            not_dates()?;
            // Shopify's order `Name` is `#1001`; a column merely called "name" is not.
            if rank == names::rank(Role::Order, "name").unwrap_or_default()
                && (values.is_empty() || share(&values, |v| v.starts_with('#')) < 0.8)
            {
                return Err("its values are not order numbers like #1001".into());
            }
            Ok(())
        }
        Role::Quantity => numbers("numbers"),
        Role::Price | Role::Discount | Role::Refunded => numbers("amounts"),
        Role::Amount => {
            numbers("amounts")?;
            if let Some(order) = map.index(Role::Order) {
                if order_level(s, order, i) {
                    return Err(
                        "it is an order total, written on an order's first line only".into(),
                    );
                }
            }
            if let Some(agree) = agreement(s, map, i, decimal) {
                if agree.best() * 2 < agree.lines {
                    return Err(format!(
                        "it is not quantity × unit price on most lines ({} of {}): a total with tax, shipping or another order-level sum",
                        agree.best(),
                        agree.lines
                    ));
                }
            }
            Ok(())
        }
        Role::Cancelled => Ok(()),
        Role::Status => {
            if share(&values, lines::is_status) >= 0.5 {
                Ok(())
            } else {
                Err(format!(
                    "its values are not order statuses{}",
                    example(&values, lines::is_status)
                ))
            }
        }
        Role::Void => {
            let yes_no = |v: &str| lines::flag(v).is_some();
            if share(&values, yes_no) >= 0.9 {
                Ok(())
            } else {
                Err(format!(
                    "its values are not yes/no{}",
                    example(&values, yes_no)
                ))
            }
        }
        Role::LineType => {
            if !values.is_empty() && share(&values, lines::is_line_type) >= 0.5 {
                Ok(())
            } else {
                Err(format!(
                    "its values are not line types such as Sale, Refund or Void{}",
                    example(&values, lines::is_line_type)
                ))
            }
        }
        // A column empty on every line tells nothing (Shopify's `Location` on web orders).
        Role::Store | Role::Employee | Role::Category
            if values.is_empty() && !s.sample.is_empty() =>
        {
            Err("it is empty in the first lines".into())
        }
        Role::Store | Role::Employee | Role::Category => not_dates(),
        Role::Reason | Role::Comment | Role::Expected | Role::Perceived => Ok(()),
    }
}

/// Whether column `i` is filled on an order's first line only: empty on (nearly) every
/// later line of the orders in the sample, filled on some first lines.
fn order_level(s: &Sniffed, order: usize, i: usize) -> bool {
    let (mut later, mut later_empty, mut first_filled) = (0usize, 0usize, 0usize);
    let mut previous: Option<&[u8]> = None;
    for row in s.sample {
        let (Some(id), Some(value)) = (row.get(order), row.get(i)) else {
            continue;
        };
        let id = id.trim_ascii();
        let empty = value.trim_ascii().is_empty();
        if !id.is_empty() && previous == Some(id) {
            later += 1;
            later_empty += usize::from(empty);
        } else if !empty {
            first_filled += 1;
        }
        previous = Some(id);
    }
    later >= 2 && later_empty * 10 >= later * 9 && first_filled > 0
}

/// How often a total agrees with quantity × unit price, with and without the discount.
struct Agreement {
    lines: usize,
    net: usize,
    gross: usize,
    /// Lines with a discount, and how many of them agree each way.
    discounted: usize,
    discounted_net: usize,
    discounted_gross: usize,
}

impl Agreement {
    fn best(&self) -> usize {
        self.net.max(self.gross)
    }
}

/// Compares column `total` with quantity × unit price (less the discount) on the
/// sampled lines; `None` without quantity and unit price columns or comparable lines.
fn agreement(
    s: &Sniffed,
    map: &ColumnMap,
    total: usize,
    decimal: DecimalMark,
) -> Option<Agreement> {
    let (q, p) = (map.index(Role::Quantity)?, map.index(Role::Price)?);
    let d = map.index(Role::Discount);
    let num = |row: &ByteRecord, i: usize| {
        std::str::from_utf8(row.get(i)?)
            .ok()
            .and_then(|v| amount::parse_amount(v, decimal))
    };
    let mut a = Agreement {
        lines: 0,
        net: 0,
        gross: 0,
        discounted: 0,
        discounted_net: 0,
        discounted_gross: 0,
    };
    for row in s.sample {
        let (Some(t), Some(q), Some(p)) = (num(row, total), num(row, q), num(row, p)) else {
            continue;
        };
        let disc = d.and_then(|d| num(row, d)).unwrap_or(0.0).abs();
        let gross = q * p;
        let net = gross - disc.copysign(gross);
        let close = |x: f64| (t - x).abs() <= 0.015 + 0.002 * t.abs();
        a.lines += 1;
        a.net += usize::from(close(net));
        a.gross += usize::from(close(gross));
        if disc > 0.0 {
            a.discounted += 1;
            a.discounted_net += usize::from(close(net));
            a.discounted_gross += usize::from(close(gross));
        }
    }
    (a.lines > 0).then_some(a)
}

/// Whether the discount column is subtracted: always from quantity × unit price; from a
/// total when its discounted lines equal quantity × price before the discount, or,
/// when no line tells, when it is named gross.
fn subtract_discount(
    s: &Sniffed,
    map: &ColumnMap,
    normalized: &[String],
    decimal: DecimalMark,
) -> bool {
    if map.index(Role::Discount).is_none() {
        return false;
    }
    let Some(total) = map.index(Role::Amount) else {
        return true;
    };
    if let Some(a) = agreement(s, map, total, decimal) {
        if a.discounted > 0 {
            return a.discounted_gross > a.discounted_net;
        }
    }
    names::rank(Role::Amount, &normalized[total]).is_some_and(|r| r.0 == 2)
}

/// No customer column: what churn needs, and what the file has.
fn no_customer_message(s: &Sniffed, map: &ColumnMap, missing: &[Role]) -> String {
    // A first line of numbers and dates is data: the file has no header row.
    let data = |h: &str| {
        h.split_whitespace()
            .all(|w| looks_like_date(w) || amount::parse_amount(w, DecimalMark::Point).is_some())
    };
    if s.headers.iter().all(|h| !h.trim().is_empty() && data(h)) {
        return format!(
            "{}: the first line is data, not column names (\"{}\"); churn needs a header row naming the columns, such as customer_id,date,amount: add one to the file",
            s.file,
            s.headers.join(",")
        );
    }
    let mut text = format!(
        "{}: cannot find the customer column: churn needs a customer or loyalty-card id on every line, and none of the columns found looks like one ({})",
        s.file,
        list_headers(s.headers)
    );
    let passed: Vec<String> = map
        .passed_over
        .iter()
        .filter(|p| p.role == Role::Customer)
        .map(|p| format!("\"{}\" ({})", p.header, p.reason))
        .collect();
    if !passed.is_empty() {
        text.push_str(&format!("; not taken: {}", passed.join("; ")));
    }
    text.push_str(". If one of them holds the customer, map it with --customer-col NAME");
    if missing.contains(&Role::Date) {
        text.push_str(" (and the date with --date-col NAME)");
    }
    text.push_str("; an export without customer ids, such as a cash-register journal, cannot tell who came back");
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sniff(rows: &[&str]) -> (Vec<String>, Vec<ByteRecord>) {
        let text = rows.join("\n");
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut records: Vec<ByteRecord> = reader.byte_records().map(|r| r.unwrap()).collect();
        let headers = records
            .remove(0)
            .iter()
            .map(|h| String::from_utf8_lossy(h).into_owned())
            .collect();
        (headers, records)
    }

    fn map(rows: &[&str]) -> Result<ColumnMap> {
        let (headers, sample) = sniff(rows);
        map_purchase_columns(
            &Sniffed {
                file: "f.csv",
                headers: &headers,
                sample: &sample,
                workbook: false,
                delimiter: b',',
            },
            &ColumnNames::default(),
        )
    }

    fn header(m: &ColumnMap, role: Role) -> Option<&str> {
        m.header(role)
    }

    #[test]
    fn a_loyalty_card_dump() {
        let m = map(&[
            "household_id,store_id,basket_id,product_id,department,quantity,sales_value,transaction_timestamp",
            "0042,364,31198570044,1095275,GROCERY,1,3.49,2017-01-01 11:53:26",
            "0042,364,31198570044,9878513,PRODUCE,2,1.50,2017-01-01 11:53:26",
        ])
        .unwrap();
        assert_eq!(header(&m, Role::Customer), Some("household_id"));
        assert_eq!(header(&m, Role::Date), Some("transaction_timestamp"));
        assert_eq!(header(&m, Role::Amount), Some("sales_value"));
        assert_eq!(header(&m, Role::Store), Some("store_id"));
        assert_eq!(header(&m, Role::Category), Some("department"));
        assert_eq!(header(&m, Role::Order), Some("basket_id"));
        assert!(!m.subtract_discount);
    }

    #[test]
    fn online_retail_is_quantity_times_unit_price() {
        let m = map(&[
            "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country",
            "536365,85123A,WHITE HANGING HEART,6,12/1/10 8:26,2.55,17850.0,United Kingdom",
            "C536379,D,Discount,-1,12/1/10 9:41,27.50,14527.0,United Kingdom",
        ])
        .unwrap();
        assert_eq!(header(&m, Role::Customer), Some("CustomerID"));
        assert_eq!(header(&m, Role::Date), Some("InvoiceDate"));
        assert_eq!(header(&m, Role::Amount), None);
        assert_eq!(header(&m, Role::Quantity), Some("Quantity"));
        assert_eq!(header(&m, Role::Price), Some("UnitPrice"));
        assert_eq!(header(&m, Role::Order), Some("InvoiceNo"));
    }

    #[test]
    fn an_order_total_on_the_first_line_is_not_a_line_amount() {
        let m = map(&[
            "Name,Email,Financial Status,Total,Created at,Lineitem quantity,Lineitem price,Lineitem discount,Cancelled at,Refunded Amount",
            "#1001,a@x.com,paid,31.90,2025-10-07 09:50:26 +0200,1,12.00,0.00,,0.00",
            "#1001,,,,,2,8.00,0.00,,",
            "#1002,b@x.com,paid,20.50,2025-10-08 10:00:00 +0200,1,15.00,0.00,,0.00",
            "#1002,,,,,1,2.00,0.00,,",
            "#1003,c@x.com,voided,9.00,2025-10-09 10:00:00 +0200,1,9.00,0.00,2025-10-09 11:00:00 +0200,0.00",
        ])
        .unwrap();
        assert_eq!(header(&m, Role::Customer), Some("Email"));
        assert_eq!(header(&m, Role::Date), Some("Created at"));
        assert_eq!(header(&m, Role::Order), Some("Name"));
        assert_eq!(header(&m, Role::Amount), None);
        assert_eq!(header(&m, Role::Price), Some("Lineitem price"));
        assert_eq!(header(&m, Role::Status), Some("Financial Status"));
        assert_eq!(header(&m, Role::Cancelled), Some("Cancelled at"));
        assert_eq!(header(&m, Role::Refunded), Some("Refunded Amount"));
        assert!(m.subtract_discount);
        assert!(
            m.passed_over
                .iter()
                .any(|p| p.header == "Total" && p.reason.contains("order total")),
            "{:?}",
            m.passed_over
        );
    }

    #[test]
    fn net_sales_wins_and_time_is_not_the_date() {
        let m = map(&[
            "Date,Time,Time Zone,Category,Item,Qty,Gross Sales,Discounts,Net Sales,Transaction ID,Event Type,Location,Customer ID,Customer Name",
            "2025-07-18,12:59:30,Pacific Time (US & Canada),Coffee,Latte,1,$5.00,$0.00,$5.00,T1,Payment,Main St,CUST1,Ann",
            "2025-07-18,13:10:02,Pacific Time (US & Canada),Coffee,Mocha,1,$5.50,-$0.50,$5.00,T2,Refund,Main St,,",
        ])
        .unwrap();
        assert_eq!(header(&m, Role::Amount), Some("Net Sales"));
        assert_eq!(header(&m, Role::Time), Some("Time"));
        assert_eq!(header(&m, Role::Date), Some("Date"));
        assert_eq!(header(&m, Role::LineType), Some("Event Type"));
        assert_eq!(header(&m, Role::Store), Some("Location"));
        assert_eq!(header(&m, Role::Customer), Some("Customer ID"));
        assert!(!m.subtract_discount);
    }

    #[test]
    fn a_total_with_tax_is_passed_over_for_quantity_times_price() {
        let m = map(&[
            "customer,date,qty,unit price,total",
            "A,2026-01-05,2,10.00,25.00",
            "A,2026-01-06,1,4.00,5.00",
            "B,2026-01-06,3,1.00,3.75",
        ])
        .unwrap();
        assert_eq!(header(&m, Role::Amount), None);
        assert_eq!(header(&m, Role::Price), Some("unit price"));
    }

    #[test]
    fn a_total_before_the_discount_gets_it_subtracted() {
        let m = map(&[
            "Kundnummer,Datum,Antal,À-pris,Rabatt,Summa",
            "7001,2026-01-05,2,10.00,5.00,20.00",
            "7001,2026-01-06,1,4.00,0.00,4.00",
        ])
        .unwrap();
        assert_eq!(header(&m, Role::Amount), Some("Summa"));
        assert!(m.subtract_discount);
        let m = map(&[
            "Kundnummer,Datum,Antal,À-pris,Rabatt,Summa",
            "7001,2026-01-05,2,10.00,5.00,15.00",
            "7001,2026-01-06,1,4.00,0.00,4.00",
        ])
        .unwrap();
        assert!(!m.subtract_discount);
    }

    #[test]
    fn a_cash_register_journal_has_no_customer() {
        let err = map(&["receipt,date,amount", "1001,2026-01-05,12.50"])
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(
                "f.csv: cannot find the customer column: churn needs a customer or loyalty-card id"
            ),
            "{err}"
        );
        assert!(err.contains("\"receipt\", \"date\", \"amount\""), "{err}");
        assert!(err.contains("--customer-col"), "{err}");
    }

    #[test]
    fn a_file_without_a_header_row_is_told_so() {
        let err = map(&[
            " 00004 0001 19970101  2   29.33",
            " 00004 0001 19970118  2   29.73",
        ])
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("f.csv: the first line is data, not column names"),
            "{err}"
        );
    }

    #[test]
    fn masked_payment_cards_are_not_customers() {
        let err = map(&["Date,Amount,Card number", "2025-11-03,45.00,**** 4821"])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("\"Card number\" (its values are masked payment-card numbers"),
            "{err}"
        );
    }

    #[test]
    fn named_quantity_and_price_make_the_amount() {
        let (headers, sample) = sniff(&[
            "customer,date,qty,unit price,total",
            "A,2026-01-05,2,10.00,25.00",
        ]);
        let explicit = ColumnNames {
            quantity: Some("qty".into()),
            price: Some("unit price".into()),
            ..Default::default()
        };
        let m = map_purchase_columns(
            &Sniffed {
                file: "f.csv",
                headers: &headers,
                sample: &sample,
                workbook: false,
                delimiter: b',',
            },
            &explicit,
        )
        .unwrap();
        assert_eq!(m.header(Role::Amount), None);
        assert_eq!(m.header(Role::Price), Some("unit price"));
    }

    #[test]
    fn an_id_column_of_dates_is_not_the_customer() {
        let err = map(&["customer,day,amount", "2026-01-05,2026-01-05,1"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("\"customer\" (its values are dates"), "{err}");
    }
}
