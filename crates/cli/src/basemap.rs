//! The basemap: the world's coastlines and land borders (Natural Earth 1:50m, public
//! domain; `data/borders.txt`, made by `scripts/make-borders.mjs`), built into the
//! binary. `aqcast stations publish` cuts the stations' area from it into
//! `basemap.json`, which the dashboard draws under the stations.

use std::sync::OnceLock;

use aqcast_core::published::{self, Basemap};

/// What the basemap owes to its source.
pub const CREDIT: &str = "Coasts and borders: Natural Earth (naturalearthdata.com), public domain";

const TXT: &str = include_str!("../data/borders.txt");

/// One arc of the world map: a stretch of coast or of border, as (lon, lat) points.
struct Arc {
    border: bool,
    points: Vec<[f64; 2]>,
}

fn world() -> &'static [Arc] {
    static ARCS: OnceLock<Vec<Arc>> = OnceLock::new();
    ARCS.get_or_init(|| {
        TXT.lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| {
                let mut f = l.split(' ');
                let border = match f.next()? {
                    "b" => true,
                    "c" => false,
                    _ => return None,
                };
                let (mut x, mut y) = (0i64, 0i64);
                let mut points = Vec::new();
                for p in f {
                    let (dx, dy) = p.split_once(',')?;
                    x += dx.parse::<i64>().ok()?;
                    y += dy.parse::<i64>().ok()?;
                    points.push([x as f64 / 100.0, y as f64 / 100.0]);
                }
                Some(Arc { border, points })
            })
            .collect()
    })
}

/// The area around `points` (latitude, longitude) that a map of them shows, whatever
/// its shape: a square (on the ground) around their middle, half again as wide as
/// their extent; none without points.
pub fn area(points: &[(f64, f64)]) -> Option<[f64; 4]> {
    let pts: Vec<&(f64, f64)> = points
        .iter()
        .filter(|(a, b)| a.is_finite() && b.is_finite())
        .collect();
    if pts.is_empty() {
        return None;
    }
    let (mut s, mut n, mut w, mut e) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &&(lat, lon) in &pts {
        s = s.min(lat);
        n = n.max(lat);
        w = w.min(lon);
        e = e.max(lon);
    }
    let k = ((s + n) / 2.0).to_radians().cos().max(0.1);
    // Half the side, in degrees of latitude; at least 0.5° (a single station).
    let half = (((e - w) * k).max(n - s) * 0.75).max(0.5);
    let (clat, clon) = ((s + n) / 2.0, (w + e) / 2.0);
    Some([
        (clon - half / k).max(-180.0),
        (clat - half).max(-90.0),
        (clon + half / k).min(180.0),
        (clat + half).min(90.0),
    ])
}

/// Whether the segment from `p` to `q` crosses (or touches) the box (Liang–Barsky).
fn crosses([w, s, e, n]: [f64; 4], p: [f64; 2], q: [f64; 2]) -> bool {
    let (dx, dy) = (q[0] - p[0], q[1] - p[1]);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (pk, qk) in [
        (-dx, p[0] - w),
        (dx, e - p[0]),
        (-dy, p[1] - s),
        (dy, n - p[1]),
    ] {
        if pk == 0.0 {
            if qk < 0.0 {
                return false;
            }
        } else {
            let r = qk / pk;
            if pk < 0.0 {
                t0 = t0.max(r);
            } else {
                t1 = t1.min(r);
            }
        }
    }
    t0 <= t1
}

/// The coasts and borders inside `bbox` (west, south, east, north): each line cut into
/// the runs of its segments that cross the box (a segment's ends kept even outside, so
/// that a line reaches the edge; the reader's drawing clips), split where it jumps across
/// the antimeridian, and thinned to about 1/800 of the box's width between points.
pub fn cut(bbox: [f64; 4]) -> Basemap {
    let [w, s, e, n] = bbox;
    let step = ((e - w).max(n - s) / 800.0).max(0.01);
    let (mut coasts, mut borders) = (Vec::new(), Vec::new());
    for arc in world() {
        let mut run: Vec<[f64; 2]> = Vec::new();
        let mut flush = |run: &mut Vec<[f64; 2]>| {
            if run.len() >= 2 {
                let line = std::mem::take(run);
                if arc.border {
                    borders.push(line);
                } else {
                    coasts.push(line);
                }
            }
            run.clear();
        };
        for seg in arc.points.windows(2) {
            let (p, q) = (seg[0], seg[1]);
            if (q[0] - p[0]).abs() > 180.0 || !crosses(bbox, p, q) {
                flush(&mut run);
                continue;
            }
            if run.is_empty() {
                run.push([round(p[0]), round(p[1])]);
            }
            // Thinned, but the segment's end stays when it is outside the box (the line
            // must reach the edge) and the run's last point is kept by the flush.
            let last = run[run.len() - 1];
            let outside = q[0] < w || q[0] > e || q[1] < s || q[1] > n;
            if outside || (last[0] - q[0]).abs() >= step || (last[1] - q[1]).abs() >= step {
                run.push([round(q[0]), round(q[1])]);
            }
        }
        flush(&mut run);
    }
    Basemap {
        format: published::FORMAT,
        bbox: bbox.map(round),
        coasts,
        borders,
        credit: CREDIT.to_string(),
    }
}

fn round(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_world_map_is_read_whole() {
        let w = world();
        assert!(w.len() > 1_900, "{}", w.len());
        assert!(w.iter().any(|a| a.border) && w.iter().any(|a| !a.border));
        for a in w {
            for p in &a.points {
                assert!(
                    (-180.0..=180.0).contains(&p[0]) && (-90.0..=90.0).contains(&p[1]),
                    "{p:?}"
                );
            }
        }
    }

    #[test]
    fn germany_has_its_coast_and_its_borders() {
        // The German stations' area: the North Sea and Baltic coasts, nine neighbours.
        let b = cut(area(&[(47.5, 6.0), (54.9, 15.0)]).unwrap());
        let count = |lines: &Vec<Vec<[f64; 2]>>| lines.iter().map(Vec::len).sum::<usize>();
        assert!(
            count(&b.coasts) > 200 && count(&b.borders) > 200,
            "{} {}",
            count(&b.coasts),
            count(&b.borders)
        );
        // Every segment of every line crosses the box.
        let bbox = b.bbox;
        for line in b.coasts.iter().chain(&b.borders) {
            for seg in line.windows(2) {
                assert!(crosses(bbox, seg[0], seg[1]), "{seg:?} misses {bbox:?}");
            }
        }
        // A long straight border crossing a box with no vertex in it: the US–Canada line
        // along 49° N (one segment from 122.8° W to 95.2° W) through southern Canada.
        let prairie = cut([-110.0, 48.5, -105.0, 49.5]);
        assert!(!prairie.borders.is_empty(), "the 49th parallel is drawn");
        // Nothing jumps across the whole map at the antimeridian.
        let pacific = cut([170.0, -25.0, 180.0, -10.0]);
        for line in pacific.coasts.iter().chain(&pacific.borders) {
            for seg in line.windows(2) {
                assert!((seg[1][0] - seg[0][0]).abs() <= 180.0, "{seg:?}");
            }
        }
        // Mid-Atlantic: nothing.
        let sea = cut([-40.0, 30.0, -39.0, 31.0]);
        assert!(sea.coasts.is_empty() && sea.borders.is_empty());
        assert_eq!(area(&[]), None);
    }
}
