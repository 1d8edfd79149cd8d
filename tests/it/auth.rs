//! Tests of `cts_conform::auth`: the published SDK-HMAC-SHA256 test vectors, sign ->
//! verify round trips, tampering, and the Authorization header format.

use cts_conform::auth::{
    canonical_request, format_sdk_date, sign, signature, string_to_sign, verify, AuthError,
    Authorization, Credentials, RequestParts, Verified,
};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

// ---------------------------------------------------------------- Go SDK vectors

const GO_AK: &str = "AccessKey";
const GO_SK: &str = "SecretKey";
const GO_DATE: &str = "20060102T150405Z";

fn go_vector(method: &str, path: &str, query: &str, body: &[u8]) -> String {
    let h = headers(&[("X-Sdk-Date", GO_DATE)]);
    let parts = RequestParts {
        method,
        path,
        query,
        headers: &h,
        body,
    };
    let auth = sign(&parts, &Credentials::new(GO_AK, GO_SK)).expect("signs");
    assert_eq!(auth.access, GO_AK);
    assert_eq!(auth.signed_headers, ["x-sdk-date"]);
    auth.signature
}

#[test]
fn go_vector_get() {
    assert_eq!(
        go_vector("GET", "/path", "limit=1", b""),
        "5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624"
    );
}

#[test]
fn go_vector_post() {
    assert_eq!(
        go_vector(
            "POST",
            "/path",
            "key=value",
            b"{\"Name\":\"test\",\"Id\":1}\n"
        ),
        "cecc2af119b18ab70b4d094c0750f3b42c02f254903179a0fc2cc72fc9db4f59"
    );
}

#[test]
fn go_vector_get_through_the_pieces() {
    let h = headers(&[("X-Sdk-Date", GO_DATE)]);
    let parts = RequestParts {
        method: "GET",
        path: "/path",
        query: "limit=1",
        headers: &h,
        body: b"",
    };
    let canonical = canonical_request(&parts, &["x-sdk-date".to_owned()]);
    assert_eq!(
        canonical,
        "GET\n/path/\nlimit=1\nx-sdk-date:20060102T150405Z\n\nx-sdk-date\n\
         e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    let sts = string_to_sign(GO_DATE, &canonical);
    assert!(sts.starts_with("SDK-HMAC-SHA256\n20060102T150405Z\n"));
    assert_eq!(
        signature(GO_SK.as_bytes(), &sts),
        "5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624"
    );
}

// ------------------------------------------------------------ Python SDK vectors

const PY_AK: &str = "AKTESTAKTESTAKTEST01";
const PY_SK: &str = "SKtestSKtestSKtestSKtestSKtestSKtest0001";
const PY_PROJECT: &str = "0123456789abcdef0123456789abcdef";
const PY_DATE: &str = "20240101T000000Z";

fn py_headers(content_type: &str) -> Vec<(String, String)> {
    headers(&[
        ("Content-Type", content_type),
        ("Host", "127.0.0.1:8080"),
        ("X-Project-Id", PY_PROJECT),
        ("X-Sdk-Date", PY_DATE),
    ])
}

fn py_sign(parts: &RequestParts) -> Authorization {
    let auth = sign(parts, &Credentials::new(PY_AK, PY_SK)).expect("signs");
    assert_eq!(
        auth.signed_headers,
        ["content-type", "host", "x-project-id", "x-sdk-date"]
    );
    auth
}

#[test]
fn python_vector_create_tracker() {
    let h = py_headers("application/json;charset=utf-8");
    let parts = RequestParts {
        method: "POST",
        path: "/v3/0123456789abcdef0123456789abcdef/tracker",
        query: "",
        headers: &h,
        body: br#"{"tracker_type": "system", "tracker_name": "system"}"#,
    };
    assert_eq!(
        py_sign(&parts).signature,
        "288359dcd1c2ff5d5f8f09e2721e7a1a045a547a1a025f27d633e91822578b45"
    );
}

#[test]
fn python_vector_list_trackers() {
    let h = py_headers("application/json");
    let parts = RequestParts {
        method: "GET",
        path: "/v3/0123456789abcdef0123456789abcdef/trackers",
        query: "tracker_name=a%20b%2Fc~d&tracker_type=data",
        headers: &h,
        body: b"",
    };
    assert_eq!(
        py_sign(&parts).signature,
        "db41ffaf7794fa35a20f341e9cf9d5ad587331945f262ffb4063165b9ef13114"
    );
}

// ------------------------------------------------------------ sign -> verify

const SKEW: Duration = Duration::minutes(15);

/// A signed request that can be tampered with before verification.
struct Signed {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Signed {
    fn parts(&self) -> RequestParts<'_> {
        RequestParts {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers: &self.headers,
            body: &self.body,
        }
    }

    fn set_header(&mut self, name: &str, value: &str) {
        match self
            .headers
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            Some(slot) => slot.1 = value.to_owned(),
            None => self.headers.push((name.to_owned(), value.to_owned())),
        }
    }

    fn remove_header(&mut self, name: &str) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    }

    fn verify_at(&self, now: OffsetDateTime) -> Result<Verified, AuthError> {
        let known = [
            Credentials::new(PY_AK, PY_SK),
            Credentials::new("OTHERAK", "other-secret"),
        ];
        verify(
            &self.parts(),
            |ak| known.iter().find(|c| c.ak == ak),
            now,
            SKEW,
        )
    }

    fn verify(&self) -> Result<Verified, AuthError> {
        self.verify_at(SIGNED_AT + Duration::seconds(30))
    }
}

