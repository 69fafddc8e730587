//! Why: the next day's central forecast explained by the model's largest TreeSHAP
//! contributions, in words.

use std::sync::Arc;

use leptos::prelude::*;

use super::Shown;
use crate::summary::{self, Hindsight};
use crate::words;

/// The Why card: its explanation once the model is loaded (`hindsight`).
#[component]
pub fn Why(
    shown: Arc<Shown>,
    hindsight: LocalResource<Result<Hindsight, String>>,
) -> impl IntoView {
    let body = super::with_hindsight(
        hindsight,
        "Loading the model to explain the forecast…",
        "The forecast cannot be explained here",
        move |h| explained(&shown, &h),
    );
    let state = move || match hindsight.get() {
        None => "loading",
        Some(Ok(_)) => "ready",
        Some(Err(_)) => "error",
    };
    view! {
        <section id="why" class="card" aria-labelledby="why-h" data-state=state aria-busy=move || (state() == "loading").to_string()>
            <h2 id="why-h" tabindex="-1">"Why"</h2>
            {body}
        </section>
    }
}

/// The explanation in sentences, each with what it adds.
fn explained(shown: &Shown, h: &Hindsight) -> impl IntoView {
    let fc = &shown.report.forecast;
    let offset = shown.offset;
    let hourly = fc.step_seconds < 86_400;
    let unit = fc.unit.symbol();
    let why = &h.why;
    // Each line with what it adds (`data-by`, signed), so a test can hold the verb to
    // the sign.
    let mut items: Vec<(String, Option<f64>)> = Vec::new();
    if let Some((what, v)) = &why.start {
        items.push((
            format!("It starts from {what}: {} {unit}.", words::value(*v)),
            None,
        ));
    }
    for (what, by) in &why.reasons {
        items.push((
            format!("{}.", summary::reason_sentence(what, *by, fc.unit)),
            Some(*by),
        ));
    }
    items.push((
        format!(
            "Everything else together {} it by {} {unit}.",
            if why.rest >= 0.0 { "raises" } else { "lowers" },
            words::value(why.rest.abs())
        ),
        Some(why.rest),
    ));
    let items = items
        .into_iter()
        .map(|(t, by)| view! { <li data-by=by.map(|b| b.to_string())>{t}</li> })
        .collect_view();
    let when = if hourly {
        words::datetime(why.time, offset)
    } else {
        words::date(why.time, offset)
    };
    view! {
        <p>{format!("The forecast for {when} is {} {unit}.", words::value(why.forecast))}</p>
        <ul class="why">{items}</ul>
    }
}
