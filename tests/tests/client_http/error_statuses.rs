//! Documented error statuses, with Connectly's JSON body or a body that is not.

use super::*;

#[tokio::test]
async fn create_409_maps_to_already_registered_keeping_error_body() {
    let server = start_server().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(Method::POST).path(CREATE_PATH);
            then.status(409)
                .header("content-type", "application/json")
                .json_body(conflict_body());
        })
        .await;

    let error = client_for(&server)
        .create_webhook(BUSINESS, &from_example(&example_messages()))
        .await
        .expect_err("409 is an error");

    mock.assert_calls_async(1).await;
    assert_key_not_shown(&error);
    assert_eq!(error.status(), Some(StatusCode::CONFLICT));
    assert_eq!(error.api_error(), Some(&api_error(&conflict_body())));
    let display = error.to_string();
    match error {
        Error::AlreadyRegistered { status, body } => {
            assert_eq!(status, StatusCode::CONFLICT);
            assert_eq!(
                body.message.as_deref(),
                Some("an endpoint is already registered for topic messages")
            );
            assert_eq!(body.code.as_deref(), Some("ERROR_CODE_ALREADY_EXISTS"));
            assert_eq!(body.cnt_trace_id.as_deref(), Some("trace-7f3e9a"));
            assert_eq!(body.details.get("topic"), Some(&json!("messages")));
        }
        other => panic!("expected AlreadyRegistered, got {other:?}"),
    }
    // The message, code and trace id are what a user quotes to support: Display keeps them.
    for part in [
        "an endpoint is already registered",
        "ERROR_CODE_ALREADY_EXISTS",
        "trace-7f3e9a",
    ] {
        assert!(display.contains(part), "{display:?} lacks {part:?}");
    }
}

#[tokio::test]
async fn create_401_400_500_map_to_unauthorized_invalid_request_server_keeping_status_and_body() {
    for status in [401u16, 400, 500] {
        let body = error_body(&format!("failed with {status}"), "ERROR_CODE_X", "trace-1");
        let error = create_error(json_reply(status, &body)).await;

        assert_key_not_shown(&error);
        assert_eq!(error.status().map(|s| s.as_u16()), Some(status));
        assert_eq!(error.api_error(), Some(&api_error(&body)), "{status}");
        let variant_ok = match (status, &error) {
            (401, Error::Unauthorized { status: s, .. }) => s.as_u16() == 401,
            (400, Error::InvalidRequest { status: s, .. }) => s.as_u16() == 400,
            (500, Error::Server { status: s, .. }) => s.as_u16() == 500,
            _ => false,
        };
        assert!(variant_ok, "{status} mapped to {error:?}");
    }
}

#[tokio::test]
async fn list_401_maps_to_unauthorized_and_500_to_server() {
    for (status, expect_unauthorized) in [(401u16, true), (500, false)] {
        let body = error_body("nope", "ERROR_CODE_Y", "trace-2");
        let error = list_error(json_reply(status, &body)).await;

        assert_eq!(error.status().map(|s| s.as_u16()), Some(status));
        assert_eq!(error.api_error(), Some(&api_error(&body)));
        match error {
            Error::Unauthorized { .. } if expect_unauthorized => {}
            Error::Server { .. } if !expect_unauthorized => {}
            other => panic!("{status} mapped to {other:?}"),
        }
    }
}

#[tokio::test]
async fn update_and_delete_404_map_to_not_found_keeping_status_and_body() {
    let server = start_server().await;
    let body = error_body("webhook not found", "ERROR_CODE_NOT_FOUND", "trace-404");
    let (json, text) = ("application/json", body.to_string());
    let update_mock = answer(&server, route_update("wh_gone"), (404, json, &text)).await;
    let delete_mock = answer(&server, route_delete("wh_gone"), (404, json, &text)).await;
    let client = client_for(&server);
    let update = types::UpdateWebhookRequest {
        address: Some("https://example.com/webhook/v2/messages".parse().unwrap()),
        configuration: None,
    };

    let errors = [
        client
            .update_webhook(BUSINESS, "wh_gone", &update)
            .await
            .expect_err("404"),
        client
            .delete_webhook(BUSINESS, "wh_gone")
            .await
            .expect_err("404"),
    ];

    update_mock.assert_calls_async(1).await;
    delete_mock.assert_calls_async(1).await;
    for error in errors {
        assert_key_not_shown(&error);
        assert_eq!(error.api_error(), Some(&api_error(&body)));
        match error {
            Error::NotFound { status, body } => {
                assert_eq!(status, StatusCode::NOT_FOUND);
                assert_eq!(body.cnt_trace_id.as_deref(), Some("trace-404"));
            }
            other => panic!("expected NotFound, got {other:?}"),
        }
    }
}

// Documented error statuses with a body that is not Connectly's JSON ----------------------

#[tokio::test]
async fn documented_error_status_with_empty_body_still_maps_to_its_variant() {
    for status in [401u16, 409, 400, 500] {
        let error = create_error(|then| {
            then.status(status);
        })
        .await;

        assert_eq!(error.status().map(|s| s.as_u16()), Some(status));
        assert_eq!(error.api_error(), Some(&ApiError::default()), "{status}");
        let variant_ok = matches!(
            (status, &error),
            (401, Error::Unauthorized { .. })
                | (409, Error::AlreadyRegistered { .. })
                | (400, Error::InvalidRequest { .. })
                | (500, Error::Server { .. })
        );
        assert!(variant_ok, "empty {status} mapped to {error:?}");
    }
}

#[tokio::test]
async fn documented_error_status_with_html_body_still_maps_to_its_variant() {
    let html =
        "<html><head><title>502</title></head><body><h1>Internal Server Error</h1></body></html>";
    let server = start_server().await;
    let (not_found, unauthorized) = ("<h1>Not Found</h1>", "Unauthorized\r\n");
    answer(&server, route_create(), (500, "text/html", html)).await;
    answer(&server, route_delete("wh_1"), (404, "text/html", not_found)).await;
    answer(&server, route_list(), (401, "text/plain", unauthorized)).await;
    let client = client_for(&server);

    let error = client
        .create_webhook(BUSINESS, &from_example(&example_messages()))
        .await
        .expect_err("500");
    assert!(
        matches!(&error, Error::Server { status, body } if *status == StatusCode::INTERNAL_SERVER_ERROR && **body == ApiError::default()),
        "HTML 500 mapped to {error:?}"
    );

    let error = client
        .delete_webhook(BUSINESS, "wh_1")
        .await
        .expect_err("404");
    assert!(
        matches!(&error, Error::NotFound { status, .. } if *status == StatusCode::NOT_FOUND),
        "HTML 404 mapped to {error:?}"
    );

    let error = client.list_webhooks(BUSINESS).await.expect_err("401");
    assert!(
        matches!(&error, Error::Unauthorized { status, .. } if *status == StatusCode::UNAUTHORIZED),
        "text 401 mapped to {error:?}"
    );
}
