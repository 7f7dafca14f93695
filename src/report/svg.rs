//! Hand-written SVG charts for the HTML report: a viewBox so they scale, axes with
//! labels and units, numbers with fixed decimals so the output is deterministic.

use std::fmt::Write;

use super::{esc, fixed};

/// One point of a line chart: x label, value, optional interval.
pub struct Point {
    pub label: String,
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 280.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 28.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 56.0;

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

/// A line chart of shares (0.25 = 25%) with a shaded 95% interval band.
pub fn line_chart(title: &str, y_label: &str, x_label: &str, points: &[Point]) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        r##"<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{t}"><title>{t}</title>"##,
        w = WIDTH,
        h = HEIGHT,
        t = esc(title)
    );
    if points.is_empty() {
        let _ = write!(
            s,
            r##"<text x="{}" y="{}" text-anchor="middle">no data</text></svg>"##,
            WIDTH / 2.0,
            HEIGHT / 2.0
        );
        return s;
    }
    let top_value = points
        .iter()
        .map(|p| p.high.max(p.value))
        .fold(0.0f64, f64::max);
    let step = step_for(top_value);
    let y_max = (top_value / step).ceil().max(1.0) * step;
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let x = |i: usize| {
        if points.len() == 1 {
            LEFT + plot_w / 2.0
        } else {
            LEFT + plot_w * i as f64 / (points.len() - 1) as f64
        }
    };
    let y = |v: f64| TOP + plot_h * (1.0 - v.clamp(0.0, y_max) / y_max);
    // Grid and y axis.
    let ticks = (y_max / step).round() as usize;
    for t in 0..=ticks {
        let v = step * t as f64;
        let _ = write!(
            s,
            r##"<line class="grid" stroke="#d9e2ec" x1="{l}" x2="{r}" y1="{y}" y2="{y}"/><text class="tick" font-size="11" x="{tx}" y="{ty}" text-anchor="end">{label}%</text>"##,
            l = fixed(LEFT, 1),
            r = fixed(WIDTH - RIGHT, 1),
            y = fixed(y(v), 1),
            tx = fixed(LEFT - 6.0, 1),
            ty = fixed(y(v) + 4.0, 1),
            label = fixed(v * 100.0, if step * 100.0 < 1.0 { 1 } else { 0 })
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
    for (i, p) in points.iter().enumerate() {
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
    // X labels: at most eight, always the last.
    let every = points.len().div_ceil(8).max(1);
    for (i, p) in points.iter().enumerate() {
        if i % every != 0 && i + 1 != points.len() {
            continue;
        }
        if i + 1 != points.len() && points.len() - 1 - i < every {
            continue;
        }
        let _ = write!(
            s,
            r##"<text class="tick" font-size="11" x="{}" y="{}" text-anchor="middle">{}</text>"##,
            fixed(x(i), 1),
            fixed(HEIGHT - BOTTOM + 18.0, 1),
            esc(&p.label)
        );
    }
    // Axes and their titles.
    let _ = write!(
        s,
        r##"<line class="axis" stroke="#1f2933" x1="{l}" x2="{l}" y1="{t}" y2="{b}"/><line class="axis" stroke="#1f2933" x1="{l}" x2="{r}" y1="{b}" y2="{b}"/><text class="axis-title" font-size="12" x="{cx}" y="{xt}" text-anchor="middle">{xl}</text><text class="axis-title" font-size="12" transform="translate(14 {cy}) rotate(-90)" text-anchor="middle">{yl}</text></svg>"##,
        l = fixed(LEFT, 1),
        r = fixed(WIDTH - RIGHT, 1),
        t = fixed(TOP, 1),
        b = fixed(HEIGHT - BOTTOM, 1),
        cx = fixed(LEFT + plot_w / 2.0, 1),
        xt = fixed(HEIGHT - 12.0, 1),
        cy = fixed(TOP + plot_h / 2.0, 1),
        xl = esc(x_label),
        yl = esc(y_label)
    );
    s
}

/// A horizontal bar chart: (label, value) bars, the value shown with `format`.
pub fn bar_chart(
    title: &str,
    x_label: &str,
    bars: &[(String, f64)],
    format: impl Fn(f64) -> String,
) -> String {
    const LABEL_W: f64 = 200.0;
    const ROW: f64 = 28.0;
    const VALUE_W: f64 = 96.0;
    let height = TOP + ROW * bars.len().max(1) as f64 + 40.0;
    let mut s = String::new();
    let _ = write!(
        s,
        r##"<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{t}"><title>{t}</title>"##,
        w = WIDTH,
        h = fixed(height, 1),
        t = esc(title)
    );
    let max = bars.iter().map(|b| b.1).fold(0.0f64, f64::max);
    let plot_w = WIDTH - LABEL_W - VALUE_W - RIGHT;
    for (i, (label, value)) in bars.iter().enumerate() {
        let y0 = TOP + ROW * i as f64;
        let w = if max > 0.0 {
            plot_w * value.max(0.0) / max
        } else {
            0.0
        };
        let short: String = if label.chars().count() > 30 {
            label.chars().take(29).chain(std::iter::once('…')).collect()
        } else {
            label.clone()
        };
        let _ = write!(
            s,
            r##"<text class="tick" font-size="11" x="{lx}" y="{ty}" text-anchor="end">{label}</text><rect class="bar" fill="#2563eb" x="{bx}" y="{by}" width="{bw}" height="{bh}"><title>{full}: {v}</title></rect><text class="tick" font-size="11" x="{vx}" y="{ty}">{v}</text>"##,
            lx = fixed(LABEL_W - 8.0, 1),
            ty = fixed(y0 + ROW / 2.0 + 4.0, 1),
            label = esc(&short),
            full = esc(label),
            bx = fixed(LABEL_W, 1),
            by = fixed(y0 + 4.0, 1),
            bw = fixed(w, 1),
            bh = fixed(ROW - 8.0, 1),
            vx = fixed(LABEL_W + w + 6.0, 1),
            v = esc(&format(*value))
        );
    }
    let bottom = TOP + ROW * bars.len().max(1) as f64;
    let _ = write!(
        s,
        r##"<line class="axis" stroke="#1f2933" x1="{l}" x2="{l}" y1="{t}" y2="{b}"/><text class="axis-title" font-size="12" x="{cx}" y="{xt}" text-anchor="middle">{xl}</text></svg>"##,
        l = fixed(LABEL_W, 1),
        t = fixed(TOP, 1),
        b = fixed(bottom, 1),
        cx = fixed(LABEL_W + plot_w / 2.0, 1),
        xt = fixed(bottom + 28.0, 1),
        xl = esc(x_label)
    );
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

/// Rates by group as dots with their 95% interval as whiskers, on a shared % axis.
pub fn interval_chart(title: &str, x_label: &str, rows: &[Interval]) -> String {
    const LABEL_W: f64 = 160.0;
    const ROW: f64 = 26.0;
    let top = TOP + 8.0;
    let bottom = top + ROW * rows.len().max(1) as f64;
    let height = bottom + 52.0;
    let mut s = String::new();
    let _ = write!(
        s,
        r##"<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{t}"><title>{t}</title>"##,
        w = WIDTH,
        h = fixed(height, 1),
        t = esc(title)
    );
    let top_value = rows
        .iter()
        .map(|r| r.high.max(r.value))
        .fold(0.0f64, f64::max);
    let step = step_for(top_value);
    let x_max = (top_value / step).ceil().max(1.0) * step;
    let plot_w = WIDTH - LABEL_W - RIGHT;
    let x = |v: f64| LABEL_W + plot_w * v.clamp(0.0, x_max) / x_max;
    let ticks = (x_max / step).round() as usize;
    for t in 0..=ticks {
        let v = step * t as f64;
        let _ = write!(
            s,
            r##"<line class="grid" stroke="#d9e2ec" x1="{x}" x2="{x}" y1="{t}" y2="{b}"/><text class="tick" font-size="11" x="{x}" y="{ty}" text-anchor="middle">{label}%</text>"##,
            x = fixed(x(v), 1),
            t = fixed(top, 1),
            b = fixed(bottom, 1),
            ty = fixed(bottom + 16.0, 1),
            label = fixed(v * 100.0, if step * 100.0 < 1.0 { 1 } else { 0 })
        );
    }
    for (i, r) in rows.iter().enumerate() {
        let cy = top + ROW * i as f64 + ROW / 2.0;
        let (colour, fill) = if r.small {
            ("#7b8794", "#fff")
        } else {
            ("#2563eb", "#2563eb")
        };
        let short: String = if r.label.chars().count() > 24 {
            r.label
                .chars()
                .take(23)
                .chain(std::iter::once('…'))
                .collect()
        } else {
            r.label.clone()
        };
        let _ = write!(
            s,
            r##"<text class="tick" font-size="11" x="{lx}" y="{ty}" text-anchor="end">{label}</text><line stroke="{colour}" stroke-width="2" x1="{x1}" x2="{x2}" y1="{cy}" y2="{cy}"/><circle stroke="{colour}" stroke-width="2" fill="{fill}" cx="{cx}" cy="{cy}" r="4"><title>{full}: {v}% (95% interval {lo}%–{hi}%){note}</title></circle>"##,
            lx = fixed(LABEL_W - 8.0, 1),
            ty = fixed(cy + 4.0, 1),
            label = esc(&short),
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
        r##"<line class="axis" stroke="#1f2933" x1="{l}" x2="{r}" y1="{b}" y2="{b}"/><text class="axis-title" font-size="12" x="{cx}" y="{xt}" text-anchor="middle">{xl}</text></svg>"##,
        l = fixed(LABEL_W, 1),
        r = fixed(WIDTH - RIGHT, 1),
        b = fixed(bottom, 1),
        cx = fixed(LABEL_W + plot_w / 2.0, 1),
        xt = fixed(bottom + 40.0, 1),
        xl = esc(x_label)
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
        let svg = bar_chart("t", "x", &[("<b>&".into(), 1.0)], |v| fixed(v, 0));
        assert!(svg.contains("&lt;b&gt;&amp;"));
        assert!(!svg.contains("<b>"));
    }
}
