//! `POST /scry/v1/registry-events`: the endpoint a registry's notifications go to.
//!
//! Authentication is `Authorization: Bearer <token>` with the token `scry registry add`
//! printed; the store holds only its SHA-256. Answers: 200 with counts; 400 for a body that
//! is not an envelope; 401 without a known token; 413 over [`events::MAX_BODY`]; 415 for a
//! content type that is not JSON. Errors are `{"message": ...}`; store failures are a 500
//! with a generic message (the cause goes to the log once).

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, Response, StatusCode};
use axum::routing::post;
use axum::Router;

use super::events;
use super::watch::Watcher;

/// The route, with its own state, to merge into the server's router.
pub fn routes(w: Arc<Watcher>) -> Router {
    Router::new()
        .route("/scry/v1/registry-events", post(receive))
        // Larger bodies are refused by our own check with a clear message.
        .layer(DefaultBodyLimit::max(events::MAX_BODY + 1))
        .with_state(w)
}

fn answer(status: StatusCode, body: serde_json::Value) -> Response<Body> {
    let mut r = Response::builder()
        .status(status)
        .header("content-type", "application/json");
    if status == StatusCode::UNAUTHORIZED {
        r = r.header("www-authenticate", "Bearer realm=\"scry\"");
    }
    r.body(Body::from(body.to_string())).unwrap_or_default()
}

fn refuse(status: StatusCode, message: impl Into<String>) -> Response<Body> {
    answer(status, serde_json::json!({ "message": message.into() }))
}

async fn receive(State(w): State<Arc<Watcher>>, headers: HeaderMap, body: Bytes) -> Response<Body> {
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.len() <= 256)
        .map(str::to_string);
    let Some(token) = token else {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "registry notifications need `Authorization: Bearer <token>` — the token `scry registry add` printed",
        );
    };
    if body.len() > events::MAX_BODY {
        return refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the notification is {} bytes; at most {} are accepted (lower the registry's notification batch)",
                body.len(),
                events::MAX_BODY
            ),
        );
    }
    let ct = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let media = ct.split(';').next().unwrap_or("").trim();
    if !(media.is_empty() || media == events::ENVELOPE_MEDIA_TYPE || media.ends_with("json")) {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "content type {media:?} is not {}",
                events::ENVELOPE_MEDIA_TYPE
            ),
        );
    }
    let w2 = w.clone();
    let result = tokio::task::spawn_blocking(move || w2.receive(&token, &body)).await;
    match result {
        Ok(Ok(ack)) => answer(StatusCode::OK, ack),
        Ok(Err(super::watch::Refusal::Unauthorized)) => refuse(
            StatusCode::UNAUTHORIZED,
            "unknown registry token — use the token `scry registry add` printed for this registry",
        ),
        Ok(Err(super::watch::Refusal::Invalid(m))) => refuse(StatusCode::BAD_REQUEST, m),
        Ok(Err(super::watch::Refusal::Internal)) | Err(_) => refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Scry could not record the notification; the server log has the cause",
        ),
    }
}
