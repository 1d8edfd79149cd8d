//! The emulator with an auth policy, through HTTP: requests signed the way the SDKs
//! sign them pass; unsigned, wrongly signed, stale or changed-after-signing requests
//! get 401 `CTS.0002`; valid credentials on another project's path get 403
//! `CTS.0013`; tokens work the same way. Every refusal is a contract-valid CTS error
//! body with an `X-Request-Id`, never a 5xx.

use std::net::SocketAddr;

use cts_conform::auth::{canonical_request, RequestParts};
use cts_conform::auth::{format_sdk_date, sign, signature, string_to_sign, Credentials};
use cts_conform::contract::Contract;
use cts_conform::emulator::{self, Account, AuthPolicy, EmulatorConfig, RunningEmulator, Token};
use cts_conform::http::client::http_client_builder;
use serde_json::{json, Value};
use time::{Duration, OffsetDateTime};

const PROJECT: &str = "0123456789abcdef0123456789abcdef";
const OTHER_PROJECT: &str = "ffffffffffffffffffffffffffffffff";
const AK: &str = "AKTESTAKTESTAKTEST01";
const SK: &str = "SKtestSKtestSKtestSKtestSKtestSKtest0001";
const TOKEN: &str = "MIItoken-for-the-emulator-tests";

fn credentials() -> Credentials {
    Credentials::new(AK, SK)
}

fn policy() -> AuthPolicy {
    AuthPolicy::new(
        vec![Account {
            credentials: credentials(),
            project_id: PROJECT.to_owned(),
        }],
        vec![Token {
            token: TOKEN.into(),
            project_id: PROJECT.to_owned(),
        }],
    )
    .expect("a valid policy")
}

/// A request as it goes on the wire; built, signed, then possibly changed.
#[derive(Clone)]
struct WireRequest {
    method: &'static str,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl WireRequest {
    /// A request with the headers the Python SDK sends and signs.
    fn new(emulator: &RunningEmulator, method: &'static str, target: &str, body: &[u8]) -> Self {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        Self {
            method,
            path: path.to_owned(),
            query: query.to_owned(),
            headers: vec![
                ("Host".into(), emulator.addr().to_string()),
                (
                    "Content-Type".into(),
                    "application/json;charset=UTF-8".into(),
                ),
                ("User-Agent".into(), "huaweicloud-usdk-python/3.0".into()),
                ("X-Project-Id".into(), PROJECT.into()),
            ],
            body: body.to_vec(),
        }
    }

    fn parts(&self) -> RequestParts<'_> {
        RequestParts {
            method: self.method,
            path: &self.path,
            query: &self.query,
            headers: &self.headers,
            body: &self.body,
        }
    }

    fn set_header(mut self, name: &str, value: &str) -> Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    fn without_header(mut self, name: &str) -> Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self
    }

    /// Signed by `creds` as of `at` (adds `X-Sdk-Date` and `Authorization`).
    fn signed_at(self, creds: &Credentials, at: OffsetDateTime) -> Self {
        let dated = self.set_header("X-Sdk-Date", &format_sdk_date(at));
        let authorization = sign(&dated.parts(), creds).expect("signs");
        dated.set_header("Authorization", &authorization.to_string())
    }

    fn signed(self) -> Self {
        self.signed_at(&credentials(), OffsetDateTime::now_utc())
    }
}

struct Answer {
    status: u16,
    request_id: Option<String>,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// A contract-valid CTS error with this status and code, and a request id.
    fn assert_error(&self, status: u16, code: &str) {
        let body = self.json();
        assert_eq!(
            (self.status, body["error_code"].as_str()),
            (status, Some(code)),
            "body: {body}"
        );
        let violations = Contract::embedded()
            .validate("ErrorResponseBody", &body)
            .expect("the contract has ErrorResponseBody");
        assert!(violations.is_empty(), "{body}");
        assert!(self.request_id.is_some(), "no X-Request-Id on a {status}");
    }
}

async fn start(auth: Option<AuthPolicy>) -> RunningEmulator {
    let listen: SocketAddr = "127.0.0.1:0".parse().expect("address");
    let config = EmulatorConfig {
        auth,
        ..EmulatorConfig::default()
    };
    emulator::start(config, listen).await.expect("starts")
}

async fn send(emulator: &RunningEmulator, request: &WireRequest) -> Answer {
    let mut url = format!("{}{}", emulator.base_url(), request.path);
    if !request.query.is_empty() {
        url = format!("{url}?{}", request.query);
    }
    let method = reqwest::Method::from_bytes(request.method.as_bytes()).expect("method");
    let mut builder = http_client_builder()
        .build()
        .expect("a client")
        .request(method, url)
        .body(request.body.clone());
    for (name, value) in &request.headers {
        builder = builder.header(name, value);
    }
    let response = builder.send().await.expect("an HTTP answer");
    let status = response.status().as_u16();
    assert!(status < 500, "a 5xx: {status}");
    let request_id = response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = response.bytes().await.expect("body").to_vec();
    Answer {
        status,
        request_id,
        body,
    }
}

