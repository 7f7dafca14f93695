//! Hand-written SVG charts for the HTML report: a viewBox so they scale, axes with
//! labels and units, numbers with fixed decimals so the output is deterministic.
//!
//! SVG text scales with its chart, so one drawing cannot keep its labels readable on a
//! phone and its size sensible on a desktop: a 640-wide chart shown 358 px wide shrinks
//! 11px labels to 6 px. Each chart is therefore laid out at each of [`FRAMES`]' widths,
//! and the page shows the one drawn for its screen (see `html.rs`), so that the labels
//! are never drawn smaller than about [`FONT`] CSS px.

use std::fmt::Write;

use super::{esc, fixed};

/// The label size, in user units (CSS px when a chart is shown at its own width).
pub const FONT: f64 = 12.0;
/// A line of text with its leading.
const LINE: f64 = FONT * 1.35;
/// The mean advance of a character at [`FONT`]: digits and lower case in common sans
/// fonts are 0.55–0.64 em wide; used to keep labels apart and inside the chart.
const CHAR_W: f64 = FONT * 0.62;

/// A chart's drawing width, and the page class that shows it on screens where it fits.
#[derive(Clone, Copy, Debug)]
pub struct Frame {
    pub width: f64,
    pub class: &'static str,
}

/// The widths each chart is drawn at, narrowest first. A chart is shown at its own width
/// or wider, so its text is never smaller than [`FONT`] (up to the page's narrowest
/// frame, 328 px at 360 px: 0.96 × 12 = 11.6 px).
pub const FRAMES: [Frame; 3] = [
    Frame {
        width: 340.0,
        class: "s",
    },
    Frame {
        width: 560.0,
        class: "m",
    },
    Frame {
        width: 800.0,
        class: "l",
    },
];

/// The estimated width of a text at [`FONT`].
fn text_width(text: &str) -> f64 {
    text.chars().count() as f64 * CHAR_W
}

/// The text, cut with an ellipsis to fit `width`.
fn fit(text: &str, width: f64) -> String {
    let max = (width / CHAR_W).floor().max(2.0) as usize;
    if text.chars().count() <= max {
        text.to_string()
    } else {
        text.chars()
            .take(max - 1)
            .chain(std::iter::once('…'))
            .collect()
    }
}

