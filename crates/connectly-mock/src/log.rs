//! What the mock remembers of the requests it received: [`RecordedRequest`]s in a log bounded by
//! entries and bytes, and the one-line [`ServedRequest`] its observer gets.

use std::collections::VecDeque;
use std::time::Duration;

use axum::body::Bytes;
use axum::http::request::Parts;
use serde_json::Value;

/// One request as the mock received it (see [`MockServer::requests`](crate::MockServer::requests)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// The method, e.g. `POST`.
    pub method: String,
    /// The path exactly as sent (still percent-encoded).
    pub path: String,
    /// The query string, if any.
    pub query: Option<String>,
    /// Every header but `x-api-key`, names in lower case.
    pub headers: Vec<(String, String)>,
    /// Whether `x-api-key` held one of the accepted keys.
    pub authenticated: bool,
    /// The body, only when the mock accepted it: empty when the key was missing or wrong (the
    /// body is then never read), when it was over the size limit or did not arrive in time.
    pub body: Bytes,
}

impl RecordedRequest {
    /// The body as JSON, if it is.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    pub(crate) fn new(parts: &Parts, authenticated: bool, body: Bytes) -> Self {
        Self {
            method: parts.method.to_string(),
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().map(str::to_owned),
            headers: parts
                .headers
                .iter()
                .filter(|(name, _)| *name != "x-api-key")
                .map(|(name, value)| {
                    (
                        name.as_str().to_owned(),
                        String::from_utf8_lossy(value.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            authenticated,
            body,
        }
    }

    /// What keeping it costs, roughly, in bytes.
    fn size(&self) -> usize {
        let headers: usize = self.headers.iter().map(|(n, v)| n.len() + v.len()).sum();
        self.method.len()
            + self.path.len()
            + self.query.as_ref().map_or(0, String::len)
            + headers
            + self.body.len()
    }
}

/// One answered request, as [`MockConfig::on_request`](crate::MockConfig::on_request) sees it:
/// never the key, never the body.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServedRequest {
    /// The method, e.g. `POST`.
    pub method: String,
    /// The path as sent (percent-encoded), without the query.
    pub path: String,
    /// The status of the answer.
    pub status: u16,
    /// From the request's headers being read to the answer being ready.
    pub latency: Duration,
}

/// The last requests, at most `max_entries` of them and `max_bytes` in all: oldest dropped first.
pub(crate) struct RequestLog {
    entries: VecDeque<RecordedRequest>,
    bytes: usize,
    max_entries: usize,
    max_bytes: usize,
}

impl RequestLog {
    pub(crate) fn new(max_entries: usize, max_bytes: usize) -> Self {
        Self {
            entries: VecDeque::new(),
            bytes: 0,
            max_entries,
            max_bytes,
        }
    }

    /// Keeps `request`, dropping the oldest as needed; a request larger than the whole log is
    /// not kept.
    pub(crate) fn push(&mut self, request: RecordedRequest) {
        let size = request.size();
        if self.max_entries == 0 || size > self.max_bytes {
            return;
        }
        while self.entries.len() >= self.max_entries || self.bytes + size > self.max_bytes {
            match self.entries.pop_front() {
                Some(old) => self.bytes -= old.size(),
                None => break,
            }
        }
        self.bytes += size;
        self.entries.push_back(request);
    }

    pub(crate) fn snapshot(&self) -> Vec<RecordedRequest> {
        self.entries.iter().cloned().collect()
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
        self.bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(body: usize) -> RecordedRequest {
        RecordedRequest {
            method: "POST".into(),
            path: "/p".into(),
            query: None,
            headers: Vec::new(),
            authenticated: true,
            body: Bytes::from(vec![b'x'; body]),
        }
    }

    #[test]
    fn the_log_is_bounded_by_bytes_as_well_as_entries() {
        // Each request costs 4 + 2 + body bytes.
        let mut log = RequestLog::new(100, 3 * 106);
        for _ in 0..10 {
            log.push(request(100));
        }
        assert_eq!(log.snapshot().len(), 3, "bytes, not entries, bound it");
        assert_eq!(log.bytes, 3 * 106);
        log.push(request(1000));
        assert_eq!(
            log.snapshot().len(),
            3,
            "a request larger than the log is not kept"
        );
        let mut log = RequestLog::new(2, usize::MAX);
        for _ in 0..5 {
            log.push(request(0));
        }
        assert_eq!(log.snapshot().len(), 2);
        log.clear();
        assert!(log.snapshot().is_empty());
        assert_eq!(log.bytes, 0);
    }
}
