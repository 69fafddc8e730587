//! About: the model that made the forecast (version, training data, test skill, band
//! coverage) and how long the page took to compute it.

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
            <h2 id="about-h">"About this forecast"</h2>
            <dl class="about">
                <dt>"Model"</dt><dd>{format!("{} version {} ({})", r.model, v.version, v.stage.name())}</dd>
                <dt>"Trained"</dt><dd>{v.provenance.trained.clone().unwrap_or_else(|| "not recorded".into())}{format!(" by {}", v.provenance.source)}</dd>
                <dt>"On"</dt><dd>{if data_files.is_empty() { "not recorded".to_string() } else { data_files }}</dd>
                <dt>"Test skill"</dt><dd>{match skill {
                    Some(s) => format!("{} at {} ahead (1 − RMSE / RMSE of persistence; above 0 beats \"same as now\")", words::fixed(s, 2), if hourly { "24 hours" } else { "1 day" }),
                    None => "not recorded".into(),
                }}</dd>
                <dt>"Band coverage"</dt><dd>{match coverage {
                    Some(c) => format!("{} % of test measurements fell in the 80 % band", words::fixed(c * 100.0, 0)),
                    None => "not recorded".into(),
                }}</dd>
                <dt>"Bands"</dt><dd>{match r.forecast.tracked {
                    Some(n) => format!("kept to 80 % by this station's own record: {} outcomes since training moved them", words::count(n)),
                    None => "as calibrated in training".into(),
                }}</dd>
                <dt>"Published"</dt><dd>{v.provenance.published.clone()}</dd>
                <dt>"Fingerprint"</dt><dd><code>{v.sha256.get(..16).unwrap_or_default().to_string()}</code></dd>
            </dl>
            {shown.report_url.clone().map(|u| view! { <p><a href=u>"The full training report"</a></p> })}
            <p class="muted small" data-compute-ms=words::fixed(shown.compute_ms, 1)>
                {format!("Forecast computed in this browser in {} ms.", words::fixed(shown.compute_ms, 0))}
            </p>
        </section>
    }
}
