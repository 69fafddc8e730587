//! History: each of the last days as forecast the day before, against what was measured.

use std::sync::Arc;

use leptos::prelude::*;

use super::Shown;
use crate::summary::Hindsight;
use crate::{chart, words};

/// The History card, once the model is loaded (`hindsight`): it forecasts each day again
/// from what was known the day before.
#[component]
pub fn History(
    shown: Arc<Shown>,
    hindsight: LocalResource<Result<Hindsight, String>>,
    width: RwSignal<f64>,
) -> impl IntoView {
    let body = super::with_hindsight(
        hindsight,
        "Loading the model to forecast the last days again…",
        "The last days cannot be forecast again here",
        move |h| compared(shown.clone(), h, width),
    );
    view! {
        <section id="history" class="card" aria-labelledby="history-h">
            <h2 id="history-h" tabindex="-1">"The last days: measured and forecast"</h2>
            {body}
        </section>
    }
}

/// The chart and what it says.
fn compared(shown: Arc<Shown>, h: Hindsight, width: RwSignal<f64>) -> impl IntoView {
    let fc = &shown.report.forecast;
    let unit = fc.unit.symbol();
    let history = h.history;
    let text = match (history.mae, history.inside) {
        (Some(mae), (inside, n)) if n > 0 => format!(
            "Over these days, the forecast made the day before was off by {} {unit} on average, and {inside} of {n} measurements ({} %) fell inside its 80 % band.",
            words::value(mae),
            words::fixed(100.0 * inside as f64 / n as f64, 0)
        ),
        _ => "There are no measurements to compare with in these days.".to_string(),
    };
    let (step, offset) = (fc.step_seconds, shown.offset);
    view! {
        <div class="chart-box">
            {move || chart::history(&history, unit, step, width.get(), offset)}
        </div>
        <p class="legend small"><span class="key measured-key"></span>"measured "<span class="key dashed-key"></span>"forecast a day earlier, with its 80 % band"</p>
        <p>{text}</p>
    }
}
