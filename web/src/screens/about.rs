//! About: the model that made the forecast (version, training data, test skill, band
//! coverage), and whether the page computed the forecast or read it made.

use std::sync::Arc;

use leptos::prelude::*;

use super::Shown;
use crate::words;

/// The About card.
#[component]
pub fn About(shown: Arc<Shown>) -> impl IntoView {
    let r = &shown.report;
    let hourly = r.forecast.step_seconds < 86_400;
    let v = &r.version;
    let next_day = if hourly { 24 } else { 1 };
    let skill = v
        .metrics
        .per_step
        .iter()
        .find(|m| m.step == next_day)
        .and_then(|m| m.skill);
    let coverage = v.metrics.summary.get("coverage").copied();
    // File names only: where they sat on the trainer's machine is no one's business.
    let data_files = v
        .provenance
        .data
        .iter()
        .map(|d| {
            d.name
                .rsplit(['/', '\\'])
                .next()
                .unwrap_or(&d.name)
                .to_string()
        })
        .collect::<Vec<_>>()
        .join(", ");
    view! {
        <section id="about" class="card" aria-labelledby="about-h">
            <h2 id="about-h" tabindex="-1">"About this forecast"</h2>
            <dl class="about">
                <dt>"Model"</dt><dd>{format!("{} version {} ({})", r.model, v.version, v.stage.name())}</dd>
                <dt>"Trained"</dt><dd>{v.provenance.trained.clone().unwrap_or_else(|| "not recorded".into())}{format!(" by {}", v.provenance.source)}</dd>
                <dt>"On"</dt><dd>{if data_files.is_empty() { "not recorded".to_string() } else { data_files }}</dd>
                <dt>"Tested"</dt><dd>{match skill {
                    Some(s) if s > 0.0 => format!("On data it never saw, {} ahead, its errors were {} % smaller than those of assuming the air stays as it is.", if hourly { "24 hours" } else { "a day" }, words::fixed(s * 100.0, 0)),
                    Some(_) => format!("On data it never saw, {} ahead, it was no better than assuming the air stays as it is.", if hourly { "24 hours" } else { "a day" }),
                    None => "not recorded".into(),
                }}</dd>
                <dt>"Range"</dt><dd>{match coverage {
                    Some(c) => format!("The shaded range is meant to hold 8 measurements in 10; on that test data it held {} in 100. ", words::fixed(c * 100.0, 0)),
                    None => String::new(),
                }}{match r.forecast.tracked {
                    Some(n) => format!("It is kept honest by this station's own record: checked against {} measurements since the model was trained.", words::count(n)),
                    None => "It is as set in training.".into(),
                }}</dd>
                <dt>"Published"</dt><dd>{v.provenance.published.clone()}</dd>
                <dt>"Fingerprint"</dt><dd><code>{v.sha256.get(..16).unwrap_or_default().to_string()}</code></dd>
            </dl>
            {shown.report_url.clone().map(|u| view! { <p><a href=u>"The full training report"</a></p> })}
            <p class="muted small" data-compute-ms=words::fixed(shown.compute_ms, 1) data-made=shown.made.to_string()>
                {if shown.made {
                    format!("Forecast made with this model when these measurements were published, read in {} ms; this browser loads the model to explain it.", words::fixed(shown.compute_ms, 0))
                } else {
                    format!("Forecast computed in this browser in {} ms.", words::fixed(shown.compute_ms, 0))
                }}
            </p>
        </section>
    }
}
