//! The training report as one self-contained HTML file with inline SVG plots: metrics per
//! head, predicted against actual, residuals over time, feature importance, learning
//! curves. No script, no external resource: it opens anywhere, offline.

use std::fmt::Write as _;

/// What one head's plots show.
pub struct HeadPlots<'a> {
    /// Title (`h1`, `h24 q0.9`).
    pub title: String,
    /// Test timestamps (Unix seconds).
    pub times: &'a [i64],
    /// Test targets.
    pub actual: &'a [f64],
    /// Test predictions.
    pub predicted: &'a [f64],
    /// Feature importance by gain, (name, value).
    pub importance: Vec<(String, f64)>,
    /// Training loss per tree.
    pub train_curve: &'a [f64],
    /// Validation loss per tree (may be empty).
    pub valid_curve: &'a [f64],
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const W: f64 = 560.0;
const H: f64 = 300.0;
const PAD: f64 = 60.0;

fn range(v: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = v
        .filter(|x| x.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
            (a.min(x), b.max(x))
        });
    if !lo.is_finite() {
        (0.0, 1.0)
    } else if hi - lo < 1e-12 {
        (lo - 0.5, hi + 0.5)
    } else {
        (lo, hi)
    }
}

struct Frame {
    x: (f64, f64),
    y: (f64, f64),
}

impl Frame {
    fn px(&self, x: f64) -> f64 {
        PAD + (x - self.x.0) / (self.x.1 - self.x.0) * (W - PAD - 10.0)
    }
    fn py(&self, y: f64) -> f64 {
        H - PAD + 10.0 - (y - self.y.0) / (self.y.1 - self.y.0) * (H - PAD - 10.0) - 10.0
    }
    fn axes(&self, svg: &mut String, xlabel: &str, ylabel: &str, xfmt: &dyn Fn(f64) -> String) {
        let _ = write!(
            svg,
            r##"<line x1="{PAD}" y1="{b}" x2="{r}" y2="{b}" stroke="#444"/><line x1="{PAD}" y1="10" x2="{PAD}" y2="{b}" stroke="#444"/>"##,
            b = H - PAD,
            r = W - 10.0
        );
        for i in 0..=4 {
            let f = i as f64 / 4.0;
            let (xv, yv) = (
                self.x.0 + f * (self.x.1 - self.x.0),
                self.y.0 + f * (self.y.1 - self.y.0),
            );
            let _ = write!(
                svg,
                r##"<text x="{:.1}" y="{:.1}" font-size="10" text-anchor="middle">{}</text><text x="{:.1}" y="{:.1}" font-size="10" text-anchor="end">{}</text>"##,
                self.px(xv),
                H - PAD + 14.0,
                esc(&xfmt(xv)),
                PAD - 4.0,
                self.py(yv) + 3.0,
                esc(&short(yv))
            );
        }
        let _ = write!(
            svg,
            r##"<text x="{}" y="{}" font-size="11" text-anchor="middle">{}</text><text x="11" y="{}" font-size="11" transform="rotate(-90 11 {})" text-anchor="middle">{}</text>"##,
            W / 2.0,
            H - 6.0,
            esc(xlabel),
            H / 2.0,
            H / 2.0,
            esc(ylabel)
        );
    }
}

fn short(v: f64) -> String {
    if v.abs() >= 1000.0 || (v != 0.0 && v.abs() < 0.01) {
        format!("{v:.2e}")
    } else {
        format!("{v:.2}")
    }
}

fn open(title: &str) -> String {
    open_sized(title, H)
}

/// A figure whose SVG scales down to a narrow screen (its viewBox keeps the drawing).
fn open_sized(title: &str, h: f64) -> String {
    format!(
        r##"<figure><svg viewBox="0 0 {W} {h}" width="{W}" height="{h}" style="max-width:100%;height:auto" role="img" aria-label="{t}"><title>{t}</title>"##,
        t = esc(title)
    )
}

fn close(svg: &mut String, caption: &str) {
    let _ = write!(
        svg,
        "</svg><figcaption>{}</figcaption></figure>",
        esc(caption)
    );
}

