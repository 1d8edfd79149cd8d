//! Signing a rendered request with AK/SK (SDK-HMAC-SHA256) as a step's auth mode asks:
//! correctly, with a wrong secret key, or correctly and then with a tampered signature.
//! Adds `Host`, `X-Sdk-Date` and `X-Project-Id` as the official SDKs do.

use time::OffsetDateTime;

use super::request::tamper;
use crate::auth::{self, Credentials, RequestParts};
use crate::case::model::AuthMode;
use crate::http::exchange::SentRequest;

/// Adds the signing headers and `Authorization` to `request`.
pub fn sign_request(
    request: &mut SentRequest,
    mode: AuthMode,
    creds: &Credentials,
    project_id: &str,
    now: OffsetDateTime,
) {
    let Ok(url) = reqwest::Url::parse(&request.url) else {
        return; // The send fails with the URL's own error.
    };
    let host = match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        (None, _) => String::new(),
    };
    request.headers.retain(|(n, _)| {
        !["host", "x-sdk-date", "authorization"].contains(&n.to_ascii_lowercase().as_str())
    });
    request.headers.push(("Host".into(), host));
    request
        .headers
        .push(("X-Sdk-Date".into(), auth::format_sdk_date(now)));
    if !request
        .headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("x-project-id"))
    {
        request
            .headers
            .push(("X-Project-Id".into(), project_id.to_string()));
    }
    let wrong;
    let signer = if mode == AuthMode::WrongKey {
        wrong = Credentials::new(creds.ak.clone(), format!("{}-wrong", creds.sk().expose()));
        &wrong
    } else {
        creds
    };
    let parts = RequestParts {
        method: &request.method,
        path: url.path(),
        query: url.query().unwrap_or(""),
        headers: &request.headers,
        body: request.body.as_deref().unwrap_or(&[]),
    };
    let Ok(mut authorization) = auth::sign(&parts, signer) else {
        return; // Only fails without a valid X-Sdk-Date, which is set just above.
    };
    if mode == AuthMode::TamperedSignature {
        authorization.signature = tamper(&authorization.signature);
    }
    request
        .headers
        .push(("Authorization".into(), authorization.to_string()));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{verify, Credentials};

    fn request() -> SentRequest {
        SentRequest {
            method: "POST".into(),
            url: "http://127.0.0.1:8080/v3/p1/tracker".into(),
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: Some(br#"{"tracker_type":"system"}"#.to_vec()),
        }
    }

    fn check(mode: AuthMode) -> Result<(), crate::auth::AuthError> {
        let creds = Credentials::new("AKTEST0001", "SKsecretSKsecret");
        let now = OffsetDateTime::now_utc();
        let mut req = request();
        sign_request(&mut req, mode, &creds, "p1", now);
        let parts = RequestParts {
            method: "POST",
            path: "/v3/p1/tracker",
            query: "",
            headers: &req.headers,
            body: req.body.as_deref().unwrap_or(&[]),
        };
        verify(
            &parts,
            |ak| (ak == creds.ak).then_some(&creds),
            now,
            time::Duration::minutes(15),
        )
        .map(|_| ())
    }

    #[test]
    fn each_mode_signs_as_asked() {
        assert!(check(AuthMode::Default).is_ok());
        assert!(matches!(
            check(AuthMode::WrongKey),
            Err(crate::auth::AuthError::SignatureMismatch)
        ));
        assert!(matches!(
            check(AuthMode::TamperedSignature),
            Err(crate::auth::AuthError::SignatureMismatch)
        ));
    }
}
