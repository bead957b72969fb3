//! HTTP: routing restJson1 requests to operations, SigV4 authentication, the native push API,
//! health, readiness and metrics.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, Response, StatusCode, Uri};
use axum::routing::{any, get};
use axum::Router;
use scry_wire::{ApiError, ErrorCode, Operation};

use crate::api::{self, Caller};
use crate::metrics::Metrics;
use crate::push;
use crate::service::Service;
use crate::upload::{self, Uploads};

pub struct AppState {
    pub svc: Arc<Service>,
    pub metrics: Metrics,
    pub sigv4: scry_sigv4::VerifyOptions,
    /// Largest request body accepted by the API (inventories included).
    pub max_body: usize,
    /// Artifact uploads (`POST /scry/v1/artifacts`, `/scry/v1/layers`): their cap and counters.
    pub uploads: Arc<Uploads>,
}

pub type App = Arc<AppState>;

pub fn router(state: App) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/scry/v1/artifacts", any(upload::artifacts))
        .route("/scry/v1/layers", any(upload::layers))
        .route("/scry/v1/layers/{digest}", any(upload::layers))
        .route(
            "/scry/v1/agents/enroll",
            axum::routing::post(crate::agent::enroll_handler),
        )
        .fallback(handle)
        .with_state(state)
}

async fn readyz(State(app): State<App>) -> Response<Body> {
    let svc = app.svc.clone();
    let ok = tokio::task::spawn_blocking(move || svc.store.ping().is_ok())
        .await
        .unwrap_or(false);
    let intel = app.svc.intel().is_some();
    let (status, text) = match (ok, intel) {
        (true, true) => (StatusCode::OK, "ready\n".to_string()),
        (true, false) => (
            StatusCode::OK,
            "ready (no advisory database loaded yet: findings appear after `scry db import`)\n"
                .into(),
        ),
        (false, _) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "the findings store does not answer\n".into(),
        ),
    };
    Response::builder()
        .status(status)
        .body(Body::from(text))
        .unwrap_or_default()
}

async fn metrics(State(app): State<App>) -> Response<Body> {
    let mut text = app.metrics.render(&app.svc);
    text.push_str(&app.uploads.render());
    Response::builder()
        .header("content-type", "text/plain; version=0.0.4")
        .body(Body::from(text))
        .unwrap_or_default()
}

