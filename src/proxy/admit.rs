//! Which client requests the proxy forwards: the decision, pure, and the refusals.
//!
//! In order, a request is refused when
//! 1. its target is in absolute form (`GET http://host/...`) or authority form
//!    (`CONNECT host:443`): **400** `CTS.0003`;
//! 2. a path segment is `.` or `..` (also percent-encoded): **400** `CTS.0003`;
//! 3. unless forwarding unverified requests, its credentials do not verify with the
//!    proxy's own (the AK/SK signature, `X-Sdk-Date` within the gateway's 15 minutes, or
//!    the token): **401** `APIGW.0301` in the gateway's shape;
//! 4. its path names another project than the configured one (or `X-Project-Id`
//!    does): **403** `CTS.0013`;
//! 5. its path is none of the contract's operations: **404** `CTS.0003`;
//! 6. its method is not the operation's at that path: **405** `CTS.0003`.
//!
//! The answers are those of the emulator (and the gateway's 401), so a client sees what
//! the real service would answer. [`FORWARDED_HEADERS`] is the allow-list of client
//! headers passed on.

use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use percent_encoding::percent_decode_str;
use time::OffsetDateTime;

use crate::auth::RequestParts;
use crate::contract::Contract;
use crate::emulator::auth_policy::{path_project, AuthPolicy, Refusal};
use crate::emulator::error::CtsError;
use crate::emulator::gateway::GatewayError;
use crate::violations::request::path_matches;

/// Client headers forwarded upstream (any other is dropped); the proxy adds `Host`,
/// `X-Sdk-Date`, `Authorization` or `X-Auth-Token` itself.
pub const FORWARDED_HEADERS: [&str; 6] = [
    "accept",
    "accept-language",
    "content-type",
    "user-agent",
    "x-language",
    "x-project-id",
];

/// Credentials forwarded as they came, only when forwarding unverified requests without
/// credentials of the proxy's own.
pub const CLIENT_CREDENTIAL_HEADERS: [&str; 3] = ["authorization", "x-auth-token", "x-sdk-date"];

/// Why a request is not forwarded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("the request target must be a path (origin form), not {0:?}")]
    NotOriginForm(String),
    #[error("the path must not hold `.` or `..` segments")]
    DotSegment,
    #[error("{0}")]
    Unauthenticated(String),
    #[error("the request addresses project {configured}, not {named}")]
    OtherProject { configured: String, named: String },
    #[error("no operation of the contract lives at {0}")]
    UnknownPath(String),
    #[error("method {0} is not allowed on this resource")]
    Method(String),
}

impl Refused {
    /// The answer the client gets (`request_id` for the gateway's 401).
    pub fn response(&self, request_id: String) -> Response {
        match self {
            Self::Unauthenticated(why) => {
                GatewayError::unauthenticated(why, request_id).into_response()
            }
            Self::OtherProject { named, .. } => Refusal::Forbidden(named.clone()).into_response(),
            Self::UnknownPath(path) => CtsError::UnknownPath(path.clone()).into_response(),
            Self::Method(method) => CtsError::MethodNotAllowed(method.clone()).into_response(),
            Self::NotOriginForm(_) | Self::DotSegment => {
                CtsError::invalid_request(self.to_string()).into_response()
            }
        }
    }

    /// The rule name written to the violations file for this refusal.
    pub fn rule(&self) -> &'static str {
        match self {
            Self::NotOriginForm(_) | Self::DotSegment => "request-target",
            Self::Unauthenticated(_) => "credentials",
            Self::OtherProject { .. } => "project",
            Self::UnknownPath(_) => "path",
            Self::Method(_) => "method",
        }
    }
}

/// What the decision needs.
#[derive(Debug, Clone, Copy)]
pub struct Admission<'a> {
    pub contract: &'a Contract,
    /// The project requests must name (`--project-id`); `None`: any one project, the same
    /// in the path and in `X-Project-Id` (the upstream decides which its credentials grant).
    pub project_id: Option<&'a str>,
    /// The proxy's own credentials, to verify the client's with; `None` forwards
    /// unverified requests (`--forward-unverified`).
    pub policy: Option<&'a AuthPolicy>,
}

/// Decides one request (`uri` as received, `request` its signed parts); `Ok` with the
/// id of the operation it addresses.
pub fn admit<'c>(
    admission: &Admission<'c>,
    uri: &Uri,
    request: &RequestParts,
    now: OffsetDateTime,
) -> Result<&'c str, Refused> {
    if uri.scheme().is_some() || uri.authority().is_some() {
        return Err(Refused::NotOriginForm(uri.to_string()));
    }
    let path = uri.path();
    if !path.starts_with('/') {
        return Err(Refused::NotOriginForm(uri.to_string()));
    }
    if path.split('/').any(is_dot_segment) {
        return Err(Refused::DotSegment);
    }
    if let Some(policy) = admission.policy {
        policy
            .check(request, None, now)
            .map_err(|refusal| Refused::Unauthenticated(refusal.to_string()))?;
    }
    let header_project = request
        .headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("x-project-id"))
        .map(|(_, value)| value.trim().to_owned());
    let path_named = path_project(path);
    let expected = admission
        .project_id
        .map(str::to_owned)
        .or_else(|| path_named.clone());
    if let Some(expected) = expected {
        for named in path_named.into_iter().chain(header_project) {
            if named != expected {
                return Err(Refused::OtherProject {
                    configured: expected,
                    named,
                });
            }
        }
    }
    let mut at_path = admission
        .contract
        .operations()
        .filter(|op| path_matches(&op.path, path))
        .peekable();
    if at_path.peek().is_none() || path_project(path).is_none() {
        return Err(Refused::UnknownPath(path.to_owned()));
    }
    at_path
        .find(|op| op.method.eq_ignore_ascii_case(request.method))
        .map(|op| op.id.as_str())
        .ok_or_else(|| Refused::Method(request.method.to_owned()))
}

