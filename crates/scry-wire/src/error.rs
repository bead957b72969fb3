//! Errors as the AWS tools expect them: the service's modelled exceptions (the code is the
//! exception shape name, sent in `x-amzn-ErrorType`) plus the errors the signing layer answers
//! with, each with its HTTP status and JSON body (`{"message": ..., <modelled members>}`).

use std::fmt;

use serde_json::{json, Map, Value};

use crate::operation::Operation;
use crate::validate::FieldError;

/// The error codes Scry answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// 403 `AccessDeniedException`.
    AccessDenied,
    /// 400 `BadRequestException`.
    BadRequest,
    /// 409 `ConflictException` (`resourceId`, `resourceType`).
    Conflict,
    /// 500 `InternalServerException` (retried by the SDKs; `Retry-After`).
    InternalServer,
    /// 404 `ResourceNotFoundException`.
    ResourceNotFound,
    /// 402 `ServiceQuotaExceededException` (`resourceId`).
    ServiceQuotaExceeded,
    /// 429 `ThrottlingException` (retried by the SDKs; `Retry-After`).
    Throttling,
    /// 400 `ValidationException` (`reason`, `fields`).
    Validation,
    /// 403 `UnrecognizedClientException`: unknown access key or invalid security token.
    UnrecognizedClient,
    /// 403 `InvalidSignatureException`: signature mismatch, or a request signed too long ago
    /// or too far in the future ("Signature expired: ..."/"Signature not yet current: ...").
    InvalidSignature,
    /// 400 `IncompleteSignatureException`: malformed `Authorization` header.
    IncompleteSignature,
    /// 403 `MissingAuthenticationTokenException`: no signature at all.
    MissingAuthenticationToken,
    /// 404 `UnknownOperationException`: no operation has this method and path.
    UnknownOperation,
    /// 501 `NotImplementedException`: an Inspector operation Scry does not implement.
    NotImplemented,
}

