//! Dates as tills write them: ISO, `dd.mm.yyyy`, `dd/mm/yyyy`, `mm/dd/yyyy`,
//! `yyyy/mm/dd`, `yyyymmdd`, two-digit years, with or without a time part; or any
//! strftime format the user names.
//!
//! Days are `i32` days since 1970-01-01, as in polars' Date type, which makes windows
//! and gaps plain integer arithmetic.

use anyhow::{Result, bail};
use chrono::{Datelike, NaiveDate, NaiveDateTime};

pub type Day = i32;

/// Days from the common era to 1970-01-01.
const EPOCH_FROM_CE: i32 = 719_163;

pub fn to_day(date: NaiveDate) -> Day {
    date.num_days_from_ce() - EPOCH_FROM_CE
}

/// The date of a day number. Day numbers come from [`to_day`], so they are in range.
pub fn to_date(day: Day) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(day + EPOCH_FROM_CE).unwrap_or(NaiveDate::MIN)
}

/// How the date column is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DateFormat {
    /// year, month, day: `2026-05-31`, `2026/05/31`, `2026.05.31`
    Ymd,
    /// day, month, year: `31.05.2026`, `31/05/2026`, `31-05-26`
    Dmy,
    /// month, day, year: `05/31/2026`
    Mdy,
    /// `20260531`
    Compact,
    /// a chrono strftime format, e.g. `%d %b %Y`
    Custom(String),
    /// Excel's serial day numbers (`45943`, `45943.54`): days since 1899-12-30, as a
    /// workbook stores a date cell that lost its date format.
    ExcelSerial,
}

impl DateFormat {
    pub fn describe(&self) -> String {
        match self {
            DateFormat::Ymd => "yyyy-mm-dd".into(),
            DateFormat::Dmy => "dd.mm.yyyy".into(),
            DateFormat::Mdy => "mm/dd/yyyy".into(),
            DateFormat::Compact => "yyyymmdd".into(),
            DateFormat::Custom(f) => f.clone(),
            DateFormat::ExcelSerial => "Excel serial day number".into(),
        }
    }

    /// Parses one value; `None` when it is not a date in this format.
    pub fn parse(&self, text: &str) -> Option<Day> {
        let text = text.trim();
        match self {
            DateFormat::Custom(fmt) => NaiveDate::parse_from_str(text, fmt)
                .ok()
                .or_else(|| {
                    NaiveDateTime::parse_from_str(text, fmt)
                        .ok()
                        .map(|t| t.date())
                })
                .map(to_day),
            DateFormat::ExcelSerial => excel_serial(text),
            DateFormat::Compact => {
                let b = text.as_bytes();
                if b.len() < 8 || !b[..8].iter().all(u8::is_ascii_digit) || !time_part_ok(&b[8..]) {
                    return None;
                }
                let n = |r: std::ops::Range<usize>| num(&b[r]);
                ymd(n(0..4)?, n(4..6)?, n(6..8)?)
            }
            _ => {
                let (p, rest) = three_parts(text.as_bytes())?;
                if !time_part_ok(rest) {
                    return None;
                }
                let (y, m, d) = match self {
                    DateFormat::Ymd if p[0].1 == 4 => (p[0].0, p[1].0, p[2].0),
                    DateFormat::Dmy if p[2].1 != 3 && p[0].1 <= 2 => (p[2].0, p[1].0, p[0].0),
                    // Month-first dates are written with '/' or '-', never with dots:
                    // "03.05.2026" is the 3rd of May wherever it comes from.
                    DateFormat::Mdy
                        if p[2].1 != 3 && p[0].1 <= 2 && text.as_bytes()[p[0].1] != b'.' =>
                    {
                        (p[2].0, p[0].0, p[1].0)
                    }
                    _ => return None,
                };
                // Two-digit years: 70-99 are 19xx, 00-69 are 20xx.
                let y = match (
                    self,
                    p[if matches!(self, DateFormat::Ymd) {
                        0
                    } else {
                        2
                    }]
                    .1,
                ) {
                    (_, 2) if y >= 70 => 1900 + y,
                    (_, 2) => 2000 + y,
                    (_, 4) => y,
                    _ => return None,
                };
                ymd(y, m, d)
            }
        }
    }
}

