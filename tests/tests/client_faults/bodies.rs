//! Response bodies: unknown fields, cut bodies, endless bodies, and a 2xx body that is
//! truncated JSON or the wrong shape.

use super::*;

#[tokio::test]
async fn unknown_extra_fields_in_create_update_and_delete_responses_are_accepted() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(Method::POST).path(CREATE_PATH);
            then.status(200)
                .json_body(json!({"id": "x", "new": 1, "nested": {"a": [null, true]}}));
        })
        .await;
    for method in [Method::PUT, Method::DELETE] {
        server
            .mock_async(|when, then| {
                when.method(method);
                then.status(200).json_body(json!({"new": 1, "ok": "yes"}));
            })
            .await;
    }
    let client = client_at(&server.base_url());
    let update = types::UpdateWebhookRequest {
        address: None,
        configuration: None,
    };

    let created = guarded(client.create_webhook(BUSINESS, &messages_registration()))
        .await
        .expect("extra fields are accepted");
    guarded(client.update_webhook(BUSINESS, "wh_1", &update))
        .await
        .expect("extra fields are accepted");
    guarded(client.delete_webhook(BUSINESS, "wh_1"))
        .await
        .expect("extra fields are accepted");

    assert_eq!(created.id, "x");
}

#[tokio::test]
async fn body_cut_short_by_a_hang_up_is_a_transport_error_even_when_it_parses() {
    // 64 bytes announced; the 13 sent are a complete, valid create response.
    let cut = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                content-length: 64\r\n\r\n{\"id\":\"wh_1\"}"
        .to_vec();
    let server = RawServer::start(Reply::Bytes(cut)).await;

    let result =
        guarded(client_at(&server.base_url()).create_webhook(BUSINESS, &messages_registration()))
            .await;

    match &result {
        Err(error @ Error::Transport(_)) => assert_key_not_shown(error),
        other => panic!("a truncated response must not succeed; got {other:?}"),
    }
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn endless_chunked_body_stops_at_the_response_cap() {
    const CAP: usize = 256 * 1024;
    let server = RawServer::start(Reply::EndlessChunked).await;
    let client = Client::builder(KEY)
        .base_url(server.base_url())
        .max_response_bytes(CAP)
        .build()
        .unwrap();

    let result = guarded(client.list_webhooks(BUSINESS)).await;

    match result {
        Err(Error::ResponseTooLarge { status, limit }) => {
            assert_eq!(status, StatusCode::OK);
            assert_eq!(limit, CAP);
        }
        other => panic!("expected ResponseTooLarge, got {other:?}"),
    }
    // The client hung up: the server's writes failed long before its own bound.
    guarded(server.stream_done.notified()).await;
    let streamed = server.streamed.load(Ordering::SeqCst);
    assert!(
        streamed < ENDLESS_BOUND,
        "the server wrote all {streamed} bytes"
    );
}

/// What the transport saw of one response (its status, a body cut at the cap) belongs to that
/// call alone, even when another call of the same client, in the same task, ends in between.
///
/// The create's answer is held between its head and its body; meanwhile a list of the same
/// client gets a body over the cap and ends in `ResponseTooLarge`. The create must still
/// succeed: a state shared by the client (or by the task) would show it the list's cut body.
#[tokio::test]
async fn a_response_over_the_cap_does_not_leak_into_a_concurrent_call_of_the_same_client() {
    const CAP: usize = 256;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let create_head_sent = Arc::new(tokio::sync::Notify::new());
    let list_done = Arc::new(tokio::sync::Notify::new());
    let (head_sent, done) = (create_head_sent.clone(), list_done.clone());
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let (head_sent, done) = (head_sent.clone(), done.clone());
            tokio::spawn(async move {
                let Some(request) = read_request(&mut stream).await else {
                    return;
                };
                if request.head.starts_with("POST ") {
                    const CREATED: &[u8] = br#"{"id":"wh_1"}"#;
                    let created = response(200, "application/json", CREATED);
                    let body_at = created.len() - CREATED.len();
                    stream.write_all(&created[..body_at]).await.unwrap();
                    stream.flush().await.unwrap();
                    head_sent.notify_one();
                    done.notified().await;
                    stream.write_all(&created[body_at..]).await.unwrap();
                } else {
                    let webhooks = format!(r#"{{"webhooks":[],"pad":"{}"}}"#, "x".repeat(CAP));
                    let list = response(200, "application/json", webhooks.as_bytes());
                    stream.write_all(&list).await.unwrap();
                }
                let _ = stream.shutdown().await;
            });
        }
    });
    let client = Client::builder(KEY)
        .base_url(format!("http://{addr}"))
        .max_response_bytes(CAP)
        .build()
        .unwrap();

    let registration = messages_registration();
    let (created, listed) = guarded(async {
        tokio::join!(client.create_webhook(BUSINESS, &registration), async {
            create_head_sent.notified().await;
            let listed = client.list_webhooks(BUSINESS).await;
            list_done.notify_one();
            listed
        },)
    })
    .await;

    match listed {
        Err(Error::ResponseTooLarge { status, limit }) => {
            assert_eq!((status, limit), (StatusCode::OK, CAP));
        }
        other => panic!("expected ResponseTooLarge for the list, got {other:?}"),
    }
    assert_eq!(
        created.expect("the create's own response is fine").id,
        "wh_1"
    );
}

// Responses: a 2xx body that is truncated JSON or the wrong shape -----------------------------

#[tokio::test]
async fn success_with_truncated_or_wrong_shape_json_is_a_decode_error_with_status_and_excerpt() {
    for body in [
        r#"{"id": "01ARZ3ND"#,
        r#"{"identifier": "x"}"#,
        "[]",
        r#""01ARZ""#,
        r#"{"id": 7}"#,
        "",
    ] {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.method(Method::POST).path(CREATE_PATH);
                then.status(200)
                    .header("content-type", "application/json")
                    .body(body);
            })
            .await;
        let error = client_at(&server.base_url())
            .create_webhook(BUSINESS, &messages_registration())
            .await
            .expect_err("not the documented body");
        match &error {
            Error::Decode {
                status, excerpt, ..
            } => {
                assert_eq!(*status, Some(StatusCode::OK), "{body:?}");
                assert_eq!(excerpt, body, "the excerpt shows what came back");
            }
            other => panic!("{body:?} gave {other:?}"),
        }
        assert!(!format!("{error} {error:?}").contains(KEY));
    }
}
