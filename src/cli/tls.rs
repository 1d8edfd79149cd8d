//! The run's TLS trust from its flags: `--cacert FILE` (PEM roots added to the system's)
//! and `--insecure` (no verification, with a loud warning on every run). `SSL_CERT_FILE`
//! needs nothing here: the system roots are read through rustls-native-certs, which
//! takes the file it names instead of the system's bundle.

use cts_conform::http::client::TlsTrust;

use super::args::TlsArgs;

/// The trust the flags ask for; an unreadable `--cacert` is one line (exit 2). `target`
/// is named in the `--insecure` warning.
pub(crate) fn tls_trust(args: &TlsArgs, target: &str) -> Result<TlsTrust, String> {
    let roots = match &args.cacert {
        Some(path) => TlsTrust::read_pem(path).map_err(|e| e.to_string())?,
        None => Vec::new(),
    };
    if args.insecure {
        eprintln!(
            "warning: --insecure: the target's TLS certificate is NOT verified; anyone between \
             here and {} can read and change this run's requests and answers",
            target
        );
    }
    Ok(TlsTrust {
        roots,
        insecure: args.insecure,
    })
}
