//! A bounding box, as `--bbox west,south,east,north` gives it and OpenAQ's `bbox` asks.

use std::fmt;
use std::str::FromStr;

/// West, south, east, north, in degrees; west < east and south < north.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bbox {
    /// Western edge, degrees east.
    pub west: f64,
    /// Southern edge, degrees north.
    pub south: f64,
    /// Eastern edge, degrees east.
    pub east: f64,
    /// Northern edge, degrees north.
    pub north: f64,
}

impl Bbox {
    /// Whether a point lies in the box (edges included).
    pub fn contains(&self, lat: f64, lon: f64) -> bool {
        (self.south..=self.north).contains(&lat) && (self.west..=self.east).contains(&lon)
    }
}

/// `west,south,east,north`, as OpenAQ's `bbox` parameter is written.
impl fmt::Display for Bbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{},{},{},{}",
            self.west, self.south, self.east, self.north
        )
    }
}

impl FromStr for Bbox {
    type Err = String;

    fn from_str(s: &str) -> Result<Bbox, String> {
        let how = "give west,south,east,north in degrees, west < east and south < north (e.g. -0.5,51.3,0.3,51.7)";
        let v: Vec<f64> = s
            .split(',')
            .map(|x| x.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|_| format!("bounding box {s:?}: not four numbers; {how}"))?;
        let [west, south, east, north] = <[f64; 4]>::try_from(v)
            .map_err(|v| format!("bounding box {s:?}: {} numbers; {how}", v.len()))?;
        let lon = -180.0..=180.0;
        let lat = -90.0..=90.0;
        if !(west < east
            && south < north
            && lon.contains(&west)
            && lon.contains(&east)
            && lat.contains(&south)
            && lat.contains(&north))
        {
            return Err(format!("bounding box {s:?}: {how}"));
        }
        Ok(Bbox {
            west,
            south,
            east,
            north,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_box_reads_checks_and_writes_back() {
        let b: Bbox = "-1, 51,1,52".parse().unwrap();
        assert_eq!(b.to_string(), "-1,51,1,52");
        assert!(b.contains(51.5, 0.0) && !b.contains(50.0, 0.0) && !b.contains(51.5, 2.0));
        for bad in [
            "1,51,-1,52",
            "-1,52,1,51",
            "-1,51,1",
            "a,b,c,d",
            "-1,51,1,95",
            "-200,0,0,1",
        ] {
            let e = bad.parse::<Bbox>().unwrap_err();
            assert!(e.contains("west,south,east,north"), "{bad}: {e}");
        }
    }
}
