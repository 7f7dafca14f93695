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
