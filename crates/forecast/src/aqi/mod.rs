//! Air Quality Index: the US EPA AQI ([`epa`]), the NowCast ([`nowcast`]), the
//! European Air Quality Index ([`eea`]), the scale a value is rated on ([`scale`]) and
//! the AQI now from recent measurements ([`current`]).
//!
//! EPA's AQI is computed exactly as its Technical Assistance Document states: the
//! concentration is first truncated to the table's precision, then the index is the linear
//! interpolation `(Ihi − Ilo)/(BPhi − BPlo) × (C − BPlo) + Ilo` rounded to the nearest
//! integer. Breakpoints and concentrations are held as integers in units of that precision,
//! so the arithmetic is exact and no floating-point error can move a value across a
//! category boundary or a rounding half.

pub mod current;
pub mod eea;
pub mod epa;
pub mod nowcast;
pub mod scale;

use serde::{Deserialize, Serialize};

use crate::pollutant::Pollutant;

pub use epa::{compute, default_unit, dominant, Averaging, Reading, Table};
pub use scale::{categories, check_scale, rate, CategoryInfo, Scale};

/// The six EPA AQI categories.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// 0–50.
    Good,
    /// 51–100.
    Moderate,
    /// 101–150.
    UnhealthyForSensitiveGroups,
    /// 151–200.
    Unhealthy,
    /// 201–300.
    VeryUnhealthy,
    /// 301 and above.
    Hazardous,
}

/// Which colours to use for categories.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Palette {
    /// EPA's official AQI colours.
    #[default]
    Epa,
    /// A colour-vision-assist palette (Okabe–Ito hues, ordered by lightness so that the
    /// order of categories stays readable with protanopia, deuteranopia and tritanopia).
    ColorVisionAssist,
}

impl Category {
    /// All categories, from best to worst.
    pub const ALL: [Category; 6] = [
        Category::Good,
        Category::Moderate,
        Category::UnhealthyForSensitiveGroups,
        Category::Unhealthy,
        Category::VeryUnhealthy,
        Category::Hazardous,
    ];

    /// The category of an AQI value.
    pub fn of(aqi: u32) -> Category {
        match aqi {
            0..=50 => Category::Good,
            51..=100 => Category::Moderate,
            101..=150 => Category::UnhealthyForSensitiveGroups,
            151..=200 => Category::Unhealthy,
            201..=300 => Category::VeryUnhealthy,
            _ => Category::Hazardous,
        }
    }

    /// The AQI range of the category (the last one is open: 301 and up).
    pub fn range(self) -> (u32, u32) {
        match self {
            Category::Good => (0, 50),
            Category::Moderate => (51, 100),
            Category::UnhealthyForSensitiveGroups => (101, 150),
            Category::Unhealthy => (151, 200),
            Category::VeryUnhealthy => (201, 300),
            Category::Hazardous => (301, 500),
        }
    }

    /// EPA's name of the category.
    pub fn name(self) -> &'static str {
        match self {
            Category::Good => "Good",
            Category::Moderate => "Moderate",
            Category::UnhealthyForSensitiveGroups => "Unhealthy for Sensitive Groups",
            Category::Unhealthy => "Unhealthy",
            Category::VeryUnhealthy => "Very Unhealthy",
            Category::Hazardous => "Hazardous",
        }
    }

    /// The category's colour as `#RRGGBB`.
    pub fn color(self, palette: Palette) -> &'static str {
        match palette {
            Palette::Epa => match self {
                Category::Good => "#00E400",
                Category::Moderate => "#FFFF00",
                Category::UnhealthyForSensitiveGroups => "#FF7E00",
                Category::Unhealthy => "#FF0000",
                Category::VeryUnhealthy => "#8F3F97",
                Category::Hazardous => "#7E0023",
            },
            Palette::ColorVisionAssist => match self {
                Category::Good => "#F0E442",
                Category::Moderate => "#E69F00",
                Category::UnhealthyForSensitiveGroups => "#56B4E9",
                Category::Unhealthy => "#009E73",
                Category::VeryUnhealthy => "#0072B2",
                Category::Hazardous => "#000000",
            },
        }
    }

    /// EPA's general health message for the category.
    pub fn health_message(self) -> &'static str {
        match self {
            Category::Good => {
                "Air quality is satisfactory, and air pollution poses little or no risk."
            }
            Category::Moderate => {
                "Air quality is acceptable. However, there may be a risk for some people, \
                 particularly those who are unusually sensitive to air pollution."
            }
            Category::UnhealthyForSensitiveGroups => {
                "Members of sensitive groups may experience health effects. \
                 The general public is less likely to be affected."
            }
            Category::Unhealthy => {
                "Some members of the general public may experience health effects; members of \
                 sensitive groups may experience more serious health effects."
            }
            Category::VeryUnhealthy => {
                "Health alert: The risk of health effects is increased for everyone."
            }
            Category::Hazardous => {
                "Health warning of emergency conditions: everyone is more likely to be affected."
            }
        }
    }
}

/// The groups EPA names as sensitive to a pollutant.
pub fn sensitive_groups(p: Pollutant) -> &'static str {
    match p {
        Pollutant::O3 => {
            "People with lung disease such as asthma, children, older adults, people who are \
             active outdoors (including outdoor workers), people with certain genetic variants, \
             and people with diets limited in certain nutrients"
        }
        Pollutant::Pm25 | Pollutant::Pm10 => {
            "People with heart or lung disease, older adults, children, and people of lower \
             socioeconomic status"
        }
        Pollutant::Co => "People with heart disease",
        Pollutant::So2 | Pollutant::No2 | Pollutant::Nox => {
            "People with asthma or other lung diseases, children, and older adults"
        }
    }
}

/// Truncates `value` to `decimals` decimal places and returns it as an integer count of
/// `10^-decimals` units (e.g. 0.07853 ppm at 3 decimals is 78).
///
/// A relative tolerance of 1e-9 absorbs binary representation error (0.054 is stored as
/// 0.0539999…), so a value written with the table's precision truncates to itself.
pub(crate) fn truncate_units(value: f64, decimals: u32) -> i64 {
    let scaled = value * libm::pow(10.0, decimals as f64);
    libm::floor(scaled + libm::fabs(scaled) * 1e-9 + 1e-9) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_cover_the_index() {
        assert_eq!(Category::of(0), Category::Good);
        assert_eq!(Category::of(50), Category::Good);
        assert_eq!(Category::of(51), Category::Moderate);
        assert_eq!(Category::of(150), Category::UnhealthyForSensitiveGroups);
        assert_eq!(Category::of(301), Category::Hazardous);
        assert_eq!(Category::of(999), Category::Hazardous);
        for c in Category::ALL {
            let (lo, hi) = c.range();
            assert_eq!(Category::of(lo), c);
            assert_eq!(Category::of(hi), c);
        }
    }

    #[test]
    fn truncation_is_exact_at_table_precision() {
        assert_eq!(truncate_units(0.07853, 3), 78);
        assert_eq!(truncate_units(0.054, 3), 54);
        assert_eq!(truncate_units(35.9, 1), 359);
        assert_eq!(truncate_units(9.0999, 1), 90);
        assert_eq!(truncate_units(54.9, 0), 54);
        assert_eq!(truncate_units(0.0, 1), 0);
    }
}
