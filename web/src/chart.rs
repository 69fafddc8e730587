//! Charts as SVG, drawn at the width they are shown (so text stays legible on a phone):
//! the forecast with its P10–P90 band and each step's category, and the last days
//! measured against what was forecast. Axes have ticks at round numbers and units; each
//! chart has a title and a description for screen readers, and the page gives the same
//! numbers as a table.

use aqcast_core::aqi::Palette;
use leptos::prelude::*;

use crate::colours;
use crate::summary::{History, Report};
use crate::words::{self, fixed};

/// Ticks at round numbers (1, 2 or 5 × 10ⁿ apart) covering `[lo, hi]`, about `n` of them.
pub fn nice_ticks(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    if hi <= lo || !lo.is_finite() || !hi.is_finite() || n == 0 {
        return vec![lo];
    }
    let raw = (hi - lo) / n as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).floor() as i64;
    let last = (hi / step).ceil() as i64;
    (first..=last).map(|i| i as f64 * step).collect()
}

/// Time ticks between `t0` and `t1` at local midnights (and, for hourly data over at most
/// four days, every six hours), at `offset` seconds from UTC: (time, is_midnight).
pub fn time_ticks(t0: i64, t1: i64, offset: i64, hourly: bool) -> Vec<(i64, bool)> {
    let every = if hourly && t1 - t0 <= 4 * 86_400 {
        6 * 3_600
    } else {
        86_400
    };
    let mut t = (t0 + offset).div_euclid(every) * every - offset;
    if t < t0 {
        t += every;
    }
    let mut out = Vec::new();
    while t <= t1 {
        out.push((t, (t + offset).rem_euclid(86_400) == 0));
        t += every;
    }
    out
}

/// The plot area and its scales.
struct Frame {
    w: f64,
    h: f64,
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
    t0: i64,
    t1: i64,
    y1: f64,
}

impl Frame {
    /// A `w`×`h` chart from `t0` to `t1` whose value axis reaches `top`, and its value
    /// ticks (the axis ends at the last, a round number).
    fn new(w: f64, h: f64, t0: i64, t1: i64, top: f64) -> (Frame, Vec<f64>) {
        let ticks = nice_ticks(0.0, top, 5);
        let frame = Frame {
            w,
            h,
            left: 44.0,
            right: 12.0,
            top: 26.0,
            bottom: 40.0,
            t0,
            t1,
            y1: ticks.last().copied().unwrap_or(top),
        };
        (frame, ticks)
    }

    fn x(&self, t: i64) -> f64 {
        let span = (self.t1 - self.t0).max(1) as f64;
        self.left + (t - self.t0) as f64 / span * (self.w - self.left - self.right)
    }
    fn y(&self, v: f64) -> f64 {
        let plot = self.h - self.top - self.bottom;
        self.top + plot * (1.0 - (v / self.y1).clamp(0.0, 1.05))
    }
}

/// An SVG path through points, broken where a value is missing.
fn line(f: &Frame, points: impl Iterator<Item = (i64, Option<f64>)>) -> String {
    let mut d = String::new();
    let mut pen_down = false;
    for (t, v) in points {
        match v {
            Some(v) if v.is_finite() => {
                d.push_str(&format!(
                    "{}{},{} ",
                    if pen_down { "L" } else { "M" },
                    fixed(f.x(t), 1),
                    fixed(f.y(v), 1)
                ));
                pen_down = true;
            }
            _ => pen_down = false,
        }
    }
    d
}

/// The closed path of a band (lower bounds forward, upper bounds back).
fn band(f: &Frame, points: &[(i64, f64, f64)]) -> String {
    let mut d = String::new();
    for (i, (t, lo, _)) in points.iter().enumerate() {
        d.push_str(&format!(
            "{}{},{} ",
            if i == 0 { "M" } else { "L" },
            fixed(f.x(*t), 1),
            fixed(f.y(*lo), 1)
        ));
    }
    for (t, _, hi) in points.iter().rev() {
        d.push_str(&format!("L{},{} ", fixed(f.x(*t), 1), fixed(f.y(*hi), 1)));
    }
    d.push('Z');
    d
}

