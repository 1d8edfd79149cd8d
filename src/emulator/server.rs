//! Serving a router on the network with bounded resources: what the standalone
//! `serve` and `proxy` use instead of `axum::serve`, which exposes none of this.
//!
//! - [`ServerLimits::header_timeout`]: hyper's header read timeout. Its clock runs from
//!   the moment a connection waits for a request head, new or kept alive, so it is the
//!   idle keep-alive timeout as well; a client that sends no complete head in time is
//!   disconnected.
//! - [`ServerLimits::body_timeout`] and [`BodyLimits`]: a request body must arrive
//!   whole within it, under the per-request cap (a declared `Content-Length` over the
//!   cap is refused before anything is read) and within a byte budget shared by all
//!   requests in flight, so memory stays bounded whatever the clients do.
//! - [`ServerLimits::max_connections`]: connections past it wait in the kernel's
//!   backlog until one closes.
//! - Shutdown: the listener is closed, every connection finishes the request it is
//!   answering, and whatever is still open after [`ServerLimits::drain_timeout`] is cut.
//!
//! [`check_listen`] refuses a non-loopback address unless remote clients are allowed.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{to_bytes, Body, Bytes, HttpBody};
use axum::http::{header, HeaderMap};
use axum::Router;
use futures_util::FutureExt;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;

/// The bounds of one server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerLimits {
    /// From waiting for a request head (on a new or kept-alive connection) to having it whole.
    pub header_timeout: Duration,
    /// From the head to the whole body.
    pub body_timeout: Duration,
    /// Connections open at once.
    pub max_connections: usize,
    /// Bytes of request bodies held at once, over all requests in flight; a body that
    /// does not fit in what is left is refused (503).
    pub body_budget_bytes: usize,
    /// How long shutdown waits for requests in flight before cutting them.
    pub drain_timeout: Duration,
}

impl Default for ServerLimits {
    /// 30 s for headers (hyper's default) and for a body, 512 connections, 64 MiB of
    /// bodies in flight, 5 s to drain.
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(30),
            max_connections: 512,
            body_budget_bytes: 64 * 1024 * 1024,
            drain_timeout: Duration::from_secs(5),
        }
    }
}

/// Why `--listen ADDR` is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "--listen {0} is not a loopback address: remote clients could reach {1}; \
     pass --allow-remote to listen there anyway"
)]
pub struct RemoteListen(pub SocketAddr, pub &'static str);

/// `Ok(None)` for a loopback address; for another, `Err` unless `allow_remote`, and
/// then the warning to print (naming `exposed`, what remote clients reach).
pub fn check_listen(
    listen: SocketAddr,
    allow_remote: bool,
    exposed: &'static str,
) -> Result<Option<String>, RemoteListen> {
    if listen.ip().is_loopback() {
        return Ok(None);
    }
    if !allow_remote {
        return Err(RemoteListen(listen, exposed));
    }
    Ok(Some(format!(
        "warning: --allow-remote: listening on {listen}, remote clients reach {exposed}"
    )))
}

/// Binds `listen`, prints `listening on http://ADDR` to stderr, and serves `app` within
/// `limits` until `shutdown` resolves; then drains (see the module documentation).
pub async fn serve(
    app: Router,
    listen: SocketAddr,
    limits: &ServerLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let listener = TcpListener::bind(listen).await?;
    // Polled once before saying so, so that signal handlers it installs on its first
    // poll are in place when a client (or a test) reads `listening on`.
    tokio::pin!(shutdown);
    if (&mut shutdown).now_or_never().is_some() {
        return Ok(());
    }
    eprintln!("listening on http://{}", listener.local_addr()?);
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    let mut connections = JoinSet::new();
    loop {
        while connections.try_join_next().is_some() {}
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot,
            () = &mut shutdown => break,
        };
        let Ok(slot) = slot else { break };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                // Out of file descriptors or a connection reset before accept: wait a
                // moment rather than spin.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = TowerToHyperService::new(app.clone());
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        connections.spawn(async move {
            let _ = connection.await;
            drop::<OwnedSemaphorePermit>(slot);
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.drain_timeout, graceful.shutdown())
        .await
        .is_err()
    {
        eprintln!(
            "cut {} connection(s) still open after {:?}",
            connections.len(),
            limits.drain_timeout
        );
    }
    connections.shutdown().await;
    Ok(())
}

/// Resolves on Ctrl-C (SIGINT) or, on Unix, SIGTERM, printing `shutting down`.
pub async fn interrupted() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    eprintln!("shutting down");
}

/// How request bodies are read: capped, timed and budgeted.
#[derive(Debug, Clone)]
pub struct BodyLimits {
    /// Largest body of one request.
    pub max_bytes: usize,
    /// Time for the whole body.
    pub timeout: Duration,
    budget: Arc<Semaphore>,
}

/// Budget permits are counted in KiB (a semaphore holds at most `u32::MAX >> 3` permits).
const BUDGET_UNIT: usize = 1024;

/// Why a body was not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// The declared or received length is over the cap.
    #[error("the request body is larger than {0} bytes")]
    TooLarge(usize),
    /// The body did not arrive in time.
    #[error("the request body did not arrive within {0:?}")]
    TimedOut(Duration),
    /// Other requests hold the whole body budget.
    #[error("too many request bodies in flight; try again")]
    Busy,
    /// The connection failed while reading.
    #[error("the request body could not be read: {0}")]
    Read(String),
}

