//! Today and tomorrow: the answer a person came for, first. For each of the forecast's
//! first two days, its worst category and when it holds, the best time to be outside
//! (hourly forecasts), and what to do — for everyone and for sensitive groups — in the
//! words of the scale's agency.

use std::sync::Arc;

use aqcast_core::aqi::{Palette, Scale};
use leptos::prelude::*;

use super::{now_seconds, Shown};
use crate::{colours, summary, words};

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
    view! {
        <section id="outlook" class="card" aria-labelledby="outlook-h">
            <h2 id="outlook-h" tabindex="-1">{if hourly { "Today and tomorrow" } else { "The next days" }}</h2>
            <ul class="outlook">{days}</ul>
            {feeds}
            <p class="small muted">{if hourly {
                format!("Advice: {source}. Times {}.", words::offset(offset))
            } else {
                format!("Advice: {source}. Days as the source dates them.")
            }}</p>
        </section>
    }
}