impl ErrorCode {
    /// The code, as sent in `x-amzn-ErrorType` (for modelled errors, the shape name).
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::AccessDenied => "AccessDeniedException",
            ErrorCode::BadRequest => "BadRequestException",
            ErrorCode::Conflict => "ConflictException",
            ErrorCode::InternalServer => "InternalServerException",
            ErrorCode::ResourceNotFound => "ResourceNotFoundException",
            ErrorCode::ServiceQuotaExceeded => "ServiceQuotaExceededException",
            ErrorCode::Throttling => "ThrottlingException",
            ErrorCode::Validation => "ValidationException",
            ErrorCode::UnrecognizedClient => "UnrecognizedClientException",
            ErrorCode::InvalidSignature => "InvalidSignatureException",
            ErrorCode::IncompleteSignature => "IncompleteSignatureException",
            ErrorCode::MissingAuthenticationToken => "MissingAuthenticationTokenException",
            ErrorCode::UnknownOperation => "UnknownOperationException",
            ErrorCode::NotImplemented => "NotImplementedException",
        }
    }

    /// The HTTP status.
    pub const fn status(self) -> u16 {
        match self {
            ErrorCode::AccessDenied
            | ErrorCode::UnrecognizedClient
            | ErrorCode::InvalidSignature
            | ErrorCode::MissingAuthenticationToken => 403,
            ErrorCode::BadRequest | ErrorCode::Validation | ErrorCode::IncompleteSignature => 400,
            ErrorCode::Conflict => 409,
            ErrorCode::InternalServer => 500,
            ErrorCode::ResourceNotFound | ErrorCode::UnknownOperation => 404,
            ErrorCode::ServiceQuotaExceeded => 402,
            ErrorCode::Throttling => 429,
            ErrorCode::NotImplemented => 501,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `ValidationExceptionReason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValidationReason {
    /// The body is not JSON, or a member has the wrong JSON type.
    CannotParse,
    /// A member violates a constraint (or a required member is missing).
    FieldValidationFailed,
    /// Anything else.
    Other,
}

impl ValidationReason {
    /// The wire value.
    pub const fn as_str(self) -> &'static str {
        match self {
            ValidationReason::CannotParse => "CANNOT_PARSE",
            ValidationReason::FieldValidationFailed => "FIELD_VALIDATION_FAILED",
            ValidationReason::Other => "OTHER",
        }
    }
}

/// An error answer.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    /// `ValidationException.reason`.
    pub reason: Option<ValidationReason>,
    /// `ValidationException.fields`.
    pub fields: Vec<FieldError>,
    /// `ConflictException` / `ServiceQuotaExceededException` `resourceId`.
    pub resource_id: Option<String>,
    /// `ConflictException.resourceType`.
    pub resource_type: Option<String>,
    /// Seconds, sent as the `Retry-After` header (Throttling, InternalServer).
    pub retry_after: Option<u32>,
}

impl ApiError {
    /// An error with just a code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
            reason: None,
            fields: Vec::new(),
            resource_id: None,
            resource_type: None,
            retry_after: None,
        }
    }
    /// `ValidationException` with a reason and field list.
    pub fn validation(
        reason: ValidationReason,
        message: impl Into<String>,
        fields: Vec<FieldError>,
    ) -> Self {
        ApiError {
            reason: Some(reason),
            fields,
            ..Self::new(ErrorCode::Validation, message)
        }
    }
    /// `ValidationException` with reason `OTHER` (a semantic check the model cannot express).
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::validation(ValidationReason::Other, message, Vec::new())
    }
    pub fn access_denied(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::AccessDenied, message)
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadRequest, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ResourceNotFound, message)
    }
    pub fn conflict(
        message: impl Into<String>,
        resource_id: impl Into<String>,
        resource_type: impl Into<String>,
    ) -> Self {
        ApiError {
            resource_id: Some(resource_id.into()),
            resource_type: Some(resource_type.into()),
            ..Self::new(ErrorCode::Conflict, message)
        }
    }
    pub fn quota_exceeded(message: impl Into<String>, resource_id: impl Into<String>) -> Self {
        ApiError {
            resource_id: Some(resource_id.into()),
            ..Self::new(ErrorCode::ServiceQuotaExceeded, message)
        }
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InternalServer, message)
    }
    pub fn throttling(message: impl Into<String>, retry_after: Option<u32>) -> Self {
        ApiError {
            retry_after,
            ..Self::new(ErrorCode::Throttling, message)
        }
    }
    /// Unknown access key id, or an invalid session token.
    pub fn unrecognized_client() -> Self {
        Self::new(
            ErrorCode::UnrecognizedClient,
            "The security token included in the request is invalid.",
        )
    }
    /// The signature does not match.
    pub fn invalid_signature() -> Self {
        Self::new(
            ErrorCode::InvalidSignature,
            "The request signature we calculated does not match the signature you provided. \
             Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
        )
    }
    /// The request's `X-Amz-Date` is more than `window_minutes` before the server's clock
    /// (all three times as `yyyymmddThhmmssZ`: signed, now - window, now).
    pub fn signature_expired(signed: &str, earliest: &str, now: &str, window_minutes: u32) -> Self {
        Self::new(
            ErrorCode::InvalidSignature,
            format!("Signature expired: {signed} is now earlier than {earliest} ({now} - {window_minutes} min.)"),
        )
    }
    /// The request's `X-Amz-Date` is more than `window_minutes` after the server's clock
    /// (signed, now + window, now).
    pub fn signature_not_yet_current(
        signed: &str,
        latest: &str,
        now: &str,
        window_minutes: u32,
    ) -> Self {
        Self::new(
            ErrorCode::InvalidSignature,
            format!("Signature not yet current: {signed} is still later than {latest} ({now} + {window_minutes} min.)"),
        )
    }
    /// A malformed `Authorization` header (`message` says what is wrong).
    pub fn incomplete_signature(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::IncompleteSignature, message)
    }
    /// No `Authorization` header or presigned query.
    pub fn missing_authentication_token() -> Self {
        Self::new(
            ErrorCode::MissingAuthenticationToken,
            "Missing Authentication Token",
        )
    }
    /// No operation for this method and path.
    pub fn unknown_operation(method: &str, path: &str) -> Self {
        Self::new(
            ErrorCode::UnknownOperation,
            format!("No operation matches {method} {path}"),
        )
    }
    /// An Inspector operation Scry does not implement.
    pub fn not_implemented(op: Operation) -> Self {
        Self::new(
            ErrorCode::NotImplemented,
            format!("Scry does not implement {}", op.name()),
        )
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.code.status()
    }

    /// The value of the `x-amzn-ErrorType` header.
    pub fn error_type(&self) -> &'static str {
        self.code.as_str()
    }

    /// Response headers besides content type: `x-amzn-ErrorType` and, if set, `Retry-After`.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let mut h = vec![("x-amzn-ErrorType", self.error_type().to_string())];
        if let Some(s) = self.retry_after {
            h.push(("Retry-After", s.to_string()));
        }
        h
    }

    /// The JSON body: `message` plus the members modelled for this exception.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("message".into(), Value::String(self.message.clone()));
        match self.code {
            ErrorCode::Validation => {
                let reason = self.reason.unwrap_or(ValidationReason::Other);
                m.insert("reason".into(), json!(reason.as_str()));
                if !self.fields.is_empty() {
                    m.insert("fields".into(), json!(self.fields));
                }
            }
            ErrorCode::Conflict => {
                m.insert(
                    "resourceId".into(),
                    json!(self.resource_id.clone().unwrap_or_default()),
                );
                m.insert(
                    "resourceType".into(),
                    json!(self.resource_type.clone().unwrap_or_default()),
                );
            }
            ErrorCode::ServiceQuotaExceeded => {
                m.insert(
                    "resourceId".into(),
                    json!(self.resource_id.clone().unwrap_or_default()),
                );
            }
            _ => {}
        }
        Value::Object(m)
    }

    /// [`Self::to_json`] as a string.
    pub fn to_body(&self) -> String {
        self.to_json().to_string()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_bodies() {
        let e = ApiError::conflict("exists", "arn:x", "FILTER");
        assert_eq!(e.status(), 409);
        assert_eq!(
            e.to_json(),
            json!({"message": "exists", "resourceId": "arn:x", "resourceType": "FILTER"})
        );
        let t = ApiError::throttling("slow down", Some(3));
        assert_eq!(t.status(), 429);
        assert_eq!(
            t.headers(),
            vec![
                ("x-amzn-ErrorType", "ThrottlingException".into()),
                ("Retry-After", "3".into())
            ]
        );
        assert_eq!(t.to_body(), r#"{"message":"slow down"}"#);
        assert_eq!(
            ApiError::quota_exceeded("q", "acct").to_json(),
            json!({"message": "q", "resourceId": "acct"})
        );
        assert_eq!(ApiError::unrecognized_client().status(), 403);
        assert_eq!(
            ApiError::invalid_signature().error_type(),
            "InvalidSignatureException"
        );
        let x = ApiError::signature_expired(
            "20240101T000000Z",
            "20240101T000500Z",
            "20240101T001000Z",
            5,
        );
        assert!(x.message.starts_with("Signature expired: "));
        let n = ApiError::not_implemented(Operation::ListMembers);
        assert_eq!(
            (n.status(), n.message.as_str()),
            (501, "Scry does not implement ListMembers")
        );
        let v = ApiError::invalid("nope");
        assert_eq!(v.to_json(), json!({"message": "nope", "reason": "OTHER"}));
        for (c, s) in [
            (ErrorCode::AccessDenied, 403),
            (ErrorCode::BadRequest, 400),
            (ErrorCode::InternalServer, 500),
            (ErrorCode::ResourceNotFound, 404),
            (ErrorCode::ServiceQuotaExceeded, 402),
            (ErrorCode::Validation, 400),
        ] {
            assert_eq!(c.status(), s);
        }
    }
}
