//! Sending one request and reading its response, bounded in time and size.

use std::time::{Duration, Instant};

use crate::exchange::{Exchange, ReceivedResponse, SentRequest, TransportError};

/// One HTTP client (one connection pool) for the whole run.
#[derive(Debug, Clone)]
pub struct HttpClient {
    client: reqwest::Client,
}

impl HttpClient {
    /// A client that never follows redirects (a 3xx is reported as it is).
    pub fn new() -> Result<Self, TransportError> {
        Self::build(reqwest::Client::builder())
    }

    /// A client for `base_url`: for a plain `http://` target no TLS roots are loaded,
    /// which makes the client cheap enough to build one per trial thread.
    pub fn for_target(base_url: &str) -> Result<Self, TransportError> {
        let builder = reqwest::Client::builder();
        if base_url.starts_with("http://") {
            Self::build(builder.tls_certs_only(Vec::<reqwest::Certificate>::new()))
        } else {
            Self::build(builder)
        }
    }

    fn build(builder: reqwest::ClientBuilder) -> Result<Self, TransportError> {
        let client = builder
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| TransportError::Request(e.to_string()))?;
        Ok(HttpClient { client })
    }

    /// Sends `request`; the whole exchange (headers and body) must finish within `timeout`
    /// and the body may not exceed `cap` bytes. A body that stalls or trickles after the
    /// status arrived is reported as such (with the status and the bytes read), not as
    /// "no response".
    pub async fn send(&self, request: SentRequest, timeout: Duration, cap: usize) -> Exchange {
        let deadline = tokio::time::Instant::now() + timeout;
        let response = self.fetch(&request, deadline, timeout, cap).await;
        Exchange { request, response }
    }

    async fn fetch(
        &self,
        request: &SentRequest,
        deadline: tokio::time::Instant,
        timeout: Duration,
        cap: usize,
    ) -> Result<ReceivedResponse, TransportError> {
        let method = reqwest::Method::from_bytes(request.method.as_bytes())
            .map_err(|e| TransportError::Request(e.to_string()))?;
        let started = Instant::now();
        let send = |method: reqwest::Method| {
            let mut builder = self.client.request(method, &request.url);
            for (name, value) in &request.headers {
                builder = builder.header(name, value);
            }
            if let Some(body) = &request.body {
                builder = builder.body(body.clone());
            }
            tokio::time::timeout_at(deadline, builder.send())
        };
        let first = send(method.clone())
            .await
            .map_err(|_| TransportError::Timeout(timeout))?;
        // A pooled keep-alive connection the server closed meanwhile fails a request that
        // never reached it. A GET is idempotent: one more try, on a fresh connection,
        // tells that race apart from a target that really drops requests.
        let sent = match first {
            Err(e) if method == reqwest::Method::GET && !e.is_timeout() => send(method)
                .await
                .map_err(|_| TransportError::Timeout(timeout))?
                .map_err(|e| classify(e).tried_twice()),
            other => other.map_err(classify),
        };
        let mut response = sent?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        if let Some(length) = response.content_length() {
            if length > cap as u64 {
                return Err(TransportError::TooLarge { cap, read: 0 });
            }
        }
        let mut body = Vec::new();
        loop {
            let chunk = match tokio::time::timeout_at(deadline, response.chunk()).await {
                Err(_) => {
                    return Err(TransportError::BodyTimeout {
                        timeout,
                        status,
                        read: body.len(),
                    })
                }
                Ok(Err(e)) => {
                    return Err(TransportError::Connection(format!(
                        "status {status} came, then reading the body failed after {} bytes: {}",
                        body.len(),
                        describe(&e)
                    )))
                }
                Ok(Ok(None)) => break,
                Ok(Ok(Some(chunk))) => chunk,
            };
            if body.len() + chunk.len() > cap {
                return Err(TransportError::TooLarge {
                    cap,
                    read: body.len() + chunk.len(),
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(ReceivedResponse {
            status,
            headers,
            body,
            elapsed: started.elapsed(),
        })
    }
}

/// The error and its chain of causes, on one line.
fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn classify(error: reqwest::Error) -> TransportError {
    let text = describe(&error);
    if error.is_connect() {
        TransportError::Connect(text)
    } else if error.is_builder() {
        TransportError::Request(text)
    } else {
        TransportError::Connection(text)
    }
}
