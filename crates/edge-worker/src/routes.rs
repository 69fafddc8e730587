//! The route table: every endpoint once, with its path template (OpenAPI's, which also
//! names it in logs and metrics; `{key...}` takes the rest of the path), the access it
//! needs and its handler, on workers-rs's `Router`. Around each handler, [`serve`]
//! records the route, authenticates the caller, takes a token from the caller's bucket
//! (from the client address's bucket of failures, when authentication fails), checks the
//! caller's scope and
//! turns an [`ApiError`] into its JSON answer. A `GET` route also answers `HEAD`, with
//! the same status and headers and no body; another method on a route's path is a JSON
//! 405, or for `OPTIONS` the CORS preflight's 204. The router is built for each request
//! (it holds the request's data), so it holds each path for the request's method only.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

use futures_util::future::LocalBoxFuture;
use worker::{Env, Method, Request, Response, RouteContext, Router};

use crate::api::{error_response, ApiError};
use crate::auth::{Caller, Scope};
use crate::config::Config;
use crate::{authenticate, handlers, observations, ratelimit};

/// What a request carries through the router.
pub struct Ctx {
    /// The isolate's configuration.
    pub cfg: Rc<Config>,
    /// Who is calling, once [`serve`] has authenticated them (anonymous before).
    pub caller: Caller,
    /// The client's address (`cf-connecting-ip`), which limits anonymous callers.
    pub client: String,
    /// The request id every answer carries.
    pub request_id: String,
    /// What the request turned out to be, for the log line and the metrics.
    pub seen: Seen,
}

/// What the router learnt about a request: the route it matched and who called.
#[derive(Clone, Default)]
pub struct Seen(Rc<SeenInner>);

#[derive(Default)]
struct SeenInner {
    route: Cell<Option<&'static str>>,
    caller: RefCell<Option<String>>,
}

impl Seen {
    /// The matched route's template as OpenAPI writes it (`/v1/forecast/{station}`), or
    /// `other`.
    pub fn route(&self) -> Cow<'static, str> {
        match self.0.route.get() {
            Some(t) if t.contains("...}") => Cow::Owned(t.replace("...}", "}")),
            Some(t) => Cow::Borrowed(t),
            None => Cow::Borrowed("other"),
        }
    }

    /// The authenticated caller's id, or `-`.
    pub fn caller(&self) -> String {
        self.0.caller.borrow().clone().unwrap_or_else(|| "-".into())
    }

    fn set_route(&self, route: &'static str) {
        self.0.route.set(Some(route));
    }

    fn set_caller(&self, id: &str) {
        *self.0.caller.borrow_mut() = Some(id.to_string());
    }
}

/// What a route asks of its caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone, and never rate limited: the probes a load balancer polls (health,
    /// liveness).
    Probe,
    /// Anyone (readiness, the API description), within the rate limit.
    Open,
    /// Published data: anyone when `PUBLIC_READ` is on, else the `read` scope.
    Public,
    /// The `read` scope (the registry, metrics).
    Read,
    /// The `predict` scope.
    Predict,
    /// The `admin` scope.
    Admin,
    /// The `ingest` scope (the stations are checked by the handler).
    Ingest,
}

impl Access {
    fn check(self, cx: &Ctx) -> Result<(), ApiError> {
        match self {
            Access::Probe | Access::Open => Ok(()),
            Access::Public if cx.cfg.public_read => Ok(()),
            Access::Public | Access::Read => cx.caller.require(Scope::Read),
            Access::Predict => cx.caller.require(Scope::Predict),
            Access::Admin => cx.caller.require(Scope::Admin),
            Access::Ingest => cx.caller.require(Scope::Ingest),
        }
    }
}

/// A handler: the request and its context in, an answer or an [`ApiError`] out.
pub type Answer = Result<Response, ApiError>;

/// A handler as the table holds it: its future boxed, so that [`serve`] (and the router's
/// code around it) is compiled once rather than once per route.
type Handler = fn(Request, RouteContext<Ctx>) -> LocalBoxFuture<'static, Answer>;

