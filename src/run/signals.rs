//! Stopping a run by signal. SIGINT (Ctrl-C), SIGTERM (a cancelled CI job, `timeout`) and
//! SIGHUP (the terminal went away) all stop a run the same way: running cases stop after
//! their current step and clean up, no further case starts, the reports are written and
//! marked interrupted, and the run exits 128 + the signal's number (130, 143, 129). A
//! second signal, of any of the three, quits at once: the caller prints the `sweep`
//! command and exits.
//!
//! The listeners are installed before the run's first request ([`Listeners::install`]),
//! so no signal finds the process with its default action (dying on the spot).

use std::sync::Arc;

use super::session::Session;
use crate::outcome::Exit;

/// A signal that stops a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopSignal {
    /// SIGINT: Ctrl-C.
    Interrupt,
    /// SIGTERM: `kill`, `timeout`, a CI job cancelled.
    Terminate,
    /// SIGHUP: the terminal closed.
    Hangup,
}

impl StopSignal {
    pub fn name(self) -> &'static str {
        match self {
            StopSignal::Interrupt => "SIGINT",
            StopSignal::Terminate => "SIGTERM",
            StopSignal::Hangup => "SIGHUP",
        }
    }

    /// The exit code of a run it stopped: 128 + the signal's number, as a shell reports
    /// a process the signal killed.
    pub fn exit_code(self) -> u8 {
        match self {
            StopSignal::Interrupt => 130,
            StopSignal::Terminate => 143,
            StopSignal::Hangup => 129,
        }
    }

    /// What the run says when the first one arrives.
    pub fn first_notice(self) -> String {
        match self {
            StopSignal::Interrupt => "interrupt: finishing requests in flight and cleaning up \
                 (Ctrl-C again to quit at once)"
                .into(),
            other => format!(
                "{}: finishing requests in flight and cleaning up (a second signal quits at once)",
                other.name()
            ),
        }
    }
}

/// The run's signal listeners.
#[derive(Debug)]
pub struct Listeners {
    #[cfg(unix)]
    streams: Vec<(StopSignal, tokio::signal::unix::Signal)>,
}

impl Listeners {
    /// Listens for SIGINT, SIGTERM and SIGHUP from now on (on `runtime`). A signal whose
    /// listener cannot be installed keeps its default action.
    pub fn install(runtime: &tokio::runtime::Handle) -> Self {
        let _entered = runtime.enter();
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let kinds = [
                (StopSignal::Interrupt, SignalKind::interrupt()),
                (StopSignal::Terminate, SignalKind::terminate()),
                (StopSignal::Hangup, SignalKind::hangup()),
            ];
            let streams = kinds
                .into_iter()
                .filter_map(|(stop, kind)| signal(kind).ok().map(|stream| (stop, stream)))
                .collect();
            Listeners { streams }
        }
        #[cfg(not(unix))]
        Listeners {}
    }

    /// The next signal; never returns if none can be listened for.
    pub async fn next(&mut self) -> StopSignal {
        #[cfg(unix)]
        {
            if self.streams.is_empty() {
                return std::future::pending().await;
            }
            let arrivals = self.streams.iter_mut().map(|(stop, stream)| {
                let stop = *stop;
                Box::pin(async move {
                    stream.recv().await;
                    stop
                })
            });
            futures_util::future::select_all(arrivals).await.0
        }
        #[cfg(not(unix))]
        {
            match tokio::signal::ctrl_c().await {
                Ok(()) => StopSignal::Interrupt,
                Err(_) => std::future::pending().await,
            }
        }
    }
}

/// Stops gracefully on the first signal (saying so on stderr; `stop` stops the run or
/// the exploration), and returns the second: the caller quits at once.
pub async fn watch(mut listeners: Listeners, stop: impl FnOnce(StopSignal)) -> StopSignal {
    let first = listeners.next().await;
    eprintln!("\n{}", first.first_notice());
    stop(first);
    listeners.next().await
}

/// [`watch`] for a run: its session stops starting cases; running ones end after their
/// current step and clean up.
pub async fn watch_session(listeners: Listeners, session: Arc<Session>) -> StopSignal {
    watch(listeners, move |signal| session.interrupt_by(signal)).await
}

/// The exit code of a run this signal stopped (128 + its number, as a shell reports it).
impl From<StopSignal> for Exit {
    fn from(signal: StopSignal) -> Exit {
        match signal {
            StopSignal::Interrupt => Exit::Interrupted,
            StopSignal::Terminate => Exit::Terminated,
            StopSignal::Hangup => Exit::HungUp,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_signal_exits_128_plus_its_number() {
        assert_eq!(StopSignal::Interrupt.exit_code(), 128 + 2);
        assert_eq!(StopSignal::Hangup.exit_code(), 128 + 1);
        assert_eq!(StopSignal::Terminate.exit_code(), 128 + 15);
        assert!(StopSignal::Terminate
            .first_notice()
            .starts_with("SIGTERM: finishing"));
    }
}
