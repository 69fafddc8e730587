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
    /// A colour-vision-assist palette: six steps of the magma ramp (van der Walt and
    /// Smith's, matplotlib's), pale yellow to deep purple, lightness and hue each moving
    /// one way, so the categories read as an order with protanopia, deuteranopia and
    /// tritanopia as with full colour vision.
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
                Category::Good => "#FCFDBF",
                Category::Moderate => "#FEC287",
                Category::UnhealthyForSensitiveGroups => "#FB8861",
                Category::Unhealthy => "#B63679",
                Category::VeryUnhealthy => "#721F81",
                Category::Hazardous => "#221150",
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

impl Category {
    /// What to do, in the words of EPA's Air Quality Guides (AirNow's "What should I do?",
    /// e.g. EPA-456/F-15-005 for particle pollution): (everyone, sensitive groups). At
    /// Good both are the same.
    pub fn activity_guide(self) -> (&'static str, &'static str) {
        match self {
            Category::Good => (
                "It's a great day to be active outside.",
                "It's a great day to be active outside.",
            ),
            Category::Moderate => (
                "It's a good day to be active outside.",
                "Unusually sensitive people: consider reducing prolonged or heavy exertion. \
                 Watch for symptoms such as coughing or shortness of breath.",
            ),
            Category::UnhealthyForSensitiveGroups => (
                "It's a good day to be active outside; the general public is less likely to \
                 be affected.",
                "Reduce prolonged or heavy exertion. It's OK to be active outside, but take \
                 more breaks and do less intense activities.",
            ),
            Category::Unhealthy => (
                "Reduce prolonged or heavy exertion. Take more breaks during outdoor activities.",
                "Avoid prolonged or heavy exertion. Consider moving activities indoors or \
                 rescheduling.",
            ),
            Category::VeryUnhealthy => (
                "Avoid prolonged or heavy exertion. Consider moving activities indoors or \
                 rescheduling to a time when air quality is better.",
                "Avoid all physical activity outdoors. Move activities indoors or reschedule \
                 to a time when air quality is better.",
            ),
            Category::Hazardous => (
                "Avoid all physical activity outdoors.",
                "Remain indoors and keep activity levels low.",
            ),
        }
    }
}

/// The category (1 best to 6) from which sensitive groups are told to act, on both
/// scales: EPA's "Unhealthy for Sensitive Groups", the EEA's "Moderate". What bad-air
/// feeds and alerts start from unless a subscriber says otherwise.
pub const ACT_FROM: u8 = 3;

/// What to do at a category, in the words of the scale's agency: for everyone, and for
/// sensitive groups when the agency says something else for them.
#[derive(Clone, Debug, PartialEq)]
pub struct Advice {
    /// For everyone.
    pub everyone: &'static str,
    /// For sensitive groups, when it differs.
    pub sensitive: Option<&'static str>,
    /// Whose words they are.
    pub source: &'static str,
}

/// What to do at `category` of `scale`: EPA's Air Quality Guide ("What should I do?"), or
/// the EEA's health advice for the general and the sensitive population.
pub fn advice(scale: Scale, category: u8) -> Advice {
    let (everyone, sensitive, source) = match scale {
        Scale::Epa => {
            let (e, s) = Category::ALL[usize::from(category).min(5)].activity_guide();
            (e, s, "US EPA, Air Quality Guide")
        }
        Scale::Eea => {
            let (e, s) = eea::Level::ALL[usize::from(category).min(5)].health_advice();
            (
                e,
                s,
                "European Environment Agency, European Air Quality Index",
            )
        }
    };
    Advice {
        everyone,
        sensitive: (sensitive != everyone).then_some(sensitive),
        source,
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
    fn act_from_names_the_category_where_sensitive_groups_act_on_both_scales() {
        let i = usize::from(ACT_FROM - 1);
        assert_eq!(Category::ALL[i].name(), "Unhealthy for Sensitive Groups");
        assert_eq!(eea::Level::ALL[i].name(), "Moderate");
    }

    /// CIELAB lightness L* and hue angle (degrees) of `#RRGGBB` (sRGB, D65).
    fn lightness_and_hue(hex: &str) -> (f64, f64) {
        let c = |i: usize| {
            let v = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).unwrap()) / 255.0;
            if v <= 0.040_45 {
                v / 12.92
            } else {
                libm::pow((v + 0.055) / 1.055, 2.4)
            }
        };
        let (r, g, b) = (c(1), c(3), c(5));
        let x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.950_47;
        let y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
        let z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.088_83;
        let f = |t: f64| {
            if t > 0.008_856 {
                libm::cbrt(t)
            } else {
                7.787 * t + 16.0 / 116.0
            }
        };
        let (l, a, bb) = (
            116.0 * f(y) - 16.0,
            500.0 * (f(x) - f(y)),
            200.0 * (f(y) - f(z)),
        );
        (l, libm::atan2(bb, a).to_degrees())
    }

    #[test]
    fn the_colour_vision_palette_is_an_order_in_lightness_and_hue() {
        let lh: Vec<(f64, f64)> = Category::ALL
            .iter()
            .map(|c| lightness_and_hue(c.color(Palette::ColorVisionAssist)))
            .collect();
        // Hue unwrapped from the first colour's: it must turn one way only.
        let mut unwrapped = vec![lh[0].1];
        for w in lh.windows(2) {
            let mut d = w[1].1 - w[0].1;
            if d > 180.0 {
                d -= 360.0;
            } else if d < -180.0 {
                d += 360.0;
            }
            unwrapped.push(unwrapped.last().unwrap() + d);
        }
        for i in 1..6 {
            assert!(
                lh[i].0 < lh[i - 1].0 - 8.0,
                "lightness falls by steps: {lh:?}"
            );
            assert!(
                unwrapped[i] < unwrapped[i - 1],
                "hue turns one way: {unwrapped:?}"
            );
        }
    }

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
