//! The route table: every endpoint once, with its path template (OpenAPI's, which also
//! names it in logs and metrics; `{key...}` takes the rest of the path), the access it
//! needs and its handler, on workers-rs's `Router`. Around
//! each handler, [`serve`] records the route, checks the caller's scope, takes a token
//! from the caller's bucket and turns an [`ApiError`] into its JSON answer. A `GET`
//! route also answers `HEAD`, with the same status and headers and no body.

use std::borrow::Cow;
use std::cell::Cell;
use std::rc::Rc;

use futures_util::future::LocalBoxFuture;
use worker::{Env, Request, Response, RouteContext, Router};

use crate::api::{error_response, ApiError};
use crate::auth::{Caller, Scope};
use crate::config::Config;
use crate::handlers;
use crate::ratelimit;

/// What a request carries through the router.
pub struct Ctx {
    /// The isolate's configuration.
    pub cfg: Rc<Config>,
    /// Who is calling.
    pub caller: Caller,
    /// The client's address (`cf-connecting-ip`), which limits anonymous callers.
    pub client: String,
    /// The request id every answer carries.
    pub request_id: String,
    /// The route that matched, for the log line and the metrics.
    pub route: Matched,
}

/// The template of the route a request matched (`other` until one does).
#[derive(Clone, Default)]
pub struct Matched(Rc<Cell<Option<&'static str>>>);

impl Matched {
    /// The matched route's template as OpenAPI writes it (`/v1/forecast/{station}`), or
    /// `other`.
    pub fn get(&self) -> Cow<'static, str> {
        match self.0.get() {
            Some(t) if t.contains("...}") => Cow::Owned(t.replace("...}", "}")),
            Some(t) => Cow::Borrowed(t),
            None => Cow::Borrowed("other"),
        }
    }

    fn set(&self, route: &'static str) {
        self.0.set(Some(route));
    }

    fn is_set(&self) -> bool {
        self.0.get().is_some()
    }
}

/// What a route asks of its caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone, without a rate limit (health, liveness, the API description).
    Open,
    /// Published data: anyone when `PUBLIC_READ` is on, else the `read` scope.
    Public,
    /// The `read` scope (the registry, metrics).
    Read,
    /// The `predict` scope.
    Predict,
    /// The `admin` scope.
    Admin,
}

impl Access {
    fn check(self, cx: &Ctx) -> Result<(), ApiError> {
        match self {
            Access::Open => Ok(()),
            Access::Public if cx.cfg.public_read => Ok(()),
            Access::Public | Access::Read => cx.caller.require(Scope::Read),
            Access::Predict => cx.caller.require(Scope::Predict),
            Access::Admin => cx.caller.require(Scope::Admin),
        }
    }
}

/// A handler: the request and its context in, an answer or an [`ApiError`] out.
pub type Answer = Result<Response, ApiError>;

/// A handler as the table holds it: its future boxed, so that [`serve`] (and the router's
/// code around it) is compiled once rather than once per route.
type Handler = fn(Request, RouteContext<Ctx>) -> LocalBoxFuture<'static, Answer>;

/// Routes `req` to its handler.
pub async fn run(req: Request, env: Env, cx: Ctx) -> Result<Response, ApiError> {
    let matched = cx.route.clone();
    let router = Router::with_data(cx);
    let router = get(router, "/v1/health", Access::Open, |r, c| {
        Box::pin(handlers::health(r, c))
    });
    let router = get(router, "/v1/live", Access::Open, |r, c| {
        Box::pin(handlers::live(r, c))
    });
    let router = get(router, "/v1/ready", Access::Open, |r, c| {
        Box::pin(handlers::ready(r, c))
    });
    let router = get(router, "/v1/openapi.json", Access::Open, |r, c| {
        Box::pin(handlers::openapi(r, c))
    });
    let router = get(router, "/v1/metrics", Access::Read, |r, c| {
        Box::pin(handlers::metrics(r, c))
    });
    let router = get(router, "/v1/models", Access::Read, |r, c| {
        Box::pin(handlers::models(r, c))
    });
    let router = get(router, "/v1/models/{name}", Access::Read, |r, c| {
        Box::pin(handlers::model(r, c))
    });
    let router = get(
        router,
        "/v1/models/{name}/versions/{version}",
        Access::Read,
        |r, c| Box::pin(handlers::version(r, c)),
    );
    let router = post(
        router,
        "/v1/models/{name}/promote",
        Access::Admin,
        |r, c| Box::pin(handlers::promote(r, c)),
    );
    let router = post(router, "/v1/predict", Access::Predict, |r, c| {
        Box::pin(handlers::predict(r, c))
    });
    let router = post(router, "/v1/predict/batch", Access::Predict, |r, c| {
        Box::pin(handlers::predict_batch(r, c))
    });
    let router = post(router, "/v1/explain", Access::Predict, |r, c| {
        Box::pin(handlers::explain(r, c))
    });
    let router = get(router, "/v1/stations", Access::Public, |r, c| {
        Box::pin(handlers::stations(r, c))
    });
    let router = get(router, "/v1/files/{key...}", Access::Public, |r, c| {
        Box::pin(handlers::file(r, c))
    });
    let router = get(router, "/v1/forecast/{station}", Access::Public, |r, c| {
        Box::pin(handlers::forecast(r, c))
    });
    let answer = router.run(req, env).await?;
    if matched.is_set() {
        return Ok(answer);
    }
    // The router's own answers (plain text) for what no route took.
    match answer.status_code() {
        405 => Err(ApiError::new(
            405,
            "method_not_allowed",
            "this method is not allowed here (GET /v1/openapi.json describes the API)",
        )),
        _ => Err(ApiError::not_found(
            "no such endpoint (GET /v1/openapi.json describes the API)",
        )),
    }
}

