//! An https target with a private CA, through the built binary: without trust it is one
//! readable line and exit 3 (no rustls debug names); `--cacert FILE`, `SSL_CERT_FILE` and
//! `--insecure` (with its warning) each make the run go through. The CA and the server's
//! certificate are made here (rcgen); the target is a tiny TLS server (tokio-rustls) that
//! answers every request with an empty tracker list.

use crate::cli_run;

use std::net::SocketAddr;
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::ServerConfig;

/// A private CA's PEM, and a TLS server on loopback whose certificate that CA signed.
struct Target {
    ca_pem: String,
    addr: SocketAddr,
    _runtime: tokio::runtime::Runtime,
}

impl Target {
    fn start() -> Target {
        Self::start_with(false)
    }

    /// With `ca_as_its_own`, the server presents a self-signed CA certificate (for its
    /// host) as its own, and `ca_pem` is that certificate.
    fn start_with(ca_as_its_own: bool) -> Target {
        let mut ca_params = CertificateParams::new(match ca_as_its_own {
            true => vec!["127.0.0.1".to_string()],
            false => Vec::new(),
        })
        .unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        if ca_as_its_own {
            // Another name than the other CAs' (a certificate of theirs is not taken for
            // one of this CA's with a bad signature).
            ca_params.distinguished_name.push(
                rcgen::DnType::CommonName,
                "cts-conform test server, its own CA",
            );
        }
        let ca_key = KeyPair::generate().unwrap();
        let ca_key_der = ca_key.serialize_der();
        let ca = CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
        let (chain, key) = if ca_as_its_own {
            (vec![CertificateDer::from(ca.der().to_vec())], ca_key_der)
        } else {
            let key = KeyPair::generate().unwrap();
            let cert = CertificateParams::new(vec!["127.0.0.1".to_string()])
                .unwrap()
                .signed_by(&key, &ca)
                .unwrap();
            (
                vec![CertificateDer::from(cert.der().to_vec())],
                key.serialize_der(),
            )
        };
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key));
        let config = ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        runtime.spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    if let Ok(mut tls) = acceptor.accept(stream).await {
                        answer(&mut tls).await;
                    }
                });
            }
        });
        Target {
            ca_pem: ca.pem(),
            addr,
            _runtime: runtime,
        }
    }

    fn url(&self) -> String {
        format!("https://{}", self.addr)
    }
}

/// Reads one request head, answers 200 with an empty tracker list, closes.
async fn answer(stream: &mut tokio_rustls::server::TlsStream<tokio::net::TcpStream>) {
    let mut head = Vec::new();
    let mut buffer = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buffer[..n]),
        }
    }
    let body = r#"{"trackers":[]}"#;
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// The `pass` fixture's one read-only case against `target`, with `extra` arguments.
fn run_against(target: &Target, extra: &[&str], env: &[(&str, &str)]) -> cli_run::Run {
    let dir = cli_run::cases("pass");
    let url = target.url();
    let workdir = tempfile::tempdir().unwrap();
    let mut args = vec![
        "--cases",
        dir.as_str(),
        "--skip",
        "derived::",
        "--target",
        url.as_str(),
        "--project-id",
        "0123456789abcdef0123456789abcdef",
    ];
    args.extend_from_slice(extra);
    let mut command = cli_run::command(&args);
    command
        .current_dir(workdir.path())
        .env_remove("SSL_CERT_FILE");
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().expect("the binary runs");
    cli_run::Run {
        code: output.status.code().expect("exited"),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        files_left: Vec::new(),
    }
}

#[test]
fn an_untrusted_certificate_is_one_readable_line_and_exit_3() {
    let target = Target::start();
    let out = run_against(&target, &[], &[]);
    assert_eq!(out.code, 3, "{out:?}");
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("TLS: certificate not trusted (unknown issuer); pass --cacert FILE"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("UnknownIssuer"), "{}", out.stderr);
}

#[test]
fn cacert_adds_the_private_ca_to_the_trusted_roots() {
    let target = Target::start();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &target.ca_pem).unwrap();
    let out = run_against(&target, &["--cacert", ca.to_str().unwrap()], &[]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("1 passed"), "{}", out.stdout);
}

/// The hint never suggests what was done (issue 32, item 5): with --cacert given, a CA
/// certificate presented as the server's own, or a certificate of another CA, is one line
/// that does not say "pass --cacert FILE".
#[test]
fn with_cacert_given_the_hint_does_not_suggest_it() {
    let dir = tempfile::tempdir().unwrap();
    let own = Target::start_with(true);
    let ca = dir.path().join("own.pem");
    std::fs::write(&ca, &own.ca_pem).unwrap();
    let out = run_against(&own, &["--cacert", ca.to_str().unwrap()], &[]);
    assert_eq!(out.code, 3, "{out:?}");
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("presents a CA certificate as its own")
            && !out.stderr.contains("pass --cacert"),
        "{}",
        out.stderr
    );

    let other = Target::start();
    let out = run_against(&other, &["--cacert", ca.to_str().unwrap()], &[]);
    assert_eq!(out.code, 3, "{out:?}");
    assert!(
        out.stderr
            .contains("--cacert does not hold the CA that issued it")
            && !out.stderr.contains("pass --cacert"),
        "{}",
        out.stderr
    );
}

#[test]
fn ssl_cert_file_is_honoured() {
    let target = Target::start();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &target.ca_pem).unwrap();
    let out = run_against(&target, &[], &[("SSL_CERT_FILE", ca.to_str().unwrap())]);
    assert_eq!(out.code, 0, "{out:?}");
}

#[test]
fn insecure_goes_through_with_a_warning() {
    let target = Target::start();
    let out = run_against(&target, &["--insecure"], &[]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stderr.contains("warning: --insecure"), "{}", out.stderr);
}

#[test]
fn an_unreadable_cacert_is_a_usage_error_naming_the_file() {
    let target = Target::start();
    let out = run_against(&target, &["--cacert", "/nonexistent/ca.pem"], &[]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains("--cacert /nonexistent/ca.pem"),
        "{}",
        out.stderr
    );
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "not a certificate\n").unwrap();
    let out = run_against(&target, &["--cacert", empty.to_str().unwrap()], &[]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains("holds no certificate"),
        "{}",
        out.stderr
    );
}

#[test]
fn sweep_trusts_cacert_too() {
    let target = Target::start();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &target.ca_pem).unwrap();
    let ledger = dir.path().join("ledger.jsonl");
    let line = format!(
        "{{\"event\":\"created\",\"run_id\":\"r1\",\"case\":\"c\",\"target\":\"{}\",\
         \"project_id\":\"p\",\"tracker_name\":\"cc-r1-a\",\"tracker_type\":\"data\"}}\n",
        target.url()
    );
    let sweep = |extra: &[&str]| {
        std::fs::write(&ledger, &line).unwrap();
        let mut args = vec!["sweep", "--ledger", ledger.to_str().unwrap()];
        args.extend_from_slice(extra);
        let output = cli_run::command(&args).output().expect("sweep runs");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let untrusted = sweep(&[]);
    assert!(
        untrusted.contains("TLS: certificate not trusted (unknown issuer)"),
        "{untrusted}"
    );
    let trusted = sweep(&["--cacert", ca.to_str().unwrap()]);
    assert!(!trusted.contains("TLS:"), "{trusted}");
    assert!(trusted.contains("cc-r1-a"), "{trusted}");
}
