//! The shared state and the router: which handler answers which path.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::middleware;
use axum::routing::{delete, get, post, put};
use axum::Router;

use crate::config::MockConfig;
use crate::log::RequestLog;
use crate::store::Store;
use crate::{deliver, errors, gate, reports, webhooks};

/// What every handler shares: the configuration it was started with, the registrations and the
/// request log.
pub(crate) struct Shared {
    pub(crate) config: MockConfig,
    pub(crate) store: Mutex<Store>,
    pub(crate) log: Mutex<RequestLog>,
}

/// Locks `mutex`, also after a handler panicked while holding it (the data stays consistent:
/// no handler leaves it half-changed).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The fake API for `config`, and its state.
pub(crate) fn app(config: MockConfig) -> (Router, Arc<Shared>) {
    let log = RequestLog::new(config.request_log_capacity, config.request_log_bytes);
    let shared = Arc::new(Shared {
        config,
        store: Mutex::default(),
        log: Mutex::new(log),
    });
    let router = Router::new()
        .route(
            "/v1/businesses/{business_id}/create/webhooks",
            post(webhooks::create),
        )
        .route("/v1/businesses/{business_id}/webhooks", get(webhooks::list))
        .route(
            "/v1/businesses/{business_id}/update/webhooks/{webhook_id}",
            put(webhooks::update),
        )
        .route(
            "/v1/businesses/{business_id}/delete/webhooks/{webhook_id}",
            delete(webhooks::remove),
        )
        .route(
            "/v1/businesses/{business_id}/reporting/reports",
            get(reports::list),
        )
        .route(
            "/v1/businesses/{business_id}/mock/deliver",
            post(deliver::deliver),
        )
        .fallback(errors::not_found)
        .method_not_allowed_fallback(errors::method_not_allowed)
        .layer(middleware::from_fn_with_state(shared.clone(), gate::gate))
        .with_state(shared.clone());
    (router, shared)
}
