//! `aqcast aqi`: the Air Quality Index of concentrations.

use aqcast_core::aqi::{self, eea, nowcast::nowcast, sensitive_groups, Palette};
use aqcast_core::pollutant::{Pollutant, Unit};
use serde_json::json;

use crate::error::CliError;

/// Arguments of `aqcast aqi`.
#[derive(clap::Args)]
#[command(allow_negative_numbers = true)]
pub struct Args {
    /// pm2.5, pm10, o3, co, so2 or no2.
    #[arg(long)]
    pollutant: String,
    /// Averaging period: 1h, 8h or 24h (default: the pollutant's usual one:
    /// 24h for PM, 8h for O3 and CO, 1h for SO2 and NO2).
    #[arg(long)]
    averaging: Option<String>,
    /// EPA breakpoint table: 1999, 2012 or 2024.
    #[arg(long, default_value = "2024")]
    table: String,
    /// Unit of the values (default: EPA's: µg/m³ for PM, ppm for O3 and CO, ppb for SO2 and
    /// NO2). Also: ug/m3, mg/m3, ppb, ppm.
    #[arg(long)]
    unit: Option<String>,
    /// Treat the values as hourly concentrations, most recent first, and report the
    /// NowCast (PM: 12 h, ozone: 8 h) and its AQI.
    #[arg(long)]
    nowcast: bool,
    /// Index: `epa` (US AQI) or `eea` (European AQI, 2017 bands).
    #[arg(long, default_value = "epa")]
    scale: String,
    /// Colour palette: `epa`, or `cva` for the colour-vision-assist palette.
    #[arg(long, default_value = "epa")]
    palette: String,
    /// Concentrations.
    #[arg(required = true)]
    values: Vec<f64>,
}

fn usage(e: aqcast_core::ModelError) -> CliError {
    CliError::Usage(e.to_string())
}

pub fn run(a: Args) -> Result<(), CliError> {
    let pollutant: Pollutant = a.pollutant.parse().map_err(usage)?;
    let table: aqi::Table = a.table.parse().map_err(usage)?;
    let averaging = a
        .averaging
        .as_deref()
        .map(str::parse::<aqi::Averaging>)
        .transpose()
        .map_err(usage)?;
    let palette = match a.palette.as_str() {
        "epa" => Palette::Epa,
        "cva" | "color-vision-assist" => Palette::ColorVisionAssist,
        other => {
            return Err(CliError::Usage(format!(
                "unknown palette {other:?}; expected epa or cva"
            )))
        }
    };
    let unit: Unit = match &a.unit {
        Some(u) => u.parse().map_err(usage)?,
        None => aqi::default_unit(pollutant),
    };
    let values = if a.nowcast {
        vec![nowcast(pollutant, &a.values).map_err(usage)?]
    } else {
        a.values.clone()
    };
    let mut out = Vec::with_capacity(values.len());
    for v in values {
        let line = match a.scale.as_str() {
            "epa" => {
                let r = aqi::compute(pollutant, v, unit, averaging, table)
                    .map_err(|e| CliError::Usage(format!("value {v}: {e}")))?;
                json!({
                    "pollutant": pollutant.id(),
                    "value": v,
                    "unit": unit.symbol(),
                    "nowcast": a.nowcast,
                    "averaging": r.averaging.id(),
                    "table": table.year(),
                    "concentration": r.concentration,
                    "concentration_unit": r.unit.symbol(),
                    "aqi": r.aqi,
                    "category": r.category.name(),
                    "color": r.category.color(palette),
                    "health_message": r.category.health_message(),
                    "sensitive_groups": sensitive_groups(pollutant),
                    "beyond_index": r.beyond_index,
                })
            }
            "eea" => {
                let l = eea::level(pollutant, v, unit)
                    .map_err(|e| CliError::Usage(format!("value {v}: {e}")))?;
                json!({
                    "pollutant": pollutant.id(),
                    "value": v,
                    "unit": unit.symbol(),
                    "nowcast": a.nowcast,
                    "scale": "eea",
                    "level": l.number(),
                    "category": l.name(),
                    "color": l.color(),
                })
            }
            other => {
                return Err(CliError::Usage(format!(
                    "unknown scale {other:?}; expected epa or eea"
                )))
            }
        };
        out.push(line);
    }
    super::emit(None, |w| {
        for l in &out {
            writeln!(w, "{l}")?;
        }
        Ok(())
    })
}
