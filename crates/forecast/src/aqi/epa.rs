//! The US EPA Air Quality Index.
//!
//! Breakpoint tables as in force in 1999 (the original AQI, 40 CFR 58 Appendix G, 1999),
//! 2012 (after the 2008 ozone, 2010 NO2/SO2 and 2012 PM2.5 revisions) and 2024 (the
//! February 2024 PM2.5 revision, with the 2015 ozone breakpoints and the merged 301–500
//! Hazardous range). Each breakpoint is an integer in units of the table's truncation
//! precision (e.g. ozone in 0.001 ppm).

use core::fmt;
use core::str::FromStr;

use alloc::format;
use serde::{Deserialize, Serialize};

use super::{truncate_units, Category};
use crate::error::Num;
use crate::pollutant::{Pollutant, Unit};
use crate::Error;

/// Which EPA breakpoint table to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Table {
    /// The original 1999 AQI.
    #[serde(rename = "1999")]
    Y1999,
    /// The table in force from December 2012 (PM2.5 revised) to May 2024.
    #[serde(rename = "2012")]
    Y2012,
    /// The table in force since May 2024 (PM2.5 revised again).
    #[default]
    #[serde(rename = "2024")]
    Y2024,
}

impl Table {
    /// The year that names the table.
    pub fn year(self) -> u16 {
        match self {
            Table::Y1999 => 1999,
            Table::Y2012 => 2012,
            Table::Y2024 => 2024,
        }
    }
}

impl FromStr for Table {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim() {
            "1999" => Ok(Table::Y1999),
            "2012" => Ok(Table::Y2012),
            "2024" => Ok(Table::Y2024),
            _ => Err(Error::Aqi(format!(
                "unknown AQI table \"{s}\"; expected 1999, 2012 or 2024"
            ))),
        }
    }
}

/// The averaging period of a concentration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Averaging {
    /// One hour.
    #[serde(rename = "1h")]
    Hour1,
    /// Eight hours (ozone, CO).
    #[serde(rename = "8h")]
    Hour8,
    /// 24 hours (PM, SO2 above AQI 200).
    #[serde(rename = "24h")]
    Hour24,
}

impl Averaging {
    /// The averaging period EPA's AQI normally uses for a pollutant.
    pub fn default_for(p: Pollutant) -> Averaging {
        match p {
            Pollutant::Pm25 | Pollutant::Pm10 => Averaging::Hour24,
            Pollutant::O3 | Pollutant::Co => Averaging::Hour8,
            Pollutant::So2 | Pollutant::No2 | Pollutant::Nox => Averaging::Hour1,
        }
    }

    /// `1h`, `8h` or `24h`.
    pub fn id(self) -> &'static str {
        match self {
            Averaging::Hour1 => "1h",
            Averaging::Hour8 => "8h",
            Averaging::Hour24 => "24h",
        }
    }
}

impl fmt::Display for Averaging {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for Averaging {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim().to_ascii_lowercase().as_str() {
            "1h" | "1" | "1-hour" => Ok(Averaging::Hour1),
            "8h" | "8" | "8-hour" => Ok(Averaging::Hour8),
            "24h" | "24" | "24-hour" => Ok(Averaging::Hour24),
            _ => Err(Error::Aqi(format!(
                "unknown averaging period \"{s}\"; expected 1h, 8h or 24h"
            ))),
        }
    }
}

/// The unit EPA's tables and reports use for a pollutant's AQI concentration: µg/m³ for
/// PM, ppm for O3 and CO, ppb for SO2, NO2 and NOx. Front ends take values in it by default.
pub fn default_unit(p: Pollutant) -> Unit {
    match p {
        Pollutant::Pm25 | Pollutant::Pm10 => Unit::UgM3,
        Pollutant::O3 | Pollutant::Co => Unit::Ppm,
        Pollutant::So2 | Pollutant::No2 | Pollutant::Nox => Unit::Ppb,
    }
}

