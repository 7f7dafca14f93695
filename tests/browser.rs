//! The HTML report as a reader sees it: rendered by headless Chromium (Debian's
//! `chromium`, installed by `.ci/run`). The page must load from a file with no network,
//! run no script, show its charts, and fit a phone and a desktop. Required on CI; skipped
//! with a note elsewhere when Chromium is not installed.

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
        // Phones draw scrollbars over the page: the layout is the full width.
        "--hide-scrollbars",
    ]);
    Some(c)
}

/// Writes the report of `purchases` with the example feedback to `html`.
fn report(purchases: &Path, html: &Path, args: &[&str]) {
    let out = assert_cmd::Command::cargo_bin("churn")
        .unwrap()
        .arg("report")
        .arg(purchases)
        .args(["--feedback", "examples/feedback.csv"])
        .args(args)
        .arg("-o")
        .arg(html)
        .output()
        .unwrap();
    succeeded(&out);
}

/// The standard output of a run that must have succeeded.
fn succeeded(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_html_report_renders_in_a_browser_with_its_charts() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("report.html");
    report(Path::new("examples/purchases.csv"), &html, &[]);
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
    let dom = succeeded(&dom);
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

/// Runs in a test page holding the report in iframes of several widths (headless Chromium
/// makes no window narrower than 500 px, but a frame can be), and writes into `#result`,
/// for each frame: its viewport and scroll widths; the chart text shown, with the
/// smallest size it is drawn at (CSS font size times the chart's scale); how many charts
/// are shown; elements reaching past the right edge outside a scrolling box; dates,
/// intervals, signed numbers and amounts in kr broken across lines; and scrolling boxes whose first
/// column leaves the view when scrolled to the end. The report itself has no script.
const MEASURE: &str = r#"
function measure(frame) {
  const d = frame.contentDocument, w = frame.contentWindow, root = d.documentElement;
  const shown = e => e.getClientRects().length > 0;
  let minText = 1e9, smallest = '', texts = 0;
  for (const t of d.querySelectorAll('svg text')) {
    const m = t.getScreenCTM();
    if (!shown(t) || !m) continue;
    const px = parseFloat(w.getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b);
    texts++;
    if (px < minText) { minText = px; smallest = t.textContent; }
  }
  const charts = [...d.querySelectorAll('svg')].filter(shown).length;
  const outside = [];
  for (const e of d.body.querySelectorAll('*')) {
    if (e.getBoundingClientRect().right > root.clientWidth + 0.5 && !e.closest('.scroll')) {
      outside.push(e.tagName + ' ' + (e.textContent || '').slice(0, 40));
    }
  }
  const broken = [];
  const token = /\d{4}-\d{2}(-\d{2})?|[-+]?\d[\d,.]*%?\u2013[-+]?\d[\d,.]*%?|[-+]?\d[\d,.]*\d kr|[-+]\d[\d,.]*\d/g;
  const walk = d.createTreeWalker(d.body, NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    if (n.parentElement.closest('svg') || !shown(n.parentElement)) continue;
    for (const m of n.data.matchAll(token)) {
      const r = d.createRange();
      r.setStart(n, m.index);
      r.setEnd(n, m.index + m[0].length);
      if (new Set([...r.getClientRects()].map(x => Math.round(x.top))).size > 1) broken.push(m[0]);
    }
  }
  let scrolling = 0;
  const unpinned = [];
  for (const box of d.querySelectorAll('.scroll')) {
    if (box.scrollWidth <= box.clientWidth) continue;
    scrolling++;
    box.scrollLeft = box.scrollWidth;
    const cell = box.querySelector('tbody tr > :first-child');
    if (cell && Math.abs(cell.getBoundingClientRect().left - box.getBoundingClientRect().left) > 1) {
      unpinned.push(cell.textContent);
    }
    box.scrollLeft = 0;
  }
  return {width: +frame.width, viewport: root.clientWidth, scroll: root.scrollWidth,
          texts, minText, smallest, charts, outside, broken, scrolling, unpinned};
}
onload = () => {
  const out = JSON.stringify([...document.querySelectorAll('iframe')].map(measure));
  // JSON with no markup characters, so the dumped DOM holds it as it is.
  document.getElementById('result').textContent =
    out.replace(/[&<>]/g, c => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
};
"#;

/// Escapes text for an HTML attribute.
fn attribute(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The report at each width, measured in the browser (see [`MEASURE`]).
fn measure(report: &Path, widths: &[u32]) -> Option<Vec<serde_json::Value>> {
    let mut browser = chromium()?;
    let dir = report.parent().unwrap();
    let html = std::fs::read_to_string(report).unwrap();
    let frames: String = widths
        .iter()
        .map(|w| {
            format!(
                "<iframe width=\"{w}\" height=\"900\" style=\"border:0;display:block\" \
                 srcdoc=\"{}\"></iframe>",
                attribute(&html)
            )
        })
        .collect();
    let page = dir.join("measure.html");
    std::fs::write(
        &page,
        format!(
            "<!DOCTYPE html><html><body style=\"margin:0\"><pre id=\"result\"></pre>{frames}\
             <script>{MEASURE}</script></body></html>"
        ),
    )
    .unwrap();
    let out = browser
        .arg(format!(
            "--user-data-dir={}",
            dir.join("measure-profile").display()
        ))
        .args([
            "--window-size=1500,1000",
            "--dump-dom",
            "--virtual-time-budget=10000",
        ])
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    let dom = succeeded(&out);
    let json = dom
        .split_once("<pre id=\"result\">")
        .and_then(|(_, rest)| rest.split_once("</pre>"))
        .map(|(json, _)| json)
        .unwrap_or_else(|| panic!("no measurements in the page:\n{dom}"));
    Some(serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}")))
}

#[test]
fn the_html_report_fits_a_phone_and_a_desktop() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("report.html");
    // A file name with no place to break it, as exports are often named: the title must
    // still fit a phone.
    let purchases = dir
        .path()
        .join("purchases_exported_from_the_till_at_the_main_store_2026_10.csv");
    std::fs::copy("examples/purchases.csv", &purchases).unwrap();
    // Money with a currency after it is wider, and must not lose it to the next line.
    report(&purchases, &html, &["--currency", "kr"]);
    let Some(frames) = measure(&html, &[360, 390, 1280, 1440]) else {
        return;
    };
    for f in &frames {
        let width = f["width"].as_u64().unwrap();
        // No sideways scrolling of the page: only tables scroll, in their own box.
        assert_eq!(f["viewport"].as_u64(), Some(width), "{f}");
        assert_eq!(
            f["scroll"].as_u64(),
            Some(width),
            "page scrolls sideways: {f}"
        );
        assert_eq!(f["outside"].as_array().map(Vec::len), Some(0), "{f}");
        // Every chart is shown once (trend, store, employee, reasons), its text readable.
        assert_eq!(f["charts"].as_u64(), Some(4), "{f}");
        assert!(
            f["texts"].as_u64().unwrap() >= 40,
            "chart text missing: {f}"
        );
        let min = f["minText"].as_f64().unwrap();
        assert!(
            min >= 11.0,
            "at {width} px chart text is drawn at {min:.1} px: {f}"
        );
        // No date or number is split across two lines.
        assert_eq!(f["broken"].as_array().map(Vec::len), Some(0), "{f}");
        // A table scrolled sideways keeps its first column in view.
        assert_eq!(f["unpinned"].as_array().map(Vec::len), Some(0), "{f}");
        eprintln!(
            "{width} px: scroll width {}, smallest chart text {min:.2} px ({:?}), {} tables scroll",
            f["scroll"], f["smallest"], f["scrolling"]
        );
    }
    // On a phone the wide tables do scroll, so the pinned-column check above is real; on
    // a desktop every table fits, the reasons' examples and the cohorts' months included.
    assert!(
        frames[1]["scrolling"].as_u64().unwrap() > 0,
        "{}",
        frames[1]
    );
    for f in &frames[2..] {
        assert_eq!(f["scrolling"].as_u64(), Some(0), "a table scrolls: {f}");
    }
}
