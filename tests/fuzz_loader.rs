//! The loader must never panic: arbitrary bytes and arbitrary CSV-ish text go through
//! load → normalize → rules, and each input either scans or fails with a message.
//! Bounded (a fixed number of cases) so it runs in CI; proptest keeps any failing input
//! in `proptest-regressions/` to be replayed as a regression test.

use std::path::Path;

use churn::load::{self, ReadOptions, Role};
use churn::normalize::{self, ValueOptions};
use churn::rules::{self, RuleConfig};
use proptest::prelude::*;

/// Runs the whole pipeline on `bytes`; returns the error message, if any.
fn scan(bytes: &[u8], skip_bad_rows: bool) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("input.csv");
    std::fs::write(&path, bytes).unwrap();
    let result = (|| -> anyhow::Result<()> {
        let table = load::open_table(Path::new(&path), &ReadOptions::default(), &Role::PURCHASE)?;
        let opts = ValueOptions {
            skip_bad_rows,
            ..ValueOptions::default()
        };
        let purchases = normalize::normalize_purchases(table, &opts)?;
        if let Some(as_of) = purchases.last_day {
            let start = churn::metrics::summary::period_start(as_of);
            let _ = rules::apply_rules(&purchases, as_of, start, true, &RuleConfig::default());
        }
        Ok(())
    })();
    result.err().map(|e| format!("{e:#}"))
}

/// Values that look like what tills write, and some that do not.
fn field() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[A-Z][0-9]{1,6}",
        "20[0-9]{2}-[01][0-9]-[0-3][0-9]",
        "[0-3][0-9]\\.[01][0-9]\\.20[0-9]{2}",
        "[01][0-9]/[0-3][0-9]/[0-9]{2,4}",
        "-?[0-9]{1,5}([.,][0-9]{1,3})?-?",
        prop_oneof![
            Just("true"),
            Just("false"),
            Just("Sale"),
            Just("Refund"),
            Just("Void"),
            Just("voided")
        ]
        .prop_map(str::to_string),
        "#[0-9]{4}",
        "[a-z]{1,5}@[a-z]{1,5}\\.com",
        "[0-9]{1,2}/[0-9]{1,2}/[0-9]{2} [0-9]{1,2}:[0-9]{2} (AM|PM)",
        "(€ |\\$)?[0-9]{1,3}([ .,][0-9]{3})*([.,][0-9]{2})?( kr)?",
        "[a-zA-ZåäöÅÄÖé ,;\"\n\r\t|]{0,12}",
        any::<String>(),
    ]
}

/// A CSV-ish file: a header with known or unknown names, rows of fields, a separator,
/// sometimes quoted, sometimes ragged.
fn csv_text() -> impl Strategy<Value = Vec<u8>> {
    let header = prop::collection::vec(
        prop_oneof![
            Just("customer_id"),
            Just("date"),
            Just("amount"),
            Just("store"),
            Just("Kortnummer"),
            Just("Datum"),
            Just("Belopp"),
            Just("category"),
            Just("Quantity"),
            Just("UnitPrice"),
            Just("Void?"),
            Just("Type"),
            Just("Name"),
            Just("Email"),
            Just("Cancelled at"),
            Just("Refunded Amount"),
            Just("InvoiceNo"),
            Just("x"),
        ],
        1..7,
    );
    let rows = prop::collection::vec(prop::collection::vec(field(), 0..8), 0..30);
    let sep = prop_oneof![Just(','), Just(';'), Just('\t'), Just('|')];
    (header, rows, sep, any::<bool>(), any::<bool>()).prop_map(
        |(header, rows, sep, quote, crlf)| {
            let eol = if crlf { "\r\n" } else { "\n" };
            let mut text = header.join(&sep.to_string());
            text.push_str(eol);
            for row in rows {
                let cells: Vec<String> = row
                    .iter()
                    .map(|f| {
                        if quote {
                            format!("\"{}\"", f.replace('"', "\"\""))
                        } else {
                            f.clone()
                        }
                    })
                    .collect();
                text.push_str(&cells.join(&sep.to_string()));
                text.push_str(eol);
            }
            text.into_bytes()
        },
    )
}

proptest! {
    // 300 cases per property in CI; CHURN_FUZZ_CASES=100000 for a longer hunt.
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("CHURN_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(300)
    ))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600), skip in any::<bool>()) {
        let _ = scan(&bytes, skip);
    }

    #[test]
    fn csv_like_text_never_panics(bytes in csv_text(), skip in any::<bool>()) {
        if let Some(message) = scan(&bytes, skip) {
            // Every failure names the file.
            prop_assert!(message.contains("input.csv"), "{}", message);
        }
    }

    #[test]
    fn windows_1252_bytes_never_panic(text in csv_text()) {
        let text = String::from_utf8_lossy(&text).into_owned();
        let (latin, _, _) = encoding_rs::WINDOWS_1252.encode(&text);
        let _ = scan(&latin, true);
    }
}

/// Inputs that once broke something, kept as regressions.
#[test]
fn regressions() {
    for bytes in [
        &b""[..],
        b"\xEF\xBB\xBF",
        b"\xFF\xFE",
        b"customer_id,date,amount\n",
        b"customer_id,date,amount\n,,\n",
        b"customer_id,date,amount\nA,2026-01-01,1e308\nA,2026-01-02,1e308\n",
        b"customer_id,date,amount\nA,0001-01-01,1\nA,9999-12-31,1\n",
        b"customer_id,date,amount\nA,01/02/03,1\n",
        b"\x1f\x8b\x08\x00garbage",
        b"PK\x03\x04garbage that is no workbook",
        b"\xD0\xCF\x11\xE0garbage",
        b"Name,Email,Created at,Lineitem quantity,Lineitem price,Refunded Amount\n#1,a@b.com,2025-01-01,1,5.00,9.00\n#1,,,2,1.00,\n",
        b"Type,Date,Account,Amount\nVoid,01/02/2025 10:00,A,-5.00\nSale,01/02/2025 10:00,A,5.00\n",
    ] {
        let _ = scan(bytes, false);
        let _ = scan(bytes, true);
    }
}