fn trackers(project: &str) -> String {
    format!("/v3/{project}/trackers")
}

fn create_body(name: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "tracker_type": "data", "tracker_name": name,
        "data_bucket": {"data_bucket_name": "tracked-bucket", "data_event": ["READ"]}
    }))
    .expect("json")
}

#[tokio::test]
async fn signed_requests_reach_the_handlers() {
    let emulator = start(Some(policy())).await;
    let create = WireRequest::new(
        &emulator,
        "POST",
        &format!("/v3/{PROJECT}/tracker"),
        &create_body("signed-1"),
    );
    assert_eq!(send(&emulator, &create.signed()).await.status, 201);

    // A percent-encoded query is verified as received.
    let list = WireRequest::new(
        &emulator,
        "GET",
        &format!(
            "{}?tracker_name=a%20b%2Fc~d&tracker_type=data",
            trackers(PROJECT)
        ),
        b"",
    );
    let answer = send(&emulator, &list.signed()).await;
    assert_eq!(
        (answer.status, answer.json()),
        (200, json!({"trackers": []}))
    );

    let quotas = WireRequest::new(&emulator, "GET", &format!("/v3/{PROJECT}/quotas"), b"");
    assert_eq!(send(&emulator, &quotas.signed()).await.status, 200);
    let delete = WireRequest::new(
        &emulator,
        "DELETE",
        &format!(
            "{}?tracker_name=signed-1&tracker_type=data",
            trackers(PROJECT)
        ),
        b"",
    );
    assert_eq!(send(&emulator, &delete.signed()).await.status, 204);
}

#[tokio::test]
async fn signing_only_the_date_is_enough() {
    // As in the Go SDK's published vectors: x-sdk-date signed, host not.
    let emulator = start(Some(policy())).await;
    let now = OffsetDateTime::now_utc();
    let request = WireRequest::new(&emulator, "GET", &trackers(PROJECT), b"")
        .set_header("X-Sdk-Date", &format_sdk_date(now));
    let signed = vec!["x-sdk-date".to_owned()];
    let canonical = canonical_request(&request.parts(), &signed);
    let sts = string_to_sign(&format_sdk_date(now), &canonical);
    let value = format!(
        "SDK-HMAC-SHA256 Access={AK}, SignedHeaders=x-sdk-date, Signature={}",
        signature(SK.as_bytes(), &sts)
    );
    let answer = send(&emulator, &request.set_header("Authorization", &value)).await;
    assert_eq!(answer.status, 200);
}

#[tokio::test]
async fn unsigned_headers_may_change_after_signing() {
    let emulator = start(Some(policy())).await;
    let request = WireRequest::new(&emulator, "GET", &trackers(PROJECT), b"")
        .without_header("User-Agent")
        .signed()
        .set_header("User-Agent", "a-proxy/1.0")
        .set_header("X-Forwarded-For", "10.0.0.1");
    assert_eq!(send(&emulator, &request).await.status, 200);
}

