//! Now: the air at the station by its latest measurements (the dominant pollutant's AQI,
//! the health message in the scale's words), how old they are, and whom to credit for
//! them. It says "now" only when they are recent ([`published::is_recent`]: 3 hours for
//! hourly data, 2 days for daily); otherwise it says plainly that the station has no
//! recent measurement and shows the latest as what it is.

use std::sync::Arc;

use aqcast_core::aqi::{Palette, Scale};
use aqcast_core::published;
use leptos::prelude::*;

use super::{now_seconds, Shown};
use crate::{colours, summary, words};

/// The Now card.
#[component]
pub fn Now(shown: Arc<Shown>, name: String, palette: RwSignal<Palette>) -> impl IntoView {
    let r = &shown.report;
    let fc = &r.forecast;
    let offset = shown.offset;
    let now = now_seconds();
    let age = now as i64 - fc.data_time;
    let recent = published::is_recent(fc.data_time, fc.step_seconds, now as i64);
    let credit = r.station.source.as_ref().map(|c| {
        let parts: Vec<&str> = [&c.network, &c.licence, &c.attribution]
            .into_iter()
            .filter_map(|p| p.as_deref())
            .collect();
        view! { <p class="small muted credit">"Data: "{parts.join(" · ")}</p> }
    });
    let scale_name = match fc.scale {
        Scale::Epa => "US EPA Air Quality Index",
        Scale::Eea => "European Air Quality Index (levels 1–6)",
    };
    let card = {
        let shown = shown.clone();
        move || {
            let r = &shown.report;
            let Some(n) = &r.now else {
                return view! { <p>"This station publishes no pollutant with an AQI."</p> }
                    .into_any();
            };
            let d = &n.dominant;
            let c = &d.current;
            let bg = colours::category(r.forecast.scale, c.category, palette.get());
            let cat = r
                .forecast
                .categories
                .get(usize::from(c.category))
                .map(|c| c.name.clone())
                .unwrap_or_default();
            let general = summary::health(r.forecast.scale, c.category);
            let advice = summary::advice(r.forecast.scale, c.category);
            let others = n
                .all
                .iter()
                .skip(1)
                .map(|o| {
                    format!(
                        "{} {} {}",
                        o.pollutant.label(),
                        words::value(o.current.value),
                        o.unit
                    )
                })
                .collect::<Vec<_>>()
                .join(", ");
            view! {
                <div class="aqi" style=format!("background:{bg};color:{}", colours::text_on(bg))>
                    <span class="aqi-number" data-aqi=c.aqi>{c.aqi}</span>
                    <span class="aqi-category">{cat}</span>
                </div>
                <div class="now-text">
                    <p class="muted small">{scale_name}</p>
                    <p>{if recent { "Dominant pollutant: " } else { "Dominant pollutant then: " }}<strong>{d.pollutant.label()}</strong>
                        {format!(", {} {}{} measured {}", words::value(c.value), d.unit, words::basis(c.basis), words::datetime(c.time, offset))}
                        " ("{words::age(now as i64 - c.time)}")"</p>
                    {(!others.is_empty()).then(|| view! { <p class="small">"Also measured: "{others.clone()}</p> })}
                    // What to do is said only of the air now: an old measurement gets none
                    // (the days ahead have theirs).
                    {recent.then(|| view! {
                        {(general != advice.everyone).then(|| view! { <p class="health">{general}</p> })}
                        {super::advice_lines(&advice, super::sensitive_groups(r.forecast.scale, d.pollutant))}
                    })}
                </div>
            }.into_any()
        }
    };
    view! {
        <section id="now" class="card now" aria-labelledby="now-h">
            <h2 id="now-h" tabindex="-1">{if recent { "Now at " } else { "No recent measurement at " }}{name}</h2>
            {(!recent).then(|| view! {
                <p class="notice" role="status">{format!(
                    "This station has no recent measurement, so what the air is like there now is not known. The latest, below, is from {} ({}); the forecast starts from it.",
                    words::datetime(fc.data_time, offset), words::age(age))}</p>
            })}
            <div class=if recent { "now-body" } else { "now-body stale" }>{card}</div>
            {credit}
        </section>
    }
}
