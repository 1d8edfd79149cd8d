//! Sending one request and reading its response, bounded in time and size; TLS trust
//! (`--cacert`, `--insecure`, `SSL_CERT_FILE` through the system roots) and certificate
//! errors said in one readable line. Every reqwest client of the crate, its examples and its
//! tests starts from [`http_client_builder`], the one place that installs rustls' crypto
//! provider (ring).

use std::sync::Once;
use std::time::{Duration, Instant};

use crate::http::exchange::{Exchange, ReceivedResponse, SentRequest, TransportError};

/// A reqwest client builder whose TLS can be built: rustls' crypto provider (ring) is
/// installed as the process default first, once. reqwest is built without a provider of its
/// own (`rustls-no-provider`, which spares the long aws-lc-sys build) and panics building a
/// client when none is installed; every client must therefore start here.
pub fn http_client_builder() -> reqwest::ClientBuilder {
    install_tls_provider();
    // Each request is sent once by reqwest: its default policy retries only HTTP/2 and
    // HTTP/3 refusals (never used here: HTTP/1.1 only), yet copies every request to be
    // ready for it. The runner decides itself what is sent again (run::case).
    reqwest::Client::builder().retry(reqwest::retry::never().max_retries_per_request(0))
}

/// Makes ring the process-wide crypto provider of rustls, once; a provider some other code
/// installed before is left in place (rustls then answers `Err`, which is not a problem).
fn install_tls_provider() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// Which TLS certificates a run trusts beyond the system's roots.
#[derive(Debug, Clone, Default)]
pub struct TlsTrust {
    /// Extra root certificates (`--cacert FILE`).
    pub roots: Vec<reqwest::Certificate>,
    /// Accept any certificate (`--insecure`).
    pub insecure: bool,
}

impl TlsTrust {
    /// The certificates of a PEM file (`--cacert`); an error names the file.
    pub fn read_pem(path: &std::path::Path) -> Result<Vec<reqwest::Certificate>, CaCertError> {
        let file = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| CaCertError::Read {
            file: file.clone(),
            source,
        })?;
        let certs = reqwest::Certificate::from_pem_bundle(&bytes).map_err(|source| {
            CaCertError::NotPem {
                file: file.clone(),
                source,
            }
        })?;
        if certs.is_empty() {
            return Err(CaCertError::Empty { file });
        }
        Ok(certs)
    }
}

/// Why a `--cacert` file cannot be used; each names the file.
#[derive(Debug, thiserror::Error)]
pub enum CaCertError {
    #[error("cannot read --cacert {file}: {source}")]
    Read {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("--cacert {file} is not a PEM certificate file: {source}")]
    NotPem {
        file: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("--cacert {file} holds no certificate (expected PEM: -----BEGIN CERTIFICATE-----)")]
    Empty { file: String },
}

/// One HTTP client (one connection pool) for the whole run.
#[derive(Debug, Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    /// The run trusts roots of its own (`--cacert`): a certificate problem's hint then
    /// does not suggest it.
    extra_roots: bool,
    /// The target's base URL, parsed once, when the client is for one target.
    base: Option<BaseUrl>,
}

/// A base URL parsed once (`http://host:port`, no path), from which each request's URL is
/// made by parsing only what follows it: reqwest parsing a whole URL string again runs
/// its host through IDNA processing each time (about 8k instructions a request).
#[derive(Debug, Clone)]
pub struct BaseUrl {
    text: String,
    parsed: reqwest::Url,
}

impl BaseUrl {
    /// `text` as a base, if it is one this shortcut applies to: an absolute URL with no
    /// path, query or fragment, written as the parser writes it (so that the base text
    /// followed by a path is the same URL as the parsed base joined with that path).
    pub fn new(text: &str) -> Option<BaseUrl> {
        let parsed = reqwest::Url::parse(text).ok()?;
        let canonical = parsed.as_str().strip_suffix('/') == Some(text)
            && parsed.path() == "/"
            && parsed.query().is_none()
            && parsed.fragment().is_none()
            && !parsed.cannot_be_a_base();
        canonical.then(|| BaseUrl {
            text: text.to_string(),
            parsed,
        })
    }