#[tokio::test]
async fn missing_or_wrong_credentials_are_401() {
    let emulator = start(Some(policy())).await;
    let body = create_body("never-created");
    let post = WireRequest::new(&emulator, "POST", &format!("/v3/{PROJECT}/tracker"), &body);
    let get = WireRequest::new(&emulator, "GET", &trackers(PROJECT), b"");
    let now = OffsetDateTime::now_utc();
    let wrong_sk = Credentials::new(AK, format!("{SK}x"));
    let unknown_ak = Credentials::new("AKUNKNOWNUNKNOWN0001", SK);
    let tampered = {
        let signed = post.clone().signed();
        let value = signed
            .headers
            .iter()
            .find(|(n, _)| n == "Authorization")
            .map(|(_, v)| v.clone())
            .expect("signed");
        let last = if value.ends_with('0') { "1" } else { "0" };
        let changed = format!("{}{last}", &value[..value.len() - 1]);
        signed.set_header("Authorization", &changed)
    };
    let cases: Vec<(&str, WireRequest)> = vec![
        ("no credentials", post.clone()),
        ("wrong secret key", post.clone().signed_at(&wrong_sk, now)),
        (
            "unknown access key",
            post.clone().signed_at(&unknown_ak, now),
        ),
        ("tampered signature", tampered),
        (
            "stale date",
            post.clone()
                .signed_at(&credentials(), now - Duration::minutes(16)),
        ),
        (
            "future date",
            post.clone()
                .signed_at(&credentials(), now + Duration::minutes(16)),
        ),
        (
            "date removed",
            post.clone().signed().without_header("X-Sdk-Date"),
        ),
        (
            "date changed",
            post.clone()
                .signed()
                .set_header("X-Sdk-Date", &format_sdk_date(now + Duration::seconds(1))),
        ),
        ("body changed", {
            let mut r = post.clone().signed();
            r.body = create_body("changed-name");
            r
        }),
        ("path changed", {
            let mut r = get.clone().signed();
            r.path = format!("/v3/{PROJECT}/quotas");
            r
        }),
        ("query changed", {
            let mut r = get.clone().signed();
            r.query = "tracker_type=system".into();
            r
        }),
        (
            "signed header changed",
            post.clone()
                .signed()
                .set_header("Content-Type", "application/json"),
        ),
        (
            "host changed",
            get.clone().signed().set_header("Host", "example.com"),
        ),
        (
            "unknown token",
            get.clone().set_header("X-Auth-Token", "MIInot-the-token"),
        ),
        ("empty token", get.clone().set_header("X-Auth-Token", "")),
        (
            "bearer scheme",
            get.clone().set_header("Authorization", "Bearer abc"),
        ),
        (
            "garbage authorization",
            get.clone()
                .set_header("Authorization", "SDK-HMAC-SHA256 ,,,==="),
        ),
        (
            "signature of the wrong length",
            get.clone().set_header(
                "Authorization",
                &format!("SDK-HMAC-SHA256 Access={AK}, SignedHeaders=x-sdk-date, Signature=abc"),
            ),
        ),
    ];
    for (what, request) in cases {
        let answer = send(&emulator, &request).await;
        assert_eq!(
            answer.status,
            401,
            "{what}: {}",
            String::from_utf8_lossy(&answer.body)
        );
        answer.assert_error(401, "CTS.0002");
        let text = String::from_utf8_lossy(&answer.body);
        assert!(
            !text.contains(SK) && !text.contains(TOKEN),
            "{what}: a secret in {text}"
        );
    }
    // Nothing was created by any of them.
    let list = WireRequest::new(&emulator, "GET", &trackers(PROJECT), b"").signed();
    assert_eq!(send(&emulator, &list).await.json(), json!({"trackers": []}));
}

#[tokio::test]
async fn tokens_authenticate() {
    let emulator = start(Some(policy())).await;
    let request = WireRequest::new(&emulator, "GET", &trackers(PROJECT), b"")
        .set_header("X-Auth-Token", TOKEN);
    assert_eq!(send(&emulator, &request).await.status, 200);
}

#[tokio::test]
async fn another_projects_path_is_403() {
    let emulator = start(Some(policy())).await;
    let signed = WireRequest::new(&emulator, "GET", &trackers(OTHER_PROJECT), b"").signed();
    send(&emulator, &signed).await.assert_error(403, "CTS.0013");
    let token = WireRequest::new(&emulator, "GET", &trackers(OTHER_PROJECT), b"")
        .set_header("X-Auth-Token", TOKEN);
    send(&emulator, &token).await.assert_error(403, "CTS.0013");
}

#[tokio::test]
async fn an_account_may_grant_several_projects() {
    let account = |project: &str| Account {
        credentials: credentials(),
        project_id: project.to_owned(),
    };
    let policy = AuthPolicy::new(vec![account(PROJECT), account(OTHER_PROJECT)], vec![])
        .expect("same AK/SK twice is one account with two projects");
    let emulator = start(Some(policy)).await;
    for project in [PROJECT, OTHER_PROJECT] {
        let request = WireRequest::new(&emulator, "GET", &trackers(project), b"").signed();
        assert_eq!(send(&emulator, &request).await.status, 200, "{project}");
    }
}

#[tokio::test]
async fn without_a_policy_everything_passes() {
    let emulator = start(None).await;
    let request = WireRequest::new(&emulator, "GET", &trackers(PROJECT), b"");
    assert_eq!(send(&emulator, &request).await.status, 200);
}

#[test]
fn policy_file_round_trip() {
    let text = format!(
        r#"{{"accounts": [{{"ak": "{AK}", "sk": "{SK}", "project_id": "{PROJECT}"}}],
            "tokens": [{{"token": "{TOKEN}", "project_id": "{PROJECT}"}}]}}"#
    );
    assert_eq!(AuthPolicy::from_json(&text).expect("valid"), policy());
    let unknown_field = r#"{"accounts": [], "users": []}"#;
    assert!(AuthPolicy::from_json(unknown_field).is_err());
    let empty_sk = format!(r#"{{"accounts": [{{"ak": "{AK}", "sk": " ", "project_id": "p"}}]}}"#);
    let error = AuthPolicy::from_json(&empty_sk).expect_err("empty SK");
    assert_eq!(error.to_string(), "the SK of account 1 is empty");
}

#[test]
fn debug_output_hides_secrets() {
    let shown = format!("{:?}", policy());
    assert!(!shown.contains(SK) && !shown.contains(TOKEN), "{shown}");
}
