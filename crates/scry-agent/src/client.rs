//! Talking to `scry server`: enrollment (the token, unsigned) and inventory pushes (signed
//! with SigV4, service `scry`, with the key enrollment gave), and the retry schedule.

use std::time::Duration;

use scry_wire::native::{EnrollRequest, EnrollResult, PushInventory, PushResult};

use crate::state::State;
use crate::AgentError;

pub struct Client {
    http: reqwest::blocking::Client,
    base: String,
}

/// Why a request failed: the server could not be reached (or answered 5xx/429: try again
/// later), or it refused the request (a 4xx that will not change by retrying).
#[derive(Debug)]
pub enum SendError {
    Unavailable(String),
    Refused(String),
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SendError::Unavailable(m) => write!(f, "server unavailable: {m}"),
            SendError::Refused(m) => write!(f, "server refused: {m}"),
        }
    }
}

fn error_message(status: reqwest::StatusCode, text: &str) -> String {
    let msg = serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| {
            v.get("message")
                .or_else(|| v.get("Message"))
                .and_then(|m| m.as_str())
                .map(str::to_string)
        })
        .unwrap_or_else(|| text.chars().take(300).collect());
    format!("{status}: {msg}")
}

impl Client {
    pub fn new(server: &str) -> Result<Client, AgentError> {
        let base = server.trim_end_matches('/').to_string();
        reqwest::Url::parse(&base).map_err(|e| {
            AgentError::Config(format!(
                "--server {server:?} is not a URL like http://scry.example:8080 ({e})"
            ))
        })?;
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(60))
            .connect_timeout(Duration::from_secs(10))
            .pool_max_idle_per_host(1)
            .user_agent(concat!("scry-agent/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| AgentError::Config(format!("building the HTTP client: {e}")))?;
        Ok(Client { http, base })
    }

    fn send(&self, rb: reqwest::blocking::RequestBuilder) -> Result<String, SendError> {
        let resp = rb
            .send()
            .map_err(|e| SendError::Unavailable(format!("{} ({e})", self.base)))?;
        let status = resp.status();
        let text = resp
            .text()
            .map_err(|e| SendError::Unavailable(format!("reading the answer: {e}")))?;
        if status.is_success() {
            Ok(text)
        } else if status.is_server_error()
            || status == reqwest::StatusCode::TOO_MANY_REQUESTS
            || status == reqwest::StatusCode::REQUEST_TIMEOUT
        {
            Err(SendError::Unavailable(error_message(status, &text)))
        } else {
            Err(SendError::Refused(error_message(status, &text)))
        }
    }

    /// Exchanges an enrollment token for this host's access key.
    pub fn enroll(&self, req: &EnrollRequest) -> Result<EnrollResult, SendError> {
        let url = format!("{}/scry/v1/agents/enroll", self.base);
        let body = serde_json::to_vec(req).map_err(|e| SendError::Refused(e.to_string()))?;
        let text = self.send(
            self.http
                .post(url)
                .header("content-type", "application/json")
                .body(body),
        )?;
        serde_json::from_str(&text).map_err(|e| {
            SendError::Refused(format!("the enrollment answer is not understood: {e}"))
        })
    }

    /// Pushes an inventory, signed with the host's key.
    pub fn push(&self, st: &State, body: Vec<u8>) -> Result<PushResult, SendError> {
        let url = reqwest::Url::parse(&format!("{}/scry/v1/inventories", self.base))
            .map_err(|e| SendError::Refused(e.to_string()))?;
        let creds = scry_sigv4::Credentials::new(&st.access_key_id, &st.secret_access_key);
        let headers = scry_sigv4::sign_scry_request(
            "POST",
            scry_sigv4::host_header(url.host_str().unwrap_or(""), url.port()),
            url.path(),
            "",
            &[("content-type", "application/json")],
            scry_sigv4::SignPayload::Bytes(&body),
            &creds,
        )
        .map_err(|e| SendError::Refused(format!("signing the request: {e}")))?;
        let mut rb = self.http.post(url).body(body);
        for (k, v) in &headers {
            rb = rb.header(k.as_str(), v.as_str());
        }
        let text = self.send(rb)?;
        serde_json::from_str(&text)
            .map_err(|e| SendError::Refused(format!("the push answer is not understood: {e}")))
    }
}

/// Serializes a push once (the spool and the request share the bytes' shape).
pub fn body(push: &PushInventory) -> Vec<u8> {
    serde_json::to_vec(push).unwrap_or_default()
}

/// Exponential backoff with jitter: attempt 0 waits about `base`, each further attempt twice
/// as long, never more than `cap`; the wait is drawn from [half, all] of that so that many
/// agents coming back after an outage do not arrive in step.
pub fn backoff(attempt: u32, base: Duration, cap: Duration) -> Duration {
    let exp = base.saturating_mul(1u32 << attempt.min(20)).min(cap);
    let ms = exp.as_millis() as u64;
    Duration::from_millis(ms / 2 + fastrand::u64(0..=ms / 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let base = Duration::from_secs(1);
        let cap = Duration::from_secs(60);
        for attempt in 0..30 {
            let full = base.saturating_mul(1u32 << attempt.min(20)).min(cap);
            let d = backoff(attempt, base, cap);
            assert!(d <= full && d >= full / 2, "{attempt}: {d:?} vs {full:?}");
        }
        let draws: std::collections::BTreeSet<u128> =
            (0..50).map(|_| backoff(5, base, cap).as_millis()).collect();
        assert!(draws.len() > 1, "no jitter");
    }
}
