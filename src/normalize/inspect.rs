//! `churn inspect`: what churn would read from a file, before a monthly job is set up
//! on it: the file's shape, each column's role with sample values, how the amount is
//! made, the rows it would leave out and why, and the flags or `[columns]` block that
//! change a pick. A plain result; rendering is [`crate::report::inspect`]'s.

use std::path::Path;

use anyhow::Result;
use serde::Serialize;

use super::{AmountSource, UsedColumns, ValueOptions, normalize_purchases};
use crate::load::{self, ReadOptions, Role, Why};

/// One column of the file.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InspectedColumn {
    pub header: String,
    /// The role churn gives it; `None` when churn does not use it.
    pub role: Option<Role>,
    /// How it got the role.
    pub why: Option<Why>,
    /// Up to three distinct values from the first lines.
    pub samples: Vec<String>,
    /// Why churn did not take it for a role its name fits.
    pub passed_over: Vec<String>,
}

/// Rows left out, by reason.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Exclusion {
    pub reason: String,
    pub rows: u64,
    /// The first lines, where churn knows them.
    pub lines: Vec<u64>,
}

/// A flag that would give a role another column.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Alternative {
    pub role: Role,
    pub header: String,
    /// e.g. `--amount-col "Gross Sales"`
    pub flag: String,
    /// Why churn did not take it.
    pub passed_over: String,
}

/// What churn would read from one file.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Inspection {
    pub file: String,
    /// "CSV" or "Excel workbook".
    pub format: String,
    pub sheet: Option<String>,
    /// Text encoding (CSV only).
    pub encoding: Option<String>,
    /// Field separator (CSV only): `,` `;` `tab` or `|`.
    pub separator: Option<String>,
    /// `point` or `comma`; `None` when the file has no amounts.
    pub decimal_mark: Option<String>,
    pub date_format: Option<String>,
    /// Data rows read.
    pub rows: u64,
    /// The summary line: `customer=... date=... amount=...`.
    pub used: UsedColumns,
    /// How a line's amount is made, in words.
    pub amount: String,
    pub columns: Vec<InspectedColumn>,
    /// Rows churn would leave out, by reason (after a scan also: duplicates with
    /// `--dedupe`, rows after `--as-of`).
    pub excluded: Vec<Exclusion>,
    /// Lines with a negative amount: they reduce revenue and are not visits.
    pub refund_lines: u64,
    /// Customers with at least one line.
    pub customers: u64,
    /// What a scan of the file would stop at, if anything (with `--skip-bad-rows`
    /// the bad rows are counted instead, as under `excluded`).
    pub problem: Option<String>,
    /// Things worth knowing about the file (order-level fields filled down, no
    /// amounts, ...).
    pub notes: Vec<String>,
    /// The mapping as a `[columns]` block for the config file.
    pub columns_block: String,
    pub alternatives: Vec<Alternative>,
}

