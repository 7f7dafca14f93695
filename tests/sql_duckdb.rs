//! `churn sql` checked on real engines: the DuckDB query runs in DuckDB (the Python
//! package) on the example data, churn scans the daily table it writes, and every
//! customer must come out as from the raw lines. The Spark, BigQuery, Snowflake and
//! Postgres queries are parsed by sqlglot in their dialects.
//!
//! Both packages live in the venv of `scripts/python-venv` (`$CHURN_VENV`, default
//! `~/.cache/churn-venv`). Required on CI; skipped with a note elsewhere when missing.

#[allow(dead_code)]
mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use churn::load::Role;
use common::{churn, root, success};
use serde_json::Value;

/// The venv's python, when it has duckdb and sqlglot.
fn python() -> Option<PathBuf> {
    let venv = std::env::var_os("CHURN_VENV")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache/churn-venv")));
    let python = venv.map(|v| v.join("bin/python"));
    let works = python.as_ref().is_some_and(|p| {
        Command::new(p)
            .args(["-c", "import duckdb, sqlglot"])
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if works {
        return python;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI needs the Python venv with duckdb and sqlglot: run scripts/python-venv \
         (looked for {python:?})"
    );
    eprintln!(
        "skipped: no Python venv with duckdb and sqlglot at {python:?}; run scripts/python-venv"
    );
    None
}

/// Runs `script` (Python) with `args`, from the repository root; returns its stdout.
fn run_python(python: &Path, script: &str, args: &[&str]) -> String {
    let out = Command::new(python)
        .arg("-c")
        .arg(script)
        .args(args)
        .current_dir(root())
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("python prints UTF-8")
}

/// Runs QUERY (argv[1]) in DuckDB over the purchases CSV argv[4] (read_csv options
/// argv[5]) as table `purchases`, writes the result to the CSV file argv[2], then
/// prints as JSON, per dimension (store, employee, category) and customer, the values
/// with the most visits up to the as-of date argv[3]: churn's main value must be one
/// of them, the first in byte order on a tie. argv[6] names the columns: customer, date, amount, store,
/// employee, category.
const DUCKDB: &str = r#"
import json, sys
import duckdb

query, daily, as_of, purchases, options = sys.argv[1:6]
c, d, a, s, e, k = sys.argv[6].split(",")
con = duckdb.connect()
con.execute(f"CREATE VIEW purchases AS SELECT * FROM read_csv('{purchases}'{options})")
con.execute(f"COPY ({query}) TO '{daily}' (HEADER)")
con.execute(f"COPY ({query}) TO '{daily}.parquet' (FORMAT parquet)")
con.execute(f"""CREATE VIEW lines AS SELECT "{c}" AS customer_id, "{d}" AS date,
    "{a}" AS amount, "{s}" AS store, "{e}" AS employee, "{k}" AS category FROM purchases""")
top = {}
for dim in ["store", "employee", "category"]:
    rows = con.execute(f"""
        WITH visits AS (
            SELECT DISTINCT trim(customer_id) AS customer_id, date,
                   coalesce(trim({dim}), '') AS value
            FROM lines
            WHERE trim(customer_id) <> '' AND amount >= 0 AND date <= DATE '{as_of}'),
        counts AS (
            SELECT customer_id, value, count(*) AS n FROM visits GROUP BY ALL)
        SELECT customer_id, list(value ORDER BY value)
        FROM counts
        WHERE n = (SELECT max(n) FROM counts c WHERE c.customer_id = counts.customer_id)
        GROUP BY customer_id""").fetchall()
    top[dim] = {c: values for c, values in rows}
# What the `lines` column adds up to: identified lines, anonymous lines, refund lines.
identified, anonymous, refunds = con.execute(f"""
    SELECT coalesce(sum(lines) FILTER (WHERE coalesce("{c}", '') <> ''), 0),
           coalesce(sum(lines) FILTER (WHERE coalesce("{c}", '') = ''), 0),
           coalesce(sum(lines) FILTER (WHERE coalesce("{c}", '') <> '' AND "{a}" < 0), 0)
    FROM read_csv('{daily}', header = true, types = {{'{c}': 'VARCHAR'}})
    """).fetchone()
print(json.dumps({"top": top, "lines": [identified, anonymous, refunds]}))
"#;

/// `churn scan FILE --format json ARGS…`
fn scan_json(file: &str, args: &[&str]) -> Value {
    let mut cmd = churn();
    cmd.args(["scan", file, "--format", "json"]).args(args);
    serde_json::from_str(&success(&cmd.output().expect("churn runs"))).expect("JSON output")
}

fn same_to_the_cent(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => (x - y).abs() < 1e-6 && format!("{x:.2}") == format!("{y:.2}"),
        _ => a == b,
    }
}

/// A purchases file as DuckDB reads it.
struct Source {
    path: &'static str,
    /// More arguments of DuckDB's read_csv, e.g. `, delim = ';'`.
    read_options: &'static str,
    /// Column names: customer, date, amount, store, employee, category.
    columns: [&'static str; 6],
}

/// churn's default column names, as `churn sql` assumes them.
fn default_columns() -> [&'static str; 6] {
    Role::PURCHASE.map(churn::sql::default_name)
}

fn examples() -> Source {
    Source {
        path: "examples/purchases.csv",
        read_options: "",
        columns: default_columns(),
    }
}

/// Scans the raw lines of `source` and the daily table DuckDB made of them with the
/// same flags, checks them customer by customer, and returns the raw scan's summary.
fn daily_scan_matches_raw_scan(python: &Path, source: &Source, flags: &[&str]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let daily = dir.path().join("daily.csv");
    let daily = daily.to_str().unwrap();
    let purchases = source.path;
    let mut flags = flags.to_vec();
    if source.columns != default_columns() {
        let names = [
            "--customer-col",
            "--date-col",
            "--amount-col",
            "--store-col",
            "--employee-col",
            "--category-col",
        ];
        for (flag, name) in names.into_iter().zip(source.columns) {
            flags.extend([flag, name]);
        }
    }
    let flags = flags.as_slice();
    let mut args = vec!["sql", "--dialect", "duckdb", "--table", "purchases"];
    args.extend(flags);
    let query = success(&churn().args(&args).output().unwrap());

    let raw = scan_json(purchases, flags);
    let as_of = raw["summary"]["as_of"].as_str().unwrap().to_string();
    let engine: Value = serde_json::from_str(&run_python(
        python,
        DUCKDB,
        &[
            &query,
            daily,
            &as_of,
            purchases,
            source.read_options,
            &source.columns.join(","),
        ],
    ))
    .unwrap();
    // The same flags read the daily table: it keeps the purchase columns' names. The
    // query already dropped duplicates when asked.
    let mut daily_flags: Vec<&str> = flags.iter().copied().filter(|f| *f != "--dedupe").collect();
    daily_flags.push("--daily");
    let from_daily = scan_json(daily, &daily_flags);

    let (raw_s, daily_s) = (&raw["summary"], &from_daily["summary"]);
    assert_eq!(daily_s["as_of"], raw_s["as_of"], "{flags:?}");
    for key in [
        "customers",
        "active",
        "at_risk",
        "defected",
        "flagged_by",
        "period_customers",
        "period_defectors",
        "defection_rate",
    ] {
        assert!(raw_s.get(key).is_some(), "summary {key}");
        assert_eq!(daily_s[key], raw_s[key], "summary {key}, {flags:?}");
    }
    for key in ["revenue", "revenue_lost", "revenue_at_risk"] {
        assert!(raw_s[key].is_f64(), "summary {key}: {}", raw_s[key]);
        assert!(
            same_to_the_cent(&daily_s[key], &raw_s[key]),
            "summary {key}: {} vs {}, {flags:?}",
            daily_s[key],
            raw_s[key]
        );
    }
    // With --daily, the rows count the lines each daily row sums.
    let (raw_rows, daily_rows) = (&raw_s["rows"], &daily_s["rows"]);
    for key in ["used", "refund_lines"] {
        assert_eq!(daily_rows[key], raw_rows[key], "rows.{key}, {flags:?}");
    }
    // The same table as Parquet reads the same.
    let parquet = format!("{daily}.parquet");
    let from_parquet = scan_json(&parquet, &daily_flags);
    let mut parquet_s = from_parquet["summary"].clone();
    parquet_s["source"] = daily_s["source"].clone();
    parquet_s["columns"] = daily_s["columns"].clone();
    assert_eq!(&parquet_s, daily_s, "Parquet and CSV, {flags:?}");
    assert_eq!(
        from_parquet["customers"], from_daily["customers"],
        "{flags:?}"
    );
    // The lines the daily rows sum are the lines churn used from the raw file.
    let lines = &engine["lines"];
    let rows = &raw_s["rows"];
    assert_eq!(lines[0], rows["used"], "identified lines, {flags:?}");
    assert_eq!(lines[2], rows["refund_lines"], "refund lines, {flags:?}");
    // Anonymous lines after the as-of date are left out by the query, and with
    // --dedupe their duplicates too (churn counts every anonymous line).
    if !flags.iter().any(|f| ["--dedupe", "--as-of"].contains(f)) {
        assert_eq!(lines[1], rows["anonymous"], "anonymous lines, {flags:?}");
    }
    assert!(lines[1].as_u64() <= rows["anonymous"].as_u64(), "{flags:?}");
    assert!(lines[1].as_u64() > Some(0), "{flags:?}");

    let by_id = |scan: &Value| -> HashMap<String, Value> {
        scan["customers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["customer_id"].as_str().unwrap().to_string(), c.clone()))
            .collect()
    };
    let (raw_c, daily_c) = (by_id(&raw), by_id(&from_daily));
    assert!(!raw_c.is_empty(), "{purchases} {flags:?}");
    let mut ids: Vec<&String> = raw_c.keys().collect();
    ids.sort();
    assert_eq!(
        daily_c.keys().collect::<std::collections::BTreeSet<_>>(),
        ids.iter().copied().collect(),
        "the same customers, {flags:?}"
    );
    for id in ids {
        let (r, d) = (&raw_c[id], &daily_c[id]);
        for (key, value) in r.as_object().unwrap() {
            match key.as_str() {
                "store" | "employee" | "category" => {
                    // Ties go to the first name in byte order, whatever the line order.
                    let top = engine["top"][key][id].as_array().unwrap();
                    assert_eq!(value, &d[key], "{id} {key}, {flags:?}");
                    assert_eq!(value, &top[0], "{id} {key}: {value}, tied: {top:?}");
                }
                // The value model's outputs: the same model fitted to sums taken in
                // another order agrees to far better than anyone reads.
                "p_alive" | "p_no_visit" => {
                    let (x, y) = (
                        value.as_f64().unwrap_or(0.0),
                        d[key].as_f64().unwrap_or(0.0),
                    );
                    assert!((x - y).abs() <= 1e-4, "{id} {key}: {x} vs {y}, {flags:?}");
                }
                "revenue" | "revenue_12m" => assert!(
                    same_to_the_cent(value, &d[key]),
                    "{id} {key}: {value} vs {}, {flags:?}",
                    d[key]
                ),
                _ => match (value.as_f64(), d[key].as_f64()) {
                    // Spend per visit and the like: sums in another order.
                    (Some(x), Some(y)) if !value.is_u64() => assert!(
                        (x - y).abs() <= 1e-9 * x.abs().max(1.0),
                        "{id} {key}: {x} vs {y}, {flags:?}"
                    ),
                    _ => assert_eq!(value, &d[key], "{id} {key}, {flags:?}"),
                },
            }
        }
    }
    raw["summary"].clone()
}

#[test]
fn the_duckdb_daily_table_scans_like_the_raw_lines() {
    let Some(python) = python() else { return };
    let summary = daily_scan_matches_raw_scan(&python, &examples(), &[]);
    assert_eq!(summary["customers"], 150);
}

/// A purchase and a larger refund on one day in one category (still a visit), a
/// refund-only day, a zero line, an exact duplicate, ids and stores with white space
/// around them, an empty store, a customer with only refunds, and anonymous lines, the
/// last of them after every identified line (so they set the default as-of date).
#[test]
fn the_duckdb_daily_table_keeps_the_edge_cases() {
    let Some(python) = python() else { return };
    let file = &Source {
        path: "testdata/sql/edge_cases.csv",
        read_options: "",
        columns: default_columns(),
    };
    // C4 comes after the as-of date.
    let summary = daily_scan_matches_raw_scan(&python, file, &["--as-of", "2026-06-30"]);
    assert_eq!(summary["customers"], 2);
    let summary = daily_scan_matches_raw_scan(&python, file, &["--dedupe"]);
    assert_eq!(summary["rows"]["duplicates_dropped"], 1);
    let summary = daily_scan_matches_raw_scan(&python, file, &[]);
    assert_eq!(summary["customers"], 3);
    assert_eq!(summary["as_of"], "2026-10-31");
    let rows = &summary["rows"];
    assert_eq!(
        (
            &rows["anonymous"],
            &rows["duplicates"],
            &rows["refund_lines"]
        ),
        (&3.into(), &1.into(), &4.into())
    );
}

#[test]
fn the_duckdb_daily_table_with_dedupe_and_as_of_scans_like_the_raw_lines() {
    let Some(python) = python() else { return };
    daily_scan_matches_raw_scan(&python, &examples(), &["--dedupe"]);
    daily_scan_matches_raw_scan(&python, &examples(), &["--as-of", "2026-06-30"]);
}

/// The Swedish till's export of the same data (Windows-1252, ';', decimal commas,
/// dd.mm.yyyy, Swedish headers), with the columns named by flags: the daily table keeps
/// those names, so the same flags scan it.
#[test]
fn the_duckdb_daily_table_of_a_european_export_scans_with_the_same_flags() {
    let Some(python) = python() else { return };
    let european = Source {
        path: "examples/purchases-european.csv",
        read_options: ", delim = ';', decimal_separator = ',', dateformat = '%d.%m.%Y', \
                       encoding = 'latin-1'",
        columns: [
            "Kortnummer",
            "Datum",
            "Belopp",
            "Butik",
            "Personal",
            "Kategori",
        ],
    };
    let summary = daily_scan_matches_raw_scan(&python, &european, &[]);
    assert_eq!(summary["customers"], 150);
}

/// Parses argv[1] in sqlglot's dialect argv[2]; prints "ok" or the error.
const SQLGLOT: &str = r#"
import sys
import sqlglot
from sqlglot.errors import ErrorLevel

try:
    sqlglot.parse_one(sys.argv[1], read=sys.argv[2], error_level=ErrorLevel.RAISE)
    print("ok")
except Exception as e:
    print(f"error: {e}")
"#;

#[test]
fn the_warehouse_queries_parse_in_their_dialects() {
    let Some(python) = python() else { return };
    for dialect in ["spark", "bigquery", "snowflake", "postgres"] {
        for flags in [&[][..], &["--dedupe", "--as-of", "2026-10-31"]] {
            let mut args = vec![
                "sql",
                "--dialect",
                dialect,
                "--table",
                "sales.lines",
                "--store-col",
                "Store Name",
            ];
            args.extend(flags);
            let query = success(&churn().args(&args).output().unwrap());
            let parsed = run_python(&python, SQLGLOT, &[&query, dialect]);
            assert_eq!(parsed.trim(), "ok", "{dialect} {flags:?}:\n{query}");
            // The parser does find errors: the same query cut short does not parse.
            let cut = &query[..query.rfind("GROUP BY").unwrap()];
            let parsed = run_python(&python, SQLGLOT, &[&format!("{cut})"), dialect]);
            assert!(parsed.starts_with("error"), "{dialect}: {parsed}");
        }
    }
}