const SIGNED_AT: OffsetDateTime = datetime!(2024-01-01 00:00:00 UTC);

/// A ListTrackers request signed the way the harness client will sign it.
fn signed_request_with(creds: &Credentials) -> Signed {
    let mut r = Signed {
        method: "POST".into(),
        path: "/v3/0123456789abcdef0123456789abcdef/tracker".into(),
        query: "tracker_name=a%20b%2Fc~d&tracker_type=data".into(),
        headers: headers(&[
            ("Host", "127.0.0.1:8080"),
            ("Content-Type", "application/json;charset=utf-8"),
            ("X-Project-Id", PY_PROJECT),
            ("X-Sdk-Date", &format_sdk_date(SIGNED_AT)),
            ("X_Not_Signed", "underscores are never signed"),
        ]),
        body: br#"{"tracker_type": "system", "tracker_name": "system"}"#.to_vec(),
    };
    let auth = sign(&r.parts(), creds).expect("signs");
    r.set_header("Authorization", &auth.to_string());
    r
}

fn signed_request() -> Signed {
    signed_request_with(&Credentials::new(PY_AK, PY_SK))
}

#[test]
fn round_trip_verifies() {
    let r = signed_request();
    let v = r.verify().expect("verifies");
    assert_eq!(v.ak, PY_AK);
    assert_eq!(
        v.signed_headers,
        ["content-type", "host", "x-project-id", "x-sdk-date"]
    );
}

#[test]
fn published_vectors_verify() {
    // Go: only x-sdk-date is signed, no Host at all; that must be accepted.
    let mut go = Signed {
        method: "POST".into(),
        path: "/path".into(),
        query: "key=value".into(),
        headers: headers(&[
            ("X-Sdk-Date", GO_DATE),
            (
                "Authorization",
                "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=x-sdk-date, \
                 Signature=cecc2af119b18ab70b4d094c0750f3b42c02f254903179a0fc2cc72fc9db4f59",
            ),
        ]),
        body: b"{\"Name\":\"test\",\"Id\":1}\n".to_vec(),
    };
    let creds = Credentials::new(GO_AK, GO_SK);
    let now = datetime!(2006-01-02 15:04:05 UTC);
    let v = verify(&go.parts(), |ak| (ak == GO_AK).then_some(&creds), now, SKEW);
    assert_eq!(v.map(|v| v.ak).as_deref(), Ok(GO_AK));
    go.body.pop();
    assert_eq!(
        verify(&go.parts(), |ak| (ak == GO_AK).then_some(&creds), now, SKEW),
        Err(AuthError::SignatureMismatch)
    );

    // Python: the list-trackers vector as the emulator would receive it.
    let py = Signed {
        method: "GET".into(),
        path: "/v3/0123456789abcdef0123456789abcdef/trackers".into(),
        query: "tracker_name=a%20b%2Fc~d&tracker_type=data".into(),
        headers: headers(&[
            ("content-type", "application/json"),
            ("host", "127.0.0.1:8080"),
            ("x-project-id", PY_PROJECT),
            ("x-sdk-date", PY_DATE),
            (
                "user-agent",
                "huaweicloud-usdk-python/3.0 (added after signing)",
            ),
            (
                "authorization",
                "SDK-HMAC-SHA256 Access=AKTESTAKTESTAKTEST01, \
                 SignedHeaders=content-type;host;x-project-id;x-sdk-date, \
                 Signature=db41ffaf7794fa35a20f341e9cf9d5ad587331945f262ffb4063165b9ef13114",
            ),
        ]),
        body: Vec::new(),
    };
    assert_eq!(py.verify().map(|v| v.ak).as_deref(), Ok(PY_AK));
}

