//! Amazon Inspector's wire layer: the Inspector2 (and Inspector Scan) restJson1 API as the AWS
//! SDK's service models define it (`shared/reference/inspector2-api.md`), so that the unmodified
//! AWS CLI and boto3 can talk to Scry.
//!
//! - [`operation`]: every operation of both services with its HTTP method and URI, and
//!   [`Operation::route`] from a request line to an operation and its path parameters.
//! - [`shapes`]: typed request/response structs (generated from the botocore model by
//!   `gen/gen.py`), member names and casing exactly as the model, timestamps as epoch seconds.
//! - [`finding`]: the hand-written `Finding` shapes (re-exported at the crate root).
//! - [`validate`]: the server-side checks botocore does not make (lengths, sizes, ranges,
//!   patterns, enums) and [`request::parse_request`], which turns a body into a checked request.
//! - [`error`]: [`ApiError`], the modelled exceptions plus the signing layer's errors, with HTTP
//!   status, `x-amzn-ErrorType` and JSON body.
//!
//! Architecture invariant: this is the only crate that knows wire JSON, and it is pure: data,
//! (de)serialization, routing and validation; no I/O, no HTTP server, no storage.

#![forbid(unsafe_code)]

pub mod artifact;
pub mod error;
pub mod finding;
pub mod native;
pub mod operation;
pub mod request;
pub mod route;
pub mod shapes;
pub mod time;
pub mod validate;

pub use error::{ApiError, ErrorCode, ValidationReason};
pub use finding::*;
pub use operation::{Operation, Service};
pub use request::{parse_query, parse_request, parse_request_parts, Request};
pub use route::PathParams;
pub use validate::{FieldError, Path, Validate};

/// Epoch seconds, as restJson1 timestamps are sent.
pub type Timestamp = f64;