/// Inspects `path` as `churn scan` would read it with these options.
pub fn inspect(path: &Path, read: &ReadOptions, values: &ValueOptions) -> Result<Inspection> {
    let table = load::open_table(path, read, &Role::PURCHASE)?;
    let map = table.columns.clone();
    let columns: Vec<InspectedColumn> = table
        .headers
        .iter()
        .enumerate()
        .map(|(i, header)| {
            let pick = map.picks().find(|p| p.index == i);
            let mut samples: Vec<String> = Vec::new();
            for record in &table.sample {
                let value = String::from_utf8_lossy(record.get(i).unwrap_or_default())
                    .trim()
                    .to_string();
                if !value.is_empty() && !samples.contains(&value) {
                    samples.push(value);
                    if samples.len() == 3 {
                        break;
                    }
                }
            }
            InspectedColumn {
                header: header.clone(),
                role: pick.map(|p| p.role),
                why: pick.map(|p| p.why),
                samples,
                passed_over: map
                    .passed_over
                    .iter()
                    .filter(|p| p.header == *header)
                    .map(|p| format!("not the {}: {}", p.role.name(), p.reason))
                    .collect(),
            }
        })
        .collect();
    let alternatives = map
        .passed_over
        .iter()
        .map(|p| Alternative {
            role: p.role,
            header: p.header.clone(),
            flag: format!("{} {}", p.role.flag(false), shell_word(&p.header)),
            passed_over: p.reason.clone(),
        })
        .collect();
    let mut block = String::from("[columns]\n");
    for pick in map.picks() {
        block.push_str(&format!(
            "{} = {}\n",
            pick.role.name(),
            toml::Value::String(pick.header.clone())
        ));
    }
    let mut notes = Vec::new();
    if map.index(Role::Order).is_some() {
        notes.push(format!(
            "lines of one order share \"{}\": an order's customer, date, status and cancellation are taken from its first line when later lines leave them empty",
            map.header(Role::Order).unwrap_or_default()
        ));
    }
    let (file, sheet, charset, delimiter) = (
        table.name.clone(),
        table.sheet.clone(),
        table.charset,
        table.delimiter,
    );
    let workbook = sheet.is_some();
    // Bad rows are counted, as with --skip-bad-rows; without it, a scan stops at the
    // first one, which is said as the problem.
    let user_skips = values.skip_bad_rows;
    let values = ValueOptions {
        skip_bad_rows: true,
        ..values.clone()
    };
    let purchases = normalize_purchases(table, &values);
    let mut inspection = Inspection {
        file,
        format: if workbook { "Excel workbook" } else { "CSV" }.to_string(),
        sheet,
        encoding: (!workbook).then(|| charset.name().to_string()),
        separator: (!workbook).then(|| separator_name(delimiter)),
        decimal_mark: None,
        date_format: None,
        rows: 0,
        used: UsedColumns::new(&map),
        amount: String::new(),
        columns,
        excluded: Vec::new(),
        refund_lines: 0,
        customers: 0,
        problem: None,
        notes,
        columns_block: block,
        alternatives,
    };
    inspection.amount = describe_amount(&inspection.used.amount);
    let p = match purchases {
        Ok(p) => p,
        Err(e) => {
            inspection.problem = Some(format!("{e:#}"));
            return Ok(inspection);
        }
    };
    if !p.has_amounts() {
        inspection.notes.push(
            "no amount column: churn judges visits only; revenue and lifetime-value figures are not available for this export".into(),
        );
    } else {
        inspection.decimal_mark = Some(
            match p.decimal {
                super::DecimalMark::Point => "point",
                super::DecimalMark::Comma => "comma",
            }
            .into(),
        );
    }
    if !user_skips {
        // Rows with an empty date are skipped either way; any other bad row stops a scan.
        inspection.problem = p
            .rows
            .skipped
            .iter()
            .find(|r| !r.reason.ends_with("empty date"))
            .map(|r| {
                format!(
                    "{}:{}: {} (a scan stops here; pass --skip-bad-rows to skip such rows)",
                    p.source, r.line, r.reason
                )
            });
    }
    inspection.date_format = Some(p.date_format.describe());
    inspection.rows = p.rows.read;
    inspection.customers = p.customers.len() as u64;
    inspection.refund_lines = p.amounts().iter().filter(|a| **a < 0.0).count() as u64;
    let rows = &p.rows;
    for (reason, n) in [
        ("void lines", rows.voided),
        ("lines of cancelled or voided orders", rows.cancelled),
        (
            "records that are not sales (floats, transfers, ...)",
            rows.not_sales,
        ),
        ("lines without a customer id (walk-ins)", rows.anonymous),
    ] {
        if n > 0 {
            inspection.excluded.push(Exclusion {
                reason: reason.to_string(),
                rows: n,
                lines: Vec::new(),
            });
        }
    }
    let mut bad: Vec<Exclusion> = Vec::new();
    for r in &rows.skipped {
        let kind = r.kind();
        match bad.iter_mut().find(|b| b.reason == kind) {
            Some(b) => {
                b.rows += 1;
                if b.lines.len() < 3 {
                    b.lines.push(r.line);
                }
            }
            None => bad.push(Exclusion {
                reason: kind,
                rows: 1,
                lines: vec![r.line],
            }),
        }
    }
    bad.sort_by(|a, b| b.rows.cmp(&a.rows).then(a.reason.cmp(&b.reason)));
    inspection.excluded.extend(bad);
    Ok(inspection)
}

fn separator_name(d: u8) -> String {
    match d {
        b'\t' => "tab".into(),
        other => (other as char).to_string(),
    }
}

/// A header as a shell word: quoted when it has anything but letters, digits, `_-.`.
fn shell_word(text: &str) -> String {
    if !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        text.to_string()
    } else {
        format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

fn describe_amount(amount: &AmountSource) -> String {
    match amount {
        AmountSource::None => "none: the export has no amount column (a visit log)".into(),
        AmountSource::Total { header, less: None } => {
            format!("the line total \"{header}\"")
        }
        AmountSource::Total {
            header,
            less: Some(d),
        } => format!("the gross line total \"{header}\" less the discount \"{d}\""),
        AmountSource::Product {
            quantity,
            price,
            less,
        } => {
            let mut text = match quantity {
                Some(q) => format!("quantity \"{q}\" × unit price \"{price}\""),
                None => format!("the unit price \"{price}\" (one item per line)"),
            };
            if let Some(d) = less {
                text.push_str(&format!(" less the discount \"{d}\""));
            }
            text
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_and_reasons() {
        assert_eq!(shell_word("Net_Sales"), "Net_Sales");
        assert_eq!(shell_word("Gross Sales"), "\"Gross Sales\"");
        let r = super::super::Rejected {
            line: 2,
            reason: "column \"amount\": \"12,5x\" is not a number".into(),
            fields: Vec::new(),
        };
        assert_eq!(r.kind(), "column \"amount\": value is not a number");
    }
}
