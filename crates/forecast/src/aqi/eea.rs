//! The European Air Quality Index of the European Environment Agency (the 2017 bands),
//! in µg/m³: PM as 24-hour running means, NO2, O3 and SO2 as hourly values.

use alloc::format;
use serde::{Deserialize, Serialize};

use crate::error::Num;
use crate::pollutant::{Pollutant, Unit};
use crate::Error;

/// The six EEA index levels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Level 1.
    Good,
    /// Level 2.
    Fair,
    /// Level 3.
    Moderate,
    /// Level 4.
    Poor,
    /// Level 5.
    VeryPoor,
    /// Level 6.
    ExtremelyPoor,
}

impl Level {
    /// Every level, best first.
    pub const ALL: [Level; 6] = [
        Level::Good,
        Level::Fair,
        Level::Moderate,
        Level::Poor,
        Level::VeryPoor,
        Level::ExtremelyPoor,
    ];

    /// 1 (good) to 6 (extremely poor).
    pub fn number(self) -> u8 {
        self as u8 + 1
    }

    /// The EEA's name of the level.
    pub fn name(self) -> &'static str {
        match self {
            Level::Good => "Good",
            Level::Fair => "Fair",
            Level::Moderate => "Moderate",
            Level::Poor => "Poor",
            Level::VeryPoor => "Very poor",
            Level::ExtremelyPoor => "Extremely poor",
        }
    }

    /// The EEA's health advice for the level: (general population, sensitive
    /// populations), in the EEA's words.
    pub fn health_advice(self) -> (&'static str, &'static str) {
        match self {
            Level::Good => (
                "The air quality is good. Enjoy your usual outdoor activities.",
                "The air quality is good. Enjoy your usual outdoor activities.",
            ),
            Level::Fair => (
                "Enjoy your usual outdoor activities.",
                "Enjoy your usual outdoor activities.",
            ),
            Level::Moderate => (
                "Enjoy your usual outdoor activities.",
                "Consider reducing intense outdoor activities, if you experience symptoms.",
            ),
            Level::Poor => (
                "Consider reducing intense activities outdoors, if you experience symptoms \
                 such as sore eyes, a cough or sore throat.",
                "Consider reducing physical activities, particularly outdoors, especially if \
                 you experience symptoms.",
            ),
            Level::VeryPoor => (
                "Consider reducing physical activities outdoors.",
                "Reduce physical activities outdoors.",
            ),
            Level::ExtremelyPoor => (
                "Reduce physical activities outdoors.",
                "Avoid physical activities outdoors.",
            ),
        }
    }

    /// The EEA's colour of the level.
    pub fn color(self) -> &'static str {
        match self {
            Level::Good => "#50F0E6",
            Level::Fair => "#50CCAA",
            Level::Moderate => "#F0E641",
            Level::Poor => "#FF5050",
            Level::VeryPoor => "#960032",
            Level::ExtremelyPoor => "#7D2181",
        }
    }
}

/// Upper bounds (exclusive) of levels 1–5, in µg/m³; level 6 is everything above.
fn bands(p: Pollutant) -> Result<[f64; 5], Error> {
    Ok(match p {
        Pollutant::Pm25 => [10.0, 20.0, 25.0, 50.0, 75.0],
        Pollutant::Pm10 => [20.0, 40.0, 50.0, 100.0, 150.0],
        Pollutant::No2 => [40.0, 90.0, 120.0, 230.0, 340.0],
        Pollutant::O3 => [50.0, 100.0, 130.0, 240.0, 380.0],
        Pollutant::So2 => [100.0, 200.0, 350.0, 500.0, 750.0],
        other => {
            return Err(Error::Aqi(format!(
                "the European AQI has no band for {}",
                other.label()
            )))
        }
    })
}

/// The European AQI level of a concentration given in `unit`.
pub fn level(p: Pollutant, value: f64, unit: Unit) -> Result<Level, Error> {
    if !value.is_finite() || value < 0.0 {
        return Err(Error::Aqi(format!(
            "{} concentration {} is not a valid concentration (must be finite and ≥ 0)",
            p.label(),
            Num(value)
        )));
    }
    let b = bands(p)?;
    let ug = p.convert(value, unit, Unit::UgM3)?;
    let i = b.iter().position(|&hi| ug < hi).unwrap_or(5);
    Ok(Level::ALL[i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands() {
        let ug = Unit::UgM3;
        assert_eq!(level(Pollutant::Pm25, 9.9, ug).unwrap(), Level::Good);
        assert_eq!(level(Pollutant::Pm25, 10.0, ug).unwrap(), Level::Fair);
        assert_eq!(level(Pollutant::No2, 230.0, ug).unwrap(), Level::VeryPoor);
        assert_eq!(
            level(Pollutant::O3, 1000.0, ug).unwrap(),
            Level::ExtremelyPoor
        );
        assert_eq!(level(Pollutant::So2, 0.0, ug).unwrap().number(), 1);
        // 50 ppb of NO2 is about 94 µg/m³: moderate.
        assert_eq!(
            level(Pollutant::No2, 50.0, Unit::Ppb).unwrap(),
            Level::Moderate
        );
        assert!(level(Pollutant::Co, 1.0, ug).is_err());
        assert!(level(Pollutant::Pm10, -1.0, ug).is_err());
    }
}
