//! `churn contacts`: the call sheet (issue #6).

use assert_cmd::Command;

/// The example export with phone and e-mail columns; some e-mails left empty on later
/// lines, as tills do, so the latest *non-empty* value must be kept.
fn export_with_contacts(dir: &std::path::Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string("examples/purchases.csv").unwrap();
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        let id = line.split(',').next().unwrap();
        if i == 0 {
            out.push_str(&format!("{line},phone,email\n"));
        } else if id.is_empty() {
            out.push_str(&format!("{line},,\n"));
        } else {
            let email = if i % 7 == 0 {
                String::new()
            } else {
                format!("{}@example.com", id.to_lowercase())
            };
            out.push_str(&format!("{line},070-{},{email}\n", &id[1..]));
        }
    }
    let path = dir.join("purchases.csv");
    std::fs::write(&path, out).unwrap();
    path
}

fn csv_rows(out: &std::process::Output) -> (Vec<String>, Vec<Vec<String>>) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut reader = csv::Reader::from_reader(&out.stdout[..]);
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

#[test]
fn the_call_sheet_lists_flagged_customers_not_yet_heard_from() {
    let dir = tempfile::tempdir().unwrap();
    let path = export_with_contacts(dir.path());
    let out = Command::cargo_bin("churn")
        .unwrap()
        .arg("contacts")
        .arg(&path)
        .args([
            "--feedback",
            "examples/feedback.csv",
            "--keep-cols",
            "phone,email",
            "--format",
            "csv",
        ])
        .output()
        .unwrap();
    let (header, rows) = csv_rows(&out);
    assert_eq!(
        header.join(","),
        "customer_id,status,rule,evidence,change_since,last_visit,store,employee,value_at_stake,p_alive,overdue_since,phone,email"
    );
    assert!(rows.len() > 10, "{}", rows.len());
    let value = |r: &Vec<String>| r[8].parse::<f64>().unwrap();
    for pair in rows.windows(2) {
        assert!(
            value(&pair[0]) >= value(&pair[1]),
            "highest value at stake first"
        );
    }
    for r in &rows {
        assert!(r[1] == "at_risk" || r[1] == "defected", "{r:?}");
        assert_eq!(r[11], format!("070-{}", &r[0][1..]));
        assert_eq!(
            r[12],
            format!("{}@example.com", r[0].to_lowercase()),
            "latest non-empty e-mail"
        );
    }
    // Nobody on the sheet gave feedback on or after their change began.
    let feedback = std::fs::read_to_string("examples/feedback.csv").unwrap();
    for r in &rows {
        for line in feedback
            .lines()
            .filter(|l| l.starts_with(&format!("{},", r[0])))
        {
            let date = line.split(',').nth(1).unwrap();
            assert!(
                r[4].is_empty() || date < r[4].as_str(),
                "{} spoke on {date}, after {}",
                r[0],
                r[4]
            );
        }
    }
}

#[test]
fn a_missing_contact_column_is_named() {
    let out = Command::cargo_bin("churn")
        .unwrap()
        .args(["contacts", "examples/purchases.csv", "--keep-cols", "phone"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--keep-cols names column \"phone\", but the header has no such column"),
        "{err}"
    );
}