/// One line of a breakpoint table: concentrations `lo..=hi` map to indices `ilo..=ihi`.
#[derive(Clone, Copy, Debug)]
struct Seg {
    lo: i64,
    hi: i64,
    ilo: u32,
    ihi: u32,
}

const fn s(lo: i64, hi: i64, ilo: u32, ihi: u32) -> Seg {
    Seg { lo, hi, ilo, ihi }
}

/// What to do with a concentration outside the table.
#[derive(Clone, Copy, Debug)]
enum Edge {
    /// Extrapolate along the outermost line; the reading is marked `beyond_index`.
    Extrapolate,
    /// Refuse, with this advice.
    Refuse(&'static str),
}

/// A breakpoint table for one pollutant, averaging period and year.
#[derive(Clone, Copy, Debug)]
struct Breakpoints {
    unit: Unit,
    decimals: u32,
    segs: &'static [Seg],
    below: Edge,
    above: Edge,
}

const EXTRA: Edge = Edge::Extrapolate;

// --- PM2.5, 24-hour, µg/m³, 1 decimal -------------------------------------------------
const PM25_1999: &[Seg] = &[
    s(0, 154, 0, 50),
    s(155, 404, 51, 100),
    s(405, 654, 101, 150),
    s(655, 1504, 151, 200),
    s(1505, 2504, 201, 300),
    s(2505, 3504, 301, 400),
    s(3505, 5004, 401, 500),
];
const PM25_2012: &[Seg] = &[
    s(0, 120, 0, 50),
    s(121, 354, 51, 100),
    s(355, 554, 101, 150),
    s(555, 1504, 151, 200),
    s(1505, 2504, 201, 300),
    s(2505, 3504, 301, 400),
    s(3505, 5004, 401, 500),
];
const PM25_2024: &[Seg] = &[
    s(0, 90, 0, 50),
    s(91, 354, 51, 100),
    s(355, 554, 101, 150),
    s(555, 1254, 151, 200),
    s(1255, 2254, 201, 300),
    s(2255, 3254, 301, 500),
];
// --- PM10, 24-hour, µg/m³, integer ----------------------------------------------------
const PM10_1999: &[Seg] = &[
    s(0, 54, 0, 50),
    s(55, 154, 51, 100),
    s(155, 254, 101, 150),
    s(255, 354, 151, 200),
    s(355, 424, 201, 300),
    s(425, 504, 301, 400),
    s(505, 604, 401, 500),
];
const PM10_2024: &[Seg] = &[
    s(0, 54, 0, 50),
    s(55, 154, 51, 100),
    s(155, 254, 101, 150),
    s(255, 354, 151, 200),
    s(355, 424, 201, 300),
    s(425, 604, 301, 500),
];
// --- O3, ppm, 3 decimals ----------------------------------------------------------------
const O3_8H_1999: &[Seg] = &[
    s(0, 64, 0, 50),
    s(65, 84, 51, 100),
    s(85, 104, 101, 150),
    s(105, 124, 151, 200),
    s(125, 374, 201, 300),
];
const O3_8H_2012: &[Seg] = &[
    s(0, 59, 0, 50),
    s(60, 75, 51, 100),
    s(76, 95, 101, 150),
    s(96, 115, 151, 200),
    s(116, 374, 201, 300),
];
const O3_8H_2024: &[Seg] = &[
    s(0, 54, 0, 50),
    s(55, 70, 51, 100),
    s(71, 85, 101, 150),
    s(86, 105, 151, 200),
    s(106, 200, 201, 300),
];
const O3_1H_1999: &[Seg] = &[
    s(125, 164, 101, 150),
    s(165, 204, 151, 200),
    s(205, 404, 201, 300),
    s(405, 504, 301, 400),
    s(505, 604, 401, 500),
];
const O3_1H_2024: &[Seg] = &[
    s(125, 164, 101, 150),
    s(165, 204, 151, 200),
    s(205, 404, 201, 300),
    s(405, 604, 301, 500),
];
// --- CO, 8-hour, ppm, 1 decimal ---------------------------------------------------------
const CO_1999: &[Seg] = &[
    s(0, 44, 0, 50),
    s(45, 94, 51, 100),
    s(95, 124, 101, 150),
    s(125, 154, 151, 200),
    s(155, 304, 201, 300),
    s(305, 404, 301, 400),
    s(405, 504, 401, 500),
];
const CO_2024: &[Seg] = &[
    s(0, 44, 0, 50),
    s(45, 94, 51, 100),
    s(95, 124, 101, 150),
    s(125, 154, 151, 200),
    s(155, 304, 201, 300),
    s(305, 504, 301, 500),
];
// --- SO2 --------------------------------------------------------------------------------
/// 1999: 24-hour, ppm, 3 decimals.
const SO2_24H_1999: &[Seg] = &[
    s(0, 34, 0, 50),
    s(35, 144, 51, 100),
    s(145, 224, 101, 150),
    s(225, 304, 151, 200),
    s(305, 604, 201, 300),
    s(605, 804, 301, 400),
    s(805, 1004, 401, 500),
];
/// 2012 and 2024: 1-hour, ppb, integer (defines the AQI up to 200).
const SO2_1H_2012: &[Seg] = &[
    s(0, 35, 0, 50),
    s(36, 75, 51, 100),
    s(76, 185, 101, 150),
    s(186, 304, 151, 200),
];
/// 2012: 24-hour, ppb, integer (defines the AQI from 201).
const SO2_24H_2012: &[Seg] = &[
    s(305, 604, 201, 300),
    s(605, 804, 301, 400),
    s(805, 1004, 401, 500),
];
const SO2_24H_2024: &[Seg] = &[s(305, 604, 201, 300), s(605, 1004, 301, 500)];
// --- NO2, 1-hour ------------------------------------------------------------------------
/// 1999: ppm, 2 decimals, defined only from AQI 201.
const NO2_1999: &[Seg] = &[
    s(65, 124, 201, 300),
    s(125, 164, 301, 400),
    s(165, 204, 401, 500),
];
/// 2012: ppb, integer.
const NO2_2012: &[Seg] = &[
    s(0, 53, 0, 50),
    s(54, 100, 51, 100),
    s(101, 360, 101, 150),
    s(361, 649, 151, 200),
    s(650, 1249, 201, 300),
    s(1250, 1649, 301, 400),
    s(1650, 2049, 401, 500),
];
const NO2_2024: &[Seg] = &[
    s(0, 53, 0, 50),
    s(54, 100, 51, 100),
    s(101, 360, 101, 150),
    s(361, 649, 151, 200),
    s(650, 1249, 201, 300),
    s(1250, 2049, 301, 500),
];

const O3_8H_ABOVE: Edge = Edge::Refuse(
    "8-hour ozone above the 8-hour table does not define an AQI; use the 1-hour ozone average",
);
const O3_1H_BELOW: Edge = Edge::Refuse(
    "1-hour ozone below 0.125 ppm does not define an AQI; use the 8-hour ozone average",
);
const SO2_1H_ABOVE: Edge = Edge::Refuse(
    "1-hour SO2 of 305 ppb or more does not define an AQI; use the 24-hour SO2 average",
);
const SO2_24H_BELOW: Edge = Edge::Refuse(
    "24-hour SO2 defines the AQI only from 305 ppb (AQI 201); below that use the 1-hour average",
);
const NO2_1999_BELOW: Edge =
    Edge::Refuse("the 1999 table defines NO2 only from 0.65 ppm (AQI 201)");

fn breakpoints(p: Pollutant, avg: Averaging, table: Table) -> Result<Breakpoints, Error> {
    use Averaging::*;
    use Pollutant::*;
    use Table::*;
    let bp = |unit, decimals, segs, below, above| Breakpoints {
        unit,
        decimals,
        segs,
        below,
        above,
    };
    Ok(match (p, avg, table) {
        (Pm25, Hour24, Y1999) => bp(Unit::UgM3, 1, PM25_1999, EXTRA, EXTRA),
        (Pm25, Hour24, Y2012) => bp(Unit::UgM3, 1, PM25_2012, EXTRA, EXTRA),
        (Pm25, Hour24, Y2024) => bp(Unit::UgM3, 1, PM25_2024, EXTRA, EXTRA),
        (Pm10, Hour24, Y1999 | Y2012) => bp(Unit::UgM3, 0, PM10_1999, EXTRA, EXTRA),
        (Pm10, Hour24, Y2024) => bp(Unit::UgM3, 0, PM10_2024, EXTRA, EXTRA),
        (O3, Hour8, Y1999) => bp(Unit::Ppm, 3, O3_8H_1999, EXTRA, O3_8H_ABOVE),
        (O3, Hour8, Y2012) => bp(Unit::Ppm, 3, O3_8H_2012, EXTRA, O3_8H_ABOVE),
        (O3, Hour8, Y2024) => bp(Unit::Ppm, 3, O3_8H_2024, EXTRA, O3_8H_ABOVE),
        (O3, Hour1, Y1999 | Y2012) => bp(Unit::Ppm, 3, O3_1H_1999, O3_1H_BELOW, EXTRA),
        (O3, Hour1, Y2024) => bp(Unit::Ppm, 3, O3_1H_2024, O3_1H_BELOW, EXTRA),
        (Co, Hour8, Y1999 | Y2012) => bp(Unit::Ppm, 1, CO_1999, EXTRA, EXTRA),
        (Co, Hour8, Y2024) => bp(Unit::Ppm, 1, CO_2024, EXTRA, EXTRA),
        (So2, Hour24, Y1999) => bp(Unit::Ppm, 3, SO2_24H_1999, EXTRA, EXTRA),
        (So2, Hour1, Y2012 | Y2024) => bp(Unit::Ppb, 0, SO2_1H_2012, EXTRA, SO2_1H_ABOVE),
        (So2, Hour24, Y2012) => bp(Unit::Ppb, 0, SO2_24H_2012, SO2_24H_BELOW, EXTRA),
        (So2, Hour24, Y2024) => bp(Unit::Ppb, 0, SO2_24H_2024, SO2_24H_BELOW, EXTRA),
        (No2, Hour1, Y1999) => bp(Unit::Ppm, 2, NO2_1999, NO2_1999_BELOW, EXTRA),
        (No2, Hour1, Y2012) => bp(Unit::Ppb, 0, NO2_2012, EXTRA, EXTRA),
        (No2, Hour1, Y2024) => bp(Unit::Ppb, 0, NO2_2024, EXTRA, EXTRA),
        (Nox, _, _) => {
            return Err(Error::Aqi(
                "NOx has no AQI breakpoints; the EPA AQI uses NO2".into(),
            ))
        }
        _ => {
            return Err(Error::Aqi(format!(
                "the {} EPA table has no {} breakpoints for {}",
                table.year(),
                avg.id(),
                p.label()
            )))
        }
    })
}

/// One pollutant's AQI sub-index.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Reading {
    /// The pollutant.
    pub pollutant: Pollutant,
    /// The averaging period of the concentration.
    pub averaging: Averaging,
    /// The breakpoint table used.
    pub table: Table,
    /// The concentration after truncation, in the table's unit.
    pub concentration: f64,
    /// The table's unit.
    pub unit: Unit,
    /// The index value.
    pub aqi: u32,
    /// The index's category.
    pub category: Category,
    /// True when the concentration lies above the table and the index was extrapolated
    /// along its top line ("beyond the AQI").
    pub beyond_index: bool,
}

