//! What each feature of a model is, read from the artifact's own description of it (the
//! pipeline's features and the forecast's horizon features), so that a front end can say
//! it in words whatever the task file named it, without guessing from names.

use alloc::string::String;

use crate::forecast::HorizonFeature;
use crate::pipeline::spec::{CalendarField, Feature, InteractionOp, RollingStat, Spec};

/// What a model feature is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Meaning {
    /// A measured variable at the origin's grid step (`back` = 0), or `back` steps before
    /// it.
    Measured {
        /// The variable (`no2`, `ws`, …).
        variable: String,
        /// Grid steps before the origin.
        back: u32,
    },
    /// A statistic of a measured variable over the `window` steps up to the origin.
    Window {
        /// The variable.
        variable: String,
        /// Grid steps in the window.
        window: u32,
        /// The statistic.
        stat: RollingStat,
    },
    /// A calendar field of the origin's time (as a number, or its sine or cosine).
    Now {
        /// The field.
        field: CalendarField,
    },
    /// The wind at the origin: its west–east (`north` false) or south–north component.
    Wind {
        /// Whether the component is the south–north one.
        north: bool,
    },
    /// Two variables combined.
    Combined {
        /// The first variable.
        a: String,
        /// The second variable.
        b: String,
        /// How.
        op: InteractionOp,
    },
    /// How many grid steps ahead the forecast is.
    Ahead,
    /// A calendar field of the time forecast for.
    Target {
        /// The field.
        field: CalendarField,
    },
    /// The usual level at the time forecast for (the training climatology).
    Usual,
    /// Where the station is.
    Place,
    /// A variable's forecast (known ahead) at the time forecast for.
    Expected {
        /// The variable (`ws`, `temp`, …).
        variable: String,
    },
    /// The wind forecast at the time forecast for: its west–east (`north` false) or
    /// south–north component.
    ExpectedWind {
        /// Whether the component is the south–north one.
        north: bool,
    },
}

/// The variable a pipeline column holds (the input it was read from), or the column's
/// own name for a derived one.
fn variable(spec: &Spec, column: &str) -> String {
    spec.inputs
        .iter()
        .find(|i| i.column() == column)
        .map_or_else(|| String::from(column), |i| i.variable.clone())
}

/// The meaning of the feature `name` of a model with pipeline `spec` and, for a
/// forecasting model, horizon features `horizon`; none for a name the model does not have.
pub fn of(spec: &Spec, horizon: &[HorizonFeature], name: &str) -> Option<Meaning> {
    if let Some(f) = spec.features.iter().find(|f| f.name() == name) {
        return Some(match f {
            Feature::Value { of, .. } => Meaning::Measured {
                variable: variable(spec, of),
                back: 0,
            },
            Feature::Lag { of, lag, .. } => Meaning::Measured {
                variable: variable(spec, of),
                back: *lag,
            },
            Feature::Rolling {
                of, window, stat, ..
            } => Meaning::Window {
                variable: variable(spec, of),
                window: *window,
                stat: *stat,
            },
            Feature::Calendar { field, .. } | Feature::Cyclic { field, .. } => {
                Meaning::Now { field: *field }
            }
            Feature::WindU { .. } => Meaning::Wind { north: false },
            Feature::WindV { .. } => Meaning::Wind { north: true },
            Feature::Interaction { a, b, op, .. } => Meaning::Combined {
                a: variable(spec, a),
                b: variable(spec, b),
                op: *op,
            },
        });
    }
    horizon.iter().find(|h| h.name() == name).map(|h| match h {
        HorizonFeature::Steps { .. } => Meaning::Ahead,
        HorizonFeature::Hour { .. } => Meaning::Target {
            field: CalendarField::Hour,
        },
        HorizonFeature::Weekday { .. } => Meaning::Target {
            field: CalendarField::Weekday,
        },
        HorizonFeature::Month { .. } => Meaning::Target {
            field: CalendarField::Month,
        },
        HorizonFeature::Climatology { .. } => Meaning::Usual,
        HorizonFeature::Latitude { .. } | HorizonFeature::Longitude { .. } => Meaning::Place,
        HorizonFeature::Ahead { variable, .. } => Meaning::Expected {
            variable: variable.clone(),
        },
        HorizonFeature::AheadWindU { .. } => Meaning::ExpectedWind { north: false },
        HorizonFeature::AheadWindV { .. } => Meaning::ExpectedWind { north: true },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn features_mean_what_the_artifact_says_whatever_their_names() {
        let spec: Spec = serde_json::from_str(
            r#"{"grid":{"step":3600},
                "inputs":[{"variable":"no2","name":"nitrogen"},{"variable":"ws"}],
                "features":[
                  {"kind":"lag","name":"x1","of":"nitrogen","lag":23},
                  {"kind":"rolling","name":"x2","of":"nitrogen","window":24,"stat":"mean"},
                  {"kind":"cyclic","name":"x3","field":"hour","function":"sin"},
                  {"kind":"value","name":"x4","of":"ws"},
                  {"kind":"wind_v","name":"x5","speed":"ws","direction":"wd"}
                ]}"#,
        )
        .unwrap();
        let horizon = vec![
            HorizonFeature::Hour { name: "h".into() },
            HorizonFeature::Climatology {
                name: "c".into(),
                values: vec![],
            },
        ];
        let m = |n: &str| of(&spec, &horizon, n);
        assert_eq!(
            m("x1"),
            Some(Meaning::Measured {
                variable: "no2".into(),
                back: 23
            })
        );
        assert_eq!(
            m("x2"),
            Some(Meaning::Window {
                variable: "no2".into(),
                window: 24,
                stat: RollingStat::Mean
            })
        );
        assert_eq!(
            m("x3"),
            Some(Meaning::Now {
                field: CalendarField::Hour
            })
        );
        assert_eq!(
            m("x4"),
            Some(Meaning::Measured {
                variable: "ws".into(),
                back: 0
            })
        );
        assert_eq!(m("x5"), Some(Meaning::Wind { north: true }));
        assert_eq!(
            m("h"),
            Some(Meaning::Target {
                field: CalendarField::Hour
            })
        );
        assert_eq!(m("c"), Some(Meaning::Usual));
        assert_eq!(m("nope"), None);
    }
}
