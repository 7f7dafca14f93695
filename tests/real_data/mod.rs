//! The real data sets in `../shared/data` (see their READMEs) as churn purchases, read
//! through churn's own loader. CDNOW's whitespace log becomes `customer_id,date,amount`; the
//! grocery visits, which have no amounts, get an amount of 1 per visit, so revenue counts
//! visits.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};

use churn::load::{self, ReadOptions, Role};
use churn::normalize::{self, Day, Purchases, ValueOptions, date::to_day};

pub fn shared(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(path)
}

pub fn day(y: i32, m: u32, d: u32) -> Day {
    to_day(chrono::NaiveDate::from_ymd_opt(y, m, d).expect("a valid date"))
}

/// Reads a purchase CSV through churn's loader.
pub fn load(path: &Path) -> Purchases {
    let table = load::open_table(path, &ReadOptions::default(), &Role::PURCHASE).unwrap();
    normalize::normalize_purchases(table, &ValueOptions::default()).unwrap()
}

/// Writes `lines` (already CSV, header first) to a temporary file and loads it.
fn load_lines(name: &str, lines: impl Iterator<Item = String>) -> Purchases {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    for line in lines {
        writeln!(out, "{line}").unwrap();
    }
    drop(out);
    load(&path)
}

/// CDNOW (FHL05a), `master_id sample_id yyyymmdd cds dollars` per line, as churn's CSV:
/// `customer_id,date,amount` with ISO dates.
pub fn cdnow_csv() -> String {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/cdnow/CDNOW_sample.txt"
    ))
    .unwrap();
    let mut csv = String::from("customer_id,date,amount\n");
    for f in text
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
    {
        if let [id, _, d, _, amount] = f[..] {
            csv.push_str(&format!(
                "{id},{}-{}-{},{amount}\n",
                &d[..4],
                &d[4..6],
                &d[6..]
            ));
        }
    }
    csv
}

/// CDNOW as churn purchases.
pub fn cdnow() -> Purchases {
    load_lines("cdnow.csv", cdnow_csv().lines().map(str::to_string))
}

/// BTYDplus's grocery visits, one unit of "revenue" per visit. `None` when `../shared` is
/// not beside the crate.
pub fn grocery() -> Option<Purchases> {
    let text = std::fs::read_to_string(shared("grocery/groceryElog.csv")).ok()?;
    let rows = text.lines().skip(1).map(|l| format!("{l},1"));
    Some(load_lines(
        "grocery.csv",
        std::iter::once("customer_id,date,amount".to_string()).chain(rows),
    ))
}

/// CLVTools' apparel purchases. `None` when `../shared` is not beside the crate.
pub fn apparel() -> Option<Purchases> {
    let path = shared("apparel/apparelTrans.csv");
    path.exists().then(|| load(&path))
}
