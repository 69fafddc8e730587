//! The last 12 months: each pollutant's monthly mean against the WHO 2021 guidelines, and
//! how many days were over the short-term level, from the station's published summary
//! (not the raw series). Left out when the station has no summary.

use std::sync::Arc;

use aqcast_core::pollutant::Pollutant;
use aqcast_core::published::PollutantMonths;
use leptos::prelude::*;

use super::Shown;
use crate::words;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `2009-03` → (`Mar`, `Mar 2009`).
fn month_names(m: &str) -> (String, String) {
    let (y, n) = m.split_once('-').unwrap_or((m, "1"));
    let short = n
        .parse::<usize>()
        .ok()
        .and_then(|i| MONTHS.get(i.wrapping_sub(1)))
        .copied()
        .unwrap_or("?");
    (short.to_string(), format!("{short} {y}"))
}

/// One pollutant: the sentence that answers, then a bar per month.
fn pollutant(p: &PollutantMonths) -> impl IntoView {
    let g = &p.guideline;
    let unit = g.unit.symbol();
    let label = p
        .variable
        .parse::<Pollutant>()
        .map_or(p.variable.clone(), |x| x.label().to_string());
    let measured: Vec<_> = p.months.iter().filter(|m| m.days > 0).collect();
    let over: u32 = p.months.iter().map(|m| m.over).sum();
    let days: u32 = p.months.iter().map(|m| m.days).sum();
    let (first, last) = (
        p.months.first().map(|m| month_names(&m.month).1),
        p.months.last().map(|m| month_names(&m.month).1),
    );
    let what = if g.hours == 8 {
        "daily highest 8-hour mean"
    } else {
        "24-hour mean"
    };
    let mean = (days > 0).then(|| {
        measured
            .iter()
            .map(|m| m.mean.unwrap_or(0.0) * f64::from(m.days))
            .sum::<f64>()
            / f64::from(days)
    });
    let answer = format!(
        "{label}: {over} of {days} days measured were over the WHO guideline for the {what} ({} {unit}) in {} to {}. The WHO advises no more than 3 or 4 such days a year.",
        words::value(g.short_term),
        first.unwrap_or_default(),
        last.unwrap_or_default()
    );
    // The annual guideline is compared with a year's mean only when the year is well
    // covered (three days in four); O3's long-term level is a peak season's, which a
    // year's mean does not measure.
    let covered = f64::from(days) >= 0.75 * 365.0;
    let average = match (mean, g.long_term) {
        (Some(m), Some(lt)) if g.hours == 24 && covered => Some(format!(
            "Their average, {} {unit}, is {} the WHO's annual guideline of {} {unit}.",
            words::value(m),
            if m > lt { "above" } else { "within" },
            words::value(lt)
        )),
        (Some(m), Some(_)) if g.hours == 24 => Some(format!(
            "Their average is {} {unit}; too few days were measured to compare it with the WHO's annual guideline.",
            words::value(m)
        )),
        _ => None,
    };
    let top = p
        .months
        .iter()
        .filter_map(|m| m.mean)
        .fold(g.short_term, f64::max);
    let line = g
        .long_term
        .filter(|_| g.hours == 24)
        .map(|lt| format!("left:{}%", words::fixed(100.0 * lt / top, 1)));
    let bars = p
        .months
        .iter()
        .map(|m| {
            let (short, long) = month_names(&m.month);
            let (width, text) = match m.mean {
                Some(v) => (
                    100.0 * v / top,
                    format!(
                        "{} {unit}{}",
                        words::value(v),
                        match m.over {
                            0 => String::new(),
                            1 => ", 1 day over".to_string(),
                            n => format!(", {n} days over"),
                        }
                    ),
                ),
                None => (0.0, "no complete day".to_string()),
            };
            view! {
                <li data-month=m.month.clone() data-over=m.over data-days=m.days>
                    <abbr class="m" title=long>{short}</abbr>
                    <span class="track"><span class={if m.over > 0 { "bar over" } else { "bar" }}
                        style=format!("width:{}%", words::fixed(width, 1))></span>
                        {line.clone().map(|l| view! { <span class="guide" style=l></span> })}</span>
                    <span class="v">{text}</span>
                </li>
            }
        })
        .collect_view();
    let mark = g.long_term.filter(|_| g.hours == 24).map(|lt| {
        format!(
            "Bars: monthly mean of the {what}; the line marks the WHO annual guideline ({} {unit}).",
            words::value(lt)
        )
    });
    view! {
        <div class="year-pollutant" data-variable=p.variable.clone() data-over=over data-days=days>
            <p class="answer">{answer}</p>
            {average.map(|a| view! { <p>{a}</p> })}
            <ul class="months">{bars}</ul>
            {mark.map(|m| view! { <p class="small muted">{m}</p> })}
        </div>
    }
}

/// The Year card.
#[component]
pub fn Year(shown: Arc<Shown>) -> impl IntoView {
    shown.summary.as_ref().filter(|s| !s.pollutants.is_empty()).map(|s| {
        let parts = s.pollutants.iter().map(pollutant).collect_view();
        view! {
            <section id="year" class="card" aria-labelledby="year-h">
                <h2 id="year-h" tabindex="-1">"The last 12 months against the WHO guidelines"</h2>
                {parts}
                <p class="small muted">"Guidelines: WHO global air quality guidelines, 2021. For hourly measurements, a day counts when at least 18 of its hours were measured."</p>
            </section>
        }
    })
}