/// Computes the AQI sub-index of a concentration.
///
/// `value` is in `unit` (converted to the table's unit first, at 25 °C and 1 atm for gases);
/// `averaging` defaults to the pollutant's usual period.
pub fn compute(
    pollutant: Pollutant,
    value: f64,
    unit: Unit,
    averaging: Option<Averaging>,
    table: Table,
) -> Result<Reading, Error> {
    let averaging = averaging.unwrap_or_else(|| Averaging::default_for(pollutant));
    let bp = breakpoints(pollutant, averaging, table)?;
    if !value.is_finite() {
        return Err(Error::Aqi(format!(
            "{} concentration {} is not a finite number",
            pollutant.label(),
            Num(value)
        )));
    }
    if value < 0.0 {
        return Err(Error::Aqi(format!(
            "{} concentration {} {unit} is negative; concentrations are ≥ 0",
            pollutant.label(),
            Num(value)
        )));
    }
    let c_table = pollutant.convert(value, unit, bp.unit)?;
    let c = truncate_units(c_table, bp.decimals);
    let first = bp.segs[0];
    let last = bp.segs[bp.segs.len() - 1];
    let (seg, beyond) = if c < first.lo {
        match bp.below {
            Edge::Refuse(why) => return Err(Error::Aqi(why.into())),
            Edge::Extrapolate => (first, false),
        }
    } else if c > last.hi {
        if c > last.hi.saturating_mul(PLAUSIBLE_TIMES_TOP) {
            return Err(Error::Aqi(format!(
                "{} concentration {} {unit} is far beyond the index (more than \
                 {PLAUSIBLE_TIMES_TOP} times its top, {} {}): check the value and its unit",
                pollutant.label(),
                Num(value),
                Num(last.hi as f64 / libm::pow(10.0, bp.decimals as f64)),
                bp.unit
            )));
        }
        match bp.above {
            Edge::Refuse(why) => return Err(Error::Aqi(why.into())),
            Edge::Extrapolate => (last, true),
        }
    } else {
        // Segments are contiguous in integer units, so exactly one holds `c`.
        let seg = bp
            .segs
            .iter()
            .find(|g| g.lo <= c && c <= g.hi)
            .copied()
            .unwrap_or(last);
        (seg, false)
    };
    // I = Ilo + (Ihi − Ilo)(C − BPlo)/(BPhi − BPlo), rounded half up, in exact integers.
    // In i128: beyond the table `c` can be as large as i64::MAX (the truncation
    // saturates), and the product must neither wrap nor be cut to u32.
    let num = i128::from(seg.ihi - seg.ilo) * (i128::from(c) - i128::from(seg.lo));
    let den = i128::from(seg.hi - seg.lo);
    let aqi = i128::from(seg.ilo) + (2 * num + den).div_euclid(2 * den);
    let aqi = aqi.clamp(0, i128::from(u32::MAX)) as u32;
    Ok(Reading {
        pollutant,
        averaging,
        table,
        concentration: c as f64 / libm::pow(10.0, bp.decimals as f64),
        unit: bp.unit,
        aqi,
        category: Category::of(aqi),
        beyond_index: beyond,
    })
}

