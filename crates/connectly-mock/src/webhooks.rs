//! The four registration endpoints: create, list, update, delete.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use connectly_client::types;
use connectly_schema::{validate_as, SchemaKind};
use serde_json::{json, Map, Value};

use crate::app::{lock, Shared};
use crate::errors::{check_param, error, invalid, json_response};

/// Parses and validates a JSON body, or answers 400 naming each field at fault.
#[allow(clippy::result_large_err)] // the error is the response itself, returned at once
fn parse_body(body: &Bytes, kind: SchemaKind) -> Result<Map<String, Value>, Response> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| invalid(format!("malformed JSON body: {e}"), json!({})))?;
    if let Err(errors) = validate_as(kind, &value) {
        let message = errors
            .iter()
            .map(|e| {
                let field = if e.pointer.is_empty() {
                    "body"
                } else {
                    e.pointer.as_str()
                };
                format!("{field}: {}", e.message)
            })
            .collect::<Vec<_>>()
            .join("; ");
        let details: Vec<Value> = errors
            .iter()
            .map(|e| json!({"field": e.pointer, "message": e.message}))
            .collect();
        return Err(invalid(
            format!("invalid field values: {message}"),
            json!({"errors": details}),
        ));
    }
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(invalid("the body must be a JSON object", json!({}))),
    }
}

/// The typed form of a body the schema accepted.
#[allow(clippy::result_large_err)] // the error is the response itself, returned at once
fn typed<T: serde::de::DeserializeOwned>(fields: Map<String, Value>) -> Result<T, Response> {
    serde_json::from_value(Value::Object(fields)).map_err(|e| {
        invalid(
            format!("invalid field values: {e}"),
            json!({"errors": [{"field": "", "message": e.to_string()}]}),
        )
    })
}

pub(crate) async fn create(
    State(shared): State<Arc<Shared>>,
    Path(business_id): Path<String>,
    body: Bytes,
) -> Response {
    if let Err(response) = check_param::<types::BusinessId>("businessId", &business_id) {
        return response;
    }
    let request: types::CreateWebhookRequest =
        match parse_body(&body, SchemaKind::Registration).and_then(typed) {
            Ok(request) => request,
            Err(response) => return response,
        };
    let topic = request.topic;
    match lock(&shared.store).create(business_id, request) {
        Ok(id) => json_response(StatusCode::OK, &types::CreateWebhookResponse { id }),
        Err(id) => error(
            StatusCode::CONFLICT,
            "ALREADY_EXISTS",
            format!(
                "an endpoint is already registered for topic \"{topic}\" (id {id}); \
                 use Update Webhook instead"
            ),
            json!({"webhookId": id}),
        ),
    }
}

pub(crate) async fn list(
    State(shared): State<Arc<Shared>>,
    Path(business_id): Path<String>,
) -> Response {
    if let Err(response) = check_param::<types::BusinessId>("businessId", &business_id) {
        return response;
    }
    let webhooks = lock(&shared.store).registrations(&business_id).to_vec();
    json_response(
        StatusCode::OK,
        &types::ListWebhooksResponse {
            entity: types::WebhookList {
                business_id: Some(business_id),
                webhooks,
            },
        },
    )
}

pub(crate) async fn update(
    State(shared): State<Arc<Shared>>,
    Path((business_id, webhook_id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    if let Err(response) = check_param::<types::BusinessId>("businessId", &business_id) {
        return response;
    }
    if let Err(response) = check_param::<types::UpdateWebhookWebhookId>("webhookId", &webhook_id) {
        return response;
    }
    let fields = match parse_body(&body, SchemaKind::Update) {
        Ok(fields) => fields,
        Err(response) => return response,
    };
    let configuration = fields
        .get("configuration")
        .and_then(Value::as_object)
        .cloned();
    let update: types::UpdateWebhookRequest = match typed(fields) {
        Ok(update) => update,
        Err(response) => return response,
    };
    let updated =
        lock(&shared.store).update(&business_id, &webhook_id, update, configuration.as_ref());
    if updated {
        json_response(StatusCode::OK, &json!({}))
    } else {
        unknown_webhook(&webhook_id)
    }
}

pub(crate) async fn remove(
    State(shared): State<Arc<Shared>>,
    Path((business_id, webhook_id)): Path<(String, String)>,
) -> Response {
    if let Err(response) = check_param::<types::BusinessId>("businessId", &business_id) {
        return response;
    }
    if let Err(response) = check_param::<types::DeleteWebhookWebhookId>("webhookId", &webhook_id) {
        return response;
    }
    if lock(&shared.store).remove(&business_id, &webhook_id) {
        json_response(StatusCode::OK, &json!({}))
    } else {
        unknown_webhook(&webhook_id)
    }
}

fn unknown_webhook(webhook_id: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        format!("no webhook {webhook_id:?} for this business"),
        json!({"webhookId": webhook_id}),
    )
}