#[test]
fn equivalent_encodings_still_verify() {
    // The server may see the path or query spelled differently but equivalently.
    let mut r = signed_request();
    r.path = "/v3/0123456789abcdef0123456789abcdef/%74racker".into();
    r.query = "tracker_type=data&tracker_name=a%20b/c%7Ed".into();
    r.set_header("x-project-id", &format!("  {PY_PROJECT}\t"));
    assert!(r.verify().is_ok(), "{:?}", r.verify());
}

#[test]
fn unsigned_headers_may_change() {
    let mut r = signed_request();
    r.set_header("User-Agent", "a proxy added this");
    r.set_header("X_Not_Signed", "changed");
    assert!(r.verify().is_ok());
}

#[test]
fn tampered_body_rejected() {
    let mut r = signed_request();
    r.body = br#"{"tracker_type": "data", "tracker_name": "system"}"#.to_vec();
    assert_eq!(r.verify(), Err(AuthError::SignatureMismatch));
    let mut r = signed_request();
    r.body.push(b' ');
    assert_eq!(r.verify(), Err(AuthError::SignatureMismatch));
}

#[test]
fn tampered_path_rejected() {
    for path in [
        "/v3/0123456789abcdef0123456789abcdee/tracker",
        "/v3/0123456789abcdef0123456789abcdef/trackers",
        "/v3/0123456789abcdef0123456789abcdef/Tracker",
    ] {
        let mut r = signed_request();
        r.path = path.into();
        assert_eq!(r.verify(), Err(AuthError::SignatureMismatch), "{path}");
    }
}

#[test]
fn tampered_query_rejected() {
    for query in [
        "tracker_name=a%20b%2Fc~e&tracker_type=data",
        "tracker_name=a%20b%2Fc~d&tracker_type=system",
        "tracker_name=a%20b%2Fc~d",
        "tracker_name=a%20b%2Fc~d&tracker_type=data&extra=1",
        "",
    ] {
        let mut r = signed_request();
        r.query = query.into();
        assert_eq!(r.verify(), Err(AuthError::SignatureMismatch), "{query}");
    }
}

#[test]
fn tampered_method_rejected() {
    let mut r = signed_request();
    r.method = "PUT".into();
    assert_eq!(r.verify(), Err(AuthError::SignatureMismatch));
}

#[test]
fn tampered_signed_header_rejected() {
    for (name, value) in [
        ("X-Project-Id", "ffffffffffffffffffffffffffffffff"),
        ("Host", "127.0.0.1:8081"),
        ("Content-Type", "text/plain"),
        // Another date within the allowed skew: the signature covers the date too.
        ("X-Sdk-Date", "20240101T000001Z"),
    ] {
        let mut r = signed_request();
        r.set_header(name, value);
        assert_eq!(r.verify(), Err(AuthError::SignatureMismatch), "{name}");
    }
}

#[test]
fn signed_header_removed_rejected() {
    let mut r = signed_request();
    r.remove_header("x-project-id");
    assert_eq!(
        r.verify(),
        Err(AuthError::MissingSignedHeader("x-project-id".into()))
    );
}

#[test]
fn date_outside_skew_rejected() {
    let r = signed_request();
    // Exactly at the limit is still accepted, in both directions.
    assert!(r.verify_at(SIGNED_AT + SKEW).is_ok());
    assert!(r.verify_at(SIGNED_AT - SKEW).is_ok());
    match r.verify_at(SIGNED_AT + SKEW + Duration::seconds(1)) {
        Err(AuthError::ClockSkew {
            date,
            skew_seconds,
            max_seconds,
        }) => {
            assert_eq!(date, "20240101T000000Z");
            assert_eq!(skew_seconds, -901);
            assert_eq!(max_seconds, 900);
        }
        other => panic!("expected ClockSkew, got {other:?}"),
    }
    assert!(matches!(
        r.verify_at(SIGNED_AT - Duration::hours(1)),
        Err(AuthError::ClockSkew {
            skew_seconds: 3600,
            ..
        })
    ));
}