/// Every `step`-th index, so a plot holds at most about `max` points.
fn thin(n: usize, max: usize) -> impl Iterator<Item = usize> {
    (0..n).step_by(n.div_ceil(max).max(1))
}

fn scatter(p: &HeadPlots) -> String {
    let (lo, hi) = range(p.actual.iter().chain(p.predicted).copied());
    let f = Frame {
        x: (lo, hi),
        y: (lo, hi),
    };
    let mut s = open("predicted against actual");
    f.axes(&mut s, "actual", "predicted", &|v| short(v));
    let _ = write!(
        s,
        r##"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#999" stroke-dasharray="4 3"/>"##,
        f.px(lo),
        f.py(lo),
        f.px(hi),
        f.py(hi)
    );
    for i in thin(p.actual.len(), 3000) {
        let _ = write!(
            s,
            r##"<circle cx="{:.1}" cy="{:.1}" r="1.3" fill="#1f6fb2" fill-opacity="0.35"/>"##,
            f.px(p.actual[i]),
            f.py(p.predicted[i])
        );
    }
    close(
        &mut s,
        "Each dot is a test hour; the dashed line is a perfect forecast.",
    );
    s
}

fn residuals(p: &HeadPlots) -> String {
    let t0 = p.times.first().copied().unwrap_or(0) as f64;
    let t1 = p.times.last().copied().unwrap_or(1) as f64;
    let r: Vec<f64> = p
        .predicted
        .iter()
        .zip(p.actual)
        .map(|(a, b)| a - b)
        .collect();
    let (lo, hi) = range(r.iter().copied());
    let f = Frame {
        x: (t0, t1.max(t0 + 1.0)),
        y: (lo.min(0.0), hi.max(0.0)),
    };
    let mut s = open("residuals over time");
    f.axes(&mut s, "time", "predicted − actual", &|v| {
        aqcast_core::time::format_datetime(v as i64)[..10].to_string()
    });
    let _ = write!(
        s,
        r##"<line x1="{PAD}" y1="{y:.1}" x2="{r}" y2="{y:.1}" stroke="#999"/>"##,
        y = f.py(0.0),
        r = W - 10.0
    );
    let mut path = String::new();
    for (k, i) in thin(r.len(), 2000).enumerate() {
        let _ = write!(
            path,
            "{}{:.1},{:.1}",
            if k == 0 { "M" } else { "L" },
            f.px(p.times[i] as f64),
            f.py(r[i])
        );
    }
    let _ = write!(
        s,
        r##"<path d="{path}" fill="none" stroke="#b2401f" stroke-width="0.7"/>"##
    );
    close(
        &mut s,
        "Residual of each test hour (thinned to at most 2,000 points).",
    );
    s
}

fn curves(p: &HeadPlots) -> String {
    let n = p.train_curve.len().max(p.valid_curve.len()).max(1);
    let (lo, hi) = range(p.train_curve.iter().chain(p.valid_curve).copied());
    let f = Frame {
        x: (1.0, n.max(2) as f64),
        y: (lo.min(0.0), hi),
    };
    let mut s = open("learning curve");
    f.axes(&mut s, "trees", "loss", &|v| format!("{v:.0}"));
    for (curve, colour) in [(p.train_curve, "#1f6fb2"), (p.valid_curve, "#b2401f")] {
        let mut path = String::new();
        for (i, v) in curve.iter().enumerate() {
            let _ = write!(
                path,
                "{}{:.1},{:.1}",
                if i == 0 { "M" } else { "L" },
                f.px((i + 1) as f64),
                f.py(*v)
            );
        }
        let _ = write!(
            s,
            r##"<path d="{path}" fill="none" stroke="{colour}" stroke-width="1.5"/>"##
        );
    }
    close(
        &mut s,
        "Training loss (blue) and, with early stopping, validation loss (red) after each tree.",
    );
    s
}

