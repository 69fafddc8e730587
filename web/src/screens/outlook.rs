//! Today and tomorrow: the answer a person came for, first. For each of the forecast's
//! first two days, its worst category and when it holds, the best time to be outside
//! (hourly forecasts), and what to do — for everyone and for sensitive groups — in the
//! words of the scale's agency.

use std::sync::Arc;

use aqcast_core::aqi::{Palette, Scale};
use leptos::prelude::*;

use super::{now_seconds, Shown};
use crate::{alerts, colours, summary, words};

/// The Outlook card.
#[component]
pub fn Outlook(shown: Arc<Shown>, palette: RwSignal<Palette>) -> impl IntoView {
    let r = &shown.report;
    let fc = &r.forecast;
    let offset = shown.offset;
    let hourly = fc.step_seconds < 86_400;
    let now = now_seconds() as i64;
    let spans = |s: &[(i64, i64)]| {
        s.iter()
            .map(|(a, b)| {
                // A span that runs to the end of the day ends at 24:00, not 00:00.
                let end = match words::hour(*b, offset) {
                    h if h == "00:00" => "24:00".to_string(),
                    h => h,
                };
                format!("{}–{end}", words::hour(*a, offset))
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let who = super::sensitive_groups(fc.scale, fc.pollutant);
    let days = r.days.iter().take(2).map(|d| {
        let (scale, category) = (fc.scale, d.category);
        let name = fc
            .categories
            .get(usize::from(category))
            .map(|c| c.name.clone())
            .unwrap_or_default();
        let day = shown.day_name(d.start, now);
        let hours = hourly.then(|| summary::day_hours(fc, d, offset));
        let (from, worst, best) = match &hours {
            Some(h) => {
                // A first day that starts after midnight says from when.
                let from = (words::hour(d.start, offset) != "00:00")
                    .then(|| format!(" (from {})", words::hour(d.start, offset)));
                let all_day = h.worst.len() == 1 && h.best.is_none();
                let worst = (!all_day).then(|| format!("{name} {}", spans(&h.worst)));
                let best = h.best.map(|b| spans(&[b]));
                (from, worst, best)
            }
            None => (None, None, None),
        };
        let a = summary::advice(scale, category);
        let chance = d.chance.and_then(|(c, p)| {
            fc.categories.get(usize::from(c)).map(|c| {
                format!("{} % chance of {}", words::fixed(p * 100.0, 0), c.name)
            })
        });
        let bg = move || colours::category(scale, category, palette.get());
        let who = who.clone();
        view! {
            <li class="outlook-day" data-category=category>
                <div class="outlook-head">
                    <span class="badge" style=move || format!("background:{};color:{}", bg(), colours::text_on(bg()))>
                        {match scale {
                            // The EEA numbers its levels; EPA names its categories.
                            Scale::Eea => format!("{} {name}", category + 1),
                            Scale::Epa => name.clone(),
                        }}
                    </span>
                    <strong>{day}{from}</strong>
                </div>
                {worst.map(|w| view! { <p class="small">"Worst: "{w}</p> })}
                {chance.map(|c| view! { <p class="small">{c}</p> })}
                {best.map(|b| view! { <p class="small best">"Best time to be outside: "{b}</p> })}
                {super::advice_lines(&a, who)}
            </li>
        }
    }).collect_view();
    let source = summary::advice(fc.scale, 0).source;
    // From the edge worker: the same days as a calendar and a feed, for people who want
    // no push (counted in the viewer's days).
    let feeds = shown.forecast_url.clone().map(|u| {
        let q = format!("?offset={}", shown.local / 60);
        view! {
            <p class="small feeds">"Days when sensitive groups should act: "
                <a href=format!("{u}/ics{q}")>"add to your calendar"</a>" · "
                <a href=format!("{u}/atom{q}")>"follow as a feed"</a></p>
        }
    });
    // From the edge worker, in a browser that takes pushes: told when those days come.
    let alert_me = shown
        .alerts_url
        .clone()
        .filter(|_| alerts::supported())
        .map(|api| {
            let station = &r.station;
            view! {
                <AlertMe
                    api=api
                    station=station.id.clone()
                    name=station.name.clone().unwrap_or_else(|| station.id.clone())
                    offset=shown.local / 60
                />
            }
        });
    view! {
        <section id="outlook" class="card" aria-labelledby="outlook-h">
            <h2 id="outlook-h" tabindex="-1">{if hourly { "Today and tomorrow" } else { "The next days" }}</h2>
            <ul class="outlook">{days}</ul>
            {alert_me}
            {feeds}
            <p class="small muted">{if hourly {
                format!("Advice: {source}. Times {}.", words::offset(offset))
            } else {
                format!("Advice: {source}. Days as the source dates them.")
            }}</p>
        </section>
    }
}

/// Where this browser's alerts stand.
#[derive(Clone, Debug, PartialEq)]
enum Alerting {
    /// None.
    Off,
    /// Asking the browser and the server.
    Asking,
    /// On for this station.
    On,
    /// On for another station (its name).
    Elsewhere(String),
    /// What went wrong.
    Failed(String),
}

/// The push alerts of this station's bad-air days (from the category at which sensitive
/// groups are told to act): turned on and off here; one station per browser.
#[component]
fn AlertMe(api: String, station: String, name: String, offset: i64) -> impl IntoView {
    let state = RwSignal::new(match alerts::saved() {
        Some(a) if a.station == station => Alerting::On,
        Some(a) => Alerting::Elsewhere(a.name),
        None => Alerting::Off,
    });
    let on = move |_| {
        let (api, station, name) = (api.clone(), station.clone(), name.clone());
        state.set(Alerting::Asking);
        leptos::task::spawn_local(async move {
            let from = aqcast_core::aqi::ACT_FROM;
            state.set(
                match alerts::subscribe(&api, &station, &name, from, offset).await {
                    Ok(_) => Alerting::On,
                    Err(why) => Alerting::Failed(why),
                },
            );
        });
    };
    let off = move |_| {
        let Some(a) = alerts::saved() else {
            state.set(Alerting::Off);
            return;
        };
        state.set(Alerting::Asking);
        leptos::task::spawn_local(async move {
            state.set(match alerts::unsubscribe(&a).await {
                Ok(()) => Alerting::Off,
                Err(why) => Alerting::Failed(why),
            });
        });
    };
    let ask = "Tell me when sensitive groups should act here";
    view! {
        <div class="alert-me" aria-live="polite">
            {move || match state.get() {
                Alerting::Off => view! {
                    <button type="button" class="alert-on" on:click=on.clone()>{ask}</button>
                }.into_any(),
                Alerting::Asking => view! { <p class="small">"Asking this browser and the server…"</p> }.into_any(),
                Alerting::On => view! {
                    <p class="small alert-state">"This browser is told when sensitive groups should act here, and when that is over. "
                        <button type="button" class="link alert-off" on:click=off>"Stop these alerts"</button></p>
                }.into_any(),
                Alerting::Elsewhere(there) => view! {
                    <p class="small alert-state">{format!("This browser's alerts follow {there}. ")}
                        <button type="button" class="link alert-on" on:click=on.clone()>"Follow this station instead"</button></p>
                }.into_any(),
                Alerting::Failed(why) => view! {
                    <p class="small alert-failed" role="status">{format!("No alerts: {why}. The calendar and the feed below list the same days.")}</p>
                    <button type="button" class="alert-on" on:click=on.clone()>"Try again"</button>
                }.into_any(),
            }}
        </div>
    }
}
