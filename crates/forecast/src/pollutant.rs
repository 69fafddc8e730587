//! Pollutants, their units, and conversions between units.
//!
//! Gas conversions use the molar volume of an ideal gas at 25 °C and 1 atm,
//! 24.45 L/mol, as EPA does: `µg/m³ = ppb × M / 24.45` with `M` the molar mass in g/mol.

use core::fmt;
use core::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Error;

/// Molar volume of an ideal gas at 25 °C and 1 atm, in litres per mole.
pub const MOLAR_VOLUME_L: f64 = 24.45;

/// An air pollutant aqcast knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Pollutant {
    /// Fine particulate matter (≤ 2.5 µm).
    #[serde(rename = "pm2.5")]
    Pm25,
    /// Coarse particulate matter (≤ 10 µm).
    Pm10,
    /// Ozone.
    O3,
    /// Carbon monoxide.
    Co,
    /// Sulphur dioxide.
    So2,
    /// Nitrogen dioxide.
    No2,
    /// Nitrogen oxides (NO + NO2, expressed as NO2).
    Nox,
}

impl Pollutant {
    /// Every pollutant, in a fixed order.
    pub const ALL: [Pollutant; 7] = [
        Pollutant::Pm25,
        Pollutant::Pm10,
        Pollutant::O3,
        Pollutant::Co,
        Pollutant::So2,
        Pollutant::No2,
        Pollutant::Nox,
    ];

    /// The lower-case identifier used on the command line and in JSON (`pm2.5`, `o3`, …).
    pub fn id(self) -> &'static str {
        match self {
            Pollutant::Pm25 => "pm2.5",
            Pollutant::Pm10 => "pm10",
            Pollutant::O3 => "o3",
            Pollutant::Co => "co",
            Pollutant::So2 => "so2",
            Pollutant::No2 => "no2",
            Pollutant::Nox => "nox",
        }
    }

    /// The name people read (`PM2.5`, `O₃` is written `O3`).
    pub fn label(self) -> &'static str {
        match self {
            Pollutant::Pm25 => "PM2.5",
            Pollutant::Pm10 => "PM10",
            Pollutant::O3 => "O3",
            Pollutant::Co => "CO",
            Pollutant::So2 => "SO2",
            Pollutant::No2 => "NO2",
            Pollutant::Nox => "NOx",
        }
    }

    /// Molar mass in g/mol for gases; `None` for particulate matter.
    pub fn molar_mass(self) -> Option<f64> {
        match self {
            Pollutant::O3 => Some(47.997),
            Pollutant::Co => Some(28.010),
            Pollutant::So2 => Some(64.066),
            Pollutant::No2 | Pollutant::Nox => Some(46.0055),
            Pollutant::Pm25 | Pollutant::Pm10 => None,
        }
    }

    /// The unit aqcast stores this pollutant in: µg/m³ for PM, ppm for CO, ppb for other gases.
    pub fn canonical_unit(self) -> Unit {
        match self {
            Pollutant::Pm25 | Pollutant::Pm10 => Unit::UgM3,
            Pollutant::Co => Unit::Ppm,
            _ => Unit::Ppb,
        }
    }

    /// Converts `value` in unit `from` to unit `to` for this pollutant.
    ///
    /// Mass concentrations of particulate matter cannot be expressed as mixing ratios, so
    /// asking for ppm/ppb of PM is an error; so is any conversion of a non-finite value.
    pub fn convert(self, value: f64, from: Unit, to: Unit) -> Result<f64, Error> {
        if from == to {
            return Ok(value);
        }
        // Everything goes through ppb (gases) or µg/m³ (everything).
        let ug = match from {
            Unit::UgM3 => value,
            Unit::MgM3 => value * 1000.0,
            Unit::Ppb | Unit::Ppm => {
                let m = self.molar_mass().ok_or_else(|| self.no_mixing_ratio())?;
                let ppb = if from == Unit::Ppm {
                    value * 1000.0
                } else {
                    value
                };
                ppb * m / MOLAR_VOLUME_L
            }
        };
        Ok(match to {
            Unit::UgM3 => ug,
            Unit::MgM3 => ug / 1000.0,
            Unit::Ppb | Unit::Ppm => {
                let m = self.molar_mass().ok_or_else(|| self.no_mixing_ratio())?;
                // Avoid a µg/m³ round trip between ppb and ppm: it is exact by a factor 1000.
                let ppb = match from {
                    Unit::Ppb => value,
                    Unit::Ppm => value * 1000.0,
                    _ => ug * MOLAR_VOLUME_L / m,
                };
                if to == Unit::Ppm {
                    ppb / 1000.0
                } else {
                    ppb
                }
            }
        })
    }

    fn no_mixing_ratio(self) -> Error {
        Error::Aqi(alloc::format!(
            "{} is particulate matter: it has no ppm/ppb form; use µg/m³",
            self.label()
        ))
    }
}

