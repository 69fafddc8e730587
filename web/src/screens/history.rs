//! History: each of the last days as forecast the day before, against what was measured.

use std::sync::Arc;

use leptos::prelude::*;

use super::Shown;
use crate::{chart, words};

/// The History card.
#[component]
pub fn History(shown: Arc<Shown>, width: RwSignal<f64>) -> impl IntoView {
    let r = &shown.report;
    let unit = r.forecast.unit.symbol();
    let h = &r.history;
    let text = match (h.mae, h.inside) {
        (Some(mae), (inside, n)) if n > 0 => format!(
            "Over these days, the forecast made the day before was off by {} {unit} on average, and {inside} of {n} measurements ({} %) fell inside its 80 % band.",
            words::value(mae),
            words::fixed(100.0 * inside as f64 / n as f64, 0)
        ),
        _ => "There are no measurements to compare with in these days.".to_string(),
    };
    let chart_shown = shown.clone();
    view! {
        <section id="history" class="card" aria-labelledby="history-h">
            <h2 id="history-h" tabindex="-1">"The last days: measured and forecast"</h2>
            <div class="chart-box">
                {move || chart::history(&chart_shown.report.history, chart_shown.report.forecast.unit.symbol(), chart_shown.report.forecast.step_seconds, width.get(), chart_shown.offset)}
            </div>
            <p class="legend small"><span class="key measured-key"></span>"measured "<span class="key dashed-key"></span>"forecast a day earlier, with its 80 % band"</p>
            <p>{text}</p>
        </section>
    }
}
