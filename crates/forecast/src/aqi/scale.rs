//! The two scales a concentration is rated on (the US EPA AQI and the European AQI):
//! one function to rate a value, the categories of each scale, best first. The forecast,
//! the AQI now, the station list and the dashboard all rate through [`rate`].

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{eea, epa, Category, Palette};
use crate::pollutant::{Pollutant, Unit};
use crate::Error;

/// An AQI scale.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scale {
    /// The US EPA AQI (2024 table), at the pollutant's usual averaging period.
    Epa,
    /// The European Air Quality Index (EEA bands).
    Eea,
}

impl FromStr for Scale {
    type Err = Error;
    fn from_str(s: &str) -> Result<Scale, Error> {
        match s.trim().to_ascii_lowercase().as_str() {
            "epa" => Ok(Scale::Epa),
            "eea" => Ok(Scale::Eea),
            _ => Err(Error::Aqi(format!(
                "unknown AQI scale \"{s}\"; expected epa or eea"
            ))),
        }
    }
}

/// A category of a scale.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CategoryInfo {
    /// The scale's name of it.
    pub name: String,
    /// The scale's colour (`#RRGGBB`).
    pub color: String,
}

/// The AQI value and category index of a concentration (≥ 0) on a scale.
pub fn rate(p: Pollutant, unit: Unit, scale: Scale, value: f64) -> Result<(u32, u8), Error> {
    match scale {
        Scale::Epa => {
            let r = epa::compute(p, value, unit, None, epa::Table::Y2024)?;
            Ok((r.aqi, r.category as u8))
        }
        Scale::Eea => {
            let l = eea::level(p, value, unit)?;
            Ok((u32::from(l.number()), l as u8))
        }
    }
}

/// The categories of a scale, best first.
pub fn categories(scale: Scale) -> Vec<CategoryInfo> {
    match scale {
        Scale::Epa => Category::ALL
            .iter()
            .map(|c| CategoryInfo {
                name: c.name().into(),
                color: c.color(Palette::Epa).into(),
            })
            .collect(),
        Scale::Eea => eea::Level::ALL
            .iter()
            .map(|l| CategoryInfo {
                name: l.name().into(),
                color: l.color().into(),
            })
            .collect(),
    }
}

/// Checks that a scale rates a pollutant in a unit (some pairs have no table).
pub fn check_scale(p: Pollutant, unit: Unit, scale: Scale) -> Result<(), Error> {
    rate(p, unit, scale, 0.0).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eea_categories_and_rates() {
        let c = categories(Scale::Eea);
        assert_eq!(c.len(), 6);
        assert_eq!(c[0].name, "Good");
        assert_eq!(
            rate(Pollutant::No2, Unit::UgM3, Scale::Eea, 95.0).unwrap(),
            (3, 2)
        );
        assert_eq!(
            rate(Pollutant::Pm25, Unit::UgM3, Scale::Epa, 35.5)
                .unwrap()
                .1,
            Category::UnhealthyForSensitiveGroups as u8
        );
        assert!(check_scale(Pollutant::Co, Unit::Ppm, Scale::Eea).is_err());
    }
}
