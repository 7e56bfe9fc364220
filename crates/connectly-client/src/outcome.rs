//! The one place where what an attempt got back (a decoded value, a generated-code error, a
//! transport failure), with what the transport hook saw of its response, becomes the call's
//! result: the value, or an [`Error`].
//!
//! By then the transport hook ([`crate::transport`]) has read the body under the size cap, and
//! the generated code has matched the status against the operation's documented responses and
//! decoded the body (or failed to). Nothing is read or decoded twice here. Everything the server
//! sent that goes into an error has the API key redacted ([`crate::redact`]).

use std::time::Duration;

use progenitor_client::{Error as GenError, ResponseValue};
use reqwest::{header, StatusCode};

use crate::{
    redact::{excerpt, redact, redact_body},
    transport::Observed,
    ApiError, DecodeError, Error,
};

/// What a generated operation returns.
pub(crate) type Outcome<T> = Result<ResponseValue<T>, GenError<ApiError>>;

/// The call's result for one attempt: its value, or its error. `limit` is the client's
/// response cap, `key` the API key (to redact).
pub(crate) async fn settle<T>(
    outcome: Outcome<T>,
    seen: &Observed,
    limit: usize,
    key: &str,
) -> Result<T, Error> {
    if seen.too_large {
        if let Some(status) = seen.status {
            return Err(Error::ResponseTooLarge { status, limit });
        }
    }
    let error = match outcome {
        Ok(value) => return Ok(value.into_inner()),
        Err(error) => error,
    };
    Err(match error {
        // A documented error status with Connectly's error body.
        GenError::ErrorResponse(response) => {
            let status = response.status();
            let retry_after = retry_after(response.headers());
            documented(status, redact_body(response.into_inner(), key), retry_after)
        }
        // A documented status whose body did not decode: for a success, a decode error; for an
        // error status (an empty 401, a proxy's HTML 500), the status's variant, without a body.
        GenError::InvalidResponsePayload(body, source) => match seen.status {
            Some(status) if !status.is_success() => documented(status, ApiError::default(), None),
            status => Error::Decode {
                status,
                excerpt: excerpt(&body, key),
                source: DecodeError {
                    message: connectly_net::printable(&redact(&source.to_string(), key))
                        .into_owned(),
                    line: source.line(),
                    column: source.column(),
                },
            },
        },
        GenError::UnexpectedResponse(response) => {
            let status = response.status();
            let retry_after = retry_after(response.headers());
            // In memory already: the transport hook read it under the cap.
            let body = response.bytes().await.unwrap_or_default();
            Error::UnexpectedStatus {
                status,
                body: serde_json::from_slice(&body)
                    .ok()
                    .map(|b| Box::new(redact_body(b, key))),
                excerpt: excerpt(&body, key),
                retry_after,
            }
        }
        GenError::CommunicationError(e)
        | GenError::ResponseBodyError(e)
        | GenError::InvalidUpgrade(e) => {
            if e.is_timeout() {
                Error::Timeout(e)
            } else {
                Error::Transport(e)
            }
        }
        GenError::InvalidRequest(reason) | GenError::Custom(reason) => Error::InvalidInput {
            what: "request",
            reason,
        },
    })
}

/// The variant of a status the operation documents.
fn documented(status: StatusCode, body: ApiError, retry_after: Option<Duration>) -> Error {
    let body = Box::new(body);
    match status.as_u16() {
        400 => Error::InvalidRequest { status, body },
        401 => Error::Unauthorized { status, body },
        404 => Error::NotFound { status, body },
        409 => Error::AlreadyRegistered { status, body },
        500..=599 => Error::Server { status, body },
        _ => Error::UnexpectedStatus {
            status,
            body: Some(body),
            excerpt: String::new(),
            retry_after,
        },
    }
}

/// `Retry-After` in either of its forms: delay-seconds, or an HTTP-date (a date in the past is
/// no delay).
fn retry_after(headers: &header::HeaderMap) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(
        date.duration_since(std::time::SystemTime::now())
            .unwrap_or_default(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut headers = header::HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert(header::RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        let later = std::time::SystemTime::now() + Duration::from_secs(90);
        headers.insert(
            header::RETRY_AFTER,
            httpdate::fmt_http_date(later).parse().unwrap(),
        );
        let delay = retry_after(&headers).unwrap();
        assert!(
            delay > Duration::from_secs(80) && delay <= Duration::from_secs(90),
            "{delay:?}"
        );
        headers.insert(
            header::RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&headers), Some(Duration::ZERO));
        headers.insert(header::RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&headers), None);
    }
}
