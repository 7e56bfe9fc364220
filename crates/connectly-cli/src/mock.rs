//! `connectly mock` (the fake API in the foreground) and the in-process fake API of `--mock`.

use std::net::SocketAddr;

use clap::Args;
use connectly_mock::{MockConfig, MockServer, ServedRequest};
use serde::Serialize;
use tokio::sync::oneshot;

use crate::events::{parse_secret, Secret};
use crate::output::Printer;
use crate::Failure;

/// `connectly mock`'s flags.
#[derive(Args, Debug)]
pub(crate) struct MockArgs {
    /// Address to listen on: loopback, unless --allow-non-loopback.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR", value_parser = crate::listen::parse)]
    listen: SocketAddr,
    #[arg(long = "api-key", value_name = "KEY",
          help = format!("An API key to accept; repeat it to accept several (every key given is \
                          accepted) [default: {}]", connectly_mock::DEFAULT_API_KEY))]
    api_keys: Vec<String>,
    #[command(flatten)]
    max_connections: crate::listen::MaxConnections,
    /// Allow --listen on an address that is not loopback (e.g. 0.0.0.0): anyone who reaches it
    /// can call the mock. Needs --api-key: the default key is public.
    #[arg(long)]
    allow_non_loopback: bool,
    /// Enable the deliver endpoint (below), signing events with this webhook secret.
    #[arg(long, value_name = "S", value_parser = parse_secret)]
    deliver_secret: Option<Secret>,
}

/// The text after `connectly mock --help`'s options: the deliver endpoint's contract, from the
/// mock crate (its Markdown code fences dropped), and the facts it leaves to the code.
pub(crate) fn help() -> String {
    let contract: Vec<&str> = connectly_mock::deliver::CONTRACT
        .lines()
        .filter(|line| !line.starts_with("```"))
        .collect();
    format!(
        "Each request is printed on stderr: method, path, status, time taken (never the key); \
         -q prints none.\n\
         Ctrl-C stops the mock once the requests in flight are answered; a second Ctrl-C stops \
         it at once.\n\n\
         {}\n\n\
         {}\n\n{}\n\n\
         Examples:\n  \
         connectly mock --listen 127.0.0.1:9090 --api-key key_1 --api-key key_2\n  \
         connectly mock --deliver-secret whsec_test",
        crate::listen::bounds_help(
            connectly_mock::HEADER_READ_TIMEOUT,
            connectly_mock::BODY_READ_TIMEOUT,
            connectly_mock::MAX_HEADER_BYTES
        ),
        contract.join("\n").trim_end(),
        connectly_mock::deliver::facts()
    )
}

/// Runs `connectly mock` until Ctrl-C (twice: at once).
/// `connectly mock`'s `--json` document: where it listens.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Listening {
    base_url: String,
}

pub(crate) async fn run(printer: &Printer, args: MockArgs) -> Result<(), Failure> {
    let default_key = args.api_keys.is_empty();
    let mut config = MockConfig::default()
        .listen(args.listen)
        // Nothing can read the log of a foreground mock: keep none.
        .request_log_capacity(0)
        .max_connections(args.max_connections.get());
    for key in args.api_keys {
        config = config.api_key(key);
    }
    if args.allow_non_loopback {
        config = config.allow_non_loopback();
    }
    config
        .check_listen(args.listen)
        .map_err(|e| Failure::usage(e.to_string()))?;
    let delivering = args.deliver_secret.is_some();
    if let Some(Secret(secret)) = args.deliver_secret {
        config = config.deliver_secret(secret);
    }
    let log = printer.clone();
    config = config.on_request(move |r: &ServedRequest| {
        log.status(format!(
            "{} {} {} {:.1}ms",
            r.method,
            r.path,
            r.status,
            r.latency.as_secs_f64() * 1000.0
        ))
    });
    let listen = args.listen;
    let listener = crate::listen::bind(listen).await?;
    let addr = listener
        .local_addr()
        .map_err(|e| Failure::failed("cannot read the listening address").caused_by(&e))?;
    let base_url = format!("http://{addr}");
    if printer.json_mode() {
        printer.json(&Listening { base_url })?;
    } else {
        printer.line(base_url)?;
    }
    if default_key {
        printer.status(format!(
            "connectly mock: listening on http://{addr}, accepting the API key {:?}; Ctrl-C stops it",
            connectly_mock::DEFAULT_API_KEY
        ));
    } else {
        printer.status(format!(
            "connectly mock: listening on http://{addr} with the given API keys; Ctrl-C stops it"
        ));
    }
    if delivering {
        printer.status(format!(
            "connectly mock: delivery enabled: POST http://{addr}/v1/businesses/ID/mock/deliver?topic=T&sample=S \
             sends a signed sample event to the business's (loopback) address for T"
        ));
    }

    let (first_tx, first_rx) = oneshot::channel::<()>();
    let (second_tx, second_rx) = oneshot::channel::<()>();
    let signals = printer.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_err() {
            return;
        }
        signals.status(
            "connectly mock: stopping once the requests in flight are answered (Ctrl-C again to stop at once)",
        );
        let _ = first_tx.send(());
        if tokio::signal::ctrl_c().await.is_ok() {
            let _ = second_tx.send(());
        }
    });
    let server = connectly_mock::serve(listener, config, async {
        let _ = first_rx.await;
    });
    tokio::select! {
        result = server => {
            result.map_err(|e| Failure::failed("the mock server failed").caused_by(&e))?;
            printer.status("connectly mock: stopped");
        }
        Ok(()) = second_rx => printer.status("connectly mock: stopped at once"),
    }
    Ok(())
}

/// The in-process fake API of `--mock`, announced on stderr.
pub(crate) async fn in_process(printer: &Printer) -> Result<MockServer, Failure> {
    let mock = MockServer::start()
        .await
        .map_err(|e| Failure::failed("cannot start the mock server").caused_by(&e))?;
    printer.status(format!(
        "connectly: --mock: using an in-process fake Connectly API at {} (nothing is sent to \
         Connectly); its state ends with this command",
        mock.base_url()
    ));
    Ok(mock)
}
