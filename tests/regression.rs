//! One test per problem found and fixed, named after the problem (ripgrep's habit).

#[allow(dead_code)]
mod common;

use std::path::Path;

use common::{json, run, stderr, stdout, success, summary_lines};

const EXAMPLE: &str = "examples/purchases.csv";

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The example's lines dated on or after `from` (ISO dates sort as text).
fn example_from(from: &str, dir: &Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string(common::repo_file(EXAMPLE)).unwrap();
    let mut lines = text.lines();
    let mut out = format!("{}\n", lines.next().unwrap());
    for line in lines.filter(|l| l.split(',').nth(1).is_some_and(|d| d >= from)) {
        out.push_str(line);
        out.push('\n');
    }
    let path = dir.join("recent.csv");
    std::fs::write(&path, out).unwrap();
    path
}

#[test]
fn three_revenue_lost_figures_for_one_year_agree() {
    let scan = json(&run(&["scan", EXAMPLE, "--format", "json"]));
    let rate = json(&run(&["rate", EXAMPLE, "--format", "json"]));
    let clv = json(&run(&["clv", EXAMPLE, "--format", "json"]));
    let lost = &scan["summary"]["revenue_lost"];
    assert_eq!(&rate["rows"][0]["revenue_lost"], lost);
    assert_eq!(&rate["summary"]["revenue_lost"], lost);
    assert_eq!(&clv["summary"]["revenue_lost"], lost);
    // The same customers as the rate's numerator.
    assert_eq!(
        rate["rows"][0]["defected"],
        scan["summary"]["period_defectors"]
    );
    // clv's own table is over its horizon, and says so; it is not "revenue lost".
    let table = success(&run(&["clv", EXAMPLE]));
    assert!(table.contains("values below"), "{table}");
}

#[test]
fn an_unconverged_value_model_is_explained_wherever_its_figures_appear() {
    let note = "did not converge";
    for args in [
        vec!["scan", EXAMPLE, "--format", "json"],
        vec!["clv", EXAMPLE, "--format", "json"],
        vec!["report", EXAMPLE, "--format", "json"],
    ] {
        let doc = json(&run(&args));
        let warnings = doc["summary"]["warnings"].as_array().unwrap();
        assert!(
            warnings.iter().any(|w| w.as_str().unwrap().contains(note)),
            "{args:?}: {warnings:?}"
        );
        assert!(doc["summary"]["value"]["converged"] == false, "{args:?}");
    }
    for args in [
        vec!["scan", EXAMPLE],
        vec!["scan", EXAMPLE, "--format", "markdown"],
        vec!["report", EXAMPLE, "--format", "markdown"],
        vec!["report", EXAMPLE, "--format", "html"],
    ] {
        let text = success(&run(&args)).replace('\n', " ");
        let text: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(text.contains(note), "{args:?}");
    }
}

#[test]
fn nine_months_of_data_are_not_called_a_year() {
    let dir = tempfile::tempdir().unwrap();
    let recent = example_from("2026-02-01", dir.path());
    let out = success(&run(&["scan", path(&recent)]));
    let lines = summary_lines(&out);
    let line = |label: &str| {
        lines
            .iter()
            .find(|(l, _)| l == label)
            .map(|(_, t)| t.clone())
            .unwrap_or_else(|| panic!("no {label} in {out}"))
    };
    assert!(
        line("revenue at risk").contains("over the 9 months of data"),
        "{out}"
    );
    assert!(line("defection rate").contains("over 3 months"), "{out}");
    for label in ["defection rate", "revenue lost", "revenue at risk"] {
        assert!(!line(label).contains("a year"), "{label}: {out}");
    }
    let doc = json(&run(&["scan", path(&recent), "--format", "json"]));
    assert_eq!(doc["summary"]["months_of_data"], 9);
    assert_eq!(doc["summary"]["revenue_months"], 9);
    assert_eq!(doc["summary"]["period_start"], "2026-07-31");
}

#[test]
fn amounts_that_overflow_are_an_error_not_inf() {
    let dir = tempfile::tempdir().unwrap();
    let huge = format!("1{}", "0".repeat(308));
    let file = dir.path().join("huge.csv");
    std::fs::write(
        &file,
        format!("customer_id,date,amount\nA,2026-01-01,{huge}\nA,2026-02-01,{huge}\n"),
    )
    .unwrap();
    let out = run(&["scan", path(&file)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("more than a number can hold"),
        "{}",
        stderr(&out)
    );
    assert!(!stdout(&out).contains("inf"));
}

#[test]
fn output_onto_a_symlink_keeps_the_link() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("real.csv");
    let link = dir.path().join("link.csv");
    std::fs::write(&target, "old").unwrap();
    std::os::unix::fs::symlink(&target, &link).unwrap();
    success(&run(&["scan", EXAMPLE, "-o", path(&link)]));
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let written = std::fs::read_to_string(&target).unwrap();
    assert!(written.starts_with("customer_id,status"), "{written}");
}

