//! What a measured value is: the variables aqcast knows (pollutants, the weather), the
//! name a column or parameter gives them, the units their values come in, how those
//! become the canonical unit, and the physical bounds a value must lie in. One set of
//! rules for every way values come in: files and feeds (`aqcast-store`), and pushes to
//! the edge worker.
//!
//! Canonical units: pollutants as `aqcast_core::pollutant` says (µg/m³ for PM, ppb for
//! O3/NO2/SO2/NOx, ppm for CO, converted at 25 °C and 1 atm, 24.45 L/mol, as EPA does);
//! wind speed m/s (1 knot = 0.514444 m/s, 1 mph = 0.44704 m/s); wind direction degrees;
//! temperature °C (from °F: (F − 32) · 5/9); relative humidity %; pressure hPa (= mb).

use alloc::format;
use alloc::string::String;
use core::str::FromStr;

use crate::pollutant::{Pollutant, Unit};

/// Why a value cannot be taken as the variable it claims to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Refusal {
    /// A concentration below zero.
    Negative,
    /// Outside what the variable can physically be ([`bounds`]), or overflowing when
    /// converted to the canonical unit.
    Implausible,
    /// A unit the variable cannot be converted from.
    UnknownUnit,
}

impl Refusal {
    /// The stable name (what quarantine files and API errors say).
    pub fn name(self) -> &'static str {
        match self {
            Refusal::Negative => "negative concentration",
            Refusal::Implausible => "beyond physical bounds",
            Refusal::UnknownUnit => "unknown unit",
        }
    }
}

/// Meteorological variables aqcast knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Met {
    /// Wind speed, m/s.
    WindSpeed,
    /// Wind direction, degrees.
    WindDirection,
    /// Air temperature, °C.
    Temperature,
    /// Relative humidity, %.
    Humidity,
    /// Air pressure, hPa.
    Pressure,
}

/// A variable of the store.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Variable {
    /// A pollutant, stored in its canonical unit.
    Pollutant(Pollutant),
    /// A meteorological variable, stored in its canonical unit.
    Met(Met),
    /// Any other numeric column, stored as given under its own name.
    Other(String),
}

impl Variable {
    /// The name in the store (`no2`, `pm2.5`, `ws`, `wd`, `temp`, `rh`, `pressure`, or the
    /// column's own name).
    pub fn name(&self) -> &str {
        match self {
            Variable::Pollutant(p) => p.id(),
            Variable::Met(Met::WindSpeed) => "ws",
            Variable::Met(Met::WindDirection) => "wd",
            Variable::Met(Met::Temperature) => "temp",
            Variable::Met(Met::Humidity) => "rh",
            Variable::Met(Met::Pressure) => "pressure",
            Variable::Other(s) => s,
        }
    }

    /// The unit the store keeps it in (`None` for other columns, kept as given).
    pub fn unit(&self) -> Option<&'static str> {
        match self {
            Variable::Pollutant(p) => Some(p.canonical_unit().symbol()),
            Variable::Met(Met::WindSpeed) => Some("m/s"),
            Variable::Met(Met::WindDirection) => Some("degrees"),
            Variable::Met(Met::Temperature) => Some("°C"),
            Variable::Met(Met::Humidity) => Some("%"),
            Variable::Met(Met::Pressure) => Some("hPa"),
            Variable::Other(_) => None,
        }
    }

    /// Pollutant concentrations cannot be negative; other variables can.
    pub fn is_concentration(&self) -> bool {
        matches!(self, Variable::Pollutant(_))
    }
}

/// The variable of an EPA AQS parameter code.
pub fn aqs_parameter(code: &[u8]) -> Option<Variable> {
    Some(match code {
        b"44201" => Variable::Pollutant(Pollutant::O3),
        b"42401" => Variable::Pollutant(Pollutant::So2),
        b"42101" => Variable::Pollutant(Pollutant::Co),
        b"42602" => Variable::Pollutant(Pollutant::No2),
        b"42603" => Variable::Pollutant(Pollutant::Nox),
        b"88101" | b"88502" => Variable::Pollutant(Pollutant::Pm25),
        b"81102" => Variable::Pollutant(Pollutant::Pm10),
        b"61101" | b"61103" => Variable::Met(Met::WindSpeed),
        b"61102" | b"61104" => Variable::Met(Met::WindDirection),
        b"62101" => Variable::Met(Met::Temperature),
        b"62201" => Variable::Met(Met::Humidity),
        b"64101" => Variable::Met(Met::Pressure),
        _ => return None,
    })
}