/// Routes `req` to its handler.
pub async fn run(req: Request, env: Env, cx: Ctx) -> worker::Result<Response> {
    let seen = cx.seen.clone();
    let request_id = cx.request_id.clone();
    // Only the request's method is registered (each of its paths once): a table of every
    // method for every path, built for each request, cost more than most answers.
    let method = req.method();
    let router = Router::with_data(cx);
    let router = get(router, &method, "/v1/health", Access::Probe, |r, c| {
        Box::pin(handlers::health(r, c))
    });
    let router = get(router, &method, "/v1/live", Access::Probe, |r, c| {
        Box::pin(handlers::live(r, c))
    });
    let router = get(router, &method, "/v1/ready", Access::Open, |r, c| {
        Box::pin(handlers::ready(r, c))
    });
    let router = get(router, &method, "/v1/openapi.json", Access::Open, |r, c| {
        Box::pin(handlers::openapi(r, c))
    });
    let router = get(router, &method, "/v1/metrics", Access::Read, |r, c| {
        Box::pin(handlers::metrics(r, c))
    });
    let router = get(router, &method, "/v1/models", Access::Read, |r, c| {
        Box::pin(handlers::models(r, c))
    });
    let router = get(
        router,
        &method,
        "/v1/models/{name}",
        Access::Read,
        |r, c| Box::pin(handlers::model(r, c)),
    );
    let router = get(
        router,
        &method,
        "/v1/models/{name}/versions/{version}",
        Access::Read,
        |r, c| Box::pin(handlers::version(r, c)),
    );
    let router = post(
        router,
        &method,
        "/v1/models/{name}/promote",
        Access::Admin,
        |r, c| Box::pin(handlers::promote(r, c)),
    );
    let router = post(router, &method, "/v1/predict", Access::Predict, |r, c| {
        Box::pin(handlers::predict(r, c))
    });
    let router = post(
        router,
        &method,
        "/v1/predict/batch",
        Access::Predict,
        |r, c| Box::pin(handlers::predict_batch(r, c)),
    );
    let router = post(router, &method, "/v1/explain", Access::Predict, |r, c| {
        Box::pin(handlers::explain(r, c))
    });
    let router = get(router, &method, "/v1/stations", Access::Public, |r, c| {
        Box::pin(handlers::stations(r, c))
    });
    let router = get(router, &method, "/v1/files/", Access::Public, |r, c| {
        Box::pin(handlers::no_file(r, c))
    });
    let router = get(
        router,
        &method,
        "/v1/files/{key...}",
        Access::Public,
        |r, c| Box::pin(handlers::file(r, c)),
    );
    let router = get(
        router,
        &method,
        "/v1/forecast/{station}",
        Access::Public,
        |r, c| Box::pin(handlers::forecast(r, c)),
    );
    let router = get(
        router,
        &method,
        "/v1/forecast/{station}/atom",
        Access::Public,
        |r, c| Box::pin(handlers::forecast_feed(r, c, handlers::Feed::Atom)),
    );
    let router = get(
        router,
        &method,
        "/v1/forecast/{station}/ics",
        Access::Public,
        |r, c| Box::pin(handlers::forecast_feed(r, c, handlers::Feed::Ics)),
    );
    let router = get_post(
        router,
        &method,
        "/v1/observations",
        (Access::Read, |r, c| Box::pin(observations::list(r, c))),
        (Access::Ingest, |r, c| Box::pin(observations::push(r, c))),
    );
    let router = get(
        router,
        &method,
        "/v1/observations/{station}",
        Access::Read,
        |r, c| Box::pin(observations::pushed(r, c)),
    );
    let router = get(
        router,
        &method,
        "/v1/alerts/vapid-key",
        Access::Public,
        |r, c| Box::pin(crate::alerts::vapid_key(r, c)),
    );
    let router = post(
        router,
        &method,
        "/v1/alerts/subscriptions",
        Access::Public,
        |r, c| Box::pin(crate::alerts::subscribe(r, c)),
    );
    let router = delete(
        router,
        &method,
        "/v1/alerts/subscriptions/{id}",
        Access::Public,
        |r, c| Box::pin(crate::alerts::unsubscribe(r, c)),
    );
    let answer = router.run(req, env).await?;
    if seen.0.route.get().is_some() {
        return Ok(answer);
    }
    // The router's own (plain text) answers: a method no route registers (`CONNECT`,
    // `TRACE`), or a path no route has.
    let e = match answer.status_code() {
        405 => ApiError::new(
            405,
            "method_not_allowed",
            "this method is not allowed here (GET /v1/openapi.json describes the API)",
        ),
        _ => ApiError::not_found("no such endpoint (GET /v1/openapi.json describes the API)"),
    };
    error_response(&e, &request_id)
}