/// Axes: horizontal grid lines with value labels, time ticks with labels, the unit.
fn axes(f: &Frame, ticks: &[f64], unit: &str, offset: i64, hourly: bool) -> impl IntoView {
    // As many decimals as the ticks' spacing needs (0, 10, 20; 0, 0.5, 1.0).
    let spacing = ticks.get(1).zip(ticks.first()).map_or(1.0, |(b, a)| b - a);
    let decimals = if spacing >= 1.0 { 0 } else { 1 };
    let grid = ticks
        .iter()
        .filter(|v| **v <= f.y1 + 1e-9)
        .map(|&v| {
            let y = f.y(v);
            view! {
                <line x1=f.left x2=f.w - f.right y1=y y2=y class="grid"/>
                <text x=f.left - 6.0 y=y + 4.0 text-anchor="end" class="tick">{format!("{v:.decimals$}")}</text>
            }
        })
        .collect_view();
    let ticks = time_ticks(f.t0, f.t1, offset, hourly);
    // Room per label: a date needs about 70 px, a weekday or an hour 36; with less,
    // every other label is left out.
    let room = (f.w - f.left - f.right) / ticks.len().max(1) as f64;
    let every = if room < 36.0 { 2 } else { 1 };
    let times = ticks
        .into_iter()
        .enumerate()
        .map(|(i, (t, midnight))| {
            let x = f.x(t);
            let label = if midnight || !hourly {
                if room < 70.0 {
                    words::day(t, offset)
                        .split(' ')
                        .next()
                        .unwrap_or("")
                        .to_string()
                } else {
                    words::day(t, offset)
                }
            } else {
                words::hour(t, offset)
            };
            let label = if i % every == 0 { label } else { String::new() };
            // Labels at the edges stay inside the chart.
            let anchor = if x > f.w - f.right - 30.0 {
                "end"
            } else if x < f.left + 30.0 {
                "start"
            } else {
                "middle"
            };
            let y = f.h - f.bottom;
            view! {
                <line x1=x x2=x y1=f.top y2=y class=if midnight { "grid day" } else { "grid" }/>
                <text x=x y=y + 30.0 text-anchor=anchor class="tick">{label}</text>
            }
        })
        .collect_view();
    view! {
        {grid}
        {times}
        <text x=4.0 y=f.top - 8.0 class="unit">{unit.to_string()}</text>
    }
}

/// The forecast chart: P10–P90 band, P50 line, a strip of each step's category colour.
pub fn forecast(r: &Report, palette: Palette, width: f64, offset: i64) -> impl IntoView {
    let fc = &r.forecast;
    let hourly = fc.step_seconds < 86_400;
    let (Some(first), Some(last)) = (fc.steps.first(), fc.steps.last()) else {
        return view! { <p>"This forecast has no steps."</p> }.into_any();
    };
    let top = fc.steps.iter().map(|s| s.p90).fold(0.0, f64::max).max(1.0);
    let height = if width < 520.0 { 240.0 } else { 280.0 };
    let (f, ticks) = Frame::new(width, height, first.time, last.time, top);
    let points: Vec<(i64, f64, f64)> = fc.steps.iter().map(|s| (s.time, s.p10, s.p90)).collect();
    let median = line(&f, fc.steps.iter().map(|s| (s.time, Some(s.p50))));
    let half = (f.x(first.time + fc.step_seconds) - f.x(first.time)) / 2.0;
    let strip_y = f.h - f.bottom + 4.0;
    let strip = fc
        .steps
        .iter()
        .map(|s| {
            // Each step's cell, cut at the plot's edges.
            let x0 = (f.x(s.time) - half).max(f.left);
            let x1 = (f.x(s.time) + half).min(f.w - f.right);
            view! {
                <rect x=x0 y=strip_y width=(x1 - x0).max(1.0) height=10.0
                    fill=colours::category(fc.scale, s.category, palette)/>
            }
        })
        .collect_view();
    let unit = fc.unit.symbol();
    let title = format!(
        "{} forecast for the next {} {}",
        fc.pollutant.label(),
        fc.steps.len(),
        if hourly { "hours" } else { "days" }
    );
    let desc = format!(
        "Central forecast from {} to {} {unit}, with an 80 % band from {} to {} {unit}. The table below lists every value.",
        words::value(fc.steps.iter().map(|s| s.p50).fold(f64::INFINITY, f64::min)),
        words::value(fc.steps.iter().map(|s| s.p50).fold(0.0, f64::max)),
        words::value(fc.steps.iter().map(|s| s.p10).fold(f64::INFINITY, f64::min)),
        words::value(top),
    );
    view! {
        <svg class="chart" width=f.w height=f.h viewBox=format!("0 0 {} {}", f.w, f.h)
            role="img" aria-labelledby="fc-title fc-desc">
            <title id="fc-title">{title}</title>
            <desc id="fc-desc">{desc}</desc>
            {axes(&f, &ticks, unit, offset, hourly)}
            <path d=band(&f, &points) class="band"/>
            <path d=median class="median"/>
            {strip}
        </svg>
    }
    .into_any()
}

