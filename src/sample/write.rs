//! Writing a sample as a till would export it, with the csv crate: the standard
//! dialect (UTF-8, `,`, ISO dates, decimal points) and a Swedish till's
//! (Windows-1252, `;`, `dd.mm.yyyy`, decimal commas, CRLF).

use std::io::{self, Write};

use chrono::NaiveDate;

use super::{FeedbackLine, PurchaseLine, Truth};

/// The two export dialects the writers produce.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Dialect {
    Standard,
    European,
}

impl Dialect {
    fn csv<W: Write>(self, w: W) -> csv::Writer<W> {
        let mut b = csv::WriterBuilder::new();
        b.buffer_capacity(1 << 18);
        match self {
            Dialect::Standard => b.delimiter(b','),
            // A Windows program's line endings.
            Dialect::European => b.delimiter(b';').terminator(csv::Terminator::CRLF),
        };
        b.from_writer(w)
    }

    fn date(self, d: NaiveDate) -> String {
        match self {
            Dialect::Standard => d.format("%Y-%m-%d").to_string(),
            Dialect::European => d.format("%d.%m.%Y").to_string(),
        }
    }

    /// An amount with exactly two decimals, formatted from whole cents so no float
    /// formatting can produce `1e-7` or `0.1000000001`.
    fn amount(self, amount: f64) -> String {
        let cents = (amount * 100.0).round() as i64;
        let sign = if cents < 0 { "-" } else { "" };
        let abs = cents.unsigned_abs();
        let mark = match self {
            Dialect::Standard => '.',
            Dialect::European => ',',
        };
        format!("{sign}{}{mark}{:02}", abs / 100, abs % 100)
    }
}

/// Encodes the UTF-8 text written to it as Windows-1252. A character cut by a write
/// boundary waits for the rest of its bytes.
struct Windows1252<W: Write> {
    inner: W,
    pending: Vec<u8>,
}

impl<W: Write> Write for Windows1252<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(buf);
        let whole = match std::str::from_utf8(&self.pending) {
            Ok(_) => self.pending.len(),
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(_) => return Err(io::Error::new(io::ErrorKind::InvalidData, "not UTF-8")),
        };
        let text = std::str::from_utf8(&self.pending[..whole]).unwrap_or_default();
        let (bytes, _, had_errors) = encoding_rs::WINDOWS_1252.encode(text);
        if had_errors {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "text not representable in Windows-1252",
            ));
        }
        self.inner.write_all(&bytes)?;
        self.pending.drain(..whole);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

fn write_lines<W: Write>(
    lines: &[PurchaseLine],
    w: &mut csv::Writer<W>,
    dialect: Dialect,
) -> io::Result<()> {
    w.write_record(match dialect {
        Dialect::Standard => [
            "customer_id",
            "date",
            "amount",
            "store",
            "employee",
            "category",
        ],
        Dialect::European => [
            "Kortnummer",
            "Datum",
            "Belopp",
            "Butik",
            "Personal",
            "Kategori",
        ],
    })?;
    // Lines are sorted by date, so formatting each date once is enough.
    let mut cached: Option<(NaiveDate, String)> = None;
    for line in lines {
        let date = match &cached {
            Some((d, s)) if *d == line.date => s,
            _ => &cached.insert((line.date, dialect.date(line.date))).1,
        };
        w.write_record([
            line.customer_id.as_str(),
            date,
            &dialect.amount(line.amount),
            &line.store,
            &line.employee,
            &line.category,
        ])?;
    }
    w.flush()
}

/// Standard dialect: UTF-8, ',' separator, header
/// `customer_id,date,amount,store,employee,category`, ISO dates, amounts with
/// exactly 2 decimals and '.' point, quoting as needed.
pub fn write_purchases<W: Write>(lines: &[PurchaseLine], w: W) -> io::Result<()> {
    write_lines(lines, &mut Dialect::Standard.csv(w), Dialect::Standard)
}

/// European variant of the SAME data: Windows-1252 bytes, ';' separator,
/// decimal comma ("49,26", refunds "-12,50"), dd.mm.yyyy dates, Swedish
/// headers `Kortnummer;Datum;Belopp;Butik;Personal;Kategori`, and CRLF line
/// endings as a Windows program would write. Fails with `InvalidData` if a
/// field cannot be represented in Windows-1252.
pub fn write_purchases_european<W: Write>(lines: &[PurchaseLine], w: W) -> io::Result<()> {
    let encoded = Windows1252 {
        inner: w,
        pending: Vec::new(),
    };
    write_lines(
        lines,
        &mut Dialect::European.csv(encoded),
        Dialect::European,
    )
}

/// Writes the truth as UTF-8 CSV with header
/// `customer_id,behaviour,expected_status,change_date` (ISO date, empty when
/// none).
pub fn write_truth<W: Write>(truth: &[Truth], w: W) -> io::Result<()> {
    let mut out = Dialect::Standard.csv(w);
    out.write_record(["customer_id", "behaviour", "expected_status", "change_date"])?;
    for t in truth {
        let change = t
            .change_date
            .map(|d| Dialect::Standard.date(d))
            .unwrap_or_default();
        out.write_record([
            t.customer_id.as_str(),
            t.behaviour.name(),
            t.behaviour.expected_status(),
            &change,
        ])?;
    }
    out.flush()
}