/// Registers a `GET` route (and its `HEAD`, and the 405s of its path).
fn get<'a>(
    router: Router<'a, Ctx>,
    method: &Method,
    pattern: &'static str,
    access: Access,
    handler: Handler,
) -> Router<'a, Ctx> {
    route(router, method, pattern, Some((access, handler)), None, None)
}

/// Registers a `POST` route (and the 405s of its path).
fn post<'a>(
    router: Router<'a, Ctx>,
    method: &Method,
    pattern: &'static str,
    access: Access,
    handler: Handler,
) -> Router<'a, Ctx> {
    route(router, method, pattern, None, Some((access, handler)), None)
}

/// Registers a `DELETE` route (and the 405s of its path).
fn delete<'a>(
    router: Router<'a, Ctx>,
    method: &Method,
    pattern: &'static str,
    access: Access,
    handler: Handler,
) -> Router<'a, Ctx> {
    route(router, method, pattern, None, None, Some((access, handler)))
}

/// Registers a path that takes both `GET` and `POST`, each with its access.
fn get_post<'a>(
    router: Router<'a, Ctx>,
    method: &Method,
    pattern: &'static str,
    get: (Access, Handler),
    post: (Access, Handler),
) -> Router<'a, Ctx> {
    route(router, method, pattern, Some(get), Some(post), None)
}

/// Registers a path for the request's `method`: its `GET` (which also answers `HEAD`: the
/// same status and headers, no body), its `POST` or its `DELETE`; for a method the path
/// does not take, a 405 (or the preflight's 204 for `OPTIONS`). A method no route takes
/// (`CONNECT`, `TRACE`) finds the path under `GET`, so that the router answers 405.
fn route<'a>(
    router: Router<'a, Ctx>,
    method: &Method,
    pattern: &'static str,
    get: Option<(Access, Handler)>,
    post: Option<(Access, Handler)>,
    delete: Option<(Access, Handler)>,
) -> Router<'a, Ctx> {
    let path = matchit(pattern);
    let other = move |req, cx| other_method(req, cx, pattern);
    match (method, get, post, delete) {
        (Method::Get, Some((access, handler)), _, _) => router.get_async(&path, move |req, cx| {
            serve(req, cx, pattern, access, handler)
        }),
        (Method::Head, Some((access, handler)), _, _) => {
            router.head_async(&path, move |req, cx| async move {
                let full = serve(req, cx, pattern, access, handler).await?;
                let headers = full.headers().clone();
                Ok(Response::empty()?
                    .with_status(full.status_code())
                    .with_headers(headers))
            })
        }
        (Method::Post, _, Some((access, handler)), _) => router
            .post_async(&path, move |req, cx| {
                serve(req, cx, pattern, access, handler)
            }),
        (Method::Delete, _, _, Some((access, handler))) => router
            .delete_async(&path, move |req, cx| {
                serve(req, cx, pattern, access, handler)
            }),
        (Method::Head, ..) => router.head_async(&path, other),
        (Method::Post, ..) => router.post_async(&path, other),
        (Method::Delete, ..) => router.delete_async(&path, other),
        (Method::Put, ..) => router.put_async(&path, other),
        (Method::Patch, ..) => router.patch_async(&path, other),
        (Method::Options, ..) => router.options_async(&path, other),
        _ => router.get_async(&path, other),
    }
}