/// The pollutant an EPA pre-generated file is about, from its name
/// (`hourly_44201_2023.csv` → O3, `daily_88101_2024.csv.gz` → PM2.5).
pub fn pollutant_from_file_name(name: &str) -> Option<Variable> {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .find_map(|part| {
            (part.len() == 5)
                .then(|| aqs_parameter(part.as_bytes()))
                .flatten()
        })
}

/// The variable of a column or parameter name (AURN/openair columns, AirNow and OpenAQ
/// parameter names), case-insensitive.
pub fn named(name: &str) -> Option<Variable> {
    if let Some(stem) = name.trim().strip_suffix(VERIFICATION) {
        return match named(stem)? {
            Variable::Pollutant(p) => Some(Variable::Other(format!("{}{VERIFICATION}", p.id()))),
            _ => None,
        };
    }
    let k: String = name
        .trim()
        .chars()
        .filter(|c| !matches!(c, '_' | '-' | ' ' | '.'))
        .map(|c| c.to_ascii_lowercase())
        .collect();
    Some(match k.as_str() {
        "ws" | "windspeed" | "wsp" => Variable::Met(Met::WindSpeed),
        "wd" | "winddirection" | "wdr" => Variable::Met(Met::WindDirection),
        "temp" | "airtemp" | "temperature" | "t" => Variable::Met(Met::Temperature),
        "rh" | "rhum" | "relativehumidity" | "humidity" => Variable::Met(Met::Humidity),
        "pressure" | "barpr" | "press" => Variable::Met(Met::Pressure),
        "ozone" => Variable::Pollutant(Pollutant::O3),
        _ => Variable::Pollutant(Pollutant::from_str(&k).ok()?),
    })
}

/// The suffix of a quality flag's series: `no2.verification` holds, beside each NO2
/// value, the source's verification code (the EEA's: 1 verified, 2 preliminary verified,
/// 3 not verified). Kept in the store, not published.
pub const VERIFICATION: &str = ".verification";

/// Whether a stored variable is a quality flag rather than a measurement.
pub fn is_flag(name: &str) -> bool {
    name.ends_with(VERIFICATION)
}

/// The unit a column is in when the file does not say: openair/AURN convention, where
/// gases are in µg/m³ and CO in mg/m³.
pub fn aurn_unit(v: &Variable) -> Option<Unit> {
    match v {
        Variable::Pollutant(Pollutant::Co) => Some(Unit::MgM3),
        Variable::Pollutant(_) => Some(Unit::UgM3),
        _ => None,
    }
}

/// A unit as written in a file, parsed once and reused while the text does not change.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum UnitText {
    /// A concentration unit.
    Concentration(Unit),
    /// Degrees Fahrenheit.
    Fahrenheit,
    /// Degrees Celsius.
    Celsius,
    /// Knots.
    Knots,
    /// Miles per hour.
    Mph,
    /// Metres per second.
    MetresPerSecond,
    /// Units that need no conversion (degrees, percent, millibars, hPa).
    AsIs,
}

/// Parses a unit as EPA, AirNow and OpenAQ write it.
pub fn parse_unit(text: &str) -> Option<UnitText> {
    if let Ok(u) = Unit::from_str(text) {
        return Some(UnitText::Concentration(u));
    }
    let k: String = text
        .trim()
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '°')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    Some(match k.as_str() {
        "degreesfahrenheit" | "f" | "degf" => UnitText::Fahrenheit,
        "degreescentigrade" | "degreescelsius" | "c" | "degc" => UnitText::Celsius,
        "knots" | "knot" | "kt" => UnitText::Knots,
        "mph" | "milesperhour" => UnitText::Mph,
        "m/s" | "meterspersecond" | "metrespersecond" | "ms-1" => UnitText::MetresPerSecond,
        "degreescompass"
        | "degrees"
        | "deg"
        | "percent"
        | "percentrelativehumidity"
        | "%"
        | "millibar"
        | "millibars"
        | "mb"
        | "hpa" => UnitText::AsIs,
        _ => return None,
    })
}