#[test]
fn missing_or_malformed_date_rejected() {
    let mut r = signed_request();
    r.remove_header("X-Sdk-Date");
    assert_eq!(r.verify(), Err(AuthError::MissingDate));
    let mut r = signed_request();
    r.set_header("X-Sdk-Date", "2024-01-01T00:00:00Z");
    assert_eq!(
        r.verify(),
        Err(AuthError::MalformedDate("2024-01-01T00:00:00Z".into()))
    );
}

#[test]
fn wrong_sk_rejected() {
    let r = signed_request_with(&Credentials::new(PY_AK, "not-the-secret-key"));
    assert_eq!(r.verify(), Err(AuthError::SignatureMismatch));
    // The SK of another known AK does not verify for this AK either.
    let r = signed_request_with(&Credentials::new(PY_AK, "other-secret"));
    assert_eq!(r.verify(), Err(AuthError::SignatureMismatch));
}

#[test]
fn unknown_ak_rejected() {
    let r = signed_request_with(&Credentials::new("NOSUCHAK", PY_SK));
    assert_eq!(r.verify(), Err(AuthError::UnknownAccessKey));
}

#[test]
fn missing_authorization_rejected() {
    let mut r = signed_request();
    r.remove_header("authorization");
    assert_eq!(r.verify(), Err(AuthError::MissingAuthorization));
}

#[test]
fn malformed_authorization_rejected() {
    let sig = "288359dcd1c2ff5d5f8f09e2721e7a1a045a547a1a025f27d633e91822578b45";
    for bad in [
        String::new(),
        "SDK-HMAC-SHA256".into(),
        format!("Bearer Access={PY_AK}, SignedHeaders=x-sdk-date, Signature={sig}"),
        format!("SDK-HMAC-SHA1 Access={PY_AK}, SignedHeaders=x-sdk-date, Signature={sig}"),
        format!("SDK-HMAC-SHA256 SignedHeaders=x-sdk-date, Signature={sig}"),
        format!("SDK-HMAC-SHA256 Access={PY_AK}, Signature={sig}"),
        format!("SDK-HMAC-SHA256 Access={PY_AK}, SignedHeaders=x-sdk-date"),
        format!("SDK-HMAC-SHA256 Access=, SignedHeaders=x-sdk-date, Signature={sig}"),
        format!("SDK-HMAC-SHA256 Access={PY_AK}, SignedHeaders=, Signature={sig}"),
        format!("SDK-HMAC-SHA256 Access={PY_AK}, SignedHeaders=host;;x-sdk-date, Signature={sig}"),
        format!("SDK-HMAC-SHA256 Access={PY_AK}, SignedHeaders=x sdk date, Signature={sig}"),
        format!("SDK-HMAC-SHA256 Access={PY_AK}, SignedHeaders=x-sdk-date, Signature=xyz"),
        format!("SDK-HMAC-SHA256 Access={PY_AK}, SignedHeaders=x-sdk-date, Signature={sig}00"),
        format!("SDK-HMAC-SHA256 Access={PY_AK}, SignedHeaders=x-sdk-date, Signature=é{}", &sig[2..]),
        format!("SDK-HMAC-SHA256 Access={PY_AK}, Access={PY_AK}, SignedHeaders=x-sdk-date, Signature={sig}"),
        format!("SDK-HMAC-SHA256 Access={PY_AK}, SignedHeaders=x-sdk-date, Signature={sig}, Extra=1"),
        format!("SDK-HMAC-SHA256 Access={PY_AK} SignedHeaders=x-sdk-date Signature={sig}"),
        "SDK-HMAC-SHA256 garbage".into(),
        "\u{0}\u{1}\u{fffd}".into(),
    ] {
        let mut r = signed_request();
        r.set_header("Authorization", &bad);
        match r.verify() {
            Err(AuthError::MalformedAuthorization(why)) => {
                assert!(!why.contains(sig) && !why.contains(PY_AK), "{why}");
            }
            other => panic!("{bad:?}: expected MalformedAuthorization, got {other:?}"),
        }
    }
}

#[test]
fn date_must_be_signed() {
    let mut r = signed_request();
    let auth: Authorization = r
        .headers
        .iter()
        .find(|(n, _)| n == "Authorization")
        .expect("set")
        .1
        .parse()
        .expect("parses");
    let without_date = Authorization {
        signed_headers: vec!["host".into()],
        ..auth
    };
    r.set_header("Authorization", &without_date.to_string());
    assert_eq!(
        r.verify(),
        Err(AuthError::UnsignedRequiredHeader("x-sdk-date".into()))
    );
}

