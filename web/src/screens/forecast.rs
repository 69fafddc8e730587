//! The forecast: each day in one line (its worst category and the chance of worse), the
//! chart of every step with its P10–P90 band, and the steps as a table.

use std::sync::Arc;

use aqcast_core::aqi::Palette;
use leptos::prelude::*;

use super::{now_seconds, Shown};
use crate::{chart, colours, summary, words};

/// The Forecast card.
#[component]
pub fn Forecast(
    shown: Arc<Shown>,
    palette: RwSignal<Palette>,
    width: RwSignal<f64>,
) -> impl IntoView {
    let r = &shown.report;
    let fc = &r.forecast;
    let offset = shown.offset;
    let hourly = fc.step_seconds < 86_400;
    let unit = fc.unit.symbol();
    let now = now_seconds();
    let days = r.days.iter().enumerate().map(|(i, d)| {
        let fc2 = fc.clone();
        let d2 = d.clone();
        let day = shown.day_name(d.start, now as i64);
        let when = if i == 0 && hourly {
            format!("{day} (from {})", words::hour(d.start, offset))
        } else {
            day
        };
        view! {
            <li>
                <span class="chip" style=move || format!("background:{}", colours::category(fc2.scale, d2.category, palette.get()))></span>
                <strong>{when}": "</strong>{summary::day_sentence(d, fc)}
            </li>
        }
    }).collect_view();
    let table_rows = fc.steps.iter().map(|s| {
        let cat = fc.categories.get(usize::from(s.category)).map(|c| c.name.clone()).unwrap_or_default();
        view! {
            <tr data-time=s.time data-p10=format!("{:?}", s.p10) data-p50=format!("{:?}", s.p50) data-p90=format!("{:?}", s.p90) data-aqi=s.aqi>
                <th scope="row">{words::datetime(s.time, offset)}</th>
                <td>{words::value(s.p10)}</td><td>{words::value(s.p50)}</td><td>{words::value(s.p90)}</td>
                <td>{s.aqi}</td><td>{cat}</td>
            </tr>
        }
    }).collect_view();
    let chart_shown = shown.clone();
    view! {
        <section id="forecast" class="card" aria-labelledby="forecast-h">
            <h2 id="forecast-h" tabindex="-1">{if hourly { format!("The next {} hours", fc.steps.len()) } else { format!("The next {} days", fc.steps.len()) }}</h2>
            <ul class="days">{days}</ul>
            <div class="chart-box">
                {move || chart::forecast(&chart_shown.report, palette.get(), width.get(), chart_shown.offset)}
            </div>
            <p class="legend small"><span class="key band-key"></span>"80 % of outcomes (P10–P90) "
                <span class="key line-key"></span>"central forecast (P50) "
                "· colour strip: each "{if hourly { "hour" } else { "day" }}"'s AQI category · "{if hourly { format!("times {}", words::offset(offset)) } else { "days as the source dates them".to_string() }}</p>
            <details>
                <summary>"The forecast as a table"</summary>
                // Focusable, so that a keyboard can scroll it.
                <div class="table-wrap" tabindex="0" role="region" aria-label="The forecast as a table">
                <table class="steps">
                    <caption>{format!("{} in {unit}, P10–P90 is the 80 % band", fc.pollutant.label())}</caption>
                    <thead><tr><th scope="col">"Time"</th><th scope="col">"P10"</th><th scope="col">"P50"</th><th scope="col">"P90"</th><th scope="col">"AQI"</th><th scope="col">"Category"</th></tr></thead>
                    <tbody>{table_rows}</tbody>
                </table>
                </div>
            </details>
        </section>
    }
}