/// An Excel serial day number: the whole days count from 1899-12-30 (from 1900-03-01
/// on, where Excel's fictitious 1900-02-29 no longer matters); the fraction is the time.
fn excel_serial(text: &str) -> Option<Day> {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    if int.is_empty() || int.len() > 7 || !int.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let serial: i32 = int.parse().ok()?;
    // 61 is 1900-03-01; 2958465 is 9999-12-31, Excel's last day.
    if !(61..=2_958_465).contains(&serial) {
        return None;
    }
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30)?;
    Some(to_day(epoch) + serial)
}

/// Whether a value is a time of day without a date: `12:59:30`, `5:18 PM`, `08.15`.
pub fn is_time_of_day(text: &str) -> bool {
    let t = text.trim();
    let t = t
        .strip_suffix("AM")
        .or_else(|| t.strip_suffix("PM"))
        .or_else(|| t.strip_suffix("am"))
        .or_else(|| t.strip_suffix("pm"))
        .map_or(t, str::trim_end);
    let mut parts = t.split([':', '.']);
    let (Some(h), Some(m)) = (parts.next(), parts.next()) else {
        return false;
    };
    let digits = |p: &str, max: u32| {
        (1..=2).contains(&p.len())
            && p.bytes().all(|b| b.is_ascii_digit())
            && p.parse::<u32>().is_ok_and(|v| v <= max)
    };
    let rest_ok =
        parts.all(|p| !p.is_empty() && p.len() <= 6 && p.bytes().all(|b| b.is_ascii_digit()));
    digits(h, 23) && m.len() == 2 && digits(m, 59) && rest_ok
}

/// Whether dates are written with a 12-hour clock (`10/8/25 5:18 PM`): the habit of
/// the United States, where the month comes first.
pub fn twelve_hour_clock(values: &[&str]) -> bool {
    let with = values
        .iter()
        .filter(|v| {
            let v = v.trim_end();
            v.len() > 3
                && (v.ends_with("AM")
                    || v.ends_with("PM")
                    || v.ends_with("am")
                    || v.ends_with("pm"))
        })
        .count();
    with > 0 && with * 2 >= values.len()
}

fn num(b: &[u8]) -> Option<u32> {
    std::str::from_utf8(b).ok()?.parse().ok()
}

fn ymd(y: u32, m: u32, d: u32) -> Option<Day> {
    NaiveDate::from_ymd_opt(y as i32, m, d).map(to_day)
}

/// A numeric part of a date: its value and how many digits it had.
type Part = (u32, usize);

/// Splits `12.05.2026 13:45` into three numeric parts and the rest.
fn three_parts(b: &[u8]) -> Option<([Part; 3], &[u8])> {
    let mut parts = [(0u32, 0usize); 3];
    let mut i = 0;
    let mut sep = None;
    for (k, part) in parts.iter_mut().enumerate() {
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() && i - start < 4 {
            part.0 = part.0 * 10 + u32::from(b[i] - b'0');
            i += 1;
        }
        part.1 = i - start;
        if part.1 == 0 {
            return None;
        }
        if k < 2 {
            let s = *b.get(i)?;
            if !matches!(s, b'-' | b'/' | b'.') || sep.is_some_and(|x| x != s) {
                return None;
            }
            sep = Some(s);
            i += 1;
        }
    }
    Some((parts, &b[i..]))
}

/// After the date: nothing, or a time part (`T13:45`, ` 13:45:00`, `.`).
fn time_part_ok(rest: &[u8]) -> bool {
    match rest.first() {
        None => true,
        Some(b'T' | b' ') => rest.len() > 1 && rest[1].is_ascii_digit(),
        _ => false,
    }
}

/// What the sampled values say about the format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Detected {
    Format(DateFormat),
    /// Day/month or month/day: the sample cannot tell (every day is 12 or less, or the
    /// orders are mixed). The whole column decides (see [`DateColumn`]).
    DayMonthUnclear,
    /// No sampled value reads in any known format: each row will say so, with its line.
    Unknown,
}

/// Picks the format that reads the most sampled values. A few bad values do not stop
/// detection: they are reported with their line numbers when the rows are read.
pub fn detect(values: &[&str]) -> Detected {
    detect_with(values, false)
}

