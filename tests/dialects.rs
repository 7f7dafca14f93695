//! The same purchases exported in two dialects must give identical results, to the
//! last digit: UTF-8 with ',' and ISO dates, and a Swedish till's Windows-1252 with ';',
//! decimal commas, dd.mm.yyyy and Swedish headers (issue #4). Large enough (about
//! 100,000 lines) that summation order and parallel loading would show.

use assert_cmd::Command;

#[test]
fn european_and_plain_exports_scan_identically() {
    let dir = tempfile::tempdir().unwrap();
    Command::cargo_bin("churn")
        .unwrap()
        .args([
            "sample",
            "--customers",
            "1000",
            "--seed",
            "3",
            "--european",
            "-o",
        ])
        .arg(dir.path())
        .assert()
        .success();
    let scan = |file: &str, format: &str| {
        let out = Command::cargo_bin("churn")
            .unwrap()
            .args(["scan", "--format", format, "--dedupe"])
            .arg(dir.path().join(file))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let plain = scan("purchases.csv", "csv");
    let european = scan("purchases-european.csv", "csv");
    assert!(plain.lines().count() > 900);
    assert!(plain == european, "the CSV outputs differ");
    // The summary too, but for the file name and the column names it reports.
    let strip = |json: String| {
        let mut v: serde_json::Value =
            serde_json::from_str(&json.replace("purchases-european.csv", "purchases.csv")).unwrap();
        let columns = v["summary"]["columns"].take();
        (v, columns)
    };
    let (plain, plain_columns) = strip(scan("purchases.csv", "json"));
    let (european, european_columns) = strip(scan("purchases-european.csv", "json"));
    assert_eq!(plain, european);
    assert_eq!(plain_columns["customer"], "customer_id");
    assert_eq!(european_columns["customer"], "Kortnummer");
}