/// The history chart: what was measured, and the P50 and band forecast the day before.
pub fn history(h: &History, unit: &str, step: i64, width: f64, offset: i64) -> impl IntoView {
    let (Some(first), Some(last)) = (h.points.first(), h.points.last()) else {
        return view! { <p>"Not enough past data to compare."</p> }.into_any();
    };
    let hourly = step < 86_400;
    let top = h
        .points
        .iter()
        .map(|p| p.band[2].max(p.measured.unwrap_or(0.0)))
        .fold(0.0, f64::max)
        .max(1.0);
    let (f, ticks) = Frame::new(width, 220.0, first.time, last.time, top);
    // A gap in the hindcasts (a day without data) breaks the band too.
    let mut bands: Vec<Vec<(i64, f64, f64)>> = vec![Vec::new()];
    let mut prev = first.time;
    for p in &h.points {
        if p.time - prev > step {
            bands.push(Vec::new());
        }
        if let Some(b) = bands.last_mut() {
            b.push((p.time, p.band[0], p.band[2]));
        }
        prev = p.time;
    }
    let band_paths = bands
        .iter()
        .filter(|b| !b.is_empty())
        .map(|b| view! { <path d=band(&f, b) class="band"/> })
        .collect_view();
    let forecast = line(&f, h.points.iter().map(|p| (p.time, Some(p.band[1]))));
    let measured = line(&f, h.points.iter().map(|p| (p.time, p.measured)));
    view! {
        <svg class="chart" width=f.w height=f.h viewBox=format!("0 0 {} {}", f.w, f.h)
            role="img" aria-labelledby="hist-title hist-desc">
            <title id="hist-title">"The last days: measured, and forecast the day before"</title>
            <desc id="hist-desc">"Solid line: measured. Dashed line and band: the forecast made a day earlier, with its 80 % band."</desc>
            {axes(&f, &ticks, unit, offset, hourly)}
            {band_paths}
            <path d=forecast class="median dashed"/>
            <path d=measured class="measured"/>
        </svg>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        assert_eq!(
            nice_ticks(0.0, 47.0, 5),
            vec![0.0, 10.0, 20.0, 30.0, 40.0, 50.0]
        );
        assert_eq!(nice_ticks(0.0, 1.3, 5), vec![0.0, 0.5, 1.0, 1.5]);
        assert_eq!(
            nice_ticks(0.0, 180.0, 5),
            vec![0.0, 50.0, 100.0, 150.0, 200.0]
        );
        assert_eq!(nice_ticks(5.0, 5.0, 5), vec![5.0]);
    }

    #[test]
    fn time_ticks_fall_on_local_midnights_and_six_hours() {
        let t0 = 1_072_915_200; // 2004-01-01 00:00 UTC
        let ticks = time_ticks(t0 + 3_600, t0 + 3 * 86_400, 0, true);
        assert_eq!(ticks.first(), Some(&(t0 + 6 * 3_600, false)));
        assert!(ticks.contains(&(t0 + 86_400, true)));
        assert!(ticks.iter().all(|(t, _)| (t - t0) % (6 * 3_600) == 0));
        // One hour east of UTC, midnight is 23:00 UTC.
        let east = time_ticks(t0, t0 + 2 * 86_400, 3_600, false);
        assert_eq!(
            east,
            vec![(t0 + 82_800, true), (t0 + 82_800 + 86_400, true)]
        );
    }
}
