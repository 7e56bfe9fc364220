//! Property tests of what the client sends and of how it takes arbitrary response bytes.

use super::*;

fn text() -> impl Strategy<Value = String> {
    // Any characters, control characters, quotes and backslashes included.
    prop_oneof!["(?s).{1,12}", "[\"\\\\/\\n\\t\u{0}-\u{1f}a-z]{1,8}"]
}

fn https_url() -> impl Strategy<Value = String> {
    (
        "[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?(\\.[a-z]{2,6}){1,2}",
        "(:[1-9][0-9]{0,3})?",
        "(/[A-Za-z0-9._~!$&'()*+,;=:@-]{0,10}){0,3}",
        "(\\?[a-z0-9=&]{0,10})?",
    )
        .prop_map(|(host, port, path, query)| format!("https://{host}{port}{path}{query}"))
}

fn configuration() -> impl Strategy<Value = Value> {
    (
        proptest::option::of(any::<bool>()),
        proptest::option::of(proptest::collection::vec(text(), 0..3)),
        proptest::option::of(proptest::collection::vec((text(), text()), 0..3)),
        proptest::option::of((text(), https_url())),
    )
        .prop_map(|(echo, channel_types, filters, webengage)| {
            let mut c = json!({});
            if let Some(echo) = echo {
                c["echo"] = json!(echo);
            }
            if let Some(channel_types) = channel_types {
                c["channelTypes"] = json!(channel_types);
            }
            if let Some(filters) = filters {
                c["filters"] = filters
                    .into_iter()
                    .map(|(field, expression)| json!({"field": field, "expression": expression}))
                    .collect();
            }
            if let Some((token, url)) = webengage {
                c["webengageConfiguration"] =
                    json!({"webengageToken": token, "webengageWebhookUrl": url});
            }
            c
        })
}

fn registration() -> impl Strategy<Value = Value> {
    (
        prop_oneof![Just("messages"), Just("delivery_status")],
        proptest::option::of(prop_oneof![
            Just("custom"),
            Just("zapier"),
            Just("webengage"),
            Just("integromat_make")
        ]),
        https_url(),
        proptest::option::of(configuration()),
    )
        .prop_map(|(topic, type_, address, configuration)| {
            let mut r = json!({"topic": topic, "address": address});
            if let Some(type_) = type_ {
                r["type"] = json!(type_);
            }
            if let Some(configuration) = configuration {
                r["configuration"] = configuration;
            }
            r
        })
}

#[test]
fn proptest_every_accepted_registration_is_sent_unchanged() {
    let runtime = current_thread_runtime();
    let server = runtime.block_on(RawServer::start(Reply::Bytes(response(
        200,
        "application/json",
        br#"{"id":"wh_1"}"#,
    ))));
    let client = client_at(&server.base_url());
    let mut runner = TestRunner::new(ProptestConfig {
        cases: 32,
        failure_persistence: None,
        ..ProptestConfig::default()
    });

    runner
        .run(&registration(), |registration| {
            prop_assume!(connectly_schema::validate_registration(&registration).is_ok());
            let typed: CreateWebhookRequest = serde_json::from_value(registration.clone())
                .map_err(|e| TestCaseError::fail(format!("the client cannot read it: {e}")))?;
            let before = server.requests().len();

            let created = runtime
                .block_on(guarded(client.create_webhook(BUSINESS, &typed)))
                .map_err(|e| TestCaseError::fail(format!("create failed: {e}")))?;

            prop_assert_eq!(created.id, "wh_1");
            let requests = server.requests();
            prop_assert_eq!(requests.len(), before + 1);
            let sent = &requests[before];
            prop_assert!(
                sent.head
                    .starts_with(&format!("POST {CREATE_PATH} HTTP/1.1\r\n")),
                "{}",
                sent.head
            );
            let body: Value = serde_json::from_slice(&sent.body)
                .map_err(|e| TestCaseError::fail(format!("the body is not JSON: {e}")))?;
            // Exactly as given: an empty `channelTypes` or `filters` goes out as `[]` (an
            // update with `[]` clears the list, so it must not be dropped).
            prop_assert_eq!(&body, &registration);
            prop_assert!(connectly_schema::validate_registration(&body).is_ok());
            Ok(())
        })
        .unwrap();
}

fn response_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..600),
        "[{}\\[\\]\":,.a-z0-9 \\\\\u{80}-\u{10ffff}-]{0,80}".prop_map(String::into_bytes),
        "(?s).{0,40}".prop_map(|s| json!({ "id": s }).to_string().into_bytes()),
        "(?s).{0,40}".prop_map(|s| json!({ "message": s, "code": 7 }).to_string().into_bytes()),
    ]
}

#[test]
fn proptest_random_response_bytes_never_panic_and_give_an_error() {
    let runtime = current_thread_runtime();
    let mut runner = TestRunner::new(ProptestConfig {
        cases: 64,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let statuses = prop_oneof![
        Just(200u16),
        Just(400),
        Just(401),
        Just(404),
        Just(409),
        Just(418),
        Just(429),
        Just(500),
        Just(503)
    ];

    runner
        .run(&(statuses, response_bytes()), |(status, bytes)| {
            let result = runtime.block_on(async {
                let server =
                    RawServer::start(Reply::Bytes(response(status, "application/json", &bytes)))
                        .await;
                guarded(
                    client_at(&server.base_url())
                        .create_webhook(BUSINESS, &messages_registration()),
                )
                .await
            });
            let valid = serde_json::from_slice::<types::CreateWebhookResponse>(&bytes).is_ok();
            let error = match result {
                Ok(created) => {
                    prop_assert!(
                        status == 200 && valid,
                        "{status} {bytes:?} gave Ok({created:?})"
                    );
                    return Ok(());
                }
                Err(error) => error,
            };
            // Formatting never panics either.
            let _ = (error.to_string(), format!("{error:?}"));
            prop_assert_eq!(error.status().map(|s| s.as_u16()), Some(status));
            let variant_ok = match (status, &error) {
                (200, Error::Decode { excerpt, .. }) => !valid && short_and_printable(excerpt),
                (400, Error::InvalidRequest { .. })
                | (401, Error::Unauthorized { .. })
                | (409, Error::AlreadyRegistered { .. })
                | (500, Error::Server { .. }) => true,
                (404 | 418 | 429 | 503, Error::UnexpectedStatus { excerpt, .. }) => {
                    short_and_printable(excerpt)
                }
                _ => false,
            };
            prop_assert!(variant_ok, "{} with {:?} gave {:?}", status, bytes, error);
            Ok(())
        })
        .unwrap();
}

fn short_and_printable(excerpt: &str) -> bool {
    excerpt.chars().count() <= 201 && !excerpt.chars().any(char::is_control)
}