/// [`detect`], also trying Excel serial day numbers when `serial` (values from a
/// workbook, where a number in a date column can only be a date).
pub fn detect_with(values: &[&str], serial: bool) -> Detected {
    let values: Vec<&str> = values
        .iter()
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .collect();
    if values.is_empty() {
        return Detected::Format(DateFormat::Ymd);
    }
    let reads = |f: &DateFormat| values.iter().filter(|v| f.parse(v).is_some()).count();
    let (ymd, compact, dmy, mdy) = (
        reads(&DateFormat::Ymd),
        reads(&DateFormat::Compact),
        reads(&DateFormat::Dmy),
        reads(&DateFormat::Mdy),
    );
    let best = ymd.max(compact).max(dmy).max(mdy);
    if best == 0 {
        if serial && reads(&DateFormat::ExcelSerial) > 0 {
            return Detected::Format(DateFormat::ExcelSerial);
        }
        return Detected::Unknown;
    }
    if ymd == best {
        return Detected::Format(DateFormat::Ymd);
    }
    if compact == best {
        return Detected::Format(DateFormat::Compact);
    }
    let only = |f: &DateFormat, g: &DateFormat| {
        values
            .iter()
            .any(|v| f.parse(v).is_some() && g.parse(v).is_none())
    };
    let (only_dmy, only_mdy) = (
        only(&DateFormat::Dmy, &DateFormat::Mdy),
        only(&DateFormat::Mdy, &DateFormat::Dmy),
    );
    match (only_dmy, only_mdy) {
        (true, false) => Detected::Format(DateFormat::Dmy),
        (false, true) => Detected::Format(DateFormat::Mdy),
        _ => Detected::DayMonthUnclear,
    }
}

/// The formats churn recognises, for messages.
pub const KNOWN_FORMATS: &str = "yyyy-mm-dd, dd.mm.yyyy, dd/mm/yyyy, mm/dd/yyyy, yyyymmdd";

/// Placeholder for a reading that failed, while the day/month order is undecided.
pub const NO_DAY: Day = Day::MIN;

/// Reads a date column value by value. When the sample could not tell day/month from
/// month/day, every value is read both ways and the whole column decides at the end.
#[derive(Clone, Debug)]
pub struct DateColumn {
    format: Option<DateFormat>,
    /// The sample read in no known format.
    unknown: bool,
    /// Undecided: the first line (and value) that reads only one way.
    only_mdy: Option<(u64, String)>,
    only_dmy: Option<(u64, String)>,
    example: Option<String>,
    /// When no value tells: month first (a 12-hour clock says the United States).
    month_first: bool,
}

/// How the column was read, once decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolved {
    /// The first reading of each value is right.
    First(DateFormat),
    /// The alternative (month/day) reading is right.
    Alternative,
}

impl DateColumn {
    pub fn new(detected: Detected) -> DateColumn {
        DateColumn {
            unknown: detected == Detected::Unknown,
            format: match detected {
                Detected::Format(f) => Some(f),
                Detected::Unknown => Some(DateFormat::Ymd),
                Detected::DayMonthUnclear => None,
            },
            only_mdy: None,
            only_dmy: None,
            example: None,
            month_first: false,
        }
    }

    /// When no value in the whole column tells day/month from month/day, read month
    /// first instead of asking (set when the dates carry a 12-hour clock).
    pub fn prefer_month_first(mut self, yes: bool) -> DateColumn {
        self.month_first = yes;
        self
    }

    /// Whether values are being read both ways.
    pub fn undecided(&self) -> bool {
        self.format.is_none()
    }

    /// What a bad value should have looked like, for messages.
    pub fn expected(&self) -> String {
        if self.unknown {
            return format!(
                "churn recognises {KNOWN_FORMATS}; pass --date-format with the column's strftime format, e.g. --date-format \"%d %b %Y\""
            );
        }
        let format = self.format.as_ref().map_or_else(
            || "dd/mm/yyyy or mm/dd/yyyy".to_string(),
            DateFormat::describe,
        );
        format!("expected {format} like the rest of the column")
    }