#[test]
fn output_into_a_fifo_is_written_straight() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    success(&run(&[
        "scan",
        EXAMPLE,
        "--format",
        "csv",
        "-o",
        path(&fifo),
    ]));
    let text = reader.join().unwrap();
    assert!(text.starts_with("customer_id,status"));
    use std::os::unix::fs::FileTypeExt;
    assert!(
        std::fs::metadata(&fifo).unwrap().file_type().is_fifo(),
        "still a FIFO"
    );
}

#[test]
fn output_to_a_full_device_is_an_error_and_the_device_stays() {
    let full = Path::new("/dev/full");
    if !full.exists() {
        eprintln!("skipped: no /dev/full");
        return;
    }
    let out = run(&["scan", EXAMPLE, "--format", "csv", "-o", "/dev/full"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("/dev/full"));
    use std::os::unix::fs::FileTypeExt;
    assert!(
        std::fs::metadata(full)
            .unwrap()
            .file_type()
            .is_char_device()
    );
}

#[test]
fn output_to_dev_stdout_writes_to_standard_output() {
    let text = success(&run(&[
        "scan",
        EXAMPLE,
        "--format",
        "csv",
        "-o",
        "/dev/stdout",
    ]));
    assert!(text.starts_with("customer_id,status"));
}

#[test]
fn an_extension_the_command_cannot_write_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("out.html");
    let out = run(&["scan", EXAMPLE, "-o", path(&html)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("churn report"), "{}", stderr(&out));
    assert!(!html.exists());
    let odd = dir.path().join("out.pdf");
    let out = run(&["rate", EXAMPLE, "-o", path(&odd)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--format"), "{}", stderr(&out));
}

#[test]
fn card_numbers_keep_their_leading_zeros_in_xlsx() {
    use calamine::{Data, Reader, Xlsx};
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cards.csv");
    let mut text = String::from("card,date,amount\n");
    for week in 0..40 {
        let date =
            chrono::NaiveDate::from_ymd_opt(2025, 1, 6).unwrap() + chrono::Days::new(7 * week);
        text += &format!("000123,{date},10.00\n1234567890123456789,{date},12.00\n");
    }
    std::fs::write(&file, text).unwrap();
    let book = dir.path().join("scan.xlsx");
    success(&run(&[
        "scan",
        path(&file),
        "--customer-col",
        "card",
        "-o",
        path(&book),
    ]));
    let mut book: Xlsx<_> = calamine::open_workbook(&book).unwrap();
    let range = book.worksheet_range("scan").unwrap();
    let ids: Vec<&Data> = (1..3).filter_map(|r| range.get((r, 0))).collect();
    assert!(ids.contains(&&Data::String("000123".into())), "{ids:?}");
    assert!(
        ids.contains(&&Data::String("1234567890123456789".into())),
        "{ids:?}"
    );
}

#[test]
fn markdown_of_reasons_and_contacts_escapes_markup() {
    let purchases = "testdata/report/escape.csv";
    let feedback = "testdata/report/escape_feedback.csv";
    let bare = |md: &str| {
        md.match_indices('<')
            .filter(|&(i, _)| !md[..i].ends_with('\\'))
            .count()
    };
    // Every `<` is escaped: a wiki must not take a comment or a name for HTML.
    let contacts = success(&run(&[
        "contacts",
        purchases,
        "--recent-days",
        "1000",
        "--format",
        "markdown",
    ]));
    assert!(contacts.contains("\\<Nord & \"Co\"\\>"), "{contacts}");
    assert_eq!(bare(&contacts), 0, "{contacts}");
    let md = success(&run(&[
        "reasons",
        purchases,
        "--feedback",
        feedback,
        "--format",
        "markdown",
    ]));
    assert!(md.contains("\\<script\\>"), "{md}");
    assert_eq!(bare(&md), 0, "{md}");
    assert!(md.contains("Rude \\<staff"), "{md}");
}

#[test]
fn quiet_silences_everything_but_errors() {
    let out = run(&["report", EXAMPLE, "--quiet", "--fail-above", "0"]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "the alert still sets the exit code"
    );
    assert_eq!(stderr(&out), "");
    let out = run(&[
        "scan",
        EXAMPLE,
        "-q",
        "--fail-above",
        "0",
        "--format",
        "csv",
    ]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(stderr(&out), "");
    let dir = tempfile::tempdir().unwrap();
    let out = run(&[
        "sample",
        "--customers",
        "5",
        "-o",
        path(dir.path()),
        "--quiet",
    ]);
    assert_eq!(stderr(&out), "");
    assert!(out.status.success());
    let out = run(&["scan", "no/such/file.csv", "--quiet"]);
    assert!(
        stderr(&out).contains("no/such/file.csv"),
        "errors still show"
    );
}

#[test]
fn the_feedback_file_reads_with_the_input_settings() {
    // Both files write dates as dd/mm/yyyy with days of 12 or less: ambiguous without
    // --date-format, which must reach the feedback file too.
    let dir = tempfile::tempdir().unwrap();
    let purchases = dir.path().join("p.csv");
    let feedback = dir.path().join("f.csv");
    let mut p = String::from("customer_id;date;amount\n");
    for m in 1..=12 {
        for d in [1, 5, 9] {
            p += &format!("A;{d:02}/{m:02}/2025;10,50\nB;{d:02}/{m:02}/2025;8,00\n");
        }
    }
    for d in [2, 6] {
        p += &format!("A;{d:02}/01/2026;10,50\n");
    }
    std::fs::write(&purchases, p).unwrap();
    std::fs::write(
        &feedback,
        "customer_id;date;reason\nB;03/01/2026;Moved away\nA;04/01/2026;Prices\n",
    )
    .unwrap();
    let flags = ["--date-format", "%d/%m/%Y", "--delimiter", ";"];
    let mut args = vec![
        "reasons",
        path(&purchases),
        "--feedback",
        path(&feedback),
        "--format",
        "json",
    ];
    args.extend(flags);
    let doc = json(&run(&args));
    assert_eq!(doc["feedback_lines"], 2, "{doc}");
    assert_eq!(doc["after_as_of"], 0, "{doc}");
    // The config file's [input] reaches it too.
    let config = dir.path().join("churn.toml");
    std::fs::write(
        &config,
        "[input]\ndate_format = \"%d/%m/%Y\"\ndelimiter = \";\"\n",
    )
    .unwrap();
    let doc = json(&run(&[
        "reasons",
        path(&purchases),
        "--feedback",
        path(&feedback),
        "--config",
        path(&config),
        "--format",
        "json",
    ]));
    assert_eq!(doc["feedback_lines"], 2, "{doc}");
    // Without the format, the dates cannot be read: the flag is what made it work.
    let out = run(&["reasons", path(&purchases), "--feedback", path(&feedback)]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn dates_in_1900_or_2100_are_bad_rows_not_the_as_of_date() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dates.csv");
    let mut text = String::from("customer_id,date,amount\n");
    for m in 1..=12 {
        for d in [3, 10, 17, 24] {
            text += &format!("A,2025-{m:02}-{d:02},10\nB,2025-{m:02}-{d:02},12\n");
        }
    }
    text += "A,2100-01-01,10\n,1900-01-01,5\nB,2062-03-01,5\n";
    std::fs::write(&file, text).unwrap();
    let out = run(&["scan", path(&file)]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains(":98: column \"date\": \"2100-01-01\" is far from the rest of the data"),
        "{err}"
    );
    assert!(err.contains("--skip-bad-rows"), "{err}");
    let doc = json(&run(&[
        "scan",
        path(&file),
        "--skip-bad-rows",
        "--format",
        "json",
    ]));
    let s = &doc["summary"];
    assert_eq!(s["as_of"], "2025-12-24", "the as-of date is the data's");
    assert_eq!(s["rows"]["skipped"], 3);
    assert_eq!(s["rows"]["anonymous"], 0);
    assert_eq!(s["rows"]["read"], 99);
}

#[test]
fn a_header_that_repeats_a_column_name_is_an_error_unless_a_flag_picks_one() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dup.csv");
    let mut text = String::from("customer_id,date,date,amount\n");
    for d in 1..=28 {
        text += &format!("A,2026-01-{d:02},2026-02-01,10\n");
    }
    std::fs::write(&file, text).unwrap();
    let out = run(&["scan", path(&file)]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("2 columns called \"date\" (columns 2, 3)"),
        "{err}"
    );
    assert!(err.contains("--date-col \"date#2\""), "{err}");
    let doc = json(&run(&[
        "scan",
        path(&file),
        "--date-col",
        "date#1",
        "--format",
        "json",
    ]));
    assert_eq!(doc["summary"]["as_of"], "2026-01-28");
}

#[test]
fn the_currency_comes_from_the_export_and_is_never_guessed() {
    let currency = |file: &str, extra: &[&str]| {
        let mut args = vec!["scan", file, "--format", "json"];
        args.extend(extra);
        json(&run(&args))["summary"]["currency"].clone()
    };
    assert_eq!(currency("testdata/exports/shopify-orders.csv", &[]), "SEK");
    assert_eq!(currency("testdata/exports/square-items.csv", &[]), "$");
    assert!(currency(EXAMPLE, &[]).is_null());
    assert_eq!(currency(EXAMPLE, &["--currency", "kr"]), "kr");
    // Every money figure of the text output carries it.
    let text = success(&run(&["scan", "testdata/exports/shopify-orders.csv"]));
    let lines = summary_lines(&text);
    let lost = lines.iter().find(|(l, _)| l == "revenue at risk").unwrap();
    assert!(lost.1.contains("SEK"), "{lost:?}");
}

#[test]
fn a_bad_input_setting_names_its_config_line_and_a_bad_flag_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("churn.toml");
    std::fs::write(
        &config,
        "[columns]\ncustomer = \"customer_id\"\n\n[input]\nencoding = \"latin9\"\n",
    )
    .unwrap();
    let out = run(&["scan", EXAMPLE, "--config", path(&config)]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("churn.toml:5:"), "{err}");
    assert!(err.contains("unknown encoding \"latin9\""), "{err}");
    // `churn rules` reads the same file and refuses it the same way.
    let out = run(&["rules", "--config", path(&config)]);
    assert!(stderr(&out).contains("churn.toml:5:"), "{}", stderr(&out));

    std::fs::write(&config, "[input]\ndelimiter = \";;\"\n").unwrap();
    let err = stderr(&run(&["scan", EXAMPLE, "--config", path(&config)]));
    assert!(err.contains("churn.toml:2:"), "{err}");
    assert!(err.contains("one character"), "{err}");

    let out = run(&["scan", EXAMPLE, "--delimiter", ";;"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--delimiter"), "{}", stderr(&out));
    let out = run(&["scan", EXAMPLE, "--encoding", "latin9"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn inspect_takes_its_format_from_the_output_name_and_refuses_analysis_flags() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("inspect.json");
    success(&run(&["inspect", EXAMPLE, "-o", path(&out_path)]));
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out_path).unwrap()).unwrap();
    assert_eq!(doc["file"], EXAMPLE, "{doc}");
    // Formats it does not write, and flags that only change an analysis, are usage errors.
    for args in [
        &["inspect", EXAMPLE, "--format", "csv"][..],
        &["inspect", EXAMPLE, "-o", "inspect.xlsx"],
        &["inspect", EXAMPLE, "--as-of", "2026-01-01"],
        &["inspect", EXAMPLE, "--dedupe"],
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn backtest_and_contacts_take_the_config_files_visit_model() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("churn.toml");
    std::fs::write(&config, "[value]\nmodel = \"bgnbd\"\n").unwrap();
    let doc = json(&run(&[
        "backtest",
        EXAMPLE,
        "--config",
        path(&config),
        "--format",
        "json",
    ]));
    assert_eq!(doc["visit_model"], "BG/NBD", "{doc}");
    assert!(
        doc["visit_model_reason"]
            .as_str()
            .is_some_and(|r| r.contains("as asked")),
        "{doc}"
    );
    // contacts and rate take --model (and --discount, --margin) like the other value commands.
    let contacts = json(&run(&[
        "contacts", EXAMPLE, "--model", "bgnbd", "--format", "json",
    ]));
    assert!(
        contacts["summary"]["value"]["model"]
            .as_str()
            .is_some_and(|m| m.starts_with("BG/NBD")),
        "{}",
        contacts["summary"]["value"]
    );
    let rate = json(&run(&[
        "rate", EXAMPLE, "--margin", "0.5", "--format", "json",
    ]));
    assert_eq!(
        rate["summary"]["value"]["margin"], 0.5,
        "{}",
        rate["summary"]
    );
}
