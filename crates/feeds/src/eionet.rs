//! Eionet's vocabularies, which the European sources (the EEA, UK-AIR) write their codes
//! in: pollutants by number (`aq/pollutant`), units in their own notation.

/// The pollutant of an Eionet code, as aqcast names it (none for one aqcast does not
/// read: benzene, NO, PM1…).
pub fn pollutant(code: i64) -> Option<&'static str> {
    Some(match code {
        1 => "so2",
        5 => "pm10",
        6001 => "pm2.5",
        7 => "o3",
        8 => "no2",
        9 => "nox",
        10 => "co",
        _ => return None,
    })
}

/// A unit in Eionet's notation (`ug.m-3`, `mg.m-3`) as ingestion reads it.
pub fn unit(uom: &str) -> String {
    match uom.trim() {
        "ug.m-3" | "µg.m-3" => "µg/m³".into(),
        "mg.m-3" => "mg/m³".into(),
        "ppb" | "ppbv" => "ppb".into(),
        "ppm" | "ppmv" => "ppm".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_units_read_as_aqcast_reads_them() {
        assert_eq!(pollutant(6001), Some("pm2.5"));
        assert_eq!(pollutant(8), Some("no2"));
        assert_eq!(pollutant(38), None);
        assert_eq!(unit("ug.m-3"), "µg/m³");
        assert_eq!(unit("mg.m-3"), "mg/m³");
    }
}
