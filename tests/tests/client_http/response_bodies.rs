//! An undecodable success body, and the response cap.

use super::*;

#[tokio::test]
async fn success_status_with_non_json_body_maps_to_decode_with_status_and_excerpt() {
    let error = create_error(|then| {
        then.status(200)
            .header("content-type", "text/html")
            .body("<html>maintenance</html>");
    })
    .await;

    assert_key_not_shown(&error);
    assert_eq!(error.status(), Some(StatusCode::OK));
    match error {
        Error::Decode {
            status, excerpt, ..
        } => {
            assert_eq!(status, Some(StatusCode::OK));
            assert_eq!(excerpt, "<html>maintenance</html>");
        }
        other => panic!("expected Decode, got {other:?}"),
    }
}

// Response cap -----------------------------------------------------------------------------

/// A success over the cap is refused, whether the cut body fails to decode or (padding after the
/// object) still decodes: what arrived is not the whole response. An error status over the cap
/// likewise.
#[tokio::test]
async fn response_larger_than_max_response_bytes_maps_to_response_too_large() {
    const CAP: usize = 256;
    // Valid JSON for the operation: only the cap makes the call fail.
    let big_ok = json!({ "id": "x".repeat(CAP) }).to_string();
    let padded_ok = format!(r#"{{"id":"x"}}{}"#, " ".repeat(CAP));
    let big_error = json!({ "message": "y".repeat(CAP) }).to_string();
    assert!(big_ok.len() > CAP && padded_ok.len() > CAP && big_error.len() > CAP);
    let server = start_server().await;
    let json = "application/json";
    for (business, body) in [("biz_big", &big_ok), ("biz_padded", &padded_ok)] {
        let path = format!("/v1/businesses/{business}/create/webhooks");
        answer(&server, (Method::POST, path), (200, json, body)).await;
    }
    answer(&server, route_list(), (500, json, &big_error)).await;
    let client = Client::builder(KEY)
        .base_url(server.base_url())
        .max_response_bytes(CAP)
        .build()
        .unwrap();

    for business in ["biz_big", "biz_padded"] {
        let result = client
            .create_webhook(business, &from_example(&example_messages()))
            .await;
        match result {
            Err(Error::ResponseTooLarge { status, limit }) => {
                assert_eq!(status, StatusCode::OK, "{business}");
                assert_eq!(limit, CAP);
            }
            other => panic!("{business}: expected ResponseTooLarge, got {other:?}"),
        }
    }

    let error = client
        .list_webhooks(BUSINESS)
        .await
        .expect_err("over the cap");
    match error {
        Error::ResponseTooLarge { status, limit } => {
            assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
            assert_eq!(limit, CAP);
        }
        other => panic!("expected ResponseTooLarge, got {other:?}"),
    }
}

#[tokio::test]
async fn response_of_exactly_max_response_bytes_is_accepted() {
    let body = json!({ "id": CREATED_ID }).to_string();
    let server = start_server().await;
    answer(&server, route_create(), (200, "application/json", &body)).await;
    let client = Client::builder(KEY)
        .base_url(server.base_url())
        .max_response_bytes(body.len())
        .build()
        .unwrap();

    let created = client
        .create_webhook(BUSINESS, &from_example(&example_messages()))
        .await
        .expect("a body exactly at the cap fits");

    assert_eq!(created.id, CREATED_ID);
}