fn get<'a>(
    router: Router<'a, Ctx>,
    pattern: &'static str,
    access: Access,
    handler: Handler,
) -> Router<'a, Ctx> {
    let path = matchit(pattern);
    router
        .get_async(&path, move |req, cx| {
            serve(req, cx, pattern, access, handler)
        })
        .head_async(&path, move |req, cx| async move {
            let full = serve(req, cx, pattern, access, handler).await?;
            let headers = full.headers().clone();
            Ok(Response::empty()?
                .with_status(full.status_code())
                .with_headers(headers))
        })
}

fn post<'a>(
    router: Router<'a, Ctx>,
    pattern: &'static str,
    access: Access,
    handler: Handler,
) -> Router<'a, Ctx> {
    router.post_async(&matchit(pattern), move |req, cx| {
        serve(req, cx, pattern, access, handler)
    })
}

/// A template in the router's syntax: `{name}` → `:name`, `{rest...}` → `*rest`.
fn matchit(template: &str) -> String {
    template
        .split('/')
        .map(
            |seg| match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(rest) if rest.ends_with("...") => format!("*{}", rest.trim_end_matches("...")),
                Some(name) => format!(":{name}"),
                None => seg.to_string(),
            },
        )
        .collect::<Vec<_>>()
        .join("/")
}

/// Runs one route: records it, checks access, takes a token from the caller's bucket
/// (not for open routes), calls the handler, and answers an error as JSON.
async fn serve(
    req: Request,
    cx: RouteContext<Ctx>,
    pattern: &'static str,
    access: Access,
    handler: Handler,
) -> worker::Result<Response> {
    cx.data.route.set(pattern);
    let request_id = cx.data.request_id.clone();
    let answer = async {
        access.check(&cx.data)?;
        if access != Access::Open {
            limit(&cx).await?;
        }
        handler(req, cx).await
    }
    .await;
    match answer {
        Ok(r) => Ok(r),
        Err(e) => error_response(&e, &request_id),
    }
}

/// Takes a token from the caller's bucket (by key, or by address for anonymous
/// callers) when a rate limit is configured.
async fn limit(cx: &RouteContext<Ctx>) -> Result<(), ApiError> {
    let d = &cx.data;
    let rate = d.caller.per_minute.unwrap_or(d.cfg.rate_per_minute);
    if rate <= 0.0 {
        return Ok(());
    }
    let who = if d.caller.id == "anonymous" {
        format!("ip:{}", d.client)
    } else {
        format!("key:{}", d.caller.id)
    };
    let burst = match d.caller.per_minute {
        Some(own) => own,
        None if d.cfg.rate_burst > 0.0 => d.cfg.rate_burst,
        None => rate,
    };
    ratelimit::check(&cx.env, &who, rate, burst).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_become_router_patterns_and_labels() {
        assert_eq!(matchit("/v1/forecast/{station}"), "/v1/forecast/:station");
        assert_eq!(matchit("/v1/files/{key...}"), "/v1/files/*key");
        assert_eq!(matchit("/v1/models"), "/v1/models");
        let m = Matched::default();
        assert_eq!(m.get(), "other");
        m.set("/v1/files/{key...}");
        assert_eq!(m.get(), "/v1/files/{key}");
    }
}