/// The text broken at spaces into lines that fit `width`.
fn wrap(text: &str, width: f64) -> Vec<String> {
    let max = (width / CHAR_W).floor().max(8.0) as usize;
    let mut lines: Vec<String> = Vec::new();
    for word in text.split(' ') {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 1 + word.chars().count() <= max => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    lines
}

/// The opening tag of a chart `height` high.
fn open(frame: Frame, height: f64, title: &str) -> String {
    format!(
        r##"<svg class="chart {c}" viewBox="0 0 {w} {h}" role="img" aria-label="{t}"><title>{t}</title>"##,
        c = frame.class,
        w = fixed(frame.width, 0),
        h = fixed(height, 0),
        t = esc(title)
    )
}

/// An axis title as lines from `top` (the first baseline at `top + FONT`), starting at
/// `x`; returns the height used.
fn caption(s: &mut String, text: &str, x: f64, top: f64, width: f64) -> f64 {
    let lines = wrap(text, width);
    for (i, line) in lines.iter().enumerate() {
        let _ = write!(
            s,
            r##"<text class="axis-title" font-size="{f}" x="{x}" y="{y}">{t}</text>"##,
            f = FONT,
            x = fixed(x, 1),
            y = fixed(top + FONT + LINE * i as f64, 1),
            t = esc(line)
        );
    }
    LINE * lines.len() as f64
}

/// One point of a line chart: x label, value, optional interval.
pub struct Point {
    pub label: String,
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

/// A tick step giving at most six ticks up to `max`.
fn step_for(max: f64) -> f64 {
    let max = if max > 0.0 { max } else { 1.0 };
    let raw = max / 5.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|&s| s >= raw)
        .unwrap_or(10.0 * magnitude)
}

/// The ticks of a share axis up to `top_value`: (axis maximum, step, labels).
fn share_ticks(top_value: f64) -> (f64, f64, Vec<(f64, String)>) {
    let step = step_for(top_value);
    let max = (top_value / step).ceil().max(1.0) * step;
    let decimals = if step * 100.0 < 1.0 { 1 } else { 0 };
    let ticks = (0..=(max / step).round() as usize)
        .map(|t| {
            let v = step * t as f64;
            (v, format!("{}%", fixed(v * 100.0, decimals)))
        })
        .collect();
    (max, step, ticks)
}

/// A line chart of shares (0.25 = 25%) with a shaded 95% interval band; the y axis
/// title above the plot, the x axis title below it.
pub fn line_chart(
    frame: Frame,
    title: &str,
    y_label: &str,
    x_label: &str,
    points: &[Point],
) -> String {
    let width = frame.width;
    let plot_h = (width * 0.4).clamp(150.0, 260.0);
    let mut s = String::new();
    if points.is_empty() {
        s.push_str(&open(frame, plot_h, title));
        let _ = write!(
            s,
            r##"<text font-size="{FONT}" x="{}" y="{}" text-anchor="middle">no data</text></svg>"##,
            fixed(width / 2.0, 1),
            fixed(plot_h / 2.0, 1)
        );
        return s;
    }
    let top_value = points
        .iter()
        .map(|p| p.high.max(p.value))
        .fold(0.0f64, f64::max);
    let (y_max, _, ticks) = share_ticks(top_value);
    let tick_w = ticks.iter().map(|t| text_width(&t.1)).fold(0.0, f64::max);
    let label_w = points
        .iter()
        .map(|p| text_width(&p.label))
        .fold(0.0, f64::max);
    let left = (tick_w + 10.0).max(label_w / 2.0 + 2.0);
    let right = label_w / 2.0 + 2.0;
    let x_lines = wrap(x_label, width).len() as f64;
    let mut body = String::new();
    let top = caption(&mut body, y_label, 0.0, 0.0, width) + 8.0;
    let bottom = top + plot_h;
    let height = bottom + 8.0 + LINE + 4.0 + LINE * x_lines;
    s.push_str(&open(frame, height, title));
    s.push_str(&body);
    let plot_w = width - left - right;
    let x = |i: usize| {
        if points.len() == 1 {
            left + plot_w / 2.0
        } else {
            left + plot_w * i as f64 / (points.len() - 1) as f64
        }
    };
    let y = |v: f64| top + plot_h * (1.0 - v.clamp(0.0, y_max) / y_max);
    for (v, label) in &ticks {
        let _ = write!(
            s,
            r##"<line class="grid" stroke="#d9e2ec" x1="{l}" x2="{r}" y1="{y}" y2="{y}"/><text class="tick" font-size="{FONT}" x="{tx}" y="{ty}" text-anchor="end">{label}</text>"##,
            l = fixed(left, 1),
            r = fixed(width - right, 1),
            y = fixed(y(*v), 1),
            tx = fixed(left - 6.0, 1),
            ty = fixed(y(*v) + FONT / 3.0, 1),
        );
    }
    // The interval band.
    let mut band: Vec<String> = points
        .iter()
        .enumerate()
        .map(|(i, p)| format!("{},{}", fixed(x(i), 1), fixed(y(p.high), 1)))
        .collect();
    band.extend(
        points
            .iter()
            .enumerate()
            .rev()
            .map(|(i, p)| format!("{},{}", fixed(x(i), 1), fixed(y(p.low), 1))),
    );
    let _ = write!(
        s,
        r##"<polygon class="band" fill="#bfdbfe" points="{}"/>"##,
        band.join(" ")
    );
    let line: Vec<String> = points
        .iter()
        .enumerate()
        .map(|(i, p)| format!("{},{}", fixed(x(i), 1), fixed(y(p.value), 1)))
        .collect();
    let _ = write!(
        s,
        r##"<polyline class="line" fill="none" stroke="#2563eb" stroke-width="2" points="{}"/>"##,
        line.join(" ")
    );
    // The room between points: dots closer than 8 units merge into a thick line, which
    // the line alone draws better.
    let slot = if points.len() > 1 {
        plot_w / (points.len() - 1) as f64
    } else {
        plot_w
    };
    let dotted = if slot >= 8.0 { points.len() } else { 0 };
    for (i, p) in points.iter().enumerate().take(dotted) {
        let _ = write!(
            s,
            r##"<circle class="dot" fill="#2563eb" cx="{}" cy="{}" r="3"><title>{}: {}% (95% interval {}%–{}%)</title></circle>"##,
            fixed(x(i), 1),
            fixed(y(p.value), 1),
            esc(&p.label),
            fixed(p.value * 100.0, 1),
            fixed(p.low * 100.0, 1),
            fixed(p.high * 100.0, 1)
        );
    }
    // As many x labels as fit side by side, evenly spaced, always the last.
    let every = ((label_w + FONT) / slot).ceil().max(1.0) as usize;
    for (i, p) in points.iter().enumerate() {
        let last = i + 1 == points.len();
        if !last && (i % every != 0 || points.len() - 1 - i < every) {
            continue;
        }
        let _ = write!(
            s,
            r##"<text class="tick" font-size="{FONT}" x="{}" y="{}" text-anchor="middle">{}</text>"##,
            fixed(x(i), 1),
            fixed(bottom + 6.0 + FONT, 1),
            esc(&p.label)
        );
    }
    let _ = write!(
        s,
        r##"<line class="axis" stroke="#1f2933" x1="{l}" x2="{l}" y1="{t}" y2="{b}"/><line class="axis" stroke="#1f2933" x1="{l}" x2="{r}" y1="{b}" y2="{b}"/>"##,
        l = fixed(left, 1),
        r = fixed(width - right, 1),
        t = fixed(top, 1),
        b = fixed(bottom, 1),
    );
    caption(&mut s, x_label, 0.0, bottom + 8.0 + LINE, width);
    s.push_str("</svg>");
    s
}

/// A horizontal bar chart: (label, value) bars, each label above its bar (so long
/// labels fit a phone), the value shown with `format` at the bar's end.
pub fn bar_chart(
    frame: Frame,
    title: &str,
    x_label: &str,
    bars: &[(String, f64)],
    format: impl Fn(f64) -> String,
) -> String {
    const BAR: f64 = 14.0;
    const ROW: f64 = FONT + 4.0 + BAR + 10.0;
    let width = frame.width;
    let mut body = String::new();
    let top = caption(&mut body, x_label, 0.0, 0.0, width) + 8.0;
    let height = top + ROW * bars.len().max(1) as f64;
    let mut s = open(frame, height, title);
    s.push_str(&body);
    let values: Vec<String> = bars.iter().map(|b| format(b.1)).collect();
    let value_w = values.iter().map(|v| text_width(v)).fold(0.0, f64::max);
    let plot_w = width - value_w - 8.0;
    let max = bars.iter().map(|b| b.1).fold(0.0f64, f64::max);
    for (i, ((label, value), shown)) in bars.iter().zip(&values).enumerate() {
        let y0 = top + ROW * i as f64;
        let w = if max > 0.0 {
            plot_w * value.max(0.0) / max
        } else {
            0.0
        };
        let bar_y = y0 + FONT + 4.0;
        let _ = write!(
            s,
            r##"<text class="tick" font-size="{FONT}" x="0" y="{ly}">{label}</text><rect class="bar" fill="#2563eb" x="0" y="{by}" width="{bw}" height="{BAR}"><title>{full}: {v}</title></rect><text class="tick" font-size="{FONT}" x="{vx}" y="{vy}">{v}</text>"##,
            ly = fixed(y0 + FONT, 1),
            label = esc(&fit(label, width)),
            full = esc(label),
            by = fixed(bar_y, 1),
            bw = fixed(w, 1),
            vx = fixed(w + 6.0, 1),
            vy = fixed(bar_y + BAR / 2.0 + FONT / 3.0, 1),
            v = esc(shown)
        );
    }
    s.push_str("</svg>");
    s
}

/// One group of an interval chart.
pub struct Interval {
    pub label: String,
    pub value: f64,
    pub low: f64,
    pub high: f64,
    /// Too few to judge: drawn hollow and grey.
    pub small: bool,
}

/// Rates by group as dots with their 95% interval as whiskers, on a shared % axis; the
/// axis title above.
pub fn interval_chart(frame: Frame, title: &str, x_label: &str, rows: &[Interval]) -> String {
    const ROW: f64 = 26.0;
    let width = frame.width;
    let mut body = String::new();
    let top = caption(&mut body, x_label, 0.0, 0.0, width) + 8.0;
    let bottom = top + ROW * rows.len().max(1) as f64;
    let height = bottom + 6.0 + FONT + 4.0;
    let mut s = open(frame, height, title);
    s.push_str(&body);
    let top_value = rows
        .iter()
        .map(|r| r.high.max(r.value))
        .fold(0.0f64, f64::max);
    let (x_max, _, ticks) = share_ticks(top_value);
    let longest = rows
        .iter()
        .map(|r| text_width(&r.label))
        .fold(0.0, f64::max);
    let label_w = (longest + 10.0).min(width * 0.32);
    let right = ticks.last().map_or(0.0, |t| text_width(&t.1) / 2.0) + 2.0;
    let plot_w = width - label_w - right;
    let x = |v: f64| label_w + plot_w * v.clamp(0.0, x_max) / x_max;
    for (v, label) in &ticks {
        let _ = write!(
            s,
            r##"<line class="grid" stroke="#d9e2ec" x1="{x}" x2="{x}" y1="{t}" y2="{b}"/><text class="tick" font-size="{FONT}" x="{x}" y="{ty}" text-anchor="middle">{label}</text>"##,
            x = fixed(x(*v), 1),
            t = fixed(top, 1),
            b = fixed(bottom, 1),
            ty = fixed(bottom + 6.0 + FONT, 1),
        );
    }
    for (i, r) in rows.iter().enumerate() {
        let cy = top + ROW * i as f64 + ROW / 2.0;
        let (colour, fill) = if r.small {
            ("#7b8794", "#fff")
        } else {
            ("#2563eb", "#2563eb")
        };
        let _ = write!(
            s,
            r##"<text class="tick" font-size="{FONT}" x="{lx}" y="{ty}" text-anchor="end">{label}</text><line stroke="{colour}" stroke-width="2" x1="{x1}" x2="{x2}" y1="{cy}" y2="{cy}"/><circle stroke="{colour}" stroke-width="2" fill="{fill}" cx="{cx}" cy="{cy}" r="4"><title>{full}: {v}% (95% interval {lo}%–{hi}%){note}</title></circle>"##,
            lx = fixed(label_w - 8.0, 1),
            ty = fixed(cy + FONT / 3.0, 1),
            label = esc(&fit(&r.label, label_w - 10.0)),
            full = esc(&r.label),
            x1 = fixed(x(r.low), 1),
            x2 = fixed(x(r.high), 1),
            cx = fixed(x(r.value), 1),
            cy = fixed(cy, 1),
            v = fixed(r.value * 100.0, 1),
            lo = fixed(r.low * 100.0, 1),
            hi = fixed(r.high * 100.0, 1),
            note = if r.small { ", too few to judge" } else { "" }
        );
    }
    let _ = write!(
        s,
        r##"<line class="axis" stroke="#1f2933" x1="{l}" x2="{r}" y1="{b}" y2="{b}"/></svg>"##,
        l = fixed(label_w, 1),
        r = fixed(width - right, 1),
        b = fixed(bottom, 1),
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_steps_are_round() {
        for (max, step) in [(0.31, 0.1), (0.04, 0.01), (1.0, 0.2)] {
            assert!((step_for(max) - step).abs() < 1e-12, "{max}");
        }
    }

    #[test]
    fn labels_are_escaped() {
        let svg = bar_chart(FRAMES[0], "t", "x", &[("<b>&".into(), 1.0)], |v| {
            fixed(v, 0)
        });
        assert!(svg.contains("&lt;b&gt;&amp;"));
        assert!(!svg.contains("<b>"));
    }

    #[test]
    fn long_titles_wrap_and_long_labels_are_cut_to_the_width() {
        let lines = wrap(
            "defection rate, % a year; line: 95% interval; hollow: too few",
            340.0,
        );
        assert!(lines.len() >= 2, "{lines:?}");
        assert!(lines.iter().all(|l| text_width(l) <= 340.0), "{lines:?}");
        let cut = fit("a very long reason for leaving the shop for good", 100.0);
        assert!(cut.ends_with('…') && text_width(&cut) <= 100.0, "{cut}");
        assert_eq!(fit("short", 100.0), "short");
    }

    #[test]
    fn x_labels_thin_out_on_a_narrow_chart() {
        let points: Vec<Point> = (1..=12)
            .map(|m| Point {
                label: format!("2026-{m:02}"),
                value: 0.2,
                low: 0.1,
                high: 0.3,
            })
            .collect();
        let labels = |f: Frame| {
            line_chart(f, "t", "y", "x", &points)
                .matches("middle\">2026-")
                .count()
        };
        let (narrow, wide) = (labels(FRAMES[0]), labels(FRAMES[2]));
        assert!(narrow < wide && narrow >= 2, "{narrow} {wide}");
        // The last month is always labelled.
        assert!(line_chart(FRAMES[0], "t", "y", "x", &points).contains(">2026-12</text>"));
    }
}
