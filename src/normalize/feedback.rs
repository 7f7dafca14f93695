//! Customer feedback: who said what, when, and how they rated what they expected
//! against what they got. Read through the same loader as purchases (any dialect,
//! encoding or header language); bad rows are reported by line, or skipped and counted.

use anyhow::{Result, bail};
use csv::ByteRecord;

use super::amount::{self, DecimalMark};
use super::date::{self, DateColumn, Detected, Resolved};
use super::{Rejected, RowCounts, ValueOptions, sample_column, trim};
use crate::load::{Role, Table};
use crate::normalize::Day;

/// One piece of feedback.
#[derive(Clone, Debug, PartialEq)]
pub struct FeedbackEntry {
    pub line: u64,
    pub customer: String,
    pub day: Day,
    pub reason: Option<String>,
    pub comment: Option<String>,
    pub expected: Option<f64>,
    pub perceived: Option<f64>,
}

impl FeedbackEntry {
    /// Expected minus perceived quality, when both were given: how far short of what the
    /// customer expected the business fell.
    pub fn gap(&self) -> Option<f64> {
        Some(self.expected? - self.perceived?)
    }
}

/// The feedback of one file.
#[derive(Clone, Debug, Default)]
pub struct Feedback {
    pub source: String,
    pub entries: Vec<FeedbackEntry>,
    pub rows: RowCounts,
}

