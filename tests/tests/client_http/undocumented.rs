//! Undocumented statuses, and a redirect that is not followed.

use super::*;

#[tokio::test]
async fn undocumented_418_maps_to_unexpected_status_with_excerpt() {
    let error = create_error(|then| {
        then.status(418).body("I'm a teapot\n");
    })
    .await;

    assert_key_not_shown(&error);
    assert_eq!(error.status(), Some(StatusCode::IM_A_TEAPOT));
    // (status, body, excerpt, retry_after): a text body is not Connectly's error object.
    assert_eq!(
        unexpected_status(error),
        (
            StatusCode::IM_A_TEAPOT,
            None,
            "I'm a teapot\\n".to_owned(),
            None
        )
    );
}

#[tokio::test]
async fn undocumented_429_maps_to_unexpected_status_keeping_retry_after_and_body() {
    let body = error_body("rate limited", "ERROR_CODE_RATE_LIMITED", "trace-429");
    let body_for_mock = body.clone();
    let error = list_error(|then| {
        then.status(429)
            .header("retry-after", "7")
            .header("content-type", "application/json")
            .json_body(body_for_mock);
    })
    .await;

    assert_eq!(error.api_error(), Some(&api_error(&body)));
    let (status, kept, excerpt, retry_after) = unexpected_status(error);
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(retry_after, Some(Duration::from_secs(7)));
    assert_eq!(kept.as_deref(), Some(&api_error(&body)));
    assert!(excerpt.contains("rate limited"), "{excerpt:?}");
}

#[tokio::test]
async fn undocumented_503_with_html_maps_to_unexpected_status_not_server() {
    let html = "<html><body>Service Unavailable</body></html>";
    let error = create_error(|then| {
        then.status(503)
            .header("content-type", "text/html")
            .header("retry-after", "120")
            .body(html);
    })
    .await;

    // (status, body, excerpt, retry_after): an HTML page is not Connectly's error object.
    let retry_after = Some(Duration::from_secs(120));
    assert_eq!(
        unexpected_status(error),
        (
            StatusCode::SERVICE_UNAVAILABLE,
            None,
            html.to_owned(),
            retry_after
        )
    );
}

#[tokio::test]
async fn status_undocumented_for_the_operation_maps_to_unexpected_status() {
    // 404 is documented for update/delete, not for create: there it is unexpected.
    let body = error_body("no such business", "ERROR_CODE_NOT_FOUND", "trace-3");
    let error = create_error(json_reply(404, &body)).await;

    let (status, kept, _, retry_after) = unexpected_status(error);
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(kept.as_deref(), Some(&api_error(&body)));
    assert_eq!(retry_after, None);
}

#[tokio::test]
async fn redirect_is_not_followed() {
    let server = start_server().await;
    let elsewhere = server
        .mock_async(|when, then| {
            when.path("/elsewhere");
            then.status(200).json_body(json!({ "id": "stolen" }));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(Method::POST).path(CREATE_PATH);
            then.status(307)
                .header("location", server.url("/elsewhere"));
        })
        .await;

    let error = client_for(&server)
        .create_webhook(BUSINESS, &from_example(&example_messages()))
        .await
        .expect_err("a redirect is not success");

    assert!(
        matches!(&error, Error::UnexpectedStatus { status, .. } if *status == StatusCode::TEMPORARY_REDIRECT),
        "{error:?}"
    );
    elsewhere.assert_calls_async(0).await;
}
