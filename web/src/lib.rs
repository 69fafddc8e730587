//! `aqcast-web`: the citizen dashboard (SPEC §10), a Leptos client-side app. It loads the
//! station list, a station's snapshot and the production model from the published layout
//! (a static folder, or the edge worker's `/v1/files/`), runs `aqcast-core`'s forecast and
//! TreeSHAP in the browser, and renders the air now, the next days, why, the last week
//! and the model: [`app`] (the page, its state and resources), [`picker`] (choosing a
//! station), [`screens`] (one component per screen), [`summary`] and [`words`] (what the
//! screens say), [`chart`], [`map`] and [`colours`] (what they draw), [`load`] (fetching
//! the published documents). `scripts/build-web` builds it into `web/dist`.

pub mod alerts;
pub mod app;
pub mod chart;
pub mod colours;
pub mod load;
pub mod map;
pub mod picker;
pub mod screens;
pub mod summary;
pub mod words;

/// Mounts the app in the page's `#app` element, replacing the placeholder the HTML shows
/// while the wasm loads.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
    let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("app"))
    else {
        return;
    };
    root.set_inner_html("");
    use wasm_bindgen::JsCast;
    if let Ok(el) = root.dyn_into::<web_sys::HtmlElement>() {
        leptos::mount::mount_to(el, app::App).forget();
    }
}
