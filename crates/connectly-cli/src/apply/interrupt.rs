//! Ctrl-C and SIGTERM during `connectly apply`. The first one starts no new request: those in
//! flight end (each bounded by `--timeout`), then the report says what was done, not attempted
//! and unknown, and the command exits 130. A second one exits at once, after printing the results
//! of the businesses that had ended.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::output::Printer;

/// Whether to stop, shared by the run and its signal listener.
pub(super) struct Stop {
    stopped: Arc<AtomicBool>,
    /// The result of each business that has ended, as printed, for a second interrupt.
    ended: Arc<Mutex<Vec<String>>>,
    listener: tokio::task::JoinHandle<()>,
}

impl Stop {
    /// Starts listening for Ctrl-C and SIGTERM (until dropped); what it says goes through
    /// `printer`.
    pub(super) fn listen(printer: Printer) -> Self {
        let stopped = Arc::new(AtomicBool::new(false));
        let ended = Arc::new(Mutex::new(Vec::new()));
        let listener = tokio::spawn({
            let (stopped, ended) = (stopped.clone(), ended.clone());
            async move {
                if signal().await.is_err() {
                    return;
                }
                stopped.store(true, Ordering::SeqCst);
                printer.note(
                    "interrupted: starting no new request; waiting for those in flight \
                     (interrupt again to exit at once)",
                );
                if signal().await.is_err() {
                    return;
                }
                let ended: String = ended.lock().map(|e| e.concat()).unwrap_or_default();
                let _ = printer.out(&ended);
                printer.note(
                    "interrupted again: exiting now; the businesses not shown above were cut \
                     short, and a request in flight may or may not have been carried out \
                     (`connectly apply --dry-run` shows the live state)",
                );
                std::process::exit(130);
            }
        });
        Self {
            stopped,
            ended,
            listener,
        }
    }

    /// Whether an interrupt came.
    pub(super) fn stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    /// Keeps the printed result of a business that ended.
    pub(super) fn record(&self, text: String) {
        if let Ok(mut ended) = self.ended.lock() {
            ended.push(text);
        }
    }
}

impl Drop for Stop {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

/// The next Ctrl-C or SIGTERM.
async fn signal() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result,
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await
    }
}