    /// Reads one value: (first reading, alternative reading), [`NO_DAY`] where a reading
    /// fails; `None` when no reading works.
    pub fn read(&mut self, text: &str, line: u64) -> Option<(Day, Day)> {
        match &self.format {
            Some(f) => f.parse(text).map(|d| (d, d)),
            None => {
                let (dmy, mdy) = (DateFormat::Dmy.parse(text), DateFormat::Mdy.parse(text));
                match (dmy, mdy) {
                    (None, None) => return None,
                    (Some(_), None) => {
                        self.only_dmy
                            .get_or_insert_with(|| (line, text.to_string()));
                    }
                    (None, Some(_)) => {
                        self.only_mdy
                            .get_or_insert_with(|| (line, text.to_string()));
                    }
                    (Some(_), Some(_)) => {
                        self.example.get_or_insert_with(|| text.to_string());
                    }
                }
                Some((dmy.unwrap_or(NO_DAY), mdy.unwrap_or(NO_DAY)))
            }
        }
    }

    /// Takes in the state of a later part of the same column (read in parallel).
    pub fn absorb(&mut self, later: DateColumn) {
        self.only_mdy = self.only_mdy.take().or(later.only_mdy);
        self.only_dmy = self.only_dmy.take().or(later.only_dmy);
        self.example = self.example.take().or(later.example);
    }

    /// Decides, once every value has been read.
    pub fn resolve(self) -> Result<Resolved> {
        match (self.format, self.only_dmy, self.only_mdy) {
            (Some(f), _, _) => Ok(Resolved::First(f)),
            (None, Some(_), None) => Ok(Resolved::First(DateFormat::Dmy)),
            (None, None, Some(_)) => Ok(Resolved::Alternative),
            (None, None, None) if self.month_first => Ok(Resolved::Alternative),
            (None, None, None) => bail!(
                "dates such as \"{}\" could be day/month or month/day (no day above 12 in the whole column); pass --date-format \"%d/%m/%Y\" or --date-format \"%m/%d/%Y\"",
                self.example.unwrap_or_default()
            ),
            (None, Some((dl, dv)), Some((ml, mv))) => bail!(
                "dates mix day/month orders: line {dl} (\"{dv}\") reads only as day/month, line {ml} (\"{mv}\") only as month/day; fix the export or pass --date-format"
            ),
        }
    }
}

