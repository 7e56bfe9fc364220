//! Connectly's error body, and the answers every endpoint shares (JSON, unknown path or method).

use axum::http::{header, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{json, Value};

/// Connectly's error body: `message`, `type` (`ERROR_TYPE_{kind}`), `code` (`ERROR_CODE_{kind}`),
/// a fresh `cntTraceId` and `details`.
pub(crate) fn error(
    status: StatusCode,
    kind: &str,
    message: impl Into<String>,
    details: Value,
) -> Response {
    let body = json!({
        "message": message.into(),
        "type": format!("ERROR_TYPE_{kind}"),
        "code": format!("ERROR_CODE_{kind}"),
        "cntTraceId": ulid::Ulid::generate().to_string(),
        "details": details,
    });
    json_response(status, &body)
}

/// 400 `INVALID_REQUEST`.
pub(crate) fn invalid(message: impl Into<String>, details: Value) -> Response {
    error(StatusCode::BAD_REQUEST, "INVALID_REQUEST", message, details)
}

/// Checks `value`, the parameter `name` (path or query), against the spec's type for it `T`
/// (its generated type in the client, so the spec's limits are the ones applied): 400 naming
/// the parameter when it does not fit, e.g. when it is longer than the spec's `maxLength`.
#[allow(clippy::result_large_err)] // the error is the response itself, returned at once
pub(crate) fn check_param<T>(name: &str, value: &str) -> Result<(), Response>
where
    T: for<'v> TryFrom<&'v str, Error: std::fmt::Display>,
{
    match T::try_from(value) {
        Ok(_) => Ok(()),
        Err(e) => Err(invalid(
            format!("invalid parameter {name}: {e}"),
            json!({"field": name, "length": value.chars().count()}),
        )),
    }
}

/// `body` as `application/json`.
pub(crate) fn json_response(status: StatusCode, body: &impl Serialize) -> Response {
    match serde_json::to_string(body) {
        Ok(text) => (status, [(header::CONTENT_TYPE, "application/json")], text).into_response(),
        Err(e) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL",
            format!("cannot encode the answer: {e}"),
            json!({}),
        ),
    }
}

pub(crate) async fn not_found(method: Method, uri: Uri) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        format!("no such endpoint: {method} {}", uri.path()),
        json!({}),
    )
}

pub(crate) async fn method_not_allowed(method: Method, uri: Uri) -> Response {
    error(
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        format!("{method} is not allowed on {}", uri.path()),
        json!({}),
    )
}
