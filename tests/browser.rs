//! The HTML report as a reader sees it: rendered by headless Chromium (Debian's
//! `chromium`, installed by `.ci/run`). The page must load from a file with no network,
//! run no script, and show its charts. Required on CI; skipped with a note elsewhere
//! when Chromium is not installed.

use std::path::Path;
use std::process::Command;

const CHROMIUM: &str = "/usr/bin/chromium";

/// Chromium's flags for a closed, sandboxed machine (see the machine notes).
fn chromium() -> Option<Command> {
    if !Path::new(CHROMIUM).exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install chromium (.ci/run does)"
        );
        eprintln!("skipped: {CHROMIUM} is not installed (apt-get install chromium)");
        return None;
    }
    let mut c = Command::new(CHROMIUM);
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]);
    Some(c)
}

#[test]
fn the_html_report_renders_in_a_browser_with_its_charts() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("report.html");
    let out = assert_cmd::Command::cargo_bin("churn")
        .unwrap()
        .args([
            "report",
            "examples/purchases.csv",
            "--feedback",
            "examples/feedback.csv",
            "-o",
        ])
        .arg(&html)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let Some(mut browser) = chromium() else {
        return;
    };
    let profile = dir.path().join("profile");
    let dom = browser
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(["--dump-dom", "--virtual-time-budget=2000"])
        .arg(format!("file://{}", html.display()))
        .output()
        .unwrap();
    assert!(
        dom.status.success(),
        "{}",
        String::from_utf8_lossy(&dom.stderr)
    );
    let dom = String::from_utf8_lossy(&dom.stdout);
    // The browser parsed the page: its sections and charts are in the document.
    for heading in [
        "Headline figures",
        "Defection-rate trend",
        "Reasons for leaving",
        "Cohort retention",
        "Rules and assumptions",
    ] {
        assert!(
            dom.contains(heading),
            "{heading} missing from the rendered page"
        );
    }
    assert!(dom.matches("<svg").count() >= 4, "charts missing");
    assert!(
        dom.contains("<polyline") || dom.contains("<path"),
        "the trend line is missing"
    );
    // A screenshot is taken without errors (scripts/screenshot keeps one for review).
    let png = dir.path().join("report.png");
    let mut shot = chromium().unwrap();
    let shot = shot
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(["--window-size=1000,2000"])
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", html.display()))
        .output()
        .unwrap();
    assert!(shot.status.success());
    let bytes = std::fs::read(&png).unwrap();
    assert!(
        bytes.starts_with(b"\x89PNG") && bytes.len() > 20_000,
        "{} bytes",
        bytes.len()
    );
}