fn importance(p: &HeadPlots) -> String {
    let mut imp = p.importance.clone();
    imp.sort_by(|a, b| b.1.total_cmp(&a.1));
    imp.truncate(15);
    let max = imp.first().map_or(1.0, |v| v.1).max(1e-300);
    let h = 22.0 * imp.len() as f64 + 20.0;
    let mut s = open_sized("feature importance (gain)", h);
    for (i, (name, v)) in imp.iter().enumerate() {
        let y = 10.0 + 22.0 * i as f64;
        let w = (v / max) * (W - 200.0);
        let _ = write!(
            s,
            r##"<text x="150" y="{:.1}" font-size="11" text-anchor="end">{}</text><rect x="156" y="{y:.1}" width="{w:.1}" height="16" fill="#2e8b57"/><text x="{:.1}" y="{:.1}" font-size="10">{}</text>"##,
            y + 12.0,
            esc(name),
            160.0 + w,
            y + 12.0,
            esc(&short(*v))
        );
    }
    close(&mut s, "Total split gain per feature (the 15 largest).");
    s
}

/// The whole report page.
pub fn html(
    title: &str,
    summary: &[(String, Vec<(String, String)>)],
    heads: &[HeadPlots],
) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        r##"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{t}</title><style>
body{{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1180px;color:#222;padding:0 1rem}}
table{{border-collapse:collapse;margin:1rem 0}}td,th{{border:1px solid #ccc;padding:.25rem .6rem;text-align:right}}
th:first-child,td:first-child{{text-align:left}}figure{{display:inline-block;margin:.5rem;max-width:100%}}figcaption{{font-size:12px;color:#555;max-width:560px}}.wide{{overflow-x:auto}}
section{{border-top:1px solid #ddd;margin-top:1.5rem}}</style></head><body><h1>{t}</h1>"##,
        t = esc(title)
    );
    if let Some((_, first)) = summary.first() {
        s.push_str("<table><thead><tr><th>head</th>");
        for (k, _) in first {
            let _ = write!(s, "<th>{}</th>", esc(k));
        }
        s.push_str("</tr></thead><tbody>");
        for (head, cells) in summary {
            let _ = write!(s, "<tr><td>{}</td>", esc(head));
            for (_, v) in cells {
                let _ = write!(s, "<td>{}</td>", esc(v));
            }
            s.push_str("</tr>");
        }
        s.push_str("</tbody></table>");
    }
    for p in heads {
        let _ = write!(s, "<section><h2>{}</h2>", esc(&p.title));
        s.push_str(&scatter(p));
        s.push_str(&residuals(p));
        s.push_str(&curves(p));
        s.push_str(&importance(p));
        s.push_str("</section>");
    }
    s.push_str("</body></html>\n");
    s
}

/// Ticks at round numbers (1, 2 or 5 × 10ⁿ apart) covering `lo..=hi`, about `n` of them.
pub fn nice_ticks(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        return vec![lo];
    }
    let raw = (hi - lo) / n.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).floor() * step;
    let mut out = Vec::new();
    let mut v = first;
    while v <= hi + step * 0.5 && out.len() < 50 {
        // Snap away float noise (0.30000000000000004).
        out.push((v / step).round() * step);
        v += step;
    }
    out
}

fn tick_label(v: f64, step: f64) -> String {
    let decimals = if step >= 1.0 {
        0
    } else {
        (-step.log10().floor()) as usize
    };
    format!("{v:.decimals$}")
}

/// One line of a line plot.
struct Line<'a> {
    label: &'a str,
    color: &'a str,
    dashed: bool,
    points: Vec<(f64, f64)>,
}

/// A band measure's two lines: as served (tracked after training), solid, and as
/// trained, dashed.
fn served_and_trained(served: Vec<(f64, f64)>, trained: Vec<(f64, f64)>) -> [Line<'static>; 2] {
    [
        Line {
            label: "as served (tracked)",
            color: PALETTE[0],
            dashed: false,
            points: served,
        },
        Line {
            label: "as trained",
            color: PALETTE[1],
            dashed: true,
            points: trained,
        },
    ]
}

/// How a line plot's axes are laid out.
struct Axes<'a> {
    xlabel: &'a str,
    ylabel: &'a str,
    /// Ticks on x every this much (else round numbers chosen from the range).
    x_step: Option<f64>,
    /// Values below this are cut off (the axis starts here).
    y_floor: Option<f64>,
}

/// A line plot with round ticks, a shaded horizontal band (`band`), axis titles with
/// units and a legend below.
fn line_plot(
    title: &str,
    axes: &Axes,
    lines: &[Line],
    band: Option<(f64, f64)>,
    caption: &str,
) -> String {
    let (xlabel, ylabel) = (axes.xlabel, axes.ylabel);
    let all = || lines.iter().flat_map(|l| l.points.iter());
    let (x0, x1) = range(all().map(|p| p.0));
    let (mut y0, mut y1) = range(
        all()
            .map(|p| p.1)
            .filter(|v| axes.y_floor.is_none_or(|f| *v >= f))
            .chain(band.into_iter().flat_map(|b| [b.0, b.1])),
    );
    if let Some(f) = axes.y_floor {
        y0 = y0.max(f);
    }
    let yt = nice_ticks(y0, y1, 5);
    let xt = match axes.x_step {
        Some(st) => {
            let mut v = Vec::new();
            let mut x = (x0 / st).floor() * st;
            while x <= x1 + st * 0.01 {
                v.push(x);
                x += st;
            }
            v
        }
        None => nice_ticks(x0, x1, 6),
    };
    y0 = y0.min(yt[0]);
    y1 = y1.max(*yt.last().unwrap_or(&y1));
    let xs = xt.get(1).map_or(1.0, |b| b - xt[0]);
    let ys = yt.get(1).map_or(1.0, |b| b - yt[0]);
    let f = Frame {
        x: (x0.min(xt[0]), x1.max(*xt.last().unwrap_or(&x1))),
        y: (y0, y1),
    };
    let per_row = 4usize;
    let legend_h = 16.0 * lines.len().div_ceil(per_row) as f64 + 6.0;
    let mut s = open_sized(title, H + legend_h);
    let b = H - PAD;
    let _ = write!(
        s,
        r##"<defs><clipPath id="c{id}"><rect x="{PAD}" y="0" width="{w}" height="{b}"/></clipPath></defs><line x1="{PAD}" y1="{b}" x2="{r}" y2="{b}" stroke="#444"/><line x1="{PAD}" y1="10" x2="{PAD}" y2="{b}" stroke="#444"/>"##,
        id = clip_id(title),
        w = W - 10.0 - PAD,
        r = W - 10.0
    );
    if let Some((lo, hi)) = band {
        let _ = write!(
            s,
            r##"<rect x="{PAD}" y="{:.1}" width="{:.1}" height="{:.1}" fill="#2e8b57" fill-opacity="0.12"/>"##,
            f.py(hi),
            W - 10.0 - PAD,
            (f.py(lo) - f.py(hi)).max(0.0)
        );
    }
    for &v in &yt {
        let y = f.py(v);
        let _ = write!(
            s,
            r##"<line x1="{PAD}" y1="{y:.1}" x2="{r}" y2="{y:.1}" stroke="#eee"/><text x="{:.1}" y="{:.1}" font-size="10" text-anchor="end">{}</text>"##,
            PAD - 4.0,
            y + 3.0,
            esc(&tick_label(v, ys)),
            r = W - 10.0
        );
    }
    for &v in &xt {
        let _ = write!(
            s,
            r##"<text x="{:.1}" y="{:.1}" font-size="10" text-anchor="middle">{}</text>"##,
            f.px(v),
            H - PAD + 14.0,
            esc(&tick_label(v, xs))
        );
    }
    let _ = write!(
        s,
        r##"<text x="{}" y="{}" font-size="11" text-anchor="middle">{}</text><text x="11" y="{}" font-size="11" transform="rotate(-90 11 {})" text-anchor="middle">{}</text>"##,
        (W + PAD) / 2.0,
        H - PAD + 32.0,
        esc(xlabel),
        H / 2.0,
        H / 2.0,
        esc(ylabel)
    );
    for (n, l) in lines.iter().enumerate() {
        let mut path = String::new();
        for (i, (x, y)) in l.points.iter().filter(|p| p.1.is_finite()).enumerate() {
            let _ = write!(
                path,
                "{}{:.1},{:.1}",
                if i == 0 { "M" } else { "L" },
                f.px(*x),
                f.py(*y)
            );
        }
        let dash = if l.dashed {
            r#" stroke-dasharray="5 3""#
        } else {
            ""
        };
        let _ = write!(
            s,
            r##"<path d="{path}" fill="none" stroke="{c}" stroke-width="1.6"{dash} clip-path="url(#c{id})"/>"##,
            c = l.color,
            id = clip_id(title)
        );
        // Legend below the x axis title, `per_row` entries a row.
        let lx = PAD + (n % per_row) as f64 * ((W - PAD) / per_row as f64);
        let ly = H + 4.0 + 16.0 * (n / per_row) as f64;
        let _ = write!(
            s,
            r##"<line x1="{lx:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{c}" stroke-width="2"{dash}/><text x="{:.1}" y="{:.1}" font-size="10">{}</text>"##,
            ly - 3.0,
            lx + 16.0,
            ly - 3.0,
            lx + 20.0,
            ly,
            esc(l.label),
            c = l.color
        );
    }
    close(&mut s, caption);
    s
}

/// An id for a plot's clip path, from its title.
fn clip_id(title: &str) -> String {
    title
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

const PALETTE: [&str; 6] = [
    "#1f6fb2", "#b2401f", "#2e8b57", "#8a5fb2", "#b28a1f", "#555555",
];

/// The report of a forecasting model: per-step skill against the baselines, band
/// coverage and width, the per-step table, and each head's learning curve and importance.
pub fn forecast_html(
    title: &str,
    r: &crate::forecast::Report,
    features: &[String],
    heads: &[(Vec<f64>, Vec<f64>)],
) -> String {
    let mut s = String::new();
    let unit = &r.unit;
    let step_unit = if r.step_seconds < 86_400 {
        "hours"
    } else {
        "days"
    };
    let _ = write!(
        s,
        r##"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{t}</title><style>
body{{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1180px;color:#222;padding:0 1rem}}
table{{border-collapse:collapse;margin:1rem 0}}td,th{{border:1px solid #ccc;padding:.2rem .5rem;text-align:right}}
th:first-child,td:first-child{{text-align:left}}figure{{display:inline-block;margin:.5rem;max-width:100%}}figcaption{{font-size:12px;color:#555;max-width:560px}}.wide{{overflow-x:auto}}
section{{border-top:1px solid #ddd;margin-top:1.5rem}}</style></head><body><h1>{t}</h1>
<p>{design}. {steps} steps of {step_s} s ahead; band P{lo:.0}–P{hi:.0}, calibrated on {cal}; test: {test}; {rows} stacked training rows per head (stride {stride}), {secs:.1} s for the three heads.</p>"##,
        t = esc(title),
        design = esc(&r.design),
        steps = r.steps,
        step_s = r.step_seconds,
        lo = r.quantiles[0] * 100.0,
        hi = r.quantiles[2] * 100.0,
        cal = esc(&r.calibration),
        test = esc(&r.test),
        rows = r.train_rows,
        stride = r.stride,
        secs = r.train_seconds,
    );
    let names: Vec<String> = r
        .per_step
        .first()
        .map(|p| p.baselines.keys().cloned().collect())
        .unwrap_or_default();
    let xs = |f: &dyn Fn(&crate::forecast::StepReport) -> f64| -> Vec<(f64, f64)> {
        r.per_step
            .iter()
            .map(|p| (f64::from(p.step), f(p)))
            .collect()
    };
    let mut lines = vec![Line {
        label: "aqcast (P50)",
        color: PALETTE[0],
        dashed: false,
        points: xs(&|p| p.skill.get("persistence").copied().unwrap_or(f64::NAN)),
    }];
    for (i, n) in names.iter().filter(|n| *n != "persistence").enumerate() {
        lines.push(Line {
            label: n,
            color: PALETTE[(i + 1) % PALETTE.len()],
            dashed: true,
            points: xs(&|p| {
                let b = p.baselines.get(n.as_str()).map_or(f64::NAN, |b| b.rmse);
                let pe = p.baselines.get("persistence").map_or(f64::NAN, |b| b.rmse);
                1.0 - b / pe
            }),
        });
    }
    s.push_str("<section><h2>Skill and calibration per step ahead</h2>");
    let x_step = if r.step_seconds < 86_400 && r.steps >= 24 {
        Some(12.0)
    } else if r.steps <= 12 {
        Some(1.0)
    } else {
        None
    };
    let xlabel = format!("{step_unit} ahead");
    let axes = |ylabel: &'static str, y_floor: Option<f64>| Axes {
        xlabel: &xlabel,
        ylabel,
        x_step,
        y_floor,
    };
    s.push_str(&line_plot(
        "skill against persistence",
        &axes("skill (1 − RMSE / RMSE of persistence)", Some(-1.0)),
        &lines,
        None,
        "Skill of the model's median and of each baseline against persistence (the last measured value); 0 is persistence, above is better; values below −1 are cut off.",
    ));
    s.push_str(&line_plot(
        "band coverage",
        &axes("coverage of the band (share of test values)", None),
        &served_and_trained(xs(&|p| p.coverage), xs(&|p| p.static_coverage)),
        Some((0.77, 0.83)),
        "Share of test values inside the band as served (tracked after training when the model tracks its bands: each outcome moves them) and inside the band of the calibration as trained; the shaded strip is the 80 % ± 3 % target.",
    ));
    let width_label = format!("mean band width ({unit})");
    s.push_str(&line_plot(
        "band width",
        &Axes {
            ylabel: &width_label,
            ..axes("", None)
        },
        &served_and_trained(xs(&|p| p.width), xs(&|p| p.static_width)),
        None,
        "Mean width of the band as served and of the band as trained.",
    ));
    let mut rmse_lines = vec![Line {
        label: "aqcast (P50)",
        color: PALETTE[0],
        dashed: false,
        points: xs(&|p| p.rmse),
    }];
    for (i, n) in names.iter().enumerate() {
        rmse_lines.push(Line {
            label: n,
            color: PALETTE[(i + 1) % PALETTE.len()],
            dashed: true,
            points: xs(&|p| p.baselines.get(n.as_str()).map_or(f64::NAN, |b| b.rmse)),
        });
    }
    let rmse_label = format!("RMSE ({unit})");
    s.push_str(&line_plot(
        "RMSE",
        &Axes {
            ylabel: &rmse_label,
            ..axes("", None)
        },
        &rmse_lines,
        None,
        "Root mean squared error of the model's median and of each baseline on the same test rows.",
    ));
    if let Some(ahead) = &r.ahead {
        let weather = |f: &dyn Fn(&crate::forecast::WeatherSkill) -> f64| -> Vec<(f64, f64)> {
            r.per_step
                .iter()
                .filter_map(|p| p.weather.as_ref().map(|w| (f64::from(p.step), f(w))))
                .collect()
        };
        let errors: Vec<String> = ahead
            .errors
            .iter()
            .map(|(v, e)| format!("{v} ±({} + {} a day)", e.sigma, e.per_day))
            .collect();
        s.push_str(&line_plot(
            "skill with the weather ahead",
            &axes("skill (1 − RMSE / RMSE of persistence)", Some(-1.0)),
            &[
                Line {
                    label: "as forecast (served)",
                    color: PALETTE[0],
                    dashed: false,
                    points: xs(&|p| p.skill.get("persistence").copied().unwrap_or(f64::NAN)),
                },
                Line {
                    label: "as measured",
                    color: PALETTE[1],
                    dashed: true,
                    points: weather(&|w| w.skill_observed),
                },
                Line {
                    label: "without",
                    color: PALETTE[2],
                    dashed: true,
                    points: weather(&|w| w.skill_without),
                },
            ],
            None,
            &format!(
                "What knowing the weather ahead ({}) is worth at each step: without it (the same task trained without it), as forecast (the model as served: the measured weather blurred by a forecast's error at each lead time, {}), and as measured (the weather as it was, which no forecast reaches).",
                ahead.variables.join(", "),
                errors.join(", ")
            ),
        ));
    }
    s.push_str("</section><section><h2>Every step</h2><div class=\"wide\"><table><thead><tr><th>ahead</th><th>n</th>");
    for h in [
        format!("RMSE ({unit})"),
        format!("MAE ({unit})"),
        "coverage".into(),
        "coverage as trained".into(),
        format!("width ({unit})"),
        "pinball P10".into(),
        "pinball P50".into(),
        "pinball P90".into(),
        "AQI category accuracy".into(),
    ] {
        let _ = write!(s, "<th>{}</th>", esc(&h));
    }
    for n in &names {
        let _ = write!(s, "<th>skill vs {}</th>", esc(n));
    }
    for n in &names {
        let _ = write!(s, "<th>AQI acc. {}</th>", esc(n));
    }
    s.push_str("</tr></thead><tbody>");
    for p in &r.per_step {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{:.3}</td><td>{:.3}</td><td>{:.1} %</td><td>{:.1} %</td><td>{:.2}</td><td>{:.3}</td><td>{:.3}</td><td>{:.3}</td><td>{:.1} %</td>",
            p.step,
            p.n,
            p.rmse,
            p.mae,
            100.0 * p.coverage,
            100.0 * p.static_coverage,
            p.width,
            p.pinball[0],
            p.pinball[1],
            p.pinball[2],
            100.0 * p.category_accuracy
        );
        for n in &names {
            let _ = write!(
                s,
                "<td>{:.3}</td>",
                p.skill.get(n).copied().unwrap_or(f64::NAN)
            );
        }
        for n in &names {
            let _ = write!(
                s,
                "<td>{:.1} %</td>",
                100.0 * p.baselines.get(n).map_or(f64::NAN, |b| b.category_accuracy)
            );
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table></div></section>");
    if r.level_fifths.len() == 4 {
        let e = &r.level_fifths;
        let _ = write!(
            s,
            "<section><h2>Coverage where it matters</h2><p>Share of test values inside the band as served, by the level measured at the origin: in each fifth of the test origins ({unit}), and in each AQI category of that level. A band that covers 80 % on average can still fail in the episodes a citizen needs it for.</p><div class=\"wide\"><table><thead><tr><th>ahead</th><th>≤ {:.1}</th><th>{:.1}–{:.1}</th><th>{:.1}–{:.1}</th><th>{:.1}–{:.1}</th><th>&gt; {:.1}</th>",
            e[0], e[0], e[1], e[1], e[2], e[2], e[3], e[3]
        );
        let mut names: Vec<&str> = Vec::new();
        for p in &r.per_step {
            for c in &p.coverage_by_category {
                if !names.contains(&c.category.as_str()) {
                    names.push(&c.category);
                }
            }
        }
        for n in &names {
            let _ = write!(s, "<th>{}</th>", esc(n));
        }
        s.push_str("</tr></thead><tbody>");
        for p in &r.per_step {
            let _ = write!(s, "<tr><td>{}</td>", p.step);
            for c in &p.coverage_by_level {
                let _ = write!(s, "<td>{:.1} %</td>", 100.0 * c);
            }
            for n in &names {
                match p.coverage_by_category.iter().find(|c| c.category == *n) {
                    Some(c) => {
                        let _ = write!(
                            s,
                            "<td>{:.1} % <small>({})</small></td>",
                            100.0 * c.coverage,
                            c.n
                        );
                    }
                    None => s.push_str("<td>–</td>"),
                }
            }
            s.push_str("</tr>");
        }
        s.push_str("</tbody></table></div></section>");
    }
    for ((curve, gain), label) in heads
        .iter()
        .zip(["lower (P10)", "median (P50)", "upper (P90)"])
    {
        let plots = HeadPlots {
            title: label.into(),
            times: &[],
            actual: &[],
            predicted: &[],
            importance: features.iter().cloned().zip(gain.iter().copied()).collect(),
            train_curve: curve,
            valid_curve: &[],
        };
        let _ = write!(s, "<section><h2>head {}</h2>", esc(label));
        s.push_str(&curves(&plots));
        s.push_str(&importance(&plots));
        s.push_str("</section>");
    }
    s.push_str("</body></html>\n");
    s
}