/// `--date-format`: the names churn detects, or a strftime format.
pub fn parse_format(spec: &str) -> DateFormat {
    match spec {
        "iso" | "ymd" | "%Y-%m-%d" => DateFormat::Ymd,
        "dmy" | "%d.%m.%Y" | "%d/%m/%Y" | "%d-%m-%Y" => DateFormat::Dmy,
        "mdy" | "%m/%d/%Y" => DateFormat::Mdy,
        "compact" | "%Y%m%d" => DateFormat::Compact,
        other => DateFormat::Custom(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> Option<Day> {
        Some(to_day(NaiveDate::from_ymd_opt(y, m, day).unwrap()))
    }

    #[test]
    fn parses_each_format() {
        assert_eq!(DateFormat::Ymd.parse("2026-05-31"), d(2026, 5, 31));
        assert_eq!(
            DateFormat::Ymd.parse("2026-05-31T13:45:00Z"),
            d(2026, 5, 31)
        );
        assert_eq!(DateFormat::Ymd.parse("2026/05/31 13:45"), d(2026, 5, 31));
        assert_eq!(DateFormat::Dmy.parse("31.05.2026"), d(2026, 5, 31));
        assert_eq!(DateFormat::Dmy.parse("31/05/26"), d(2026, 5, 31));
        assert_eq!(DateFormat::Mdy.parse("05/31/2026"), d(2026, 5, 31));
        assert_eq!(DateFormat::Compact.parse("20260531"), d(2026, 5, 31));
        assert_eq!(
            DateFormat::Custom("%d %b %Y".into()).parse("31 May 2026"),
            d(2026, 5, 31)
        );
    }

    #[test]
    fn rejects_non_dates() {
        for bad in [
            "2026-02-30",
            "2026-13-01",
            "31.05.2026x",
            "2026-05",
            "",
            "abc",
            "2026-05-31X",
        ] {
            assert_eq!(DateFormat::Ymd.parse(bad), None, "{bad}");
        }
        assert_eq!(DateFormat::Dmy.parse("2026-05-31"), None);
    }

    #[test]
    fn detects_from_the_sample() {
        let f = |v: &[&str]| match detect(v) {
            Detected::Format(f) => Some(f),
            _ => None,
        };
        assert_eq!(f(&["2026-05-31", "2026-06-01"]), Some(DateFormat::Ymd));
        assert_eq!(f(&["31.05.2026", "01.06.2026"]), Some(DateFormat::Dmy));
        assert_eq!(f(&["05/31/2026", "06/01/2026"]), Some(DateFormat::Mdy));
        assert_eq!(f(&["20260531"]), Some(DateFormat::Compact));
        assert_eq!(f(&["01/02/2026", "03/04/2026"]), None);
        // dots mean day first
        assert_eq!(f(&["01.02.2026", "03.04.2026"]), Some(DateFormat::Dmy));
        assert_eq!(f(&["13/02/2026", "02/13/2026"]), None);
        // one bad value does not stop detection: its row reports it
        assert_eq!(
            f(&["2026-05-31", "2026-13-45", "2026-06-01"]),
            Some(DateFormat::Ymd)
        );
        assert_eq!(
            f(&["31/05/2026", "01/06/2026", "1/2"]),
            Some(DateFormat::Dmy)
        );
        assert_eq!(detect(&["yesterday"]), Detected::Unknown);
        // 12-hour clocks, UTC offsets and Excel serials
        assert_eq!(
            f(&["10/8/25 5:18 PM", "10/13/25 11:02 AM"]),
            Some(DateFormat::Mdy)
        );
        assert_eq!(f(&["2025-10-07 09:50:26 +0200"]), Some(DateFormat::Ymd));
        assert_eq!(detect(&["45943", "45944.5"]), Detected::Unknown);
        assert_eq!(
            detect_with(&["45943", "45944.5"], true),
            Detected::Format(DateFormat::ExcelSerial)
        );
    }

    #[test]
    fn the_day_is_the_local_day_as_written() {
        assert_eq!(
            DateFormat::Ymd.parse("2025-10-07 23:50:26 -0500"),
            d(2025, 10, 7)
        );
        assert_eq!(DateFormat::Mdy.parse("12/1/10 8:26"), d(2010, 12, 1));
        assert_eq!(DateFormat::Mdy.parse("10/8/25 5:18 PM"), d(2025, 10, 8));
        assert_eq!(DateFormat::ExcelSerial.parse("45943.541"), d(2025, 10, 13));
        assert_eq!(DateFormat::ExcelSerial.parse("12.5x"), None);
    }

    #[test]
    fn times_of_day() {
        for t in ["12:59:30", "5:18 PM", "08.15", "23:59", "9:05:01.250"] {
            assert!(is_time_of_day(t), "{t}");
        }
        for t in ["2025-07-18", "25:00", "12", "12:5", "abc", "45943.5"] {
            assert!(!is_time_of_day(t), "{t}");
        }
        assert!(twelve_hour_clock(&["10/8/25 5:18 PM", "10/9/25 9:00 AM"]));
        assert!(!twelve_hour_clock(&["2025-10-08 17:18"]));
    }

    #[test]
    fn twelve_hour_clocks_read_month_first_when_nothing_tells() {
        let mut col = DateColumn::new(Detected::DayMonthUnclear).prefer_month_first(true);
        assert!(col.read("10/8/25 5:18 PM", 2).is_some());
        assert_eq!(col.resolve().unwrap(), Resolved::Alternative);
    }

    #[test]
    fn the_whole_column_decides_day_or_month_first() {
        let read = |values: &[&str]| {
            let mut col = DateColumn::new(Detected::DayMonthUnclear);
            for (i, v) in values.iter().enumerate() {
                assert!(col.read(v, i as u64 + 2).is_some());
            }
            col.resolve()
        };
        assert_eq!(
            read(&["01/02/2026", "13/02/2026"]).unwrap(),
            Resolved::First(DateFormat::Dmy)
        );
        assert_eq!(
            read(&["01/02/2026", "02/13/2026"]).unwrap(),
            Resolved::Alternative
        );
        let err = read(&["01/02/2026", "03/04/2026"]).unwrap_err().to_string();
        assert!(err.contains("no day above 12 in the whole column"), "{err}");
        let err = read(&["13/02/2026", "02/13/2026"]).unwrap_err().to_string();
        assert!(
            err.starts_with("dates mix day/month orders: line 2"),
            "{err}"
        );
        let mut col = DateColumn::new(Detected::DayMonthUnclear);
        assert_eq!(col.read("13/13/2026", 2), None);
    }
}