impl fmt::Display for Pollutant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for Pollutant {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        let k: alloc::string::String = s
            .chars()
            .filter(|c| !matches!(c, '_' | '-' | ' ' | '.'))
            .map(|c| c.to_ascii_lowercase())
            .collect();
        Ok(match k.as_str() {
            "pm25" => Pollutant::Pm25,
            "pm10" => Pollutant::Pm10,
            "o3" | "ozone" => Pollutant::O3,
            "co" => Pollutant::Co,
            "so2" => Pollutant::So2,
            "no2" => Pollutant::No2,
            "nox" => Pollutant::Nox,
            _ => {
                return Err(Error::Aqi(alloc::format!(
                    "unknown pollutant \"{s}\"; expected one of pm2.5, pm10, o3, co, so2, no2, nox"
                )))
            }
        })
    }
}

/// A concentration unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Unit {
    /// Micrograms per cubic metre.
    #[serde(rename = "µg/m³")]
    UgM3,
    /// Milligrams per cubic metre.
    #[serde(rename = "mg/m³")]
    MgM3,
    /// Parts per billion (by volume).
    #[serde(rename = "ppb")]
    Ppb,
    /// Parts per million (by volume).
    #[serde(rename = "ppm")]
    Ppm,
}

impl Unit {
    /// The symbol, as written in reports.
    pub fn symbol(self) -> &'static str {
        match self {
            Unit::UgM3 => "µg/m³",
            Unit::MgM3 => "mg/m³",
            Unit::Ppb => "ppb",
            Unit::Ppm => "ppm",
        }
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

impl FromStr for Unit {
    type Err = Error;
    /// Accepts the spellings found in EPA, AirNow, OpenAQ and AURN files
    /// (`Micrograms/cubic meter (LC)`, `ug/m3 LC`, `UG/M3`, `µg/m³`, `ppb`, `Parts per
    /// million`, …).
    fn from_str(s: &str) -> Result<Self, Error> {
        let k: alloc::string::String = s
            .trim()
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        let k = k.split('(').next().unwrap_or("");
        // EPA AirData writes `ug/m3 LC` and `ug/m3 SC` (local and standard conditions).
        let k = k
            .strip_suffix("lc")
            .or_else(|| k.strip_suffix("sc"))
            .unwrap_or(k);
        Ok(match k {
            "µg/m³" | "µg/m3" | "μg/m³" | "μg/m3" | "ug/m3" | "ug/m³" | "micrograms/cubicmeter" => {
                Unit::UgM3
            }
            "mg/m3" | "mg/m³" | "milligrams/cubicmeter" => Unit::MgM3,
            "ppb" | "partsperbillion" => Unit::Ppb,
            "ppm" | "partspermillion" => Unit::Ppm,
            _ => {
                return Err(Error::Aqi(alloc::format!(
                    "unknown unit \"{s}\"; expected µg/m³ (ug/m3), mg/m³, ppb or ppm"
                )))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_match_epa_factors() {
        // EPA's commonly quoted factors at 25 °C: 1 ppb NO2 = 1.88 µg/m³, O3 1.96, SO2 2.62.
        let no2 = Pollutant::No2.convert(1.0, Unit::Ppb, Unit::UgM3).unwrap();
        assert!((no2 - 1.8816).abs() < 1e-3, "{no2}");
        let o3 = Pollutant::O3.convert(1.0, Unit::Ppb, Unit::UgM3).unwrap();
        assert!((o3 - 1.963).abs() < 1e-3, "{o3}");
        let so2 = Pollutant::So2.convert(1.0, Unit::Ppb, Unit::UgM3).unwrap();
        assert!((so2 - 2.620).abs() < 1e-3, "{so2}");
        // 1 ppm CO = 1.1456 mg/m³.
        let co = Pollutant::Co.convert(1.0, Unit::Ppm, Unit::MgM3).unwrap();
        assert!((co - 1.1456).abs() < 1e-3, "{co}");
    }

    #[test]
    fn round_trips_and_errors() {
        for p in [Pollutant::O3, Pollutant::No2, Pollutant::So2, Pollutant::Co] {
            let ug = p.convert(42.0, Unit::Ppb, Unit::UgM3).unwrap();
            let back = p.convert(ug, Unit::UgM3, Unit::Ppb).unwrap();
            assert!((back - 42.0).abs() < 1e-9);
            assert_eq!(p.convert(0.07, Unit::Ppm, Unit::Ppb).unwrap(), 70.0);
        }
        assert!(Pollutant::Pm25.convert(1.0, Unit::UgM3, Unit::Ppb).is_err());
        assert_eq!(
            Pollutant::Pm25
                .convert(1.0, Unit::MgM3, Unit::UgM3)
                .unwrap(),
            1000.0
        );
    }

    #[test]
    fn parses_names_and_units_from_real_files() {
        assert_eq!("PM2.5".parse::<Pollutant>().unwrap(), Pollutant::Pm25);
        assert_eq!("pm25".parse::<Pollutant>().unwrap(), Pollutant::Pm25);
        assert_eq!("OZONE".parse::<Pollutant>().unwrap(), Pollutant::O3);
        assert!("benzene".parse::<Pollutant>().is_err());
        assert_eq!(
            "Micrograms/cubic meter (LC)".parse::<Unit>().unwrap(),
            Unit::UgM3
        );
        assert_eq!("Parts per million".parse::<Unit>().unwrap(), Unit::Ppm);
        assert_eq!("UG/M3".parse::<Unit>().unwrap(), Unit::UgM3);
        assert_eq!("PPB".parse::<Unit>().unwrap(), Unit::Ppb);
    }
}
