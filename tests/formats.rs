//! Every format of every command, snapshot-tested, so a change of output is reviewed
//! and not an accident. The fixture has stores, employees, categories and feedback with
//! text that must be escaped.

#[allow(dead_code)]
mod common;

use common::{run, success};

const PURCHASES: &str = "testdata/report/escape.csv";
const FEEDBACK: &str = "testdata/report/escape_feedback.csv";

fn output(command: &str, format: &str) -> String {
    let mut args = vec![command, PURCHASES, "--format", format];
    if matches!(command, "scan" | "reasons" | "contacts") {
        args.extend(["--feedback", FEEDBACK]);
    }
    success(&run(&args))
}

#[test]
fn every_command_in_every_text_format() {
    for command in ["scan", "rate", "clv", "reasons", "contacts"] {
        for format in ["table", "csv", "json", "markdown"] {
            let text = output(command, format);
            insta::assert_snapshot!(format!("{command}_{format}"), text);
            if format == "table" {
                for line in text.lines() {
                    assert!(line.chars().count() <= 100, "{command}: {line}");
                    assert_eq!(line, line.trim_end(), "{command}: trailing spaces");
                }
            }
        }
    }
}

/// Terminal output fits the width (`COLUMNS`, 100 when piped without it) with no trailing
/// spaces, however wide the table: a cohort matrix of two years included.
#[test]
fn terminal_output_fits_80_and_100_columns() {
    let example = "examples/purchases.csv";
    let feedback = "examples/feedback.csv";
    let runs: [&[&str]; 7] = [
        &["scan", example, "--feedback", feedback],
        &["scan", example, "--changes"],
        &["rate", example, "--cohorts"],
        &["rate", example, "--by", "month"],
        &["clv", example],
        &["reasons", example, "--feedback", feedback],
        &["contacts", example, "--feedback", feedback],
    ];
    for columns in ["80", "100"] {
        for args in runs {
            let out = common::churn()
                .args(args)
                .env("COLUMNS", columns)
                .output()
                .unwrap();
            let text = success(&out);
            let width: usize = columns.parse().unwrap();
            for line in text.lines() {
                assert!(
                    line.chars().count() <= width,
                    "{args:?} at {columns}: {line}"
                );
                assert_eq!(line, line.trim_end(), "{args:?}: trailing spaces");
            }
        }
    }
}

#[test]
fn every_command_writes_a_workbook() {
    use calamine::{Reader, Xlsx};
    let dir = tempfile::tempdir().unwrap();
    for command in ["scan", "rate", "clv", "reasons", "contacts", "report"] {
        let path = dir.path().join(format!("{command}.xlsx"));
        let mut args = vec![command, PURCHASES, "-o", path.to_str().unwrap()];
        if matches!(command, "scan" | "reasons" | "contacts" | "report") {
            args.extend(["--feedback", FEEDBACK]);
        }
        success(&run(&args));
        let mut book: Xlsx<_> = calamine::open_workbook(&path).unwrap();
        let sheets = book.sheet_names();
        assert!(!sheets.is_empty(), "{command}");
        let range = book.worksheet_range(&sheets[0]).unwrap();
        assert!(range.height() >= 1, "{command}: a header");
        assert!(
            command == "contacts" || range.height() > 1,
            "{command}: rows"
        );
    }
}