pub(crate) fn request_id() -> String {
    let mut b = [0u8; 16];
    getrandom::getrandom(&mut b).unwrap_or_default();
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

pub(crate) fn error_response(e: &ApiError, rid: &str) -> Response<Body> {
    let mut b = Response::builder()
        .status(StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header("content-type", "application/json")
        .header("x-amzn-requestid", rid);
    for (k, v) in e.headers() {
        b = b.header(k, v);
    }
    b.body(Body::from(e.to_body())).unwrap_or_default()
}

pub(crate) fn json_response(body: Vec<u8>, rid: &str) -> Response<Body> {
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/json")
        .header("x-amzn-requestid", rid)
        .body(Body::from(body))
        .unwrap_or_default()
}

pub(crate) fn sigv4_error(e: scry_sigv4::Error) -> ApiError {
    let code = match e.code() {
        "UnrecognizedClientException" => ErrorCode::UnrecognizedClient,
        "InvalidSignatureException" => ErrorCode::InvalidSignature,
        "MissingAuthenticationTokenException" => ErrorCode::MissingAuthenticationToken,
        "IncompleteSignatureException" => ErrorCode::IncompleteSignature,
        _ => ErrorCode::AccessDenied,
    };
    ApiError::new(code, e.message())
}

/// Verifies the signature and finds the caller.
fn authenticate(
    app: &AppState,
    method: &str,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Caller, ApiError> {
    authenticate_payload(app, method, uri, headers, scry_sigv4::Payload::Bytes(body)).map(|v| v.0)
}

/// Verifies the signature with the body given as `payload` (`Deferred` for a body still to be
/// streamed) and finds the caller; the status says how the body must be checked.
pub(crate) fn authenticate_payload(
    app: &AppState,
    method: &str,
    uri: &Uri,
    headers: &HeaderMap,
    payload: scry_sigv4::Payload<'_>,
) -> Result<(Caller, scry_sigv4::PayloadStatus), ApiError> {
    let hs: Vec<(&str, &[u8])> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_bytes()))
        .collect();
    let req = scry_sigv4::Request {
        method,
        path: uri.path(),
        query: uri.query().unwrap_or(""),
        headers: &hs,
        payload,
    };
    let pending = scry_sigv4::parse_request(&req, &app.sigv4).map_err(sigv4_error)?;
    let key_id = pending.access_key_id().to_string();
    let key = app
        .svc
        .store
        .key(&app.svc.master, &key_id)
        .map_err(|e| {
            tracing::error!(error = %e, "reading access key");
            ApiError::internal("Scry could not read its access keys; the server log has the cause")
        })?
        .filter(|k| !k.disabled);
    let Some(key) = key else {
        return Err(sigv4_error(scry_sigv4::Error::unrecognized_client(&key_id)));
    };
    let verified = pending
        .verify_with_secret(&key.secret, chrono::Utc::now())
        .map_err(|e| {
            tracing::debug!(access_key_id = %key_id, error = %e.message(), "signature refused");
            sigv4_error(e)
        })?;
    Ok((
        Caller {
            account_id: key.account_id,
            role: key.role,
            access_key_id: key.access_key_id,
        },
        verified.payload,
    ))
}

async fn handle(
    State(app): State<App>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response<Body> {
    let started = Instant::now();
    let rid = request_id();
    let m = method.as_str().to_string();
    let path = uri.path().to_string();
    let native = path.starts_with("/scry/");
    let routed = if native {
        None
    } else {
        Operation::route(&m, &path)
    };
    let label = match (&routed, native) {
        (Some((op, _)), _) => op.name().to_string(),
        (None, true) => path.clone(),
        (None, false) => "unknown".into(),
    };
    // Read with the configured cap (axum's `Bytes` extractor would stop at 2 MiB).
    let body = match axum::body::to_bytes(body, app.max_body).await {
        Ok(b) => b,
        Err(e) => {
            let e = ApiError::invalid(format!(
                "the request body could not be read within the {} MiB this server accepts (--max-body-mib): {e}",
                app.max_body >> 20
            ));
            app.metrics.observe(&label, 413, started);
            let mut r = error_response(&e, &rid);
            *r.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
            return r;
        }
    };
    let app2 = app.clone();
    let result = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, ApiError> {
        let caller = authenticate(&app2, &m, &uri, &headers, &body)?;
        if native {
            return push::dispatch(&app2.svc, &caller, &m, &path, &body);
        }
        let Some((op, params)) = routed else {
            return Err(ApiError::unknown_operation(&m, &path));
        };
        let span = tracing::info_span!("op", op = op.name(), account = %caller.account_id);
        let _g = span.enter();
        api::dispatch(
            &app2.svc,
            &caller,
            op,
            &body,
            &params,
            uri.query().unwrap_or(""),
        )
    })
    .await
    .unwrap_or_else(|e| {
        tracing::error!(error = %e, "handler panicked");
        Err(ApiError::internal(
            "Scry failed to answer; the server log has the cause",
        ))
    });
    match result {
        Ok(body) => {
            app.metrics.observe(&label, 200, started);
            json_response(body, &rid)
        }
        Err(e) => {
            app.metrics.observe(&label, e.status(), started);
            if e.status() >= 500 {
                tracing::warn!(op = label, code = e.error_type(), "request failed");
            }
            let mut r = error_response(&e, &rid);
            if e.status() == 429 {
                r.headers_mut()
                    .insert("retry-after", HeaderValue::from_static("1"));
            }
            r
        }
    }
}