/// Reads every record of a feedback `table` (opened with [`Role::FEEDBACK`]).
pub fn normalize_feedback(mut table: Table, opts: &ValueOptions) -> Result<Feedback> {
    let idx = |role| table.columns.index(role);
    let (Some(ci), Some(di)) = (idx(Role::Customer), idx(Role::Date)) else {
        bail!("{}: customer and date columns are required", table.name);
    };
    let (ri, mi, ei, pi) = (
        idx(Role::Reason),
        idx(Role::Comment),
        idx(Role::Expected),
        idx(Role::Perceived),
    );
    if ri.is_none() && mi.is_none() && ei.is_none() && pi.is_none() {
        bail!(
            "{}: no reason, comment or rating column found; columns found: {}. Map them with --reason-col, --comment-col, --expected-col or --perceived-col",
            table.name,
            table
                .headers
                .iter()
                .map(|h| format!("\"{h}\""))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let columns = table.columns.clone();
    let header = |role: Role| columns.header(role).unwrap_or(role.name()).to_string();
    let date_header = header(Role::Date);
    let mut dates = DateColumn::new(match &opts.date_format {
        Some(f) => Detected::Format(f.clone()),
        None => {
            let sample = sample_column(&table, di);
            date::detect(&sample.iter().map(String::as_str).collect::<Vec<_>>())
        }
    });
    let rating_sample: Vec<String> = [ei, pi]
        .into_iter()
        .flatten()
        .flat_map(|i| sample_column(&table, i))
        .collect();
    let decimal = opts.decimal.unwrap_or_else(|| {
        amount::detect_decimal_mark(&rating_sample.iter().map(String::as_str).collect::<Vec<_>>())
            .unwrap_or(if table.delimiter == b',' {
                DecimalMark::Point
            } else {
                DecimalMark::Comma
            })
    });

    let width = table.headers.len();
    let mut feedback = Feedback {
        source: table.name.clone(),
        ..Feedback::default()
    };
    // The month/day reading of each entry, while the order is undecided.
    let mut alt_days: Vec<Day> = Vec::new();
    let mut record = ByteRecord::new();
    while table.read(&mut record)? {
        let line = record.position().map_or(0, |p| p.line());
        if record.len() == 1 && record[0].is_empty() {
            continue;
        }
        feedback.rows.read += 1;
        let text = |i: usize| -> Result<String, String> {
            std::str::from_utf8(trim(&record[i]))
                .map(str::to_string)
                .map_err(|_| {
                    "the text is not valid UTF-8; pass --encoding windows-1252".to_string()
                })
        };
        let parsed = (|| -> Result<Option<(FeedbackEntry, Day)>, String> {
            if record.len() != width {
                return Err(format!(
                    "expected {width} fields as in the header, found {}",
                    record.len()
                ));
            }
            let date_text = text(di)?;
            if date_text.is_empty() {
                return Ok(None);
            }
            let Some((day, alt)) = dates.read(&date_text, line) else {
                return Err(format!(
                    "column \"{date_header}\": \"{date_text}\" is not a date ({})",
                    dates.expected()
                ));
            };
            let optional = |i: Option<usize>| -> Result<Option<String>, String> {
                Ok(match i {
                    Some(i) => Some(text(i)?).filter(|t| !t.is_empty()),
                    None => None,
                })
            };
            let rating = |i: Option<usize>, role: Role| -> Result<Option<f64>, String> {
                match optional(i)? {
                    None => Ok(None),
                    Some(t) => amount::parse_amount(&t, decimal).map(Some).ok_or_else(|| {
                        format!(
                            "column \"{}\": \"{t}\" is not a rating (a number)",
                            header(role)
                        )
                    }),
                }
            };
            Ok(Some((
                FeedbackEntry {
                    line,
                    // The same id as in the purchases: `17850.0` is `17850`, e-mails
                    // without case.
                    customer: {
                        let mut buf = Vec::new();
                        String::from_utf8_lossy(super::lines::customer_id(&record[ci], &mut buf))
                            .into_owned()
                    },
                    day,
                    reason: optional(ri)?,
                    comment: optional(mi)?,
                    expected: rating(ei, Role::Expected)?,
                    perceived: rating(pi, Role::Perceived)?,
                },
                alt,
            )))
        })();
        match parsed {
            Ok(Some((entry, alt))) if !entry.customer.is_empty() => {
                if dates.undecided() {
                    alt_days.push(alt);
                }
                feedback.entries.push(entry);
            }
            Ok(Some(_)) => feedback.rows.anonymous += 1,
            Ok(None) => {
                feedback.rows.empty_dates += 1;
                feedback.rows.skipped.push(Rejected {
                    line,
                    reason: format!("column \"{date_header}\": empty date"),
                    fields: record
                        .iter()
                        .map(|f| String::from_utf8_lossy(f).into_owned())
                        .collect(),
                });
            }
            Err(reason) if opts.skip_bad_rows => feedback.rows.skipped.push(Rejected {
                line,
                reason,
                fields: record
                    .iter()
                    .map(|f| String::from_utf8_lossy(f).into_owned())
                    .collect(),
            }),
            Err(reason) => bail!("{}:{line}: {reason}", table.name),
        }
    }
    match dates
        .resolve()
        .map_err(|e| anyhow::anyhow!("{}: column \"{date_header}\": {e}", table.name))?
    {
        Resolved::First(_) => {}
        Resolved::Alternative => {
            for (entry, alt) in feedback.entries.iter_mut().zip(alt_days) {
                entry.day = alt;
            }
        }
    }
    Ok(feedback)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{self, ReadOptions};

    fn read(text: &str) -> Result<Feedback> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("feedback.csv");
        std::fs::write(&path, text).unwrap();
        let table = load::open_table(&path, &ReadOptions::default(), &Role::FEEDBACK)?;
        normalize_feedback(table, &ValueOptions::default())
    }

    #[test]
    fn reads_swedish_feedback_with_ratings() {
        let f = read("Kund;Datum;Orsak;Kommentar;Förväntning;Betyg\nK1;03.05.2026;Kö;Lång kö;5;2\nK2;04.05.2026;;Bra kaffe;4;4,5\n").unwrap();
        assert_eq!(f.entries.len(), 2);
        assert_eq!(f.entries[0].reason.as_deref(), Some("Kö"));
        assert_eq!(f.entries[0].gap(), Some(3.0));
        assert_eq!(f.entries[1].reason, None);
        assert_eq!(f.entries[1].perceived, Some(4.5));
    }

    #[test]
    fn bad_ratings_and_dates_name_the_line() {
        let err = read("customer,date,reason,rating\nA,2026-05-01,x,4\nB,2026-05-02,y,good\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.ends_with(":3: column \"rating\": \"good\" is not a rating (a number)"),
            "{err}"
        );
        let err = read("customer,date,reason\nA,2026-05-01,x\nB,2026-13-45,y\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(":3: column \"date\": \"2026-13-45\" is not a date"),
            "{err}"
        );
    }

    #[test]
    fn a_file_without_feedback_columns_is_refused() {
        let err = read("customer,date,amount\nA,2026-05-01,3\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("no reason, comment or rating column found"),
            "{err}"
        );
        assert!(err.contains("--reason-col"), "{err}");
    }

    #[test]
    fn feedback_ids_are_read_like_purchase_ids() {
        let f = read("email,date,comment\nAnna@Example.com ,2026-05-01,ok\n").unwrap();
        assert_eq!(f.entries[0].customer, "anna@example.com");
        let f = read("customer,date,comment\n17850.0,2026-05-01,ok\n").unwrap();
        assert_eq!(f.entries[0].customer, "17850");
    }

    #[test]
    fn anonymous_feedback_is_counted() {
        let f = read("customer,date,comment\n,2026-05-01,nice\nA,2026-05-01,ok\n").unwrap();
        assert_eq!(f.entries.len(), 1);
        assert_eq!(f.rows.anonymous, 1);
    }
}