    /// The URL `url`, parsed against the parsed base, when it is the base followed by an
    /// absolute path (`/...`) that parses; `None` otherwise (then reqwest parses `url`
    /// whole, and says what is wrong with it as before). What it gives is what
    /// `Url::parse(url)` gives.
    pub fn join(&self, url: &str) -> Option<reqwest::Url> {
        let rest = url.strip_prefix(self.text.as_str())?;
        // `//` or `/\` would start an authority (another host), not a path.
        if !rest.starts_with('/') || rest[1..].starts_with(['/', '\\']) {
            return None;
        }
        self.parsed.join(rest).ok()
    }
}

impl HttpClient {
    /// A client that never follows redirects (a 3xx is reported as it is).
    pub fn new() -> Result<Self, TransportError> {
        Self::build(http_client_builder(), false)
    }

    /// A client for any target, trusting `tls` beyond the system's roots.
    pub fn with_tls(tls: &TlsTrust) -> Result<Self, TransportError> {
        Self::build(
            http_client_builder()
                .tls_certs_merge(tls.roots.iter().cloned())
                .tls_danger_accept_invalid_certs(tls.insecure),
            !tls.roots.is_empty(),
        )
    }

    /// A client for `base_url`: for a plain `http://` target no TLS roots are loaded,
    /// which makes the client cheap enough to build one per runner thread.
    pub fn for_target(base_url: &str) -> Result<Self, TransportError> {
        Self::for_target_with(base_url, &TlsTrust::default())
    }

    /// [`HttpClient::for_target`] with the run's TLS trust: extra roots (added to the
    /// system's, which honour `SSL_CERT_FILE` on Linux), or no verification at all.
    pub fn for_target_with(base_url: &str, tls: &TlsTrust) -> Result<Self, TransportError> {
        let builder = http_client_builder();
        let client = if base_url.starts_with("http://") {
            Self::build(
                builder.tls_certs_only(Vec::<reqwest::Certificate>::new()),
                false,
            )
        } else {
            Self::with_tls(tls)
        }?;
        Ok(HttpClient {
            base: BaseUrl::new(base_url),
            ..client
        })
    }