/// A method the route does not take: the CORS preflight's 204 for `OPTIONS` (the headers
/// are added to every answer), else a JSON 405.
async fn other_method(
    req: Request,
    cx: RouteContext<Ctx>,
    pattern: &'static str,
) -> worker::Result<Response> {
    cx.data.seen.set_route(pattern);
    if req.method() == Method::Options {
        return Ok(Response::empty()?.with_status(204));
    }
    error_response(
        &ApiError::new(
            405,
            "method_not_allowed",
            format!(
                "{} is not allowed here (GET /v1/openapi.json describes the API)",
                req.method()
            ),
        ),
        &cx.data.request_id,
    )
}

/// A template in the router's syntax: `{name}` → `:name`, `{rest...}` → `*rest`.
fn matchit(template: &str) -> String {
    template
        .split('/')
        .map(
            |seg| match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(rest) if rest.ends_with("...") => {
                    format!("*{}", rest.trim_end_matches("..."))
                }
                Some(name) => format!(":{name}"),
                None => seg.to_string(),
            },
        )
        .collect::<Vec<_>>()
        .join("/")
}

/// Runs one route: records it, authenticates the caller, takes a token from their bucket
/// (not for the probes), checks their scope, calls the handler, and answers an error as
/// JSON. A failed authentication takes a token from the client address's bucket of
/// failures instead, so guessing keys is rate limited too.
async fn serve(
    req: Request,
    mut cx: RouteContext<Ctx>,
    pattern: &'static str,
    access: Access,
    handler: Handler,
) -> worker::Result<Response> {
    cx.data.seen.set_route(pattern);
    let request_id = cx.data.request_id.clone();
    let answer = async {
        let caller = match authenticate(&req, &cx.data.cfg) {
            Ok(caller) => caller,
            Err(e) => {
                if access != Access::Probe {
                    limit_failures(&cx).await?;
                }
                return Err(e);
            }
        };
        cx.data.seen.set_caller(&caller.id);
        if access != Access::Probe {
            limit(&cx, &caller).await?;
        }
        cx.data.caller = caller;
        access.check(&cx.data)?;
        handler(req, cx).await
    }
    .await;
    match answer {
        Ok(r) => Ok(r),
        Err(e) => error_response(&e, &request_id),
    }
}

/// Takes a token from `caller`'s bucket (by key, or by address for anonymous callers)
/// when a rate limit is configured.
async fn limit(cx: &RouteContext<Ctx>, caller: &Caller) -> Result<(), ApiError> {
    let d = &cx.data;
    let rate = caller.per_minute.unwrap_or(d.cfg.rate_per_minute);
    if rate <= 0.0 {
        return Ok(());
    }
    let who = if caller.id == "anonymous" {
        format!("ip:{}", d.client)
    } else {
        format!("key:{}", caller.id)
    };
    let burst = match caller.per_minute {
        Some(own) => own,
        None if d.cfg.rate_burst > 0.0 => d.cfg.rate_burst,
        None => rate,
    };
    ratelimit::check(&cx.env, &who, rate, burst).await
}

/// Takes a token from the client address's bucket of failed authentications
/// (`AUTH_FAILURES_PER_MINUTE`): past it, a wrong key is a 429, not another guess.
async fn limit_failures(cx: &RouteContext<Ctx>) -> Result<(), ApiError> {
    let rate = cx.data.cfg.auth_failures_per_minute;
    if rate <= 0.0 {
        return Ok(());
    }
    let who = format!("auth-failures:ip:{}", cx.data.client);
    ratelimit::check(&cx.env, &who, rate, rate).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_become_router_patterns_and_labels() {
        assert_eq!(matchit("/v1/forecast/{station}"), "/v1/forecast/:station");
        assert_eq!(matchit("/v1/files/{key...}"), "/v1/files/*key");
        assert_eq!(matchit("/v1/models"), "/v1/models");
        let s = Seen::default();
        assert_eq!(s.route(), "other");
        assert_eq!(s.caller(), "-");
        s.set_route("/v1/files/{key...}");
        assert_eq!(s.route(), "/v1/files/{key}");
    }
}