/// A body read whole, holding its share of the budget until dropped.
#[derive(Debug)]
pub struct HeldBody {
    pub bytes: Bytes,
    _budget: Option<OwnedSemaphorePermit>,
}

impl BodyLimits {
    /// Bodies up to `max_bytes` each, read within the server's body timeout, at most
    /// the server's budget at once.
    pub fn new(max_bytes: usize, server: &ServerLimits) -> Self {
        let units = server.body_budget_bytes.div_ceil(BUDGET_UNIT);
        Self {
            max_bytes,
            timeout: server.body_timeout,
            budget: Arc::new(Semaphore::new(units.min(Semaphore::MAX_PERMITS))),
        }
    }

    /// Reads `body` whole. A `Content-Length` over the cap is refused before anything is
    /// read; the budget the body may need (its declared length, else the cap) is
    /// reserved first, and a body it has no room for is refused at once.
    pub async fn read(&self, headers: &HeaderMap, body: Body) -> Result<HeldBody, BodyError> {
        if body.is_end_stream() {
            return Ok(HeldBody {
                bytes: Bytes::new(),
                _budget: None,
            });
        }
        let declared = declared_length(headers);
        if declared.is_some_and(|n| n > self.max_bytes as u64) {
            return Err(BodyError::TooLarge(self.max_bytes));
        }
        let needed = declared.map_or(self.max_bytes, |n| n as usize);
        let units = u32::try_from(needed.div_ceil(BUDGET_UNIT).max(1)).unwrap_or(u32::MAX);
        // Larger than what is left of the budget (or than all of it): refused at once.
        let Ok(permit) = self.budget.clone().try_acquire_many_owned(units) else {
            return Err(BodyError::Busy);
        };
        let deadline = tokio::time::Instant::now() + self.timeout;
        match tokio::time::timeout_at(deadline, to_bytes(body, self.max_bytes)).await {
            Err(_) => Err(BodyError::TimedOut(self.timeout)),
            Ok(Ok(bytes)) => Ok(HeldBody {
                bytes,
                _budget: Some(permit),
            }),
            Ok(Err(error)) => {
                let text = error.to_string();
                if text.contains("length limit") {
                    Err(BodyError::TooLarge(self.max_bytes))
                } else {
                    Err(BodyError::Read(text))
                }
            }
        }
    }
}

fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|text| text.trim().parse::<u64>().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_is_always_allowed_and_other_addresses_only_when_asked() {
        let local: SocketAddr = "127.0.0.1:9000".parse().expect("an address");
        assert_eq!(check_listen(local, false, "x"), Ok(None));
        let any: SocketAddr = "0.0.0.0:0".parse().expect("an address");
        let error = check_listen(any, false, "the emulator").expect_err("refused");
        assert!(error.to_string().contains("--allow-remote"), "{error}");
        let warning = check_listen(any, true, "the emulator")
            .expect("allowed")
            .expect("a warning");
        assert!(warning.contains("the emulator"), "{warning}");
    }

    #[tokio::test]
    async fn bodies_are_capped_and_budgeted() {
        let server = ServerLimits {
            body_budget_bytes: 4096,
            body_timeout: Duration::from_millis(200),
            ..ServerLimits::default()
        };
        let limits = BodyLimits::new(3000, &server);
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_LENGTH, "5000".parse().expect("a value"));
        assert_eq!(
            limits.read(&headers, Body::from(vec![0; 5000])).await.err(),
            Some(BodyError::TooLarge(3000))
        );
        headers.insert(header::CONTENT_LENGTH, "3000".parse().expect("a value"));
        let held = limits
            .read(&headers, Body::from(vec![0; 3000]))
            .await
            .expect("within the cap");
        assert_eq!(held.bytes.len(), 3000);
        // The first body holds 3 of the 4 KiB: a second is refused.
        assert_eq!(
            limits.read(&headers, Body::from(vec![0; 3000])).await.err(),
            Some(BodyError::Busy)
        );
        drop(held);
        assert!(limits
            .read(&headers, Body::from(vec![0; 3000]))
            .await
            .is_ok());
    }
}
