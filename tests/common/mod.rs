//! Helpers for the integration tests: run the `churn` binary from the repository root,
//! so paths in messages read `testdata/…` and `examples/…` as a user would type them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Mutex, OnceLock};

/// The repository root, where `examples/` and `testdata/` are.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A file of the repository, by its path from the root.
pub fn repo_file(path: &str) -> PathBuf {
    root().join(path)
}

/// `churn` with the repository root as its working directory.
pub fn churn() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("churn").expect("the churn binary is built");
    // Tables fit 100 columns when piped, unless COLUMNS says otherwise: fix it, so the
    // tests do not depend on the shell they run in.
    cmd.current_dir(root()).env("COLUMNS", "100");
    cmd
}

/// The summary lines of a table output, label → text, with wrapped text joined.
pub fn summary_lines(out: &str) -> Vec<(String, String)> {
    let mut lines: Vec<(String, String)> = Vec::new();
    for line in out.lines().skip(1) {
        if line.is_empty() {
            break;
        }
        // " label   text": the label column is blank on a continuation line.
        let text_at = line.len() - line.trim_start().len();
        let body = &line[text_at..];
        match lines.last_mut() {
            Some((_, text)) if text_at > 5 => {
                text.push(' ');
                text.push_str(body);
            }
            _ => {
                let (label, text) = body.split_once("  ").unwrap_or((body, ""));
                lines.push((label.to_string(), text.trim().to_string()));
            }
        }
    }
    lines
}

/// Runs `churn ARGS…` from the repository root.
pub fn run(args: &[&str]) -> Output {
    churn().args(args).output().expect("churn runs")
}

/// `churn scan examples/purchases.csv ARGS…`, run once per distinct `args` however many
/// tests ask: the shipped example has 15,000 lines, and several tests read the same
/// output.
pub fn scan_examples(args: &[&str]) -> Output {
    static RUNS: OnceLock<Mutex<HashMap<Vec<String>, Output>>> = OnceLock::new();
    let key: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let runs = RUNS.get_or_init(Default::default);
    if let Some(out) = runs.lock().unwrap().get(&key) {
        return out.clone();
    }
    let mut full = vec!["scan", "examples/purchases.csv"];
    full.extend_from_slice(args);
    let out = run(&full);
    runs.lock().unwrap().insert(key, out.clone());
    out
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).expect("stderr is UTF-8")
}

/// Asserts a successful run that printed nothing on stderr, and returns its stdout.
pub fn success(out: &Output) -> String {
    assert!(
        out.status.success(),
        "churn failed with {}: {}",
        out.status,
        stderr(out)
    );
    assert_eq!(stderr(out), "", "stderr of a successful run");
    stdout(out)
}

/// Asserts the shape of every data error: exit code 1, nothing on stdout, and exactly one
/// line on stderr starting with `churn: `. Returns that line, without its newline.
pub fn error_line(out: &Output) -> String {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(1), "exit code; stderr: {err}");
    assert_eq!(stdout(out), "", "stdout of a failed run");
    assert!(err.starts_with("churn: "), "stderr: {err}");
    assert!(
        err.ends_with('\n') && err.lines().count() == 1,
        "one line on stderr: {err:?}"
    );
    err.trim_end().to_string()
}

/// The JSON document a `--format json` run printed.
pub fn json(out: &Output) -> serde_json::Value {
    serde_json::from_str(&success(out)).expect("the output is JSON")
}

/// A CSV output: its rows as maps from column name to value.
pub struct Csv {
    pub rows: Vec<HashMap<String, String>>,
}

impl Csv {
    pub fn parse(text: &str) -> Csv {
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header: Vec<String> = reader
            .headers()
            .expect("a header row")
            .iter()
            .map(str::to_string)
            .collect();
        let rows = reader
            .records()
            .map(|r| {
                let r = r.expect("a well-formed CSV row");
                header
                    .iter()
                    .cloned()
                    .zip(r.iter().map(str::to_string))
                    .collect()
            })
            .collect();
        Csv { rows }
    }

    /// The row of one customer.
    pub fn customer(&self, id: &str) -> &HashMap<String, String> {
        self.rows
            .iter()
            .find(|r| r["customer_id"] == id)
            .unwrap_or_else(|| panic!("no row for customer {id}"))
    }
}