    fn build(builder: reqwest::ClientBuilder, extra_roots: bool) -> Result<Self, TransportError> {
        let client = builder
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| TransportError::Request(e.to_string()))?;
        Ok(HttpClient {
            client,
            extra_roots,
            base: None,
        })
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
        let parsed = self.base.as_ref().and_then(|base| base.join(&request.url));
        let started = Instant::now();
        let send = |method: reqwest::Method| {
            let mut builder = match &parsed {
                Some(url) => self.client.request(method, url.clone()),
                None => self.client.request(method, &request.url),
            };
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
                .map_err(|e| classify(e, self.extra_roots).tried_twice()),
            other => other.map_err(|e| classify(e, self.extra_roots)),
        };
        let mut response = sent?;
        let status = response.status().as_u16();
        let headers = crate::http::exchange::header_pairs(response.headers());
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

/// A certificate the target's TLS presented and the run does not trust, in one line;
/// `None` when `text` (an error chain) is not about a certificate. rustls says some reasons
/// by name (`UnknownIssuer`), some in words (`certificate expired: verification time …`),
/// and webpki's others wrapped (`Other(OtherError(CaUsedAsEndEntity))`): all are read.
///
/// The hint says what to do next, and never to do what was done: with roots of the
/// run's own (`extra_roots`, `--cacert`) it does not suggest `--cacert`; a CA certificate
/// presented as the server's own is not helped by trusting it.
pub fn certificate_problem(text: &str, extra_roots: bool) -> Option<String> {
    let reason = text.split("invalid peer certificate: ").nth(1)?;
    let reason = reason.strip_prefix("Other(OtherError(").unwrap_or(reason);
    let first = |names: &[&str]| names.iter().any(|n| reason.starts_with(n));
    let unknown_issuer = first(&["UnknownIssuer"]);
    let ca_as_leaf = first(&["CaUsedAsEndEntity"]);
    let what = if unknown_issuer {
        "certificate not trusted (unknown issuer)".to_string()
    } else if ca_as_leaf {
        "certificate not trusted (the server presents a CA certificate as its own)".to_string()
    } else if first(&["NotValidForName", "certificate not valid for name"]) {
        "certificate not valid for this host name".to_string()
    } else if first(&["Expired", "certificate expired"]) {
        "certificate expired".to_string()
    } else if first(&["NotValidYet", "certificate not valid yet"]) {
        "certificate not valid yet".to_string()
    } else if first(&["Revoked"]) {
        "certificate revoked".to_string()
    } else if first(&["UnsupportedSignatureAlgorithm"]) {
        "certificate signed with an algorithm cts-conform cannot verify".to_string()
    } else {
        let name: String = reason.chars().take_while(|c| c.is_alphanumeric()).collect();
        let words = reason.split([':', ';']).next().unwrap_or(reason).trim();
        let said = if name == "certificate" { words } else { &name };
        format!("certificate rejected ({said})")
    };
    let hint = if ca_as_leaf {
        "the server must present a certificate its CA issued, not the CA's own (trusting \
         it does not help); only for a test target, pass --insecure"
    } else if unknown_issuer && extra_roots {
        "--cacert does not hold the CA that issued it: pass that CA's PEM, or, only for a \
         test target, --insecure"
    } else if extra_roots {
        "only for a test target, pass --insecure"
    } else {
        "pass --cacert FILE (the CA's PEM) or, only for a test target, --insecure"
    };
    Some(format!("TLS: {what}; {hint}"))
}

fn classify(error: reqwest::Error, extra_roots: bool) -> TransportError {
    let text = describe(&error);
    if let Some(problem) = certificate_problem(&text, extra_roots) {
        return TransportError::Connect(problem);
    }
    if error.is_connect() {
        TransportError::Connect(text)
    } else if error.is_builder() {
        TransportError::Request(text)
    } else {
        TransportError::Connection(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::pki_types::{ServerName, UnixTime};
    use rustls::CertificateError;

    #[test]
    fn a_url_joined_to_a_parsed_base_is_the_url_parsed_whole() {
        let rests = [
            "/v3/p/trackers?tracker_name=a&tracker_type=data",
            "/v3/p%201%2F%C3%BC/tracker",
            "/v3/ü é/trackers?x=ü é&y=%zz",
            "/v3/p/../q/./r/%2e%2E/trackers",
            "/a\\b/c?d\\e#f g",
            "/a\tb\nc ",
            "/@user:pass/x",
            "/",
            "/?",
            "/#",
        ];
        for base in [
            "http://127.0.0.1:8080",
            "https://example.com",
            "http://[::1]:9",
        ] {
            let parsed = BaseUrl::new(base).expect("a canonical base");
            for rest in rests {
                let whole = format!("{base}{rest}");
                assert_eq!(
                    parsed.join(&whole),
                    Some(reqwest::Url::parse(&whole).unwrap()),
                    "{whole}"
                );
            }
            // Not a path after the base: parsed whole by reqwest instead.
            for other in ["//evil.example/x", "/\\evil.example/x", "?q", ":1/x", "x/y"] {
                assert_eq!(parsed.join(&format!("{base}{other}")), None, "{other}");
            }
            assert_eq!(parsed.join("http://other.example/v3"), None);
        }
        // Bases the parser writes differently, or with a path: no shortcut.
        for base in [
            "HTTP://Example.com",
            "http://h:80",
            "http://h/",
            "http://h/prefix",
            "http://h?q",
            "not a url",
        ] {
            assert!(BaseUrl::new(base).is_none(), "{base}");
        }
    }

    #[test]
    fn a_client_builds_with_the_ring_provider_installed_and_again() {
        // Without the provider reqwest (rustls-no-provider) panics in build().
        http_client_builder().build().unwrap();
        http_client_builder().build().unwrap();
        assert!(rustls::crypto::CryptoProvider::get_default().is_some());
    }

    /// The one line for `error` as rustls says it, inside a chain like reqwest's.
    fn line_for(error: CertificateError) -> String {
        let tls = rustls::Error::InvalidCertificate(error);
        let chain =
            format!("error sending request for url (https://h/): client error (Connect): {tls}");
        certificate_problem(&chain, false).expect("a certificate problem")
    }

    /// A webpki reason rustls passes on wrapped, as `Other(OtherError(Name))`.
    #[derive(Debug)]
    struct CaUsedAsEndEntity;

    impl std::fmt::Display for CaUsedAsEndEntity {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "{self:?}")
        }
    }

    impl std::error::Error for CaUsedAsEndEntity {}

    #[test]
    fn each_certificate_reason_rustls_gives_is_one_plain_line() {
        let at = |secs| UnixTime::since_unix_epoch(Duration::from_secs(secs));
        let host = ServerName::try_from("example.com").unwrap();
        let cases = [
            (
                CertificateError::UnknownIssuer,
                "certificate not trusted (unknown issuer)",
            ),
            (
                CertificateError::NotValidForNameContext {
                    expected: host,
                    presented: vec!["DnsName(\"other.test\")".to_string()],
                },
                "certificate not valid for this host name",
            ),
            (
                CertificateError::ExpiredContext {
                    time: at(2_000_000_000),
                    not_after: at(1_000_000_000),
                },
                "certificate expired",
            ),
            (
                CertificateError::NotValidYetContext {
                    time: at(1_000_000_000),
                    not_before: at(2_000_000_000),
                },
                "certificate not valid yet",
            ),
            (CertificateError::Expired, "certificate expired"),
            (CertificateError::Revoked, "certificate revoked"),
            (
                CertificateError::Other(rustls::OtherError(std::sync::Arc::new(CaUsedAsEndEntity))),
                "certificate not trusted (the server presents a CA certificate as its own)",
            ),
            (
                CertificateError::UnsupportedSignatureAlgorithmContext {
                    signature_algorithm_id: vec![1, 2],
                    supported_algorithms: Vec::new(),
                },
                "certificate signed with an algorithm cts-conform cannot verify",
            ),
            (
                CertificateError::BadSignature,
                "certificate rejected (BadSignature)",
            ),
            (
                CertificateError::ExpiredRevocationListContext {
                    time: at(2_000_000_000),
                    next_update: at(1_000_000_000),
                },
                "certificate rejected (certificate revocation list expired)",
            ),
        ];
        for (error, what) in cases {
            let shown = format!("{error:?}");
            let line = line_for(error);
            let hint = match what.contains("presents a CA certificate") {
                true => {
                    "the server must present a certificate its CA issued, not the CA's own \
                         (trusting it does not help); only for a test target, pass --insecure"
                }
                false => "pass --cacert FILE (the CA's PEM) or, only for a test target, --insecure",
            };
            assert_eq!(line, format!("TLS: {what}; {hint}"), "{shown}");
        }
    }

    #[test]
    fn with_roots_of_its_own_the_hint_does_not_suggest_cacert() {
        let chain = |error: CertificateError| {
            let tls = rustls::Error::InvalidCertificate(error);
            format!("client error (Connect): {tls}")
        };
        let unknown = certificate_problem(&chain(CertificateError::UnknownIssuer), true).unwrap();
        assert_eq!(
            unknown,
            "TLS: certificate not trusted (unknown issuer); --cacert does not hold the CA that \
             issued it: pass that CA's PEM, or, only for a test target, --insecure"
        );
        let expired = certificate_problem(&chain(CertificateError::Expired), true).unwrap();
        assert_eq!(
            expired,
            "TLS: certificate expired; only for a test target, pass --insecure"
        );
    }

    #[test]
    fn a_chain_without_a_certificate_reason_is_not_a_certificate_problem() {
        assert_eq!(
            certificate_problem("client error (Connect): connection refused", false),
            None
        );
    }
}
