//! The CDNOW purchase log (FHL05a's data set) turned into calibration / holdout summaries,
//! for the tests that check the models against published figures. Test-only: churn reads
//! purchases through `load` and `history`.

use serde::{Deserialize, Serialize};

use super::{ClvError, Rfm};

/// One purchase line: customer, day number (see [`day_number`]) and value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transaction<K> {
    /// Customer identifier.
    pub customer: K,
    /// Day number (days since 1970-01-01).
    pub day: i64,
    /// Monetary value of the line.
    pub value: f64,
}

/// A customer's calibration summary and holdout outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerSummary<K> {
    /// Customer identifier.
    pub customer: K,
    /// Day of the first purchase.
    pub first_day: i64,
    /// Calibration-period `(x, t_x, T)` in periods.
    pub rfm: Rfm,
    /// Mean value of the repeat customer-days in the calibration period (`None` if `x = 0`).
    pub mean_repeat_spend: Option<f64>,
    /// Customer-days with a purchase in the holdout period.
    pub holdout_transactions: u64,
    /// Total value purchased in the holdout period.
    pub holdout_spend: f64,
}

/// Day number (days since 1970-01-01) of a date written as `yyyymmdd`.
pub fn day_number(yyyymmdd: u32) -> Result<i64, ClvError> {
    let y = i64::from(yyyymmdd / 10_000);
    let m = (yyyymmdd / 100) % 100;
    let d = yyyymmdd % 100;
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in_month = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => 0,
    };
    if d == 0 || d > days_in_month {
        return Err(ClvError::InvalidArgument(format!(
            "{yyyymmdd} is not a valid yyyymmdd date"
        )));
    }
    // Days-from-civil (proleptic Gregorian), with March as the first month of the year.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Ok(era * 146_097 + doe - 719_468)
}

/// Parses the CDNOW purchase log: whitespace-separated
/// `master_id sample_id yyyymmdd number_of_cds dollar_value` per line (the customer is
/// `master_id`; blank lines are skipped).
pub fn parse_cdnow(text: &str) -> Result<Vec<Transaction<u64>>, ClvError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.is_empty() {
            continue;
        }
        let err = |reason: String| ClvError::Parse {
            line: i + 1,
            reason,
        };
        if fields.len() < 5 {
            return Err(err(format!("expected 5 fields, found {}", fields.len())));
        }
        let customer = fields[0]
            .parse::<u64>()
            .map_err(|e| err(format!("customer id {:?}: {e}", fields[0])))?;
        let date = fields[2]
            .parse::<u32>()
            .map_err(|e| err(format!("date {:?}: {e}", fields[2])))?;
        let day = day_number(date).map_err(|e| err(e.to_string()))?;
        let value = fields[4]
            .parse::<f64>()
            .map_err(|e| err(format!("value {:?}: {e}", fields[4])))?;
        if !value.is_finite() {
            return Err(err(format!("value {value} is not finite")));
        }
        out.push(Transaction {
            customer,
            day,
            value,
        });
    }
    Ok(out)
}

/// Builds calibration summaries the way the BG/NBD literature does: lines on the same
/// customer-day are one transaction (values summed); customers whose first purchase is after
/// `calibration_end` are left out; `x` counts the calibration customer-days after the first
/// (days `<= calibration_end`), `t_x = (last such day − first day) / days_per_period` and
/// `T = (calibration_end − first day) / days_per_period`. For CDNOW, `calibration_end` =
/// 1997-09-30 and weeks (`days_per_period = 7`) give `T = 38.86` for a customer who joined on
/// 1997-01-01, as in FHL05a. Holdout counts customer-days in `(calibration_end, holdout_end]`.
/// The result is sorted by customer.
pub fn summarise<K: Ord + Clone>(
    transactions: &[Transaction<K>],
    calibration_end: i64,
    holdout_end: i64,
    days_per_period: f64,
) -> Result<Vec<CustomerSummary<K>>, ClvError> {
    if !(days_per_period.is_finite() && days_per_period > 0.0) {
        return Err(ClvError::InvalidArgument(format!(
            "days_per_period = {days_per_period} must be > 0"
        )));
    }
    if holdout_end < calibration_end {
        return Err(ClvError::InvalidArgument(
            "holdout_end must not precede calibration_end".into(),
        ));
    }
    let mut sorted: Vec<&Transaction<K>> = transactions.iter().collect();
    sorted.sort_by(|l, r| l.customer.cmp(&r.customer).then(l.day.cmp(&r.day)));
    let mut out = Vec::new();
    for group in sorted.chunk_by(|l, r| l.customer == r.customer) {
        // Customer-days with summed values.
        let mut days: Vec<(i64, f64)> = Vec::new();
        for t in group {
            match days.last_mut() {
                Some(last) if last.0 == t.day => last.1 += t.value,
                _ => days.push((t.day, t.value)),
            }
        }
        let (Some(&(first, _)), Some(first_t)) = (days.first(), group.first()) else {
            continue;
        };
        if first > calibration_end {
            continue;
        }
        let calibration: Vec<&(i64, f64)> =
            days.iter().filter(|d| d.0 <= calibration_end).collect();
        let repeats = calibration.get(1..).unwrap_or_default();
        let x = repeats.len() as f64;
        let last = repeats.last().map_or(first, |d| d.0);
        let mean_repeat_spend =
            (!repeats.is_empty()).then(|| repeats.iter().map(|d| d.1).sum::<f64>() / x);
        let holdout: Vec<&(i64, f64)> = days
            .iter()
            .filter(|d| d.0 > calibration_end && d.0 <= holdout_end)
            .collect();
        out.push(CustomerSummary {
            customer: first_t.customer.clone(),
            first_day: first,
            rfm: Rfm {
                x,
                t_x: (last - first) as f64 / days_per_period,
                t: (calibration_end - first) as f64 / days_per_period,
            },
            mean_repeat_spend,
            holdout_transactions: holdout.len() as u64,
            holdout_spend: holdout.iter().map(|d| d.1).sum(),
        });
    }
    Ok(out)
}

/// CDNOW sample: calibration to 1997-09-30, holdout to 1998-06-30, weeks.
pub fn cdnow() -> Vec<CustomerSummary<u64>> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/cdnow/CDNOW_sample.txt"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let tx = parse_cdnow(&text).unwrap();
    summarise(
        &tx,
        day_number(19970930).unwrap(),
        day_number(19980630).unwrap(),
        7.0,
    )
    .unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdnow_summary_matches_literature() {
        let s = cdnow();
        assert_eq!(s.len(), 2357);
        let repeat: f64 = s.iter().map(|c| c.rfm.x).sum();
        assert_eq!(repeat, 2457.0);
        let holdout: u64 = s.iter().map(|c| c.holdout_transactions).sum();
        assert_eq!(holdout, 1882);
        let max_t = s.iter().map(|c| c.rfm.t).fold(0.0, f64::max);
        assert!((max_t - 38.86).abs() < 0.005, "max T = {max_t}");
        assert_eq!(s.iter().filter(|c| c.rfm.x > 0.0).count(), 946);
    }

    #[test]
    fn malformed_lines_and_dates_are_errors() {
        assert!(parse_cdnow("1 1 19971301 1 2.0").is_err());
        assert!(parse_cdnow("1 1 19970101").is_err());
        assert_eq!(day_number(19700101).unwrap(), 0);
        assert_eq!(
            day_number(20000301).unwrap() - day_number(20000228).unwrap(),
            2
        );
    }
}
