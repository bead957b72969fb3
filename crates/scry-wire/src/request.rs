//! Turning an HTTP request into a typed, validated request struct.
//!
//! Order of checks, as the service makes them: the body must be JSON of the right types
//! (else `ValidationException` / `CANNOT_PARSE`, naming the member); required members must be
//! present; then every constraint of the model (`FIELD_VALIDATION_FAILED`, one `fields` entry
//! per violation). An empty body is `{}`.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{ApiError, ValidationReason};
use crate::operation::Operation;
use crate::route::PathParams;
use crate::validate::{FieldError, Path, Validate};

/// Binding of the members that travel outside the body (`@uri` labels, `@querystring`).
pub trait Bind {
    /// Sets those members from the routed path parameters and the decoded query string,
    /// reporting absent required ones.
    fn bind(
        &mut self,
        _params: &PathParams,
        _query: &[(String, String)],
        _errs: &mut Vec<FieldError>,
    ) {
    }
}

/// A typed request: its operation and its response type.
pub trait Request: DeserializeOwned + Validate + Bind {
    /// The operation this is the input of.
    const OPERATION: Operation;
    /// The operation's output shape.
    type Response: Serialize + DeserializeOwned;
}

/// Parses and validates a request whose members are all in the body.
/// (For operations with path or query members use [`parse_request_parts`].)
pub fn parse_request<T: Request>(body: &[u8]) -> Result<T, ApiError> {
    parse_request_parts(body, &PathParams::default(), "")
}

/// Parses and validates a request: JSON `body`, routed path `params`, raw `query` string.
pub fn parse_request_parts<T: Request>(
    body: &[u8],
    params: &PathParams,
    query: &str,
) -> Result<T, ApiError> {
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}".as_slice()
    } else {
        body
    };
    // serde would also read a struct from a JSON array; the wire only has objects.
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::validation(
            ValidationReason::CannotParse,
            "Cannot parse request body: expected a JSON object",
            Vec::new(),
        ));
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let mut req: T = match serde_path_to_error::deserialize(&mut de) {
        Ok(r) => r,
        Err(e) => return Err(deserialize_error(e)),
    };
    if let Err(e) = de.end() {
        return Err(ApiError::validation(
            ValidationReason::CannotParse,
            format!("Cannot parse request body: {}", strip_position(&e)),
            Vec::new(),
        ));
    }
    let mut errs = Vec::new();
    req.bind(params, &parse_query(query), &mut errs);
    let mut checked = Vec::new();
    req.validate_at(&Path::Root, &mut checked);
    // A missing path/query member is reported once, as missing.
    checked.retain(|c| !errs.iter().any(|m| m.name == c.name));
    errs.extend(checked);
    if errs.is_empty() {
        Ok(req)
    } else {
        Err(ApiError::field_validation(errs))
    }
}

fn strip_position(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

fn deserialize_error(e: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let path = e.path().to_string();
    let inner = e.inner();
    let msg = strip_position(inner);
    if inner.is_data() {
        // serde reports a missing required member as "missing field `name`" at its parent.
        if let Some(name) = msg
            .strip_prefix("missing field `")
            .and_then(|m| m.strip_suffix('`'))
        {
            let full = if path == "." {
                name.to_string()
            } else {
                format!("{path}.{name}")
            };
            return ApiError::field_validation(vec![FieldError::missing_named(full)]);
        }
        let field = FieldError {
            name: if path == "." {
                String::new()
            } else {
                path.clone()
            },
            message: msg.clone(),
        };
        let at = if path == "." {
            String::new()
        } else {
            format!(" at '{path}'")
        };
        return ApiError::validation(
            ValidationReason::CannotParse,
            format!("Cannot parse request body{at}: {msg}"),
            if path == "." { Vec::new() } else { vec![field] },
        );
    }
    ApiError::validation(
        ValidationReason::CannotParse,
        format!("Cannot parse request body as JSON: {msg}"),
        Vec::new(),
    )
}

/// Splits and percent-decodes a query string (`a=1&b=2&b=3`), keeping repeated keys.
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    let query = query.strip_prefix('?').unwrap_or(query);
    query
        .split('&')
        .filter(|s| !s.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            let d = |s: &str| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (d(k), d(v))
        })
        .collect()
}