#[test]
fn errors_never_leak_secrets() {
    let r = signed_request();
    let auth = r
        .headers
        .iter()
        .find(|(n, _)| n == "Authorization")
        .expect("set")
        .1
        .clone();
    let parsed: Authorization = auth.parse().expect("parses");
    let errors = [
        AuthError::MissingAuthorization,
        AuthError::UnknownAccessKey,
        AuthError::MissingDate,
        AuthError::SignatureMismatch,
        signed_request_with(&Credentials::new(PY_AK, "x"))
            .verify()
            .expect_err("fails"),
        r.verify_at(SIGNED_AT + Duration::days(1))
            .expect_err("fails"),
        (auth.replace("Signature=", "Signature=zz"))
            .parse::<Authorization>()
            .expect_err("fails"),
    ];
    for e in errors {
        let text = format!("{e} {e:?}");
        for secret in [PY_SK, PY_AK, parsed.signature.as_str()] {
            assert!(!text.contains(secret), "{text}");
        }
    }
    let creds = Credentials::new(PY_AK, PY_SK);
    assert!(!format!("{creds:?}").contains(PY_SK));
    assert!(format!("{creds:?}").contains("***"));
    assert_eq!(format!("{} {:?}", creds.sk(), creds.sk()), "*** ***");
    assert_eq!(creds.sk().expose(), PY_SK);
    assert!(!format!("{parsed:?}").contains(&parsed.signature));
}

// ------------------------------------------------------ Authorization header

#[test]
fn authorization_display_from_str_round_trip() {
    let a = Authorization {
        access: PY_AK.into(),
        signed_headers: vec!["content-type".into(), "host".into(), "x-sdk-date".into()],
        signature: "288359dcd1c2ff5d5f8f09e2721e7a1a045a547a1a025f27d633e91822578b45".into(),
    };
    let text = a.to_string();
    assert_eq!(
        text,
        "SDK-HMAC-SHA256 Access=AKTESTAKTESTAKTEST01, \
         SignedHeaders=content-type;host;x-sdk-date, \
         Signature=288359dcd1c2ff5d5f8f09e2721e7a1a045a547a1a025f27d633e91822578b45"
    );
    assert_eq!(text.parse::<Authorization>(), Ok(a.clone()));

    // Tolerant of spacing, parameter order and case.
    for variant in [
        "SDK-HMAC-SHA256 Access=AKTESTAKTESTAKTEST01,SignedHeaders=content-type;host;x-sdk-date,Signature=288359dcd1c2ff5d5f8f09e2721e7a1a045a547a1a025f27d633e91822578b45",
        "  SDK-HMAC-SHA256   Access = AKTESTAKTESTAKTEST01 ,\tSignedHeaders= content-type; host ;x-sdk-date ,  Signature =288359dcd1c2ff5d5f8f09e2721e7a1a045a547a1a025f27d633e91822578b45  ",
        "SDK-HMAC-SHA256 Signature=288359DCD1C2FF5D5F8F09E2721E7A1A045A547A1A025F27D633E91822578B45, signedheaders=Content-Type;HOST;x-sdk-date, access=AKTESTAKTESTAKTEST01",
    ] {
        assert_eq!(variant.parse::<Authorization>(), Ok(a.clone()), "{variant}");
    }
}

// ------------------------------------------------------------ hostile input

#[test]
fn hostile_input_never_panics() {
    let creds = Credentials::new(PY_AK, PY_SK);
    let odd = [
        "",
        " ",
        "%",
        "%%%",
        "%zz%",
        "%FF%FE",
        "=",
        "&=&",
        "a=%",
        "//",
        "/../..//%2e%2e/",
        "\u{0}",
        "é€𝄞",
        ",,,,",
        ";;;",
        "SDK-HMAC-SHA256 ,=,=,",
        "SDK-HMAC-SHA256 Access==, SignedHeaders==, Signature==",
        "SDK-HMAC-SHA256 Access=a, SignedHeaders=x-sdk-date, Signature=é",
        "20240101T000000Zé",
        "99999999T999999Z",
    ];
    for a in odd {
        for b in odd {
            let h = headers(&[("X-Sdk-Date", a), ("Authorization", b), (a, b)]);
            let parts = RequestParts {
                method: a,
                path: a,
                query: b,
                headers: &h,
                body: b.as_bytes(),
            };
            let _ = canonical_request(&parts, &[a.to_owned(), b.to_owned()]);
            let _ = sign(&parts, &creds);
            let _ = verify(&parts, |_| Some(&creds), SIGNED_AT, SKEW);
            let _ = b.parse::<Authorization>();
        }
    }
}