/// `.` or `..`, also percent-encoded (`%2e`, `%2E%2e`, ...).
fn is_dot_segment(segment: &str) -> bool {
    let decoded = percent_decode_str(segment).decode_utf8_lossy();
    decoded == "." || decoded == ".."
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Credentials;
    use crate::emulator::auth_policy::Account;

    const PROJECT: &str = "p1";

    /// Decided without verifying credentials (as with `--forward-unverified`).
    fn decide(method: &str, target: &str, headers: &[(String, String)]) -> Result<String, Refused> {
        decide_with(None, method, target, headers)
    }

    fn decide_with(
        policy: Option<&AuthPolicy>,
        method: &str,
        target: &str,
        headers: &[(String, String)],
    ) -> Result<String, Refused> {
        decide_for(Some(PROJECT), policy, method, target, headers)
    }

    fn decide_for(
        project_id: Option<&str>,
        policy: Option<&AuthPolicy>,
        method: &str,
        target: &str,
        headers: &[(String, String)],
    ) -> Result<String, Refused> {
        let admission = Admission {
            contract: Contract::embedded(),
            project_id,
            policy,
        };
        let uri: Uri = target.parse().expect("a URI");
        let parts = RequestParts {
            method,
            path: uri.path(),
            query: uri.query().unwrap_or(""),
            headers,
            body: b"",
        };
        admit(&admission, &uri, &parts, OffsetDateTime::now_utc()).map(str::to_owned)
    }

    #[test]
    fn only_the_contracts_operations_of_the_project_pass() {
        assert_eq!(
            decide("GET", "/v3/p1/trackers", &[]).as_deref(),
            Ok("ListTrackers")
        );
        assert_eq!(
            decide("POST", "/v3/p1/tracker", &[]).as_deref(),
            Ok("CreateTracker")
        );
        assert!(matches!(
            decide("GET", "/v3/p2/trackers", &[]),
            Err(Refused::OtherProject { .. })
        ));
        let other_header = [("X-Project-Id".to_owned(), "p2".to_owned())];
        assert!(matches!(
            decide("GET", "/v3/p1/trackers", &other_header),
            Err(Refused::OtherProject { .. })
        ));
        assert!(matches!(
            decide("GET", "/v1.0/p1/traces", &[]),
            Err(Refused::UnknownPath(_))
        ));
        assert!(matches!(
            decide("PATCH", "/v3/p1/trackers", &[]),
            Err(Refused::Method(_))
        ));
        assert_eq!(
            decide("GET", "http://elsewhere/v3/p1/trackers", &[]),
            Err(Refused::NotOriginForm(
                "http://elsewhere/v3/p1/trackers".into()
            ))
        );
        for dots in [
            "/v3/p1/../../admin/x",
            "/v3/p1/%2e%2E/trackers",
            "/v3/./p1/trackers",
        ] {
            assert_eq!(decide("GET", dots, &[]), Err(Refused::DotSegment), "{dots}");
        }
    }

    #[test]
    fn without_a_project_any_one_project_passes_but_path_and_header_must_agree() {
        let any = |target: &str, headers: &[(String, String)]| {
            decide_for(None, None, "GET", target, headers)
        };
        assert_eq!(any("/v3/p2/trackers", &[]).as_deref(), Ok("ListTrackers"));
        let same = [("X-Project-Id".to_owned(), "p2".to_owned())];
        assert_eq!(any("/v3/p2/trackers", &same).as_deref(), Ok("ListTrackers"));
        let other = [("X-Project-Id".to_owned(), "p3".to_owned())];
        assert!(matches!(
            any("/v3/p2/trackers", &other),
            Err(Refused::OtherProject { .. })
        ));
        assert!(matches!(
            any("/v1.0/p2/traces", &[]),
            Err(Refused::UnknownPath(_))
        ));
    }

    #[test]
    fn with_credentials_an_unsigned_request_is_refused_before_anything_else() {
        let policy = AuthPolicy::new(
            vec![Account {
                credentials: Credentials::new("AK", "SK"),
                project_id: PROJECT.into(),
            }],
            vec![],
        )
        .expect("a policy");
        let refused = decide_with(Some(&policy), "GET", "/v3/p2/trackers", &[]);
        assert!(
            matches!(refused, Err(Refused::Unauthenticated(_))),
            "{refused:?}"
        );
        let refused = refused.expect_err("refused");
        assert_eq!(refused.response(String::new()).status(), 401);
        assert_eq!(refused.rule(), "credentials");
    }
}