/// Writes feedback as UTF-8 CSV with header
/// `customer_id,date,reason,comment,expected,perceived`: ISO dates, ','
/// separator, quoting as needed, empty fields for missing values.
pub fn write_feedback<W: Write>(lines: &[FeedbackLine], w: W) -> io::Result<()> {
    let mut out = Dialect::Standard.csv(w);
    out.write_record([
        "customer_id",
        "date",
        "reason",
        "comment",
        "expected",
        "perceived",
    ])?;
    let rating = |r: Option<u8>| r.map(|r| r.to_string()).unwrap_or_default();
    for l in lines {
        out.write_record([
            l.customer_id.as_str(),
            &Dialect::Standard.date(l.date),
            &l.reason,
            &l.comment,
            &rating(l.expected),
            &rating(l.perceived),
        ])?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::super::*;
    use super::*;

    #[test]
    fn standard_format() {
        let text = String::from_utf8(standard_bytes(default_sample())).unwrap();
        let mut rows = text.lines();
        assert_eq!(
            rows.next(),
            Some("customer_id,date,amount,store,employee,category")
        );
        for row in rows {
            let f: Vec<&str> = row.split(',').collect();
            assert_eq!(f.len(), 6, "{row}");
            assert!(NaiveDate::parse_from_str(f[1], "%Y-%m-%d").is_ok());
            let (_, dec) = f[2].split_once('.').unwrap();
            assert_eq!(dec.len(), 2, "{row}");
        }
        assert!(text.contains("Västerås"));
    }

    #[test]
    fn quoting_only_when_needed() {
        let d = NaiveDate::from_ymd_opt(2026, 1, 2).unwrap();
        let lines = vec![PurchaseLine {
            customer_id: "C1".into(),
            date: d,
            amount: -12.5,
            store: "A, \"B\"".into(),
            employee: "Åsa".into(),
            category: "x;y".into(),
        }];
        let mut out = Vec::new();
        write_purchases(&lines, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.ends_with("C1,2026-01-02,-12.50,\"A, \"\"B\"\"\",Åsa,x;y\n"));
        let mut out = Vec::new();
        write_purchases_european(&lines, &mut out).unwrap();
        let (text, _, bad) = encoding_rs::WINDOWS_1252.decode(&out);
        assert!(!bad);
        assert!(text.ends_with("C1;02.01.2026;-12,50;\"A, \"\"B\"\"\";Åsa;\"x;y\"\r\n"));
    }

    #[test]
    fn unencodable_text_is_an_error() {
        let lines = vec![PurchaseLine {
            customer_id: String::new(),
            date: NaiveDate::from_ymd_opt(2026, 1, 2).unwrap(),
            amount: 1.0,
            store: "☕".into(),
            employee: String::new(),
            category: String::new(),
        }];
        let err = write_purchases_european(&lines, Vec::new()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    }

    #[test]
    fn european_is_windows_1252_of_same_data() {
        let sample = default_sample();
        let mut out = Vec::new();
        write_purchases_european(&sample.lines, &mut out).unwrap();
        // 'ä' is the single byte 0xE4, so this is not UTF-8.
        assert!(out.contains(&0xE4));
        assert!(std::str::from_utf8(&out).is_err());
        let text = encoding_rs::WINDOWS_1252
            .decode_without_bom_handling_and_without_replacement(&out)
            .unwrap();
        assert!(text.contains("Västerås"));
        assert!(text.contains("Malmö"));
        let mut rows = text.split("\r\n");
        assert_eq!(
            rows.next(),
            Some("Kortnummer;Datum;Belopp;Butik;Personal;Kategori")
        );
        let rows: Vec<&str> = rows.filter(|r| !r.is_empty()).collect();
        assert_eq!(rows.len(), sample.lines.len());
        // Field-by-field comparison on a prefix keeps the debug test fast.
        let standard = String::from_utf8(standard_bytes(sample)).unwrap();
        for (eu, std_row) in rows.iter().zip(standard.lines().skip(1)).take(3000) {
            let e: Vec<&str> = eu.split(';').collect();
            let s: Vec<&str> = std_row.split(',').collect();
            assert_eq!(e.len(), 6);
            assert_eq!(e[0], s[0]);
            let date = NaiveDate::parse_from_str(e[1], "%d.%m.%Y").unwrap();
            assert_eq!(date.format("%Y-%m-%d").to_string(), s[1]);
            assert_eq!(e[2], s[2].replace('.', ","));
            assert!(e[2].contains(','));
            assert_eq!(e[3..], s[3..]);
        }
        assert!(
            text.contains(";-"),
            "a refund with a negative decimal-comma amount"
        );
    }

    #[test]
    fn truth_file_round_trips() {
        let sample = default_sample();
        let mut out = Vec::new();
        write_truth(&sample.truth, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let mut rows = text.lines();
        assert_eq!(
            rows.next(),
            Some("customer_id,behaviour,expected_status,change_date")
        );
        for (row, t) in rows.zip(&sample.truth) {
            let f: Vec<&str> = row.split(',').collect();
            assert_eq!(f[0], t.customer_id);
            assert_eq!(Behaviour::from_name(f[1]), Some(t.behaviour));
            assert_eq!(f[2], t.behaviour.expected_status());
            match t.change_date {
                Some(d) => assert_eq!(f[3], d.format("%Y-%m-%d").to_string()),
                None => assert_eq!(f[3], ""),
            }
        }
    }
}