/// How far beyond its table's top a concentration is still extrapolated: 100 times the
/// top breakpoint (PM2.5: 32,540 µg/m³, thirty times the worst hour Beijing measured).
/// Past it a value is a wrong unit or a broken sensor, and its index would be a number
/// nobody can act on.
pub const PLAUSIBLE_TIMES_TOP: i64 = 100;

/// The overall AQI of several sub-indices: the highest one, whose pollutant is dominant.
/// Returns `None` for an empty slice.
pub fn dominant(readings: &[Reading]) -> Option<&Reading> {
    readings.iter().max_by_key(|r| r.aqi)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Pollutant::*;

    fn aqi(p: Pollutant, v: f64, avg: Option<Averaging>, t: Table) -> u32 {
        compute(p, v, p_unit(p, t), avg, t).unwrap().aqi
    }

    fn p_unit(p: Pollutant, t: Table) -> Unit {
        match (p, t) {
            (Pm25 | Pm10, _) => Unit::UgM3,
            (O3 | Co, _) => Unit::Ppm,
            (So2 | No2, Table::Y1999) => Unit::Ppm,
            _ => Unit::Ppb,
        }
    }

    /// The worked example of EPA's Technical Assistance Document for the AQI: 8-hour ozone
    /// 0.07853 ppm, PM2.5 35.9 µg/m³ and CO 8.4 ppm give 126, 102 and 90; ozone dominates.
    #[test]
    fn epa_technical_assistance_document_example() {
        let o3 = compute(O3, 0.07853, Unit::Ppm, None, Table::Y2024).unwrap();
        assert_eq!(o3.concentration, 0.078);
        assert_eq!(o3.aqi, 126);
        assert_eq!(o3.category, Category::UnhealthyForSensitiveGroups);
        let pm = compute(Pm25, 35.9, Unit::UgM3, None, Table::Y2024).unwrap();
        assert_eq!(pm.aqi, 102);
        let co = compute(Co, 8.4, Unit::Ppm, None, Table::Y2024).unwrap();
        assert_eq!(co.aqi, 90);
        let all = [pm, co, o3];
        let d = dominant(&all).unwrap();
        assert_eq!(d.pollutant, O3);
        assert_eq!(d.aqi, 126);
    }

    #[test]
    fn pm25_tables_differ_as_revised() {
        // 12.0 µg/m³ was the top of "Good" in 2012; in 2024 "Good" ends at 9.0.
        assert_eq!(aqi(Pm25, 12.0, None, Table::Y2012), 50);
        assert_eq!(aqi(Pm25, 12.0, None, Table::Y2024), 56);
        assert_eq!(aqi(Pm25, 15.4, None, Table::Y1999), 50);
        assert_eq!(aqi(Pm25, 9.0, None, Table::Y2024), 50);
        assert_eq!(aqi(Pm25, 9.1, None, Table::Y2024), 51);
        // Truncation, not rounding: 9.09 is 9.0.
        assert_eq!(aqi(Pm25, 9.09, None, Table::Y2024), 50);
        assert_eq!(aqi(Pm25, 125.4, None, Table::Y2024), 200);
        assert_eq!(aqi(Pm25, 150.4, None, Table::Y2012), 200);
        assert_eq!(aqi(Pm25, 325.4, None, Table::Y2024), 500);
        assert_eq!(aqi(Pm25, 500.4, None, Table::Y2012), 500);
    }

    #[test]
    fn every_table_starts_or_ends_where_it_should_and_is_contiguous() {
        let all = [
            PM25_1999,
            PM25_2012,
            PM25_2024,
            PM10_1999,
            PM10_2024,
            O3_8H_1999,
            O3_8H_2012,
            O3_8H_2024,
            O3_1H_1999,
            O3_1H_2024,
            CO_1999,
            CO_2024,
            SO2_24H_1999,
            SO2_1H_2012,
            SO2_24H_2012,
            SO2_24H_2024,
            NO2_1999,
            NO2_2012,
            NO2_2024,
        ];
        for t in all {
            for w in t.windows(2) {
                assert_eq!(w[1].lo, w[0].hi + 1, "{t:?}");
                assert_eq!(w[1].ilo, w[0].ihi + 1, "{t:?}");
            }
            assert!([200, 300, 500].contains(&t[t.len() - 1].ihi), "{t:?}");
            assert!(t[0].ilo == 0 || t[0].ilo == 101 || t[0].ilo == 201, "{t:?}");
        }
    }

    #[test]
    fn boundaries_of_each_category() {
        let t = Table::Y2024;
        assert_eq!(aqi(O3, 0.054, None, t), 50);
        assert_eq!(aqi(O3, 0.055, None, t), 51);
        assert_eq!(aqi(O3, 0.070, None, t), 100);
        assert_eq!(aqi(O3, 0.200, None, t), 300);
        assert_eq!(aqi(O3, 0.125, Some(Averaging::Hour1), t), 101);
        assert_eq!(aqi(O3, 0.604, Some(Averaging::Hour1), t), 500);
        assert_eq!(aqi(Pm10, 54.0, None, t), 50);
        assert_eq!(aqi(Pm10, 155.0, None, t), 101);
        assert_eq!(aqi(Co, 4.4, None, t), 50);
        assert_eq!(aqi(Co, 50.4, None, t), 500);
        assert_eq!(aqi(So2, 35.0, None, t), 50);
        assert_eq!(aqi(So2, 304.0, None, t), 200);
        assert_eq!(aqi(So2, 305.0, Some(Averaging::Hour24), t), 201);
        assert_eq!(aqi(No2, 53.0, None, t), 50);
        assert_eq!(aqi(No2, 100.0, None, t), 100);
        assert_eq!(aqi(No2, 2049.0, None, t), 500);
        assert_eq!(aqi(No2, 1649.0, None, Table::Y2012), 400);
        assert_eq!(aqi(O3, 0.059, None, Table::Y2012), 50);
        assert_eq!(aqi(O3, 0.064, None, Table::Y1999), 50);
        assert_eq!(aqi(So2, 0.034, Some(Averaging::Hour24), Table::Y1999), 50);
        assert_eq!(aqi(No2, 0.65, None, Table::Y1999), 201);
    }

    #[test]
    fn units_are_converted_before_truncation() {
        // 70 ppb of ozone is 0.070 ppm: AQI 100.
        let r = compute(O3, 70.0, Unit::Ppb, None, Table::Y2024).unwrap();
        assert_eq!(r.aqi, 100);
        assert_eq!(r.unit, Unit::Ppm);
        // NO2 in µg/m³: 100 ppb ≈ 188.2 µg/m³.
        let r = compute(No2, 188.2, Unit::UgM3, None, Table::Y2024).unwrap();
        assert_eq!(r.concentration, 100.0);
    }

    #[test]
    fn undefined_requests_say_why() {
        let e = compute(O3, 0.25, Unit::Ppm, None, Table::Y2024).unwrap_err();
        assert!(e.to_string().contains("1-hour"), "{e}");
        let e = compute(O3, 0.1, Unit::Ppm, Some(Averaging::Hour1), Table::Y2024).unwrap_err();
        assert!(e.to_string().contains("8-hour"), "{e}");
        let e = compute(So2, 400.0, Unit::Ppb, None, Table::Y2024).unwrap_err();
        assert!(e.to_string().contains("24-hour"), "{e}");
        assert!(compute(Pm25, -1.0, Unit::UgM3, None, Table::Y2024).is_err());
        assert!(compute(Pm25, f64::NAN, Unit::UgM3, None, Table::Y2024).is_err());
        assert!(compute(Co, 1.0, Unit::Ppm, Some(Averaging::Hour1), Table::Y2024).is_err());
        assert!(compute(Nox, 1.0, Unit::Ppb, None, Table::Y2024).is_err());
    }

    #[test]
    fn beyond_the_index_extrapolates_and_says_so() {
        let r = compute(Pm25, 425.4, Unit::UgM3, None, Table::Y2024).unwrap();
        assert!(r.beyond_index);
        assert_eq!(r.category, Category::Hazardous);
        // Top line 225.5–325.4 → 301–500 has slope 199/99.9 per µg/m³.
        assert_eq!(r.aqi, 699);
        // Extrapolated up to 100 times the top (32,540 µg/m³); past it the value is
        // refused, never wrapped or saturated.
        let r = compute(Pm25, 32_540.0, Unit::UgM3, None, Table::Y2024).unwrap();
        assert!(r.beyond_index && r.aqi > 60_000, "{r:?}");
        assert_eq!(r.concentration, 32_540.0);
        for v in [32_541.0, 1e5, 1e18, 1e300] {
            let e = compute(Pm25, v, Unit::UgM3, None, Table::Y2024).unwrap_err();
            assert!(e.to_string().contains("far beyond the index"), "{v}: {e}");
        }
    }
}