/// Converts `value` of `variable` from `unit` (None: already canonical) to the canonical
/// unit; refuses negative concentrations.
pub fn to_canonical(
    variable: &Variable,
    value: f64,
    unit: Option<UnitText>,
) -> Result<f64, Refusal> {
    let v = match (variable, unit) {
        (_, None) => value,
        (Variable::Pollutant(p), Some(UnitText::Concentration(u))) => p
            .convert(value, u, p.canonical_unit())
            .map_err(|_| Refusal::UnknownUnit)?,
        (Variable::Pollutant(_), Some(_)) => return Err(Refusal::UnknownUnit),
        (Variable::Met(Met::Temperature), Some(UnitText::Fahrenheit)) => (value - 32.0) * 5.0 / 9.0,
        (Variable::Met(Met::Temperature), Some(UnitText::Celsius)) => value,
        (Variable::Met(Met::WindSpeed), Some(UnitText::Knots)) => value * 0.514_444,
        (Variable::Met(Met::WindSpeed), Some(UnitText::Mph)) => value * 0.447_04,
        (Variable::Met(Met::WindSpeed), Some(UnitText::MetresPerSecond)) => value,
        (
            Variable::Met(Met::WindDirection | Met::Humidity | Met::Pressure),
            Some(UnitText::AsIs),
        ) => value,
        (Variable::Other(_), Some(_)) => value,
        (Variable::Met(_), Some(_)) => return Err(Refusal::UnknownUnit),
    };
    if variable.is_concentration() && v < 0.0 {
        return Err(Refusal::Negative);
    }
    // Checked after converting: a finite value can overflow in the conversion.
    if !v.is_finite() || !bounds(variable).is_none_or(|(lo, hi)| (lo..=hi).contains(&v)) {
        return Err(Refusal::Implausible);
    }
    Ok(v)
}

/// The physically possible range of a variable in its canonical unit, far beyond any
/// measurement of ambient air (a value outside is an error in the file, not weather):
/// PM 0–50,000 µg/m³ (dust storms reach a few thousand), O3 0–5,000 ppb, NO2 and NOx
/// 0–20,000 ppb, SO2 0–100,000 ppb (volcanic plumes), CO 0–1,000 ppm; temperature
/// −100–70 °C, wind speed 0–150 m/s, direction 0–360°, humidity 0–100 %, pressure
/// 300–1,200 hPa. Other columns: any finite value.
pub fn bounds(variable: &Variable) -> Option<(f64, f64)> {
    use Pollutant as P;
    Some(match variable {
        Variable::Pollutant(P::Pm25 | P::Pm10) => (0.0, 50_000.0),
        Variable::Pollutant(P::O3) => (0.0, 5_000.0),
        Variable::Pollutant(P::No2 | P::Nox) => (0.0, 20_000.0),
        Variable::Pollutant(P::So2) => (0.0, 100_000.0),
        Variable::Pollutant(P::Co) => (0.0, 1_000.0),
        Variable::Met(Met::Temperature) => (-100.0, 70.0),
        Variable::Met(Met::WindSpeed) => (0.0, 150.0),
        Variable::Met(Met::WindDirection) => (0.0, 360.0),
        Variable::Met(Met::Humidity) => (0.0, 100.0),
        Variable::Met(Met::Pressure) => (300.0, 1_200.0),
        Variable::Other(_) => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions() {
        let o3 = Variable::Pollutant(Pollutant::O3);
        let ppm = parse_unit("Parts per million");
        assert_eq!(to_canonical(&o3, 0.045, ppm).unwrap(), 45.0);
        let pm = Variable::Pollutant(Pollutant::Pm25);
        assert_eq!(
            to_canonical(&pm, 12.5, parse_unit("Micrograms/cubic meter (LC)")).unwrap(),
            12.5
        );
        assert_eq!(to_canonical(&pm, -1.0, None), Err(Refusal::Negative));
        // Finite in, infinite after the conversion: refused, not stored.
        let no2 = Variable::Pollutant(Pollutant::No2);
        assert_eq!(
            to_canonical(&no2, 1e308, parse_unit("ug/m3")),
            Err(Refusal::Implausible)
        );
        assert_eq!(to_canonical(&pm, 60_000.0, None), Err(Refusal::Implausible));
        assert_eq!(to_canonical(&pm, 49_999.0, None), Ok(49_999.0));
        let wd = Variable::Met(Met::WindDirection);
        assert_eq!(to_canonical(&wd, 361.0, None), Err(Refusal::Implausible));
        assert_eq!(
            to_canonical(&pm, 1.0, parse_unit("ppb")),
            Err(Refusal::UnknownUnit)
        );
        let t = Variable::Met(Met::Temperature);
        assert_eq!(
            to_canonical(&t, 122.0, parse_unit("Degrees Fahrenheit")).unwrap(),
            50.0
        );
        // Boiling water is not air.
        assert_eq!(
            to_canonical(&t, 212.0, parse_unit("Degrees Fahrenheit")),
            Err(Refusal::Implausible)
        );
        assert_eq!(pollutant_from_file_name("hourly_44201_2023.csv"), Some(o3));
        assert_eq!(
            pollutant_from_file_name("daily_88101_2024.csv.gz"),
            Some(pm)
        );
        assert_eq!(named("PM2.5"), Some(Variable::Pollutant(Pollutant::Pm25)));
        assert_eq!(named("air_temp"), Some(t));
        assert_eq!(named("bg.no2"), None);
    }
}
