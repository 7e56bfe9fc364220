//! `connectly relay serve`: the relay in the foreground, SIGTERM or Ctrl-C draining it.

use std::sync::Arc;

use connectly_relay::{Metrics, PgOptions, RelayConfig, Store};
use connectly_webhook::Verifier;
use reqwest::Url;
use serde::Serialize;

use super::journal::open;
use super::ServeArgs;
use crate::events::Secret;
use crate::output::Printer;
use crate::Failure;

/// `relay serve`'s first `--json` line: where it listens.
#[derive(Serialize)]
struct Serving {
    url: String,
}

pub(super) async fn serve(printer: &Printer, args: ServeArgs) -> Result<(), Failure> {
    let forward_to = Url::parse(&args.forward_to).map_err(|e| {
        Failure::usage(format!(
            "--forward-to {}: {e}",
            connectly_net::shown_str(&args.forward_to)
        ))
    })?;
    let mut secrets = args.secrets.iter();
    let Some(Secret(first)) = secrets.next() else {
        return Err(Failure::usage(
            "relay serve needs the webhook secret (--secret or CONNECTLY_WEBHOOK_SECRET)",
        ));
    };
    let verifier = secrets.fold(Verifier::new(first), |v, Secret(s)| v.also_accept(s));
    let config = RelayConfig {
        listen: args.listen,
        allow_non_loopback: args.allow_non_loopback,
        schedule: args.retry_schedule,
        concurrency: usize::from(args.concurrency),
        forward_timeout: args.forward_timeout,
        retention: args.retention,
        max_body_bytes: args.max_body,
        max_connections: args.max_connections.get(),
        queue_capacity: args.queue,
        max_batch: args.max_batch,
        ..RelayConfig::new(verifier, forward_to.clone())
    };
    config.check().map_err(|e| Failure::usage(e.to_string()))?;
    let store: Arc<dyn Store> = Arc::from(open(
        &args.store,
        PgOptions {
            lease: args
                .lease
                .unwrap_or((2 * args.forward_timeout).max(connectly_relay::MIN_LEASE)),
            migrate: true,
            instance: None,
        },
    )?);
    let listener = crate::listen::bind(args.listen).await?;
    let addr = listener
        .local_addr()
        .map_err(|e| Failure::failed("cannot read the listening address").caused_by(&e))?;
    let mut signals = StopSignals::new();
    let url = format!("http://{addr}/");
    if printer.json_mode() {
        printer.json(&Serving { url })?;
    } else {
        printer.line(url)?;
    }
    printer.status(format!(
        "connectly relay: listening on http://{addr}/, storing in {}, forwarding to {}; \
         SIGTERM or Ctrl-C drains and stops",
        connectly_net::printable(&args.store.shown()),
        connectly_net::shown(&forward_to)
    ));
    let (first_tx, first_rx) = tokio::sync::oneshot::channel::<()>();
    let (second_tx, second_rx) = tokio::sync::oneshot::channel::<()>();
    let said = printer.clone();
    tokio::spawn(async move {
        signals.next().await;
        said.status(
            "connectly relay: draining: answering the requests in flight, finishing the forwards \
             in flight (Ctrl-C again to stop at once; nothing answered 200 is lost either way)",
        );
        let _ = first_tx.send(());
        signals.next().await;
        let _ = second_tx.send(());
    });
    let metrics = Arc::new(Metrics::default());
    let server = connectly_relay::serve(listener, config, store, metrics.clone(), async {
        let _ = first_rx.await;
    });
    tokio::select! {
        result = server => {
            result.map_err(|e| Failure::failed("the relay failed").caused_by(&e))?;
            printer.status(format!(
                "connectly relay: stopped ({} stored, {} duplicates)",
                metrics.stored(),
                metrics.deduplicated()
            ));
        }
        Ok(()) = second_rx => printer.status("connectly relay: stopped at once"),
    }
    Ok(())
}

/// SIGTERM and SIGINT (Ctrl-C), listened for from its creation on (before the URL is printed,
/// so a supervisor's first SIGTERM already drains).
struct StopSignals {
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    int: Option<tokio::signal::unix::Signal>,
}

impl StopSignals {
    fn new() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Self {
                term: signal(SignalKind::terminate()).ok(),
                int: signal(SignalKind::interrupt()).ok(),
            }
        }
        #[cfg(not(unix))]
        Self {}
    }

    async fn next(&mut self) {
        #[cfg(unix)]
        if let (Some(term), Some(int)) = (&mut self.term, &mut self.int) {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
            return;
        }
        let _ = tokio::signal::ctrl_c().await;
    }
}
