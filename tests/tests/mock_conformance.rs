//! Conformance: for every operation in the spec, the mock's responses (success and each error
//! status it can produce) validate against the spec's response schemas, and every status the
//! spec declares is exercised (except 500, which the mock has no reason to answer).

use std::collections::{BTreeMap, BTreeSet};

use connectly_mock::MockServer;
use reqwest::Method;
use serde_json::{json, Value};
use xtask::spec::Spec;

struct Observed {
    operation: &'static str,
    status: u16,
    body: Value,
}

async fn call(
    mock: &MockServer,
    key: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .request(method, format!("{}{path}", mock.base_url()))
        .header("x-api-key", key);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// Drives the mock through every documented outcome of every operation.
async fn observe() -> Vec<Observed> {
    let mock = MockServer::start().await.unwrap();
    let key = mock.api_key().to_owned();
    let create = "/v1/businesses/b1/create/webhooks";
    let registration = json!({"topic": "messages", "address": "https://example.com/m",
        "type": "custom", "configuration": {"echo": false, "channelTypes": ["whatsapp"], "filters": []}});
    let mut seen = Vec::new();
    let mut push = |operation, (status, body): (u16, Value)| {
        seen.push(Observed {
            operation,
            status,
            body,
        })
    };

    let (status, created) = call(
        &mock,
        &key,
        Method::POST,
        create,
        Some(registration.clone()),
    )
    .await;
    let id = created["id"].as_str().unwrap().to_owned();
    push("create_webhook", (status, created));
    push(
        "create_webhook",
        call(
            &mock,
            &key,
            Method::POST,
            create,
            Some(registration.clone()),
        )
        .await,
    );
    push(
        "create_webhook",
        call(&mock, &key, Method::POST, create, Some(json!({"topic": 1}))).await,
    );
    push(
        "create_webhook",
        call(&mock, "wrong", Method::POST, create, Some(registration)).await,
    );

    let list = "/v1/businesses/b1/webhooks";
    push(
        "list_webhooks",
        call(&mock, &key, Method::GET, list, None).await,
    );
    push(
        "list_webhooks",
        call(
            &mock,
            &key,
            Method::GET,
            "/v1/businesses/empty/webhooks",
            None,
        )
        .await,
    );
    push(
        "list_webhooks",
        call(&mock, "wrong", Method::GET, list, None).await,
    );
    // A business id over the spec's maxLength.
    let long_id = "b".repeat(257);
    let too_long = format!("/v1/businesses/{long_id}/webhooks");
    let answer = call(&mock, &key, Method::GET, &too_long, None).await;
    push("list_webhooks", answer);

    let update = format!("/v1/businesses/b1/update/webhooks/{id}");
    let change = json!({"address": "https://example.com/v2", "configuration": {"echo": true}});
    push(
        "update_webhook",
        call(&mock, &key, Method::PUT, &update, Some(change.clone())).await,
    );
    push(
        "update_webhook",
        call(
            &mock,
            &key,
            Method::PUT,
            &update,
            Some(json!({"address": "ftp://x"})),
        )
        .await,
    );
    push(
        "update_webhook",
        call(&mock, "wrong", Method::PUT, &update, Some(change.clone())).await,
    );
    push(
        "update_webhook",
        call(
            &mock,
            &key,
            Method::PUT,
            "/v1/businesses/b1/update/webhooks/nope",
            Some(change),
        )
        .await,
    );
    // The list after an update still conforms.
    push(
        "list_webhooks",
        call(&mock, &key, Method::GET, list, None).await,
    );

    let reports = "/v1/businesses/b1/reporting/reports";
    push(
        "list_reports",
        call(&mock, &key, Method::GET, reports, None).await,
    );
    push(
        "list_reports",
        call(
            &mock,
            &key,
            Method::GET,
            &format!("{reports}?type=campaign.daily.v1"),
            None,
        )
        .await,
    );
    push(
        "list_reports",
        call(
            &mock,
            &key,
            Method::GET,
            &format!("{reports}?type=none"),
            None,
        )
        .await,
    );
    push(
        "list_reports",
        call(&mock, "wrong", Method::GET, reports, None).await,
    );
    push(
        "list_reports",
        call(&mock, &key, Method::GET, &format!("{reports}?type="), None).await,
    );

    let delete = format!("/v1/businesses/b1/delete/webhooks/{id}");
    push(
        "delete_webhook",
        call(&mock, "wrong", Method::DELETE, &delete, None).await,
    );
    push(
        "delete_webhook",
        call(
            &mock,
            &key,
            Method::DELETE,
            &format!("/v1/businesses/b1/delete/webhooks/{long_id}"),
            None,
        )
        .await,
    );
    push(
        "delete_webhook",
        call(&mock, &key, Method::DELETE, &delete, None).await,
    );
    push(
        "delete_webhook",
        call(&mock, &key, Method::DELETE, &delete, None).await,
    );
    seen
}

#[tokio::test]
async fn every_mock_response_validates_against_the_spec() {
    let root = xtask::workspace_root();
    let text = std::fs::read_to_string(root.join(xtask::SPEC)).unwrap();
    let spec = Spec::parse(xtask::SPEC, text).unwrap();
    let document = spec.value();

    // operationId → status → JSON Schema of the response body.
    let mut declared: BTreeMap<String, BTreeMap<u16, Value>> = BTreeMap::new();
    for (_, operation) in spec.operations() {
        let id = operation["operationId"].as_str().unwrap().to_owned();
        for (status, response) in operation["responses"].as_object().unwrap() {
            let response = match response["$ref"].as_str() {
                Some(r) => document.pointer(r.trim_start_matches('#')).unwrap(),
                None => response,
            };
            let schema = &response["content"]["application/json"]["schema"];
            let bundled = xtask::jsonschema::bundle(document, schema, None);
            declared
                .entry(id.clone())
                .or_default()
                .insert(status.parse().unwrap(), bundled);
        }
    }
    assert_eq!(
        declared.len(),
        5,
        "every operation of the spec is covered here"
    );

    let mut exercised: BTreeSet<(String, u16)> = BTreeSet::new();
    for observed in observe().await {
        let statuses = &declared[observed.operation];
        let schema = statuses.get(&observed.status).unwrap_or_else(|| {
            panic!(
                "{} answered {}, which the spec does not declare",
                observed.operation, observed.status
            )
        });
        let validator = connectly_schema::compile(schema);
        let errors: Vec<String> = validator
            .iter_errors(&observed.body)
            .map(|e| e.to_string())
            .collect();
        assert!(
            errors.is_empty(),
            "{} {}: {} does not match the spec: {errors:?}",
            observed.operation,
            observed.status,
            observed.body
        );
        exercised.insert((observed.operation.to_owned(), observed.status));
    }
    for (operation, statuses) in &declared {
        for status in statuses.keys().filter(|s| **s != 500) {
            assert!(
                exercised.contains(&(operation.clone(), *status)),
                "{operation} {status} is declared but not exercised"
            );
        }
    }
}
